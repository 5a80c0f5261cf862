// The pipe list: draws the pipes model (filter, sort, new-row highlight, removed-row fade, full
// pipes) and sends commands to the catalog's watcher (refresh now, interval). The watcher is
// the catalog's thread, started at the first draw and stopped with the view. Listing never
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

    // The view starts `catalog`'s watcher at its first draw (every `interval` when
    // auto_refresh, else only on request) and stops it when destroyed.
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
    // Called on the watcher thread after a refresh with something new to show, so an idle UI
    // wakes up (glfwPostEmptyEvent). Set it before the first draw.
    void on_new_data(std::function<void()> wake) { wake_ui_ = std::move(wake); }

    // Asks the catalog's watcher for a refresh now (F5). Never blocks.
    void request_refresh();
    void set_filter(const std::string& text);
    void set_auto_refresh(bool on, std::chrono::milliseconds interval);
    // Starts the watcher if needed and loads the latest snapshot (also done by draw()).
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
    std::function<void()> wake_ui_;
    bool watching_ = false;  // this view started the catalog's watcher

    char filter_buf_[256] = {};
    char export_path_[512] = "pipes.csv";
    std::string export_message_;
    bool focus_filter_ = false;
    int interval_ms_ui_;
    bool auto_refresh_ui_;
};

}  // namespace pipescope::gui
