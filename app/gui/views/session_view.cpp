#include "views/session_view.hpp"
#include "widgets/ui_helpers.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>

#include <imgui.h>

#include "pipescope/hex.hpp"
#include "pipescope/pipe_security.hpp"
#include "pipescope/sddl.hpp"

namespace pipescope::gui {
namespace {

struct SddlPreset {
    const char* label;
    const char* sddl;  // nullptr: the default (current user, SYSTEM, Administrators)
};
constexpr SddlPreset kSddlPresets[] = {
    {"Current user, SYSTEM, Administrators (default)", nullptr},
    {"Everyone may read, owner full", "D:P(A;;FR;;;WD)(A;;FA;;;OW)(A;;FA;;;SY)"},
    {"Authenticated users read/write", "D:P(A;;FRFW;;;AU)(A;;FA;;;SY)(A;;FA;;;BA)"},
    {"Everyone full control (unsafe)", "D:P(A;;FA;;;WD)"},
    {"Custom SDDL", ""},
};

std::string utf16_preview(std::span<const std::byte> bytes) {
    std::string out;
    for (std::size_t i = 0; i + 1 < bytes.size(); i += 2) {
        unsigned cp = static_cast<unsigned>(bytes[i]) | (static_cast<unsigned>(bytes[i + 1]) << 8);
        if (cp >= 0x20 && cp < 0x7F) out += static_cast<char>(cp);
        else if (cp == '\n') out += "\\n";
        else if (cp == '\r') out += "\\r";
        else if (cp < 0x80) { char b[8]; std::snprintf(b, sizeof b, "\\u%04x", cp); out += b; }
        else if (cp < 0x800) { out += static_cast<char>(0xC0 | (cp >> 6)); out += static_cast<char>(0x80 | (cp & 0x3F)); }
        else { out += static_cast<char>(0xE0 | (cp >> 12)); out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F)); out += static_cast<char>(0x80 | (cp & 0x3F)); }
    }
    if (bytes.size() % 2) out += "\\x" + core::to_hex(bytes.subspan(bytes.size() - 1));
    return out;
}

}  // namespace

SessionView::SessionView(Role role, std::string initial_name, Factory factory, int id)
    : role_(role), factory_(std::move(factory)), id_(id) {
    std::snprintf(name_buf_, sizeof name_buf_, "%s", initial_name.c_str());
    auto kinds = core::available_transports();
    if (!kinds.empty()) endpoint_.kind = kinds.front();
    // As the CLI: overlapped I/O, because with Sync a write waits behind a blocked read on Windows.
    endpoint_.io = core::IoModel::Overlapped;
    options_.behaviour = role == Role::Server ? core::Behaviour::Echo : core::Behaviour::Manual;
}

SessionView::~SessionView() = default;  // the session's destructor stops its workers (bounded)

std::string SessionView::title() const {
    std::string what = role_ == Role::Client ? "Client " : "Server ";
    return what + (name_buf_[0] ? name_buf_ : "(new)") + "###session" + std::to_string(id_);
}

bool SessionView::wants_frames() const { return session_ && shown_ && shown_->running; }

std::string SessionView::task_status() const {
    if (!session_ || !shown_ || !shown_->running) return {};
    return (role_ == Role::Client ? "client: " : "server: ") + shown_->status;
}

bool SessionView::start() {
    form_error_.clear();
    auto name = core::PipeName::parse(name_buf_);
    if (!name) {
        form_error_ = name.error().to_string();
        return false;
    }
    endpoint_.name = *name;
    endpoint_.server.sddl = kSddlPresets[sddl_preset_].sddl ? kSddlPresets[sddl_preset_].sddl : "";
    if (sddl_preset_ == IM_ARRAYSIZE(kSddlPresets) - 1) endpoint_.server.sddl = sddl_buf_;
    if (endpoint_.kind != core::TransportKind::Win32Pipe) endpoint_.server.sddl.clear();  // a file mode instead
    if (role_ == Role::Server && !endpoint_.server.sddl.empty()) {
        // Before Windows sees it: this error names the offset of the mistake.
        if (auto sd = core::parse_sddl(endpoint_.server.sddl); !sd) {
            form_error_ = sd.error().to_string();
            return false;
        }
    }
    options_.connect_timeout = core::Timeout(timeout_ms_);
    if (options_.behaviour == core::Behaviour::Script) {
        auto rules = core::parse_script(script_buf_);
        if (!rules) {
            form_error_ = rules.error().to_string();
            return false;
        }
        options_.rules = std::move(*rules);
    }
    session_ = factory_(role_, endpoint_, options_);
    if (!session_) {
        form_error_ = "the session could not be created";
        return false;
    }
    shown_ = session_->snapshot();
    return true;
}

