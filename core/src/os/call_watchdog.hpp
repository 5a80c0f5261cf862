// Timeouts and cancellation for blocking OS calls, kept off the hot path.
//
// A channel's read or write is one plain blocking call (recv, read, ReadFile ...), exactly what
// a hand-written loop makes. Around it the channel arms a CallSlot (a coarse clock read and a
// few atomic stores) and disarms it after (one compare-exchange): no syscall, lock or
// allocation per call. One process-wide watchdog thread sleeps until the earliest armed
// deadline, or until a slot is cancelled, and then interrupts the blocked thread: POSIX with a
// signal whose handler does nothing (SIGURG, installed without SA_RESTART, so the call returns
// EINTR), Windows with CancelSynchronousIo. It repeats the interrupt every 2 ms until the call
// returns, because an interrupt can land just before the thread enters the call. In steady
// traffic with a constant timeout the watchdog wakes about once per timeout, not per call.
//
// Why one thread for the process (the one process-wide service in core besides the loggers):
// a thread per channel would cost a thread start per connection, and connection churn is one of
// the things PipeScope measures; the signal disposition is process-wide anyway.
//
// A late interrupt never hits the next call by mistake: a slot reports TimedOut or Cancelled
// only for the call during which the watchdog fired; a stray EINTR or an abort with nothing
// fired is retried (POSIX) by the caller.
#pragma once

#include <atomic>
#include <cstdint>

#include "pipescope/transport.hpp"

namespace pipescope::core::os {

// The thread to interrupt: a pthread_t (POSIX) or a thread id (Windows).
struct ThreadRef {
    std::uintptr_t value = 0;
};

// Per OS (os/posix/call_watchdog_posix.cpp, os/win32/call_watchdog_win32.cpp).
namespace detail {
// The calling thread's reference, cached per thread. Any thread.
ThreadRef current_thread() noexcept;
// Makes a blocking call in `thread` return early (EINTR / ERROR_OPERATION_ABORTED). Watchdog.
void interrupt(ThreadRef thread) noexcept;
// Once per process, before the first interrupt (POSIX: the signal handler).
void prepare_interrupts();
// A cheap monotonic clock in the time base of std::chrono::steady_clock, never ahead of it
// and behind it by at most kCoarseLagNs (Linux: CLOCK_MONOTONIC_COARSE).
std::int64_t coarse_now_ns() noexcept;
extern const std::int64_t kCoarseLagNs;
}  // namespace detail

enum class CallOutcome { Completed, TimedOut, Cancelled };

// One direction of one channel: at most one blocking call at a time (the reader's or the
// writer's thread). arm/disarm from that thread; cancel from any thread. Registered with the
// watchdog for its lifetime (a lock at construction and destruction, none per call).
class CallSlot {
  public:
    CallSlot();
    ~CallSlot();
    CallSlot(const CallSlot&) = delete;
    CallSlot& operator=(const CallSlot&) = delete;

    // Before a blocking call. Returns false when the slot is cancelled (do not make the call).
    [[nodiscard]] bool arm(Timeout timeout) noexcept;
    // After the call returned (whatever it returned). Says whether the watchdog interrupted it.
    CallOutcome disarm() noexcept;
    // While armed, after the call returned EINTR: whether that was our interrupt.
    [[nodiscard]] bool fired() const noexcept { return fired_.load(std::memory_order_acquire); }
    // Sticky: the current call (if any) is interrupted, and every later arm() fails.
    void cancel() noexcept;
    [[nodiscard]] bool cancelled() const noexcept {
        return cancelled_.load(std::memory_order_acquire);
    }

  private:
    friend class CallWatchdog;
    static constexpr std::uint32_t kIdle = 0, kArmed = 1, kBusy = 2;
    static constexpr std::int64_t kNever = INT64_MAX;
    std::atomic<std::uint32_t> state_{kIdle};
    std::atomic<std::int64_t> deadline_ns_{kNever};
    std::atomic<bool> fired_{false};
    std::atomic<bool> cancelled_{false};
    ThreadRef thread_;
};

}  // namespace pipescope::core::os
