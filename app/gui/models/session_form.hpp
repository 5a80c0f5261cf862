// The session view's model, without ImGui: the client or server configuration form (what it
// holds, its SDDL presets, its validation) and turning what the user types into bytes to send
// or bytes into text to show. UI thread only (one owner; no locks).
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "pipescope/result.hpp"
#include "pipescope/session.hpp"
#include "pipescope/transport.hpp"

namespace pipescope::gui {

enum class SessionRole { Client, Server };

// What the send box's text is: UTF-8 text, text sent as UTF-16LE, hex bytes, or a file path.
enum class SendMode { Text, Utf16le, Hex, File };
// How the transcript shows bytes.
enum class TranscriptView { Text, Hex, Utf16le };

[[nodiscard]] std::string_view to_string(SendMode mode);  // "Text (UTF-8)", "Hex", ...

// The bytes `input` stands for in `mode`: UTF-8 as is, UTF-16LE (core::utf8_to_utf16le), hex
// (core::parse_hex) or a file's contents (core::load_payload_file). An error says what is
// wrong with the input.
[[nodiscard]] core::Result<std::vector<std::byte>> encode(SendMode mode, std::string_view input);
// The bytes as `view` shows them, cut to about `max_chars` characters (" ..." when cut).
[[nodiscard]] std::string preview(std::span<const std::byte> bytes, TranscriptView view,
                                  std::size_t max_chars);

struct SddlPreset {
    const char* label;
    const char* sddl;  // "" for the default (current user, SYSTEM, Administrators)
};
// The server form's security choices; the last one is "Custom SDDL" (the user's text).
[[nodiscard]] std::span<const SddlPreset> sddl_presets();
inline constexpr std::size_t kMaxSddlBytes = 511;

// Whether `text` names a remote pipe (\\host\pipe\x with a host other than "."): the client
// form then shows the SMB fields and, when the connect fails, the remote-check's steps.
[[nodiscard]] bool is_remote_name(std::string_view text);

class SessionForm {
  public:
    SessionForm(SessionRole role, std::string name);

    [[nodiscard]] SessionRole role() const { return role_; }
    [[nodiscard]] bool server() const { return role_ == SessionRole::Server; }

    // The fields the view edits directly.
    std::string name;
    core::Endpoint endpoint;  // name and sddl are filled in by resolve()
    core::SessionOptions options;
    std::string script = "prefix PING => PONG\\n\n";
    int timeout_ms = 5000;
    // Remote names (\\host\pipe\x), client only: the file whose first line is the SMB password
    // (read by resolve() into endpoint.client.remote.password; never shown).
    std::string password_file;

    // Security preset (an index into sddl_presets()).
    [[nodiscard]] std::size_t sddl_preset() const { return sddl_preset_; }
    void select_sddl_preset(std::size_t index);
    [[nodiscard]] bool custom_sddl_selected() const;
    [[nodiscard]] const std::string& custom_sddl() const { return custom_sddl_; }
    // Picks "Custom SDDL" with this text (cut at kMaxSddlBytes, as the text box holds).
    void set_custom_sddl(std::string_view sddl);
    // The SDDL the chosen preset stands for ("" for the default).
    [[nodiscard]] std::string chosen_sddl() const;

    // POSIX servers: the file mode as typed (octal). Valid text sets endpoint.server.socket_mode
    // at once; invalid text is kept and reported by resolve().
    [[nodiscard]] const std::string& file_mode_text() const { return file_mode_text_; }
    void set_file_mode_text(std::string_view octal);

    // Checks the form and fills endpoint (name, sddl) and options (timeout, script rules) from
    // it. The error names the field and says what is wrong.
    [[nodiscard]] core::Status resolve();
    // Security warnings for what the form says now (computed in core).
    [[nodiscard]] std::vector<std::string> warnings() const;

  private:
    [[nodiscard]] core::Status check_server_fields() const;

    SessionRole role_;
    std::size_t sddl_preset_ = 0;
    std::string custom_sddl_;
    std::string file_mode_text_ = "600";
    bool file_mode_valid_ = true;
};

}  // namespace pipescope::gui
