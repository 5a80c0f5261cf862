// The raw baselines (bench_baseline.hpp) on every transport of this build, the engine's
// Scenario::baseline hook, the report's baseline in JSON, and `pipescope-cli bench --baseline`.
#include <atomic>
#include <chrono>
#include <cmath>
#include <thread>

#ifndef _WIN32
#include <sys/resource.h>
#include <sys/wait.h>
#endif

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/child_process.hpp"

#include "pipescope/bench.hpp"
#include "pipescope/bench_baseline.hpp"

using namespace pipescope::core;

namespace {

std::string cli_path() {
    return pipescope::test::built_program(PIPESCOPE_CLI_PATH);
}

// One transport, model and type of this build.
struct Variant {
    TransportKind kind;
    IoModel io;
    PipeType type;
};

std::vector<Variant> variants() {
    std::vector<Variant> v;
    for (auto k : available_transports()) {
        if (k == TransportKind::Win32Pipe) {
            for (auto io : {IoModel::Sync, IoModel::Overlapped})
                for (auto t : {PipeType::Byte, PipeType::Message}) v.push_back({k, io, t});
        } else {
            v.push_back({k, IoModel::Sync,
                         k == TransportKind::UnixSeqpacket ? PipeType::Message : PipeType::Byte});
        }
    }
    return v;
}

Scenario counted(const Variant& v, BenchPattern p, std::uint64_t size, std::uint64_t count) {
    Scenario s;
    s.transport = v.kind;
    s.io = v.io;
    s.type = v.type;
    s.pattern = p;
    s.message_size = size;
    s.message_count = count;
    s.cpu = CpuPlacement::SameCore;
    return s;
}

void expect_sane_latency(const LatencySummary& l, std::uint64_t count) {
    EXPECT_EQ(l.count, count);
    EXPECT_GT(l.p50, 0u);
    EXPECT_LE(l.min, l.p50);
    EXPECT_LE(l.p50, l.p99);
    EXPECT_LE(l.p99, l.max);
}

}  // namespace

class BaselineTest : public ::testing::TestWithParam<Variant> {};

TEST_P(BaselineTest, StreamMovesBytes) {
    const auto r = run_baseline(counted(GetParam(), BenchPattern::Stream, 4096, 200));
    ASSERT_TRUE(r.ok()) << r.error().to_string();
    EXPECT_TRUE(r->ok);
    EXPECT_GT(r->throughput_bytes_per_sec, 0.0);
    EXPECT_GT(r->messages_per_sec, 0.0);
    EXPECT_EQ(r->bytes_received, 200u * 4096u);
    EXPECT_EQ(r->latency.count, 0u) << "stream times no round trips";
    EXPECT_FALSE(r->placement.empty());
}

TEST_P(BaselineTest, PingPongTimesEveryRoundTrip) {
    for (std::uint64_t size : {1u, 100u, 70000u}) {
        const auto r = run_baseline(counted(GetParam(), BenchPattern::PingPong, size, 300));
        ASSERT_TRUE(r.ok()) << size << " B: " << r.error().to_string();
        EXPECT_GT(r->throughput_bytes_per_sec, 0.0);
        EXPECT_EQ(r->bytes_received, 300u * size);
        expect_sane_latency(r->latency, 300);
    }
}

TEST_P(BaselineTest, ByDurationEndsOnTime) {
    auto s = counted(GetParam(), BenchPattern::PingPong, 64, 0);
    s.duration_s = 0.2;
    s.warmup_s = 0.05;
    const auto t0 = std::chrono::steady_clock::now();
    const auto r = run_baseline(s);
    const double took =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    ASSERT_TRUE(r.ok()) << r.error().to_string();
    EXPECT_GT(r->latency.count, 0u);
    EXPECT_GT(r->elapsed_s, 0.0);
    EXPECT_LT(took, 3.0) << "a 0.25 s run took " << took << " s";
}

namespace {

// Runs `s` (60 s long) and cancels it after 200 ms: it must end Cancelled within 5 s.
void expect_cancel_ends_it(Scenario s) {
    s.duration_s = 60;
    std::atomic<bool> cancel{false};
    BaselineOptions o;
    o.cancel = &cancel;
    std::thread canceller([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        cancel = true;
    });
    const auto t0 = std::chrono::steady_clock::now();
    const auto r = run_baseline(s, o);
    canceller.join();
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::Cancelled) << r.error().to_string();
    EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
}

}  // namespace

