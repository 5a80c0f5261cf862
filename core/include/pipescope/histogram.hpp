// LatencyHistogram: a log-linear histogram of nanosecond values with a fixed memory size.
//
// Values below 256 ns have a bucket each (exact). Above, every power of two is split into
// 128 equal buckets, so a bucket is at most 1/128 of its lower bound wide; a value is reported
// as its bucket's midpoint, which is within 0.4% of any value in the bucket (the bound the
// benchmark promises is 1%). The range reaches 2^40 ns (about 18 minutes); larger values are
// clamped into the top bucket and counted in clamped().
//
// Threads: record() is for ONE writer thread at a time; it takes no lock, allocates nothing
// and uses only relaxed single-writer atomic stores (a plain add on x86). Any other thread may
// read concurrently (copy_from, percentile, ...) and sees a consistent-enough view: each
// counter is read atomically, so counts are never torn, only possibly a few samples behind.
// Merging into a histogram and reset() are for its owner thread while nobody records into it.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace pipescope::core {

class LatencyHistogram {
  public:
    static constexpr int kSubBits = 7;                  // 128 buckets per octave
    static constexpr std::uint64_t kLinearLimit = 256;  // exact below this
    static constexpr int kMaxShift = 32;                // top octave: [2^39, 2^40)
    static constexpr std::uint64_t kMaxTrackable = (std::uint64_t{1} << 40) - 1;
    static constexpr std::size_t kBucketCount =
        kLinearLimit + static_cast<std::size_t>(kMaxShift) * 128;

    LatencyHistogram();
    LatencyHistogram(const LatencyHistogram& other);
    LatencyHistogram& operator=(const LatencyHistogram& other);
    ~LatencyHistogram() = default;

    // Records one value in ns. One writer thread; lock-free, allocation-free.
    void record(std::uint64_t value_ns) noexcept {
        if (value_ns > kMaxTrackable) {
            bump(clamped_);
            value_ns = kMaxTrackable;
        }
        bump(counts_[bucket_index(value_ns)]);
        bump(total_);
        sum_.store(sum_.load(std::memory_order_relaxed) + value_ns, std::memory_order_relaxed);
        if (value_ns < min_.load(std::memory_order_relaxed))
            min_.store(value_ns, std::memory_order_relaxed);
        if (value_ns > max_.load(std::memory_order_relaxed))
            max_.store(value_ns, std::memory_order_relaxed);
    }

    // Adds every sample of `other` to this one (owner thread; `other` may be live).
    void merge(const LatencyHistogram& other);
    // This becomes `now - before`, bucket by bucket: the samples recorded between two copies
    // of the same histogram. min/max become the bounds of the lowest/highest non-empty bucket
    // (clamped to the exact extremes of `now`), mean is exact.
    void set_difference(const LatencyHistogram& now, const LatencyHistogram& before);
    // Clears every count (owner thread, nobody recording).
    void reset();

    [[nodiscard]] std::uint64_t count() const noexcept {
        return total_.load(std::memory_order_relaxed);
    }
    [[nodiscard]] std::uint64_t clamped() const noexcept {
        return clamped_.load(std::memory_order_relaxed);
    }
    // Exact smallest / largest recorded value; 0 when empty.
    [[nodiscard]] std::uint64_t min() const noexcept;
    [[nodiscard]] std::uint64_t max() const noexcept;
    // Exact mean; 0 when empty.
    [[nodiscard]] double mean() const noexcept;
    // Standard deviation computed from bucket midpoints (within the bucket error).
    [[nodiscard]] double stdev() const;
    // Nearest-rank percentile (p in [0, 100]): the value v such that at least p% of samples
    // are <= v, reported as the bucket midpoint clamped to [min, max]. 0 when empty.
    [[nodiscard]] std::uint64_t percentile(double p) const;

    // Bucket layout, for tests and serialisation.
    [[nodiscard]] static std::size_t bucket_index(std::uint64_t value_ns) noexcept {
        if (value_ns < kLinearLimit) return static_cast<std::size_t>(value_ns);
        const int msb = 63 - __builtin_clzll(value_ns);
        const int shift = msb - kSubBits;                              // >= 1
        const auto sub = static_cast<std::size_t>(value_ns >> shift);  // 128..255
        return kLinearLimit + static_cast<std::size_t>(shift - 1) * 128 + (sub - 128);
    }
    [[nodiscard]] static std::uint64_t bucket_lower(std::size_t index) noexcept;
    [[nodiscard]] static std::uint64_t bucket_upper(std::size_t index) noexcept;  // inclusive
    [[nodiscard]] std::uint64_t bucket_count(std::size_t index) const noexcept {
        return counts_[index].load(std::memory_order_relaxed);
    }
    // Non-empty buckets as (index, count) pairs: a compact form for reports and pipes.
    [[nodiscard]] std::vector<std::pair<std::uint32_t, std::uint64_t>> nonzero_buckets() const;

  private:
    using Counter = std::atomic<std::uint64_t>;
    static void bump(Counter& c) noexcept {
        c.store(c.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    }
    void copy_from(const LatencyHistogram& other);

    std::unique_ptr<Counter[]> counts_;
    Counter total_{0};
    Counter clamped_{0};
    Counter sum_{0};
    Counter min_{UINT64_MAX};
    Counter max_{0};
};

}  // namespace pipescope::core
