// The SMB client against a scripted SMB2.1 server on loopback: what Samba does not do, a server
// that answers a short read of a message pipe with STATUS_BUFFER_OVERFLOW (more of the same
// message follows) and that reports the pipe's type in FilePipeLocalInformation. Anonymous logon,
// so no keys are involved. POSIX only: the Windows build does not use this client.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "pipescope/smb.hpp"
#include "smb/smb_wire.hpp"

#ifndef _WIN32
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "remote_check/loopback_ports.hpp"
#endif

namespace pipescope::core::smb {
namespace {

using namespace std::chrono_literals;
using wire::Bytes;
using wire::ByteView;

#ifndef _WIN32
void put16(Bytes& b, std::uint16_t v) {
    b.push_back(static_cast<std::uint8_t>(v));
    b.push_back(static_cast<std::uint8_t>(v >> 8));
}
void put32(Bytes& b, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) b.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}
std::uint32_t get32(ByteView b, std::size_t at) {
    return b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) |
           (static_cast<std::uint32_t>(b[at + 3]) << 24);
}

// An NTLMSSP challenge with the names a server gives, in a SPNEGO NegTokenResp.
Bytes challenge_blob() {
    Bytes info;
    auto av = [&](std::uint16_t id, const Bytes& v) {
        put16(info, id);
        put16(info, static_cast<std::uint16_t>(v.size()));
        info.insert(info.end(), v.begin(), v.end());
    };
    av(2, wire::utf16le("FAKEDOM"));
    av(1, wire::utf16le("FAKESRV"));
    av(0, {});
    Bytes m = {'N', 'T', 'L', 'M', 'S', 'S', 'P', 0};
    put32(m, 2);
    put16(m, 0);
    put16(m, 0);
    put32(m, 48);  // empty target name
    put32(m, wire::kNtlmUnicode | wire::kNtlmTargetInfo | wire::kNtlmNtlm);
    m.insert(m.end(), 8, 0x11);  // server challenge
    m.insert(m.end(), 8, 0);     // reserved
    put16(m, static_cast<std::uint16_t>(info.size()));
    put16(m, static_cast<std::uint16_t>(info.size()));
    put32(m, 48);
    m.insert(m.end(), info.begin(), info.end());
    return wire::spnego_response(m);
}

// Serves one client: SMB 2.1, anonymous logon, one message-mode pipe whose next message is
// `message`, handed out in as many READ (or IOCTL + READ) replies as the client's lengths say.
class FakeSmbServer {
  public:
    explicit FakeSmbServer(Bytes message)
        : fd_(pipescope::test::listen_loopback(1)), message_(std::move(message)) {
        port_ = pipescope::test::port_of(fd_);
        thread_ = std::thread([this] { serve(); });
    }
    ~FakeSmbServer() {
        stop_ = true;
        thread_.join();
        ::close(fd_);
    }
    [[nodiscard]] std::uint16_t port() const { return port_; }

  private:
    bool read_exact(int c, std::uint8_t* p, std::size_t n) {
        while (n > 0) {
            pollfd q{c, POLLIN, 0};
            if (stop_ || ::poll(&q, 1, 100) < 0) return false;
            if (!(q.revents & (POLLIN | POLLHUP))) continue;
            ssize_t got = ::recv(c, p, n, 0);
            if (got <= 0) return false;
            p += got;
            n -= static_cast<std::size_t>(got);
        }
        return true;
    }

    void reply(int c, const wire::Header& req, std::uint32_t status, const Bytes& body) {
        wire::Header h;
        h.command = req.command;
        h.status = status;
        h.flags = wire::kFlagServerToRedir;
        h.credits = 64;
        h.message_id = req.message_id;
        h.session_id = 0x77;
        h.tree_id = req.command == wire::Command::TreeConnect ? 9 : req.tree_id;
        Bytes m = wire::make_message(h, body);
        auto prefix = wire::transport_prefix(m.size());
        m.insert(m.begin(), prefix.begin(), prefix.end());
        (void)!::send(c, m.data(), m.size(), MSG_NOSIGNAL);
    }

