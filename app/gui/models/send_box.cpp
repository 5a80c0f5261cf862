#include "models/send_box.hpp"

#include <algorithm>
#include <utility>

namespace pipescope::gui {

std::string_view to_string(LineEnding ending) {
    switch (ending) {
        case LineEnding::None:
            return "none";
        case LineEnding::Lf:
            return "\\n";
        case LineEnding::CrLf:
            return "\\r\\n";
    }
    return "?";
}

std::string_view terminator(LineEnding ending) {
    switch (ending) {
        case LineEnding::None:
            return "";
        case LineEnding::Lf:
            return "\n";
        case LineEnding::CrLf:
            return "\r\n";
    }
    return "";
}

LineEnding default_line_ending(SessionRole role, const core::Endpoint& endpoint) {
    bool message = endpoint.kind == core::TransportKind::UnixSeqpacket;
    if (endpoint.kind == core::TransportKind::Win32Pipe) {
        message = role == SessionRole::Server
                      ? endpoint.server.type == core::PipeType::Message
                      : endpoint.client.read_mode == core::PipeType::Message;
    }
    return message ? LineEnding::None : LineEnding::Lf;
}

std::string send_box_input(SendMode mode, std::string input, LineEnding ending) {
    if (mode == SendMode::Text || mode == SendMode::Utf16le) input += terminator(ending);
    return input;
}

SendHistory::SendHistory(std::size_t capacity) : capacity_(std::max<std::size_t>(1, capacity)) {}

void SendHistory::add(std::string line) {
    if (!line.empty() && (lines_.empty() || lines_.back() != line)) {
        lines_.push_back(std::move(line));
        if (lines_.size() > capacity_) lines_.pop_front();
    }
    pos_ = lines_.size();
}

std::optional<std::string> SendHistory::older() {
    if (pos_ == 0) return std::nullopt;
    return lines_[--pos_];
}

std::optional<std::string> SendHistory::newer() {
    if (pos_ >= lines_.size()) return std::nullopt;
    if (++pos_ == lines_.size()) return std::string();
    return lines_[pos_];
}

}  // namespace pipescope::gui
