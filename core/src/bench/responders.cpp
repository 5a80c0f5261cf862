// The responders: the peer's side of each pattern, on a thread of this process or in the
// child-process peer (pipescope-cli bench-peer).
#include "bench/responders.hpp"

#include <algorithm>
#include <vector>

#include "bench/channel_io.hpp"
#include "bench/integrity.hpp"

namespace pipescope::core::bench {

void respond_sink(const Scenario& sc, Channel& ch, BenchSideStats& st, Timeout to) {
    const std::size_t size = std::max<std::uint64_t>(sc.message_size, 1);
    std::vector<std::byte> buf(std::max<std::size_t>(size, 65536));
    ch.promise_whole_messages(size);  // the engine sends `size`-byte messages, none empty
    Framer framer(size);
    SeqChecker checker(st);
    std::uint64_t bytes = 0;
    for (;;) {
        auto r = ch.read(buf, to);
        if (!r) {
            // A Win32 writer that closed its side reads as a broken pipe, not as EOF.
            const auto code = r.error().code;
            if (code != ErrorCode::Cancelled && code != ErrorCode::BrokenPipe &&
                code != ErrorCode::NoData && code != ErrorCode::NotConnected)
                add(st.errors, 1);
            break;
        }
        if (r->eof || (r->bytes == 0 && ch.message_oriented())) break;
        add(st.bytes_received, r->bytes);
        bytes += r->bytes;
        if (sc.verify)
            framer.feed(buf.data(), r->bytes,
                        [&](const std::byte* p, std::size_t n) { checker.on_message(p, n); });
    }
    st.messages_received.store(bytes / size, kRelaxed);
    ch.close();
}

void respond_echo(Channel& ch, BenchSideStats& st, std::size_t size, Timeout to) {
    const bool msg = ch.message_oriented();
    // Byte kinds read at most one message's size, as a plain echo loop does; message kinds read
    // into a larger buffer so a whole message arrives in one read.
    std::vector<std::byte> buf(msg ? std::max<std::size_t>(size, 65536) : size);
    ch.promise_whole_messages(size);
    std::size_t have = 0;
    for (;;) {
        auto r = ch.read(std::span<std::byte>(buf.data() + have, buf.size() - have), to);
        if (!r) {
            if (r.error().code != ErrorCode::Cancelled) add(st.errors, 1);
            break;
        }
        if (r->eof || (r->bytes == 0 && have == 0 && msg)) break;
        add(st.bytes_received, r->bytes);
        have += r->bytes;
        if (msg && !r->message_end) {
            if (have == buf.size()) buf.resize(buf.size() * 2);
            continue;
        }
        if (!write_full(ch, buf.data(), have, to)) {
            add(st.errors, 1);
            break;
        }
        add(st.bytes_sent, have);
        add(st.messages_sent, 1);
        have = 0;
    }
    ch.close();
}

// Churn, client side: connect, send one message, read the echo, close; until told to stop.
void respond_churn(BenchTransport& tr, const Endpoint& ep, const Scenario& sc, BenchSideStats& st,
                   Timeout to, std::stop_token stop) {
    const std::size_t size = std::max<std::uint64_t>(sc.message_size, 1);
    std::vector<std::byte> buf(size);
    fill_payload(buf, sc.payload);
    while (!stop.stop_requested()) {
        auto c = tr.connect(ep, Timeout{1000}, stop);
        if (!c) {
            // The engine ends a churn run by closing its listener: a child peer then sees the
            // name vanish, be refused or time out. Anything else is an error.
            const auto code = c.error().code;
            if (!stop.stop_requested() && code != ErrorCode::Cancelled &&
                code != ErrorCode::NotFound && code != ErrorCode::ConnectionRefused &&
                code != ErrorCode::Timeout)
                add(st.errors, 1);
            break;
        }
        auto& ch = **c;
        if (write_full(ch, buf.data(), size, to)) {
            add(st.bytes_sent, size);
            auto r = read_full(ch, buf.data(), size, to);
            if (r && *r) add(st.bytes_received, size);
        }
        ch.close();
        add(st.messages_sent, 1);
    }
}

// Runs the responder for one connection of the scenario.
void respond(const Scenario& sc, Channel& ch, BenchSideStats& st, Timeout to) {
    if (sc.pattern == BenchPattern::Stream)
        respond_sink(sc, ch, st, to);
    else
        respond_echo(ch, st, std::max<std::uint64_t>(sc.message_size, 1), to);
}

}  // namespace pipescope::core::bench
