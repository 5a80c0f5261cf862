// ProxySession in-process over the real transports: natively AF_UNIX stream and seqpacket,
// FIFO pairs and TCP; under Wine (the MinGW build) Win32 byte and message pipes. The target
// servers and clients here are core Channels on threads of this process.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <thread>

#include <gtest/gtest.h>

#include "pipescope/hex.hpp"
#include "pipescope/proxy.hpp"
#include "support/test_names.hpp"

using namespace pipescope::core;
using namespace std::chrono_literals;

namespace {

enum class Kind { Byte, Message };

#ifdef _WIN32
const TransportKind kByteKinds[] = {TransportKind::Win32Pipe};
#else
const TransportKind kByteKinds[] = {TransportKind::UnixStream, TransportKind::Fifo,
                                    TransportKind::Tcp};
#endif

// A byte or message endpoint of `kind` (Win32: the pipe type and read mode say which).
Endpoint endpoint(const std::string& tag, Kind k, TransportKind kind) {
    Endpoint ep;
    ep.kind = kind;
    ep.io = IoModel::Overlapped;
    ep.name = pipescope::test::unique_pipe_name(tag);
    if (kind == TransportKind::Win32Pipe && k == Kind::Message) {
        ep.server.type = ep.server.read_mode = ep.client.read_mode = PipeType::Message;
    }
    return ep;
}

Endpoint endpoint(const std::string& tag, Kind k) {
#ifdef _WIN32
    return endpoint(tag, k, TransportKind::Win32Pipe);
#else
    return endpoint(tag, k,
                    k == Kind::Message ? TransportKind::UnixSeqpacket : TransportKind::UnixStream);
#endif
}

std::vector<std::byte> pattern(std::size_t n, unsigned seed) {
    std::vector<std::byte> v(n);
    for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<std::byte>((i * 131 + seed) & 0xff);
    return v;
}

std::string str(std::span<const std::byte> v) {
    return std::string(reinterpret_cast<const char*>(v.data()), v.size());
}

std::span<const std::byte> bytes_of(std::string_view s) {
    return std::as_bytes(std::span(s.data(), s.size()));
}

// A target server on its own thread: accepts `clients` connections one after another and runs
// `handler` on each.
class Target {
  public:
    Target(const Endpoint& ep, std::function<void(Channel&)> handler, int clients = 1) {
        auto l = listen(ep);
        EXPECT_TRUE(l.ok()) << l.error().to_string();
        if (!l) return;
        listener_ = std::move(l).value();
        thread_ = std::jthread([this, handler, clients](std::stop_token stop) {
            for (int i = 0; i < clients && !stop.stop_requested(); ++i) {
                auto ch = listener_->accept(10000ms);
                if (!ch) return;
                handler(**ch);
            }
        });
    }
    ~Target() {
        if (listener_) listener_->cancel();
    }
    // What the proxy connects to (Tcp: with the chosen port).
    Endpoint endpoint() const { return listener_->client_endpoint(); }