TEST_P(BaselineTest, CancelEndsALongRun) {
    expect_cancel_ends_it(counted(GetParam(), BenchPattern::Stream, 65536, 0));
}

TEST_P(BaselineTest, EngineRunCarriesTheBaselineAndItsRatios) {
    auto s = counted(GetParam(), BenchPattern::PingPong, 16, 300);
    s.baseline = true;
    BenchEngine engine(os_transport(), BenchOptions{});
    const auto r = engine.run(s);
    ASSERT_TRUE(r.ok) << r.error;
    ASSERT_TRUE(r.baseline.has_value());
    ASSERT_TRUE(r.baseline->ok) << r.baseline->error;
    expect_sane_latency(r.baseline->latency, 300);
    EXPECT_GT(r.baseline->throughput_ratio, 0.0);
    EXPECT_NEAR(r.baseline->p50_ratio,
                double(r.summary.latency.p50) / double(r.baseline->latency.p50), 1e-9);
    EXPECT_NE(baseline_overhead_text(r).find("x p50"), std::string::npos)
        << baseline_overhead_text(r);
}

// The engine's --baseline runs the raw loop half before and half after its own run: the two
// halves split the count and add up into one figure (latencies merged, not averaged).
TEST_P(BaselineTest, BracketRunsHalfBeforeAndHalfAfterAndAddsThemUp) {
    BaselineBracket stream(counted(GetParam(), BenchPattern::Stream, 100, 301), {});
    stream.before();
    auto half = stream.result();
    ASSERT_TRUE(half.ok) << half.error;
    EXPECT_EQ(half.bytes_received, 151u * 100u);
    stream.after();
    auto whole = stream.result();
    ASSERT_TRUE(whole.ok) << whole.error;
    EXPECT_EQ(whole.bytes_received, 301u * 100u);
    EXPECT_GT(whole.elapsed_s, half.elapsed_s);
    EXPECT_EQ(half.halves_apart, 0.0) << "one half has nothing to be apart from";
    EXPECT_TRUE(std::isfinite(whole.halves_apart) && whole.halves_apart >= 0) << whole.halves_apart;

    BaselineBracket ping(counted(GetParam(), BenchPattern::PingPong, 8, 301), {});
    ping.before();
    expect_sane_latency(ping.result().latency, 151);
    ping.after();
    expect_sane_latency(ping.result().latency, 301);
}

// Scenario::process: the raw loop's peer is a forked child (POSIX), as the engine's is with
// --process, so the two are compared like for like. The child's own context switches (from
// getrusage of the reaped children) prove the echo ran there, not in a thread.
TEST_P(BaselineTest, PeerInAChildProcessIsAForkedChild) {
    auto ping = counted(GetParam(), BenchPattern::PingPong, 100, 300);
    ping.process = true;
    auto stream = counted(GetParam(), BenchPattern::Stream, 4096, 200);
    stream.process = true;
    if (GetParam().kind == TransportKind::Win32Pipe) {
        const auto st = baseline_supported(ping);
        ASSERT_FALSE(st.ok()) << "Windows has no forked raw loop";
        EXPECT_EQ(st.error().code, ErrorCode::Unsupported);
        EXPECT_NE(st.error().message.find("child process"), std::string::npos)
            << st.error().message;
        return;
    }
#ifndef _WIN32
    rusage before{};
    ::getrusage(RUSAGE_CHILDREN, &before);
    const auto r = run_baseline(ping);
    ASSERT_TRUE(r.ok()) << r.error().to_string();
    expect_sane_latency(r->latency, 300);
    EXPECT_NE(r->placement.find("peer in a child process"), std::string::npos) << r->placement;
    rusage after{};
    ::getrusage(RUSAGE_CHILDREN, &after);
    // Switched out about once a round trip: blocked in its read (voluntary), or preempted by
    // the woken parent on the shared CPU (involuntary). A thread peer would show none here.
    const long switches = (after.ru_nvcsw - before.ru_nvcsw) + (after.ru_nivcsw - before.ru_nivcsw);
    EXPECT_GE(switches, 100) << "no child process was switched in and out per round trip: the "
                                "echo did not run in a child";
    const auto s = run_baseline(stream);
    ASSERT_TRUE(s.ok()) << s.error().to_string();
    EXPECT_EQ(s->bytes_received, 200u * 4096u);
    EXPECT_GT(s->throughput_bytes_per_sec, 0.0);
    int status = 0;
    EXPECT_LE(::waitpid(-1, &status, WNOHANG), 0) << "a raw-loop child was left unreaped";
#endif
}

