// The executable of another process, looked up one way per OS for every service that shows it
// (a transport's peer, the inspector's server, the catalog's holders). Any thread.
#pragma once

#include <cstdint>
#include <string>

#include "pipescope/result.hpp"

namespace pipescope::core::os {

// The full path of process `pid`'s executable. Windows: OpenProcess
// (PROCESS_QUERY_LIMITED_INFORMATION) + QueryFullProcessImageNameW, the error naming
// "OpenProcess" and the subject "process <pid>" with GetLastError's code. POSIX: readlink of
// /proc/<pid>/exe, the error an errno_error of "readlink" on that path.
[[nodiscard]] Result<std::string> process_image(std::uint32_t pid);

#ifdef _WIN32
// The same for a process handle the caller already holds (opened with at least
// PROCESS_QUERY_LIMITED_INFORMATION); `process` is a HANDLE.
[[nodiscard]] Result<std::string> process_image_of_handle(void* process,
                                                          const std::string& subject);
#endif

}  // namespace pipescope::core::os
