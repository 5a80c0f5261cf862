// The benchmark view's tables, drawn from core's reports: the summary (throughput, latency
// percentiles, bytes, CPU, integrity), the raw-loop baseline comparison and the sweep's results.
// UI thread only.
#pragma once

#include <vector>

#include "pipescope/bench.hpp"
#include "pipescope/bench_baseline.hpp"

namespace pipescope::gui {

void draw_summary_table(const core::Summary& s);
// The raw loop's numbers and the engine / raw ratios (a baseline that ran: ok).
void draw_baseline_table(const core::BaselineSummary& b);
// One row per sweep run: transport, io, type, size, throughput, msg/s, p99.
void draw_sweep_table(const std::vector<core::BenchReport>& results);

}  // namespace pipescope::gui
