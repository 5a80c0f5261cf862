// The pipe list: draws the pipes model (filter, sort, new-row highlight, removed-row fade, full
// pipes) and sends commands to the catalog's watcher (refresh now, interval). The watcher is
// the catalog's thread, started and stopped with the view. Listing never
// connects to a pipe; Inspect and Connect hand the pipe to callbacks that open other views.
// UI thread only.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "models/pipes_model.hpp"
#include "pipescope/catalog.hpp"
#include "views/view.hpp"

namespace pipescope::gui {

class PipesView final : public View {
  public:
    using EntryAction = std::function<void(const core::PipeEntry&)>;
    using Row = PipesModel::Row;

    // The view starts `catalog`'s watcher at once (every `interval` when auto_refresh, else
    // only on request) and stops it when destroyed. `wake_ui` is called on the watcher thread
    // after a refresh with something new to show, so an idle UI wakes up (glfwPostEmptyEvent).
    PipesView(core::PipeCatalog& catalog, std::chrono::milliseconds interval, bool auto_refresh,
              std::function<void()> wake_ui = {});
    ~PipesView() override;

    [[nodiscard]] std::string title() const override { return "Pipes###pipes"; }
    void draw() override;
    [[nodiscard]] bool wants_frames() const override;
    [[nodiscard]] std::string task_status() const override;
    // "listing: NT directory + handle table", "listing: handle table only (...)", ...
    [[nodiscard]] std::string status_detail() const override;

    void on_inspect(EntryAction action) { on_inspect_ = std::move(action); }
    void on_connect(EntryAction action) { on_connect_ = std::move(action); }

    // Asks the catalog's watcher for a refresh now (F5). Never blocks.
    void request_refresh();
    void set_filter(const std::string& text);
    void set_auto_refresh(bool on, std::chrono::milliseconds interval);
    // Loads the latest snapshot into the model (also done by draw()).
    void sync();

    [[nodiscard]] const PipesModel& model() const { return model_; }
    [[nodiscard]] const std::vector<const Row*>& visible_rows() const {
        return model_.visible_rows();
    }
    [[nodiscard]] std::size_t total_rows() const { return model_.total_rows(); }
    [[nodiscard]] std::string banner() const { return model_.banner(catalog_.last_error()); }
    // Writes the visible rows as CSV or JSON; returns a message for the user.
    std::string export_to(const std::string& path, bool json) const {
        return model_.export_to(path, json);
    }

  private:
    std::optional<std::chrono::milliseconds> watch_interval() const;
    void draw_banner();
    void draw_toolbar();
    void draw_export_popup();
    void draw_table();
    void draw_row(const Row& row, int index, PipesModel::Clock::time_point now);
    void draw_row_menu(const Row& row);

    core::PipeCatalog& catalog_;
    PipesModel model_;
    EntryAction on_inspect_, on_connect_;

    char filter_buf_[256] = {};
    char export_path_[512] = "pipes.csv";
    std::string export_message_;
    bool focus_filter_ = false;
    int interval_ms_ui_;
    bool auto_refresh_ui_;
};

}  // namespace pipescope::gui
