// The benchmark engine: scenarios, the engine that runs them, reports and sweeps.
//
// The engine's own side listens and drives the pattern (sends, times, records); the peer
// connects and responds (sink for stream, echo otherwise, connect loop for churn). The peer
// runs on std::jthread threads in this process or in a child process
// (`pipescope-cli bench-peer`, started by the engine).
//
// Hot path: each I/O thread records into its own LatencyHistogram and counters (single-writer
// relaxed atomics: no lock, no allocation, no logging). The controller thread reads them at
// each interval edge, computes the interval's deltas and publishes an immutable snapshot.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "pipescope/histogram.hpp"
#include "pipescope/result.hpp"
#include "pipescope/snapshot_publisher.hpp"
#include "pipescope/transport.hpp"

namespace pipescope::core {

enum class BenchPattern { Stream, PingPong, ReqRep, Churn, Rate };
enum class CpuPlacement { Unpinned, SameCore, DifferentCores };
enum class PayloadPattern { Zeros, Sequence, Random };

// Every knob of one benchmark run. Serialises to and from JSON (see scenario_to_json).
struct Scenario {
    std::string name;                        // preset name, or empty
    std::string comment;                     // what a preset mirrors
    std::optional<TransportKind> transport;  // empty: Win32Pipe on Windows; on POSIX
                                             // UnixStream (byte) or UnixSeqpacket (message)
    IoModel io = IoModel::Sync;
    PipeType type = PipeType::Byte;  // pipe type; the read mode follows it
    std::uint32_t in_quota = 65536;
    std::uint32_t out_quota = 65536;
    int instances = 255;  // max instances (Win32)
    BenchPattern pattern = BenchPattern::PingPong;
    std::uint64_t message_size = 1024;  // bytes per message
    int clients = 1;                    // reqrep: connections
    int inflight = 1;                   // reqrep: requests in flight per connection
    double rate_per_sec = 1000;         // rate: intended sends per second
    double duration_s = 3;              // used when message_count == 0
    std::uint64_t message_count = 0;    // per client; 0: run for duration_s
    double warmup_s = 0;                // excluded from the summary
    double interval_s = 0.1;            // time-series interval
    PayloadPattern payload = PayloadPattern::Sequence;
    bool verify = false;   // sequence number + checksum in each message
    bool process = false;  // peer in a child process
    CpuPlacement cpu = CpuPlacement::Unpinned;
    // Stream and pingpong: also run the raw loop of OS calls for the same transport, model,
    // type, size and placement (bench_baseline.hpp) before the measured run, and report both.
    bool baseline = false;

