// pipescope-cli list: the PipeList replacement. Passive: it never opens or connects to a pipe.
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <iostream>
#include <mutex>

#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "pipescope/catalog.hpp"
#include "pipescope/platform.hpp"

namespace pipescope::cli {
namespace {

struct ListOptions {
    bool json = false;
    bool csv = false;
    bool nobanner = false;
    std::string filter;
    double watch_seconds = 0;
    int watch_count = 0;  // refreshes before --watch stops (0: until interrupted)
    std::vector<std::string> folders;
};

bool matches(const core::PipeEntry& e, const std::string& filter) {
    if (filter.empty()) return true;
    auto lower = [](std::string s) {
        for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        return s;
    };
    return lower(e.name).find(lower(filter)) != std::string::npos;
}

std::string count_text(const std::optional<std::int64_t>& v) { return v ? std::to_string(*v) : "?"; }

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

nlohmann::json pid_list(const std::vector<core::ProcessRef>& v) {
    auto a = nlohmann::json::array();
    for (const auto& p : v) a.push_back(p.pid);
    return a;
}

nlohmann::json entry_json(const core::PipeEntry& e) {
    nlohmann::json j;
    j["name"] = e.name;
    j["current_instances"] = e.current_instances ? nlohmann::json(*e.current_instances) : nlohmann::json(nullptr);
    j["max_instances"] = e.max_instances ? nlohmann::json(*e.max_instances) : nlohmann::json(nullptr);
    j["kind"] = std::string(core::kind_id(e.kind));
    j["pids"] = {{"server", pid_list(e.server_pids)}, {"client", pid_list(e.client_pids)}, {"unknown", pid_list(e.other_pids)}};
    auto procs = nlohmann::json::array();
    auto add = [&](const std::vector<core::ProcessRef>& v, const char* end) {
        for (const auto& p : v) procs.push_back({{"pid", p.pid}, {"name", p.name}, {"end", end}});
    };
    add(e.server_pids, "server");
    add(e.client_pids, "client");
    add(e.other_pids, "unknown");
    j["processes"] = procs;
    j["source"] = core::sources_to_string(e.sources);
    if (e.kind != core::PipeKind::NamedPipe) {
        j["state"] = std::string(core::to_string(e.socket_state));
        j["connections"] = e.connections;
        j["inode"] = e.inode;
    }
    j["first_seen_unix_ms"] =
        std::chrono::duration_cast<std::chrono::milliseconds>(e.first_seen.time_since_epoch()).count();
    return j;
}

std::string csv_field(const std::string& s) {
    if (s.find_first_of(",\"\n") == std::string::npos) return s;
    std::string out = "\"";
    for (char c : s) {
        if (c == '"') out += '"';
        out += c;
    }
    return out + "\"";
}

void print_table(const core::Snapshot& snap, const ListOptions& o) {
#ifdef _WIN32
    std::printf("%-60s %10s %14s  %s\n", "Pipe Name", "Instances", "Max Instances", "PIDs (s=server c=client)");
    std::printf("%-60s %10s %14s  %s\n", "---------", "---------", "-------------", "------------------------");
    for (const auto& e : snap.entries) {
        if (!matches(e, o.filter)) continue;
        std::printf("%-60s %10s %14s  %s\n", e.name.c_str(), count_text(e.current_instances).c_str(),
                    count_text(e.max_instances).c_str(), pids_text(e).c_str());
    }
#else
    std::printf("%-15s %-11s %5s %5s  %-50s %s\n", "Kind", "State", "Inst", "Conn", "Name", "PIDs (s=server c=client)");
    for (const auto& e : snap.entries) {
        if (!matches(e, o.filter)) continue;
        std::printf("%-15s %-11s %5s %5u  %-50s %s\n", std::string(core::to_string(e.kind)).c_str(),
                    std::string(core::to_string(e.socket_state)).c_str(), count_text(e.current_instances).c_str(),
                    e.connections, e.name.c_str(), pids_text(e).c_str());
    }
#endif
}

void print_csv(const core::Snapshot& snap, const ListOptions& o) {
    std::printf("name,current_instances,max_instances,kind,server_pids,client_pids,other_pids,source\n");
    auto pids = [](const std::vector<core::ProcessRef>& v) {
        std::string s;
        for (const auto& p : v) s += (s.empty() ? "" : " ") + std::to_string(p.pid);
        return s;
    };
    for (const auto& e : snap.entries) {
        if (!matches(e, o.filter)) continue;
        std::printf("%s,%s,%s,%s,%s,%s,%s,%s\n", csv_field(e.name).c_str(),
                    e.current_instances ? std::to_string(*e.current_instances).c_str() : "",
                    e.max_instances ? std::to_string(*e.max_instances).c_str() : "", std::string(core::kind_id(e.kind)).c_str(),
                    pids(e.server_pids).c_str(), pids(e.client_pids).c_str(), pids(e.other_pids).c_str(),
                    core::sources_to_string(e.sources).c_str());
    }
}

void print_notes(const core::Snapshot& snap) {
    for (const auto& n : snap.notes) std::fprintf(stderr, "note: %s\n", n.c_str());
}

int run_list(const ListOptions& o) {
    core::CatalogOptions copt;
    copt.folders = o.folders;
    if (!o.nobanner && !o.json && !o.csv) {
        std::printf("pipescope-cli %s list (%s): passive listing, no pipe is opened\n\n", core::version(),
                    core::platform_name().c_str());
    }
    if (o.watch_seconds <= 0) {
        auto r = core::list_pipes(copt);
        if (!r) {
            std::fprintf(stderr, "error: %s\n", r.error().to_string().c_str());
            return 1;
        }
        print_notes(*r);
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
                        if (matches(e, o.filter)) std::printf("%s\n", nlohmann::json{{"event", "present"}, {"entry", entry_json(e)}}.dump().c_str());
                } else {
                    print_table(*snap, o);
                }
            } else {
                auto line = [&](const char* tag, const core::PipeEntry& e) {
                    if (!matches(e, o.filter)) return;
                    if (o.json) {
                        std::printf("%s\n", nlohmann::json{{"event", tag}, {"time", stamp()}, {"entry", entry_json(e)}}.dump().c_str());
                    } else {
                        std::printf("%s %s %s %s (instances %s)\n", stamp().c_str(), tag[0] == 'a' ? "+" : tag[0] == 'r' ? "-" : "~",
                                    std::string(core::to_string(e.kind)).c_str(), e.name.c_str(), count_text(e.current_instances).c_str());
                    }
                };
                for (const auto& e : d.added) line("added", e);
                for (const auto& e : d.removed) line("removed", e);
                for (const auto& c : d.changed) line("changed", c.after);
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
    CLI::App* cmd = app.add_subcommand("list", "List pipes (PipeList-style); never opens or connects to a pipe");
    cmd->add_flag("--json", opts->json, "JSON array of entries (name, current_instances, max_instances, kind, pids, source)");
    cmd->add_flag("--csv", opts->csv, "CSV with a header line");
    cmd->add_option("--filter", opts->filter, "Only names containing TEXT (case-insensitive)");
    cmd->add_option("--watch", opts->watch_seconds, "Refresh every SECONDS and print added (+), removed (-), changed (~) lines");
    cmd->add_option("--count", opts->watch_count, "With --watch: stop after N refreshes");
    cmd->add_flag("--nobanner", opts->nobanner, "No banner line");
    cmd->add_option("--folder", opts->folders, "Linux: also scan FOLDER for sockets and FIFOs (repeatable)");
    cmd->callback([opts, &ctx] { ctx.exit_code = run_list(*opts); });
}

}  // namespace pipescope::cli
