// The send box's model, without ImGui: the line ending added to what is typed, and the history
// of earlier sends that Up and Down recall, as in a shell. UI thread only (one owner; no locks).
#pragma once

#include <cstddef>
#include <deque>
#include <optional>
#include <string>
#include <string_view>

#include "models/session_form.hpp"
#include "pipescope/transport.hpp"

namespace pipescope::gui {

// What the send box adds to each text send.
enum class LineEnding { None, Lf, CrLf };
[[nodiscard]] std::string_view to_string(LineEnding ending);   // "none", "\n", "\r\n" (escaped)
[[nodiscard]] std::string_view terminator(LineEnding ending);  // "", "\n", "\r\n"

// The ending a session starts with: none where a send is a message (message-type Win32 pipes,
// a client reading in message mode, seqpacket sockets), "\n" on byte streams.
[[nodiscard]] LineEnding default_line_ending(SessionRole role, const core::Endpoint& endpoint);

// The input to send from the send box: text (UTF-8 or UTF-16LE) with the ending added; hex
// and file paths as they are.
[[nodiscard]] std::string send_box_input(SendMode mode, std::string input, LineEnding ending);

// Earlier sends, newest last, at most `capacity` (the oldest go first). Up (older()) walks
// back, Down (newer()) forward; Down past the newest gives an empty line. Sending (add())
// ends the walk. Recalled lines are copies: editing one changes what is sent, not the history.
class SendHistory {
  public:
    explicit SendHistory(std::size_t capacity = 100);

    // Records a sent line and ends the walk. Empty lines and a repeat of the newest are not
    // recorded (the walk still ends).
    void add(std::string line);
    // Up: the line before the one shown (the newest when not walking), or nothing at the oldest
    // or with no history (the box keeps its text).
    [[nodiscard]] std::optional<std::string> older();
    // Down: the line after the one shown, "" past the newest, or nothing when not walking.
    [[nodiscard]] std::optional<std::string> newer();

    [[nodiscard]] std::size_t size() const { return lines_.size(); }
    [[nodiscard]] const std::string& line(std::size_t i) const { return lines_[i]; }  // 0: oldest
    [[nodiscard]] bool walking() const { return pos_ < lines_.size(); }

  private:
    std::size_t capacity_;
    std::deque<std::string> lines_;
    std::size_t pos_ = 0;  // the line shown; lines_.size(): not walking
};

}  // namespace pipescope::gui
