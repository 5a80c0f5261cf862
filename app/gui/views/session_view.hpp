// A client or server session: the full configuration form, then the live conversation(s) with
// a transcript (hex or text, UTF-8 or UTF-16, message boundaries, timestamps), a send box
// (text, hex or a file) and saving the transcript. UI thread only; the session's workers do all
// pipe I/O.
#pragma once

#include <functional>
#include <memory>
#include <span>
#include <string>

#include "pipescope/session.hpp"
#include "views/view.hpp"

namespace pipescope::gui {

class SessionView final : public View {
public:
    enum class Role { Client, Server };
    // Makes the session once the form is submitted (tests inject fakes or real sessions).
    using Factory = std::function<std::unique_ptr<core::Session>(Role, const core::Endpoint&,
                                                                 const core::SessionOptions&)>;

    SessionView(Role role, std::string initial_name, Factory factory, int id);
    ~SessionView() override;

    [[nodiscard]] std::string title() const override;
    void draw() override;
    [[nodiscard]] bool closable() const override { return true; }
    [[nodiscard]] bool wants_frames() const override;
    [[nodiscard]] double frame_interval() const override { return 0.05; }
    [[nodiscard]] std::string task_status() const override;

    // What the form's button does. Returns false (and sets form_error()) on bad input.
    bool start();
    void stop();
    // The send box's action: mode 0 text UTF-8, 1 text UTF-16LE, 2 hex, 3 file path.
    bool send(int mode, const std::string& input);
    [[nodiscard]] const std::string& form_error() const { return form_error_; }
    // Picks "Custom SDDL" in the server form with this text (as if typed; cut at 511 bytes).
    void set_custom_sddl(std::string_view sddl);
    [[nodiscard]] core::Session* session() const { return session_.get(); }
    core::Endpoint& endpoint() { return endpoint_; }
    core::SessionOptions& options() { return options_; }

private:
    void draw_form();
    void draw_win32_server_fields();
    void draw_posix_server_fields();
    void draw_session();
    void draw_transcript(const core::ConversationSnapshot& c);
    // The bytes as the chosen view shows them, cut to about max_chars characters.
    [[nodiscard]] std::string preview(std::span<const std::byte> bytes, std::size_t max_chars) const;

    // Characters of a frame a transcript row shows, and its tooltip.
    static constexpr std::size_t kRowPreviewChars = 240;
    static constexpr std::size_t kTooltipPreviewChars = 3000;

    Role role_;
    Factory factory_;
    int id_;
    core::Endpoint endpoint_;
    core::SessionOptions options_;
    std::unique_ptr<core::Session> session_;
    std::shared_ptr<const core::SessionSnapshot> shown_;

    // Form state.
    char name_buf_[260] = {};
    char sddl_buf_[512] = {};
    char mode_buf_[8] = "600";  // POSIX servers: the socket / FIFO mode, octal
    char script_buf_[2048] = "prefix PING => PONG\\n\n";
    int sddl_preset_ = 0;
    int timeout_ms_ = 5000;
    std::string form_error_;

    // Session view state.
    std::uint32_t selected_ = 0;
    int view_mode_ = 0;  // 0 text, 1 hex, 2 UTF-16LE text
    int send_mode_ = 0;
    char send_buf_[4096] = {};
    char save_path_[512] = "transcript.json";
    std::string send_error_;
    std::string save_message_;
    bool follow_ = true;
    std::uint64_t last_frames_ = 0;
};

}  // namespace pipescope::gui