    friend bool operator==(const Scenario&, const Scenario&) = default;
};

[[nodiscard]] std::string_view to_string(BenchPattern p);
[[nodiscard]] std::string_view to_string(CpuPlacement c);
[[nodiscard]] std::string_view to_string(PayloadPattern p);
// Transports, I/O models and pipe types are named and parsed by transport.hpp's to_string()
// and parse_transport_kind() / parse_io_model() / parse_pipe_type(), here as everywhere.
[[nodiscard]] std::optional<BenchPattern> parse_bench_pattern(std::string_view s);
[[nodiscard]] std::optional<CpuPlacement> parse_cpu_placement(std::string_view s);
// "1024", "64K", "4M", "1G" (binary multiples).
[[nodiscard]] std::optional<std::uint64_t> parse_size(std::string_view s);

// The transport a scenario uses on this platform.
[[nodiscard]] TransportKind resolve_transport(const Scenario& s);
// Checks ranges and combinations (e.g. verify needs messages of >= 16 bytes).
[[nodiscard]] Status validate(const Scenario& s);

// JSON (nlohmann) round trip. Unknown keys are errors; missing keys keep their defaults.
[[nodiscard]] std::string scenario_to_json(const Scenario& s);
[[nodiscard]] Result<Scenario> scenario_from_json(std::string_view json);

// Presets from assets/presets/*.json, embedded at build time.
[[nodiscard]] std::vector<std::string> preset_names();
[[nodiscard]] Result<Scenario> load_preset(std::string_view name);

// Expands a sweep spec over `base`: comma-separated axes `key=values`, values either
// `a|b|c` or a numeric range `lo..hi*factor` / `lo..hi+step` (sizes take K/M/G).
// Keys: size, type, io, transport, pattern, clients, inflight, rate, quota, duration, verify, cpu.
// Example: "size=1..4M*2,type=byte|message,io=sync|overlapped".
[[nodiscard]] Result<std::vector<Scenario>> expand_sweep(const Scenario& base,
                                                         std::string_view spec);

// ---- Results ----------------------------------------------------------------------------

struct LatencySummary {
    std::uint64_t count = 0;
    std::uint64_t min = 0, p50 = 0, p90 = 0, p99 = 0, p999 = 0, p9999 = 0, max = 0;
    double mean = 0, stdev = 0;
};
[[nodiscard]] LatencySummary summarize(const LatencyHistogram& h);

struct IntegrityCounts {
    std::uint64_t checked = 0, lost = 0, duplicated = 0, reordered = 0, corrupted = 0;
    [[nodiscard]] bool failed() const { return lost || duplicated || reordered || corrupted; }
};

// One bar of a latency histogram chart: `count` samples in (previous bar's upper_ns,
// upper_ns], upper_ns inclusive. See latency_bars().
struct LatencyBar {
    std::uint64_t upper_ns = 0;
    std::uint64_t count = 0;
};
// `h` coarsened to 4 bars per power of two ([2^k, 1.25*2^k), [1.25*2^k, 1.5*2^k), ...;
// values below 4 ns get a bar each): only non-empty bars, ascending upper_ns; the counts sum
// to h.count(). Allocates; any thread that may read `h`.
[[nodiscard]] std::vector<LatencyBar> latency_bars(const LatencyHistogram& h);

struct IntervalSample {
    double start_s = 0, end_s = 0;  // since the start of measurement (after warm-up)
    double bytes_per_sec = 0, messages_per_sec = 0;
    std::uint64_t p50_ns = 0, p99_ns = 0, max_ns = 0;
};

struct SideTotals {
    std::uint64_t bytes_sent = 0, bytes_received = 0;
    std::uint64_t messages_sent = 0, messages_received = 0;
    double cpu_s = 0;  // CPU time of that side's threads (child: the whole process)
};

struct Summary {
    double elapsed_s = 0;
    double throughput_bytes_per_sec = 0;  // bytes received by the receiving side
    double messages_per_sec = 0;          // churn: connections per second
    LatencySummary latency;
    SideTotals engine, peer;  // engine = driving side, peer = responding side
    std::uint64_t bytes_sent = 0, bytes_received = 0;  // along the measured direction(s)
    std::uint64_t errors = 0;
    IntegrityCounts integrity;
};

// The raw loop's result next to an engine run (Scenario::baseline; see bench_baseline.hpp).
// Ratios are engine / raw loop: throughput_ratio below 1 and p50_ratio above 1 are the
// engine's cost; 0 when not known (no baseline, or a side measured nothing).
struct BaselineSummary {
    bool ok = false;
    std::string error;      // why there is no baseline figure (pattern, transport, failure)
    std::string placement;  // as BenchReport::placement, for the raw loop's two threads
    double elapsed_s = 0;
    double throughput_bytes_per_sec = 0;  // bytes received by the receiving side
    double messages_per_sec = 0;          // messages (stream) or round trips (pingpong) per s
    std::uint64_t bytes_received = 0;
    LatencySummary latency;  // pingpong: round trips; stream: empty
    double throughput_ratio = 0;
    double p50_ratio = 0;
    // --baseline (the raw loop in two halves around the engine's run): how far apart the two
    // halves' figures are, |a - b| / min(a, b) of p50 (pingpong) or throughput (stream); 0 for
    // one run. Above kBaselineHalvesApartWarning the machine changed speed during the run.
    double halves_apart = 0;
};
inline constexpr double kBaselineHalvesApartWarning = 0.10;

struct BenchReport {
    Scenario scenario;
    std::string transport;  // the resolved transport name
    std::string placement;  // e.g. "same core (cpu 0)"
    std::string platform;
    bool ok = false;
    std::string error;  // why the run failed, if it did
    Summary summary;
    std::vector<IntervalSample> intervals;
    std::vector<LatencyBar> latency_bars;     // the summary's latency distribution, coarsened
    std::optional<BaselineSummary> baseline;  // set when Scenario::baseline asked for one
};

// The report as JSON: throughput_bytes_per_sec, messages_per_sec, latency_ns{min,p50,p90,
// p99,p999,p9999,max,mean,stdev}, bytes_sent, bytes_received, errors, integrity, intervals,
// the full scenario, baseline{ok, error, placement, elapsed_s, throughput_bytes_per_sec,
// messages_per_sec, bytes_received, latency_ns{...}, throughput_ratio, p50_ratio} when asked
// (ratios null when not known), ...
[[nodiscard]] std::string report_to_json(const BenchReport& r, int indent = 2);
[[nodiscard]] Result<BenchReport> report_from_json(std::string_view json);
// The time series as CSV (one row per interval, with a header).
[[nodiscard]] std::string intervals_to_csv(const BenchReport& r);
// One summary row per report (sweeps), with a header: the table and the size/throughput curve.
[[nodiscard]] std::string summaries_to_csv(const std::vector<BenchReport>& rs);
// A readable table comparing two runs: metric, a, b, b/a.
[[nodiscard]] std::string compare_reports(const BenchReport& a, const BenchReport& b);

// ---- Engine -----------------------------------------------------------------------------

// Where the engine gets its connections; the real one calls core::listen / core::connect,
// tests pass a fake.
class BenchTransport {
  public:
    virtual ~BenchTransport() = default;
    virtual Result<std::unique_ptr<Listener>> listen(const Endpoint& endpoint) = 0;
    virtual Result<std::unique_ptr<Channel>> connect(const Endpoint& endpoint, Timeout timeout,
                                                     std::stop_token stop) = 0;
};
// The operating system's transports (core::listen / core::connect).
[[nodiscard]] BenchTransport& os_transport();

enum class BenchState { Idle, Running, Finished, Failed, Cancelled };
[[nodiscard]] std::string_view to_string(BenchState s);

// What the GUI draws; immutable once published.
struct BenchSnapshot {
    BenchState state = BenchState::Idle;
    double elapsed_s = 0;
    double progress = 0;  // 0..1 (duration or count)
    bool warming_up = false;
    std::vector<IntervalSample> intervals;
    LatencySummary latency;  // so far, after warm-up
    // The cumulative latency distribution since measurement start (after warm-up), as
    // latency_bars(): about 4 bars per power of two, non-empty only, ascending upper_ns.
    std::vector<LatencyBar> latency_bars;
    std::uint64_t bytes_sent = 0, bytes_received = 0, messages = 0;
    // The child-process peer's process id once it runs (Scenario::process), else empty.
    std::optional<std::uint32_t> peer_pid;
    std::shared_ptr<const BenchReport> report;  // set once finished / failed / cancelled
};

struct BenchOptions {
    std::string peer_executable;  // pipescope-cli, for Scenario::process
    Timeout io_timeout{5000};     // any single read/write/accept
    std::string name_prefix = "pipescope-bench";
};

struct BenchRun;  // the state of one run (core/src/bench/bench_run.hpp)

class BenchEngine {
  public:
    BenchEngine(BenchTransport& transport, BenchOptions options);
    ~BenchEngine();  // cancels a run and joins its threads
    BenchEngine(const BenchEngine&) = delete;
    BenchEngine& operator=(const BenchEngine&) = delete;

