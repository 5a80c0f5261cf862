// The engine against the in-memory fake transport.
#include <algorithm>
#include <chrono>
#include <set>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "fake_transport.hpp"

using namespace pipescope::core;
using pipescope::test::FakeTransport;
using Clock = std::chrono::steady_clock;

namespace {

BenchOptions options() {
    BenchOptions o;
    o.io_timeout = Timeout{3000};
    return o;
}

Scenario stream_verify(std::uint64_t count) {
    Scenario s;
    s.pattern = BenchPattern::Stream;
    s.message_size = 64;
    s.message_count = count;
    s.verify = true;
    return s;
}

}  // namespace

TEST(BenchEngine, CleanStreamWithVerifyPasses) {
    FakeTransport fake;
    BenchEngine engine(fake, options());
    const auto r = engine.run(stream_verify(1000));
    EXPECT_TRUE(r.ok) << r.error;
    EXPECT_EQ(r.summary.bytes_sent, 64000u);
    EXPECT_EQ(r.summary.bytes_received, 64000u);
    EXPECT_EQ(r.summary.integrity.checked, 1000u);
    EXPECT_FALSE(r.summary.integrity.failed());
    EXPECT_EQ(r.summary.latency.count, 1000u);
}

TEST(BenchEngine, IntegrityCatchesLoss) {
    FakeTransport fake;
    fake.server_faults.drop_at = 100;
    BenchEngine engine(fake, options());
    const auto r = engine.run(stream_verify(1000));
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.summary.integrity.lost, 1u);
    EXPECT_EQ(r.summary.integrity.duplicated + r.summary.integrity.reordered +
                  r.summary.integrity.corrupted,
              0u);
    EXPECT_NE(r.error.find("lost"), std::string::npos) << r.error;
}

TEST(BenchEngine, IntegrityCatchesLossOfTheLastMessage) {
    FakeTransport fake;
    fake.server_faults.drop_at = 999;
    BenchEngine engine(fake, options());
    const auto r = engine.run(stream_verify(1000));
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.summary.integrity.lost, 1u);
}

TEST(BenchEngine, IntegrityCatchesDuplication) {
    FakeTransport fake;
    fake.server_faults.dup_at = 10;
    BenchEngine engine(fake, options());
    const auto r = engine.run(stream_verify(500));
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.summary.integrity.duplicated, 1u);
    EXPECT_EQ(r.summary.integrity.lost, 0u);
}

TEST(BenchEngine, IntegrityCatchesReordering) {
    FakeTransport fake;
    fake.server_faults.swap_at = 42;
    BenchEngine engine(fake, options());
    const auto r = engine.run(stream_verify(500));
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.summary.integrity.reordered, 1u);
    EXPECT_EQ(r.summary.integrity.lost, 0u);
    EXPECT_EQ(r.summary.integrity.duplicated, 0u);
}

TEST(BenchEngine, IntegrityCatchesCorruption) {
    FakeTransport fake;
    fake.server_faults.corrupt_at = 7;
    BenchEngine engine(fake, options());
    const auto r = engine.run(stream_verify(500));
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.summary.integrity.corrupted, 1u);
}

TEST(BenchEngine, IntegrityCatchesCorruptedEchoInPingPong) {
    FakeTransport fake;
    fake.message_mode = true;
    fake.client_faults.corrupt_at = 5;  // the peer's echo
    BenchEngine engine(fake, options());
    Scenario s;
    s.pattern = BenchPattern::PingPong;
    s.message_size = 32;
    s.message_count = 50;
    s.verify = true;
    const auto r = engine.run(s);
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.summary.integrity.corrupted, 1u);
    EXPECT_EQ(r.summary.integrity.checked, 49u);
}

TEST(BenchEngine, ReqRepCountsEveryRequestOfEveryClient) {
    FakeTransport fake;
    BenchEngine engine(fake, options());
    Scenario s;
    s.pattern = BenchPattern::ReqRep;
    s.clients = 3;
    s.inflight = 4;
    s.message_size = 100;
    s.message_count = 200;
    s.verify = true;
    const auto r = engine.run(s);
    EXPECT_TRUE(r.ok) << r.error;
    EXPECT_EQ(r.summary.bytes_sent, 3u * 200 * 100);
    EXPECT_EQ(r.summary.bytes_received, 3u * 200 * 100);
    EXPECT_EQ(r.summary.latency.count, 600u);
    EXPECT_EQ(r.summary.peer.bytes_received, 3u * 200 * 100);
}

