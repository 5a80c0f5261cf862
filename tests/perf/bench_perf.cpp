// bench_perf: what the benchmark engine costs on top of the transport. For each transport it
// measures, in the same run and with both ends pinned to the same CPU, the engine and a
// hand-written loop over the same Channel API, configuration and buffer sizes:
//   stream   64 KiB writes, bytes/s at the receiver     goal: engine / raw >= 0.97
//   pingpong 1 B, p50 round trip                        goal: engine / raw <= 1.05
// plus the recorder's cost per sample (LatencyHistogram::record) in ns.
// Rounds alternate raw and engine; each side's best round is compared (on a shared VM the
// best is the least disturbed), and every round is printed.
//   bench_perf [--stream-mib N] [--pings N] [--rounds R] [--cpu C]
// Not a test: it asserts nothing about speed. Run it pinned (`taskset -c 0`, see WINE.md).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <future>
#include <string>
#include <thread>
#include <vector>

#ifdef _WIN32
#include <windows.h>
#else
#include <sched.h>
#include <unistd.h>
#endif

#include "pipescope/bench.hpp"
#include "pipescope/histogram.hpp"
#include "pipescope/transport.hpp"

using namespace pipescope::core;
using Clock = std::chrono::steady_clock;

namespace {

struct Options {
    std::uint64_t stream_bytes = 1024ull << 20;
    std::uint64_t pings = 20000;
    int rounds = 3;
    int cpu = 0;
};

bool pin(int cpu) {
#ifdef _WIN32
    return SetThreadAffinityMask(GetCurrentThread(), DWORD_PTR{1} << cpu) != 0;
#else
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return sched_setaffinity(0, sizeof set, &set) == 0;
#endif
}

int pid() {
#ifdef _WIN32
    return static_cast<int>(GetCurrentProcessId());
#else
    return static_cast<int>(getpid());
#endif
}

// Win32: overlapped I/O. A Sync byte-mode read with a timeout polls PeekNamedPipe with a
// backoff of up to 5 ms (see transport.hpp), which would put milliseconds into every round
// trip of both loops and hide what the engine costs.
IoModel io_for(TransportKind kind) {
    return kind == TransportKind::Win32Pipe ? IoModel::Overlapped : IoModel::Sync;
}

Endpoint endpoint_for(TransportKind kind) {
    static int counter = 0;
    Endpoint ep;
    ep.kind = kind;
    ep.io = io_for(kind);
    ep.name = PipeName::parse("pipescope-perf-" + std::to_string(pid()) + "-" +
                              std::to_string(counter++))
                  .value();
    return ep;
}

struct Pair {
    std::unique_ptr<Listener> listener;
    std::unique_ptr<Channel> server, client;
};

// A connected pair; the client connects from a thread pinned like the engine's peer.
bool connect_pair(TransportKind kind, Pair& p) {
    auto l = listen(endpoint_for(kind));
    if (!l) {
        std::fprintf(stderr, "listen: %s\n", l.error().to_string().c_str());
        return false;
    }
    p.listener = std::move(l).value();
    auto c = std::async(std::launch::async,
                        [&] { return connect(p.listener->client_endpoint(), Timeout{5000}); });
    auto s = p.listener->accept(Timeout{5000});
    auto cc = c.get();
    if (!s || !cc) {
        std::fprintf(stderr, "connect: %s\n",
                     (!s ? s.error() : cc.error()).to_string().c_str());
        return false;
    }
    p.server = std::move(s).value();
    p.client = std::move(cc).value();
    return true;
}

// The raw loop for stream: the server writes 64 KiB chunks, the client reads them into a
// 64 KiB buffer (what the engine's sink does); bytes/s from first write to last byte read.
double raw_stream(TransportKind kind, const Options& o) {
    Pair p;
    if (!connect_pair(kind, p)) return 0;
    constexpr std::size_t kChunk = 64 * 1024;
    const std::uint64_t total = o.stream_bytes / kChunk * kChunk;
    std::atomic<bool> failed{false};
    std::thread reader([&] {
        pin(o.cpu);
        std::vector<std::byte> buf(kChunk);
        std::uint64_t got = 0;
        while (got < total) {
            auto r = p.client->read(buf, Timeout{5000});
            if (!r || r->eof) {
                failed = true;
                return;
            }
            got += r->bytes;
        }
    });
    pin(o.cpu);
    std::vector<std::byte> chunk(kChunk, std::byte{0x5a});
    const auto t0 = Clock::now();
    for (std::uint64_t sent = 0; sent < total; sent += kChunk) {
        if (!p.server->write_all(chunk, Timeout{5000})) {
            failed = true;
            break;
        }
    }
    reader.join();
    const double s = std::chrono::duration<double>(Clock::now() - t0).count();
    return failed ? 0 : static_cast<double>(total) / s;
}

// The raw loop for pingpong: 1 byte out, 1 byte back, each round trip timed with
// steady_clock; the exact p50 of the sorted samples.
double raw_pingpong_p50(TransportKind kind, const Options& o) {
    Pair p;
    if (!connect_pair(kind, p)) return 0;
    std::thread echo([&] {
        pin(o.cpu);
        std::vector<std::byte> buf(64 * 1024);
        for (;;) {
            auto r = p.client->read(buf, Timeout{5000});
            if (!r || r->eof || r->bytes == 0) return;
            if (!p.client->write_all(std::span(buf).first(r->bytes), Timeout{5000})) return;
        }
    });
    pin(o.cpu);
    std::vector<std::uint64_t> rtt;
    rtt.reserve(o.pings);
    std::byte b[1] = {std::byte{1}};
    for (std::uint64_t i = 0; i < o.pings; ++i) {
        const auto t0 = Clock::now();
        if (!p.server->write_all(b, Timeout{5000})) break;
        auto r = p.server->read(b, Timeout{5000});
        if (!r || r->eof) break;
        rtt.push_back(static_cast<std::uint64_t>(
            std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - t0).count()));
    }
    (void)p.server->close_write();
    p.server->close();
    echo.join();
    if (rtt.size() != o.pings) return 0;
    std::sort(rtt.begin(), rtt.end());
    return static_cast<double>(rtt[(rtt.size() - 1) / 2]);  // nearest rank, like the engine
}

