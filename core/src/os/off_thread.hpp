// A call that cannot be bounded or cancelled itself (getaddrinfo) run on a thread of its own,
// so the caller can stop waiting for it at a deadline or on a stop request. The thread is
// detached and finishes on its own; what it returns then is dropped. Only for calls that hold
// nothing afterwards (no handle, no descriptor). Internal to core: remote-check's and the SMB
// client's name resolution.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <thread>
#include <utility>

namespace pipescope::core::os {

// Runs fn() on a detached thread; its result, or nullopt when `deadline` passed or `stop` was
// requested first (looked at every 50 ms). Any thread.
template <class Fn>
auto call_off_thread(Fn fn, std::chrono::steady_clock::time_point deadline,
                     const std::stop_token& stop) -> std::optional<decltype(fn())> {
    using T = decltype(fn());
    struct Shared {
        std::mutex m;
        std::condition_variable cv;
        std::optional<T> value;
    };
    auto shared = std::make_shared<Shared>();
    std::thread([shared, fn = std::move(fn)]() mutable {
        T v = fn();
        std::lock_guard lock(shared->m);
        shared->value = std::move(v);
        shared->cv.notify_all();
    }).detach();
    std::unique_lock lock(shared->m);
    while (!shared->value) {
        if (stop.stop_requested()) return std::nullopt;
        const auto now = std::chrono::steady_clock::now();
        if (now >= deadline) return std::nullopt;
        shared->cv.wait_until(lock, std::min(deadline, now + std::chrono::milliseconds(50)));
    }
    return std::move(shared->value);
}

}  // namespace pipescope::core::os
