#include "views/inspector_view.hpp"

#include <imgui.h>

#include "shell/palette.hpp"
#include "views/inspector_access.hpp"
#include "views/inspector_fields.hpp"

namespace pipescope::gui {
namespace {

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

}  // namespace

InspectorView::InspectorView(core::PipeName name, Probe probe, int id,
                             core::InspectTaskReaper& reaper, std::optional<Asker> asker)
    : name_(std::move(name)),
      probe_(std::move(probe)),
      id_(id),
      reaper_(reaper),
      asker_(std::move(asker)) {}

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
    if (!task_.ready()) return;
    result_ = task_.get();  // the probe has ended: get() joins at once
    // The worker wrote it before it set the result (the future orders the two).
    if (pending_access_ && *pending_access_) access_ = std::move(**pending_access_);
    pending_access_.reset();
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
    access_.reset();
    phase_ = Phase::Running;
    started_ = std::chrono::steady_clock::now();
    core::InspectOptions options;
    options.timeout = std::chrono::milliseconds(timeout_ms_);
    // The effective access is worked out on the probe's thread: reading this process's token
    // looks up account names, which may wait on a domain controller.
    auto slot = std::make_shared<std::optional<EffectiveAccess>>();
    pending_access_ = slot;
    task_ = core::inspect_async(
        name_, options,
        [probe = probe_, asker = asker_, slot](
            const core::PipeName& n, const core::InspectOptions& o, std::stop_token stop) {
            core::PipeDetails d = probe(n, o, stop);
            *slot = effective_access(d, asker ? *asker : current_asker());
            return d;
        });
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

    if (access_ && d.state != core::InspectState::Cancelled) draw_effective_access(*access_);

    ImGui::Spacing();
    draw_field_table(d, drawn_fields_);

    constexpr ImGuiTableFlags flags = ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerV |
                                      ImGuiTableFlags_Resizable | ImGuiTableFlags_SizingStretchProp;
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
