#include "views/pipes_view.hpp"

#include <algorithm>
#include <cstdio>

#include <imgui.h>

#include "shell/palette.hpp"
#include "widgets/ui_helpers.hpp"

namespace pipescope::gui {
namespace {

constexpr int kKeyF5 = 294;  // GLFW_KEY_F5: ImGui 1.86 indexes KeysDown by the platform key code
constexpr int kKeyF = 'F';
constexpr std::chrono::milliseconds kMinInterval{100};

}  // namespace

PipesView::PipesView(core::PipeCatalog& catalog, std::chrono::milliseconds interval,
                     bool auto_refresh, std::function<void()> wake_ui)
    : catalog_(catalog),
      interval_ms_ui_(static_cast<int>(interval.count())),
      auto_refresh_ui_(auto_refresh) {
    // The UI wakes on news only: the first list, a change, an error, a recovery.
    auto on_change = [wake_ui](const std::shared_ptr<const core::Snapshot>&,
                               const core::SnapshotDiff&) {
        if (wake_ui) wake_ui();
    };
    auto on_error = [wake_ui](const core::Error&) {
        if (wake_ui) wake_ui();
    };
    catalog_.start(watch_interval(), std::move(on_change), std::move(on_error));
}

PipesView::~PipesView() {
    // Joins the watcher: at most one refresh in progress (listing is bounded).
    catalog_.stop();
}

std::optional<std::chrono::milliseconds> PipesView::watch_interval() const {
    if (!auto_refresh_ui_) return std::nullopt;
    return std::max(std::chrono::milliseconds(interval_ms_ui_), kMinInterval);
}

void PipesView::request_refresh() {
    catalog_.request_refresh();
}

void PipesView::set_auto_refresh(bool on, std::chrono::milliseconds interval) {
    auto_refresh_ui_ = on;
    interval_ms_ui_ = static_cast<int>(interval.count());
    catalog_.set_interval(watch_interval());
}

void PipesView::set_filter(const std::string& text) {
    std::snprintf(filter_buf_, sizeof filter_buf_, "%s", text.c_str());
    model_.set_filter(text);
}

bool PipesView::wants_frames() const {
    return catalog_.refreshing() || model_.animating();
}

std::string PipesView::task_status() const {
    return catalog_.refreshing() ? "listing pipes..." : "";
}

std::string PipesView::status_detail() const {
    // The catalog's latest, not the model's: the status bar shows while another tab draws.
    return PipesModel::status_detail(catalog_.latest().get(), catalog_.last_error().has_value());
}

void PipesView::sync() {
    model_.update(catalog_.latest(), PipesModel::Clock::now());
}

void PipesView::draw() {
    sync();
    ImGuiIO& io = ImGui::GetIO();
    if (!io.WantTextInput || io.KeyCtrl) {
        if (ImGui::IsKeyPressed(kKeyF5, false)) request_refresh();
    }
    if (io.KeyCtrl && ImGui::IsKeyPressed(kKeyF, false)) focus_filter_ = true;
    draw_toolbar();
    draw_banner();
    draw_table();
}

void PipesView::draw_banner() {
    const std::string b = banner();
    if (b.empty()) return;
    const Palette& pal = current_palette();
    const bool hard = catalog_.last_error().has_value();
    ImGui::PushStyleColor(ImGuiCol_ChildBg, hard ? pal.banner_error : pal.banner_warning);
    const float lines = static_cast<float>(std::count(b.begin(), b.end(), '\n') + 1);
    const float height = ImGui::GetTextLineHeightWithSpacing() * std::min(lines, 4.0f) +
                         ImGui::GetStyle().WindowPadding.y * 2;
    ImGui::BeginChild("##banner", ImVec2(0, height), false);
    ImGui::TextWrapped("%s", b.c_str());
    ImGui::EndChild();
    ImGui::PopStyleColor();
}

void PipesView::draw_toolbar() {
    if (focus_filter_) {
        ImGui::SetKeyboardFocusHere();
        focus_filter_ = false;
    }
    ImGui::SetNextItemWidth(280);
    if (ImGui::InputTextWithHint("##filter", "Filter (Ctrl+F): name, kind, PID, process",
                                 filter_buf_, sizeof filter_buf_)) {
        model_.set_filter(filter_buf_);
    }
    ImGui::SameLine();
    const bool busy = catalog_.refreshing();
    if (ImGui::Button(busy ? "Listing...###refresh" : "Refresh (F5)###refresh")) request_refresh();
    ImGui::SameLine();
    if (ImGui::Checkbox("Auto", &auto_refresh_ui_)) {
        set_auto_refresh(auto_refresh_ui_, std::chrono::milliseconds(interval_ms_ui_));
    }
    ImGui::SameLine();
    ImGui::SetNextItemWidth(120);
    if (ImGui::SliderInt("##interval", &interval_ms_ui_, 250, 10000, "every %d ms")) {
        set_auto_refresh(auto_refresh_ui_, std::chrono::milliseconds(interval_ms_ui_));
    }
    ImGui::SameLine();
    draw_export_popup();
    ImGui::SameLine();
    if (const auto& shown = model_.shown()) {
        ImGui::TextDisabled("%zu pipes, %zu shown  |  listed in %.1f ms via %s",
                            shown->entries.size(), model_.visible_rows().size(),
                            static_cast<double>(shown->list_duration.count()) / 1000.0,
                            core::sources_to_string(shown->sources_used).c_str());
    } else {
        ImGui::TextDisabled(catalog_.last_error() ? "no list" : "listing...");
    }
}

void PipesView::draw_export_popup() {
    if (ImGui::Button("Export...")) ImGui::OpenPopup("##export");
    if (!ImGui::BeginPopup("##export")) return;
    ImGui::TextUnformatted("Export the rows shown (after the filter)");
    ImGui::SetNextItemWidth(360);
    ImGui::InputText("File", export_path_, sizeof export_path_);
    if (ImGui::Button("CSV")) export_message_ = export_to(export_path_, false);
    ImGui::SameLine();
    if (ImGui::Button("JSON")) export_message_ = export_to(export_path_, true);
    if (!export_message_.empty()) ImGui::TextWrapped("%s", export_message_.c_str());
    ImGui::EndPopup();
}

void PipesView::draw_row_menu(const Row& row) {
    if (!ImGui::BeginPopupContextItem("##rowmenu")) return;
    ImGui::TextDisabled("%s", row.entry.name.c_str());
    ImGui::Separator();
    if (ImGui::MenuItem("Copy name")) ImGui::SetClipboardText(row.entry.name.c_str());
    ImGui::Separator();
    ImGui::TextDisabled("These connect to the pipe:");
    if (ImGui::MenuItem("Inspect...", nullptr, false, !row.removed && on_inspect_ != nullptr)) {
        on_inspect_(row.entry);
    }
    if (ImGui::MenuItem("Connect as client...", nullptr, false,
                        !row.removed && on_connect_ != nullptr)) {
        on_connect_(row.entry);
    }
    ImGui::Separator();
    if (ImGui::MenuItem("Export list as CSV")) export_message_ = export_to("pipes.csv", false);
    if (ImGui::MenuItem("Export list as JSON")) export_message_ = export_to("pipes.json", true);
    ImGui::EndPopup();
}

void PipesView::draw_table() {
    if (!export_message_.empty()) ImGui::TextDisabled("%s", export_message_.c_str());
    constexpr ImGuiTableFlags flags = ImGuiTableFlags_ScrollY | ImGuiTableFlags_RowBg |
                                      ImGuiTableFlags_BordersInnerV | ImGuiTableFlags_Resizable |
                                      ImGuiTableFlags_Sortable | ImGuiTableFlags_Hideable |
                                      ImGuiTableFlags_Reorderable;
    if (!ImGui::BeginTable("##pipes", static_cast<int>(PipeColumn::Count), flags)) return;
    ImGui::TableSetupScrollFreeze(0, 1);
    auto column = [](const char* label, ImGuiTableColumnFlags f, float width, PipeColumn id) {
        ImGui::TableSetupColumn(label, f, width, static_cast<ImGuiID>(id));
    };
    column("Name", ImGuiTableColumnFlags_WidthStretch | ImGuiTableColumnFlags_DefaultSort, 0,
           PipeColumn::Name);
    column("Kind", ImGuiTableColumnFlags_WidthFixed, 110, PipeColumn::Kind);
    column("Instances", ImGuiTableColumnFlags_WidthFixed, 80, PipeColumn::Instances);
    column("Max", ImGuiTableColumnFlags_WidthFixed, 80, PipeColumn::Max);
    column("Server", ImGuiTableColumnFlags_WidthFixed, 160, PipeColumn::Server);
    column("Servers", ImGuiTableColumnFlags_WidthFixed, 60, PipeColumn::Servers);
    column("Clients", ImGuiTableColumnFlags_WidthFixed, 160, PipeColumn::Clients);
    column("Source", ImGuiTableColumnFlags_WidthFixed, 120, PipeColumn::Source);
    ImGui::TableHeadersRow();

    if (ImGuiTableSortSpecs* specs = ImGui::TableGetSortSpecs(); specs && specs->SpecsDirty) {
        if (specs->SpecsCount > 0) {
            model_.set_sort(static_cast<PipeColumn>(specs->Specs[0].ColumnUserID),
                            specs->Specs[0].SortDirection != ImGuiSortDirection_Descending);
        }
        specs->SpecsDirty = false;
    }

    const auto now = PipesModel::Clock::now();
    const auto& rows = model_.visible_rows();
    ImGuiListClipper clipper;
    clipper.Begin(static_cast<int>(rows.size()));
    while (clipper.Step()) {
        for (int i = clipper.DisplayStart; i < clipper.DisplayEnd; ++i) {
            draw_row(*rows[static_cast<std::size_t>(i)], i, now);
        }
    }
    ImGui::EndTable();
}

void PipesView::draw_row(const Row& row, int index, PipesModel::Clock::time_point now) {
    const Palette& pal = current_palette();
    const auto& e = row.entry;
    ImGui::TableNextRow();
    const PipesModel::RowLook look = PipesModel::look(row, now);
    switch (look.mark) {
        case PipesModel::RowMark::Removed:
            ImGui::TableSetBgColor(ImGuiTableBgTarget_RowBg1,
                                   scale_alpha(pal.row_removed, look.mark_strength));
            break;
        case PipesModel::RowMark::New:
            ImGui::TableSetBgColor(ImGuiTableBgTarget_RowBg1,
                                   scale_alpha(pal.row_new, look.mark_strength));
            break;
        case PipesModel::RowMark::Full:
            ImGui::TableSetBgColor(ImGuiTableBgTarget_RowBg1, pal.row_full);
            break;
        case PipesModel::RowMark::None:
            break;
    }
    const float alpha = look.text_alpha;
    ImGui::PushStyleColor(ImGuiCol_Text,
                          with_alpha(ImGui::GetStyleColorVec4(ImGuiCol_Text), alpha));
    ImGui::PushID(index);
    ImGui::TableNextColumn();
    ImGui::Selectable(e.name.c_str(), false, ImGuiSelectableFlags_SpanAllColumns);
    if (ImGui::IsItemHovered() && ImGui::IsMouseDoubleClicked(0) && !row.removed && on_inspect_) {
        on_inspect_(e);
    }
    draw_row_menu(row);
    ImGui::TableNextColumn();
    ImGui::TextUnformatted(std::string(core::to_string(e.kind)).c_str());
    ImGui::TableNextColumn();
    if (PipesModel::at_limit(e)) {
        ImGui::TextColored(with_alpha(pal.warning, alpha), "%s FULL",
                           PipesModel::count_text(e.current_instances).c_str());
        if (ImGui::IsItemHovered()) {
            ImGui::SetTooltip("Every instance is in use: a new client gets ERROR_PIPE_BUSY (231)");
        }
    } else {
        ImGui::TextUnformatted(PipesModel::count_text(e.current_instances).c_str());
    }
    ImGui::TableNextColumn();
    ImGui::TextUnformatted(e.kind == core::PipeKind::NamedPipe
                               ? PipesModel::count_text(e.max_instances).c_str()
                               : "-");
    ImGui::TableNextColumn();
    ImGui::TextUnformatted(PipesModel::holders_text(e.server_pids).c_str());
    ImGui::TableNextColumn();
    const std::string servers = PipesModel::servers_text(e);
    if (PipesModel::several_servers(e))
        ImGui::TextColored(with_alpha(pal.warning, alpha), "%s", servers.c_str());
    else
        ImGui::TextUnformatted(servers.c_str());
    if (ImGui::IsItemHovered()) wrapped_tooltip(PipesModel::servers_tooltip(e).c_str());
    ImGui::TableNextColumn();
    ImGui::TextUnformatted(PipesModel::clients_text(e).c_str());
    ImGui::TableNextColumn();
    ImGui::TextUnformatted(row.removed ? "gone" : core::sources_to_string(e.sources).c_str());
    ImGui::PopID();
    ImGui::PopStyleColor();
}

}  // namespace pipescope::gui
