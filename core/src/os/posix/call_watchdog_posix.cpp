// POSIX side of the call watchdog: a blocked call is interrupted by SIGURG, whose handler does
// nothing and is installed without SA_RESTART, so the call returns EINTR (or a partial count).
// SIGURG because its default action is to be ignored and debuggers pass it silently; a program
// that already handles SIGURG keeps its handler (then it must not use SA_RESTART, or timeouts
// of blocking pipe calls wait for data).
#include <pthread.h>
#include <signal.h>
#include <time.h>

#include <mutex>

#include "os/call_watchdog.hpp"

namespace pipescope::core::os::detail {

namespace {
void on_interrupt(int) {}
}  // namespace

const std::int64_t kCoarseLagNs = [] {
    timespec res{};
    if (::clock_getres(CLOCK_MONOTONIC_COARSE, &res) != 0) return std::int64_t{10'000'000};
    return static_cast<std::int64_t>(res.tv_sec) * 1'000'000'000 + res.tv_nsec;
}();

ThreadRef current_thread() noexcept {
    return ThreadRef{static_cast<std::uintptr_t>(::pthread_self())};
}

void interrupt(ThreadRef thread) noexcept {
    ::pthread_kill(static_cast<pthread_t>(thread.value), SIGURG);
}

void prepare_interrupts() {
    struct sigaction old {};
    if (::sigaction(SIGURG, nullptr, &old) == 0 &&
        (old.sa_handler == SIG_DFL || old.sa_handler == SIG_IGN) && !(old.sa_flags & SA_SIGINFO)) {
        struct sigaction sa {};
        sa.sa_handler = on_interrupt;
        sigemptyset(&sa.sa_mask);
        sa.sa_flags = 0;  // no SA_RESTART: the blocked call must return
        ::sigaction(SIGURG, &sa, nullptr);
    }
}

std::int64_t coarse_now_ns() noexcept {
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

}  // namespace pipescope::core::os::detail
