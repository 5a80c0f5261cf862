// Makes every key press last at least one frame, and keeps keys and typed characters in the
// order they came. ImGui 1.86 reads key state (io.KeysDown) once per frame, so a key pressed
// and released between two frames, as automation tools (xdotool) and remote desktops send
// them, is never seen down: Enter, Backspace and arrows in text fields and shortcuts were
// lost. The platform's key and character callbacks hand every event to feed(); an event that
// would undo a change its key already made this frame is held for a later frame, and so is
// whatever must not overtake it:
//   - later events of the same key;
//   - anything after a held modifier (Ctrl, Shift, Alt, Super), and a modifier event after
//     anything held or in a frame that already had another key pressed (a shortcut is read
//     with the modifiers of its frame);
//   - a character or editing-key press (Enter, Backspace, arrows, ...) after a held one, or
//     in a frame that already had an editing-key press: ImGui applies a frame's characters
//     before its keys, and one editing key per frame, so "Backspace, x" in one frame would
//     delete the x, and "Up, Backspace" would lose the Backspace.
// Everything else passes at once: typing is not slowed by held letter-key releases, and a key
// held down normally is never delayed. Each of several taps of one key within a frame is
// counted, one transition per frame. At most `max_held` events are held; one more lets them
// all pass at once, in order (taps may then merge; the final state and the order are kept).
// No GLFW here: the caller says which keys are modifiers or editing keys. UI thread only.
#pragma once

#include <cstddef>
#include <functional>
#include <set>
#include <vector>

namespace pipescope::gui {

class KeyHoldover {
  public:
    enum class Action { Release, Press, Repeat, Char };
    enum class KeyKind { Other, Modifier, Editing };
    struct Event {
        int key = 0;  // Char: unused
        int scancode = 0;
        Action action = Action::Press;
        int mods = 0;
        unsigned codepoint = 0;  // Char only
    };
    // Receives the events to apply now (for GLFW: ImGui_ImplGlfw_KeyCallback / CharCallback).
    using Sink = std::function<void(const Event&)>;
    using Classify = std::function<KeyKind(int key)>;

    KeyHoldover(Sink sink, Classify classify, std::size_t max_held = 256);

    // From the key or character callback: passes `e` on now, or holds it for a later frame.
    void feed(const Event& e);
    // Once per frame, before the platform's events are polled: a new frame starts, and the
    // held events that may pass now are passed on, in order.
    void next_frame();
    // Whether events are still held (the frame loop must not sleep then).
    [[nodiscard]] bool holding() const { return !held_.empty(); }
    [[nodiscard]] std::size_t held() const { return held_.size(); }

  private:
    [[nodiscard]] bool may_pass(const Event& e, std::size_t earlier_held) const;
    [[nodiscard]] bool orders_before(const Event& held, const Event& later) const;
    [[nodiscard]] bool text_ordered(const Event& e) const;
    void pass(const Event& e);

    Sink sink_;
    Classify classify_;
    std::size_t max_held_;
    std::vector<Event> held_;     // oldest first
    std::set<int> changed_;       // keys whose state changed this frame
    bool key_press_ = false;      // a key other than a modifier was pressed this frame
    bool editing_press_ = false;  // an editing key was pressed this frame
};

}  // namespace pipescope::gui
