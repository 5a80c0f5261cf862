// pipescope-cli audit: who may open, write or squat every pipe. Lists passively, then probes
// each pipe once with the least access (identification only; nothing is read or written),
// a few at a time, and prints the findings worst first.
#include <atomic>
#include <cctype>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <stop_token>
#include <thread>

#include "commands.hpp"
#include "pipescope/audit.hpp"
#include "pipescope/catalog.hpp"
#include "pipescope/text.hpp"

namespace pipescope::cli {
namespace {

// Unity build: these names share one anonymous namespace with the other commands.
std::atomic<bool> audit_interrupted{false};
extern "C" void on_audit_signal(int) {
    audit_interrupted = true;
}

struct AuditCliOptions {
    std::string filter;
    std::vector<std::string> exclude;
    std::vector<std::string> folders;
    bool json = false;
    long long timeout_ms = 2000;
    unsigned concurrency = 4;
    bool passive = false;
};

constexpr int kExitFindings = 6;
constexpr int kExitInterrupted = 130;

std::string pids_of(const core::PipeAudit& a) {
    std::string s;
    for (const auto& p : a.server_pids) {
        if (!s.empty()) s += ' ';
        s += std::to_string(p.pid);
        if (!p.name.empty()) s += "(" + p.name + ")";
    }
    return s;
}

void print_table(const std::vector<core::PipeAudit>& audits) {
    std::printf("%-8s %-10s %-15s %s\n", "WORST", "STATE", "KIND", "NAME (server pids)");
    std::size_t by_severity[4] = {0, 0, 0, 0};
    std::size_t not_assessed = 0;
    for (const auto& a : audits) {
        auto worst = a.worst();
        if (worst) ++by_severity[static_cast<int>(*worst)];
        if (a.state != core::AuditState::Ok) ++not_assessed;
        std::string pids = pids_of(a);
        std::printf("%-8s %-10s %-15s %s%s%s%s\n",
                    worst ? std::string(core::to_string(*worst)).c_str() : "-",
                    std::string(core::to_string(a.state)).c_str(),
                    std::string(core::to_string(a.kind)).c_str(), a.name.c_str(),
                    pids.empty() ? "" : " (", pids.c_str(), pids.empty() ? "" : ")");
        for (const auto& f : a.findings) {
            std::printf("    %-6s %s%s%s: %s\n", std::string(core::to_string(f.severity)).c_str(),
                        f.kind.c_str(), f.principal.empty() ? "" : " for ", f.principal.c_str(),
                        f.detail.c_str());
        }
        if (!a.note.empty()) std::printf("    note: %s\n", a.note.c_str());
    }
    std::printf(
        "\n%zu %s: %zu high, %zu medium, %zu low, %zu info at worst; %zu not assessed "
        "(passive, excluded, busy, denied, gone, timed out, cancelled or failed)\n",
        audits.size(), audits.size() == 1 ? "pipe" : "pipes", by_severity[3], by_severity[2],
        by_severity[1], by_severity[0], not_assessed);
}

int run_audit_command(const AuditCliOptions& o) {
    core::CatalogOptions copt;
    copt.folders = o.folders;
    auto listed = core::list_pipes(copt);
    if (!listed) {
        std::fprintf(stderr, "error: %s\n", listed.error().to_string().c_str());
        return 1;
    }
    for (const auto& n : listed->notes) std::fprintf(stderr, "note: %s\n", n.c_str());

    core::AuditOptions aopt;
    aopt.filter = o.filter;
    aopt.exclude = o.exclude;
    aopt.timeout = std::chrono::milliseconds(o.timeout_ms);
    aopt.concurrency = o.concurrency;
    aopt.passive = o.passive;

    // Say what is about to happen before touching anything.
    std::size_t shown = 0, excluded = 0;
    for (const auto& e : listed->entries) {
        if (!core::icontains(e.name, o.filter)) continue;
        ++shown;
        for (const auto& x : o.exclude) {
            if (!x.empty() && core::icontains(e.name, x)) {
                ++excluded;
                break;
            }
        }
    }
    if (o.passive) {
        std::fprintf(stderr, "passive audit of %zu %s: the listing only, no pipe is opened\n",
                     shown, shown == 1 ? "pipe" : "pipes");
    } else {
#ifdef _WIN32
        std::fprintf(stderr,
                     "probing %zu %s, opening each with READ_CONTROL|FILE_READ_ATTRIBUTES only; "
                     "nothing is read or written (%zu excluded, %u at a time, %lld ms each)\n",
                     shown - excluded, shown - excluded == 1 ? "pipe" : "pipes", excluded,
                     o.concurrency, o.timeout_ms);
#else
        std::fprintf(stderr,
                     "probing %zu %s: stat each, connect to each socket and close at once (for "
                     "the server's credentials), never open a FIFO; nothing is read or written "
                     "(%zu excluded, %u at a time, %lld ms each)\n",
                     shown - excluded, shown - excluded == 1 ? "pipe" : "pipes", excluded,
                     o.concurrency, o.timeout_ms);
#endif
    }

    // Ctrl+C: the handler sets a flag; this watcher turns it into a stop request, so probes
    // end promptly and the pipes not done are reported cancelled.
    std::signal(SIGINT, on_audit_signal);
    std::signal(SIGTERM, on_audit_signal);
    std::stop_source stop;
    std::jthread watcher([&stop](std::stop_token self) {
        while (!self.stop_requested()) {
            if (audit_interrupted) {
                stop.request_stop();
                return;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
    });
    auto audits = core::run_audit(*listed, aopt, stop.get_token());
    watcher.request_stop();
    watcher.join();

    if (o.json)
        std::printf("%s\n", core::audits_to_json(audits).c_str());
    else
        print_table(audits);
    std::fflush(stdout);
    if (audit_interrupted) {
        std::fprintf(stderr, "interrupted: the pipes not probed are reported cancelled\n");
        return kExitInterrupted;
    }
    for (const auto& a : audits) {
        auto w = a.worst();
        if (w && *w >= core::Severity::Medium) return kExitFindings;
    }
    return 0;
}

}  // namespace

void register_audit(CLI::App& app, Context& ctx) {
    auto opts = std::make_shared<AuditCliOptions>();
    CLI::App* cmd = app.add_subcommand(
        "audit",
        "Security audit: who may connect to each pipe to read, to write, or create an instance "
        "(squat the name); findings worst first");
    cmd->footer(
        "Lists pipes passively, then (unless --passive) probes each one once with the least "
        "access: on Windows an open with READ_CONTROL|FILE_READ_ATTRIBUTES, identification only, "
        "closed at once; on Linux a stat, and for sockets a connect closed at once (FIFOs are "
        "never opened). Nothing is read or written. Busy, denied, vanished and hung pipes are "
        "reported as such.\n"
        "Principals: Windows Everyone, Anonymous, Authenticated Users, Users, NETWORK, Low "
        "integrity, AppContainer and the current user; Linux owner, group, other users, root.\n"
        "Exit code: 0 nothing medium or above, 6 a medium or high finding, 1 the listing "
        "failed, 130 interrupted (Ctrl+C: the pipes not yet probed are reported cancelled).");
    cmd->add_option("--filter", opts->filter,
                    "Only pipes whose name contains TEXT (case-insensitive)");
    cmd->add_option("--exclude", opts->exclude,
                    "Never probe pipes whose name contains TEXT (repeatable); they are reported "
                    "as excluded with their listing findings");
    cmd->add_flag("--json", opts->json,
                  "JSON array: name, kind, server_pids, server_processes, state, note, sddl, "
                  "worst, access {principal: [read, write, create_instance]}, access_why, "
                  "findings [{kind, severity, principal, detail}]");
    cmd->add_option("--timeout", opts->timeout_ms,
                    "Bound for each pipe's probe in milliseconds (a busy or hung pipe is "
                    "reported as such after it)")
        ->capture_default_str()
        ->check(CLI::Range(0LL, 600000LL));
    cmd->add_option("--concurrency", opts->concurrency,
                    "Pipes probed at once (1..64); never more than one probe per pipe")
        ->capture_default_str()
        ->check(CLI::Range(1u, 64u));
    cmd->add_flag("--passive", opts->passive,
                  "Open nothing: findings from the listing alone (multiple servers of one name; "
                  "Linux abstract sockets)");
    cmd->add_option("--folder", opts->folders,
                    "Linux: also scan FOLDER for sockets and FIFOs, as list --folder (repeatable)");
    cmd->callback([opts, &ctx] { ctx.exit_code = run_audit_command(*opts); });
}

}  // namespace pipescope::cli