void SessionView::set_custom_sddl(std::string_view sddl) {
    sddl_preset_ = IM_ARRAYSIZE(kSddlPresets) - 1;
    const std::size_t n = std::min(sddl.size(), sizeof sddl_buf_ - 1);
    std::memcpy(sddl_buf_, sddl.data(), n);
    sddl_buf_[n] = '\0';
}

void SessionView::stop() {
    if (session_) session_->stop();
}

bool SessionView::send(int mode, const std::string& input) {
    send_error_.clear();
    if (!session_) return false;
    core::Result<std::vector<std::byte>> bytes = std::vector<std::byte>{};
    switch (mode) {
        case 0: bytes = core::to_bytes(input); break;
        case 1: bytes = core::utf8_to_utf16le(input); break;
        case 2: bytes = core::parse_hex(input); break;
        default: bytes = core::load_payload_file(input); break;
    }
    if (!bytes) {
        send_error_ = bytes.error().to_string();
        return false;
    }
    session_->send(std::move(*bytes), role_ == Role::Server ? selected_ : 0);
    return true;
}

void SessionView::draw() {
    if (!session_) draw_form();
    else draw_session();
}

// The CreateNamedPipe configuration of a Win32 test server.
void SessionView::draw_win32_server_fields() {
    auto& s = endpoint_.server;
    enum_combo("Open mode", s.direction, {core::PipeDirection::Duplex, core::PipeDirection::Inbound, core::PipeDirection::Outbound});
    enum_combo("Pipe type", s.type, {core::PipeType::Byte, core::PipeType::Message});
    enum_combo("Read mode##server", s.read_mode, {core::PipeType::Byte, core::PipeType::Message});
    ImGui::Checkbox("PIPE_NOWAIT", &s.nowait);
    ImGui::SliderInt("Max instances", &s.max_instances, 1, 255, s.max_instances == 255 ? "unlimited" : "%d");
    {
        // 0 is "automatic"; the label shows what the listener will really keep open.
        const std::string listening_label =
            s.listening_instances == 0
                ? "auto (" + std::to_string(core::effective_listening_instances(s)) + ")"
                : std::to_string(core::effective_listening_instances(s));
        ImGui::SliderInt("Listening instances", &s.listening_instances, 0, core::kMaxListeningInstances,
                         listening_label.c_str());
        if (ImGui::IsItemHovered()) {
            ImGui::SetTooltip("Instances waiting in ConnectNamedPipe at once: that many clients can connect\n"
                              "in the same instant without ERROR_PIPE_BUSY. Never more than max instances.");
        }
    }
    int in_q = static_cast<int>(s.in_quota), out_q = static_cast<int>(s.out_quota);
    if (ImGui::InputInt("In quota (bytes)", &in_q, 4096)) s.in_quota = static_cast<std::uint32_t>(std::max(0, in_q));
    if (ImGui::InputInt("Out quota (bytes)", &out_q, 4096)) s.out_quota = static_cast<std::uint32_t>(std::max(0, out_q));
    int dt = static_cast<int>(s.default_timeout_ms);
    if (ImGui::InputInt("Default timeout (ms)", &dt)) s.default_timeout_ms = static_cast<std::uint32_t>(std::max(0, dt));
    ImGui::Checkbox("FILE_FLAG_FIRST_PIPE_INSTANCE", &s.first_instance);
    ImGui::SameLine();
    ImGui::Checkbox("PIPE_REJECT_REMOTE_CLIENTS", &s.reject_remote);
    if (ImGui::BeginCombo("Security", kSddlPresets[sddl_preset_].label)) {
        for (int i = 0; i < IM_ARRAYSIZE(kSddlPresets); ++i) {
            if (ImGui::Selectable(kSddlPresets[i].label, i == sddl_preset_)) sddl_preset_ = i;
        }
        ImGui::EndCombo();
    }
    if (sddl_preset_ == IM_ARRAYSIZE(kSddlPresets) - 1) ImGui::InputText("SDDL", sddl_buf_, sizeof sddl_buf_);
    else if (kSddlPresets[sddl_preset_].sddl) ImGui::TextDisabled("%s", kSddlPresets[sddl_preset_].sddl);
}

