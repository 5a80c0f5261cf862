#include "models/bench_runner.hpp"

#include <algorithm>
#include <cmath>

#include "pipescope/error.hpp"
#include "pipescope/files.hpp"

namespace pipescope::gui {

BenchRunner::BenchRunner(core::BenchEngine& engine) : engine_(engine) {
    if (auto quick = core::load_preset("quick")) scenario_ = *quick;
}

bool BenchRunner::load_preset(const std::string& name) {
    auto p = core::load_preset(name);
    if (!p) {
        error_ = p.error().to_string();
        return false;
    }
    scenario_ = *p;
    return true;
}

bool BenchRunner::set_size_text(std::string_view text) {
    if (auto size = core::parse_size(text)) {
        scenario_.message_size = *size;
        return true;
    }
    error_ = "the message size \"" + std::string(text) + "\" is not a size (e.g. 512, 64K, 4M)";
    return false;
}

void BenchRunner::reset_series() {
    for (RingSeries* s : {&throughput_, &messages_, &p50_, &p99_, &max_}) s->clear();
    intervals_seen_ = 0;
}

bool BenchRunner::run() {
    error_.clear();
    sweep_queue_.clear();
    in_sweep_ = false;
    start_current();
    return error_.empty();
}

bool BenchRunner::run_sweep(const std::string& spec) {
    error_.clear();
    auto scenarios = core::expand_sweep(scenario_, spec);
    if (!scenarios) {
        error_ = scenarios.error().to_string();
        return false;
    }
    sweep_queue_ = std::move(*scenarios);
    std::reverse(sweep_queue_.begin(), sweep_queue_.end());  // pop from the back in order
    sweep_results_.clear();
    in_sweep_ = true;
    start_current();
    return error_.empty();
}

void BenchRunner::start_current() {
    core::Scenario s = scenario_;
    if (in_sweep_) {
        if (sweep_queue_.empty()) {
            in_sweep_ = false;
            return;
        }
        s = sweep_queue_.back();
        sweep_queue_.pop_back();
    }
    auto st = engine_.start(s);
    if (!st) {
        error_ = st.error().to_string();
        running_ = false;
        in_sweep_ = false;
        return;
    }
    reset_series();
    running_ = true;
}

void BenchRunner::finish_current() {
    // The snapshot says the run ended, so wait() only joins a finished thread.
    core::BenchReport report = engine_.wait();
    running_ = false;
    if (!report.ok && report.error.size()) error_ = report.error;
    history_.push_back(report);
    if (history_.size() > kHistoryLimit) history_.erase(history_.begin());
    if (in_sweep_) {
        sweep_results_.push_back(std::move(report));
        start_current();
    }
}

void BenchRunner::stop() {
    sweep_queue_.clear();
    engine_.stop();
}

void BenchRunner::cancel() {
    sweep_queue_.clear();
    engine_.cancel();
}

void BenchRunner::sync() {
    shown_ = engine_.snapshot();
    if (!running_ || !shown_) return;
    const auto& iv = shown_->intervals;
    for (; intervals_seen_ < iv.size(); ++intervals_seen_) {
        const auto& s = iv[intervals_seen_];
        throughput_.push(s.end_s, s.bytes_per_sec);
        messages_.push(s.end_s, s.messages_per_sec);
        if (s.p50_ns) p50_.push(s.end_s, static_cast<double>(s.p50_ns));
        if (s.p99_ns) p99_.push(s.end_s, static_cast<double>(s.p99_ns));
        if (s.max_ns) max_.push(s.end_s, static_cast<double>(s.max_ns));
    }
    if (shown_->state != core::BenchState::Running && shown_->state != core::BenchState::Idle)
        finish_current();
}

std::optional<core::Summary> BenchRunner::shown_summary() const {
    if (!shown_) return std::nullopt;
    if (shown_->report) return shown_->report->summary;
    core::Summary partial;
    partial.latency = shown_->latency;
    partial.bytes_sent = shown_->bytes_sent;
    partial.bytes_received = shown_->bytes_received;
    partial.elapsed_s = shown_->elapsed_s;
    return partial;
}

const std::vector<core::LatencyBar>* BenchRunner::shown_bars() const {
    if (!shown_) return nullptr;
    if (shown_->report && !shown_->report->latency_bars.empty())
        return &shown_->report->latency_bars;
    return &shown_->latency_bars;
}

std::vector<std::pair<std::string, RingSeries>> BenchRunner::sweep_curves() const {
    std::vector<std::pair<std::string, RingSeries>> curves;
    for (const auto& r : sweep_results_) {
        if (!r.ok || r.scenario.message_size == 0) continue;
        std::string key = r.transport + " " + std::string(core::to_string(r.scenario.type)) + " " +
                          std::string(core::to_string(r.scenario.io));
        auto it = std::find_if(curves.begin(), curves.end(),
                               [&](const auto& c) { return c.first == key; });
        if (it == curves.end()) {
            curves.emplace_back(key, RingSeries(256));
            it = curves.end() - 1;
        }
        it->second.push(std::log2(static_cast<double>(r.scenario.message_size)),
                        r.summary.throughput_bytes_per_sec);
    }
    return curves;
}

std::string BenchRunner::compare(std::size_t a, std::size_t b) const {
    if (a >= history_.size() || b >= history_.size()) return {};
    return core::compare_reports(history_[a], history_[b]);
}

core::Status BenchRunner::export_last_json(const std::string& path) const {
    if (history_.empty())
        return core::make_error(core::ErrorCode::InvalidArgument, "export", path,
                                "no finished run to export");
    return core::write_file_atomic(path, core::report_to_json(history_.back()));
}

core::Status BenchRunner::export_last_csv(const std::string& path) const {
    if (history_.empty())
        return core::make_error(core::ErrorCode::InvalidArgument, "export", path,
                                "no finished run to export");
    return core::write_file_atomic(path, core::intervals_to_csv(history_.back()));
}

}  // namespace pipescope::gui
