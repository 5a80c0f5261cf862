// The exporter's port check on Windows: bind a TCP socket, then close it.
#include <winsock2.h>
#include <ws2tcpip.h>

#include "metrics/metrics_internal.hpp"

namespace pipescope::core::detail {
namespace {

const char* wsa_name(int err) {
    switch (err) {
        case WSAEADDRINUSE:
            return "WSAEADDRINUSE";
        case WSAEADDRNOTAVAIL:
            return "WSAEADDRNOTAVAIL";
        case WSAEACCES:
            return "WSAEACCES";
        case WSAEAFNOSUPPORT:
            return "WSAEAFNOSUPPORT";
        case WSAEINVAL:
            return "WSAEINVAL";
        default:
            return "";
    }
}

// WSAStartup/WSACleanup around the check.
struct WinsockScope {
    int error = 0;
    WinsockScope() {
        WSADATA data{};
        error = ::WSAStartup(MAKEWORD(2, 2), &data);
    }
    ~WinsockScope() {
        if (error == 0) ::WSACleanup();
    }
    WinsockScope(const WinsockScope&) = delete;
    WinsockScope& operator=(const WinsockScope&) = delete;
};

// A socket closed on every path.
struct SocketCloser {
    SOCKET s = INVALID_SOCKET;
    ~SocketCloser() {
        if (s != INVALID_SOCKET) ::closesocket(s);
    }
};

}  // namespace

BindOutcome try_bind(const ListenAddress& address) {
    BindOutcome out;
    auto fail = [&](int err, const char* api) {
        out.os_kind = OsCodeKind::Win32;
        out.os_code = err;
        out.api = api;
        out.os_name = wsa_name(err);
        out.problem = err == WSAEADDRINUSE      ? BindProblem::InUse
                      : err == WSAEADDRNOTAVAIL ? BindProblem::NotLocal
                      : err == WSAEACCES        ? BindProblem::Denied
                                                : BindProblem::Other;
        return out;
    };
    WinsockScope wsa;
    if (wsa.error != 0) return fail(wsa.error, "WSAStartup");
    SocketCloser sock;
    sock.s = ::socket(address.ipv6 ? AF_INET6 : AF_INET, SOCK_STREAM, IPPROTO_TCP);
    if (sock.s == INVALID_SOCKET) return fail(::WSAGetLastError(), "socket");
    // As civetweb does on Windows: no other socket may share the port while we hold it.
    BOOL one = TRUE;
    (void)::setsockopt(sock.s, SOL_SOCKET, SO_EXCLUSIVEADDRUSE, reinterpret_cast<const char*>(&one),
                       sizeof one);
    int rc = 0;
    if (address.ipv6) {
        sockaddr_in6 sa{};
        sa.sin6_family = AF_INET6;
        sa.sin6_port = htons(address.port);
        if (::inet_pton(AF_INET6, address.host.c_str(), &sa.sin6_addr) != 1)
            return fail(WSAEINVAL, "inet_pton");
        rc = ::bind(sock.s, reinterpret_cast<const sockaddr*>(&sa), sizeof sa);
    } else {
        sockaddr_in sa{};
        sa.sin_family = AF_INET;
        sa.sin_port = htons(address.port);
        if (::inet_pton(AF_INET, address.host.c_str(), &sa.sin_addr) != 1)
            return fail(WSAEINVAL, "inet_pton");
        rc = ::bind(sock.s, reinterpret_cast<const sockaddr*>(&sa), sizeof sa);
    }
    if (rc != 0) return fail(::WSAGetLastError(), "bind");
    if (::listen(sock.s, 1) != 0) return fail(::WSAGetLastError(), "listen");
    return out;
}

}  // namespace pipescope::core::detail
