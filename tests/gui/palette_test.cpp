#include <gtest/gtest.h>

#include "shell/palette.hpp"

using namespace pipescope::gui;

namespace {

void expect_color(const ImVec4& c, float r, float g, float b, float a) {
    EXPECT_FLOAT_EQ(c.x, r);
    EXPECT_FLOAT_EQ(c.y, g);
    EXPECT_FLOAT_EQ(c.z, b);
    EXPECT_FLOAT_EQ(c.w, a);
}

float luminance(const ImVec4& c) {
    return 0.2126f * c.x + 0.7152f * c.y + 0.0722f * c.z;
}
float luminance(ImU32 c) {
    return luminance(ImGui::ColorConvertU32ToFloat4(c));
}

// The dark theme keeps the colours the views wrote as literals before the palette.
TEST(Palette, DarkEntriesAreTheColoursTheViewsUsedBefore) {
    const Palette& p = palette(Theme::Dark);
    expect_color(p.error, 1.0f, 0.45f, 0.42f, 1.0f);
    expect_color(p.log_error, 1.0f, 0.42f, 0.4f, 1.0f);
    expect_color(p.warning, 1.0f, 0.7f, 0.3f, 1.0f);
    expect_color(p.caution, 1.0f, 0.75f, 0.3f, 1.0f);
    expect_color(p.log_warning, 1.0f, 0.78f, 0.3f, 1.0f);
    expect_color(p.notice, 1.0f, 0.8f, 0.4f, 1.0f);
    expect_color(p.deny, 1.0f, 0.55f, 0.45f, 1.0f);
    expect_color(p.ok, 0.45f, 0.85f, 0.5f, 1.0f);
    expect_color(p.passive, 0.5f, 0.75f, 1.0f, 1.0f);
    expect_color(p.dim, 0.6f, 0.6f, 0.65f, 1.0f);
    expect_color(p.received, 0.5f, 0.8f, 1.0f, 1.0f);
    expect_color(p.sent, 0.6f, 0.9f, 0.5f, 1.0f);
    expect_color(p.banner_error, 0.45f, 0.16f, 0.16f, 0.6f);
    expect_color(p.banner_warning, 0.45f, 0.36f, 0.12f, 0.45f);
    EXPECT_EQ(p.row_new, IM_COL32(70, 170, 90, 110));
    EXPECT_EQ(p.row_removed, IM_COL32(150, 60, 60, 90));
    EXPECT_EQ(p.row_full, IM_COL32(190, 130, 40, 60));
    const ImU32 series[] = {IM_COL32(90, 170, 255, 255), IM_COL32(255, 165, 70, 255),
                            IM_COL32(110, 210, 120, 255), IM_COL32(255, 95, 90, 255),
                            IM_COL32(200, 130, 255, 255)};
    for (int i = 0; i < Palette::kSeriesCount; ++i) EXPECT_EQ(p.series[i], series[i]) << i;
    EXPECT_EQ(p.throughput, IM_COL32(90, 170, 255, 255));
    EXPECT_EQ(p.latency_p50, IM_COL32(110, 210, 120, 255));
    EXPECT_EQ(p.latency_p99, IM_COL32(255, 165, 70, 255));
    EXPECT_EQ(p.latency_max, IM_COL32(255, 95, 90, 255));
}

// On the light theme's near-white window (luminance about 0.96) text colours must be dark
// enough to read: each is well below the background in (gamma-encoded) luminance.
TEST(Palette, LightTextColoursAreDarkEnoughForALightBackground) {
    const Palette& p = palette(Theme::Light);
    for (const ImVec4* c :
         {&p.error, &p.log_error, &p.warning, &p.caution, &p.log_warning, &p.notice, &p.deny, &p.ok,
          &p.passive, &p.dim, &p.received, &p.sent, &p.to_server, &p.to_client, &p.severity_high,
          &p.severity_medium, &p.severity_low, &p.severity_info}) {
        EXPECT_LT(luminance(*c), 0.45f);
    }
    for (ImU32 c : p.series) EXPECT_LT(luminance(c), 0.5f);
    EXPECT_NE(p.error.x, palette(Theme::Dark).error.x);
}

TEST(Palette, ScaleAlphaKeepsTheColourAndScalesOnlyItsAlpha) {
    EXPECT_EQ(scale_alpha(IM_COL32(150, 60, 60, 90), 0.5f), IM_COL32(150, 60, 60, 45));
    EXPECT_EQ(scale_alpha(IM_COL32(70, 170, 90, 110), 1.0f), IM_COL32(70, 170, 90, 110));
    EXPECT_EQ(scale_alpha(IM_COL32(70, 170, 90, 110), 0.0f), IM_COL32(70, 170, 90, 0));
    const ImVec4 c = with_alpha(ImVec4(1, 0.5f, 0.25f, 0.8f), 0.5f);
    expect_color(c, 1, 0.5f, 0.25f, 0.4f);
}

TEST(Palette, CurrentPaletteFollowsTheStyle) {
    ImGui::CreateContext();
    ImGui::StyleColorsDark();
    EXPECT_EQ(&current_palette(), &palette(Theme::Dark));
    ImGui::StyleColorsLight();
    EXPECT_EQ(&current_palette(), &palette(Theme::Light));
    ImGui::DestroyContext();
}

}  // namespace
