// The exporter's port check on POSIX: bind a TCP socket, then close it.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "metrics/metrics_internal.hpp"
#include "pipescope/unique_handle.hpp"

namespace pipescope::core::detail {

BindOutcome try_bind(const ListenAddress& address) {
    BindOutcome out;
    auto fail = [&](int err, const char* api) {
        out.os_kind = OsCodeKind::Errno;
        out.os_code = err;
        out.api = api;
        out.os_name = std::string(errno_name(err));
        out.problem = err == EADDRINUSE                 ? BindProblem::InUse
                      : err == EADDRNOTAVAIL            ? BindProblem::NotLocal
                      : (err == EACCES || err == EPERM) ? BindProblem::Denied
                                                        : BindProblem::Other;
        return out;
    };
    UniqueFd fd(::socket(address.ipv6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd) return fail(errno, "socket");
    const int one = 1;
    (void)::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    int rc = 0;
    if (address.ipv6) {
        sockaddr_in6 sa{};
        sa.sin6_family = AF_INET6;
        sa.sin6_port = htons(address.port);
        if (::inet_pton(AF_INET6, address.host.c_str(), &sa.sin6_addr) != 1)
            return fail(EINVAL, "inet_pton");
        (void)::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
        rc = ::bind(fd.get(), reinterpret_cast<const sockaddr*>(&sa), sizeof sa);
    } else {
        sockaddr_in sa{};
        sa.sin_family = AF_INET;
        sa.sin_port = htons(address.port);
        if (::inet_pton(AF_INET, address.host.c_str(), &sa.sin_addr) != 1)
            return fail(EINVAL, "inet_pton");
        rc = ::bind(fd.get(), reinterpret_cast<const sockaddr*>(&sa), sizeof sa);
    }
    if (rc != 0) return fail(errno, "bind");
    // Listen as the server will: two sockets with SO_REUSEADDR may both bind while neither
    // listens; listen() is where the second is refused.
    if (::listen(fd.get(), 1) != 0) return fail(errno, "listen");
    return out;
}

}  // namespace pipescope::core::detail
