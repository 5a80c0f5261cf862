// The transport layer against the real OS: every kind this build offers, every Win32 I/O
// model. Natively on Linux, and cross-compiled under Wine for the Win32 pipe kinds.
#include <atomic>
#include <chrono>
#include <cstring>
#include <future>
#include <numeric>
#include <thread>

#include <gtest/gtest.h>

#include "pipescope/transport.hpp"
#include "support/test_names.hpp"

using namespace pipescope::core;
using namespace std::chrono_literals;

namespace {

struct Case {
    TransportKind kind;
    IoModel io;
    PipeType type;
};

void PrintTo(const Case& c, std::ostream* os) {
    *os << to_string(c.kind) << "/" << to_string(c.io) << "/" << to_string(c.type);
}

std::string case_name(const ::testing::TestParamInfo<Case>& info) {
    std::string s = std::string(to_string(info.param.kind)) + "_" +
                    std::string(to_string(info.param.io)) + "_" +
                    std::string(to_string(info.param.type));
    return s;
}

bool is_message(const Case& c) {
    return c.kind == TransportKind::UnixSeqpacket ||
           (c.kind == TransportKind::Win32Pipe && c.type == PipeType::Message);
}

// Every kind available here; Win32 pipes with each I/O model in byte and message mode.
std::vector<Case> all_cases() {
    std::vector<Case> out;
    for (auto kind : available_transports()) {
        if (kind == TransportKind::Win32Pipe) {
            for (auto io : {IoModel::Sync, IoModel::Overlapped, IoModel::Iocp}) {
                out.push_back({kind, io, PipeType::Byte});
                out.push_back({kind, io, PipeType::Message});
            }
        } else {
            out.push_back({kind, IoModel::Sync, PipeType::Byte});
        }
    }
    return out;
}

std::vector<Case> message_cases() {
    std::vector<Case> out;
    for (auto c : all_cases()) {
        if (is_message(c)) out.push_back(c);
    }
    return out;
}

Endpoint make_endpoint(const Case& c, const std::string& tag) {
    Endpoint ep;
    ep.kind = c.kind;
    ep.io = c.io;
    ep.name = pipescope::test::unique_pipe_name(tag);
    ep.server.type = c.type;
    ep.server.read_mode = c.type;
    ep.client.read_mode = c.type;
    return ep;
}

std::vector<std::byte> pattern(std::size_t n, unsigned seed) {
    std::vector<std::byte> v(n);
    std::uint32_t x = seed * 2654435761u + 1;
    for (auto& b : v) {
        x = x * 1664525u + 1013904223u;
        b = static_cast<std::byte>(x >> 24);
    }
    return v;
}

std::span<const std::byte> bytes_of(std::string_view s) {
    return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}

// A connected pair: server side from accept, client side from connect.
struct Pair {
    std::unique_ptr<Listener> listener;
    std::unique_ptr<Channel> server;
    std::unique_ptr<Channel> client;
};

Pair connect_pair(const Endpoint& ep) {
    Pair p;
    auto l = listen(ep);
    EXPECT_TRUE(l.ok()) << (l ? "" : l.error().to_string());
    if (!l) return p;
    p.listener = std::move(l).value();
    auto accepted = std::async(std::launch::async, [&] { return p.listener->accept(5000ms); });
    auto c = connect(p.listener->client_endpoint(), 5000ms);
    auto s = accepted.get();
    EXPECT_TRUE(c.ok()) << (c ? "" : c.error().to_string());
    EXPECT_TRUE(s.ok()) << (s ? "" : s.error().to_string());
    if (c) p.client = std::move(c).value();
    if (s) p.server = std::move(s).value();
    return p;
}

// Echoes every message (or read) back until the peer closes or an error.
void echo_loop(Channel& ch) {
    std::vector<std::byte> buf;
    for (;;) {
        auto r = ch.read_message(buf, 10000ms);
        if (!r || r->eof) return;
        if (!ch.write_all(buf, 10000ms)) return;
    }
}

class TransportTest : public ::testing::TestWithParam<Case> {};
class MessageTransportTest : public ::testing::TestWithParam<Case> {};

TEST_P(TransportTest, EchoRoundTripsArriveIntact) {
    const Case c = GetParam();
    auto p = connect_pair(make_endpoint(c, "echo"));
    ASSERT_TRUE(p.server && p.client);
    std::thread server([&] { echo_loop(*p.server); });

    for (std::size_t size :
         {std::size_t{0}, std::size_t{1}, std::size_t{64 * 1024}, std::size_t{1024 * 1024}}) {
        SCOPED_TRACE("size " + std::to_string(size));
        const auto data = pattern(size, static_cast<unsigned>(size));
        // Message kinds carry a payload as messages no bigger than the kind allows.
        std::size_t chunk = data.size();
        if (p.client->max_message_bytes() != 0) {
            chunk = std::min(chunk, p.client->max_message_bytes());
        }
        std::atomic<bool> write_ok{true};
        std::thread writer([&] {
            if (data.empty()) {
                write_ok = p.client->write_all(data, 10000ms).ok();
                return;
            }
            for (std::size_t off = 0; off < data.size(); off += chunk) {
                std::size_t n = std::min(chunk, data.size() - off);
                if (!p.client->write_all(std::span(data).subspan(off, n), 10000ms)) {
                    write_ok = false;
                    return;
                }
            }
        });
        std::vector<std::byte> got;
        std::vector<std::byte> buf(64 * 1024);
        if (size == 0) {
            if (is_message(c)) {
                std::vector<std::byte> msg;
                auto r = p.client->read_message(msg, 5000ms);
                ASSERT_TRUE(r.ok()) << r.error().to_string();
                EXPECT_EQ(r->bytes, 0u);
                EXPECT_FALSE(r->eof);
            } else {
                // Nothing was sent, so nothing may arrive.
                auto r = p.client->read(buf, 50ms);
                ASSERT_FALSE(r.ok());
                EXPECT_EQ(r.error().code, ErrorCode::Timeout);
            }
        }
        while (got.size() < data.size()) {
            auto r = p.client->read(buf, 10000ms);
            ASSERT_TRUE(r.ok()) << r.error().to_string();
            ASSERT_FALSE(r->eof) << "peer closed after " << got.size() << " bytes";
            got.insert(got.end(), buf.begin(), buf.begin() + static_cast<long>(r->bytes));
        }
        writer.join();
        EXPECT_TRUE(write_ok);
        ASSERT_EQ(got.size(), data.size());
        EXPECT_TRUE(got == data) << "the echoed bytes differ from the ones sent";
    }
    p.client->close();
    server.join();
}

TEST_P(TransportTest, PeerCloseGivesCleanEofAfterTheData) {
    auto p = connect_pair(make_endpoint(GetParam(), "eof"));
    ASSERT_TRUE(p.server && p.client);
    const auto data = pattern(1000, 7);
    ASSERT_TRUE(p.client->write_all(data, 5000ms).ok());
    p.client->close();
    std::vector<std::byte> got, buf(256);
    for (int i = 0; i < 100; ++i) {
        auto r = p.server->read(buf, 5000ms);
        ASSERT_TRUE(r.ok() || r.error().code == ErrorCode::BrokenPipe) << r.error().to_string();
        if (!r || r->eof) break;
        got.insert(got.end(), buf.begin(), buf.begin() + static_cast<long>(r->bytes));
    }
    EXPECT_TRUE(got == data);
    // Afterwards the server reports the end again instead of hanging or crashing.
    auto again = p.server->read(buf, 1000ms);
    EXPECT_TRUE((again.ok() && again->eof) ||
                (!again.ok() && again.error().code == ErrorCode::BrokenPipe));
}

// A client that reads as soon as connect returns must wait for the server's data, not see
// end-of-file. FIFOs used to fail this: connect returned once the client's reader was open,
// before the server had opened its writer, and a FIFO without a writer reads as EOF.
TEST_P(TransportTest, ReadRightAfterConnectWaitsForTheServer) {
    auto l = listen(make_endpoint(GetParam(), "early"));
    ASSERT_TRUE(l.ok()) << l.error().to_string();
    std::atomic<bool> read_done{false};
    auto server = std::async(std::launch::async, [&]() -> std::string {
        auto s = (*l)->accept(5000ms);
        if (!s) return "accept: " + s.error().to_string();
        // Give an early read on the client time to run into a missing writer.
        std::this_thread::sleep_for(30ms);
        if (!(*s)->write_all(bytes_of("hello"), 5000ms)) return "write failed";
        for (int i = 0; i < 500 && !read_done; ++i) std::this_thread::sleep_for(10ms);
        return {};
    });
    auto c = connect((*l)->client_endpoint(), 5000ms);
    ASSERT_TRUE(c.ok()) << c.error().to_string();
    std::vector<std::byte> buf(16);
    auto r = (*c)->read(buf, 5000ms);
    read_done = true;
    EXPECT_EQ(server.get(), "");
    ASSERT_TRUE(r.ok()) << r.error().to_string();
    ASSERT_FALSE(r->eof) << "the client read end-of-file before the server had written";
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(buf.data()), r->bytes), "hello");
}

