#include "widgets/ui_helpers.hpp"

#include <cstdio>
#include <ctime>

#include "shell/palette.hpp"
#include "pipescope/audit.hpp"

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

ImVec4 severity_color(core::Severity severity) {
    const Palette& pal = current_palette();
    switch (severity) {
        case core::Severity::High:
            return pal.severity_high;
        case core::Severity::Medium:
            return pal.severity_medium;
        case core::Severity::Low:
            return pal.severity_low;
        case core::Severity::Info:
            return pal.severity_info;
    }
    return pal.dim;
}

void wrapped_tooltip(const char* text) {
    ImGui::BeginTooltip();
    ImGui::PushTextWrapPos(ImGui::GetFontSize() * 40.0f);
    ImGui::TextUnformatted(text);
    ImGui::PopTextWrapPos();
    ImGui::EndTooltip();
}

}  // namespace pipescope::gui
