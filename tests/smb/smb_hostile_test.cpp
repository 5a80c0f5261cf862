// The SMB client against servers that misbehave, on loopback without Samba: one that accepts
// and never answers (the logon ends at its timeout, or when stopped), and one that answers
// something other than SMB (a malformed-reply error, not a hang or a crash). POSIX only: the
// Windows build does not use this client.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include "pipescope/smb.hpp"

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

#ifndef _WIN32
// A listening socket on 127.0.0.1; with `reply`, a thread accepts one client, reads a little and
// sends `reply`.
class LoopbackServer {
  public:
    explicit LoopbackServer(std::string reply = {})
        : fd_(pipescope::test::listen_loopback(4)), reply_(std::move(reply)) {
        port_ = pipescope::test::port_of(fd_);
        if (!reply_.empty()) {
            thread_ = std::thread([this] {
                pollfd p{fd_, POLLIN, 0};
                if (::poll(&p, 1, 10000) <= 0) return;
                int c = ::accept(fd_, nullptr, nullptr);
                if (c < 0) return;
                char buf[512];
                (void)!::recv(c, buf, sizeof buf, 0);
                (void)!::send(c, reply_.data(), reply_.size(), MSG_NOSIGNAL);
                pollfd q{c, POLLIN, 0};
                ::poll(&q, 1, 5000);  // until the client closes
                ::close(c);
            });
        }
    }
    ~LoopbackServer() {
        if (thread_.joinable()) thread_.join();
        ::close(fd_);
    }
    [[nodiscard]] std::uint16_t port() const { return port_; }

  private:
    int fd_ = -1;
    std::uint16_t port_ = 0;
    std::string reply_;
    std::thread thread_;
};
#endif

TEST(SmbHostile, SilentServerEndsTheLogonAtItsTimeout) {
#ifdef _WIN32
    GTEST_SKIP() << "the Windows build reaches remote pipes through the OS redirector";
#else
    LoopbackServer server;  // the kernel completes the handshake; nobody ever answers
    Options o;
    o.host = "127.0.0.1";
    o.port = server.port();
    o.timeout = 300ms;
    auto session = Session::connect_tcp(o);
    ASSERT_TRUE(session) << session.error().to_string();
    auto info = (*session)->logon();
    ASSERT_FALSE(info);
    EXPECT_EQ(info.error().code, ErrorCode::Timeout) << info.error().to_string();
#endif
}

TEST(SmbHostile, StopTokenEndsAWaitingLogon) {
#ifdef _WIN32
    GTEST_SKIP() << "the Windows build reaches remote pipes through the OS redirector";
#else
    LoopbackServer server;
    Options o;
    o.host = "127.0.0.1";
    o.port = server.port();
    o.timeout = 60s;
    auto session = Session::connect_tcp(o);
    ASSERT_TRUE(session) << session.error().to_string();
    std::stop_source stop;
    std::atomic<bool> started{false};
    std::thread stopper([&] {
        while (!started) std::this_thread::yield();
        std::this_thread::sleep_for(200ms);
        stop.request_stop();
    });
    started = true;
    auto info = (*session)->logon(stop.get_token());
    stopper.join();
    ASSERT_FALSE(info);
    EXPECT_EQ(info.error().code, ErrorCode::Cancelled) << info.error().to_string();
#endif
}

TEST(SmbHostile, NonSmbServerGivesAMalformedReplyError) {
#ifdef _WIN32
    GTEST_SKIP() << "the Windows build reaches remote pipes through the OS redirector";
#else
    LoopbackServer server("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
    Options o;
    o.host = "127.0.0.1";
    o.port = server.port();
    o.timeout = 10s;
    auto session = Session::connect_tcp(o);
    ASSERT_TRUE(session) << session.error().to_string();
    auto info = (*session)->logon();
    ASSERT_FALSE(info);
    EXPECT_EQ(info.error().code, ErrorCode::Io) << info.error().to_string();
    EXPECT_NE(info.error().to_string().find("malformed"), std::string::npos)
        << info.error().to_string();
#endif
}

TEST(SmbHostile, UnresolvableNameIsNotFound) {
#ifdef _WIN32
    GTEST_SKIP() << "the Windows build reaches remote pipes through the OS redirector";
#else
    Options o;
    o.host = "pipescope-no-such-host.invalid";  // .invalid never resolves (RFC 6761)
    o.timeout = 10s;
    auto session = Session::connect_tcp(o);
    ASSERT_FALSE(session);
    // A resolver that cannot be reached in time says Timeout; one that answers says NotFound.
    EXPECT_TRUE(session.error().code == ErrorCode::NotFound ||
                session.error().code == ErrorCode::Timeout)
        << session.error().to_string();
#endif
}

}  // namespace
}  // namespace pipescope::core::smb
