// The benchmark engine: starts a run on its worker thread (bench::RunController), publishes
// its snapshots, stops and cancels it.
#include <memory>

#include "bench/bench_run.hpp"
#include "bench/run_controller.hpp"
#include "pipescope/bench.hpp"

namespace pipescope::core {

BenchEngine::BenchEngine(BenchTransport& transport, BenchOptions options)
    : transport_(transport),
      options_(std::move(options)),
      snapshots_(std::make_shared<const BenchSnapshot>()) {}

BenchEngine::~BenchEngine() {
    cancel();
    if (worker_.joinable()) worker_.join();
}

void BenchEngine::publish(std::shared_ptr<const BenchSnapshot> s) {
    snapshots_.publish(std::move(s));
}

std::shared_ptr<const BenchSnapshot> BenchEngine::snapshot() const {
    return snapshots_.load();
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
    worker_ = std::jthread([this, run](std::stop_token) {
        bench::RunController(transport_, *run, [this](auto s) { publish(std::move(s)); }).run();
    });
    return {};
}

}  // namespace pipescope::core
