#include "views/pipes_view.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>

#include <imgui.h>

#include "pipescope/catalog_export.hpp"
#include "pipescope/files.hpp"

namespace pipescope::gui {
namespace {

constexpr float kHighlightSeconds = 3.0f;
constexpr float kFadeSeconds = 3.0f;
constexpr int kKeyF5 = 294;  // GLFW_KEY_F5: ImGui 1.86 indexes KeysDown by the platform key code
constexpr int kKeyF = 'F';

enum Column { ColName, ColKind, ColInstances, ColMax, ColServer, ColClients, ColSource, ColCount };

std::string count_text(const std::optional<std::int64_t>& v) {
    if (!v) return "?";
    if (*v < 0) return "unlimited";
    return std::to_string(*v);
}

std::string holders_text(const std::vector<core::ProcessRef>& v) {
    std::string s;
    for (const auto& p : v) {
        if (!s.empty()) s += ", ";
        s += std::to_string(p.pid);
        if (!p.name.empty()) s += " " + p.name;
    }
    return s;
}

bool at_limit(const core::PipeEntry& e) {
    return e.current_instances && e.max_instances && *e.max_instances > 0 &&
           *e.current_instances >= *e.max_instances;
}

int compare_rows(const PipesView::Row& a, const PipesView::Row& b, int column) {
    auto cmp_opt = [](const std::optional<std::int64_t>& x, const std::optional<std::int64_t>& y) {
        // Unknown sorts first, unlimited (-1) last.
        auto key = [](const std::optional<std::int64_t>& v) -> std::int64_t {
            if (!v) return -2;
            return *v < 0 ? INT64_MAX : *v;
        };
        auto kx = key(x), ky = key(y);
        return kx < ky ? -1 : kx > ky ? 1 : 0;
    };
    switch (column) {
        case ColKind: {
            int d = static_cast<int>(a.entry.kind) - static_cast<int>(b.entry.kind);
            if (d) return d;
            break;
        }
        case ColInstances:
            if (int d = cmp_opt(a.entry.current_instances, b.entry.current_instances)) return d;
            break;
        case ColMax:
            if (int d = cmp_opt(a.entry.max_instances, b.entry.max_instances)) return d;
            break;
        case ColServer: {
            auto pa = a.entry.server_pids.empty() ? 0u : a.entry.server_pids.front().pid;
            auto pb = b.entry.server_pids.empty() ? 0u : b.entry.server_pids.front().pid;
            if (pa != pb) return pa < pb ? -1 : 1;
            break;
        }
        case ColClients: {
            auto ca = a.entry.client_pids.size(), cb = b.entry.client_pids.size();
            if (ca != cb) return ca < cb ? -1 : 1;
            break;
        }
        case ColSource:
            if (a.entry.sources != b.entry.sources) return a.entry.sources < b.entry.sources ? -1 : 1;
            break;
        default: break;
    }
    int d = a.entry.name.compare(b.entry.name);
    return d < 0 ? -1 : d > 0 ? 1 : 0;
}

}  // namespace

PipesView::PipesView(core::PipeCatalog& catalog, std::chrono::milliseconds interval, bool auto_refresh)
    : catalog_(catalog),
      auto_refresh_(auto_refresh),
      interval_(interval),
      interval_ms_ui_(static_cast<int>(interval.count())),
      auto_refresh_ui_(auto_refresh) {
    worker_ = std::jthread([this](std::stop_token stop) { worker(stop); });
}

PipesView::~PipesView() {
    worker_.request_stop();
    wake_.notify_all();
}

void PipesView::worker(std::stop_token stop) {
    std::unique_lock lock(mutex_);
    while (!stop.stop_requested()) {
        if (!refresh_requested_) {
            if (auto_refresh_) {
                wake_.wait_for(lock, stop, interval_, [&] { return refresh_requested_; });
            } else {
                wake_.wait(lock, stop, [&] { return refresh_requested_; });
            }
            if (stop.stop_requested()) break;
        }
        refresh_requested_ = false;
        refreshing_ = true;
        lock.unlock();
        // The result is read back through latest()/last_error(); wake an idle UI only when
        // there is something new to show.
        auto result = catalog_.refresh();
        const bool failed = !result;
        if (wake_ui_ && (failed || failed != last_failed_ || first_refresh_ || !result->diff.empty())) wake_ui_();
        first_refresh_ = false;
        last_failed_ = failed;
        lock.lock();
        refreshing_ = false;
    }
}

void PipesView::request_refresh() {
    {
        std::lock_guard lock(mutex_);
        refresh_requested_ = true;
    }
    wake_.notify_all();
}

void PipesView::set_auto_refresh(bool on, std::chrono::milliseconds interval) {
    {
        std::lock_guard lock(mutex_);
        auto_refresh_ = on;
        interval_ = std::max(interval, std::chrono::milliseconds(100));
    }
    auto_refresh_ui_ = on;
    interval_ms_ui_ = static_cast<int>(interval.count());
    wake_.notify_all();
}

void PipesView::set_filter(const std::string& text) {
    filter_ = text;
    std::snprintf(filter_buf_, sizeof filter_buf_, "%s", text.c_str());
    apply_filter_and_sort();
}

bool PipesView::wants_frames() const {
    {
        std::lock_guard lock(mutex_);
        if (refreshing_) return true;
    }
    return !added_at_.empty() || !removed_.empty();
}

std::string PipesView::task_status() const {
    std::lock_guard lock(mutex_);
    return refreshing_ ? "listing pipes..." : "";
}

std::string PipesView::status_detail() const {
    if (catalog_.last_error()) return "listing: unavailable (see the Pipes tab)";
    if (!shown_) return "listing: ...";
    static const std::pair<core::CatalogSource, const char*> kNames[] = {
        {core::CatalogSource::NtDirectory, "NT directory"},
        {core::CatalogSource::HandleTable, "handle table"},
        {core::CatalogSource::ProcNetUnix, "/proc/net/unix"},
        {core::CatalogSource::ProcFd, "/proc/*/fd"},
        {core::CatalogSource::Folder, "folders"},
    };
    std::string text;
    for (const auto& [bit, name] : kNames) {
        if (shown_->sources_used & static_cast<std::uint32_t>(bit)) text += (text.empty() ? "" : " + ") + std::string(name);
    }
#ifdef _WIN32
    if (!(shown_->sources_used & static_cast<std::uint32_t>(core::CatalogSource::NtDirectory))) {
        text += " only (the pipe directory cannot be listed here)";
    }
#endif
    return "listing: " + (text.empty() ? std::string("none") : text);
}

std::string PipesView::banner() const {
    auto err = catalog_.last_error();
    if (err) return "Cannot list pipes: " + err->to_string();
    if (shown_ && !shown_->notes.empty()) {
        std::string text;
        for (const auto& n : shown_->notes) {
            if (!text.empty()) text += "\n";
            text += n;
        }
        return text;
    }
    return {};
}

void PipesView::sync() {
    auto latest = catalog_.latest();
    const auto now = std::chrono::steady_clock::now();
    bool changed = false;
    if (latest && latest != shown_) {
        if (shown_) {
            auto d = core::diff(*shown_, *latest);
            for (const auto& e : d.added) added_at_[e.key()] = now;
            for (const auto& e : d.removed) {
                added_at_.erase(e.key());
                removed_.push_back({e, now});
            }
        }
        // A removed pipe that came back is no longer shown as removed.
        std::erase_if(removed_, [&](const Removed& r) { return latest->find(r.entry.key()) != nullptr; });
        shown_ = latest;
        changed = true;
    }
    // Expire highlights and fades; only a change of the row set needs a rebuild.
    changed |= std::erase_if(removed_, [&](const Removed& r) {
                   return std::chrono::duration<float>(now - r.at).count() > kFadeSeconds;
               }) > 0;
    changed |= std::erase_if(added_at_, [&](const auto& kv) {
                   return std::chrono::duration<float>(now - kv.second).count() > kHighlightSeconds;
               }) > 0;
    if (changed) rebuild_rows();
}

void PipesView::rebuild_rows() {
    rows_.clear();
    if (shown_) {
        rows_.reserve(shown_->entries.size() + removed_.size());
        for (const auto& e : shown_->entries) {
            Row r{e, false, std::nullopt};
            if (!added_at_.empty()) {
                if (auto it = added_at_.find(e.key()); it != added_at_.end()) r.changed_at = it->second;
            }
            rows_.push_back(std::move(r));
        }
    }
    for (const auto& rm : removed_) rows_.push_back({rm.entry, true, rm.at});
    apply_filter_and_sort();
}

void PipesView::apply_filter_and_sort() {
    visible_.clear();
    for (const auto& r : rows_) {
        if (core::entry_matches(r.entry, filter_)) visible_.push_back(&r);
    }
    const int column = sort_column_;
    const bool ascending = sort_ascending_;
    std::stable_sort(visible_.begin(), visible_.end(), [&](const Row* a, const Row* b) {
        int c = compare_rows(*a, *b, column);
        return ascending ? c < 0 : c > 0;
    });
}

std::string PipesView::export_to(const std::string& path, bool json) {
    std::vector<core::PipeEntry> entries;
    for (const Row* r : visible_) {
        if (!r->removed) entries.push_back(r->entry);
    }
    std::string text = json ? core::entries_to_json(entries) : core::entries_to_csv(entries);
    auto st = core::write_file_atomic(path, text);
    if (!st) return "Export failed: " + st.error().to_string();
    return "Exported " + std::to_string(entries.size()) + " pipes to " + path;
}

void PipesView::draw() {
    sync();
    ImGuiIO& io = ImGui::GetIO();
    if (!io.WantTextInput || io.KeyCtrl) {
        if (ImGui::IsKeyPressed(kKeyF5, false)) request_refresh();
    }
    if (io.KeyCtrl && ImGui::IsKeyPressed(kKeyF, false)) focus_filter_ = true;
    draw_toolbar();
    std::string b = banner();
    if (!b.empty()) {
        bool hard = catalog_.last_error().has_value();
        ImGui::PushStyleColor(ImGuiCol_ChildBg, hard ? ImVec4(0.45f, 0.16f, 0.16f, 0.6f)
                                                     : ImVec4(0.45f, 0.36f, 0.12f, 0.45f));
        float lines = static_cast<float>(std::count(b.begin(), b.end(), '\n') + 1);
        ImGui::BeginChild("##banner", ImVec2(0, ImGui::GetTextLineHeightWithSpacing() * std::min(lines, 4.0f) +
                                                   ImGui::GetStyle().WindowPadding.y * 2),
                          false);
        ImGui::TextWrapped("%s", b.c_str());
        ImGui::EndChild();
        ImGui::PopStyleColor();
    }
    draw_table();
}

void PipesView::draw_toolbar() {
    if (focus_filter_) {
        ImGui::SetKeyboardFocusHere();
        focus_filter_ = false;
    }
    ImGui::SetNextItemWidth(280);
    if (ImGui::InputTextWithHint("##filter", "Filter (Ctrl+F): name, kind, PID, process", filter_buf_,
                                 sizeof filter_buf_)) {
        filter_ = filter_buf_;
        apply_filter_and_sort();
    }
    ImGui::SameLine();
    bool busy;
    {
        std::lock_guard lock(mutex_);
        busy = refreshing_;
    }
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
    if (ImGui::Button("Export...")) ImGui::OpenPopup("##export");
    if (ImGui::BeginPopup("##export")) {
        ImGui::TextUnformatted("Export the rows shown (after the filter)");
        ImGui::SetNextItemWidth(360);
        ImGui::InputText("File", export_path_, sizeof export_path_);
        if (ImGui::Button("CSV")) export_message_ = export_to(export_path_, false);
        ImGui::SameLine();
        if (ImGui::Button("JSON")) export_message_ = export_to(export_path_, true);
        if (!export_message_.empty()) ImGui::TextWrapped("%s", export_message_.c_str());
        ImGui::EndPopup();
    }
    ImGui::SameLine();
    if (shown_) {
        ImGui::TextDisabled("%zu pipes, %zu shown  |  listed in %.1f ms via %s", shown_->entries.size(),
                            visible_.size(), shown_->list_duration.count() / 1000.0,
                            core::sources_to_string(shown_->sources_used).c_str());
    } else {
        ImGui::TextDisabled(catalog_.last_error() ? "no list" : "listing...");
    }
}

void PipesView::draw_row_menu(const Row& row) {
    if (ImGui::BeginPopupContextItem("##rowmenu")) {
        ImGui::TextDisabled("%s", row.entry.name.c_str());
        ImGui::Separator();
        if (ImGui::MenuItem("Copy name")) ImGui::SetClipboardText(row.entry.name.c_str());
        ImGui::Separator();
        ImGui::TextDisabled("These connect to the pipe:");
        if (ImGui::MenuItem("Inspect...", nullptr, false, !row.removed && on_inspect_ != nullptr)) {
            on_inspect_(row.entry);
        }
        if (ImGui::MenuItem("Connect as client...", nullptr, false, !row.removed && on_connect_ != nullptr)) {
            on_connect_(row.entry);
        }
        ImGui::Separator();
        if (ImGui::MenuItem("Export list as CSV")) export_message_ = export_to("pipes.csv", false);
        if (ImGui::MenuItem("Export list as JSON")) export_message_ = export_to("pipes.json", true);
        ImGui::EndPopup();
    }
}

void PipesView::draw_table() {
    if (!export_message_.empty()) ImGui::TextDisabled("%s", export_message_.c_str());
    constexpr ImGuiTableFlags flags = ImGuiTableFlags_ScrollY | ImGuiTableFlags_RowBg |
                                      ImGuiTableFlags_BordersInnerV | ImGuiTableFlags_Resizable |
                                      ImGuiTableFlags_Sortable | ImGuiTableFlags_Hideable |
                                      ImGuiTableFlags_Reorderable;
    if (!ImGui::BeginTable("##pipes", ColCount, flags)) return;
    ImGui::TableSetupScrollFreeze(0, 1);
    ImGui::TableSetupColumn("Name", ImGuiTableColumnFlags_WidthStretch | ImGuiTableColumnFlags_DefaultSort, 0, ColName);
    ImGui::TableSetupColumn("Kind", ImGuiTableColumnFlags_WidthFixed, 110, ColKind);
    ImGui::TableSetupColumn("Instances", ImGuiTableColumnFlags_WidthFixed, 80, ColInstances);
    ImGui::TableSetupColumn("Max", ImGuiTableColumnFlags_WidthFixed, 80, ColMax);
    ImGui::TableSetupColumn("Server", ImGuiTableColumnFlags_WidthFixed, 160, ColServer);
    ImGui::TableSetupColumn("Clients", ImGuiTableColumnFlags_WidthFixed, 160, ColClients);
    ImGui::TableSetupColumn("Source", ImGuiTableColumnFlags_WidthFixed, 120, ColSource);
    ImGui::TableHeadersRow();

    if (ImGuiTableSortSpecs* specs = ImGui::TableGetSortSpecs(); specs && specs->SpecsDirty) {
        if (specs->SpecsCount > 0) {
            sort_column_ = static_cast<int>(specs->Specs[0].ColumnUserID);
            sort_ascending_ = specs->Specs[0].SortDirection != ImGuiSortDirection_Descending;
        }
        specs->SpecsDirty = false;
        apply_filter_and_sort();
    }

    const ImVec4 text = ImGui::GetStyleColorVec4(ImGuiCol_Text);
    ImGuiListClipper clipper;
    clipper.Begin(static_cast<int>(visible_.size()));
    while (clipper.Step()) {
        for (int i = clipper.DisplayStart; i < clipper.DisplayEnd; ++i) {
            const Row& row = *visible_[static_cast<std::size_t>(i)];
            const auto& e = row.entry;
            ImGui::TableNextRow();
            float alpha = 1.0f;
            const float age = row.changed_at
                ? std::chrono::duration<float>(std::chrono::steady_clock::now() - *row.changed_at).count()
                : 1e9f;
            if (row.removed) {
                alpha = std::clamp(1.0f - age / kFadeSeconds, 0.15f, 1.0f) * 0.7f;
                ImGui::TableSetBgColor(ImGuiTableBgTarget_RowBg1, IM_COL32(150, 60, 60, static_cast<int>(90 * alpha)));
            } else if (age < kHighlightSeconds) {
                float t = 1.0f - age / kHighlightSeconds;
                ImGui::TableSetBgColor(ImGuiTableBgTarget_RowBg1, IM_COL32(70, 170, 90, static_cast<int>(110 * t)));
            } else if (at_limit(e)) {
                ImGui::TableSetBgColor(ImGuiTableBgTarget_RowBg1, IM_COL32(190, 130, 40, 60));
            }
            ImGui::PushStyleColor(ImGuiCol_Text, ImVec4(text.x, text.y, text.z, text.w * alpha));
            ImGui::PushID(i);
            ImGui::TableNextColumn();
            ImGui::Selectable(e.name.c_str(), false, ImGuiSelectableFlags_SpanAllColumns);
            if (ImGui::IsItemHovered() && ImGui::IsMouseDoubleClicked(0) && !row.removed && on_inspect_) {
                on_inspect_(e);
            }
            draw_row_menu(row);
            ImGui::TableNextColumn();
            ImGui::TextUnformatted(std::string(core::to_string(e.kind)).c_str());
            ImGui::TableNextColumn();
            if (at_limit(e)) {
                ImGui::TextColored(ImVec4(1.0f, 0.7f, 0.3f, alpha), "%s FULL", count_text(e.current_instances).c_str());
                if (ImGui::IsItemHovered()) ImGui::SetTooltip("Every instance is in use: a new client gets ERROR_PIPE_BUSY (231)");
            } else {
                ImGui::TextUnformatted(count_text(e.current_instances).c_str());
            }
            ImGui::TableNextColumn();
            ImGui::TextUnformatted(e.kind == core::PipeKind::NamedPipe ? count_text(e.max_instances).c_str() : "-");
            ImGui::TableNextColumn();
            ImGui::TextUnformatted(holders_text(e.server_pids).c_str());
            ImGui::TableNextColumn();
            std::string clients = holders_text(e.client_pids);
            if (e.connections > 0 && clients.empty()) clients = std::to_string(e.connections) + " connected";
            ImGui::TextUnformatted(clients.c_str());
            ImGui::TableNextColumn();
            ImGui::TextUnformatted(row.removed ? "gone" : core::sources_to_string(e.sources).c_str());
            ImGui::PopID();
            ImGui::PopStyleColor();
        }
    }
    ImGui::EndTable();
}

}  // namespace pipescope::gui
