// Whole numbers read from JSON without nlohmann's unchecked conversions: get<int>() on 1e10 is
// undefined behaviour (an out-of-range float-to-int cast) and get<std::uint32_t>() on -1 or
// 5000000000 wraps silently. Internal to the core; any thread.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <type_traits>

#include <nlohmann/json.hpp>

namespace pipescope::core::detail {

// `v` as a T when it is a number with no fractional part that T can hold; otherwise nullopt.
template <class T>
[[nodiscard]] std::optional<T> json_whole_number(const nlohmann::json& v) {
    static_assert(std::is_integral_v<T>);
    using L = std::numeric_limits<T>;
    if (v.is_number_unsigned()) {
        const auto u = v.get<std::uint64_t>();
        if (u > static_cast<std::uint64_t>(L::max())) return std::nullopt;
        return static_cast<T>(u);
    }
    if (v.is_number_integer()) {
        const auto i = v.get<std::int64_t>();
        if constexpr (std::is_unsigned_v<T>) {
            if (i < 0 || static_cast<std::uint64_t>(i) > static_cast<std::uint64_t>(L::max()))
                return std::nullopt;
        } else {
            if (i < static_cast<std::int64_t>(L::min()) || i > static_cast<std::int64_t>(L::max()))
                return std::nullopt;
        }
        return static_cast<T>(i);
    }
    if (v.is_number_float()) {
        const double d = v.get<double>();
        // max + 1 is a power of two, so exact as a double; NaN fails the comparison.
        if (!(d >= static_cast<double>(L::min()) && d < static_cast<double>(L::max()) + 1.0) ||
            d != std::floor(d))
            return std::nullopt;
        return static_cast<T>(d);
    }
    return std::nullopt;
}

}  // namespace pipescope::core::detail
