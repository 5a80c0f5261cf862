#include "cli_common.hpp"

#ifdef _WIN32
#include <io.h>
#include <windows.h>
#else
#include <poll.h>
#include <unistd.h>
#endif

namespace pipescope::cli {

long read_stdin(char* buf, unsigned size) {
#ifdef _WIN32
    return ::_read(0, buf, size);
#else
    return static_cast<long>(::read(0, buf, size));
#endif
}

bool stdin_ready(int ms) {
#ifdef _WIN32
    HANDLE in = ::GetStdHandle(STD_INPUT_HANDLE);
    switch (::GetFileType(in)) {
        case FILE_TYPE_PIPE: {
            for (int waited = 0;; waited += 10) {
                DWORD avail = 0;
                // A failed peek is the writer's end (or an error): read_stdin then returns it.
                if (!::PeekNamedPipe(in, nullptr, 0, nullptr, &avail, nullptr) || avail > 0) {
                    return true;
                }
                if (waited >= ms) return false;
                ::Sleep(10);
            }
        }
        case FILE_TYPE_CHAR:
            return ::WaitForSingleObject(in, static_cast<DWORD>(ms)) == WAIT_OBJECT_0;
        default:
            return true;
    }
#else
    pollfd p{0, POLLIN, 0};
    return ::poll(&p, 1, ms) != 0;  // ready, its end (POLLHUP), or an error: read_stdin tells
#endif
}

void write_stdout(const void* data, std::size_t size) {
    std::fflush(stdout);
    const char* p = static_cast<const char*>(data);
    while (size > 0) {
#ifdef _WIN32
        int n = ::_write(1, p, static_cast<unsigned>(size));
#else
        long n = static_cast<long>(::write(1, p, size));
#endif
        if (n <= 0) return;
        p += n;
        size -= static_cast<std::size_t>(n);
    }
}

}  // namespace pipescope::cli
