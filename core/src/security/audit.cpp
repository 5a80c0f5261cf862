// Portable half of the audit: the principals Windows pipes are judged for, what each may do
// with a descriptor or a file mode, the findings, their order, and the JSON. run_audit (the
// probing) is in audit_run.cpp.
//
// Severities, and why:
//   high    null_dacl; world_writable when Everyone may write; anonymous_writable;
//           multiple_servers on a Windows pipe. Any code on the machine (or, for Anonymous, any
//           host that reaches it without an account) can send the server requests, or a second
//           process already serves the name and clients cannot tell which one they reach (the
//           instance-hijack technique).
//   medium  world_writable when only Authenticated Users or Users may write (an account is
//           needed; many Windows services serve such pipes on purpose, so high would be noise);
//           low_integrity_writable and appcontainer_writable (a sandbox escape path, but the
//           attacker must first run code in the sandbox); create_instance_granted (squatting
//           needs a race with the server or a free instance slot, and clients to come);
//           world_connectable, abstract_socket and multiple_servers on Linux (any local user
//           reaches the server; a path reaches only its newest binder, so a second listener is
//           a replaced or stale socket rather than a live split of clients); other_user_server
//           when other users can connect to it.
//   low     remote_allowed (the server may still reject remote clients with a flag a client
//           cannot see); other_user_server when only the auditor's own rights let it connect.
#include "pipescope/audit.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <tuple>

#include <nlohmann/json.hpp>

