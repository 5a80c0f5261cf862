// Sockets and FIFOs made by POSIX tests, with unique names (PID + counter) and cleanup.
#pragma once

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <string>

#include "pipescope/unique_handle.hpp"

namespace pipescope::test {

inline std::string unique_suffix() {
    static std::atomic<int> counter{0};
    return std::to_string(::getpid()) + "-" + std::to_string(++counter);
}

// A temporary folder removed (with its files) at the end of the test.
struct TempDir {
    std::string path;
    TempDir() {
        char tmpl[] = "/tmp/pscat-XXXXXX";
        char* p = ::mkdtemp(tmpl);
        path = p ? p : "/tmp";
    }
    ~TempDir() {
        std::string cmd = "rm -rf '" + path + "'";
        if (path != "/tmp") (void)std::system(cmd.c_str());
    }
    [[nodiscard]] std::string file(const std::string& name) const { return path + "/" + name; }
};

inline socklen_t make_addr(const std::string& name, sockaddr_un& addr) {
    addr = {};
    addr.sun_family = AF_UNIX;
    if (!name.empty() && name[0] == '@') {
        std::memcpy(addr.sun_path + 1, name.data() + 1, name.size() - 1);
        return static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name.size());
    }
    std::memcpy(addr.sun_path, name.data(), name.size());
    return static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name.size() + 1);
}

// A listening socket (non-blocking), or an invalid fd on failure.
inline core::UniqueFd listen_on(const std::string& name, int type, int backlog = 16) {
    core::UniqueFd fd{::socket(AF_UNIX, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)};
    sockaddr_un addr;
    socklen_t len = make_addr(name, addr);
    if (!fd || ::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
        ::listen(fd.get(), backlog) != 0)
        return {};
    return fd;
}

inline core::UniqueFd connect_to(const std::string& name, int type) {
    core::UniqueFd fd{::socket(AF_UNIX, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)};
    sockaddr_un addr;
    socklen_t len = make_addr(name, addr);
    if (!fd || ::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), len) != 0) return {};
    return fd;
}

}  // namespace pipescope::test