// A cancelled run with a child peer ends at once, and its child is killed and reaped.
TEST_P(BaselineTest, CancelEndsAChildPeerRunAndReapsTheChild) {
    if (GetParam().kind == TransportKind::Win32Pipe)
        GTEST_SKIP() << "the raw loop with a child peer exists on POSIX only (fork)";
#ifndef _WIN32
    auto s = counted(GetParam(), BenchPattern::PingPong, 64, 0);
    s.process = true;
    expect_cancel_ends_it(s);
    int status = 0;
    EXPECT_LE(::waitpid(-1, &status, WNOHANG), 0) << "the cancelled run's child was not reaped";
#endif
}

TEST(Baseline, BracketReportsWhyItHasNoFigure) {
    Scenario s;
    s.pattern = BenchPattern::ReqRep;
    s.message_count = 10;
    BaselineBracket b(s, {});
    b.before();
    b.after();
    const auto r = b.result();
    EXPECT_FALSE(r.ok);
    EXPECT_NE(r.error.find("no baseline"), std::string::npos) << r.error;
}

INSTANTIATE_TEST_SUITE_P(Available, BaselineTest, ::testing::ValuesIn(variants()),
                         [](const auto& p) {
                             return std::string(to_string(p.param.kind)) +
                                    std::string(to_string(p.param.io)) +
                                    std::string(to_string(p.param.type));
                         });

TEST(Baseline, UnavailableTransportIsUnsupported) {
    Scenario s;
    s.pattern = BenchPattern::Stream;
#ifdef _WIN32
    s.transport = TransportKind::UnixStream;
#else
    s.transport = TransportKind::Win32Pipe;
#endif
    const auto r = run_baseline(s);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::Unsupported);
    EXPECT_NE(r.error().message.find("not available"), std::string::npos) << r.error().message;
}

TEST(Baseline, IocpHasNoRawLoop) {
    Scenario s;
    s.transport = TransportKind::Win32Pipe;
    s.io = IoModel::Iocp;
    s.pattern = BenchPattern::PingPong;
    const auto st = baseline_supported(s);
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error().code, ErrorCode::Unsupported);
}

TEST(Baseline, OtherPatternsSayTheyHaveNone) {
    for (auto p : {BenchPattern::ReqRep, BenchPattern::Churn, BenchPattern::Rate}) {
        Scenario s;
        s.pattern = p;
        const auto b = baseline_for_report(s);
        EXPECT_FALSE(b.ok);
        EXPECT_NE(b.error.find(std::string(to_string(p)) + " has no baseline"), std::string::npos)
            << b.error;
    }
}

TEST(Baseline, EngineReqRepRunSaysItHasNoBaseline) {
    Scenario s;
    s.pattern = BenchPattern::ReqRep;
    s.message_size = 64;
    s.message_count = 50;
    s.baseline = true;
    BenchEngine engine(os_transport(), BenchOptions{});
    const auto r = engine.run(s);
    ASSERT_TRUE(r.ok) << r.error;
    ASSERT_TRUE(r.baseline.has_value());
    EXPECT_FALSE(r.baseline->ok);
    EXPECT_NE(baseline_overhead_text(r).find("reqrep has no baseline"), std::string::npos)
        << baseline_overhead_text(r);
}

