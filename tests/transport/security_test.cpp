// Security defaults enforced by the OS, and errors from real failing calls.
//
// POSIX (enforced natively): a socket or FIFO is created owner-only (0600) from the moment it
// exists, whatever the umask; a live server's name is never taken over (a second server is
// refused with AlreadyExists naming the path and what to do); a stale socket or FIFO left by a
// dead server is replaced by one with our owner and mode; a file that is not ours to replace is
// left alone.
// Win32: a second server on a live name is refused (FILE_FLAG_FIRST_PIPE_INSTANCE). Wine 8 does
// not enforce that flag or DACLs: there the flags we pass are checked (pipe_security_test) and
// only the enforcement step is skipped.
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <future>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "pipescope/pipe_security.hpp"
#include "pipescope/platform.hpp"
#include "pipescope/transport.hpp"
#include "support/test_names.hpp"

#ifndef _WIN32
#include <fcntl.h>
#include <poll.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#endif

using namespace pipescope::core;
using namespace std::chrono_literals;

namespace {

// Checks what every error from a real call must carry: the API, the subject (the pipe), the OS
// code by name, and a next step.
void expect_named(const Error& e, const std::string& subject_part) {
    const std::string text = e.to_string();
    SCOPED_TRACE(text);
    EXPECT_FALSE(e.api.empty());
    EXPECT_NE(e.subject.find(subject_part), std::string::npos) << "subject: " << e.subject;
    EXPECT_NE(e.os_kind, OsCodeKind::None);
    EXPECT_FALSE(e.os_code_text().empty());
    EXPECT_NE(text.find(e.os_code_text()), std::string::npos);
    const auto next = text.find("Next: ");
    ASSERT_NE(next, std::string::npos);
    EXPECT_GT(text.size(), next + 10);
}

// One round trip over a fresh connection, proving the listener still serves (and that its
// first client is the real one: a refused second server must not leave a phantom client).
void expect_serves(Listener& l) {
    auto accepted = std::async(std::launch::async, [&l] { return l.accept(3000ms); });
    auto c = connect(l.client_endpoint(), 3000ms);
    auto s = accepted.get();
    ASSERT_TRUE(c.ok()) << c.error().to_string();
    ASSERT_TRUE(s.ok()) << s.error().to_string();
    const std::byte ping[3] = {std::byte{'p'}, std::byte{'i'}, std::byte{'n'}};
    ASSERT_TRUE((*c)->write_all(ping, 2000ms).ok());
    std::byte buf[8];
    auto r = (*s)->read(buf, 2000ms);
    ASSERT_TRUE(r.ok()) << r.error().to_string();
    EXPECT_EQ(r->bytes, 3u);
}

#ifndef _WIN32

// A private folder for socket paths, removed with what is left in it.
struct TempDir {
    std::string path;
    TempDir() {
        char tmpl[] = "/tmp/pssec-XXXXXX";
        if (::mkdtemp(tmpl)) path = tmpl;
    }
    ~TempDir() {
        if (path.empty()) return;
        std::string cmd = "rm -rf '" + path + "'";
        if (std::system(cmd.c_str()) != 0) {
        }
    }
};

// Sets the umask for one scope (the test process runs one test at a time).
struct ScopedUmask {
    mode_t old;
    explicit ScopedUmask(mode_t m) : old(::umask(m)) {}
    ~ScopedUmask() { ::umask(old); }
};

Endpoint path_endpoint(TransportKind kind, const std::string& path) {
    Endpoint ep;
    ep.kind = kind;
    ep.name = PipeName::parse(path).value();
    return ep;
}

mode_t mode_of(const std::string& path) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) return 07777;
    return st.st_mode & 07777;
}

class PosixSecurity : public ::testing::TestWithParam<TransportKind> {};

std::string kind_name(const ::testing::TestParamInfo<TransportKind>& i) {
    return std::string(to_string(i.param));
}

// With umask 0, bind/mkfifo alone would create the file world-accessible; a chmod afterwards
// would leave a window. inotify sees every attribute change: the file must be created with
// its final mode and never changed (no IN_ATTRIB).
TEST_P(PosixSecurity, NameIsOwnerOnlyFromTheMomentItExists) {
    TempDir dir;
    ASSERT_FALSE(dir.path.empty());
    const std::string path = dir.path + "/s";
    const int in = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    ASSERT_GE(in, 0);
    ASSERT_GE(::inotify_add_watch(in, dir.path.c_str(), IN_CREATE | IN_ATTRIB), 0);
    std::unique_ptr<Listener> l;
    {
        ScopedUmask um(0);
        auto r = listen(path_endpoint(GetParam(), path));
        ASSERT_TRUE(r.ok()) << r.error().to_string();
        l = std::move(r).value();
    }
    EXPECT_EQ(mode_of(path), 0600u);
    bool created = false, attrib = false;
    alignas(inotify_event) char buf[4096];
    for (;;) {
        const ssize_t n = ::read(in, buf, sizeof buf);
        if (n <= 0) break;
        for (char* p = buf; p < buf + n;) {
            auto* ev = reinterpret_cast<inotify_event*>(p);
            if (ev->len && std::strcmp(ev->name, "s") == 0) {
                if (ev->mask & IN_CREATE) created = true;
                if (ev->mask & IN_ATTRIB) attrib = true;
            }
            p += sizeof(inotify_event) + ev->len;
        }
    }
    ::close(in);
    EXPECT_TRUE(created);
    EXPECT_FALSE(attrib) << "the mode was changed after the file existed: a window where it "
                            "had the umask's mode";
}

