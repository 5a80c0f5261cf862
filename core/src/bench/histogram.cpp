#include "pipescope/histogram.hpp"

#include <algorithm>
#include <cmath>

namespace pipescope::core {

namespace {
constexpr auto kRelaxed = std::memory_order_relaxed;
}

LatencyHistogram::LatencyHistogram() : counts_(std::make_unique<Counter[]>(kBucketCount)) {
    for (std::size_t i = 0; i < kBucketCount; ++i) counts_[i].store(0, kRelaxed);
}

LatencyHistogram::LatencyHistogram(const LatencyHistogram& other) : LatencyHistogram() {
    copy_from(other);
}

LatencyHistogram& LatencyHistogram::operator=(const LatencyHistogram& other) {
    if (this != &other) {
        if (!counts_) counts_ = std::make_unique<Counter[]>(kBucketCount);
        copy_from(other);
    }
    return *this;
}

void LatencyHistogram::copy_from(const LatencyHistogram& other) {
    for (std::size_t i = 0; i < kBucketCount; ++i)
        counts_[i].store(other.counts_[i].load(kRelaxed), kRelaxed);
    total_.store(other.total_.load(kRelaxed), kRelaxed);
    clamped_.store(other.clamped_.load(kRelaxed), kRelaxed);
    sum_.store(other.sum_.load(kRelaxed), kRelaxed);
    min_.store(other.min_.load(kRelaxed), kRelaxed);
    max_.store(other.max_.load(kRelaxed), kRelaxed);
}

void LatencyHistogram::reset() {
    for (std::size_t i = 0; i < kBucketCount; ++i) counts_[i].store(0, kRelaxed);
    total_.store(0, kRelaxed);
    clamped_.store(0, kRelaxed);
    sum_.store(0, kRelaxed);
    min_.store(UINT64_MAX, kRelaxed);
    max_.store(0, kRelaxed);
}

void LatencyHistogram::merge(const LatencyHistogram& other) {
    for (std::size_t i = 0; i < kBucketCount; ++i) {
        const auto c = other.counts_[i].load(kRelaxed);
        if (c) counts_[i].store(counts_[i].load(kRelaxed) + c, kRelaxed);
    }
    total_.store(total_.load(kRelaxed) + other.total_.load(kRelaxed), kRelaxed);
    clamped_.store(clamped_.load(kRelaxed) + other.clamped_.load(kRelaxed), kRelaxed);
    sum_.store(sum_.load(kRelaxed) + other.sum_.load(kRelaxed), kRelaxed);
    min_.store(std::min(min_.load(kRelaxed), other.min_.load(kRelaxed)), kRelaxed);
    max_.store(std::max(max_.load(kRelaxed), other.max_.load(kRelaxed)), kRelaxed);
}

void LatencyHistogram::set_difference(const LatencyHistogram& now, const LatencyHistogram& before) {
    std::uint64_t total = 0;
    std::size_t lowest = kBucketCount;
    std::size_t highest = 0;
    for (std::size_t i = 0; i < kBucketCount; ++i) {
        const auto a = now.counts_[i].load(kRelaxed);
        const auto b = before.counts_[i].load(kRelaxed);
        const auto d = a >= b ? a - b : 0;
        counts_[i].store(d, kRelaxed);
        if (d) {
            total += d;
            lowest = std::min(lowest, i);
            highest = i;
        }
    }
    total_.store(total, kRelaxed);
    const auto sa = now.sum_.load(kRelaxed);
    const auto sb = before.sum_.load(kRelaxed);
    sum_.store(sa >= sb ? sa - sb : 0, kRelaxed);
    const auto ca = now.clamped_.load(kRelaxed);
    const auto cb = before.clamped_.load(kRelaxed);
    clamped_.store(ca >= cb ? ca - cb : 0, kRelaxed);
    if (total == 0) {
        min_.store(UINT64_MAX, kRelaxed);
        max_.store(0, kRelaxed);
        return;
    }
    const auto exact_min = now.min_.load(kRelaxed);
    const auto exact_max = now.max_.load(kRelaxed);
    min_.store(std::max(bucket_lower(lowest), exact_min), kRelaxed);
    max_.store(std::min(bucket_upper(highest), exact_max), kRelaxed);
}

std::uint64_t LatencyHistogram::bucket_lower(std::size_t index) noexcept {
    if (index < kLinearLimit) return index;
    const std::size_t rel = index - kLinearLimit;
    const auto shift = static_cast<int>(rel / 128) + 1;
    const std::uint64_t sub = 128 + rel % 128;
    return sub << shift;
}

std::uint64_t LatencyHistogram::bucket_upper(std::size_t index) noexcept {
    if (index < kLinearLimit) return index;
    const std::size_t rel = index - kLinearLimit;
    const auto shift = static_cast<int>(rel / 128) + 1;
    return bucket_lower(index) + (std::uint64_t{1} << shift) - 1;
}

std::uint64_t LatencyHistogram::min() const noexcept {
    return count() ? min_.load(kRelaxed) : 0;
}

std::uint64_t LatencyHistogram::max() const noexcept {
    return count() ? max_.load(kRelaxed) : 0;
}

double LatencyHistogram::mean() const noexcept {
    const auto n = count();
    return n ? static_cast<double>(sum_.load(kRelaxed)) / static_cast<double>(n) : 0.0;
}

double LatencyHistogram::stdev() const {
    const auto n = count();
    if (n < 2) return 0.0;
    const double m = mean();
    double acc = 0.0;
    for (std::size_t i = 0; i < kBucketCount; ++i) {
        const auto c = counts_[i].load(kRelaxed);
        if (!c) continue;
        // The midpoint, but never outside the exact extremes (all-equal data has stdev 0).
        const double mid = std::clamp(
            (static_cast<double>(bucket_lower(i)) + static_cast<double>(bucket_upper(i))) / 2.0,
            static_cast<double>(min()), static_cast<double>(max()));
        acc += static_cast<double>(c) * (mid - m) * (mid - m);
    }
    return std::sqrt(acc / static_cast<double>(n));
}

std::uint64_t LatencyHistogram::percentile(double p) const {
    const auto n = count();
    if (n == 0) return 0;
    p = std::clamp(p, 0.0, 100.0);
    auto rank = static_cast<std::uint64_t>(std::ceil(p / 100.0 * static_cast<double>(n) - 1e-9));
    rank = std::clamp<std::uint64_t>(rank, 1, n);
    if (rank == 1) return min();  // the extremes are known exactly
    if (rank == n) return max();
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < kBucketCount; ++i) {
        seen += counts_[i].load(kRelaxed);
        if (seen >= rank) {
            const auto lo = bucket_lower(i);
            const auto mid = lo + (bucket_upper(i) - lo) / 2;
            return std::clamp(mid, min(), std::max(min(), max()));
        }
    }
    return max();
}

std::vector<std::pair<std::uint32_t, std::uint64_t>> LatencyHistogram::nonzero_buckets() const {
    std::vector<std::pair<std::uint32_t, std::uint64_t>> out;
    for (std::size_t i = 0; i < kBucketCount; ++i) {
        const auto c = counts_[i].load(kRelaxed);
        if (c) out.emplace_back(static_cast<std::uint32_t>(i), c);
    }
    return out;
}

}  // namespace pipescope::core
