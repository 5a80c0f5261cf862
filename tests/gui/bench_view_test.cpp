#include <chrono>
#include <cstdio>
#include <thread>

#include <gtest/gtest.h>

#include "gui/headless.hpp"
#include "views/bench_view.hpp"

using namespace pipescope;
using namespace std::chrono_literals;
using pipescope::gui::test::draw_in_window;
using pipescope::gui::test::Headless;

namespace {

core::Scenario short_pingpong() {
    core::Scenario s;
    s.pattern = core::BenchPattern::PingPong;
    s.message_size = 64;
    s.duration_s = 0.6;
    s.interval_s = 0.1;
    return s;
}

TEST(BenchView, RunStartsTheEngineAndTheChartsGetPoints) {
    core::BenchEngine engine(core::os_transport(), core::BenchOptions{});
    gui::BenchView view(engine);
    view.scenario() = short_pingpong();
    Headless ui;
    ui.frame([&] { draw_in_window(view); });
    // The form's size field holds the preset's size; run() parses it, so set it like a user.
    ASSERT_TRUE(view.run()) << view.error();
    EXPECT_TRUE(view.running());
    double worst_ms = 0;
    for (int i = 0; i < 1000 && view.running(); ++i) {
        gui::test::FrameTimer frame_timer;
        ui.frame([&] { draw_in_window(view); });
        worst_ms = std::max(worst_ms, frame_timer.elapsed_ms());
        std::this_thread::sleep_for(10ms);
    }
    ASSERT_FALSE(view.running()) << "the run did not finish";
    EXPECT_GT(view.throughput_series().size(), 2u) << "the throughput chart got no points";
    EXPECT_GT(view.p99_series().size(), 2u) << "the latency chart got no points";
    ASSERT_EQ(view.history().size(), 1u);
    const auto& r = view.history().back();
    EXPECT_TRUE(r.ok) << r.error;
    EXPECT_GT(r.summary.latency.count, 0u);
    EXPECT_EQ(r.summary.bytes_sent, r.summary.bytes_received);
    EXPECT_LT(worst_ms, 50.0) << "a frame took " << worst_ms << " ms during the run";
    std::uint64_t in_bars = 0;
    for (const auto& b : r.latency_bars) in_bars += b.count;
    EXPECT_EQ(in_bars, r.summary.latency.count) << "the histogram chart's bars do not add up";
}

TEST(BenchView, BadSweepSpecIsShownNotRun) {
    core::BenchEngine engine(core::os_transport(), core::BenchOptions{});
    gui::BenchView view(engine);
    EXPECT_FALSE(view.run_sweep("size=banana"));
    EXPECT_FALSE(view.error().empty());
    EXPECT_FALSE(view.running());
    Headless ui;
    ui.frame([&] { draw_in_window(view); });  // the error renders as text
}

TEST(BenchView, SweepRunsEveryScenarioInTurn) {
    core::BenchEngine engine(core::os_transport(), core::BenchOptions{});
    gui::BenchView view(engine);
    view.scenario() = short_pingpong();
    view.scenario().duration_s = 0.2;
    ASSERT_TRUE(view.run_sweep("size=16..64*4")) << view.error();
    Headless ui;
    for (int i = 0; i < 2000 && view.running(); ++i) {
        ui.frame([&] { draw_in_window(view); });
        std::this_thread::sleep_for(5ms);
    }
    ASSERT_EQ(view.sweep_results().size(), 2u);
    EXPECT_EQ(view.sweep_results()[0].scenario.message_size, 16u);
    EXPECT_EQ(view.sweep_results()[1].scenario.message_size, 64u);
    for (const auto& r : view.sweep_results()) EXPECT_TRUE(r.ok) << r.error;
}

}  // namespace

TEST(BenchView, BaselineCheckboxAsksForARawLoopAndTheDashboardShowsTheRatio) {
    core::BenchEngine engine(core::os_transport(), core::BenchOptions{});
    gui::BenchView view(engine);
    view.scenario() = short_pingpong();
    view.scenario().duration_s = 0.3;
    Headless ui;
    auto draw = [&] { draw_in_window(view); };
    ui.frame(draw);
    ASSERT_FALSE(view.scenario().baseline);
    const ImVec2 box = view.baseline_checkbox_center();
    ASSERT_GT(box.x, 0.0f) << "the checkbox was not drawn";
    ui.click(box.x, box.y, draw);
    ASSERT_TRUE(view.scenario().baseline) << "clicking the checkbox did not set the option";
    ASSERT_TRUE(view.run()) << view.error();
    for (int i = 0; i < 1000 && view.running(); ++i) {
        ui.frame(draw);
        std::this_thread::sleep_for(10ms);
    }
    ASSERT_FALSE(view.running()) << "the run did not finish";
    // The frame that saw the run end draws the baseline table for the first time; ImGui lays
    // out its columns in the next frame, so the view asks for a few more before it idles (it
    // drew squeezed columns until the next mouse move).
    ui.frame(draw);
    EXPECT_TRUE(view.wants_frames()) << "idle right after the final frame";
    for (int i = 0; i < 5; ++i) ui.frame(draw);
    EXPECT_FALSE(view.wants_frames()) << "still asking for frames after the run settled";
    ASSERT_EQ(view.history().size(), 1u);
    const auto& r = view.history().back();
    ASSERT_TRUE(r.ok) << r.error;
    ASSERT_TRUE(r.baseline.has_value());
    ASSERT_TRUE(r.baseline->ok) << r.baseline->error;
    ASSERT_GT(r.baseline->p50_ratio, 0.0);
    ui.frame(draw);  // the Summary tab of the finished run
    char ratio[32];
    std::snprintf(ratio, sizeof ratio, "%.3fx p50", r.baseline->p50_ratio);
    EXPECT_NE(view.drawn_baseline_line().find(ratio), std::string::npos)
        << "dashboard shows '" << view.drawn_baseline_line() << "', expected " << ratio;
    // Clicking again clears it.
    ui.click(box.x, box.y, draw);
    EXPECT_FALSE(view.scenario().baseline);
}