TEST(BenchEngine, ChurnCountsConnections) {
    FakeTransport fake;
    BenchEngine engine(fake, options());
    Scenario s;
    s.pattern = BenchPattern::Churn;
    s.message_size = 16;
    s.message_count = 50;
    const auto r = engine.run(s);
    EXPECT_TRUE(r.ok) << r.error;
    EXPECT_EQ(r.summary.latency.count, 50u);
    EXPECT_EQ(r.summary.engine.messages_received, 50u);
    EXPECT_GT(r.summary.messages_per_sec, 0);
}

TEST(BenchEngine, PublishesSnapshotsAndIntervals) {
    FakeTransport fake;
    BenchEngine engine(fake, options());
    Scenario s;
    s.pattern = BenchPattern::PingPong;
    s.message_size = 8;
    s.duration_s = 0.6;
    s.interval_s = 0.1;
    ASSERT_TRUE(engine.start(s));
    bool saw_running = false;
    for (int i = 0; i < 100 && engine.snapshot()->state == BenchState::Running; ++i) {
        auto snap = engine.snapshot();
        ASSERT_NE(snap, nullptr);
        if (!snap->intervals.empty()) saw_running = true;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    const auto r = engine.wait();
    EXPECT_TRUE(saw_running);
    EXPECT_TRUE(r.ok) << r.error;
    ASSERT_GE(r.intervals.size(), 3u);
    for (const auto& iv : r.intervals) {
        EXPECT_GT(iv.messages_per_sec, 0);
        EXPECT_GT(iv.bytes_per_sec, 0);
        EXPECT_GE(iv.max_ns, iv.p99_ns);
        EXPECT_GE(iv.p99_ns, iv.p50_ns);
    }
    auto last = engine.snapshot();
    EXPECT_EQ(last->state, BenchState::Finished);
    ASSERT_NE(last->report, nullptr);
    EXPECT_EQ(last->progress, 1.0);
}

TEST(BenchEngine, WarmupIsExcludedFromTheSummary) {
    FakeTransport fake;
    BenchEngine engine(fake, options());
    Scenario s;
    s.pattern = BenchPattern::PingPong;
    s.message_size = 8;
    s.duration_s = 0.3;
    s.warmup_s = 0.2;
    const auto r = engine.run(s);
    EXPECT_TRUE(r.ok) << r.error;
    EXPECT_LT(r.summary.latency.count, r.summary.engine.messages_received);
    EXPECT_GT(r.summary.latency.count, 0u);
}

TEST(BenchEngine, CancelStopsARunWithin200ms) {
    FakeTransport fake;
    BenchEngine engine(fake, options());
    Scenario s;
    s.pattern = BenchPattern::PingPong;
    s.message_size = 8;
    s.duration_s = 60;
    ASSERT_TRUE(engine.start(s));
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    const auto t = Clock::now();
    engine.cancel();
    const auto r = engine.wait();
    EXPECT_LT(Clock::now() - t, std::chrono::milliseconds(200));
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(engine.snapshot()->state, BenchState::Cancelled);
}

TEST(BenchEngine, CancelWhileThePeerNeverAnswers) {
    FakeTransport fake;
    fake.client_faults.drop_at = 0;  // the first echo never comes back
    BenchEngine engine(fake, options());
    Scenario s;
    s.pattern = BenchPattern::PingPong;
    s.duration_s = 60;
    ASSERT_TRUE(engine.start(s));
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    const auto t = Clock::now();
    engine.cancel();
    (void)engine.wait();
    EXPECT_LT(Clock::now() - t, std::chrono::milliseconds(200));
}

TEST(BenchEngine, RatePatternReportsAStallThatClosedLoopHides) {
    Scenario s;
    s.message_size = 16;
    // Counted, not timed, and in message mode so the peer writes one echo per message: in
    // byte mode a loaded machine lets the peer coalesce reads, and its 200th write can come
    // after the run has ended.
    s.message_count = 1200;
    s.type = PipeType::Message;
    // Open loop: 2000 per second; the peer's 200th echo stalls for 100 ms.
    FakeTransport open;
    open.message_mode = true;
    open.client_faults.pause_at = 200;
    BenchEngine e1(open, options());
    s.pattern = BenchPattern::Rate;
    s.rate_per_sec = 2000;
    const auto rate = e1.run(s);
    ASSERT_TRUE(rate.ok) << rate.error;
    EXPECT_GE(rate.summary.latency.max, 95'000'000u);
    EXPECT_GE(rate.summary.latency.p99, 90'000'000u);
    // Closed loop: the same stall delays one round trip only.
    FakeTransport closed;
    closed.message_mode = true;
    closed.client_faults.pause_at = 200;
    BenchEngine e2(closed, options());
    s.pattern = BenchPattern::PingPong;
    const auto pp = e2.run(s);
    ASSERT_TRUE(pp.ok) << pp.error;
    EXPECT_GE(pp.summary.latency.max, 95'000'000u);
    EXPECT_LT(pp.summary.latency.p90, 50'000'000u);
}

TEST(BenchEngine, RejectsInvalidScenarioAndSecondStart) {
    FakeTransport fake;
    BenchEngine engine(fake, options());
    Scenario bad;
    bad.verify = true;
    bad.message_size = 8;
    EXPECT_FALSE(engine.start(bad));
    Scenario s;
    s.duration_s = 5;
    ASSERT_TRUE(engine.start(s));
    auto again = engine.start(s);
    EXPECT_FALSE(again);
    engine.cancel();
    (void)engine.wait();
}

TEST(BenchReport, JsonHasTheRequiredFieldsAndRoundTrips) {
    FakeTransport fake;
    BenchEngine engine(fake, options());
    Scenario s;
    s.message_size = 8;
    s.message_count = 100;
    const auto r = engine.run(s);
    ASSERT_TRUE(r.ok) << r.error;
    const auto text = report_to_json(r);
    const auto j = nlohmann::json::parse(text);
    for (const char* k :
         {"throughput_bytes_per_sec", "messages_per_sec", "latency_ns", "bytes_sent",
          "bytes_received", "errors", "scenario", "intervals", "placement"})
        EXPECT_TRUE(j.contains(k)) << k;
    for (const char* k : {"min", "p50", "p90", "p99", "p999", "p9999", "max", "mean"})
        EXPECT_TRUE(j["latency_ns"].contains(k)) << k;
    EXPECT_EQ(j["bytes_sent"].get<std::uint64_t>(), 800u);
    EXPECT_EQ(j["latency_ns"]["p50"].get<std::uint64_t>(), r.summary.latency.p50);
    EXPECT_EQ(j["scenario"]["message_count"].get<std::uint64_t>(), 100u);
    auto back = report_from_json(text);
    ASSERT_TRUE(back) << back.error().to_string();
    EXPECT_EQ(back->scenario, r.scenario);
    EXPECT_EQ(back->summary.latency.p99, r.summary.latency.p99);
    EXPECT_EQ(back->summary.bytes_received, r.summary.bytes_received);
    const auto cmp = compare_reports(r, *back);
    EXPECT_NE(cmp.find("latency_ns.p50"), std::string::npos);
    EXPECT_NE(cmp.find("1.000"), std::string::npos);
    EXPECT_FALSE(report_from_json("{\"ok\":true}"));
    const auto csv = summaries_to_csv({r, *back});
    EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 3);
}

