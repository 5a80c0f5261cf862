// Hostile and hung pipes: servers that accept and never answer, never accept, flood, send a
// 100 MiB message, or close in the middle of a message. For each, the inspector's probe and a
// client session doing what a user does end within their bounds with an error that names the
// call, the OS error and the pipe, and memory stays bounded (transcript caps, held bytes).
// Natively over AF_UNIX; cross-compiled over Win32 pipes under Wine.
// GCC 12 at -O3 reports a false -Wrestrict inside std::string concatenation (GCC bug 105329).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wrestrict"
#endif
#include <chrono>
#include <initializer_list>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "pipescope/inspect.hpp"
#include "pipescope/session.hpp"
#include "pipescope/transcript.hpp"
#include "support/hostile_servers.hpp"

using namespace pipescope::core;
using namespace pipescope::test;
using namespace std::chrono_literals;

namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t0) {
    return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

// Every line of text a session shows: status, session events, each conversation's events.
std::string all_text(const SessionSnapshot& s) {
    std::string out = s.status + "\n";
    for (const auto& e : s.events) out += e.text + "\n";
    for (const auto& c : s.conversations) {
        for (const auto& e : c.transcript.events()) out += e.text + "\n";
    }
    return out;
}

// The first error text (session or conversation event) that contains every one of `parts`.
std::string error_with(const SessionSnapshot& s, std::initializer_list<std::string> parts) {
    auto matches = [&](const Event& e) {
        if (e.kind != EventKind::Error) return false;
        for (const auto& p : parts) {
            if (e.text.find(p) == std::string::npos) return false;
        }
        return true;
    };
    for (const auto& e : s.events) {
        if (matches(e)) return e.text;
    }
    for (const auto& c : s.conversations) {
        for (const auto& e : c.transcript.events()) {
            if (matches(e)) return e.text;
        }
    }
    return {};
}

bool connected(const SessionSnapshot& s) {
    return !s.conversations.empty() && s.conversations.back().connected;
}

SessionOptions user_options() {
    SessionOptions o;
    o.connect_timeout = 3000ms;
    o.io_timeout = 800ms;
    o.reply_timeout = 300ms;
    return o;
}

InspectOptions probe_options() {
    InspectOptions o;
    o.timeout = 800ms;
    o.resolve_names = false;
    return o;
}

// Probe bound: the probe's own timeout plus a generous allowance for the queries (Wine).
constexpr double kProbeBoundMs = 800 + 4000;
// Stopping a session waits for its workers: bounded by the I/O timeouts, plus allowance.
constexpr double kStopBoundMs = 5000;

// Probes `ep`'s pipe and checks it ended within its bound. Returns the details.
PipeDetails probe(const Endpoint& ep) {
    auto t0 = Clock::now();
    PipeDetails d = inspect_pipe(ep.name, probe_options());
    EXPECT_LT(ms_since(t0), kProbeBoundMs) << "the probe overran its bound";
    return d;
}

// The user's read call and its timeout code, as error texts show them.
#ifdef _WIN32
const char* const kReadApi = "ReadFile";
const char* const kWriteApi = "WriteFile";
const char* const kTimeoutCode = "WAIT_TIMEOUT (258)";
#else
const char* const kReadApi = "read";
const char* const kWriteApi = "write";
const char* const kTimeoutCode = "ETIMEDOUT (110)";
#endif

// Starts a client session, sends `what` and checks a reply-timeout error names the read call,
// the timeout and the pipe, within the bound; then that stop() is prompt.
void expect_reply_timeout(const Endpoint& ep, const std::string& pipe) {
    ClientSession client(ep, user_options());
    auto s = client.wait_for(connected, 5000ms);
    ASSERT_TRUE(connected(*s)) << all_text(*s);
    std::string ping = "PING\n";
    auto t0 = Clock::now();
    client.send(
        std::vector<std::byte>(reinterpret_cast<const std::byte*>(ping.data()),
                               reinterpret_cast<const std::byte*>(ping.data()) + ping.size()));
    s = client.wait_for(
        [](const SessionSnapshot& x) { return !error_with(x, {"no reply"}).empty(); }, 5000ms);
    const double waited = ms_since(t0);
    std::string err = error_with(*s, {"no reply within 300 ms", kReadApi, kTimeoutCode, pipe});
    EXPECT_FALSE(err.empty()) << all_text(*s);
    EXPECT_LT(waited, 300 + 4000.0);
    EXPECT_TRUE(s->conversations.back().connected)
        << "a missing reply does not end the conversation";
    EXPECT_EQ(s->totals.bytes_out, ping.size());
    auto t1 = Clock::now();
    client.stop();
    EXPECT_LT(ms_since(t1), kStopBoundMs);
    EXPECT_FALSE(client.snapshot()->running);
}

// ---- accepts and never answers -------------------------------------------------------------

TEST(SilentServer, ProbeEndsWithinItsBound) {
    Endpoint ep = hostile_byte_endpoint("silent-probe");
    auto server = silent_server(ep);
    ASSERT_TRUE(server->ok()) << server->error();
    PipeDetails d = probe(ep);
    // The probe never reads, so a server that never answers does not hold it up.
    EXPECT_EQ(d.state, InspectState::Ok) << (d.error ? d.error->to_string() : "");
    EXPECT_TRUE(d.connected);
}

TEST(SilentServer, ClientGetsAReplyTimeoutNamingTheReadAndThePipe) {
    Endpoint ep = hostile_byte_endpoint("silent-reply");
    auto server = silent_server(ep);
    ASSERT_TRUE(server->ok()) << server->error();
    expect_reply_timeout(server->client_endpoint(), pipe_text(ep));
}

TEST(SilentServer, ABigSendEndsAtTheIoTimeoutNamingTheWriteAndThePipe) {
    Endpoint ep = hostile_byte_endpoint("silent-write");
    auto server = silent_server(ep);
    ASSERT_TRUE(server->ok()) << server->error();
    ClientSession client(server->client_endpoint(), user_options());
    auto s = client.wait_for(connected, 5000ms);
    ASSERT_TRUE(connected(*s)) << all_text(*s);
    // Far more than any pipe or socket buffer holds: the server never reads, so it cannot go.
    auto t0 = Clock::now();
    client.send(std::vector<std::byte>(32u << 20, std::byte{'w'}));
    s = client.wait_for([](const SessionSnapshot& x) { return !connected(x); }, 10000ms);
    EXPECT_FALSE(connected(*s)) << "the send never gave up";
    EXPECT_LT(ms_since(t0), 800 + 5000.0);
    std::string err = error_with(*s, {kWriteApi, pipe_text(ep)});
    EXPECT_FALSE(err.empty()) << all_text(*s);
    EXPECT_NE(err.find(kTimeoutCode), std::string::npos) << err;
    auto t1 = Clock::now();
    client.stop();
    EXPECT_LT(ms_since(t1), kStopBoundMs);
}

// ---- never accepts -------------------------------------------------------------------------

TEST(NeverAcceptingServer, ProbeAndClientEndWithinTheirBounds) {
    Endpoint ep = hostile_byte_endpoint("noaccept");
#ifdef _WIN32
    // An instance that exists but is never ConnectNamedPipe'd: a client's CreateFileW still
    // opens it (the connection completes in the kernel), and nothing ever reads.
    // Two: the probe's leaves its instance closing (only the server could reset it).
    RawPipeInstance for_probe(ep, PIPE_UNLIMITED_INSTANCES);
    RawPipeInstance for_client(ep, PIPE_UNLIMITED_INSTANCES);
    ASSERT_TRUE(for_probe.ok()) << "CreateNamedPipeW failed: " << for_probe.error();
    ASSERT_TRUE(for_client.ok()) << "CreateNamedPipeW failed: " << for_client.error();
#else
    // Listening, never accepting: connects complete into the backlog; nothing ever reads.
    RawListeningSocket sock(ep, 4);
    ASSERT_TRUE(sock.ok());
#endif
    PipeDetails d = probe(ep);
    EXPECT_EQ(d.state, InspectState::Ok) << (d.error ? d.error->to_string() : "");
    expect_reply_timeout(ep, pipe_text(ep));
}

TEST(AllInstancesBusy, ProbeTimesOutNamingTheWaitTheErrorAndThePipe) {
    Endpoint ep = hostile_byte_endpoint("busy-probe");
#ifdef _WIN32
    RawPipeInstance only(ep, 1);
    ASSERT_TRUE(only.ok()) << only.error();
    auto holder = connect(ep, 2000ms);  // takes the only instance
    ASSERT_TRUE(holder.ok()) << holder.error().to_string();
    const char* api = "WaitNamedPipeW";
    const char* code = "ERROR_SEM_TIMEOUT (121)";
#else
    RawListeningSocket sock(ep, 0);
    ASSERT_TRUE(sock.ok());
    ASSERT_TRUE(sock.park_client());  // backlog 0 holds one: now it is full
    const char* api = "connect";
    const char* code = "EAGAIN (11)";
#endif
    PipeDetails d = probe(ep);
    ASSERT_TRUE(d.error.has_value());
    EXPECT_EQ(d.state, InspectState::TimedOut) << d.error->to_string();
    const std::string text = d.error->to_string();
    EXPECT_NE(text.find(api), std::string::npos) << text;
    EXPECT_NE(text.find(code), std::string::npos) << text;
    EXPECT_NE(text.find(ep.name.display()), std::string::npos) << text;
    EXPECT_FALSE(d.connected);
}

TEST(AllInstancesBusy, ClientSessionGivesUpAtItsConnectTimeout) {
    Endpoint ep = hostile_byte_endpoint("busy-client");
#ifdef _WIN32
    RawPipeInstance only(ep, 1);
    ASSERT_TRUE(only.ok()) << only.error();
    auto holder = connect(ep, 2000ms);
    ASSERT_TRUE(holder.ok()) << holder.error().to_string();
    const char* api = "WaitNamedPipeW";
    const char* code = "ERROR_SEM_TIMEOUT (121)";
#else
    RawListeningSocket sock(ep, 0);
    ASSERT_TRUE(sock.ok());
    ASSERT_TRUE(sock.park_client());
    const char* api = "connect";
    const char* code = "EAGAIN (11)";
#endif
    SessionOptions o = user_options();
    o.connect_timeout = 500ms;
    auto t0 = Clock::now();
    ClientSession client(ep, o);
    auto s = client.wait_for([](const SessionSnapshot& x) { return !x.running; }, 10000ms);
    EXPECT_FALSE(s->running);
    EXPECT_LT(ms_since(t0), 500 + 4000.0);
    std::string err = error_with(*s, {api, code, pipe_text(ep)});
    EXPECT_FALSE(err.empty()) << all_text(*s);
    EXPECT_TRUE(s->conversations.empty());
}

// ---- floods --------------------------------------------------------------------------------

TEST(FloodingServer, ProbeEndsWithinItsBound) {
    Endpoint ep = hostile_byte_endpoint("flood-probe");
    auto server = flood_server(ep);
    ASSERT_TRUE(server->ok()) << server->error();
    PipeDetails d = probe(ep);
    EXPECT_EQ(d.state, InspectState::Ok) << (d.error ? d.error->to_string() : "");
}

TEST(FloodingServer, ClientTranscriptNeverExceedsItsCap) {
    Endpoint ep = hostile_byte_endpoint("flood-manual");
    auto server = flood_server(ep);
    ASSERT_TRUE(server->ok()) << server->error();
    SessionOptions o = user_options();
    o.reply_timeout = 0ms;
    o.limits.max_bytes = 512 * 1024;
    o.limits.max_frames = 64;
    o.limits.max_events = 32;
    ClientSession client(server->client_endpoint(), o);
    ASSERT_TRUE(connected(*client.wait_for(connected, 5000ms)));
    std::size_t most_bytes = 0, most_frames = 0;
    std::uint64_t bytes_in = 0;
    auto t0 = Clock::now();
    while (ms_since(t0) < 1500 || bytes_in < 8 * o.limits.max_bytes) {
        if (ms_since(t0) > 20000) break;
        auto s = client.snapshot();
        for (const auto& c : s->conversations) {
            most_bytes = std::max(most_bytes, c.transcript.bytes_kept());
            most_frames = std::max(most_frames, c.transcript.frames().size());
            EXPECT_LE(c.transcript.events().size(), o.limits.max_events);
            EXPECT_EQ(c.assembly_bytes_peak, 0u) << "Manual holds no message or line";
        }
        bytes_in = s->totals.bytes_in;
        std::this_thread::sleep_for(5ms);
    }
    EXPECT_GE(bytes_in, 8 * o.limits.max_bytes) << "the flood did not arrive";
    EXPECT_LE(most_bytes, o.limits.max_bytes);
    EXPECT_LE(most_frames, o.limits.max_frames);
    EXPECT_GT(most_bytes, 0u);
    auto last = client.snapshot();
    ASSERT_FALSE(last->conversations.empty());
    EXPECT_GT(last->conversations.back().transcript.dropped_frames(), 0u);
    auto t1 = Clock::now();
    client.stop();
    EXPECT_LT(ms_since(t1), kStopBoundMs);
}

TEST(FloodingServer, AnEndlessLineIsNotHeldPastTheUnitLimit) {
    // Echo in line mode must put a line together before answering; a flood with no newline
    // is one endless line. The session may hold at most max_unit_bytes of it.
    Endpoint ep = hostile_byte_endpoint("flood-echo");
    auto server = flood_server(ep);
    ASSERT_TRUE(server->ok()) << server->error();
    SessionOptions o = user_options();
    o.reply_timeout = 0ms;
    o.behaviour = Behaviour::Echo;
    o.line_mode = true;
    o.max_unit_bytes = 256 * 1024;
    o.limits.max_bytes = 256 * 1024;
    o.limits.max_message_bytes = 64 * 1024;
    ClientSession client(server->client_endpoint(), o);
    ASSERT_TRUE(connected(*client.wait_for(connected, 5000ms)));
    auto s = client.wait_for(
        [&](const SessionSnapshot& x) { return x.totals.bytes_in >= 8 * o.max_unit_bytes; },
        20000ms);
    ASSERT_GE(s->totals.bytes_in, 8 * o.max_unit_bytes) << all_text(*s);
    const auto& c = s->conversations.back();
    EXPECT_GT(c.assembly_bytes_peak, 0u) << "Echo should hold the line up to its limit";
    EXPECT_LE(c.assembly_bytes_peak, o.max_unit_bytes);
    EXPECT_LE(c.transcript.bytes_kept(), o.limits.max_message_bytes)
        << "one open line, recorded up to its cap";
    EXPECT_EQ(s->totals.bytes_out, 0u) << "nothing to echo: the line never ended";
    client.stop();
}

// ---- one huge message ----------------------------------------------------------------------

// Checks a client session received one `size`-byte unit that was recorded truncated with a
// note, never held whole, not echoed, and the transcript stayed within its cap throughout.
void expect_huge_unit_bounded(const Endpoint& ep, std::size_t size, bool line) {
    SessionOptions o = user_options();
    o.reply_timeout = 0ms;
    o.behaviour = Behaviour::Echo;
    o.line_mode = line;
    o.max_unit_bytes = 1u << 20;
    o.limits.max_bytes = 1u << 20;
    o.limits.max_message_bytes = 256 * 1024;
    ClientSession client(ep, o);
    ASSERT_TRUE(connected(*client.wait_for(connected, 5000ms)));
    const std::uint64_t total = size + (line ? 1 : 0);
    auto t0 = Clock::now();
    std::shared_ptr<const SessionSnapshot> s;
    std::size_t most_kept = 0;
    for (;;) {
        s = client.snapshot();
        for (const auto& c : s->conversations)
            most_kept = std::max(most_kept, c.transcript.bytes_kept());
        if (s->totals.bytes_in >= total || ms_since(t0) > 90000) break;
        std::this_thread::sleep_for(5ms);
    }
    // Let the end of the unit be handled (the note and the refusal to echo).
    s = client.wait_for(
        [](const SessionSnapshot& x) { return !error_with(x, {"not answered"}).empty(); }, 5000ms);
    ASSERT_EQ(s->totals.bytes_in, total) << all_text(*s);
    const auto& c = s->conversations.back();
    EXPECT_LE(most_kept, o.limits.max_bytes);
    EXPECT_LE(c.transcript.bytes_kept(), o.limits.max_message_bytes);
    EXPECT_LE(c.assembly_bytes_peak, o.max_unit_bytes)
        << "the session held more than its unit limit";
    EXPECT_EQ(s->totals.bytes_out, 0u) << "a unit over the limit is not echoed";
    // The head is kept, the rest counted on the message's last kept frame, and both noted.
    std::uint64_t omitted = 0;
    for (const auto& f : c.transcript.frames()) omitted += f->omitted_bytes;
    EXPECT_EQ(omitted, total - o.limits.max_message_bytes);
    EXPECT_NE(all_text(*s).find("recorded truncated"), std::string::npos) << all_text(*s);
    EXPECT_FALSE(error_with(*s, {"of " + std::to_string(total) + " bytes", "not answered"}).empty())
        << all_text(*s);
    client.stop();
}

TEST(HugeMessage, OneHundredMiBLineIsRecordedTruncatedAndNeverHeldWhole) {
    Endpoint ep = hostile_byte_endpoint("huge-line");
    constexpr std::size_t kSize = 100u << 20;
    auto server = huge_message_server(ep, kSize);
    ASSERT_TRUE(server->ok()) << server->error();
    PipeDetails d = probe(ep);
    EXPECT_EQ(d.state, InspectState::Ok) << (d.error ? d.error->to_string() : "");
    expect_huge_unit_bounded(server->client_endpoint(), kSize, true);
}

TEST(HugeMessage, LargestMessageTheKindAllowsIsRecordedTruncatedAndNeverHeldWhole) {
    Endpoint ep = hostile_message_endpoint("huge-msg");
#ifdef _WIN32
    const std::size_t size = 100u << 20;  // one WriteFile, one 100 MiB message
#else
    // A seqpacket message must fit the sender's socket buffer (SO_SNDBUF, capped by the
    // kernel's wmem_max): 100 MiB cannot be sent as one. Use the largest this system allows.
    std::size_t size = 0;
    {
        auto l = listen(ep);
        ASSERT_TRUE(l.ok()) << l.error().to_string();
        auto c = connect((*l)->client_endpoint(), 2000ms);
        ASSERT_TRUE(c.ok()) << c.error().to_string();
        size = (*c)->max_message_bytes();
    }
    ASSERT_GT(size, 1u << 20) << "the kernel allows only small seqpacket messages here";
#endif
    auto server = huge_message_server(ep, size);
    ASSERT_TRUE(server->ok()) << server->error();
    PipeDetails d = probe(ep);
    EXPECT_EQ(d.state, InspectState::Ok) << (d.error ? d.error->to_string() : "");
    expect_huge_unit_bounded(server->client_endpoint(), size, false);
}

// ---- closes in the middle ------------------------------------------------------------------

TEST(ClosesMidMessage, HalfALineThenCloseEndsWithAnErrorNamingTheReadAndThePipe) {
    Endpoint ep = hostile_byte_endpoint("half-line");
    const std::string half = "{\"id\": 7, \"half\": tru";  // no newline: the line never ends
    const std::string arrived = "middle of a line (" + std::to_string(half.size()) + " bytes";
    auto server = half_line_server(ep, half);
    ASSERT_TRUE(server->ok()) << server->error();
    SessionOptions o = user_options();
    o.reply_timeout = 0ms;
    o.line_mode = true;
    ClientSession client(server->client_endpoint(), o);
    auto s = client.wait_for([](const SessionSnapshot& x) { return !x.running; }, 10000ms);
    EXPECT_FALSE(s->running);
#ifdef _WIN32
    // Sync byte reads peek first, so the end shows up in PeekNamedPipe: ERROR_PIPE_NOT_CONNECTED
    // after the server's DisconnectNamedPipe (what the transport's close does), or
    // ERROR_BROKEN_PIPE after a bare CloseHandle.
    std::string err = error_with(*s, {arrived, pipe_text(ep)});
    EXPECT_TRUE(err.find("PeekNamedPipe") != std::string::npos ||
                err.find("ReadFile") != std::string::npos)
        << err;
    EXPECT_TRUE(err.find("ERROR_PIPE_NOT_CONNECTED (233)") != std::string::npos ||
                err.find("ERROR_BROKEN_PIPE (109)") != std::string::npos)
        << err;
#else
    std::string err = error_with(*s, {"recv", arrived, pipe_text(ep)});
#endif
    EXPECT_FALSE(err.empty()) << all_text(*s);
    ASSERT_FALSE(s->conversations.empty());
    auto in = s->conversations.back().transcript.joined(Direction::In);
    EXPECT_EQ(in.size(), half.size()) << "the half line is kept in the transcript";
}

TEST(ClosesMidMessage, HalfAMessageThenDisconnectEndsWithAnError) {
#ifndef _WIN32
    GTEST_SKIP() << "a seqpacket message is delivered whole or not at all, so a POSIX server "
                    "cannot close in the middle of one; the half-line test covers byte streams";
#else
    // The transport's close() flushes first, so this server is raw: it writes a 100 MiB message
    // on one thread and, once the client has some of it, disconnects the instance under it.
    Endpoint ep = hostile_message_endpoint("half-msg");
    constexpr std::size_t kSize = 100u << 20;
    std::vector<std::byte> data(kSize, std::byte{'h'});
    for (int attempt = 0; attempt < 3; ++attempt) {
        RawPipeInstance inst(ep, 1, true);
        ASSERT_TRUE(inst.ok()) << inst.error();
        SessionOptions o = user_options();
        o.reply_timeout = 0ms;
        o.limits.max_message_bytes = 256 * 1024;
        ClientSession client(ep, o);
        ASSERT_TRUE(connected(*client.wait_for(connected, 5000ms)));
        std::thread writer([&] {
            DWORD put = 0;
            ::WriteFile(inst.handle(), data.data(), static_cast<DWORD>(data.size()), &put, nullptr);
        });
        auto some = client.wait_for([](const SessionSnapshot& x) { return x.totals.bytes_in > 0; },
                                    10000ms);
        ::DisconnectNamedPipe(inst.handle());
        writer.join();
        auto s = client.wait_for([](const SessionSnapshot& x) { return !x.running; }, 10000ms);
        EXPECT_FALSE(s->running);
        if (s->totals.bytes_in >= kSize) continue;  // the whole message got through first: again
        ASSERT_GT(some->totals.bytes_in, 0u);
        std::string err = error_with(*s, {"ReadFile", "middle of a message", pipe_text(ep)});
        EXPECT_FALSE(err.empty()) << all_text(*s);
        EXPECT_TRUE(err.find("(233)") != std::string::npos ||
                    err.find("(109)") != std::string::npos)
            << err;
        return;
    }
    FAIL() << "the whole 100 MiB message got through before the disconnect three times";
#endif
}

// ---- the transcript's own caps (no pipe) ---------------------------------------------------

TEST(TranscriptCap, OneHugeMessageKeepsItsHeadCountsTheRestAndSaysSo) {
    TranscriptLimits limits;
    limits.max_message_bytes = 100;
    limits.max_bytes = 1000;
    Transcript t(limits);
    std::vector<std::byte> chunk(60, std::byte{'a'});
    for (int i = 0; i < 5; ++i) t.add_frame(Direction::In, chunk, i == 4);  // one 300-byte message
    t.add_frame(Direction::In, chunk, true);                                // then a normal one
    EXPECT_EQ(t.bytes_kept(), 160u);
    ASSERT_EQ(t.frames().size(), 3u);
    EXPECT_FALSE(t.frames()[0]->message_end);
    EXPECT_TRUE(t.frames()[1]->message_end) << "the cut message is closed on its last kept frame";
    EXPECT_EQ(t.frames()[1]->bytes.size(), 40u);
    EXPECT_EQ(t.frames()[1]->omitted_bytes, 200u);
    EXPECT_EQ(t.frames()[2]->omitted_bytes, 0u);
    bool noted = false;
    for (const auto& e : t.events())
        noted |= e.text.find("message of 300 bytes recorded truncated") != std::string::npos;
    EXPECT_TRUE(noted);
    auto back = Transcript::from_json(t.to_json());
    ASSERT_TRUE(back.ok()) << back.error().to_string();
    EXPECT_EQ(back->frames()[1]->omitted_bytes, 200u);
}

}  // namespace