// What a POSIX test server (socket or FIFO) lets the user choose: who may connect (the file's
// mode) and, for sockets, the listen backlog. The Win32 fields do not apply there.
void SessionView::draw_posix_server_fields() {
    auto& s = endpoint_.server;
    ImGui::TextDisabled("%s", endpoint_.kind == core::TransportKind::UnixSeqpacket
                                  ? "Messages: a seqpacket socket keeps each send's boundaries."
                                  : "A byte stream: message boundaries are not kept (use seqpacket for messages).");
    if (ImGui::InputText("File mode (octal)", mode_buf_, sizeof mode_buf_, ImGuiInputTextFlags_CharsDecimal)) {
        char* end = nullptr;
        const unsigned long mode = std::strtoul(mode_buf_, &end, 8);
        if (end != mode_buf_ && *end == '\0' && mode <= 0777) s.socket_mode = static_cast<std::uint32_t>(mode);
    }
    if (ImGui::IsItemHovered()) {
        ImGui::SetTooltip("Who may connect: 600 = only you (the default). The socket or FIFO has this mode\n"
                          "from the moment it exists, and a live server's name is never taken over.");
    }
    if (endpoint_.kind != core::TransportKind::Fifo) {
        if (ImGui::InputInt("Backlog", &s.backlog)) s.backlog = std::clamp(s.backlog, 1, 4096);
    }
}

