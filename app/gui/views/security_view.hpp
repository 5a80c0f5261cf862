// The Security tab: the audit's options, Run / Cancel, progress, and the findings of every
// pipe sorted by severity (filterable, exported as JSON); a row opens its pipe in the
// inspector. Draws the AuditRunner it is given (main owns it; its worker does the probing).
// UI thread only.
#pragma once

#include <functional>
#include <string>

#include "models/audit_runner.hpp"
#include "views/view.hpp"

namespace pipescope::gui {

class SecurityView final : public View {
  public:
    using PipeAction = std::function<void(const core::PipeAudit&)>;

    // `runner` must outlive the view.
    explicit SecurityView(AuditRunner& runner);

    [[nodiscard]] std::string title() const override { return "Security###security"; }
    void draw() override;
    [[nodiscard]] bool wants_frames() const override { return runner_.running(); }
    [[nodiscard]] double frame_interval() const override { return 0.1; }
    [[nodiscard]] std::string task_status() const override;

    // Double-click on a row, or its "Inspect" item: opens that pipe in the inspector.
    void on_inspect(PipeAction action) { on_inspect_ = std::move(action); }

    // The Run button: applies the form to the runner's options and starts.
    bool run();
    void cancel() { runner_.cancel(); }
    void set_filter(const std::string& text);
    // Opens the inspector on the pipe of visible row `index` (what double-click does).
    void inspect_row(std::size_t index);

    [[nodiscard]] AuditRunner& runner() { return runner_; }
    // Screen rectangle of each visible row's first cell as last drawn (clipped rows are
    // absent), for headless tests that click rows.
    struct DrawnRow {
        std::size_t index = 0;
        float x = 0, y = 0;
    };
    [[nodiscard]] const std::vector<DrawnRow>& drawn_rows() const { return drawn_rows_; }

  private:
    void apply_form();
    void draw_options();
    void draw_actions();
    void draw_table_toolbar();
    void draw_table();
    void draw_row(const AuditRow& row, std::size_t index);

    AuditRunner& runner_;
    PipeAction on_inspect_;
    std::vector<DrawnRow> drawn_rows_;
    std::string selected_;  // the selected row's pipe name

    // Form buffers.
    char scope_buf_[256] = {};
    char exclude_buf_[512] = {};
    int timeout_ms_ = 2000;
    int concurrency_ = 4;
    bool passive_ = false;
    char filter_buf_[256] = {};
    char export_path_[512] = "audit.json";
    std::string export_message_;
};

}  // namespace pipescope::gui