  private:
    std::unique_ptr<Listener> listener_;
    std::jthread thread_;
};

// Echoes each message (or each read) until the peer ends.
void echo(Channel& ch) {
    std::vector<std::byte> msg;
    for (;;) {
        auto r = ch.read_message(msg, 10000ms);
        if (!r || r->eof) return;
        if (!ch.write_all(msg, 10000ms)) return;
    }
}

std::unique_ptr<Channel> connect_client(const ProxySession& proxy, Kind k) {
    Endpoint ep = proxy.client_endpoint();
    if (ep.kind == TransportKind::Win32Pipe && k == Kind::Message) {
        ep.client.read_mode = PipeType::Message;
    }
    auto c = connect(ep, 5000ms);
    EXPECT_TRUE(c.ok()) << c.error().to_string();
    return c ? std::move(c).value() : nullptr;
}

const ConversationSnapshot* conversation(const SessionSnapshot& s, std::uint32_t id) {
    for (const auto& c : s.conversations) {
        if (c.id == id) return &c;
    }
    return nullptr;
}

bool closed(const SessionSnapshot& s, std::uint32_t id) {
    const auto* c = conversation(s, id);
    return c && !c->connected;
}

std::string end_reason(const SessionSnapshot& s, std::uint32_t id) {
    const auto* c = conversation(s, id);
    if (!c || c->transcript.events().empty()) return "";
    return c->transcript.events().back().text;
}

// Reads exactly n bytes from a byte channel (bounded by 10 s).
std::vector<std::byte> read_exactly(Channel& ch, std::size_t n) {
    std::vector<std::byte> got;
    std::vector<std::byte> buf(64 * 1024);
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (got.size() < n && std::chrono::steady_clock::now() < deadline) {
        auto r = ch.read(buf, 1000ms);
        if (!r) {
            if (r.error().code == ErrorCode::Timeout) continue;
            break;
        }
        if (r->eof) break;
        got.insert(got.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(r->bytes));
    }
    return got;
}

// Reads until end of stream or an error; true when the end came (bounded by 10 s).
bool reaches_end(Channel& ch) {
    std::vector<std::byte> buf(4096);
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < deadline) {
        auto r = ch.read(buf, 500ms);
        if (!r) {
            if (r.error().code == ErrorCode::Timeout) continue;
            return true;  // broken pipe and the like: the end too
        }
        if (r->eof) return true;
    }
    return false;
}

TEST(Proxy, KeepsMessageBoundariesIncludingMessagesLongerThanARead) {
    Target target(endpoint("pxt-msg", Kind::Message), echo);
    ProxyOptions o;
    o.read_bytes = 1024;  // messages below are longer than one read
    ProxySession proxy(endpoint("pxl-msg", Kind::Message), target.endpoint(), o);
    ASSERT_TRUE(proxy.snapshot()->running) << proxy.snapshot()->status;
    auto client = connect_client(proxy, Kind::Message);
    ASSERT_TRUE(client);
    ASSERT_TRUE(client->message_oriented());
    const std::size_t sizes[] = {1, 1023, 1024, 1025, 5000, 70000, 3};
    unsigned seed = 0;
    for (std::size_t n : sizes) {
        auto msg = pattern(n, ++seed);
        ASSERT_TRUE(client->write_all(msg, 5000ms));
        std::vector<std::byte> back;
        auto r = client->read_message(back, 10000ms);
        ASSERT_TRUE(r.ok()) << r.error().to_string();
        EXPECT_EQ(back.size(), n);
        EXPECT_TRUE(back == msg) << "message of " << n << " bytes changed";
    }
    auto s = proxy.wait_for(
        [&](const SessionSnapshot& snap) {
            const auto* c = conversation(snap, 1);
            return c && c->counters.messages_in == std::size(sizes);
        },
        10s);
    const auto* c = conversation(*s, 1);
    ASSERT_TRUE(c);
    std::vector<std::size_t> to_server, to_client;
    for (const auto& f : c->transcript.frames()) {
        EXPECT_EQ(f->connection, 1u);
        EXPECT_TRUE(f->message_end);
        (f->flow == Flow::ToServer ? to_server : to_client).push_back(f->bytes.size());
    }
    EXPECT_EQ(to_server, std::vector<std::size_t>(std::begin(sizes), std::end(sizes)));
    EXPECT_EQ(to_client, to_server);
    EXPECT_EQ(c->counters.messages_out, std::size(sizes));
    // One direction held at most one read plus the largest message.
    EXPECT_LE(c->assembly_bytes_peak, 1024u + 2 * 70000u);
    EXPECT_FALSE(c->target.empty());
    ASSERT_TRUE(c->peer.pid.has_value());
}

