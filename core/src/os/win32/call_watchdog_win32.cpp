// Windows side of the call watchdog: a blocked synchronous ReadFile/WriteFile is interrupted
// with CancelSynchronousIo on the thread's handle (ERROR_OPERATION_ABORTED); when the call has
// not started yet, CancelSynchronousIo finds nothing and the watchdog tries again 2 ms later.
#include <windows.h>

#include "os/call_watchdog.hpp"
#include "pipescope/unique_handle.hpp"

namespace pipescope::core::os::detail {

// The thread id: a handle is opened only when a call has to be interrupted. (A handle cached in
// a thread_local would need a destructor at thread exit, which MinGW's emulated TLS runs after
// freeing the variable's storage: a heap corruption seen under Wine.) The id stays valid while
// the slot is armed, since its thread is inside the call then.
ThreadRef current_thread() noexcept {
    return ThreadRef{::GetCurrentThreadId()};
}

void interrupt(ThreadRef thread) noexcept {
    UniqueHandle h(::OpenThread(THREAD_TERMINATE, FALSE, static_cast<DWORD>(thread.value)));
    if (h) ::CancelSynchronousIo(h.get());
}

void prepare_interrupts() {}

}  // namespace pipescope::core::os::detail
