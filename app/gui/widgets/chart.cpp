#include "widgets/chart.hpp"

#include <algorithm>
#include <limits>
#include <vector>

#include "shell/palette.hpp"

namespace pipescope::gui {
namespace {

ImU32 color_of(const ChartSeries& s) {
    return s.color != 0 ? s.color : current_palette().series[0];
}

constexpr float kLeftAxis = 84.0f;  // room for "888 MB/s" at the default font size
constexpr float kBottomAxis = 20.0f;
constexpr float kPad = 6.0f;

ImVec2 resolve_size(ImVec2 size) {
    ImVec2 avail = ImGui::GetContentRegionAvail();
    if (size.x <= 0) size.x = std::max(avail.x + size.x, 50.0f);
    if (size.y <= 0) size.y = std::max(avail.y + size.y, 50.0f);
    return size;
}

struct Frame {
    ImVec2 outer_min, outer_max;  // whole widget
    ImVec2 min, max;              // plot area
    bool hovered = false;
};

Frame begin_frame(const char* id, ImVec2 size) {
    Frame f;
    size = resolve_size(size);
    f.outer_min = ImGui::GetCursorScreenPos();
    f.outer_max = ImVec2(f.outer_min.x + size.x, f.outer_min.y + size.y);
    ImGui::InvisibleButton(id, size);
    f.hovered = ImGui::IsItemHovered();
    f.min = ImVec2(f.outer_min.x + kLeftAxis, f.outer_min.y + kPad);
    f.max = ImVec2(f.outer_max.x - kPad, f.outer_max.y - kBottomAxis);
    ImDrawList* dl = ImGui::GetWindowDrawList();
    dl->AddRectFilled(f.outer_min, f.outer_max, ImGui::GetColorU32(ImGuiCol_FrameBg), 3.0f);
    dl->AddRect(f.min, f.max, ImGui::GetColorU32(ImGuiCol_Border));
    return f;
}

double to_axis(double v, bool log) {
    return log ? std::log10(std::max(v, 1e-12)) : v;
}

// The plot area and the data ranges it shows, with the mapping from data to pixels.
struct Plot {
    Frame f;
    double x_min = 0, x_max = 0;
    double y_lo = 0, y_hi = 0;
    double a_lo = 0, a_hi = 0;  // y range on the axis scale (log10 when log_y)
    bool log_y = false;
    int pixels = 1;

