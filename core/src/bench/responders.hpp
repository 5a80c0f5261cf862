// The responders: the peer's side of a run, one per connection, on a thread of the engine's
// process or of the child-process peer. Each counts into its own BenchSideStats and closes
// its channel when done; errors count in BenchSideStats::errors. Internal to core.
#pragma once

#include <stop_token>

#include "bench/recorder.hpp"
#include "pipescope/bench.hpp"

namespace pipescope::core::bench {

// stream: reads until the writer ends the stream, checking sequence numbers if asked.
void respond_sink(const Scenario& sc, Channel& ch, BenchSideStats& st, Timeout to);
// pingpong, reqrep, rate: sends back every message it reads, whole.
void respond_echo(Channel& ch, BenchSideStats& st, std::size_t size, Timeout to);
// churn, client side: connect, send one message, read the echo, close; until `stop` or the
// engine's listener goes away.
void respond_churn(BenchTransport& tr, const Endpoint& ep, const Scenario& sc, BenchSideStats& st,
                   Timeout to, std::stop_token stop);
// The responder for one connection of the scenario (not churn): sink or echo.
void respond(const Scenario& sc, Channel& ch, BenchSideStats& st, Timeout to);

}  // namespace pipescope::core::bench
