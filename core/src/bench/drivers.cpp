// The drivers: the engine's side of each pattern, one thread per connection. They are the
// benchmark's hot path: per message no allocation, lock or log, and the timing logic below is
// what the reports measure.
#include "bench/drivers.hpp"

#include <algorithm>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "bench/channel_io.hpp"
#include "bench/integrity.hpp"

namespace pipescope::core::bench {

void drive_stream(BenchRun& run, Channel& ch, BenchSideStats& st) {
    Message m = make_message(run.sc);
    const Timeout to = run.opt.io_timeout;
    std::uint64_t seq = 0;
    auto now = Clock::now();
    while (!run.done_at(now, seq)) {
        m.stamp(seq);
        const auto t = now;
        if (auto s = write_full(ch, m.buf.data(), m.buf.size(), to); !s) {
            if (!run.cancelled) run.fail(s.error());
            return;
        }
        now = Clock::now();
        st.hist.record(ns_since(t, now));
        add(st.bytes_sent, m.buf.size());
        add(st.messages_sent, 1);
        ++seq;
    }
    // close_write ends the stream: seqpacket and FIFO/stream sockets read EOF after the
    // data; a Win32 message-mode pipe sends an empty message (the receivers below take it as
    // the end, since a benchmark message is never empty).
    if (!ch.close_write()) {
        // No half-close (a byte-mode Win32 pipe): close_write flushed, so the receiver has
        // read everything; closing makes its next read end. Its counts are final once its
        // thread (or process) is joined.
        ch.close();
        return;
    }
    // Wait for the receiver to close: by then it has counted every byte.
    std::byte sink[256];
    for (;;) {
        auto r = ch.read(sink, to);
        if (!r || r->eof) break;
    }
}

// pingpong (inflight 1) and reqrep (K in flight): replies come back in order.
void drive_echo(BenchRun& run, Channel& ch, BenchSideStats& st, int inflight) {
    Message m = make_message(run.sc);
    const std::size_t size = m.buf.size();
    std::vector<std::byte> reply(size);
    ch.promise_whole_messages(size);  // every reply is one whole message of `size`
    std::vector<Clock::time_point> sent_at(static_cast<std::size_t>(inflight));
    // Ring positions of the next send and the next reply (no division in the timed window).
    std::size_t send_slot = 0, reply_slot = 0;
    SeqChecker checker(st);
    const Timeout to = run.opt.io_timeout;
    std::uint64_t seq = 0, received = 0;
    bool sending = true;
    auto now = Clock::now();
    // A sample is two clock reads: just before the write and just after the whole reply, so
    // the bookkeeping between a reply and the next send (histogram, counters, stamping) is
    // not part of the round trip it measures.
    auto send_one = [&]() -> bool {
        m.stamp(seq);
        Clock::time_point& at = sent_at[send_slot];
        send_slot = send_slot + 1 == sent_at.size() ? 0 : send_slot + 1;
        at = Clock::now();
        if (auto s = write_full(ch, m.buf.data(), size, to); !s) {
            if (!run.cancelled) run.fail(s.error());
            return false;
        }
        add(st.bytes_sent, size);
        add(st.messages_sent, 1);
        ++seq;
        return true;
    };
    while (sending && seq < static_cast<std::uint64_t>(inflight)) {
        if (run.done_at(now, seq)) {
            sending = false;
            break;
        }
        if (!send_one()) return;
    }
    while (received < seq) {
        auto r = read_full(ch, reply.data(), size, to);
        if (!r || !*r) {
            if (!r && !run.cancelled) run.fail(r.error());
            if (r && !*r)
                run.fail(make_error(ErrorCode::BrokenPipe, "read", ch.describe(),
                                    kPeerClosedBeforeReplying));
            return;
        }
        now = Clock::now();
        st.hist.record(ns_since(sent_at[reply_slot], now));
        reply_slot = reply_slot + 1 == sent_at.size() ? 0 : reply_slot + 1;
        ++received;
        add(st.bytes_received, size);
        add(st.messages_received, 1);
        if (run.sc.verify) checker.on_message(reply.data(), size);
        if (sending && run.done_at(now, seq)) sending = false;
        if (sending && !send_one()) return;
    }
    if (run.sc.verify && seq > st.highest_next.load(kRelaxed))
        add(st.lost, seq - st.highest_next.load(kRelaxed));
    (void)ch.close_write();
}

// Open loop at a fixed rate; latency from the intended send time.
void drive_rate(BenchRun& run, Channel& ch, BenchSideStats& st) {
    Message m = make_message(run.sc);
    const std::size_t size = m.buf.size();
    std::vector<std::byte> reply(size);
    ch.promise_whole_messages(size);
    constexpr std::size_t kCap = 65536;
    std::vector<Clock::time_point> intended(kCap);
    SeqChecker checker(st);
    const Timeout to = run.opt.io_timeout;
    const auto period = std::chrono::duration_cast<Clock::duration>(
        std::chrono::duration<double>(1.0 / run.sc.rate_per_sec));
    std::uint64_t seq = 0, received = 0;
    std::size_t have = 0;
    bool sending = true;
    auto next = Clock::now();
    for (;;) {
        auto now = Clock::now();
        while (sending && next <= now && seq - received < kCap) {
            if (run.done_at(next, seq)) {
                sending = false;
                break;
            }
            m.stamp(seq);
            intended[seq % kCap] = next;
            if (auto s = write_full(ch, m.buf.data(), size, to); !s) {
                if (!run.cancelled) run.fail(s.error());
                return;
            }
            add(st.bytes_sent, size);
            add(st.messages_sent, 1);
            ++seq;
            next += period;
        }
        if (sending && run.done_at(Clock::now(), seq)) sending = false;
        if (received == seq) {
            if (!sending) break;
            const auto wait = next - Clock::now();
            if (wait > std::chrono::milliseconds(2))
                std::this_thread::sleep_for(wait - std::chrono::milliseconds(1));
            else
                std::this_thread::yield();
            continue;
        }
        Timeout t = to;
        if (sending) {
            const auto until =
                std::chrono::duration_cast<std::chrono::milliseconds>(next - Clock::now());
            t = std::clamp(until, Timeout{0}, to);
        }
        auto r = ch.read(std::span<std::byte>(reply.data() + have, size - have), t);
        if (!r) {
            if (is_soft_timeout(r.error()) && (sending || t < to)) continue;
            if (run.cancelled) return;
            if (run.sc.verify) add(st.lost, seq - received);
            run.fail(r.error());
            return;
        }
        if (r->eof) {
            run.fail(make_error(ErrorCode::BrokenPipe, "read", ch.describe(),
                                kPeerClosedBeforeReplying));
            return;
        }
        have += r->bytes;
        if (have < size) continue;
        have = 0;
        now = Clock::now();
        st.hist.record(ns_since(intended[received % kCap], now));
        ++received;
        add(st.bytes_received, size);
        add(st.messages_received, 1);
        if (run.sc.verify) checker.on_message(reply.data(), size);
    }
    (void)ch.close_write();
}

// Churn, server side: accept, echo one message, wait for the close; latency = the whole cycle
// from one accepted connection to the next.
void drive_churn(BenchRun& run, Listener& listener, BenchSideStats& st) {
    const std::size_t size = std::max<std::uint64_t>(run.sc.message_size, 1);
    std::vector<std::byte> buf(size);
    const Timeout to = run.opt.io_timeout;
    auto last = Clock::now();
    std::uint64_t conns = 0;
    while (!run.done_at(Clock::now(), conns)) {
        auto acc = listener.accept(Timeout{100});
        if (!acc) {
            // A peer that stopped connecting (killed, crashed) must not keep a counted run
            // waiting for ever: no connection for a whole I/O timeout ends it.
            if (is_soft_timeout(acc.error()) && !run.cancelled && to.count() >= 0 &&
                Clock::now() - last > to) {
                if (!run.stopping) {
                    run.fail(make_error(
                        ErrorCode::Timeout, "accept", listener.address(),
                        "no peer connected for " + std::to_string(to.count()) +
                            " ms (the peer is gone). Next: check why the peer quit (its log, "
                            "or whether it was killed), then run again"));
                }
                return;
            }
            if (is_soft_timeout(acc.error()) && !run.cancelled) continue;
            if (!run.cancelled && !run.stopping) run.fail(acc.error());
            return;
        }
        Channel* ch = run.adopt(std::move(acc).value());
        if (auto e = message_size_error(run.sc, *ch)) {
            run.fail(*e);
            ch->close();  // the peer's pending read ends now, not at its timeout
            return;
        }
        auto r = read_full(*ch, buf.data(), size, to);
        if (r && *r) {
            add(st.bytes_received, size);
            if (auto s = write_full(*ch, buf.data(), size, to); s) {
                add(st.bytes_sent, size);
                std::byte b[16];
                for (;;) {
                    auto e = ch->read(b, to);
                    if (!e || e->eof) break;
                }
            }
        } else if (!r && !run.cancelled) {
            run.fail(r.error());
        }
        ch->close();
        run.drop(ch);
        const auto now = Clock::now();
        st.hist.record(ns_since(last, now));
        last = now;
        ++conns;
        add(st.messages_received, 1);
        add(st.messages_sent, 1);
    }
}

}  // namespace pipescope::core::bench
