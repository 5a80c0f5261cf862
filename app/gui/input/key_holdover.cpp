#include "input/key_holdover.hpp"

#include <algorithm>
#include <utility>

namespace pipescope::gui {

KeyHoldover::KeyHoldover(Sink sink, Classify classify, std::size_t max_held)
    : sink_(std::move(sink)),
      classify_(std::move(classify)),
      max_held_(std::max<std::size_t>(1, max_held)) {}

// Characters and editing-key presses change a text field; their order is the text's.
bool KeyHoldover::text_ordered(const Event& e) const {
    return e.action == Action::Char ||
           (e.action == Action::Press && classify_(e.key) == KeyKind::Editing);
}

bool KeyHoldover::orders_before(const Event& held, const Event& later) const {
    const bool held_key = held.action != Action::Char;
    const bool later_key = later.action != Action::Char;
    if (held_key && later_key && held.key == later.key) return true;
    if (held_key && classify_(held.key) == KeyKind::Modifier) return true;
    if (later_key && classify_(later.key) == KeyKind::Modifier) return true;
    return text_ordered(held) && text_ordered(later);
}

// Whether `e` may pass now, behind the first `earlier_held` held events.
bool KeyHoldover::may_pass(const Event& e, std::size_t earlier_held) const {
    for (std::size_t i = 0; i < earlier_held; ++i) {
        if (orders_before(held_[i], e)) return false;
    }
    switch (e.action) {
        case Action::Char:
            return !editing_press_;
        case Action::Repeat:
            return true;
        default:
            if (changed_.contains(e.key)) return false;
            // A modifier that changes after a key was pressed in this frame would change how
            // ImGui reads that press (Wine delivers xdotool's ctrl+a as Ctrl down | A down,
            // Ctrl up | A up).
            if (classify_(e.key) == KeyKind::Modifier) return !key_press_;
            return !(text_ordered(e) && editing_press_);
    }
}

void KeyHoldover::pass(const Event& e) {
    if (e.action == Action::Press || e.action == Action::Release) changed_.insert(e.key);
    if (e.action == Action::Press && classify_(e.key) != KeyKind::Modifier) key_press_ = true;
    if (e.action == Action::Press && classify_(e.key) == KeyKind::Editing) editing_press_ = true;
    sink_(e);
}

void KeyHoldover::feed(const Event& e) {
    if (may_pass(e, held_.size())) {
        pass(e);
        return;
    }
    if (held_.size() >= max_held_) {
        // Bounded: let everything through in order; ImGui ends in the right state.
        for (const Event& h : held_) pass(h);
        held_.clear();
        pass(e);
        return;
    }
    held_.push_back(e);
}

void KeyHoldover::next_frame() {
    changed_.clear();
    editing_press_ = false;
    key_press_ = false;
    std::size_t kept = 0;
    for (std::size_t i = 0; i < held_.size(); ++i) {
        // Events kept so far sit at [0, kept): a later one may pass only if none of them
        // orders before it.
        if (may_pass(held_[i], kept)) {
            pass(held_[i]);
        } else {
            held_[kept++] = held_[i];
        }
    }
    held_.resize(kept);
}

}  // namespace pipescope::gui
