// Timeouts and cancellation for blocking OS calls, kept off the hot path.
//
// A channel's read or write is one plain blocking call (recv, read, ReadFile ...), exactly what
// a hand-written loop makes. Around it the channel arms a CallSlot (plain stores of the call's
// number, timeout and thread: no clock read, no locked instruction, no fence) and disarms it
// after (one plain store): no syscall, lock, atomic read-modify-write or allocation per call.
// On the 2-core VM this was measured on, a locked instruction costs 20-25 ns and a clock read
// 16-23 ns, against a FIFO round trip of about 2.7 us; the first version of this (a coarse
// clock read, a seq_cst store and a compare-exchange) cost 45-60 ns a call, four calls a round
// trip.
//
// One process-wide watchdog thread looks at the armed slots, learns of each call when it first
// sees it and counts the call's deadline from then, and interrupts a call past its deadline or
// cancelled: POSIX with a signal whose handler does nothing (SIGURG, installed without
// SA_RESTART, so the call returns EINTR; sent with tgkill to the thread's id, which is harmless
// if the thread has gone), Windows with CancelSynchronousIo. It repeats the interrupt every 2 ms
// until the call returns, because an interrupt can land just before the thread enters the call.
// While calls with a timeout are armed it looks every 1/16 of the shortest timeout (at least
// 1 ms, at most 250 ms apart), so a timeout fires up to that late, never early; an arm whose
// timeout needs closer looks wakes it. With nothing armed it sleeps until an arm or a cancel.
//
// Without fences the owner's stores may reach the watchdog a moment late, and the owner may
// read a slightly old interval or cancel flag. The watchdog covers that by looking once more
// 1 ms after every kick and before every longer wait (a thread blocked in the kernel has long
// published its stores by then), so a cancel or an armed call is never missed.
//
// A late interrupt never hits the next call by mistake: calls are numbered, the watchdog
// records the number of the call it interrupts before it interrupts, and a slot reports
// TimedOut or Cancelled only for that call; an interrupt (EINTR, ERROR_OPERATION_ABORTED) that
// lands in a later call is not its own, and the caller retries that call.
//
// Why one thread for the process (the one process-wide service in core besides the loggers):
// a thread per channel would cost a thread start per connection, and connection churn is one of
// the things PipeScope measures; the signal disposition is process-wide anyway.
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
    // While armed, after the call returned EINTR / ERROR_OPERATION_ABORTED: whether that was
    // the watchdog's interrupt of this call (else it was meant for an earlier one: retry).
    [[nodiscard]] bool fired() const noexcept {
        return fired_call_.load(std::memory_order_acquire) == call_.load(std::memory_order_relaxed);
    }
    // Sticky: the current call (if any) is interrupted, and every later arm() fails.
    void cancel() noexcept;
    [[nodiscard]] bool cancelled() const noexcept {
        return cancelled_.load(std::memory_order_acquire);
    }

  private:
    friend class CallWatchdog;
    static constexpr std::int64_t kNever = INT64_MAX;
    // Written by the owner thread only: the number of the current call, odd while a call is
    // armed, even between calls; its timeout and thread.
    std::atomic<std::uint64_t> call_{0};
    std::atomic<std::int64_t> timeout_ns_{kNever};
    std::atomic<std::uintptr_t> thread_{0};
    // Written by the watchdog only: the number of the call it interrupted.
    std::atomic<std::uint64_t> fired_call_{0};
    // The watchdog's own, under its lock: the call it last saw and that call's deadline, which
    // it counts from when it first saw the call.
    std::uint64_t seen_call_ = 0;
    std::int64_t deadline_ns_ = kNever;
    std::atomic<bool> cancelled_{false};
};

}  // namespace pipescope::core::os
