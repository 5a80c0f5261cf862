#include "cli_common.hpp"

#ifdef _WIN32
#include <io.h>
#else
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
