// The benchmark dashboard: the scenario form with presets, Run / Stop / Cancel, live charts of
// throughput and latency (p50 / p99 / max, log scale) over time, the latency histogram, the
// summary table, sweeps (a table and a size-vs-throughput chart), run history with compare and
// export. UI thread only; the engine's threads do the work and publish snapshots.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <imgui.h>

#include "pipescope/bench.hpp"
#include "views/view.hpp"
#include "widgets/chart_math.hpp"

namespace pipescope::gui {

class BenchView final : public View {
  public:
    explicit BenchView(core::BenchEngine& engine);

    [[nodiscard]] std::string title() const override { return "Benchmark###bench"; }
    void draw() override;
    [[nodiscard]] bool wants_frames() const override { return running_; }
    // The engine publishes an interval every 100 ms; redrawing faster shows nothing new and
    // takes CPU from the benchmark.
    [[nodiscard]] double frame_interval() const override { return 0.1; }
    [[nodiscard]] std::string task_status() const override;

    // The Run button: validates the form's scenario and starts it. Returns false with
    // error() set when the engine refuses.
    bool run();
    // Runs every scenario of the sweep spec one after another.
    bool run_sweep(const std::string& spec);
    void stop();
    void cancel();
    // Pulls the engine's latest snapshot into the chart series (also done by draw()).
    void sync();

    core::Scenario& scenario() { return scenario_; }
    [[nodiscard]] const std::string& error() const { return error_; }
    [[nodiscard]] bool running() const { return running_; }
    [[nodiscard]] const RingSeries& throughput_series() const { return throughput_; }
    [[nodiscard]] const RingSeries& p99_series() const { return p99_; }
    [[nodiscard]] const std::vector<core::BenchReport>& history() const { return history_; }
    [[nodiscard]] const std::vector<core::BenchReport>& sweep_results() const {
        return sweep_results_;
    }
    // The screen centre of the "Compare with a raw loop (baseline)" checkbox as last drawn,
    // and the baseline line the dashboard last drew (empty when none): for headless tests.
    [[nodiscard]] ImVec2 baseline_checkbox_center() const { return baseline_checkbox_center_; }
    [[nodiscard]] const std::string& drawn_baseline_line() const { return drawn_baseline_line_; }

  private:
    void draw_form();
    void draw_live();
    void draw_summary(const core::Summary& s);
    void draw_baseline(const core::BenchReport& r);
    void draw_histogram();
    void draw_sweep();
    void draw_history();
    void start_current();
    void finish_current();
    void reset_series();
    void show_size();         // writes scenario_.message_size into the form
    bool apply_size_field();  // reads the form's size back, if the user edited it

    core::BenchEngine& engine_;
    ImVec2 baseline_checkbox_center_{0, 0};
    std::string drawn_baseline_line_;
    core::Scenario scenario_;
    std::string error_;
    bool running_ = false;
    std::size_t intervals_seen_ = 0;
    RingSeries throughput_{4096}, messages_{4096}, p50_{4096}, p99_{4096}, max_{4096};
    std::shared_ptr<const core::BenchSnapshot> shown_;
    std::vector<double> hist_x_, hist_y_;  // reused each frame

    std::vector<core::Scenario> sweep_queue_;
    std::vector<core::BenchReport> sweep_results_;
    bool in_sweep_ = false;
    std::vector<core::BenchReport> history_;
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
