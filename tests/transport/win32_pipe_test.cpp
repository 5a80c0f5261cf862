// Win32-only behaviour of the named-pipe transport: busy instances, several instances listening
// at once, security (DACL), the client's options and the impersonation level it grants. Under
// Linux these skip, saying why.
#include <chrono>
#include <future>
#include <regex>
#include <atomic>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "pipescope/platform.hpp"
#include "pipescope/result.hpp"
#include "pipescope/transport.hpp"
#include "pipescope/unique_handle.hpp"
#include "support/test_names.hpp"

#ifdef _WIN32
#include <windows.h>
#include <aclapi.h>
#include <sddl.h>
#endif

using namespace pipescope::core;
using namespace std::chrono_literals;

namespace {

#ifdef _WIN32
Endpoint pipe_endpoint(const std::string& tag, int max_instances,
                       IoModel io = IoModel::Overlapped) {
    Endpoint ep;
    ep.kind = TransportKind::Win32Pipe;
    ep.io = io;
    ep.name = pipescope::test::unique_pipe_name(tag);
    ep.server.max_instances = max_instances;
    return ep;
}

std::wstring wide(const std::string& s) {
    return std::wstring(s.begin(), s.end());
}

// The DACL of a pipe as SDDL, read through a client handle opened with READ_CONTROL.
std::string read_dacl(const std::string& pipe_path) {
    HANDLE h =
        ::CreateFileW(wide(pipe_path).c_str(), READ_CONTROL, 0, nullptr, OPEN_EXISTING, 0, nullptr);
    if (h == INVALID_HANDLE_VALUE) return "open failed " + std::to_string(::GetLastError());
    PSECURITY_DESCRIPTOR sd = nullptr;
    DWORD rc = ::GetSecurityInfo(h, SE_KERNEL_OBJECT, DACL_SECURITY_INFORMATION, nullptr, nullptr,
                                 nullptr, nullptr, &sd);
    ::CloseHandle(h);
    if (rc != ERROR_SUCCESS) return "GetSecurityInfo failed " + std::to_string(rc);
    LPWSTR text = nullptr;
    std::string out;
    if (::ConvertSecurityDescriptorToStringSecurityDescriptorW(
            sd, SDDL_REVISION_1, DACL_SECURITY_INFORMATION, &text, nullptr)) {
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
    auto second =
        std::async(std::launch::async, [&] { return connect((*l)->client_endpoint(), 10000ms); });
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
    EXPECT_EQ(user_sid.rfind("S-1-5-", 0), 0u)
        << "the third trustee should be the user's SID: " << got;
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
    // Checked by parse_sddl before Windows sees it: the message names where the mistake is
    // (the end of the text, where the ';' after the ACE type should be).
    EXPECT_NE(l.error().message.find("at offset 19: expected ';'"), std::string::npos)
        << l.error().to_string();
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

#ifdef _WIN32
std::span<const std::byte> text_bytes(const std::string& s) {
    return std::as_bytes(std::span(s.data(), s.size()));
}

// Connects `n` clients from `n` threads released at the same instant; each result in order.
std::vector<Result<std::unique_ptr<Channel>>> connect_at_once(const Endpoint& ep, int n) {
    std::atomic<int> ready{0};
    std::atomic<bool> go{false};
    std::vector<std::future<Result<std::unique_ptr<Channel>>>> futures;
    for (int i = 0; i < n; ++i) {
        futures.push_back(std::async(std::launch::async, [&] {
            ready.fetch_add(1);
            while (!go.load()) std::this_thread::yield();
            return connect(ep, 2000ms);
        }));
    }
    for (int spins = 0; ready.load() < n && spins < 5000; ++spins) std::this_thread::sleep_for(1ms);
    go.store(true);
    std::vector<Result<std::unique_ptr<Channel>>> out;
    for (auto& f : futures) out.push_back(f.get());
    return out;
}

// Each client says its index; some accepted server channel must hear each one exactly once.
void expect_every_client_heard(Listener& l,
                               std::vector<Result<std::unique_ptr<Channel>>>& clients) {
    std::set<std::string> heard, said;
    for (std::size_t i = 0; i < clients.size(); ++i) {
        const std::string msg = "client " + std::to_string(i);
        said.insert(msg);
        ASSERT_TRUE((*clients[i])->write_all(text_bytes(msg), 2000ms).ok());
    }
    for (std::size_t i = 0; i < clients.size(); ++i) {
        auto s = l.accept(2000ms);
        ASSERT_TRUE(s.ok()) << "accept " << i << ": " << s.error().to_string();
        std::vector<std::byte> buf(64);
        auto r = (*s)->read(buf, 2000ms);
        ASSERT_TRUE(r.ok()) << r.error().to_string();
        heard.insert(std::string(reinterpret_cast<const char*>(buf.data()), r->bytes));
    }
    EXPECT_EQ(heard, said);
}
#endif

class Win32Listening : public ::testing::TestWithParam<IoModel> {};

TEST_P(Win32Listening, NClientsConnectAtOnceWithoutRetry) {
#ifndef _WIN32
    GTEST_SKIP() << "listening instances exist only for Win32 named pipes (a socket has a backlog)";
#else
    constexpr int kClients = 4;
    Endpoint ep = pipe_endpoint("nlisten", 255, GetParam());
    ep.server.listening_instances = kClients;
    ep.client.retry_busy = false;  // a busy pipe would fail at once with ERROR_PIPE_BUSY
    auto l = listen(ep);
    ASSERT_TRUE(l.ok()) << l.error().to_string();
    // Nobody is in accept(): the instances were put to listen by listen() itself.
    auto clients = connect_at_once((*l)->client_endpoint(), kClients);
    for (std::size_t i = 0; i < clients.size(); ++i) {
        ASSERT_TRUE(clients[i].ok()) << "client " << i << ": " << clients[i].error().to_string();
    }
    expect_every_client_heard(**l, clients);
    // The set was topped up after the hand-outs: as many clients can come at once again.
    auto more = connect_at_once((*l)->client_endpoint(), kClients);
    for (std::size_t i = 0; i < more.size(); ++i) {
        ASSERT_TRUE(more[i].ok()) << "second round, client " << i << ": "
                                  << more[i].error().to_string();
    }
    expect_every_client_heard(**l, more);
#endif
}

TEST_P(Win32Listening, MaxInstancesBoundsTheListeningSet) {
#ifndef _WIN32
    GTEST_SKIP() << "instances and ERROR_PIPE_BUSY exist only for Win32 named pipes";
#else
    Endpoint ep = pipe_endpoint("maxlisten", 2, GetParam());
    ep.server.listening_instances = 2;
    ep.client.retry_busy = false;
    auto l = listen(ep);
    ASSERT_TRUE(l.ok()) << l.error().to_string();
    auto clients = connect_at_once((*l)->client_endpoint(), 2);
    for (std::size_t i = 0; i < clients.size(); ++i) {
        ASSERT_TRUE(clients[i].ok()) << "client " << i << ": " << clients[i].error().to_string();
    }
    // Both instances are taken and max_instances forbids a third one.
    auto third = connect((*l)->client_endpoint(), 500ms);
    ASSERT_FALSE(third.ok());
    EXPECT_EQ(third.error().code, ErrorCode::Busy) << third.error().to_string();
    EXPECT_NE(third.error().to_string().find("ERROR_PIPE_BUSY (231)"), std::string::npos)
        << third.error().to_string();
    // Accepting them does not make room either...
    auto s1 = (*l)->accept(2000ms);
    auto s2 = (*l)->accept(2000ms);
    ASSERT_TRUE(s1.ok() && s2.ok());
    auto still = connect((*l)->client_endpoint(), 500ms);
    ASSERT_FALSE(still.ok());
    EXPECT_EQ(still.error().code, ErrorCode::Busy) << still.error().to_string();
    // ...ending a conversation does: the listener puts a fresh instance to listen.
    (*clients[0])->close();
    (*s1)->close();
    Endpoint retry = (*l)->client_endpoint();
    retry.client.retry_busy = true;
    auto late = std::async(std::launch::async, [&] { return connect(retry, 5000ms); });
    auto s3 = (*l)->accept(5000ms);
    ASSERT_TRUE(s3.ok()) << s3.error().to_string();
    auto c3 = late.get();
    ASSERT_TRUE(c3.ok()) << c3.error().to_string();
    ASSERT_TRUE((*c3)->write_all(text_bytes("late"), 2000ms).ok());
    std::vector<std::byte> got;
    ASSERT_TRUE((*s3)->read_message(got, 2000ms).ok());
    EXPECT_EQ(got.size(), 4u);
#endif
}

TEST_P(Win32Listening, AcceptTimesOutAndCancelsWithSeveralListening) {
#ifndef _WIN32
    GTEST_SKIP() << "listening instances exist only for Win32 named pipes";
#else
    Endpoint ep = pipe_endpoint("lcancel", 255, GetParam());
    ep.server.listening_instances = 3;
    auto l = listen(ep);
    ASSERT_TRUE(l.ok()) << l.error().to_string();
    auto start = std::chrono::steady_clock::now();
    auto r = (*l)->accept(100ms);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::Timeout) << r.error().to_string();
    EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
    // A client that comes after a timed-out accept is still taken by the next one.
    auto c = connect((*l)->client_endpoint(), 2000ms);
    ASSERT_TRUE(c.ok()) << c.error().to_string();
    auto s = (*l)->accept(2000ms);
    ASSERT_TRUE(s.ok()) << s.error().to_string();
    auto acc = std::async(std::launch::async, [&] { return (*l)->accept(10000ms); });
    std::this_thread::sleep_for(50ms);
    (*l)->cancel();
    ASSERT_EQ(acc.wait_for(5s), std::future_status::ready) << "cancel did not wake accept";
    auto cancelled = acc.get();
    ASSERT_FALSE(cancelled.ok());
    EXPECT_EQ(cancelled.error().code, ErrorCode::Cancelled) << cancelled.error().to_string();
#endif
}

// A client that connects, writes and leaves before the server's next accept() is still a
// conversation, and what it wrote is read, not thrown away (a diagnostic tool must not lose the
// short-lived clients it is often pointed at).
TEST_P(Win32Listening, AClientThatCameAndWentBeforeAcceptIsStillHeard) {
#ifndef _WIN32
    GTEST_SKIP() << "listening instances exist only for Win32 named pipes";
#else
    Endpoint ep = pipe_endpoint("cameandwent", 255, GetParam());
    auto l = listen(ep);
    ASSERT_TRUE(l.ok()) << l.error().to_string();
    {
        auto c = connect((*l)->client_endpoint(), 2000ms);
        ASSERT_TRUE(c.ok()) << c.error().to_string();
        ASSERT_TRUE((*c)->write_all(text_bytes("quick"), 2000ms).ok());
        (*c)->close();
    }
    auto s = (*l)->accept(2000ms);
    ASSERT_TRUE(s.ok()) << "the client that came and went was not handed out: "
                        << s.error().to_string();
    std::vector<std::byte> buf(64);
    auto r = (*s)->read(buf, 2000ms);
    ASSERT_TRUE(r.ok()) << "its bytes were lost: " << r.error().to_string();
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(buf.data()), r->bytes), "quick");
    auto end = (*s)->read(buf, 2000ms);
    EXPECT_TRUE(end.ok() ? end->eof : end.error().code == ErrorCode::BrokenPipe)
        << (end.ok() ? "more data" : end.error().to_string());
#endif
}