Scenario engine_scenario(TransportKind kind, BenchPattern pattern) {
    Scenario s;
    s.transport = kind;
    s.io = io_for(kind);
    s.type = PipeType::Byte;
    s.pattern = pattern;
    s.cpu = CpuPlacement::SameCore;
    s.payload = PayloadPattern::Zeros;
    s.verify = false;
    return s;
}

double engine_stream(TransportKind kind, const Options& o) {
    auto s = engine_scenario(kind, BenchPattern::Stream);
    s.message_size = 64 * 1024;
    s.message_count = o.stream_bytes / s.message_size;
    BenchEngine engine(os_transport(), BenchOptions{});
    const auto r = engine.run(s);
    if (!r.ok) {
        std::fprintf(stderr, "engine stream: %s\n", r.error.c_str());
        return 0;
    }
    return r.summary.throughput_bytes_per_sec;
}

double engine_pingpong_p50(TransportKind kind, const Options& o) {
    auto s = engine_scenario(kind, BenchPattern::PingPong);
    s.message_size = 1;
    s.message_count = o.pings;
    BenchEngine engine(os_transport(), BenchOptions{});
    const auto r = engine.run(s);
    if (!r.ok) {
        std::fprintf(stderr, "engine pingpong: %s\n", r.error.c_str());
        return 0;
    }
    return static_cast<double>(r.summary.latency.p50);
}

double record_cost_ns() {
    LatencyHistogram h;
    constexpr int kN = 20'000'000;
    std::uint64_t x = 88172645463325252ULL;
    std::vector<std::uint64_t> values(4096);
    for (auto& v : values) {  // latencies from 100 ns to ~1 ms, as a real run gives
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        v = 100 + x % 1'000'000;
    }
    const auto t0 = Clock::now();
    for (int i = 0; i < kN; ++i) h.record(values[static_cast<std::size_t>(i) & 4095]);
    const double ns = std::chrono::duration<double, std::nano>(Clock::now() - t0).count();
    if (h.count() != static_cast<std::uint64_t>(kN)) return -1;  // keeps the loop honest
    return ns / kN;
}

