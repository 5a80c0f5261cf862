// Faults in the middle of real benchmark runs: the child-process peer killed (kill -9 /
// TerminateProcess), the in-process peer's end vanishing, a churn peer that stops connecting.
// Each run must end within its bound with an error that says what happened, and keep what was
// measured up to then: samples, percentiles, intervals and throughput, in the result and in the
// report saved to disk.
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <thread>

#include <gtest/gtest.h>

#include "support/child_process.hpp"

#include "pipescope/bench.hpp"
#include "pipescope/files.hpp"
#include "pipescope/platform.hpp"
#include "support/test_names.hpp"

#ifdef _WIN32
#include <windows.h>
#else
#include <signal.h>
#include <unistd.h>
#endif

using namespace pipescope::core;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

std::string cli_path() {
    return pipescope::test::built_program(PIPESCOPE_CLI_PATH);
}

// Kills a process the hard way: SIGKILL, or TerminateProcess with exit code 9.
bool kill_hard(std::uint32_t pid) {
#ifdef _WIN32
    HANDLE h = ::OpenProcess(PROCESS_TERMINATE, FALSE, pid);
    if (!h) return false;
    const bool ok = ::TerminateProcess(h, 9) != 0;
    ::CloseHandle(h);
    return ok;
#else
    return ::kill(static_cast<pid_t>(pid), SIGKILL) == 0;
#endif
}

// Waits (bounded) until the running engine has measured something worth keeping.
std::shared_ptr<const BenchSnapshot> wait_for_samples(BenchEngine& engine, bool need_pid,
                                                      std::uint64_t min_samples) {
    const auto until = Clock::now() + 30s;
    for (;;) {
        auto s = engine.snapshot();
        if (s->state != BenchState::Running) return s;
        if ((!need_pid || s->peer_pid) && s->latency.count >= min_samples &&
            s->intervals.size() >= 2)
            return s;
        if (Clock::now() > until) return s;
        std::this_thread::sleep_for(5ms);
    }
}

// What a failed run must still hold, in the result and in the report saved to disk.
void expect_partial_results_kept(const BenchReport& r, const Scenario& s) {
    EXPECT_FALSE(r.ok);
    EXPECT_FALSE(r.error.empty());
    const Summary& m = r.summary;
    ASSERT_GT(m.latency.count, 0u) << "the samples measured before the fault were lost";
    EXPECT_LE(m.latency.min, m.latency.p50);
    EXPECT_LE(m.latency.p50, m.latency.p99);
    EXPECT_LE(m.latency.p99, m.latency.max);
    EXPECT_GT(m.latency.max, 0u);
    EXPECT_FALSE(r.latency_bars.empty());
    std::uint64_t in_bars = 0;
    for (const auto& b : r.latency_bars) in_bars += b.count;
    EXPECT_EQ(in_bars, m.latency.count);
    ASSERT_FALSE(r.intervals.empty());
    for (std::size_t i = 1; i < r.intervals.size(); ++i) {
        EXPECT_GE(r.intervals[i].start_s, r.intervals[i - 1].end_s - 1e-9);
    }
    EXPECT_GT(m.elapsed_s, 0.0);
    EXPECT_LT(m.elapsed_s, s.duration_s) << "the run did not end at the fault";
    EXPECT_GT(m.messages_per_sec, 0.0);
    EXPECT_GE(m.errors, 1u);
    const std::uint64_t size = s.message_size;
    switch (s.pattern) {
        case BenchPattern::Stream:  // one sample per completed write
            EXPECT_EQ(m.bytes_sent, m.latency.count * size);
            EXPECT_GT(m.throughput_bytes_per_sec, 0.0);
            break;
        case BenchPattern::PingPong:
        case BenchPattern::ReqRep:  // one sample per completed reply
            EXPECT_EQ(m.bytes_received, m.latency.count * size);
            EXPECT_GE(m.bytes_sent, m.bytes_received);
            EXPECT_GT(m.throughput_bytes_per_sec, 0.0);
            break;
        case BenchPattern::Churn:  // one sample per completed connection
            EXPECT_EQ(m.engine.messages_received, m.latency.count);
            break;
        case BenchPattern::Rate:
            break;
    }

    // Saved and read back: the same partial results and the same error.
    const auto path =
        std::filesystem::temp_directory_path() /
        ("pipescope-fault-report-" + std::to_string(PIPESCOPE_TEST_GETPID()) + ".json");
    ASSERT_TRUE(write_file_atomic(path, report_to_json(r)).ok());
    auto text = read_file(path);
    std::filesystem::remove(path);
    ASSERT_TRUE(text.ok()) << text.error().to_string();
    auto back = report_from_json(*text);
    ASSERT_TRUE(back.ok()) << back.error().to_string();
    EXPECT_FALSE(back->ok);
    EXPECT_EQ(back->error, r.error);
    EXPECT_EQ(back->summary.latency.count, m.latency.count);
    EXPECT_EQ(back->summary.latency.p50, m.latency.p50);
    EXPECT_EQ(back->summary.latency.p99, m.latency.p99);
    EXPECT_EQ(back->summary.bytes_sent, m.bytes_sent);
    EXPECT_EQ(back->summary.bytes_received, m.bytes_received);
    EXPECT_EQ(back->intervals.size(), r.intervals.size());
}