    // Starts a run on a worker thread. Owner thread. Fails if one is running or invalid.
    Status start(const Scenario& scenario);
    // Ends the measurement early; the report covers what ran. Any thread.
    void stop();
    // Aborts the run: every pending call is cancelled; the report says Cancelled. Any thread.
    void cancel();
    // Waits for the run to end and returns its report (ok or not). Owner thread.
    [[nodiscard]] BenchReport wait();
    // The latest snapshot; never null. Any thread, no lock on the I/O threads' path.
    [[nodiscard]] std::shared_ptr<const BenchSnapshot> snapshot() const;

    // start + wait.
    [[nodiscard]] BenchReport run(const Scenario& scenario);

  private:
    void publish(std::shared_ptr<const BenchSnapshot> s);

    BenchTransport& transport_;
    BenchOptions options_;
    std::shared_ptr<BenchRun> run_;
    std::jthread worker_;
    SnapshotPublisher<BenchSnapshot> snapshots_;
};

// The child-process peer (pipescope-cli bench-peer): takes the --endpoint and --scenario
// arguments the engine passed it (hex JSON), connects, responds per the scenario and writes
// its result JSON to `result_path`, also when the arguments are malformed. Returns the exit
// code: 0, 1 (the peer saw an error), 2 (malformed arguments), 3 (no result written).
int run_bench_peer(BenchTransport& transport, const std::string& endpoint_arg,
                   const std::string& scenario_arg, const std::string& result_path, int cpu);

}  // namespace pipescope::core
