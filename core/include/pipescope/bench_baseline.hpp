// Raw baselines: the plainest loops of OS calls a person would write for the stream and
// pingpong patterns, so a benchmark can say what PipeScope's own layers cost.
//
// Never through Channel/Listener: the loops call the OS directly.
//   UnixStream     socketpair(AF_UNIX, SOCK_STREAM), recv/send
//   UnixSeqpacket  socketpair(AF_UNIX, SOCK_SEQPACKET), recv/send (2 MiB buffers asked, as
//                  the transport does, so the same messages fit)
//   Fifo           two FIFOs (mkfifo), plain blocking open/read/write
//   Tcp            127.0.0.1, socket/bind/listen/connect/accept, TCP_NODELAY, recv/send
//   Win32Pipe      CreateNamedPipeW + CreateFileW, byte or message type (PIPE_TYPE_MESSAGE |
//                  PIPE_READMODE_MESSAGE); Sync: blocking ReadFile/WriteFile; Overlapped:
//                  FILE_FLAG_OVERLAPPED, ReadFile/WriteFile + GetOverlappedResult(wait),
//                  one event per direction. Iocp has no raw loop (Unsupported).
// Each loop makes one read call per read (byte mode loops only on a short read until the
// message is whole) and one write call per write: no poll, no peek, no timeout per call.
//
// The engine's side (writer in stream, timer in pingpong) and the peer (reader / echo) each
// run on a thread of their own, pinned as the engine pins for Scenario::cpu (engine cpu 0;
// peer cpu 0, or 1 for DifferentCores); when pinning fails (Wine may refuse) they run
// unpinned and `placement` says so. The calling thread only supervises: it is a watchdog that
// wakes the loops' blocked calls (shutdown on sockets, a write/drain on FIFOs,
// CancelSynchronousIo / CancelIoEx on Win32) when the run stalls for `stall_timeout`, runs
// past its duration by `stall_timeout`, or `cancel` becomes true; so a run always ends.
//
// Throughput: bytes received by the reading side from the end of warm-up to its last read.
// Pingpong: every round trip after warm-up, timed with steady_clock around one write and one
// whole read, recorded in a LatencyHistogram.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "pipescope/bench.hpp"
#include "pipescope/result.hpp"
#include "pipescope/transport.hpp"

namespace pipescope::core {

struct BaselineOptions {
    // The watchdog's bound: no progress for this long (or this long past the duration) ends
    // the run with ErrorCode::Timeout.
    Timeout stall_timeout{5000};
    // Name stem of the FIFOs / Win32 pipe; the pid and a counter are appended.
    std::string name_prefix = "pipescope-baseline";
    // Set by another thread to end the run early with ErrorCode::Cancelled; may be null.
    const std::atomic<bool>* cancel = nullptr;
};

// Whether a raw loop exists for this scenario on this platform: pattern stream or pingpong,
// an available transport, a Win32 model other than Iocp. The error says why not. Any thread.
[[nodiscard]] Status baseline_supported(const Scenario& s);

// Runs the raw loop for `s` (transport, io, type, message_size, in/out quota, duration_s or
// message_count, warmup_s, cpu; process: the peer in a forked child, POSIX only) and returns its
// figures with the ratios left 0. Blocks the calling thread for the run; any thread. Errors name
// the OS call and code.
[[nodiscard]] Result<BaselineSummary> run_baseline(const Scenario& s,
                                                   const BaselineOptions& options = {});

// What the engine hook stores: run_baseline's result, or a summary with ok = false and the
// error's text (including "reqrep has no baseline ..." for the other patterns).
[[nodiscard]] BaselineSummary baseline_for_report(const Scenario& s,
                                                  const BaselineOptions& options = {});

// The raw loop around an engine run: half of it (half the duration, or of the count) before
// the engine's run and half after, added up into one figure. A machine that drifts during the
// run (a VM's neighbours, frequency, another program) moves both halves, so the ratio compares
// the engine with the raw loop as it ran around it, not only before it. The engine's run
// controller uses it for Scenario::baseline. One thread at a time.
class BaselineBracket {
  public:
    BaselineBracket(const Scenario& s, BaselineOptions options);
    ~BaselineBracket();
    BaselineBracket(const BaselineBracket&) = delete;
    BaselineBracket& operator=(const BaselineBracket&) = delete;
    void before();  // blocks for the first half
    void after();   // blocks for the second half (nothing after a failed first half)
    // Both halves together; ok = false with the first error's text otherwise.
    [[nodiscard]] BaselineSummary result() const;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// How far apart two raw runs of one scenario are: |a - b| / min(a, b) of their p50 when both
// timed round trips, else of their throughput; 0 when either has no figure. BaselineBracket
// reports it for its two halves as BaselineSummary::halves_apart. Any thread.
[[nodiscard]] double baseline_halves_apart(const BaselineSummary& a, const BaselineSummary& b);

// Fills baseline->throughput_ratio and p50_ratio (engine / raw) from r.summary; no-op
// without a baseline. Any thread.
void attach_baseline_ratios(BenchReport& r);

// One line for a text summary, e.g.
//   "engine overhead: +1.8% throughput, +0.9% p50 (engine/raw: 0.982x throughput, 1.009x p50)"
// A positive overhead is the engine's cost: throughput lost ((1 - ratio) * 100) and p50
// added ((ratio - 1) * 100); negative means the engine measured faster than the raw loop.
// Stream shows throughput only, pingpong both. Without a figure: "baseline: none (why)".
// Empty when the report has no baseline. Any thread.
[[nodiscard]] std::string baseline_overhead_text(const BenchReport& r);

}  // namespace pipescope::core
