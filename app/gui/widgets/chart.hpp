// Our chart widget on ImDrawList (no ImPlot package exists here), written once and used by every
// chart: line charts of ring-buffer series reduced to min/max per pixel, axes with units and
// readable ticks, a hover tooltip, a legend, and a log scale for latency. UI thread only.
// The widget never owns data: it reads the series the caller keeps.
#pragma once

#include <cmath>
#include <span>
#include <string>

#include <imgui.h>

#include "widgets/chart_math.hpp"

namespace pipescope::gui {

struct ChartSeries {
    const char* label = "";
    const RingSeries* data = nullptr;
    ImU32 color = 0;  // 0: the palette's first series colour
};

struct ChartOptions {
    Unit x_unit = Unit::Seconds;
    Unit y_unit = Unit::None;
    bool log_y = false;
    double x_window = 0;   // show only the last x_window of x (0: everything)
    double y_floor = NAN;  // lowest y shown (NAN: from the data; 0 is common for rates)
    const char* empty_text = "no data yet";
};

// What the mouse points at after the call, for tests and for linked views.
struct ChartHover {
    bool active = false;
    double x = 0;
    int column = -1;
};

// Draws a line chart filling `size` (negative components: the rest of the region).
ChartHover line_chart(const char* id, ImVec2 size, std::span<const ChartSeries> series,
                      const ChartOptions& options);

// Draws bars at log-spaced x (e.g. a latency histogram: x = bucket upper bound, y = count).
ChartHover bar_chart(const char* id, ImVec2 size, std::span<const double> xs,
                     std::span<const double> ys, Unit x_unit, ImU32 color);

}  // namespace pipescope::gui