INSTANTIATE_TEST_SUITE_P(IoModels, Win32Listening,
                         ::testing::Values(IoModel::Sync, IoModel::Overlapped, IoModel::Iocp),
                         [](const ::testing::TestParamInfo<IoModel>& p) {
                             return std::string(to_string(p.param));
                         });

TEST(Win32Listening, DefaultIsFourBoundedByMaxInstances) {
    ServerConfig c;
    EXPECT_EQ(effective_listening_instances(c), 4);
    c.max_instances = 2;
    EXPECT_EQ(effective_listening_instances(c), 2);
    c.listening_instances = 8;
    EXPECT_EQ(effective_listening_instances(c), 2);
    c.max_instances = 255;
    EXPECT_EQ(effective_listening_instances(c), 8);
    c.listening_instances = 1000;
    EXPECT_EQ(effective_listening_instances(c), kMaxListeningInstances);
}

#ifdef _WIN32
// What a raw Win32 server sees after ImpersonateNamedPipeClient on a client we connected.
struct ImpersonationSeen {
    std::string failure;         // a step that failed, with its error
    DWORD open_token_error = 0;  // OpenThreadToken's error, when it failed
    std::optional<SECURITY_IMPERSONATION_LEVEL> level;
    bool reverted = false;
};

ImpersonationSeen failed(std::string what) {
    ImpersonationSeen seen;
    seen.failure = std::move(what);
    return seen;
}

