// POSIX transports: AF_UNIX stream and seqpacket, FIFO pairs, TCP loopback.
// A connected channel does plain blocking I/O, its timeouts and cancel kept off the hot path by
// the call watchdog (see PosixChannel). Listeners and dialers are non-blocking: a blocking
// accept or connect is a try, then poll(2) on the descriptor and a cancel eventfd with the time
// left.

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <thread>

#include <spdlog/logger.h>

#include "pipescope/log.hpp"
#include "os/call_watchdog.hpp"
#include "os/posix/bounded_connect.hpp"
#include "os/process_image.hpp"
#include "pipescope/unique_handle.hpp"
#include "transport/transport_backend.hpp"

namespace pipescope::core::detail {
namespace {

using Clock = std::chrono::steady_clock;

// Milliseconds for poll(2) until `deadline`; -1 for infinite.
int poll_ms(Timeout total, Clock::time_point deadline) {
    if (total.count() < 0) return -1;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return 0;
    return left.count() > 1'000'000'000 ? 1'000'000'000 : static_cast<int>(left.count());
}

Clock::time_point deadline_of(Timeout t) {
    return t.count() < 0 ? Clock::time_point::max() : Clock::now() + t;
}

Error cancelled_error(const std::string& subject) {
    return make_error(ErrorCode::Cancelled, "cancel", subject, "the operation was cancelled");
}

Error timeout_error(const std::string& api, const std::string& subject) {
    Error e = errno_error(ETIMEDOUT, api, subject);
    e.message = "nothing happened within the timeout. Next: raise the timeout or check the peer";
    return e;
}

// A sticky cancel signal usable in a poll set.
class CancelFd {
  public:
    CancelFd() : fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {}
    void fire() {
        fired_.store(true, std::memory_order_release);
        std::uint64_t one = 1;
        if (fd_.valid() && ::write(fd_.get(), &one, sizeof one) < 0) {
            // the counter is already non-zero: the fd stays readable, which is all we need
        }
    }
    [[nodiscard]] bool fired() const { return fired_.load(std::memory_order_acquire); }
    [[nodiscard]] int fd() const { return fd_.get(); }

