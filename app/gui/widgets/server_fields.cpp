#include "widgets/server_fields.hpp"

#include <algorithm>
#include <cstdint>
#include <string>

#include <imgui.h>

#include "shell/palette.hpp"
#include "widgets/ui_helpers.hpp"

namespace pipescope::gui {

void draw_transport_fields(core::Endpoint& ep) {
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
}

ServerFields::ServerFields(const SessionForm& form) {
    copy_to(mode_buf_, form.file_mode_text());
    copy_to(sddl_buf_, form.custom_sddl());
}

void ServerFields::set_custom_sddl(SessionForm& form, std::string_view sddl) {
    form.set_custom_sddl(sddl);
    copy_to(sddl_buf_, form.custom_sddl());
}

void ServerFields::draw(SessionForm& form) {
    if (form.endpoint.kind == core::TransportKind::Win32Pipe) {
        draw_win32(form);
    } else {
        draw_posix(form);
    }
    // Say so whenever the form is looser than the defaults (computed in core, shown here).
    for (const auto& w : form.warnings()) {
        ImGui::TextColored(current_palette().warning, "Warning: %s", w.c_str());
    }
}

// The CreateNamedPipe configuration of a Win32 server.
void ServerFields::draw_win32(SessionForm& form) {
    auto& s = form.endpoint.server;
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
    if (ImGui::BeginCombo("Security", presets[form.sddl_preset()].label)) {
        for (std::size_t i = 0; i < presets.size(); ++i) {
            if (ImGui::Selectable(presets[i].label, i == form.sddl_preset())) {
                form.select_sddl_preset(i);
            }
        }
        ImGui::EndCombo();
    }
    if (form.custom_sddl_selected()) {
        if (ImGui::InputText("SDDL", sddl_buf_, sizeof sddl_buf_)) form.set_custom_sddl(sddl_buf_);
    } else if (!form.chosen_sddl().empty()) {
        ImGui::TextDisabled("%s", form.chosen_sddl().c_str());
    }
}

// What a POSIX server (socket or FIFO) lets the user choose: who may connect (the file's mode)
// and, for sockets, the listen backlog. The Win32 fields do not apply there.
void ServerFields::draw_posix(SessionForm& form) {
    auto& ep = form.endpoint;
    ImGui::TextDisabled("%s", ep.kind == core::TransportKind::UnixSeqpacket
                                  ? "Messages: a seqpacket socket keeps each send's boundaries."
                                  : "A byte stream: message boundaries are not kept (use "
                                    "seqpacket for messages).");
    if (ImGui::InputText("File mode (octal)", mode_buf_, sizeof mode_buf_,
                         ImGuiInputTextFlags_CharsDecimal)) {
        form.set_file_mode_text(mode_buf_);
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
