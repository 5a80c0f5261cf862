#include "views/bench_tables.hpp"

#include <cstdio>
#include <string>

#include <imgui.h>

#include "shell/palette.hpp"
#include "widgets/chart_math.hpp"

namespace pipescope::gui {
namespace {

std::string fmt_ns(std::uint64_t ns) {
    return format_value(static_cast<double>(ns), Unit::Nanoseconds);
}

constexpr ImGuiTableFlags kPairTableFlags =
    ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerV | ImGuiTableFlags_SizingFixedFit;

// One row of a four-column table: label, value, label, value.
void pair_row(const char* a, const std::string& va, const char* b, const std::string& vb) {
    ImGui::TableNextRow();
    ImGui::TableNextColumn();
    ImGui::TextDisabled("%s", a);
    ImGui::TableNextColumn();
    ImGui::TextUnformatted(va.c_str());
    ImGui::TableNextColumn();
    ImGui::TextDisabled("%s", b);
    ImGui::TableNextColumn();
    ImGui::TextUnformatted(vb.c_str());
}

void cell(const std::string& text) {
    ImGui::TableNextColumn();
    ImGui::TextUnformatted(text.c_str());
}

}  // namespace

void draw_summary_table(const core::Summary& s) {
    if (!ImGui::BeginTable("##summary", 4, kPairTableFlags)) return;
    const auto& l = s.latency;
    pair_row("throughput", format_value(s.throughput_bytes_per_sec, Unit::BytesPerSec), "p50",
             fmt_ns(l.p50));
    pair_row("messages", format_value(s.messages_per_sec, Unit::PerSec), "p90", fmt_ns(l.p90));
    pair_row("bytes sent", format_value(static_cast<double>(s.bytes_sent), Unit::Bytes), "p99",
             fmt_ns(l.p99));
    pair_row("bytes received", format_value(static_cast<double>(s.bytes_received), Unit::Bytes),
             "p99.9", fmt_ns(l.p999));
    pair_row("errors", std::to_string(s.errors), "p99.99", fmt_ns(l.p9999));
    pair_row("elapsed", format_value(s.elapsed_s, Unit::Seconds), "min / max",
             fmt_ns(l.min) + " / " + fmt_ns(l.max));
    pair_row("CPU engine / peer",
             format_value(s.engine.cpu_s, Unit::Seconds) + " / " +
                 format_value(s.peer.cpu_s, Unit::Seconds),
             "mean +- stdev",
             fmt_ns(static_cast<std::uint64_t>(l.mean)) + " +- " +
                 fmt_ns(static_cast<std::uint64_t>(l.stdev)));
    if (s.integrity.checked > 0) {
        pair_row("integrity", s.integrity.failed() ? "FAILED" : "ok", "lost/dup/reord/corrupt",
                 std::to_string(s.integrity.lost) + "/" + std::to_string(s.integrity.duplicated) +
                     "/" + std::to_string(s.integrity.reordered) + "/" +
                     std::to_string(s.integrity.corrupted));
    }
    ImGui::EndTable();
}

void draw_baseline_table(const core::BaselineSummary& b) {
    if (!ImGui::BeginTable("##baseline", 4, kPairTableFlags)) return;
    auto ratio = [](double x) {
        char buf[32] = "-";
        if (x > 0) std::snprintf(buf, sizeof buf, "%.3fx", x);
        return std::string(buf);
    };
    pair_row("raw loop throughput", format_value(b.throughput_bytes_per_sec, Unit::BytesPerSec),
             "engine / raw", ratio(b.throughput_ratio));
    if (b.latency.count > 0) {
        pair_row("raw loop p50", fmt_ns(b.latency.p50), "engine / raw", ratio(b.p50_ratio));
        pair_row("raw loop p99 / max", fmt_ns(b.latency.p99) + " / " + fmt_ns(b.latency.max),
                 "placement", b.placement);
    } else {
        pair_row("raw loop messages", format_value(b.messages_per_sec, Unit::PerSec), "placement",
                 b.placement);
    }
    ImGui::EndTable();
}

void draw_sweep_table(const std::vector<core::BenchReport>& results) {
    constexpr ImGuiTableFlags flags =
        ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerV | ImGuiTableFlags_ScrollY;
    if (ImGui::BeginTable("##sweeptable", 7, flags, ImVec2(-1, 150))) {
        for (const char* h : {"transport", "io", "type", "size", "throughput", "msg/s", "p99"})
            ImGui::TableSetupColumn(h);
        ImGui::TableHeadersRow();
        for (const auto& r : results) {
            ImGui::TableNextRow();
            cell(r.transport);
            cell(std::string(core::to_string(r.scenario.io)));
            cell(std::string(core::to_string(r.scenario.type)));
            cell(format_value(static_cast<double>(r.scenario.message_size), Unit::Bytes));
            ImGui::TableNextColumn();
            if (r.ok)
                ImGui::TextUnformatted(
                    format_value(r.summary.throughput_bytes_per_sec, Unit::BytesPerSec).c_str());
            else
                ImGui::TextColored(current_palette().error, "failed");
            cell(format_value(r.summary.messages_per_sec, Unit::PerSec));
            cell(fmt_ns(r.summary.latency.p99));
        }
        ImGui::EndTable();
    }
}

}  // namespace pipescope::gui
