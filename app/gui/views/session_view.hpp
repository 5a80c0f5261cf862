// A client or server session: draws the session form model (the full configuration), then the
// live conversation(s) with a transcript (hex or text, UTF-8 or UTF-16, message boundaries,
// timestamps), a send box (text, UTF-16LE, hex or a file) and saving the transcript. UI thread
// only; the session's workers do all pipe I/O.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "models/remote_check_runner.hpp"
#include "models/send_box.hpp"
#include "models/session_form.hpp"
#include "pipescope/session.hpp"
#include "views/view.hpp"
#include "widgets/server_fields.hpp"
#include "widgets/transcript_table.hpp"

namespace pipescope::gui {

class SessionView final : public View {
  public:
    using Role = SessionRole;
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
    // The send box's action: `input` as `mode` says, to the selected client.
    bool send(SendMode mode, const std::string& input);
    [[nodiscard]] const std::string& form_error() const { return form_error_; }
    // The send box: the ending added to text sends (set from the pipe's type on start(),
    // changeable while connected), the earlier sends Up/Down recall, and the text in the box.
    [[nodiscard]] LineEnding line_ending() const { return line_ending_; }
    void set_line_ending(LineEnding ending) { line_ending_ = ending; }
    [[nodiscard]] const SendHistory& history() const { return history_; }
    [[nodiscard]] std::string_view send_text() const { return send_buf_; }
    // Picks "Custom SDDL" in the server form with this text (as if typed; cut at 511 bytes).
    void set_custom_sddl(std::string_view sddl);
    [[nodiscard]] core::Session* session() const { return session_.get(); }
    [[nodiscard]] SessionForm& form() { return form_; }
    core::Endpoint& endpoint() { return form_.endpoint; }
    // The remote-check the client form runs when a remote name fails to connect.
    [[nodiscard]] RemoteCheckRunner& remote_check() { return remote_check_; }
    [[nodiscard]] const RemoteCheckRunner& remote_check() const { return remote_check_; }
    core::SessionOptions& options() { return form_.options; }

  private:
    void draw_form();
    void draw_client_fields();
    void draw_remote_fields();
    // A client to a remote name that failed: runs the remote-check once and shows its steps.
    void draw_remote_check(const core::SessionSnapshot& snap);
    void draw_session();
    const core::ConversationSnapshot* draw_clients(const core::SessionSnapshot& snap);
    void draw_transcript(const core::ConversationSnapshot& c);
    void draw_transcript_toolbar(const core::ConversationSnapshot& c);
    void draw_send_box(const core::ConversationSnapshot& c);
    // Sends the box's text with the line ending, records it in the history and empties the box.
    void send_from_box();
    // After Enter: the box keeps the keyboard (ImGui 1.86 internals; see the definition).
    void keep_keyboard();

    Factory factory_;
    int id_;
    SessionForm form_;
    std::unique_ptr<core::Session> session_;
    std::shared_ptr<const core::SessionSnapshot> shown_;

    // Text boxes (ImGui edits char buffers; the form holds the strings).
    char name_buf_[260] = {};
    ServerFields server_fields_;
    char script_buf_[2048] = {};
    std::string form_error_;
    char user_buf_[256] = {};
    char password_file_buf_[512] = {};
    RemoteCheckRunner remote_check_;
    bool remote_checked_ = false;  // this session's failed connect was checked

    // Session view state.
    std::uint32_t selected_ = 0;
    TranscriptTable transcript_;
    SendMode send_mode_ = SendMode::Text;
    char send_buf_[4096] = {};
    LineEnding line_ending_ = LineEnding::Lf;
    SendHistory history_;
    bool focus_send_box_ = false;  // give the box the keyboard at its next draw
    int refocus_frames_ = 0;       // frames left for the box to take the keyboard it asked for
    std::vector<unsigned> carried_chars_;  // typed as it did: for the next frame
    char save_path_[512] = "transcript.json";
    std::string send_error_;
    std::string save_message_;
};

}  // namespace pipescope::gui
