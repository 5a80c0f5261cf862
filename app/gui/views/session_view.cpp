#include "views/session_view.hpp"

#include <algorithm>
#include <cstdio>

#include <imgui.h>

#include "pipescope/hex.hpp"
#include "shell/palette.hpp"
#include "widgets/ui_helpers.hpp"

namespace pipescope::gui {
namespace {

template <std::size_t N>
void copy_to(char (&buf)[N], std::string_view text) {
    const std::size_t n = std::min(text.size(), N - 1);
    std::copy_n(text.data(), n, buf);
    buf[n] = '\0';
}

void draw_warnings(const std::vector<std::string>& warnings) {
    for (const auto& w : warnings) {
        ImGui::TextColored(current_palette().warning, "Warning: %s", w.c_str());
    }
}

}  // namespace

SessionView::SessionView(Role role, std::string initial_name, Factory factory, int id)
    : factory_(std::move(factory)), id_(id), form_(role, std::move(initial_name)) {
    copy_to(name_buf_, form_.name);
    copy_to(mode_buf_, form_.file_mode_text());
    copy_to(script_buf_, form_.script);
}

SessionView::~SessionView() = default;  // the session's destructor stops its workers (bounded)

std::string SessionView::title() const {
    std::string what = form_.server() ? "Server " : "Client ";
    return what + (name_buf_[0] ? name_buf_ : "(new)") + "###session" + std::to_string(id_);
}

bool SessionView::wants_frames() const {
    return session_ && shown_ && shown_->running;
}

std::string SessionView::task_status() const {
    if (!session_ || !shown_ || !shown_->running) return {};
    return (form_.server() ? "server: " : "client: ") + shown_->status;
}

bool SessionView::start() {
    form_error_.clear();
    form_.name = name_buf_;
    form_.script = script_buf_;
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
    return true;
}

void SessionView::set_custom_sddl(std::string_view sddl) {
    form_.set_custom_sddl(sddl);
    copy_to(sddl_buf_, form_.custom_sddl());
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
    auto& ep = form_.endpoint;
    if (ImGui::BeginCombo("Transport", std::string(core::to_string(ep.kind)).c_str())) {
        for (auto k : core::available_transports()) {
            if (ImGui::Selectable(std::string(core::to_string(k)).c_str(), k == ep.kind))
                ep.kind = k;
        }
        ImGui::EndCombo();
    }
    if (ep.kind == core::TransportKind::Win32Pipe) {
        enum_combo("I/O model", ep.io,
                   {core::IoModel::Sync, core::IoModel::Overlapped, core::IoModel::Iocp});
    }
    if (client)
        draw_client_fields();
    else
        draw_server_fields();
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

void SessionView::draw_server_fields() {
    if (form_.endpoint.kind == core::TransportKind::Win32Pipe) {
        draw_win32_server_fields();
    } else {
        draw_posix_server_fields();
    }
    // Say so whenever the form is looser than the defaults (computed in core, shown here).
    draw_warnings(form_.warnings());
}

// The CreateNamedPipe configuration of a Win32 test server.
void SessionView::draw_win32_server_fields() {
    auto& s = form_.endpoint.server;
    enum_combo(
        "Open mode", s.direction,
        {core::PipeDirection::Duplex, core::PipeDirection::Inbound, core::PipeDirection::Outbound});
    enum_combo("Pipe type", s.type, {core::PipeType::Byte, core::PipeType::Message});
    enum_combo("Read mode##server", s.read_mode, {core::PipeType::Byte, core::PipeType::Message});
    ImGui::Checkbox("PIPE_NOWAIT", &s.nowait);
    ImGui::SliderInt("Max instances", &s.max_instances, 1, 255,
                     s.max_instances == 255 ? "unlimited" : "%d");
    // 0 is "automatic"; the label shows what the listener will really keep open.
    const std::string listening = std::to_string(core::effective_listening_instances(s));
    ImGui::SliderInt("Listening instances", &s.listening_instances, 0, core::kMaxListeningInstances,
                     (s.listening_instances == 0 ? "auto (" + listening + ")" : listening).c_str());
    if (ImGui::IsItemHovered()) {
        ImGui::SetTooltip(
            "Instances waiting in ConnectNamedPipe at once: that many clients can connect\n"
            "in the same instant without ERROR_PIPE_BUSY. Never more than max instances.");
    }
    auto input_u32 = [](const char* label, std::uint32_t& value, int step) {
        int v = static_cast<int>(value);
        if (ImGui::InputInt(label, &v, step)) value = static_cast<std::uint32_t>(std::max(0, v));
    };
    input_u32("In quota (bytes)", s.in_quota, 4096);
    input_u32("Out quota (bytes)", s.out_quota, 4096);
    input_u32("Default timeout (ms)", s.default_timeout_ms, 1);
    ImGui::Checkbox("FILE_FLAG_FIRST_PIPE_INSTANCE", &s.first_instance);
    ImGui::SameLine();
    ImGui::Checkbox("PIPE_REJECT_REMOTE_CLIENTS", &s.reject_remote);
    const auto presets = sddl_presets();
    if (ImGui::BeginCombo("Security", presets[form_.sddl_preset()].label)) {
        for (std::size_t i = 0; i < presets.size(); ++i) {
            if (ImGui::Selectable(presets[i].label, i == form_.sddl_preset())) {
                form_.select_sddl_preset(i);
            }
        }
        ImGui::EndCombo();
    }
    if (form_.custom_sddl_selected()) {
        if (ImGui::InputText("SDDL", sddl_buf_, sizeof sddl_buf_)) form_.set_custom_sddl(sddl_buf_);
    } else if (!form_.chosen_sddl().empty()) {
        ImGui::TextDisabled("%s", form_.chosen_sddl().c_str());
    }
}

// What a POSIX test server (socket or FIFO) lets the user choose: who may connect (the file's
// mode) and, for sockets, the listen backlog. The Win32 fields do not apply there.
void SessionView::draw_posix_server_fields() {
    auto& ep = form_.endpoint;
    ImGui::TextDisabled("%s", ep.kind == core::TransportKind::UnixSeqpacket
                                  ? "Messages: a seqpacket socket keeps each send's boundaries."
                                  : "A byte stream: message boundaries are not kept (use "
                                    "seqpacket for messages).");
    if (ImGui::InputText("File mode (octal)", mode_buf_, sizeof mode_buf_,
                         ImGuiInputTextFlags_CharsDecimal)) {
        form_.set_file_mode_text(mode_buf_);
    }
    if (ImGui::IsItemHovered()) {
        ImGui::SetTooltip(
            "Who may connect: 600 = only you (the default). The socket or FIFO has this mode\n"
            "from the moment it exists, and a live server's name is never taken over.");
    }
    if (ep.kind != core::TransportKind::Fifo) {
        if (ImGui::InputInt("Backlog", &ep.server.backlog)) {
            ep.server.backlog = std::clamp(ep.server.backlog, 1, 4096);
        }
    }
}

}  // namespace pipescope::gui
