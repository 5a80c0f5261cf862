// Raw baselines on POSIX: AF_UNIX stream and seqpacket (socketpair), TCP loopback and a pair
// of FIFOs, each with the plain blocking call per read and per write.
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <mutex>
#include <string>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench/baseline_loops.hpp"
#include "bench/lanes.hpp"
#include "pipescope/unique_handle.hpp"

namespace pipescope::core::baseline {

namespace {

// One connected socket; recv/send with no flags but MSG_NOSIGNAL (a vanished peer is EPIPE).
struct SocketEnd {
    int fd = -1;
    const std::string* subject = nullptr;

    Status open() { return {}; }
    Result<std::size_t> read(std::byte* p, std::size_t n) {
        for (;;) {
            const ssize_t r = ::recv(fd, p, n, 0);
            if (r >= 0) return static_cast<std::size_t>(r);
            if (errno != EINTR) return errno_error(errno, "recv", *subject);
        }
    }
    Result<std::size_t> write(const std::byte* p, std::size_t n) {
        for (;;) {
            const ssize_t r = ::send(fd, p, n, MSG_NOSIGNAL);
            if (r >= 0) return static_cast<std::size_t>(r);
            if (errno != EINTR) return errno_error(errno, "send", *subject);
        }
    }
    void finish() { ::shutdown(fd, SHUT_WR); }
};

// One side of a FIFO pair: the engine writes c2s and reads s2c, the peer the other way.
// Opened by its own thread with plain blocking open(2), writer end first on the engine's side
// and reader end first on the peer's, so the two opens pair up.
struct FifoEnd {
    std::string read_path, write_path;
    bool write_first = false;
    UniqueFd rfd, wfd;

