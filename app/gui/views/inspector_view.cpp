#include "views/inspector_view.hpp"

#include <imgui.h>

#include "shell/palette.hpp"

namespace pipescope::gui {
namespace {

ImVec4 state_color(core::FieldState s) {
    switch (s) {
        case core::FieldState::Ok:
            return current_palette().ok;
        case core::FieldState::Busy:
        case core::FieldState::TimedOut:
            return current_palette().caution;
        case core::FieldState::Denied:
        case core::FieldState::NotFound:
        case core::FieldState::Failed:
            return current_palette().error;
        default:
            return current_palette().dim;
    }
}

ImVec4 inspect_color(core::InspectState s) {
    switch (s) {
        case core::InspectState::Ok:
            return current_palette().ok;
        case core::InspectState::Busy:
        case core::InspectState::TimedOut:
        case core::InspectState::Cancelled:
            return current_palette().caution;
        default:
            return current_palette().error;
    }
}

std::string text_of(const std::string& v) {
    return v;
}
std::string text_of(bool v) {
    return v ? "yes" : "no";
}
template <class T>
std::string text_of(const T& v) requires std::is_arithmetic_v<T> {
    return std::to_string(v);
}

// Draws the field rows that apply to the pipe's kind (core::field_applies) and remembers
// their keys. A field that applies but is missing says why in words, unless the probe's own
// error (shown above the table) already does.
class FieldRows {
  public:
    FieldRows(const core::PipeDetails& d, std::vector<std::string>& drawn)
        : kind_(core::details_kind(d)),
          error_(d.error ? d.error->to_string() : ""),
          drawn_(drawn) {}

    template <class T>
    void row(const char* key, const char* label, const core::Field<T>& f,
             std::string (*fmt)(const T&) = nullptr) {
        if (!core::field_applies(key, kind_)) return;
        drawn_.emplace_back(key);
        ImGui::TableNextRow();
        ImGui::TableNextColumn();
        ImGui::TextUnformatted(label);
        ImGui::TableNextColumn();
        if (f.ok()) {
            std::string text = fmt ? fmt(*f.value) : text_of(*f.value);
            ImGui::TextUnformatted(text.empty() ? "(empty)" : text.c_str());
        } else {
            const std::string state(core::to_string(f.state));
            if (f.note.empty() || f.note == error_ || f.note == last_note_) {
                ImGui::TextColored(state_color(f.state), "%s", state.c_str());
                if (!f.note.empty() && ImGui::IsItemHovered())
                    ImGui::SetTooltip("%s", f.note.c_str());
            } else {
                ImGui::PushStyleColor(ImGuiCol_Text, state_color(f.state));
                ImGui::TextWrapped("%s: %s", state.c_str(), f.note.c_str());
                ImGui::PopStyleColor();
            }
            last_note_ = f.note;  // the next field with the same reason shows only its state
        }
        ImGui::TableNextColumn();
        if (f.connected)
            ImGui::TextColored(current_palette().caution, "connected");
        else
            ImGui::TextColored(current_palette().passive, "passive");
        ImGui::TableNextColumn();
        ImGui::TextDisabled("%s", f.source.empty() ? "-" : f.source.c_str());
    }

  private:
    core::DetailsKind kind_;
    std::string error_;
    std::string last_note_;
    std::vector<std::string>& drawn_;
};

std::string bytes_text(const std::uint32_t& v) {
    return std::to_string(v) + " bytes";
}
std::string bytes64_text(const std::int64_t& v) {
    return std::to_string(v) + " bytes";
}
std::string instances_text(const std::int64_t& v) {
    return v < 0 ? "unlimited" : std::to_string(v);
}
std::string mode_text(const std::uint32_t& v) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%04o", v);
    return buf;
}

}  // namespace

InspectorView::InspectorView(core::PipeName name, Probe probe, int id,
                             core::InspectTaskReaper& reaper)
    : name_(std::move(name)), probe_(std::move(probe)), id_(id), reaper_(reaper) {}

InspectorView::~InspectorView() {
    // Closing the tab never waits for a hung pipe: the reaper cancels the probe and joins it.
    if (task_.valid()) reaper_.adopt(std::move(task_));
}

