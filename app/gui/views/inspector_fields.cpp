#include "views/inspector_fields.hpp"

#include <cstdio>
#include <type_traits>

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

void draw_field_table(const core::PipeDetails& d, std::vector<std::string>& drawn) {
    constexpr ImGuiTableFlags flags = ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerV |
                                      ImGuiTableFlags_Resizable | ImGuiTableFlags_SizingStretchProp;
    if (ImGui::BeginTable("##fields", 4, flags)) {
        ImGui::TableSetupColumn("Field", ImGuiTableColumnFlags_WidthFixed, 170);
        ImGui::TableSetupColumn("Value", ImGuiTableColumnFlags_WidthStretch);
        ImGui::TableSetupColumn("How", ImGuiTableColumnFlags_WidthFixed, 80);
        ImGui::TableSetupColumn("Source", ImGuiTableColumnFlags_WidthFixed, 230);
        ImGui::TableHeadersRow();
        FieldRows rows(d, drawn);
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
        rows.row("smb_dialect", "SMB dialect", d.smb_dialect);
        rows.row("smb_signing", "SMB signing", d.smb_signing);
        rows.row("smb_encryption", "SMB encryption", d.smb_encryption);
        rows.row("smb_logon", "SMB logon", d.smb_logon);
        rows.row("smb_server", "SMB server", d.smb_server);
        ImGui::EndTable();
    }
}

}  // namespace pipescope::gui
