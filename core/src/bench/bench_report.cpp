// Summaries, report JSON/CSV and run comparison.
#include <cstdio>
#include <sstream>

#include <nlohmann/json.hpp>

#include "pipescope/bench.hpp"
#include "base/json_number.hpp"

namespace pipescope::core {

Result<Scenario> scenario_from_json_value(const nlohmann::json& j);  // bench_scenario.cpp

using nlohmann::json;

LatencySummary summarize(const LatencyHistogram& h) {
    LatencySummary s;
    s.count = h.count();
    s.min = h.min();
    s.max = h.max();
    s.mean = h.mean();
    s.stdev = h.stdev();
    s.p50 = h.percentile(50);
    s.p90 = h.percentile(90);
    s.p99 = h.percentile(99);
    s.p999 = h.percentile(99.9);
    s.p9999 = h.percentile(99.99);
    return s;
}

std::vector<LatencyBar> latency_bars(const LatencyHistogram& h) {
    // Bars are aligned to quarter octaves, and a histogram bucket (1/128 of an octave, or one
    // exact value below 256 ns) never straddles one, so each bucket falls in exactly one bar.
    auto bar_upper = [](std::uint64_t v) -> std::uint64_t {
        if (v < 4) return v;
        const int msb = 63 - __builtin_clzll(v);
        const int shift = msb - 2;
        const std::uint64_t quarter = v >> shift;  // 4..7
        return ((quarter + 1) << shift) - 1;
    };
    std::vector<LatencyBar> bars;
    for (const auto& [index, n] : h.nonzero_buckets()) {
        const std::uint64_t upper = bar_upper(LatencyHistogram::bucket_lower(index));
        if (!bars.empty() && bars.back().upper_ns == upper)
            bars.back().count += n;
        else
            bars.push_back({upper, n});
    }
    return bars;
}

std::string_view to_string(BenchState s) {
    switch (s) {
        case BenchState::Idle:
            return "idle";
        case BenchState::Running:
            return "running";
        case BenchState::Finished:
            return "finished";
        case BenchState::Failed:
            return "failed";
        case BenchState::Cancelled:
            return "cancelled";
    }
    return "?";
}

namespace {
json side_json(const SideTotals& t) {
    return {{"bytes_sent", t.bytes_sent},
            {"bytes_received", t.bytes_received},
            {"messages_sent", t.messages_sent},
            {"messages_received", t.messages_received},
            {"cpu_s", t.cpu_s}};
}
// A counter that is not a whole number from 0 to 2^64-1 (nlohmann's get<std::uint64_t>() on
// 1e30 is undefined behaviour, on -1 a silent wrap). Thrown and caught in report_from_json only.
struct BadCounter {
    std::string key;
};
std::uint64_t counter(const json& v, const char* key) {
    if (auto n = detail::json_whole_number<std::uint64_t>(v)) return *n;
    throw BadCounter{key};
}
// obj[key] as a counter; a missing key is 0. `obj` must be an object.
std::uint64_t counter_or_0(const json& obj, const char* key) {
    if (!obj.is_object()) throw BadCounter{key};
    const auto it = obj.find(key);
    return it == obj.end() ? 0 : counter(*it, key);
}
std::uint64_t counter_at(const json& obj, const char* key) {
    return counter(obj.at(key), key);
}

json latency_json(const LatencySummary& l) {
    return {{"count", l.count}, {"min", l.min},    {"p50", l.p50},     {"p90", l.p90},
            {"p99", l.p99},     {"p999", l.p999},  {"p9999", l.p9999}, {"max", l.max},
            {"mean", l.mean},   {"stdev", l.stdev}};
}

// latency_json read back. `required`: the run's own summary, whose percentiles and mean must be
// there; otherwise (the optional baseline) a missing figure reads as 0.
LatencySummary latency_from_json(const json& l, bool required) {
    auto figure = [&](const char* key) {
        return required ? counter_at(l, key) : counter_or_0(l, key);
    };
    LatencySummary x;
    x.count = counter_or_0(l, "count");
    x.min = figure("min");
    x.p50 = figure("p50");
    x.p90 = figure("p90");
    x.p99 = figure("p99");
    x.p999 = figure("p999");
    x.p9999 = figure("p9999");
    x.max = figure("max");
    x.mean = required ? l.at("mean").get<double>() : l.value("mean", 0.0);
    x.stdev = l.value("stdev", 0.0);
    return x;
}

// A ratio is a number >= 0, or null for "not known" (stored as 0).
json ratio_json(double x) {
    return x > 0 ? json(x) : json(nullptr);
}
double ratio_from(const json& obj, const char* key) {
    const auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) return 0;
    const double x = it->get<double>();  // throws on a non-number, caught by the caller
    if (!(x >= 0)) throw BadCounter{key};
    return x;
}

json baseline_json(const BaselineSummary& b) {
    return {{"ok", b.ok},
            {"error", b.error},
            {"placement", b.placement},
            {"elapsed_s", b.elapsed_s},
            {"throughput_bytes_per_sec", b.throughput_bytes_per_sec},
            {"messages_per_sec", b.messages_per_sec},
            {"bytes_received", b.bytes_received},
            {"latency_ns", latency_json(b.latency)},
            {"throughput_ratio", ratio_json(b.throughput_ratio)},
            {"p50_ratio", ratio_json(b.p50_ratio)},
            {"halves_apart", b.halves_apart}};
}

// Every field optional (a failed baseline has only ok and error); counters checked like the
// report's own.
BaselineSummary baseline_from(const json& j) {
    if (!j.is_object()) throw BadCounter{"baseline"};
    BaselineSummary b;
    b.ok = j.value("ok", false);
    b.error = j.value("error", std::string());
    b.placement = j.value("placement", std::string());
    b.elapsed_s = j.value("elapsed_s", 0.0);
    b.throughput_bytes_per_sec = j.value("throughput_bytes_per_sec", 0.0);
    b.messages_per_sec = j.value("messages_per_sec", 0.0);
    b.bytes_received = counter_or_0(j, "bytes_received");
    if (const auto it = j.find("latency_ns"); it != j.end())
        b.latency = latency_from_json(*it, /*required=*/false);
    b.throughput_ratio = ratio_from(j, "throughput_ratio");
    b.p50_ratio = ratio_from(j, "p50_ratio");
    b.halves_apart = ratio_from(j, "halves_apart");  // older reports have none: 0
    return b;
}

SideTotals side_from(const json& j) {
    SideTotals t;
    t.bytes_sent = counter_or_0(j, "bytes_sent");
    t.bytes_received = counter_or_0(j, "bytes_received");
    t.messages_sent = counter_or_0(j, "messages_sent");
    t.messages_received = counter_or_0(j, "messages_received");
    t.cpu_s = j.value("cpu_s", 0.0);
    return t;
}
}  // namespace