// One listener, many short connections in a row (the benchmark's churn pattern): every
// connection pairs with the right peer, and nothing leaks from one connection to the next.
TEST_P(TransportTest, ManyShortConnectionsInARow) {
    auto l = listen(make_endpoint(GetParam(), "churn"));
    ASSERT_TRUE(l.ok()) << l.error().to_string();
    constexpr int kRounds = 40;
    auto server = std::async(std::launch::async, [&]() -> std::string {
        std::vector<std::byte> buf(16);
        for (int i = 0; i < kRounds; ++i) {
            auto s = (*l)->accept(5000ms);
            if (!s) return "accept " + std::to_string(i) + ": " + s.error().to_string();
            auto r = (*s)->read(std::span(buf).first(1), 5000ms);
            if (!r || r->eof || r->bytes != 1) return "read " + std::to_string(i);
            buf[0] = static_cast<std::byte>(std::to_integer<int>(buf[0]) + 1);
            if (!(*s)->write_all(std::span(buf).first(1), 5000ms)) return "write";
            auto e = (*s)->read(buf, 5000ms);  // wait for the client's close
            if (!e || !e->eof) return "no EOF after round " + std::to_string(i);
        }
        return {};
    });
    for (int i = 0; i < kRounds; ++i) {
        SCOPED_TRACE("round " + std::to_string(i));
        auto c = connect((*l)->client_endpoint(), 5000ms);
        ASSERT_TRUE(c.ok()) << c.error().to_string();
        std::byte b[1] = {static_cast<std::byte>(i)};
        ASSERT_TRUE((*c)->write_all(b, 5000ms).ok());
        auto r = (*c)->read(b, 5000ms);
        ASSERT_TRUE(r.ok()) << r.error().to_string();
        ASSERT_FALSE(r->eof);
        ASSERT_EQ(r->bytes, 1u);
        EXPECT_EQ(std::to_integer<int>(b[0]), i + 1);
        (*c)->close();
    }
    EXPECT_EQ(server.get(), "");
}

