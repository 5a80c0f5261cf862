// What the metrics sources share: prometheus-cpp's data model behind CatalogMetrics::Families,
// and small builders. Internal to the core.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <prometheus/client_metric.h>
#include <prometheus/metric_family.h>

#include "pipescope/metrics.hpp"

namespace pipescope::core {

struct CatalogMetrics::Families {
    std::vector<prometheus::MetricFamily> families;
};

namespace detail {

using Labels = std::vector<prometheus::ClientMetric::Label>;

inline prometheus::MetricFamily make_family(std::string name, std::string help,
                                            prometheus::MetricType type) {
    prometheus::MetricFamily f;
    f.name = std::move(name);
    f.help = std::move(help);  // no backslash or newline: prometheus-cpp 1.0 does not escape it
    f.type = type;
    return f;
}

inline void add_gauge(prometheus::MetricFamily& f, Labels labels, double value) {
    prometheus::ClientMetric m;
    m.label = std::move(labels);
    m.gauge.value = value;
    f.metric.push_back(std::move(m));
}

inline void add_counter(prometheus::MetricFamily& f, Labels labels, double value) {
    prometheus::ClientMetric m;
    m.label = std::move(labels);
    m.counter.value = value;
    f.metric.push_back(std::move(m));
}

// prometheus-cpp's TextSerializer over the families (LF line ends).
[[nodiscard]] std::string serialize_text(const std::vector<prometheus::MetricFamily>& families);

// What binding a TCP socket to a listen address found (listen_check_posix / _win32.cpp).
enum class BindProblem { None, InUse, NotLocal, Denied, Other };
struct BindOutcome {
    BindProblem problem = BindProblem::None;
    OsCodeKind os_kind = OsCodeKind::None;
    std::int64_t os_code = 0;
    std::string api;      // "bind", "socket", "WSAStartup"
    std::string os_name;  // "EADDRINUSE", "WSAEADDRINUSE"
};
// Binds a TCP socket to the address with the options civetweb uses (SO_REUSEADDR on POSIX, so
// a port left in TIME_WAIT is not reported in use; SO_EXCLUSIVEADDRUSE on Windows) and closes
// it. Any thread.
[[nodiscard]] BindOutcome try_bind(const ListenAddress& address);

}  // namespace detail
}  // namespace pipescope::core