void SessionView::draw_form() {
    const bool client = role_ == Role::Client;
    ImGui::TextUnformatted(client ? "Connect to a pipe as a test client" : "Stand up a test server");
    ImGui::Separator();
    ImGui::PushItemWidth(320);
    ImGui::InputTextWithHint("Pipe name", "\\\\.\\pipe\\name, a bare name, /path/x.sock or @abstract", name_buf_,
                             sizeof name_buf_);
    if (ImGui::BeginCombo("Transport", std::string(core::to_string(endpoint_.kind)).c_str())) {
        for (auto k : core::available_transports()) {
            if (ImGui::Selectable(std::string(core::to_string(k)).c_str(), k == endpoint_.kind)) endpoint_.kind = k;
        }
        ImGui::EndCombo();
    }
    if (endpoint_.kind == core::TransportKind::Win32Pipe) {
        enum_combo("I/O model", endpoint_.io, {core::IoModel::Sync, core::IoModel::Overlapped, core::IoModel::Iocp});
    }
    if (client) {
        ImGui::SliderInt("Connect timeout", &timeout_ms_, 100, 60000, "%d ms", ImGuiSliderFlags_Logarithmic);
        ImGui::Checkbox("Retry while busy (WaitNamedPipe)", &endpoint_.client.retry_busy);
        int reply_ms = static_cast<int>(options_.reply_timeout.count());
        if (ImGui::SliderInt("Reply timeout", &reply_ms, 0, 60000, reply_ms == 0 ? "off" : "%d ms",
                             ImGuiSliderFlags_Logarithmic)) {
            options_.reply_timeout = core::Timeout(reply_ms);
        }
        if (ImGui::IsItemHovered()) {
            ImGui::SetTooltip("After a send, no reply within this long is shown as an error");
        }
        enum_combo("Impersonation level", endpoint_.client.impersonation,
                   {core::ImpersonationLevel::Anonymous, core::ImpersonationLevel::Identification,
                    core::ImpersonationLevel::Impersonation, core::ImpersonationLevel::Delegation});
        for (const auto& w : core::client_security_warnings(endpoint_.client, endpoint_.kind)) {
            ImGui::TextColored(ImVec4(1, 0.7f, 0.3f, 1), "Warning: %s", w.c_str());
        }
        enum_combo("Read mode", endpoint_.client.read_mode, {core::PipeType::Byte, core::PipeType::Message});
        enum_combo("Access", endpoint_.client.access,
                   {core::PipeDirection::Duplex, core::PipeDirection::Inbound, core::PipeDirection::Outbound});
    } else {
        auto& s = endpoint_.server;
        if (endpoint_.kind == core::TransportKind::Win32Pipe) {
            draw_win32_server_fields();
        } else {
            draw_posix_server_fields();
        }
        // Say so whenever the form is looser than the defaults (computed in core, shown here).
        core::ServerConfig shown = s;
        shown.sddl = sddl_preset_ == IM_ARRAYSIZE(kSddlPresets) - 1
                         ? std::string(sddl_buf_)
                         : (kSddlPresets[sddl_preset_].sddl ? kSddlPresets[sddl_preset_].sddl : "");
        for (const auto& w : core::server_security_warnings(shown, endpoint_.kind)) {
            ImGui::TextColored(ImVec4(1, 0.7f, 0.3f, 1), "Warning: %s", w.c_str());
        }
    }
    enum_combo("Behaviour", options_.behaviour,
               {core::Behaviour::Manual, core::Behaviour::Echo, core::Behaviour::Sink, core::Behaviour::Script});
    ImGui::Checkbox("Line mode (newline-delimited, e.g. JSON lines)", &options_.line_mode);
    ImGui::PopItemWidth();
    if (options_.behaviour == core::Behaviour::Script) {
        ImGui::TextDisabled("One rule per line: prefix TEXT => REPLY  or  regex PATTERN => REPLY");
        ImGui::InputTextMultiline("##script", script_buf_, sizeof script_buf_, ImVec2(-1, 100));
    }
    if (client) {
        ImGui::TextColored(ImVec4(1.0f, 0.8f, 0.4f, 1.0f), "Connecting opens the pipe: its server sees a new client.");
    }
    if (ImGui::Button(client ? "Connect" : "Start server")) start();
    if (!form_error_.empty()) {
        ImGui::PushStyleColor(ImGuiCol_Text, ImVec4(1.0f, 0.45f, 0.42f, 1.0f));
        ImGui::TextWrapped("%s", form_error_.c_str());
        ImGui::PopStyleColor();
    }
}

