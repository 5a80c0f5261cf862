#include "shell/palette.hpp"

namespace pipescope::gui {
namespace {

// The dark theme's colours are the ones the views used before there was a palette.
constexpr ImU32 kBlue = IM_COL32(90, 170, 255, 255);
constexpr ImU32 kGreen = IM_COL32(110, 210, 120, 255);
constexpr ImU32 kOrange = IM_COL32(255, 165, 70, 255);
constexpr ImU32 kRed = IM_COL32(255, 95, 90, 255);
constexpr ImU32 kPurple = IM_COL32(200, 130, 255, 255);

const Palette kDark{
    .error = ImVec4(1.0f, 0.45f, 0.42f, 1.0f),
    .log_error = ImVec4(1.0f, 0.42f, 0.4f, 1.0f),
    .warning = ImVec4(1.0f, 0.7f, 0.3f, 1.0f),
    .caution = ImVec4(1.0f, 0.75f, 0.3f, 1.0f),
    .log_warning = ImVec4(1.0f, 0.78f, 0.3f, 1.0f),
    .notice = ImVec4(1.0f, 0.8f, 0.4f, 1.0f),
    .deny = ImVec4(1.0f, 0.55f, 0.45f, 1.0f),
    .ok = ImVec4(0.45f, 0.85f, 0.5f, 1.0f),
    .passive = ImVec4(0.5f, 0.75f, 1.0f, 1.0f),
    .dim = ImVec4(0.6f, 0.6f, 0.65f, 1.0f),
    .received = ImVec4(0.5f, 0.8f, 1.0f, 1.0f),
    .sent = ImVec4(0.6f, 0.9f, 0.5f, 1.0f),
    .to_server = ImVec4(1.0f, 0.72f, 0.42f, 1.0f),
    .to_client = ImVec4(0.55f, 0.8f, 1.0f, 1.0f),
    .severity_high = ImVec4(1.0f, 0.4f, 0.38f, 1.0f),
    .severity_medium = ImVec4(1.0f, 0.62f, 0.25f, 1.0f),
    .severity_low = ImVec4(0.95f, 0.86f, 0.4f, 1.0f),
    .severity_info = ImVec4(0.6f, 0.75f, 0.95f, 1.0f),
    .banner_error = ImVec4(0.45f, 0.16f, 0.16f, 0.6f),
    .banner_warning = ImVec4(0.45f, 0.36f, 0.12f, 0.45f),
    .row_new = IM_COL32(70, 170, 90, 110),
    .row_removed = IM_COL32(150, 60, 60, 90),
    .row_full = IM_COL32(190, 130, 40, 60),
    .series = {kBlue, kOrange, kGreen, kRed, kPurple},
    .throughput = kBlue,
    .latency_p50 = kGreen,
    .latency_p99 = kOrange,
    .latency_max = kRed,
};

// Darker, more saturated versions that keep at least about 4.5:1 contrast on the light
// theme's near-white background; marks are paler so text stays readable over them.
constexpr ImU32 kLightBlue = IM_COL32(20, 105, 200, 255);
constexpr ImU32 kLightGreen = IM_COL32(30, 140, 60, 255);
constexpr ImU32 kLightOrange = IM_COL32(215, 110, 0, 255);
constexpr ImU32 kLightRed = IM_COL32(205, 45, 40, 255);
constexpr ImU32 kLightPurple = IM_COL32(135, 65, 205, 255);

const Palette kLight{
    .error = ImVec4(0.75f, 0.12f, 0.10f, 1.0f),
    .log_error = ImVec4(0.72f, 0.10f, 0.08f, 1.0f),
    .warning = ImVec4(0.66f, 0.38f, 0.0f, 1.0f),
    .caution = ImVec4(0.64f, 0.40f, 0.0f, 1.0f),
    .log_warning = ImVec4(0.62f, 0.40f, 0.0f, 1.0f),
    .notice = ImVec4(0.58f, 0.38f, 0.0f, 1.0f),
    .deny = ImVec4(0.78f, 0.25f, 0.12f, 1.0f),
    .ok = ImVec4(0.10f, 0.52f, 0.20f, 1.0f),
    .passive = ImVec4(0.10f, 0.40f, 0.75f, 1.0f),
    .dim = ImVec4(0.42f, 0.42f, 0.47f, 1.0f),
    .received = ImVec4(0.05f, 0.38f, 0.70f, 1.0f),
    .sent = ImVec4(0.18f, 0.48f, 0.08f, 1.0f),
    .to_server = ImVec4(0.62f, 0.30f, 0.0f, 1.0f),
    .to_client = ImVec4(0.05f, 0.36f, 0.68f, 1.0f),
    .severity_high = ImVec4(0.75f, 0.08f, 0.06f, 1.0f),
    .severity_medium = ImVec4(0.70f, 0.34f, 0.0f, 1.0f),
    .severity_low = ImVec4(0.48f, 0.42f, 0.0f, 1.0f),
    .severity_info = ImVec4(0.20f, 0.36f, 0.58f, 1.0f),
    .banner_error = ImVec4(0.96f, 0.72f, 0.70f, 0.85f),
    .banner_warning = ImVec4(0.98f, 0.88f, 0.60f, 0.85f),
    .row_new = IM_COL32(80, 190, 100, 90),
    .row_removed = IM_COL32(225, 95, 95, 80),
    .row_full = IM_COL32(235, 165, 45, 80),
    .series = {kLightBlue, kLightOrange, kLightGreen, kLightRed, kLightPurple},
    .throughput = kLightBlue,
    .latency_p50 = kLightGreen,
    .latency_p99 = kLightOrange,
    .latency_max = kLightRed,
};

}  // namespace

const Palette& palette(Theme theme) {
    return theme == Theme::Light ? kLight : kDark;
}

const Palette& current_palette() {
    const ImVec4 bg = ImGui::GetStyle().Colors[ImGuiCol_WindowBg];
    const float luminance = 0.2126f * bg.x + 0.7152f * bg.y + 0.0722f * bg.z;
    return palette(luminance > 0.5f ? Theme::Light : Theme::Dark);
}

ImU32 scale_alpha(ImU32 color, float strength) {
    const auto alpha = (color >> IM_COL32_A_SHIFT) & 0xFFu;
    const auto scaled = static_cast<ImU32>(static_cast<int>(static_cast<float>(alpha) * strength));
    return (color & ~IM_COL32_A_MASK) | ((scaled & 0xFFu) << IM_COL32_A_SHIFT);
}

ImVec4 with_alpha(ImVec4 color, float alpha) {
    return ImVec4(color.x, color.y, color.z, color.w * alpha);
}

}  // namespace pipescope::gui