  private:
    UniqueFd fd_;
    std::atomic<bool> fired_{false};
};

// Waits until `fd` is ready for `events`, the cancel fd fires, or the deadline passes.
// Returns 1 ready, 0 timeout, -1 cancelled, -2 poll error (errno set).
int wait_fd(int fd, short events, const CancelFd& cancel, Timeout total,
            Clock::time_point deadline) {
    for (;;) {
        if (cancel.fired()) return -1;
        pollfd fds[2] = {{fd, events, 0}, {cancel.fd(), POLLIN, 0}};
        int n = ::poll(fds, 2, poll_ms(total, deadline));
        if (n < 0) {
            if (errno == EINTR) continue;
            return -2;
        }
        if (cancel.fired() || (fds[1].revents & POLLIN)) return -1;
        if (n == 0) return 0;
        if (fds[0].revents) return 1;
    }
}

PeerInfo peer_of_socket(int fd) {
    PeerInfo info;
#ifdef SO_PEERCRED
    ucred cred{};
    socklen_t len = sizeof cred;
    if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 && cred.pid > 0) {
        info.pid = static_cast<std::uint32_t>(cred.pid);
        info.uid = static_cast<std::uint32_t>(cred.uid);
        info.image = os::process_image(*info.pid).value_or(std::string());
    }
#else
    (void)fd;
#endif
    return info;
}

// Clears O_NONBLOCK: a channel's reads and writes are plain blocking calls (see PosixChannel).
void make_blocking(int fd) {
    int off = 0;
    if (fd >= 0) ::ioctl(fd, FIONBIO, &off);
}

// Whether `fd` is ready for `events` right now (a timeout of 0 never blocks).
bool ready_now(int fd, short events) {
    pollfd p{fd, events, 0};
    return ::poll(&p, 1, 0) > 0;
}

// One channel over one socket (rfd == wfd) or a FIFO pair (rfd != wfd).
//
// Hot path: a read is one recv / recvmsg / read and a write one send / write, on blocking
// descriptors, exactly what a hand-written loop makes: no poll, no non-blocking try first. The
// timeout and cancel() come from outside the call: a CallSlot per direction, whose watchdog
// interrupts a call that outlives its deadline or is cancelled (os/call_watchdog.hpp). A
// timeout of 0 is a non-blocking try (MSG_DONTWAIT, or poll with 0 for a FIFO).
class PosixChannel final : public Channel {
  public:
    PosixChannel(TransportKind kind, UniqueFd rfd, UniqueFd wfd, std::string subject)
        : kind_(kind), rfd_(std::move(rfd)), wfd_(std::move(wfd)), subject_(std::move(subject)) {
        const int fd = rfd_.get();
        make_blocking(fd);
        if (wfd_.get() != fd) make_blocking(wfd_.get());
        if (kind_ == TransportKind::UnixSeqpacket) {
            // Ask for room for big messages (the kernel doubles the request, capped at
            // wmem_max*2). A send fails with EMSGSIZE above SO_SNDBUF - 32; and measured on
            // Linux 6.x, one seqpacket message above about 4 MiB is never sent at all, even
            // with a bigger buffer (the send waits for room for ever). So 2 MiB asked (4 MiB
            // granted) and the largest message is kept under 4 MiB.
            int sz = 2 << 20;
            ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof sz);
            ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof sz);
            int got = 0;
            socklen_t len = sizeof got;
            if (::getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &got, &len) == 0 && got > 64) {
                max_message_ = std::min<std::size_t>(static_cast<std::size_t>(got), 4u << 20) - 64;
            } else {
                max_message_ = 64 * 1024;
            }
            // The rest of a message longer than a caller's buffer lands here (one recvmsg).
            // Not zero-filled: the pages stay untouched until a long message needs them,
            // which keeps connection churn cheap.
            overflow_size_ = std::max<std::size_t>(max_message_, 256 * 1024);
            overflow_ = std::make_unique_for_overwrite<std::byte[]>(overflow_size_);
            int one = 1;  // see read(): tells an empty message from the end of the stream
            ::setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof one);
        }
        if (kind_ == TransportKind::Tcp) {
            int one = 1;
            ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        }
        if (kind_ != TransportKind::Fifo) peer_ = peer_of_socket(fd);
    }

    Result<std::size_t> write(std::span<const std::byte> data, Timeout timeout) override {
        if (wr_slot_.cancelled()) return cancelled_error(subject_);
        if (!wfd_.valid()) {
            return make_error(ErrorCode::NotConnected, "write", subject_,
                              "the channel is closed for writing. Next: reconnect");
        }
        const bool message = kind_ == TransportKind::UnixSeqpacket;
        const bool fifo = kind_ == TransportKind::Fifo;
        if (data.empty() && !message) return std::size_t{0};
        const char* api = fifo ? "write" : "send";
        const int flags = MSG_NOSIGNAL | (timeout.count() == 0 ? MSG_DONTWAIT : 0);
        if (timeout.count() == 0 && fifo && !ready_now(wfd_.get(), POLLOUT)) {
            return timeout_error("write", subject_);
        }
        if (!wr_slot_.arm(timeout)) return cancelled_error(subject_);
        std::size_t done = 0;
        int err = 0;
        do {
            const ssize_t n =
                fifo ? ::write(wfd_.get(), data.data() + done, data.size() - done)
                     : ::send(wfd_.get(), data.data() + done, data.size() - done, flags);
            if (n >= 0) {
                done += static_cast<std::size_t>(n);
                if (message) break;  // a seqpacket send is all or nothing
                continue;
            }
            if (errno == EINTR && !wr_slot_.fired()) continue;  // not ours: go on
            err = errno;
            break;
        } while (done < data.size());
        const os::CallOutcome outcome = wr_slot_.disarm();
        if (err == 0) return message ? data.size() : done;
        if (done > 0) return done;  // what went before the timeout, cancel or error
        if (err == EINTR || err == EAGAIN || err == EWOULDBLOCK) {
            if (outcome == os::CallOutcome::Cancelled) return cancelled_error(subject_);
            return timeout_error("write", subject_);
        }
        return errno_error(err, api, subject_);
    }

    Result<ReadResult> read(std::span<std::byte> buf, Timeout timeout) override {
        if (rd_slot_.cancelled()) return cancelled_error(subject_);
        ReadResult res;
        if (pending_len_ > 0) {  // the rest of a message longer than the last buffer
            std::size_t n = std::min(buf.size(), pending_len_);
            std::memcpy(buf.data(), overflow_.get() + pending_off_, n);
            pending_off_ += n;
            pending_len_ -= n;
            res.bytes = n;
            res.message_end = pending_len_ == 0;
            return res;
        }
        if (!rfd_.valid()) {
            return make_error(ErrorCode::NotConnected, "read", subject_,
                              "the channel is closed. Next: reconnect");
        }
        const int flags = timeout.count() == 0 ? MSG_DONTWAIT : 0;
        if (timeout.count() == 0 && kind_ == TransportKind::Fifo &&
            !ready_now(rfd_.get(), POLLIN)) {
            return timeout_error("read", subject_);
        }
        if (kind_ == TransportKind::UnixSeqpacket) {
            if (promised_ == 0 || buf.size() < promised_) return read_message(buf, timeout, flags);
            return read_promised(buf, timeout, flags);
        }
        if (!rd_slot_.arm(timeout)) return cancelled_error(subject_);
        ssize_t n;
        for (;;) {
            n = kind_ == TransportKind::Fifo ? ::read(rfd_.get(), buf.data(), buf.size())
                                             : ::recv(rfd_.get(), buf.data(), buf.size(), flags);
            if (n >= 0 || errno != EINTR || rd_slot_.fired()) break;
        }
        const int err = n < 0 ? errno : 0;
        const os::CallOutcome outcome = rd_slot_.disarm();
        if (n < 0) return read_error(err, outcome);
        res.bytes = static_cast<std::size_t>(n);
        res.eof = n == 0 && buf.size() > 0;
        return res;
    }

    Status close_write() override {
        if (kind_ == TransportKind::Fifo) {
            wfd_.reset();
            return {};
        }
        if (::shutdown(wfd_.get(), SHUT_WR) != 0) return errno_error(errno, "shutdown", subject_);
        return {};
    }

    void promise_whole_messages(std::size_t largest) override {
        if (kind_ != TransportKind::UnixSeqpacket || largest == 0) return;
        promised_ = largest;
        // No credentials needed any more: a 0-byte read is the end (no empty messages come).
        int off = 0;
        ::setsockopt(rfd_.get(), SOL_SOCKET, SO_PASSCRED, &off, sizeof off);
    }

    void cancel() override {
        rd_slot_.cancel();
        wr_slot_.cancel();
    }

    void close() override {
        if (kind_ == TransportKind::Fifo) {
            // Reader first: once the peer sees our writer go, our reader is already gone, so
            // a listener that accepts again at once cannot mistake it for the next client's.
            rfd_.reset();
            wfd_.reset();
            return;
        }
        [[maybe_unused]] int same = wfd_.release();  // same descriptor as rfd_
        rfd_.reset();
    }

    ~PosixChannel() override { close(); }

    [[nodiscard]] bool message_oriented() const override {
        return kind_ == TransportKind::UnixSeqpacket;
    }
    [[nodiscard]] PeerInfo peer() const override { return peer_; }
    [[nodiscard]] std::string describe() const override {
        return std::string(to_string(kind_)) + " " + subject_;
    }
    [[nodiscard]] std::size_t max_message_bytes() const override { return max_message_; }
    [[nodiscard]] Error end_of_stream_error() const override {
        const char* api = kind_ == TransportKind::Fifo            ? "read"
                          : kind_ == TransportKind::UnixSeqpacket ? "recvmsg"
                                                                  : "recv";
        return make_error(ErrorCode::BrokenPipe, api, subject_,
                          "end of stream (0 bytes): the peer closed its end");
    }

  private:
    // Seqpacket: with SO_PASSCRED on, every dequeued message, empty or not, carries an
    // SCM_CREDENTIALS control message; the end of the stream dequeues nothing and carries none.
    // That tells a real empty message from EOF without a race (poll for POLLRDHUP cannot: an
    // empty message may still be queued ahead of the shutdown). The rest of a message longer
    // than `buf` lands in overflow_ and is handed out by the next reads.
    Result<ReadResult> read_message(std::span<std::byte> buf, Timeout timeout, int flags) {
        iovec iov[2] = {{buf.data(), buf.size()}, {overflow_.get(), overflow_size_}};
        alignas(cmsghdr) char control[CMSG_SPACE(sizeof(ucred))];
        msghdr msg{};
        if (!rd_slot_.arm(timeout)) return cancelled_error(subject_);
        ssize_t n;
        for (;;) {
            msg = msghdr{};
            msg.msg_iov = iov;
            msg.msg_iovlen = 2;
            msg.msg_control = control;
            msg.msg_controllen = sizeof control;
            n = ::recvmsg(rfd_.get(), &msg, MSG_CMSG_CLOEXEC | flags);
            if (n >= 0 || errno != EINTR || rd_slot_.fired()) break;
        }
        const int err = n < 0 ? errno : 0;
        const os::CallOutcome outcome = rd_slot_.disarm();
        if (n < 0) return read_error(err, outcome);
        ReadResult res;
        if (static_cast<std::size_t>(n) > buf.size()) {
            pending_off_ = 0;
            pending_len_ = static_cast<std::size_t>(n) - buf.size();
            res.bytes = buf.size();
            res.message_end = false;
            return res;
        }
        res.bytes = static_cast<std::size_t>(n);
        if (n == 0) res.eof = msg.msg_controllen == 0 && (msg.msg_flags & MSG_CTRUNC) == 0;
        return res;
    }

    // Seqpacket under promise_whole_messages: one recv, as a hand-written loop makes it.
    // MSG_TRUNC makes it return the message's whole length, so a message longer than promised
    // is reported (the kernel dropped its tail), never taken for a shorter one.
    Result<ReadResult> read_promised(std::span<std::byte> buf, Timeout timeout, int flags) {
        if (!rd_slot_.arm(timeout)) return cancelled_error(subject_);
        ssize_t n;
        for (;;) {
            n = ::recv(rfd_.get(), buf.data(), buf.size(), flags | MSG_TRUNC);
            if (n >= 0 || errno != EINTR || rd_slot_.fired()) break;
        }
        const int err = n < 0 ? errno : 0;
        const os::CallOutcome outcome = rd_slot_.disarm();
        if (n < 0) return read_error(err, outcome);
        if (static_cast<std::size_t>(n) > buf.size()) {
            return make_error(ErrorCode::MoreData, "recv", subject_,
                              "a message of " + std::to_string(n) + " bytes came where at most " +
                                  std::to_string(buf.size()) + " were promised; its last " +
                                  std::to_string(static_cast<std::size_t>(n) - buf.size()) +
                                  " bytes are lost. Next: check what the peer sends");
        }
        ReadResult res;
        res.bytes = static_cast<std::size_t>(n);
        res.eof = n == 0;
        return res;
    }

    // A read that failed with `err` (after the watchdog said how the call ended).
    Error read_error(int err, os::CallOutcome outcome) const {
        if (err == EINTR || err == EAGAIN || err == EWOULDBLOCK) {
            if (outcome == os::CallOutcome::Cancelled) return cancelled_error(subject_);
            return timeout_error("read", subject_);
        }
        const char* api = kind_ == TransportKind::Fifo            ? "read"
                          : kind_ == TransportKind::UnixSeqpacket ? "recvmsg"
                                                                  : "recv";
        return errno_error(err, api, subject_);
    }

    TransportKind kind_;
    UniqueFd rfd_;
    UniqueFd wfd_;  // for sockets: the same number as rfd_, not closed separately
    std::string subject_;
    os::CallSlot rd_slot_, wr_slot_;
    PeerInfo peer_;
    std::unique_ptr<std::byte[]> overflow_;
    std::size_t overflow_size_ = 0;
    std::size_t pending_off_ = 0;
    std::size_t pending_len_ = 0;
    std::size_t max_message_ = 0;
    std::size_t promised_ = 0;  // promise_whole_messages: the largest message; 0 for none
};

