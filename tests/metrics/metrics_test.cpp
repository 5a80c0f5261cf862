// Catalog and benchmark metrics: label values, the UTF-8 rule, --normalize-names, the series
// cap, the counters, --listen parsing and the port check. The exporter over HTTP is in
// exporter_test.cpp.
#include <algorithm>
#include <cstdio>
#include <map>
#include <regex>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "pipescope/metrics.hpp"

using namespace pipescope::core;

namespace {

PipeEntry pipe(std::string name, std::optional<std::int64_t> cur = 1,
               std::optional<std::int64_t> max = std::nullopt,
               PipeKind kind = PipeKind::NamedPipe) {
    PipeEntry e;
    e.kind = kind;
    e.name = std::move(name);
    e.current_instances = cur;
    e.max_instances = max;
    return e;
}

Snapshot snapshot_of(std::vector<PipeEntry> entries) {
    Snapshot s;
    s.entries = std::move(entries);
    normalize(s);
    s.list_duration = std::chrono::microseconds(1500);
    return s;
}

// Sample lines (not comments) of the text exposition.
std::vector<std::string> samples(const std::string& text, const std::string& family) {
    std::vector<std::string> out;
    std::size_t pos = 0;
    while (pos < text.size()) {
        auto end = text.find('\n', pos);
        if (end == std::string::npos) end = text.size();
        std::string line = text.substr(pos, end - pos);
        pos = end + 1;
        if (line.empty() || line[0] == '#') continue;
        if (line.compare(0, family.size(), family) == 0 &&
            (line.size() > family.size() &&
             (line[family.size()] == '{' || line[family.size()] == ' ')))
            out.push_back(line);
    }
    return out;
}

// The value of the one sample of `family` whose line contains `labels`, or NaN.
double value_of(const std::string& text, const std::string& family, const std::string& labels) {
    for (const auto& line : samples(text, family)) {
        if (line.find(labels) == std::string::npos) continue;
        return std::stod(line.substr(line.rfind(' ') + 1));
    }
    return std::nan("");
}

TEST(MetricLabelText, KeepsValidUtf8AsItIs) {
    const std::string name = "caf\xC3\xA9-\xE2\x82\xAC-\xF0\x9F\x98\x80 \\\"x\"";
    EXPECT_EQ(metric_label_text(name), name);
}

TEST(MetricLabelText, MapsEachInvalidByteToHexText) {
    EXPECT_EQ(metric_label_text("a\xFF"
                                "b"),
              "a\\xFFb");
    EXPECT_EQ(metric_label_text("\x80"), "\\x80");                    // stray continuation
    EXPECT_EQ(metric_label_text("x\xC3"), "x\\xC3");                  // truncated at the end
    EXPECT_EQ(metric_label_text("\xC0\xAF"), "\\xC0\\xAF");           // overlong '/'
    EXPECT_EQ(metric_label_text("\xED\xA0\x80"), "\\xED\\xA0\\x80");  // a UTF-16 surrogate
    EXPECT_EQ(metric_label_text("\xF4\x90\x80\x80"), "\\xF4\\x90\\x80\\x80");  // > U+10FFFF
    EXPECT_EQ(metric_label_text(std::string("a\0b", 3)), "a\\x00b");
    // A valid sequence right after an invalid byte survives.
    EXPECT_EQ(metric_label_text("\xC3\xC3\xA9"), "\\xC3\xC3\xA9");
}

TEST(NormalizePipeName, ReplacesGuidsHexIdsAndDigitRuns) {
    EXPECT_EQ(normalize_pipe_name("mojo.5312.11896.5436016391658049848"), "mojo.<n>.<n>.<hex>");
    EXPECT_EQ(normalize_pipe_name("Winsock2\\CatalogChangeListener-3c4-0"),
              "Winsock<n>\\CatalogChangeListener-<n>c<n>-<n>");
    EXPECT_EQ(normalize_pipe_name("dotnet-diagnostic-{3F2504E0-4F89-11D3-9A0C-0305E82C3301}"),
              "dotnet-diagnostic-{<guid>}");
    EXPECT_EQ(normalize_pipe_name("crashpad_a1b2c3d4e5f60718_x"), "crashpad_<hex>_x");
    EXPECT_EQ(normalize_pipe_name("svcctl"), "svcctl");
    // A hex-looking word without digits is a word, not an id.
    EXPECT_EQ(normalize_pipe_name("deadbeefcafebabefeed"), "deadbeefcafebabefeed");
}

TEST(CatalogMetrics, EscapesBackslashQuoteAndNewlineInLabelValues) {
    auto snap = snapshot_of({pipe("a\\b\"c\nd", 2, 4)});
    const std::string text = catalog_metrics_text(snap, {});
    const auto lines = samples(text, "pipescope_pipe_current_instances");
    ASSERT_EQ(lines.size(), 1u) << text;
    EXPECT_NE(lines[0].find("name=\"a\\\\b\\\"c\\nd\""), std::string::npos) << lines[0];
    EXPECT_EQ(value_of(text, "pipescope_pipe_current_instances", "kind=\"named_pipe\""), 2);
}

TEST(CatalogMetrics, TextHasLfLineEndsNoBomAndValidUtf8) {
    auto snap = snapshot_of({pipe("bad\xFF\xFE", 1), pipe("ok\xC3\xA9", 1)});
    const std::string text = catalog_metrics_text(snap, {});
    ASSERT_FALSE(text.empty());
    EXPECT_EQ(text.find('\r'), std::string::npos);
    EXPECT_NE(text.compare(0, 3, "\xEF\xBB\xBF"), 0) << "a BOM";
    EXPECT_EQ(text.back(), '\n');
    EXPECT_EQ(metric_label_text(text), text) << "the output holds invalid UTF-8";
    EXPECT_NE(text.find("name=\"bad\\\\xFF\\\\xFE\""), std::string::npos) << text;
}

TEST(CatalogMetrics, MaxAndFullAreAbsentWhenUnlimitedOrUnknown) {
    auto snap = snapshot_of({pipe("limited", 3, 3), pipe("unlimited", 5, -1),
                             pipe("unknown", std::nullopt, std::nullopt)});
    const std::string text = catalog_metrics_text(snap, {});
    EXPECT_EQ(value_of(text, "pipescope_pipe_max_instances", "name=\"limited\""), 3);
    EXPECT_EQ(value_of(text, "pipescope_pipe_full", "name=\"limited\""), 1);
    EXPECT_EQ(samples(text, "pipescope_pipe_max_instances").size(), 1u) << text;
    EXPECT_EQ(samples(text, "pipescope_pipe_full").size(), 1u) << text;
    EXPECT_EQ(samples(text, "pipescope_pipe_current_instances").size(), 2u) << text;
    // server_processes and clients for every pipe, unknown counts or not
    EXPECT_EQ(samples(text, "pipescope_pipe_server_processes").size(), 3u) << text;
    EXPECT_EQ(samples(text, "pipescope_pipe_clients").size(), 3u) << text;
}

TEST(CatalogMetrics, FullIsZeroBelowTheLimit) {
    const std::string text = catalog_metrics_text(snapshot_of({pipe("half", 2, 4)}), {});
    EXPECT_EQ(value_of(text, "pipescope_pipe_full", "name=\"half\""), 0);
}

TEST(CatalogMetrics, ServerProcessesAndClientsComeFromTheCatalogFields) {
    PipeEntry sock = pipe("/run/x.sock", 3, std::nullopt, PipeKind::UnixStream);
    sock.server_processes = 2;
    sock.connections = 2;
    PipeEntry np = pipe("svc", 2, 10);
    np.server_processes = 1;
    np.client_pids = {{10, "a"}, {11, "b"}, {12, "c"}};
    const std::string text = catalog_metrics_text(snapshot_of({sock, np}), {});
    EXPECT_EQ(value_of(text, "pipescope_pipe_server_processes", "name=\"/run/x.sock\""), 2);
    EXPECT_EQ(value_of(text, "pipescope_pipe_clients", "name=\"/run/x.sock\""), 2);
    EXPECT_EQ(value_of(text, "pipescope_pipe_server_processes", "name=\"svc\""), 1);
    EXPECT_EQ(value_of(text, "pipescope_pipe_clients", "name=\"svc\""), 3);
}

TEST(CatalogMetrics, CountsPipesByKindWithZeroForKindsNotSeen) {
    auto snap = snapshot_of({pipe("a"), pipe("b"), pipe("/f", 1, std::nullopt, PipeKind::Fifo)});
    const std::string text = catalog_metrics_text(snap, {});
    EXPECT_EQ(value_of(text, "pipescope_pipes", "kind=\"named_pipe\""), 2);
    EXPECT_EQ(value_of(text, "pipescope_pipes", "kind=\"fifo\""), 1);
#ifdef _WIN32
    EXPECT_EQ(samples(text, "pipescope_pipes").size(), 2u) << text;
#else
    EXPECT_EQ(value_of(text, "pipescope_pipes", "kind=\"unix_seqpacket\""), 0) << text;
#endif
    EXPECT_DOUBLE_EQ(value_of(text, "pipescope_list_duration_seconds", ""), 0.0015);
}

TEST(CatalogMetrics, FilterKeepsOnlyMatchingPipes) {
    MetricsOptions o;
    o.filter = "SQL";
    const std::string text =
        catalog_metrics_text(snapshot_of({pipe("sql\\query"), pipe("other")}), o);
    EXPECT_EQ(samples(text, "pipescope_pipe_clients").size(), 1u) << text;
    EXPECT_EQ(value_of(text, "pipescope_pipes", "kind=\"named_pipe\""), 1);
}

TEST(CatalogMetrics, NormalizedNamesShareOneSeriesWithSummedCounts) {
    MetricsOptions o;
    o.normalize_names = true;
    auto snap = snapshot_of({pipe("mojo.11.22", 1, 1), pipe("mojo.33.44", 2, 4), pipe("x")});
    const std::string text = catalog_metrics_text(snap, o);
    EXPECT_EQ(value_of(text, "pipescope_pipe_current_instances", "name=\"mojo.<n>.<n>\""), 3);
    EXPECT_EQ(value_of(text, "pipescope_pipe_max_instances", "name=\"mojo.<n>.<n>\""), 5);
    EXPECT_EQ(value_of(text, "pipescope_pipe_full", "name=\"mojo.<n>.<n>\""), 1)
        << "one member is full";
    EXPECT_EQ(samples(text, "pipescope_pipe_clients").size(), 2u) << text;
    // Without the option each keeps its own series.
    EXPECT_EQ(samples(catalog_metrics_text(snap, {}), "pipescope_pipe_clients").size(), 3u);
}

// A pipe-name storm: 20,000 names. The per-pipe series stay at the cap, the pipes kept are the
// first by name, and pipescope_series_dropped counts every series left out.
TEST(CatalogMetrics, CapsSeriesAtMaxSeriesAndCountsTheRest) {
    std::vector<PipeEntry> entries;
    for (int i = 0; i < 20000; ++i) {
        char name[32];
        std::snprintf(name, sizeof name, "storm-%05d", i);
        entries.push_back(pipe(name, 1, 1));  // 5 series each: current, max, full, servers, clients
    }
    const auto snap = snapshot_of(std::move(entries));
    CatalogMetricsStats st;
    const std::string text = catalog_metrics_text(snap, {}, &st);  // default cap: 5,000
    EXPECT_EQ(st.pipes, 20000u);
    EXPECT_EQ(st.pipe_series, 5000u);
    EXPECT_EQ(st.series_dropped, 20000u * 5 - 5000);
    std::size_t per_pipe = 0;
    for (const char* f :
         {"pipescope_pipe_current_instances", "pipescope_pipe_max_instances", "pipescope_pipe_full",
          "pipescope_pipe_server_processes", "pipescope_pipe_clients"})
        per_pipe += samples(text, f).size();
    EXPECT_EQ(per_pipe, 5000u);
    EXPECT_EQ(value_of(text, "pipescope_series_dropped", ""), 95000);
    EXPECT_FALSE(std::isnan(value_of(text, "pipescope_pipe_clients", "name=\"storm-00000\"")));
    EXPECT_FALSE(std::isnan(value_of(text, "pipescope_pipe_clients", "name=\"storm-00999\"")));
    EXPECT_TRUE(std::isnan(value_of(text, "pipescope_pipe_clients", "name=\"storm-01000\"")));
    EXPECT_EQ(value_of(text, "pipescope_pipes", "kind=\"named_pipe\""), 20000)
        << "the totals count every pipe";
}

TEST(CatalogMetrics, CapKeepsWholePipesOnly) {
    MetricsOptions o;
    o.max_series = 7;  // one pipe of 5 series fits, the second does not
    CatalogMetricsStats st;
    const std::string text =
        catalog_metrics_text(snapshot_of({pipe("a", 1, 1), pipe("b", 1, 1)}), o, &st);
    EXPECT_EQ(st.pipe_series, 5u);
    EXPECT_EQ(st.series_dropped, 5u);
    EXPECT_TRUE(std::isnan(value_of(text, "pipescope_pipe_clients", "name=\"b\"")));
    o.max_series = 0;
    (void)catalog_metrics_text(snapshot_of({pipe("a", 1, 1)}), o, &st);
    EXPECT_EQ(st.pipe_series, 0u);
    EXPECT_EQ(st.series_dropped, 5u);
}

TEST(CatalogMetrics, CountsAddedAndRemovedAfterTheFirstSnapshotOnly) {
    CatalogMetrics m({}, /*long_running=*/true);
    auto first = std::make_shared<const Snapshot>(snapshot_of({pipe("a"), pipe("b")}));
    m.record(first, diff(Snapshot{}, *first));
    auto second = std::make_shared<const Snapshot>(snapshot_of({pipe("b"), pipe("c"), pipe("d")}));
    m.record(second, diff(*first, *second));
    const std::string text = m.text();
    EXPECT_EQ(value_of(text, "pipescope_pipes_added_total", ""), 2);
    EXPECT_EQ(value_of(text, "pipescope_pipes_removed_total", ""), 1);
    EXPECT_EQ(value_of(text, "pipescope_pipes", "kind=\"named_pipe\""), 3);
    // One-shot output has no such counters.
    EXPECT_TRUE(samples(catalog_metrics_text(*second, {}), "pipescope_pipes_added_total").empty());
}

TEST(CatalogMetrics, CountsFailedListingsAndFailedSources) {
    CatalogMetrics m({}, true);
    m.record_error();
    m.record_error();
    Snapshot s = snapshot_of({pipe("a")});
    s.sources_failed = static_cast<std::uint32_t>(CatalogSource::NtDirectory);
    auto snap = std::make_shared<const Snapshot>(s);
    m.record(snap, {});
    m.record(snap, {});
    m.record(snap, {});
    const std::string text = m.text();
    EXPECT_EQ(value_of(text, "pipescope_list_errors_total", "source=\"list\""), 2);
    EXPECT_EQ(value_of(text, "pipescope_list_errors_total", "source=\"nt_directory\""), 3);
    EXPECT_EQ(value_of(text, "pipescope_pipes", "kind=\"named_pipe\""), 1)
        << "the last good snapshot stays";
}

TEST(ListenAddress, ParsesTheFormsTheExporterTakes) {
    auto a = parse_listen_address("127.0.0.1:9724");
    ASSERT_TRUE(a.ok());
    EXPECT_EQ(a->host, "127.0.0.1");
    EXPECT_EQ(a->port, 9724);
    auto bare = parse_listen_address("9100");
    ASSERT_TRUE(bare.ok());
    EXPECT_EQ(bare->to_string(), "127.0.0.1:9100") << "loopback unless told otherwise";
    auto v6 = parse_listen_address("[::1]:0");
    ASSERT_TRUE(v6.ok());
    EXPECT_TRUE(v6->ipv6);
    EXPECT_EQ(v6->to_string(), "[::1]:0");
    EXPECT_EQ(parse_listen_address("localhost:80")->host, "127.0.0.1");
    EXPECT_EQ(parse_listen_address("0.0.0.0:9724")->host, "0.0.0.0");
}

TEST(ListenAddress, RejectsBadValuesNamingWhatIsWrong) {
    struct Case {
        const char* text;
        const char* says;
    };
    for (const Case& c : {Case{"", "empty"}, Case{"127.0.0.1", "no :PORT"},
                          Case{"127.0.0.1:70000", "not a port"}, Case{"1.2.3:80", "IPv4"},
                          Case{"256.0.0.1:80", "IPv4"}, Case{"example.com:80", "not looked up"},
                          Case{"::1:80", "brackets"}, Case{"[::1]80", "[ADDRESS]:PORT"},
                          Case{"127.0.0.1:-1", "not a port"}, Case{"99999", "0..65535"}}) {
        auto r = parse_listen_address(c.text);
        ASSERT_FALSE(r.ok()) << c.text;
        EXPECT_EQ(r.error().code, ErrorCode::InvalidArgument);
        const std::string msg = r.error().to_string();
        EXPECT_NE(msg.find(c.says), std::string::npos) << c.text << ": " << msg;
        EXPECT_NE(msg.find("Next:"), std::string::npos) << msg;
    }
}

TEST(ListenAddress, CheckReportsAPortInUseByName) {
    // Take a free port and keep it listening through the exporter's own check.
    auto first = parse_listen_address("127.0.0.1:0");
    ASSERT_TRUE(first.ok());
    ExporterOptions o;
    o.listen = *first;
    auto holder = MetricsExporter::start(o, {}, [] { return Result<Snapshot>(Snapshot{}); });
    ASSERT_TRUE(holder.ok()) << holder.error().to_string();
    ListenAddress taken = *first;
    taken.port = (*holder)->port();
    auto st = check_listen_address(taken);
    ASSERT_FALSE(st.ok()) << "port " << taken.port << " is held by the first exporter";
    EXPECT_EQ(st.error().code, ErrorCode::AlreadyExists);
    const std::string msg = st.error().to_string();
    EXPECT_NE(msg.find("port " + std::to_string(taken.port)), std::string::npos) << msg;
    EXPECT_NE(msg.find("Next:"), std::string::npos) << msg;
    // The exporter refuses it the same way, before civetweb sees it.
    ExporterOptions second;
    second.listen = taken;
    auto refused = MetricsExporter::start(second, {}, [] { return Result<Snapshot>(Snapshot{}); });
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().code, ErrorCode::AlreadyExists) << refused.error().to_string();
}

