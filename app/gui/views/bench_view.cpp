#include "views/bench_view.hpp"

#include <algorithm>
#include <cstdio>

#include <imgui.h>

#include "pipescope/bench_baseline.hpp"
#include "shell/palette.hpp"
#include "views/bench_tables.hpp"
#include "widgets/chart.hpp"
#include "widgets/ui_helpers.hpp"

namespace pipescope::gui {
namespace {

std::string fmt_ns(std::uint64_t ns) {
    return format_value(static_cast<double>(ns), Unit::Nanoseconds);
}

}  // namespace

BenchView::BenchView(core::BenchEngine& engine) : runner_(engine) {
    show_size();
}

std::string BenchView::task_status() const {
    if (!runner_.running() || !runner_.shown()) return {};
    char buf[96];
    std::snprintf(buf, sizeof buf, "benchmark %s %.0f%%%s",
                  std::string(core::to_string(runner_.scenario().pattern)).c_str(),
                  runner_.shown()->progress * 100.0, runner_.in_sweep() ? " (sweep)" : "");
    return buf;
}

void BenchView::show_size() {
    std::snprintf(size_buf_, sizeof size_buf_, "%llu",
                  static_cast<unsigned long long>(runner_.scenario().message_size));
    size_field_shown_ = size_buf_;
}

bool BenchView::apply_size_field() {
    if (std::string(size_buf_) == size_field_shown_) return true;  // untouched: scenario rules
    return runner_.set_size_text(size_buf_);
}

bool BenchView::run() {
    runner_.clear_error();
    return apply_size_field() && runner_.run();
}

bool BenchView::run_sweep(const std::string& spec) {
    runner_.clear_error();
    return apply_size_field() && runner_.run_sweep(spec);
}

void BenchView::draw() {
    runner_.sync();
    const bool running = runner_.running();
    if (was_running_ && !running)
        settle_frames_ = 3;
    else if (settle_frames_ > 0)
        --settle_frames_;
    was_running_ = running;
    ImGui::BeginChild("##benchform", ImVec2(360, 0), true);
    draw_form();
    ImGui::EndChild();
    ImGui::SameLine();
    ImGui::BeginChild("##benchlive", ImVec2(0, 0), false);
    draw_live();
    ImGui::EndChild();
}

void BenchView::draw_form() {
    core::Scenario& sc = runner_.scenario();
    auto names = core::preset_names();
    const char* preset_label = preset_ >= 0 && preset_ < static_cast<int>(names.size())
                                   ? names[static_cast<std::size_t>(preset_)].c_str()
                                   : "(custom)";
    ImGui::PushItemWidth(190);
    if (ImGui::BeginCombo("Preset", preset_label)) {
        for (int i = 0; i < static_cast<int>(names.size()); ++i) {
            if (ImGui::Selectable(names[static_cast<std::size_t>(i)].c_str(), i == preset_) &&
                runner_.load_preset(names[static_cast<std::size_t>(i)])) {
                preset_ = i;
                show_size();
            }
        }
        ImGui::EndCombo();
    }
    if (!sc.comment.empty() && ImGui::IsItemHovered()) ImGui::SetTooltip("%s", sc.comment.c_str());
    draw_scenario_fields();
    ImGui::PopItemWidth();
    ImGui::Separator();
    draw_actions();
}

void BenchView::draw_scenario_fields() {
    core::Scenario& sc = runner_.scenario();
    auto kind = core::resolve_transport(sc);
    if (ImGui::BeginCombo("Transport", std::string(core::to_string(kind)).c_str())) {
        for (auto k : core::available_transports()) {
            if (ImGui::Selectable(std::string(core::to_string(k)).c_str(), k == kind))
                sc.transport = k;
        }
        ImGui::EndCombo();
    }
    if (kind == core::TransportKind::Win32Pipe) {
        enum_combo("I/O model", sc.io,
                   {core::IoModel::Sync, core::IoModel::Overlapped, core::IoModel::Iocp});
        ImGui::TextWrapped("%s", std::string(core::io_model_meaning(sc.io)).c_str());
    }
    enum_combo("Pattern", sc.pattern,
               {core::BenchPattern::Stream, core::BenchPattern::PingPong,
                core::BenchPattern::ReqRep, core::BenchPattern::Churn, core::BenchPattern::Rate});
    enum_combo("Pipe type", sc.type, {core::PipeType::Byte, core::PipeType::Message});
    ImGui::InputText("Message size", size_buf_, sizeof size_buf_);
    if (sc.pattern == core::BenchPattern::ReqRep) {
        ImGui::SliderInt("Clients", &sc.clients, 1, 64);
        ImGui::SliderInt("In flight", &sc.inflight, 1, 64);
    }
    if (sc.pattern == core::BenchPattern::Rate) {
        float rate = static_cast<float>(sc.rate_per_sec);
        if (ImGui::SliderFloat("Rate /s", &rate, 1, 200000, "%.0f", ImGuiSliderFlags_Logarithmic))
            sc.rate_per_sec = rate;
    }
    float dur = static_cast<float>(sc.duration_s), warm = static_cast<float>(sc.warmup_s);
    if (ImGui::SliderFloat("Duration", &dur, 0.2f, 120.0f, "%.1f s", ImGuiSliderFlags_Logarithmic))
        sc.duration_s = dur;
    if (ImGui::SliderFloat("Warm-up", &warm, 0.0f, 10.0f, "%.1f s")) sc.warmup_s = warm;
    int count = static_cast<int>(sc.message_count);
    if (ImGui::InputInt("Messages (0: duration)", &count))
        sc.message_count = static_cast<std::uint64_t>(std::max(0, count));
    int in_q = static_cast<int>(sc.in_quota), out_q = static_cast<int>(sc.out_quota);
    if (ImGui::InputInt("In quota", &in_q, 4096))
        sc.in_quota = static_cast<std::uint32_t>(std::max(0, in_q));
    if (ImGui::InputInt("Out quota", &out_q, 4096))
        sc.out_quota = static_cast<std::uint32_t>(std::max(0, out_q));
    enum_combo("CPU placement", sc.cpu,
               {core::CpuPlacement::Unpinned, core::CpuPlacement::SameCore,
                core::CpuPlacement::DifferentCores});
    ImGui::Checkbox("Verify integrity", &sc.verify);
    ImGui::Checkbox("Peer in a child process", &sc.process);
    ImGui::Checkbox("Compare with a raw loop (baseline)", &sc.baseline);
    baseline_checkbox_center_ = ImVec2((ImGui::GetItemRectMin().x + ImGui::GetItemRectMax().x) / 2,
                                       (ImGui::GetItemRectMin().y + ImGui::GetItemRectMax().y) / 2);
    if (ImGui::IsItemHovered())
        ImGui::SetTooltip(
            "Also runs the plainest loop of OS calls on the same transport, model, type,\n"
            "size and placement, half before and half after the engine, and shows what\n"
            "the engine costs. Stream and pingpong only.");
    if (sc.baseline) {
        if (auto st = core::baseline_supported(sc); !st)
            ImGui::TextDisabled("no baseline: %s", st.error().message.c_str());
    }
}

void BenchView::draw_actions() {
    if (!runner_.running()) {
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
    if (!runner_.running() && ImGui::Button("Run sweep")) run_sweep(sweep_buf_);
    if (runner_.in_sweep())
        ImGui::TextDisabled("sweep: %zu done, %zu to go", runner_.sweep_results().size(),
                            runner_.sweep_remaining());
    if (!runner_.error().empty()) {
        ImGui::PushStyleColor(ImGuiCol_Text, current_palette().error);
        ImGui::TextWrapped("%s", runner_.error().c_str());
        ImGui::PopStyleColor();
    }
}

void BenchView::draw_baseline(const core::BenchReport& r) {
    drawn_baseline_line_ = core::baseline_overhead_text(r);
    if (!r.baseline) return;
    ImGui::Spacing();
    ImGui::PushTextWrapPos(0.0f);  // the line may carry a warning that the machine drifted
    ImGui::TextUnformatted(drawn_baseline_line_.c_str());
    ImGui::PopTextWrapPos();
    if (r.baseline->ok) draw_baseline_table(*r.baseline);
}

void BenchView::draw_live() {
    if (const auto& shown = runner_.shown()) {
        const auto& s = *shown;
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
    draw_charts();
    if (!ImGui::BeginTabBar("##benchtabs")) return;
    if (ImGui::BeginTabItem("Summary")) {
        if (auto summary = runner_.shown_summary()) {
            draw_summary_table(*summary);
            if (runner_.shown()->report) draw_baseline(*runner_.shown()->report);
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

void BenchView::draw_charts() {
    const float chart_h = std::max(140.0f, (ImGui::GetContentRegionAvail().y - 260) / 2);
    const Palette& pal = current_palette();
    ChartSeries rate[] = {{"throughput", &runner_.throughput_series(), pal.throughput}};
    ChartOptions rate_opts;
    rate_opts.y_unit = Unit::BytesPerSec;
    rate_opts.y_floor = 0;
    line_chart("##throughput", ImVec2(-1, chart_h), rate, rate_opts);
    ChartSeries lat[] = {{"p50", &runner_.p50_series(), pal.latency_p50},
                         {"p99", &runner_.p99_series(), pal.latency_p99},
                         {"max", &runner_.max_series(), pal.latency_max}};
    ChartOptions lat_opts;
    lat_opts.y_unit = Unit::Nanoseconds;
    lat_opts.log_y = true;
    lat_opts.empty_text = "latency appears once messages flow";
    line_chart("##latency", ImVec2(-1, chart_h), lat, lat_opts);
}

void BenchView::draw_histogram() {
    hist_x_.clear();
    hist_y_.clear();
    if (const auto* bars = runner_.shown_bars()) {
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
    if (runner_.sweep_results().empty()) {
        ImGui::TextDisabled(
            "Run a sweep to fill this table (e.g. size=64..1M*4,type=byte|message).");
        return;
    }
    draw_sweep_table(runner_.sweep_results());
    const auto curves = runner_.sweep_curves();
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
    const auto& history = runner_.history();
    if (history.empty()) {
        ImGui::TextDisabled("Finished runs appear here; pick two to compare.");
        return;
    }
    for (int i = static_cast<int>(history.size()) - 1; i >= 0; --i) {
        const auto& r = history[static_cast<std::size_t>(i)];
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
    if (compare_a_ >= 0 && compare_b_ >= 0) {
        compare_text_ = runner_.compare(static_cast<std::size_t>(compare_a_),
                                        static_cast<std::size_t>(compare_b_));
        if (!compare_text_.empty()) ImGui::TextUnformatted(compare_text_.c_str());
    }
    ImGui::Separator();
    ImGui::SetNextItemWidth(260);
    ImGui::InputText("##exportpath", export_path_, sizeof export_path_);
    ImGui::SameLine();
    if (ImGui::Button("Export last (JSON)")) {
        auto st = runner_.export_last_json(export_path_);
        export_message_ = st ? std::string("saved ") + export_path_ : st.error().to_string();
    }
    ImGui::SameLine();
    if (ImGui::Button("Export intervals (CSV)")) {
        std::string path = std::string(export_path_) + ".csv";
        auto st = runner_.export_last_csv(path);
        export_message_ = st ? "saved " + path : st.error().to_string();
    }
    if (!export_message_.empty()) ImGui::TextDisabled("%s", export_message_.c_str());
}

}  // namespace pipescope::gui