std::unique_ptr<Channel> make_socket_channel(TransportKind kind, int fd, std::string subject) {
    UniqueFd r(fd);
    UniqueFd w(fd);  // released, not closed, by PosixChannel::close
    return std::make_unique<PosixChannel>(kind, std::move(r), std::move(w), std::move(subject));
}

// --- addresses ----------------------------------------------------------------------------

Result<std::pair<sockaddr_un, socklen_t>> unix_address(const PipeName& name) {
    std::string path = name.posix_path();
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.size() > PipeName::kMaxSocketPathLength) {
        return make_error(ErrorCode::InvalidName, "bind", path,
                          "the socket path is longer than 107 bytes. Next: use a shorter path "
                          "or set PIPESCOPE_PIPE_DIR to a short folder");
    }
    socklen_t len;
    if (!path.empty() && path[0] == '@') {
        std::memcpy(addr.sun_path + 1, path.data() + 1, path.size() - 1);
        len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size());
    } else {
        std::memcpy(addr.sun_path, path.data(), path.size());
        len = static_cast<socklen_t>(sizeof addr);
    }
    return std::make_pair(addr, len);
}

void ensure_runtime_dir(const PipeName& name) {
    if (name.form() == PipeName::Form::Bare || name.form() == PipeName::Form::Win32) {
        ::mkdir(PipeName::runtime_dir().c_str(), 0700);
    }
}