TEST_P(TransportTest, ReadTimesOutWhenNothingArrives) {
    auto p = connect_pair(make_endpoint(GetParam(), "tmo"));
    ASSERT_TRUE(p.server && p.client);
    std::vector<std::byte> buf(16);
    auto start = std::chrono::steady_clock::now();
    auto r = p.server->read(buf, 100ms);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::Timeout) << r.error().to_string();
    EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
    // The channel still works after a timeout.
    ASSERT_TRUE(p.client->write_all(bytes_of("x"), 1000ms).ok());
    auto r2 = p.server->read(buf, 5000ms);
    ASSERT_TRUE(r2.ok()) << r2.error().to_string();
    EXPECT_EQ(r2->bytes, 1u);
    EXPECT_EQ(static_cast<char>(buf[0]), 'x');
}

TEST_P(TransportTest, CancelWakesABlockedRead) {
    auto p = connect_pair(make_endpoint(GetParam(), "cancel"));
    ASSERT_TRUE(p.server && p.client);
    auto reader = std::async(std::launch::async, [&] {
        std::vector<std::byte> buf(16);
        return p.server->read(buf, kInfinite);
    });
    std::this_thread::sleep_for(50ms);
    auto start = std::chrono::steady_clock::now();
    p.server->cancel();
    ASSERT_EQ(reader.wait_for(5s), std::future_status::ready) << "cancel did not wake the read";
    EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
    auto r = reader.get();
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::Cancelled) << r.error().to_string();
}

