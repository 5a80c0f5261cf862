#include <atomic>
#include <chrono>
#include <thread>

#include <gtest/gtest.h>

#include "gui/headless.hpp"
#include "views/inspector_view.hpp"

using namespace pipescope;
using namespace std::chrono_literals;
using pipescope::gui::test::draw_in_window;
using pipescope::gui::test::Headless;

namespace {

core::PipeName name() {
    return *core::PipeName::parse("\\\\.\\pipe\\target");
}

TEST(InspectorView, AsksBeforeItConnects) {
    std::atomic<int> probes{0};
    core::InspectTaskReaper reaper;  // declared after what the probe captures
    gui::InspectorView view(
        name(),
        [&](auto&&...) {
            ++probes;
            return core::PipeDetails{};
        },
        1, reaper);
    Headless ui;
    for (int i = 0; i < 5; ++i) ui.frame([&] { draw_in_window(view); });
    EXPECT_EQ(view.phase(), gui::InspectorView::Phase::Confirm);
    EXPECT_EQ(probes.load(), 0) << "the probe ran before the user agreed to connect";
}

TEST(InspectorView, InspectCallsTheProbeAndShowsFieldsAndStates) {
    core::InspectTaskReaper reaper;  // declared after what the probe captures
    gui::InspectorView view(
        name(),
        [](const core::PipeName& n, const core::InspectOptions&, std::stop_token) {
            core::PipeDetails d;
            d.name = n.display();
            d.kind = "named pipe";
            d.state = core::InspectState::Busy;
            d.error = core::win32_error(231, "CreateFileW", n.display());
            d.max_instances.set(4, "GetNamedPipeInfo", true);
            d.owner.fail(core::FieldState::Denied, "GetSecurityInfo", true, "access denied");
            return d;
        },
        2, reaper);
    Headless ui;
    ui.frame([&] { draw_in_window(view); });
    view.start();
    for (int i = 0; i < 500 && view.phase() != gui::InspectorView::Phase::Done; ++i) {
        ui.frame([&] { draw_in_window(view); });
        std::this_thread::sleep_for(2ms);
    }
    ASSERT_EQ(view.phase(), gui::InspectorView::Phase::Done);
    ui.frame([&] { draw_in_window(view); });
    auto r = view.result();
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->state, core::InspectState::Busy);
    EXPECT_EQ(*r->max_instances.value, 4);
    EXPECT_GT(ImGui::GetDrawData()->TotalVtxCount, 0);
}

TEST(InspectorView, AHungProbeNeverBlocksAFrameAndCancels) {
    std::atomic<bool> saw_stop{false};
    core::InspectTaskReaper reaper;  // declared after what the probe captures
    gui::InspectorView view(
        name(),
        [&](const core::PipeName&, const core::InspectOptions&, std::stop_token stop) {
            while (!stop.stop_requested())
                std::this_thread::sleep_for(1ms);  // a pipe that never answers
            saw_stop = true;
            core::PipeDetails d;
            d.state = core::InspectState::Cancelled;
            return d;
        },
        3, reaper);
    Headless ui;
    view.start();
    double worst_ms = 0;
    for (int i = 0; i < 60; ++i) {
        auto t0 = std::chrono::steady_clock::now();
        ui.frame([&] { draw_in_window(view); });
        worst_ms = std::max(worst_ms, std::chrono::duration<double, std::milli>(
                                          std::chrono::steady_clock::now() - t0)
                                          .count());
    }
    EXPECT_EQ(view.phase(), gui::InspectorView::Phase::Running);
    EXPECT_LT(worst_ms, 50.0) << "a frame took " << worst_ms << " ms while the probe hung";
    view.cancel();
    for (int i = 0; i < 1000 && view.phase() != gui::InspectorView::Phase::Done; ++i)
        std::this_thread::sleep_for(1ms);
    EXPECT_TRUE(saw_stop.load());
    ASSERT_EQ(view.phase(), gui::InspectorView::Phase::Done);
    EXPECT_EQ(view.result()->state, core::InspectState::Cancelled);
}

TEST(InspectorView, ClosingWhileRunningDoesNotWait) {
    std::atomic<bool> finished{false};
    core::InspectTaskReaper reaper;  // owns the probe once the tab is gone
    auto start = std::chrono::steady_clock::now();
    {
        gui::InspectorView view(
            name(),
            [&](const core::PipeName&, const core::InspectOptions&, std::stop_token stop) {
                while (!stop.stop_requested()) std::this_thread::sleep_for(1ms);
                std::this_thread::sleep_for(200ms);  // slow to wind down
                finished = true;
                return core::PipeDetails{};
            },
            4, reaper);
        view.start();
    }
    EXPECT_LT(std::chrono::steady_clock::now() - start, 150ms)
        << "closing the tab waited for the probe";
    EXPECT_EQ(reaper.pending(), 1u) << "the running probe was not handed to the reaper";
    for (int i = 0; i < 2000 && !finished; ++i) std::this_thread::sleep_for(1ms);
    EXPECT_TRUE(finished.load());
}

}  // namespace
