// The pipe catalog as Prometheus metric families.
#include <algorithm>
#include <map>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <prometheus/text_serializer.h>

#include "metrics/metrics_internal.hpp"
#include "pipescope/catalog_export.hpp"

namespace pipescope::core {
namespace {

using detail::add_counter;
using detail::add_gauge;
using detail::make_family;
using prometheus::MetricType;

// The kinds this platform lists: pipescope_pipes has a sample for each, zero or not, so an
// alert on a kind never sees the series vanish.
std::vector<PipeKind> platform_kinds() {
#ifdef _WIN32
    return {PipeKind::NamedPipe};
#else
    return {PipeKind::UnixStream, PipeKind::UnixSeqpacket, PipeKind::UnixDgram, PipeKind::Fifo};
#endif
}

bool is_socket(PipeKind k) {
    return k == PipeKind::UnixStream || k == PipeKind::UnixSeqpacket || k == PipeKind::UnixDgram;
}

// One per-pipe series set: the pipes that share a (name label, kind) after the UTF-8 rule and
// normalisation, combined.
struct PipeSeries {
    std::string name;
    std::string kind;
    std::optional<std::int64_t> current;  // sum of the known counts
    std::int64_t max_sum = 0;
    bool max_all_limited = true;  // every member has a known, limited max
    bool any_full = false;
    bool any_full_known = false;  // some member has both counts
    std::uint64_t server_processes = 0;
    std::uint64_t clients = 0;