TEST(Proxy, MessagesToAByteStreamAreConcatenatedAndTheirEndsRecorded) {
    for (TransportKind kind : kByteKinds) {
        SCOPED_TRACE(std::string(to_string(kind)));
        std::vector<std::byte> at_target;
        Target target(endpoint("pxt-m2b", Kind::Byte, kind),
                      [&](Channel& ch) { at_target = read_exactly(ch, 2 + 3000 + 1); });
        ProxyOptions o;
        o.read_bytes = 1024;
        ProxySession proxy(endpoint("pxl-m2b", Kind::Message), target.endpoint(), o);
        auto client = connect_client(proxy, Kind::Message);
        ASSERT_TRUE(client);
        auto big = pattern(3000, 7);
        ASSERT_TRUE(client->write_all(bytes_of("ab"), 5000ms));
        ASSERT_TRUE(client->write_all(big, 5000ms));
        ASSERT_TRUE(client->write_all(bytes_of("z"), 5000ms));
        auto s = proxy.wait_for(
            [](const SessionSnapshot& snap) {
                const auto* c = conversation(snap, 1);
                return c && c->counters.bytes_out == 3003;
            },
            10s);
        std::vector<std::byte> expected = pattern(0, 0);
        for (auto b : bytes_of("ab")) expected.push_back(b);
        expected.insert(expected.end(), big.begin(), big.end());
        expected.push_back(std::byte{'z'});
        const auto* c = conversation(*s, 1);
        ASSERT_TRUE(c);
        // Where each message ended: after 2, 3002 and 3003 bytes.
        std::vector<std::size_t> ends;
        std::size_t total = 0;
        for (const auto& f : c->transcript.frames()) {
            total += f->bytes.size();
            if (f->message_end) ends.push_back(total);
        }
        EXPECT_EQ(ends, (std::vector<std::size_t>{2, 3002, 3003}));
        EXPECT_EQ(c->counters.messages_out, 3u);
        client.reset();
        proxy.stop();
        EXPECT_TRUE(at_target == expected);
    }
}

TEST(Proxy, AByteStreamBecomesOneMessagePerLineWithFrameLines) {
    for (TransportKind kind : kByteKinds) {
        SCOPED_TRACE(std::string(to_string(kind)));
        std::vector<std::string> messages;
        Target target(endpoint("pxt-b2m", Kind::Message), [&](Channel& ch) {
            std::vector<std::byte> msg;
            while (messages.size() < 4) {
                auto r = ch.read_message(msg, 10000ms);
                if (!r || r->eof) return;
                messages.push_back(str(msg));
            }
        });
        ProxyOptions o;
        o.frame = FrameMode::Lines;
        ProxySession proxy(endpoint("pxl-b2m", Kind::Byte, kind), target.endpoint(), o);
        auto client = connect_client(proxy, Kind::Byte);
        ASSERT_TRUE(client);
        ASSERT_TRUE(client->write_all(bytes_of("one\ntwo\nth"), 5000ms));
        proxy.wait_for(
            [](const SessionSnapshot& snap) {
                const auto* c = conversation(snap, 1);
                return c && c->counters.messages_out == 2;
            },
            10s);
        ASSERT_TRUE(client->write_all(bytes_of("ree\n\n"), 5000ms));
        auto s = proxy.wait_for(
            [](const SessionSnapshot& snap) {
                const auto* c = conversation(snap, 1);
                return c && c->counters.messages_out == 4;
            },
            10s);
        client.reset();
        proxy.stop();
        EXPECT_EQ(messages, (std::vector<std::string>{"one\n", "two\n", "three\n", "\n"}));
    }
}

