#include <cmath>

#include <gtest/gtest.h>

#include "widgets/chart_math.hpp"

using namespace pipescope::gui;

namespace {

TEST(RingSeries, KeepsTheNewestPoints) {
    RingSeries s(3);
    for (int i = 0; i < 5; ++i) s.push(i, i * 10);
    ASSERT_EQ(s.size(), 3u);
    EXPECT_EQ(s.x(0), 2);
    EXPECT_EQ(s.y(2), 40);
    s.clear();
    EXPECT_EQ(s.size(), 0u);
}

TEST(ReduceMinMax, OneColumnPerPixelWithMinAndMax) {
    RingSeries s(100000);
    // 100,000 points over x in [0, 100): y alternates between -1 and +1, spikes at x = 50.
    for (int i = 0; i < 100000; ++i) {
        double x = i / 1000.0;
        double y = (i % 2 ? 1.0 : -1.0) + (i == 50000 ? 100.0 : 0.0);
        s.push(x, y);
    }
    auto cols = reduce_min_max(s, 0, 100, 200);
    ASSERT_EQ(cols.size(), 200u);
    for (const auto& c : cols) {
        ASSERT_FALSE(c.empty);
        EXPECT_EQ(c.y_min, -1.0);
    }
    // The spike survives the reduction (an average would hide it).
    EXPECT_EQ(cols[100].y_max, 99.0);
    EXPECT_EQ(cols[99].y_max, 1.0);
}

TEST(ReduceMinMax, PointsOutsideTheWindowAreIgnored) {
    RingSeries s(10);
    for (int i = 0; i < 10; ++i) s.push(i, i);
    auto cols = reduce_min_max(s, 5, 9, 4);
    double lowest = 1e9;
    for (const auto& c : cols)
        if (!c.empty) lowest = std::min(lowest, c.y_min);
    EXPECT_EQ(lowest, 5);
    EXPECT_TRUE(reduce_min_max(s, 5, 5, 4)[0].empty);
}

TEST(NiceTicks, UseOneTwoFiveSteps) {
    auto t = nice_ticks(0, 97, 5);
    ASSERT_FALSE(t.empty());
    EXPECT_EQ(t.front(), 0);
    double step = t[1] - t[0];
    EXPECT_DOUBLE_EQ(step, 20);
    EXPECT_LE(t.back(), 97);
    auto u = nice_ticks(0.0013, 0.0091, 5);
    ASSERT_GE(u.size(), 3u);
    EXPECT_NEAR(u[1] - u[0], 0.002, 1e-12);
    EXPECT_TRUE(nice_ticks(1, 1, 5).empty());
}

TEST(LogTicks, Decades) {
    auto t = log_ticks(300, 2e6);
    ASSERT_EQ(t.size(), 4u);
    EXPECT_DOUBLE_EQ(t[0], 1e3);
    EXPECT_DOUBLE_EQ(t[3], 1e6);
    EXPECT_TRUE(log_ticks(0, 10).empty());
}

TEST(FormatValue, UnitsAndPrefixes) {
    EXPECT_EQ(format_value(1.5 * 1024 * 1024 * 1024, Unit::BytesPerSec), "1.50 GiB/s");
    EXPECT_EQ(format_value(999, Unit::Bytes), "999 B");
    EXPECT_EQ(format_value(65536, Unit::Bytes), "64.0 KiB");
    EXPECT_EQ(format_value(1023, Unit::Bytes), "1023 B");
    EXPECT_EQ(format_value(250e3, Unit::Nanoseconds), "250 us");
    EXPECT_EQ(format_value(3.2e6, Unit::Nanoseconds), "3.20 ms");
    EXPECT_EQ(format_value(12, Unit::Nanoseconds), "12.0 ns");
    EXPECT_EQ(format_value(0, Unit::Nanoseconds), "0 ns");
    EXPECT_EQ(format_value(12000, Unit::PerSec), "12.0 k/s");
    EXPECT_EQ(format_value(-5, Unit::Seconds), "-5.00 s");
    EXPECT_EQ(format_value(NAN, Unit::Bytes), "-");
}

}  // namespace
