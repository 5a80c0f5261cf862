#include "input/key_holdover.hpp"

#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

using pipescope::gui::KeyHoldover;
using Action = KeyHoldover::Action;
using KeyKind = KeyHoldover::KeyKind;

namespace {

// GLFW's numbers, as the window's callbacks give them.
constexpr int kEnter = 257;
constexpr int kBackspace = 259;
constexpr int kUp = 265;
constexpr int kCtrl = 341;
constexpr int kShift = 340;
constexpr int kA = 65;
constexpr int kB = 66;
constexpr int kX = 88;

KeyKind classify(int key) {
    if (key >= 340 && key <= 347) return KeyKind::Modifier;
    return key >= 256 ? KeyKind::Editing : KeyKind::Other;
}

// What ImGui 1.86 would read each frame: the key state the sink has been told, and a log of
// what reached it, frame by frame ("|" starts a frame; "+A" press, "-A" release, "'x'" char).
struct Keyboard {
    std::map<int, bool> down;
    std::string log;
    KeyHoldover holdover{[this](const KeyHoldover::Event& e) { apply(e); }, classify, 32};

    void apply(const KeyHoldover::Event& e) {
        if (e.action == Action::Char) {
            log += "'" + std::string(1, static_cast<char>(e.codepoint)) + "'";
            return;
        }
        if (e.action == Action::Repeat) return;
        down[e.key] = e.action == Action::Press;
        log += (e.action == Action::Press ? "+" : "-") + name(e.key);
    }
    static std::string name(int key) {
        switch (key) {
            case kEnter:
                return "Enter";
            case kBackspace:
                return "BS";
            case kUp:
                return "Up";
            case kCtrl:
                return "Ctrl";
            case kShift:
                return "Shift";
            default:
                return std::string(1, static_cast<char>(key));
        }
    }
    void frame() {
        log += "|";
        holdover.next_frame();
    }
    void press(int key) { holdover.feed({key, 0, Action::Press, 0, 0}); }
    void release(int key) { holdover.feed({key, 0, Action::Release, 0, 0}); }
    void tap(int key) {
        press(key);
        release(key);
    }
    void type(char c) {  // as X sends a letter: press, its character, release
        const int key = c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c;
        press(key);
        holdover.feed({0, 0, Action::Char, 0, static_cast<unsigned>(c)});
        release(key);
    }
    void drain() {
        for (int i = 0; i < 100 && holdover.holding(); ++i) frame();
    }
};

TEST(KeyHoldover, PressAndReleaseInOneFrameIsDownForOneFrameThenUp) {
    Keyboard k;
    k.frame();
    k.tap(kEnter);
    EXPECT_TRUE(k.down[kEnter]) << "this frame sees Enter down";
    EXPECT_TRUE(k.holdover.holding());
    k.frame();
    EXPECT_FALSE(k.down[kEnter]) << "the next frame sees it up";
    EXPECT_FALSE(k.holdover.holding());
    k.frame();
    EXPECT_EQ(k.log, "|+Enter|-Enter|");
}

TEST(KeyHoldover, AKeyHeldDownOverFramesIsNeverDelayed) {
    Keyboard k;
    k.frame();
    k.press(kA);
    for (int i = 0; i < 5; ++i) {
        k.frame();
        k.holdover.feed({kA, 0, Action::Repeat, 0, 0});
        EXPECT_TRUE(k.down[kA]);
        EXPECT_FALSE(k.holdover.holding());
    }
    k.release(kA);  // a later frame than the press: nothing to hold
    EXPECT_FALSE(k.down[kA]);
    EXPECT_EQ(k.log, "|+A|||||-A");
}

TEST(KeyHoldover, EachOfSeveralTapsInOneFrameIsCounted) {
    Keyboard k;
    k.frame();
    for (int i = 0; i < 3; ++i) k.tap(kB);
    k.drain();
    EXPECT_EQ(k.log, "|+B|-B|+B|-B|+B|-B");
}

TEST(KeyHoldover, ShortcutInOneFrameIsSeenWithItsModifier) {
    Keyboard k;
    k.frame();
    k.press(kCtrl);
    k.tap(kA);
    k.release(kCtrl);
    EXPECT_TRUE(k.down[kCtrl]);
    EXPECT_TRUE(k.down[kA]) << "Ctrl+A is down together in this frame";
    k.drain();
    EXPECT_EQ(k.log, "|+Ctrl+A|-A-Ctrl");
}

// As Wine delivers xdotool's "key ctrl+a": Ctrl's release comes before A's, in A's frame.
TEST(KeyHoldover, AModifierReleasedInTheFrameOfAShortcutWaitsForTheNextFrame) {
    Keyboard k;
    k.frame();
    k.press(kCtrl);
    k.frame();
    k.press(kA);
    k.release(kCtrl);
    EXPECT_TRUE(k.down[kCtrl]) << "this frame reads Ctrl+A";
    EXPECT_TRUE(k.down[kA]);
    k.release(kA);
    k.drain();
    EXPECT_EQ(k.log, "|+Ctrl|+A|-Ctrl-A");
}

// Two Enters and an Up in one frame: Up must not overtake the second Enter (a line would be
// recalled before the one typed was sent).
TEST(KeyHoldover, AnEditingKeyNeverOvertakesAHeldOne) {
    Keyboard k;
    k.frame();
    k.tap(kEnter);
    k.tap(kEnter);
    k.tap(kUp);
    k.drain();
    EXPECT_EQ(k.log, "|+Enter|-Enter|+Enter|-Enter+Up|-Up");
}

TEST(KeyHoldover, TypingIsNotSlowedByHeldReleases) {
    Keyboard k;
    k.frame();
    for (char c : std::string("hello")) k.type(c);
    // All the text arrives in this frame; the releases (and the second L press) follow.
    EXPECT_EQ(k.log, "|+H'h'+E'e'+L'l''l'+O'o'");
    k.drain();
    EXPECT_EQ(k.log, "|+H'h'+E'e'+L'l''l'+O'o'|-H-E-L-O|+L|-L");
}

// ImGui applies a frame's characters before its keys: Backspaces then "x" in one frame must
// reach it as Backspace, Backspace, x, each in its order.
TEST(KeyHoldover, CharactersDoNotOvertakeEditingKeys) {
    Keyboard k;
    k.frame();
    k.tap(kBackspace);
    k.tap(kBackspace);
    k.type('x');
    k.drain();
    EXPECT_EQ(k.log, "|+BS+X|-BS-X|+BS|-BS'x'");
}

TEST(KeyHoldover, TheNextLineAfterEnterWaitsForTheFrameAfterEnter) {
    Keyboard k;
    k.frame();
    k.type('a');
    k.tap(kEnter);
    k.type('b');
    EXPECT_EQ(k.log, "|+A'a'+Enter+B") << "'b' now would be applied before Enter";
    k.drain();
    EXPECT_EQ(k.log, "|+A'a'+Enter+B|-A-Enter'b'-B");
}

// A text field applies one editing key per frame: Up (recall a line) then Backspace.
TEST(KeyHoldover, EditingKeysInOneFrameComeOnePerFrame) {
    Keyboard k;
    k.frame();
    k.tap(kUp);
    k.tap(kBackspace);
    k.tap(kBackspace);
    k.drain();
    EXPECT_EQ(k.log, "|+Up|-Up+BS|-BS|+BS|-BS");
}

TEST(KeyHoldover, ShiftedLettersKeepTheirOrder) {
    Keyboard k;
    k.frame();
    k.press(kShift);
    k.type('O');
    k.release(kShift);
    k.type('k');
    k.drain();
    EXPECT_EQ(k.log, "|+Shift+O'O'|-O-Shift+K'k'|-K");
}

TEST(KeyHoldover, HeldEventsAreBoundedAndTheOrderAndFinalStateAreKept) {
    Keyboard k;
    k.frame();
    for (int i = 0; i < 1000; ++i) k.tap(kBackspace);
    EXPECT_LE(k.holdover.held(), 32u);
    k.type('x');
    k.drain();
    EXPECT_FALSE(k.down[kBackspace]);
    EXPECT_GT(k.log.find("'x'"), k.log.rfind("BS")) << "x comes after every Backspace";
}

TEST(KeyHoldover, OtherKeysPassWhileOneIsHeld) {
    Keyboard k;
    k.frame();
    k.tap(kA);
    k.press(kX);  // not ordered after A's release: passes at once
    EXPECT_TRUE(k.down[kA]);
    EXPECT_TRUE(k.down[kX]);
    k.frame();
    EXPECT_FALSE(k.down[kA]);
    EXPECT_TRUE(k.down[kX]);
}

}  // namespace