std::string report_to_json(const BenchReport& r, int indent) {
    const Summary& s = r.summary;
    json j;
    j["ok"] = r.ok;
    j["error"] = r.error;
    j["transport"] = r.transport;
    j["placement"] = r.placement;
    j["platform"] = r.platform;
    j["elapsed_s"] = s.elapsed_s;
    j["throughput_bytes_per_sec"] = s.throughput_bytes_per_sec;
    j["messages_per_sec"] = s.messages_per_sec;
    j["latency_ns"] = latency_json(s.latency);
    j["bytes_sent"] = s.bytes_sent;
    j["bytes_received"] = s.bytes_received;
    j["errors"] = s.errors;
    j["integrity"] = {{"checked", s.integrity.checked},
                      {"lost", s.integrity.lost},
                      {"duplicated", s.integrity.duplicated},
                      {"reordered", s.integrity.reordered},
                      {"corrupted", s.integrity.corrupted}};
    j["engine"] = side_json(s.engine);
    j["peer"] = side_json(s.peer);
    json iv = json::array();
    for (const auto& i : r.intervals)
        iv.push_back({{"start_s", i.start_s},
                      {"end_s", i.end_s},
                      {"bytes_per_sec", i.bytes_per_sec},
                      {"messages_per_sec", i.messages_per_sec},
                      {"p50_ns", i.p50_ns},
                      {"p99_ns", i.p99_ns},
                      {"max_ns", i.max_ns}});
    j["intervals"] = iv;
    json bars = json::array();
    for (const auto& b : r.latency_bars)
        bars.push_back({{"upper_ns", b.upper_ns}, {"count", b.count}});
    j["latency_histogram"] = bars;
    j["scenario"] = json::parse(scenario_to_json(r.scenario));
    if (r.baseline) j["baseline"] = baseline_json(*r.baseline);
    return j.dump(indent);
}

