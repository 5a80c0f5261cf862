// run_audit: probe the pipes of a listed snapshot with a bounded pool of worker threads, each
// pipe at most once, then assess what each probe read. Every pipe comes back: probed, passive,
// excluded, busy, denied, gone, timed out, cancelled or failed, with a note that says why.
#include <algorithm>
#include <atomic>
#include <cctype>
#include <exception>
#include <mutex>
#include <thread>

#include "os/process_identity.hpp"
#include "pipescope/audit.hpp"
#include "pipescope/text.hpp"

namespace pipescope::core {
namespace {

const std::string* excluded_by(const std::string& name, const std::vector<std::string>& exclude) {
    for (const auto& x : exclude)
        if (!x.empty() && icontains(name, x)) return &x;
    return nullptr;
}

AuditState audit_state(InspectState s) {
    switch (s) {
        case InspectState::Ok:
            return AuditState::Ok;
        case InspectState::Busy:
            return AuditState::Busy;
        case InspectState::Denied:
            return AuditState::Denied;
        case InspectState::NotFound:
            return AuditState::NotFound;
        case InspectState::TimedOut:
            return AuditState::TimedOut;
        case InspectState::Cancelled:
            return AuditState::Cancelled;
        case InspectState::Error:
            return AuditState::Error;
    }
    return AuditState::Error;
}

AuditState audit_state(FieldState s) {
    switch (s) {
        case FieldState::Busy:
            return AuditState::Busy;
        case FieldState::Denied:
            return AuditState::Denied;
        case FieldState::NotFound:
            return AuditState::NotFound;
        case FieldState::TimedOut:
            return AuditState::TimedOut;
        default:
            return AuditState::Error;
    }
}

// "busy: <the probe's error>" for a probe that did not get through.
std::string probe_outcome(const PipeDetails& d) {
    std::string s(to_string(d.state));
    if (d.error) s += ": " + d.error->to_string();
    return s;
}

std::string open_name(const PipeEntry& e) {
    return e.kind == PipeKind::NamedPipe ? "\\\\.\\pipe\\" + e.name : e.name;
}

// What the audit needs to know of the machine once, before the probes.
struct Auditor {
    std::vector<AccessPrincipal> principals;  // Windows
    std::uint32_t uid = 0;                    // Linux
};

void assess_windows(PipeAudit& a, const PipeDetails& d, const Auditor& who) {
    if (d.sddl.ok()) a.sddl = *d.sddl.value;
    const auto& field = d.security_descriptor;
    if (!field.ok()) {
        a.state = d.state == InspectState::Ok ? audit_state(field.state) : audit_state(d.state);
        a.note = d.state == InspectState::Ok
                     ? "no security descriptor: " +
                           (field.note.empty() ? std::string(to_string(field.state)) : field.note)
                     : probe_outcome(d);
        return;
    }
    const auto& bytes = *field.value;
    auto sd = parse_security_descriptor(
        std::span<const std::byte>(reinterpret_cast<const std::byte*>(bytes.data()), bytes.size()));
    if (!sd) {
        a.state = AuditState::Error;
        a.note = "the security descriptor could not be read: " + sd.error().to_string();
        return;
    }
    assess_descriptor(a, *sd, who.principals);
    a.state = AuditState::Ok;
    // Read from the server's handle while the pipe itself was busy or refused the probe.
    if (d.state != InspectState::Ok)
        a.note = "descriptor read without connecting; the probe itself: " + probe_outcome(d);
}

void assess_linux(PipeAudit& a, const PipeEntry& e, const PipeDetails& d, const Auditor& who) {
    PosixAccessFacts f;
    f.abstract = e.kind != PipeKind::Fifo && !e.name.empty() && e.name[0] == '@';
    f.current_uid = who.uid;
    if (!f.abstract) {
        if (!d.mode.ok() || !d.owner_uid.ok()) {
            a.state =
                d.state == InspectState::Ok ? audit_state(d.mode.state) : audit_state(d.state);
            a.note = "the file mode could not be read: " +
                     (d.state != InspectState::Ok ? probe_outcome(d) : d.mode.note);
            return;
        }
        f.mode = *d.mode.value;
        f.owner_uid = *d.owner_uid.value;
        f.owner_gid = d.owner_gid.value.value_or(0);
    }
    if (d.server_uid.ok()) {
        f.server_uid = *d.server_uid.value;
    } else if (e.kind != PipeKind::Fifo) {
        // The probe did not connect (refused, busy, not allowed): /proc knows the listener's
        // holders when we may read them.
        for (const auto& p : e.server_pids) {
            if (auto uid = os::process_uid(p.pid)) {
                f.server_uid = uid;
                break;
            }
        }
    }
    assess_posix(a, f);
    a.state = AuditState::Ok;
    if (d.state != InspectState::Ok)
        a.note = (f.abstract ? "" : "mode read with stat; ") + std::string("the connect: ") +
                 probe_outcome(d) +
                 (f.server_uid && !d.server_uid.ok() ? " (server uid from /proc)" : "");
}

// Why a listed Unix socket cannot be opened by its name, or empty when it can. The kernel
// keeps a relative bind path as written (relative to the binder's folder at the time), and an
// unnamed socket ("socket:[inode]") has no name at all: probing either would open something
// else or nothing.
std::string unopenable_reason(const PipeEntry& e) {
    if (e.kind == PipeKind::NamedPipe || e.name.empty()) return {};
    if (e.name.starts_with("socket:[")) return "an unnamed socket: there is no name to open";
    if (e.name.front() != '/' && e.name.front() != '@')
        return "bound with a relative path; the system does not say relative to which folder, "
               "so it cannot be opened by this name";
    return {};
}

PipeAudit probe_one(const PipeEntry& e, PipeAudit a, const AuditOptions& options,
                    const std::stop_token& stop, const InspectProbe& probe, const Auditor& who) {
    if (auto why = unopenable_reason(e); !why.empty()) {
        a.state = AuditState::Error;
        a.note = "not probed: " + why;
        return a;
    }
    auto name = PipeName::parse(open_name(e));
    if (!name) {
        a.state = AuditState::Error;
        a.note = "not probed: " + name.error().to_string();
        return a;
    }
    InspectOptions io;
    io.timeout = options.timeout;
    io.resolve_names = false;
    io.least_access_only = true;
    // Windows: where the probe cannot get in (busy, refused), the inspector reads the
    // descriptor from one of these servers' handles instead, without connecting.
    if (e.kind == PipeKind::NamedPipe)
        for (const auto& p : e.server_pids) io.server_pids.push_back(p.pid);
    PipeDetails d;
    try {
        d = probe(*name, io, stop);
    } catch (const std::exception& ex) {
        a.state = AuditState::Error;
        a.note = std::string("the probe failed: ") + ex.what();
        return a;
    }
    if (d.state == InspectState::Cancelled) {
        a.state = AuditState::Cancelled;
        a.note = "cancelled while probing";
        return a;
    }
    if (e.kind == PipeKind::NamedPipe)
        assess_windows(a, d, who);
    else
        assess_linux(a, e, d, who);
    sort_findings(a);
    return a;
}

}  // namespace

std::vector<PipeAudit> run_audit(
    const Snapshot& snapshot, const AuditOptions& options, std::stop_token stop, InspectProbe probe,
    std::function<void(const PipeAudit&, std::size_t done, std::size_t total)> on_pipe) {
    if (!probe) probe = inspect_pipe;
    std::vector<const PipeEntry*> chosen;
    for (const auto& e : snapshot.entries)
        if (icontains(e.name, options.filter)) chosen.push_back(&e);
    const std::size_t total = chosen.size();
    std::vector<PipeAudit> audits(total);
    std::vector<std::size_t> to_probe;
    std::vector<char> done(total, 0);
    std::size_t done_count = 0;
    std::mutex report_mutex;  // guards audits, done and done_count; on_pipe runs under it
    auto report = [&](std::size_t i, PipeAudit* result = nullptr) {
        std::lock_guard lock(report_mutex);
        if (result) audits[i] = std::move(*result);
        done[i] = 1;
        ++done_count;
        if (on_pipe) on_pipe(audits[i], done_count, total);
    };

    for (std::size_t i = 0; i < total; ++i) {
        const PipeEntry& e = *chosen[i];
        PipeAudit& a = audits[i];
        a.name = e.name;
        a.kind = e.kind;
        a.server_pids = e.server_pids;
        a.server_processes = e.server_processes;
        assess_listing(a, e);
        if (const std::string* x = excluded_by(e.name, options.exclude)) {
            a.state = AuditState::Excluded;
            a.note = "not probed: the name matches --exclude '" + *x + "'";
            report(i);
        } else if (options.passive) {
            a.state = AuditState::Passive;
            a.note = "not probed (passive): findings from the listing only";
            report(i);
        } else {
            to_probe.push_back(i);
        }
    }

    if (!to_probe.empty()) {
        Auditor who;
        who.principals = windows_audit_principals(current_token_principal());
        who.uid = os::effective_uid().value_or(0);
        const unsigned workers = static_cast<unsigned>(
            std::min<std::size_t>(std::clamp(options.concurrency, 1u, 64u), to_probe.size()));
        std::atomic<std::size_t> next{0};
        std::vector<std::jthread> pool;
        pool.reserve(workers);
        for (unsigned w = 0; w < workers; ++w) {
            pool.emplace_back([&] {
                while (!stop.stop_requested()) {
                    const std::size_t k = next.fetch_add(1);
                    if (k >= to_probe.size()) return;
                    const std::size_t i = to_probe[k];
                    PipeAudit listed;
                    {
                        std::lock_guard lock(report_mutex);
                        listed = audits[i];
                    }
                    PipeAudit a =
                        probe_one(*chosen[i], std::move(listed), options, stop, probe, who);
                    report(i, &a);
                }
            });
        }
        pool.clear();  // joins
    }

    for (std::size_t i = 0; i < total; ++i) {
        if (done[i]) continue;
        audits[i].state = AuditState::Cancelled;
        audits[i].note = "cancelled before it was probed";
        report(i);
    }
    sort_audits(audits);
    return audits;
}

}  // namespace pipescope::core
