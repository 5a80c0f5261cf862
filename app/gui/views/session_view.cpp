#include "views/session_view.hpp"

#include <algorithm>
#include <cstdio>

#include <imgui.h>

#include "pipescope/hex.hpp"
#include "shell/palette.hpp"
#include "widgets/remote_check_steps.hpp"
#include "widgets/ui_helpers.hpp"

namespace pipescope::gui {
namespace {

void draw_warnings(const std::vector<std::string>& warnings) {
    for (const auto& w : warnings) {
        ImGui::TextColored(current_palette().warning, "Warning: %s", w.c_str());
    }
}

}  // namespace

SessionView::SessionView(Role role, std::string initial_name, Factory factory, int id)
    : factory_(std::move(factory)),
      id_(id),
      form_(role, std::move(initial_name)),
      server_fields_(form_) {
    copy_to(name_buf_, form_.name);
    copy_to(script_buf_, form_.script);
}

SessionView::~SessionView() = default;  // the session's destructor stops its workers (bounded)

std::string SessionView::title() const {
    std::string what = form_.server() ? "Server " : "Client ";
    return what + (name_buf_[0] ? name_buf_ : "(new)") + "###session" + std::to_string(id_);
}

bool SessionView::wants_frames() const {
    // A remote-check ends on its worker: frames keep coming until its result is drawn.
    return (session_ && shown_ && shown_->running) || remote_check_.running();
}

std::string SessionView::task_status() const {
    if (!session_ || !shown_ || !shown_->running) return {};
    return (form_.server() ? "server: " : "client: ") + shown_->status;
}

bool SessionView::start() {
    form_error_.clear();
    form_.name = name_buf_;
    form_.script = script_buf_;
    form_.endpoint.client.remote.user = user_buf_;
    form_.password_file = password_file_buf_;
    if (auto st = form_.resolve(); !st) {
        form_error_ = st.error().to_string();
        return false;
    }
    session_ = factory_(form_.role(), form_.endpoint, form_.options);
    if (!session_) {
        form_error_ = "the session could not be created";
        return false;
    }
    shown_ = session_->snapshot();
    remote_checked_ = false;
    line_ending_ = default_line_ending(form_.role(), form_.endpoint);
    focus_send_box_ = true;
    return true;
}

void SessionView::set_custom_sddl(std::string_view sddl) {
    server_fields_.set_custom_sddl(form_, sddl);
}

void SessionView::stop() {
    if (session_) session_->stop();
}

bool SessionView::send(SendMode mode, const std::string& input) {
    send_error_.clear();
    if (!session_) return false;
    auto bytes = encode(mode, input);
    if (!bytes) {
        send_error_ = bytes.error().to_string();
        return false;
    }
    session_->send(std::move(*bytes), form_.server() ? selected_ : 0);
    return true;
}

void SessionView::draw() {
    if (!session_)
        draw_form();
    else
        draw_session();
}

void SessionView::draw_form() {
    const bool client = !form_.server();
    ImGui::TextUnformatted(client ? "Connect to a pipe as a test client"
                                  : "Stand up a test server");
    ImGui::Separator();
    ImGui::PushItemWidth(320);
    ImGui::InputTextWithHint("Pipe name",
                             "\\\\.\\pipe\\name, a bare name, /path/x.sock or @abstract", name_buf_,
                             sizeof name_buf_);
    draw_transport_fields(form_.endpoint);
    if (client)
        draw_client_fields();
    else
        server_fields_.draw(form_);
    auto& opt = form_.options;
    enum_combo("Behaviour", opt.behaviour,
               {core::Behaviour::Manual, core::Behaviour::Echo, core::Behaviour::Sink,
                core::Behaviour::Script});
    ImGui::Checkbox("Line mode (newline-delimited, e.g. JSON lines)", &opt.line_mode);
    ImGui::PopItemWidth();
    if (opt.behaviour == core::Behaviour::Script) {
        ImGui::TextDisabled("One rule per line: prefix TEXT => REPLY  or  regex PATTERN => REPLY");
        ImGui::InputTextMultiline("##script", script_buf_, sizeof script_buf_, ImVec2(-1, 100));
    }
    const Palette& pal = current_palette();
    if (client) {
        ImGui::TextColored(pal.notice, "Connecting opens the pipe: its server sees a new client.");
    }
    if (ImGui::Button(client ? "Connect" : "Start server")) start();
    if (!form_error_.empty()) {
        ImGui::PushStyleColor(ImGuiCol_Text, pal.error);
        ImGui::TextWrapped("%s", form_error_.c_str());
        ImGui::PopStyleColor();
    }
}

void SessionView::draw_client_fields() {
    auto& c = form_.endpoint.client;
    if (is_remote_name(name_buf_)) draw_remote_fields();
    ImGui::SliderInt("Connect timeout", &form_.timeout_ms, 100, 60000, "%d ms",
                     ImGuiSliderFlags_Logarithmic);
    ImGui::Checkbox("Retry while busy (WaitNamedPipe)", &c.retry_busy);
    int reply_ms = static_cast<int>(form_.options.reply_timeout.count());
    if (ImGui::SliderInt("Reply timeout", &reply_ms, 0, 60000, reply_ms == 0 ? "off" : "%d ms",
                         ImGuiSliderFlags_Logarithmic)) {
        form_.options.reply_timeout = core::Timeout(reply_ms);
    }
    if (ImGui::IsItemHovered()) {
        ImGui::SetTooltip("After a send, no reply within this long is shown as an error");
    }
    enum_combo("Impersonation level", c.impersonation,
               {core::ImpersonationLevel::Anonymous, core::ImpersonationLevel::Identification,
                core::ImpersonationLevel::Impersonation, core::ImpersonationLevel::Delegation});
    draw_warnings(form_.warnings());
    enum_combo("Read mode", c.read_mode, {core::PipeType::Byte, core::PipeType::Message});
    enum_combo(
        "Access", c.access,
        {core::PipeDirection::Duplex, core::PipeDirection::Inbound, core::PipeDirection::Outbound});
}

void SessionView::draw_remote_fields() {
    auto& r = form_.endpoint.client.remote;
    int port = r.smb_port;
    if (ImGui::InputInt("SMB port", &port, 0))
        r.smb_port = static_cast<std::uint16_t>(std::clamp(port, 1, 65535));
#ifdef _WIN32
    ImGui::TextColored(current_palette().notice,
                       "Windows opens remote pipes through its redirector: port 445 and your "
                       "logon; the SMB port is used by the remote-check's TCP step only.");
#else
    ImGui::InputTextWithHint("User", "DOMAIN\\user; empty: guest", user_buf_, sizeof user_buf_);
    ImGui::InputTextWithHint("Password file", "a file whose first line is the password",
                             password_file_buf_, sizeof password_file_buf_);
    ImGui::Checkbox("Require signing", &r.require_signing);
    ImGui::SameLine();
    ImGui::Checkbox("Encrypt (SMB3)", &r.encrypt);
#endif
}

void SessionView::draw_remote_check(const core::SessionSnapshot& snap) {
    if (form_.server()) return;
    if (!remote_checked_ && remote_connect_failed(form_.endpoint, snap)) {
        remote_checked_ = true;
        core::RemoteCheckOptions o;
        o.remote = form_.endpoint.client.remote;
        o.timeout = core::Timeout(std::max(form_.timeout_ms, 1000));
        remote_check_.start(form_.endpoint.name, o);
    }
    remote_check_.sync();
    if (draw_remote_check_steps(remote_check_.progress())) remote_checked_ = false;
}

}  // namespace pipescope::gui