TEST(BenchEngine, StopEndsARunEarlyAndReportsWhatRan) {
    for (auto pattern : {BenchPattern::PingPong, BenchPattern::Stream}) {
        SCOPED_TRACE(std::string(to_string(pattern)));
        FakeTransport fake;
        BenchEngine engine(fake, options());
        Scenario s;
        s.pattern = pattern;
        s.message_size = 64;
        s.verify = true;
        s.duration_s = 60;
        ASSERT_TRUE(engine.start(s));
        std::this_thread::sleep_for(std::chrono::milliseconds(250));
        const auto t = Clock::now();
        engine.stop();
        const auto r = engine.wait();
        EXPECT_LT(Clock::now() - t, std::chrono::seconds(3));
        // A stop is a normal end: the run is ok and its report covers the part that ran.
        EXPECT_TRUE(r.ok) << r.error;
        EXPECT_EQ(engine.snapshot()->state, BenchState::Finished);
        EXPECT_GT(r.summary.elapsed_s, 0.2);
        EXPECT_LT(r.summary.elapsed_s, 30.0);
        EXPECT_GT(r.summary.latency.count, 0u);
        EXPECT_GT(r.summary.bytes_sent, 0u);
        EXPECT_EQ(r.summary.bytes_sent, r.summary.bytes_received);
        EXPECT_EQ(r.summary.integrity.checked * 64, r.summary.bytes_received);
        EXPECT_FALSE(r.summary.integrity.failed());
        const auto done = pattern == BenchPattern::PingPong ? r.summary.engine.messages_received
                                                            : r.summary.engine.messages_sent;
        EXPECT_EQ(r.summary.latency.count, done);
    }
}

