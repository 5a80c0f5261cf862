// The Linux inspector against sockets and FIFOs made here: every field, missing, busy,
// timeout, cancel, a FIFO with no writer, and that it never reads a FIFO's data.
#include <poll.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>

#include <thread>

#include <gtest/gtest.h>

#include "pipescope/inspect.hpp"
#include "support/posix_fixtures.hpp"

using namespace pipescope::core;
using namespace pipescope::test;
using namespace std::chrono_literals;

namespace {

PipeName name_of(const std::string& s) {
    auto n = PipeName::parse(s);
    EXPECT_TRUE(n.ok()) << s;
    return n.value();
}

std::string self_exe() {
    char buf[4096];
    ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
    return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : "";
}

TEST(InspectPosix, StreamSocketFieldsMatchWhatWasCreated) {
    TempDir dir;
    std::string path = dir.file("srv.sock");
    auto l = listen_on(path, SOCK_STREAM);
    ASSERT_TRUE(l);
    ASSERT_EQ(::chmod(path.c_str(), 0640), 0);
    PipeDetails d = inspect_pipe(name_of(path), {});
    ASSERT_EQ(d.state, InspectState::Ok) << (d.error ? d.error->to_string() : "");
    EXPECT_FALSE(d.error.has_value());
    EXPECT_TRUE(d.connected);
    EXPECT_EQ(d.kind, "unix stream");
    EXPECT_EQ(d.socket_type.value, "stream");
    EXPECT_EQ(d.socket_type.source, "SO_TYPE");
    EXPECT_EQ(d.type.value, "byte");
    EXPECT_EQ(d.end.value, "client");
    EXPECT_EQ(d.server_pid.value, static_cast<std::uint32_t>(::getpid()));
    EXPECT_TRUE(d.server_pid.connected);
    EXPECT_EQ(d.server_pid.source, "SO_PEERCRED");
    EXPECT_EQ(d.server_uid.value, ::getuid());
    EXPECT_EQ(d.server_gid.value, ::getgid());
    EXPECT_EQ(d.server_image.value, self_exe());
    EXPECT_EQ(d.mode.value, 0640u);
    EXPECT_FALSE(d.mode.connected) << "stat does not connect";
    ASSERT_TRUE(d.owner.ok());
    EXPECT_NE(d.owner.value->find("(" + std::to_string(::getuid()) + ")"), std::string::npos)
        << *d.owner.value;
    int snd = 0;
    socklen_t sl = sizeof snd;
    UniqueFd probe{::socket(AF_UNIX, SOCK_STREAM, 0)};
    ::getsockopt(probe.get(), SOL_SOCKET, SO_SNDBUF, &snd, &sl);
    EXPECT_EQ(d.send_buffer.value, snd) << "a fresh socket's SO_SNDBUF";
    EXPECT_GT(d.recv_buffer.value.value_or(0), 0);
    EXPECT_EQ(d.sddl.state, FieldState::Unsupported) << "Windows-only fields say so";
    EXPECT_EQ(d.capacity.state, FieldState::Unsupported);
}

TEST(InspectPosix, AbstractSeqpacketIsMessageTyped) {
    std::string name = "@pscat-insp-" + unique_suffix();
    auto l = listen_on(name, SOCK_SEQPACKET);
    ASSERT_TRUE(l);
    PipeDetails d = inspect_pipe(name_of(name), {});
    ASSERT_EQ(d.state, InspectState::Ok) << (d.error ? d.error->to_string() : "");
    EXPECT_EQ(d.kind, "unix seqpacket");
    EXPECT_EQ(d.socket_type.value, "seqpacket");
    EXPECT_EQ(d.type.value, "message");
    EXPECT_EQ(d.owner.state, FieldState::Unsupported) << "an abstract socket has no file";
    EXPECT_EQ(d.server_pid.value, static_cast<std::uint32_t>(::getpid()));
}

TEST(InspectPosix, MissingReportsNotFound) {
    TempDir dir;
    PipeDetails d = inspect_pipe(name_of(dir.file("nothing.sock")), {});
    EXPECT_EQ(d.state, InspectState::NotFound);
    ASSERT_TRUE(d.error.has_value());
    EXPECT_EQ(d.error->os_code, ENOENT);
    EXPECT_NE(d.error->to_string().find("ENOENT"), std::string::npos);
    EXPECT_EQ(d.server_pid.state, FieldState::NotFound);
    EXPECT_FALSE(d.connected);
}

TEST(InspectPosix, StaleSocketIsRefused) {
    TempDir dir;
    std::string path = dir.file("stale.sock");
    {
        auto l = listen_on(path, SOCK_STREAM);
        ASSERT_TRUE(l);
    }
    PipeDetails d = inspect_pipe(name_of(path), {});
    EXPECT_EQ(d.state, InspectState::Error);
    ASSERT_TRUE(d.error.has_value());
    EXPECT_EQ(d.error->code, ErrorCode::ConnectionRefused);
    EXPECT_TRUE(d.mode.ok()) << "what did not need the connection is still shown";
}

// A listener with backlog 0 that never accepts: one pending connection fills it.
struct FullBacklog {
    std::string name = "@pscat-busy-" + unique_suffix();
    UniqueFd listener = listen_on(name, SOCK_STREAM, 0);
    std::vector<UniqueFd> pending;
    bool fill() {
        for (int i = 0; i < 8; ++i) {
            auto c = connect_to(name, SOCK_STREAM);
            if (!c) return errno == EAGAIN;
            pending.push_back(std::move(c));
        }
        return false;
    }
};

TEST(InspectPosix, BusyWithoutWaitTimeoutWithABound) {
    FullBacklog srv;
    ASSERT_TRUE(srv.listener);
    ASSERT_TRUE(srv.fill());
    InspectOptions now;
    now.timeout = 0ms;
    PipeDetails busy = inspect_pipe(name_of(srv.name), now);
    EXPECT_EQ(busy.state, InspectState::Busy) << (busy.error ? busy.error->to_string() : "");
    EXPECT_EQ(busy.server_pid.state, FieldState::Busy);

    InspectOptions bounded;
    bounded.timeout = 300ms;
    auto t0 = std::chrono::steady_clock::now();
    PipeDetails timed = inspect_pipe(name_of(srv.name), bounded);
    auto took = std::chrono::steady_clock::now() - t0;
    EXPECT_EQ(timed.state, InspectState::TimedOut) << (timed.error ? timed.error->to_string() : "");
    EXPECT_GE(took, 250ms);
    EXPECT_LT(took, 3s) << "the bound holds";
}

TEST(InspectPosix, CancelStopsAWaitingProbe) {
    FullBacklog srv;
    ASSERT_TRUE(srv.listener);
    ASSERT_TRUE(srv.fill());
    InspectOptions opt;
    opt.timeout = 20s;
    auto t0 = std::chrono::steady_clock::now();
    InspectTask task = inspect_async(name_of(srv.name), opt);
    EXPECT_FALSE(task.wait_for(50ms));
    task.cancel();
    ASSERT_TRUE(task.wait_for(3s));
    PipeDetails d = task.get();
    EXPECT_EQ(d.state, InspectState::Cancelled);
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
}

TEST(InspectPosix, FifoWithNoWriterDoesNotBlock) {
    TempDir dir;
    std::string path = dir.file("lonely.fifo");
    ASSERT_EQ(::mkfifo(path.c_str(), 0600), 0);
    ASSERT_EQ(::chmod(path.c_str(), 0620), 0);
    InspectOptions opt;
    opt.timeout = 200ms;
    InspectTask task = inspect_async(name_of(path), opt);
    ASSERT_TRUE(task.wait_for(3s)) << "opening a FIFO with no writer blocked";
    PipeDetails d = task.get();
    ASSERT_EQ(d.state, InspectState::Ok) << (d.error ? d.error->to_string() : "");
    EXPECT_EQ(d.kind, "fifo");
    EXPECT_EQ(d.mode.value, 0620u);
    EXPECT_GT(d.capacity.value.value_or(0), 0);
    EXPECT_EQ(d.bytes_queued.value, 0);
    EXPECT_EQ(d.server_pid.state, FieldState::Unsupported);
}

TEST(InspectPosix, FifoBytesQueuedAreCountedNotRead) {
    TempDir dir;
    std::string path = dir.file("data.fifo");
    ASSERT_EQ(::mkfifo(path.c_str(), 0600), 0);
    UniqueFd reader{::open(path.c_str(), O_RDONLY | O_NONBLOCK)};
    UniqueFd writer{::open(path.c_str(), O_WRONLY | O_NONBLOCK)};
    ASSERT_TRUE(reader && writer);
    ASSERT_EQ(::fcntl(writer.get(), F_SETPIPE_SZ, 65536 * 2), 65536 * 2);
    ASSERT_EQ(::write(writer.get(), "hello", 5), 5);
    PipeDetails d = inspect_pipe(name_of(path), {});
    ASSERT_EQ(d.state, InspectState::Ok);
    EXPECT_EQ(d.bytes_queued.value, 5);
    EXPECT_EQ(d.bytes_queued.source, "FIONREAD");
    EXPECT_EQ(d.capacity.value, 65536 * 2);
    char buf[16];
    EXPECT_EQ(::read(reader.get(), buf, sizeof buf), 5) << "the probe left the data in place";
}

TEST(InspectPosix, OwnerUidAndGidComeFromStat) {
    TempDir dir;
    std::string path = dir.file("owned.sock");
    auto l = listen_on(path, SOCK_STREAM);
    ASSERT_TRUE(l);
    // As root, give the file another owner so the values cannot be the process's own.
    if (::geteuid() == 0) {
        ASSERT_EQ(::chown(path.c_str(), 65534, 12345), 0);
    }
    struct stat st {};
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    PipeDetails d = inspect_pipe(name_of(path), {});
    ASSERT_TRUE(d.owner_uid.ok());
    ASSERT_TRUE(d.owner_gid.ok());
    EXPECT_EQ(*d.owner_uid.value, st.st_uid);
    EXPECT_EQ(*d.owner_gid.value, st.st_gid);
    EXPECT_EQ(d.owner_uid.source, "stat");
    EXPECT_FALSE(d.owner_uid.connected);
    EXPECT_EQ(d.security_descriptor.state, FieldState::Unsupported);

    std::string abs = "@pscat-owner-" + unique_suffix();
    auto la = listen_on(abs, SOCK_STREAM);
    ASSERT_TRUE(la);
    PipeDetails a = inspect_pipe(name_of(abs), {});
    EXPECT_EQ(a.owner_uid.state, FieldState::Unsupported);
    EXPECT_EQ(a.owner_gid.state, FieldState::Unsupported);
    EXPECT_FALSE(a.owner_uid.note.empty()) << "says why";
}

TEST(InspectPosix, LeastAccessProbeNeverOpensAFifo) {
    TempDir dir;
    std::string path = dir.file("audited.fifo");
    ASSERT_EQ(::mkfifo(path.c_str(), 0600), 0);
    ASSERT_EQ(::chmod(path.c_str(), 0622), 0);
    UniqueFd in{::inotify_init1(IN_NONBLOCK | IN_CLOEXEC)};
    ASSERT_TRUE(in);
    ASSERT_GE(::inotify_add_watch(in.get(), path.c_str(), IN_OPEN), 0);
    auto opens = [&] {
        int n = 0;
        alignas(inotify_event) char buf[4096];
        for (;;) {
            ssize_t got = ::read(in.get(), buf, sizeof buf);
            if (got <= 0) break;
            for (char* p = buf; p < buf + got;) {
                auto* ev = reinterpret_cast<inotify_event*>(p);
                if (ev->mask & IN_OPEN) ++n;
                p += sizeof(inotify_event) + ev->len;
            }
        }
        return n;
    };
    InspectOptions least;
    least.least_access_only = true;
    PipeDetails d = inspect_pipe(name_of(path), least);
    ASSERT_EQ(d.state, InspectState::Ok) << (d.error ? d.error->to_string() : "");
    EXPECT_FALSE(d.connected);
    EXPECT_EQ(d.mode.value, 0622u);
    EXPECT_TRUE(d.owner_uid.ok());
    EXPECT_FALSE(d.capacity.ok());
    EXPECT_EQ(opens(), 0) << "the least-access probe opened the FIFO";
    // The ordinary probe does open it (so the watch above can see an open).
    PipeDetails full = inspect_pipe(name_of(path), {});
    ASSERT_EQ(full.state, InspectState::Ok);
    EXPECT_TRUE(full.capacity.ok());
    EXPECT_GE(opens(), 1);
}

}  // namespace
