// The exporter over real HTTP on loopback (natively, and the Windows build under Wine), with a
// fake catalog lister so the content is known.
#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#ifdef _WIN32
#include <winsock2.h>
#include <ws2tcpip.h>
#else
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#endif

#include "pipescope/metrics.hpp"

using namespace pipescope::core;

namespace {

#ifdef _WIN32
struct Winsock {
    Winsock() {
        WSADATA d{};
        ::WSAStartup(MAKEWORD(2, 2), &d);
    }
    ~Winsock() { ::WSACleanup(); }
};
using Sock = SOCKET;
constexpr Sock kNoSock = INVALID_SOCKET;
void close_sock(Sock s) {
    ::closesocket(s);
}
#else
struct Winsock {
    Winsock() {}  // nothing to start outside Windows
};
using Sock = int;
constexpr Sock kNoSock = -1;
void close_sock(Sock s) {
    ::close(s);
}
#endif

// GET http://127.0.0.1:port/path with HTTP/1.0; the whole response, or "" on failure. Every
// receive is bounded (5 s).
std::string http_get(std::uint16_t port, const std::string& path) {
    Winsock wsa;
    Sock s = ::socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    if (s == kNoSock) return "";
#ifdef _WIN32
    DWORD tv = 5000;
#else
    timeval tv{5, 0};
#endif
    ::setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, reinterpret_cast<const char*>(&tv), sizeof tv);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    ::inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    std::string out;
    if (::connect(s, reinterpret_cast<const sockaddr*>(&sa), sizeof sa) == 0) {
        const std::string req = "GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
        if (::send(s, req.data(), static_cast<int>(req.size()), 0) ==
            static_cast<int>(req.size())) {
            char buf[4096];
            for (;;) {
                const auto n = ::recv(s, buf, sizeof buf, 0);
                if (n <= 0) break;
                out.append(buf, static_cast<std::size_t>(n));
            }
        }
    }
    close_sock(s);
    return out;
}

PipeEntry named(std::string name, std::int64_t cur) {
    PipeEntry e;
    e.name = std::move(name);
    e.current_instances = cur;
    e.max_instances = 4;
    return e;
}

// Waits up to 10 s for the exporter to finish `n` refreshes.
bool wait_refreshes(const MetricsExporter& x, std::uint64_t n) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (x.refreshes() < n) {
        if (std::chrono::steady_clock::now() > until) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return true;
}

TEST(MetricsExporter, ServesTheCatalogAtMetricsAndCountsChanges) {
    std::atomic<int> calls{0};
    auto lister = [&calls]() -> Result<Snapshot> {
        Snapshot s;
        s.entries.push_back(named("svc \"main\"", 1));
        if (calls++ > 0) s.entries.push_back(named("late", 4));
        normalize(s);
        return s;
    };
    ExporterOptions o;
    o.listen = *parse_listen_address("127.0.0.1:0");
    o.interval = std::chrono::milliseconds(50);
    auto x = MetricsExporter::start(o, {}, lister);
    ASSERT_TRUE(x.ok()) << x.error().to_string();
    ASSERT_NE((*x)->port(), 0);
    EXPECT_EQ((*x)->url(), "http://127.0.0.1:" + std::to_string((*x)->port()) + "/metrics");
    ASSERT_TRUE(wait_refreshes(**x, 3)) << "the catalog watcher did not refresh";

    const std::string r = http_get((*x)->port(), "/metrics");
    ASSERT_NE(r.find("200 OK"), std::string::npos) << r.substr(0, 200);
    EXPECT_NE(
        r.find("pipescope_pipe_current_instances{kind=\"named_pipe\",name=\"svc \\\"main\\\"\"} 1"),
        std::string::npos)
        << r;
    EXPECT_NE(r.find("pipescope_pipe_full{kind=\"named_pipe\",name=\"late\"} 1"), std::string::npos)
        << r;
    EXPECT_NE(r.find("pipescope_pipes_added_total 1"), std::string::npos)
        << "the second listing added one pipe\n"
        << r;
    EXPECT_NE(r.find("pipescope_pipes_removed_total 0"), std::string::npos) << r;
}

TEST(MetricsExporter, ListingErrorsAreCountedAndTheServerStaysUp) {
    auto lister = []() -> Result<Snapshot> {
        return make_error(ErrorCode::AccessDenied, "list_pipes", "", "test");
    };
    ExporterOptions o;
    o.listen = *parse_listen_address("127.0.0.1:0");
    o.interval = std::chrono::milliseconds(50);
    auto x = MetricsExporter::start(o, {}, lister);
    ASSERT_TRUE(x.ok()) << x.error().to_string();
    ASSERT_TRUE(wait_refreshes(**x, 2));
    const std::string r = http_get((*x)->port(), "/metrics");
    ASSERT_NE(r.find("200 OK"), std::string::npos) << r.substr(0, 200);
    EXPECT_NE(r.find("pipescope_list_errors_total{source=\"list\"} "), std::string::npos) << r;
    EXPECT_EQ(r.find("pipescope_list_errors_total{source=\"list\"} 0"), std::string::npos) << r;
}

TEST(MetricsExporter, RefusesAZeroInterval) {
    ExporterOptions o;
    o.listen = *parse_listen_address("127.0.0.1:0");
    o.interval = std::chrono::milliseconds(0);
    auto x = MetricsExporter::start(o, {}, [] { return Result<Snapshot>(Snapshot{}); });
    ASSERT_FALSE(x.ok());
    EXPECT_NE(x.error().to_string().find("--interval"), std::string::npos);
}

}  // namespace