void SessionView::draw_session() {
    shown_ = session_->snapshot();
    const auto& snap = *shown_;
    ImGui::TextColored(snap.running ? ImVec4(0.45f, 0.85f, 0.5f, 1) : ImVec4(0.6f, 0.6f, 0.65f, 1), "%s",
                       snap.running ? "running" : "stopped");
    ImGui::SameLine();
    ImGui::TextUnformatted(snap.address.c_str());
    ImGui::SameLine();
    ImGui::TextDisabled("%s", snap.status.c_str());
    ImGui::SameLine();
    if (snap.running && ImGui::SmallButton("Stop")) stop();
    ImGui::Text("in: %llu bytes, %llu messages   out: %llu bytes, %llu messages",
                static_cast<unsigned long long>(snap.totals.bytes_in),
                static_cast<unsigned long long>(snap.totals.messages_in),
                static_cast<unsigned long long>(snap.totals.bytes_out),
                static_cast<unsigned long long>(snap.totals.messages_out));
    for (const auto& e : snap.events) {
        if (e.kind == core::EventKind::Error) ImGui::TextColored(ImVec4(1.0f, 0.45f, 0.42f, 1), "%s", e.text.c_str());
    }

    // Conversations (a server's clients).
    const core::ConversationSnapshot* current = nullptr;
    if (role_ == Role::Server) {
        ImGui::BeginChild("##clients", ImVec2(260, 0), true);
        ImGui::TextDisabled("Clients");
        for (const auto& c : snap.conversations) {
            ImGui::PushID(static_cast<int>(c.id));
            // Appended piecewise: GCC 12 -O3 (MinGW) warns falsely on "x" + string (-Wrestrict).
            std::string label = "#";
            label += std::to_string(c.id);
            if (c.peer.pid) {
                label += "  PID ";
                label += std::to_string(*c.peer.pid);
            }
            if (!c.peer.image.empty()) {
                label += "  ";
                label += c.peer.image.substr(c.peer.image.find_last_of("/\\") + 1);
            }
            if (!c.connected) label += "  (gone)";
            if (ImGui::Selectable(label.c_str(), selected_ == c.id)) selected_ = c.id;
            if (ImGui::IsItemHovered() && !c.peer.image.empty()) ImGui::SetTooltip("%s", c.peer.image.c_str());
            if (c.connected) {
                ImGui::SameLine(200);
                if (ImGui::SmallButton("Drop")) session_->disconnect(c.id);
            }
            ImGui::PopID();
        }
        if (snap.conversations.empty()) ImGui::TextDisabled("waiting for clients...");
        ImGui::EndChild();
        ImGui::SameLine();
        for (const auto& c : snap.conversations) {
            if (c.id == selected_) current = &c;
        }
        if (!current && !snap.conversations.empty()) {
            current = &snap.conversations.back();
            selected_ = current->id;
        }
    } else if (!snap.conversations.empty()) {
        current = &snap.conversations.back();
    }

    ImGui::BeginGroup();
    if (current) {
        ImGui::Text("Peer PID %s  %s", current->peer.pid ? std::to_string(*current->peer.pid).c_str() : "?",
                    current->peer.image.c_str());
        draw_transcript(*current);
    } else {
        ImGui::TextDisabled(role_ == Role::Client ? "connecting..." : "no client selected");
    }
    ImGui::EndGroup();
}

std::string SessionView::preview(std::span<const std::byte> bytes, std::size_t max_chars) const {
    // Bytes per shown character: hex takes three ("41 "), UTF-16LE text half a character per
    // byte, escaped text one or more (so this many bytes never show fewer characters).
    const std::size_t n = view_mode_ == 1 ? max_chars / 3 : view_mode_ == 2 ? max_chars * 2 : max_chars;
    auto shown = bytes.first(std::min(bytes.size(), n));
    std::string text = view_mode_ == 1   ? core::to_hex(shown)
                       : view_mode_ == 2 ? utf16_preview(shown)
                                         : core::escape_bytes(shown);
    if (shown.size() < bytes.size()) text += " ...";
    return text;
}