int socket_type(TransportKind kind) {
    return kind == TransportKind::UnixSeqpacket ? SOCK_SEQPACKET : SOCK_STREAM;
}

// --- listeners ----------------------------------------------------------------------------

class SocketListener final : public Listener {
  public:
    SocketListener(Endpoint ep, UniqueFd fd, std::string address, std::string unlink_path)
        : ep_(std::move(ep)),
          fd_(std::move(fd)),
          address_(std::move(address)),
          unlink_path_(std::move(unlink_path)) {}
    ~SocketListener() override {
        fd_.reset();
        if (!unlink_path_.empty()) ::unlink(unlink_path_.c_str());
    }

    Result<std::unique_ptr<Channel>> accept(Timeout timeout) override {
        const auto deadline = deadline_of(timeout);
        for (;;) {
            if (cancel_.fired()) return cancelled_error(address_);
            int c = ::accept4(fd_.get(), nullptr, nullptr, SOCK_CLOEXEC);
            if (c >= 0) return make_socket_channel(ep_.kind, c, address_);
            if (errno == EINTR || errno == ECONNABORTED) continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                return errno_error(errno, "accept4", address_);
            int w = wait_fd(fd_.get(), POLLIN, cancel_, timeout, deadline);
            if (w == 1) continue;
            if (w == -1) return cancelled_error(address_);
            if (w == 0) return timeout_error("accept", address_);
            return errno_error(errno, "poll", address_);
        }
    }
    void cancel() override { cancel_.fire(); }
    [[nodiscard]] std::string address() const override { return address_; }
    [[nodiscard]] Endpoint client_endpoint() const override { return ep_; }

  private:
    Endpoint ep_;
    UniqueFd fd_;
    std::string address_;
    std::string unlink_path_;
    CancelFd cancel_;
};

// The name is taken by a live server: we never replace it.
Error live_server_error(const char* api, const std::string& path, const char* what) {
    Error e = errno_error(EADDRINUSE, api, path);
    e.message = std::string("a server is already listening on this ") + what +
                " (it answered a probe); it is left alone. Next: stop the other server (list "
                "pipes to see its process) or pick another name";
    return e;
}