TEST(ListenAddress, CheckReportsAnAddressThatIsNotThisMachines) {
    // 192.0.2.1 is TEST-NET-1 (RFC 5737): never assigned to a host.
    auto st = check_listen_address(*parse_listen_address("192.0.2.1:0"));
    ASSERT_FALSE(st.ok());
    EXPECT_NE(st.error().to_string().find("not an address of this machine"), std::string::npos)
        << st.error().to_string();
}

BenchReport bench_report(std::uint64_t size, bool baseline) {
    BenchReport r;
    r.ok = true;
    r.transport = "unix";
    r.scenario.pattern = BenchPattern::PingPong;
    r.scenario.message_size = size;
    r.summary.elapsed_s = 2;
    r.summary.throughput_bytes_per_sec = 1e6;
    r.summary.messages_per_sec = 500;
    r.summary.errors = 3;
    r.summary.latency.count = 1000;
    r.summary.latency.min = 1000;
    r.summary.latency.p50 = 2000;
    r.summary.latency.p99 = 9000;
    r.summary.latency.max = 50000;
    r.summary.latency.mean = 2500;
    if (baseline) {
        BaselineSummary b;
        b.ok = true;
        b.throughput_bytes_per_sec = 2e6;
        b.messages_per_sec = 1000;
        b.latency.count = 10;
        b.latency.p50 = 1000;
        b.throughput_ratio = 0.5;
        b.p50_ratio = 2;
        r.baseline = b;
    }
    return r;
}