TEST(BenchEngine, SweepRunsEveryPointThroughTheEngine) {
    Scenario base;
    base.pattern = BenchPattern::PingPong;
    base.message_count = 100;
    base.verify = true;
    auto grid = expand_sweep(base, "size=16..256*4,type=byte|message");
    ASSERT_TRUE(grid.ok()) << grid.error().to_string();
    ASSERT_EQ(grid->size(), 6u);  // 16, 64, 256 bytes x byte, message
    std::vector<BenchReport> reports;
    for (const auto& sc : *grid) {
        FakeTransport fake;
        fake.message_mode = sc.type == PipeType::Message;
        BenchEngine engine(fake, options());
        reports.push_back(engine.run(sc));
        const auto& r = reports.back();
        SCOPED_TRACE("size " + std::to_string(sc.message_size) + " " +
                     std::string(to_string(sc.type)));
        EXPECT_TRUE(r.ok) << r.error;
        EXPECT_TRUE(r.scenario == sc) << "the report carries the grid point it ran";
        EXPECT_EQ(r.summary.bytes_sent, 100 * sc.message_size);
        EXPECT_EQ(r.summary.bytes_received, 100 * sc.message_size);
        EXPECT_EQ(r.summary.latency.count, 100u);
    }
    std::set<std::pair<std::uint64_t, PipeType>> points;
    for (const auto& r : reports) points.insert({r.scenario.message_size, r.scenario.type});
    EXPECT_EQ(points.size(), 6u) << "every grid point ran once";
    const std::string csv = summaries_to_csv(reports);
    EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 7) << csv;  // header + 6 rows
}

TEST(BenchEngine, MessageOverTheChannelLimitFailsNamingTheLimit) {
    for (auto pattern : {BenchPattern::Stream, BenchPattern::PingPong, BenchPattern::Churn}) {
        SCOPED_TRACE(std::string(to_string(pattern)));
        FakeTransport fake;
        fake.message_mode = true;
        fake.max_message = 1000;
        BenchEngine engine(fake, options());
        Scenario s;
        s.pattern = pattern;
        s.type = PipeType::Message;
        s.message_size = 4096;
        s.message_count = 20;
        const auto t = Clock::now();
        const auto r = engine.run(s);
        EXPECT_LT(Clock::now() - t, std::chrono::seconds(5));
        EXPECT_FALSE(r.ok);
        EXPECT_NE(r.error.find("4096"), std::string::npos) << r.error;
        EXPECT_NE(r.error.find("1000 bytes"), std::string::npos) << r.error;
        EXPECT_NE(r.error.find("--size 1000"), std::string::npos) << r.error;
        EXPECT_EQ(r.summary.bytes_sent, 0u) << "nothing is sent once the limit is known";
        // At the limit it runs.
        s.message_size = 1000;
        FakeTransport fits;
        fits.message_mode = true;
        fits.max_message = 1000;
        BenchEngine ok_engine(fits, options());
        const auto r2 = ok_engine.run(s);
        EXPECT_TRUE(r2.ok) << r2.error;
    }
}

TEST(LatencyBars, QuarterOctaveBarsWithInclusiveUpperBounds) {
    LatencyHistogram h;
    for (std::uint64_t v : {0u, 3u, 3u, 4u, 100u, 111u, 112u, 1000u, 1023u}) h.record(v);
    const auto bars = latency_bars(h);
    // 0 | 3 3 | 4 | 100 111 in [96,112) | 112 in [112,128) | 1000 1023 in [896,1024)
    const std::vector<std::pair<std::uint64_t, std::uint64_t>> want = {
        {0, 1}, {3, 2}, {4, 1}, {111, 2}, {127, 1}, {1023, 2}};
    ASSERT_EQ(bars.size(), want.size());
    for (std::size_t i = 0; i < want.size(); ++i) {
        EXPECT_EQ(bars[i].upper_ns, want[i].first) << i;
        EXPECT_EQ(bars[i].count, want[i].second) << i;
    }
}

