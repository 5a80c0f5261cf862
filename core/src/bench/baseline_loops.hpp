// The raw baseline's loops, written once over an "End" (one side's OS handles), instantiated
// by baseline_posix.cpp / baseline_win32.cpp with their own End types so every call inlines
// to the plain OS call. Internal to core; see pipescope/bench_baseline.hpp for the contract.
//
// An End provides, for the one thread that owns it:
//   Status open();                                  at thread start (FIFO: blocking open)
//   Result<std::size_t> read(std::byte*, size_t);   one OS read; 0 = end of stream
//   Result<std::size_t> write(const std::byte*, size_t);  one OS write
//   void finish();                                  tells the other side no more comes
// and, for the supervising thread, a poke (given to run_loops) that wakes a blocked call.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <thread>
#include <vector>

#include "bench/bench_platform.hpp"
#include "bench/lanes.hpp"
#include "pipescope/bench_baseline.hpp"
#include "pipescope/histogram.hpp"

namespace pipescope::core::baseline {

using Clock = std::chrono::steady_clock;
inline constexpr auto kRelaxed = std::memory_order_relaxed;

// One run's plan and results. The loop threads write their own fields; the supervisor reads
// them after both threads ended (progress, abort and running while they run).
struct Shared {
    bool stream = true;    // else pingpong
    bool message = false;  // one read per message; else byte mode, loop on short reads
    std::size_t size = 1;
    std::uint64_t count = 0;  // measured messages / round trips; 0: until `deadline`
    Clock::time_point t0, warm_end, deadline;
    bool timed = true;                   // by duration (deadline) rather than count
    int engine_cpu = -1, peer_cpu = -1;  // -1: unpinned
    bool child = false;                  // the peer in a child process (POSIX only)

    std::atomic<std::uint64_t> progress{0};  // bytes (stream) or round trips, for the watchdog
    std::atomic<std::uint64_t> sent{0};      // stream: bytes the sender wrote (the watchdog's too)
    // Stream: when the sender made its first write (steady_clock ticks; 0 before), so the
    // measured window starts with the data, not with the threads and the opens, as the
    // engine's starts once its connection is made.
    std::atomic<Clock::rep> first_write{0};
    std::atomic<bool> abort{false};
    std::atomic<int> running{0};
    std::atomic<bool> pin_failed{false};

