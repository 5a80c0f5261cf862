// The benchmark dashboard: the scenario form with presets, Run / Stop / Cancel, live charts of
// throughput and latency (p50 / p99 / max, log scale) over time, the latency histogram, the
// summary table, sweeps (a table and a size-vs-throughput chart), run history with compare and
// export. UI thread only; the engine's threads do the work and publish snapshots.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <imgui.h>

#include "models/bench_runner.hpp"
#include "pipescope/bench.hpp"
#include "views/view.hpp"
#include "widgets/chart_math.hpp"

namespace pipescope::gui {

class BenchView final : public View {
  public:
    explicit BenchView(core::BenchEngine& engine);

    [[nodiscard]] std::string title() const override { return "Benchmark###bench"; }
    void draw() override;
    // While a run goes, and for a few frames after it ends: a table that appears in the final
    // frame (the summary, the baseline) is laid out by ImGui only in the frame after, and an
    // idle app draws no frame after.
    [[nodiscard]] bool wants_frames() const override {
        return runner_.running() || settle_frames_ > 0;
    }
    // The engine publishes an interval every 100 ms; redrawing faster shows nothing new and
    // takes CPU from the benchmark.
    [[nodiscard]] double frame_interval() const override { return 0.1; }
    [[nodiscard]] std::string task_status() const override;

    // The Run button: reads the form's size field and starts the form's scenario. Returns
    // false with error() set when the size is not one or the engine refuses.
    bool run();
    // Runs every scenario of the sweep spec one after another.
    bool run_sweep(const std::string& spec);
    void stop() { runner_.stop(); }
    void cancel() { runner_.cancel(); }
    // Pulls the engine's latest snapshot into the chart series (also done by draw()).
    void sync() { runner_.sync(); }

    // The model: scenario, runs, sweep, history.
    BenchRunner& runner() { return runner_; }
    core::Scenario& scenario() { return runner_.scenario(); }
    [[nodiscard]] const std::string& error() const { return runner_.error(); }
    [[nodiscard]] bool running() const { return runner_.running(); }
    [[nodiscard]] const RingSeries& throughput_series() const {
        return runner_.throughput_series();
    }
    [[nodiscard]] const RingSeries& p99_series() const { return runner_.p99_series(); }
    [[nodiscard]] const std::vector<core::BenchReport>& history() const {
        return runner_.history();
    }
    [[nodiscard]] const std::vector<core::BenchReport>& sweep_results() const {
        return runner_.sweep_results();
    }
    // The screen centre of the "Compare with a raw loop (baseline)" checkbox as last drawn,
    // and the baseline line the dashboard last drew (empty when none): for headless tests.
    [[nodiscard]] ImVec2 baseline_checkbox_center() const { return baseline_checkbox_center_; }
    [[nodiscard]] const std::string& drawn_baseline_line() const { return drawn_baseline_line_; }

  private:
    void draw_form();
    void draw_scenario_fields();
    void draw_actions();
    void draw_live();
    void draw_charts();
    void draw_baseline(const core::BenchReport& r);
    void draw_histogram();
    void draw_sweep();
    void draw_history();
    void show_size();         // writes the scenario's message size into the form
    bool apply_size_field();  // reads the form's size back, if the user edited it

    BenchRunner runner_;
    bool was_running_ = false;
    int settle_frames_ = 0;
    ImVec2 baseline_checkbox_center_{0, 0};
    std::string drawn_baseline_line_;
    std::vector<double> hist_x_, hist_y_;  // reused each frame
    int compare_a_ = -1, compare_b_ = -1;
    std::string compare_text_;

    // Form buffers.
    int preset_ = -1;
    char size_buf_[32] = "1K";
    std::string size_field_shown_;
    char sweep_buf_[256] = "size=64..1M*4,type=byte|message";
    char export_path_[512] = "bench-report.json";
    std::string export_message_;
};

}  // namespace pipescope::gui
