// pipescope-cli bench: runs a scenario (or a sweep) and prints iperf3-style interval lines and
// a summary, or JSON / CSV. pipescope-cli bench-peer: the child-process peer the engine starts.
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

#include "commands.hpp"
#include "pipescope/bench.hpp"
#include "pipescope/bench_baseline.hpp"
#include "pipescope/files.hpp"
#include "pipescope/metrics.hpp"
#include "pipescope/platform.hpp"

namespace pipescope::cli {

namespace {

using namespace pipescope::core;

struct BenchArgs {
    std::string transport, io, pattern, size, type, quota, preset, sweep, cpu, compare;
    std::string metrics;  // --metrics FILE: the runs as Prometheus metrics
    double duration = 0, rate = 0;
    int clients = 0, inflight = 0;
    bool verify = false, process = false, baseline = false, json = false, csv = false;
};

// This program, in UTF-8: the benchmark starts it again as its child-process peer.
std::string self_exe() {
    const auto self = core::self_executable_path().u8string();
    return self.empty() ? std::string("pipescope-cli") : std::string(self.begin(), self.end());
}

std::string human_rate(double bytes_per_sec) {
    char b[64];
    const char* units[] = {"B/s", "KiB/s", "MiB/s", "GiB/s"};
    int u = 0;
    while (bytes_per_sec >= 1024 && u < 3) {
        bytes_per_sec /= 1024;
        ++u;
    }
    std::snprintf(b, sizeof b, "%8.2f %s", bytes_per_sec, units[u]);
    return b;
}

std::string human_ns(std::uint64_t ns) {
    char b[32];
    if (ns < 10'000)
        std::snprintf(b, sizeof b, "%llu ns", static_cast<unsigned long long>(ns));
    else if (ns < 10'000'000)
        std::snprintf(b, sizeof b, "%.1f us", double(ns) / 1e3);
    else
        std::snprintf(b, sizeof b, "%.1f ms", double(ns) / 1e6);
    return b;
}

void print_interval(const IntervalSample& i) {
    std::printf("[%6.2f-%6.2f s]  %s  %10.0f msg/s  p50 %10s  p99 %10s  max %10s\n", i.start_s,
                i.end_s, human_rate(i.bytes_per_sec).c_str(), i.messages_per_sec,
                human_ns(i.p50_ns).c_str(), human_ns(i.p99_ns).c_str(), human_ns(i.max_ns).c_str());
}

// Scenario::baseline: the raw loop's figures, then the engine's overhead against them.
void print_baseline(const BenchReport& r) {
    if (!r.baseline) return;
    const BaselineSummary& b = *r.baseline;
    if (b.ok) {
        std::printf("baseline (raw loop of OS calls, %s): %s  %10.0f msg/s", b.placement.c_str(),
                    human_rate(b.throughput_bytes_per_sec).c_str(), b.messages_per_sec);
        if (b.latency.count > 0)
            std::printf("  p50 %s  p99 %s  max %s  mean %s", human_ns(b.latency.p50).c_str(),
                        human_ns(b.latency.p99).c_str(), human_ns(b.latency.max).c_str(),
                        human_ns(std::uint64_t(b.latency.mean)).c_str());
        std::printf("\n");
    }
    std::printf("%s\n", baseline_overhead_text(r).c_str());
}

void print_summary(const BenchReport& r) {
    const auto& s = r.summary;
    std::printf("- - - - - - - - - - - - - - - - - - - - - - - - -\n");
    std::printf("%s %s %s %s, %llu B messages, %s, %s\n", r.transport.c_str(),
                std::string(to_string(r.scenario.io)).c_str(),
                std::string(to_string(r.scenario.type)).c_str(),
                std::string(to_string(r.scenario.pattern)).c_str(),
                static_cast<unsigned long long>(r.scenario.message_size),
                r.scenario.process ? "peer in a child process" : "peer in a thread",
                r.placement.c_str());
    std::printf("[%6.2f s total]  %s  %10.0f msg/s\n", s.elapsed_s,
                human_rate(s.throughput_bytes_per_sec).c_str(), s.messages_per_sec);
    std::printf(
        "latency: min %s  mean %s  stdev %s  p50 %s  p90 %s  p99 %s  p99.9 %s  p99.99 %s  max %s\n",
        human_ns(s.latency.min).c_str(), human_ns(std::uint64_t(s.latency.mean)).c_str(),
        human_ns(std::uint64_t(s.latency.stdev)).c_str(), human_ns(s.latency.p50).c_str(),
        human_ns(s.latency.p90).c_str(), human_ns(s.latency.p99).c_str(),
        human_ns(s.latency.p999).c_str(), human_ns(s.latency.p9999).c_str(),
        human_ns(s.latency.max).c_str());
    std::printf("bytes sent %llu, received %llu; cpu engine %.3f s, peer %.3f s; errors %llu\n",
                static_cast<unsigned long long>(s.bytes_sent),
                static_cast<unsigned long long>(s.bytes_received), s.engine.cpu_s, s.peer.cpu_s,
                static_cast<unsigned long long>(s.errors));
    if (r.scenario.verify)
        std::printf(
            "integrity: %llu checked, %llu lost, %llu duplicated, %llu reordered, %llu corrupted\n",
            static_cast<unsigned long long>(s.integrity.checked),
            static_cast<unsigned long long>(s.integrity.lost),
            static_cast<unsigned long long>(s.integrity.duplicated),
            static_cast<unsigned long long>(s.integrity.reordered),
            static_cast<unsigned long long>(s.integrity.corrupted));
    print_baseline(r);
    if (!r.ok) std::printf("FAILED: %s\n", r.error.c_str());
}

// Applies the flags the user gave on top of the base (preset or defaults).
Result<Scenario> build_scenario(const BenchArgs& a, const CLI::App& cmd) {
    Scenario s;
    if (!a.preset.empty()) {
        auto p = load_preset(a.preset);
        if (!p) return p;
        s = std::move(p).value();
    }
    auto bad = [](std::string what, std::string msg) {
        return make_error(ErrorCode::InvalidArgument, "bench", std::move(what), std::move(msg));
    };
    auto given = [&](const char* flag) { return cmd.count(flag) > 0; };
    if (given("--transport")) {
        auto t = parse_transport_kind(a.transport);
        if (!t) return bad("--transport", "use win32, unix, seqpacket, fifo or tcp");
        s.transport = t;
    }
    if (given("--io")) {
        auto t = parse_io_model(a.io);
        if (!t) return bad("--io", "use sync, overlapped or iocp");
        s.io = *t;
    }
    if (given("--pattern")) {
        auto t = parse_bench_pattern(a.pattern);
        if (!t) return bad("--pattern", "use stream, pingpong, reqrep, churn or rate");
        s.pattern = *t;
    }
    if (given("--type")) {
        auto t = parse_pipe_type(a.type);
        if (!t) return bad("--type", "use byte or message");
        s.type = *t;
    }
    if (given("--cpu")) {
        auto t = parse_cpu_placement(a.cpu);
        if (!t) return bad("--cpu", "use same, different or unpinned");
        s.cpu = *t;
    }
    if (given("--size")) {
        auto v = parse_size(a.size);
        if (!v) return bad("--size", "'" + a.size + "' is not a size (e.g. 1024, 64K, 4M)");
        s.message_size = *v;
    }
    if (given("--quota")) {
        auto v = parse_size(a.quota);
        if (!v || *v > 0xffffffffULL) return bad("--quota", "'" + a.quota + "' is not a quota");
        s.in_quota = s.out_quota = static_cast<std::uint32_t>(*v);
    }
    if (given("--duration")) {
        s.duration_s = a.duration;
        s.message_count = 0;
    }
    if (given("--clients")) s.clients = a.clients;
    if (given("--inflight")) s.inflight = a.inflight;
    if (given("--rate")) s.rate_per_sec = a.rate;
    if (given("--verify")) s.verify = true;
    if (given("--process")) s.process = true;
    if (given("--baseline")) s.baseline = true;
    return s;
}

int run_bench(const BenchArgs& a, const CLI::App& cmd) {
    if (!a.compare.empty()) {
        const auto sep = a.compare.find(',');
        if (sep == std::string::npos) {
            std::fprintf(stderr, "error: --compare takes A.json,B.json\n");
            return 2;
        }
        const auto ta = core::read_file(a.compare.substr(0, sep));
        const auto tb = core::read_file(a.compare.substr(sep + 1));
        if (!ta || !tb) {
            std::fprintf(stderr, "error: cannot read %s\n", a.compare.c_str());
            return 2;
        }
        auto ra = report_from_json(*ta), rb = report_from_json(*tb);
        if (!ra || !rb) {
            std::fprintf(stderr, "error: %s\n",
                         (!ra ? ra.error() : rb.error()).to_string().c_str());
            return 2;
        }
        std::fputs(compare_reports(*ra, *rb).c_str(), stdout);
        return 0;
    }
    auto base = build_scenario(a, cmd);
    if (!base) {
        std::fprintf(stderr, "error: %s\n", base.error().to_string().c_str());
        return 2;
    }
    std::vector<Scenario> scenarios{*base};
    if (!a.sweep.empty()) {
        auto sw = expand_sweep(*base, a.sweep);
        if (!sw) {
            std::fprintf(stderr, "error: %s\n", sw.error().to_string().c_str());
            return 2;
        }
        scenarios = std::move(sw).value();
    } else if (auto v = validate(*base); !v) {
        std::fprintf(stderr, "error: %s\n", v.error().to_string().c_str());
        return 2;
    }

    BenchOptions opt;
    opt.peer_executable = self_exe();
    BenchEngine engine(os_transport(), opt);
    std::vector<BenchReport> reports;
    const bool text = !a.json && !a.csv;
    for (const auto& sc : scenarios) {
        if (auto st = engine.start(sc); !st) {
            std::fprintf(stderr, "error: %s\n", st.error().to_string().c_str());
            return 2;
        }
        std::size_t shown = 0;
        if (text && scenarios.size() == 1) {
            std::printf("pipescope bench: %s %s, %s, %llu B\n",
                        std::string(to_string(resolve_transport(sc))).c_str(),
                        std::string(to_string(sc.type)).c_str(),
                        std::string(to_string(sc.pattern)).c_str(),
                        static_cast<unsigned long long>(sc.message_size));
            if (sc.baseline) {
                if (auto st = baseline_supported(sc))
                    std::printf("baseline: half the raw loop runs before the engine, half after\n");
                else
                    std::printf("baseline: none (%s)\n", st.error().message.c_str());
                std::fflush(stdout);
            }
            for (;;) {
                auto snap = engine.snapshot();
                for (; shown < snap->intervals.size(); ++shown)
                    print_interval(snap->intervals[shown]);
                if (snap->state != BenchState::Running) break;
                std::fflush(stdout);
                std::this_thread::sleep_for(std::chrono::milliseconds(50));
            }
        }
        reports.push_back(engine.wait());
        if (text && scenarios.size() == 1) {
            for (; shown < reports.back().intervals.size(); ++shown)
                print_interval(reports.back().intervals[shown]);
            print_summary(reports.back());
        }
    }
    bool all_ok = true;
    for (const auto& r : reports) all_ok = all_ok && r.ok;
    if (!a.metrics.empty()) {
        if (auto st = write_file_atomic(a.metrics, bench_metrics_text(reports)); !st) {
            std::fprintf(stderr, "%s\n", core::metrics_file_error(st.error()).c_str());
            all_ok = false;
        }
    }
    if (a.json) {
        if (reports.size() == 1) {
            std::puts(report_to_json(reports.front()).c_str());
        } else {
            std::string out = "[\n";
            for (std::size_t i = 0; i < reports.size(); ++i)
                out += report_to_json(reports[i]) + (i + 1 < reports.size() ? ",\n" : "\n");
            std::puts((out + "]").c_str());
        }
    } else if (a.csv) {
        if (reports.size() == 1)
            std::fputs(intervals_to_csv(reports.front()).c_str(), stdout);
        else
            std::fputs(summaries_to_csv(reports).c_str(), stdout);
    } else if (reports.size() > 1) {
        // The sweep table; message size vs throughput is the curve.
        std::printf("%-10s %-10s %-8s %-9s %10s %14s %12s %10s %10s %s\n", "transport", "io",
                    "type", "pattern", "size", "throughput", "msg/s", "p50", "p99", "ok");
        for (const auto& r : reports)
            std::printf("%-10s %-10s %-8s %-9s %10llu %14s %12.0f %10s %10s %s\n",
                        r.transport.c_str(), std::string(to_string(r.scenario.io)).c_str(),
                        std::string(to_string(r.scenario.type)).c_str(),
                        std::string(to_string(r.scenario.pattern)).c_str(),
                        static_cast<unsigned long long>(r.scenario.message_size),
                        human_rate(r.summary.throughput_bytes_per_sec).c_str(),
                        r.summary.messages_per_sec, human_ns(r.summary.latency.p50).c_str(),
                        human_ns(r.summary.latency.p99).c_str(), r.ok ? "ok" : r.error.c_str());
    }
    return all_ok ? 0 : 1;
}

}  // namespace

void register_bench(CLI::App& app, Context& ctx) {
    auto args = std::make_shared<BenchArgs>();
    auto* cmd = app.add_subcommand("bench", "Benchmark a pipe configuration");
    cmd->add_option("--transport", args->transport, "win32|unix|seqpacket|fifo|tcp");
    cmd->add_option(
        "--io", args->io,
        "win32 I/O model (default sync): sync = " +
            std::string(core::io_model_meaning(core::IoModel::Sync)) +
            "; overlapped = " + std::string(core::io_model_meaning(core::IoModel::Overlapped)) +
            "; iocp = " + std::string(core::io_model_meaning(core::IoModel::Iocp)));
    cmd->add_option("--pattern", args->pattern, "stream|pingpong|reqrep|churn|rate");
    cmd->add_option("--size", args->size, "message size in bytes (K/M/G suffixes)");
    cmd->add_option("--duration", args->duration, "seconds to run");
    cmd->add_option("--clients", args->clients, "reqrep: connections");
    cmd->add_option("--inflight", args->inflight, "reqrep: requests in flight per connection");
    cmd->add_option("--rate", args->rate, "rate: messages per second (open loop)");
    cmd->add_option("--type", args->type, "byte|message");
    cmd->add_option("--quota", args->quota, "in and out quota in bytes");
    cmd->add_flag("--verify", args->verify, "sequence number + checksum in every message");
    cmd->add_flag("--process", args->process, "run the peer in a child process");
    cmd->add_flag("--baseline", args->baseline,
                  "stream/pingpong: also run the raw loop of OS calls on the same transport, "
                  "model, type, size and placement (with --process its peer is a child "
                  "process too; POSIX only), half before and half after the engine, and report "
                  "the engine's overhead; warns when the two halves differ by over 10% (the "
                  "machine's speed changed during the run)");
    cmd->add_option("--cpu", args->cpu, "same|different|unpinned: CPU placement of the two sides");
    cmd->add_option(
        "--preset", args->preset, "start from a preset: " + [] {
            std::string s;
            for (const auto& n : preset_names()) s += (s.empty() ? "" : ", ") + n;
            return s;
        }());
    cmd->add_option("--sweep", args->sweep, "grid, e.g. size=1..4M*2,type=byte|message");
    cmd->add_option("--compare", args->compare, "A.json,B.json: compare two saved --json runs");
    cmd->add_flag("--json", args->json, "print the report as JSON");
    cmd->add_option("--metrics", args->metrics,
                    "also write the run(s) as Prometheus metrics to FILE (throughput, messages "
                    "per second, latency quantiles, errors; baseline ratios with --baseline), "
                    "labelled with the scenario");
    cmd->add_flag("--csv", args->csv, "print the intervals (or a sweep's table) as CSV");
    cmd->callback([args, cmd, &ctx] { ctx.exit_code = run_bench(*args, *cmd); });
}

void register_bench_peer(CLI::App& app, Context& ctx) {
    struct PeerArgs {
        std::string endpoint, scenario, result;
        int cpu = -1;
    };
    auto args = std::make_shared<PeerArgs>();
    auto* cmd = app.add_subcommand("bench-peer", "(internal) the benchmark's child-process peer");
    cmd->group("");  // hidden from --help
    cmd->add_option("--endpoint", args->endpoint)->required();
    cmd->add_option("--scenario", args->scenario)->required();
    cmd->add_option("--result", args->result)->required();
    cmd->add_option("--cpu", args->cpu);
    cmd->callback([args, &ctx] {
        ctx.exit_code =
            run_bench_peer(os_transport(), args->endpoint, args->scenario, args->result, args->cpu);
    });
}

}  // namespace pipescope::cli
