// Small pieces several views share. UI thread only.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

#include <imgui.h>

namespace pipescope::core {
enum class Severity;  // pipescope/audit.hpp
}  // namespace pipescope::core

namespace pipescope::gui {

// A finding's severity colour from the current theme's palette.
[[nodiscard]] ImVec4 severity_color(core::Severity severity);

// Local wall-clock time "HH:MM:SS" plus `fraction_digits` (3: ms, 6: us) of a time in
// microseconds since 1970.
[[nodiscard]] std::string clock_text_us(std::int64_t unix_us, int fraction_digits);

// A tooltip whose text wraps at about 40 characters' width (long explanations, details).
void wrapped_tooltip(const char* text);

// Copies `text` into a text box's buffer, cut to fit, NUL-terminated.
template <std::size_t N>
void copy_to(char (&buf)[N], std::string_view text) {
    const std::size_t n = std::min(text.size(), N - 1);
    std::copy_n(text.data(), n, buf);
    buf[n] = '\0';
}

// A combo box over enum values named by an ADL-found to_string(E). True when changed.
template <class E>
bool enum_combo(const char* label, E& value, std::initializer_list<E> values) {
    bool changed = false;
    if (ImGui::BeginCombo(label, std::string(to_string(value)).c_str())) {
        for (E v : values) {
            if (ImGui::Selectable(std::string(to_string(v)).c_str(), v == value)) {
                value = v;
                changed = true;
            }
        }
        ImGui::EndCombo();
    }
    return changed;
}

}  // namespace pipescope::gui
