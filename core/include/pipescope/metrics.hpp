// Prometheus metrics from the pipe catalog and from benchmark reports, built with the
// prometheus-cpp client library (its data model and its text serializer; never a hand-written
// exposition format), and the HTTP exporter that serves them.
//
// Families (see README, "Monitoring a fleet"):
//   pipescope_pipes{kind}                         gauge: pipes listed (after --filter)
//   pipescope_list_duration_seconds               gauge: how long the last listing took
//   pipescope_list_errors_total{source}           counter: listings (source="list") or
//                                                 sources of a listing that failed
//   pipescope_pipes_added_total                   counter: only where the process keeps running
//   pipescope_pipes_removed_total                 counter: idem
//   pipescope_series_dropped                      gauge: per-pipe series the cap left out
//   pipescope_pipe_current_instances{name,kind}   gauge (absent when the source does not know)
//   pipescope_pipe_max_instances{name,kind}       gauge (absent when unlimited or not known)
//   pipescope_pipe_full{name,kind}                gauge 0/1: current = max (needs both)
//   pipescope_pipe_server_processes{name,kind}    gauge: PipeEntry::server_processes
//   pipescope_pipe_clients{name,kind}             gauge: accepted connections (sockets),
//                                                 client processes (pipes, FIFO writers)
// Threads: the free functions are pure and may be called from any thread; CatalogMetrics and
// MetricsExporter say so per member.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pipescope/bench.hpp"
#include "pipescope/catalog.hpp"
#include "pipescope/result.hpp"

namespace pipescope::core {

inline constexpr std::size_t kDefaultMaxSeries = 5000;
inline constexpr std::string_view kDefaultMetricsListen = "127.0.0.1:9724";

// ---- Names and label values -------------------------------------------------------------

// A pipe name's bytes as a label value. Valid UTF-8 passes unchanged (the serializer escapes
// backslash, double quote and newline). Every byte that is not part of a valid UTF-8 sequence
// (overlong forms, surrogates and code points above U+10FFFF included), and NUL, becomes the
// four characters \xHH (upper-case hex). Lossy: a name that holds those four characters
// literally reads the same; Prometheus rejects a whole scrape with invalid UTF-8, so one odd
// socket path must not cost every other series.
[[nodiscard]] std::string metric_label_text(std::string_view bytes);

// --normalize-names: parts of a name that change on every start become placeholders, so a
// service's pipe keeps one series across restarts. In this order: a GUID (8-4-4-4-12 hex
// digits) becomes <guid>; a run of 16 or more letters and digits that are all hex digits, at
// least one a decimal digit, becomes <hex>; every remaining run of decimal digits becomes <n>.
// Pipes that then share a name and kind are one series: counts are summed, full is 1 when any
// of them is full, max_instances is the sum when every one has a limit.
[[nodiscard]] std::string normalize_pipe_name(std::string_view name);

// ---- Catalog metrics ----------------------------------------------------------------------

struct MetricsOptions {
    std::string filter;  // as list --filter (entry_matches); empty: every pipe
    bool normalize_names = false;
    // Per-pipe series across all per-pipe families. Pipes are kept in order of their name
    // label (byte order), then kind, as long as all their series fit; the rest are counted in
    // pipescope_series_dropped. 0: no per-pipe series at all.
    std::size_t max_series = kDefaultMaxSeries;
};

// What a render produced (for the CLI's log line and for tests).
struct CatalogMetricsStats {
    std::size_t pipes = 0;           // entries that passed the filter
    std::size_t pipe_series = 0;     // per-pipe series written
    std::size_t series_dropped = 0;  // per-pipe series the cap left out
};

// Keeps the latest snapshot and the counters of a process that lists repeatedly, and renders
// them. Threads: every member may be called from any thread (one short lock); the exporter's
// HTTP threads render while the catalog's watcher records.
class CatalogMetrics {
  public:
    // `long_running`: the process keeps running (exporter, list --metrics --interval), so the
    // added/removed counters mean something and are written.
    CatalogMetrics(MetricsOptions options, bool long_running);

    // A successful refresh. `diff` is its change against the previous snapshot; the first
    // snapshot recorded adds nothing to the added/removed counters (its pipes were there
    // before we looked). Sources that failed in the snapshot count one error each.
    void record(std::shared_ptr<const Snapshot> snapshot, const SnapshotDiff& diff);
    // A listing that failed whole: pipescope_list_errors_total{source="list"} + 1. The last
    // good snapshot stays.
    void record_error();

    // The text exposition format (version 0.0.4) of everything: LF line ends, no BOM.
    [[nodiscard]] std::string text(CatalogMetricsStats* stats = nullptr) const;
    // True once a snapshot was recorded.
    [[nodiscard]] bool has_snapshot() const;

