// The proxy monitor view, headless: bad names stay on the form; a real in-process proxy
// between a test server and a test client shows the connection (PID, bytes each way) and the
// merged transcript with both flows; frames stay under 50 ms while a flood passes through.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "gui/headless.hpp"
#include "pipescope/hex.hpp"
#include "pipescope/proxy.hpp"
#include "support/hostile_servers.hpp"
#include "views/monitor_view.hpp"

#ifdef _WIN32
#include <windows.h>
#else
#include <unistd.h>
#endif

using namespace pipescope;
using namespace std::chrono_literals;
using pipescope::gui::test::draw_in_window;
using pipescope::gui::test::Headless;

namespace {

std::unique_ptr<core::Session> real_proxy(const core::Endpoint& listen,
                                          const core::Endpoint& target,
                                          const core::ProxyOptions& options) {
    return std::make_unique<core::ProxySession>(listen, target, options);
}

std::uint32_t own_pid() {
#ifdef _WIN32
    return static_cast<std::uint32_t>(::GetCurrentProcessId());
#else
    return static_cast<std::uint32_t>(::getpid());
#endif
}

bool running(const core::SessionSnapshot& s) {
    return s.running;
}
bool connected(const core::SessionSnapshot& s) {
    return !s.conversations.empty() && s.conversations.back().connected;
}

TEST(MonitorView, BadNamesStayOnTheFormWithTheirError) {
    gui::MonitorView view(std::string(300, 'x'), "pipescope-target", real_proxy, 1);
    Headless ui;
    ui.frame([&] { draw_in_window(view); });
    EXPECT_FALSE(view.start());
    EXPECT_EQ(view.form_error().rfind("listen: ", 0), 0u) << view.form_error();
    EXPECT_EQ(view.session(), nullptr);
    ui.frame([&] { draw_in_window(view); });  // the form, with the error under it

    gui::MonitorView no_target("pipescope-listen", "", real_proxy, 2);
    ui.frame([&] { draw_in_window(no_target); });
    EXPECT_FALSE(no_target.start());
    EXPECT_EQ(no_target.form_error().rfind("target: ", 0), 0u) << no_target.form_error();
    EXPECT_EQ(no_target.session(), nullptr);
    ui.frame([&] { draw_in_window(no_target); });
}

TEST(MonitorView, ShowsTheConnectionAndBothFlowsOfARealProxiedConversation) {
    const core::Endpoint target = test::hostile_byte_endpoint("monitor-target");
    core::Endpoint server_ep = target;
    server_ep.io = core::IoModel::Overlapped;
    core::SessionOptions echo;
    echo.behaviour = core::Behaviour::Echo;
    core::ServerSession server(server_ep, echo);
    ASSERT_TRUE(server.wait_for(running, 5000ms)->running);

    const core::Endpoint listen_ep = test::hostile_byte_endpoint("monitor-listen");
    gui::MonitorView view(listen_ep.name.display(), target.name.display(), real_proxy, 1);
    Headless ui;
    ui.frame([&] { draw_in_window(view); });
    ASSERT_TRUE(view.start()) << view.form_error();
    ASSERT_TRUE(view.session()->wait_for(running, 5000ms)->running);

    core::Endpoint client_ep = listen_ep;
    client_ep.io = core::IoModel::Overlapped;
    core::ClientSession client(client_ep, core::SessionOptions{});
    ASSERT_TRUE(client.wait_for(connected, 10000ms)->running);
    client.send(core::to_bytes("hello proxy"));
    auto got = client.wait_for(
        [](const core::SessionSnapshot& s) { return s.totals.bytes_in >= 11; }, 10000ms);
    ASSERT_EQ(got->totals.bytes_in, 11u);
    view.session()->wait_for(
        [](const core::SessionSnapshot& s) {
            return !s.conversations.empty() && s.conversations[0].counters.bytes_in >= 11;
        },
        10000ms);
    for (int i = 0; i < 3; ++i) ui.frame([&] { draw_in_window(view); });

    const auto& rows = view.model().connections();
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0].number, 1u);
    ASSERT_TRUE(rows[0].pid.has_value());
    EXPECT_EQ(*rows[0].pid, own_pid());  // the proxy's client is this process
    EXPECT_EQ(rows[0].bytes_to_server, 11u);
    EXPECT_EQ(rows[0].bytes_to_client, 11u);
    EXPECT_TRUE(rows[0].open);
    const auto& frames = view.model().frames();
    ASSERT_GE(frames.size(), 2u);
    EXPECT_EQ(frames.front()->flow, core::Flow::ToServer);
    EXPECT_EQ(frames.back()->flow, core::Flow::ToClient);
    EXPECT_EQ(frames.front()->connection, 1u);

    // Save transcript writes the merged file, which loads back with connection and flow.
    const auto path = (std::filesystem::temp_directory_path() /
                       ("pipescope-monitor-view-" + std::to_string(own_pid()) + ".json"))
                          .string();
    ASSERT_TRUE(view.save(path)) << view.save_message();
    EXPECT_NE(view.save_message().find("every connection"), std::string::npos)
        << view.save_message();
    auto loaded = core::Transcript::load(path);
    std::filesystem::remove(path);
    ASSERT_TRUE(loaded) << loaded.error().to_string();
    ASSERT_GE(loaded->frames().size(), 2u);
    EXPECT_EQ(loaded->frames().front()->flow, core::Flow::ToServer);
    EXPECT_EQ(loaded->frames().front()->connection, 1u);

    // Text, hex and UTF-16 views of the same rows draw.
    for (auto mode : {gui::TranscriptView::Hex, gui::TranscriptView::Utf16le}) {
        view.transcript().view = mode;
        ui.frame([&] { draw_in_window(view); });
    }
    client.stop();
    view.stop();
    server.stop();
    ui.frame([&] { draw_in_window(view); });
}

