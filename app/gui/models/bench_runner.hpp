// The benchmark view's model, without ImGui: the form's scenario, starting a run from it,
// sweeps (expanding a sweep spec and running its scenarios one after another, collecting the
// results), the live series fed from the engine's snapshots, and the history of finished runs
// with compare and export. It references the engine the view was given. UI thread only (one
// owner; no locks); the engine's threads do the work and publish snapshots.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "pipescope/bench.hpp"
#include "pipescope/result.hpp"
#include "widgets/chart_math.hpp"

namespace pipescope::gui {

class BenchRunner {
  public:
    static constexpr std::size_t kHistoryLimit = 50;

    explicit BenchRunner(core::BenchEngine& engine);

    // The form's scenario, edited by the view.
    core::Scenario& scenario() { return scenario_; }
    [[nodiscard]] const core::Scenario& scenario() const { return scenario_; }
    // Replaces the scenario with the named preset; false with error() set when it fails.
    bool load_preset(const std::string& name);
    // Sets the scenario's message size from text (512, 64K, 4M); false with error() set.
    bool set_size_text(std::string_view text);

    // Starts the scenario. Returns false with error() set when the engine refuses.
    bool run();
    // Runs every scenario of the sweep spec (expanded from scenario()) one after another.
    bool run_sweep(const std::string& spec);
    void stop();
    void cancel();
    // Pulls the engine's latest snapshot into the series; when it says the run ended, collects
    // the report and starts the sweep's next scenario.
    void sync();
    void clear_error() { error_.clear(); }

    [[nodiscard]] const std::string& error() const { return error_; }
    [[nodiscard]] bool running() const { return running_; }
    [[nodiscard]] bool in_sweep() const { return in_sweep_; }
    [[nodiscard]] std::size_t sweep_remaining() const { return sweep_queue_.size(); }
    // The snapshot the last sync() took (null before the first).
    [[nodiscard]] const std::shared_ptr<const core::BenchSnapshot>& shown() const { return shown_; }
    [[nodiscard]] const RingSeries& throughput_series() const { return throughput_; }
    [[nodiscard]] const RingSeries& messages_series() const { return messages_; }
    [[nodiscard]] const RingSeries& p50_series() const { return p50_; }
    [[nodiscard]] const RingSeries& p99_series() const { return p99_; }
    [[nodiscard]] const RingSeries& max_series() const { return max_; }
    // Finished runs, oldest first (at most kHistoryLimit).
    [[nodiscard]] const std::vector<core::BenchReport>& history() const { return history_; }
    // The current or last sweep's reports, in the order its scenarios ran.
    [[nodiscard]] const std::vector<core::BenchReport>& sweep_results() const {
        return sweep_results_;
    }
    // The summary to show: the finished report's, else what the live snapshot has so far
    // (latency, bytes, elapsed). Null before the first snapshot.
    [[nodiscard]] std::optional<core::Summary> shown_summary() const;
    // The histogram's bars: the report's once the run ended, else the live ones.
    [[nodiscard]] const std::vector<core::LatencyBar>* shown_bars() const;
    // Size vs throughput of the sweep's successful runs: one curve per (transport, type, io)
    // named "<transport> <type> <io>", x = log2(message size), in the order first seen.
    [[nodiscard]] std::vector<std::pair<std::string, RingSeries>> sweep_curves() const;
    // The comparison of two history entries; empty when an index is out of range.
    [[nodiscard]] std::string compare(std::size_t a, std::size_t b) const;
    // Writes the last finished run as JSON, or its intervals as CSV.
    [[nodiscard]] core::Status export_last_json(const std::string& path) const;
    [[nodiscard]] core::Status export_last_csv(const std::string& path) const;

  private:
    void start_current();
    void finish_current();
    void reset_series();

    core::BenchEngine& engine_;
    core::Scenario scenario_;
    std::string error_;
    bool running_ = false;
    std::size_t intervals_seen_ = 0;
    RingSeries throughput_{4096}, messages_{4096}, p50_{4096}, p99_{4096}, max_{4096};
    std::shared_ptr<const core::BenchSnapshot> shown_;
    std::vector<core::Scenario> sweep_queue_;  // reversed: the next scenario is at the back
    std::vector<core::BenchReport> sweep_results_;
    bool in_sweep_ = false;
    std::vector<core::BenchReport> history_;
};

}  // namespace pipescope::gui