Result<BenchReport> report_from_json(std::string_view text) {
    json j = json::parse(text.begin(), text.end(), nullptr, false);
    if (j.is_discarded() || !j.is_object())
        return make_error(ErrorCode::InvalidArgument, "report_from_json", "report",
                          "not a JSON report");
    BenchReport r;
    try {
        r.ok = j.value("ok", false);
        r.error = j.value("error", std::string());
        r.transport = j.value("transport", std::string());
        r.placement = j.value("placement", std::string());
        r.platform = j.value("platform", std::string());
        Summary& s = r.summary;
        s.elapsed_s = j.value("elapsed_s", 0.0);
        s.throughput_bytes_per_sec = j.at("throughput_bytes_per_sec").get<double>();
        s.messages_per_sec = j.at("messages_per_sec").get<double>();
        s.latency = latency_from_json(j.at("latency_ns"), /*required=*/true);
        s.bytes_sent = counter_at(j, "bytes_sent");
        s.bytes_received = counter_at(j, "bytes_received");
        s.errors = counter_at(j, "errors");
        if (j.contains("integrity")) {
            const auto& in = j["integrity"];
            s.integrity.checked = counter_or_0(in, "checked");
            s.integrity.lost = counter_or_0(in, "lost");
            s.integrity.duplicated = counter_or_0(in, "duplicated");
            s.integrity.reordered = counter_or_0(in, "reordered");
            s.integrity.corrupted = counter_or_0(in, "corrupted");
        }
        if (j.contains("engine")) s.engine = side_from(j["engine"]);
        if (j.contains("peer")) s.peer = side_from(j["peer"]);
        for (const auto& i : j.value("intervals", json::array())) {
            IntervalSample is;
            is.start_s = i.value("start_s", 0.0);
            is.end_s = i.value("end_s", 0.0);
            is.bytes_per_sec = i.value("bytes_per_sec", 0.0);
            is.messages_per_sec = i.value("messages_per_sec", 0.0);
            is.p50_ns = counter_or_0(i, "p50_ns");
            is.p99_ns = counter_or_0(i, "p99_ns");
            is.max_ns = counter_or_0(i, "max_ns");
            r.intervals.push_back(is);
        }
        for (const auto& b : j.value("latency_histogram", json::array())) {
            r.latency_bars.push_back({counter_at(b, "upper_ns"), counter_at(b, "count")});
        }
        if (const auto it = j.find("baseline"); it != j.end() && !it->is_null())
            r.baseline = baseline_from(*it);
        auto sc = scenario_from_json_value(j.at("scenario"));
        if (!sc) return std::move(sc).error();
        r.scenario = std::move(sc).value();
    } catch (const json::exception& e) {
        return make_error(ErrorCode::InvalidArgument, "report_from_json", "report",
                          std::string("missing or mistyped field: ") + e.what());
    } catch (const BadCounter& e) {
        return make_error(ErrorCode::InvalidArgument, "report_from_json", "report",
                          "'" + e.key + "' must be a whole number from 0 to 2^64-1 (in an object)");
    }
    return r;
}

std::string intervals_to_csv(const BenchReport& r) {
    std::ostringstream o;
    o << "start_s,end_s,bytes_per_sec,messages_per_sec,p50_ns,p99_ns,max_ns\n";
    char line[256];
    for (const auto& i : r.intervals) {
        std::snprintf(
            line, sizeof line, "%.3f,%.3f,%.0f,%.1f,%llu,%llu,%llu\n", i.start_s, i.end_s,
            i.bytes_per_sec, i.messages_per_sec, static_cast<unsigned long long>(i.p50_ns),
            static_cast<unsigned long long>(i.p99_ns), static_cast<unsigned long long>(i.max_ns));
        o << line;
    }
    return o.str();
}