ImpersonationSeen impersonation_seen_by_server(ImpersonationLevel requested) {
    ImpersonationSeen seen;
    const PipeName name = pipescope::test::unique_pipe_name("imp");
    const std::wstring path = wide(name.win32_path());
    pipescope::core::UniqueHandle server(::CreateNamedPipeW(
        path.c_str(), PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE | PIPE_READMODE_BYTE | PIPE_WAIT, 1, 4096,
        4096, 0, nullptr));
    if (!server) return failed("CreateNamedPipeW " + std::to_string(::GetLastError()));
    Endpoint ep;
    ep.kind = TransportKind::Win32Pipe;
    ep.io = IoModel::Overlapped;
    ep.name = name;
    ep.client.impersonation = requested;
    auto client = connect(ep, 2000ms);
    if (!client) return failed("connect: " + client.error().to_string());
    // The instance was listening: the client is already connected.
    if (!::ConnectNamedPipe(server.get(), nullptr) && ::GetLastError() != ERROR_PIPE_CONNECTED) {
        return failed("ConnectNamedPipe " + std::to_string(::GetLastError()));
    }
    // A server may impersonate only after it has read something from the client.
    if (!(*client)->write_all(text_bytes("x"), 2000ms).ok()) return failed("client write failed");
    DWORD avail = 0;
    for (int i = 0; i < 2000 && avail == 0; ++i) {
        if (!::PeekNamedPipe(server.get(), nullptr, 0, nullptr, &avail, nullptr)) break;
        if (avail == 0) ::Sleep(1);
    }
    char c = 0;
    DWORD got = 0;
    if (avail == 0 || !::ReadFile(server.get(), &c, 1, &got, nullptr) || got != 1) {
        return failed("server read failed");
    }
    // Impersonate on a thread of its own, so the test thread never carries the client's token.
    std::thread([&] {
        if (!::ImpersonateNamedPipeClient(server.get())) {
            seen.failure = "ImpersonateNamedPipeClient " + std::to_string(::GetLastError());
            return;
        }
        HANDLE token = nullptr;
        if (::OpenThreadToken(::GetCurrentThread(), TOKEN_QUERY, TRUE, &token)) {
            pipescope::core::UniqueHandle owned(token);
            SECURITY_IMPERSONATION_LEVEL level{};
            DWORD len = 0;
            if (::GetTokenInformation(token, TokenImpersonationLevel, &level, sizeof level, &len)) {
                seen.level = level;
            } else {
                seen.failure = "GetTokenInformation " + std::to_string(::GetLastError());
            }
        } else {
            seen.open_token_error = ::GetLastError();
        }
        seen.reverted = ::RevertToSelf() != FALSE;
    }).join();
    return seen;
}
#endif

