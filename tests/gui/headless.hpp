// Headless ImGui for frame tests: no window, no GL. A context with a display size and a built
// font atlas; frames are driven with synthetic mouse and keyboard input (ImGui 1.86 io fields).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string_view>

#include <imgui.h>

namespace pipescope::gui::test {

class Headless {
  public:
    explicit Headless(float width = 1280.0f, float height = 800.0f);
    ~Headless();
    Headless(const Headless&) = delete;
    Headless& operator=(const Headless&) = delete;

    // Runs one frame: NewFrame, draw(), Render.
    void frame(const std::function<void()>& draw);
    // Moves the mouse to (x, y) and clicks the left button, over three frames.
    void click(float x, float y, const std::function<void()>& draw);
    // Presses a key (with modifiers) for one frame and releases it.
    void press(int key, bool ctrl, const std::function<void()>& draw);
    // Presses an ImGui key (Enter, arrows, Backspace: as the GLFW backend maps them).
    void key(ImGuiKey key, const std::function<void()>& draw);
    // Types text (character events, as GLFW's char callback gives them) in one frame.
    void type(std::string_view text, const std::function<void()>& draw);

    ImGuiIO& io() { return ImGui::GetIO(); }

  private:
    ImGuiContext* ctx_;
};

// Draws a view (anything with draw()) in a window that fills the 1280x800 display, as the
// app's tab does; call it inside Headless::frame.
template <class View>
void draw_in_window(View& view) {
    ImGui::SetNextWindowPos(ImVec2(0, 0));
    ImGui::SetNextWindowSize(ImVec2(1280, 800));
    ImGui::Begin("view");
    view.draw();
    ImGui::End();
}

// How long a frame kept the UI thread, in ms: the wall time since construction (or start())
// minus the time the thread sat on a run queue waiting for a CPU (Linux:
// /proc/thread-self/schedstat), so other programs on a busy machine do not count against the
// view, while time the thread spent blocked (a lock, a wait) still does. Where the system does
// not tell (Windows, Wine), the wall time.
class FrameTimer {
  public:
    FrameTimer() { start(); }
    void start();
    [[nodiscard]] double elapsed_ms() const;

  private:
    std::chrono::steady_clock::time_point t0_;
    std::int64_t queued0_ns_ = -1;
};

}  // namespace pipescope::gui::test
