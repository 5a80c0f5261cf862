// Loopback TCP ports for the remote-check tests: one nothing listens on (a connect is refused)
// and one that never answers (a listener whose backlog is full drops new SYNs, as a firewall
// that drops packets does). Winsock on Windows (and under Wine), BSD sockets elsewhere.
#pragma once

#include <chrono>
#include <cstdint>
#include <vector>

#ifdef _WIN32
#include <winsock2.h>
#include <ws2tcpip.h>
#else
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#endif

namespace pipescope::test {

#ifdef _WIN32
using Socket = SOCKET;
inline const Socket kNoSocket = INVALID_SOCKET;
inline void close_socket(Socket s) {
    ::closesocket(s);
}
inline bool sockets_ready() {
    static const bool ok = [] {
        WSADATA d;
        return ::WSAStartup(MAKEWORD(2, 2), &d) == 0;
    }();
    return ok;
}
#else
using Socket = int;
inline const Socket kNoSocket = -1;
inline void close_socket(Socket s) {
    ::close(s);
}
inline bool sockets_ready() {
    return true;
}
#endif

inline sockaddr_in loopback(std::uint16_t port) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
}

inline std::uint16_t port_of(Socket s) {
    sockaddr_in a{};
    socklen_t len = sizeof a;
    ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
    return ntohs(a.sin_port);
}

// A socket listening on 127.0.0.1 at a port the system picks (port_of gives it), with room
// for `backlog` connections; kNoSocket on failure.
inline Socket listen_loopback(int backlog) {
    if (!sockets_ready()) return kNoSocket;
    Socket s = ::socket(AF_INET, SOCK_STREAM, 0);
    if (s == kNoSocket) return s;
#ifndef _WIN32
    ::fcntl(s, F_SETFD, FD_CLOEXEC);  // not into the programs a test starts
#endif
    auto a = loopback(0);
    if (::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(s, backlog) != 0) {
        close_socket(s);
        return kNoSocket;
    }
    return s;
}

// A loopback port that was just free: bound, then closed without listening. 0 on failure.
inline std::uint16_t closed_port() {
    if (!sockets_ready()) return 0;
    Socket s = ::socket(AF_INET, SOCK_STREAM, 0);
    if (s == kNoSocket) return 0;
    auto a = loopback(0);
    std::uint16_t port = 0;
    if (::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) port = port_of(s);
    close_socket(s);
    return port;
}

// Starts a non-blocking connect to 127.0.0.1:port and waits up to `wait` for it to complete.
// Returns the socket (kept open by the caller) and whether it connected.
inline std::pair<Socket, bool> try_connect(std::uint16_t port, std::chrono::milliseconds wait) {
    Socket s = ::socket(AF_INET, SOCK_STREAM, 0);
    if (s == kNoSocket) return {s, false};
#ifdef _WIN32
    u_long nb = 1;
    ::ioctlsocket(s, FIONBIO, &nb);
#else
    ::fcntl(s, F_SETFL, ::fcntl(s, F_GETFL) | O_NONBLOCK);
#endif
    auto a = loopback(port);
    if (::connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) return {s, true};
#ifdef _WIN32
    fd_set w;
    FD_ZERO(&w);
    FD_SET(s, &w);
    timeval tv{0, static_cast<long>(wait.count() * 1000)};
    const bool done = ::select(0, nullptr, &w, nullptr, &tv) > 0;
#else
    pollfd p{s, POLLOUT, 0};
    const bool done = ::poll(&p, 1, static_cast<int>(wait.count())) > 0;
#endif
    return {s, done};
}

// A loopback port where TCP gets through (the kernel completes the handshake for a listener that
// never accepts) and nothing is ever said back: an SMB client's first request goes unanswered.
class MutePort {
  public:
    MutePort() : listener_(listen_loopback(16)) {
        if (listener_ != kNoSocket) port_ = port_of(listener_);
    }
    ~MutePort() {
        if (listener_ != kNoSocket) close_socket(listener_);
    }
    MutePort(const MutePort&) = delete;
    MutePort& operator=(const MutePort&) = delete;
    [[nodiscard]] std::uint16_t port() const { return port_; }

  private:
    Socket listener_ = kNoSocket;
    std::uint16_t port_ = 0;
};

// A loopback port that accepts no connection and refuses none: a listener with a backlog of
// one, never accepting, filled until a connect gets no answer. Connects then hang until their
// own timeout, as against a firewall that drops packets.
class SilentPort {
  public:
    SilentPort() : listener_(listen_loopback(0)) {
        if (listener_ == kNoSocket) return;
        for (int i = 0; i < 64; ++i) {
            auto [s, connected] = try_connect(port_of(listener_), std::chrono::milliseconds(300));
            if (s == kNoSocket) return;
            fillers_.push_back(s);
            if (!connected) {
                port_ = port_of(listener_);
                return;
            }
        }
    }
    ~SilentPort() {
        for (Socket s : fillers_) close_socket(s);
        if (listener_ != kNoSocket) close_socket(listener_);
    }
    SilentPort(const SilentPort&) = delete;
    SilentPort& operator=(const SilentPort&) = delete;

    // 0 when the backlog could not be filled (the test then says so).
    [[nodiscard]] std::uint16_t port() const { return port_; }

  private:
    Socket listener_ = kNoSocket;
    std::vector<Socket> fillers_;
    std::uint16_t port_ = 0;
};

}  // namespace pipescope::test
