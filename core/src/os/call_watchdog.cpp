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

    // A slot was armed with `deadline_ns`, or cancelled (0): wakes the loop only when that is
    // earlier than the wake-up it has planned. seq_cst pairs with the loop's store of next_.
    void armed(std::int64_t deadline_ns) noexcept {
        if (deadline_ns >= next_.load(std::memory_order_seq_cst)) return;
        std::lock_guard lock(mu_);
        kicked_ = true;
        cv_.notify_one();
    }

  private:
    CallWatchdog() = default;

    static std::int64_t now_ns() {
        return std::chrono::duration_cast<std::chrono::nanoseconds>(
                   std::chrono::steady_clock::now().time_since_epoch())
            .count();
    }

    // Interrupts what is due; returns the earliest deadline still ahead. Holds mu_.
    std::int64_t sweep(std::int64_t now) {
        constexpr std::int64_t kRepeatNs = 2'000'000;  // until the call has returned
        std::int64_t earliest = CallSlot::kNever;
        for (CallSlot* s : slots_) {
            if (s->state_.load(std::memory_order_seq_cst) != CallSlot::kArmed) continue;
            const bool cancel = s->cancelled_.load(std::memory_order_seq_cst);
            const std::int64_t d = s->deadline_ns_.load(std::memory_order_seq_cst);
            if (!cancel && d > now) {
                earliest = std::min(earliest, d);
                continue;
            }
            std::uint32_t expect = CallSlot::kArmed;
            if (s->state_.compare_exchange_strong(expect, CallSlot::kBusy)) {
                s->fired_.store(true, std::memory_order_release);
                detail::interrupt(s->thread_);
                s->state_.store(CallSlot::kArmed, std::memory_order_release);
            }
            earliest = std::min(earliest, now + kRepeatNs);
        }
        return earliest;
    }

    void loop() {
        std::unique_lock lock(mu_);
        for (;;) {
            kicked_ = false;
            std::int64_t next = sweep(now_ns());
            // Publish the plan, then look once more: a slot armed before the store saw the old
            // plan and may not have kicked us.
            next_.store(next, std::memory_order_seq_cst);
            const std::int64_t again = sweep(now_ns());
            if (again < next) {
                next_.store(again, std::memory_order_seq_cst);
                next = again;
            }
            if (kicked_) continue;
            if (next == CallSlot::kNever) {
                cv_.wait(lock, [&] { return kicked_; });
            } else {
                const auto at =
                    std::chrono::steady_clock::time_point(std::chrono::nanoseconds(next));
                cv_.wait_until(lock, at, [&] { return kicked_; });
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
    thread_ = detail::current_thread();
    fired_.store(false, std::memory_order_relaxed);
    std::int64_t deadline = kNever;
    if (timeout.count() >= 0) {
        // The coarse clock may lag: add its lag so a call never times out early.
        deadline = detail::coarse_now_ns() + detail::kCoarseLagNs +
                   std::chrono::duration_cast<std::chrono::nanoseconds>(timeout).count();
    }
    deadline_ns_.store(deadline, std::memory_order_relaxed);
    state_.store(kArmed, std::memory_order_seq_cst);
    // Pairs with cancel(): either we see its flag here, or its sweep sees us armed.
    if (cancelled_.load(std::memory_order_seq_cst)) {
        (void)disarm();
        return false;
    }
    if (deadline != kNever) CallWatchdog::instance().armed(deadline);
    return true;
}

CallOutcome CallSlot::disarm() noexcept {
    std::uint32_t expect = kArmed;
    while (!state_.compare_exchange_weak(expect, kIdle, std::memory_order_acq_rel)) {
        expect = kArmed;  // the watchdog is interrupting this call right now: a moment
        std::this_thread::yield();
    }
    if (!fired_.load(std::memory_order_acquire)) return CallOutcome::Completed;
    return cancelled_.load(std::memory_order_acquire) ? CallOutcome::Cancelled
                                                      : CallOutcome::TimedOut;
}

void CallSlot::cancel() noexcept {
    cancelled_.store(true, std::memory_order_seq_cst);
    CallWatchdog::instance().armed(0);
}

}  // namespace pipescope::core::os