TEST(Baseline, OverheadTextSignsAreTheEnginesCost) {
    BenchReport r;
    EXPECT_EQ(baseline_overhead_text(r), "");
    r.summary.throughput_bytes_per_sec = 98;
    r.summary.latency.p50 = 1010;
    BaselineSummary b;
    b.ok = true;
    b.throughput_bytes_per_sec = 100;
    b.latency.count = 1;
    b.latency.p50 = 1000;
    r.baseline = b;
    attach_baseline_ratios(r);
    EXPECT_DOUBLE_EQ(r.baseline->throughput_ratio, 0.98);
    EXPECT_DOUBLE_EQ(r.baseline->p50_ratio, 1.01);
    EXPECT_EQ(baseline_overhead_text(r),
              "engine overhead: +2.0% throughput, +1.0% p50 (engine/raw loop: 0.980x "
              "throughput, 1.010x p50)");
    // An engine faster than the raw loop shows a negative overhead.
    r.summary.throughput_bytes_per_sec = 105;
    r.summary.latency.p50 = 900;
    attach_baseline_ratios(r);
    EXPECT_EQ(baseline_overhead_text(r),
              "engine overhead: -5.0% throughput, -10.0% p50 (engine/raw loop: 1.050x "
              "throughput, 0.900x p50)");
    // Halves of the raw loop close together: no warning; far apart: the ratio is unreliable.
    r.baseline->halves_apart = 0.08;
    EXPECT_EQ(baseline_overhead_text(r).find("Warning"), std::string::npos);
    r.baseline->halves_apart = 0.35;
    const std::string warned = baseline_overhead_text(r);
    EXPECT_NE(warned.find("differed by 35%"), std::string::npos) << warned;
    EXPECT_NE(warned.find("unreliable"), std::string::npos) << warned;
    EXPECT_NE(warned.find("Next: run again"), std::string::npos) << warned;
}

// How far apart two raw runs are: by p50 when both timed round trips, else by throughput.
TEST(Baseline, HalvesApartComparesP50OrThroughput) {
    BaselineSummary a, b;
    EXPECT_EQ(baseline_halves_apart(a, b), 0.0) << "no figures: nothing to compare";
    a.throughput_bytes_per_sec = 100;
    b.throughput_bytes_per_sec = 125;
    EXPECT_DOUBLE_EQ(baseline_halves_apart(a, b), 0.25);
    EXPECT_DOUBLE_EQ(baseline_halves_apart(b, a), 0.25);
    a.latency.count = b.latency.count = 10;
    a.latency.p50 = 4000;
    b.latency.p50 = 6000;
    EXPECT_DOUBLE_EQ(baseline_halves_apart(a, b), 0.5) << "round trips compare by p50";
    b.latency.p50 = 4000;
    EXPECT_DOUBLE_EQ(baseline_halves_apart(a, b), 0.0);
}

TEST(BaselineReport, JsonRoundTripKeepsTheBaseline) {
    BenchReport r;
    r.scenario.pattern = BenchPattern::PingPong;
    r.scenario.baseline = true;
    r.ok = true;
    r.summary.throughput_bytes_per_sec = 1000;
    r.summary.latency.p50 = 2000;
    BaselineSummary b;
    b.ok = true;
    b.placement = "same core (raw loop cpu 0, peer cpu 0)";
    b.elapsed_s = 0.5;
    b.throughput_bytes_per_sec = 1100;
    b.messages_per_sec = 550;
    b.bytes_received = 550;
    b.latency = {10, 1500, 1800, 1900, 2500, 3000, 3000, 3100, 1850.5, 120.25};
    b.halves_apart = 0.125;
    r.baseline = b;
    attach_baseline_ratios(r);
    const std::string text = report_to_json(r);
    const auto j = nlohmann::json::parse(text);
    ASSERT_TRUE(j.contains("baseline"));
    EXPECT_EQ(j["baseline"]["latency_ns"]["p50"], 1800);
    EXPECT_DOUBLE_EQ(j["baseline"]["throughput_bytes_per_sec"].get<double>(), 1100);
    EXPECT_NEAR(j["baseline"]["p50_ratio"].get<double>(), 2000.0 / 1800.0, 1e-12);
    EXPECT_TRUE(j["scenario"]["baseline"].get<bool>());
    auto back = report_from_json(text);
    ASSERT_TRUE(back.ok()) << back.error().to_string();
    ASSERT_TRUE(back->baseline.has_value());
    EXPECT_EQ(back->baseline->latency.p99, 2500u);
    EXPECT_EQ(back->baseline->placement, b.placement);
    EXPECT_DOUBLE_EQ(back->baseline->throughput_ratio, r.baseline->throughput_ratio);
    EXPECT_DOUBLE_EQ(back->baseline->halves_apart, 0.125);
    EXPECT_TRUE(back->scenario.baseline);
    EXPECT_EQ(report_to_json(*back), text);
    // --compare shows both runs' ratios.
    const std::string cmp = compare_reports(r, *back);
    EXPECT_NE(cmp.find("baseline.p50_ratio"), std::string::npos) << cmp;
    EXPECT_NE(cmp.find("1.111"), std::string::npos) << cmp;
}

