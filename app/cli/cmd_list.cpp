// pipescope-cli list: the PipeList replacement. Passive: it never opens or connects to a pipe.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <condition_variable>
#include <cstdio>
#include <iostream>
#include <mutex>

#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "pipescope/catalog.hpp"
#include "pipescope/catalog_export.hpp"
#include "pipescope/files.hpp"
#include "pipescope/metrics.hpp"
#include "pipescope/platform.hpp"

namespace pipescope::cli {
namespace {

std::atomic<bool> list_interrupted{false};
extern "C" void on_list_signal(int) {
    list_interrupted = true;
}

struct ListOptions {
    bool json = false;
    bool csv = false;
    bool nobanner = false;
    std::string filter;
    double watch_seconds = 0;
    int watch_count = 0;  // refreshes before --watch stops (0: until interrupted)
    std::string compare;  // a saved list (--json output or the GUI's JSON export) to compare with
    std::vector<std::string> folders;
    std::string metrics_file;  // --metrics: Prometheus text for a textfile collector ("-": stdout)
    double metrics_interval_s = 0;  // --interval: keep rewriting the metrics file
    std::size_t max_series = core::kDefaultMaxSeries;
    bool normalize_names = false;
};

// The filter the GUI uses too: name, kind, PID or process name, case-insensitive.
bool matches(const core::PipeEntry& e, const std::string& filter) {
    return core::entry_matches(e, filter);
}

std::string count_text(const std::optional<std::int64_t>& v) {
    return v ? std::to_string(*v) : "?";
}

std::string pids_text(const core::PipeEntry& e) {
    std::string out;
    auto add = [&](const std::vector<core::ProcessRef>& v, const char* tag) {
        for (const auto& p : v) {
            if (!out.empty()) out += ' ';
            out += std::to_string(p.pid);
            if (!p.name.empty()) out += "(" + p.name + ")";
            out += tag;
        }
    };
    add(e.server_pids, "s");
    add(e.client_pids, "c");
    add(e.other_pids, "");
    return out;
}

nlohmann::json entry_json(const core::PipeEntry& e) {
    return core::entry_to_json(e);
}

void print_table(const core::Snapshot& snap, const ListOptions& o) {
#ifdef _WIN32
    std::printf("%-60s %10s %14s  %s\n", "Pipe Name", "Instances", "Max Instances",
                "PIDs (s=server c=client)");
    std::printf("%-60s %10s %14s  %s\n", "---------", "---------", "-------------",
                "------------------------");
    for (const auto& e : snap.entries) {
        if (!matches(e, o.filter)) continue;
        std::printf("%-60s %10s %14s  %s\n", e.name.c_str(),
                    count_text(e.current_instances).c_str(), count_text(e.max_instances).c_str(),
                    pids_text(e).c_str());
    }
#else
    std::printf("%-15s %-11s %5s %5s  %-50s %s\n", "Kind", "State", "Inst", "Conn", "Name",
                "PIDs (s=server c=client)");
    for (const auto& e : snap.entries) {
        if (!matches(e, o.filter)) continue;
        std::printf("%-15s %-11s %5s %5u  %-50s %s\n", std::string(core::to_string(e.kind)).c_str(),
                    std::string(core::to_string(e.socket_state)).c_str(),
                    count_text(e.current_instances).c_str(), e.connections, e.name.c_str(),
                    pids_text(e).c_str());
    }
#endif
}

void print_csv(const core::Snapshot& snap, const ListOptions& o) {
    std::vector<core::PipeEntry> shown;
    for (const auto& e : snap.entries) {
        if (matches(e, o.filter)) shown.push_back(e);
    }
    std::fputs(core::entries_to_csv(shown).c_str(), stdout);
}

// One +/-/~ line (or JSON event) for a pipe that was added, removed or changed; `when` is the
// time stamp or, for --compare, empty.
void print_change(const char* tag, const core::PipeEntry& e, const ListOptions& o,
                  const std::string& when) {
    if (!matches(e, o.filter)) return;
    if (o.json) {
        nlohmann::json event{{"event", tag}, {"entry", entry_json(e)}};
        if (!when.empty()) event["time"] = when;
        std::printf("%s\n",
                    event.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    } else {
        std::printf("%s%s%s %s %s (instances %s)\n", when.c_str(), when.empty() ? "" : " ",
                    tag[0] == 'a'   ? "+"
                    : tag[0] == 'r' ? "-"
                                    : "~",
                    std::string(core::to_string(e.kind)).c_str(), e.name.c_str(),
                    count_text(e.current_instances).c_str());
    }
}

void print_diff(const core::SnapshotDiff& d, const ListOptions& o, const std::string& when) {
    for (const auto& e : d.added) print_change("added", e, o, when);
    for (const auto& e : d.removed) print_change("removed", e, o, when);
    for (const auto& c : d.changed) print_change("changed", c.after, o, when);
}

// --compare FILE: what changed between a saved list and the system now.
int run_compare(const core::Snapshot& now, const ListOptions& o) {
    auto text = core::read_file(o.compare);
    if (!text) {
        std::fprintf(stderr, "error: %s\n", text.error().to_string().c_str());
        return 1;
    }
    auto saved_entries = core::entries_from_json(*text, o.compare);
    if (!saved_entries) {
        std::fprintf(stderr, "error: %s\n", saved_entries.error().to_string().c_str());
        return 2;
    }
    core::Snapshot saved;
    saved.entries = std::move(*saved_entries);
    core::normalize(saved);
    const auto d = core::diff(saved, now);
    if (!o.json) {
        // Counts of what the filter shows, as the lines below.
        auto shown = [&](const auto& entries, auto entry_of) {
            return std::count_if(entries.begin(), entries.end(),
                                 [&](const auto& x) { return matches(entry_of(x), o.filter); });
        };
        auto self = [](const core::PipeEntry& e) -> const core::PipeEntry& { return e; };
        auto after = [](const core::EntryChange& c) -> const core::PipeEntry& { return c.after; };
        std::printf(
            "compared with %s: %td pipes then, %td now; %td added (+), %td removed (-), %td "
            "changed (~)\n",
            o.compare.c_str(), shown(saved.entries, self), shown(now.entries, self),
            shown(d.added, self), shown(d.removed, self), shown(d.changed, after));
    }
    print_diff(d, o, "");
    return 0;
}

void print_notes(const core::Snapshot& snap) {
    for (const auto& n : snap.notes) std::fprintf(stderr, "note: %s\n", n.c_str());
}

// Writes one render of the metrics to the file (or stdout for "-"). False after printing why.
bool write_list_metrics(const ListOptions& o, const std::string& text) {
    if (o.metrics_file == "-") {
        std::fputs(text.c_str(), stdout);
        std::fflush(stdout);
        return true;
    }
    if (auto st = core::write_file_atomic(o.metrics_file, text); !st) {
        std::fprintf(stderr, "%s\n", core::metrics_file_error(st.error()).c_str());
        return false;
    }
    return true;
}

// list --metrics FILE [--interval S]: the exporter's metrics as a file for node_exporter's or
// windows_exporter's textfile collector, written atomically (a collector never reads half a
// file). With --interval the catalog's watcher lists and the file is rewritten after each
// listing, until Ctrl+C or --count writes.
int run_list_metrics(const ListOptions& o, const core::CatalogOptions& copt) {
    core::MetricsOptions mo;
    mo.filter = o.filter;
    mo.max_series = o.max_series;
    mo.normalize_names = o.normalize_names;
    if (o.metrics_interval_s <= 0) {
        auto r = core::list_pipes(copt);
        if (!r) {
            std::fprintf(stderr, "error: %s\n", r.error().to_string().c_str());
            return 1;
        }
        print_notes(*r);
        return write_list_metrics(o, core::catalog_metrics_text(*r, mo)) ? 0 : 1;
    }
    if (o.metrics_interval_s > 86400) {
        std::fprintf(stderr, "error: --interval %g: give seconds up to 86400\n",
                     o.metrics_interval_s);
        return 2;
    }
    core::CatalogMetrics metrics(mo, /*long_running=*/true);
    core::PipeCatalog catalog(copt);
    std::mutex m;
    std::condition_variable cv;
    int writes = 0, failures = 0;
    auto interval =
        std::chrono::milliseconds(static_cast<long long>(o.metrics_interval_s * 1000 + 0.5));
    catalog.start(
        std::max(interval, std::chrono::milliseconds(1)),
        [&](const std::shared_ptr<const core::Snapshot>& snap, const core::SnapshotDiff& d) {
            metrics.record(snap, d);
            const bool ok = write_list_metrics(o, metrics.text());
            std::lock_guard lock(m);
            ok ? ++writes : ++failures;
            cv.notify_all();
        },
        [&](const core::Error& e) {
            metrics.record_error();
            std::fprintf(stderr, "error: %s (the file keeps the last good listing)\n",
                         e.to_string().c_str());
            const bool ok = write_list_metrics(o, metrics.text());
            std::lock_guard lock(m);
            ok ? ++writes : ++failures;
            cv.notify_all();
        },
        /*every_refresh=*/true);
    list_interrupted = false;
    std::signal(SIGINT, on_list_signal);
    std::signal(SIGTERM, on_list_signal);
    std::unique_lock lock(m);
    while (!list_interrupted && (o.watch_count <= 0 || writes + failures < o.watch_count))
        cv.wait_for(lock, std::chrono::milliseconds(100));
    lock.unlock();
    catalog.stop();
    return writes > 0 ? 0 : 1;
}

int run_list(const ListOptions& o) {
    core::CatalogOptions copt;
    copt.folders = o.folders;
    if (!o.metrics_file.empty()) return run_list_metrics(o, copt);
    if (!o.nobanner && !o.json && !o.csv) {
        std::printf("pipescope-cli %s list (%s): passive listing, no pipe is opened\n\n",
                    core::version(), core::platform_name().c_str());
    }
    if (o.watch_seconds <= 0) {
        auto r = core::list_pipes(copt);
        if (!r) {
            std::fprintf(stderr, "error: %s\n", r.error().to_string().c_str());
            return 1;
        }
        print_notes(*r);
        if (!o.compare.empty()) return run_compare(*r, o);
        if (o.json) {
            auto a = nlohmann::json::array();
            for (const auto& e : r->entries)
                if (matches(e, o.filter)) a.push_back(entry_json(e));
            std::printf("%s\n", a.dump(2).c_str());
        } else if (o.csv) {
            print_csv(*r, o);
        } else {
            print_table(*r, o);
        }
        return 0;
    }

    // --watch: the catalog's watcher thread lists; this thread prints what changed.
    core::PipeCatalog catalog(copt);
    std::mutex m;
    std::condition_variable cv;
    int refreshes = 0;
    int failures = 0;
    auto stamp = [] {
        auto t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
        char buf[32];
        std::strftime(buf, sizeof buf, "%H:%M:%S", std::localtime(&t));
        return std::string(buf);
    };
    auto interval = std::chrono::milliseconds(static_cast<long long>(o.watch_seconds * 1000));
    catalog.start(
        interval,
        [&](const std::shared_ptr<const core::Snapshot>& snap, const core::SnapshotDiff& d) {
            std::lock_guard lock(m);
            if (refreshes == 0) {
                if (o.json) {
                    for (const auto& e : snap->entries)
                        if (matches(e, o.filter))
                            std::printf("%s\n", nlohmann::json{{"event", "present"},
                                                               {"entry", entry_json(e)}}
                                                    .dump()
                                                    .c_str());
                } else {
                    print_table(*snap, o);
                }
            } else {
                print_diff(d, o, stamp());
            }
            std::fflush(stdout);
            ++refreshes;
            cv.notify_all();
        },
        [&](const core::Error& e) {
            std::lock_guard lock(m);
            std::fprintf(stderr, "error: %s\n", e.to_string().c_str());
            ++failures;
            cv.notify_all();
        });
    // Count every refresh (the callback runs only on change), so --count ends on time.
    std::unique_lock lock(m);
    int seen = 0;
    auto last = catalog.latest();
    while (o.watch_count <= 0 || seen < o.watch_count) {
        cv.wait_for(lock, std::chrono::milliseconds(20));
        auto now = catalog.latest();
        if (now != last) {
            last = now;
            ++seen;
        }
        if (failures > 0 && !last) break;
    }
    lock.unlock();
    catalog.stop();
    return failures > 0 && !last ? 1 : 0;
}

}  // namespace

void register_list(CLI::App& app, Context& ctx) {
    auto opts = std::make_shared<ListOptions>();
    CLI::App* cmd = app.add_subcommand(
        "list", "List pipes (PipeList-style); never opens or connects to a pipe");
    cmd->add_flag(
        "--json", opts->json,
        "JSON array of entries (name, current_instances, max_instances, kind, pids, source)");
    cmd->add_flag("--csv", opts->csv, "CSV with a header line");
    cmd->add_option("--filter", opts->filter, "Only names containing TEXT (case-insensitive)");
    cmd->add_option("--watch", opts->watch_seconds,
                    "Refresh every SECONDS and print added (+), removed (-), changed (~) lines");
    cmd->add_option("--count", opts->watch_count,
                    "With --watch: stop after N refreshes; with --metrics --interval: after N "
                    "writes");
    cmd->add_option("--compare", opts->compare,
                    "Compare with a saved list (FILE from list --json or the GUI's JSON export): "
                    "print added (+), "
                    "removed (-) and changed (~) pipes")
        ->excludes("--watch")
        ->excludes("--csv");
    cmd->add_flag("--nobanner", opts->nobanner, "No banner line");
    auto* metrics =
        cmd->add_option("--metrics", opts->metrics_file,
                        "Write Prometheus metrics to FILE (the textfile collector's .prom file; "
                        "'-': stdout), atomically, LF line ends")
            ->excludes("--json")
            ->excludes("--csv")
            ->excludes("--watch")
            ->excludes("--compare");
    cmd->add_option("--interval", opts->metrics_interval_s,
                    "With --metrics: rewrite the file every SECONDS until Ctrl+C")
        ->needs(metrics);
    cmd->add_option("--max-series", opts->max_series,
                    "With --metrics: per-pipe series at most (pipes kept in name order; the rest "
                    "counted in pipescope_series_dropped)")
        ->needs(metrics)
        ->capture_default_str();
    cmd->add_flag("--normalize-names", opts->normalize_names,
                  "With --metrics: replace GUIDs, long hex ids and digit runs in names (<guid>, "
                  "<hex>, <n>) so series survive restarts")
        ->needs(metrics);
    cmd->add_option("--folder", opts->folders,
                    "Linux: also scan FOLDER for sockets and FIFOs (repeatable)");
    cmd->callback([opts, &ctx] { ctx.exit_code = run_list(*opts); });
}

}  // namespace pipescope::cli