// Something that is not ours to replace sits at the path.
Error foreign_file_error(const char* api, const std::string& path, const char* what) {
    Error e = errno_error(EEXIST, api, path);
    e.message = std::string("a file that is not a ") + what +
                " is at this path; it is left alone. Next: remove it if it is yours, or pick "
                "another name";
    return e;
}

// Gives the file at `path` exactly `mode` when creating it left it different (umask).
// Returns 0, or an errno.
int settle_mode(const std::string& path, mode_t mode) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) return errno;
    if ((st.st_mode & 07777) == mode) return 0;
    return ::chmod(path.c_str(), mode) == 0 ? 0 : errno;
}

// Whether a listening AF_UNIX socket is bound to exactly `path`, from /proc/net/unix (Linux):
// 1 yes, 0 no, -1 cannot tell (no /proc). Unlike a connect probe, the live server sees nothing.
int unix_listener_at(const std::string& path) {
    std::FILE* f = std::fopen("/proc/net/unix", "re");
    if (!f) return -1;
    int found = 0;
    char line[4096 + 128];
    constexpr unsigned long kAcceptCon = 0x10000;  // __SO_ACCEPTCON: the socket listens
    while (found == 0 && std::fgets(line, sizeof line, f)) {
        unsigned long flags = 0;
        int path_at = -1;
        if (std::sscanf(line, "%*s %*s %*s %lx %*s %*s %*s %n", &flags, &path_at) < 1 ||
            path_at < 0)
            continue;
        std::string p(line + path_at);
        while (!p.empty() && (p.back() == '\n' || p.back() == ' ')) p.pop_back();
        if (p == path && (flags & kAcceptCon)) found = 1;
    }
    std::fclose(f);
    return found;
}

// Security: the socket file is created by bind(2) with the socket inode's mode less the umask,
// so fchmod before bind means the file never exists with more access than asked (no window
// between bind and a chmod in which another user could connect); a chmod afterwards only adds
// bits the umask took away. A live server's socket is never replaced (a connect probe tells
// live from stale); a stale socket file left by a dead server is; a path that is not a socket
// is left alone.
Result<std::unique_ptr<Listener>> listen_unix(const Endpoint& ep) {
    ensure_runtime_dir(ep.name);
    auto addr = unix_address(ep.name);
    if (!addr) return std::move(addr).error();
    const std::string path = ep.name.posix_path();
    const bool abstract = !path.empty() && path[0] == '@';
    const auto mode = static_cast<mode_t>(ep.server.socket_mode & 07777);
    UniqueFd fd(::socket(AF_UNIX, socket_type(ep.kind) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!fd) return errno_error(errno, "socket", path);
    if (!abstract && ::fchmod(fd.get(), mode) != 0) return errno_error(errno, "fchmod", path);
    const auto* sa = reinterpret_cast<const sockaddr*>(&addr->first);
    if (::bind(fd.get(), sa, addr->second) != 0) {
        int err = errno;
        if (err == EADDRINUSE && abstract)
            return live_server_error("bind", path, "abstract socket");
        if (err != EADDRINUSE) return errno_error(err, "bind", path);
        struct stat st {};
        if (::lstat(path.c_str(), &st) == 0 && !S_ISSOCK(st.st_mode)) {
            return foreign_file_error("bind", path, "socket");
        }
        // A socket file is there: if nobody listens on it, it is stale and we take it over.
        // /proc/net/unix tells without disturbing a live server; when it cannot (no /proc, a
        // server that bound a relative path), a connect probe decides, which a live server
        // sees as a client that leaves at once.
        if (unix_listener_at(path) == 1) return live_server_error("bind", path, "socket");
        UniqueFd probe(::socket(AF_UNIX, socket_type(ep.kind) | SOCK_CLOEXEC, 0));
        if (probe && ::connect(probe.get(), sa, addr->second) == 0) {
            return live_server_error("bind", path, "socket");
        }
        if (probe && errno == EPROTOTYPE) return live_server_error("bind", path, "socket");
        ::unlink(path.c_str());
        if (::bind(fd.get(), sa, addr->second) != 0) return errno_error(errno, "bind", path);
    }
    if (!abstract) {
        if (int e = settle_mode(path, mode); e != 0) {
            ::unlink(path.c_str());
            return errno_error(e, "chmod", path);
        }
    }
    if (::listen(fd.get(), ep.server.backlog) != 0) {
        int e = errno;
        if (!abstract) ::unlink(path.c_str());
        return errno_error(e, "listen", path);
    }
    std::unique_ptr<Listener> l =
        std::make_unique<SocketListener>(ep, std::move(fd), path, abstract ? std::string{} : path);
    return l;
}

Result<std::unique_ptr<Listener>> listen_tcp(const Endpoint& ep) {
    UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    const std::string subject = "127.0.0.1:" + std::to_string(ep.tcp_port);
    if (!fd) return errno_error(errno, "socket", subject);
    int one = 1;
    ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_port = htons(ep.tcp_port);
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&sin), sizeof sin) != 0) {
        return errno_error(errno, "bind", subject);
    }
    if (::listen(fd.get(), ep.server.backlog) != 0) return errno_error(errno, "listen", subject);
    socklen_t len = sizeof sin;
    ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&sin), &len);
    Endpoint client = ep;
    client.tcp_port = ntohs(sin.sin_port);
    std::string address = "127.0.0.1:" + std::to_string(client.tcp_port);
    std::unique_ptr<Listener> l =
        std::make_unique<SocketListener>(client, std::move(fd), address, std::string{});
    return l;
}