std::string InspectorView::title() const {
    return "Inspect " + name_.display() + "###inspect" + std::to_string(id_);
}

std::string InspectorView::task_status() const {
    return phase() == Phase::Running ? "inspecting " + name_.display() : "";
}

void InspectorView::take_result() const {
    if (task_.ready()) result_ = task_.get();  // the probe has ended: get() joins at once
}

InspectorView::Phase InspectorView::phase() const {
    take_result();
    if (phase_ == Phase::Running && result_) return Phase::Done;
    return phase_;
}

std::optional<core::PipeDetails> InspectorView::result() const {
    take_result();
    return result_;
}

void InspectorView::start() {
    if (task_.valid()) reaper_.adopt(std::move(task_));
    result_.reset();
    phase_ = Phase::Running;
    started_ = std::chrono::steady_clock::now();
    core::InspectOptions options;
    options.timeout = std::chrono::milliseconds(timeout_ms_);
    task_ = core::inspect_async(name_, options, probe_);
}

void InspectorView::cancel() {
    task_.cancel();
}

void InspectorView::draw() {
    drawn_fields_.clear();
    Phase p = phase();
    if (p == Phase::Done) phase_ = Phase::Done;
    ImGui::Text("Pipe: %s", name_.display().c_str());
    ImGui::Separator();
    switch (p) {
        case Phase::Confirm:
            draw_confirm();
            break;
        case Phase::Running:
            draw_running();
            break;
        case Phase::Done: {
            auto r = result();
            if (r) draw_result(*r);
            break;
        }
    }
}

void InspectorView::draw_confirm() {
    ImGui::PushStyleColor(ImGuiCol_Text, current_palette().notice);
    ImGui::TextWrapped(
        "Inspecting connects to this pipe. The server sees a client arrive and "
        "leave, and the connection takes one of its instances for a moment.");
    ImGui::PopStyleColor();
    ImGui::TextWrapped(
        "PipeScope opens it with an identification-only security QoS, so the "
        "server cannot impersonate you, and never reads or writes its data.");
    ImGui::SetNextItemWidth(160);
    ImGui::SliderInt("Timeout", &timeout_ms_, 100, 10000, "%d ms");
    if (ImGui::Button("Connect and inspect")) start();
}

void InspectorView::draw_running() {
    float elapsed =
        std::chrono::duration<float>(std::chrono::steady_clock::now() - started_).count();
    static const char spinner[] = "|/-\\";
    ImGui::Text("%c Inspecting... %.1f s (bound %d ms)", spinner[static_cast<int>(elapsed * 8) % 4],
                elapsed, timeout_ms_);
    if (ImGui::Button("Cancel")) cancel();
}