TEST(BenchMetrics, LabelsTheScenarioAndWritesQuantilesInSeconds) {
    const std::string text = bench_metrics_text({bench_report(64, false)});
    const std::string l =
        "io=\"sync\",pattern=\"pingpong\",peer=\"thread\",size=\"64\","
        "transport=\"unix\",type=\"byte\"";
    EXPECT_EQ(value_of(text, "pipescope_bench_throughput_bytes_per_second", l), 1e6) << text;
    EXPECT_EQ(value_of(text, "pipescope_bench_messages_per_second", l), 500);
    EXPECT_EQ(value_of(text, "pipescope_bench_errors", l), 3);
    EXPECT_DOUBLE_EQ(value_of(text, "pipescope_bench_latency_seconds", "quantile=\"0.5\""), 2e-6);
    EXPECT_DOUBLE_EQ(value_of(text, "pipescope_bench_latency_seconds", "quantile=\"1\""), 5e-5);
    EXPECT_EQ(value_of(text, "pipescope_bench_latency_seconds_count", l), 1000);
    EXPECT_TRUE(samples(text, "pipescope_bench_baseline_throughput_ratio").empty())
        << "no baseline was asked for";
}

TEST(BenchMetrics, WritesTheBaselineRatios) {
    const std::string text = bench_metrics_text({bench_report(64, true)});
    EXPECT_EQ(value_of(text, "pipescope_bench_baseline_throughput_ratio", "size=\"64\""), 0.5);
    EXPECT_EQ(value_of(text, "pipescope_bench_baseline_p50_ratio", "size=\"64\""), 2);
    EXPECT_DOUBLE_EQ(value_of(text, "pipescope_bench_baseline_latency_p50_seconds", ""), 1e-6);
}

TEST(BenchMetrics, SweepRunsWithTheSameLabelsGetARunLabel) {
    const std::string distinct =
        bench_metrics_text({bench_report(64, false), bench_report(128, false)});
    EXPECT_EQ(distinct.find("run=\""), std::string::npos);
    const std::string same = bench_metrics_text({bench_report(64, false), bench_report(64, false)});
    EXPECT_EQ(samples(same, "pipescope_bench_ok").size(), 2u);
    EXPECT_NE(same.find("run=\"1\""), std::string::npos) << same;
}

}  // namespace