TEST(Proxy, AByteStreamBecomesOneMessagePerReadWithoutFrameLines) {
    std::vector<std::string> messages;
    std::atomic<std::size_t> bytes{0};
    Target target(endpoint("pxt-b2r", Kind::Message), [&](Channel& ch) {
        std::vector<std::byte> msg;
        while (bytes < 9) {
            auto r = ch.read_message(msg, 10000ms);
            if (!r || r->eof) return;
            messages.push_back(str(msg));
            bytes += msg.size();
        }
    });
    ProxySession proxy(endpoint("pxl-b2r", Kind::Byte), target.endpoint(), ProxyOptions{});
    auto client = connect_client(proxy, Kind::Byte);
    ASSERT_TRUE(client);
    // Each write is read whole by the proxy once the previous one went through.
    ASSERT_TRUE(client->write_all(bytes_of("a\nb"), 5000ms));
    proxy.wait_for([](const SessionSnapshot& snap) { return snap.totals.bytes_out == 3; }, 10s);
    ASSERT_TRUE(client->write_all(bytes_of("cdefgh"), 5000ms));
    proxy.wait_for([](const SessionSnapshot& snap) { return snap.totals.bytes_out == 9; }, 10s);
    client.reset();
    proxy.stop();
    EXPECT_EQ(messages, (std::vector<std::string>{"a\nb", "cdefgh"}));
}

TEST(Proxy, TargetThatStopsReadingBlocksTheClientAndTheProxyHoldsOnlyItsBound) {
    for (TransportKind kind : kByteKinds) {
        SCOPED_TRACE(std::string(to_string(kind)));
        constexpr std::size_t kTotal = 32u << 20;  // far more than every buffer on the way
        std::atomic<bool> drain{false};
        std::atomic<bool> drained{false};
        std::vector<std::byte> at_target;
        Target target(endpoint("pxt-bp", Kind::Byte, kind), [&](Channel& ch) {
            while (!drain) std::this_thread::sleep_for(5ms);
            at_target = read_exactly(ch, kTotal);
            drained = true;
        });
        ProxyOptions o;
        o.read_bytes = 16 * 1024;
        ProxySession proxy(endpoint("pxl-bp", Kind::Byte, kind), target.endpoint(), o);
        auto client = connect_client(proxy, Kind::Byte);
        ASSERT_TRUE(client);
        const auto data = pattern(kTotal, 3);
        std::atomic<std::size_t> written{0};
        std::jthread writer([&] {
            std::span<const std::byte> left(data);
            while (!left.empty()) {
                auto n =
                    client->write(left.first(std::min<std::size_t>(left.size(), 65536)), 20000ms);
                if (!n) return;
                written += *n;
                left = left.subspan(*n);
            }
        });
        // Wait until the proxy makes no more progress: the target's buffers are full.
        std::uint64_t last = ~0ull;
        for (int i = 0; i < 200; ++i) {
            std::this_thread::sleep_for(100ms);
            auto now = proxy.snapshot()->totals.bytes_out;
            if (now == last && now > 0) break;
            last = now;
        }
        auto s = proxy.snapshot();
        const auto* c = conversation(*s, 1);
        ASSERT_TRUE(c);
        EXPECT_LT(written.load(), kTotal) << "the client's writes should block";
        EXPECT_LE(c->assembly_bytes_peak, o.read_bytes) << "the proxy held more than one read";
        drain = true;
        writer.join();
        EXPECT_EQ(written.load(), kTotal);
        proxy.wait_for([&](const SessionSnapshot& snap) { return snap.totals.bytes_out == kTotal; },
                       20s);
        for (int i = 0; i < 400 && !drained; ++i) std::this_thread::sleep_for(50ms);
        client.reset();
        proxy.stop();
        ASSERT_TRUE(drained);
        EXPECT_EQ(at_target.size(), kTotal);
        EXPECT_TRUE(at_target == data) << "bytes were lost or reordered";
    }
}

