#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <thread>

#include "os/posix/bounded_connect.hpp"

namespace pipescope::core::os {
namespace {

using Clock = std::chrono::steady_clock;

// Milliseconds left until `deadline`, at most `cap`; 0 when it has passed.
int ms_left(Clock::time_point deadline, int cap) {
    if (deadline == Clock::time_point::max()) return cap;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    return left.count() <= 0 ? 0 : static_cast<int>(std::min<long long>(left.count(), cap));
}

constexpr int kStopped = -1;
constexpr int kDeadline = -2;

// Waits for an in-progress connect; returns its SO_ERROR, kDeadline or kStopped.
int wait_handshake(int fd, Clock::time_point deadline, const std::stop_token& stop) {
    for (;;) {
        if (stop.stop_requested()) return kStopped;
        const int wait = ms_left(deadline, 50);
        if (wait == 0) return kDeadline;
        pollfd p{fd, POLLOUT, 0};
        if (::poll(&p, 1, wait) > 0) {
            int err = 0;
            socklen_t len = sizeof err;
            ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
            return err;
        }
    }
}

Error full_backlog_error(const BoundedConnect& how, bool timed_out, const std::string& subject) {
    Error e = errno_error(EAGAIN, "connect", subject);
    if (timed_out) {
        e.code = ErrorCode::Timeout;
        e.message =
            "the server's listen backlog stayed full (all instances busy) for the whole "
            "timeout. Next: retry later or raise the timeout";
    } else {
        e.code = ErrorCode::Busy;
        e.message =
            "the server's listen backlog is full: all instances are busy. Next: retry "
            "later, " +
            how.busy_next;
    }
    return e;
}

}  // namespace

Result<UniqueFd> connect_bounded(const BoundedConnect& how, const std::stop_token& stop,
                                 const std::string& subject) {
    bool waited = false;
    int backoff = 1;
    for (;;) {
        if (stop.stop_requested()) return how.cancelled;
        UniqueFd fd{::socket(how.family, how.type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)};
        if (!fd) return errno_error(errno, "socket", subject);
        int err = ::connect(fd.get(), how.address, how.address_len) == 0 ? 0 : errno;
        if (err == EINPROGRESS) {  // TCP: wait for the handshake
            err = wait_handshake(fd.get(), how.deadline, stop);
            if (err == kStopped) return how.cancelled;
            if (err == kDeadline) {
                Error e = errno_error(ETIMEDOUT, "connect", subject);
                if (!how.handshake_timeout_message.empty())
                    e.message = how.handshake_timeout_message;
                return e;
            }
        }
        if (err == 0) return fd;
        if (err != EAGAIN && err != EWOULDBLOCK) return errno_error(err, "connect", subject);
        // A full backlog is the socket form of "all instances busy": retry within the bound.
        if (how.full_backlog == FullBacklog::Busy) return full_backlog_error(how, false, subject);
        if (ms_left(how.deadline, 1) == 0) {
            const bool timed_out = how.full_backlog == FullBacklog::RetryThenTimeout || waited;
            return full_backlog_error(how, timed_out, subject);
        }
        waited = true;
        nap(backoff, stop);
        backoff = std::min(backoff * 2, 20);
    }
}

void nap(int ms, const std::stop_token& stop) {
    for (int i = 0; i < ms && !stop.stop_requested(); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
}

}  // namespace pipescope::core::os
