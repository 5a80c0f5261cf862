#include "widgets/chart_math.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace pipescope::gui {

RingSeries::RingSeries(std::size_t capacity)
    : xs_(capacity == 0 ? 1 : capacity), ys_(capacity == 0 ? 1 : capacity) {}

void RingSeries::push(double x, double y) {
    const std::size_t cap = xs_.size();
    if (size_ < cap) {
        std::size_t at = (head_ + size_) % cap;
        xs_[at] = x;
        ys_[at] = y;
        ++size_;
    } else {
        xs_[head_] = x;
        ys_[head_] = y;
        head_ = (head_ + 1) % cap;
    }
}

void RingSeries::clear() {
    head_ = 0;
    size_ = 0;
}

std::vector<Column> reduce_min_max(const RingSeries& series, double x0, double x1, int pixels) {
    std::vector<Column> cols(static_cast<std::size_t>(std::max(pixels, 0)));
    if (pixels <= 0 || !(x1 > x0) || series.size() == 0) return cols;
    const double scale = pixels / (x1 - x0);
    // Skip to the first point in range with a binary search over the ring.
    std::size_t lo = 0, hi = series.size();
    while (lo < hi) {
        std::size_t mid = (lo + hi) / 2;
        if (series.x(mid) < x0)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (std::size_t i = lo; i < series.size(); ++i) {
        double x = series.x(i);
        if (x > x1) break;
        int c = static_cast<int>((x - x0) * scale);
        c = std::clamp(c, 0, pixels - 1);
        double y = series.y(i);
        Column& col = cols[static_cast<std::size_t>(c)];
        if (col.empty) {
            col.y_min = col.y_max = y;
            col.empty = false;
        } else {
            col.y_min = std::min(col.y_min, y);
            col.y_max = std::max(col.y_max, y);
        }
        col.y_last = y;
    }
    return cols;
}

std::vector<double> nice_ticks(double lo, double hi, int max_ticks) {
    std::vector<double> ticks;
    if (!(hi > lo) || max_ticks < 2 || !std::isfinite(lo) || !std::isfinite(hi)) return ticks;
    // The smallest 1-2-5 step that gives at most max_ticks ticks inside [lo, hi].
    const double mag = std::pow(10.0, std::floor(std::log10((hi - lo) / max_ticks)));
    double step = mag;
    for (double m : {1.0, 2.0, 5.0, 10.0, 20.0}) {
        step = m * mag;
        double count = std::floor(hi / step + 1e-9) - std::ceil(lo / step - 1e-9) + 1;
        if (count <= max_ticks) break;
    }
    const double first = std::ceil(lo / step - 1e-9) * step;
    for (double t = first; t <= hi + step * 1e-9; t += step) {
        ticks.push_back(std::abs(t) < step * 1e-9 ? 0.0 : t);
        if (ticks.size() > static_cast<std::size_t>(max_ticks) + 1) break;
    }
    return ticks;
}

std::vector<double> log_ticks(double lo, double hi) {
    std::vector<double> ticks;
    if (!(lo > 0) || !(hi > lo)) return ticks;
    for (double t = std::pow(10.0, std::ceil(std::log10(lo) - 1e-9)); t <= hi * (1 + 1e-9);
         t *= 10) {
        ticks.push_back(t);
    }
    return ticks;
}

namespace {

std::string three_digits(double v) {
    char buf[32];
    double a = std::abs(v);
    if (a >= 100 || a == 0)
        std::snprintf(buf, sizeof buf, "%.0f", v);
    else if (a >= 10)
        std::snprintf(buf, sizeof buf, "%.1f", v);
    else
        std::snprintf(buf, sizeof buf, "%.2f", v);
    return buf;
}

std::string with_prefix(double v, const char* unit, double base = 1000.0) {
    static const char* decimal[] = {"", "k", "M", "G", "T", "P"};
    static const char* binary[] = {"", "Ki", "Mi", "Gi", "Ti", "Pi"};
    const char* const* prefixes = base == 1024.0 ? binary : decimal;
    int p = 0;
    double a = std::abs(v);
    while (a >= base * 0.9995 && p < 5) {
        v /= base;
        a /= base;
        ++p;
    }
    std::string out = three_digits(v);
    if (*prefixes[p] || *unit) out += ' ';
    out += prefixes[p];
    out += unit;
    return out;
}

}  // namespace

std::string format_value(double value, Unit unit) {
    if (!std::isfinite(value)) return "-";
    switch (unit) {
        case Unit::None:
            return with_prefix(value, "");
        // Bytes in binary multiples, as the CLI prints them (KiB, MiB, GiB).
        case Unit::Bytes:
            return with_prefix(value, "B", 1024.0);
        case Unit::BytesPerSec:
            return with_prefix(value, "B/s", 1024.0);
        case Unit::PerSec:
            return with_prefix(value, "/s");
        case Unit::Seconds:
            return format_value(value * 1e9, Unit::Nanoseconds);
        case Unit::Nanoseconds: {
            double a = std::abs(value);
            if (a == 0) return "0 ns";
            if (a < 999.5) return three_digits(value) + " ns";
            if (a < 999.5e3) return three_digits(value / 1e3) + " us";
            if (a < 999.5e6) return three_digits(value / 1e6) + " ms";
            return three_digits(value / 1e9) + " s";
        }
    }
    return three_digits(value);
}

}  // namespace pipescope::gui
