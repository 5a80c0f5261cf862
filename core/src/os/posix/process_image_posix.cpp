// POSIX: a process's executable is the target of /proc/<pid>/exe.
#include <unistd.h>

#include <cerrno>

#include "os/process_image.hpp"

namespace pipescope::core::os {

Result<std::string> process_image(std::uint32_t pid) {
    const std::string link = "/proc/" + std::to_string(pid) + "/exe";
    char buf[4096];
    const ssize_t n = ::readlink(link.c_str(), buf, sizeof buf - 1);
    if (n <= 0) return errno_error(n < 0 ? errno : ENOENT, "readlink", link);
    return std::string(buf, static_cast<std::size_t>(n));
}

}  // namespace pipescope::core::os