// The watchdog keeps interrupting a call past its deadline every 2 ms until it returns; none of
// those interrupts may land in the next call, which must wait for its data and succeed.
TEST_P(TransportTest, TimedOutCallDoesNotDisturbTheNextCall) {
    auto p = connect_pair(make_endpoint(GetParam(), "late"));
    ASSERT_TRUE(p.server && p.client);
    std::vector<std::byte> buf(16);
    for (int round = 0; round < 5; ++round) {
        auto r = p.server->read(buf, 20ms);
        ASSERT_FALSE(r.ok());
        ASSERT_EQ(r.error().code, ErrorCode::Timeout) << r.error().to_string();
        auto writer = std::async(std::launch::async, [&] {
            std::this_thread::sleep_for(30ms);
            return p.client->write_all(bytes_of("y"), 5000ms);
        });
        auto r2 = p.server->read(buf, 10000ms);
        ASSERT_TRUE(r2.ok()) << "round " << round << ": " << r2.error().to_string();
        EXPECT_EQ(r2->bytes, 1u);
        EXPECT_EQ(static_cast<char>(buf[0]), 'y');
        ASSERT_TRUE(writer.get().ok());
    }
}

// cancel() racing the start of a blocking call (before, during and just after it enters the
// OS) always wakes it: the watchdog looks again after a cancel, so a call whose start it did
// not see yet is still interrupted.
TEST_P(TransportTest, CancelRacingTheStartOfACallStillWakesIt) {
    for (int round = 0; round < 30; ++round) {
        auto p = connect_pair(make_endpoint(GetParam(), "race"));
        ASSERT_TRUE(p.server && p.client);
        std::atomic<bool> started{false};
        auto reader = std::async(std::launch::async, [&] {
            std::vector<std::byte> buf(16);
            started = true;
            return p.server->read(buf, kInfinite);
        });
        while (!started) std::this_thread::yield();
        std::this_thread::sleep_for(std::chrono::microseconds(round * 20));
        p.server->cancel();
        ASSERT_EQ(reader.wait_for(5s), std::future_status::ready)
            << "round " << round << ": cancel did not wake the read";
        auto r = reader.get();
        ASSERT_FALSE(r.ok());
        EXPECT_EQ(r.error().code, ErrorCode::Cancelled) << r.error().to_string();
    }
}

TEST_P(TransportTest, CancelWakesABlockedAccept) {
    auto l = listen(make_endpoint(GetParam(), "cacc"));
    ASSERT_TRUE(l.ok()) << l.error().to_string();
    auto acc = std::async(std::launch::async, [&] { return (*l)->accept(kInfinite); });
    std::this_thread::sleep_for(50ms);
    (*l)->cancel();
    ASSERT_EQ(acc.wait_for(5s), std::future_status::ready) << "cancel did not wake accept";
    auto r = acc.get();
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::Cancelled) << r.error().to_string();
}

