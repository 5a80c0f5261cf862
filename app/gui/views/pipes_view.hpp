// The pipe list: the catalog as a sortable, filterable table that refreshes itself. New rows are
// highlighted, removed rows fade out, rows at their instance limit are flagged. Listing never
// connects to a pipe; Inspect and Connect hand the pipe to callbacks that open other views.
// UI thread only (its refresh worker is internal).
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "pipescope/catalog.hpp"
#include "views/view.hpp"

namespace pipescope::gui {

class PipesView final : public View {
public:
    using EntryAction = std::function<void(const core::PipeEntry&)>;

    // `catalog` is refreshed from a worker thread owned by this view, never from the UI thread.
    PipesView(core::PipeCatalog& catalog, std::chrono::milliseconds interval, bool auto_refresh);
    ~PipesView() override;

    [[nodiscard]] std::string title() const override { return "Pipes###pipes"; }
    void draw() override;
    [[nodiscard]] bool wants_frames() const override;
    [[nodiscard]] std::string task_status() const override;
    // "listing: NT directory + handle table", "listing: handle table only (...)", ...
    [[nodiscard]] std::string status_detail() const override;

    void on_inspect(EntryAction action) { on_inspect_ = std::move(action); }
    void on_connect(EntryAction action) { on_connect_ = std::move(action); }
    // Called from the worker after each refresh so an idle UI wakes up (glfwPostEmptyEvent).
    void on_new_data(std::function<void()> wake) { wake_ui_ = std::move(wake); }

    // Asks the worker for a refresh now (F5). Never blocks.
    void request_refresh();
    void set_filter(const std::string& text);
    void set_auto_refresh(bool on, std::chrono::milliseconds interval);
    // Loads the latest snapshot and rebuilds rows (also done by draw()). For tests.
    void sync();

    struct Row {
        // Points into the shown snapshot (or the removed list): no copies of 10,000 entries.
        const core::PipeEntry& entry;
        bool removed = false;
        // When it appeared (or vanished, for removed rows); empty for rows that were there.
        std::optional<std::chrono::steady_clock::time_point> changed_at;
    };
    // The rows the table shows, in display order (filtered and sorted).
    [[nodiscard]] const std::vector<const Row*>& visible_rows() const { return visible_; }
    [[nodiscard]] std::size_t total_rows() const { return rows_.size(); }
    // The banner text when the system cannot list (or lists with gaps), else empty.
    [[nodiscard]] std::string banner() const;
    // Writes the visible rows as CSV or JSON; returns a message for the user.
    std::string export_to(const std::string& path, bool json);

private:
    void worker(std::stop_token stop);
    void rebuild_rows();
    void apply_filter_and_sort();
    void draw_toolbar();
    void draw_table();
    void draw_row_menu(const Row& row);

    core::PipeCatalog& catalog_;
    EntryAction on_inspect_, on_connect_;
    std::function<void()> wake_ui_;  // set before the first draw; read by the worker

    // Shared with the worker.
    mutable std::mutex mutex_;
    std::condition_variable_any wake_;
    bool refresh_requested_ = true;
    bool auto_refresh_;
    std::chrono::milliseconds interval_;
    bool refreshing_ = false;
    bool first_refresh_ = true;  // worker thread only
    bool last_failed_ = false;   // worker thread only
    std::jthread worker_;

    // UI state.
    std::shared_ptr<const core::Snapshot> shown_;
    std::vector<Row> rows_;
    std::vector<const Row*> visible_;
    std::unordered_map<std::string, std::chrono::steady_clock::time_point> added_at_;
    struct Removed {
        core::PipeEntry entry;
        std::chrono::steady_clock::time_point at;
    };
    std::vector<Removed> removed_;
    std::string filter_;
    char filter_buf_[256] = {};
    char export_path_[512] = "pipes.csv";
    std::string export_message_;
    int sort_column_ = 0;
    bool sort_ascending_ = true;
    bool focus_filter_ = false;
    int interval_ms_ui_;
    bool auto_refresh_ui_;
};

}  // namespace pipescope::gui
