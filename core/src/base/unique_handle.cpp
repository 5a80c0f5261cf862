#include "pipescope/unique_handle.hpp"

#ifdef _WIN32
#include <windows.h>
#include <io.h>
#else
#include <unistd.h>
#endif

namespace pipescope::core {

#ifdef _WIN32
void Win32HandleTraits::close(value_type h) noexcept {
    ::CloseHandle(h);
}
void FdTraits::close(value_type fd) noexcept {
    ::_close(fd);
}
#else
void Win32HandleTraits::close(value_type) noexcept {}
void FdTraits::close(value_type fd) noexcept {
    ::close(fd);
}
#endif

}  // namespace pipescope::core
