#include "os/call_watchdog.hpp"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace pipescope::core::os {

std::atomic<std::int64_t> detail::watchdog_interval{INT64_MAX};

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

    void cancelled() noexcept { kick(); }

    void kick() {
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

    // Learns of calls armed since the last look (their deadline counts from now, which is no
    // earlier than their start) and interrupts what is due. Returns how long it may wait before
    // it must look again (CallSlot::kNever: nothing armed with a timeout). Holds mu_ (so no
    // slot is destroyed under it).
    std::int64_t sweep(std::int64_t now) {
        constexpr std::int64_t kRepeatNs = 2'000'000;  // until the interrupted call returned
        std::int64_t wait = CallSlot::kNever;
        for (CallSlot* s : slots_) {
            const std::uint64_t call = s->call_.load(std::memory_order_acquire);
            if ((call & 1) == 0) {  // between calls
                s->seen_call_ = call;
                continue;
            }
            const std::int64_t timeout = s->timeout_ns_.load(std::memory_order_relaxed);
            if (call != s->seen_call_) {
                s->seen_call_ = call;
                s->deadline_ns_ = timeout == CallSlot::kNever ? CallSlot::kNever : now + timeout;
            }
            if (!s->cancelled_.load(std::memory_order_acquire) && s->deadline_ns_ > now) {
                if (timeout != CallSlot::kNever)
                    wait = std::min({wait, look_interval_for(timeout), s->deadline_ns_ - now});
                continue;
            }
            // Record which call this is before interrupting it, so the owner can tell our
            // interrupt from one meant for an earlier call.
            s->fired_call_.store(call, std::memory_order_release);
            detail::interrupt(ThreadRef{s->thread_.load(std::memory_order_relaxed)});
            wait = std::min(wait, kRepeatNs);
        }
        return wait;
    }

    void loop() {
        using std::chrono::nanoseconds;
        using std::chrono::steady_clock;
        constexpr std::int64_t kSecondLookNs = 1'000'000;
        std::unique_lock lock(mu_);
        std::int64_t published = CallSlot::kNever;
        bool after_kick = true;
        for (;;) {
            kicked_ = false;
            const std::int64_t now = now_ns();
            std::int64_t wait = sweep(now);
            const bool longer = wait > published;
            detail::watchdog_interval.store(wait, std::memory_order_relaxed);
            published = wait;
            // After a kick, or before waiting longer than arms were told, look once more a
            // moment later: an arm or cancel racing with the sweep may not have been visible
            // to it, and the arm may have read the old interval and not kicked us.
            if ((after_kick || longer) && wait > kSecondLookNs) wait = kSecondLookNs;
            if (wait == CallSlot::kNever) {
                cv_.wait(lock, [&] { return kicked_; });
            } else {
                cv_.wait_until(lock, steady_clock::time_point(nanoseconds(now + wait)),
                               [&] { return kicked_; });
            }
            after_kick = kicked_;
        }
    }

    std::mutex mu_;
    std::condition_variable cv_;
    bool kicked_ = false;
    std::vector<CallSlot*> slots_;
    std::thread thread_;
};

CallSlot::CallSlot() {
    CallWatchdog::instance().add(this);
}

CallSlot::~CallSlot() {
    CallWatchdog::instance().remove(this);
}

void detail::wake_watchdog() noexcept {
    CallWatchdog::instance().kick();
}

void CallSlot::cancel() noexcept {
    cancelled_.store(true, std::memory_order_release);
    CallWatchdog::instance().cancelled();
}

}  // namespace pipescope::core::os