TEST(Proxy, MissingTargetIsRetriedThenTheClientIsDisconnectedAndTheNextServed) {
    const Endpoint target_ep = endpoint("pxt-late", Kind::Byte);
    ProxyOptions o;
    o.target_timeout = 300ms;
    ProxySession proxy(endpoint("pxl-late", Kind::Byte), target_ep, o);
    auto first = connect_client(proxy, Kind::Byte);
    ASSERT_TRUE(first);
    EXPECT_TRUE(reaches_end(*first)) << "the client should be disconnected";
    auto s = proxy.wait_for([](const SessionSnapshot& snap) { return closed(snap, 1); }, 10s);
    const std::string why = end_reason(*s, 1);
    EXPECT_EQ(why.rfind("target: ", 0), 0u) << why;
    EXPECT_NE(why.find("retried for 300 ms"), std::string::npos) << why;
#ifdef _WIN32
    EXPECT_NE(why.find("CreateFileW"), std::string::npos) << why;
    EXPECT_NE(why.find("ERROR_FILE_NOT_FOUND (2)"), std::string::npos) << why;
#endif
    // The target comes up: the next client is served.
    Target target(target_ep, echo);
    auto second = connect_client(proxy, Kind::Byte);
    ASSERT_TRUE(second);
    ASSERT_TRUE(second->write_all(bytes_of("hi"), 5000ms));
    EXPECT_EQ(str(read_exactly(*second, 2)), "hi");
}

TEST(Proxy, ClientHalfCloseIsPassedOnWhereTheTransportHasIt) {
    std::atomic<bool> target_saw_end{false};
    Target target(endpoint("pxt-half", Kind::Byte), [&](Channel& ch) {
        auto got = read_exactly(ch, 1 << 20);  // until the end
        target_saw_end = true;
        (void)ch.write_all(bytes_of("reply after end:" + std::to_string(got.size())), 5000ms);
    });
    ProxySession proxy(endpoint("pxl-half", Kind::Byte), target.endpoint(), ProxyOptions{});
    auto client = connect_client(proxy, Kind::Byte);
    ASSERT_TRUE(client);
    ASSERT_TRUE(client->write_all(bytes_of("12345"), 5000ms));
    auto st = client->close_write();
    if (!st) {
        // Win32 byte pipes have no half-close: closing is the end of the connection.
        client->close();
        auto s = proxy.wait_for([](const SessionSnapshot& snap) { return closed(snap, 1); }, 10s);
        EXPECT_NE(end_reason(*s, 1).find("client"), std::string::npos) << end_reason(*s, 1);
        return;
    }
    std::string reply = str(read_exactly(*client, 18));
    EXPECT_TRUE(target_saw_end);
    EXPECT_EQ(reply, "reply after end:5");
    EXPECT_TRUE(reaches_end(*client));
    auto s = proxy.wait_for([](const SessionSnapshot& snap) { return closed(snap, 1); }, 10s);
    EXPECT_EQ(end_reason(*s, 1), "both sides closed the connection");
}

TEST(Proxy, TargetClosingEndsTheConnectionWithTheSide) {
    Target target(endpoint("pxt-close", Kind::Message), [](Channel& ch) {
        (void)ch.write_all(bytes_of("bye"), 5000ms);
        ch.close();
    });
    ProxySession proxy(endpoint("pxl-close", Kind::Message), target.endpoint(), ProxyOptions{});
    auto client = connect_client(proxy, Kind::Message);
    ASSERT_TRUE(client);
    std::vector<std::byte> msg;
    auto r = client->read_message(msg, 10000ms);
    ASSERT_TRUE(r.ok()) << r.error().to_string();
    EXPECT_EQ(str(msg), "bye");
    EXPECT_TRUE(reaches_end(*client));
    // Sockets pass the target's end on as a half-close (the client may still send); the
    // client then closes too. Win32 pipes end the connection at once.
    client->close();
    auto s = proxy.wait_for([](const SessionSnapshot& snap) { return closed(snap, 1); }, 10s);
    ASSERT_TRUE(closed(*s, 1));
    bool said = false;
    for (const auto& e : conversation(*s, 1)->transcript.events()) {
        said = said || e.text.rfind("target closed", 0) == 0;
    }
    EXPECT_TRUE(said) << end_reason(*s, 1);
}