    Status open() {
        auto open_one = [](const std::string& path, int flags, UniqueFd& out) -> Status {
            for (;;) {
                const int fd = ::open(path.c_str(), flags | O_CLOEXEC);
                if (fd >= 0) {
                    out.reset(fd);
                    return {};
                }
                if (errno != EINTR) return errno_error(errno, "open", path);
            }
        };
        if (write_first) {
            if (auto st = open_one(write_path, O_WRONLY, wfd); !st) return st;
            return open_one(read_path, O_RDONLY, rfd);
        }
        if (auto st = open_one(read_path, O_RDONLY, rfd); !st) return st;
        return open_one(write_path, O_WRONLY, wfd);
    }
    Result<std::size_t> read(std::byte* p, std::size_t n) {
        for (;;) {
            const ssize_t r = ::read(rfd.get(), p, n);
            if (r >= 0) return static_cast<std::size_t>(r);
            if (errno != EINTR) return errno_error(errno, "read", read_path);
        }
    }
    Result<std::size_t> write(const std::byte* p, std::size_t n) {
        for (;;) {
            const ssize_t r = ::write(wfd.get(), p, n);
            if (r >= 0) return static_cast<std::size_t>(r);
            if (errno != EINTR) return errno_error(errno, "write", write_path);
        }
    }
    void finish() { wfd.reset(); }  // the reader on the other side sees end of file
};

// Wakes whatever blocks on a FIFO: a blocked open (our O_RDWR open is both a reader and a
// writer), a blocked write (we drain the buffer) and a blocked read (we add a byte). The
// loops see `abort` once their call returns.
void poke_fifo(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return;
    std::byte sink[65536];
    while (::read(fd, sink, sizeof sink) > 0) {
    }
    const std::byte one{0};
    (void)!::write(fd, &one, 1);
    ::close(fd);
}

void ignore_sigpipe() {
    static std::once_flag once;
    std::call_once(once, [] {
        struct sigaction old {};
        if (::sigaction(SIGPIPE, nullptr, &old) == 0 && old.sa_handler == SIG_DFL)
            ::signal(SIGPIPE, SIG_IGN);
    });
}

// --- the peer in a child process (Scenario::process) -----------------------------------------
//
// The hand-written two-process loop: fork, the child echoes (pingpong) or drains (stream) with
// plain read/write on its end, pinned as the peer is. Between fork and _exit the child makes
// only system calls (no allocation, no lock: the parent has other threads), its buffer from mmap.

// What the child needs, set up before the fork.
struct ChildPlan {
    int rfd = -1, wfd = -1;  // sockets: the child's end twice; FIFOs: -1 (opened by path)
    const char* read_path = nullptr;
    const char* write_path = nullptr;
    bool stream = true, message = false;
    std::size_t size = 1;
    int cpu = -1;
};

[[noreturn]] void child_peer(const ChildPlan& p) {
    if (p.cpu >= 0) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(p.cpu, &set);
        (void)::sched_setaffinity(0, sizeof set, &set);
    }
    int rfd = p.rfd, wfd = p.wfd;
    if (p.read_path) {  // FIFOs: reader end first, as the engine's side opens its writer first
        rfd = ::open(p.read_path, O_RDONLY);
        wfd = rfd < 0 ? -1 : ::open(p.write_path, O_WRONLY);
        if (rfd < 0 || wfd < 0) ::_exit(3);
    }
    const std::size_t cap = p.size < 65536 ? 65536 : p.size;
    void* mem = ::mmap(nullptr, cap, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED) ::_exit(4);
    auto* buf = static_cast<char*>(mem);
    if (p.stream) {
        for (;;) {
            const ssize_t r = ::read(rfd, buf, cap);
            if (r > 0 || (r < 0 && errno == EINTR)) continue;
            ::_exit(r == 0 ? 0 : 5);  // closing its ends tells the parent everything was read
        }
    }
    for (;;) {
        std::size_t got = 0;
        while (got < p.size) {
            const ssize_t r = ::read(rfd, buf + got, p.size - got);
            if (r == 0) ::_exit(0);
            if (r < 0) {
                if (errno == EINTR) continue;
                ::_exit(5);
            }
            got += static_cast<std::size_t>(r);
            if (p.message) break;
        }
        for (std::size_t put = 0; put < got;) {
            const ssize_t w = ::write(wfd, buf + put, got - put);
            if (w < 0) {
                if (errno == EINTR) continue;
                ::_exit(errno == EPIPE ? 0 : 6);
            }
            put += static_cast<std::size_t>(w);
        }
    }
}

// Stream, engine side, the peer a child: writes as stream_send does, then waits for the child to
// close its end (it has read everything by then). The figures are the sender's, from its first
// write to that close, as the engine's are with the peer in a child process.
template <class End>
void stream_send_to_child(End& e, Shared& sh) {
    const std::uint64_t measured = stream_send(e, sh);
    std::byte sink[256];
    for (;;) {
        auto r = e.read(sink, sizeof sink);
        if (!r || *r == 0) break;
    }
    sh.measure_end = Clock::now();
    const Clock::time_point first{Clock::duration(sh.first_write.load(std::memory_order_acquire))};
    sh.measure_start = std::max(sh.warm_end, first);
    sh.messages = measured;
    sh.bytes = measured * sh.size;
}

// Runs the engine's side on its lane against a child forked with `plan`; `parent_drop` closes
// the parent's copy of the child's ends right after the fork. Supervised like run_loops; the
// child is killed if the run is aborted and always reaped.
template <class End>
Status run_with_child(Shared& sh, End& engine, const ChildPlan& plan, Clock::duration warmup,
                      Clock::duration duration, const BaselineOptions& o,
                      const std::function<void()>& parent_drop, const std::function<void()>& poke) {
    sh.t0 = Clock::now();
    sh.warm_end = sh.t0 + warmup;
    sh.deadline = sh.warm_end + duration;
    const pid_t pid = ::fork();
    if (pid < 0) return errno_error(errno, "fork", "the raw loop's peer");
    if (pid == 0) child_peer(plan);
    parent_drop();
    sh.running = 1;
    bench::LaneThread engine_thread(bench::LaneSide::Engine, 0, [&](std::stop_token) {
        if (sh.engine_cpu >= 0 && !benchplat::pin_current_thread(sh.engine_cpu))
            sh.pin_failed = true;
        if (auto st = engine.open(); !st) {
            sh.engine_error = std::move(st).error();
        } else if (sh.stream) {
            stream_send_to_child(engine, sh);
        } else {
            pingpong_time(engine, sh);
        }
        sh.running.fetch_sub(1);
    });
    Status st = supervise(sh, o, [&] {
        poke();
        ::kill(pid, SIGKILL);
    });
    engine_thread.join();
    // Reap it: it ends once the engine's side closed; a child that does not is killed.
    int status = 0;
    const auto until = Clock::now() + std::chrono::seconds(2);
    pid_t w;
    while ((w = ::waitpid(pid, &status, WNOHANG)) == 0 && Clock::now() < until)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    if (w == 0) {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, &status, 0);
        if (st && !sh.engine_error)
            sh.peer_error = make_error(ErrorCode::Timeout, "waitpid", "the raw loop's peer",
                                       "the child peer did not end with the run; it was killed");
    } else if (st && !sh.engine_error && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
        sh.peer_error = make_error(
            ErrorCode::Io, "waitpid", "the raw loop's peer",
            WIFEXITED(status)
                ? "the child peer failed (exit code " + std::to_string(WEXITSTATUS(status)) + ")"
                : "the child peer was killed by signal " + std::to_string(WTERMSIG(status)));
    }
    return st;
}

Status run_sockets(Shared& sh, UniqueFd a, UniqueFd b, const std::string& subject,
                   Clock::duration warmup, Clock::duration duration, const BaselineOptions& o) {
    SocketEnd engine{a.get(), &subject}, peer{b.get(), &subject};
    const int fa = a.get(), fb = b.get();
    if (sh.child) {
        ChildPlan plan;
        plan.rfd = plan.wfd = fb;
        plan.stream = sh.stream;
        plan.message = sh.message;
        plan.size = sh.size;
        plan.cpu = sh.peer_cpu;
        return run_with_child(
            sh, engine, plan, warmup, duration, o, [&b] { b.reset(); },
            [fa] { ::shutdown(fa, SHUT_RDWR); });
    }
    // The descriptors stay open until both threads ended, so shutdown never hits a reused one.
    return run_loops(sh, engine, peer, warmup, duration, o, [fa, fb] {
        ::shutdown(fa, SHUT_RDWR);
        ::shutdown(fb, SHUT_RDWR);
    });
}

