// Benchmark reports as Prometheus metric families, labelled with the scenario.
#include <set>
#include <string>
#include <vector>

#include "metrics/metrics_internal.hpp"

namespace pipescope::core {
namespace {

using detail::add_gauge;
using detail::Labels;
using detail::make_family;
using prometheus::MetricType;

Labels scenario_labels(const BenchReport& r) {
    const Scenario& s = r.scenario;
    return {
        {"clients", std::to_string(s.clients)},
        {"cpu", std::string(to_string(s.cpu))},
        {"io", std::string(to_string(s.io))},
        {"pattern", std::string(to_string(s.pattern))},
        {"peer", s.process ? "process" : "thread"},
        {"size", std::to_string(s.message_size)},
        {"transport", r.transport.empty() ? std::string(to_string(resolve_transport(s)))
                                          : metric_label_text(r.transport)},
        {"type", std::string(to_string(s.type))},
    };
}

Labels with(Labels l, std::string name, std::string value) {
    l.push_back({std::move(name), std::move(value)});
    return l;
}

double seconds(double ns) {
    return ns / 1e9;
}

}  // namespace

std::string bench_metrics_text(const std::vector<BenchReport>& reports) {
    std::vector<Labels> labels;
    std::set<Labels> distinct;
    for (const auto& r : reports) {
        labels.push_back(scenario_labels(r));
        distinct.insert(labels.back());
    }
    // A sweep over a knob the labels do not name (quota, rate, in flight, duration) would give
    // two runs one label set; the run's position in the sweep then tells them apart.
    if (distinct.size() != labels.size())
        for (std::size_t i = 0; i < labels.size(); ++i)
            labels[i].push_back({"run", std::to_string(i)});

    auto ok = make_family("pipescope_bench_ok", "1 when the benchmark run completed without error",
                          MetricType::Gauge);
    auto duration = make_family("pipescope_bench_duration_seconds",
                                "Measured time of the run (after warm-up)", MetricType::Gauge);
    auto throughput =
        make_family("pipescope_bench_throughput_bytes_per_second",
                    "Bytes per second received along the measured direction", MetricType::Gauge);
    auto rate = make_family("pipescope_bench_messages_per_second",
                            "Messages (round trips for pingpong, connections for churn) per second",
                            MetricType::Gauge);
    auto latency =
        make_family("pipescope_bench_latency_seconds",
                    "Latency distribution of the run: quantile 0 is the minimum and 1 the maximum",
                    MetricType::Summary);
    auto received = make_family("pipescope_bench_bytes_received",
                                "Bytes received along the measured direction", MetricType::Gauge);
    auto errors =
        make_family("pipescope_bench_errors", "Errors the run counted", MetricType::Gauge);
    auto integrity = make_family(
        "pipescope_bench_integrity_failures",
        "Messages the integrity check (--verify) found lost, duplicated, reordered or corrupted",
        MetricType::Gauge);
    auto base_throughput =
        make_family("pipescope_bench_baseline_throughput_bytes_per_second",
                    "The raw loop of OS calls (--baseline) on the same transport: bytes per second",
                    MetricType::Gauge);
    auto base_rate = make_family("pipescope_bench_baseline_messages_per_second",
                                 "The raw loop (--baseline): messages or round trips per second",
                                 MetricType::Gauge);
    auto base_p50 =
        make_family("pipescope_bench_baseline_latency_p50_seconds",
                    "The raw loop (--baseline): median round trip (pingpong)", MetricType::Gauge);
    auto throughput_ratio = make_family(
        "pipescope_bench_baseline_throughput_ratio",
        "Engine throughput / raw loop throughput; below 1 is the engine's cost", MetricType::Gauge);
    auto p50_ratio =
        make_family("pipescope_bench_baseline_p50_ratio",
                    "Engine p50 / raw loop p50; above 1 is the engine's cost", MetricType::Gauge);

    for (std::size_t i = 0; i < reports.size(); ++i) {
        const BenchReport& r = reports[i];
        const Summary& s = r.summary;
        const Labels& l = labels[i];
        add_gauge(ok, l, r.ok ? 1 : 0);
        add_gauge(duration, l, s.elapsed_s);
        add_gauge(throughput, l, s.throughput_bytes_per_sec);
        add_gauge(rate, l, s.messages_per_sec);
        add_gauge(received, l, static_cast<double>(s.bytes_received));
        add_gauge(errors, l, static_cast<double>(s.errors));
        if (s.latency.count > 0) {
            prometheus::ClientMetric m;
            m.label = l;
            m.summary.sample_count = s.latency.count;
            m.summary.sample_sum = seconds(s.latency.mean) * static_cast<double>(s.latency.count);
            const std::pair<double, std::uint64_t> q[] = {
                {0, s.latency.min},    {0.5, s.latency.p50},    {0.9, s.latency.p90},
                {0.99, s.latency.p99}, {0.999, s.latency.p999}, {0.9999, s.latency.p9999},
                {1, s.latency.max}};
            for (const auto& [quantile, ns] : q)
                m.summary.quantile.push_back({quantile, seconds(static_cast<double>(ns))});
            latency.metric.push_back(std::move(m));
        }
        if (r.scenario.verify) {
            const IntegrityCounts& c = s.integrity;
            add_gauge(integrity, with(l, "kind", "lost"), static_cast<double>(c.lost));
            add_gauge(integrity, with(l, "kind", "duplicated"), static_cast<double>(c.duplicated));
            add_gauge(integrity, with(l, "kind", "reordered"), static_cast<double>(c.reordered));
            add_gauge(integrity, with(l, "kind", "corrupted"), static_cast<double>(c.corrupted));
        }
        if (r.baseline && r.baseline->ok) {
            const BaselineSummary& b = *r.baseline;
            add_gauge(base_throughput, l, b.throughput_bytes_per_sec);
            add_gauge(base_rate, l, b.messages_per_sec);
            if (b.latency.count > 0)
                add_gauge(base_p50, l, seconds(static_cast<double>(b.latency.p50)));
            // 0 means "not known" in BaselineSummary: such a ratio is left out, not written 0.
            if (b.throughput_ratio > 0) add_gauge(throughput_ratio, l, b.throughput_ratio);
            if (b.p50_ratio > 0) add_gauge(p50_ratio, l, b.p50_ratio);
        }
    }
    std::vector<prometheus::MetricFamily> out;
    for (auto* f : {&ok, &duration, &throughput, &rate, &latency, &received, &errors, &integrity,
                    &base_throughput, &base_rate, &base_p50, &throughput_ratio, &p50_ratio})
        if (!f->metric.empty()) out.push_back(std::move(*f));
    return detail::serialize_text(out);
}

}  // namespace pipescope::core
