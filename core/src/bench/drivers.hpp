// The drivers: the engine's side of a run, one per connection, each on its own thread. They
// send, time and count into their own BenchSideStats until BenchRun::done_at says stop, then
// end the connection so the peer's counts are final. Errors go to BenchRun::fail. Internal.
#pragma once

#include "bench/bench_run.hpp"

namespace pipescope::core::bench {

// stream: write messages back to back; latency is each write's duration.
void drive_stream(BenchRun& run, Channel& ch, BenchSideStats& st);
// pingpong (inflight 1) and reqrep (`inflight` in flight): latency is the round trip.
void drive_echo(BenchRun& run, Channel& ch, BenchSideStats& st, int inflight);
// rate: open loop at Scenario::rate_per_sec; latency from the intended send time.
void drive_rate(BenchRun& run, Channel& ch, BenchSideStats& st);
// churn, server side: accept, echo one message, wait for the close; latency is the whole
// cycle from one accepted connection to the next.
void drive_churn(BenchRun& run, Listener& listener, BenchSideStats& st);

}  // namespace pipescope::core::bench
