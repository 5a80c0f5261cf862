// Small text helpers the services and the front ends share (the pipe list filter, the audit's
// filter and exclude list, the Security tab's findings filter). Any thread.
#pragma once

#include <algorithm>
#include <cctype>
#include <string_view>

namespace pipescope::core {

// True when `needle` occurs in `hay`, ASCII letters compared without case. An empty needle
// occurs everywhere.
[[nodiscard]] inline bool icontains(std::string_view hay, std::string_view needle) {
    if (needle.empty()) return true;
    auto it = std::search(hay.begin(), hay.end(), needle.begin(), needle.end(), [](char a, char b) {
        return std::tolower(static_cast<unsigned char>(a)) ==
               std::tolower(static_cast<unsigned char>(b));
    });
    return it != hay.end();
}

}  // namespace pipescope::core
