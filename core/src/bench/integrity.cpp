// The benchmark's payloads: the fill patterns and the message a driver sends.
#include "bench/integrity.hpp"

namespace pipescope::core::bench {

void fill_payload(std::vector<std::byte>& buf, PayloadPattern p) {
    std::uint64_t x = 0x2545F4914F6CDD1DULL;
    for (std::size_t i = 0; i < buf.size(); ++i) {
        switch (p) {
            case PayloadPattern::Zeros:
                buf[i] = std::byte{0};
                break;
            case PayloadPattern::Sequence:
                buf[i] = static_cast<std::byte>(i & 0xff);
                break;
            case PayloadPattern::Random:
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                buf[i] = static_cast<std::byte>(x & 0xff);
                break;
        }
    }
}

Message make_message(const Scenario& sc) {
    Message m;
    m.buf.resize(std::max<std::uint64_t>(sc.message_size, 1));
    fill_payload(m.buf, sc.payload);
    m.verify = sc.verify;
    if (sc.verify) m.payload_hash = hash_bytes(m.buf.data() + kHeader, m.buf.size() - kHeader);
    return m;
}

}  // namespace pipescope::core::bench
