// bench_perf: what the benchmark engine costs on top of the operating system. For each
// transport of this build it measures, in the same run and with both ends pinned to CPU 0,
// the engine (BenchEngine through the public API) and the raw baseline loop of plain OS
// calls (run_baseline, bench_baseline.hpp: never through PipeScope's Channel layer), on
// the same configuration:
//   stream   64 KiB writes, bytes/s at the receiver     goal: engine / raw >= 0.97
//   pingpong 1 B, p50 round trip                        goal: engine / raw <= 1.05
// natively AF_UNIX stream, AF_UNIX seqpacket, FIFO and TCP loopback; on Windows (Wine) the
// Win32 pipe on the Sync and the Overlapped model. Then, on POSIX, AF_UNIX 100 B ping-pong
// with the peer in a child process (`bench --process`) against a hand-written fork +
// socketpair loop, mean round trip, goal <= 1.03; plus the recorder's cost per sample.
// Rounds alternate raw and engine; every round is printed, and each ratio is the median of
// the rounds' ratios. Then, per transport, what a user's `bench --baseline` reports (the
// engine's own bracketing of its run with the raw loop), the median of --baseline-runs runs,
// against those medians: goal, agreement within 3%; each run says how far apart its raw loop's
// two halves were, and a run the tool warned about (the machine drifted) is also left out in a
// second line, as a user who reruns when warned would.
//   bench_perf [--stream-mib N] [--pings N] [--rounds R] [--baseline-runs N] [--only TEXT]
// Not a test: it asserts nothing about speed. Run it pinned (`taskset -c 0`, see WINE.md).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#ifdef _WIN32
#include <windows.h>
#else
#include <sched.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#endif

#include "pipescope/bench.hpp"
#include "pipescope/bench_baseline.hpp"
#include "pipescope/histogram.hpp"
#include "pipescope/transport.hpp"
#include "support/child_process.hpp"

using namespace pipescope::core;
using Clock = std::chrono::steady_clock;

