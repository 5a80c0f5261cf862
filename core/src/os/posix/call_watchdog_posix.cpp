// POSIX side of the call watchdog: a blocked call is interrupted by SIGURG, whose handler does
// nothing and is installed without SA_RESTART, so the call returns EINTR (or a partial count).
// SIGURG because its default action is to be ignored and debuggers pass it silently; a program
// that already handles SIGURG keeps its handler (then it must not use SA_RESTART, or timeouts
// of blocking pipe calls wait for data). The signal goes to the thread's id with tgkill, not to a
// pthread_t: the watchdog may interrupt a call just as it returns, and a thread that has since
// ended makes tgkill fail with ESRCH, where pthread_kill would be undefined.
#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <mutex>

#include "os/call_watchdog.hpp"

namespace pipescope::core::os::detail {

namespace {
void on_interrupt(int) {}
}  // namespace

// Reset in a forked child (see prepare_interrupts).
constinit thread_local std::uintptr_t cached_thread_id = 0;

ThreadRef current_thread_first() noexcept {
    cached_thread_id = static_cast<std::uintptr_t>(::syscall(SYS_gettid));
    return ThreadRef{cached_thread_id};
}

void interrupt(ThreadRef thread) noexcept {
    ::syscall(SYS_tgkill, ::getpid(), static_cast<pid_t>(thread.value), SIGURG);
}

void prepare_interrupts() {
    // A forked child's one thread has a new id, but inherits the forking thread's cache.
    ::pthread_atfork(nullptr, nullptr, [] { cached_thread_id = 0; });
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

}  // namespace pipescope::core::os::detail
