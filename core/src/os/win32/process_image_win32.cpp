// Windows: a process's executable through QueryFullProcessImageNameW, in UTF-8.
#include <windows.h>

#include <iterator>

#include "base/utf.hpp"
#include "os/process_image.hpp"
#include "pipescope/unique_handle.hpp"

namespace pipescope::core::os {

Result<std::string> process_image_of_handle(void* process, const std::string& subject) {
    wchar_t path[MAX_PATH * 2];
    DWORD n = static_cast<DWORD>(std::size(path));
    if (!::QueryFullProcessImageNameW(static_cast<HANDLE>(process), 0, path, &n)) {
        return win32_error(::GetLastError(), "QueryFullProcessImageNameW", subject);
    }
    return detail::wide_to_utf8(std::wstring_view(path, n));
}

Result<std::string> process_image(std::uint32_t pid) {
    const std::string subject = "process " + std::to_string(pid);
    UniqueHandle process{::OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE, pid)};
    if (!process) return win32_error(::GetLastError(), "OpenProcess", subject);
    return process_image_of_handle(process.get(), subject);
}

}  // namespace pipescope::core::os