void SessionView::draw_transcript(const core::ConversationSnapshot& c) {
    ImGui::RadioButton("Text", &view_mode_, 0);
    ImGui::SameLine();
    ImGui::RadioButton("Hex", &view_mode_, 1);
    ImGui::SameLine();
    ImGui::RadioButton("UTF-16LE", &view_mode_, 2);
    ImGui::SameLine();
    ImGui::Checkbox("Follow", &follow_);
    ImGui::SameLine();
    ImGui::SetNextItemWidth(200);
    ImGui::InputText("##savepath", save_path_, sizeof save_path_);
    ImGui::SameLine();
    if (ImGui::Button("Save transcript")) {
        auto st = c.transcript.save(save_path_);
        save_message_ = st ? std::string("saved to ") + save_path_ : st.error().to_string();
    }
    if (!save_message_.empty()) ImGui::TextDisabled("%s", save_message_.c_str());

    const float send_h = ImGui::GetFrameHeightWithSpacing() * 2.5f;
    const auto& frames = c.transcript.frames();
    constexpr ImGuiTableFlags flags = ImGuiTableFlags_ScrollY | ImGuiTableFlags_RowBg |
                                      ImGuiTableFlags_BordersInnerV | ImGuiTableFlags_Resizable;
    if (ImGui::BeginTable("##transcript", 4, flags, ImVec2(0, -send_h))) {
        ImGui::TableSetupScrollFreeze(0, 1);
        ImGui::TableSetupColumn("Time", ImGuiTableColumnFlags_WidthFixed, 120);
        ImGui::TableSetupColumn("Dir", ImGuiTableColumnFlags_WidthFixed, 36);
        ImGui::TableSetupColumn("Bytes", ImGuiTableColumnFlags_WidthFixed, 70);
        ImGui::TableSetupColumn("Data", ImGuiTableColumnFlags_WidthStretch);
        ImGui::TableHeadersRow();
        ImGuiListClipper clipper;
        clipper.Begin(static_cast<int>(frames.size()));
        while (clipper.Step()) {
            for (int i = clipper.DisplayStart; i < clipper.DisplayEnd; ++i) {
                const core::Frame& f = *frames[static_cast<std::size_t>(i)];
                ImGui::TableNextRow();
                ImGui::TableNextColumn();
                ImGui::TextUnformatted(clock_text_us(f.unix_us, 6).c_str());
                ImGui::TableNextColumn();
                const bool in = f.direction == core::Direction::In;
                ImGui::TextColored(in ? ImVec4(0.5f, 0.8f, 1.0f, 1) : ImVec4(0.6f, 0.9f, 0.5f, 1), in ? "<-" : "->");
                ImGui::TableNextColumn();
                if (f.omitted_bytes > 0) {
                    ImGui::Text("%zu+%llu |", f.bytes.size(), static_cast<unsigned long long>(f.omitted_bytes));
                    if (ImGui::IsItemHovered()) {
                        ImGui::SetTooltip("%llu more bytes of this message were not recorded (transcript message cap)",
                                          static_cast<unsigned long long>(f.omitted_bytes));
                    }
                } else {
                    ImGui::Text("%zu%s", f.bytes.size(), f.message_end ? " |" : " ...");
                }
                if (ImGui::IsItemHovered()) {
                    ImGui::SetTooltip(f.message_end ? "the message ends here" : "the message continues in the next frame");
                }
                ImGui::TableNextColumn();
                // A row shows what fits on one line; hovering shows more. Whole 4 KiB frames
                // on every visible row (a flooding peer's) made each UI frame escape and lay
                // out ~100 KiB of text.
                ImGui::TextUnformatted(preview(f.bytes, kRowPreviewChars).c_str());
                if (f.bytes.size() > 0 && ImGui::IsItemHovered()) {
                    ImGui::BeginTooltip();
                    ImGui::PushTextWrapPos(ImGui::GetFontSize() * 60.0f);
                    ImGui::TextUnformatted(preview(f.bytes, kTooltipPreviewChars).c_str());
                    ImGui::PopTextWrapPos();
                    ImGui::TextDisabled("%zu bytes; Save transcript keeps every byte", f.bytes.size());
                    ImGui::EndTooltip();
                }
            }
        }
        if (follow_ && frames.size() != last_frames_) ImGui::SetScrollHereY(1.0f);
        last_frames_ = frames.size();
        ImGui::EndTable();
    }
    if (c.transcript.dropped_frames() > 0) {
        ImGui::TextDisabled("%llu older frames dropped (transcript cap)",
                            static_cast<unsigned long long>(c.transcript.dropped_frames()));
    }
    // Send box.
    static const char* kModes[] = {"Text (UTF-8)", "Text (UTF-16LE)", "Hex", "File"};
    ImGui::SetNextItemWidth(130);
    ImGui::Combo("##sendmode", &send_mode_, kModes, IM_ARRAYSIZE(kModes));
    ImGui::SameLine();
    ImGui::SetNextItemWidth(-80);
    bool enter = ImGui::InputTextWithHint("##send", send_mode_ == 3 ? "path of a file to send" : "type and press Enter",
                                          send_buf_, sizeof send_buf_, ImGuiInputTextFlags_EnterReturnsTrue);
    ImGui::SameLine();
    if ((ImGui::Button("Send") || enter) && c.connected) {
        std::string input = send_buf_;
        if (options_.line_mode && send_mode_ < 2) input += "\n";
        if (send(send_mode_, input)) send_buf_[0] = '\0';
    }
    if (!send_error_.empty()) ImGui::TextColored(ImVec4(1.0f, 0.45f, 0.42f, 1), "%s", send_error_.c_str());
}

}  // namespace pipescope::gui