std::string summaries_to_csv(const std::vector<BenchReport>& rs) {
    std::ostringstream o;
    o << "transport,io,type,pattern,message_size,clients,inflight,cpu,ok,"
         "throughput_bytes_per_sec,messages_per_sec,min_ns,p50_ns,p90_ns,p99_ns,p999_ns,"
         "p9999_ns,max_ns,mean_ns,bytes_sent,bytes_received,errors\n";
    char line[512];
    for (const auto& r : rs) {
        const auto& s = r.summary;
        std::snprintf(line, sizeof line,
                      "%s,%s,%s,%s,%llu,%d,%d,%s,%d,%.0f,%.1f,%llu,%llu,%llu,%llu,%llu,%llu,%llu,"
                      "%.0f,%llu,%llu,%llu\n",
                      r.transport.c_str(), std::string(to_string(r.scenario.io)).c_str(),
                      std::string(to_string(r.scenario.type)).c_str(),
                      std::string(to_string(r.scenario.pattern)).c_str(),
                      static_cast<unsigned long long>(r.scenario.message_size), r.scenario.clients,
                      r.scenario.inflight, std::string(to_string(r.scenario.cpu)).c_str(),
                      r.ok ? 1 : 0, s.throughput_bytes_per_sec, s.messages_per_sec,
                      static_cast<unsigned long long>(s.latency.min),
                      static_cast<unsigned long long>(s.latency.p50),
                      static_cast<unsigned long long>(s.latency.p90),
                      static_cast<unsigned long long>(s.latency.p99),
                      static_cast<unsigned long long>(s.latency.p999),
                      static_cast<unsigned long long>(s.latency.p9999),
                      static_cast<unsigned long long>(s.latency.max), s.latency.mean,
                      static_cast<unsigned long long>(s.bytes_sent),
                      static_cast<unsigned long long>(s.bytes_received),
                      static_cast<unsigned long long>(s.errors));
        o << line;
    }
    return o.str();
}

std::string compare_reports(const BenchReport& a, const BenchReport& b) {
    std::ostringstream o;
    char line[256];
    std::snprintf(line, sizeof line, "%-26s %16s %16s %8s\n", "metric", "a", "b", "b/a");
    o << line;
    auto row = [&](const char* name, double x, double y) {
        const double ratio = x != 0 ? y / x : 0;
        std::snprintf(line, sizeof line, "%-26s %16.1f %16.1f %8.3f\n", name, x, y, ratio);
        o << line;
    };
    const auto& x = a.summary;
    const auto& y = b.summary;
    row("throughput_bytes_per_sec", x.throughput_bytes_per_sec, y.throughput_bytes_per_sec);
    row("messages_per_sec", x.messages_per_sec, y.messages_per_sec);
    row("latency_ns.min", double(x.latency.min), double(y.latency.min));
    row("latency_ns.p50", double(x.latency.p50), double(y.latency.p50));
    row("latency_ns.p90", double(x.latency.p90), double(y.latency.p90));
    row("latency_ns.p99", double(x.latency.p99), double(y.latency.p99));
    row("latency_ns.p999", double(x.latency.p999), double(y.latency.p999));
    row("latency_ns.max", double(x.latency.max), double(y.latency.max));
    row("latency_ns.mean", x.latency.mean, y.latency.mean);
    row("errors", double(x.errors), double(y.errors));
    // The raw loops next to each run (bench --baseline): figures and engine/raw ratios.
    if (a.baseline || b.baseline) {
        static const BaselineSummary none;
        const BaselineSummary& p = a.baseline ? *a.baseline : none;
        const BaselineSummary& q = b.baseline ? *b.baseline : none;
        row("baseline.throughput_b/s", p.throughput_bytes_per_sec, q.throughput_bytes_per_sec);
        row("baseline.latency_ns.p50", double(p.latency.p50), double(q.latency.p50));
        auto ratio_row = [&](const char* name, double u, double v) {
            char cu[32] = "-", cv[32] = "-";
            if (u > 0) std::snprintf(cu, sizeof cu, "%.3f", u);
            if (v > 0) std::snprintf(cv, sizeof cv, "%.3f", v);
            std::snprintf(line, sizeof line, "%-26s %16s %16s\n", name, cu, cv);
            o << line;
        };
        ratio_row("baseline.throughput_ratio", p.throughput_ratio, q.throughput_ratio);
        ratio_row("baseline.p50_ratio", p.p50_ratio, q.p50_ratio);
        auto note = [&](const char* side, const std::optional<BaselineSummary>& bs) {
            if (!bs)
                o << "baseline " << side << ": none asked\n";
            else if (!bs->ok)
                o << "baseline " << side << ": none (" << bs->error << ")\n";
        };
        note("a", a.baseline);
        note("b", b.baseline);
    }
    return o.str();
}

}  // namespace pipescope::core