TEST(Proxy, AMessageLargerThanTheBoundEndsTheConnectionInsteadOfBeingSplit) {
    std::atomic<int> messages_at_target{0};
    Target target(endpoint("pxt-big", Kind::Message), [&](Channel& ch) {
        std::vector<std::byte> msg;
        for (;;) {
            auto r = ch.read_message(msg, 10000ms);
            if (!r || r->eof) return;
            ++messages_at_target;
        }
    });
    ProxyOptions o;
    o.max_unit_bytes = 4096;
    o.read_bytes = 1024;
    ProxySession proxy(endpoint("pxl-big", Kind::Message), target.endpoint(), o);
    auto client = connect_client(proxy, Kind::Message);
    ASSERT_TRUE(client);
    ASSERT_TRUE(client->write_all(pattern(4096, 1), 5000ms));  // at the bound: goes through
    proxy.wait_for([](const SessionSnapshot& snap) { return snap.totals.messages_out == 1; }, 10s);
    (void)client->write_all(pattern(10000, 2), 5000ms);
    EXPECT_TRUE(reaches_end(*client));
    auto s = proxy.wait_for([](const SessionSnapshot& snap) { return closed(snap, 1); }, 10s);
    const std::string why = end_reason(*s, 1);
    EXPECT_NE(why.find("longer than 4096 bytes"), std::string::npos) << why;
    EXPECT_EQ(why.rfind("client: ", 0), 0u) << why;
    EXPECT_EQ(s->totals.messages_out, 1u);
    proxy.stop();
    EXPECT_EQ(messages_at_target.load(), 1);
}

TEST(Proxy, ServesClientsAtOnceEachItsOwnConnectionAndMergesTheirTranscripts) {
    Target target(
        endpoint("pxt-many", Kind::Message),
        [](Channel& ch) { std::thread([c = &ch] { echo(*c); }).join(); }, 3);
    ProxySession proxy(endpoint("pxl-many", Kind::Message), target.endpoint(), ProxyOptions{});
    std::vector<std::unique_ptr<Channel>> clients;
    for (int i = 0; i < 3; ++i) {
        clients.push_back(connect_client(proxy, Kind::Message));
        ASSERT_TRUE(clients.back());
        const std::string text = "client " + std::to_string(i);
        ASSERT_TRUE(clients.back()->write_all(bytes_of(text), 5000ms));
        std::vector<std::byte> back;
        ASSERT_TRUE(clients.back()->read_message(back, 10000ms).ok());
        EXPECT_EQ(str(back), text);
        clients.back().reset();  // the (sequential) target serves the next one
    }
    auto s = proxy.wait_for(
        [](const SessionSnapshot& snap) {
            return closed(snap, 1) && closed(snap, 2) && closed(snap, 3);
        },
        10s);
    auto frames = merged_frames(*s);
    ASSERT_EQ(frames.size(), 6u);
    for (std::uint32_t i = 0; i < 3; ++i) {
        EXPECT_EQ(frames[2 * i]->connection, i + 1);
        EXPECT_EQ(frames[2 * i]->flow, Flow::ToServer);
        EXPECT_EQ(frames[2 * i + 1]->flow, Flow::ToClient);
    }
    auto back = Transcript::from_json(merged_transcript(*s).to_json());
    ASSERT_TRUE(back.ok()) << back.error().to_string();
    ASSERT_EQ(back->frames().size(), 6u);
    EXPECT_EQ(back->frames()[5]->connection, 3u);
    EXPECT_EQ(str(back->frames()[5]->bytes), "client 2");
}

