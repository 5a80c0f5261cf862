// The child-process peer (Scenario::process): how the engine starts it and what it sends
// back. Both ends are this file: peer_arguments() builds the command line run_bench_peer()
// (pipescope-cli bench-peer) reads, and PeerResult is written by the child and read by the
// engine. Internal to core; both processes are the same binary version.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bench/recorder.hpp"
#include "pipescope/bench.hpp"

namespace pipescope::core::bench {

// What the child-process peer reports through its --result file: its responders' totals
// (cpu_s is the whole process's CPU time) and its first error, if any.
struct PeerResult {
    Totals t;
    std::string error;

    [[nodiscard]] std::string to_json() const;
    // Missing fields read as 0 / empty; nullopt if the text is not JSON.
    [[nodiscard]] static std::optional<PeerResult> from_json(std::string_view text);
    // The --result file. write_file: false if it could not be written.
    [[nodiscard]] bool write_file(const std::string& path) const;
    [[nodiscard]] static std::optional<PeerResult> read_file(const std::string& path);
};

// The arguments (after the executable) that start the peer for `client_endpoint` and `sc`:
// bench-peer --endpoint <hex JSON> --scenario <hex JSON> --result <path> [--cpu <n>]. The JSON
// goes as hex so it survives a command line on every platform.
[[nodiscard]] std::vector<std::string> peer_arguments(const Endpoint& client_endpoint,
                                                      const Scenario& sc,
                                                      const std::string& result_path,
                                                      std::optional<int> cpu);

}  // namespace pipescope::core::bench
