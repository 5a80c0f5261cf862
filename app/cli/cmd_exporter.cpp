// pipescope-cli exporter: the pipe catalog as Prometheus metrics over HTTP (/metrics).
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <string>
#include <thread>

#include "commands.hpp"
#include "pipescope/metrics.hpp"

namespace pipescope::cli {
namespace {

std::atomic<bool> exporter_interrupted{false};
extern "C" void on_exporter_signal(int) {
    exporter_interrupted = true;
}

struct ExporterArgs {
    std::string listen{core::kDefaultMetricsListen};
    double interval_s = 5;
    double duration_s = 0;
    std::string filter;
    std::size_t max_series = core::kDefaultMaxSeries;
    bool normalize_names = false;
    std::vector<std::string> folders;
};

int run_exporter(const ExporterArgs& a) {
    auto listen = core::parse_listen_address(a.listen);
    if (!listen) {
        std::fprintf(stderr, "error: %s\n", listen.error().to_string().c_str());
        return 2;
    }
    if (!(a.interval_s > 0) || a.interval_s > 86400) {
        std::fprintf(stderr, "error: --interval %g: give seconds between 0 and 86400, e.g. 5\n",
                     a.interval_s);
        return 2;
    }
    core::ExporterOptions o;
    o.listen = *listen;
    o.interval = std::chrono::milliseconds(static_cast<long long>(a.interval_s * 1000 + 0.5));
    if (o.interval.count() == 0) o.interval = std::chrono::milliseconds(1);
    o.metrics.filter = a.filter;
    o.metrics.max_series = a.max_series;
    o.metrics.normalize_names = a.normalize_names;
    core::CatalogOptions catalog;
    catalog.folders = a.folders;

    auto exporter = core::MetricsExporter::start(o, catalog);
    if (!exporter) {
        std::fprintf(stderr, "error: %s\n", exporter.error().to_string().c_str());
        return exporter.error().code == core::ErrorCode::InvalidArgument ? 2 : 1;
    }
    if (listen->host != "127.0.0.1" && listen->host != "::1")
        std::fprintf(stderr,
                     "warning: listening on %s: other machines can read this machine's pipe "
                     "names. Next: put a firewall rule or a reverse proxy with authentication "
                     "in front, or listen on 127.0.0.1\n",
                     listen->host.c_str());
    std::printf(
        "pipescope-cli exporter: serving %s (pipe list refreshed every %g s; Ctrl+C "
        "stops)\n",
        (*exporter)->url().c_str(), a.interval_s);
    std::fflush(stdout);

    std::signal(SIGINT, on_exporter_signal);
    std::signal(SIGTERM, on_exporter_signal);
    const auto start = std::chrono::steady_clock::now();
    const auto limit = std::chrono::duration<double>(a.duration_s);
    while (!exporter_interrupted) {
        if (a.duration_s > 0 && std::chrono::steady_clock::now() - start >= limit) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    exporter->reset();  // stops the watcher and the HTTP server
    std::printf("pipescope-cli exporter: stopped\n");
    return 0;
}

}  // namespace

void register_exporter(CLI::App& app, Context& ctx) {
    auto args = std::make_shared<ExporterArgs>();
    auto* cmd = app.add_subcommand(
        "exporter",
        "Serve the pipe list as Prometheus metrics at http://LISTEN/metrics (passive: no pipe "
        "is opened)");
    cmd->add_option("--listen", args->listen,
                    "HOST:PORT to serve on; a bare PORT means 127.0.0.1:PORT; 0.0.0.0:PORT "
                    "serves every interface")
        ->capture_default_str();
    cmd->add_option("--interval", args->interval_s, "Seconds between listings")
        ->capture_default_str();
    cmd->add_option("--filter", args->filter,
                    "Only pipes whose name, kind or holder contains TEXT");
    cmd->add_option("--max-series", args->max_series,
                    "Per-pipe series at most (pipes kept in name order; the rest are counted in "
                    "pipescope_series_dropped)")
        ->capture_default_str();
    cmd->add_flag("--normalize-names", args->normalize_names,
                  "Replace GUIDs, long hex ids and digit runs in names (<guid>, <hex>, <n>) so "
                  "series survive restarts");
    cmd->add_option("--folder", args->folders,
                    "Linux: also scan FOLDER for sockets and FIFOs (repeatable)");
    cmd->add_option("--duration", args->duration_s, "Stop after SECONDS (0: run until Ctrl+C)");
    cmd->callback([args, &ctx] { ctx.exit_code = run_exporter(*args); });
}

}  // namespace pipescope::cli