namespace pipescope::core {

std::string_view to_string(Severity s) {
    switch (s) {
        case Severity::Info:
            return "info";
        case Severity::Low:
            return "low";
        case Severity::Medium:
            return "medium";
        case Severity::High:
            return "high";
    }
    return "info";
}

std::string_view to_string(AuditState s) {
    switch (s) {
        case AuditState::Ok:
            return "ok";
        case AuditState::Passive:
            return "passive";
        case AuditState::Excluded:
            return "excluded";
        case AuditState::Busy:
            return "busy";
        case AuditState::Denied:
            return "denied";
        case AuditState::NotFound:
            return "not_found";
        case AuditState::TimedOut:
            return "timed_out";
        case AuditState::Cancelled:
            return "cancelled";
        case AuditState::Error:
            return "error";
    }
    return "error";
}

std::optional<Severity> PipeAudit::worst() const {
    std::optional<Severity> w;
    for (const auto& f : findings)
        if (!w || f.severity > *w) w = f.severity;
    return w;
}

// ---- Windows principals ---------------------------------------------------------------------

namespace {

constexpr std::array<std::string_view, 8> kWindowsPrincipalIds = {
    "everyone", "anonymous",     "authenticated_users", "users",
    "network",  "low_integrity", "app_container",       "current_user"};

// A made-up local account (S-1-5-21-1-2-3-<rid>): the audit asks what a member of a group may
// do, so the user SID itself must match no ACE of a real system.
Sid model_user(std::uint32_t rid) {
    return Sid{5, {21, 1, 2, 3, rid}};
}

Sid local_group() {
    return Sid{2, {0}};  // S-1-2-0 LOCAL
}

}  // namespace

// Each principal is the token Windows gives such a logon, holding only what that logon gets:
//   Everyone             a user with Everyone alone (the floor every token has).
//   Anonymous            S-1-5-7 itself with NETWORK (a null session arrives over the network),
//                        and not Everyone (EveryoneIncludesAnonymous is off by default). It is
//                        modelled at Medium like other network logons; Windows documentation
//                        is not explicit here and Wine has no anonymous token (not verified).
//   Authenticated Users  Everyone + Authenticated Users.
//   Users                a standard interactive local user: Everyone, Authenticated Users,
//                        BUILTIN\Users, INTERACTIVE, LOCAL; Medium.
//   NETWORK              a remote authenticated user: Everyone, Authenticated Users, Users,
//                        NETWORK; Medium.
//   Low integrity        the Users token at Low (a Protected Mode / sandboxed process).
//   AppContainer         the Users token at Low with a package SID; evaluate_access's
//                        AppContainer step lets the package SID and ALL APPLICATION PACKAGES
//                        match allow ACEs.
//   current user         the caller's own token, when known.
std::vector<AccessPrincipal> windows_audit_principals(
    const std::optional<AccessPrincipal>& current) {
    namespace wk = well_known;
    std::vector<AccessPrincipal> out;
    auto add = [&](std::string name, Sid user, std::vector<Sid> groups,
                   std::uint32_t rid = integrity::kMedium) -> AccessPrincipal& {
        AccessPrincipal p;
        p.name = std::move(name);
        p.user = std::move(user);
        p.groups = std::move(groups);
        p.integrity_rid = rid;
        out.push_back(std::move(p));
        return out.back();
    };
    const std::vector<Sid> users_groups = {wk::everyone(), wk::authenticated_users(), wk::users(),
                                           wk::interactive(), local_group()};
    add("Everyone", model_user(1001), {wk::everyone()});
    add("Anonymous", wk::anonymous(), {wk::network()});
    add("Authenticated Users", model_user(1002), {wk::everyone(), wk::authenticated_users()});
    add("Users", model_user(1003), users_groups);
    add("NETWORK (remote user)", model_user(1004),
        {wk::everyone(), wk::authenticated_users(), wk::users(), wk::network()});
    add("Low integrity (Users at Low)", model_user(1005), users_groups, integrity::kLow);
    auto& app = add("AppContainer (Users at Low)", model_user(1006), users_groups, integrity::kLow);
    app.app_container = Sid{15, {2, 1, 2, 3, 4, 5, 6, 7}};
    if (current) out.push_back(*current);
    return out;
}

std::string_view windows_principal_id(std::size_t index) {
    return index < kWindowsPrincipalIds.size() ? kWindowsPrincipalIds[index] : std::string_view{};
}

// ---- Findings from a descriptor -------------------------------------------------------------

namespace {

std::string sentence_case(std::string s) {
    if (!s.empty()) s[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(s[0])));
    if (!s.empty() && s.back() != '.') s += '.';
    return s;
}

std::string why_of(const AccessDecision& d, std::uint32_t right) {
    const RightVerdict* v = d.verdict(right);
    return v ? v->why : std::string("not decided");
}

void add_finding(PipeAudit& audit, std::string_view kind, Severity sev, std::string principal,
                 std::string detail) {
    audit.findings.push_back({std::string(kind), sev, std::move(principal), std::move(detail)});
}

const PrincipalAccess* find_access(const PipeAudit& audit, std::string_view id) {
    for (const auto& a : audit.access)
        if (a.principal == id) return &a;
    return nullptr;
}

bool has_sid(const std::vector<Sid>& v, const Sid& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
}

// Principals whose instance creation is expected: the owner, SYSTEM and Administrators.
bool trusted_creator(const AccessPrincipal& p, const SecurityDescriptor& sd) {
    return (sd.owner && p.user == *sd.owner) || p.user == well_known::local_system() ||
           has_sid(p.groups, well_known::administrators());
}

}  // namespace

