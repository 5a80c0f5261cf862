// The benchmark engine: drivers (this side), responders (the peer), the interval aggregator.
#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>
#include <spdlog/logger.h>

#include "bench/bench_platform.hpp"
#include "pipescope/bench.hpp"
#include "pipescope/bench_baseline.hpp"
#include "pipescope/log.hpp"
#include "pipescope/platform.hpp"

namespace pipescope::core {

using Clock = std::chrono::steady_clock;
using nlohmann::json;

namespace {

using Counter = std::atomic<std::uint64_t>;
constexpr auto kRelaxed = std::memory_order_relaxed;
// Single writer: a plain load/add/store, no locked instruction.
inline void add(Counter& c, std::uint64_t v) noexcept { c.store(c.load(kRelaxed) + v, kRelaxed); }
inline std::uint64_t ns_since(Clock::time_point a, Clock::time_point b) noexcept {
    const auto d = std::chrono::duration_cast<std::chrono::nanoseconds>(b - a).count();
    return d > 0 ? static_cast<std::uint64_t>(d) : 0;
}

// ---- Integrity: [u64 seq][u64 checksum][payload] -------------------------------------------

constexpr std::size_t kHeader = 16;

std::uint64_t hash_bytes(const std::byte* p, std::size_t n) noexcept {
    std::uint64_t h = 0x6a09e667f3bcc909ULL ^ n;
    std::size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        std::uint64_t w;
        std::memcpy(&w, p + i, 8);
        h = (h ^ w) * 0x9E3779B97F4A7C15ULL;
        h ^= h >> 29;
    }
    std::uint64_t tail = 0;
    for (std::size_t k = 0; i < n; ++i, ++k) tail |= std::to_integer<std::uint64_t>(p[i]) << (8 * k);
    h = (h ^ tail) * 0x9E3779B97F4A7C15ULL;
    return h ^ (h >> 31);
}
inline std::uint64_t combine(std::uint64_t payload_hash, std::uint64_t seq) noexcept {
    std::uint64_t h = (payload_hash ^ (seq * 0xC2B2AE3D27D4EB4FULL)) * 0x9E3779B97F4A7C15ULL;
    return h ^ (h >> 32);
}

void fill_payload(std::vector<std::byte>& buf, PayloadPattern p) {
    std::uint64_t x = 0x2545F4914F6CDD1DULL;
    for (std::size_t i = 0; i < buf.size(); ++i) {
        switch (p) {
        case PayloadPattern::Zeros: buf[i] = std::byte{0}; break;
        case PayloadPattern::Sequence: buf[i] = static_cast<std::byte>(i & 0xff); break;
        case PayloadPattern::Random:
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            buf[i] = static_cast<std::byte>(x & 0xff);
            break;
        }
    }
}

}  // namespace

// Per-thread recorder: one writer thread, read by the controller.
struct BenchSideStats {
    LatencyHistogram hist;
    Counter bytes_sent{0}, bytes_received{0}, messages_sent{0}, messages_received{0};
    Counter checked{0}, lost{0}, duplicated{0}, reordered{0}, corrupted{0};
    Counter errors{0};
    Counter cpu_ns{0};
    Counter highest_next{0};  // receiver: next expected sequence number (for tail loss)
};

namespace {

// Tracks sequence numbers of received messages: lost, duplicated, reordered, corrupted.
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

// Collects a byte stream into fixed-size messages.
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

}  // namespace

// ---- Shared run state ----------------------------------------------------------------------

struct BenchRun {
    Scenario sc;
    BenchOptions opt;
    std::atomic<bool> stopping{false};   // graceful end requested (or duration over)
    std::atomic<bool> cancelled{false};
    Clock::time_point t0{}, deadline{};
    std::uint64_t count = 0;             // per driver; 0: by time

    std::mutex mutex;                    // guards everything below (never on the hot path)
    std::condition_variable cv;
    std::vector<std::unique_ptr<Channel>> channels;  // live until the run ends
    Listener* listener = nullptr;
    std::string first_error;
    std::uint64_t error_count = 0;
    std::atomic<int> drivers_left{0};
    std::atomic<std::uint32_t> peer_pid{0};  // the child-process peer, once started

    std::vector<std::unique_ptr<BenchSideStats>> engine_stats, peer_stats;