void ignore_sigpipe_once() {
    static std::once_flag once;
    std::call_once(once, [] {
        struct sigaction old {};
        if (::sigaction(SIGPIPE, nullptr, &old) == 0 && old.sa_handler == SIG_DFL) {
            ::signal(SIGPIPE, SIG_IGN);
        }
    });
}

// FIFO connections. A FIFO has no connections of its own: whoever opens it joins whatever
// pipe is there, and a reader with no writer reads end-of-file. So each connection gets its
// own pair of FIFOs, made by the client, and the listener's FIFO <base> only carries
// connection requests:
//
//   client connect                               server (listener)
//                                                listen: mkfifo <base>, open it O_RDWR (so
//                                                  it never reads EOF and requests can queue
//                                                  like a listen backlog)
//   mkfifo <base>.<nonce>.c2s and .s2c
//   open s2c O_RDONLY; open c2s O_RDWR ("hold")
//   write REQUEST (magic + nonce, 16 bytes) to <base>
//                                                accept: poll <base>, read one REQUEST
//                                                open c2s O_RDONLY (the client's hold is a
//                                                  writer, so no false EOF)
//                                                open s2c O_WRONLY (the client is reading)
//                                                write ACK (the nonce) to s2c; return channel
//   poll s2c until the ACK arrives, check it
//   open c2s O_WRONLY, then close the hold (the server never sees zero writers in between)
//   unlink both names (the open ends keep the FIFOs alive); return the channel
//
// Every wait is a poll(2) with the cancel fd and the timeout. This replaced a single shared
// pair <base>.c2s/.s2c, where a client could return from connect before the server had
// opened its writing side (its first read was EOF), and where a new client could attach to
// the previous connection's pipes before the server had noticed that client leave. Requests
// and ACKs are under PIPE_BUF, so each write is atomic. Linux-specific: O_RDWR on a FIFO.
constexpr std::uint32_t kFifoMagic = 0x50534631;  // "PSF1"
struct FifoRequest {
    std::uint32_t magic = kFifoMagic;
    std::uint32_t reserved = 0;
    std::uint64_t nonce = 0;
};

std::string fifo_conn_path(const std::string& base, std::uint64_t nonce, const char* dir) {
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(nonce));
    return base + "." + hex + dir;
}

// Reads exactly `n` bytes from a non-blocking FIFO reader, waiting in poll. Returns 1 done,
// 0 the writer went away first (POLLHUP / EOF after a writer came), -1 cancelled, -2 timed
// out, -3 an error (errno set). `stop` (may be null) is looked at every 20 ms.
int read_fifo_exact(int fd, void* out, std::size_t n, const CancelFd& cancel,
                    const std::stop_token* stop, Timeout total, Clock::time_point deadline) {
    auto* p = static_cast<std::byte*>(out);
    std::size_t have = 0;
    for (;;) {
        if (stop && stop->stop_requested()) return -1;
        ssize_t r = ::read(fd, p + have, n - have);
        if (r > 0) {
            have += static_cast<std::size_t>(r);
            if (have == n) return 1;
            continue;
        }
        if (r < 0 && errno == EINTR) continue;
        if (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK) return -3;
        // r == 0 is EOF only if a writer has come and gone: poll knows the difference.
        int ms = poll_ms(total, deadline);
        if (stop && (ms < 0 || ms > 20)) ms = 20;
        pollfd fds[2] = {{fd, POLLIN, 0}, {cancel.fd(), POLLIN, 0}};
        int k = ::poll(fds, 2, ms);
        if (k < 0) {
            if (errno == EINTR) continue;
            return -3;
        }
        if (cancel.fired() || (fds[1].revents & POLLIN)) return -1;
        if (fds[0].revents & POLLIN) continue;
        if (fds[0].revents & (POLLHUP | POLLERR)) return 0;
        if (poll_ms(total, deadline) == 0) return -2;
    }
}

class FifoListener final : public Listener {
  public:
    FifoListener(Endpoint ep, std::string base, UniqueFd requests)
        : ep_(std::move(ep)), base_(std::move(base)), requests_(std::move(requests)) {}
    ~FifoListener() override {
        requests_.reset();
        ::unlink(base_.c_str());
    }

