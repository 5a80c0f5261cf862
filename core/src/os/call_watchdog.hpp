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
#include <chrono>
#include <cstdint>

#include "pipescope/transport.hpp"

namespace pipescope::core::os {

// The thread to interrupt: a pthread_t (POSIX) or a thread id (Windows).
struct ThreadRef {
    std::uintptr_t value = 0;
};

// Per OS (os/posix/call_watchdog_posix.cpp, os/win32/call_watchdog_win32.cpp).
namespace detail {
// The calling thread's reference, cached per thread. Any thread. Inline on POSIX (a thread-local
// load; the first call per thread asks the kernel), since every arm() stores it.
#ifdef _WIN32
ThreadRef current_thread() noexcept;
#else
extern constinit thread_local std::uintptr_t cached_thread_id;  // 0: not asked yet
ThreadRef current_thread_first() noexcept;
inline ThreadRef current_thread() noexcept {
    const std::uintptr_t t = cached_thread_id;
    return t != 0 ? ThreadRef{t} : current_thread_first();
}
#endif
// Makes a blocking call in `thread` return early (EINTR / ERROR_OPERATION_ABORTED). Watchdog.
void interrupt(ThreadRef thread) noexcept;
// Once per process, before the first interrupt (POSIX: the signal handler).
void prepare_interrupts();
// How often the watchdog looks now (ns; INT64_MAX while it sleeps until woken), published by
// it for arm() to read; and waking it (a lock and a notify: only when an arm needs closer looks).
extern std::atomic<std::int64_t> watchdog_interval;
void wake_watchdog() noexcept;
}  // namespace detail

// How often the watchdog must look while a call with this timeout is armed: it learns of a call
// when it looks, so a timeout fires up to one interval late, never early.
constexpr std::int64_t look_interval_for(std::int64_t timeout_ns) noexcept {
    constexpr std::int64_t kMin = 1'000'000, kMax = 250'000'000;
    const std::int64_t i = timeout_ns / 16;
    return i < kMin ? kMin : i > kMax ? kMax : i;
}

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

// Inline, always: a channel arms and disarms around every blocking call.
[[gnu::always_inline]] inline bool CallSlot::arm(Timeout timeout) noexcept {
    const std::int64_t timeout_ns =
        timeout.count() < 0 ? kNever
                            : std::chrono::duration_cast<std::chrono::nanoseconds>(timeout).count();
    const std::uint64_t call = call_.load(std::memory_order_relaxed) + 1;  // odd: armed
    thread_.store(detail::current_thread().value, std::memory_order_relaxed);
    timeout_ns_.store(timeout_ns, std::memory_order_relaxed);
    call_.store(call, std::memory_order_release);
    if (cancelled_.load(std::memory_order_acquire)) {
        call_.store(call + 1, std::memory_order_release);
        return false;
    }
    if (timeout_ns != kNever &&
        look_interval_for(timeout_ns) < detail::watchdog_interval.load(std::memory_order_relaxed))
        detail::wake_watchdog();
    return true;
}

[[gnu::always_inline]] inline CallOutcome CallSlot::disarm() noexcept {
    const std::uint64_t call = call_.load(std::memory_order_relaxed);
    call_.store(call + 1, std::memory_order_release);  // even: between calls
    if (fired_call_.load(std::memory_order_acquire) != call) return CallOutcome::Completed;
    return cancelled_.load(std::memory_order_acquire) ? CallOutcome::Cancelled
                                                      : CallOutcome::TimedOut;
}

}  // namespace pipescope::core::os