TEST(Win32Impersonation, ServerSeesIdentificationByDefault) {
#ifndef _WIN32
    GTEST_SKIP() << "impersonation levels belong to Win32 named pipes; AF_UNIX has no counterpart";
#else
    ASSERT_EQ(ClientConfig{}.impersonation, ImpersonationLevel::Identification);
    auto seen = impersonation_seen_by_server(ClientConfig{}.impersonation);
    ASSERT_TRUE(seen.failure.empty()) << seen.failure;
    ASSERT_EQ(seen.open_token_error, 0u) << "OpenThreadToken failed";
    ASSERT_TRUE(seen.level.has_value());
    EXPECT_TRUE(seen.reverted) << "RevertToSelf failed";
    if (is_wine() && *seen.level == SecurityImpersonation) {
        GTEST_SKIP() << "Wine 8 ignores the client's SECURITY_SQOS level: the server's token is "
                        "always SecurityImpersonation (measured), so Identification cannot be read "
                        "back; impersonating, opening the token and reverting were checked";
    }
    EXPECT_EQ(*seen.level, SecurityIdentification);
#endif
}

TEST(Win32Impersonation, ServerSeesImpersonationWhenAsked) {
#ifndef _WIN32
    GTEST_SKIP() << "impersonation levels belong to Win32 named pipes; AF_UNIX has no counterpart";
#else
    auto seen = impersonation_seen_by_server(ImpersonationLevel::Impersonation);
    ASSERT_TRUE(seen.failure.empty()) << seen.failure;
    ASSERT_EQ(seen.open_token_error, 0u) << "OpenThreadToken failed";
    ASSERT_TRUE(seen.level.has_value());
    EXPECT_EQ(*seen.level, SecurityImpersonation);
    EXPECT_TRUE(seen.reverted) << "RevertToSelf failed";
#endif
}

TEST(Win32Impersonation, ServerSeesAnonymousWhenAsked) {
#ifndef _WIN32
    GTEST_SKIP() << "impersonation levels belong to Win32 named pipes; AF_UNIX has no counterpart";
#else
    auto seen = impersonation_seen_by_server(ImpersonationLevel::Anonymous);
    ASSERT_TRUE(seen.failure.empty()) << seen.failure;
    // Windows refuses to open an anonymous-level token (ERROR_CANT_OPEN_ANONYMOUS), which is
    // itself the proof; a token that does open must say SecurityAnonymous.
    EXPECT_TRUE(seen.reverted) << "RevertToSelf failed";
    if (seen.open_token_error != 0) {
        EXPECT_EQ(seen.open_token_error, static_cast<DWORD>(ERROR_CANT_OPEN_ANONYMOUS));
    } else {
        ASSERT_TRUE(seen.level.has_value());
        if (is_wine() && *seen.level == SecurityImpersonation) {
            GTEST_SKIP()
                << "Wine 8 ignores the client's SECURITY_SQOS level: the server's token "
                   "is always SecurityImpersonation (measured), so Anonymous cannot be "
                   "read back; impersonating, opening the token and reverting were checked";
        }
        EXPECT_EQ(*seen.level, SecurityAnonymous);
    }
#endif
}

}  // namespace
