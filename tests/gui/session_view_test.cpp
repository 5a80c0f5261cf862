#include <chrono>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#ifndef _WIN32
#include <sys/stat.h>
#endif

#include "gui/headless.hpp"
#include "input/key_holdover.hpp"
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

// A server (Manual: records what arrives) and a client view connected to it.
struct Connected {
    gui::SessionView server;
    gui::SessionView client;
    Headless ui;
    explicit Connected(const std::string& name)
        : server(Role::Server, name, real_factory, 1),
          client(Role::Client, name, real_factory, 2) {}
    bool start() {
        if (!server.start()) return false;
        auto up = server.session()->wait_for(
            [](const core::SessionSnapshot& s) { return s.running; }, 5000ms);
        if (!up->running || !client.start()) return false;
        auto c = client.session()->wait_for(
            [](const core::SessionSnapshot& s) {
                return !s.conversations.empty() && s.conversations.back().connected;
            },
            10000ms);
        return !c->conversations.empty() && c->conversations.back().connected;
    }
    void draw() { draw_in_window(client); }
    void frames(int n) {
        for (int i = 0; i < n; ++i) ui.frame([&] { draw(); });
    }
    void type(std::string_view text) {
        ui.type(text, [&] { draw(); });
    }
    void key(ImGuiKey k) {
        ui.key(k, [&] { draw(); });
    }
    // As xdotool sends them: whole key taps (press, character, release) between two frames,
    // through the window's KeyHoldover into ImGui as imgui_impl_glfw 1.86 applies them.
    gui::KeyHoldover keys{[](const gui::KeyHoldover::Event& e) {
                              ImGuiIO& io = ImGui::GetIO();
                              if (e.action == gui::KeyHoldover::Action::Char) {
                                  io.AddInputCharacter(e.codepoint);
                              } else if (e.action != gui::KeyHoldover::Action::Repeat) {
                                  io.KeysDown[e.key] = e.action == gui::KeyHoldover::Action::Press;
                                  io.KeyCtrl = io.KeysDown[341] || io.KeysDown[345];
                              }
                          },
                          [](int key) {
                              if (key >= 340 && key <= 347) {
                                  return gui::KeyHoldover::KeyKind::Modifier;
                              }
                              return key >= 256 ? gui::KeyHoldover::KeyKind::Editing
                                                : gui::KeyHoldover::KeyKind::Other;
                          }};
    void xdo_type(std::string_view text) {
        for (char c : text) {
            const int k = c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c;
            keys.feed({k, 0, gui::KeyHoldover::Action::Press, 0, 0});
            keys.feed({0, 0, gui::KeyHoldover::Action::Char, 0, static_cast<unsigned>(c)});
            keys.feed({k, 0, gui::KeyHoldover::Action::Release, 0, 0});
        }
    }
    void xdo_key(ImGuiKey k, bool ctrl = false) {
        const int key = ImGui::GetIO().KeyMap[k];
        // In the order X and Wine deliver xdotool's "key ctrl+a": Ctrl goes up before A.
        if (ctrl) keys.feed({341, 0, gui::KeyHoldover::Action::Press, 0, 0});
        keys.feed({key, 0, gui::KeyHoldover::Action::Press, 0, 0});
        if (ctrl) keys.feed({341, 0, gui::KeyHoldover::Action::Release, 0, 0});
        keys.feed({key, 0, gui::KeyHoldover::Action::Release, 0, 0});
    }
    void xdo_frames(int n) {
        for (int i = 0; i < n; ++i) {
            ui.frame([&] { draw(); });
            keys.next_frame();  // as Window::begin_frame does before polling the next events
        }
    }
    // What the server has received, once it holds `bytes` bytes (or 10 s passed).
    std::string received(std::size_t bytes) {
        auto got = server.session()->wait_for(
            [&](const core::SessionSnapshot& s) { return s.totals.bytes_in >= bytes; }, 10000ms);
        if (got->conversations.empty()) return {};
        auto in = got->conversations.back().transcript.joined(core::Direction::In);
        return std::string(reinterpret_cast<const char*>(in.data()), in.size());
    }
    ~Connected() {
        client.stop();
        server.stop();
    }
};

// As at a terminal: type a line, Enter, type the next at once, Enter. The box keeps the
// keyboard after Enter, so both lines go out, each with the byte stream's default "\n".
TEST(SessionView, EnterSendsEachLineAndTheNextLineCanBeTypedAtOnce) {
    Connected t(unique_name("lines"));
    ASSERT_TRUE(t.start());
    EXPECT_EQ(t.client.line_ending(), gui::LineEnding::Lf) << "a byte stream's default";
    t.frames(3);  // the box takes the keyboard when the session starts
    t.type("first");
    EXPECT_EQ(t.client.send_text(), "first");
    t.key(ImGuiKey_Enter);
    EXPECT_EQ(t.client.send_text(), "");
    t.type("second");  // the frame right after Enter's release
    EXPECT_EQ(t.client.send_text(), "second") << "the box kept the keyboard after Enter";
    t.key(ImGuiKey_Enter);
    EXPECT_EQ(t.received(13), "first\nsecond\n");
}

