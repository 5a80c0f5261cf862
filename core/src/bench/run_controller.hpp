// The controller of one benchmark run: it runs on the engine's worker thread, sets the run
// up, starts the peer and the drivers, aggregates their recorders at interval edges into
// snapshots, and writes the report. Internal to core.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "bench/bench_platform.hpp"
#include "bench/bench_run.hpp"
#include "bench/lanes.hpp"
#include "bench/peer_process.hpp"

namespace pipescope::core::bench {

class RunController {
  public:
    using Publish = std::function<void(std::shared_ptr<const BenchSnapshot>)>;

    // `run` holds the scenario and options; `publish` hands a snapshot to the engine.
    RunController(BenchTransport& transport, BenchRun& run, Publish publish);
    ~RunController();
    RunController(const RunController&) = delete;
    RunController& operator=(const RunController&) = delete;

    // The whole run; returns once every thread it started is joined and the final snapshot
    // (with the report) is published. The engine's worker thread only.
    void run();

  private:
    // The phases, in order.
    void place();
    Status listen();
    Status start_peer();
    void accept_connections();
    void start_drivers();
    void measure();
    void stop_and_join();
    void collect_peer_result();
    void write_summary();
    BenchState verdict();

    // Pieces of the phases.
    Status start_child_peer();
    void start_peer_threads();
    void peer_thread(BenchSideStats& st, std::stop_token stop);
    void driver_thread(Channel* ch, BenchSideStats& st);
    bool child_gone();
    Result<std::unique_ptr<Channel>> accept_one();
    void stop_setup();
    void on_interval_edge(Clock::time_point now);
    std::pair<std::uint64_t, std::uint64_t> gather(LatencyHistogram& into);
    void publish_progress(Clock::time_point now);
    void fail_now(const Error& e);
    void finish(BenchState state, std::vector<IntervalSample> intervals, LatencySummary lat);

    BenchTransport& transport_;
    BenchRun& run_;
    const Scenario& sc_;
    const BenchOptions& opt_;
    Publish publish_;
    std::shared_ptr<BenchReport> report_;

    // Placement.
    bool pinned_ok_ = true;
    std::string pin_why_;
    static constexpr int kEngineCpu = 0;
    int peer_cpu_ = 0;
    bool pin_ = false;
    std::atomic<bool> pin_failed_{false};

    // Connections.
    std::unique_ptr<Listener> listener_;
    Endpoint client_ep_;
    int conns_ = 1;  // the engine's connections (drivers), but churn has one driver and none
    std::vector<Channel*> engine_channels_;
    bool setup_ok_ = false;

    // The child-process peer.
    benchplat::ChildProcess child_;
    std::string result_path_;
    std::optional<int> peer_exit_;
    std::optional<PeerResult> child_result_;
    std::optional<Error> peer_error_;  // the child peer died and said nothing

    // Measurement: cumulative histograms at the last edge, at measurement start, and so on.
    LatencyHistogram cur_, base_, prev_, interval_h_;
    std::uint64_t base_bytes_ = 0, base_msgs_ = 0, prev_bytes_ = 0, prev_msgs_ = 0;
    std::vector<IntervalSample> intervals_;
    bool measuring_ = false;
    Clock::time_point measure_start_{}, next_edge_{}, t_end_{};
    Clock::duration step_{};

    // Last: destroyed (joined) first, while what they use still exists.
    std::vector<LaneThread> peers_;    // on the peer lanes (lanes.hpp)
    std::vector<LaneThread> drivers_;  // on the engine lanes
};

}  // namespace pipescope::core::bench