const char* name_of(TransportKind k) {
    switch (k) {
    case TransportKind::Win32Pipe: return "win32 pipe (byte, ovl)";
    case TransportKind::UnixStream: return "AF_UNIX stream";
    case TransportKind::Fifo: return "FIFO";
    default: return "?";
    }
}

}  // namespace

int main(int argc, char** argv) {
    Options o;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string a = argv[i];
        const char* v = argv[i + 1];
        if (a == "--stream-mib") o.stream_bytes = std::strtoull(v, nullptr, 10) << 20;
        else if (a == "--pings") o.pings = std::strtoull(v, nullptr, 10);
        else if (a == "--rounds") o.rounds = std::atoi(v);
        else if (a == "--cpu") o.cpu = std::atoi(v);
        else {
            std::fprintf(stderr,
                         "usage: bench_perf [--stream-mib N] [--pings N] [--rounds R] [--cpu C]\n");
            return 2;
        }
    }
    if (o.stream_bytes < (64u << 10) || o.pings < 1 || o.rounds < 1) return 2;
    // The engine pins its threads to CPU 0 (CpuPlacement::SameCore); the raw loops follow.
    o.cpu = 0;
    const bool pinned = pin(o.cpu);
    std::printf("bench_perf: stream %llu MiB, pingpong %llu round trips, %d rounds, %s\n",
                static_cast<unsigned long long>(o.stream_bytes >> 20),
                static_cast<unsigned long long>(o.pings), o.rounds,
                pinned ? "both ends pinned to cpu 0" : "UNPINNED (affinity refused)");
    std::printf("recorder: %.2f ns per sample (LatencyHistogram::record)\n", record_cost_ns());

    std::vector<TransportKind> kinds;
    for (auto k : {TransportKind::Win32Pipe, TransportKind::UnixStream, TransportKind::Fifo})
        if (transport_available(k)) kinds.push_back(k);

    int failures = 0;
    for (auto k : kinds) {
        double raw_tp = 0, eng_tp = 0, raw_p50 = 0, eng_p50 = 0;
        for (int round = 0; round < o.rounds; ++round) {
            const double rt = raw_stream(k, o), et = engine_stream(k, o);
            const double rp = raw_pingpong_p50(k, o), ep = engine_pingpong_p50(k, o);
            std::printf("  %-24s round %d: stream raw %8.1f MB/s engine %8.1f MB/s | "
                        "pingpong p50 raw %8.0f ns engine %8.0f ns\n",
                        name_of(k), round + 1, rt / 1e6, et / 1e6, rp, ep);
            raw_tp = std::max(raw_tp, rt);
            eng_tp = std::max(eng_tp, et);
            if (rp > 0) raw_p50 = raw_p50 == 0 ? rp : std::min(raw_p50, rp);
            if (ep > 0) eng_p50 = eng_p50 == 0 ? ep : std::min(eng_p50, ep);
        }
        if (raw_tp <= 0 || eng_tp <= 0 || raw_p50 <= 0 || eng_p50 <= 0) {
            std::printf("%-24s FAILED (see the errors above)\n", name_of(k));
            ++failures;
            continue;
        }
        const double tp_ratio = eng_tp / raw_tp, rt_ratio = eng_p50 / raw_p50;
        std::printf("%-24s stream 64 KiB throughput ratio %.3f (goal >= 0.97) %s | "
                    "pingpong 1 B p50 ratio %.3f (goal <= 1.05) %s\n",
                    name_of(k), tp_ratio, tp_ratio >= 0.97 ? "met" : "MISSED", rt_ratio,
                    rt_ratio <= 1.05 ? "met" : "MISSED");
    }
    return failures ? 1 : 0;
}
