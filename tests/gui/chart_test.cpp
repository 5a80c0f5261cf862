#include <gtest/gtest.h>

#include "gui/headless.hpp"
#include "widgets/chart.hpp"

using namespace pipescope::gui;
using pipescope::gui::test::Headless;

namespace {

TEST(ChartWidget, DrawsSeriesAndReportsTheHoveredColumn) {
    Headless ui(800, 600);
    RingSeries rate(1000), p99(1000);
    for (int i = 0; i < 500; ++i) {
        rate.push(i * 0.1, 1e9 + i * 1e6);
        p99.push(i * 0.1, 20000 + (i % 10) * 1000);
    }
    ChartSeries series[] = {{"throughput", &rate, IM_COL32(80, 160, 255, 255)},
                            {"p99", &p99, IM_COL32(255, 120, 80, 255)}};
    ChartHover hover;
    int vertices_with = 0;
    auto draw = [&] {
        ImGui::SetNextWindowPos(ImVec2(0, 0));
        ImGui::SetNextWindowSize(ImVec2(800, 600));
        ImGui::Begin("charts");
        hover = line_chart("##rate", ImVec2(-1, 300), series,
                           ChartOptions{Unit::Seconds, Unit::BytesPerSec});
        ImGui::End();
    };
    ui.io().MousePos = ImVec2(400, 150);
    ui.frame(draw);
    ui.frame(draw);
    vertices_with = ImGui::GetDrawData()->TotalVtxCount;
    EXPECT_TRUE(hover.active);
    EXPECT_GE(hover.column, 0);
    EXPECT_GT(hover.x, 0.0);
    EXPECT_LT(hover.x, 50.0);

    // The same chart with no data draws far less (just the frame and the "no data" text).
    RingSeries empty(10);
    ChartSeries none[] = {{"throughput", &empty, IM_COL32(80, 160, 255, 255)}};
    auto draw_empty = [&] {
        ImGui::SetNextWindowPos(ImVec2(0, 0));
        ImGui::SetNextWindowSize(ImVec2(800, 600));
        ImGui::Begin("charts");
        hover = line_chart("##rate", ImVec2(-1, 300), none, ChartOptions{});
        ImGui::End();
    };
    ui.frame(draw_empty);
    EXPECT_FALSE(hover.active);
    EXPECT_LT(ImGui::GetDrawData()->TotalVtxCount, vertices_with / 2);
}

TEST(ChartWidget, HistogramBarsOnALogAxis) {
    Headless ui(800, 600);
    double xs[] = {1e3, 2e3, 5e3, 1e4, 1e5};
    double ys[] = {10, 50, 200, 30, 1};
    ChartHover hover;
    auto draw = [&] {
        ImGui::SetNextWindowPos(ImVec2(0, 0));
        ImGui::SetNextWindowSize(ImVec2(800, 600));
        ImGui::Begin("hist");
        hover = bar_chart("##hist", ImVec2(-1, 200), xs, ys, Unit::Nanoseconds,
                          IM_COL32(120, 200, 120, 255));
        ImGui::End();
    };
    ui.frame(draw);
    EXPECT_GT(ImGui::GetDrawData()->TotalVtxCount, 0);
}

}  // namespace
