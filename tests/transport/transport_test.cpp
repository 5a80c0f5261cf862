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
#include "transport/test_names.hpp"

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

    for (std::size_t size : {std::size_t{0}, std::size_t{1}, std::size_t{64 * 1024},
                             std::size_t{1024 * 1024}}) {
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
        ASSERT_TRUE(r.ok() || r.error().code == ErrorCode::BrokenPipe)
            << r.error().to_string();
        if (!r || r->eof) break;
        got.insert(got.end(), buf.begin(), buf.begin() + static_cast<long>(r->bytes));
    }
    EXPECT_TRUE(got == data);
    // Afterwards the server reports the end again instead of hanging or crashing.
    auto again = p.server->read(buf, 1000ms);
    EXPECT_TRUE((again.ok() && again->eof) ||
                (!again.ok() && again.error().code == ErrorCode::BrokenPipe));
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
