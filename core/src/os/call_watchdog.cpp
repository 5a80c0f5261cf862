#include "os/call_watchdog.hpp"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace pipescope::core::os {

// The process-wide thread behind every CallSlot (see call_watchdog.hpp), started with the first
// slot. It lives as long as the process: never destroyed, so a channel that outlives static
// destruction (a thread still running at exit) never meets a dead watchdog; the process's end
// ends the thread.
class CallWatchdog {
  public:
    static CallWatchdog& instance() {
        static CallWatchdog* const watchdog = new CallWatchdog;
        return *watchdog;
    }

    void add(CallSlot* slot) {
        std::lock_guard lock(mu_);
        if (!thread_.joinable()) {
            detail::prepare_interrupts();
            thread_ = std::thread([this] { loop(); });
        }
        slots_.push_back(slot);
    }

    void remove(CallSlot* slot) {
        std::lock_guard lock(mu_);  // the loop holds it while it looks at a slot
        slots_.erase(std::remove(slots_.begin(), slots_.end(), slot), slots_.end());
    }

    // A slot was armed with `deadline_ns` (or cancelled: 0). Wakes the loop only when that is
    // earlier than the wake-up it has planned. The plan may be read a moment old: the loop's
    // second look (see loop()) covers an arm that missed a newer plan.
    void armed(std::int64_t deadline_ns) noexcept {
        if (deadline_ns >= next_.load(std::memory_order_relaxed)) return;
        kick();
    }

    void cancelled() noexcept { kick(); }

  private:
    CallWatchdog() = default;

    void kick() {
        std::lock_guard lock(mu_);
        kicked_ = true;
        cv_.notify_one();
    }

    static std::int64_t now_ns() {
        return std::chrono::duration_cast<std::chrono::nanoseconds>(
                   std::chrono::steady_clock::now().time_since_epoch())
            .count();
    }

    // Interrupts what is due; returns the earliest deadline still ahead. Holds mu_ (so no slot
    // is destroyed under it).
    std::int64_t sweep(std::int64_t now) {
        constexpr std::int64_t kRepeatNs = 2'000'000;  // until the call has returned
        std::int64_t earliest = CallSlot::kNever;
        for (CallSlot* s : slots_) {
            const std::uint64_t call = s->call_.load(std::memory_order_acquire);
            if ((call & 1) == 0) continue;  // between calls
            const bool cancel = s->cancelled_.load(std::memory_order_acquire);
            const std::int64_t d = s->deadline_ns_.load(std::memory_order_relaxed);
            if (!cancel && d > now) {
                earliest = std::min(earliest, d);
                continue;
            }
            // Record which call this is before interrupting it, so the owner can tell our
            // interrupt from one meant for an earlier call.
            s->fired_call_.store(call, std::memory_order_release);
            detail::interrupt(ThreadRef{s->thread_.load(std::memory_order_relaxed)});
            earliest = std::min(earliest, now + kRepeatNs);
        }
        return earliest;
    }

    void loop() {
        using std::chrono::nanoseconds;
        using std::chrono::steady_clock;
        constexpr std::int64_t kSecondLookNs = 1'000'000;
        std::unique_lock lock(mu_);
        for (;;) {
            kicked_ = false;
            std::int64_t next = sweep(now_ns());
            next_.store(next, std::memory_order_relaxed);
            // Look once more a moment later: an arm or cancel racing with the sweep may not have
            // been visible to it, and the arm may have read the old plan and not kicked us.
            const std::int64_t second = std::min(next, now_ns() + kSecondLookNs);
            cv_.wait_until(lock, steady_clock::time_point(nanoseconds(second)),
                           [&] { return kicked_; });
            if (kicked_) continue;
            next = sweep(now_ns());
            next_.store(next, std::memory_order_relaxed);
            if (next == CallSlot::kNever) {
                cv_.wait(lock, [&] { return kicked_; });
            } else {
                cv_.wait_until(lock, steady_clock::time_point(nanoseconds(next)),
                               [&] { return kicked_; });
            }
        }
    }

    std::mutex mu_;
    std::condition_variable cv_;
    bool kicked_ = false;
    std::vector<CallSlot*> slots_;
    std::atomic<std::int64_t> next_{CallSlot::kNever};
    std::thread thread_;
};

CallSlot::CallSlot() {
    CallWatchdog::instance().add(this);
}

CallSlot::~CallSlot() {
    CallWatchdog::instance().remove(this);
}

bool CallSlot::arm(Timeout timeout) noexcept {
    std::int64_t deadline = kNever;
    if (timeout.count() >= 0) {
        // The coarse clock may lag: add its lag so a call never times out early.
        deadline = detail::coarse_now_ns() + detail::kCoarseLagNs +
                   std::chrono::duration_cast<std::chrono::nanoseconds>(timeout).count();
    }
    const std::uint64_t call = call_.load(std::memory_order_relaxed) + 1;  // odd: armed
    thread_.store(detail::current_thread().value, std::memory_order_relaxed);
    deadline_ns_.store(deadline, std::memory_order_relaxed);
    call_.store(call, std::memory_order_release);
    if (cancelled_.load(std::memory_order_acquire)) {
        call_.store(call + 1, std::memory_order_release);
        return false;
    }
    if (deadline != kNever) CallWatchdog::instance().armed(deadline);
    return true;
}

CallOutcome CallSlot::disarm() noexcept {
    const std::uint64_t call = call_.load(std::memory_order_relaxed);
    call_.store(call + 1, std::memory_order_release);  // even: between calls
    if (fired_call_.load(std::memory_order_acquire) != call) return CallOutcome::Completed;
    return cancelled_.load(std::memory_order_acquire) ? CallOutcome::Cancelled
                                                      : CallOutcome::TimedOut;
}

void CallSlot::cancel() noexcept {
    cancelled_.store(true, std::memory_order_release);
    CallWatchdog::instance().cancelled();
}

}  // namespace pipescope::core::os