    // The families as prometheus-cpp values, for the exporter. Internal (the type is
    // prometheus::MetricFamily; declared opaque here so this header needs no prometheus-cpp).
    struct Families;
    [[nodiscard]] std::unique_ptr<Families> families(CatalogMetricsStats* stats = nullptr) const;

  private:
    MetricsOptions options_;
    bool long_running_;
    mutable std::mutex mutex_;
    std::shared_ptr<const Snapshot> snapshot_;
    bool seen_first_ = false;
    std::uint64_t added_ = 0, removed_ = 0;
    std::map<std::string, std::uint64_t> errors_;  // by source label
};

// One-shot: the metrics of one snapshot (no added/removed counters, errors from its failed
// sources). Any thread.
[[nodiscard]] std::string catalog_metrics_text(const Snapshot& snapshot,
                                               const MetricsOptions& options,
                                               CatalogMetricsStats* stats = nullptr);

// ---- Benchmark metrics --------------------------------------------------------------------

// A benchmark run (or a sweep's runs) as metrics labelled with the scenario: transport, io,
// pattern, size (bytes), type, peer (thread|process). Families: pipescope_bench_ok,
// pipescope_bench_duration_seconds, pipescope_bench_throughput_bytes_per_second,
// pipescope_bench_messages_per_second, pipescope_bench_latency_seconds{quantile} (0, 0.5, 0.9,
// 0.99, 0.999, 0.9999, 1), pipescope_bench_bytes_received, pipescope_bench_errors,
// pipescope_bench_integrity_failures{kind}; with a baseline: pipescope_bench_baseline_*
// throughput, messages per second and p50, and pipescope_bench_baseline_throughput_ratio /
// _p50_ratio (engine / raw loop). Gauges: a run's results are values, not running totals.
// Any thread.
[[nodiscard]] std::string bench_metrics_text(const std::vector<BenchReport>& reports);

// The line to print when writing a --metrics file failed: "error: --metrics: cannot write
// FILE: ENOENT (2). Next: ..." (write_file_atomic's errors speak of the temporary file and,
// through errno wording, of pipes; this one speaks of the file the user named). Any thread.
[[nodiscard]] std::string metrics_file_error(const Error& write_error);

// ---- The exporter -------------------------------------------------------------------------

struct ListenAddress {
    std::string host;  // numeric: "127.0.0.1", "0.0.0.0", "::1"
    std::uint16_t port = 0;
    bool ipv6 = false;
    // "127.0.0.1:9724", "[::1]:9724": what the HTTP server is given.
    [[nodiscard]] std::string to_string() const;
};

// Parses --listen: "HOST:PORT" (IPv4), "[IPV6]:PORT", "localhost:PORT" (127.0.0.1), or a
// bare "PORT" (127.0.0.1: loopback unless told otherwise). Port 0 picks a free port.
// InvalidArgument naming the value and the form expected otherwise.
[[nodiscard]] Result<ListenAddress> parse_listen_address(std::string_view text);

// Binds a TCP socket to the address and closes it again, so a port in use or an address that
// is not this machine's is reported by name before the HTTP server (whose own errors do not
// say which) is given it. Any thread.
[[nodiscard]] Status check_listen_address(const ListenAddress& address);

struct ExporterOptions {
    ListenAddress listen;
    std::chrono::milliseconds interval{5000};  // the catalog watcher's refresh interval
    MetricsOptions metrics;
};

// Serves CatalogMetrics at http://LISTEN/metrics, refreshed by a PipeCatalog watcher.
// Threads: start() and the destructor from one thread; accessors from any.
class MetricsExporter {
  public:
    // Checks the address (check_listen_address), starts the HTTP server and the watcher (the
    // first listing runs at once). `lister` replaces list_pipes (tests).
    [[nodiscard]] static Result<std::unique_ptr<MetricsExporter>> start(
        const ExporterOptions& options, CatalogOptions catalog = {},
        PipeCatalog::Lister lister = {});
    ~MetricsExporter();  // stops the watcher, then the HTTP server
    MetricsExporter(const MetricsExporter&) = delete;
    MetricsExporter& operator=(const MetricsExporter&) = delete;

    // The port the server listens on (the one picked when port 0 was asked for).
    [[nodiscard]] std::uint16_t port() const;
    // "http://127.0.0.1:9724/metrics"
    [[nodiscard]] std::string url() const;
    [[nodiscard]] const CatalogMetrics& metrics() const;
    // Refreshes that completed (successful or not) since start.
    [[nodiscard]] std::uint64_t refreshes() const;

    struct Impl;

  private:
    explicit MetricsExporter(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace pipescope::core
