// Frame time while the session view's client is being flooded, and while it is connected to a
// server that never answers (with a send waiting for a reply that never comes). Only a generous
// upper bound (50 ms per frame, the time the UI thread had: FrameTimer leaves out waits for a CPU
// that other programs took) is asserted; the frames must also keep showing new data.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "pipescope/inspect.hpp"
#include "gui/headless.hpp"
#include "support/hostile_servers.hpp"
#include "views/inspector_view.hpp"
#include "views/session_view.hpp"

using namespace pipescope;
using namespace std::chrono_literals;
using pipescope::gui::test::draw_in_window;
using pipescope::gui::test::Headless;
using Role = gui::SessionView::Role;

namespace {

std::unique_ptr<core::Session> real_factory(Role role, const core::Endpoint& e,
                                            const core::SessionOptions& o) {
    if (role == Role::Client) return std::make_unique<core::ClientSession>(e, o);
    return std::make_unique<core::ServerSession>(e, o);
}

// Draws frames for `duration` and returns the worst frame time in ms.
double worst_frame_ms(Headless& ui, gui::SessionView& view, std::chrono::milliseconds duration,
                      int* frames) {
    double worst = 0;
    auto end = std::chrono::steady_clock::now() + duration;
    *frames = 0;
    while (std::chrono::steady_clock::now() < end) {
        gui::test::FrameTimer frame_timer;
        ui.frame([&] { draw_in_window(view); });
        worst = std::max(worst, frame_timer.elapsed_ms());
        ++*frames;
        std::this_thread::sleep_for(5ms);  // roughly a busy UI's pace
    }
    return worst;
}

bool connected(const core::SessionSnapshot& s) {
    return !s.conversations.empty() && s.conversations.back().connected;
}

TEST(HostileFrames, FramesStayUnder50msWhileTheClientIsFlooded) {
    core::Endpoint ep = test::hostile_byte_endpoint("gui-flood");
    auto server = test::flood_server(ep, 4096);  // small writes: many frames to list
    ASSERT_TRUE(server->ok()) << server->error();
    gui::SessionView view(Role::Client, ep.name.display(), real_factory, 1);
    view.endpoint() = server->client_endpoint();
    view.options().limits.max_frames = 20000;
    Headless ui;
    ui.frame([&] { draw_in_window(view); });
    ASSERT_TRUE(view.start()) << view.form_error();
    auto s = view.session()->wait_for(connected, 5000ms);
    ASSERT_TRUE(connected(*s)) << s->status;
    int frames = 0;
    const auto in_before = view.session()->snapshot()->totals.bytes_in;
    double worst = worst_frame_ms(ui, view, 1500ms, &frames);
    const auto in_after = view.session()->snapshot()->totals.bytes_in;
    EXPECT_GT(in_after, in_before + (1u << 20)) << "the flood did not arrive while drawing";
    EXPECT_GT(frames, 10);
    std::printf("flooded: %d frames, worst %.1f ms, %llu bytes in\n", frames, worst,
                static_cast<unsigned long long>(in_after - in_before));
    EXPECT_LT(worst, 50.0) << "a frame took " << worst << " ms while the client was flooded";
    auto t0 = std::chrono::steady_clock::now();
    view.stop();
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
}

TEST(HostileFrames, FramesStayUnder50msWhileConnectedToANeverAnsweringServer) {
    core::Endpoint ep = test::hostile_byte_endpoint("gui-silent");
    auto server = test::silent_server(ep);
    ASSERT_TRUE(server->ok()) << server->error();
    gui::SessionView view(Role::Client, ep.name.display(), real_factory, 2);
    view.endpoint() = server->client_endpoint();
    view.options().reply_timeout = 300ms;
    Headless ui;
    ui.frame([&] { draw_in_window(view); });
    ASSERT_TRUE(view.start()) << view.form_error();
    auto s = view.session()->wait_for(connected, 5000ms);
    ASSERT_TRUE(connected(*s)) << s->status;
    ASSERT_TRUE(view.send(gui::SendMode::Text, "PING\n"));
    int frames = 0;
    double worst = worst_frame_ms(ui, view, 1000ms, &frames);
    EXPECT_GT(frames, 10);
    std::printf("silent server: %d frames, worst %.1f ms\n", frames, worst);
    EXPECT_LT(worst, 50.0) << "a frame took " << worst << " ms while waiting on a silent server";
    auto last = view.session()->snapshot();
    ASSERT_FALSE(last->conversations.empty());
    bool timed_out = false;
    for (const auto& e : last->conversations.back().transcript.events()) {
        timed_out |= e.kind == core::EventKind::Error &&
                     e.text.find("no reply within 300 ms") != std::string::npos;
    }
    EXPECT_TRUE(timed_out) << last->status;
    auto t0 = std::chrono::steady_clock::now();
    view.stop();
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
}

TEST(HostileFrames, FramesStayUnder50msWhileARealProbeWaitsOnABusyPipeAndCancelIsPrompt) {
    core::Endpoint ep = test::hostile_byte_endpoint("gui-busy");
#ifdef _WIN32
    test::RawPipeInstance only(ep, 1);  // one instance, taken: every probe is told busy
    ASSERT_TRUE(only.ok()) << only.error();
    auto holder = core::connect(ep, 2000ms);
    ASSERT_TRUE(holder.ok()) << holder.error().to_string();
#else
    test::RawListeningSocket sock(ep, 0);  // never accepts; the backlog of one is taken
    ASSERT_TRUE(sock.ok());
    ASSERT_TRUE(sock.park_client());
#endif
    core::InspectTaskReaper reaper;
    gui::InspectorView view(ep.name, core::inspect_pipe, 3, reaper);
    Headless ui;
    auto draw = [&] { draw_in_window(view); };
    view.start();
    double worst = 0;
    int frames = 0;
    auto end = std::chrono::steady_clock::now() + 1000ms;
    while (std::chrono::steady_clock::now() < end) {
        gui::test::FrameTimer frame_timer;
        ui.frame(draw);
        worst = std::max(worst, frame_timer.elapsed_ms());
        ++frames;
        std::this_thread::sleep_for(5ms);
    }
    std::printf("busy probe: %d frames, worst %.1f ms\n", frames, worst);
    EXPECT_EQ(view.phase(), gui::InspectorView::Phase::Running)
        << "the probe should still be waiting for an instance";
    EXPECT_LT(worst, 50.0) << "a frame took " << worst << " ms while a real probe waited";
    auto t0 = std::chrono::steady_clock::now();
    view.cancel();
    while (view.phase() != gui::InspectorView::Phase::Done &&
           std::chrono::steady_clock::now() - t0 < 5s) {
        ui.frame(draw);
        std::this_thread::sleep_for(2ms);
    }
    ASSERT_EQ(view.phase(), gui::InspectorView::Phase::Done);
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s) << "cancel was not prompt";
    EXPECT_EQ(view.result()->state, core::InspectState::Cancelled);
}

}  // namespace

namespace {

TEST(FrameTimer, CountsTimeTheThreadSpentBlockedAndNeverMoreThanTheWallTime) {
    // Blocking (a lock, a wait, a sleep) is the view's fault and must count; only waiting for a
    // CPU is left out, so the measure can never exceed the wall time.
    const auto wall0 = std::chrono::steady_clock::now();
    gui::test::FrameTimer timer;
    std::this_thread::sleep_for(60ms);
    const double measured = timer.elapsed_ms();
    const double wall =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - wall0).count();
    EXPECT_GE(measured, 55.0) << "a blocked frame was not counted";
    EXPECT_LE(measured, wall);
}

}  // namespace
