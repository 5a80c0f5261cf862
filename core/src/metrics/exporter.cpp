// The HTTP exporter: prometheus-cpp's pull Exposer (civetweb) serving CatalogMetrics at
// /metrics, with the catalog's watcher refreshing them. Also --listen parsing and the port
// check that runs before civetweb is given the address.
#include <atomic>
#include <charconv>
#include <exception>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <prometheus/collectable.h>
#include <prometheus/exposer.h>

#include "metrics/metrics_internal.hpp"

namespace pipescope::core {
namespace {

Error bad_listen(std::string_view text, std::string why) {
    return make_error(ErrorCode::InvalidArgument, "--listen", std::string(text),
                      std::move(why) +
                          ". Next: give HOST:PORT with a numeric address, e.g. 127.0.0.1:9724, "
                          "0.0.0.0:9724 (every interface) or [::1]:9724, or a bare port");
}

bool parse_port(std::string_view s, std::uint16_t& port) {
    if (s.empty() || s.size() > 5) return false;
    unsigned value = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
    if (ec != std::errc{} || end != s.data() + s.size() || value > 65535) return false;
    port = static_cast<std::uint16_t>(value);
    return true;
}

// Dotted IPv4 with four parts of 0..255, no leading zeros beyond a single "0".
bool is_ipv4(std::string_view s) {
    int parts = 0;
    std::size_t i = 0;
    while (parts < 4) {
        std::size_t j = i;
        while (j < s.size() && s[j] >= '0' && s[j] <= '9') ++j;
        if (j == i || j - i > 3 || (j - i > 1 && s[i] == '0')) return false;
        unsigned v = 0;
        std::from_chars(s.data() + i, s.data() + j, v);
        if (v > 255) return false;
        ++parts;
        if (parts < 4) {
            if (j >= s.size() || s[j] != '.') return false;
            i = j + 1;
        } else if (j != s.size()) {
            return false;
        }
    }
    return true;
}

bool is_ipv6_text(std::string_view s) {
    if (s.empty() || s.size() > 45) return false;
    for (char c : s) {
        const bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
                        (c >= 'A' && c <= 'F') || c == ':' || c == '.';
        if (!ok) return false;
    }
    return s.find(':') != std::string_view::npos;
}

// The exporter's families for prometheus-cpp; the exposer holds it through a weak_ptr.
class CatalogCollectable final : public prometheus::Collectable {
  public:
    explicit CatalogCollectable(const CatalogMetrics& metrics) : metrics_(metrics) {}
    std::vector<prometheus::MetricFamily> Collect() const override {
        try {
            return std::move(metrics_.families()->families);
        } catch (...) {
            return {};  // an exception must not reach civetweb's thread
        }
    }