// The engine's side of a vanished peer starts with the I/O call that failed and says either
// what the OS said (EPIPE, ECONNRESET, ERROR_NO_DATA, ... by name and number) or, for a clean
// end of stream, that the peer is gone.
bool names_io_failure(const std::string& error) {
    bool api = false;
    for (const char* call : {"read ", "recv ", "recvmsg ", "send ", "write ", "ReadFile ",
                             "WriteFile ", "PeekNamedPipe "}) {
        if (error.rfind(call, 0) == 0) api = true;
    }
    const bool os_code = error.find("EPIPE (") != std::string::npos ||
                         error.find("ECONNRESET (") != std::string::npos ||
                         error.find("ERROR_NO_DATA (") != std::string::npos ||
                         error.find("ERROR_BROKEN_PIPE (") != std::string::npos ||
                         error.find("ERROR_PIPE_NOT_CONNECTED (") != std::string::npos;
    const bool gone = error.find("the peer is gone") != std::string::npos;
    return api && (os_code || gone) && error.find("Next: ") != std::string::npos;
}

Scenario long_run(TransportKind k, BenchPattern p) {
    Scenario s;
    s.transport = k;
    s.pattern = p;
    s.message_size = 1024;
    s.duration_s = 60;  // far longer than the test: only the fault may end it
    s.interval_s = 0.05;
    return s;
}

struct FaultCase {
    TransportKind kind;
    BenchPattern pattern;
};

// Churn only where a killed process is the fault: an in-process churn peer connects anew each
// time, so its vanishing is BenchChurnPeerGone.
std::vector<FaultCase> fault_cases(bool with_churn) {
    std::vector<FaultCase> out;
    for (auto k : available_transports()) {
        for (auto p : {BenchPattern::Stream, BenchPattern::PingPong, BenchPattern::Churn}) {
            if (p != BenchPattern::Churn || with_churn) out.push_back({k, p});
        }
    }
    return out;
}

std::string fault_name(const ::testing::TestParamInfo<FaultCase>& i) {
    return std::string(to_string(i.param.kind)) + "_" + std::string(to_string(i.param.pattern));
}

// ---- A peer whose end vanishes: the real OS transport, with the peer's channel closed ------

// The peer's channel: after `reads` reads it closes the real handle (what the OS does when a
// process dies) and tells its responder the stream ended, so the responder returns.
class VanishingChannel final : public Channel {
  public:
    VanishingChannel(std::unique_ptr<Channel> inner, int reads)
        : inner_(std::move(inner)), reads_left_(reads) {}
    Result<std::size_t> write(std::span<const std::byte> d, Timeout t) override {
        return inner_->write(d, t);
    }
    Result<ReadResult> read(std::span<std::byte> buf, Timeout t) override {
        if (reads_left_-- <= 0) {
            inner_->close();
            ReadResult r;
            r.eof = true;
            return r;
        }
        return inner_->read(buf, t);
    }
    Status close_write() override { return inner_->close_write(); }
    void cancel() override { inner_->cancel(); }
    void close() override { inner_->close(); }
    [[nodiscard]] bool message_oriented() const override { return inner_->message_oriented(); }
    [[nodiscard]] PeerInfo peer() const override { return inner_->peer(); }
    [[nodiscard]] std::string describe() const override { return inner_->describe(); }
    [[nodiscard]] std::size_t max_message_bytes() const override {
        return inner_->max_message_bytes();
    }

  private:
    std::unique_ptr<Channel> inner_;
    int reads_left_;
};

// The OS transports; the peer's connections vanish after `reads` reads, and after `connects`
// connections the peer finds the name gone (a churn peer then stops).
class VanishingTransport final : public BenchTransport {
  public:
    VanishingTransport(int reads, int connects) : reads_(reads), connects_left_(connects) {}
    Result<std::unique_ptr<Listener>> listen(const Endpoint& ep) override {
        return os_transport().listen(ep);
    }
    Result<std::unique_ptr<Channel>> connect(const Endpoint& ep, Timeout t,
                                             std::stop_token stop) override {
        if (connects_left_-- <= 0) {
            return make_error(ErrorCode::NotFound, "connect", ep.name.display(),
                              "the server vanished. Next: none (test)");
        }
        auto c = os_transport().connect(ep, t, std::move(stop));
        if (!c) return c;
        std::unique_ptr<Channel> v =
            std::make_unique<VanishingChannel>(std::move(c).value(), reads_);
        return v;
    }

  private:
    int reads_;
    std::atomic<int> connects_left_;
};

}  // namespace

class BenchPeerKilled : public ::testing::TestWithParam<FaultCase> {};

