#include <algorithm>
#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

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

// Runs the view's probe (a fake returning `details`) and draws the result.
std::vector<std::string> drawn_fields_for(core::PipeDetails details, int id) {
    core::InspectTaskReaper reaper;
    gui::InspectorView view(
        name(),
        [details](const core::PipeName&, const core::InspectOptions&, std::stop_token) {
            return details;
        },
        id, reaper);
    Headless ui;
    view.start();
    for (int i = 0; i < 1000 && view.phase() != gui::InspectorView::Phase::Done; ++i)
        std::this_thread::sleep_for(1ms);
    EXPECT_EQ(view.phase(), gui::InspectorView::Phase::Done);
    ui.frame([&] { draw_in_window(view); });
    return view.drawn_fields();
}

bool contains(const std::vector<std::string>& v, const char* key) {
    return std::find(v.begin(), v.end(), key) != v.end();
}

// What the Linux probe returns for a socket: Win32 fields marked unsupported (with a source),
// the socket's own fields set.
core::PipeDetails linux_socket() {
    core::PipeDetails d;
    d.kind = "unix socket";
    d.state = core::InspectState::Ok;
    const std::string why = "Windows named pipes only";
    d.in_quota.fail(core::FieldState::Unsupported, "GetNamedPipeInfo", false, why);
    d.sddl.fail(core::FieldState::Unsupported, "GetSecurityInfo", false, why);
    d.null_dacl.fail(core::FieldState::Unsupported, "GetSecurityInfo", false, why);
    d.pipe_state.fail(core::FieldState::Unsupported, "FilePipeLocalInformation", false, why);
    d.capacity.fail(core::FieldState::Unsupported, "F_GETPIPE_SZ", false, "FIFOs only");
    d.socket_type.set("stream", "SO_TYPE", true);
    d.send_buffer.set(212992, "SO_SNDBUF", true);
    d.mode.set(0700, "stat", false);
    d.owner.set("alice (1000)", "stat", false);
    d.server_uid.set(1000, "SO_PEERCRED", true);
    return d;
}

TEST(InspectorView, LinuxSocketShowsNoWin32Rows) {
    auto drawn = drawn_fields_for(linux_socket(), 10);
    for (const char* key :
         {"access", "in_quota", "out_quota", "max_instances", "pipe_state", "server_session",
          "sddl", "null_dacl", "everyone_can_write", "capacity", "bytes_queued"})
        EXPECT_FALSE(contains(drawn, key)) << key << " drawn for a Unix socket";
    for (const char* key : {"type", "end", "server_pid", "server_uid", "owner", "mode",
                            "socket_type", "send_buffer", "recv_buffer"})
        EXPECT_TRUE(contains(drawn, key)) << key << " missing for a Unix socket";
}

TEST(InspectorView, NamedPipeShowsNoSocketOrModeRows) {
    core::PipeDetails d;
    d.kind = "named pipe";
    d.state = core::InspectState::Ok;
    d.in_quota.set(2048, "GetNamedPipeInfo", true);
    d.sddl.set("O:BAD:(A;;GA;;;WD)", "GetSecurityInfo", true);
    d.mode.fail(core::FieldState::Unsupported, "stat", false, "Linux sockets and FIFOs only");
    d.socket_type.fail(core::FieldState::Unsupported, "SO_TYPE", false,
                       "Linux sockets and FIFOs only");
    auto drawn = drawn_fields_for(d, 11);
    for (const char* key : {"mode", "owner_uid", "socket_type", "send_buffer", "server_uid",
                            "capacity", "bytes_queued"})
        EXPECT_FALSE(contains(drawn, key)) << key << " drawn for a named pipe";
    for (const char* key : {"access", "in_quota", "max_instances", "pipe_state", "server_session",
                            "owner", "sddl", "null_dacl"})
        EXPECT_TRUE(contains(drawn, key)) << key << " missing for a named pipe";
}

TEST(InspectorView, FifoShowsItsSizesAndNoSocketRows) {
    core::PipeDetails d;
    d.kind = "fifo";
    d.state = core::InspectState::Ok;
    d.capacity.set(65536, "F_GETPIPE_SZ", true);
    auto drawn = drawn_fields_for(d, 12);
    EXPECT_TRUE(contains(drawn, "capacity"));
    EXPECT_TRUE(contains(drawn, "bytes_queued"));
    EXPECT_TRUE(contains(drawn, "mode"));
    for (const char* key : {"socket_type", "end", "server_pid", "in_quota", "sddl"})
        EXPECT_FALSE(contains(drawn, key)) << key << " drawn for a FIFO";
}

// A field that applies but is missing stays, with why (Wine's system pipes carry no
// descriptor), even though its state is "unsupported".
TEST(InspectorView, AMissingFieldThatAppliesIsShown) {
    core::PipeDetails d;
    d.kind = "named pipe";
    d.state = core::InspectState::Ok;
    d.owner.fail(core::FieldState::Unsupported, "GetSecurityInfo", true,
                 "the system returned no security descriptor for this pipe");
    auto drawn = drawn_fields_for(d, 13);
    EXPECT_TRUE(contains(drawn, "owner"));
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
        gui::test::FrameTimer frame_timer;
        ui.frame([&] { draw_in_window(view); });
        worst_ms = std::max(worst_ms, frame_timer.elapsed_ms());
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
