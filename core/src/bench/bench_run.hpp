// The state one benchmark run shares between its controller, drivers and in-process peers.
// Internal to core.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "bench/recorder.hpp"
#include "pipescope/bench.hpp"

namespace pipescope::core {

struct BenchRun {
    Scenario sc;
    BenchOptions opt;
    std::atomic<bool> stopping{false};  // graceful end requested (or duration over)
    std::atomic<bool> cancelled{false};
    bench::Clock::time_point t0{}, deadline{};
    std::uint64_t count = 0;  // per driver; 0: by time

    std::mutex mutex;  // guards everything below (never on the hot path)
    std::condition_variable cv;
    std::vector<std::unique_ptr<Channel>> channels;  // live until the run ends
    Listener* listener = nullptr;
    std::string first_error;
    std::uint64_t error_count = 0;
    std::atomic<int> drivers_left{0};
    std::atomic<std::uint32_t> peer_pid{0};  // the child-process peer, once started

    bench::StatsList engine_stats, peer_stats;

    // Keeps a new connection until the run ends (cancelled at once if the run is). Any thread.
    Channel* adopt(std::unique_ptr<Channel> ch);
    // Destroys an adopted channel once its connection is over (churn makes thousands a
    // second: each holds descriptors and buffers until destroyed). Any thread.
    void drop(Channel* c);
    // Records an error; the first one becomes the report's. Any thread.
    void fail(const Error& e);
    // Cancels every pending call on the run's channels and listener. Any thread.
    void cancel_io();
    // Whether a driver that has sent `sent` messages is done. Hot path: no lock.
    [[nodiscard]] bool done_at(bench::Clock::time_point now, std::uint64_t sent) const noexcept {
        if (stopping.load(bench::kRelaxed)) return true;
        if (count) return sent >= count;
        return now >= deadline;
    }
};

}  // namespace pipescope::core