  private:
    const CatalogMetrics& metrics_;
};

}  // namespace

std::string ListenAddress::to_string() const {
    return (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

Result<ListenAddress> parse_listen_address(std::string_view text) {
    ListenAddress a;
    if (text.empty()) return bad_listen(text, "the address is empty");
    if (text.find_first_not_of("0123456789") == std::string_view::npos) {
        if (!parse_port(text, a.port)) return bad_listen(text, "the port is not in 0..65535");
        a.host = "127.0.0.1";
        return a;
    }
    std::string_view host, port;
    if (text.front() == '[') {
        const auto close = text.find(']');
        if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
            return bad_listen(text, "an IPv6 address is written [ADDRESS]:PORT");
        host = text.substr(1, close - 1);
        port = text.substr(close + 2);
        if (!is_ipv6_text(host)) return bad_listen(text, "'" + std::string(host) + "' is not IPv6");
        a.ipv6 = true;
    } else {
        const auto colon = text.rfind(':');
        if (colon == std::string_view::npos) return bad_listen(text, "no :PORT");
        host = text.substr(0, colon);
        port = text.substr(colon + 1);
        if (host.find(':') != std::string_view::npos)
            return bad_listen(text, "an IPv6 address needs brackets: [ADDRESS]:PORT");
        if (host == "localhost") host = "127.0.0.1";
        if (!is_ipv4(host))
            return bad_listen(text, "'" + std::string(host) +
                                        "' is not a numeric IPv4 address (host names are "
                                        "not looked up)");
    }
    if (!parse_port(port, a.port))
        return bad_listen(text, "'" + std::string(port) + "' is not a port in 0..65535");
    a.host = std::string(host);
    return a;
}

Status check_listen_address(const ListenAddress& address) {
    const detail::BindOutcome b = detail::try_bind(address);
    if (b.problem == detail::BindProblem::None) return {};
    Error e;
    e.code = b.problem == detail::BindProblem::InUse    ? ErrorCode::AlreadyExists
             : b.problem == detail::BindProblem::Denied ? ErrorCode::AccessDenied
                                                        : ErrorCode::InvalidArgument;
    e.os_kind = b.os_kind;
    e.os_code = b.os_code;
    e.api = b.api;
    e.subject = address.to_string();
    const std::string port = std::to_string(address.port);
    // The OS code's name, unless Error::to_string already prints it (errno names, known Win32
    // codes); Winsock codes are not in the Win32 table.
    const std::string code =
        b.os_name.empty() || e.os_code_text().find(b.os_name) != std::string::npos
            ? ""
            : b.os_name + ": ";
    switch (b.problem) {
        case detail::BindProblem::InUse:
            e.message = code + "another program already listens on port " + port +
                        ". Next: pick another port (--listen " + address.host +
                        ":PORT), or find the program that holds it (ss -ltnp on Linux, "
                        "netstat -abno on Windows) and stop it";
            break;
        case detail::BindProblem::NotLocal:
            e.message = code + address.host +
                        " is not an address of this machine. Next: use 127.0.0.1 (this "
                        "machine only), 0.0.0.0 (every interface) or one of its own addresses";
            break;
        case detail::BindProblem::Denied:
#ifdef _WIN32
            // WSAEACCES: a port in a range Windows reserves (Hyper-V, WinNAT), or one another
            // program holds with SO_EXCLUSIVEADDRUSE.
            e.message = code + "Windows does not let this program listen on port " + port +
                        ". Next: pick another port; `netsh interface ipv4 show excludedportrange "
                        "protocol=tcp` lists the reserved ranges";
#else
            e.message = code + "not allowed to listen on port " + port +
                        ". Next: ports below 1024 need root (or CAP_NET_BIND_SERVICE); pick a "
                        "higher port such as 9724";
#endif
            break;
        default:
            e.message = code +
                        "the address cannot be listened on. Next: check --listen, e.g. "
                        "127.0.0.1:9724";
            break;
    }
    return e;
}

struct MetricsExporter::Impl {
    Impl(const ExporterOptions& o, PipeCatalog::Lister lister, CatalogOptions catalog_o)
        : options(o),
          metrics(o.metrics, /*long_running=*/true),
          catalog(lister ? std::move(lister)
                         : [catalog_o = std::move(catalog_o)] { return list_pipes(catalog_o); }) {}
    ~Impl() {
        catalog.stop();   // no more records
        exposer.reset();  // joins civetweb's threads, which may be rendering
    }

    ExporterOptions options;
    CatalogMetrics metrics;
    PipeCatalog catalog;
    std::shared_ptr<CatalogCollectable> collectable;
    std::unique_ptr<prometheus::Exposer> exposer;
    std::uint16_t port = 0;
    std::atomic<std::uint64_t> refreshes{0};
};

MetricsExporter::MetricsExporter(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
MetricsExporter::~MetricsExporter() = default;

Result<std::unique_ptr<MetricsExporter>> MetricsExporter::start(const ExporterOptions& options,
                                                                CatalogOptions catalog,
                                                                PipeCatalog::Lister lister) {
    if (auto st = check_listen_address(options.listen); !st) return st.error();
    if (options.interval.count() <= 0)
        return make_error(ErrorCode::InvalidArgument, "--interval", "",
                          "the refresh interval must be above 0. Next: e.g. --interval 5");
    auto impl = std::make_unique<Impl>(options, std::move(lister), std::move(catalog));
    const std::string where = options.listen.to_string();
    try {
        impl->exposer = std::make_unique<prometheus::Exposer>(where, 2);
        const auto ports = impl->exposer->GetListeningPorts();
        if (ports.empty() || ports.front() <= 0 || ports.front() > 65535)
            return make_error(ErrorCode::Io, "civetweb", where,
                              "the HTTP server started but reports no listening port. Next: "
                              "try another --listen port");
        impl->port = static_cast<std::uint16_t>(ports.front());
    } catch (const std::exception& ex) {
        return make_error(ErrorCode::Io, "civetweb", where,
                          std::string("the HTTP server could not start (") + ex.what() +
                              "), though the port was free a moment before: another program may "
                              "have taken it. Next: run again, or pick another --listen port");
    }
    impl->collectable = std::make_shared<CatalogCollectable>(impl->metrics);
    impl->exposer->RegisterCollectable(impl->collectable, "/metrics");
    Impl* raw = impl.get();
    impl->catalog.start(
        options.interval,
        [raw](const std::shared_ptr<const Snapshot>& snap, const SnapshotDiff& diff) {
            raw->metrics.record(snap, diff);
            ++raw->refreshes;
        },
        [raw](const Error&) {
            raw->metrics.record_error();
            ++raw->refreshes;
        },
        /*every_refresh=*/true);
    return std::unique_ptr<MetricsExporter>(new MetricsExporter(std::move(impl)));
}

std::uint16_t MetricsExporter::port() const {
    return impl_->port;
}

std::string MetricsExporter::url() const {
    ListenAddress a = impl_->options.listen;
    a.port = impl_->port;
    if (!a.ipv6 && a.host == "0.0.0.0") a.host = "127.0.0.1";  // what a local client dials
    return "http://" + a.to_string() + "/metrics";
}

const CatalogMetrics& MetricsExporter::metrics() const {
    return impl_->metrics;
}

std::uint64_t MetricsExporter::refreshes() const {
    return impl_->refreshes.load();
}

}  // namespace pipescope::core