TEST(BaselineReport, BadBaselineFieldsAreRefused) {
    BenchReport r;
    r.baseline = BaselineSummary{};
    auto j = nlohmann::json::parse(report_to_json(r));
    EXPECT_TRUE(j["baseline"]["p50_ratio"].is_null()) << "an unknown ratio is null";
    for (const char* bad : {R"("x")", "-1", "1.5"}) {
        auto k = j;
        k["baseline"]["latency_ns"]["p50"] = nlohmann::json::parse(bad);
        EXPECT_FALSE(report_from_json(k.dump()).ok()) << "p50 = " << bad;
    }
    auto k = j;
    k["baseline"]["throughput_ratio"] = -0.5;
    EXPECT_FALSE(report_from_json(k.dump()).ok());
    k = j;
    k["baseline"] = 3;
    EXPECT_FALSE(report_from_json(k.dump()).ok());
}

namespace {

std::string run_cli(const std::vector<std::string>& args, int* exit_code) {
    auto r = pipescope::test::run_program(cli_path(), args);
    if (!r.start_error.empty()) ADD_FAILURE() << "cannot start the CLI: " << r.start_error;
    *exit_code = r.exit_code.value_or(-1);
    return r.out;
}

std::string default_transport() {
    return std::string(to_string(available_transports().front()));
}

}  // namespace

TEST(BaselineCli, JsonHasTheBaselineFields) {
    int code = 0;
    const std::string out =
        run_cli({"bench", "--transport", default_transport(), "--pattern", "pingpong", "--size",
                 "1", "--duration", "0.2", "--cpu", "same", "--baseline", "--json"},
                &code);
    ASSERT_EQ(code, 0) << out;
    const auto j = nlohmann::json::parse(out, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << out;
    ASSERT_TRUE(j.contains("baseline")) << out;
    const auto& b = j["baseline"];
    EXPECT_TRUE(b["ok"].get<bool>()) << b.dump();
    EXPECT_GT(b["throughput_bytes_per_sec"].get<double>(), 0);
    EXPECT_GT(b["latency_ns"]["p50"].get<std::uint64_t>(), 0u);
    EXPECT_LE(b["latency_ns"]["p50"].get<std::uint64_t>(),
              b["latency_ns"]["p99"].get<std::uint64_t>());
    EXPECT_GT(b["throughput_ratio"].get<double>(), 0);
    EXPECT_GT(b["p50_ratio"].get<double>(), 0);
}

TEST(BaselineCli, TextSummaryShowsTheOverhead) {
    int code = 0;
    const std::string out = run_cli({"bench", "--transport", default_transport(), "--pattern",
                                     "stream", "--size", "64K", "--duration", "0.2", "--baseline"},
                                    &code);
    ASSERT_EQ(code, 0) << out;
    EXPECT_NE(out.find("baseline (raw loop of OS calls"), std::string::npos) << out;
    EXPECT_NE(out.find("engine overhead: "), std::string::npos) << out;
    EXPECT_NE(out.find("x throughput"), std::string::npos) << out;
}

TEST(BaselineCli, ReqRepSaysItHasNoBaseline) {
    int code = 0;
    const std::string out = run_cli({"bench", "--transport", default_transport(), "--pattern",
                                     "reqrep", "--size", "64", "--duration", "0.2", "--baseline"},
                                    &code);
    ASSERT_EQ(code, 0) << out;
    EXPECT_NE(out.find("reqrep has no baseline"), std::string::npos) << out;
}