    // The next part of the message: up to `length` bytes, with its status.
    std::pair<std::uint32_t, Bytes> next_part(std::uint32_t length) {
        const std::size_t n = std::min<std::size_t>(length, message_.size() - sent_);
        Bytes part(message_.begin() + static_cast<std::ptrdiff_t>(sent_),
                   message_.begin() + static_cast<std::ptrdiff_t>(sent_ + n));
        sent_ += n;
        return {sent_ < message_.size() ? wire::kStatusBufferOverflow : wire::kStatusSuccess, part};
    }

    void answer(int c, const wire::Header& h, ByteView m) {
        Bytes b;
        switch (h.command) {
            case wire::Command::Negotiate:
                b.assign(64, 0);
                b[0] = 65;
                b[4] = 0x10;  // dialect 0x0210
                b[5] = 0x02;
                for (int at : {28, 32, 36}) b[at + 2] = 1;  // 64 KiB
                return reply(c, h, 0, b);
            case wire::Command::SessionSetup:
                if (!challenged_) {
                    challenged_ = true;
                    Bytes blob = challenge_blob();
                    put16(b, 9);
                    put16(b, 0);
                    put16(b, 72);
                    put16(b, static_cast<std::uint16_t>(blob.size()));
                    b.insert(b.end(), blob.begin(), blob.end());
                    return reply(c, h, wire::kStatusMoreProcessingRequired, b);
                }
                put16(b, 9);
                put16(b, wire::kSessionFlagNull);
                put32(b, 0);
                b.push_back(0);
                return reply(c, h, 0, b);
            case wire::Command::TreeConnect:
                b = {16, 0, 2, 0};
                b.resize(16, 0);
                return reply(c, h, 0, b);
            case wire::Command::Create:
                b.assign(88, 0);
                b[0] = 89;
                std::fill(b.begin() + 64, b.begin() + 80, 0x42);
                return reply(c, h, 0, b);
            case wire::Command::QueryInfo: {
                Bytes info;
                if (m[64 + 3] == wire::kFilePipeLocalInformation) {
                    for (std::uint32_t v : {1u, 2u, 10u, 3u, 4096u, 0u, 4096u, 4096u, 3u, 0u})
                        put32(info, v);
                } else {
                    for (std::uint32_t v : {1u, 0u}) put32(info, v);
                }
                put16(b, 9);
                put16(b, 72);
                put32(b, static_cast<std::uint32_t>(info.size()));
                b.insert(b.end(), info.begin(), info.end());
                return reply(c, h, 0, b);
            }
            case wire::Command::Read: {
                auto [status, part] = next_part(get32(m, 64 + 4));
                put16(b, 17);
                b.push_back(80);
                b.push_back(0);
                put32(b, static_cast<std::uint32_t>(part.size()));
                put32(b, 0);
                put32(b, 0);
                b.insert(b.end(), part.begin(), part.end());
                return reply(c, h, status, b);
            }
            case wire::Command::Ioctl: {
                auto [status, part] = next_part(get32(m, 64 + 44));
                put16(b, 49);
                put16(b, 0);
                put32(b, wire::kFsctlPipeTransceive);
                b.insert(b.end(), 16, 0x42);
                put32(b, 112);
                put32(b, 0);
                put32(b, 112);
                put32(b, static_cast<std::uint32_t>(part.size()));
                put32(b, 0);
                put32(b, 0);
                b.insert(b.end(), part.begin(), part.end());
                return reply(c, h, status, b);
            }
            case wire::Command::Close:
                b.assign(60, 0);
                b[0] = 60;
                return reply(c, h, 0, b);
            default:
                b = {4, 0, 0, 0};
                return reply(c, h, 0, b);
        }
    }

