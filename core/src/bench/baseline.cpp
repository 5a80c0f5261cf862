// Raw baselines, portable parts: what has a baseline, the watchdog, the figures, the ratios
// and their wording. The loops are in baseline_loops.hpp, the OS ends in posix/ and win32/.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <optional>
#include <string>

#include "bench/baseline_loops.hpp"
#include "bench/bench_platform.hpp"
#include "pipescope/bench_baseline.hpp"

namespace pipescope::core {

namespace {

Error unsupported(const Scenario& s, std::string why) {
    return make_error(ErrorCode::Unsupported, "baseline", std::string(to_string(s.pattern)),
                      std::move(why));
}

}  // namespace

Status baseline_supported(const Scenario& s) {
    if (s.pattern != BenchPattern::Stream && s.pattern != BenchPattern::PingPong)
        return unsupported(s, std::string(to_string(s.pattern)) +
                                  " has no baseline: raw loops exist for the stream and "
                                  "pingpong patterns only");
    if (s.message_size == 0 || s.message_size > 64ULL * 1024 * 1024)
        return unsupported(s, "the message size must be 1 byte to 64 MiB");
    const TransportKind kind = resolve_transport(s);
    if (!transport_available(kind))
        return make_error(ErrorCode::Unsupported, "baseline", std::string(to_string(kind)),
                          "the " + std::string(to_string(kind)) +
                              " transport is not available on this platform, so it has no raw "
                              "loop. Next: pick one of this platform's transports");
    if (kind == TransportKind::Win32Pipe && s.process)
        return make_error(ErrorCode::Unsupported, "baseline", "process",
                          "the raw loop with its peer in a child process exists on POSIX only "
                          "(fork); on Windows there is none yet. Next: compare without --process, "
                          "where both have the peer in a thread");
    if (kind == TransportKind::Win32Pipe && s.io == IoModel::Iocp)
        return make_error(ErrorCode::Unsupported, "baseline", "iocp",
                          "the iocp model has no raw loop (sync and overlapped have). Next: "
                          "compare with --io overlapped");
    return {};
}

namespace baseline {

Status supervise(Shared& sh, const BaselineOptions& o, const std::function<void()>& poke) {
    // An infinite (negative) or zero bound would never, or at once, end the run.
    const auto stall = std::chrono::duration_cast<Clock::duration>(
        o.stall_timeout.count() > 0 ? o.stall_timeout : Timeout{5000});
    std::uint64_t last_progress = sh.progress.load(kRelaxed);
    auto last_change = Clock::now();
    std::optional<Error> why;
    while (sh.running.load() > 0) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
        const auto now = Clock::now();
        if (!sh.abort.load()) {
            const std::uint64_t p = sh.progress.load(kRelaxed) + sh.sent.load(kRelaxed);
            if (p != last_progress) {
                last_progress = p;
                last_change = now;
            }
            if (o.cancel && o.cancel->load()) {
                why = make_error(ErrorCode::Cancelled, "baseline", "raw loop", "cancelled");
            } else if (now - last_change > stall) {
                why = make_error(ErrorCode::Timeout, "baseline", "raw loop",
                                 "no progress for " + std::to_string(o.stall_timeout.count()) +
                                     " ms; the watchdog ended the run. Next: check the "
                                     "transport with a short run");
            } else if (sh.timed && now > sh.deadline + stall) {
                why = make_error(ErrorCode::Timeout, "baseline", "raw loop",
                                 "the run went on past its duration; the watchdog ended it");
            }
            if (why) sh.abort = true;
        }
        if (sh.abort.load()) poke();  // again every 10 ms: a wake-up may land between calls
    }
    if (why) return *why;
    return {};
}

}  // namespace baseline

