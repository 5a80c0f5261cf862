// Integrity checking of benchmark messages: [u64 seq][u64 checksum][payload]. The sender
// stamps each message (Message), the receiver checks it (SeqChecker); a byte stream is cut
// back into messages by a Framer. Internal to core. Everything a message passes through is
// inline here: it runs once per message on the hot path (no allocation, lock or log).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "bench/recorder.hpp"
#include "pipescope/bench.hpp"

namespace pipescope::core::bench {

inline constexpr std::size_t kHeader = 16;  // sequence number and checksum

inline std::uint64_t hash_bytes(const std::byte* p, std::size_t n) noexcept {
    std::uint64_t h = 0x6a09e667f3bcc909ULL ^ n;
    std::size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        std::uint64_t w;
        std::memcpy(&w, p + i, 8);
        h = (h ^ w) * 0x9E3779B97F4A7C15ULL;
        h ^= h >> 29;
    }
    std::uint64_t tail = 0;
    for (std::size_t k = 0; i < n; ++i, ++k)
        tail |= std::to_integer<std::uint64_t>(p[i]) << (8 * k);
    h = (h ^ tail) * 0x9E3779B97F4A7C15ULL;
    return h ^ (h >> 31);
}
inline std::uint64_t combine(std::uint64_t payload_hash, std::uint64_t seq) noexcept {
    std::uint64_t h = (payload_hash ^ (seq * 0xC2B2AE3D27D4EB4FULL)) * 0x9E3779B97F4A7C15ULL;
    return h ^ (h >> 32);
}

// Fills `buf` with the scenario's payload pattern (deterministic).
void fill_payload(std::vector<std::byte>& buf, PayloadPattern p);

// The message a driver sends again and again, stamped with each sequence number when the
// scenario verifies. The payload's hash is computed once, so stamping costs two stores.
struct Message {
    std::vector<std::byte> buf;
    std::uint64_t payload_hash = 0;
    bool verify = false;
    void stamp(std::uint64_t seq) noexcept {
        if (!verify) return;
        std::memcpy(buf.data(), &seq, 8);
        const std::uint64_t sum = combine(payload_hash, seq);
        std::memcpy(buf.data() + 8, &sum, 8);
    }
};

// The scenario's message: message_size bytes (at least 1) of its payload pattern.
[[nodiscard]] Message make_message(const Scenario& sc);

// Tracks sequence numbers of received messages: lost, duplicated, reordered, corrupted. One
// thread (the receiver that owns `st`).
class SeqChecker {
  public:
    explicit SeqChecker(BenchSideStats& st) : st_(st) {}
    void on_message(const std::byte* msg, std::size_t size) noexcept {
        std::uint64_t seq, sum;
        std::memcpy(&seq, msg, 8);
        std::memcpy(&sum, msg + 8, 8);
        if (combine(hash_bytes(msg + kHeader, size - kHeader), seq) != sum) {
            add(st_.corrupted, 1);
            return;
        }
        add(st_.checked, 1);
        if (seq == next_) {
            mark(seq);
            ++next_;
        } else if (seq > next_) {
            const std::uint64_t gap = seq - next_;
            add(st_.lost, gap);
            for (std::uint64_t s = next_; s < seq && s < next_ + kWindow; ++s) unmark(s);
            mark(seq);
            next_ = seq + 1;
        } else if (next_ - seq > kWindow || marked(seq)) {
            add(st_.duplicated, 1);
        } else {
            add(st_.reordered, 1);
            st_.lost.store(st_.lost.load(kRelaxed) - 1, kRelaxed);
            mark(seq);
        }
        st_.highest_next.store(next_, kRelaxed);
    }

  private:
    static constexpr std::uint64_t kWindow = 4096;
    void mark(std::uint64_t s) { bits_[(s % kWindow) / 64] |= 1ULL << (s % 64); }
    void unmark(std::uint64_t s) { bits_[(s % kWindow) / 64] &= ~(1ULL << (s % 64)); }
    [[nodiscard]] bool marked(std::uint64_t s) const {
        return (bits_[(s % kWindow) / 64] >> (s % 64)) & 1;
    }
    BenchSideStats& st_;
    std::uint64_t next_ = 0;
    std::uint64_t bits_[kWindow / 64] = {};
};

// Collects a byte stream into fixed-size messages. One thread.
class Framer {
  public:
    explicit Framer(std::size_t size) : buf_(size) {}
    template <class F>
    void feed(const std::byte* p, std::size_t n, F&& on_message) {
        while (n) {
            const std::size_t take = std::min(n, buf_.size() - have_);
            std::memcpy(buf_.data() + have_, p, take);
            have_ += take;
            p += take;
            n -= take;
            if (have_ == buf_.size()) {
                on_message(buf_.data(), buf_.size());
                have_ = 0;
            }
        }
    }

  private:
    std::vector<std::byte> buf_;
    std::size_t have_ = 0;
};

}  // namespace pipescope::core::bench