TEST_P(BenchPeerKilled, RunEndsNamingThePeerAndKeepsWhatItMeasured) {
    BenchOptions o;
    o.peer_executable = cli_path();
    o.io_timeout = 3000ms;
    BenchEngine engine(os_transport(), o);
    Scenario s = long_run(GetParam().kind, GetParam().pattern);
    s.process = true;
    if (s.pattern == BenchPattern::Churn) s.message_size = 64;
    ASSERT_TRUE(engine.start(s).ok());
    auto snap = wait_for_samples(engine, true, 20);
    ASSERT_EQ(snap->state, BenchState::Running) << (snap->report ? snap->report->error : "");
    ASSERT_TRUE(snap->peer_pid.has_value());
    ASSERT_GE(snap->latency.count, 20u) << "the peer never got going";
    const std::uint32_t pid = *snap->peer_pid;
    const auto killed_at = Clock::now();
    ASSERT_TRUE(kill_hard(pid));
    const BenchReport r = engine.wait();
    const auto took = Clock::now() - killed_at;
    // Bound: the I/O timeout, twice over, plus slack for a loaded machine; never the 60 s run.
    EXPECT_LT(took, 10s);
    EXPECT_EQ(engine.snapshot()->state, BenchState::Failed);
    SCOPED_TRACE(r.error);
    EXPECT_EQ(r.error.rfind("bench-peer ", 0), 0u) << "the peer's death should lead";
    EXPECT_NE(r.error.find("(pid " + std::to_string(pid) + ")"), std::string::npos);
    EXPECT_NE(r.error.find("ended mid-run"), std::string::npos);
#ifdef _WIN32
    EXPECT_NE(r.error.find("exit code 9"), std::string::npos);
#else
    EXPECT_NE(r.error.find("killed by signal 9 (SIGKILL)"), std::string::npos);
#endif
    EXPECT_NE(r.error.find("Next: "), std::string::npos);
    expect_partial_results_kept(r, s);
}

INSTANTIATE_TEST_SUITE_P(Available, BenchPeerKilled, ::testing::ValuesIn(fault_cases(true)),
                         fault_name);

class BenchPeerVanishes : public ::testing::TestWithParam<FaultCase> {};

// The in-process peer (the side that serves the replies or sinks the stream) closes its end
// mid-run: the engine's next read or write fails on the real transport, naming the call.
TEST_P(BenchPeerVanishes, RunEndsNamingTheFailedCallAndKeepsWhatItMeasured) {
    VanishingTransport tr(/*reads=*/300, /*connects=*/1000);
    BenchOptions o;
    o.io_timeout = 3000ms;
    BenchEngine engine(tr, o);
    Scenario s = long_run(GetParam().kind, GetParam().pattern);
    const auto t0 = Clock::now();
    const BenchReport r = engine.run(s);
    EXPECT_LT(Clock::now() - t0, 15s);
    SCOPED_TRACE(r.error);
    EXPECT_NE(r.error.find("Next: "), std::string::npos);
    EXPECT_TRUE(names_io_failure(r.error));
    expect_partial_results_kept(r, s);
}

INSTANTIATE_TEST_SUITE_P(Available, BenchPeerVanishes, ::testing::ValuesIn(fault_cases(false)),
                         fault_name);

// Several connections, one of which vanishes: the others' samples are kept too.
TEST(BenchPeerVanishesReqRep, OneOfSeveralConnectionsVanishing) {
    VanishingTransport tr(300, 1000);
    BenchOptions o;
    o.io_timeout = 3000ms;
    BenchEngine engine(tr, o);
    Scenario s = long_run(available_transports().front(), BenchPattern::ReqRep);
    s.clients = 3;
    s.inflight = 2;
    const auto t0 = Clock::now();
    const BenchReport r = engine.run(s);
    EXPECT_LT(Clock::now() - t0, 15s);
    SCOPED_TRACE(r.error);
    EXPECT_TRUE(names_io_failure(r.error));
    expect_partial_results_kept(r, s);
}

// A churn run counted in connections, whose peer stops connecting: it used to wait for ever
// for connections that never come; it now ends after the I/O timeout, saying so.
TEST(BenchChurnPeerGone, CountedChurnEndsWhenThePeerStopsConnecting) {
    VanishingTransport tr(1000, /*connects=*/50);
    BenchOptions o;
    o.io_timeout = 1000ms;
    BenchEngine engine(tr, o);
    Scenario s = long_run(available_transports().front(), BenchPattern::Churn);
    s.message_size = 64;
    s.message_count = 1'000'000;  // never reached
    s.interval_s = 0.02;
    const auto t0 = Clock::now();
    const BenchReport r = engine.run(s);
    EXPECT_LT(Clock::now() - t0, 15s);
    SCOPED_TRACE(r.error);
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.error.rfind("accept ", 0), 0u);
    EXPECT_NE(r.error.find("no peer connected for 1000 ms"), std::string::npos);
    EXPECT_NE(r.error.find("Next: "), std::string::npos);
    EXPECT_EQ(r.summary.latency.count, 50u);
    EXPECT_EQ(r.summary.engine.messages_received, 50u);
}
