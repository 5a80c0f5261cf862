// A socket connect bounded by a deadline and a stop token, shared by the transport's dialer and
// the inspector's probe: a non-blocking connect, a wait for an in-progress handshake (TCP), and
// retries while an AF_UNIX listener's backlog is full (connect answers EAGAIN at once). Private
// to core/src (POSIX only).
#pragma once

#include <sys/socket.h>

#include <chrono>
#include <stop_token>
#include <string>

#include "pipescope/result.hpp"
#include "pipescope/unique_handle.hpp"

namespace pipescope::core::os {

// What to do when the listener's backlog is full (all instances busy).
enum class FullBacklog {
    Busy,              // answer Busy at once
    RetryThenTimeout,  // retry until the deadline, then answer Timeout
    RetryIfTimeLeft,  // retry until the deadline, then Timeout; Busy when there was no time to wait
};

struct BoundedConnect {
    const sockaddr* address = nullptr;
    socklen_t address_len = 0;
    int family = AF_UNIX;
    int type = SOCK_STREAM;
    // time_point::max(): no bound.
    std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
    FullBacklog full_backlog = FullBacklog::RetryThenTimeout;
    // The "Next:" clause of the Busy error, after "...all instances are busy. Next: retry later, ".
    std::string busy_next = "or let the client wait for a free one";
    // The message of a Timeout while a handshake is in progress; empty: errno's (ETIMEDOUT).
    std::string handshake_timeout_message;
    // Returned when `stop` is requested.
    Error cancelled;
};

// Connects a new non-blocking, close-on-exec socket; the descriptor stays non-blocking. Errors
// name "connect" (or "socket") and `subject`: Busy or Timeout for a full backlog as `full_backlog`
// says, Timeout (ETIMEDOUT) when a handshake outlives the deadline, `cancelled` on stop, the
// errno's own wording otherwise. Any thread; returns within about the deadline (stop is checked
// at least every 50 ms).
[[nodiscard]] Result<UniqueFd> connect_bounded(const BoundedConnect& how,
                                               const std::stop_token& stop,
                                               const std::string& subject);

// Sleeps up to `ms`, or less when `stop` is requested (looked at every millisecond). For
// retries with backoff: this dialer's and the FIFO transport's.
void nap(int ms, const std::stop_token& stop);

}  // namespace pipescope::core::os