    Channel* adopt(std::unique_ptr<Channel> ch) {
        std::lock_guard lock(mutex);
        channels.push_back(std::move(ch));
        Channel* c = channels.back().get();
        if (cancelled.load()) c->cancel();
        return c;
    }
    // Destroys an adopted channel once its connection is over (churn makes thousands a
    // second: each holds descriptors and buffers until destroyed).
    void drop(Channel* c) {
        std::unique_ptr<Channel> gone;
        std::lock_guard lock(mutex);
        for (auto it = channels.rbegin(); it != channels.rend(); ++it) {
            if (it->get() == c) {
                gone = std::move(*it);
                channels.erase(std::next(it).base());
                break;
            }
        }
    }
    void fail(const Error& e) {
        std::lock_guard lock(mutex);
        ++error_count;
        if (first_error.empty()) first_error = e.to_string();
        else first_error += "; then: " + e.to_string();
    }
    void cancel_io() {
        std::lock_guard lock(mutex);
        for (auto& c : channels) c->cancel();
        if (listener) listener->cancel();
    }
    [[nodiscard]] bool done_at(Clock::time_point now, std::uint64_t sent) const noexcept {
        if (stopping.load(kRelaxed)) return true;
        if (count) return sent >= count;
        return now >= deadline;
    }
};

using Run = BenchRun;

