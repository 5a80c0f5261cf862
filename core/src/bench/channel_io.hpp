// Whole-message reads and writes over a Channel, shared by the drivers and the responders.
// Internal to core. write_full / read_full run once per message: inline, no allocation.
#pragma once

#include <cstddef>
#include <optional>
#include <span>

#include "pipescope/bench.hpp"
#include "pipescope/transport.hpp"

namespace pipescope::core::bench {

inline constexpr const char* kPeerClosedBeforeReplying =
    "the peer closed its end before replying (the peer is gone). Next: check why the peer "
    "quit (its log, or whether it was killed), then run again";

inline bool is_soft_timeout(const Error& e) {
    return e.code == ErrorCode::Timeout || e.code == ErrorCode::WouldBlock;
}

// The error of a peer that closed mid-message (out of line: the hot path only calls it).
[[nodiscard, gnu::cold, gnu::noinline]] Error closed_mid_message(const Channel& ch);

[[gnu::always_inline]] inline Status write_full(Channel& ch, const std::byte* p, std::size_t n,
                                                Timeout t) {
    std::size_t off = 0;
    do {
        auto r = ch.write(std::span<const std::byte>(p + off, n - off), t);
        if (!r) return std::move(r).error();
        off += *r;
    } while (off < n);
    return {};
}

// Reads exactly n bytes. Returns false on a clean EOF before the first byte.
[[gnu::always_inline]] inline Result<bool> read_full(Channel& ch, std::byte* p, std::size_t n,
                                                     Timeout t) {
    std::size_t off = 0;
    while (off < n) {
        auto r = ch.read(std::span<std::byte>(p + off, n - off), t);
        if (!r) return std::move(r).error();
        if (r->eof) {
            if (off == 0) return false;
            return closed_mid_message(ch);
        }
        off += r->bytes;
    }
    return true;
}

// A message kind carries one benchmark message per write, so a message over the channel's
// limit (seqpacket: bounded by the socket send buffer) cannot be sent at all. We fail with
// the limit rather than split: a split message would be several messages, and the pattern
// would measure something else. Byte kinds report no limit (0) and take any size.
[[nodiscard]] std::optional<Error> message_size_error(const Scenario& sc, const Channel& ch);

}  // namespace pipescope::core::bench