TEST_P(TransportTest, AcceptTimesOutWithoutAClient) {
    auto l = listen(make_endpoint(GetParam(), "atmo"));
    ASSERT_TRUE(l.ok()) << l.error().to_string();
    auto r = (*l)->accept(100ms);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::Timeout) << r.error().to_string();
}

TEST_P(TransportTest, ConnectToAMissingNameFailsWithNotFound) {
    Case c = GetParam();
    if (c.kind == TransportKind::Tcp) GTEST_SKIP() << "TCP has no names; a free port refuses";
    Endpoint ep = make_endpoint(c, "missing");
    auto r = connect(ep, 200ms);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::NotFound) << r.error().to_string();
    EXPECT_FALSE(r.error().os_code_text().empty());
}

TEST_P(TransportTest, PeerInfoNamesTheClientProcess) {
    Case c = GetParam();
    if (c.kind == TransportKind::Fifo || c.kind == TransportKind::Tcp) {
        GTEST_SKIP() << "FIFOs and TCP carry no peer credentials";
    }
    auto p = connect_pair(make_endpoint(c, "peer"));
    ASSERT_TRUE(p.server && p.client);
    auto info = p.server->peer();
    ASSERT_TRUE(info.pid.has_value());
    EXPECT_EQ(*info.pid, static_cast<std::uint32_t>(PIPESCOPE_TEST_GETPID()));
    EXPECT_NE(info.image.find("transport_tests"), std::string::npos) << info.image;
    auto sinfo = p.client->peer();
    ASSERT_TRUE(sinfo.pid.has_value());
    EXPECT_EQ(*sinfo.pid, static_cast<std::uint32_t>(PIPESCOPE_TEST_GETPID()));
}

TEST_P(MessageTransportTest, MessageBoundariesSurvive) {
    auto p = connect_pair(make_endpoint(GetParam(), "msg"));
    ASSERT_TRUE(p.server && p.client);
    ASSERT_TRUE(p.client->message_oriented());
    const std::vector<std::size_t> sizes = {5, 1, 300, 0, 4000, 2};
    for (std::size_t i = 0; i < sizes.size(); ++i) {
        ASSERT_TRUE(p.client->write_all(pattern(sizes[i], static_cast<unsigned>(i)), 5000ms).ok());
    }
    std::vector<std::byte> msg;
    for (std::size_t i = 0; i < sizes.size(); ++i) {
        auto r = p.server->read_message(msg, 5000ms);
        ASSERT_TRUE(r.ok()) << r.error().to_string();
        EXPECT_FALSE(r->eof);
        EXPECT_EQ(msg.size(), sizes[i]) << "message " << i;
        EXPECT_TRUE(msg == pattern(sizes[i], static_cast<unsigned>(i)));
    }
}

TEST_P(MessageTransportTest, ReadMessageHoldsNoMoreThanItsBound) {
    auto p = connect_pair(make_endpoint(GetParam(), "bound"));
    ASSERT_TRUE(p.server && p.client);
    ASSERT_TRUE(p.client->write_all(pattern(10000, 3), 5000ms).ok());
    ASSERT_TRUE(p.client->write_all(pattern(7, 4), 5000ms).ok());
    std::vector<std::byte> msg;
    auto r = p.server->read_message(msg, 5000ms, 4096);
    ASSERT_FALSE(r.ok()) << "a 10,000-byte message read whole under a 4,096-byte bound";
    EXPECT_EQ(r.error().code, ErrorCode::MoreData) << r.error().to_string();
    EXPECT_NE(r.error().to_string().find("4096"), std::string::npos) << r.error().to_string();
    ASSERT_EQ(msg.size(), 4096u);
    const auto whole = pattern(10000, 3);
    EXPECT_TRUE(std::equal(msg.begin(), msg.end(), whole.begin()));
    // The rest of it is still there, and the next message after it.
    std::vector<std::byte> rest(10000);
    std::size_t got = 0;
    for (;;) {
        auto part = p.server->read(std::span(rest.data() + got, rest.size() - got), 5000ms);
        ASSERT_TRUE(part.ok()) << part.error().to_string();
        got += part->bytes;
        if (part->message_end) break;
    }
    EXPECT_EQ(got, 10000u - 4096u);
    EXPECT_TRUE(
        std::equal(rest.begin(), rest.begin() + static_cast<long>(got), whole.begin() + 4096));
    auto next = p.server->read_message(msg, 5000ms, 4096);
    ASSERT_TRUE(next.ok()) << next.error().to_string();
    EXPECT_TRUE(msg == pattern(7, 4));
}