void assess_descriptor(PipeAudit& audit, const SecurityDescriptor& sd,
                       std::span<const AccessPrincipal> principals) {
    using namespace pipe_rights;
    constexpr std::uint32_t kAsked = kReadData | kWriteData | kCreatePipeInstance;
    audit.access.clear();
    std::vector<std::string> squatters;  // ids of principals that may create an instance
    std::string squat_why;
    for (std::size_t i = 0; i < principals.size(); ++i) {
        const AccessPrincipal& p = principals[i];
        const AccessDecision d = evaluate_access(sd, p, kAsked);
        PrincipalAccess a;
        a.principal = std::string(windows_principal_id(i));
        if (a.principal.empty()) a.principal = "principal_" + std::to_string(i);
        a.display = p.name;
        a.read = d.allows(kReadData);
        a.write = d.allows(kWriteData);
        a.create_instance = d.allows(kCreatePipeInstance);
        a.read_why = why_of(d, kReadData);
        a.write_why = why_of(d, kWriteData);
        a.create_instance_why = why_of(d, kCreatePipeInstance);
        if (a.create_instance && !trusted_creator(p, sd)) {
            if (squatters.empty()) squat_why = a.create_instance_why;
            squatters.push_back(a.principal);
        }
        audit.access.push_back(std::move(a));
    }

    if (sd.null_dacl())
        add_finding(audit, finding::kNullDacl, Severity::High, "everyone",
                    "NULL DACL: every right to everyone. Any process, local or remote, can read, "
                    "write and create instances of this pipe; a DACL with no entries would grant "
                    "nothing, a missing one grants all.");

    // world_writable names the widest group that may write.
    for (auto [id, sev] :
         {std::pair{"everyone", Severity::High}, std::pair{"authenticated_users", Severity::Medium},
          std::pair{"users", Severity::Medium}}) {
        const PrincipalAccess* a = find_access(audit, id);
        if (!a || !a->write) continue;
        add_finding(audit, finding::kWorldWritable, sev, id,
                    sentence_case(a->write_why) +
                        " Any local account can send this server requests; a flaw in how it "
                        "reads them is reachable by every user.");
        break;
    }
    if (const auto* a = find_access(audit, "anonymous"); a && a->write)
        add_finding(audit, finding::kAnonymousWritable, Severity::High, "anonymous",
                    sentence_case(a->write_why) +
                        " A client with no account (a null session) may write to it over the "
                        "network.");
    if (const auto* a = find_access(audit, "low_integrity"); a && a->write)
        add_finding(audit, finding::kLowIntegrityWritable, Severity::Medium, "low_integrity",
                    sentence_case(a->write_why) +
                        " A sandboxed Low integrity process can send this server requests: a "
                        "way out of the sandbox if the server trusts them.");
    if (const auto* a = find_access(audit, "app_container"); a && a->write)
        add_finding(audit, finding::kAppContainerWritable, Severity::Medium, "app_container",
                    sentence_case(a->write_why) +
                        " An AppContainer (a UWP app, a browser sandbox) can send this server "
                        "requests: a way out of the container if the server trusts them.");
    if (!squatters.empty()) {
        std::string who;
        for (const auto& id : squatters) who += (who.empty() ? "" : ", ") + id;
        add_finding(audit, finding::kCreateInstanceGranted, Severity::Medium, squatters.front(),
                    sentence_case(squat_why) +
                        " May create an instance of this pipe (FILE_CREATE_PIPE_INSTANCE, part of "
                        "generic write): " +
                        who +
                        ". A process of theirs can serve this name too; clients that reach it "
                        "may be read or impersonated.");
    }
    if (const auto* a = find_access(audit, "network"); a && (a->read || a->write))
        add_finding(audit, finding::kRemoteAllowed, Severity::Low, "network",
                    sentence_case(a->write ? a->write_why : a->read_why) +
                        " The DACL lets remote clients connect; the server may still reject "
                        "them with PIPE_REJECT_REMOTE_CLIENTS, which a client cannot see.");
    sort_findings(audit);
}

// ---- Linux ----------------------------------------------------------------------------------

namespace {

std::string octal_mode(std::uint32_t mode) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777u));
    return buf;
}

// "rw-" for one class's three bits.
std::string rwx(std::uint32_t bits) {
    std::string s = "---";
    if (bits & 4) s[0] = 'r';
    if (bits & 2) s[1] = 'w';
    if (bits & 1) s[2] = 'x';
    return s;
}

// "mode 0666 (other: rw-)"
std::string mode_text(std::uint32_t mode, const char* who, std::uint32_t bits) {
    return "mode " + octal_mode(mode) + " (" + who + ": " + rwx(bits) + ")";
}

}  // namespace