TEST(MonitorView, FramesStayUnder50msWhileAFloodPassesThroughTheProxy) {
    const core::Endpoint target = test::hostile_byte_endpoint("monitor-flood");
    auto flood = test::flood_server(target, 4096);  // small writes: many frames to merge
    ASSERT_TRUE(flood->ok()) << flood->error();
    const core::Endpoint listen_ep = test::hostile_byte_endpoint("monitor-flood-listen");
    gui::MonitorView view(listen_ep.name.display(), target.name.display(), real_proxy, 1);
    view.form().options.limits.max_frames = 20000;
    Headless ui;
    ui.frame([&] { draw_in_window(view); });
    ASSERT_TRUE(view.start()) << view.form_error();
    ASSERT_TRUE(view.session()->wait_for(running, 5000ms)->running);
    core::Endpoint client_ep = listen_ep;
    core::SessionOptions sink;
    sink.behaviour = core::Behaviour::Sink;
    sink.limits.max_frames = 1000;
    core::ClientSession client(client_ep, sink);
    ASSERT_TRUE(client.wait_for(connected, 10000ms)->running);

    const auto before = client.snapshot()->totals.bytes_in;
    double worst = 0;
    int frames = 0;
    const auto end = std::chrono::steady_clock::now() + 1500ms;
    while (std::chrono::steady_clock::now() < end) {
        gui::test::FrameTimer frame_timer;
        ui.frame([&] { draw_in_window(view); });
        worst = std::max(worst, frame_timer.elapsed_ms());
        ++frames;
        std::this_thread::sleep_for(5ms);
    }
    const auto after = client.snapshot()->totals.bytes_in;
    std::printf("proxy flood: %d frames, worst %.1f ms, %llu bytes through, %zu rows\n", frames,
                worst, static_cast<unsigned long long>(after - before),
                view.model().frames().size());
    EXPECT_GT(after, before + (256u << 10)) << "the flood did not pass while drawing";
    EXPECT_GT(view.model().frames().size(), 100u);
    EXPECT_LT(worst, 50.0) << "a frame took " << worst << " ms while a flood passed";
    const auto t0 = std::chrono::steady_clock::now();
    client.stop();
    view.stop();
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 10s);
    flood->stop();
}

}  // namespace