TEST_P(MessageTransportTest, AShortReadReassembles) {
    auto p = connect_pair(make_endpoint(GetParam(), "short"));
    ASSERT_TRUE(p.server && p.client);
    const auto data = pattern(10000, 3);
    ASSERT_TRUE(p.client->write_all(data, 5000ms).ok());
    ASSERT_TRUE(p.client->write_all(bytes_of("next"), 5000ms).ok());
    std::vector<std::byte> small(100);
    auto first = p.server->read(small, 5000ms);
    ASSERT_TRUE(first.ok()) << first.error().to_string();
    EXPECT_EQ(first->bytes, 100u);
    EXPECT_FALSE(first->message_end) << "a 10000-byte message cannot fit in 100 bytes";
    std::vector<std::byte> got(small.begin(), small.end());
    int reads = 1;
    for (;;) {
        auto r = p.server->read(small, 5000ms);
        ASSERT_TRUE(r.ok()) << r.error().to_string();
        got.insert(got.end(), small.begin(), small.begin() + static_cast<long>(r->bytes));
        ++reads;
        if (r->message_end) break;
        ASSERT_LT(reads, 1000);
    }
    EXPECT_TRUE(got == data);
    std::vector<std::byte> next;
    auto r = p.server->read_message(next, 5000ms);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(next.data()), next.size()), "next");
}

// SOCK_SEQPACKET: a zero-length recv is either a real empty message or the end of the
// stream. After the peer's shutdown(SHUT_WR) the queued messages, empty ones included, still
// arrive as messages, and only then does a read report EOF (it used to return an empty
// message instead of EOF, so readers could not see the end).
TEST(SeqpacketTransport, EmptyMessagesAndShutdownAreTold) {
    if (!transport_available(TransportKind::UnixSeqpacket))
        GTEST_SKIP() << "AF_UNIX seqpacket sockets exist only in the POSIX build";
    auto p = connect_pair(
        make_endpoint({TransportKind::UnixSeqpacket, IoModel::Sync, PipeType::Message}, "spshut"));
    ASSERT_TRUE(p.server && p.client);
    ASSERT_TRUE(p.client->write_all({}, 1000ms).ok());
    ASSERT_TRUE(p.client->write_all(bytes_of("abc"), 1000ms).ok());
    ASSERT_TRUE(p.client->write_all({}, 1000ms).ok());
    ASSERT_TRUE(p.client->close_write().ok());
    std::vector<std::byte> buf(16);
    for (std::size_t want : {std::size_t{0}, std::size_t{3}, std::size_t{0}}) {
        auto r = p.server->read(buf, 2000ms);
        ASSERT_TRUE(r.ok()) << r.error().to_string();
        EXPECT_FALSE(r->eof) << "a queued message of " << want << " bytes read as EOF";
        EXPECT_EQ(r->bytes, want);
    }
    for (int i = 0; i < 2; ++i) {  // and it stays at the end
        auto r = p.server->read(buf, 2000ms);
        ASSERT_TRUE(r.ok()) << r.error().to_string();
        EXPECT_TRUE(r->eof) << "after shutdown(SHUT_WR) the read must report EOF";
        EXPECT_EQ(r->bytes, 0u);
    }
    // The other direction still works after the half-close.
    ASSERT_TRUE(p.server->write_all(bytes_of("back"), 1000ms).ok());
    auto r = p.client->read(buf, 2000ms);
    ASSERT_TRUE(r.ok()) << r.error().to_string();
    EXPECT_EQ(r->bytes, 4u);
}

