#include "models/session_form.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>

#include "pipescope/error.hpp"
#include "pipescope/hex.hpp"
#include "pipescope/pipe_name.hpp"
#include "pipescope/pipe_security.hpp"
#include "pipescope/sddl.hpp"
#include "pipescope/smb.hpp"

namespace pipescope::gui {
namespace {

constexpr std::array<SddlPreset, 5> kSddlPresets{{
    {"Current user, SYSTEM, Administrators (default)", ""},
    {"Everyone may read, owner full", "D:P(A;;FR;;;WD)(A;;FA;;;OW)(A;;FA;;;SY)"},
    {"Authenticated users read/write", "D:P(A;;FRFW;;;AU)(A;;FA;;;SY)(A;;FA;;;BA)"},
    {"Everyone full control (unsafe)", "D:P(A;;FA;;;WD)"},
    {"Custom SDDL", ""},
}};
constexpr std::size_t kCustomPreset = kSddlPresets.size() - 1;

core::Error form_error(std::string field, std::string message) {
    return core::make_error(core::ErrorCode::InvalidArgument, "session form", std::move(field),
                            std::move(message));
}

void append_code_point(std::string& out, unsigned cp) {
    if (cp >= 0x20 && cp < 0x7F) {
        out += static_cast<char>(cp);
    } else if (cp == '\n') {
        out += "\\n";
    } else if (cp == '\r') {
        out += "\\r";
    } else if (cp < 0x80) {
        char b[8];
        std::snprintf(b, sizeof b, "\\u%04x", cp);
        out += b;
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

// UTF-16LE code units as text; an odd trailing byte as \xNN.
std::string utf16_preview(std::span<const std::byte> bytes) {
    std::string out;
    for (std::size_t i = 0; i + 1 < bytes.size(); i += 2) {
        append_code_point(
            out, static_cast<unsigned>(bytes[i]) | (static_cast<unsigned>(bytes[i + 1]) << 8));
    }
    if (bytes.size() % 2) out += "\\x" + core::to_hex(bytes.subspan(bytes.size() - 1));
    return out;
}

}  // namespace

std::string_view to_string(SendMode mode) {
    switch (mode) {
        case SendMode::Text:
            return "Text (UTF-8)";
        case SendMode::Utf16le:
            return "Text (UTF-16LE)";
        case SendMode::Hex:
            return "Hex";
        case SendMode::File:
            return "File";
    }
    return "?";
}

core::Result<std::vector<std::byte>> encode(SendMode mode, std::string_view input) {
    switch (mode) {
        case SendMode::Text:
            return core::to_bytes(input);
        case SendMode::Utf16le:
            return core::utf8_to_utf16le(input);
        case SendMode::Hex:
            return core::parse_hex(input);
        case SendMode::File:
            return core::load_payload_file(std::string(input));
    }
    return form_error("send mode", "unknown send mode");
}

std::string preview(std::span<const std::byte> bytes, TranscriptView view, std::size_t max_chars) {
    // Bytes per shown character: hex takes three ("41 "), UTF-16LE text half a character per
    // byte, escaped text one or more (so this many bytes never show fewer characters).
    const std::size_t n = view == TranscriptView::Hex       ? max_chars / 3
                          : view == TranscriptView::Utf16le ? max_chars * 2
                                                            : max_chars;
    auto shown = bytes.first(std::min(bytes.size(), n));
    std::string text = view == TranscriptView::Hex       ? core::to_hex(shown)
                       : view == TranscriptView::Utf16le ? utf16_preview(shown)
                                                         : core::escape_bytes(shown);
    if (shown.size() < bytes.size()) text += " ...";
    return text;
}

std::span<const SddlPreset> sddl_presets() {
    return kSddlPresets;
}

SessionForm::SessionForm(SessionRole role, std::string initial_name)
    : name(std::move(initial_name)), role_(role) {
    auto kinds = core::available_transports();
    if (!kinds.empty()) endpoint.kind = kinds.front();
    // As the CLI: overlapped I/O, because with Sync a write waits behind a blocked read on
    // Windows.
    endpoint.io = core::IoModel::Overlapped;
    options.behaviour = server() ? core::Behaviour::Echo : core::Behaviour::Manual;
}

void SessionForm::select_sddl_preset(std::size_t index) {
    sddl_preset_ = std::min(index, kCustomPreset);
}

bool SessionForm::custom_sddl_selected() const {
    return sddl_preset_ == kCustomPreset;
}

void SessionForm::set_custom_sddl(std::string_view sddl) {
    sddl_preset_ = kCustomPreset;
    custom_sddl_ = std::string(sddl.substr(0, kMaxSddlBytes));
}

std::string SessionForm::chosen_sddl() const {
    return custom_sddl_selected() ? custom_sddl_ : std::string(kSddlPresets[sddl_preset_].sddl);
}

void SessionForm::set_file_mode_text(std::string_view octal) {
    file_mode_text_ = std::string(octal);
    unsigned mode = 0;
    file_mode_valid_ = !octal.empty() && octal.size() <= 4;
    for (char c : octal) {
        if (c < '0' || c > '7') file_mode_valid_ = false;
        mode = mode * 8 + static_cast<unsigned>(c - '0');
    }
    file_mode_valid_ = file_mode_valid_ && mode <= 0777;
    if (file_mode_valid_) endpoint.server.socket_mode = mode;
}

core::Status SessionForm::check_server_fields() const {
    const auto& s = endpoint.server;
    if (endpoint.kind != core::TransportKind::Win32Pipe) {
        if (!file_mode_valid_) {
            return form_error("File mode",
                              "'" + file_mode_text_ + "' is not an octal file mode (000 to 777)");
        }
        if (s.socket_mode > 0777) return form_error("File mode", "above 777");
        if (s.backlog < 1 || s.backlog > 4096) return form_error("Backlog", "not in 1..4096");
        return {};
    }
    if (s.max_instances < 1 || s.max_instances > 255) {
        return form_error("Max instances", "not in 1..255 (255 = unlimited)");
    }
    if (s.listening_instances < 0 || s.listening_instances > core::kMaxListeningInstances) {
        return form_error(
            "Listening instances",
            "not in 0.." + std::to_string(core::kMaxListeningInstances) + " (0 = automatic)");
    }
    constexpr std::uint32_t kMaxQuota = 0x7FFFFFFF;
    if (s.in_quota > kMaxQuota) return form_error("In quota", "above 2147483647 bytes");
    if (s.out_quota > kMaxQuota) return form_error("Out quota", "above 2147483647 bytes");
    // Before Windows sees it: this error names the offset of the mistake.
    if (const auto sddl = chosen_sddl(); !sddl.empty()) {
        if (auto sd = core::parse_sddl(sddl); !sd) return sd.error();
    }
    return {};
}

bool is_remote_name(std::string_view text) {
    auto parsed = core::PipeName::parse(text);
    return parsed && parsed->form() == core::PipeName::Form::Win32 && !parsed->is_local();
}

core::Status SessionForm::resolve() {
    auto parsed = core::PipeName::parse(name);
    if (!parsed) return parsed.error();
    if (timeout_ms < 0) return form_error("Connect timeout", "negative");
    if (server()) {
        if (auto st = check_server_fields(); !st) return st;
    }
    if (options.behaviour == core::Behaviour::Script) {
        auto rules = core::parse_script(script);
        if (!rules) return rules.error();
        options.rules = std::move(*rules);
    }
    endpoint.name = *parsed;
    endpoint.client.remote.password.clear();
    if (!server() && !parsed->is_local() && !password_file.empty()) {
        auto password = core::smb::read_password_file(password_file);
        if (!password) return password.error();
        endpoint.client.remote.password = std::move(*password);
    }
    // A POSIX server's access is its file mode; an SDDL cannot apply there.
    endpoint.server.sddl = endpoint.kind == core::TransportKind::Win32Pipe ? chosen_sddl() : "";
    options.connect_timeout = core::Timeout(timeout_ms);
    return {};
}

std::vector<std::string> SessionForm::warnings() const {
    if (!server()) return core::client_security_warnings(endpoint.client, endpoint.kind);
    // Say so whenever the form is looser than the defaults.
    core::ServerConfig shown = endpoint.server;
    shown.sddl = chosen_sddl();
    return core::server_security_warnings(shown, endpoint.kind);
}

}  // namespace pipescope::gui
