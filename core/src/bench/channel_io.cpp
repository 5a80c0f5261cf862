// Checks a connection against the scenario before any message is sent.
#include "bench/channel_io.hpp"

#include <string>

namespace pipescope::core::bench {

Error closed_mid_message(const Channel& ch) {
    return make_error(ErrorCode::BrokenPipe, "read", ch.describe(),
                      "the peer closed in the middle of a message. Next: check why the peer quit "
                      "(its log, or whether it was killed)");
}

std::optional<Error> message_size_error(const Scenario& sc, const Channel& ch) {
    const std::size_t cap = ch.max_message_bytes();
    if (cap == 0 || sc.message_size <= cap) return std::nullopt;
    return make_error(
        ErrorCode::InvalidArgument, "bench", ch.describe(),
        "a message of " + std::to_string(sc.message_size) +
            " bytes is larger than the largest message this transport can carry (" +
            std::to_string(cap) +
            " bytes; for seqpacket the socket send buffer, net.core.wmem_max, sets it). "
            "Next: use --size " +
            std::to_string(cap) +
            " or less, or a byte transport (--transport unix or fifo) for bigger messages");
}

}  // namespace pipescope::core::bench