TEST(SessionView, TheLineEndingIsChosenWhileConnected) {
    Connected t(unique_name("ending"));
    ASSERT_TRUE(t.start());
    t.frames(3);
    t.client.set_line_ending(gui::LineEnding::CrLf);
    t.type("a");
    t.key(ImGuiKey_Enter);
    t.client.set_line_ending(gui::LineEnding::None);
    t.type("b");
    t.key(ImGuiKey_Enter);
    t.client.set_line_ending(gui::LineEnding::Lf);
    t.type("c");
    t.key(ImGuiKey_Enter);
    EXPECT_EQ(t.received(6), "a\r\nbc\n");
}

// Up recalls earlier sends (newest first), Down goes forward and past the newest empties the
// box; a recalled line that is edited is sent as edited.
TEST(SessionView, UpAndDownRecallEarlierSends) {
    Connected t(unique_name("history"));
    ASSERT_TRUE(t.start());
    t.frames(3);
    for (const char* line : {"one", "two"}) {
        t.type(line);
        t.key(ImGuiKey_Enter);
    }
    t.key(ImGuiKey_UpArrow);
    EXPECT_EQ(t.client.send_text(), "two");
    t.key(ImGuiKey_Enter);  // sent again as it is
    t.key(ImGuiKey_UpArrow);
    t.key(ImGuiKey_UpArrow);
    EXPECT_EQ(t.client.send_text(), "one");
    t.key(ImGuiKey_Backspace);
    t.type("ce");
    EXPECT_EQ(t.client.send_text(), "once");
    t.key(ImGuiKey_Enter);
    EXPECT_EQ(t.received(17), "one\ntwo\ntwo\nonce\n");
    t.key(ImGuiKey_UpArrow);
    EXPECT_EQ(t.client.send_text(), "once");
    t.key(ImGuiKey_DownArrow);
    EXPECT_EQ(t.client.send_text(), "") << "Down past the newest: an empty line";
    ASSERT_EQ(t.client.history().size(), 3u);
    EXPECT_EQ(t.client.history().line(0), "one") << "editing a recalled line keeps the original";
}

// Keys as xdotool sends them (each press released before the next frame), everything of a
// line and its Enter, and the next line, between the same two frames.
TEST(SessionView, KeysTappedBetweenFramesSendBothLines) {
    Connected t(unique_name("xdo"));
    ASSERT_TRUE(t.start());
    t.xdo_frames(3);
    t.xdo_type("one");
    t.xdo_key(ImGuiKey_Enter);
    t.xdo_type("two");
    t.xdo_key(ImGuiKey_Enter);
    t.xdo_frames(10);
    EXPECT_EQ(t.received(8), "one\ntwo\n");
    t.xdo_key(ImGuiKey_UpArrow);
    t.xdo_frames(2);
    EXPECT_EQ(t.client.send_text(), "two");
    t.xdo_key(ImGuiKey_Backspace);
    t.xdo_key(ImGuiKey_Backspace);
    t.xdo_key(ImGuiKey_Backspace);
    t.xdo_type("six");
    t.xdo_frames(10);
    EXPECT_EQ(t.client.send_text(), "six");
    // A shortcut right after Enter, in the same burst: Ctrl+A selects the next line's text.
    t.xdo_key(ImGuiKey_Enter);
    t.xdo_type("junk");
    t.xdo_key(ImGuiKey_A, /*ctrl=*/true);
    t.xdo_type("seven");
    t.xdo_key(ImGuiKey_Enter);
    t.xdo_frames(10);
    EXPECT_EQ(t.received(18), "one\ntwo\nsix\nseven\n");
}

// Where a send is a message, the send box adds nothing by default.
TEST(SessionView, MessageKindsStartWithNoLineEnding) {
#ifdef _WIN32
    gui::SessionView server(Role::Server, unique_name("msgend"), real_factory, 1);
    server.endpoint().server.type = core::PipeType::Message;
    server.endpoint().server.read_mode = core::PipeType::Message;
#else
    gui::SessionView server(Role::Server,
                            "/tmp/pipescope-guitest-msgend-" + std::to_string(::getpid()) + ".sock",
                            real_factory, 1);
    server.endpoint().kind = core::TransportKind::UnixSeqpacket;
#endif
    ASSERT_TRUE(server.start()) << server.form_error();
    EXPECT_EQ(server.line_ending(), gui::LineEnding::None);
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
