// The benchmark's per-thread recorder (BenchSideStats) and what the controller reads from it.
// Internal to core.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "pipescope/bench.hpp"

namespace pipescope::core {

namespace bench {

using Clock = std::chrono::steady_clock;
using Counter = std::atomic<std::uint64_t>;
inline constexpr auto kRelaxed = std::memory_order_relaxed;

// Single writer: a plain load/add/store, no locked instruction.
inline void add(Counter& c, std::uint64_t v) noexcept {
    c.store(c.load(kRelaxed) + v, kRelaxed);
}
inline std::uint64_t ns_since(Clock::time_point a, Clock::time_point b) noexcept {
    const auto d = std::chrono::duration_cast<std::chrono::nanoseconds>(b - a).count();
    return d > 0 ? static_cast<std::uint64_t>(d) : 0;
}

}  // namespace bench

// Per-thread recorder: one writer thread (a driver or a responder), read by the controller at
// interval edges (relaxed loads; the histogram is merged the same way).
struct BenchSideStats {
    LatencyHistogram hist;
    bench::Counter bytes_sent{0}, bytes_received{0}, messages_sent{0}, messages_received{0};
    bench::Counter checked{0}, lost{0}, duplicated{0}, reordered{0}, corrupted{0};
    bench::Counter errors{0};
    bench::Counter cpu_ns{0};
    bench::Counter highest_next{0};  // receiver: next expected sequence number (for tail loss)
};

namespace bench {

using StatsList = std::vector<std::unique_ptr<BenchSideStats>>;

// One side's counters added up over its threads.
struct Totals {
    std::uint64_t bytes_sent = 0, bytes_received = 0, msgs_sent = 0, msgs_received = 0;
    std::uint64_t errors = 0;
    double cpu_s = 0;
    IntegrityCounts integ;
};

// Any thread; the counts are a consistent total only once the writers are joined.
[[nodiscard]] Totals sum(const StatsList& v);
// The measured direction: bytes and messages that completed.
[[nodiscard]] std::pair<std::uint64_t, std::uint64_t> progress_of(const Scenario& sc,
                                                                  const Totals& e, const Totals& p);
// Records the CPU time the calling thread spent since `started_cpu_s` (its
// benchplat::thread_cpu_seconds() when the job began: lanes run job after job); the last thing
// a driver or responder job does.
void finish_thread(BenchSideStats& st, double started_cpu_s);

}  // namespace bench
}  // namespace pipescope::core