// A blocked read (nothing queued yet) wakes with EOF when the peer shuts down writing.
TEST(SeqpacketTransport, ShutdownWakesABlockedReadWithEof) {
    if (!transport_available(TransportKind::UnixSeqpacket))
        GTEST_SKIP() << "AF_UNIX seqpacket sockets exist only in the POSIX build";
    auto p = connect_pair(
        make_endpoint({TransportKind::UnixSeqpacket, IoModel::Sync, PipeType::Message}, "spwake"));
    ASSERT_TRUE(p.server && p.client);
    auto reader = std::async(std::launch::async, [&] {
        std::vector<std::byte> buf(16);
        return p.server->read(buf, 5000ms);
    });
    std::this_thread::sleep_for(20ms);
    ASSERT_TRUE(p.client->close_write().ok());
    ASSERT_EQ(reader.wait_for(5s), std::future_status::ready);
    auto r = reader.get();
    ASSERT_TRUE(r.ok()) << r.error().to_string();
    EXPECT_TRUE(r->eof);
}

// promise_whole_messages (what the benchmark promises its channels): every kind still carries
// whole messages both ways, a read after the peer's close_write reports the end, and a message
// kind keeps its boundaries.
TEST_P(TransportTest, PromisedWholeMessagesStillRoundTripAndEnd) {
    auto p = connect_pair(make_endpoint(GetParam(), "promise"));
    ASSERT_TRUE(p.server && p.client);
    p.server->promise_whole_messages(300);
    p.client->promise_whole_messages(300);
    const bool message = is_message(GetParam());
    std::vector<std::byte> buf(300);
    for (std::size_t n : {std::size_t{1}, std::size_t{300}, std::size_t{17}}) {
        const auto data = pattern(n, static_cast<unsigned>(n));
        ASSERT_TRUE(p.client->write_all(data, 5000ms).ok());
        std::size_t got = 0;
        while (got < n) {
            auto r = p.server->read(std::span(buf.data() + got, buf.size() - got), 5000ms);
            ASSERT_TRUE(r.ok()) << r.error().to_string();
            ASSERT_FALSE(r->eof);
            got += r->bytes;
            if (message) {
                EXPECT_TRUE(r->message_end);
                break;
            }
        }
        ASSERT_EQ(got, n);
        EXPECT_TRUE(std::equal(data.begin(), data.end(), buf.begin()));
    }
    // A byte-mode Win32 pipe has no half-close: close, as the benchmark's stream driver does.
    if (!p.client->close_write()) p.client->close();
    // The end: EOF; a Win32 message pipe's empty end message; or a closed Win32 pipe's broken
    // pipe. Never data, never a wait for the timeout.
    auto r = p.server->read(buf, 5000ms);
    if (!r) {
        EXPECT_EQ(GetParam().kind, TransportKind::Win32Pipe) << r.error().to_string();
        EXPECT_NE(r.error().code, ErrorCode::Timeout) << r.error().to_string();
    } else {
        EXPECT_TRUE(r->eof || (message && r->bytes == 0)) << r->bytes << " bytes after the end";
    }
}