    // Results.
    Clock::time_point measure_start, measure_end;
    std::uint64_t bytes = 0, messages = 0;
    LatencyHistogram rtt;
    std::optional<Error> engine_error, peer_error;
};

// Reads exactly n bytes (byte mode: loops on short reads) or one message of n bytes.
// Returns false at end of stream, an error, or abort.
template <class End>
bool read_whole(End& e, Shared& sh, std::byte* p, std::size_t n, std::optional<Error>& err) {
    std::size_t got = 0;
    while (got < n) {
        auto r = e.read(p + got, n - got);
        if (!r) {
            err = std::move(r).error();
            return false;
        }
        if (*r == 0 || sh.abort.load(kRelaxed)) return false;
        got += *r;
        if (sh.message) break;
    }
    return true;
}

template <class End>
bool write_whole(End& e, std::byte* p, std::size_t n, std::optional<Error>& err) {
    std::size_t put = 0;
    while (put < n) {  // a blocking write is whole; the loop only covers a signal's short write
        auto r = e.write(p + put, n - put);
        if (!r) {
            err = std::move(r).error();
            return false;
        }
        put += *r;
    }
    return true;
}

// Stream, engine side: writes `size`-byte messages until the deadline or the count; returns
// how many it wrote after the warm-up. Its progress (bytes written) is for the watchdog when the
// receiver is a child process.
template <class End>
std::uint64_t stream_send(End& e, Shared& sh) {
    std::vector<std::byte> buf(sh.size, std::byte{0x5a});
    std::uint64_t measured = 0, total = 0;
    sh.first_write.store(Clock::now().time_since_epoch().count(), std::memory_order_release);
    for (;;) {
        if (sh.abort.load(kRelaxed)) break;
        const auto now = Clock::now();
        if (now >= sh.warm_end) {
            if (sh.timed ? now >= sh.deadline : measured == sh.count) break;
            ++measured;
        }
        if (!write_whole(e, buf.data(), sh.size, sh.engine_error)) break;
        sh.sent.store(total += sh.size, kRelaxed);
    }
    e.finish();
    return measured;
}

// Stream, peer side: reads into a `size` buffer until the end of the stream; counts what
// arrived after the warm-up, from its end (or the first write, if later) to the last read.
template <class End>
void stream_receive(End& e, Shared& sh) {
    std::vector<std::byte> buf(sh.size);
    std::uint64_t total = 0, bytes = 0, reads = 0;
    bool warm = sh.warm_end <= sh.t0;
    for (;;) {
        auto r = e.read(buf.data(), buf.size());
        if (!r) {
            sh.peer_error = std::move(r).error();
            break;
        }
        if (*r == 0) break;
        total += *r;
        sh.progress.store(total, kRelaxed);
        if (!warm && Clock::now() >= sh.warm_end) warm = true;  // a clock read only in warm-up
        if (warm) {
            bytes += *r;
            ++reads;
        }
        if (sh.abort.load(kRelaxed)) break;
    }
    sh.measure_end = Clock::now();
    const Clock::time_point first{Clock::duration(sh.first_write.load(std::memory_order_acquire))};
    sh.measure_start = std::max(sh.warm_end, first);
    sh.bytes = bytes;
    sh.messages = sh.message ? reads : bytes / sh.size;
    e.finish();
}

// Pingpong, engine side: one message out, the whole message back, timed; until the deadline
// or the count.
template <class End>
void pingpong_time(End& e, Shared& sh) {
    std::vector<std::byte> buf(sh.size, std::byte{0x5a});
    std::uint64_t measured = 0, total = 0;
    sh.measure_start = sh.warm_end;
    for (;;) {
        if (sh.abort.load(kRelaxed)) break;
        const auto t1 = Clock::now();
        const bool warm = t1 >= sh.warm_end;
        if (warm && (sh.timed ? t1 >= sh.deadline : measured == sh.count)) break;
        if (!write_whole(e, buf.data(), sh.size, sh.engine_error)) break;
        if (!read_whole(e, sh, buf.data(), sh.size, sh.engine_error)) break;
        const auto t2 = Clock::now();
        if (warm) {
            sh.rtt.record(static_cast<std::uint64_t>(
                std::chrono::duration_cast<std::chrono::nanoseconds>(t2 - t1).count()));
            ++measured;
            sh.measure_end = t2;
        }
        sh.progress.store(++total, kRelaxed);
    }
    sh.messages = measured;
    sh.bytes = measured * sh.size;
    e.finish();
}

// Pingpong, peer side: echoes each whole message until the end of the stream.
template <class End>
void pingpong_echo(End& e, Shared& sh) {
    std::vector<std::byte> buf(sh.size);
    std::optional<Error> end_err;
    for (;;) {
        if (!read_whole(e, sh, buf.data(), sh.size, end_err)) break;
        if (!write_whole(e, buf.data(), sh.size, sh.peer_error)) break;
    }
    if (end_err) sh.peer_error = std::move(end_err);
    e.finish();
}

// Supervises the two loop threads until both ended (baseline.cpp): the watchdog of the
// header's contract. `poke` wakes blocked calls; it is called repeatedly once the run is
// aborted. Returns Timeout / Cancelled when it had to abort the run.
Status supervise(Shared& sh, const BaselineOptions& o, const std::function<void()>& poke);

// Runs the pattern on two threads, pinned per sh.engine_cpu / sh.peer_cpu, and supervises
// them from the calling thread. Sets sh.t0, warm_end and deadline from the given durations.
template <class End>
Status run_loops(Shared& sh, End& engine, End& peer, Clock::duration warmup,
                 Clock::duration duration, const BaselineOptions& o,
                 const std::function<void()>& poke) {
    sh.t0 = Clock::now();
    sh.warm_end = sh.t0 + warmup;
    sh.deadline = sh.warm_end + duration;
    sh.running = 2;
    auto side = [&sh](End& e, int cpu, bool is_engine) {
        if (cpu >= 0 && !benchplat::pin_current_thread(cpu)) sh.pin_failed = true;
        if (auto st = e.open(); !st) {
            (is_engine ? sh.engine_error : sh.peer_error) = std::move(st).error();
            sh.abort = true;  // the other side would wait for ever for this one
        } else if (sh.stream) {
            if (is_engine)
                (void)stream_send(e, sh);  // the receiver counts what arrived
            else
                stream_receive(e, sh);
        } else {
            is_engine ? pingpong_time(e, sh) : pingpong_echo(e, sh);
        }
        sh.running.fetch_sub(1);
    };
    // On the lanes the engine's run uses too (lanes.hpp): the same two OS threads for both.
    bench::LaneThread peer_thread(bench::LaneSide::Peer, 0,
                                  [&](std::stop_token) { side(peer, sh.peer_cpu, false); });
    bench::LaneThread engine_thread(bench::LaneSide::Engine, 0,
                                    [&](std::stop_token) { side(engine, sh.engine_cpu, true); });
    Status st = supervise(sh, o, poke);
    engine_thread.join();
    peer_thread.join();
    return st;
}

}  // namespace pipescope::core::baseline

namespace pipescope::core::baseline {

// The OS part (baseline_posix.cpp / baseline_win32.cpp): makes the connected ends for
// `kind`, fills sh.message, and calls run_loops. `subject` names the pipe or socket in errors.
Status run_os(const Scenario& s, TransportKind kind, Shared& sh, Clock::duration warmup,
              Clock::duration duration, const BaselineOptions& o);

}  // namespace pipescope::core::baseline
