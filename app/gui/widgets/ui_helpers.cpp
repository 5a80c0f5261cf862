#include "widgets/ui_helpers.hpp"

#include <cstdio>
#include <ctime>

namespace pipescope::gui {

std::string clock_text_us(std::int64_t unix_us, int fraction_digits) {
    std::time_t secs = static_cast<std::time_t>(unix_us / 1000000);
    std::tm tm{};
#ifdef _WIN32
    localtime_s(&tm, &secs);
#else
    localtime_r(&secs, &tm);
#endif
    long long fraction = unix_us % 1000000;
    if (fraction_digits == 3) fraction /= 1000;
    char buf[40];
    std::snprintf(buf, sizeof buf, "%02d:%02d:%02d.%0*lld", tm.tm_hour, tm.tm_min, tm.tm_sec,
                  fraction_digits == 3 ? 3 : 6, fraction);
    return buf;
}

}  // namespace pipescope::gui
