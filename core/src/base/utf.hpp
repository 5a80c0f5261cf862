// UTF-16 <-> UTF-8 without the OS, so names from Windows buffers are handled the same way on
// every platform (and tested on Linux). Internal to the core.
#pragma once

#include <string>
#include <string_view>

namespace pipescope::core::detail {

// Lone surrogates become U+FFFD.
[[nodiscard]] std::string utf16_to_utf8(std::u16string_view text);
// Invalid UTF-8 bytes become U+FFFD.
[[nodiscard]] std::u16string utf8_to_utf16(std::string_view text);

#ifdef _WIN32
[[nodiscard]] inline std::string wide_to_utf8(std::wstring_view w) {
    return utf16_to_utf8(
        std::u16string_view(reinterpret_cast<const char16_t*>(w.data()), w.size()));
}
[[nodiscard]] inline std::wstring utf8_to_wide(std::string_view s) {
    auto u = utf8_to_utf16(s);
    return std::wstring(reinterpret_cast<const wchar_t*>(u.data()), u.size());
}
#endif

}  // namespace pipescope::core::detail