namespace {


constexpr const char* kPeerClosedBeforeReplying =
    "the peer closed its end before replying (the peer is gone). Next: check why the peer "
    "quit (its log, or whether it was killed), then run again";

bool is_soft_timeout(const Error& e) {
    return e.code == ErrorCode::Timeout || e.code == ErrorCode::WouldBlock;
}

Status write_full(Channel& ch, const std::byte* p, std::size_t n, Timeout t) {
    std::size_t off = 0;
    do {
        auto r = ch.write(std::span<const std::byte>(p + off, n - off), t);
        if (!r) return std::move(r).error();
        off += *r;
    } while (off < n);
    return {};
}

// Reads exactly n bytes. Returns false on a clean EOF before the first byte.
Result<bool> read_full(Channel& ch, std::byte* p, std::size_t n, Timeout t) {
    std::size_t off = 0;
    while (off < n) {
        auto r = ch.read(std::span<std::byte>(p + off, n - off), t);
        if (!r) return std::move(r).error();
        if (r->eof) {
            if (off == 0) return false;
            return make_error(ErrorCode::BrokenPipe, "read", ch.describe(),
                              "the peer closed in the middle of a message. Next: check why the "
                              "peer quit (its log, or whether it was killed)");
        }
        off += r->bytes;
    }
    return true;
}

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

Message make_message(const Scenario& sc) {
    Message m;
    m.buf.resize(std::max<std::uint64_t>(sc.message_size, 1));
    fill_payload(m.buf, sc.payload);
    m.verify = sc.verify;
    if (sc.verify) m.payload_hash = hash_bytes(m.buf.data() + kHeader, m.buf.size() - kHeader);
    return m;
}

void finish_thread(BenchSideStats& st) {
    st.cpu_ns.store(static_cast<std::uint64_t>(benchplat::thread_cpu_seconds() * 1e9), kRelaxed);
}

// A message kind carries one benchmark message per write, so a message over the channel's
// limit (seqpacket: bounded by the socket send buffer) cannot be sent at all. We fail with
// the limit rather than split: a split message would be several messages, and the pattern
// would measure something else. Byte kinds report no limit (0) and take any size.
std::optional<Error> message_size_error(const Scenario& sc, const Channel& ch) {
    const std::size_t cap = ch.max_message_bytes();
    if (cap == 0 || sc.message_size <= cap) return std::nullopt;
    return make_error(
        ErrorCode::InvalidArgument, "bench", ch.describe(),
        "a message of " + std::to_string(sc.message_size) +
            " bytes is larger than the largest message this transport can carry (" +
            std::to_string(cap) +
            " bytes; for seqpacket the socket send buffer, net.core.wmem_max, sets it). "
            "Next: use --size " + std::to_string(cap) +
            " or less, or a byte transport (--transport unix or fifo) for bigger messages");
}

// ---- Drivers (the engine's side) -----------------------------------------------------------

void drive_stream(Run& run, Channel& ch, BenchSideStats& st) {
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
void drive_echo(Run& run, Channel& ch, BenchSideStats& st, int inflight) {
    Message m = make_message(run.sc);
    const std::size_t size = m.buf.size();
    std::vector<std::byte> reply(size);
    std::vector<Clock::time_point> sent_at(static_cast<std::size_t>(inflight));
    SeqChecker checker(st);
    const Timeout to = run.opt.io_timeout;
    std::uint64_t seq = 0, received = 0;
    bool sending = true;
    auto now = Clock::now();
    auto send_one = [&]() -> bool {
        m.stamp(seq);
        sent_at[seq % sent_at.size()] = now;
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
        if (run.done_at(now, seq)) { sending = false; break; }
        if (!send_one()) return;
    }
    while (received < seq) {
        auto r = read_full(ch, reply.data(), size, to);
        if (!r || !*r) {
            if (!r && !run.cancelled) run.fail(r.error());
            if (r && !*r) run.fail(make_error(ErrorCode::BrokenPipe, "read", ch.describe(),
                                              kPeerClosedBeforeReplying));
            return;
        }
        now = Clock::now();
        st.hist.record(ns_since(sent_at[received % sent_at.size()], now));
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
void drive_rate(Run& run, Channel& ch, BenchSideStats& st) {
    Message m = make_message(run.sc);
    const std::size_t size = m.buf.size();
    std::vector<std::byte> reply(size);
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
            if (run.done_at(next, seq)) { sending = false; break; }
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
            const auto until = std::chrono::duration_cast<std::chrono::milliseconds>(
                next - Clock::now());
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
void drive_churn(Run& run, Listener& listener, BenchSideStats& st) {
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

// ---- Responders (the peer's side) ----------------------------------------------------------

void respond_sink(const Scenario& sc, Channel& ch, BenchSideStats& st, Timeout to) {
    const std::size_t size = std::max<std::uint64_t>(sc.message_size, 1);
    std::vector<std::byte> buf(std::max<std::size_t>(size, 65536));
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
    std::vector<std::byte> buf(std::max<std::size_t>(size, 65536));
    const bool msg = ch.message_oriented();
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

Endpoint make_endpoint(const Scenario& sc, const BenchOptions& opt) {
    static std::atomic<unsigned> counter{0};
    Endpoint ep;
    ep.kind = resolve_transport(sc);
    ep.io = sc.io;
    const std::string name = opt.name_prefix + "-" + std::to_string(benchplat::current_pid()) +
                             "-" + std::to_string(counter++);
    if (auto n = PipeName::parse(name)) ep.name = *n;
    ep.server.type = sc.type;
    ep.server.read_mode = sc.type;
    ep.server.in_quota = sc.in_quota;
    ep.server.out_quota = sc.out_quota;
    ep.server.max_instances = std::max(sc.instances, sc.clients);
    ep.server.first_instance = true;
    ep.client.read_mode = sc.type;
    return ep;
}

std::string endpoint_to_json(const Endpoint& ep) {
    json j;
    j["kind"] = bench_name(ep.kind);
    j["io"] = bench_name(ep.io);
    j["name"] = ep.name.display();
    j["tcp_port"] = ep.tcp_port;
    j["read_mode"] = bench_name(ep.client.read_mode);
    return j.dump();
}

Result<Endpoint> endpoint_from_json(std::string_view text) {
    json j = json::parse(text.begin(), text.end(), nullptr, false);
    Endpoint ep;
    try {
        auto k = parse_bench_transport(j.at("kind").get<std::string>());
        auto io = parse_bench_io(j.at("io").get<std::string>());
        auto rm = parse_bench_type(j.at("read_mode").get<std::string>());
        auto name = PipeName::parse(j.at("name").get<std::string>());
        if (!k || !io || !rm || !name)
            return make_error(ErrorCode::InvalidArgument, "bench-peer", "endpoint",
                              "malformed endpoint");
        ep.kind = *k;
        ep.io = *io;
        ep.client.read_mode = *rm;
        ep.name = *name;
        ep.tcp_port = j.at("tcp_port").get<std::uint16_t>();
    } catch (const json::exception& e) {
        return make_error(ErrorCode::InvalidArgument, "bench-peer", "endpoint", e.what());
    }
    return ep;
}

std::string placement_text(CpuPlacement p, bool pinned_ok, const std::string& why) {
    if (p == CpuPlacement::Unpinned) return "unpinned";
    if (!pinned_ok) return "unpinned (pinning failed: " + why + ")";
    if (p == CpuPlacement::SameCore) return "same core (engine cpu 0, peer cpu 0)";
    return "different cores (engine cpu 0, peer cpu 1)";
}

}  // namespace

// ---- Engine --------------------------------------------------------------------------------

BenchEngine::BenchEngine(BenchTransport& transport, BenchOptions options)
    : transport_(transport), options_(std::move(options)),
      snapshot_(std::make_shared<const BenchSnapshot>()) {}

BenchEngine::~BenchEngine() {
    cancel();
    if (worker_.joinable()) worker_.join();
}

void BenchEngine::publish(std::shared_ptr<const BenchSnapshot> s) {
    std::lock_guard lock(snapshot_mutex_);
    snapshot_ = std::move(s);
}

std::shared_ptr<const BenchSnapshot> BenchEngine::snapshot() const {
    std::lock_guard lock(snapshot_mutex_);
    return snapshot_;
}

void BenchEngine::stop() {
    if (auto r = run_) {
        r->stopping = true;
        r->cv.notify_all();
    }
}

void BenchEngine::cancel() {
    if (auto r = run_) {
        r->cancelled = true;
        r->stopping = true;
        r->cv.notify_all();
        r->cancel_io();
    }
}

BenchReport BenchEngine::run(const Scenario& scenario) {
    if (auto s = start(scenario); !s) {
        BenchReport rep;
        rep.scenario = scenario;
        rep.error = s.error().to_string();
        return rep;
    }
    return wait();
}

BenchReport BenchEngine::wait() {
    if (worker_.joinable()) worker_.join();
    auto snap = snapshot();
    if (snap->report) return *snap->report;
    BenchReport rep;
    rep.error = "no run";
    return rep;
}

namespace {

struct Totals {
    std::uint64_t bytes_sent = 0, bytes_received = 0, msgs_sent = 0, msgs_received = 0;
    std::uint64_t errors = 0;
    double cpu_s = 0;
    IntegrityCounts integ;
};

Totals sum(const std::vector<std::unique_ptr<BenchSideStats>>& v) {
    Totals t;
    for (const auto& s : v) {
        t.bytes_sent += s->bytes_sent.load(kRelaxed);
        t.bytes_received += s->bytes_received.load(kRelaxed);
        t.msgs_sent += s->messages_sent.load(kRelaxed);
        t.msgs_received += s->messages_received.load(kRelaxed);
        t.errors += s->errors.load(kRelaxed);
        t.cpu_s += static_cast<double>(s->cpu_ns.load(kRelaxed)) * 1e-9;
        t.integ.checked += s->checked.load(kRelaxed);
        t.integ.lost += s->lost.load(kRelaxed);
        t.integ.duplicated += s->duplicated.load(kRelaxed);
        t.integ.reordered += s->reordered.load(kRelaxed);
        t.integ.corrupted += s->corrupted.load(kRelaxed);
    }
    return t;
}

// The measured direction: bytes and messages that completed.
std::pair<std::uint64_t, std::uint64_t> progress_of(const Scenario& sc, const Totals& e,
                                                    const Totals& p) {
    switch (sc.pattern) {
    case BenchPattern::Stream:
        if (sc.process) return {e.bytes_sent, e.msgs_sent};
        return {p.bytes_received, p.bytes_received / std::max<std::uint64_t>(sc.message_size, 1)};
    case BenchPattern::Churn: return {e.bytes_received, e.msgs_received};
    default: return {e.bytes_received, e.msgs_received};
    }
}

struct PeerResult {
    Totals t;
    std::string error;
};

std::optional<PeerResult> read_peer_result(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return std::nullopt;
    std::stringstream ss;
    ss << in.rdbuf();
    json j = json::parse(ss.str(), nullptr, false);
    if (j.is_discarded()) return std::nullopt;
    PeerResult r;
    r.t.bytes_sent = j.value("bytes_sent", 0ULL);
    r.t.bytes_received = j.value("bytes_received", 0ULL);
    r.t.msgs_sent = j.value("messages_sent", 0ULL);
    r.t.msgs_received = j.value("messages_received", 0ULL);
    r.t.errors = j.value("errors", 0ULL);
    r.t.cpu_s = j.value("cpu_s", 0.0);
    r.t.integ.checked = j.value("checked", 0ULL);
    r.t.integ.lost = j.value("lost", 0ULL);
    r.t.integ.duplicated = j.value("duplicated", 0ULL);
    r.t.integ.reordered = j.value("reordered", 0ULL);
    r.t.integ.corrupted = j.value("corrupted", 0ULL);
    r.error = j.value("error", std::string());
    return r;
}

}  // namespace

Status BenchEngine::start(const Scenario& scenario) {
    if (worker_.joinable()) {
        if (run_ && snapshot()->state == BenchState::Running)
            return make_error(ErrorCode::Busy, "BenchEngine::start", scenario.name,
                              "a run is in progress. Next: stop or cancel it first");
        worker_.join();
    }
    if (auto v = validate(scenario); !v) return v;
    if (scenario.process && options_.peer_executable.empty())
        return make_error(ErrorCode::InvalidArgument, "BenchEngine::start", "process",
                          "a child-process peer needs the path of pipescope-cli");
    auto run = std::make_shared<BenchRun>();
    run->sc = scenario;
    run->opt = options_;
    run_ = run;
    auto first = std::make_shared<BenchSnapshot>();
    first->state = BenchState::Running;
    first->warming_up = scenario.warmup_s > 0;
    publish(first);
    worker_ = std::jthread([this, run](std::stop_token) { controller(*run); });
    return {};
}

void BenchEngine::controller(BenchRun& run) {
    const Scenario& sc = run.sc;
    auto report = std::make_shared<BenchReport>();
    report->scenario = sc;
    report->transport = std::string(bench_name(resolve_transport(sc)));
    report->platform = platform_name();
    auto finish = [&](BenchState state, std::vector<IntervalSample> intervals,
                      LatencySummary lat) {
        report->intervals = intervals;
        auto snap = std::make_shared<BenchSnapshot>();
        snap->state = state;
        snap->progress = 1;
        snap->elapsed_s = report->summary.elapsed_s;
        snap->intervals = std::move(intervals);
        snap->latency = lat;
        snap->latency_bars = report->latency_bars;
        snap->bytes_sent = report->summary.bytes_sent;
        snap->bytes_received = report->summary.bytes_received;
        snap->messages = report->summary.latency.count;
        if (const auto pid = run.peer_pid.load()) snap->peer_pid = pid;
        snap->report = report;
        publish(std::move(snap));
    };
    auto fail_now = [&](const Error& e) {
        report->error = e.to_string();
        log::bench()->warn("bench run failed: {}", report->error);
        finish(run.cancelled ? BenchState::Cancelled : BenchState::Failed, {}, {});
    };

    // Scenario::baseline: the raw loop first, so it never shares the CPU with the engine's run
    // (bench_baseline.hpp; the ratios are attached with the summary below).
    if (sc.baseline)
        report->baseline = baseline_for_report(
            sc, {options_.io_timeout, options_.name_prefix + "-raw", &run.cancelled});

    // Placement.
    bool pinned_ok = true;
    std::string pin_why;
    const int engine_cpu = 0;
    const int peer_cpu = sc.cpu == CpuPlacement::DifferentCores ? 1 : 0;
    if (sc.cpu == CpuPlacement::DifferentCores && benchplat::cpu_count() < 2) {
        pinned_ok = false;
        pin_why = "only one CPU available";
    }
    const bool pin = sc.cpu != CpuPlacement::Unpinned && pinned_ok;

    // Listen.
    const Endpoint ep = make_endpoint(sc, options_);
    auto lst = transport_.listen(ep);
    if (!lst) return fail_now(lst.error());
    Listener& listener = **lst;
    {
        std::lock_guard lock(run.mutex);
        run.listener = &listener;
    }
    const Endpoint client_ep = listener.client_endpoint();

    const int conns = sc.pattern == BenchPattern::ReqRep ? sc.clients : 1;
    const int peer_threads = sc.pattern == BenchPattern::Churn ? 1 : conns;
    for (int i = 0; i < conns; ++i) run.engine_stats.push_back(std::make_unique<BenchSideStats>());
    for (int i = 0; i < peer_threads; ++i)
        run.peer_stats.push_back(std::make_unique<BenchSideStats>());

    // Start the peer.
    std::vector<std::jthread> peers;
    benchplat::ChildProcess child;
    std::string result_path;
    std::atomic<bool> pin_failed{false};
    if (sc.process) {
        result_path = benchplat::temp_file_path("pipescope-bench-peer");
        std::vector<std::string> args{"bench-peer",
                                      "--endpoint", hex_encode(endpoint_to_json(client_ep)),
                                      "--scenario", hex_encode(scenario_to_json(sc)),
                                      "--result", result_path};
        if (pin) {
            args.push_back("--cpu");
            args.push_back(std::to_string(peer_cpu));
        }
        auto c = benchplat::ChildProcess::spawn(options_.peer_executable, args);
        if (!c) return fail_now(c.error());
        child = std::move(c).value();
        run.peer_pid = child.pid();
        auto snap = std::make_shared<BenchSnapshot>(*snapshot());
        snap->peer_pid = child.pid();
        publish(std::move(snap));
    } else {
        for (int i = 0; i < peer_threads; ++i) {
            BenchSideStats& st = *run.peer_stats[static_cast<std::size_t>(i)];
            peers.emplace_back([&, i, &st = st](std::stop_token stop) {
                (void)i;
                if (pin && !benchplat::pin_current_thread(peer_cpu)) pin_failed = true;
                if (sc.pattern == BenchPattern::Churn) {
                    respond_churn(transport_, client_ep, sc, st, options_.io_timeout, stop);
                } else {
                    auto c = transport_.connect(client_ep, options_.io_timeout, stop);
                    if (!c) {
                        if (!run.cancelled) run.fail(c.error());
                    } else {
                        Channel* ch = run.adopt(std::move(c).value());
                        respond(sc, *ch, st, options_.io_timeout);
                    }
                }
                finish_thread(st);
            });
        }
    }

    // A child peer that ends before the run does (killed, crashed) ends the run: noticed here
    // while accepting and at every interval edge, so nothing waits for a whole I/O timeout.
    std::optional<int> peer_exit;
    auto child_gone = [&]() -> bool {
        if (peer_exit) return true;
        if (!child.valid()) return false;
        peer_exit = child.wait(Timeout{0});
        return peer_exit.has_value();
    };
    // Accepts one connection within the I/O timeout, looking at the child peer every 100 ms.
    auto accept_one = [&]() -> Result<std::unique_ptr<Channel>> {
        const Timeout to = options_.io_timeout;
        const auto until = Clock::now() + (to.count() < 0 ? Timeout{0} : to);
        for (;;) {
            Timeout slice{100};
            if (to.count() >= 0) {
                slice = std::clamp(std::chrono::duration_cast<Timeout>(until - Clock::now()),
                                   Timeout{0}, slice);
            }
            auto a = listener.accept(slice);
            if (a || !is_soft_timeout(a.error()) || run.cancelled) return a;
            if (child_gone()) return a;
            if (to.count() >= 0 && Clock::now() >= until) return a;
        }
    };

    // Accept the engine's connections.
    std::vector<Channel*> engine_channels;
    if (sc.pattern != BenchPattern::Churn) {
        for (int i = 0; i < conns; ++i) {
            auto a = accept_one();
            if (!a) {
                if (!child_gone()) run.fail(a.error());  // else: the peer's death says why
                run.stopping = true;
                run.cancel_io();
                break;
            }
            engine_channels.push_back(run.adopt(std::move(a).value()));
            if (auto e = message_size_error(sc, *engine_channels.back())) {
                run.fail(*e);
                run.stopping = true;
                run.cancel_io();
                break;
            }
        }
    }

    // Drivers.
    const auto warmup = std::chrono::duration_cast<Clock::duration>(
        std::chrono::duration<double>(sc.warmup_s));
    const auto duration = std::chrono::duration_cast<Clock::duration>(
        std::chrono::duration<double>(sc.duration_s));
    run.t0 = Clock::now();
    run.deadline = run.t0 + warmup + duration;
    run.count = sc.message_count;
    std::vector<std::jthread> drivers;
    const bool setup_ok = run.error_count == 0 && !run.cancelled;
    if (setup_ok) {
        const int n = sc.pattern == BenchPattern::Churn ? 1 : conns;
        run.drivers_left = n;
        for (int i = 0; i < n; ++i) {
            BenchSideStats& st = *run.engine_stats[static_cast<std::size_t>(i)];
            Channel* ch = sc.pattern == BenchPattern::Churn
                              ? nullptr
                              : engine_channels[static_cast<std::size_t>(i)];
            drivers.emplace_back([&, ch, &st = st] {
                if (pin && !benchplat::pin_current_thread(engine_cpu)) pin_failed = true;
                switch (sc.pattern) {
                case BenchPattern::Stream: drive_stream(run, *ch, st); break;
                case BenchPattern::PingPong: drive_echo(run, *ch, st, 1); break;
                case BenchPattern::ReqRep: drive_echo(run, *ch, st, sc.inflight); break;
                case BenchPattern::Rate: drive_rate(run, *ch, st); break;
                case BenchPattern::Churn: drive_churn(run, listener, st); break;
                }
                finish_thread(st);
                if (--run.drivers_left == 0) {
                    std::lock_guard lock(run.mutex);
                    run.cv.notify_all();
                }
            });
        }
    }

    // Aggregate at interval edges until the drivers are done.
    LatencyHistogram cur, base, prev, interval_h;
    std::uint64_t base_bytes = 0, base_msgs = 0, prev_bytes = 0, prev_msgs = 0;
    std::vector<IntervalSample> intervals;
    bool measuring = warmup.count() == 0;
    Clock::time_point measure_start = run.t0;
    const auto step = std::chrono::duration_cast<Clock::duration>(
        std::chrono::duration<double>(sc.interval_s));
    Clock::time_point next_edge = run.t0 + (measuring ? step : warmup);
    auto gather = [&](LatencyHistogram& into) {
        into.reset();
        for (const auto& s : run.engine_stats) into.merge(s->hist);
        const Totals e = sum(run.engine_stats), p = sum(run.peer_stats);
        return progress_of(sc, e, p);
    };
    auto snapshot_now = [&](Clock::time_point now) {
        auto snap = std::make_shared<BenchSnapshot>();
        snap->state = BenchState::Running;
        snap->warming_up = !measuring;
        snap->elapsed_s = std::chrono::duration<double>(now - run.t0).count();
        const Totals e = sum(run.engine_stats);
        if (sc.message_count)
            snap->progress = std::min(1.0, static_cast<double>(e.msgs_sent) /
                                               static_cast<double>(sc.message_count * static_cast<std::uint64_t>(conns)));
        else
            snap->progress = std::min(1.0, snap->elapsed_s / (sc.warmup_s + sc.duration_s));
        snap->intervals = intervals;
        LatencyHistogram m;
        m.set_difference(cur, base);
        snap->latency = summarize(m);
        snap->latency_bars = latency_bars(m);
        snap->bytes_sent = e.bytes_sent;
        snap->bytes_received = e.bytes_received + sum(run.peer_stats).bytes_received;
        snap->messages = snap->latency.count;
        if (const auto pid = run.peer_pid.load()) snap->peer_pid = pid;
        publish(std::move(snap));
    };
    if (setup_ok) {
        std::unique_lock lock(run.mutex);
        while (run.drivers_left.load() > 0 && !run.cancelled) {
            run.cv.wait_until(lock, next_edge, [&] {
                return run.drivers_left.load() == 0 || run.cancelled.load();
            });
            const auto now = Clock::now();
            if (now < next_edge && run.drivers_left.load() > 0 && !run.cancelled) continue;
            lock.unlock();
            if (!run.stopping && child_gone()) {
                log::bench()->warn("bench peer (pid {}) ended mid-run", child.pid());
                run.stopping = true;
            }
            const auto [bytes, msgs] = gather(cur);
            if (!measuring) {
                measuring = true;
                measure_start = now;
                base = cur;
                prev = cur;
                base_bytes = prev_bytes = bytes;
                base_msgs = prev_msgs = msgs;
            } else {
                interval_h.set_difference(cur, prev);
                IntervalSample is;
                is.start_s = intervals.empty() ? 0.0 : intervals.back().end_s;
                is.end_s = std::chrono::duration<double>(now - measure_start).count();
                const double dt = std::max(1e-9, is.end_s - is.start_s);
                is.bytes_per_sec = static_cast<double>(bytes - prev_bytes) / dt;
                is.messages_per_sec = static_cast<double>(msgs - prev_msgs) / dt;
                is.p50_ns = interval_h.percentile(50);
                is.p99_ns = interval_h.percentile(99);
                is.max_ns = interval_h.max();
                intervals.push_back(is);
                prev = cur;
                prev_bytes = bytes;
                prev_msgs = msgs;
            }
            snapshot_now(now);
            next_edge = now + step;
            lock.lock();
        }
    }
    const auto t_end = Clock::now();
    for (auto& d : drivers) d.join();

    // Let the peer finish: it sees the close of each channel (or, for churn, a stop).
    for (auto* ch : engine_channels) ch->close();
    for (auto& p : peers) p.request_stop();
    if (sc.pattern == BenchPattern::Churn || run.cancelled) run.cancel_io();
    {
        std::lock_guard lock(run.mutex);
        run.listener = nullptr;
    }
    lst.value().reset();  // churn peers in a child then fail to connect and exit
    for (auto& p : peers) p.join();

    PeerResult child_result;
    bool have_child_result = false;
    std::optional<Error> peer_error;  // the child peer died and said nothing
    if (child.pid() != 0) {
        auto code = child.wait(run.cancelled ? Timeout{0} : options_.io_timeout);
        if (!code) {
            child.kill();
            if (!run.cancelled)
                run.fail(make_error(ErrorCode::Timeout, "bench-peer", options_.peer_executable,
                                    "the child-process peer did not exit; it was killed. Next: "
                                    "check that it can reach the pipe, or raise the I/O timeout"));
        } else if (auto pr = read_peer_result(result_path)) {
            child_result = *pr;
            have_child_result = true;
            if (!pr->error.empty()) run.fail(make_error(ErrorCode::Io, "bench-peer", "peer", pr->error));
        } else if (!run.cancelled) {
            peer_error = make_error(
                ErrorCode::BrokenPipe, "bench-peer",
                options_.peer_executable + " (pid " + std::to_string(child.pid()) + ")",
                "the peer process ended mid-run (" + benchplat::ChildProcess::exit_text(*code) +
                    ") and wrote no result; the results up to then are kept. Next: check why "
                    "it ended (killed, out of memory, crashed), then run again");
        }
        std::remove(result_path.c_str());
    }

    // Summary.
    (void)gather(cur);
    LatencyHistogram measured;
    measured.set_difference(cur, measuring ? base : cur);
    if (measuring && base.count() == 0) measured = cur;
    const Totals e = sum(run.engine_stats);
    Totals p = have_child_result ? child_result.t : sum(run.peer_stats);
    const auto [bytes, msgs] = progress_of(sc, e, p);
    Summary& s = report->summary;
    s.elapsed_s = std::chrono::duration<double>(t_end - measure_start).count();
    const double dt = std::max(1e-9, s.elapsed_s);
    s.throughput_bytes_per_sec = static_cast<double>(bytes - base_bytes) / dt;
    s.messages_per_sec = static_cast<double>(msgs - base_msgs) / dt;
    s.latency = summarize(measured);
    report->latency_bars = latency_bars(measured);
    s.engine = {e.bytes_sent, e.bytes_received, e.msgs_sent, e.msgs_received, e.cpu_s};
    s.peer = {p.bytes_sent, p.bytes_received, p.msgs_sent, p.msgs_received, p.cpu_s};
    if (sc.pattern == BenchPattern::Stream) {
        s.bytes_sent = e.bytes_sent;
        s.bytes_received = p.bytes_received;
        s.integrity = p.integ;
        if (sc.verify) {
            // Messages that never arrived at all, after the last one that did.
            std::uint64_t highest = 0;
            for (const auto& st : run.peer_stats) highest = std::max(highest, st->highest_next.load());
            if (!have_child_result && e.msgs_sent > highest) s.integrity.lost += e.msgs_sent - highest;
        }
    } else {
        s.bytes_sent = e.bytes_sent;
        s.bytes_received = e.bytes_received;
        s.integrity = e.integ;
    }
    s.errors = run.error_count + e.errors + p.errors + (peer_error ? 1 : 0);
    report->placement = placement_text(sc.cpu, pinned_ok && !pin_failed, pin_failed ? "the OS refused" : pin_why);
    attach_baseline_ratios(*report);  // Scenario::baseline

    BenchState state = BenchState::Finished;
    if (run.cancelled) {
        state = BenchState::Cancelled;
        report->error = "cancelled";
    } else if (peer_error) {
        // The peer's death comes first: what the engine's side saw follows from it.
        state = BenchState::Failed;
        report->error = peer_error->to_string();
        if (!run.first_error.empty()) report->error += "; the engine's side saw: " + run.first_error;
    } else if (!run.first_error.empty()) {
        state = BenchState::Failed;
        report->error = run.first_error;
    } else if (sc.verify && s.integrity.failed()) {
        state = BenchState::Failed;
        report->error = "integrity check failed: " + std::to_string(s.integrity.lost) + " lost, " +
                        std::to_string(s.integrity.duplicated) + " duplicated, " +
                        std::to_string(s.integrity.reordered) + " reordered, " +
                        std::to_string(s.integrity.corrupted) + " corrupted";
    } else if (s.latency.count == 0) {
        state = BenchState::Failed;
        report->error = "no message completed. Next: check that the peer could connect (see "
                        "the log) or run for longer";
    } else if (s.errors) {
        state = BenchState::Failed;
        report->error = std::to_string(s.errors) +
                        " I/O errors on the peer's side. Next: see the log for what failed";
    }
    report->ok = state == BenchState::Finished;
    if (!report->ok) log::bench()->warn("bench run: {}", report->error);
    finish(state, std::move(intervals), s.latency);
}

// ---- Child-process peer --------------------------------------------------------------------

int run_bench_peer(BenchTransport& transport, const std::string& endpoint_json,
                   const std::string& scenario_json, const std::string& result_path, int cpu) {
    json out;
    auto write_result = [&](int code) {
        std::ofstream f(result_path, std::ios::binary | std::ios::trunc);
        f << out.dump();
        return f ? code : 3;
    };
    auto ep = endpoint_from_json(endpoint_json);
    auto sc = scenario_from_json(scenario_json);
    if (!ep || !sc) {
        out["error"] = !ep ? ep.error().to_string() : sc.error().to_string();
        return write_result(2);
    }
    if (cpu >= 0) (void)benchplat::pin_current_thread(cpu);
    const Timeout to{5000};
    const int n = sc->pattern == BenchPattern::ReqRep ? sc->clients : 1;
    std::vector<std::unique_ptr<BenchSideStats>> stats;
    for (int i = 0; i < n; ++i) stats.push_back(std::make_unique<BenchSideStats>());
    std::mutex err_mutex;
    std::string first_error;
    {
        std::vector<std::jthread> threads;
        for (int i = 0; i < n; ++i) {
            threads.emplace_back([&, i](std::stop_token stop) {
                if (cpu >= 0) (void)benchplat::pin_current_thread(cpu);
                auto& st = *stats[static_cast<std::size_t>(i)];
                if (sc->pattern == BenchPattern::Churn) {
                    respond_churn(transport, *ep, *sc, st, to, stop);
                    return;
                }
                auto c = transport.connect(*ep, to, stop);
                if (!c) {
                    std::lock_guard lock(err_mutex);
                    if (first_error.empty()) first_error = c.error().to_string();
                    return;
                }
                respond(*sc, **c, st, to);
            });
        }
        // Join explicitly: a jthread's destructor would request a stop first.
        for (auto& t : threads) t.join();
    }
    const Totals t = sum(stats);
    out["bytes_sent"] = t.bytes_sent;
    out["bytes_received"] = t.bytes_received;
    out["messages_sent"] = t.msgs_sent;
    out["messages_received"] = t.msgs_received;
    out["errors"] = t.errors;
    out["cpu_s"] = benchplat::process_cpu_seconds();
    out["checked"] = t.integ.checked;
    out["lost"] = t.integ.lost;
    out["duplicated"] = t.integ.duplicated;
    out["reordered"] = t.integ.reordered;
    out["corrupted"] = t.integ.corrupted;
    out["error"] = first_error;
    return write_result(first_error.empty() ? 0 : 1);
}

std::string hex_encode(std::string_view s) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out;
    out.reserve(s.size() * 2);
    for (unsigned char c : s) {
        out.push_back(kDigits[c >> 4]);
        out.push_back(kDigits[c & 15]);
    }
    return out;
}

std::optional<std::string> hex_decode(std::string_view s) {
    if (s.size() % 2) return std::nullopt;
    auto val = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    };
    std::string out;
    for (std::size_t i = 0; i < s.size(); i += 2) {
        const int hi = val(s[i]), lo = val(s[i + 1]);
        if (hi < 0 || lo < 0) return std::nullopt;
        out.push_back(static_cast<char>(hi * 16 + lo));
    }
    return out;
}

}  // namespace pipescope::core
