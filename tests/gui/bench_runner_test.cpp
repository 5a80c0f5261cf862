// The benchmark view's model without ImGui: sweeps, history, errors, on the OS transport with
// short runs (as the view tests do).
#include <chrono>
#include <filesystem>
#include <thread>

#include <gtest/gtest.h>

#include "models/bench_runner.hpp"
#include "pipescope/files.hpp"

using namespace pipescope;
using namespace std::chrono_literals;
using gui::BenchRunner;

namespace {

core::Scenario short_pingpong(double duration_s) {
    core::Scenario s;
    s.pattern = core::BenchPattern::PingPong;
    s.message_size = 64;
    s.duration_s = duration_s;
    s.interval_s = 0.1;
    return s;
}

// Calls sync() like the view's frames do until the runner is idle (or about 10 s passed).
void sync_until_idle(BenchRunner& runner) {
    for (int i = 0; i < 2000 && runner.running(); ++i) {
        std::this_thread::sleep_for(5ms);
        runner.sync();
    }
}

TEST(BenchRunner, SweepExpandsIntoItsScenariosAndRunsThemInOrder) {
    core::BenchEngine engine(core::os_transport(), core::BenchOptions{});
    BenchRunner runner(engine);
    runner.scenario() = short_pingpong(0.2);
    ASSERT_TRUE(runner.run_sweep("size=16..256*4,type=byte|message")) << runner.error();
    EXPECT_TRUE(runner.running());
    EXPECT_TRUE(runner.in_sweep());
    // 3 sizes x 2 types; the first is running, the rest wait.
    EXPECT_EQ(runner.sweep_remaining(), 5u);
    sync_until_idle(runner);
    ASSERT_FALSE(runner.running()) << "the sweep did not finish";
    EXPECT_FALSE(runner.in_sweep());
    EXPECT_TRUE(runner.error().empty()) << runner.error();
    const auto expected = core::expand_sweep(runner.scenario(), "size=16..256*4,type=byte|message");
    ASSERT_TRUE(expected);
    ASSERT_EQ(expected->size(), 6u);
    const auto& results = runner.sweep_results();
    ASSERT_EQ(results.size(), expected->size());
    for (std::size_t i = 0; i < results.size(); ++i) {
        SCOPED_TRACE(i);
        EXPECT_TRUE(results[i].ok) << results[i].error;
        EXPECT_EQ(results[i].scenario.message_size, (*expected)[i].message_size);
        EXPECT_EQ(results[i].scenario.type, (*expected)[i].type);
        EXPECT_GT(results[i].summary.latency.count, 0u);
    }
    // Every sweep run is in the history too, in the same order.
    ASSERT_EQ(runner.history().size(), results.size());
    for (std::size_t i = 0; i < results.size(); ++i)
        EXPECT_EQ(runner.history()[i].scenario.message_size, results[i].scenario.message_size);
    // One size curve per type (same transport and io), one point per size.
    auto curves = runner.sweep_curves();
    ASSERT_EQ(curves.size(), 2u);
    EXPECT_EQ(curves[0].second.size(), 3u);
    EXPECT_EQ(curves[1].second.size(), 3u);
    EXPECT_NE(curves[0].first, curves[1].first);
}

TEST(BenchRunner, AFinishedRunLandsInTheHistory) {
    core::BenchEngine engine(core::os_transport(), core::BenchOptions{});
    BenchRunner runner(engine);
    runner.scenario() = short_pingpong(0.4);
    EXPECT_TRUE(runner.history().empty());
    EXPECT_EQ(runner.compare(0, 0), "");
    ASSERT_TRUE(runner.run()) << runner.error();
    EXPECT_TRUE(runner.running());
    EXPECT_FALSE(runner.in_sweep());
    sync_until_idle(runner);
    ASSERT_FALSE(runner.running()) << "the run did not finish";
    ASSERT_EQ(runner.history().size(), 1u);
    const auto& r = runner.history().back();
    EXPECT_TRUE(r.ok) << r.error;
    EXPECT_EQ(r.scenario.message_size, 64u);
    EXPECT_EQ(r.summary.bytes_sent, r.summary.bytes_received);
    EXPECT_GT(runner.throughput_series().size(), 1u);
    EXPECT_TRUE(runner.sweep_results().empty()) << "a single run is not a sweep";
    auto summary = runner.shown_summary();
    ASSERT_TRUE(summary.has_value());
    EXPECT_EQ(summary->latency.count, r.summary.latency.count);

    // A second run: history keeps both, oldest first, and compare names them.
    runner.scenario().message_size = 128;
    ASSERT_TRUE(runner.run()) << runner.error();
    sync_until_idle(runner);
    ASSERT_EQ(runner.history().size(), 2u);
    EXPECT_EQ(runner.history()[0].scenario.message_size, 64u);
    EXPECT_EQ(runner.history()[1].scenario.message_size, 128u);
    EXPECT_FALSE(runner.compare(0, 1).empty());
    EXPECT_EQ(runner.compare(0, 2), "") << "an index past the history compares nothing";

    const auto path = std::filesystem::temp_directory_path() / "pipescope-bench-runner.json";
    ASSERT_TRUE(runner.export_last_json(path.string()));
    auto text = core::read_file(path.string());
    std::filesystem::remove(path);
    ASSERT_TRUE(text);
    EXPECT_EQ(*text, core::report_to_json(runner.history().back()));
}

TEST(BenchRunner, BadSweepSpecGivesItsErrorAndRunsNothing) {
    core::BenchEngine engine(core::os_transport(), core::BenchOptions{});
    BenchRunner runner(engine);
    runner.scenario() = short_pingpong(0.2);
    EXPECT_FALSE(runner.run_sweep("size=banana"));
    EXPECT_NE(runner.error().find("banana"), std::string::npos) << runner.error();
    EXPECT_FALSE(runner.running());
    EXPECT_FALSE(runner.in_sweep());
    runner.sync();
    EXPECT_TRUE(runner.history().empty());
    // The error clears with the next good start.
    ASSERT_TRUE(runner.run_sweep("size=32")) << runner.error();
    EXPECT_TRUE(runner.error().empty());
    sync_until_idle(runner);
    ASSERT_EQ(runner.sweep_results().size(), 1u);
    EXPECT_EQ(runner.sweep_results()[0].scenario.message_size, 32u);
}

TEST(BenchRunner, SizeTextAndPresets) {
    core::BenchEngine engine(core::os_transport(), core::BenchOptions{});
    BenchRunner runner(engine);
    EXPECT_TRUE(runner.set_size_text("64K"));
    EXPECT_EQ(runner.scenario().message_size, 64u * 1024);
    EXPECT_FALSE(runner.set_size_text("lots"));
    EXPECT_NE(runner.error().find("\"lots\" is not a size"), std::string::npos) << runner.error();
    EXPECT_EQ(runner.scenario().message_size, 64u * 1024) << "a bad size leaves the scenario";
    EXPECT_FALSE(runner.load_preset("no-such-preset"));
    const auto names = core::preset_names();
    ASSERT_FALSE(names.empty());
    ASSERT_TRUE(runner.load_preset(names.front())) << runner.error();
    EXPECT_EQ(runner.scenario().message_size, core::load_preset(names.front())->message_size);
}

}  // namespace