    float y_to_px(double y) const {
        double t = (to_axis(y, log_y) - a_lo) / (a_hi - a_lo);
        return static_cast<float>(f.max.y - t * (f.max.y - f.min.y));
    }
    float x_to_px(double x) const {
        return static_cast<float>(f.min.x + (x - x_min) / (x_max - x_min) * (f.max.x - f.min.x));
    }
};

// X range: the newest x across series, back by the window. False when no series has data.
bool fit_x_range(std::span<const ChartSeries> series, const ChartOptions& options, Plot& p) {
    p.x_max = -std::numeric_limits<double>::infinity();
    p.x_min = std::numeric_limits<double>::infinity();
    for (const auto& s : series) {
        if (!s.data || s.data->size() == 0) continue;
        p.x_max = std::max(p.x_max, s.data->x(s.data->size() - 1));
        p.x_min = std::min(p.x_min, s.data->x(0));
    }
    if (!std::isfinite(p.x_max)) return false;
    if (options.x_window > 0) p.x_min = std::max(p.x_min, p.x_max - options.x_window);
    if (!(p.x_max > p.x_min)) p.x_min = p.x_max - 1.0;
    return true;
}

// Reduces every series to one min/max column per pixel and fits the y range around them.
std::vector<std::vector<Column>> reduce_and_fit_y(std::span<const ChartSeries> series,
                                                  const ChartOptions& options, Plot& p) {
    std::vector<std::vector<Column>> reduced;
    double y_lo = std::numeric_limits<double>::infinity();
    double y_hi = -std::numeric_limits<double>::infinity();
    for (const auto& s : series) {
        reduced.push_back(s.data ? reduce_min_max(*s.data, p.x_min, p.x_max, p.pixels)
                                 : std::vector<Column>(static_cast<std::size_t>(p.pixels)));
        for (const Column& c : reduced.back()) {
            if (c.empty) continue;
            if (options.log_y && c.y_min <= 0) continue;
            y_lo = std::min(y_lo, c.y_min);
            y_hi = std::max(y_hi, c.y_max);
        }
    }
    if (!std::isfinite(y_lo)) {
        y_lo = options.log_y ? 1 : 0;
        y_hi = y_lo + 1;
    }
    if (!std::isnan(options.y_floor)) y_lo = std::min(y_lo, options.y_floor);
    if (options.log_y) {
        y_lo = std::pow(10.0, std::floor(std::log10(std::max(y_lo, 1e-12))));
        y_hi = std::pow(10.0, std::ceil(std::log10(std::max(y_hi, y_lo * 10))));
    } else {
        if (y_hi <= y_lo) y_hi = y_lo + (y_lo == 0 ? 1 : std::abs(y_lo) * 0.1);
        y_hi += (y_hi - y_lo) * 0.08;  // headroom above the peak
    }
    p.y_lo = y_lo;
    p.y_hi = y_hi;
    p.log_y = options.log_y;
    p.a_lo = to_axis(y_lo, options.log_y);
    p.a_hi = to_axis(y_hi, options.log_y);
    return reduced;
}

std::vector<double> y_ticks_for(const Plot& p, const ChartOptions& options) {
    if (options.log_y) return log_ticks(p.y_lo, p.y_hi);
    if (options.y_unit == Unit::Bytes || options.y_unit == Unit::BytesPerSec) {
        // Bytes read in binary units: pick round ticks in KiB / MiB / GiB, not in powers of 10.
        double scale = 1;
        while (p.y_hi / scale >= 1024 && scale < 1e15) scale *= 1024;
        std::vector<double> ticks = nice_ticks(p.y_lo / scale, p.y_hi / scale, 5);
        for (double& t : ticks) t *= scale;
        return ticks;
    }
    return nice_ticks(p.y_lo, p.y_hi, 5);
}

void draw_grid(ImDrawList* dl, const Plot& p, const ChartOptions& options, ImU32 dim_col,
               ImU32 grid_col) {
    const Frame& f = p.f;
    for (double t : y_ticks_for(p, options)) {
        float py = p.y_to_px(t);
        if (py < f.min.y - 0.5f || py > f.max.y + 0.5f) continue;
        dl->AddLine(ImVec2(f.min.x, py), ImVec2(f.max.x, py), grid_col);
        std::string label = format_value(t, options.y_unit);
        ImVec2 ts = ImGui::CalcTextSize(label.c_str());
        dl->AddText(ImVec2(f.min.x - ts.x - 4, py - ts.y / 2), dim_col, label.c_str());
    }
    // X labels: relative to the newest point ("-5 s" ... "0").
    for (double t : nice_ticks(p.x_min - p.x_max, 0.0, 6)) {
        float px = p.x_to_px(p.x_max + t);
        dl->AddLine(ImVec2(px, f.min.y), ImVec2(px, f.max.y), grid_col);
        std::string label = t == 0 ? "now" : format_value(t, options.x_unit);
        ImVec2 ts = ImGui::CalcTextSize(label.c_str());
        float lx = std::clamp(px - ts.x / 2, f.min.x, f.max.x - ts.x);
        dl->AddText(ImVec2(lx, f.max.y + 3), dim_col, label.c_str());
    }
}

// A vertical min/max stroke per column, joined by the last value of each column.
void draw_series(ImDrawList* dl, const Plot& p, std::span<const ChartSeries> series,
                 const std::vector<std::vector<Column>>& reduced) {
    const Frame& f = p.f;
    dl->PushClipRect(f.min, f.max, true);
    for (std::size_t s = 0; s < series.size(); ++s) {
        const ImU32 col = color_of(series[s]);
        bool have_prev = false;
        ImVec2 prev;
        for (int c = 0; c < p.pixels; ++c) {
            const Column& column = reduced[s][static_cast<std::size_t>(c)];
            if (column.empty) continue;
            float px = f.min.x + c + 0.5f;
            if (column.y_max > column.y_min) {
                dl->AddLine(ImVec2(px, p.y_to_px(column.y_min)),
                            ImVec2(px, p.y_to_px(column.y_max)), col);
            }
            ImVec2 pt(px, p.y_to_px(column.y_last));
            if (have_prev) dl->AddLine(prev, pt, col, 1.5f);
            prev = pt;
            have_prev = true;
        }
    }
    dl->PopClipRect();
}

void draw_legend(ImDrawList* dl, const Frame& f, std::span<const ChartSeries> series,
                 ImU32 text_col) {
    float lx = f.min.x + 8, ly = f.min.y + 4;
    for (const auto& s : series) {
        float sq = ImGui::GetFontSize() * 0.6f;
        dl->AddRectFilled(ImVec2(lx, ly + sq * 0.4f), ImVec2(lx + sq, ly + sq * 1.4f), color_of(s));
        dl->AddText(ImVec2(lx + sq + 4, ly), text_col, s.label);
        lx += sq + 16 + ImGui::CalcTextSize(s.label).x;
    }
}

// A cursor line and each series' value in the column under the mouse.
ChartHover draw_hover(ImDrawList* dl, const Plot& p, std::span<const ChartSeries> series,
                      const std::vector<std::vector<Column>>& reduced, const ChartOptions& options,
                      ImU32 dim_col) {
    ChartHover hover;
    const Frame& f = p.f;
    ImVec2 mouse = ImGui::GetIO().MousePos;
    if (!f.hovered || mouse.x < f.min.x || mouse.x >= f.max.x) return hover;
    int c = static_cast<int>(mouse.x - f.min.x);
    hover.active = true;
    hover.column = c;
    hover.x = p.x_min + (c + 0.5) / p.pixels * (p.x_max - p.x_min);
    dl->AddLine(ImVec2(mouse.x, f.min.y), ImVec2(mouse.x, f.max.y), dim_col);
    ImGui::BeginTooltip();
    ImGui::Text("%s", format_value(hover.x - p.x_max, options.x_unit).c_str());
    for (std::size_t s = 0; s < series.size(); ++s) {
        // The line holds its last value until the next point: use the nearest column with
        // data at or left of the cursor.
        const auto& cols = reduced[s];
        int at = c;
        while (at >= 0 && cols[static_cast<std::size_t>(at)].empty) --at;
        ImGui::PushStyleColor(ImGuiCol_Text, color_of(series[s]));
        ImGui::TextUnformatted(series[s].label);
        ImGui::PopStyleColor();
        ImGui::SameLine();
        if (at < 0) {
            ImGui::TextDisabled("-");
            continue;
        }
        const Column& column = cols[static_cast<std::size_t>(at)];
        if (column.y_max > column.y_min)
            ImGui::Text("%s .. %s", format_value(column.y_min, options.y_unit).c_str(),
                        format_value(column.y_max, options.y_unit).c_str());
        else
            ImGui::TextUnformatted(format_value(column.y_last, options.y_unit).c_str());
    }
    ImGui::EndTooltip();
    return hover;
}

}  // namespace

ChartHover line_chart(const char* id, ImVec2 size, std::span<const ChartSeries> series,
                      const ChartOptions& options) {
    Plot p;
    p.f = begin_frame(id, size);
    const Frame& f = p.f;
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const ImU32 text_col = ImGui::GetColorU32(ImGuiCol_Text);
    const ImU32 dim_col = ImGui::GetColorU32(ImGuiCol_TextDisabled);
    const ImU32 grid_col = ImGui::GetColorU32(ImGuiCol_Border, 0.5f);

    if (!fit_x_range(series, options, p)) {
        ImVec2 ts = ImGui::CalcTextSize(options.empty_text);
        dl->AddText(ImVec2((f.min.x + f.max.x - ts.x) / 2, (f.min.y + f.max.y - ts.y) / 2), dim_col,
                    options.empty_text);
        return ChartHover{};
    }
    p.pixels = std::max(1, static_cast<int>(f.max.x - f.min.x));
    const std::vector<std::vector<Column>> reduced = reduce_and_fit_y(series, options, p);

    draw_grid(dl, p, options, dim_col, grid_col);
    draw_series(dl, p, series, reduced);
    draw_legend(dl, f, series, text_col);
    return draw_hover(dl, p, series, reduced, options, dim_col);
}

ChartHover bar_chart(const char* id, ImVec2 size, std::span<const double> xs,
                     std::span<const double> ys, Unit x_unit, ImU32 color) {
    ChartHover hover;
    Frame f = begin_frame(id, size);
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const ImU32 dim_col = ImGui::GetColorU32(ImGuiCol_TextDisabled);
    const ImU32 grid_col = ImGui::GetColorU32(ImGuiCol_Border, 0.5f);
    const std::size_t n = std::min(xs.size(), ys.size());
    double x_lo = std::numeric_limits<double>::infinity(), x_hi = 0, y_hi = 0;
    for (std::size_t i = 0; i < n; ++i) {
        if (ys[i] <= 0 || xs[i] <= 0) continue;
        x_lo = std::min(x_lo, xs[i]);
        x_hi = std::max(x_hi, xs[i]);
        y_hi = std::max(y_hi, ys[i]);
    }
    if (!std::isfinite(x_lo)) {
        const char* text = "no samples yet";
        ImVec2 ts = ImGui::CalcTextSize(text);
        dl->AddText(ImVec2((f.min.x + f.max.x - ts.x) / 2, (f.min.y + f.max.y - ts.y) / 2), dim_col,
                    text);
        return hover;
    }
    const double a_lo = std::floor(std::log10(x_lo)),
                 a_hi = std::max(std::ceil(std::log10(x_hi)), a_lo + 1);
    auto x_to_px = [&](double x) {
        return static_cast<float>(f.min.x +
                                  (std::log10(x) - a_lo) / (a_hi - a_lo) * (f.max.x - f.min.x));
    };
    for (double t : log_ticks(std::pow(10.0, a_lo), std::pow(10.0, a_hi))) {
        float px = x_to_px(t);
        dl->AddLine(ImVec2(px, f.min.y), ImVec2(px, f.max.y), grid_col);
        std::string label = format_value(t, x_unit);
        ImVec2 ts = ImGui::CalcTextSize(label.c_str());
        dl->AddText(ImVec2(std::clamp(px - ts.x / 2, f.min.x, f.max.x - ts.x), f.max.y + 3),
                    dim_col, label.c_str());
    }
    for (double t : nice_ticks(0, y_hi, 4)) {
        float py = static_cast<float>(f.max.y - t / y_hi * (f.max.y - f.min.y) * 0.95);
        std::string label = format_value(t, Unit::None);
        ImVec2 ts = ImGui::CalcTextSize(label.c_str());
        dl->AddText(ImVec2(f.min.x - ts.x - 4, py - ts.y / 2), dim_col, label.c_str());
    }
    ImVec2 mouse = ImGui::GetIO().MousePos;
    int hovered_bar = -1;
    float prev_px = f.min.x;
    for (std::size_t i = 0; i < n; ++i) {
        if (ys[i] <= 0 || xs[i] <= 0) continue;
        float px = x_to_px(xs[i]);
        float left = std::min(prev_px, px - 1.0f);
        float top = static_cast<float>(f.max.y - ys[i] / y_hi * (f.max.y - f.min.y) * 0.95);
        dl->AddRectFilled(ImVec2(std::max(left, px - 6.0f), top), ImVec2(px, f.max.y), color);
        if (f.hovered && mouse.x >= px - 6.0f && mouse.x <= px) hovered_bar = static_cast<int>(i);
        prev_px = px;
    }
    if (hovered_bar >= 0) {
        hover.active = true;
        hover.column = hovered_bar;
        hover.x = xs[static_cast<std::size_t>(hovered_bar)];
        ImGui::SetTooltip("<= %s: %.0f samples",
                          format_value(xs[static_cast<std::size_t>(hovered_bar)], x_unit).c_str(),
                          ys[static_cast<std::size_t>(hovered_bar)]);
    }
    return hover;
}

}  // namespace pipescope::gui