TEST(LatencyBars, AboutFourBarsPerOctaveAndCountsAddUp) {
    LatencyHistogram h;
    std::uint64_t x = 88172645463325252ULL;
    for (int i = 0; i < 200000; ++i) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        h.record(x % (std::uint64_t{1} << 36));  // up to ~69 s
    }
    const auto bars = latency_bars(h);
    std::uint64_t total = 0;
    for (std::size_t i = 0; i < bars.size(); ++i) {
        EXPECT_GT(bars[i].count, 0u);
        if (i) {
            EXPECT_GT(bars[i].upper_ns, bars[i - 1].upper_ns);
        }
        total += bars[i].count;
    }
    EXPECT_EQ(total, h.count());
    EXPECT_LE(bars.size(), 4u * 36 + 4);
    EXPECT_GE(bars.back().upper_ns, h.max());
}

TEST(BenchEngine, LatencyBarsSumToTheLatencyCount) {
    FakeTransport fake;
    BenchEngine engine(fake, options());
    Scenario s;
    s.pattern = BenchPattern::PingPong;
    s.message_size = 8;
    s.duration_s = 0.4;
    s.warmup_s = 0.1;
    ASSERT_TRUE(engine.start(s));
    bool saw_live_bars = false;
    for (int i = 0; i < 200 && engine.snapshot()->state == BenchState::Running; ++i) {
        auto snap = engine.snapshot();
        std::uint64_t live = 0;
        for (const auto& b : snap->latency_bars) live += b.count;
        EXPECT_EQ(live, snap->latency.count) << "a live snapshot's bars match its summary";
        if (live > 0) saw_live_bars = true;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    const auto r = engine.wait();
    ASSERT_TRUE(r.ok) << r.error;
    EXPECT_TRUE(saw_live_bars);
    ASSERT_FALSE(r.latency_bars.empty());
    std::uint64_t total = 0;
    for (std::size_t i = 0; i < r.latency_bars.size(); ++i) {
        EXPECT_GT(r.latency_bars[i].count, 0u);
        if (i) {
            EXPECT_GT(r.latency_bars[i].upper_ns, r.latency_bars[i - 1].upper_ns);
        }
        total += r.latency_bars[i].count;
    }
    EXPECT_EQ(total, r.summary.latency.count);
    // Warm-up samples are not in the bars.
    EXPECT_LT(total, r.summary.engine.messages_received);
    EXPECT_GE(r.latency_bars.back().upper_ns, r.summary.latency.max);
    std::uint64_t final_snapshot = 0;
    for (const auto& b : engine.snapshot()->latency_bars) final_snapshot += b.count;
    EXPECT_EQ(final_snapshot, total);
    // The JSON report carries them as "latency_histogram" and reads them back.
    const auto j = nlohmann::json::parse(report_to_json(r));
    ASSERT_TRUE(j.contains("latency_histogram"));
    std::uint64_t json_total = 0;
    for (const auto& b : j["latency_histogram"]) {
        EXPECT_TRUE(b.contains("upper_ns"));
        json_total += b.at("count").get<std::uint64_t>();
    }
    EXPECT_EQ(json_total, total);
    auto back = report_from_json(report_to_json(r));
    ASSERT_TRUE(back.ok()) << back.error().to_string();
    ASSERT_EQ(back->latency_bars.size(), r.latency_bars.size());
    EXPECT_EQ(back->latency_bars.back().upper_ns, r.latency_bars.back().upper_ns);
}

// Churn makes thousands of connections a second: each must be destroyed when it is over,
// not kept until the run ends (real channels hold descriptors: a 1 s unix churn ran out of
// them with EMFILE).
TEST(BenchEngine, ChurnDestroysEachConnectionWhenItIsOver) {
    FakeTransport fake;
    BenchEngine engine(fake, options());
    Scenario s;
    s.pattern = BenchPattern::Churn;
    s.message_size = 16;
    s.message_count = 400;
    ASSERT_TRUE(engine.start(s));
    int peak = 0;
    while (engine.snapshot()->state == BenchState::Running) {
        peak = std::max(peak, pipescope::test::FakeChannel::live_count().load());
        std::this_thread::yield();
    }
    const auto r = engine.wait();
    ASSERT_TRUE(r.ok) << r.error;
    EXPECT_EQ(r.summary.latency.count, 400u);
    EXPECT_LT(peak, 20) << "connections pile up during churn";
}
