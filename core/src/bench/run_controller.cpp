// One benchmark run, phase by phase (see run()).
#include "bench/run_controller.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <optional>

#include <spdlog/logger.h>

#include "bench/channel_io.hpp"
#include "bench/drivers.hpp"
#include "bench/responders.hpp"
#include "pipescope/bench_baseline.hpp"
#include "pipescope/log.hpp"
#include "pipescope/platform.hpp"

namespace pipescope::core::bench {

namespace {

Clock::duration seconds(double s) {
    return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
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

}  // namespace

RunController::RunController(BenchTransport& transport, BenchRun& run, Publish publish)
    : transport_(transport),
      run_(run),
      sc_(run.sc),
      opt_(run.opt),
      publish_(std::move(publish)),
      report_(std::make_shared<BenchReport>()) {
    report_->scenario = sc_;
    report_->transport = std::string(to_string(resolve_transport(sc_)));
    report_->platform = platform_name();
}

RunController::~RunController() {
    // The listener dies with this object; BenchEngine::cancel must not reach it afterwards.
    std::lock_guard lock(run_.mutex);
    run_.listener = nullptr;
}

void RunController::run() {
    // Scenario::baseline: half the raw loop before the engine's run and half after, never
    // sharing the CPU with it (bench_baseline.hpp, BaselineBracket); its ratios are attached
    // with the summary.
    std::optional<BaselineBracket> raw;
    if (sc_.baseline) {
        if (auto st = baseline_supported(sc_); !st) {
            report_->baseline = baseline_for_report(sc_);  // says why there is none
        } else {
            raw.emplace(
                sc_, BaselineOptions{opt_.io_timeout, opt_.name_prefix + "-raw", &run_.cancelled});
            raw->before();
        }
    }
    place();
    if (auto s = listen(); !s) return fail_now(s.error());
    if (auto s = start_peer(); !s) return fail_now(s.error());
    accept_connections();
    start_drivers();
    if (setup_ok_) measure();
    t_end_ = Clock::now();
    for (auto& d : drivers_) d.join();
    stop_and_join();
    collect_peer_result();
    if (raw) {
        if (!run_.cancelled) raw->after();
        report_->baseline = raw->result();
    }
    write_summary();
    attach_baseline_ratios(*report_);
    const BenchState state = verdict();
    finish(state, std::move(intervals_), report_->summary.latency);
}

// ---- Setup -----------------------------------------------------------------------------------

void RunController::place() {
    peer_cpu_ = sc_.cpu == CpuPlacement::DifferentCores ? 1 : 0;
    if (sc_.cpu == CpuPlacement::DifferentCores && benchplat::cpu_count() < 2) {
        pinned_ok_ = false;
        pin_why_ = "only one CPU available";
    }
    pin_ = sc_.cpu != CpuPlacement::Unpinned && pinned_ok_;
}

Status RunController::listen() {
    auto lst = transport_.listen(make_endpoint(sc_, opt_));
    if (!lst) return std::move(lst).error();
    listener_ = std::move(lst).value();
    {
        std::lock_guard lock(run_.mutex);
        run_.listener = listener_.get();
    }
    client_ep_ = listener_->client_endpoint();
    conns_ = sc_.pattern == BenchPattern::ReqRep ? sc_.clients : 1;
    const int peer_threads = sc_.pattern == BenchPattern::Churn ? 1 : conns_;
    for (int i = 0; i < conns_; ++i)
        run_.engine_stats.push_back(std::make_unique<BenchSideStats>());
    for (int i = 0; i < peer_threads; ++i)
        run_.peer_stats.push_back(std::make_unique<BenchSideStats>());
    return {};
}

Status RunController::start_peer() {
    if (sc_.process) return start_child_peer();
    start_peer_threads();
    return {};
}

Status RunController::start_child_peer() {
    result_path_ = benchplat::temp_file_path("pipescope-bench-peer");
    const auto args = peer_arguments(client_ep_, sc_, result_path_,
                                     pin_ ? std::optional<int>(peer_cpu_) : std::nullopt);
    auto c = benchplat::ChildProcess::spawn(opt_.peer_executable, args);
    if (!c) return std::move(c).error();
    child_ = std::move(c).value();
    run_.peer_pid = child_.pid();
    // The snapshot start() published, with the peer's pid.
    auto snap = std::make_shared<BenchSnapshot>();
    snap->state = BenchState::Running;
    snap->warming_up = sc_.warmup_s > 0;
    snap->peer_pid = child_.pid();
    publish_(std::move(snap));
    return {};
}

void RunController::start_peer_threads() {
    for (auto& stats : run_.peer_stats)
        peers_.emplace_back(LaneSide::Peer, static_cast<int>(peers_.size()),
                            [this, &st = *stats](std::stop_token stop) { peer_thread(st, stop); });
}

void RunController::peer_thread(BenchSideStats& st, std::stop_token stop) {
    const double cpu0 = benchplat::thread_cpu_seconds();
    if (pin_ && !benchplat::pin_current_thread(peer_cpu_)) pin_failed_ = true;
    if (sc_.pattern == BenchPattern::Churn) {
        respond_churn(transport_, client_ep_, sc_, st, opt_.io_timeout, stop);
    } else {
        auto c = transport_.connect(client_ep_, opt_.io_timeout, stop);
        if (!c) {
            if (!run_.cancelled) run_.fail(c.error());
        } else {
            Channel* ch = run_.adopt(std::move(c).value());
            respond(sc_, *ch, st, opt_.io_timeout);
        }
    }
    finish_thread(st, cpu0);
}

// A child peer that ends before the run does (killed, crashed) ends the run: noticed while
// accepting and at every interval edge, so nothing waits for a whole I/O timeout.
bool RunController::child_gone() {
    if (peer_exit_) return true;
    if (!child_.valid()) return false;
    peer_exit_ = child_.wait(Timeout{0});
    return peer_exit_.has_value();
}

// Accepts one connection within the I/O timeout, looking at the child peer every 100 ms.
Result<std::unique_ptr<Channel>> RunController::accept_one() {
    const Timeout to = opt_.io_timeout;
    const auto until = Clock::now() + (to.count() < 0 ? Timeout{0} : to);
    for (;;) {
        Timeout slice{100};
        if (to.count() >= 0) {
            slice = std::clamp(std::chrono::duration_cast<Timeout>(until - Clock::now()),
                               Timeout{0}, slice);
        }
        auto a = listener_->accept(slice);
        if (a || !is_soft_timeout(a.error()) || run_.cancelled) return a;
        if (child_gone()) return a;
        if (to.count() >= 0 && Clock::now() >= until) return a;
    }
}

void RunController::stop_setup() {
    run_.stopping = true;
    run_.cancel_io();
}

void RunController::accept_connections() {
    if (sc_.pattern == BenchPattern::Churn) return;  // the churn driver accepts
    for (int i = 0; i < conns_; ++i) {
        auto a = accept_one();
        if (!a) {
            if (!child_gone()) run_.fail(a.error());  // else: the peer's death says why
            return stop_setup();
        }
        engine_channels_.push_back(run_.adopt(std::move(a).value()));
        if (auto e = message_size_error(sc_, *engine_channels_.back())) {
            run_.fail(*e);
            return stop_setup();
        }
    }
}

void RunController::start_drivers() {
    const auto warmup = seconds(sc_.warmup_s);
    run_.t0 = Clock::now();
    run_.deadline = run_.t0 + warmup + seconds(sc_.duration_s);
    run_.count = sc_.message_count;
    {
        std::lock_guard lock(run_.mutex);
        setup_ok_ = run_.error_count == 0 && !run_.cancelled;
    }
    if (setup_ok_) {
        const int n = sc_.pattern == BenchPattern::Churn ? 1 : conns_;
        run_.drivers_left = n;
        for (int i = 0; i < n; ++i) {
            BenchSideStats& st = *run_.engine_stats[static_cast<std::size_t>(i)];
            Channel* ch = sc_.pattern == BenchPattern::Churn
                              ? nullptr
                              : engine_channels_[static_cast<std::size_t>(i)];
            drivers_.emplace_back(LaneSide::Engine, i,
                                  [this, ch, &st](std::stop_token) { driver_thread(ch, st); });
        }
    }
    measuring_ = warmup.count() == 0;
    measure_start_ = run_.t0;
    step_ = seconds(sc_.interval_s);
    next_edge_ = run_.t0 + (measuring_ ? step_ : warmup);
}

void RunController::driver_thread(Channel* ch, BenchSideStats& st) {
    const double cpu0 = benchplat::thread_cpu_seconds();
    if (pin_ && !benchplat::pin_current_thread(kEngineCpu)) pin_failed_ = true;
    switch (sc_.pattern) {
        case BenchPattern::Stream:
            drive_stream(run_, *ch, st);
            break;
        case BenchPattern::PingPong:
            drive_echo(run_, *ch, st, 1);
            break;
        case BenchPattern::ReqRep:
            drive_echo(run_, *ch, st, sc_.inflight);
            break;
        case BenchPattern::Rate:
            drive_rate(run_, *ch, st);
            break;
        case BenchPattern::Churn:
            drive_churn(run_, *listener_, st);
            break;
    }
    finish_thread(st, cpu0);
    if (--run_.drivers_left == 0) {
        std::lock_guard lock(run_.mutex);
        run_.cv.notify_all();
    }
}

// ---- Measurement -----------------------------------------------------------------------------

// Aggregates at interval edges until the drivers are done (or the run is cancelled).
void RunController::measure() {
    std::unique_lock lock(run_.mutex);
    while (run_.drivers_left.load() > 0 && !run_.cancelled) {
        run_.cv.wait_until(lock, next_edge_,
                           [&] { return run_.drivers_left.load() == 0 || run_.cancelled.load(); });
        const auto now = Clock::now();
        if (now < next_edge_ && run_.drivers_left.load() > 0 && !run_.cancelled) continue;
        lock.unlock();
        on_interval_edge(now);
        lock.lock();
    }
}

void RunController::on_interval_edge(Clock::time_point now) {
    if (!run_.stopping && child_gone()) {
        log::bench()->warn("bench peer (pid {}) ended mid-run", child_.pid());
        run_.stopping = true;
    }
    const auto [bytes, msgs] = gather(cur_);
    if (!measuring_) {  // the warm-up is over: measure from here
        measuring_ = true;
        measure_start_ = now;
        base_ = cur_;
        prev_ = cur_;
        base_bytes_ = prev_bytes_ = bytes;
        base_msgs_ = prev_msgs_ = msgs;
    } else {
        interval_h_.set_difference(cur_, prev_);
        IntervalSample is;
        is.start_s = intervals_.empty() ? 0.0 : intervals_.back().end_s;
        is.end_s = std::chrono::duration<double>(now - measure_start_).count();
        const double dt = std::max(1e-9, is.end_s - is.start_s);
        is.bytes_per_sec = static_cast<double>(bytes - prev_bytes_) / dt;
        is.messages_per_sec = static_cast<double>(msgs - prev_msgs_) / dt;
        is.p50_ns = interval_h_.percentile(50);
        is.p99_ns = interval_h_.percentile(99);
        is.max_ns = interval_h_.max();
        intervals_.push_back(is);
        prev_ = cur_;
        prev_bytes_ = bytes;
        prev_msgs_ = msgs;
    }
    publish_progress(now);
    next_edge_ = now + step_;
}

// Merges the drivers' histograms into `into`; returns the completed bytes and messages.
std::pair<std::uint64_t, std::uint64_t> RunController::gather(LatencyHistogram& into) {
    into.reset();
    for (const auto& s : run_.engine_stats) into.merge(s->hist);
    const Totals e = sum(run_.engine_stats), p = sum(run_.peer_stats);
    return progress_of(sc_, e, p);
}

void RunController::publish_progress(Clock::time_point now) {
    auto snap = std::make_shared<BenchSnapshot>();
    snap->state = BenchState::Running;
    snap->warming_up = !measuring_;
    snap->elapsed_s = std::chrono::duration<double>(now - run_.t0).count();
    const Totals e = sum(run_.engine_stats);
    if (sc_.message_count)
        snap->progress = std::min(
            1.0, static_cast<double>(e.msgs_sent) /
                     static_cast<double>(sc_.message_count * static_cast<std::uint64_t>(conns_)));
    else
        snap->progress = std::min(1.0, snap->elapsed_s / (sc_.warmup_s + sc_.duration_s));
    snap->intervals = intervals_;
    LatencyHistogram m;
    m.set_difference(cur_, base_);
    snap->latency = summarize(m);
    snap->latency_bars = latency_bars(m);
    snap->bytes_sent = e.bytes_sent;
    snap->bytes_received = e.bytes_received + sum(run_.peer_stats).bytes_received;
    snap->messages = snap->latency.count;
    if (const auto pid = run_.peer_pid.load()) snap->peer_pid = pid;
    publish_(std::move(snap));
}

// ---- The end ---------------------------------------------------------------------------------

// Lets the peer finish: it sees the close of each channel (or, for churn, a stop).
void RunController::stop_and_join() {
    for (auto* ch : engine_channels_) ch->close();
    for (auto& p : peers_) p.request_stop();
    if (sc_.pattern == BenchPattern::Churn || run_.cancelled) run_.cancel_io();
    {
        std::lock_guard lock(run_.mutex);
        run_.listener = nullptr;
    }
    listener_.reset();  // churn peers in a child then fail to connect and exit
    for (auto& p : peers_) p.join();
}

void RunController::collect_peer_result() {
    if (child_.pid() == 0) return;
    auto code = child_.wait(run_.cancelled ? Timeout{0} : opt_.io_timeout);
    if (!code) {
        child_.kill();
        if (!run_.cancelled)
            run_.fail(make_error(ErrorCode::Timeout, "bench-peer", opt_.peer_executable,
                                 "the child-process peer did not exit; it was killed. Next: "
                                 "check that it can reach the pipe, or raise the I/O timeout"));
    } else if (auto pr = PeerResult::read_file(result_path_)) {
        child_result_ = std::move(pr);
        if (!child_result_->error.empty())
            run_.fail(make_error(ErrorCode::Io, "bench-peer", "peer", child_result_->error));
    } else if (!run_.cancelled) {
        peer_error_ = make_error(
            ErrorCode::BrokenPipe, "bench-peer",
            opt_.peer_executable + " (pid " + std::to_string(child_.pid()) + ")",
            "the peer process ended mid-run (" + benchplat::ChildProcess::exit_text(*code) +
                ") and wrote no result; the results up to then are kept. Next: check why "
                "it ended (killed, out of memory, crashed), then run again");
    }
    std::remove(result_path_.c_str());
}

void RunController::write_summary() {
    (void)gather(cur_);
    LatencyHistogram measured;
    measured.set_difference(cur_, measuring_ ? base_ : cur_);
    if (measuring_ && base_.count() == 0) measured = cur_;
    const Totals e = sum(run_.engine_stats);
    const Totals p = child_result_ ? child_result_->t : sum(run_.peer_stats);
    const auto [bytes, msgs] = progress_of(sc_, e, p);
    Summary& s = report_->summary;
    s.elapsed_s = std::chrono::duration<double>(t_end_ - measure_start_).count();
    const double dt = std::max(1e-9, s.elapsed_s);
    s.throughput_bytes_per_sec = static_cast<double>(bytes - base_bytes_) / dt;
    s.messages_per_sec = static_cast<double>(msgs - base_msgs_) / dt;
    s.latency = summarize(measured);
    report_->latency_bars = latency_bars(measured);
    s.engine = {e.bytes_sent, e.bytes_received, e.msgs_sent, e.msgs_received, e.cpu_s};
    s.peer = {p.bytes_sent, p.bytes_received, p.msgs_sent, p.msgs_received, p.cpu_s};
    s.bytes_sent = e.bytes_sent;
    if (sc_.pattern == BenchPattern::Stream) {
        s.bytes_received = p.bytes_received;
        s.integrity = p.integ;
        if (sc_.verify && !child_result_) {
            // Messages that never arrived at all, after the last one that did.
            std::uint64_t highest = 0;
            for (const auto& st : run_.peer_stats)
                highest = std::max(highest, st->highest_next.load());
            if (e.msgs_sent > highest) s.integrity.lost += e.msgs_sent - highest;
        }
    } else {
        s.bytes_received = e.bytes_received;
        s.integrity = e.integ;
    }
    s.errors = run_.error_count + e.errors + p.errors + (peer_error_ ? 1 : 0);
    report_->placement = benchplat::placement_text(
        sc_.cpu, pinned_ok_ && !pin_failed_, pin_failed_ ? "the OS refused" : pin_why_, "engine");
}

// The run's outcome; sets the report's error and ok.
BenchState RunController::verdict() {
    const Summary& s = report_->summary;
    BenchState state = BenchState::Failed;
    std::string& error = report_->error;
    if (run_.cancelled) {
        state = BenchState::Cancelled;
        error = "cancelled";
    } else if (peer_error_) {
        // The peer's death comes first: what the engine's side saw follows from it.
        error = peer_error_->to_string();
        if (!run_.first_error.empty()) error += "; the engine's side saw: " + run_.first_error;
    } else if (!run_.first_error.empty()) {
        error = run_.first_error;
    } else if (sc_.verify && s.integrity.failed()) {
        error = "integrity check failed: " + std::to_string(s.integrity.lost) + " lost, " +
                std::to_string(s.integrity.duplicated) + " duplicated, " +
                std::to_string(s.integrity.reordered) + " reordered, " +
                std::to_string(s.integrity.corrupted) + " corrupted";
    } else if (s.latency.count == 0) {
        error =
            "no message completed. Next: check that the peer could connect (see the log) "
            "or run for longer";
    } else if (s.errors) {
        error = std::to_string(s.errors) +
                " I/O errors on the peer's side. Next: see the log for what failed";
    } else {
        state = BenchState::Finished;
    }
    report_->ok = state == BenchState::Finished;
    if (!report_->ok) log::bench()->warn("bench run: {}", report_->error);
    return state;
}

void RunController::fail_now(const Error& e) {
    report_->error = e.to_string();
    log::bench()->warn("bench run failed: {}", report_->error);
    finish(run_.cancelled ? BenchState::Cancelled : BenchState::Failed, {}, {});
}

// Publishes the final snapshot, which carries the report.
void RunController::finish(BenchState state, std::vector<IntervalSample> intervals,
                           LatencySummary lat) {
    report_->intervals = intervals;
    auto snap = std::make_shared<BenchSnapshot>();
    snap->state = state;
    snap->progress = 1;
    snap->elapsed_s = report_->summary.elapsed_s;
    snap->intervals = std::move(intervals);
    snap->latency = lat;
    snap->latency_bars = report_->latency_bars;
    snap->bytes_sent = report_->summary.bytes_sent;
    snap->bytes_received = report_->summary.bytes_received;
    snap->messages = report_->summary.latency.count;
    if (const auto pid = run_.peer_pid.load()) snap->peer_pid = pid;
    snap->report = report_;
    publish_(std::move(snap));
}

}  // namespace pipescope::core::bench
