// The arithmetic behind charts, free of ImGui so it is unit-tested on its own:
// ring-buffer series, min/max reduction per pixel column, readable ticks, unit formatting.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <vector>

namespace pipescope::gui {

// A fixed-capacity series of (x, y) points; the oldest fall off. UI thread.
class RingSeries {
  public:
    explicit RingSeries(std::size_t capacity);
    void push(double x, double y);
    void clear();
    [[nodiscard]] std::size_t size() const noexcept { return size_; }
    [[nodiscard]] std::size_t capacity() const noexcept { return xs_.size(); }
    // i = 0 is the oldest point.
    [[nodiscard]] double x(std::size_t i) const { return xs_[(head_ + i) % xs_.size()]; }
    [[nodiscard]] double y(std::size_t i) const { return ys_[(head_ + i) % ys_.size()]; }

  private:
    std::vector<double> xs_, ys_;
    std::size_t head_ = 0;  // index of the oldest point
    std::size_t size_ = 0;
};

// One pixel column: the smallest and largest y of the points that fall in it.
struct Column {
    double y_min = 0, y_max = 0, y_last = 0;
    bool empty = true;
};

// Reduces the points of `series` with x in [x0, x1] to `pixels` columns (min/max per column),
// so drawing costs O(pixels) whatever the number of points. Points must have increasing x.
[[nodiscard]] std::vector<Column> reduce_min_max(const RingSeries& series, double x0, double x1,
                                                 int pixels);

// "Nice" tick positions (1, 2, 5 x 10^k steps) covering [lo, hi], at most about max_ticks.
[[nodiscard]] std::vector<double> nice_ticks(double lo, double hi, int max_ticks);
// Decade ticks (10^k) for a log axis over [lo, hi] (lo > 0).
[[nodiscard]] std::vector<double> log_ticks(double lo, double hi);

enum class Unit { None, Bytes, BytesPerSec, PerSec, Nanoseconds, Seconds };

// "1.50 GiB/s", "250 us", "12.0 k/s", "3.20 ms": 3 significant digits; bytes in binary
// multiples (KiB, MiB, GiB) like the CLI, other units with SI prefixes.
[[nodiscard]] std::string format_value(double value, Unit unit);

}  // namespace pipescope::gui
