// Windows side of the call watchdog: a blocked synchronous ReadFile/WriteFile is interrupted
// with CancelSynchronousIo on the thread's handle (ERROR_OPERATION_ABORTED); when the call has
// not started yet, CancelSynchronousIo finds nothing and the watchdog tries again 2 ms later.
#include <windows.h>

#include <chrono>

#include "os/call_watchdog.hpp"
#include "pipescope/unique_handle.hpp"

namespace pipescope::core::os::detail {

// steady_clock is QueryPerformanceCounter here, a cheap user-mode read: no lag.
const std::int64_t kCoarseLagNs = 0;

ThreadRef current_thread() noexcept {
    // A real handle (GetCurrentThread is a pseudo handle), made once per thread and closed when
    // the thread ends; a slot only uses it while its thread is inside a call.
    thread_local UniqueHandle self = [] {
        HANDLE out = nullptr;
        ::DuplicateHandle(::GetCurrentProcess(), ::GetCurrentThread(), ::GetCurrentProcess(), &out,
                          0, FALSE, DUPLICATE_SAME_ACCESS);
        return UniqueHandle(out);
    }();
    return ThreadRef{reinterpret_cast<std::uintptr_t>(self.get())};
}

void interrupt(ThreadRef thread) noexcept {
    if (thread.value != 0) ::CancelSynchronousIo(reinterpret_cast<HANDLE>(thread.value));
}

void prepare_interrupts() {}

std::int64_t coarse_now_ns() noexcept {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

}  // namespace pipescope::core::os::detail
