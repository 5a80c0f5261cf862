// The Linux catalog against real sockets and FIFOs: kinds, owning PIDs (this process and a
// child), connection counts, folders, vanishing after close, and proof that listing never
// connects.
#include <poll.h>
#include <sys/wait.h>

#include <thread>

#include <gtest/gtest.h>

#include "pipescope/catalog.hpp"
#include "support/posix_fixtures.hpp"
#include "support/child_process.hpp"

using namespace pipescope::core;
using namespace pipescope::test;
using namespace std::chrono_literals;

namespace {

Snapshot list_or_fail(const CatalogOptions& opt = {}) {
    auto r = list_pipes(opt);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().to_string());
    return r.ok() ? std::move(r).value() : Snapshot{};
}

bool holds(const std::vector<ProcessRef>& v, std::uint32_t pid) {
    for (const auto& p : v)
        if (p.pid == pid) return true;
    return false;
}

const auto kSelf = static_cast<std::uint32_t>(::getpid());

TEST(CatalogPosix, SocketsAndFifosAppearWithKindAndOwnerThenVanish) {
    TempDir dir;
    std::string sfx = unique_suffix();
    std::string stream_path = dir.file("s.sock"), seq_path = dir.file("q.sock"),
                fifo_path = dir.file("f.fifo");
    std::string abs_stream = "@pscat-s-" + sfx, abs_seq = "@pscat-q-" + sfx;
    auto s1 = listen_on(stream_path, SOCK_STREAM);
    auto s2 = listen_on(seq_path, SOCK_SEQPACKET);
    auto s3 = listen_on(abs_stream, SOCK_STREAM);
    auto s4 = listen_on(abs_seq, SOCK_SEQPACKET);
    ASSERT_TRUE(s1 && s2 && s3 && s4);
    ASSERT_EQ(::mkfifo(fifo_path.c_str(), 0600), 0);
    UniqueFd reader{::open(fifo_path.c_str(), O_RDONLY | O_NONBLOCK)};
    UniqueFd writer{::open(fifo_path.c_str(), O_WRONLY | O_NONBLOCK)};
    ASSERT_TRUE(reader && writer);

    Snapshot snap = list_or_fail();
    struct Want {
        PipeKind kind;
        std::string name;
    };
    for (const auto& w :
         {Want{PipeKind::UnixStream, stream_path}, Want{PipeKind::UnixSeqpacket, seq_path},
          Want{PipeKind::UnixStream, abs_stream}, Want{PipeKind::UnixSeqpacket, abs_seq}}) {
        PipeEntry probe;
        probe.kind = w.kind;
        probe.name = w.name;
        const PipeEntry* e = snap.find(probe.key());
        ASSERT_NE(e, nullptr) << probe.key();
        EXPECT_EQ(e->socket_state, SocketState::Listening) << probe.key();
        EXPECT_TRUE(holds(e->server_pids, kSelf)) << probe.key();
        EXPECT_TRUE(e->has_source(CatalogSource::ProcNetUnix));
        EXPECT_TRUE(e->has_source(CatalogSource::ProcFd));
    }
    const PipeEntry* f = snap.find("fifo:" + fifo_path);
    ASSERT_NE(f, nullptr);
    EXPECT_TRUE(holds(f->server_pids, kSelf)) << "the reader is the server end";
    EXPECT_TRUE(holds(f->client_pids, kSelf)) << "the writer is the client end";
    EXPECT_EQ(f->current_instances, 2);
    ASSERT_FALSE(f->server_pids.empty());
    EXPECT_FALSE(f->server_pids[0].name.empty()) << "the process name comes with the PID";

    s1.reset();
    s2.reset();
    s3.reset();
    s4.reset();
    reader.reset();
    writer.reset();
    Snapshot after = list_or_fail();
    EXPECT_EQ(after.find("unix_stream:" + stream_path), nullptr);
    EXPECT_EQ(after.find("unix_seqpacket:" + seq_path), nullptr);
    EXPECT_EQ(after.find("unix_stream:" + abs_stream), nullptr);
    EXPECT_EQ(after.find("unix_seqpacket:" + abs_seq), nullptr);
    EXPECT_EQ(after.find("fifo:" + fifo_path), nullptr);
    auto d = diff(snap, after);
    EXPECT_GE(d.removed.size(), 5u);
}