    Result<std::unique_ptr<Channel>> accept(Timeout timeout) override {
        const auto deadline = deadline_of(timeout);
        for (;;) {
            if (cancel_.fired()) return cancelled_error(base_);
            FifoRequest req;
            int h = read_fifo_exact(requests_.get(), &req, sizeof req, cancel_, nullptr, timeout,
                                    deadline);
            if (h == -1) return cancelled_error(base_);
            if (h == -2) return timeout_error("accept", base_);
            if (h != 1) return errno_error(h == -3 ? errno : EIO, "read", base_);
            if (req.magic != kFifoMagic) continue;  // not a request of ours: skip it
            const std::string c2s = fifo_conn_path(base_, req.nonce, ".c2s");
            const std::string s2c = fifo_conn_path(base_, req.nonce, ".s2c");
            // A client that gave up has removed its FIFOs or closed its ends: next request.
            UniqueFd rfd(::open(c2s.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
            if (!rfd) continue;
            UniqueFd wfd(::open(s2c.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC));
            if (!wfd) continue;
            if (::write(wfd.get(), &req.nonce, sizeof req.nonce) !=
                static_cast<ssize_t>(sizeof req.nonce)) {
                continue;
            }
            std::unique_ptr<Channel> ch = std::make_unique<PosixChannel>(
                TransportKind::Fifo, std::move(rfd), std::move(wfd), base_);
            return ch;
        }
    }
    void cancel() override { cancel_.fire(); }
    [[nodiscard]] std::string address() const override { return base_; }
    [[nodiscard]] Endpoint client_endpoint() const override { return ep_; }

  private:
    Endpoint ep_;
    std::string base_;
    UniqueFd requests_;
    CancelFd cancel_;
};

// Security as for sockets: mkfifo creates the FIFO with at most the asked mode (less the
// umask), then the mode is made exact. A FIFO a live listener holds is never replaced; a stale
// one (nobody reading) is removed and made afresh, so its owner and mode are ours (reusing
// someone else's FIFO would hand them our connection requests); a path that is not a FIFO is
// left alone.
Result<std::unique_ptr<Listener>> listen_fifo(const Endpoint& ep) {
    ensure_runtime_dir(ep.name);
    ignore_sigpipe_once();
    const std::string base = ep.name.posix_path();
    const auto mode = static_cast<mode_t>(ep.server.socket_mode & 07777);
    if (::mkfifo(base.c_str(), mode) != 0) {
        if (errno != EEXIST) return errno_error(errno, "mkfifo", base);
        struct stat st {};
        if (::lstat(base.c_str(), &st) != 0) return errno_error(errno, "lstat", base);
        if (!S_ISFIFO(st.st_mode)) return foreign_file_error("mkfifo", base, "FIFO");
        // It exists: if a listener holds it open (a reader), that one owns the name.
        UniqueFd probe(::open(base.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC));
        if (probe) return live_server_error("mkfifo", base, "FIFO");
        if (::unlink(base.c_str()) != 0) return errno_error(errno, "unlink", base);
        if (::mkfifo(base.c_str(), mode) != 0) return errno_error(errno, "mkfifo", base);
    }
    if (int e = settle_mode(base, mode); e != 0) {
        ::unlink(base.c_str());
        return errno_error(e, "chmod", base);
    }
    UniqueFd fd(::open(base.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC));
    if (!fd) {
        int e = errno;
        ::unlink(base.c_str());
        return errno_error(e, "open", base);
    }
    std::unique_ptr<Listener> l = std::make_unique<FifoListener>(ep, base, std::move(fd));
    return l;
}

// --- dialers ------------------------------------------------------------------------------

Result<std::unique_ptr<Channel>> connect_socket(const Endpoint& ep, Timeout timeout,
                                                const std::stop_token& stop) {
    const auto deadline = deadline_of(timeout);
    sockaddr_storage ss{};
    socklen_t len = 0;
    int family;
    std::string subject;
    if (ep.kind == TransportKind::Tcp) {
        auto* sin = reinterpret_cast<sockaddr_in*>(&ss);
        sin->sin_family = AF_INET;
        sin->sin_port = htons(ep.tcp_port);
        sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        len = sizeof(sockaddr_in);
        family = AF_INET;
        subject = "127.0.0.1:" + std::to_string(ep.tcp_port);
    } else {
        auto addr = unix_address(ep.name);
        if (!addr) return std::move(addr).error();
        std::memcpy(&ss, &addr->first, sizeof addr->first);
        len = addr->second;
        family = AF_UNIX;
        subject = ep.name.posix_path();
    }
    os::BoundedConnect how;
    how.address = reinterpret_cast<const sockaddr*>(&ss);
    how.address_len = len;
    how.family = family;
    how.type = socket_type(ep.kind);
    how.deadline = deadline;
    how.full_backlog =
        ep.client.retry_busy ? os::FullBacklog::RetryThenTimeout : os::FullBacklog::Busy;
    how.busy_next = "or let the client wait for a free one";
    how.handshake_timeout_message = timeout_error("connect", subject).message;
    how.cancelled = cancelled_error(subject);
    auto fd = os::connect_bounded(how, stop, subject);
    if (!fd) return std::move(fd).error();
    return make_socket_channel(ep.kind, fd->release(), subject);
}

Result<std::unique_ptr<Channel>> connect_fifo(const Endpoint& ep, Timeout timeout,
                                              const std::stop_token& stop) {
    ignore_sigpipe_once();
    const auto deadline = deadline_of(timeout);
    const std::string base = ep.name.posix_path();
    struct stat st {};
    if (::stat(base.c_str(), &st) != 0) return errno_error(errno, "stat", base);
    static std::atomic<std::uint32_t> counter{0};
    FifoRequest req;
    req.nonce = (static_cast<std::uint64_t>(::getpid()) << 32) | counter.fetch_add(1);
    const std::string c2s = fifo_conn_path(base, req.nonce, ".c2s");
    const std::string s2c = fifo_conn_path(base, req.nonce, ".s2c");
    struct Cleanup {  // the names go once both ends are open, or on any failure
        const std::string &a, &b;
        ~Cleanup() {
            ::unlink(a.c_str());
            ::unlink(b.c_str());
        }
    } cleanup{c2s, s2c};
    for (const std::string* p : {&c2s, &s2c}) {
        if (::mkfifo(p->c_str(), 0600) != 0) return errno_error(errno, "mkfifo", *p);
    }
    UniqueFd rfd(::open(s2c.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
    if (!rfd) return errno_error(errno, "open", s2c);
    UniqueFd hold(::open(c2s.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC));
    if (!hold) return errno_error(errno, "open", c2s);
    int backoff = 1;
    for (;;) {  // ENXIO: the name is there but no listener holds it (yet, or any more)
        if (stop.stop_requested()) return cancelled_error(base);
        UniqueFd reqfd(::open(base.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC));
        if (reqfd) {
            if (::write(reqfd.get(), &req, sizeof req) == static_cast<ssize_t>(sizeof req)) break;
            if (errno != EAGAIN && errno != EPIPE) return errno_error(errno, "write", base);
        } else if (errno != ENXIO) {
            return errno_error(errno, "open", base);
        }
        if (poll_ms(timeout, deadline) == 0) {
            Error e = errno_error(ENXIO, "open", base);
            e.code = ErrorCode::Timeout;
            e.message =
                "no server is listening on the FIFO. Next: start the server or raise "
                "the timeout";
            return e;
        }
        os::nap(backoff, stop);
        backoff = std::min(backoff * 2, 10);
    }
    std::uint64_t ack = 0;
    CancelFd never;
    int h = read_fifo_exact(rfd.get(), &ack, sizeof ack, never, &stop, timeout, deadline);
    if (h == -1) return cancelled_error(base);
    if (h == -2) {
        Error e = timeout_error("connect", base);
        e.message =
            "the FIFO server did not accept the connection in time. Next: check that "
            "it is accepting, or raise the timeout";
        return e;
    }
    if (h == -3) return errno_error(errno, "read", s2c);
    if (h == 0 || ack != req.nonce) {
        return make_error(ErrorCode::BrokenPipe, "connect", base,
                          "the FIFO server went away during the connection handshake. Next: "
                          "retry");
    }
    UniqueFd wfd(::open(c2s.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC));
    if (!wfd) return errno_error(errno, "open", c2s);
    hold.reset();
    std::unique_ptr<Channel> ch =
        std::make_unique<PosixChannel>(TransportKind::Fifo, std::move(rfd), std::move(wfd), base);
    return ch;
}

}  // namespace

std::vector<TransportKind> os_transports() {
    return {TransportKind::UnixStream, TransportKind::UnixSeqpacket, TransportKind::Fifo,
            TransportKind::Tcp};
}

Result<std::unique_ptr<Listener>> listen_os(const Endpoint& endpoint) {
    Result<std::unique_ptr<Listener>> r = [&]() -> Result<std::unique_ptr<Listener>> {
        switch (endpoint.kind) {
            case TransportKind::UnixStream:
            case TransportKind::UnixSeqpacket:
                return listen_unix(endpoint);
            case TransportKind::Fifo:
                return listen_fifo(endpoint);
            case TransportKind::Tcp:
                return listen_tcp(endpoint);
            case TransportKind::Win32Pipe:
                break;
        }
        return make_error(ErrorCode::Unsupported, "listen", endpoint.name.display(),
                          "Win32 named pipes exist only on Windows");
    }();
    if (r)
        log::transport()->info("listening on {} ({})", (*r)->address(), to_string(endpoint.kind));
    else
        log::transport()->warn("listen failed: {}", r.error().to_string());
    return r;
}

Result<std::unique_ptr<Channel>> connect_os(const Endpoint& endpoint, Timeout timeout,
                                            std::stop_token stop) {
    switch (endpoint.kind) {
        case TransportKind::UnixStream:
        case TransportKind::UnixSeqpacket:
        case TransportKind::Tcp:
            return connect_socket(endpoint, timeout, stop);
        case TransportKind::Fifo:
            return connect_fifo(endpoint, timeout, stop);
        case TransportKind::Win32Pipe:
            break;
    }
    return make_error(ErrorCode::Unsupported, "connect", endpoint.name.display(),
                      "Win32 named pipes exist only on Windows");
}

}  // namespace pipescope::core::detail

namespace pipescope::core {
Result<std::string> default_pipe_sddl() {
    return std::string{};
}
}  // namespace pipescope::core