    void serve() {
        int c = -1;
        while (!stop_ && c < 0) {
            pollfd p{fd_, POLLIN, 0};
            if (::poll(&p, 1, 100) > 0) c = ::accept(fd_, nullptr, nullptr);
        }
        if (c < 0) return;
        for (;;) {
            std::uint8_t prefix[4];
            if (!read_exact(c, prefix, 4)) break;
            const std::size_t n = (prefix[1] << 16) | (prefix[2] << 8) | prefix[3];
            Bytes m(n);
            if (!read_exact(c, m.data(), n)) break;
            auto h = wire::parse_header(m);
            if (!h) break;
            answer(c, *h, m);
        }
        ::close(c);
    }

    int fd_ = -1;
    std::uint16_t port_ = 0;
    std::atomic<bool> stop_{false};
    std::thread thread_;
    Bytes message_;
    std::size_t sent_ = 0;
    bool challenged_ = false;
};

Bytes hundred_bytes() {
    Bytes b(100);
    for (std::size_t i = 0; i < b.size(); ++i) b[i] = static_cast<std::uint8_t>(i);
    return b;
}

Result<std::unique_ptr<PipeChannel>> open_fake(const FakeSmbServer& server,
                                               std::shared_ptr<Session>& keep) {
    Options o;
    o.host = "127.0.0.1";
    o.port = server.port();
    o.timeout = 10s;
    auto session = Session::connect_tcp(o);
    if (!session) return session.error();
    keep = *session;
    if (auto info = keep->logon(); !info) return info.error();
    return keep->open_pipe("fake", ClientConfig{});
}
#endif

TEST(SmbFakeServer, BufferOverflowIsMoreOfTheSameMessage) {
#ifdef _WIN32
    GTEST_SKIP() << "the Windows build reaches remote pipes through the OS redirector";
#else
    FakeSmbServer server(hundred_bytes());
    std::shared_ptr<Session> session;
    auto channel = open_fake(server, session);
    ASSERT_TRUE(channel) << channel.error().to_string();
    EXPECT_TRUE((*channel)->message_oriented());
    EXPECT_EQ((*channel)->pipe_info().type, PipeType::Message);
    EXPECT_EQ((*channel)->pipe_info().max_instances, 10u);
    EXPECT_EQ((*channel)->pipe_info().current_instances, 3u);
    EXPECT_TRUE((*channel)->session_info().guest);
    EXPECT_EQ((*channel)->session_info().server_name, "FAKESRV");
    std::vector<std::byte> buf(30);
    std::vector<std::byte> all;
    for (bool expect_end : {false, false, false, true}) {
        auto r = (*channel)->read(buf, 5s);
        ASSERT_TRUE(r) << r.error().to_string();
        EXPECT_EQ(r->message_end, expect_end);
        all.insert(all.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(r->bytes));
    }
    ASSERT_EQ(all.size(), 100u);
    EXPECT_EQ(all[99], std::byte{99});
#endif
}

TEST(SmbFakeServer, TransceiveWithASmallBufferLeavesTheRestToRead) {
#ifdef _WIN32
    GTEST_SKIP() << "the Windows build reaches remote pipes through the OS redirector";
#else
    FakeSmbServer server(hundred_bytes());
    std::shared_ptr<Session> session;
    auto channel = open_fake(server, session);
    ASSERT_TRUE(channel) << channel.error().to_string();
    std::vector<std::byte> reply(40);
    const std::vector<std::byte> request(8, std::byte{1});
    auto t = (*channel)->transact(request, reply, 5s);
    ASSERT_TRUE(t) << t.error().to_string();
    EXPECT_EQ(t->bytes, 40u);
    EXPECT_FALSE(t->message_end);
    std::vector<std::byte> rest;
    auto r = (*channel)->read_message(rest, 5s);
    ASSERT_TRUE(r) << r.error().to_string();
    ASSERT_EQ(rest.size(), 60u);
    EXPECT_EQ(rest.front(), std::byte{40});
#endif
}

}  // namespace
}  // namespace pipescope::core::smb