namespace {

struct Options {
#ifdef _WIN32
    // Under Wine a pipe's round trip moves between about 62 and 89 us from one minute to the
    // next; shorter runs (a --baseline run here lasts about 1 s, not 4) straddle fewer of those.
    std::uint64_t stream_bytes = 256ull << 20;
    std::uint64_t pings = 5000;
#else
    std::uint64_t stream_bytes = 1024ull << 20;
    std::uint64_t pings = 20000;
#endif
    int rounds = 11;
    int baseline_runs = 3;  // bench --baseline runs per transport, compared with the rounds
    std::string only;       // run only the transports whose name contains this
};

bool pin(int cpu) {
#ifdef _WIN32
    return SetThreadAffinityMask(GetCurrentThread(), DWORD_PTR{1} << cpu) != 0;
#else
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return sched_setaffinity(0, sizeof set, &set) == 0;
#endif
}

struct Variant {
    const char* name;
    TransportKind kind;
    IoModel io;
    PipeType type;
};

std::vector<Variant> variants() {
    const Variant all[] = {
        {"AF_UNIX stream", TransportKind::UnixStream, IoModel::Sync, PipeType::Byte},
        {"AF_UNIX seqpacket", TransportKind::UnixSeqpacket, IoModel::Sync, PipeType::Message},
        {"FIFO", TransportKind::Fifo, IoModel::Sync, PipeType::Byte},
        {"TCP loopback", TransportKind::Tcp, IoModel::Sync, PipeType::Byte},
        {"win32 pipe (byte, sync)", TransportKind::Win32Pipe, IoModel::Sync, PipeType::Byte},
        {"win32 pipe (byte, ovl)", TransportKind::Win32Pipe, IoModel::Overlapped, PipeType::Byte},
    };
    std::vector<Variant> v;
    for (const auto& x : all)
        if (transport_available(x.kind)) v.push_back(x);
    return v;
}

Scenario scenario_for(const Variant& v, BenchPattern pattern) {
    Scenario s;
    s.transport = v.kind;
    s.io = v.io;
    s.type = v.type;
    s.pattern = pattern;
    s.cpu = CpuPlacement::SameCore;
    s.payload = PayloadPattern::Zeros;
    s.verify = false;
    return s;
}

Scenario stream_scenario(const Variant& v, const Options& o) {
    auto s = scenario_for(v, BenchPattern::Stream);
    s.message_size = 64 * 1024;
    s.message_count = o.stream_bytes / s.message_size;
    return s;
}

Scenario pingpong_scenario(const Variant& v, const Options& o) {
    auto s = scenario_for(v, BenchPattern::PingPong);
    s.message_size = 1;
    s.message_count = o.pings;
    return s;
}

// 0 when the run failed (said on stderr).
BenchReport engine_run(const Scenario& s, const std::string& peer_exe = {}) {
    BenchOptions opt;
    opt.peer_executable = peer_exe;
    BenchEngine engine(os_transport(), opt);
    auto r = engine.run(s);
    if (!r.ok)
        std::fprintf(stderr, "engine %s: %s\n", std::string(to_string(s.pattern)).c_str(),
                     r.error.c_str());
    return r;
}

std::optional<BaselineSummary> raw_run(const Scenario& s) {
    auto r = run_baseline(s);
    if (!r) {
        std::fprintf(stderr, "raw %s: %s\n", std::string(to_string(s.pattern)).c_str(),
                     r.error().to_string().c_str());
        return std::nullopt;
    }
    return std::move(r).value();
}

double median(std::vector<double> v) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

double record_cost_ns() {
    LatencyHistogram h;
    constexpr int kN = 20'000'000;
    std::uint64_t x = 88172645463325252ULL;
    std::vector<std::uint64_t> values(4096);
    for (auto& v : values) {  // latencies from 100 ns to ~1 ms, as a real run gives
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        v = 100 + x % 1'000'000;
    }
    const auto t0 = Clock::now();
    for (int i = 0; i < kN; ++i) h.record(values[static_cast<std::size_t>(i) & 4095]);
    const double ns = std::chrono::duration<double, std::nano>(Clock::now() - t0).count();
    if (h.count() != static_cast<std::uint64_t>(kN)) return -1;  // keeps the loop honest
    return ns / kN;
}

struct Ratios {
    double throughput = 0, p50 = 0;
};

// One transport: rounds of raw and engine, stream then pingpong. nullopt when a run failed.
std::optional<Ratios> compare_transport(const Variant& v, const Options& o) {
    std::vector<double> tp_ratios, p50_ratios;
    for (int round = 0; round < o.rounds; ++round) {
        const auto rs = raw_run(stream_scenario(v, o));
        const auto es = engine_run(stream_scenario(v, o));
        const auto rp = raw_run(pingpong_scenario(v, o));
        const auto ep = engine_run(pingpong_scenario(v, o));
        const double rt = rs ? rs->throughput_bytes_per_sec : 0;
        const double et = es.ok ? es.summary.throughput_bytes_per_sec : 0;
        const double r50 = rp ? static_cast<double>(rp->latency.p50) : 0;
        const double e50 = ep.ok ? static_cast<double>(ep.summary.latency.p50) : 0;
        std::printf(
            "  %-24s round %d: stream raw %9.1f MB/s engine %9.1f MB/s | "
            "pingpong p50 raw %8.0f ns engine %8.0f ns\n",
            v.name, round + 1, rt / 1e6, et / 1e6, r50, e50);
        if (rt > 0 && et > 0) tp_ratios.push_back(et / rt);
        if (r50 > 0 && e50 > 0) p50_ratios.push_back(e50 / r50);
    }
    if (tp_ratios.empty() || p50_ratios.empty()) {
        std::printf("%-24s FAILED (see the errors above)\n", v.name);
        return std::nullopt;
    }
    const double tp = median(tp_ratios), p50 = median(p50_ratios);
    std::printf(
        "%-24s stream 64 KiB throughput ratio %.3f (goal >= 0.97) %s | "
        "pingpong 1 B p50 ratio %.3f (goal <= 1.05) %s\n",
        v.name, tp, tp >= 0.97 ? "met" : "MISSED", p50, p50 <= 1.05 ? "met" : "MISSED");
    return Ratios{tp, p50};
}

// What a user's `bench --baseline` reports (Scenario::baseline: the raw loop in two halves
// around the engine's run, in the same engine run the CLI and the GUI make), the median of
// `runs` runs, against this program's medians of alternating rounds: the goal is agreement
// within 3%.
bool compare_user_baseline(const Variant& v, const Options& o, const Ratios& ours) {
    std::vector<double> tp, p50, tp_calm, p50_calm;  // calm: runs the tool did not warn about
    for (int run = 0; run < o.baseline_runs; ++run) {
        auto s = stream_scenario(v, o);
        s.baseline = true;
        const auto es = engine_run(s);
        auto p = pingpong_scenario(v, o);
        p.baseline = true;
        const auto ep = engine_run(p);
        const double t = es.ok && es.baseline ? es.baseline->throughput_ratio : 0;
        const double l = ep.ok && ep.baseline ? ep.baseline->p50_ratio : 0;
        const double ta = es.ok && es.baseline ? es.baseline->halves_apart : 0;
        const double la = ep.ok && ep.baseline ? ep.baseline->halves_apart : 0;
        std::printf(
            "  %-24s --baseline run %d: throughput ratio %.3f (halves %.0f%% apart%s), p50 ratio "
            "%.3f (halves %.0f%% apart%s)\n",
            v.name, run + 1, t, ta * 100, ta > kBaselineHalvesApartWarning ? ": warned" : "", l,
            la * 100, la > kBaselineHalvesApartWarning ? ": warned" : "");
        if (t > 0) tp.push_back(t);
        if (l > 0) p50.push_back(l);
        if (t > 0 && ta <= kBaselineHalvesApartWarning) tp_calm.push_back(t);
        if (l > 0 && la <= kBaselineHalvesApartWarning) p50_calm.push_back(l);
    }
    if (tp.empty() || p50.empty()) {
        std::printf("%-24s --baseline FAILED (no ratio reported)\n", v.name);
        return false;
    }
    const double t = median(tp), l = median(p50);
    const double dt = t / ours.throughput - 1, dl = l / ours.p50 - 1;
    const bool agree = std::abs(dt) <= 0.03 && std::abs(dl) <= 0.03;
    std::printf(
        "%-24s --baseline median throughput ratio %.3f (%+.1f%% from above), p50 ratio %.3f "
        "(%+.1f%%): agreement within 3%% %s\n",
        v.name, t, dt * 100, l, dl * 100, agree ? "met" : "MISSED");
    // What a user who reruns when warned sees: the runs without the drift warning.
    if ((tp_calm.size() != tp.size() || p50_calm.size() != p50.size()) && !tp_calm.empty() &&
        !p50_calm.empty()) {
        const double tc = median(tp_calm), lc = median(p50_calm);
        const double dtc = tc / ours.throughput - 1, dlc = lc / ours.p50 - 1;
        std::printf(
            "%-24s --baseline without the warned runs (%zu and %zu of %d): throughput ratio %.3f "
            "(%+.1f%%), p50 ratio %.3f (%+.1f%%): agreement within 3%% %s\n",
            v.name, tp_calm.size(), p50_calm.size(), o.baseline_runs, tc, dtc * 100, lc, dlc * 100,
            std::abs(dtc) <= 0.03 && std::abs(dlc) <= 0.03 ? "met" : "MISSED");
    }
    return true;
}

#ifndef _WIN32
// The hand-written two-process loop: fork, a socketpair, 100 B each way, blocking
// read/write, the child echoing; mean round trip in ns, 0 on failure.
double fork_socketpair_mean_ns(std::uint64_t pings, std::size_t size) {
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) return 0;
    const pid_t pid = fork();
    if (pid < 0) return 0;
    auto read_whole = [](int fd, char* p, std::size_t n) {
        for (std::size_t got = 0; got < n;) {
            const ssize_t r = read(fd, p + got, n - got);
            if (r <= 0) return false;
            got += static_cast<std::size_t>(r);
        }
        return true;
    };
    std::vector<char> buf(size, 'x');
    if (pid == 0) {
        close(sv[0]);
        while (read_whole(sv[1], buf.data(), size))
            if (write(sv[1], buf.data(), size) != static_cast<ssize_t>(size)) break;
        _exit(0);
    }
    close(sv[1]);
    double total_ns = 0;
    std::uint64_t done = 0;
    for (; done < pings; ++done) {
        const auto t1 = Clock::now();
        if (write(sv[0], buf.data(), size) != static_cast<ssize_t>(size)) break;
        if (!read_whole(sv[0], buf.data(), size)) break;
        total_ns += std::chrono::duration<double, std::nano>(Clock::now() - t1).count();
    }
    close(sv[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    return done == pings ? total_ns / static_cast<double>(pings) : 0;
}

// AF_UNIX 100 B ping-pong, peer in a child process: engine (--process) against fork +
// socketpair, mean round trip.
bool compare_child_process(const Options& o) {
    std::vector<double> ratios;
    for (int round = 0; round < o.rounds; ++round) {
        const double raw = fork_socketpair_mean_ns(o.pings, 100);
        Scenario s = scenario_for(variants().front(), BenchPattern::PingPong);
        s.transport = TransportKind::UnixStream;
        s.message_size = 100;
        s.message_count = o.pings;
        s.process = true;
        const auto e = engine_run(s, pipescope::test::built_program(PIPESCOPE_CLI_PATH));
        const double eng = e.ok ? e.summary.latency.mean : 0;
        std::printf(
            "  %-24s round %d: mean round trip raw %8.0f ns engine %8.0f ns "
            "(engine p50 %llu, p99 %llu, max %llu ns)\n",
            "AF_UNIX 100 B, process", round + 1, raw, eng,
            static_cast<unsigned long long>(e.summary.latency.p50),
            static_cast<unsigned long long>(e.summary.latency.p99),
            static_cast<unsigned long long>(e.summary.latency.max));
        if (raw > 0 && eng > 0) ratios.push_back(eng / raw);
    }
    if (ratios.empty()) {
        std::printf("%-24s FAILED (see the errors above)\n", "AF_UNIX 100 B, process");
        return false;
    }
    const double r = median(ratios);
    std::printf("%-24s child-process pingpong 100 B mean ratio %.3f (goal <= 1.03) %s\n",
                "AF_UNIX 100 B, process", r, r <= 1.03 ? "met" : "MISSED");
    return true;
}
#endif

}  // namespace

int main(int argc, char** argv) {
    Options o;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string a = argv[i];
        const char* v = argv[i + 1];
        if (a == "--stream-mib")
            o.stream_bytes = std::strtoull(v, nullptr, 10) << 20;
        else if (a == "--pings")
            o.pings = std::strtoull(v, nullptr, 10);
        else if (a == "--rounds")
            o.rounds = std::atoi(v);
        else if (a == "--baseline-runs")
            o.baseline_runs = std::atoi(v);
        else if (a == "--only")
            o.only = v;
        else {
            std::fprintf(stderr,
                         "usage: bench_perf [--stream-mib N] [--pings N] [--rounds R] "
                         "[--baseline-runs N] [--only TEXT]\n");
            return 2;
        }
    }
    if (o.stream_bytes < (64u << 10) || o.pings < 1 || o.rounds < 1) return 2;
    // The engine pins its threads to CPU 0 (CpuPlacement::SameCore), the raw loops too.
    const bool pinned = pin(0);
    std::printf("bench_perf: stream %llu MiB, pingpong %llu round trips, %d rounds, %s\n",
                static_cast<unsigned long long>(o.stream_bytes >> 20),
                static_cast<unsigned long long>(o.pings), o.rounds,
                pinned ? "both ends pinned to cpu 0" : "UNPINNED (affinity refused)");
    std::printf("raw = run_baseline (plain OS calls, no Channel); engine = BenchEngine\n");
    std::printf("recorder: %.2f ns per sample (LatencyHistogram::record)\n", record_cost_ns());

    int failures = 0;
    for (const auto& v : variants()) {
        if (!o.only.empty() && std::string(v.name).find(o.only) == std::string::npos) continue;
        const auto ours = compare_transport(v, o);
        if (!ours) {
            ++failures;
            continue;
        }
        if (o.baseline_runs > 0 && !compare_user_baseline(v, o, *ours)) ++failures;
    }
#ifndef _WIN32
    if ((o.only.empty() || std::string("AF_UNIX 100 B, process").find(o.only) == 0) &&
        !compare_child_process(o))
        ++failures;
#else
    std::printf("child-process pingpong against fork + socketpair: POSIX only\n");
#endif
    return failures ? 1 : 0;
}