TEST_P(PosixSecurity, ChosenModeIsExactWhateverTheUmask) {
    TempDir dir;
    const std::string path = dir.path + "/s";
    Endpoint ep = path_endpoint(GetParam(), path);
    ep.server.socket_mode = 0660;
    ScopedUmask um(077);  // would strip the group bits
    auto l = listen(ep);
    ASSERT_TRUE(l.ok()) << l.error().to_string();
    EXPECT_EQ(mode_of(path), 0660u);
}

TEST_P(PosixSecurity, SecondServerOnALiveNameIsRefused) {
    TempDir dir;
    const std::string path = dir.path + "/s";
    const Endpoint ep = path_endpoint(GetParam(), path);
    auto first = listen(ep);
    ASSERT_TRUE(first.ok()) << first.error().to_string();
    struct stat before {};
    ASSERT_EQ(::lstat(path.c_str(), &before), 0);
    auto second = listen(ep);
    ASSERT_FALSE(second.ok()) << "a second server took over a live name";
    EXPECT_EQ(second.error().code, ErrorCode::AlreadyExists);
    expect_named(second.error(), path);
    EXPECT_NE(second.error().message.find("already listening"), std::string::npos)
        << second.error().to_string();
    // The first server's file is untouched and it still serves.
    struct stat after {};
    ASSERT_EQ(::lstat(path.c_str(), &after), 0);
    EXPECT_EQ(before.st_ino, after.st_ino);
    expect_serves(**first);
}

// A dead server leaves its socket or FIFO behind; a new server replaces it with its own file
// (its owner and mode), instead of failing or reusing a file someone else may have made.
TEST_P(PosixSecurity, StaleNameIsReplacedWithOursAndServes) {
    TempDir dir;
    const std::string path = dir.path + "/s";
    {
        ScopedUmask um(0);
        if (GetParam() == TransportKind::Fifo) {
            ASSERT_EQ(::mkfifo(path.c_str(), 0666), 0);
        } else {
            // Bound, never listening, then closed: the file stays, nobody answers.
            const int fd = ::socket(
                AF_UNIX, GetParam() == TransportKind::UnixSeqpacket ? SOCK_SEQPACKET : SOCK_STREAM,
                0);
            sockaddr_un a{};
            a.sun_family = AF_UNIX;
            std::strncpy(a.sun_path, path.c_str(), sizeof a.sun_path - 1);
            ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
            ::close(fd);
        }
    }
    ASSERT_EQ(mode_of(path) & 0066, 0066u) << "the stale file should start world-accessible";
    const Endpoint ep = path_endpoint(GetParam(), path);
    auto l = listen(ep);
    ASSERT_TRUE(l.ok()) << l.error().to_string();
    EXPECT_EQ(mode_of(path), 0600u);
    expect_serves(**l);
}

TEST_P(PosixSecurity, AFileThatIsNotOursIsLeftAlone) {
    TempDir dir;
    const std::string path = dir.path + "/s";
    { std::ofstream(path) << "precious"; }
    auto l = listen(path_endpoint(GetParam(), path));
    ASSERT_FALSE(l.ok()) << "listen replaced a regular file";
    EXPECT_EQ(l.error().code, ErrorCode::AlreadyExists);
    expect_named(l.error(), path);
    std::ifstream in(path);
    std::string content;
    in >> content;
    EXPECT_EQ(content, "precious");
}

// connect on a name whose mode does not let us in: EACCES, named. As root the file mode does
// not apply (CAP_DAC_OVERRIDE), so the attempt runs in a child that drops to "nobody".
TEST_P(PosixSecurity, DeniedConnectNamesTheApiAndThePath) {
    TempDir dir;
    ASSERT_EQ(::chmod(dir.path.c_str(), 0755), 0);
    const std::string path = dir.path + "/s";
    Endpoint ep = path_endpoint(GetParam(), path);
    ep.server.socket_mode = 0600;
    auto l = listen(ep);
    ASSERT_TRUE(l.ok()) << l.error().to_string();
    if (::geteuid() != 0) {
        ASSERT_EQ(::chmod(path.c_str(), 0), 0);  // not even the owner may connect now
        auto c = connect(ep, 500ms);
        ASSERT_FALSE(c.ok());
        EXPECT_EQ(c.error().code, ErrorCode::AccessDenied) << c.error().to_string();
        expect_named(c.error(), path);
        return;
    }
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        ::close(fds[0]);
        if (::setgid(65534) != 0 || ::setuid(65534) != 0) ::_exit(3);
        auto c = connect(ep, 500ms);
        std::string out = c.ok() ? std::string("connected")
                                 : std::to_string(static_cast<int>(c.error().code)) + "\n" +
                                       c.error().api + "\n" + c.error().subject + "\n" +
                                       c.error().to_string();
        if (::write(fds[1], out.data(), out.size()) < 0) ::_exit(4);
        ::_exit(0);
    }
    ::close(fds[1]);
    std::string got;
    char buf[1024];
    for (;;) {
        pollfd p{fds[0], POLLIN, 0};
        if (::poll(&p, 1, 5000) <= 0) break;
        const ssize_t n = ::read(fds[0], buf, sizeof buf);
        if (n <= 0) break;
        got.append(buf, static_cast<std::size_t>(n));
    }
    ::close(fds[0]);
    int status = 0;
    ::waitpid(pid, &status, 0);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "child status " << status;
    ASSERT_NE(got, "connected") << "another user connected to an owner-only " << path;
    EXPECT_EQ(got.substr(0, got.find('\n')),
              std::to_string(static_cast<int>(ErrorCode::AccessDenied)))
        << got;
    EXPECT_NE(got.find(path), std::string::npos) << got;
    EXPECT_NE(got.find("EACCES (13)"), std::string::npos) << got;
    EXPECT_NE(got.find("Next: "), std::string::npos) << got;
}

