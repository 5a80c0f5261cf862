// Client and server sessions over the platform's own transports (AF_UNIX here, Win32 pipes
// under Wine): behaviours, line mode, several clients, disconnects, capped transcripts.
// GCC 12 at -O3 reports a false -Wrestrict inside std::string concatenation (GCC bug 105329).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wrestrict"
#endif
#include <cctype>
#include <chrono>
#include <future>
#include <thread>

#ifdef _WIN32
#include <windows.h>
#else
#include <unistd.h>
#endif

#include <gtest/gtest.h>

#include "pipescope/hex.hpp"
#include "pipescope/session.hpp"
#include "support/test_names.hpp"

using namespace pipescope::core;
using namespace std::chrono_literals;

namespace {

Endpoint byte_endpoint(const std::string& tag) {
    Endpoint ep;
#ifdef _WIN32
    ep.kind = TransportKind::Win32Pipe;
    ep.io = IoModel::Overlapped;
#else
    ep.kind = TransportKind::UnixStream;
#endif
    ep.name = pipescope::test::unique_pipe_name(tag);
    return ep;
}

Endpoint message_endpoint(const std::string& tag) {
    Endpoint ep = byte_endpoint(tag);
#ifdef _WIN32
    ep.server.type = ep.server.read_mode = ep.client.read_mode = PipeType::Message;
#else
    ep.kind = TransportKind::UnixSeqpacket;
#endif
    return ep;
}

std::string str(std::span<const std::byte> v) {
    return std::string(reinterpret_cast<const char*>(v.data()), v.size());
}

// Reads from `ch` until `n` newlines arrived (or 5 s passed).
std::string read_lines(Channel& ch, int n) {
    std::string got;
    std::vector<std::byte> buf(4096);
    auto deadline = std::chrono::steady_clock::now() + 5s;
    while (std::count(got.begin(), got.end(), '\n') < n &&
           std::chrono::steady_clock::now() < deadline) {
        auto r = ch.read(buf, 1000ms);
        if (!r) {
            if (r.error().code == ErrorCode::Timeout) continue;
            break;
        }
        if (r->eof) break;
        got += str(std::span(buf.data(), r->bytes));
    }
    return got;
}

const ConversationSnapshot* conversation(const SessionSnapshot& s, std::uint32_t id) {
    for (const auto& c : s.conversations) {
        if (c.id == id) return &c;
    }
    return nullptr;
}

TEST(ServerSession, AnswersJsonLinesRequestsByScript) {
    SessionOptions opt;
    opt.behaviour = Behaviour::Script;
    opt.line_mode = true;
    opt.rules =
        parse_script(
            "regex \"method\"\\s*:\\s*\"ping\" => {\"jsonrpc\":\"2.0\",\"result\":\"pong\"}\n"
            "prefix {\"id\":2, => {\"id\":2,\"result\":42}\n")
            .value();
    Endpoint ep = byte_endpoint("jsonl");
    ServerSession server(ep, opt);
    auto c = connect(ep, 5000ms);
    ASSERT_TRUE(c.ok()) << c.error().to_string();
    // Two requests in one write, the second one split over two writes: line mode must cut
    // them at the newlines, not at the reads.
    const std::string req = "{\"id\":1,\"method\":\"ping\"}\n{\"id\":2,";
    ASSERT_TRUE((*c)->write_all(to_bytes(req), 1000ms).ok());
    std::this_thread::sleep_for(30ms);
    ASSERT_TRUE((*c)->write_all(to_bytes("\"method\":\"add\"}\n{\"id\":3}\n"), 1000ms).ok());
    std::string replies = read_lines(**c, 2);
    EXPECT_EQ(replies, "{\"jsonrpc\":\"2.0\",\"result\":\"pong\"}\n{\"id\":2,\"result\":42}\n");

    auto snap = server.wait_for(
        [](const SessionSnapshot& s) {
            return s.totals.messages_in == 3 && s.totals.messages_out == 2;
        },
        5000ms);
    EXPECT_EQ(snap->totals.messages_in, 3u) << "three lines arrived";
    EXPECT_EQ(snap->totals.messages_out, 2u) << "the third line matches no rule";
    const auto* conv = conversation(*snap, 1);
    ASSERT_NE(conv, nullptr);
    EXPECT_EQ(str(conv->transcript.joined(Direction::In)),
              req + "\"method\":\"add\"}\n{\"id\":3}\n");
    EXPECT_EQ(str(conv->transcript.joined(Direction::Out)), replies);
}

TEST(ServerSession, EchoesMessagesToSeveralClientsAtOnce) {
    SessionOptions opt;
    opt.behaviour = Behaviour::Echo;
    Endpoint ep = message_endpoint("multi");
    ServerSession server(ep, opt);
    constexpr int kClients = 4, kMessages = 20;
    std::vector<std::future<std::string>> results;
    for (int i = 0; i < kClients; ++i) {
        results.push_back(std::async(std::launch::async, [&, i]() -> std::string {
            auto c = connect(ep, 5000ms);
            if (!c) return "connect: " + c.error().to_string();
            std::vector<std::byte> msg;
            for (int m = 0; m < kMessages; ++m) {
                std::string text = "client " + std::to_string(i) + " message " + std::to_string(m);
                if (!(*c)->write_all(to_bytes(text), 2000ms)) return "write failed";
                auto r = (*c)->read_message(msg, 5000ms);
                if (!r) return "read: " + r.error().to_string();
                if (str(msg) != text) return "got '" + str(msg) + "' for '" + text + "'";
            }
            return "ok";
        }));
    }
    for (auto& f : results) EXPECT_EQ(f.get(), "ok");
    auto snap = server.wait_for(
        [](const SessionSnapshot& s) {
            return s.conversations.size() == kClients &&
                   s.totals.messages_out == kClients * kMessages;
        },
        5000ms);
    ASSERT_EQ(snap->conversations.size(), static_cast<std::size_t>(kClients));
    EXPECT_EQ(snap->totals.messages_in, static_cast<std::uint64_t>(kClients * kMessages));
    for (const auto& conv : snap->conversations) {
        EXPECT_EQ(conv.counters.messages_in, static_cast<std::uint64_t>(kMessages));
        ASSERT_TRUE(conv.peer.pid.has_value());
        EXPECT_EQ(*conv.peer.pid, static_cast<std::uint32_t>(PIPESCOPE_TEST_GETPID()));
        for (const auto& f : conv.transcript.frames()) EXPECT_TRUE(f->message_end);
    }
}

TEST(ServerSession, PeerClosingMidLineKeepsTheTranscriptAndSaysWhy) {
    SessionOptions opt;
    opt.behaviour = Behaviour::Sink;
    opt.line_mode = true;
    Endpoint ep = byte_endpoint("midline");
    ServerSession server(ep, opt);
    {
        auto c = connect(ep, 5000ms);
        ASSERT_TRUE(c.ok()) << c.error().to_string();
        ASSERT_TRUE((*c)->write_all(to_bytes("one\ntwo\npar"), 1000ms).ok());
        server.wait_for([](const SessionSnapshot& s) { return s.totals.bytes_in == 11; }, 5000ms);
    }  // closes
    auto snap = server.wait_for(
        [](const SessionSnapshot& s) {
            return !s.conversations.empty() && !s.conversations[0].connected;
        },
        5000ms);
    ASSERT_EQ(snap->conversations.size(), 1u);
    const auto& conv = snap->conversations[0];
    EXPECT_FALSE(conv.connected);
    EXPECT_EQ(str(conv.transcript.joined(Direction::In)), "one\ntwo\npar");
    EXPECT_EQ(conv.counters.messages_in, 2u);
    ASSERT_FALSE(conv.transcript.events().empty());
    const Event& last = conv.transcript.events().back();
    EXPECT_EQ(last.kind, EventKind::Error);
    EXPECT_NE(last.text.find("middle of a line (3 bytes"), std::string::npos) << last.text;
    EXPECT_TRUE(snap->running) << "one client leaving does not stop the server";
}

TEST(ServerSession, DisconnectsAClientOnRequest) {
    Endpoint ep = byte_endpoint("drop");
    ServerSession server(ep, SessionOptions{});
    auto c = connect(ep, 5000ms);
    ASSERT_TRUE(c.ok()) << c.error().to_string();
    server.wait_for([](const SessionSnapshot& s) { return !s.conversations.empty(); }, 5000ms);
    server.disconnect(1);
    std::vector<std::byte> buf(16);
    auto r = (*c)->read(buf, 5000ms);
    EXPECT_TRUE((r.ok() && r->eof) || (!r.ok() && r.error().code == ErrorCode::BrokenPipe))
        << (r.ok() ? "data" : r.error().to_string());
    auto snap = server.wait_for(
        [](const SessionSnapshot& s) {
            return !s.conversations.empty() && !s.conversations[0].connected;
        },
        5000ms);
    ASSERT_FALSE(snap->conversations.empty());
    EXPECT_FALSE(snap->conversations[0].connected);
    EXPECT_EQ(snap->conversations[0].transcript.events().back().text, "disconnected on request");
}

TEST(ServerSession, ReportsAListenErrorInsteadOfThrowing) {
    Endpoint ep = byte_endpoint("dup");
    ServerSession first(ep, SessionOptions{});
    ep.server.first_instance = true;
    Endpoint bad = ep;
    bad.name = PipeName::parse(std::string(300, 'x')).value_or(PipeName{});
    if (bad.name.name().empty()) {
        // PipeName rejects it, as it should; use an unusable path instead.
        bad.name = PipeName::parse("/no/such/folder/for/pipescope/x").value();
    }
#ifdef _WIN32
    bad.name = PipeName::parse("\\\\remotehost\\pipe\\x").value();  // servers are local only
#endif
    ServerSession second(bad, SessionOptions{});
    auto snap = second.snapshot();
    EXPECT_FALSE(snap->running);
    ASSERT_FALSE(snap->events.empty());
    EXPECT_EQ(snap->events.back().kind, EventKind::Error);
}

TEST(ClientSession, SendsCommandsRecordsRepliesAndSavesTheTranscript) {
    Endpoint ep = byte_endpoint("client");
    SessionOptions echo;
    echo.behaviour = Behaviour::Echo;
    ServerSession server(ep, echo);
    ClientSession client(ep, SessionOptions{});
    auto up =
        client.wait_for([](const SessionSnapshot& s) { return !s.conversations.empty(); }, 5000ms);
    ASSERT_FALSE(up->conversations.empty()) << (up->events.empty() ? "" : up->events.back().text);
    client.send(to_bytes("hello"));
    client.send(parse_hex("00 01 02").value());
    auto snap =
        client.wait_for([](const SessionSnapshot& s) { return s.totals.bytes_in == 8; }, 5000ms);
    ASSERT_EQ(snap->conversations.size(), 1u);
    const auto& t = snap->conversations[0].transcript;
    EXPECT_EQ(str(t.joined(Direction::Out)), std::string("hello\x00\x01\x02", 8));
    EXPECT_EQ(str(t.joined(Direction::In)), std::string("hello\x00\x01\x02", 8));
    EXPECT_EQ(snap->totals.bytes_out, 8u);
    ASSERT_TRUE(snap->conversations[0].peer.pid.has_value()) << "the server's pid";

    const std::string path = pipescope::test::unique_pipe_text("session") + ".json";
    ASSERT_TRUE(t.save(path).ok());
    auto loaded = Transcript::load(path);
    std::remove(path.c_str());
    ASSERT_TRUE(loaded.ok());
    EXPECT_EQ(loaded->joined(Direction::In), t.joined(Direction::In));
    EXPECT_EQ(loaded->frames().size(), t.frames().size());
    client.stop();
    EXPECT_FALSE(client.snapshot()->running);
}

TEST(ClientSession, TranscriptStaysWithinItsCap) {
    Endpoint ep = byte_endpoint("cap");
    SessionOptions echo;
    echo.behaviour = Behaviour::Echo;
    ServerSession server(ep, echo);
    SessionOptions capped;
    capped.limits.max_frames = 4;
    ClientSession client(ep, capped);
    client.wait_for([](const SessionSnapshot& s) { return !s.conversations.empty(); }, 5000ms);
    for (int i = 0; i < 10; ++i) {
        client.send(to_bytes("m" + std::to_string(i)));
        client.wait_for([i](const SessionSnapshot& s) { return s.totals.bytes_in == 2u * (i + 1); },
                        5000ms);
    }
    auto snap = client.snapshot();
    ASSERT_EQ(snap->conversations.size(), 1u);
    EXPECT_EQ(snap->totals.bytes_in, 20u);
    EXPECT_LE(snap->conversations[0].transcript.frames().size(), 4u);
    EXPECT_EQ(snap->conversations[0].transcript.dropped_frames() +
                  snap->conversations[0].transcript.frames().size(),
              20u);
}

TEST(ClientSession, ConnectFailureIsAnEvent) {
    Endpoint ep = byte_endpoint("nobody");
    SessionOptions opt;
    opt.connect_timeout = 200ms;
    ClientSession client(ep, opt);
    auto snap = client.wait_for([](const SessionSnapshot& s) { return !s.running; }, 5000ms);
    EXPECT_FALSE(snap->running);
    ASSERT_FALSE(snap->events.empty());
    EXPECT_EQ(snap->events.back().kind, EventKind::Error);
    const std::string& text = snap->events.back().text;
    EXPECT_TRUE(text.find("ERROR_FILE_NOT_FOUND (2)") != std::string::npos ||
                text.find("ENOENT (2)") != std::string::npos)
        << text;
}

// This test executable's own path, as the OS names it.
std::string own_image() {
#ifdef _WIN32
    wchar_t path[MAX_PATH * 2];
    DWORD n = ::GetModuleFileNameW(nullptr, path, static_cast<DWORD>(std::size(path)));
    std::string out;
    for (DWORD i = 0; i < n; ++i) out.push_back(static_cast<char>(path[i]));  // ASCII build paths
    return out;
#else
    char path[4096];
    ssize_t n = ::readlink("/proc/self/exe", path, sizeof path);
    return n > 0 ? std::string(path, static_cast<std::size_t>(n)) : std::string();
#endif
}

std::string lower_file_name(const std::string& path) {
    std::string name = path.substr(path.find_last_of("/\\") + 1);
    for (auto& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    return name;
}

TEST(ServerSession, ListsEachClientWithItsPidAndImage) {
    Endpoint ep = byte_endpoint("image");
    ServerSession server(ep, SessionOptions{});
    auto c1 = connect(ep, 5000ms);
    auto c2 = connect(ep, 5000ms);
    ASSERT_TRUE(c1.ok() && c2.ok());
    auto snap = server.wait_for(
        [](const SessionSnapshot& s) { return s.conversations.size() == 2; }, 5000ms);
    ASSERT_EQ(snap->conversations.size(), 2u);
    const std::string self = own_image();
    ASSERT_FALSE(self.empty());
    for (const auto& conv : snap->conversations) {
        ASSERT_TRUE(conv.peer.pid.has_value()) << "client " << conv.id;
        EXPECT_EQ(*conv.peer.pid, static_cast<std::uint32_t>(PIPESCOPE_TEST_GETPID()));
        ASSERT_FALSE(conv.peer.image.empty()) << "client " << conv.id << ": no image";
#ifdef _WIN32
        // QueryFullProcessImageNameW and GetModuleFileNameW may differ in the drive's case.
        EXPECT_EQ(lower_file_name(conv.peer.image), lower_file_name(self)) << conv.peer.image;
#else
        EXPECT_EQ(conv.peer.image, self) << "/proc/<pid>/exe of the client";
#endif
        EXPECT_NE(conv.transcript.events().front().text.find(lower_file_name(self)),
                  std::string::npos)
            << "the connect event names the image: " << conv.transcript.events().front().text;
    }
}

// Sessions on Win32 pipes opened in the Sync I/O model: both sides send while the other side's
// worker is waiting in a read, in byte and in message mode.
class SyncSession : public ::testing::TestWithParam<PipeType> {};

TEST_P(SyncSession, ConversesOverSyncHandles) {
#ifndef _WIN32
    GTEST_SKIP() << "the Sync I/O model belongs to Win32 pipes; POSIX kinds always poll";
#else
    Endpoint ep = byte_endpoint("sync");
    ep.io = IoModel::Sync;
    if (GetParam() == PipeType::Message) {
        ep.server.type = ep.server.read_mode = ep.client.read_mode = PipeType::Message;
    }
    SessionOptions echo;
    echo.behaviour = Behaviour::Echo;
    ServerSession server(ep, echo);
    ClientSession client(ep, SessionOptions{});
    auto up =
        client.wait_for([](const SessionSnapshot& s) { return !s.conversations.empty(); }, 5000ms);
    ASSERT_FALSE(up->conversations.empty()) << (up->events.empty() ? "" : up->events.back().text);
    server.wait_for([](const SessionSnapshot& s) { return !s.conversations.empty(); }, 5000ms);
    for (int i = 0; i < 5; ++i) client.send(to_bytes("ping" + std::to_string(i)));
    // The server speaks first too, while the client's worker sits in its read.
    server.send(to_bytes("push"), 1);
    auto snap =
        client.wait_for([](const SessionSnapshot& s) { return s.totals.bytes_in == 29; }, 5000ms);
    ASSERT_EQ(snap->conversations.size(), 1u);
    EXPECT_EQ(snap->totals.bytes_out, 25u);
    EXPECT_EQ(snap->totals.bytes_in, 29u) << "5 echoes of 5 bytes and a 4-byte push";
    std::string in = str(snap->conversations[0].transcript.joined(Direction::In));
    EXPECT_NE(in.find("push"), std::string::npos) << in;
    for (int i = 0; i < 5; ++i)
        EXPECT_NE(in.find("ping" + std::to_string(i)), std::string::npos) << in;
    if (GetParam() == PipeType::Message) {
        EXPECT_EQ(snap->totals.messages_in, 6u);
    }
    EXPECT_TRUE(snap->conversations[0].connected);
#endif
}

INSTANTIATE_TEST_SUITE_P(Types, SyncSession, ::testing::Values(PipeType::Byte, PipeType::Message),
                         [](const ::testing::TestParamInfo<PipeType>& p) {
                             return std::string(to_string(p.param));
                         });

}  // namespace
