#include "views/bench_view.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include <imgui.h>

#include "pipescope/bench_baseline.hpp"
#include "pipescope/files.hpp"
#include "shell/palette.hpp"
#include "widgets/chart.hpp"
#include "widgets/ui_helpers.hpp"

namespace pipescope::gui {
namespace {

std::string fmt_ns(std::uint64_t ns) {
    return format_value(static_cast<double>(ns), Unit::Nanoseconds);
}

}  // namespace

BenchView::BenchView(core::BenchEngine& engine) : engine_(engine) {
    if (auto quick = core::load_preset("quick")) scenario_ = *quick;
    show_size();
}

std::string BenchView::task_status() const {
    if (!running_ || !shown_) return {};
    char buf[96];
    std::snprintf(buf, sizeof buf, "benchmark %s %.0f%%%s",
                  std::string(core::to_string(scenario_.pattern)).c_str(), shown_->progress * 100.0,
                  in_sweep_ ? " (sweep)" : "");
    return buf;
}

void BenchView::show_size() {
    std::snprintf(size_buf_, sizeof size_buf_, "%llu",
                  static_cast<unsigned long long>(scenario_.message_size));
    size_field_shown_ = size_buf_;
}

void BenchView::reset_series() {
    for (RingSeries* s : {&throughput_, &messages_, &p50_, &p99_, &max_}) s->clear();
    intervals_seen_ = 0;
}

bool BenchView::apply_size_field() {
    if (std::string(size_buf_) == size_field_shown_) return true;  // untouched: scenario_ rules
    if (auto size = core::parse_size(size_buf_)) {
        scenario_.message_size = *size;
        return true;
    }
    error_ =
        std::string("the message size \"") + size_buf_ + "\" is not a size (e.g. 512, 64K, 4M)";
    return false;
}

bool BenchView::run() {
    error_.clear();
    if (!apply_size_field()) return false;
    sweep_queue_.clear();
    in_sweep_ = false;
    start_current();
    return error_.empty();
}

bool BenchView::run_sweep(const std::string& spec) {
    error_.clear();
    if (!apply_size_field()) return false;
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

void BenchView::start_current() {
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

void BenchView::finish_current() {
    // The snapshot says the run ended, so wait() only joins a finished thread.
    core::BenchReport report = engine_.wait();
    running_ = false;
    if (!report.ok && report.error.size()) error_ = report.error;
    history_.push_back(report);
    if (history_.size() > 50) history_.erase(history_.begin());
    if (in_sweep_) {
        sweep_results_.push_back(std::move(report));
        start_current();
    }
}

void BenchView::stop() {
    sweep_queue_.clear();
    engine_.stop();
}

void BenchView::cancel() {
    sweep_queue_.clear();
    engine_.cancel();
}

void BenchView::sync() {
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

void BenchView::draw() {
    sync();
    ImGui::BeginChild("##benchform", ImVec2(360, 0), true);
    draw_form();
    ImGui::EndChild();
    ImGui::SameLine();
    ImGui::BeginChild("##benchlive", ImVec2(0, 0), false);
    draw_live();
    ImGui::EndChild();
}

void BenchView::draw_form() {
    auto names = core::preset_names();
    const char* preset_label = preset_ >= 0 && preset_ < static_cast<int>(names.size())
                                   ? names[static_cast<std::size_t>(preset_)].c_str()
                                   : "(custom)";
    ImGui::PushItemWidth(190);
    if (ImGui::BeginCombo("Preset", preset_label)) {
        for (int i = 0; i < static_cast<int>(names.size()); ++i) {
            if (ImGui::Selectable(names[static_cast<std::size_t>(i)].c_str(), i == preset_)) {
                if (auto p = core::load_preset(names[static_cast<std::size_t>(i)])) {
                    scenario_ = *p;
                    preset_ = i;
                    show_size();
                } else {
                    error_ = p.error().to_string();
                }
            }
        }
        ImGui::EndCombo();
    }
    if (!scenario_.comment.empty() && ImGui::IsItemHovered())
        ImGui::SetTooltip("%s", scenario_.comment.c_str());
    auto kind = core::resolve_transport(scenario_);
    if (ImGui::BeginCombo("Transport", std::string(core::to_string(kind)).c_str())) {
        for (auto k : core::available_transports()) {
            if (ImGui::Selectable(std::string(core::to_string(k)).c_str(), k == kind))
                scenario_.transport = k;
        }
        ImGui::EndCombo();
    }
    if (kind == core::TransportKind::Win32Pipe) {
        enum_combo("I/O model", scenario_.io,
                   {core::IoModel::Sync, core::IoModel::Overlapped, core::IoModel::Iocp});
        ImGui::TextWrapped("%s", std::string(core::io_model_meaning(scenario_.io)).c_str());
    }
    enum_combo("Pattern", scenario_.pattern,
               {core::BenchPattern::Stream, core::BenchPattern::PingPong,
                core::BenchPattern::ReqRep, core::BenchPattern::Churn, core::BenchPattern::Rate});
    enum_combo("Pipe type", scenario_.type, {core::PipeType::Byte, core::PipeType::Message});
    ImGui::InputText("Message size", size_buf_, sizeof size_buf_);
    if (scenario_.pattern == core::BenchPattern::ReqRep) {
        ImGui::SliderInt("Clients", &scenario_.clients, 1, 64);
        ImGui::SliderInt("In flight", &scenario_.inflight, 1, 64);
    }
    if (scenario_.pattern == core::BenchPattern::Rate) {
        float rate = static_cast<float>(scenario_.rate_per_sec);
        if (ImGui::SliderFloat("Rate /s", &rate, 1, 200000, "%.0f", ImGuiSliderFlags_Logarithmic))
            scenario_.rate_per_sec = rate;
    }
    float dur = static_cast<float>(scenario_.duration_s),
          warm = static_cast<float>(scenario_.warmup_s);
    if (ImGui::SliderFloat("Duration", &dur, 0.2f, 120.0f, "%.1f s", ImGuiSliderFlags_Logarithmic))
        scenario_.duration_s = dur;
    if (ImGui::SliderFloat("Warm-up", &warm, 0.0f, 10.0f, "%.1f s")) scenario_.warmup_s = warm;
    int count = static_cast<int>(scenario_.message_count);
    if (ImGui::InputInt("Messages (0: duration)", &count))
        scenario_.message_count = static_cast<std::uint64_t>(std::max(0, count));
    int in_q = static_cast<int>(scenario_.in_quota), out_q = static_cast<int>(scenario_.out_quota);
    if (ImGui::InputInt("In quota", &in_q, 4096))
        scenario_.in_quota = static_cast<std::uint32_t>(std::max(0, in_q));
    if (ImGui::InputInt("Out quota", &out_q, 4096))
        scenario_.out_quota = static_cast<std::uint32_t>(std::max(0, out_q));
    enum_combo("CPU placement", scenario_.cpu,
               {core::CpuPlacement::Unpinned, core::CpuPlacement::SameCore,
                core::CpuPlacement::DifferentCores});
    ImGui::Checkbox("Verify integrity", &scenario_.verify);
    ImGui::Checkbox("Peer in a child process", &scenario_.process);
    ImGui::Checkbox("Compare with a raw loop (baseline)", &scenario_.baseline);
    baseline_checkbox_center_ = ImVec2((ImGui::GetItemRectMin().x + ImGui::GetItemRectMax().x) / 2,
                                       (ImGui::GetItemRectMin().y + ImGui::GetItemRectMax().y) / 2);
    if (ImGui::IsItemHovered())
        ImGui::SetTooltip(
            "First runs the plainest loop of OS calls on the same transport, model, type,\n"
            "size and placement, then the engine, and shows what the engine costs.\n"
            "Stream and pingpong only.");
    if (scenario_.baseline) {
        if (auto st = core::baseline_supported(scenario_); !st)
            ImGui::TextDisabled("no baseline: %s", st.error().message.c_str());
    }
    ImGui::PopItemWidth();
    ImGui::Separator();
    if (!running_) {
        if (ImGui::Button("Run", ImVec2(80, 0))) run();
    } else {
        if (ImGui::Button("Stop", ImVec2(80, 0))) stop();
        ImGui::SameLine();
        if (ImGui::Button("Cancel")) cancel();
    }
    ImGui::Spacing();
    ImGui::TextDisabled("Sweep: key=values, ...");
    ImGui::SetNextItemWidth(-1);
    ImGui::InputText("##sweep", sweep_buf_, sizeof sweep_buf_);
    if (!running_ && ImGui::Button("Run sweep")) run_sweep(sweep_buf_);
    if (in_sweep_)
        ImGui::TextDisabled("sweep: %zu done, %zu to go", sweep_results_.size(),
                            sweep_queue_.size());
    if (!error_.empty()) {
        ImGui::PushStyleColor(ImGuiCol_Text, current_palette().error);
        ImGui::TextWrapped("%s", error_.c_str());
        ImGui::PopStyleColor();
    }
}

void BenchView::draw_summary(const core::Summary& s) {
    constexpr ImGuiTableFlags flags =
        ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerV | ImGuiTableFlags_SizingFixedFit;
    if (!ImGui::BeginTable("##summary", 4, flags)) return;
    auto row = [](const char* a, const std::string& va, const char* b, const std::string& vb) {
        ImGui::TableNextRow();
        ImGui::TableNextColumn();
        ImGui::TextDisabled("%s", a);
        ImGui::TableNextColumn();
        ImGui::TextUnformatted(va.c_str());
        ImGui::TableNextColumn();
        ImGui::TextDisabled("%s", b);
        ImGui::TableNextColumn();
        ImGui::TextUnformatted(vb.c_str());
    };
    const auto& l = s.latency;
    row("throughput", format_value(s.throughput_bytes_per_sec, Unit::BytesPerSec), "p50",
        fmt_ns(l.p50));
    row("messages", format_value(s.messages_per_sec, Unit::PerSec), "p90", fmt_ns(l.p90));
    row("bytes sent", format_value(static_cast<double>(s.bytes_sent), Unit::Bytes), "p99",
        fmt_ns(l.p99));
    row("bytes received", format_value(static_cast<double>(s.bytes_received), Unit::Bytes), "p99.9",
        fmt_ns(l.p999));
    row("errors", std::to_string(s.errors), "p99.99", fmt_ns(l.p9999));
    row("elapsed", format_value(s.elapsed_s, Unit::Seconds), "min / max",
        fmt_ns(l.min) + " / " + fmt_ns(l.max));
    row("CPU engine / peer",
        format_value(s.engine.cpu_s, Unit::Seconds) + " / " +
            format_value(s.peer.cpu_s, Unit::Seconds),
        "mean +- stdev",
        fmt_ns(static_cast<std::uint64_t>(l.mean)) + " +- " +
            fmt_ns(static_cast<std::uint64_t>(l.stdev)));
    if (s.integrity.checked > 0) {
        row("integrity", s.integrity.failed() ? "FAILED" : "ok", "lost/dup/reord/corrupt",
            std::to_string(s.integrity.lost) + "/" + std::to_string(s.integrity.duplicated) + "/" +
                std::to_string(s.integrity.reordered) + "/" +
                std::to_string(s.integrity.corrupted));
    }
    ImGui::EndTable();
}

void BenchView::draw_baseline(const core::BenchReport& r) {
    drawn_baseline_line_ = core::baseline_overhead_text(r);
    if (!r.baseline) return;
    ImGui::Spacing();
    ImGui::TextUnformatted(drawn_baseline_line_.c_str());
    const core::BaselineSummary& b = *r.baseline;
    if (!b.ok) return;
    constexpr ImGuiTableFlags flags =
        ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerV | ImGuiTableFlags_SizingFixedFit;
    if (!ImGui::BeginTable("##baseline", 4, flags)) return;
    auto ratio = [](double x) {
        char buf[32] = "-";
        if (x > 0) std::snprintf(buf, sizeof buf, "%.3fx", x);
        return std::string(buf);
    };
    auto row = [](const char* a, const std::string& va, const char* c, const std::string& vc) {
        ImGui::TableNextRow();
        ImGui::TableNextColumn();
        ImGui::TextDisabled("%s", a);
        ImGui::TableNextColumn();
        ImGui::TextUnformatted(va.c_str());
        ImGui::TableNextColumn();
        ImGui::TextDisabled("%s", c);
        ImGui::TableNextColumn();
        ImGui::TextUnformatted(vc.c_str());
    };
    row("raw loop throughput", format_value(b.throughput_bytes_per_sec, Unit::BytesPerSec),
        "engine / raw", ratio(b.throughput_ratio));
    if (b.latency.count > 0) {
        row("raw loop p50", fmt_ns(b.latency.p50), "engine / raw", ratio(b.p50_ratio));
        row("raw loop p99 / max", fmt_ns(b.latency.p99) + " / " + fmt_ns(b.latency.max),
            "placement", b.placement);
    } else {
        row("raw loop messages", format_value(b.messages_per_sec, Unit::PerSec), "placement",
            b.placement);
    }
    ImGui::EndTable();
}

void BenchView::draw_live() {
    if (shown_) {
        const auto& s = *shown_;
        ImGui::Text("%s", std::string(core::to_string(s.state)).c_str());
        ImGui::SameLine();
        char overlay[64];
        std::snprintf(overlay, sizeof overlay, "%.1f s%s", s.elapsed_s,
                      s.warming_up ? " (warm-up)" : "");
        ImGui::ProgressBar(static_cast<float>(s.progress), ImVec2(220, 0), overlay);
        ImGui::SameLine();
        ImGui::TextDisabled(
            "%s sent, %s received",
            format_value(static_cast<double>(s.bytes_sent), Unit::Bytes).c_str(),
            format_value(static_cast<double>(s.bytes_received), Unit::Bytes).c_str());
    }
    const float chart_h = std::max(140.0f, (ImGui::GetContentRegionAvail().y - 260) / 2);
    const Palette& pal = current_palette();
    ChartSeries rate[] = {{"throughput", &throughput_, pal.throughput}};
    ChartOptions rate_opts;
    rate_opts.y_unit = Unit::BytesPerSec;
    rate_opts.y_floor = 0;
    line_chart("##throughput", ImVec2(-1, chart_h), rate, rate_opts);
    ChartSeries lat[] = {{"p50", &p50_, pal.latency_p50},
                         {"p99", &p99_, pal.latency_p99},
                         {"max", &max_, pal.latency_max}};
    ChartOptions lat_opts;
    lat_opts.y_unit = Unit::Nanoseconds;
    lat_opts.log_y = true;
    lat_opts.empty_text = "latency appears once messages flow";
    line_chart("##latency", ImVec2(-1, chart_h), lat, lat_opts);

    if (ImGui::BeginTabBar("##benchtabs")) {
        if (ImGui::BeginTabItem("Summary")) {
            if (shown_ && shown_->report) {
                draw_summary(shown_->report->summary);
                draw_baseline(*shown_->report);
            } else if (shown_) {
                core::Summary partial;
                partial.latency = shown_->latency;
                partial.bytes_sent = shown_->bytes_sent;
                partial.bytes_received = shown_->bytes_received;
                partial.elapsed_s = shown_->elapsed_s;
                draw_summary(partial);
            }
            ImGui::EndTabItem();
        }
        if (ImGui::BeginTabItem("Histogram")) {
            draw_histogram();
            ImGui::EndTabItem();
        }
        if (ImGui::BeginTabItem("Sweep")) {
            draw_sweep();
            ImGui::EndTabItem();
        }
        if (ImGui::BeginTabItem("History")) {
            draw_history();
            ImGui::EndTabItem();
        }
        ImGui::EndTabBar();
    }
}

void BenchView::draw_histogram() {
    // The report's bars once the run ended, else the live ones.
    const std::vector<core::LatencyBar>* bars = nullptr;
    if (shown_ && shown_->report && !shown_->report->latency_bars.empty())
        bars = &shown_->report->latency_bars;
    else if (shown_)
        bars = &shown_->latency_bars;
    hist_x_.clear();
    hist_y_.clear();
    if (bars) {
        for (const auto& b : *bars) {
            hist_x_.push_back(static_cast<double>(b.upper_ns));
            hist_y_.push_back(static_cast<double>(b.count));
        }
    }
    ImGui::TextDisabled(
        "latency distribution since the start of measurement (log scale; hover a bar)");
    bar_chart("##histogram", ImVec2(-1, -1), hist_x_, hist_y_, Unit::Nanoseconds,
              current_palette().throughput);
}

void BenchView::draw_sweep() {
    if (sweep_results_.empty()) {
        ImGui::TextDisabled(
            "Run a sweep to fill this table (e.g. size=64..1M*4,type=byte|message).");
        return;
    }
    constexpr ImGuiTableFlags flags =
        ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerV | ImGuiTableFlags_ScrollY;
    if (ImGui::BeginTable("##sweeptable", 7, flags, ImVec2(-1, 150))) {
        for (const char* h : {"transport", "io", "type", "size", "throughput", "msg/s", "p99"})
            ImGui::TableSetupColumn(h);
        ImGui::TableHeadersRow();
        for (const auto& r : sweep_results_) {
            ImGui::TableNextRow();
            ImGui::TableNextColumn();
            ImGui::TextUnformatted(r.transport.c_str());
            ImGui::TableNextColumn();
            ImGui::TextUnformatted(std::string(core::to_string(r.scenario.io)).c_str());
            ImGui::TableNextColumn();
            ImGui::TextUnformatted(std::string(core::to_string(r.scenario.type)).c_str());
            ImGui::TableNextColumn();
            ImGui::TextUnformatted(
                format_value(static_cast<double>(r.scenario.message_size), Unit::Bytes).c_str());
            ImGui::TableNextColumn();
            if (r.ok)
                ImGui::TextUnformatted(
                    format_value(r.summary.throughput_bytes_per_sec, Unit::BytesPerSec).c_str());
            else
                ImGui::TextColored(current_palette().error, "failed");
            ImGui::TableNextColumn();
            ImGui::TextUnformatted(format_value(r.summary.messages_per_sec, Unit::PerSec).c_str());
            ImGui::TableNextColumn();
            ImGui::TextUnformatted(fmt_ns(r.summary.latency.p99).c_str());
        }
        ImGui::EndTable();
    }
    // Size vs throughput: one series per (type, io, transport) combination, x = log2(size).
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
    const auto& colors = current_palette().series;
    std::vector<ChartSeries> series;
    for (std::size_t i = 0; i < curves.size(); ++i)
        series.push_back({curves[i].first.c_str(), &curves[i].second, colors[i % 5]});
    ChartOptions opts;
    opts.x_unit = Unit::None;
    opts.y_unit = Unit::BytesPerSec;
    opts.y_floor = 0;
    ImGui::TextDisabled("throughput by message size (x: log2 of the size in bytes)");
    line_chart("##sizecurve", ImVec2(-1, -1), series, opts);
}

void BenchView::draw_history() {
    if (history_.empty()) {
        ImGui::TextDisabled("Finished runs appear here; pick two to compare.");
        return;
    }
    for (int i = static_cast<int>(history_.size()) - 1; i >= 0; --i) {
        const auto& r = history_[static_cast<std::size_t>(i)];
        ImGui::PushID(i);
        bool a = compare_a_ == i, b = compare_b_ == i;
        if (ImGui::Checkbox("A", &a)) compare_a_ = a ? i : -1;
        ImGui::SameLine();
        if (ImGui::Checkbox("B", &b)) compare_b_ = b ? i : -1;
        ImGui::SameLine();
        ImGui::Text("#%d %s %s %s %s: %s, p99 %s%s", i + 1, r.transport.c_str(),
                    std::string(core::to_string(r.scenario.pattern)).c_str(),
                    std::string(core::to_string(r.scenario.type)).c_str(),
                    format_value(static_cast<double>(r.scenario.message_size), Unit::Bytes).c_str(),
                    format_value(r.summary.throughput_bytes_per_sec, Unit::BytesPerSec).c_str(),
                    fmt_ns(r.summary.latency.p99).c_str(), r.ok ? "" : "  (failed)");
        ImGui::PopID();
    }
    if (compare_a_ >= 0 && compare_b_ >= 0 && compare_a_ < static_cast<int>(history_.size()) &&
        compare_b_ < static_cast<int>(history_.size())) {
        compare_text_ = core::compare_reports(history_[static_cast<std::size_t>(compare_a_)],
                                              history_[static_cast<std::size_t>(compare_b_)]);
        ImGui::TextUnformatted(compare_text_.c_str());
    }
    ImGui::Separator();
    ImGui::SetNextItemWidth(260);
    ImGui::InputText("##exportpath", export_path_, sizeof export_path_);
    ImGui::SameLine();
    if (ImGui::Button("Export last (JSON)")) {
        auto st = core::write_file_atomic(export_path_, core::report_to_json(history_.back()));
        export_message_ = st ? std::string("saved ") + export_path_ : st.error().to_string();
    }
    ImGui::SameLine();
    if (ImGui::Button("Export intervals (CSV)")) {
        std::string path = std::string(export_path_) + ".csv";
        auto st = core::write_file_atomic(path, core::intervals_to_csv(history_.back()));
        export_message_ = st ? "saved " + path : st.error().to_string();
    }
    if (!export_message_.empty()) ImGui::TextDisabled("%s", export_message_.c_str());
}

}  // namespace pipescope::gui