void assess_posix(PipeAudit& audit, const PosixAccessFacts& facts) {
    audit.access.clear();
    const bool fifo = audit.kind == PipeKind::Fifo;
    const char* never_instance =
        "a name has one server; another must unlink the file and bind again, which needs write "
        "permission on its folder";
    struct Class {
        const char* id;
        std::string display;
        const char* who;  // as mode_text names it
        std::uint32_t bits;
    };
    const std::uint32_t m = facts.mode;
    const std::string owner = facts.abstract
                                  ? std::string("owner (no file: abstract name)")
                                  : "owner (uid " + std::to_string(facts.owner_uid) + ")";
    const std::string group = facts.abstract
                                  ? std::string("group (no file: abstract name)")
                                  : "group (gid " + std::to_string(facts.owner_gid) + ")";
    const std::array<Class, 3> classes = {{
        {"owner", owner, "owner", (m >> 6) & 7},
        {"group", group, "group", (m >> 3) & 7},
        {"other_users", "other users", "other", m & 7},
    }};
    for (const auto& c : classes) {
        PrincipalAccess a;
        a.principal = c.id;
        a.display = c.display;
        if (facts.abstract) {
            a.read = a.write = true;
            a.read_why = a.write_why =
                "abstract socket: no file and no permission bits; any process in the network "
                "namespace may connect";
        } else if (fifo) {
            a.read = (c.bits & 4) != 0;
            a.write = (c.bits & 2) != 0;
            a.read_why = mode_text(m, c.who, c.bits) +
                         (a.read ? ": r lets it open the FIFO to read" : ": no r, it may not read");
            a.write_why =
                mode_text(m, c.who, c.bits) +
                (a.write ? ": w lets it open the FIFO to write" : ": no w, it may not write");
        } else {
            // Connecting to a path socket needs write permission on the file; a connection
            // then carries both directions.
            a.read = a.write = (c.bits & 2) != 0;
            a.read_why = a.write_why =
                mode_text(m, c.who, c.bits) +
                (a.write ? ": w lets it connect" : ": no w, connecting needs write permission");
        }
        a.create_instance_why = never_instance;
        audit.access.push_back(std::move(a));
    }
    PrincipalAccess root;
    root.principal = "root";
    root.display = "root";
    root.read = root.write = true;
    root.read_why = root.write_why =
        facts.abstract ? "abstract socket: any process may connect"
                       : "root may always (CAP_DAC_OVERRIDE passes the permission bits)";
    root.create_instance_why = never_instance;
    audit.access.push_back(std::move(root));

    const std::uint32_t other = m & 7;
    const bool other_can_connect = facts.abstract || (other & 2) != 0;
    if (facts.abstract) {
        add_finding(audit, finding::kWorldConnectable, Severity::Medium, "other_users",
                    "abstract socket: no file and no permission bits. Any process in this "
                    "network namespace may connect and send the server requests.");
    } else if (other & 2) {
        add_finding(audit, finding::kWorldConnectable, Severity::Medium, "other_users",
                    mode_text(m, "other", other) +
                        (fifo ? ": any local user may write into this FIFO; its reader takes the "
                                "data as if its own writer sent it."
                              : ": any local user may connect and send the server requests."));
    }

    // The auditor's own way in: root, the owner's bits, or (groups not known here) others'.
    if (facts.server_uid && *facts.server_uid != facts.current_uid && !fifo) {
        const char* as = "other_users";
        bool can = other_can_connect;
        if (facts.current_uid == 0) {
            as = "root";
            can = true;
        } else if (!facts.abstract && facts.current_uid == facts.owner_uid) {
            as = "owner";
            can = ((m >> 6) & 2) != 0;
        }
        if (can) {
            const std::string server = *facts.server_uid == 0
                                           ? std::string("root (uid 0)")
                                           : "uid " + std::to_string(*facts.server_uid);
            std::string how = facts.abstract ? std::string("abstract socket, no permission bits")
                                             : mode_text(m, "other", other);
            add_finding(
                audit, finding::kOtherUserServer,
                other_can_connect ? Severity::Medium : Severity::Low, as,
                "served by " + server + ", not by the auditor (uid " +
                    std::to_string(facts.current_uid) + "); " + how +
                    (other_can_connect
                         ? ". Other users may connect: a flaw in how it reads requests lets them "
                           "act as " +
                               server + "."
                         : ". Only the auditor's own rights let it connect."));
        }
    }
    sort_findings(audit);
}

// ---- The listing ----------------------------------------------------------------------------