namespace {

// One raw run's figures, kept whole so two runs can be added up.
struct RawRun {
    double elapsed_s = 0;
    std::uint64_t bytes = 0, messages = 0;
    LatencyHistogram rtt;
    bool pinned = false;
    std::string pin_why;
};

Status run_raw(const Scenario& s, const BaselineOptions& o, RawRun& out) {
    if (auto st = baseline_supported(s); !st) return st;
    baseline::Shared sh;
    sh.stream = s.pattern == BenchPattern::Stream;
    sh.size = static_cast<std::size_t>(s.message_size);
    sh.timed = s.message_count == 0;
    sh.count = s.message_count;
    sh.child = s.process;
    bool pin = s.cpu != CpuPlacement::Unpinned;
    if (s.cpu == CpuPlacement::DifferentCores && benchplat::cpu_count() < 2) {
        pin = false;
        out.pin_why = "only one CPU available";
    }
    if (pin) {
        sh.engine_cpu = 0;
        sh.peer_cpu = s.cpu == CpuPlacement::DifferentCores ? 1 : 0;
    }
    using Secs = std::chrono::duration<double>;
    const auto warmup =
        std::chrono::duration_cast<baseline::Clock::duration>(Secs(std::max(0.0, s.warmup_s)));
    const auto duration =
        std::chrono::duration_cast<baseline::Clock::duration>(Secs(std::max(0.0, s.duration_s)));
    Status st = baseline::run_os(s, resolve_transport(s), sh, warmup, duration, o);
    if (!st) return st;
    if (sh.engine_error) return *sh.engine_error;
    if (sh.peer_error) return *sh.peer_error;
    if (sh.messages == 0)
        return make_error(ErrorCode::Io, "baseline", "raw loop",
                          "no message completed. Next: run longer (duration or count)");
    out.pinned = pin && !sh.pin_failed;
    if (sh.pin_failed) out.pin_why = "the OS refused";
    out.elapsed_s += std::chrono::duration<double>(sh.measure_end - sh.measure_start).count();
    out.bytes += sh.bytes;
    out.messages += sh.messages;
    out.rtt.merge(sh.rtt);
    return {};
}

BaselineSummary summary_of(const Scenario& s, const RawRun& r) {
    BaselineSummary b;
    b.ok = true;
    b.placement = benchplat::placement_text(s.cpu, r.pinned, r.pin_why, "raw loop") +
                  (s.process ? ", peer in a child process" : ", peer in a thread");
    b.elapsed_s = r.elapsed_s;
    const double dt = std::max(1e-9, b.elapsed_s);
    b.bytes_received = r.bytes;
    b.throughput_bytes_per_sec = static_cast<double>(r.bytes) / dt;
    b.messages_per_sec = static_cast<double>(r.messages) / dt;
    if (s.pattern != BenchPattern::Stream) b.latency = summarize(r.rtt);
    return b;
}

BaselineSummary failed(const Error& e) {
    BaselineSummary b;
    // "reqrep has no baseline: ..." reads best alone; an OS failure needs its call and code.
    b.error = e.code == ErrorCode::Unsupported && e.os_kind == OsCodeKind::None ? e.message
                                                                                : e.to_string();
    return b;
}

}  // namespace

Result<BaselineSummary> run_baseline(const Scenario& s, const BaselineOptions& o) {
    RawRun r;
    if (auto st = run_raw(s, o, r); !st) return std::move(st).error();
    return summary_of(s, r);
}

struct BaselineBracket::Impl {
    Scenario first, second;
    BaselineOptions options;
    RawRun before, after;  // the halves, kept apart to see a drift between them
    std::optional<Error> error;
};

BaselineBracket::BaselineBracket(const Scenario& s, BaselineOptions o) : impl_(new Impl) {
    impl_->options = std::move(o);
    impl_->first = s;
    impl_->second = s;
    if (s.message_count > 0) {
        impl_->second.message_count = s.message_count / 2;
        impl_->first.message_count = s.message_count - impl_->second.message_count;
        if (impl_->second.message_count == 0) impl_->second.message_count = 1;
    } else {
        impl_->first.duration_s = impl_->second.duration_s = s.duration_s / 2;
    }
}

BaselineBracket::~BaselineBracket() = default;

void BaselineBracket::before() {
    if (auto st = run_raw(impl_->first, impl_->options, impl_->before); !st)
        impl_->error = st.error();
}