TEST(Proxy, DisconnectEndsBothSidesOfOneConnection) {
    std::atomic<bool> target_saw_end{false};
    Target target(endpoint("pxt-drop", Kind::Byte),
                  [&](Channel& ch) { target_saw_end = reaches_end(ch); });
    ProxySession proxy(endpoint("pxl-drop", Kind::Byte), target.endpoint(), ProxyOptions{});
    auto client = connect_client(proxy, Kind::Byte);
    ASSERT_TRUE(client);
    proxy.wait_for(
        [](const SessionSnapshot& snap) {
            const auto* c = conversation(snap, 1);
            return c && c->state == "forwarding";
        },
        10s);
    proxy.send(pipescope::core::to_bytes("ignored"), 1);  // a proxy injects nothing
    proxy.disconnect(1);
    EXPECT_TRUE(reaches_end(*client));
    auto s = proxy.wait_for([](const SessionSnapshot& snap) { return closed(snap, 1); }, 10s);
    EXPECT_EQ(end_reason(*s, 1), "disconnected on request");
    EXPECT_EQ(s->totals.bytes_in + s->totals.bytes_out, 0u);
    proxy.stop();
    for (int i = 0; i < 200 && !target_saw_end; ++i) std::this_thread::sleep_for(50ms);
    EXPECT_TRUE(target_saw_end);
}

TEST(Proxy, StopEndsOpenConnectionsAndTheirBlockedWrites) {
    Target target(endpoint("pxt-stop", Kind::Byte), [](Channel&) {
        std::this_thread::sleep_for(200ms);  // holds the connection, reads nothing
    });
    ProxySession proxy(endpoint("pxl-stop", Kind::Byte), target.endpoint(), ProxyOptions{});
    auto client = connect_client(proxy, Kind::Byte);
    ASSERT_TRUE(client);
    proxy.wait_for(
        [](const SessionSnapshot& snap) {
            const auto* c = conversation(snap, 1);
            return c && c->state == "forwarding";
        },
        10s);
    const auto t0 = std::chrono::steady_clock::now();
    proxy.stop();
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 20s);  // a hang guard, not a timing
    auto s = proxy.snapshot();
    EXPECT_FALSE(s->running);
    EXPECT_TRUE(closed(*s, 1));
}

TEST(Proxy, ReadsTheTargetsDescriptorOnWindowsOnly) {
#ifdef _WIN32
    Endpoint ep = endpoint("pxt-sddl", Kind::Byte);
    ep.server.sddl = "D:(A;;GA;;;WD)";
    Target target(
        ep, [](Channel&) {}, 0);
    auto sddl = read_target_sddl(ep, 5000ms);
    ASSERT_TRUE(sddl.ok()) << sddl.error().to_string();
    // The DACL only: the owner and group stay the proxy's own.
    EXPECT_EQ(sddl->rfind("D:", 0), 0u) << *sddl;
    EXPECT_NE(sddl->find(";;;WD)"), std::string::npos) << *sddl;
#else
    auto sddl = read_target_sddl(endpoint("pxt-sddl", Kind::Byte), 1000ms);
    ASSERT_FALSE(sddl.ok());
    EXPECT_EQ(sddl.error().code, ErrorCode::Unsupported);
    EXPECT_NE(sddl.error().message.find("Windows-only"), std::string::npos);
#endif
}

TEST(Proxy, ListenErrorIsAnEventNotAThrow) {
    Endpoint ep = endpoint("pxl-bad", Kind::Byte);
#ifdef _WIN32
    ep.name = PipeName::parse("\\\\remotehost\\pipe\\x").value();  // servers are local only
#else
    ep.name = PipeName::parse("/nonexistent-dir-pipescope/x.sock").value();
#endif
    ProxySession proxy(ep, endpoint("pxt-bad", Kind::Byte), ProxyOptions{});
    auto s = proxy.snapshot();
    EXPECT_FALSE(s->running);
    ASSERT_FALSE(s->events.empty());
    EXPECT_EQ(s->events.back().text.rfind("listen: ", 0), 0u) << s->events.back().text;
}

}  // namespace