Status run_socketpair(Shared& sh, int type, Clock::duration warmup, Clock::duration duration,
                      const BaselineOptions& o) {
    const std::string subject = type == SOCK_STREAM ? "socketpair(AF_UNIX, SOCK_STREAM)"
                                                    : "socketpair(AF_UNIX, SOCK_SEQPACKET)";
    int fds[2];
    if (::socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, fds) != 0)
        return errno_error(errno, "socketpair", subject);
    UniqueFd a(fds[0]), b(fds[1]);
    if (type == SOCK_SEQPACKET) {
        // What the transport asks for seqpacket (see transport_posix.cpp), so the same
        // message sizes fit and the buffers match.
        int sz = 2 << 20;
        for (int fd : fds) {
            ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof sz);
            ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof sz);
        }
    }
    return run_sockets(sh, std::move(a), std::move(b), subject, warmup, duration, o);
}

Status run_tcp(Shared& sh, Clock::duration warmup, Clock::duration duration,
               const BaselineOptions& o) {
    std::string subject = "127.0.0.1";
    UniqueFd lst(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!lst) return errno_error(errno, "socket", subject);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (::bind(lst.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
        return errno_error(errno, "bind", subject);
    if (::listen(lst.get(), 1) != 0) return errno_error(errno, "listen", subject);
    if (::getsockname(lst.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0)
        return errno_error(errno, "getsockname", subject);
    subject += ":" + std::to_string(ntohs(addr.sin_port));
    UniqueFd client(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!client) return errno_error(errno, "socket", subject);
    // Loopback with a free backlog slot: connect completes at once, accept then returns.
    if (::connect(client.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
        return errno_error(errno, "connect", subject);
    UniqueFd server(::accept4(lst.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (!server) return errno_error(errno, "accept4", subject);
    int one = 1;
    for (int fd : {server.get(), client.get()})
        if (::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0)
            return errno_error(errno, "setsockopt(TCP_NODELAY)", subject);
    return run_sockets(sh, std::move(server), std::move(client), subject, warmup, duration, o);
}

Status run_fifo(Shared& sh, Clock::duration warmup, Clock::duration duration,
                const BaselineOptions& o) {
    ignore_sigpipe();
    static std::atomic<unsigned> counter{0};
    const char* tmp = std::getenv("TMPDIR");
    const std::string base = std::string(tmp && *tmp ? tmp : "/tmp") + "/" + o.name_prefix + "-" +
                             std::to_string(::getpid()) + "-" + std::to_string(counter++);
    const std::string c2s = base + ".c2s", s2c = base + ".s2c";
    for (const auto& p : {c2s, s2c}) {
        if (::mkfifo(p.c_str(), 0600) != 0) {
            const int err = errno;
            ::unlink(c2s.c_str());
            return errno_error(err, "mkfifo", p);
        }
    }
    FifoEnd engine, peer;
    engine.write_path = c2s;
    engine.read_path = s2c;
    engine.write_first = true;
    peer.read_path = c2s;
    peer.write_path = s2c;
    const auto poke = [&] {
        poke_fifo(c2s);
        poke_fifo(s2c);
    };
    Status st;
    if (sh.child) {
        ChildPlan plan;
        plan.read_path = c2s.c_str();
        plan.write_path = s2c.c_str();
        plan.stream = sh.stream;
        plan.size = sh.size;
        plan.cpu = sh.peer_cpu;
        st = run_with_child(
            sh, engine, plan, warmup, duration, o, [] {}, poke);
    } else {
        st = run_loops(sh, engine, peer, warmup, duration, o, poke);
    }
    ::unlink(c2s.c_str());
    ::unlink(s2c.c_str());
    return st;
}

}  // namespace

Status run_os(const Scenario& s, TransportKind kind, Shared& sh, Clock::duration warmup,
              Clock::duration duration, const BaselineOptions& o) {
    (void)s;
    switch (kind) {
        case TransportKind::UnixStream:
            sh.message = false;
            return run_socketpair(sh, SOCK_STREAM, warmup, duration, o);
        case TransportKind::UnixSeqpacket:
            sh.message = true;
            return run_socketpair(sh, SOCK_SEQPACKET, warmup, duration, o);
        case TransportKind::Tcp:
            sh.message = false;
            return run_tcp(sh, warmup, duration, o);
        case TransportKind::Fifo:
            sh.message = false;
            return run_fifo(sh, warmup, duration, o);
        case TransportKind::Win32Pipe:
            break;
    }
    return make_error(ErrorCode::Unsupported, "baseline", std::string(to_string(kind)),
                      "no raw loop for this transport on this platform");
}

}  // namespace pipescope::core::baseline
