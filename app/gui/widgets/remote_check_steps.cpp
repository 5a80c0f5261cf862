#include "widgets/remote_check_steps.hpp"

#include <string>

#include <imgui.h>

#include "shell/palette.hpp"

namespace pipescope::gui {
namespace {

ImVec4 result_color(core::StepResult r) {
    const Palette& pal = current_palette();
    switch (r) {
        case core::StepResult::Passed:
            return pal.ok;
        case core::StepResult::Failed:
            return pal.error;
        case core::StepResult::NotReported:
            return pal.caution;
        case core::StepResult::NotRun:
            break;
    }
    return pal.dim;
}

void draw_step_row(int index, const core::RemoteStepReport& s) {
    ImGui::TableNextRow();
    ImGui::TableNextColumn();
    ImGui::Text("%d. %s", index, std::string(core::to_string(s.step)).c_str());
    ImGui::TableNextColumn();
    ImGui::TextColored(result_color(s.result), "%s",
                       std::string(core::to_string(s.result)).c_str());
    ImGui::TableNextColumn();
    if (s.result != core::StepResult::NotRun)
        ImGui::Text("%lld ms", static_cast<long long>(s.elapsed.count()));
    ImGui::TableNextColumn();
    if (!s.detail.empty()) ImGui::TextWrapped("%s", s.detail.c_str());
    if (s.error) {
        ImGui::PushStyleColor(ImGuiCol_Text, current_palette().error);
        ImGui::TextWrapped("%s", s.error->to_string().c_str());
        ImGui::PopStyleColor();
    }
    if (!s.next.empty()) ImGui::TextWrapped("Next: %s", s.next.c_str());
}

}  // namespace

bool draw_remote_check_steps(const RemoteCheckProgress& p) {
    if (p.run == 0) return false;
    const Palette& pal = current_palette();
    ImGui::Separator();
    ImGui::Text("Remote path to %s", p.target.c_str());
    if (p.running) {
        ImGui::SameLine();
        ImGui::TextColored(pal.caution, "checking...");
        return false;
    }
    bool again = false;
    ImGui::SameLine();
    if (ImGui::SmallButton("Check again")) again = true;
    if (p.error) {
        ImGui::TextColored(pal.error, "%s", p.error->to_string().c_str());
        return again;
    }
    if (!p.report) return again;
    const auto& r = *p.report;
    const ImGuiTableFlags flags =
        ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerH | ImGuiTableFlags_SizingStretchProp;
    if (ImGui::BeginTable("##remote_steps", 4, flags)) {
        ImGui::TableSetupColumn("Step", ImGuiTableColumnFlags_WidthFixed, 140);
        ImGui::TableSetupColumn("Result", ImGuiTableColumnFlags_WidthFixed, 90);
        ImGui::TableSetupColumn("Time", ImGuiTableColumnFlags_WidthFixed, 60);
        ImGui::TableSetupColumn("What it found", ImGuiTableColumnFlags_WidthStretch);
        ImGui::TableHeadersRow();
        int i = 1;
        for (const auto& s : r.steps) draw_step_row(i++, s);
        ImGui::EndTable();
    }
    if (const auto* f = r.failed_step())
        ImGui::TextColored(pal.error, "Failed at the %s step (SMB port %u, %lld ms in all)",
                           std::string(core::to_string(f->step)).c_str(),
                           static_cast<unsigned>(r.port),
                           static_cast<long long>(r.elapsed.count()));
    else
        ImGui::TextColored(pal.ok, "Every step passed: the pipe can be opened; connect again");
    return again;
}

}  // namespace pipescope::gui