void BaselineBracket::after() {
    if (impl_->error) return;
    if (auto st = run_raw(impl_->second, impl_->options, impl_->after); !st)
        impl_->error = st.error();
}

BaselineSummary BaselineBracket::result() const {
    if (impl_->error) return failed(*impl_->error);
    const RawRun& a = impl_->before;
    const RawRun& b = impl_->after;
    RawRun both = a;
    both.elapsed_s += b.elapsed_s;
    both.bytes += b.bytes;
    both.messages += b.messages;
    both.rtt.merge(b.rtt);
    BaselineSummary sum = summary_of(impl_->first, both);
    if (b.messages > 0)  // both halves ran
        sum.halves_apart =
            baseline_halves_apart(summary_of(impl_->first, a), summary_of(impl_->first, b));
    return sum;
}

double baseline_halves_apart(const BaselineSummary& a, const BaselineSummary& b) {
    const bool timed = a.latency.count > 0 && b.latency.count > 0;
    const double u = timed ? static_cast<double>(a.latency.p50) : a.throughput_bytes_per_sec;
    const double v = timed ? static_cast<double>(b.latency.p50) : b.throughput_bytes_per_sec;
    if (!(u > 0) || !(v > 0)) return 0;
    return std::abs(u - v) / std::min(u, v);
}

BaselineSummary baseline_for_report(const Scenario& s, const BaselineOptions& o) {
    auto r = run_baseline(s, o);
    if (r) return std::move(r).value();
    return failed(r.error());
}

void attach_baseline_ratios(BenchReport& r) {
    if (!r.baseline) return;
    BaselineSummary& b = *r.baseline;
    b.throughput_ratio = 0;
    b.p50_ratio = 0;
    if (!b.ok) return;
    if (b.throughput_bytes_per_sec > 0 && r.summary.throughput_bytes_per_sec > 0)
        b.throughput_ratio = r.summary.throughput_bytes_per_sec / b.throughput_bytes_per_sec;
    if (b.latency.p50 > 0 && r.summary.latency.p50 > 0)
        b.p50_ratio =
            static_cast<double>(r.summary.latency.p50) / static_cast<double>(b.latency.p50);
}

std::string baseline_overhead_text(const BenchReport& r) {
    if (!r.baseline) return {};
    const BaselineSummary& b = *r.baseline;
    if (!b.ok) return "baseline: none (" + b.error + ")";
    if (b.throughput_ratio <= 0 && b.p50_ratio <= 0)
        return "baseline: ran, but the engine run has no figure to compare";
    // Overhead is the engine's cost: throughput it lost, and p50 it added. Both positive when
    // the engine is slower than the raw loop, negative when it measured faster.
    std::string cost = "engine overhead:", ratios = " (engine/raw loop:";
    char buf[96];
    if (b.throughput_ratio > 0) {
        std::snprintf(buf, sizeof buf, " %+.1f%% throughput", (1.0 - b.throughput_ratio) * 100);
        cost += buf;
        std::snprintf(buf, sizeof buf, " %.3fx throughput", b.throughput_ratio);
        ratios += buf;
    }
    if (b.p50_ratio > 0) {
        std::snprintf(buf, sizeof buf, "%s %+.1f%% p50", b.throughput_ratio > 0 ? "," : "",
                      (b.p50_ratio - 1.0) * 100);
        cost += buf;
        std::snprintf(buf, sizeof buf, "%s %.3fx p50", b.throughput_ratio > 0 ? "," : "",
                      b.p50_ratio);
        ratios += buf;
    }
    std::string text = cost + ratios + ")";
    if (b.halves_apart > kBaselineHalvesApartWarning) {
        std::snprintf(buf, sizeof buf, "%.0f%%", b.halves_apart * 100);
        text +=
            std::string(". Warning: the raw loop before and after the engine's run differed by ") +
            buf +
            ": the machine's speed changed during the run, so this ratio is unreliable. Next: "
            "run again, or several times and take the median";
    }
    return text;
}

}  // namespace pipescope::core