    void add(const PipeEntry& e) {
        if (e.current_instances) current = current.value_or(0) + *e.current_instances;
        const bool limited = e.max_instances && *e.max_instances >= 0;
        if (limited)
            max_sum += *e.max_instances;
        else
            max_all_limited = false;
        if (limited && e.current_instances) {
            any_full_known = true;
            any_full = any_full || *e.current_instances >= *e.max_instances;
        }
        server_processes += e.server_processes;
        clients += is_socket(e.kind) ? e.connections : e.client_pids.size();
    }
    [[nodiscard]] std::size_t series() const {
        // server_processes and clients always; the other three when known
        return 2u + (current ? 1u : 0u) + (max_all_limited ? 1u : 0u) + (any_full_known ? 1u : 0u);
    }
};

std::vector<PipeSeries> group_pipes(const Snapshot& snap, const MetricsOptions& o,
                                    std::size_t& shown) {
    std::map<std::pair<std::string, std::string>, PipeSeries> groups;
    shown = 0;
    for (const auto& e : snap.entries) {
        if (!entry_matches(e, o.filter)) continue;
        ++shown;
        std::string name = metric_label_text(e.name);
        if (o.normalize_names) name = normalize_pipe_name(name);
        std::string kind(kind_id(e.kind));
        auto [it, inserted] = groups.try_emplace({name, kind});
        if (inserted) {
            it->second.name = std::move(name);
            it->second.kind = std::move(kind);
        }
        it->second.add(e);
    }
    std::vector<PipeSeries> out;
    out.reserve(groups.size());
    for (auto& [key, g] : groups) out.push_back(std::move(g));
    return out;  // ordered by name label, then kind (the map's order)
}

struct PerPipeFamilies {
    prometheus::MetricFamily current = make_family(
        "pipescope_pipe_current_instances",
        "Instances of the pipe (Windows), sockets at the name (Linux: listener plus connections), "
        "FIFO holders",
        MetricType::Gauge);
    prometheus::MetricFamily max = make_family(
        "pipescope_pipe_max_instances",
        "Maximum instances the pipe's server allows; absent when unlimited or not known",
        MetricType::Gauge);
    prometheus::MetricFamily full = make_family(
        "pipescope_pipe_full",
        "1 when current instances equal the maximum (a server that creates all its instances up "
        "front reads as full)",
        MetricType::Gauge);
    prometheus::MetricFamily servers = make_family(
        "pipescope_pipe_server_processes",
        "Processes serving the name through different pipe objects; more than 1 means another "
        "process squats on or shares the name",
        MetricType::Gauge);
    prometheus::MetricFamily clients = make_family(
        "pipescope_pipe_clients",
        "Connected clients: accepted connections (sockets), processes holding a client end "
        "(named pipes), writer processes (FIFOs)",
        MetricType::Gauge);
};

void add_pipe(PerPipeFamilies& f, const PipeSeries& p) {
    auto labels = [&] { return detail::Labels{{"kind", p.kind}, {"name", p.name}}; };
    if (p.current) add_gauge(f.current, labels(), static_cast<double>(*p.current));
    if (p.max_all_limited) add_gauge(f.max, labels(), static_cast<double>(p.max_sum));
    if (p.any_full_known) add_gauge(f.full, labels(), p.any_full ? 1.0 : 0.0);
    add_gauge(f.servers, labels(), static_cast<double>(p.server_processes));
    add_gauge(f.clients, labels(), static_cast<double>(p.clients));
}

struct RenderInput {
    const Snapshot* snapshot = nullptr;
    bool long_running = false;
    std::uint64_t added = 0, removed = 0;
    std::map<std::string, std::uint64_t> errors;
};

std::vector<prometheus::MetricFamily> render(const RenderInput& in, const MetricsOptions& o,
                                             CatalogMetricsStats* stats) {
    std::vector<prometheus::MetricFamily> out;
    CatalogMetricsStats st;

    auto pipes = make_family("pipescope_pipes", "Pipes listed, by kind (after the filter)",
                             MetricType::Gauge);
    std::vector<PipeSeries> groups;
    if (in.snapshot) {
        groups = group_pipes(*in.snapshot, o, st.pipes);
        std::map<std::string, std::size_t> by_kind;
        for (PipeKind k : platform_kinds()) by_kind[std::string(kind_id(k))] = 0;
        for (const auto& e : in.snapshot->entries)
            if (entry_matches(e, o.filter)) ++by_kind[std::string(kind_id(e.kind))];
        for (const auto& [kind, n] : by_kind)
            add_gauge(pipes, {{"kind", kind}}, static_cast<double>(n));
        out.push_back(std::move(pipes));

        auto duration =
            make_family("pipescope_list_duration_seconds",
                        "How long the last listing of the pipes took", MetricType::Gauge);
        add_gauge(duration, {}, std::chrono::duration<double>(in.snapshot->list_duration).count());
        out.push_back(std::move(duration));
    }

    auto errors = make_family(
        "pipescope_list_errors_total",
        "Listings that failed (source=list) and sources of a listing that could not list",
        MetricType::Counter);
    for (const auto& [source, n] : in.errors)
        add_counter(errors, {{"source", source}}, static_cast<double>(n));
    if (errors.metric.empty()) add_counter(errors, {{"source", "list"}}, 0);
    out.push_back(std::move(errors));

    if (in.long_running) {
        auto added =
            make_family("pipescope_pipes_added_total",
                        "Pipes that appeared since the exporter started", MetricType::Counter);
        add_counter(added, {}, static_cast<double>(in.added));
        out.push_back(std::move(added));
        auto removed =
            make_family("pipescope_pipes_removed_total",
                        "Pipes that went away since the exporter started", MetricType::Counter);
        add_counter(removed, {}, static_cast<double>(in.removed));
        out.push_back(std::move(removed));
    }

    PerPipeFamilies f;
    std::size_t kept = 0;
    std::size_t i = 0;
    for (; i < groups.size(); ++i) {
        const std::size_t n = groups[i].series();
        if (kept + n > o.max_series) break;  // keep a prefix in name order: no gaps
        add_pipe(f, groups[i]);
        kept += n;
    }
    for (; i < groups.size(); ++i) st.series_dropped += groups[i].series();
    st.pipe_series = kept;

    auto dropped =
        make_family("pipescope_series_dropped",
                    "Per-pipe series left out by the series cap (--max-series)", MetricType::Gauge);
    add_gauge(dropped, {}, static_cast<double>(st.series_dropped));
    out.push_back(std::move(dropped));
    for (auto* fam : {&f.current, &f.max, &f.full, &f.servers, &f.clients})
        if (!fam->metric.empty()) out.push_back(std::move(*fam));

    if (stats) *stats = st;
    return out;
}

void count_failed_sources(const Snapshot& snap, std::map<std::string, std::uint64_t>& errors) {
    for (std::uint32_t bit = 1; bit != 0 && bit <= snap.sources_failed; bit <<= 1) {
        if ((snap.sources_failed & bit) != 0)
            ++errors[std::string(to_string(static_cast<CatalogSource>(bit)))];
    }
}

}  // namespace

namespace detail {
std::string serialize_text(const std::vector<prometheus::MetricFamily>& families) {
    return prometheus::TextSerializer().Serialize(families);
}
}  // namespace detail

CatalogMetrics::CatalogMetrics(MetricsOptions options, bool long_running)
    : options_(std::move(options)), long_running_(long_running) {}

void CatalogMetrics::record(std::shared_ptr<const Snapshot> snapshot, const SnapshotDiff& diff) {
    std::lock_guard lock(mutex_);
    if (!snapshot) return;
    if (seen_first_) {
        for (const auto& e : diff.added) added_ += entry_matches(e, options_.filter) ? 1 : 0;
        for (const auto& e : diff.removed) removed_ += entry_matches(e, options_.filter) ? 1 : 0;
    }
    seen_first_ = true;
    count_failed_sources(*snapshot, errors_);
    snapshot_ = std::move(snapshot);
}

void CatalogMetrics::record_error() {
    std::lock_guard lock(mutex_);
    ++errors_["list"];
}

bool CatalogMetrics::has_snapshot() const {
    std::lock_guard lock(mutex_);
    return snapshot_ != nullptr;
}

std::unique_ptr<CatalogMetrics::Families> CatalogMetrics::families(
    CatalogMetricsStats* stats) const {
    RenderInput in;
    std::shared_ptr<const Snapshot> keep;
    {
        std::lock_guard lock(mutex_);
        keep = snapshot_;
        in.long_running = long_running_;
        in.added = added_;
        in.removed = removed_;
        in.errors = errors_;
    }
    in.snapshot = keep.get();  // rendered outside the lock: the snapshot is immutable
    auto out = std::make_unique<Families>();
    out->families = render(in, options_, stats);
    return out;
}

std::string CatalogMetrics::text(CatalogMetricsStats* stats) const {
    return detail::serialize_text(families(stats)->families);
}

std::string catalog_metrics_text(const Snapshot& snapshot, const MetricsOptions& options,
                                 CatalogMetricsStats* stats) {
    RenderInput in;
    in.snapshot = &snapshot;
    count_failed_sources(snapshot, in.errors);
    return detail::serialize_text(render(in, options, stats));
}

std::string metrics_file_error(const Error& e) {
    std::string subject = e.subject;
    if (const auto tmp = subject.rfind(".tmp-"); tmp != std::string::npos) subject.resize(tmp);
    const std::string code = e.os_code_text();
    return "error: --metrics: cannot write " + subject + " (" + e.api +
           (code.empty() ? "" : ": " + code) +
           "). Next: check that the folder exists and that you may write there; the previous "
           "file, if any, is unchanged";
}

}  // namespace pipescope::core