INSTANTIATE_TEST_SUITE_P(Kinds, PosixSecurity,
                         ::testing::Values(TransportKind::UnixStream, TransportKind::UnixSeqpacket,
                                           TransportKind::Fifo),
                         kind_name);

#endif  // !_WIN32

}  // namespace

// A missing name: every kind fails with the API, the name and a next step.
TEST(TransportErrors, ConnectToAMissingNameNamesTheApiAndThePipe) {
    for (TransportKind kind : available_transports()) {
        if (kind == TransportKind::Tcp) continue;  // no names
        SCOPED_TRACE(std::string(to_string(kind)));
        Endpoint ep;
        ep.kind = kind;
        ep.name = pipescope::test::unique_pipe_name("missing");
        auto c = connect(ep, 200ms);
        ASSERT_FALSE(c.ok());
        EXPECT_EQ(c.error().code, ErrorCode::NotFound) << c.error().to_string();
        expect_named(c.error(), "pstest-missing");
        EXPECT_NE(c.error().to_string().find("missing"), std::string::npos);
    }
}

TEST(Win32Security, SecondServerOnALiveNameIsRefused) {
#ifndef _WIN32
    GTEST_SKIP() << "FILE_FLAG_FIRST_PIPE_INSTANCE belongs to Win32 pipes; the POSIX "
                    "counterpart is PosixSecurity.SecondServerOnALiveNameIsRefused";
#else
    Endpoint ep;
    ep.kind = TransportKind::Win32Pipe;
    ep.io = IoModel::Overlapped;
    ep.name = pipescope::test::unique_pipe_name("first");
    // What is asked for: the listener's first instance carries the flag (the backend passes
    // exactly win32_server_flags).
    ASSERT_TRUE(ep.server.first_instance);
    ASSERT_NE(win32_server_flags(ep.server, ep.io, true).open_mode &
                  win32flags::kFileFlagFirstPipeInstance,
              0u);
    auto first = listen(ep);
    ASSERT_TRUE(first.ok()) << first.error().to_string();
    auto second = listen(ep);
    if (is_wine() && second.ok()) {
        GTEST_SKIP() << "Wine 8 does not enforce FILE_FLAG_FIRST_PIPE_INSTANCE (WINE.md): the "
                        "second CreateNamedPipeW succeeded; the flag we pass is checked in "
                        "PipeSecurity.DefaultServerAsksForFirstInstanceAndRejectsRemoteClients";
    }
    ASSERT_FALSE(second.ok()) << "a second server joined a live pipe name";
    EXPECT_EQ(second.error().code, ErrorCode::AlreadyExists) << second.error().to_string();
    expect_named(second.error(), ep.name.win32_path());
    EXPECT_NE(second.error().message.find("another server"), std::string::npos);
    expect_serves(**first);
#endif
}

TEST(Win32Security, DeniedConnectNamesTheApiAndThePipe) {
#ifndef _WIN32
    GTEST_SKIP() << "DACLs belong to Win32 pipes; the POSIX counterpart is "
                    "PosixSecurity.DeniedConnectNamesTheApiAndThePath";
#else
    Endpoint ep;
    ep.kind = TransportKind::Win32Pipe;
    ep.io = IoModel::Overlapped;
    ep.name = pipescope::test::unique_pipe_name("deny");
    ep.server.sddl = "D:P(D;;FA;;;WD)";
    auto l = listen(ep);
    ASSERT_TRUE(l.ok()) << l.error().to_string();
    auto c = connect(ep, 500ms);
    if (is_wine() && c.ok()) {
        GTEST_SKIP() << "Wine 8 does not enforce DACLs on named pipes (WINE.md): the denied "
                        "client connected";
    }
    ASSERT_FALSE(c.ok());
    EXPECT_EQ(c.error().code, ErrorCode::AccessDenied);
    expect_named(c.error(), ep.name.win32_path());
    EXPECT_EQ(c.error().api, "CreateFileW");
#endif
}
