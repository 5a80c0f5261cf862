#include <chrono>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#ifndef _WIN32
#include <sys/stat.h>
#endif

#include "gui/headless.hpp"
#include "views/session_view.hpp"

#ifdef _WIN32
#include <windows.h>
#else
#include <unistd.h>
#endif

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

std::string unique_name(const char* what) {
#ifdef _WIN32
    auto pid = static_cast<unsigned long>(::GetCurrentProcessId());
    return std::string("\\\\.\\pipe\\pipescope-guitest-") + what + "-" + std::to_string(pid);
#else
    auto pid = static_cast<unsigned long>(::getpid());
    return "/tmp/pipescope-guitest-" + std::string(what) + "-" + std::to_string(pid) + ".sock";
#endif
}

TEST(SessionView, BadNameIsAnErrorInTheForm) {
    gui::SessionView view(Role::Client, std::string(300, 'x'), real_factory, 1);
    Headless ui;
    ui.frame([&] { draw_in_window(view); });
    EXPECT_FALSE(view.start());
    EXPECT_NE(view.form_error().find("256"), std::string::npos) << view.form_error();
    EXPECT_EQ(view.session(), nullptr);
    ui.frame([&] { draw_in_window(view); });  // the error renders as text
}

TEST(SessionView, BadCustomSddlIsAnErrorInTheFormWithItsOffset) {
    gui::SessionView view(Role::Server, unique_name("badsddl"), real_factory, 1);
    // SDDL belongs to Win32 pipes; the form checks it before anything starts, on every platform.
    view.endpoint().kind = core::TransportKind::Win32Pipe;
    view.set_custom_sddl("D:P(A;;GA;;;XX)");
    Headless ui;
    ui.frame([&] { draw_in_window(view); });
    EXPECT_FALSE(view.start());
    EXPECT_NE(view.form_error().find("at offset 12: unknown SID alias 'XX'"), std::string::npos)
        << view.form_error();
    EXPECT_EQ(view.session(), nullptr);  // no server was started
    ui.frame([&] { draw_in_window(view); });
}

// A POSIX server takes its file mode from the form: the socket is created with exactly that
// mode, and no SDDL (which POSIX cannot apply) reaches the transport.
TEST(SessionView, PosixServerUsesTheFormsFileMode) {
#ifdef _WIN32
    GTEST_SKIP() << "file modes belong to POSIX sockets and FIFOs; Win32 servers use the SDDL";
#else
    gui::SessionView view(Role::Server, unique_name("mode"), real_factory, 1);
    view.set_custom_sddl("D:P(A;;GA;;;WD)");
    Headless ui;
    ui.frame([&] { draw_in_window(view); });
    view.endpoint().server.socket_mode = 0640;
    ASSERT_TRUE(view.start()) << view.form_error();
    EXPECT_TRUE(view.endpoint().server.sddl.empty()) << view.endpoint().server.sddl;
    auto running =
        view.session()->wait_for([](const core::SessionSnapshot& s) { return s.running; }, 5000ms);
    ASSERT_TRUE(running->running) << running->status;
    struct stat st {};
    ASSERT_EQ(::stat(view.endpoint().name.posix_path().c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0640u);
    view.session()->stop();
    ui.frame([&] { draw_in_window(view); });
#endif
}

TEST(SessionView, FormsDefaultToOverlappedIoAndIdentification) {
    gui::SessionView server(Role::Server, unique_name("defaults"), real_factory, 1);
    gui::SessionView client(Role::Client, unique_name("defaults"), real_factory, 2);
    EXPECT_EQ(server.endpoint().io, core::IoModel::Overlapped);
    EXPECT_EQ(client.endpoint().io, core::IoModel::Overlapped);
    EXPECT_EQ(client.endpoint().client.impersonation, core::ImpersonationLevel::Identification);
    EXPECT_TRUE(server.endpoint().server.first_instance);
    EXPECT_TRUE(server.endpoint().server.reject_remote);
    EXPECT_EQ(server.endpoint().server.socket_mode, 0600u);
}

TEST(SessionView, ClientTalksToAnEchoServerAndTheTranscriptShowsBothWays) {
    const std::string name = unique_name("echo");
    gui::SessionView server(Role::Server, name, real_factory, 1);
    gui::SessionView client(Role::Client, name, real_factory, 2);
    server.options().behaviour = core::Behaviour::Echo;
    Headless ui;
    ui.frame([&] { draw_in_window(server); });
    ASSERT_TRUE(server.start()) << server.form_error();
    ASSERT_TRUE(server.session()
                    ->wait_for([](const core::SessionSnapshot& s) { return s.running; }, 5000ms)
                    ->running);
    ASSERT_TRUE(client.start()) << client.form_error();
    auto connected = client.session()->wait_for(
        [](const core::SessionSnapshot& s) {
            return !s.conversations.empty() && s.conversations.back().connected;
        },
        10000ms);
    ASSERT_FALSE(connected->conversations.empty()) << connected->status;

    ASSERT_TRUE(client.send(gui::SendMode::Text, "hello pipe"));
    auto got = client.session()->wait_for(
        [](const core::SessionSnapshot& s) { return s.totals.bytes_in >= 10; }, 10000ms);
    EXPECT_EQ(got->totals.bytes_out, 10u);
    EXPECT_EQ(got->totals.bytes_in, 10u);
    const auto& t = got->conversations.back().transcript;
    auto in = t.joined(core::Direction::In);
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(in.data()), in.size()), "hello pipe");
    for (int i = 0; i < 3; ++i) {
        ui.frame([&] { draw_in_window(client); });
        ui.frame([&] { draw_in_window(server); });
    }
    // The server view lists the client with its PID.
    auto s = server.session()->snapshot();
    ASSERT_FALSE(s->conversations.empty());
    ASSERT_TRUE(s->conversations.front().peer.pid.has_value());
#ifdef _WIN32
    EXPECT_EQ(*s->conversations.front().peer.pid, ::GetCurrentProcessId());
#else
    EXPECT_EQ(*s->conversations.front().peer.pid, static_cast<std::uint32_t>(::getpid()));
#endif
    client.stop();
    server.stop();
}

TEST(SessionView, BadHexIsReportedNotSent) {
    const std::string name = unique_name("hex");
    gui::SessionView server(Role::Server, name, real_factory, 1);
    gui::SessionView client(Role::Client, name, real_factory, 2);
    ASSERT_TRUE(server.start());
    server.session()->wait_for([](const core::SessionSnapshot& s) { return s.running; }, 5000ms);
    ASSERT_TRUE(client.start());
    client.session()->wait_for(
        [](const core::SessionSnapshot& s) {
            return !s.conversations.empty() && s.conversations.back().connected;
        },
        10000ms);
    EXPECT_FALSE(client.send(gui::SendMode::Hex, "48 6"));
    EXPECT_TRUE(client.send(gui::SendMode::Hex, "48 69"));
    auto got = server.session()->wait_for(
        [](const core::SessionSnapshot& s) { return s.totals.bytes_in >= 2; }, 10000ms);
    EXPECT_EQ(got->totals.bytes_in, 2u) << "only the valid hex was sent";
    client.stop();
    server.stop();
}

}  // namespace