// Seqpacket under the promise reads with one plain recv: a message longer than promised is an
// error naming both sizes (its tail is gone, so it is never handed out as a shorter message),
// and the next message still arrives whole.
TEST(SeqpacketTransport, AMessageLongerThanPromisedIsAnErrorNotASplit) {
    if (!transport_available(TransportKind::UnixSeqpacket))
        GTEST_SKIP() << "AF_UNIX seqpacket sockets exist only in the POSIX build";
    auto p = connect_pair(make_endpoint(
        {TransportKind::UnixSeqpacket, IoModel::Sync, PipeType::Message}, "sppromise"));
    ASSERT_TRUE(p.server && p.client);
    p.server->promise_whole_messages(100);
    ASSERT_TRUE(p.client->write_all(pattern(250, 1), 1000ms).ok());
    ASSERT_TRUE(p.client->write_all(pattern(60, 2), 1000ms).ok());
    std::vector<std::byte> buf(100);
    auto r = p.server->read(buf, 2000ms);
    ASSERT_FALSE(r.ok()) << "a 250-byte message read as " << r->bytes << " bytes";
    EXPECT_EQ(r.error().code, ErrorCode::MoreData);
    const std::string text = r.error().to_string();
    EXPECT_NE(text.find("250"), std::string::npos) << text;
    EXPECT_NE(text.find("100"), std::string::npos) << text;
    auto next = p.server->read(buf, 2000ms);
    ASSERT_TRUE(next.ok()) << next.error().to_string();
    EXPECT_EQ(next->bytes, 60u);
    const auto want = pattern(60, 2);
    EXPECT_TRUE(std::equal(want.begin(), want.end(), buf.begin()));
    // A smaller buffer than promised still gets the message in parts, as without the promise.
    ASSERT_TRUE(p.client->write_all(pattern(90, 3), 1000ms).ok());
    std::vector<std::byte> small(50);
    auto part = p.server->read(small, 2000ms);
    ASSERT_TRUE(part.ok()) << part.error().to_string();
    EXPECT_EQ(part->bytes, 50u);
    EXPECT_FALSE(part->message_end);
    auto rest = p.server->read(small, 2000ms);
    ASSERT_TRUE(rest.ok()) << rest.error().to_string();
    EXPECT_EQ(rest->bytes, 40u);
    EXPECT_TRUE(rest->message_end);
}

INSTANTIATE_TEST_SUITE_P(Kinds, TransportTest, ::testing::ValuesIn(all_cases()), case_name);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(MessageTransportTest);
INSTANTIATE_TEST_SUITE_P(Kinds, MessageTransportTest, ::testing::ValuesIn(message_cases()),
                         case_name);

TEST(Transport, NamesRoundTrip) {
    for (auto k : {TransportKind::Win32Pipe, TransportKind::UnixStream,
                   TransportKind::UnixSeqpacket, TransportKind::Fifo, TransportKind::Tcp}) {
        EXPECT_EQ(parse_transport_kind(to_string(k)), k);
    }
    for (auto m : {IoModel::Sync, IoModel::Overlapped, IoModel::Iocp}) {
        EXPECT_EQ(parse_io_model(to_string(m)), m);
    }
    EXPECT_EQ(parse_pipe_type("MESSAGE"), PipeType::Message);
    EXPECT_EQ(parse_impersonation_level("delegation"), ImpersonationLevel::Delegation);
    EXPECT_FALSE(parse_transport_kind("carrier-pigeon").has_value());
    EXPECT_FALSE(parse_io_model("").has_value());
}

TEST(Transport, UnavailableKindFailsWithUnsupported) {
    auto all = available_transports();
    for (auto k : {TransportKind::Win32Pipe, TransportKind::UnixStream,
                   TransportKind::UnixSeqpacket, TransportKind::Fifo, TransportKind::Tcp}) {
        if (transport_available(k)) continue;
        Endpoint ep;
        ep.kind = k;
        ep.name = pipescope::test::unique_pipe_name("na");
        auto r = listen(ep);
        ASSERT_FALSE(r.ok());
        EXPECT_EQ(r.error().code, ErrorCode::Unsupported);
        return;
    }
    GTEST_SKIP() << "every kind is available in this build";
}

}  // namespace
