// The Samba fixture itself: smbd answers on its loopback port while it runs, and stop() leaves
// nothing listening there and no RPC daemon of ours behind.
#include <gtest/gtest.h>

#include <filesystem>

#include "support/samba_fixture.hpp"

#ifndef _WIN32
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#endif

namespace pipescope::test {
namespace {

#ifndef _WIN32
bool port_accepts(std::uint16_t port) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    ::close(fd);
    return ok;
}
#endif

TEST(SambaFixture, ServesOnItsPortUntilStopped) {
    if (auto why = SambaServer::unavailable_reason()) GTEST_SKIP() << *why;
#ifndef _WIN32
    SambaServer server;
    std::string error;
    ASSERT_TRUE(server.start({}, &error)) << error;
    ASSERT_NE(server.port(), 0);
    EXPECT_TRUE(port_accepts(server.port()));
    EXPECT_TRUE(std::filesystem::exists(server.password_file()));
    const std::string dir = server.dir();
    const auto port = server.port();
    server.stop();
    EXPECT_FALSE(port_accepts(port));
    EXPECT_FALSE(std::filesystem::exists(dir));
#endif
}

}  // namespace
}  // namespace pipescope::test
