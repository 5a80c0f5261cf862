// The client form's remote-check: when a client to \\host\pipe\x fails to connect, the form runs
// the check once and shows its steps (the runner with a fake check, and the real check end to
// end against a loopback port nothing listens on, natively and under Wine).
#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "gui/headless.hpp"
#include "models/remote_check_runner.hpp"
#include "remote_check/loopback_ports.hpp"
#include "views/session_view.hpp"

using namespace pipescope;
using namespace std::chrono_literals;
using pipescope::gui::test::draw_in_window;
using pipescope::gui::test::Headless;
using Role = gui::SessionView::Role;

namespace {

core::PipeName name_of(const char* text) {
    return *core::PipeName::parse(text);
}

core::SessionSnapshot failed_snapshot() {
    core::SessionSnapshot s;
    s.running = false;
    core::Event e;
    e.kind = core::EventKind::Error;
    e.text = "connect failed";
    s.events.push_back(e);
    return s;
}

// Draws frames until `done` holds (at most 30 s: every step is bounded well below).
template <class View, class Pred>
bool frames_until(Headless& ui, View& view, Pred done) {
    for (int i = 0; i < 3000; ++i) {
        ui.frame([&] { draw_in_window(view); });
        if (done()) return true;
        std::this_thread::sleep_for(10ms);
    }
    return false;
}

}  // namespace

TEST(RemoteCheckRunner, OnlyAFailedRemoteConnectCallsForACheck) {
    core::Endpoint remote;
    remote.name = name_of("\\\\server\\pipe\\x");
    core::Endpoint local;
    local.name = name_of("\\\\.\\pipe\\x");
    const auto failed = failed_snapshot();
    EXPECT_TRUE(gui::remote_connect_failed(remote, failed));
    EXPECT_FALSE(gui::remote_connect_failed(local, failed));
    auto running = failed;
    running.running = true;
    EXPECT_FALSE(gui::remote_connect_failed(remote, running));
    auto talked = failed;
    talked.conversations.emplace_back();
    EXPECT_FALSE(gui::remote_connect_failed(remote, talked));
    core::SessionSnapshot clean;  // stopped by the user, no error
    EXPECT_FALSE(gui::remote_connect_failed(remote, clean));
}

TEST(RemoteCheckRunner, PublishesRunningThenTheReport) {
    std::atomic<bool> release{false};
    gui::RemoteCheckRunner runner([&](const core::PipeName& n, const core::RemoteCheckOptions& o,
                                      std::stop_token) -> core::Result<core::RemoteCheckReport> {
        while (!release) std::this_thread::sleep_for(1ms);
        core::RemoteCheckReport r;
        r.target = n.win32_path();
        r.port = o.remote.smb_port;
        return r;
    });
    core::RemoteCheckOptions o;
    o.remote.smb_port = 1445;
    runner.start(name_of("\\\\server\\pipe\\x"), o);
    EXPECT_TRUE(runner.running());
    EXPECT_EQ(runner.progress().run, 1u);
    EXPECT_EQ(runner.progress().target, "\\\\server\\pipe\\x");
    release = true;
    for (int i = 0; i < 5000 && runner.running(); ++i) {
        std::this_thread::sleep_for(1ms);
        runner.sync();
    }
    ASSERT_FALSE(runner.running());
    ASSERT_TRUE(runner.progress().report);
    EXPECT_EQ(runner.progress().report->port, 1445);
}

TEST(RemoteCheckRunner, DestroyingItStopsTheCheck) {
    std::atomic<bool> saw_stop{false};
    {
        gui::RemoteCheckRunner runner(
            [&](const core::PipeName&, const core::RemoteCheckOptions&,
                std::stop_token stop) -> core::Result<core::RemoteCheckReport> {
                while (!stop.stop_requested()) std::this_thread::sleep_for(1ms);
                saw_stop = true;
                return core::make_error(core::ErrorCode::Cancelled, "check", "x", "stopped");
            });
        runner.start(name_of("\\\\server\\pipe\\x"), core::RemoteCheckOptions{});
    }
    EXPECT_TRUE(saw_stop);
}

TEST(RemoteCheckView, FailedRemoteClientShowsTheStepsEndingAtTcp) {
    const std::uint16_t port = pipescope::test::closed_port();
    ASSERT_NE(port, 0);
    auto factory = [](Role, const core::Endpoint& e, const core::SessionOptions& o) {
        return std::unique_ptr<core::Session>(std::make_unique<core::ClientSession>(e, o));
    };
    gui::SessionView view(Role::Client, "\\\\127.0.0.1\\pipe\\pipescope-remote-view-test", factory,
                          1);
    view.endpoint().client.remote.smb_port = port;
    view.form().timeout_ms = 3000;
    Headless ui;
    ui.frame([&] { draw_in_window(view); });  // the form, with its SMB fields
    ASSERT_TRUE(view.start()) << view.form_error();
    // The connect fails (nothing serves SMB there), the check starts by itself and ends; while it
    // runs the view asks for frames (an idle app would otherwise not draw its result).
    ASSERT_TRUE(frames_until(ui, view, [&] {
        const auto& p = view.remote_check().progress();
        return p.run == 1 && !p.running;
    }));
    const auto& p = view.remote_check().progress();
    ASSERT_TRUE(p.report) << (p.error ? p.error->to_string() : "");
    const auto* failed = p.report->failed_step();
    ASSERT_NE(failed, nullptr) << core::format_remote_check(*p.report);
    EXPECT_EQ(failed->step, core::RemoteStep::TcpConnect) << core::format_remote_check(*p.report);
    EXPECT_EQ(p.report->port, port);
    // Drawn again and again, it runs once.
    for (int i = 0; i < 5; ++i) ui.frame([&] { draw_in_window(view); });
    EXPECT_EQ(view.remote_check().progress().run, 1u);
}

// An idle app draws only when a view asks for frames: while the check runs on its worker the
// view asks, so its result is drawn when it ends; afterwards it stops asking.
TEST(RemoteCheckView, AsksForFramesWhileTheCheckRuns) {
    const std::uint16_t port = pipescope::test::closed_port();
    ASSERT_NE(port, 0);
    auto factory = [](Role, const core::Endpoint& e, const core::SessionOptions& o) {
        return std::unique_ptr<core::Session>(std::make_unique<core::ClientSession>(e, o));
    };
    gui::SessionView view(Role::Client, "\\\\127.0.0.1\\pipe\\pipescope-remote-frames", factory, 1);
    view.endpoint().client.remote.smb_port = port;
    view.form().timeout_ms = 3000;
    std::atomic<bool> release{false};
    view.remote_check().set_check(
        [&](const core::PipeName&, const core::RemoteCheckOptions&,
            std::stop_token stop) -> core::Result<core::RemoteCheckReport> {
            while (!release && !stop.stop_requested()) std::this_thread::sleep_for(1ms);
            return core::RemoteCheckReport{};
        });
    Headless ui;
    ASSERT_TRUE(view.start()) << view.form_error();
    ASSERT_TRUE(frames_until(ui, view, [&] { return view.remote_check().running(); }));
    EXPECT_TRUE(view.wants_frames());
    release = true;
    ASSERT_TRUE(frames_until(ui, view, [&] { return !view.remote_check().running(); }));
    EXPECT_FALSE(view.wants_frames());
}