TEST(CatalogPosix, AChildProcessIsTheServerOfItsSocketAndFifo) {
    TempDir dir;
    std::string sock = dir.file("child.sock");
    std::string fifo = dir.file("child.fifo");
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    ChildProcess a, b;
    std::string err;
    ASSERT_TRUE(
        a.start(pipescope::test::built_program(PIPE_HOLDER_PATH), {"stream", sock, "20000"}, &err))
        << err;
    ASSERT_TRUE(
        b.start(pipescope::test::built_program(PIPE_HOLDER_PATH), {"fifo", fifo, "20000"}, &err))
        << err;
    auto ra = a.read_line(5s), rb = b.read_line(5s);
    ASSERT_TRUE(ra && rb);
    EXPECT_EQ(*ra, "ready " + std::to_string(a.pid()));

    Snapshot snap = list_or_fail();
    const PipeEntry* s = snap.find("unix_stream:" + sock);
    ASSERT_NE(s, nullptr);
    EXPECT_TRUE(holds(s->server_pids, a.pid()));
    EXPECT_FALSE(holds(s->server_pids, kSelf));
    EXPECT_EQ(s->server_pids.at(0).name, "pipe_holder");
    const PipeEntry* f = snap.find("fifo:" + fifo);
    ASSERT_NE(f, nullptr);
    EXPECT_TRUE(holds(f->server_pids, b.pid()));

    a.close_stdin();
    b.close_stdin();
    ASSERT_EQ(a.wait(5s), 0);
    ASSERT_EQ(b.wait(5s), 0);
    Snapshot after = list_or_fail();
    EXPECT_EQ(after.find("unix_stream:" + sock), nullptr);
    EXPECT_EQ(after.find("fifo:" + fifo), nullptr);
}

TEST(CatalogPosix, CountsConnectionsAtTheListener) {
    std::string name = "@pscat-conn-" + unique_suffix();
    auto l = listen_on(name, SOCK_STREAM);
    ASSERT_TRUE(l);
    auto c1 = connect_to(name, SOCK_STREAM), c2 = connect_to(name, SOCK_STREAM);
    ASSERT_TRUE(c1 && c2);
    UniqueFd a1{::accept4(l.get(), nullptr, nullptr, SOCK_CLOEXEC)},
        a2{::accept4(l.get(), nullptr, nullptr, SOCK_CLOEXEC)};
    ASSERT_TRUE(a1 && a2);
    Snapshot snap = list_or_fail();
    const PipeEntry* e = snap.find("unix_stream:" + name);
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(e->connections, 2u);
    EXPECT_EQ(e->current_instances, 3);
    a2.reset();
    c2.reset();
    Snapshot after = list_or_fail();
    const PipeEntry* e2 = after.find("unix_stream:" + name);
    ASSERT_NE(e2, nullptr);
    EXPECT_EQ(e2->connections, 1u);
    auto d = diff(snap, after);
    bool changed = false;
    for (const auto& c : d.changed) changed |= c.after.name == name;
    EXPECT_TRUE(changed) << "a connection closing is a change";
}

TEST(CatalogPosix, AListenerAForkedChildInheritedIsOneServer) {
    TempDir dir;
    std::string path = dir.file("shared.sock");
    auto l = listen_on(path, SOCK_STREAM);
    ASSERT_TRUE(l);
    int gate[2];
    ASSERT_EQ(::pipe2(gate, O_CLOEXEC), 0);
    pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {  // holds the inherited listener until the parent closes the gate
        ::close(gate[1]);
        char c;
        while (::read(gate[0], &c, 1) > 0) {
        }
        ::_exit(0);
    }
    ::close(gate[0]);
    Snapshot snap = list_or_fail();
    ::close(gate[1]);
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    const PipeEntry* e = snap.find("unix_stream:" + path);
    ASSERT_NE(e, nullptr);
    EXPECT_TRUE(holds(e->server_pids, kSelf));
    EXPECT_TRUE(holds(e->server_pids, static_cast<std::uint32_t>(child)));
    EXPECT_EQ(e->server_processes, 1u) << "one socket, two holders";
}

TEST(CatalogPosix, TwoListenersBoundAtOnePathAreTwoServers) {
    TempDir dir;
    std::string path = dir.file("twice.sock");
    auto first = listen_on(path, SOCK_STREAM);
    ASSERT_TRUE(first);
    Snapshot one = list_or_fail();
    const PipeEntry* e1 = one.find("unix_stream:" + path);
    ASSERT_NE(e1, nullptr);
    EXPECT_EQ(e1->server_processes, 1u);
    // Take the name over: unlink the file and bind again (what a squatter does).
    ASSERT_EQ(::unlink(path.c_str()), 0);
    auto second = listen_on(path, SOCK_STREAM);
    ASSERT_TRUE(second);
    Snapshot two = list_or_fail();
    const PipeEntry* e2 = two.find("unix_stream:" + path);
    ASSERT_NE(e2, nullptr);
    EXPECT_EQ(e2->server_processes, 2u);
}

