#include "views/security_view.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string_view>
#include <vector>

#include <imgui.h>

#include "shell/palette.hpp"
#include "widgets/ui_helpers.hpp"

namespace pipescope::gui {
namespace {

// Comma-separated substrings ("svcctl, lsass") as a list without blanks.
std::vector<std::string> split_list(std::string_view text) {
    std::vector<std::string> out;
    while (!text.empty()) {
        const auto comma = text.find(',');
        std::string_view part = text.substr(0, comma);
        while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
        while (!part.empty() && part.back() == ' ') part.remove_suffix(1);
        if (!part.empty()) out.emplace_back(part);
        if (comma == std::string_view::npos) break;
        text.remove_prefix(comma + 1);
    }
    return out;
}

// A label before its widget (ImGui puts it after, where it reads as the next field's).
void label(const char* text) {
    ImGui::AlignTextToFramePadding();
    ImGui::TextUnformatted(text);
    ImGui::SameLine();
}

ImVec4 row_color(const AuditRow& row) {
    if (row.finding) return severity_color(row.finding->severity);
    // No finding: assessed and clean, or the probe did not end Ok (busy, denied, ...).
    return row.rank() < 0 ? current_palette().ok : current_palette().caution;
}

std::string row_key(const AuditRow& row) {
    return row.pipe->name + '\n' + row.kind_text() + '\n' + row.principal_text();
}

}  // namespace

SecurityView::SecurityView(AuditRunner& runner) : runner_(runner) {
    const core::AuditOptions& o = runner_.options();
    std::snprintf(scope_buf_, sizeof scope_buf_, "%s", o.filter.c_str());
    timeout_ms_ = static_cast<int>(o.timeout.count());
    concurrency_ = static_cast<int>(o.concurrency);
    passive_ = o.passive;
}

std::string SecurityView::task_status() const {
    if (!runner_.running()) return "";
    const AuditProgress& p = runner_.progress();
    return "auditing " + std::to_string(p.done) + "/" + std::to_string(p.total) + " pipes";
}

void SecurityView::apply_form() {
    core::AuditOptions& o = runner_.options();
    o.filter = scope_buf_;
    o.exclude = split_list(exclude_buf_);
    o.timeout = std::chrono::milliseconds(timeout_ms_);
    o.concurrency = static_cast<unsigned>(std::clamp(concurrency_, 1, 64));
    o.passive = passive_;
}

bool SecurityView::run() {
    apply_form();
    export_message_.clear();
    return runner_.start();
}

void SecurityView::set_filter(const std::string& text) {
    std::snprintf(filter_buf_, sizeof filter_buf_, "%s", text.c_str());
    runner_.set_filter(text);
}

void SecurityView::inspect_row(std::size_t index) {
    const auto& rows = runner_.visible_rows();
    if (index < rows.size() && on_inspect_) on_inspect_(*rows[index]->pipe);
}

void SecurityView::draw() {
    runner_.sync();
    draw_options();
    draw_actions();
    ImGui::Separator();
    draw_table_toolbar();
    draw_table();
}

void SecurityView::draw_options() {
    label("Audit");
    ImGui::SetNextItemWidth(160);
    ImGui::InputTextWithHint("##scope", "name contains; empty: all", scope_buf_, sizeof scope_buf_);
    ImGui::SameLine();
    label("Never probe");
    ImGui::SetNextItemWidth(170);
    ImGui::InputTextWithHint("##exclude", "comma-separated", exclude_buf_, sizeof exclude_buf_);
    ImGui::SameLine();
    label("Timeout");
    ImGui::SetNextItemWidth(130);
    ImGui::SliderInt("##timeout", &timeout_ms_, 100, 10000, "%d ms/pipe");
    ImGui::SameLine();
    label("Pipes at once");
    ImGui::SetNextItemWidth(70);
    ImGui::SliderInt("##concurrency", &concurrency_, 1, 64);
    ImGui::SameLine();
    ImGui::Checkbox("Passive (list only)", &passive_);
    ImGui::PushStyleColor(ImGuiCol_Text, current_palette().notice);
    ImGui::TextWrapped(
        passive_ ? "Passive: the audit only reads the pipe list (several servers on one name, "
                   "abstract sockets) and opens no pipe."
                 : "The audit opens each pipe once with READ_CONTROL (and FILE_READ_ATTRIBUTES) "
                   "only, reads its security descriptor or mode and closes it at once: it never "
                   "reads or writes the pipe's data. The server sees a client come and go.");
    ImGui::PopStyleColor();
}

void SecurityView::draw_actions() {
    const bool running = runner_.running();
    ImGui::BeginDisabled(running);
    if (ImGui::Button("Run audit")) run();
    ImGui::EndDisabled();
    ImGui::SameLine();
    ImGui::BeginDisabled(!running || runner_.cancel_requested());
    if (ImGui::Button(runner_.cancel_requested() && running ? "Cancelling..." : "Cancel")) cancel();
    ImGui::EndDisabled();
    ImGui::SameLine();
    const AuditProgress& p = runner_.progress();
    char overlay[96];
    if (p.phase == AuditPhase::Listing)
        std::snprintf(overlay, sizeof overlay, "listing pipes...");
    else
        std::snprintf(overlay, sizeof overlay, "%zu / %zu pipes  (%s)", p.done, p.total,
                      std::string(to_string(p.phase)).c_str());
    const float fraction =
        p.total > 0 ? static_cast<float>(p.done) / static_cast<float>(p.total) : 0.0f;
    ImGui::ProgressBar(p.phase == AuditPhase::Done ? 1.0f : fraction, ImVec2(-1, 0), overlay);
    if (p.phase == AuditPhase::Failed) {
        ImGui::PushStyleColor(ImGuiCol_Text, current_palette().error);
        ImGui::TextWrapped("%s", p.error.c_str());
        ImGui::PopStyleColor();
    }
}

void SecurityView::draw_table_toolbar() {
    ImGui::SetNextItemWidth(280);
    if (ImGui::InputTextWithHint("##findfilter", "Filter findings: pipe, severity, kind, ...",
                                 filter_buf_, sizeof filter_buf_))
        runner_.set_filter(filter_buf_);
    ImGui::SameLine();
    if (ImGui::Button("Export JSON...")) ImGui::OpenPopup("##auditexport");
    if (ImGui::BeginPopup("##auditexport")) {
        ImGui::TextUnformatted("Every audited pipe, as `pipescope-cli audit --json` writes it");
        ImGui::SetNextItemWidth(360);
        ImGui::InputText("File", export_path_, sizeof export_path_);
        if (ImGui::Button("Save")) {
            auto st = runner_.export_json(export_path_);
            export_message_ = st ? std::string("saved ") + export_path_ : st.error().to_string();
        }
        if (!export_message_.empty()) ImGui::TextWrapped("%s", export_message_.c_str());
        ImGui::EndPopup();
    }
    ImGui::SameLine();
    bool clean = runner_.show_clean();
    if (ImGui::Checkbox("Pipes without findings", &clean)) runner_.set_show_clean(clean);
    ImGui::SameLine();
    const auto& visible = runner_.visible_rows();
    const auto it = std::find_if(visible.begin(), visible.end(),
                                 [&](const AuditRow* r) { return row_key(*r) == selected_; });
    ImGui::BeginDisabled(it == visible.end() || !on_inspect_);
    if (ImGui::Button("Inspect selected...")) inspect_row(std::size_t(it - visible.begin()));
    ImGui::EndDisabled();
    ImGui::SameLine();
    ImGui::TextDisabled("%zu pipes audited, %zu rows, %zu shown", runner_.progress().audits.size(),
                        runner_.rows().size(), visible.size());
}

void SecurityView::draw_table() {
    drawn_rows_.clear();
    constexpr ImGuiTableFlags flags = ImGuiTableFlags_ScrollY | ImGuiTableFlags_RowBg |
                                      ImGuiTableFlags_BordersInnerV | ImGuiTableFlags_Resizable;
    if (!ImGui::BeginTable("##findings", 5, flags)) return;
    ImGui::TableSetupScrollFreeze(0, 1);
    ImGui::TableSetupColumn("Severity", ImGuiTableColumnFlags_WidthFixed, 80);
    ImGui::TableSetupColumn("Pipe", ImGuiTableColumnFlags_WidthFixed, 230);
    ImGui::TableSetupColumn("Principal", ImGuiTableColumnFlags_WidthFixed, 120);
    ImGui::TableSetupColumn("Kind", ImGuiTableColumnFlags_WidthFixed, 170);
    ImGui::TableSetupColumn("Detail", ImGuiTableColumnFlags_WidthStretch);
    ImGui::TableHeadersRow();
    const auto& rows = runner_.visible_rows();
    ImGuiListClipper clipper;
    clipper.Begin(static_cast<int>(rows.size()));
    while (clipper.Step()) {
        for (int i = clipper.DisplayStart; i < clipper.DisplayEnd; ++i)
            draw_row(*rows[static_cast<std::size_t>(i)], static_cast<std::size_t>(i));
    }
    ImGui::EndTable();
}

void SecurityView::draw_row(const AuditRow& row, std::size_t index) {
    ImGui::TableNextRow();
    ImGui::PushID(static_cast<int>(index));
    ImGui::TableNextColumn();
    const ImVec2 at = ImGui::GetCursorScreenPos();
    drawn_rows_.push_back({index, at.x, at.y});
    const std::string key = row_key(row);
    const std::string severity = row.severity_text();
    ImGui::PushStyleColor(ImGuiCol_Text, row_color(row));
    if (ImGui::Selectable(
            severity.c_str(), selected_ == key,
            ImGuiSelectableFlags_SpanAllColumns | ImGuiSelectableFlags_AllowDoubleClick)) {
        selected_ = key;
        if (ImGui::IsMouseDoubleClicked(0)) inspect_row(index);
    }
    ImGui::PopStyleColor();
    if (ImGui::BeginPopupContextItem("##rowmenu")) {
        ImGui::TextDisabled("%s", row.pipe->name.c_str());
        if (ImGui::MenuItem("Inspect (connects to the pipe)...", nullptr, false,
                            on_inspect_ != nullptr))
            inspect_row(index);
        if (ImGui::MenuItem("Copy detail")) ImGui::SetClipboardText(row.detail_text().c_str());
        ImGui::EndPopup();
    }
    ImGui::TableNextColumn();
    ImGui::TextUnformatted(row.pipe->name.c_str());
    ImGui::TableNextColumn();
    ImGui::TextUnformatted(row.principal_text().empty() ? "-" : row.principal_text().c_str());
    ImGui::TableNextColumn();
    ImGui::TextUnformatted(row.kind_text().c_str());
    ImGui::TableNextColumn();
    const std::string detail = row.detail_text();
    ImGui::TextUnformatted(detail.c_str());
    if (ImGui::IsItemHovered()) wrapped_tooltip(detail.c_str());
    ImGui::PopID();
}

}  // namespace pipescope::gui