void assess_listing(PipeAudit& audit, const PipeEntry& entry) {
    if (entry.server_processes > 1) {
        std::string pids;
        for (const auto& p : entry.server_pids) {
            if (!pids.empty()) pids += ", ";
            pids += std::to_string(p.pid);
            if (!p.name.empty()) pids += " (" + p.name + ")";
        }
        if (pids.empty()) pids = "not readable";
        const bool windows = entry.kind == PipeKind::NamedPipe;
        add_finding(
            audit, finding::kMultipleServers, windows ? Severity::High : Severity::Medium, "",
            std::to_string(entry.server_processes) + " server objects at this name, held by pids " +
                pids + ". " +
                (windows ? "A client cannot tell which process it reaches: one may be squatting "
                           "the name to read or impersonate the others' clients."
                 : entry.kind == PipeKind::Fifo
                     ? "Readers share what writers send: one may be taking the others' data."
                     : "The path reaches only the newest listener: the socket file was replaced "
                       "(a restart that left the old server running, or another process that "
                       "took over the name)."));
    }
    const bool unix_socket = entry.kind == PipeKind::UnixStream ||
                             entry.kind == PipeKind::UnixSeqpacket ||
                             entry.kind == PipeKind::UnixDgram;
    if (unix_socket && !entry.name.empty() && entry.name[0] == '@')
        add_finding(audit, finding::kAbstractSocket, Severity::Medium, "other_users",
                    "abstract AF_UNIX name: no file permissions. Any process in the network "
                    "namespace may connect, and any may bind the name first while the server "
                    "is down.");
    sort_findings(audit);
}

// ---- Order ----------------------------------------------------------------------------------

void sort_findings(PipeAudit& audit) {
    std::stable_sort(audit.findings.begin(), audit.findings.end(),
                     [](const AuditFinding& a, const AuditFinding& b) {
                         if (a.severity != b.severity) return a.severity > b.severity;
                         return std::tie(a.kind, a.principal) < std::tie(b.kind, b.principal);
                     });
}

void sort_audits(std::vector<PipeAudit>& audits) {
    for (auto& a : audits) sort_findings(a);
    // -1 for no finding, so a pipe with only info findings comes before a clean one.
    auto rank = [](const PipeAudit& a) {
        auto w = a.worst();
        return w ? static_cast<int>(*w) : -1;
    };
    std::stable_sort(audits.begin(), audits.end(), [&](const PipeAudit& a, const PipeAudit& b) {
        const int ra = rank(a), rb = rank(b);
        if (ra != rb) return ra > rb;
        return a.name < b.name;
    });
}

// ---- JSON -----------------------------------------------------------------------------------

std::string audits_to_json(const std::vector<PipeAudit>& audits, int indent) {
    using ojson = nlohmann::ordered_json;
    auto arr = ojson::array();
    for (const auto& a : audits) {
        ojson j;
        j["name"] = a.name;
        j["kind"] = std::string(kind_id(a.kind));
        auto pids = ojson::array();
        for (const auto& p : a.server_pids) pids.push_back(p.pid);
        j["server_pids"] = pids;
        j["server_processes"] = a.server_processes;
        j["state"] = std::string(to_string(a.state));
        j["note"] = a.note;
        j["sddl"] = a.sddl ? ojson(*a.sddl) : ojson(nullptr);
        auto worst = a.worst();
        j["worst"] = worst ? ojson(std::string(to_string(*worst))) : ojson(nullptr);
        ojson access = ojson::object();
        ojson why = ojson::object();
        for (const auto& p : a.access) {
            auto rights = ojson::array();
            if (p.read) rights.push_back("read");
            if (p.write) rights.push_back("write");
            if (p.create_instance) rights.push_back("create_instance");
            access[p.principal] = rights;
            why[p.principal] = {{"display", p.display},
                                {"read", p.read_why},
                                {"write", p.write_why},
                                {"create_instance", p.create_instance_why}};
        }
        j["access"] = access;
        j["access_why"] = why;
        auto findings = ojson::array();
        for (const auto& f : a.findings)
            findings.push_back({{"kind", f.kind},
                                {"severity", std::string(to_string(f.severity))},
                                {"principal", f.principal},
                                {"detail", f.detail}});
        j["findings"] = findings;
        arr.push_back(std::move(j));
    }
    return arr.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace pipescope::core
