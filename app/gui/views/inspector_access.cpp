#include "views/inspector_access.hpp"

#include <imgui.h>

#include "shell/palette.hpp"
#include "widgets/ui_helpers.hpp"

namespace pipescope::gui {
namespace {

// One verdict cell: "yes" (write and create instance in the warning colour: they are what
// lets a principal send requests or squat) or "no", with the reason on hover.
void verdict_cell(bool granted, bool risky, const std::string& why) {
    ImGui::TableNextColumn();
    const Palette& pal = current_palette();
    if (granted)
        ImGui::TextColored(risky ? pal.warning : pal.ok, "yes");
    else
        ImGui::TextColored(pal.dim, "no");
    if (ImGui::IsItemHovered() && !why.empty()) wrapped_tooltip(why.c_str());
}

void draw_access_table(const core::PipeAudit& audit) {
    constexpr ImGuiTableFlags flags = ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerV |
                                      ImGuiTableFlags_SizingFixedFit |
                                      ImGuiTableFlags_NoHostExtendX;
    if (!ImGui::BeginTable("##effective", 4, flags)) return;
    ImGui::TableSetupColumn("Principal", ImGuiTableColumnFlags_WidthFixed, 260);
    ImGui::TableSetupColumn("Read", ImGuiTableColumnFlags_WidthFixed, 60);
    ImGui::TableSetupColumn("Write", ImGuiTableColumnFlags_WidthFixed, 60);
    ImGui::TableSetupColumn("Create instance", ImGuiTableColumnFlags_WidthFixed, 120);
    ImGui::TableHeadersRow();
    for (const auto& a : audit.access) {
        ImGui::TableNextRow();
        ImGui::TableNextColumn();
        ImGui::TextUnformatted(a.display.empty() ? a.principal.c_str() : a.display.c_str());
        verdict_cell(a.read, false, a.read_why);
        verdict_cell(a.write, true, a.write_why);
        verdict_cell(a.create_instance, true, a.create_instance_why);
    }
    ImGui::EndTable();
}

void draw_findings(const core::PipeAudit& audit) {
    if (audit.findings.empty()) {
        ImGui::TextColored(current_palette().ok, "No findings for this pipe.");
        return;
    }
    for (const auto& f : audit.findings) {
        ImGui::TextColored(severity_color(f.severity), "%-6s",
                           std::string(core::to_string(f.severity)).c_str());
        ImGui::SameLine();
        ImGui::Text("%s%s%s", f.kind.c_str(), f.principal.empty() ? "" : "  |  ",
                    f.principal.c_str());
        ImGui::Indent();
        ImGui::TextWrapped("%s", f.detail.c_str());
        ImGui::Unindent();
    }
}

}  // namespace

void draw_effective_access(const EffectiveAccess& access) {
    ImGui::Spacing();
    ImGui::TextUnformatted("Effective access");
    ImGui::SameLine();
    ImGui::TextDisabled("(who may connect to read, write, or add an instance; hover for why)");
    if (!access.audit) {
        ImGui::PushStyleColor(ImGuiCol_Text, current_palette().dim);
        ImGui::TextWrapped("%s", access.missing.c_str());
        ImGui::PopStyleColor();
        return;
    }
    draw_access_table(*access.audit);
    ImGui::Spacing();
    ImGui::TextUnformatted("Findings");
    draw_findings(*access.audit);
}

}  // namespace pipescope::gui
