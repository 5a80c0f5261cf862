#include <algorithm>
#include <cmath>
#include <random>

#include <gtest/gtest.h>

#include "pipescope/histogram.hpp"

using pipescope::core::LatencyHistogram;

namespace {

// Nearest-rank percentile of sorted data, the definition the histogram promises.
std::uint64_t exact_percentile(const std::vector<std::uint64_t>& sorted, double p) {
    auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * double(sorted.size()) - 1e-9));
    rank = std::clamp<std::size_t>(rank, 1, sorted.size());
    return sorted[rank - 1];
}

void expect_within_bound(const std::vector<std::uint64_t>& data, const char* what) {
    LatencyHistogram h;
    for (auto v : data) h.record(v);
    auto sorted = data;
    std::sort(sorted.begin(), sorted.end());
    for (double p : {0.0, 1.0, 10.0, 25.0, 50.0, 75.0, 90.0, 99.0, 99.9, 99.99, 100.0}) {
        const double exact = double(exact_percentile(sorted, p));
        const double got = double(h.percentile(p));
        EXPECT_LE(std::abs(got - exact), 0.01 * exact)
            << what << " p" << p << " exact " << exact << " got " << got;
    }
    EXPECT_EQ(h.min(), sorted.front()) << what;
    EXPECT_EQ(h.max(), sorted.back()) << what;
    EXPECT_EQ(h.count(), data.size()) << what;
    long double sum = 0;
    for (auto v : data) sum += v;
    EXPECT_NEAR(h.mean(), double(sum / data.size()), 1e-6 * double(sum / data.size()) + 1e-9)
        << what;
}

constexpr std::uint64_t k60s = 60'000'000'000ULL;

}  // namespace

TEST(LatencyHistogram, PercentilesOfLogUniformRandomDataWithinOnePercent) {
    std::mt19937_64 rng(12345);
    std::uniform_real_distribution<double> exp(0.0, std::log(double(k60s)));
    std::vector<std::uint64_t> data(200000);
    for (auto& v : data) v = static_cast<std::uint64_t>(std::exp(exp(rng)));
    expect_within_bound(data, "log-uniform");
}

TEST(LatencyHistogram, PercentilesOfNormalLatenciesWithinOnePercent) {
    std::mt19937_64 rng(7);
    std::normal_distribution<double> d(50'000, 8'000);
    std::vector<std::uint64_t> data(100000);
    for (auto& v : data) v = static_cast<std::uint64_t>(std::max(1.0, d(rng)));
    expect_within_bound(data, "normal");
}

TEST(LatencyHistogram, AllEqualValuesAreExact) {
    std::vector<std::uint64_t> data(1000, 123457);
    LatencyHistogram h;
    for (auto v : data) h.record(v);
    for (double p : {0.0, 50.0, 99.99, 100.0}) EXPECT_EQ(h.percentile(p), 123457u);
    EXPECT_DOUBLE_EQ(h.mean(), 123457.0);
    EXPECT_DOUBLE_EQ(h.stdev(), 0.0);
}

TEST(LatencyHistogram, TwoSpikes) {
    std::vector<std::uint64_t> data(990, 100);
    data.insert(data.end(), 10, 10'000'000'000ULL);
    expect_within_bound(data, "two spikes");
    LatencyHistogram h;
    for (auto v : data) h.record(v);
    EXPECT_EQ(h.percentile(99), 100u);
    EXPECT_NEAR(double(h.percentile(99.1)), 1e10, 1e8);
}

TEST(LatencyHistogram, ValuesAtBucketEdges) {
    std::vector<std::uint64_t> data;
    for (std::size_t i = 250; i < LatencyHistogram::kBucketCount; i += 37) {
        const auto lo = LatencyHistogram::bucket_lower(i);
        const auto hi = LatencyHistogram::bucket_upper(i);
        if (hi > k60s) break;
        data.push_back(lo);
        data.push_back(hi);
        data.push_back(hi + 1);
        ASSERT_EQ(LatencyHistogram::bucket_index(lo), i);
        ASSERT_EQ(LatencyHistogram::bucket_index(hi), i);
        ASSERT_EQ(LatencyHistogram::bucket_index(hi + 1), i + 1);
        ASSERT_LE(double(hi - lo), 0.01 * double(lo));
    }
    expect_within_bound(data, "bucket edges");
}

TEST(LatencyHistogram, ExtremesOneNanosecondAndSixtySeconds) {
    std::vector<std::uint64_t> data{1, 1, 1, k60s, k60s};
    expect_within_bound(data, "extremes");
    LatencyHistogram h;
    h.record(1);
    h.record(k60s);
    EXPECT_EQ(h.percentile(0), 1u);
    EXPECT_EQ(h.percentile(100), k60s);
    EXPECT_EQ(h.clamped(), 0u);
    h.record(LatencyHistogram::kMaxTrackable + 5);
    EXPECT_EQ(h.clamped(), 1u);
}

TEST(LatencyHistogram, MergeEqualsRecordingEverythingInOne) {
    std::mt19937_64 rng(99);
    std::uniform_int_distribution<std::uint64_t> d(1, 5'000'000);
    LatencyHistogram a, b, all;
    for (int i = 0; i < 20000; ++i) {
        const auto v = d(rng);
        (i % 3 ? a : b).record(v);
        all.record(v);
    }
    a.merge(b);
    EXPECT_EQ(a.count(), all.count());
    EXPECT_EQ(a.min(), all.min());
    EXPECT_EQ(a.max(), all.max());
    for (double p : {1.0, 50.0, 99.0, 99.9}) EXPECT_EQ(a.percentile(p), all.percentile(p));
    EXPECT_NEAR(a.stdev(), all.stdev(), 1e-6 * all.stdev());
}

TEST(LatencyHistogram, DifferenceGivesTheSamplesOfAnInterval) {
    LatencyHistogram live, before, interval;
    for (int i = 0; i < 1000; ++i) live.record(1000);
    before = live;
    for (int i = 0; i < 100; ++i) live.record(1'000'000);
    interval.set_difference(live, before);
    EXPECT_EQ(interval.count(), 100u);
    EXPECT_NEAR(double(interval.percentile(50)), 1e6, 1e4);
    EXPECT_NEAR(double(interval.min()), 1e6, 1e4);
    EXPECT_DOUBLE_EQ(interval.mean(), 1e6);
}

TEST(LatencyHistogram, StdevWithinOnePercentOfExact) {
    std::mt19937_64 rng(3);
    std::normal_distribution<double> d(1e6, 1e5);
    LatencyHistogram h;
    std::vector<double> xs;
    for (int i = 0; i < 50000; ++i) {
        const auto v = static_cast<std::uint64_t>(d(rng));
        h.record(v);
        xs.push_back(double(v));
    }
    double m = 0, s = 0;
    for (double x : xs) m += x;
    m /= double(xs.size());
    for (double x : xs) s += (x - m) * (x - m);
    s = std::sqrt(s / double(xs.size()));
    EXPECT_NEAR(h.stdev(), s, 0.01 * s);
}
