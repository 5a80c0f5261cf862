#include "views/monitor_view.hpp"

#include <algorithm>
#include <cstdio>

#include <imgui.h>

#include "shell/palette.hpp"
#include "widgets/ui_helpers.hpp"

namespace pipescope::gui {
namespace {

std::string file_name(const std::string& path) {
    return path.substr(path.find_last_of("/\\") + 1);
}

std::string bytes_text(std::uint64_t n) {
    char buf[32];
    if (n < 10 * 1024)
        std::snprintf(buf, sizeof buf, "%llu B", static_cast<unsigned long long>(n));
    else if (n < 10ull * 1024 * 1024)
        std::snprintf(buf, sizeof buf, "%.1f KiB", static_cast<double>(n) / 1024.0);
    else
        std::snprintf(buf, sizeof buf, "%.1f MiB", static_cast<double>(n) / (1024.0 * 1024.0));
    return buf;
}

}  // namespace

MonitorView::MonitorView(std::string listen_name, std::string target_name, Factory factory, int id)
    : factory_(std::move(factory)),
      id_(id),
      form_(std::move(listen_name), std::move(target_name)),
      server_fields_(form_.listen) {
    copy_to(listen_buf_, form_.listen.name);
    copy_to(target_buf_, form_.target_name);
}

MonitorView::~MonitorView() = default;  // the proxy's destructor stops its workers (bounded)

std::string MonitorView::title() const {
    std::string t = "Monitor ";
    t += listen_buf_[0] ? listen_buf_ : "(new)";
    if (target_buf_[0]) {
        t += " -> ";
        t += target_buf_;
    }
    return t + "###monitor" + std::to_string(id_);
}

bool MonitorView::wants_frames() const {
    const auto* snap = model_.snapshot();
    return session_ && snap && snap->running;
}

std::string MonitorView::task_status() const {
    const auto* snap = model_.snapshot();
    if (!session_ || !snap || !snap->running) return {};
    return "proxy: " + snap->status;
}

bool MonitorView::start() {
    form_error_.clear();
    form_.listen.name = listen_buf_;
    form_.target_name = target_buf_;
    if (auto st = form_.resolve(); !st) {
        form_error_ = st.error().to_string();
        return false;
    }
    session_ = factory_(form_.listen.endpoint, form_.target(), form_.options);
    if (!session_) {
        form_error_ = "the proxy could not be created";
        return false;
    }
    model_.update(session_->snapshot());
    return true;
}

void MonitorView::stop() {
    if (session_) session_->stop();
}

bool MonitorView::save(const std::string& path) {
    auto st = model_.save(path);
    const std::string what = model_.filter() == 0
                                 ? std::string("every connection")
                                 : "connection #" + std::to_string(model_.filter());
    save_message_ = st ? "saved " + what + " to " + path : st.error().to_string();
    return static_cast<bool>(st);
}

void MonitorView::draw() {
    if (!session_)
        draw_form();
    else
        draw_live();
}

// In a child that scrolls with a scrollbar: with the Win32 server settings the form is taller
// than a small window (the workspace itself shows no scrollbar), and Start must stay reachable.
void MonitorView::draw_form() {
    if (ImGui::BeginChild("##monitorform")) draw_form_fields();
    ImGui::EndChild();
}

void MonitorView::draw_form_fields() {
    const Palette& pal = current_palette();
    ImGui::TextUnformatted("Monitor a conversation: a proxy between a real client and its server");
    ImGui::TextDisabled(
        "Clients connect to the listen name; each gets its own connection to the target, and "
        "every unit both ways is recorded.");
    ImGui::Separator();
    ImGui::PushItemWidth(320);
    ImGui::TextUnformatted("Listen (where clients connect)");
    ImGui::InputTextWithHint("Listen name",
                             "\\\\.\\pipe\\name, a bare name, /path/x.sock or @abstract",
                             listen_buf_, sizeof listen_buf_);
    draw_transport_fields(form_.listen.endpoint);
    server_fields_.draw(form_.listen);
    ImGui::Separator();
    draw_target_fields();
    ImGui::PopItemWidth();
    ImGui::Separator();
    ImGui::TextColored(pal.notice, "What a proxy in between changes:");
    ImGui::PushStyleColor(ImGuiCol_Text, pal.notice);
    for (const auto& line : form_.what_changes()) ImGui::BulletText("%s", line.c_str());
    ImGui::PopStyleColor();
    if (ImGui::Button("Start proxy")) start();
    if (!form_error_.empty()) {
        ImGui::PushStyleColor(ImGuiCol_Text, pal.error);
        ImGui::TextWrapped("%s", form_error_.c_str());
        ImGui::PopStyleColor();
    }
}

void MonitorView::draw_target_fields() {
    ImGui::TextUnformatted("Target (the real server)");
    ImGui::InputTextWithHint("Target name", "the server's pipe name, socket path or FIFO base",
                             target_buf_, sizeof target_buf_);
    const auto kinds = MonitorForm::explicit_target_kinds();
    const std::string implied = "from the name (" +
                                std::string(core::to_string(core::available_transports().front())) +
                                ")";
    auto& tt = form_.target_transport;
    const std::string shown = tt ? std::string(core::to_string(*tt)) : implied;
    if (ImGui::BeginCombo("Target transport", shown.c_str())) {
        if (ImGui::Selectable(implied.c_str(), !tt)) tt.reset();
        for (auto k : kinds) {
            if (ImGui::Selectable(std::string(core::to_string(k)).c_str(), tt == k)) tt = k;
        }
        ImGui::EndCombo();
    }
    if (tt == core::TransportKind::Tcp) {
        ImGui::InputInt("Target port (127.0.0.1)", &form_.target_port);
        form_.target_port = std::clamp(form_.target_port, 0, 65535);
    }
    ImGui::SliderInt("Target timeout", &form_.target_timeout_ms, 100, 60000, "%d ms",
                     ImGuiSliderFlags_Logarithmic);
    if (ImGui::IsItemHovered()) {
        ImGui::SetTooltip(
            "A missing or busy target is retried this long, then the client is "
            "disconnected with the reason");
    }
    enum_combo("Impersonation level", form_.options.impersonation,
               {core::ImpersonationLevel::Anonymous, core::ImpersonationLevel::Identification,
                core::ImpersonationLevel::Impersonation, core::ImpersonationLevel::Delegation});
    if (ImGui::IsItemHovered()) {
        ImGui::SetTooltip("What the server may do with the proxy's identity (Win32 targets)");
    }
    bool lines = form_.options.frame == core::FrameMode::Lines;
    if (ImGui::Checkbox("Frame lines (byte stream to messages: one line each)", &lines)) {
        form_.options.frame = lines ? core::FrameMode::Lines : core::FrameMode::Reads;
    }
    if (ImGui::IsItemHovered()) {
        ImGui::SetTooltip(
            "Where a byte stream is forwarded to a side that keeps messages: each "
            "line is one message (off: each read is one)");
    }
}

void MonitorView::draw_live() {
    model_.update(session_->snapshot());
    const auto& snap = *model_.snapshot();
    const Palette& pal = current_palette();
    ImGui::TextColored(snap.running ? pal.ok : pal.dim, "%s", snap.running ? "running" : "stopped");
    ImGui::SameLine();
    ImGui::TextUnformatted(snap.address.c_str());
    ImGui::SameLine();
    ImGui::TextDisabled("-> %s", form_.target_address().c_str());
    ImGui::SameLine();
    ImGui::TextDisabled("%s", snap.status.c_str());
    ImGui::SameLine();
    if (snap.running && ImGui::SmallButton("Stop")) stop();
    for (const auto& e : snap.events) {
        if (e.kind == core::EventKind::Error) ImGui::TextColored(pal.error, "%s", e.text.c_str());
    }
    draw_connections();
    draw_transcript_toolbar();
    draw_transcript();
}

// One row per connection; a click shows only that connection's transcript (again: all).
void MonitorView::draw_connections() {
    const auto& rows = model_.connections();
    const float row_h = ImGui::GetTextLineHeightWithSpacing();
    const float h = row_h * static_cast<float>(std::clamp<std::size_t>(rows.size(), 1, 6) + 1) +
                    ImGui::GetStyle().CellPadding.y * 4;
    constexpr ImGuiTableFlags flags = ImGuiTableFlags_ScrollY | ImGuiTableFlags_RowBg |
                                      ImGuiTableFlags_BordersInnerV | ImGuiTableFlags_Resizable;
    if (!ImGui::BeginTable("##connections", 7, flags, ImVec2(0, h))) return;
    ImGui::TableSetupScrollFreeze(0, 1);
    ImGui::TableSetupColumn("#", ImGuiTableColumnFlags_WidthFixed, 40);
    ImGui::TableSetupColumn("Client PID", ImGuiTableColumnFlags_WidthFixed, 80);
    ImGui::TableSetupColumn("Client image", ImGuiTableColumnFlags_WidthFixed, 180);
    ImGui::TableSetupColumn("To server", ImGuiTableColumnFlags_WidthFixed, 90);
    ImGui::TableSetupColumn("To client", ImGuiTableColumnFlags_WidthFixed, 90);
    ImGui::TableSetupColumn("State", ImGuiTableColumnFlags_WidthStretch);
    ImGui::TableSetupColumn("", ImGuiTableColumnFlags_WidthFixed, 50);
    ImGui::TableHeadersRow();
    const Palette& pal = current_palette();
    ImGuiListClipper clipper;
    clipper.Begin(static_cast<int>(rows.size()));
    while (clipper.Step()) {
        for (int i = clipper.DisplayStart; i < clipper.DisplayEnd; ++i) {
            const auto& r = rows[static_cast<std::size_t>(i)];
            ImGui::PushID(static_cast<int>(r.number));
            ImGui::TableNextRow();
            ImGui::TableNextColumn();
            const std::string label = "#" + std::to_string(r.number);
            if (ImGui::Selectable(
                    label.c_str(), model_.filter() == r.number,
                    ImGuiSelectableFlags_SpanAllColumns | ImGuiSelectableFlags_AllowItemOverlap)) {
                model_.set_filter(model_.filter() == r.number ? 0 : r.number);
            }
            ImGui::TableNextColumn();
            ImGui::TextUnformatted(r.pid ? std::to_string(*r.pid).c_str() : "?");
            ImGui::TableNextColumn();
            ImGui::TextUnformatted(r.image.empty() ? "?" : file_name(r.image).c_str());
            if (!r.image.empty() && ImGui::IsItemHovered())
                ImGui::SetTooltip("%s", r.image.c_str());
            ImGui::TableNextColumn();
            ImGui::TextColored(pal.to_server, "%s", bytes_text(r.bytes_to_server).c_str());
            ImGui::TableNextColumn();
            ImGui::TextColored(pal.to_client, "%s", bytes_text(r.bytes_to_client).c_str());
            ImGui::TableNextColumn();
            ImGui::TextColored(r.open ? pal.ok : pal.dim, "%s", r.state.c_str());
            if (ImGui::IsItemHovered()) {
                ImGui::SetTooltip("%s%s%s", r.state.c_str(),
                                  r.target.empty() ? "" : "\ntarget: ", r.target.c_str());
            }
            ImGui::TableNextColumn();
            if (r.open && ImGui::SmallButton("Drop")) session_->disconnect(r.number);
            ImGui::PopID();
        }
    }
    ImGui::EndTable();
    if (rows.empty()) ImGui::TextDisabled("waiting for clients...");
}

void MonitorView::draw_transcript_toolbar() {
    const std::string shown =
        model_.filter() == 0 ? "All connections" : "#" + std::to_string(model_.filter());
    ImGui::SetNextItemWidth(150);
    if (ImGui::BeginCombo("##connection", shown.c_str())) {
        if (ImGui::Selectable("All connections", model_.filter() == 0)) model_.set_filter(0);
        for (const auto& r : model_.connections()) {
            const std::string label = "#" + std::to_string(r.number);
            if (ImGui::Selectable(label.c_str(), model_.filter() == r.number))
                model_.set_filter(r.number);
        }
        ImGui::EndCombo();
    }
    ImGui::SameLine();
    table_.draw_view_choice();
    ImGui::SetNextItemWidth(200);
    ImGui::InputText("##savepath", save_path_, sizeof save_path_);
    ImGui::SameLine();
    if (ImGui::Button("Save transcript")) save(save_path_);
    if (!save_message_.empty()) {
        ImGui::SameLine();
        ImGui::TextDisabled("%s", save_message_.c_str());
    }
}

void MonitorView::draw_transcript() {
    const auto& frames = model_.frames();
    const Palette& pal = current_palette();
    const bool note = frames.empty() || model_.frames_not_shown() > 0;
    const float note_h = note ? ImGui::GetFrameHeightWithSpacing() : 0;
    table_.draw(
        "##merged", frames.size(),
        [&](std::size_t i) {
            const core::Frame& f = *frames[i];
            const bool to_server = f.flow == core::Flow::ToServer;
            return TranscriptRow{&f, to_server ? "->" : "<-",
                                 to_server ? pal.to_server : pal.to_client,
                                 to_server ? "client to server" : "server to client", f.connection};
        },
        model_.frames_added(), /*connection_column=*/true, ImVec2(0, -note_h));
    if (frames.empty()) {
        ImGui::TextDisabled(model_.connections().empty()
                                ? "Nothing forwarded yet: connect a client to the listen name."
                                : "Nothing forwarded yet on the shown connections.");
    }
    if (model_.frames_not_shown() > 0) {
        ImGui::TextDisabled(
            "%llu older frames not shown (transcript caps); Save transcript keeps "
            "what the connections hold",
            static_cast<unsigned long long>(model_.frames_not_shown()));
    }
}

}  // namespace pipescope::gui
