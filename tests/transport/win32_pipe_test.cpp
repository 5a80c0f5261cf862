// Win32-only behaviour of the named-pipe transport: busy instances, security (DACL) and the
// client's options. Under Linux these skip, saying why.
#include <chrono>
#include <future>
#include <regex>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "pipescope/platform.hpp"
#include "pipescope/transport.hpp"
#include "transport/test_names.hpp"

#ifdef _WIN32
#include <windows.h>
#include <aclapi.h>
#include <sddl.h>
#endif

using namespace pipescope::core;
using namespace std::chrono_literals;

namespace {

#ifdef _WIN32
Endpoint pipe_endpoint(const std::string& tag, int max_instances, IoModel io = IoModel::Overlapped) {
    Endpoint ep;
    ep.kind = TransportKind::Win32Pipe;
    ep.io = io;
    ep.name = pipescope::test::unique_pipe_name(tag);
    ep.server.max_instances = max_instances;
    return ep;
}

std::wstring wide(const std::string& s) { return std::wstring(s.begin(), s.end()); }

// The DACL of a pipe as SDDL, read through a client handle opened with READ_CONTROL.
std::string read_dacl(const std::string& pipe_path) {
    HANDLE h = ::CreateFileW(wide(pipe_path).c_str(), READ_CONTROL, 0, nullptr, OPEN_EXISTING,
                             0, nullptr);
    if (h == INVALID_HANDLE_VALUE) return "open failed " + std::to_string(::GetLastError());
    PSECURITY_DESCRIPTOR sd = nullptr;
    DWORD rc = ::GetSecurityInfo(h, SE_KERNEL_OBJECT, DACL_SECURITY_INFORMATION, nullptr,
                                 nullptr, nullptr, nullptr, &sd);
    ::CloseHandle(h);
    if (rc != ERROR_SUCCESS) return "GetSecurityInfo failed " + std::to_string(rc);
    LPWSTR text = nullptr;
    std::string out;
    if (::ConvertSecurityDescriptorToStringSecurityDescriptorW(sd, SDDL_REVISION_1,
                                                               DACL_SECURITY_INFORMATION, &text,
                                                               nullptr)) {
        for (const wchar_t* p = text; *p; ++p) out.push_back(static_cast<char>(*p));
        ::LocalFree(text);
    }
    ::LocalFree(sd);
    return out;
}

std::set<std::string> trustees(const std::string& sddl) {
    std::set<std::string> out;
    static const std::regex ace(R"(\(A;[^;]*;[^;]*;[^;]*;[^;]*;([^)]*)\))");
    for (auto it = std::sregex_iterator(sddl.begin(), sddl.end(), ace);
         it != std::sregex_iterator(); ++it) {
        out.insert((*it)[1].str());
    }
    return out;
}
#endif

TEST(Win32Pipe, BusyPipeIsRetriedUntilAnInstanceFrees) {
#ifndef _WIN32
    GTEST_SKIP() << "instances and ERROR_PIPE_BUSY exist only for Win32 named pipes";
#else
    auto l = listen(pipe_endpoint("busy", 1));
    ASSERT_TRUE(l.ok()) << l.error().to_string();
    auto acc = std::async(std::launch::async, [&] { return (*l)->accept(5000ms); });
    auto first = connect((*l)->client_endpoint(), 5000ms);
    ASSERT_TRUE(first.ok()) << first.error().to_string();
    auto server1 = acc.get();
    ASSERT_TRUE(server1.ok()) << server1.error().to_string();

    // The only instance is taken: a second client waits (WaitNamedPipe + retry)...
    auto second = std::async(std::launch::async,
                             [&] { return connect((*l)->client_endpoint(), 10000ms); });
    EXPECT_EQ(second.wait_for(300ms), std::future_status::timeout)
        << "the second client should still be waiting for a free instance";
    // ...until the first conversation ends and the server accepts again.
    (*first)->close();
    (*server1)->close();
    (*server1).reset();
    auto server2 = (*l)->accept(5000ms);
    if (!server2.ok() && second.wait_for(0s) == std::future_status::ready) {
        auto early = second.get();
        FAIL() << "the second client gave up: "
               << (early ? std::string("connected") : early.error().to_string());
    }
    ASSERT_TRUE(server2.ok()) << server2.error().to_string();
    ASSERT_EQ(second.wait_for(10s), std::future_status::ready);
    auto c2 = second.get();
    ASSERT_TRUE(c2.ok()) << c2.error().to_string();
    const char hello[] = "hi";
    ASSERT_TRUE((*c2)->write_all(std::as_bytes(std::span(hello, 2)), 2000ms).ok());
    std::vector<std::byte> got;
    auto r = (*server2)->read_message(got, 2000ms);
    ASSERT_TRUE(r.ok()) << r.error().to_string();
    EXPECT_EQ(got.size(), 2u);
#endif
}

TEST(Win32Pipe, BusyPipeTimesOutWhenNoInstanceFrees) {
#ifndef _WIN32
    GTEST_SKIP() << "instances and ERROR_PIPE_BUSY exist only for Win32 named pipes";
#else
    auto l = listen(pipe_endpoint("busyto", 1));
    ASSERT_TRUE(l.ok()) << l.error().to_string();
    auto acc = std::async(std::launch::async, [&] { return (*l)->accept(5000ms); });
    auto first = connect((*l)->client_endpoint(), 5000ms);
    ASSERT_TRUE(first.ok()) << first.error().to_string();
    auto server1 = acc.get();
    ASSERT_TRUE(server1.ok());
    auto start = std::chrono::steady_clock::now();
    auto second = connect((*l)->client_endpoint(), 300ms);
    ASSERT_FALSE(second.ok());
    EXPECT_EQ(second.error().code, ErrorCode::Timeout) << second.error().to_string();
    EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
    // Without retry, busy is reported at once as ERROR_PIPE_BUSY.
    Endpoint no_retry = (*l)->client_endpoint();
    no_retry.client.retry_busy = false;
    auto third = connect(no_retry, 300ms);
    ASSERT_FALSE(third.ok());
    EXPECT_EQ(third.error().code, ErrorCode::Busy);
    EXPECT_NE(third.error().to_string().find("ERROR_PIPE_BUSY (231)"), std::string::npos);
#endif
}

TEST(Win32Pipe, DaclReadBackEqualsTheRequestedOne) {
#ifndef _WIN32
    GTEST_SKIP() << "named-pipe DACLs exist only on Windows";
#else
    const std::string requested = "D:P(A;;FA;;;SY)(A;;FA;;;BA)(A;;FA;;;WD)";
    Endpoint ep = pipe_endpoint("dacl", 4);
    ep.server.sddl = requested;
    auto l = listen(ep);
    ASSERT_TRUE(l.ok()) << l.error().to_string();
    EXPECT_EQ(read_dacl(ep.name.win32_path()), requested);
#endif
}

TEST(Win32Pipe, DefaultDaclHoldsOnlyUserSystemAndAdministrators) {
#ifndef _WIN32
    GTEST_SKIP() << "named-pipe DACLs exist only on Windows";
#else
    auto sddl = default_pipe_sddl();
    ASSERT_TRUE(sddl.ok()) << sddl.error().to_string();
    auto user = trustees(*sddl);
    Endpoint ep = pipe_endpoint("ddacl", 4);
    auto l = listen(ep);
    ASSERT_TRUE(l.ok()) << l.error().to_string();
    std::string got = read_dacl(ep.name.win32_path());
    auto t = trustees(got);
    ASSERT_EQ(t.size(), 3u) << got;
    EXPECT_TRUE(t.count("SY")) << got;
    EXPECT_TRUE(t.count("BA")) << got;
    std::string user_sid;
    for (const auto& s : t) {
        if (s != "SY" && s != "BA") user_sid = s;
    }
    EXPECT_EQ(user_sid.rfind("S-1-5-", 0), 0u) << "the third trustee should be the user's SID: " << got;
    EXPECT_EQ(t, user);
    EXPECT_EQ(got, *sddl);
#endif
}

TEST(Win32Pipe, BadSddlIsAClearError) {
#ifndef _WIN32
    GTEST_SKIP() << "SDDL applies only to Win32 named pipes";
#else
    Endpoint ep = pipe_endpoint("badsddl", 4);
    ep.server.sddl = "D:(this is not sddl";
    auto l = listen(ep);
    ASSERT_FALSE(l.ok());
    EXPECT_NE(l.error().message.find("not valid"), std::string::npos) << l.error().to_string();
#endif
}

TEST(Win32Pipe, DenyingDaclRefusesTheClient) {
#ifndef _WIN32
    GTEST_SKIP() << "named-pipe DACLs exist only on Windows";
#else
    if (is_wine()) GTEST_SKIP() << "Wine 8 does not enforce DACLs on named pipes (WINE.md)";
    Endpoint ep = pipe_endpoint("deny", 4);
    ep.server.sddl = "D:P(D;;FA;;;WD)";
    auto l = listen(ep);
    ASSERT_TRUE(l.ok()) << l.error().to_string();
    auto c = connect(ep, 500ms);
    ASSERT_FALSE(c.ok());
    EXPECT_EQ(c.error().code, ErrorCode::AccessDenied);
#endif
}

TEST(Win32Pipe, ClientAcceptsTheHostForm) {
#ifndef _WIN32
    GTEST_SKIP() << "\\\\host\\pipe\\ names address Win32 pipes only";
#else
    Endpoint ep = pipe_endpoint("host", 4);
    auto l = listen(ep);
    ASSERT_TRUE(l.ok()) << l.error().to_string();
    Endpoint client = ep;
    auto name = PipeName::parse("\\\\.\\pipe\\" + ep.name.name());
    ASSERT_TRUE(name.ok());
    client.name = *name;
    auto acc = std::async(std::launch::async, [&] { return (*l)->accept(5000ms); });
    auto c = connect(client, 5000ms);
    ASSERT_TRUE(c.ok()) << c.error().to_string();
    ASSERT_TRUE(acc.get().ok());
#endif
}

}  // namespace