TEST(CatalogPosix, FifoReadersAreItsServers) {
    TempDir dir;
    std::string fifo = dir.file("readers.fifo");
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    UniqueFd r1{::open(fifo.c_str(), O_RDONLY | O_NONBLOCK)};
    ASSERT_TRUE(r1);
    UniqueFd w{::open(fifo.c_str(), O_WRONLY | O_NONBLOCK)};
    ASSERT_TRUE(w);
    Snapshot snap = list_or_fail();
    const PipeEntry* e = snap.find("fifo:" + fifo);
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(e->server_processes, 1u) << "a writer is not a server";
    ChildProcess reader;
    std::string err;
    ASSERT_TRUE(reader.start(pipescope::test::built_program(PIPE_HOLDER_PATH),
                             {"fifo", fifo, "20000"}, &err))
        << err;
    ASSERT_TRUE(reader.read_line(5s));
    Snapshot snap2 = list_or_fail();
    const PipeEntry* e2 = snap2.find("fifo:" + fifo);
    ASSERT_NE(e2, nullptr);
    EXPECT_EQ(e2->server_processes, 2u) << "two processes read what writers send";
    reader.close_stdin();
    EXPECT_EQ(reader.wait(5s), 0);
}

TEST(CatalogPosix, FoldersShowUnusedFifosAndStaleSockets) {
    TempDir dir;
    std::string fifo = dir.file("idle.fifo"), stale = dir.file("stale.sock");
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    {
        auto l = listen_on(stale, SOCK_STREAM);
        ASSERT_TRUE(l);
    }  // closed, file left behind
    Snapshot plain = list_or_fail();
    EXPECT_EQ(plain.find("fifo:" + fifo), nullptr)
        << "an unused FIFO is found only in a named folder";
    CatalogOptions opt;
    opt.folders = {dir.path, dir.file("missing-folder")};
    Snapshot snap = list_or_fail(opt);
    const PipeEntry* f = snap.find("fifo:" + fifo);
    ASSERT_NE(f, nullptr);
    EXPECT_EQ(f->current_instances, 0);
    EXPECT_TRUE(f->has_source(CatalogSource::Folder));
    const PipeEntry* s = snap.find("unix_stream:" + stale);
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(s->current_instances, 0);
    EXPECT_EQ(s->socket_state, SocketState::Unconnected);
    bool noted = false;
    for (const auto& n : snap.notes) noted |= n.find("missing-folder") != std::string::npos;
    EXPECT_TRUE(noted) << "an unreadable folder is noted, not fatal";
}

TEST(CatalogPosix, ListingNeverConnects) {
    TempDir dir;
    std::string stream = dir.file("count.sock"), seq = "@pscat-count-" + unique_suffix(),
                fifo = dir.file("count.fifo");
    auto ls = listen_on(stream, SOCK_STREAM), lq = listen_on(seq, SOCK_SEQPACKET);
    ASSERT_TRUE(ls && lq);
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    UniqueFd reader{::open(fifo.c_str(), O_RDONLY | O_NONBLOCK)};
    ASSERT_TRUE(reader);
    auto accepted = [&] {
        int n = 0;
        for (int fd : {ls.get(), lq.get()}) {
            while (true) {
                UniqueFd c{::accept4(fd, nullptr, nullptr, SOCK_CLOEXEC)};
                if (!c) break;
                ++n;
            }
        }
        return n;
    };
    // POLLHUP on a FIFO reader means some writer opened it and left since we opened it.
    auto fifo_opened_by_writer = [&] {
        pollfd p{reader.get(), POLLIN, 0};
        return ::poll(&p, 1, 0) > 0 && (p.revents & (POLLHUP | POLLIN));
    };
    CatalogOptions opt;
    opt.folders = {dir.path};
    for (int i = 0; i < 100; ++i) {
        auto r = list_pipes(opt);
        ASSERT_TRUE(r.ok());
        ASSERT_NE(r->find("unix_stream:" + stream), nullptr);
    }
    EXPECT_EQ(accepted(), 0) << "listing connected to a socket";
    EXPECT_FALSE(fifo_opened_by_writer()) << "listing opened the FIFO";
    // The counters do see a real client.
    auto c = connect_to(stream, SOCK_STREAM);
    ASSERT_TRUE(c);
    {
        UniqueFd w{::open(fifo.c_str(), O_WRONLY | O_NONBLOCK)};
        ASSERT_TRUE(w);
    }
    EXPECT_EQ(accepted(), 1);
    EXPECT_TRUE(fifo_opened_by_writer());
}

}  // namespace