void InspectorView::draw_result(const core::PipeDetails& d) {
    ImGui::TextColored(inspect_color(d.state), "%s", std::string(core::to_string(d.state)).c_str());
    ImGui::SameLine();
    ImGui::TextDisabled("in %lld ms  |  %s  |  %s", static_cast<long long>(d.elapsed.count()),
                        d.kind.c_str(), d.connected ? "connected to the pipe" : "did not connect");
    if (d.error) {
        ImGui::PushStyleColor(ImGuiCol_Text, inspect_color(d.state));
        ImGui::TextWrapped("%s", d.error->to_string().c_str());
        ImGui::PopStyleColor();
    }
    ImGui::SameLine();
    if (ImGui::SmallButton("Inspect again")) start();

    // Risk flags first: they are why people look.
    auto flag = [](const char* label, const core::Field<bool>& f) {
        if (f.ok() && *f.value) {
            ImGui::TextColored(current_palette().error, "RISK: %s", label);
        }
    };
    flag("NULL DACL: anyone may do anything with this pipe", d.null_dacl);
    flag("Everyone may write to this pipe", d.everyone_can_write);
    flag("Anonymous logons may write to this pipe", d.anonymous_can_write);
    flag("Remote clients are accepted", d.remote_clients_accepted);

    constexpr ImGuiTableFlags flags = ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerV |
                                      ImGuiTableFlags_Resizable | ImGuiTableFlags_SizingStretchProp;
    if (ImGui::BeginTable("##fields", 4, flags)) {
        ImGui::TableSetupColumn("Field", ImGuiTableColumnFlags_WidthFixed, 170);
        ImGui::TableSetupColumn("Value", ImGuiTableColumnFlags_WidthStretch);
        ImGui::TableSetupColumn("How", ImGuiTableColumnFlags_WidthFixed, 80);
        ImGui::TableSetupColumn("Source", ImGuiTableColumnFlags_WidthFixed, 230);
        ImGui::TableHeadersRow();
        FieldRows rows(d, drawn_fields_);
        rows.row("type", "Type", d.type);
        rows.row("end", "End held", d.end);
        rows.row("access", "Access used", d.access);
        rows.row("in_quota", "Input quota", d.in_quota, bytes_text);
        rows.row("out_quota", "Output quota", d.out_quota, bytes_text);
        rows.row("max_instances", "Max instances", d.max_instances, instances_text);
        rows.row("current_instances", "Current instances", d.current_instances, instances_text);
        rows.row("handle_state", "Handle state", d.handle_state);
        rows.row("pipe_state", "Pipe state", d.pipe_state);
        rows.row("read_data_available", "Read data available", d.read_data_available, bytes_text);
        rows.row("write_quota_available", "Write quota available", d.write_quota_available,
                 bytes_text);
        rows.row("server_pid", "Server PID", d.server_pid);
        rows.row("server_image", "Server image", d.server_image);
        rows.row("server_session", "Server session", d.server_session);
        rows.row("server_uid", "Server UID", d.server_uid);
        rows.row("server_gid", "Server GID", d.server_gid);
        rows.row("owner", "Owner", d.owner);
        rows.row("owner_uid", "Owner UID", d.owner_uid);
        rows.row("owner_gid", "Owner GID", d.owner_gid);
        rows.row("mode", "Mode", d.mode, mode_text);
        rows.row("socket_type", "Socket type", d.socket_type);
        rows.row("send_buffer", "Send buffer", d.send_buffer, bytes64_text);
        rows.row("recv_buffer", "Receive buffer", d.recv_buffer, bytes64_text);
        rows.row("capacity", "FIFO capacity", d.capacity, bytes64_text);
        rows.row("bytes_queued", "Bytes queued", d.bytes_queued, bytes64_text);
        rows.row("null_dacl", "NULL DACL", d.null_dacl);
        rows.row("everyone_can_write", "Everyone can write", d.everyone_can_write);
        rows.row("anonymous_can_write", "Anonymous can write", d.anonymous_can_write);
        rows.row("remote_clients_accepted", "Remote clients", d.remote_clients_accepted);
        rows.row("sddl", "SDDL", d.sddl);
        ImGui::EndTable();
    }
    if (d.aces.ok() && !d.aces.value->empty()) {
        ImGui::Spacing();
        ImGui::TextUnformatted("Access control entries");
        if (ImGui::BeginTable("##aces", 4, flags)) {
            ImGui::TableSetupColumn("Type", ImGuiTableColumnFlags_WidthFixed, 60);
            ImGui::TableSetupColumn("Trustee", ImGuiTableColumnFlags_WidthFixed, 240);
            ImGui::TableSetupColumn("Rights", ImGuiTableColumnFlags_WidthStretch);
            ImGui::TableSetupColumn("Mask", ImGuiTableColumnFlags_WidthFixed, 90);
            ImGui::TableHeadersRow();
            for (const auto& ace : *d.aces.value) {
                ImGui::TableNextRow();
                ImGui::TableNextColumn();
                if (ace.type == "deny")
                    ImGui::TextColored(current_palette().deny, "deny");
                else
                    ImGui::TextUnformatted(ace.type.c_str());
                ImGui::TableNextColumn();
                ImGui::TextUnformatted(ace.trustee.c_str());
                if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", ace.sid.c_str());
                ImGui::TableNextColumn();
                std::string rights;
                for (const auto& r : ace.rights) rights += (rights.empty() ? "" : ", ") + r;
                ImGui::TextWrapped("%s", rights.c_str());
                ImGui::TableNextColumn();
                ImGui::Text("0x%08X", ace.mask);
            }
            ImGui::EndTable();
        }
    }
}

}  // namespace pipescope::gui
