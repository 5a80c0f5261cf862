// The audit's portable half: the Windows principal models, findings from descriptors built
// from SDDL (through the binary parser's builder and the access check), findings from Linux
// file modes, findings from the listing, ordering and the JSON shape. Pure: natively and under
// Wine alike.
#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <stop_token>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "pipescope/audit.hpp"

using namespace pipescope::core;

namespace {

SecurityDescriptor sd_of(const std::string& sddl) {
    auto sd = security_descriptor_from_sddl(sddl);
    EXPECT_TRUE(sd.ok()) << sddl << ": " << (sd.ok() ? "" : sd.error().to_string());
    return sd.ok() ? *sd : SecurityDescriptor{};
}

// kind -> principal of every finding (each kind appears once per pipe).
std::multiset<std::string> kinds(const PipeAudit& a) {
    std::multiset<std::string> out;
    for (const auto& f : a.findings) out.insert(f.kind);
    return out;
}

const AuditFinding* find(const PipeAudit& a, std::string_view kind) {
    for (const auto& f : a.findings)
        if (f.kind == kind) return &f;
    return nullptr;
}

const PrincipalAccess* access_of(const PipeAudit& a, std::string_view id) {
    for (const auto& p : a.access)
        if (p.principal == id) return &p;
    return nullptr;
}

PipeAudit assess_windows(const std::string& sddl,
                         const std::optional<AccessPrincipal>& current = std::nullopt) {
    PipeAudit a;
    a.name = "test";
    auto principals = windows_audit_principals(current);
    assess_descriptor(a, sd_of(sddl), principals);
    return a;
}

bool has(const std::vector<Sid>& v, const Sid& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
}

}  // namespace

TEST(AuditNames, SeveritiesAndStatesHaveTheirJsonWords) {
    EXPECT_EQ(to_string(Severity::Info), "info");
    EXPECT_EQ(to_string(Severity::Low), "low");
    EXPECT_EQ(to_string(Severity::Medium), "medium");
    EXPECT_EQ(to_string(Severity::High), "high");
    EXPECT_EQ(to_string(AuditState::Ok), "ok");
    EXPECT_EQ(to_string(AuditState::Passive), "passive");
    EXPECT_EQ(to_string(AuditState::Excluded), "excluded");
    EXPECT_EQ(to_string(AuditState::Busy), "busy");
    EXPECT_EQ(to_string(AuditState::Denied), "denied");
    EXPECT_EQ(to_string(AuditState::NotFound), "not_found");
    EXPECT_EQ(to_string(AuditState::TimedOut), "timed_out");
    EXPECT_EQ(to_string(AuditState::Cancelled), "cancelled");
    EXPECT_EQ(to_string(AuditState::Error), "error");
}

TEST(AuditPrincipals, WindowsModelsHoldOnlyWhatEachLogonGets) {
    namespace wk = well_known;
    auto p = windows_audit_principals(std::nullopt);
    ASSERT_EQ(p.size(), 7u);
    const std::vector<std::string> ids = {"everyone",     "anonymous", "authenticated_users",
                                          "users",        "network",   "low_integrity",
                                          "app_container"};
    for (std::size_t i = 0; i < ids.size(); ++i) EXPECT_EQ(windows_principal_id(i), ids[i]);
    EXPECT_EQ(windows_principal_id(7), "current_user");
    EXPECT_EQ(windows_principal_id(8), "");

    EXPECT_EQ(p[0].groups, std::vector<Sid>{wk::everyone()});
    // Anonymous is S-1-5-7 over the network, and not a member of Everyone.
    EXPECT_EQ(p[1].user, wk::anonymous());
    EXPECT_TRUE(has(p[1].groups, wk::network()));
    EXPECT_FALSE(has(p[1].groups, wk::everyone()));
    EXPECT_TRUE(has(p[2].groups, wk::authenticated_users()));
    EXPECT_FALSE(has(p[2].groups, wk::users()));
    for (const Sid& s : {wk::everyone(), wk::authenticated_users(), wk::users(), wk::interactive()})
        EXPECT_TRUE(has(p[3].groups, s)) << s.to_string();
    EXPECT_FALSE(has(p[3].groups, wk::network()));
    EXPECT_TRUE(has(p[4].groups, wk::network()));
    EXPECT_FALSE(has(p[4].groups, wk::interactive()));
    EXPECT_EQ(p[3].integrity_rid, integrity::kMedium);
    EXPECT_EQ(p[5].integrity_rid, integrity::kLow);
    EXPECT_EQ(p[5].groups, p[3].groups);
    EXPECT_FALSE(p[5].app_container.has_value());
    EXPECT_EQ(p[6].integrity_rid, integrity::kLow);
    ASSERT_TRUE(p[6].app_container.has_value());
    EXPECT_EQ(p[6].app_container->to_string(), "S-1-15-2-1-2-3-4-5-6-7");
    // No model holds Administrators or SYSTEM.
    for (const auto& q : p) {
        EXPECT_FALSE(has(q.groups, wk::administrators())) << q.name;
        EXPECT_NE(q.user, wk::local_system()) << q.name;
    }

    AccessPrincipal me;
    me.name = "current user (alice)";
    me.user = parse_sid("S-1-5-21-9-9-9-1000").value();
    auto with_me = windows_audit_principals(me);
    ASSERT_EQ(with_me.size(), 8u);
    EXPECT_EQ(with_me[7].name, "current user (alice)");
}

TEST(AuditPrincipals, CurrentTokenIsReadOnWindowsOnly) {
    auto me = current_token_principal();
#ifdef _WIN32
    ASSERT_TRUE(me.has_value()) << "the process token could not be read";
    EXPECT_EQ(me->user.authority, 5u) << me->user.to_string();
    EXPECT_FALSE(me->user.sub_authorities.empty());
    EXPECT_NE(me->name.find("current user ("), std::string::npos) << me->name;
    EXPECT_TRUE(has(me->groups, well_known::everyone())) << "every token holds Everyone";
    // The label is read as the integrity level, not kept as a group.
    for (const auto& g : me->groups) EXPECT_NE(g.authority, 16u) << g.to_string();
#else
    EXPECT_FALSE(me.has_value()) << "POSIX has no Windows token";
#endif
}

TEST(AuditDescriptor, NullDaclGrantsEveryoneButNotTheSandboxes) {
    PipeAudit a = assess_windows("D:NO_ACCESS_CONTROL");
    EXPECT_EQ(kinds(a),
              (std::multiset<std::string>{"null_dacl", "world_writable", "anonymous_writable",
                                          "create_instance_granted", "remote_allowed"}));
    EXPECT_EQ(find(a, "null_dacl")->severity, Severity::High);
    EXPECT_EQ(find(a, "world_writable")->principal, "everyone");
    EXPECT_EQ(find(a, "world_writable")->severity, Severity::High);
    EXPECT_EQ(find(a, "create_instance_granted")->principal, "everyone");
    // No label: the object counts as Medium, so Low and AppContainer lose write (no-write-up).
    EXPECT_FALSE(access_of(a, "low_integrity")->write);
    EXPECT_TRUE(access_of(a, "low_integrity")->read);
    EXPECT_EQ(a.findings.front().severity, Severity::High);
}

TEST(AuditDescriptor, EmptyDaclGrantsNothing) {
    PipeAudit a = assess_windows("O:SYD:");
    EXPECT_TRUE(a.findings.empty());
    ASSERT_EQ(a.access.size(), 7u);
    for (const auto& p : a.access) {
        EXPECT_FALSE(p.read || p.write || p.create_instance) << p.principal;
        EXPECT_FALSE(p.write_why.empty()) << p.principal;
    }
}

TEST(AuditDescriptor, EveryoneFullControlIsHighAndSaysWhichAce) {
    const std::string sddl = "O:SYD:(A;;FA;;;SY)(A;;FA;;;WD)";
    PipeAudit a = assess_windows(sddl);
    EXPECT_EQ(kinds(a), (std::multiset<std::string>{"world_writable", "create_instance_granted",
                                                    "remote_allowed"}));
    const AuditFinding* w = find(a, "world_writable");
    EXPECT_EQ(w->severity, Severity::High);
    EXPECT_EQ(w->principal, "everyone");
    // The detail starts with the verdict of the deciding ACE, then says why it matters.
    auto everyone = windows_audit_principals(std::nullopt)[0];
    auto d = evaluate_access(sd_of(sddl), everyone, pipe_rights::kWriteData);
    ASSERT_NE(d.verdict(pipe_rights::kWriteData), nullptr);
    ASSERT_EQ(d.verdict(pipe_rights::kWriteData)->ace_index, std::optional<std::size_t>(1));
    std::string why = d.verdict(pipe_rights::kWriteData)->why;
    why[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(why[0])));
    EXPECT_EQ(w->detail.rfind(why, 0), 0u) << w->detail;
    EXPECT_NE(w->detail.find("requests"), std::string::npos) << w->detail;
    // Anonymous is not in Everyone.
    EXPECT_FALSE(access_of(a, "anonymous")->write);
    EXPECT_FALSE(access_of(a, "anonymous")->read);
    EXPECT_TRUE(access_of(a, "network")->write);
    EXPECT_EQ(find(a, "remote_allowed")->severity, Severity::Low);
    EXPECT_NE(find(a, "remote_allowed")->detail.find("PIPE_REJECT_REMOTE_CLIENTS"),
              std::string::npos);
}

TEST(AuditDescriptor, UsersWritableIsMediumAndNamesTheWidestGroup) {
    PipeAudit a = assess_windows("O:SYD:(A;;FR;;;WD)(A;;FRFW;;;BU)");
    const AuditFinding* w = find(a, "world_writable");
    ASSERT_NE(w, nullptr);
    EXPECT_EQ(w->principal, "users");
    EXPECT_EQ(w->severity, Severity::Medium);
    EXPECT_TRUE(access_of(a, "everyone")->read);
    EXPECT_FALSE(access_of(a, "everyone")->write);
    // FILE_GENERIC_WRITE holds FILE_APPEND_DATA = FILE_CREATE_PIPE_INSTANCE.
    EXPECT_EQ(find(a, "create_instance_granted")->principal, "users");

    PipeAudit au = assess_windows("O:SYD:(A;;FRFW;;;AU)");
    EXPECT_EQ(find(au, "world_writable")->principal, "authenticated_users");
    EXPECT_EQ(find(au, "world_writable")->severity, Severity::Medium);
}

TEST(AuditDescriptor, AnonymousWritableOnlyWhenAnonymousIsNamed) {
    PipeAudit a = assess_windows("O:SYD:(A;;FRFW;;;AN)");
    EXPECT_EQ(kinds(a),
              (std::multiset<std::string>{"anonymous_writable", "create_instance_granted"}));
    EXPECT_EQ(find(a, "anonymous_writable")->severity, Severity::High);
    EXPECT_EQ(find(a, "anonymous_writable")->principal, "anonymous");
    EXPECT_EQ(find(a, "create_instance_granted")->principal, "anonymous");
}

TEST(AuditDescriptor, DenyBeforeAllowKeepsRemoteClientsOutOfWriting) {
    PipeAudit a = assess_windows("O:SYD:(D;;FW;;;NU)(A;;FA;;;WD)");
    EXPECT_FALSE(access_of(a, "network")->write);
    EXPECT_TRUE(access_of(a, "network")->read);
    EXPECT_TRUE(access_of(a, "users")->write);
    // NETWORK may still connect to read: remote_allowed, worded from the read verdict.
    const AuditFinding* r = find(a, "remote_allowed");
    ASSERT_NE(r, nullptr);
    EXPECT_EQ(r->principal, "network");
}

TEST(AuditDescriptor, LowLabelLetsLowIntegrityWrite) {
    PipeAudit a = assess_windows("O:SYD:(A;;FA;;;WD)S:(ML;;NW;;;LW)");
    EXPECT_TRUE(access_of(a, "low_integrity")->write);
    const AuditFinding* f = find(a, "low_integrity_writable");
    ASSERT_NE(f, nullptr);
    EXPECT_EQ(f->severity, Severity::Medium);
    // The AppContainer also needs its package or ALL APPLICATION PACKAGES granted.
    EXPECT_FALSE(access_of(a, "app_container")->write);
    EXPECT_EQ(find(a, "appcontainer_writable"), nullptr);
}

TEST(AuditDescriptor, AllApplicationPackagesLetsTheAppContainerWrite) {
    PipeAudit a = assess_windows("O:SYD:(A;;FA;;;WD)(A;;FRFW;;;AC)S:(ML;;NW;;;LW)");
    EXPECT_TRUE(access_of(a, "app_container")->write);
    ASSERT_NE(find(a, "appcontainer_writable"), nullptr);
    EXPECT_EQ(find(a, "appcontainer_writable")->severity, Severity::Medium);
    // Without the Low label the same DACL stops both at no-write-up.
    PipeAudit medium = assess_windows("O:SYD:(A;;FA;;;WD)(A;;FRFW;;;AC)");
    EXPECT_EQ(find(medium, "appcontainer_writable"), nullptr);
    EXPECT_EQ(find(medium, "low_integrity_writable"), nullptr);
}

TEST(AuditDescriptor, OwnerSystemAndAdministratorsOnlyHasNoFinding) {
    PipeAudit a = assess_windows("O:BAG:SYD:(A;;FA;;;SY)(A;;FA;;;BA)");
    EXPECT_TRUE(a.findings.empty()) << a.findings.front().kind;
    for (const auto& p : a.access) EXPECT_FALSE(p.read || p.write || p.create_instance);
}

TEST(AuditDescriptor, CreateInstanceAloneIsASquattingFinding) {
    PipeAudit a = assess_windows("O:SYD:(A;;FR;;;WD)(A;;0x4;;;BU)");
    EXPECT_EQ(find(a, "world_writable"), nullptr);
    const AuditFinding* c = find(a, "create_instance_granted");
    ASSERT_NE(c, nullptr);
    EXPECT_EQ(c->principal, "users");
    EXPECT_EQ(c->severity, Severity::Medium);
    EXPECT_NE(c->detail.find("network"), std::string::npos)
        << "names the others too: " << c->detail;
}

TEST(AuditDescriptor, TheOwnerMayCreateInstancesOthersMayNot) {
    AccessPrincipal me;
    me.name = "current user";
    me.user = parse_sid("S-1-5-21-9-9-9-1000").value();
    me.groups = {well_known::everyone(), well_known::users()};
    // The current user owns the pipe and has full control: expected, no finding.
    PipeAudit own = assess_windows("O:S-1-5-21-9-9-9-1000D:(A;;FA;;;S-1-5-21-9-9-9-1000)", me);
    ASSERT_EQ(own.access.size(), 8u);
    EXPECT_TRUE(own.access[7].create_instance);
    EXPECT_EQ(own.access[7].principal, "current_user");
    EXPECT_TRUE(own.findings.empty());
    // Someone else owns it and grants the current user full control: the user may squat it.
    PipeAudit other = assess_windows("O:SYD:(A;;FA;;;S-1-5-21-9-9-9-1000)", me);
    const AuditFinding* c = find(other, "create_instance_granted");
    ASSERT_NE(c, nullptr);
    EXPECT_EQ(c->principal, "current_user");
}

TEST(AuditPosix, FactsTable) {
    struct Row {
        const char* what;
        PipeKind kind;
        bool abstract;
        std::uint32_t mode, owner, server;  // server 99999: unknown
        std::uint32_t current;
        std::multiset<std::string> expected;
        bool other_read, other_write;
    };
    const std::uint32_t unknown = 99999;
    const std::vector<Row> rows = {
        {"0666 socket, own server",
         PipeKind::UnixStream,
         false,
         0666,
         1000,
         1000,
         1000,
         {"world_connectable"},
         true,
         true},
        {"0600 socket, own server",
         PipeKind::UnixStream,
         false,
         0600,
         1000,
         1000,
         1000,
         {},
         false,
         false},
        {"0644 socket: r without w does not connect",
         PipeKind::UnixStream,
         false,
         0644,
         1000,
         1000,
         1000,
         {},
         false,
         false},
        {"0622 FIFO: others may write",
         PipeKind::Fifo,
         false,
         0622,
         1000,
         unknown,
         1000,
         {"world_connectable"},
         false,
         true},
        {"0644 FIFO: others may only read",
         PipeKind::Fifo,
         false,
         0644,
         1000,
         unknown,
         1000,
         {},
         true,
         false},
        {"abstract socket",
         PipeKind::UnixStream,
         true,
         0,
         0,
         1000,
         1000,
         {"world_connectable"},
         true,
         true},
        {"root's 0666 socket seen by nobody",
         PipeKind::UnixStream,
         false,
         0666,
         0,
         0,
         65534,
         {"world_connectable", "other_user_server"},
         true,
         true},
        {"root's 0600 socket seen by nobody",
         PipeKind::UnixStream,
         false,
         0600,
         0,
         0,
         65534,
         {},
         false,
         false},
        {"root's abstract socket seen by nobody",
         PipeKind::UnixStream,
         true,
         0,
         0,
         0,
         65534,
         {"world_connectable", "other_user_server"},
         true,
         true},
        {"0666 socket, server not known",
         PipeKind::UnixStream,
         false,
         0666,
         0,
         unknown,
         65534,
         {"world_connectable"},
         true,
         true},
        {"0660 seqpacket of root",
         PipeKind::UnixSeqpacket,
         false,
         0660,
         0,
         0,
         1000,
         {},
         false,
         false},
    };
    for (const auto& r : rows) {
        PipeAudit a;
        a.kind = r.kind;
        PosixAccessFacts f;
        f.abstract = r.abstract;
        f.mode = r.mode;
        f.owner_uid = r.owner;
        f.owner_gid = r.owner;
        if (r.server != unknown) f.server_uid = r.server;
        f.current_uid = r.current;
        assess_posix(a, f);
        EXPECT_EQ(kinds(a), r.expected) << r.what;
        ASSERT_EQ(a.access.size(), 4u) << r.what;
        EXPECT_EQ(a.access[0].principal, "owner");
        EXPECT_EQ(a.access[1].principal, "group");
        EXPECT_EQ(a.access[2].principal, "other_users");
        EXPECT_EQ(a.access[3].principal, "root");
        EXPECT_EQ(a.access[2].read, r.other_read) << r.what;
        EXPECT_EQ(a.access[2].write, r.other_write) << r.what;
        EXPECT_TRUE(a.access[3].read && a.access[3].write) << r.what;
        for (const auto& p : a.access) EXPECT_FALSE(p.create_instance) << r.what;
    }
}

TEST(AuditPosix, DetailsNameTheModeBitsInOctal) {
    PipeAudit a;
    a.kind = PipeKind::UnixStream;
    PosixAccessFacts f;
    f.mode = 0666;
    f.owner_uid = 0;
    f.server_uid = 0;
    f.current_uid = 65534;
    assess_posix(a, f);
    const AuditFinding* w = find(a, "world_connectable");
    ASSERT_NE(w, nullptr);
    EXPECT_EQ(w->severity, Severity::Medium);
    EXPECT_EQ(w->principal, "other_users");
    EXPECT_NE(w->detail.find("mode 0666 (other: rw-)"), std::string::npos) << w->detail;
    const AuditFinding* o = find(a, "other_user_server");
    ASSERT_NE(o, nullptr);
    EXPECT_EQ(o->severity, Severity::Medium);
    EXPECT_NE(o->detail.find("root (uid 0)"), std::string::npos) << o->detail;
    EXPECT_NE(a.access[2].write_why.find("mode 0666 (other: rw-)"), std::string::npos);

    PipeAudit fifo;
    fifo.kind = PipeKind::Fifo;
    PosixAccessFacts ff;
    ff.mode = 0622;
    assess_posix(fifo, ff);
    ASSERT_NE(find(fifo, "world_connectable"), nullptr);
    EXPECT_NE(find(fifo, "world_connectable")->detail.find("mode 0622 (other: -w-)"),
              std::string::npos);
}

TEST(AuditPosix, AbstractSocketsClaimNoOwnerOrGroup) {
    PipeAudit a;
    a.kind = PipeKind::UnixStream;
    PosixAccessFacts f;
    f.abstract = true;
    assess_posix(a, f);
    ASSERT_EQ(a.access.size(), 4u);
    EXPECT_EQ(a.access[0].display.find("uid"), std::string::npos) << a.access[0].display;
    EXPECT_NE(a.access[0].display.find("abstract"), std::string::npos) << a.access[0].display;
    EXPECT_NE(a.access[2].write_why.find("abstract"), std::string::npos);

    PipeAudit p;
    p.kind = PipeKind::UnixStream;
    PosixAccessFacts pf;
    pf.mode = 0600;
    pf.owner_uid = 1000;
    pf.owner_gid = 100;
    assess_posix(p, pf);
    EXPECT_EQ(p.access[0].display, "owner (uid 1000)");
    EXPECT_EQ(p.access[1].display, "group (gid 100)");
}

TEST(AuditPosix, AnotherUsersServerReachedOnlyThroughTheOwnersBitsIsLow) {
    // The auditor owns the socket file, but root serves it (e.g. a root daemon bound a socket
    // in the user's folder): connectable by the owner only.
    PipeAudit a;
    a.kind = PipeKind::UnixStream;
    PosixAccessFacts f;
    f.mode = 0600;
    f.owner_uid = 1000;
    f.server_uid = 0;
    f.current_uid = 1000;
    assess_posix(a, f);
    const AuditFinding* o = find(a, "other_user_server");
    ASSERT_NE(o, nullptr);
    EXPECT_EQ(o->severity, Severity::Low);
    EXPECT_EQ(o->principal, "owner");
}

TEST(AuditListing, MultipleServersNamesThePids) {
    PipeEntry e;
    e.kind = PipeKind::NamedPipe;
    e.name = "svc";
    e.server_pids = {{100, "svc.exe"}, {200, "other.exe"}};
    e.server_processes = 2;
    PipeAudit a;
    assess_listing(a, e);
    ASSERT_EQ(a.findings.size(), 1u);
    EXPECT_EQ(a.findings[0].kind, "multiple_servers");
    EXPECT_EQ(a.findings[0].severity, Severity::High);
    EXPECT_NE(a.findings[0].detail.find("100 (svc.exe), 200 (other.exe)"), std::string::npos)
        << a.findings[0].detail;

    e.kind = PipeKind::UnixStream;
    e.name = "/run/x.sock";
    PipeAudit linux_audit;
    assess_listing(linux_audit, e);
    ASSERT_EQ(linux_audit.findings.size(), 1u);
    EXPECT_EQ(linux_audit.findings[0].severity, Severity::Medium);

    // Two pids, one object (a listener inherited by a child): not squatting.
    e.server_processes = 1;
    PipeAudit one;
    assess_listing(one, e);
    EXPECT_TRUE(one.findings.empty());
}

TEST(AuditListing, AbstractSocketsOnlyForUnixKinds) {
    PipeEntry e;
    e.kind = PipeKind::UnixStream;
    e.name = "@some-name";
    PipeAudit a;
    assess_listing(a, e);
    ASSERT_EQ(a.findings.size(), 1u);
    EXPECT_EQ(a.findings[0].kind, "abstract_socket");
    EXPECT_EQ(a.findings[0].severity, Severity::Medium);
    e.kind = PipeKind::UnixSeqpacket;
    PipeAudit seq;
    assess_listing(seq, e);
    EXPECT_EQ(seq.findings.size(), 1u);
    // A Windows pipe may be called "@x": that is only a name.
    e.kind = PipeKind::NamedPipe;
    PipeAudit win;
    assess_listing(win, e);
    EXPECT_TRUE(win.findings.empty());
    e.kind = PipeKind::UnixStream;
    e.name = "/tmp/@not-abstract";
    PipeAudit path;
    assess_listing(path, e);
    EXPECT_TRUE(path.findings.empty());
}

TEST(AuditOrder, FindingsBySeverityThenKindThenPrincipal) {
    PipeAudit a;
    a.findings = {{"remote_allowed", Severity::Low, "network", ""},
                  {"world_writable", Severity::High, "everyone", ""},
                  {"create_instance_granted", Severity::Medium, "users", ""},
                  {"anonymous_writable", Severity::High, "anonymous", ""},
                  {"create_instance_granted", Severity::Medium, "everyone", ""}};
    sort_findings(a);
    std::vector<std::string> got;
    for (const auto& f : a.findings) got.push_back(f.kind + "/" + f.principal);
    EXPECT_EQ(
        got, (std::vector<std::string>{"anonymous_writable/anonymous", "world_writable/everyone",
                                       "create_instance_granted/everyone",
                                       "create_instance_granted/users", "remote_allowed/network"}));
    EXPECT_EQ(a.worst(), Severity::High);
    EXPECT_EQ(PipeAudit{}.worst(), std::nullopt);
}

TEST(AuditOrder, PipesWorstFirstThenByName) {
    auto pipe = [](std::string name, std::vector<Severity> sevs) {
        PipeAudit a;
        a.name = std::move(name);
        for (auto s : sevs) a.findings.push_back({"k", s, "", ""});
        return a;
    };
    std::vector<PipeAudit> v = {pipe("b-clean", {}),
                                pipe("c-low", {Severity::Low}),
                                pipe("z-high", {Severity::Low, Severity::High}),
                                pipe("a-clean", {}),
                                pipe("d-info", {Severity::Info}),
                                pipe("a-high", {Severity::High})};
    sort_audits(v);
    std::vector<std::string> names;
    for (const auto& a : v) names.push_back(a.name);
    EXPECT_EQ(names, (std::vector<std::string>{"a-high", "z-high", "c-low", "d-info", "a-clean",
                                               "b-clean"}));
    EXPECT_EQ(v[1].findings.front().severity, Severity::High) << "findings sorted too";
}

TEST(AuditJson, ArrayOfPipesWithAccessAndFindings) {
    PipeAudit a = assess_windows("O:SYD:(A;;FA;;;WD)");
    a.name = "svc\\pipe";
    a.server_pids = {{42, "svc.exe"}};
    a.server_processes = 1;
    a.sddl = "O:SYD:(A;;FA;;;WD)";
    PipeAudit p;
    p.name = "passive-one";
    p.kind = PipeKind::UnixStream;
    p.state = AuditState::Passive;
    p.note = "not probed";
    auto j = nlohmann::json::parse(audits_to_json({a, p}));
    ASSERT_TRUE(j.is_array());
    ASSERT_EQ(j.size(), 2u);
    const auto& x = j[0];
    EXPECT_EQ(x["name"], "svc\\pipe");
    EXPECT_EQ(x["kind"], "named_pipe");
    EXPECT_EQ(x["server_pids"], nlohmann::json::array({42}));
    EXPECT_EQ(x["server_processes"], 1);
    EXPECT_EQ(x["state"], "ok");
    EXPECT_EQ(x["sddl"], "O:SYD:(A;;FA;;;WD)");
    EXPECT_EQ(x["worst"], "high");
    EXPECT_EQ(x["access"]["everyone"], nlohmann::json::array({"read", "write", "create_instance"}));
    EXPECT_EQ(x["access"]["anonymous"], nlohmann::json::array());
    EXPECT_EQ(x["access"].size(), 7u);
    EXPECT_TRUE(x["access_why"]["everyone"]["write"].is_string());
    EXPECT_FALSE(x["access_why"]["everyone"]["write"].get<std::string>().empty());
    ASSERT_TRUE(x["findings"].is_array());
    ASSERT_EQ(x["findings"].size(), a.findings.size());
    const auto& f0 = x["findings"][0];
    EXPECT_EQ(f0["kind"], "world_writable");
    EXPECT_EQ(f0["severity"], "high");
    EXPECT_EQ(f0["principal"], "everyone");
    EXPECT_TRUE(f0["detail"].is_string());

    const auto& y = j[1];
    EXPECT_EQ(y["kind"], "unix_stream");
    EXPECT_EQ(y["state"], "passive");
    EXPECT_EQ(y["note"], "not probed");
    EXPECT_TRUE(y["sddl"].is_null());
    EXPECT_TRUE(y["worst"].is_null());
    EXPECT_TRUE(y["access"].is_object() && y["access"].empty());
    EXPECT_TRUE(y["findings"].is_array() && y["findings"].empty());
    EXPECT_EQ(nlohmann::json::parse(audits_to_json({})), nlohmann::json::array());
}

// ---- run_audit with a fake probe --------------------------------------------------------------

namespace {

Snapshot snapshot_of(std::vector<PipeEntry> entries) {
    Snapshot s;
    s.entries = std::move(entries);
    normalize(s);
    return s;
}

PipeEntry listed(PipeKind kind, std::string name) {
    PipeEntry e;
    e.kind = kind;
    e.name = std::move(name);
    return e;
}

// A probe that answers like a Linux socket of mode 0666 served by uid 0.
PipeDetails open_socket_details(const PipeName& name) {
    PipeDetails d;
    d.name = name.display();
    d.state = InspectState::Ok;
    d.mode.set(0666, "stat", false);
    d.owner_uid.set(0, "stat", false);
    d.owner_gid.set(0, "stat", false);
    d.server_uid.set(0, "SO_PEERCRED", true);
    return d;
}

}  // namespace

TEST(RunAudit, ProbesEachPipeOnceWithTheLeastAccessAndWithinTheBound) {
    std::vector<PipeEntry> entries;
    for (int i = 0; i < 24; ++i)
        entries.push_back(listed(PipeKind::UnixStream, "/run/p" + std::to_string(100 + i)));
    const Snapshot snap = snapshot_of(entries);
    std::mutex m;
    std::condition_variable cv;
    int in_flight = 0, most = 0;
    std::map<std::string, int> calls;
    bool options_ok = true;
    AuditOptions opt;
    opt.concurrency = 3;
    opt.timeout = std::chrono::milliseconds(1234);
    auto probe = [&](const PipeName& n, const InspectOptions& io, std::stop_token) {
        std::unique_lock lock(m);
        options_ok &= io.least_access_only && !io.resolve_names && io.timeout == opt.timeout;
        ++calls[n.display()];
        most = std::max(most, ++in_flight);
        // Hold the first probes until three run at once, so the bound is reached (bounded
        // wait: with fewer workers the test fails on `most` instead of hanging).
        cv.wait_for(lock, std::chrono::seconds(10),
                    [&] { return most >= 3 || calls.size() == 24; });
        cv.notify_all();
        --in_flight;
        return open_socket_details(n);
    };
    std::size_t reported = 0, last_done = 0;
    auto audits =
        run_audit(snap, opt, {}, probe, [&](const PipeAudit&, std::size_t done, std::size_t total) {
            ++reported;
            EXPECT_EQ(total, 24u);
            EXPECT_EQ(done, last_done + 1) << "done counts up by one, one call at a time";
            last_done = done;
        });
    EXPECT_TRUE(options_ok);
    EXPECT_EQ(most, 3);
    ASSERT_EQ(calls.size(), 24u);
    for (const auto& [name, n] : calls) EXPECT_EQ(n, 1) << name;
    EXPECT_EQ(reported, 24u);
    ASSERT_EQ(audits.size(), 24u);
    for (const auto& a : audits) {
        EXPECT_EQ(a.state, AuditState::Ok) << a.name;
        ASSERT_FALSE(a.findings.empty()) << a.name;
        EXPECT_EQ(a.findings[0].kind, "world_connectable");
    }
}

TEST(RunAudit, FilterExcludeAndPassiveProbeNothingTheyLeaveOut) {
    auto abs = listed(PipeKind::UnixStream, "@Match-abstract");
    auto keep = listed(PipeKind::UnixStream, "/run/match-keep.sock");
    auto skip = listed(PipeKind::UnixStream, "/run/match-secret.sock");
    auto other = listed(PipeKind::UnixStream, "/run/unrelated.sock");
    const Snapshot snap = snapshot_of({abs, keep, skip, other});
    std::vector<std::string> probed;
    std::mutex m;
    auto probe = [&](const PipeName& n, const InspectOptions&, std::stop_token) {
        std::lock_guard lock(m);
        probed.push_back(n.display());
        return open_socket_details(n);
    };
    AuditOptions opt;
    opt.filter = "MATCH";
    opt.exclude = {"Secret"};
    auto audits = run_audit(snap, opt, {}, probe);
    ASSERT_EQ(audits.size(), 3u) << "the filter leaves the unrelated pipe out";
    std::map<std::string, AuditState> states;
    for (const auto& a : audits) states[a.name] = a.state;
    EXPECT_EQ(states["/run/match-secret.sock"], AuditState::Excluded);
    EXPECT_EQ(states["/run/match-keep.sock"], AuditState::Ok);
    EXPECT_EQ(states["@Match-abstract"], AuditState::Ok);
    EXPECT_EQ(probed.size(), 2u);
    for (const auto& p : probed) EXPECT_EQ(p.find("secret"), std::string::npos) << p;

    probed.clear();
    opt.passive = true;
    auto passive = run_audit(snap, opt, {}, probe);
    EXPECT_TRUE(probed.empty()) << "--passive probes nothing";
    ASSERT_EQ(passive.size(), 3u);
    for (const auto& a : passive) {
        EXPECT_TRUE(a.state == AuditState::Passive || a.state == AuditState::Excluded) << a.name;
        EXPECT_TRUE(a.access.empty());
        EXPECT_FALSE(a.note.empty());
    }
    // The listing's findings stay: the abstract name is the worst, so it comes first.
    EXPECT_EQ(passive[0].name, "@Match-abstract");
    EXPECT_EQ(passive[0].findings.at(0).kind, "abstract_socket");
}

TEST(RunAudit, SocketsWithoutAnOpenableNameAreReportedNotProbedByAnotherName) {
    // A relative bind path ("socket", as wineserver binds) would parse as \\.\pipe\socket.
    const Snapshot snap = snapshot_of({listed(PipeKind::UnixStream, "socket"),
                                       listed(PipeKind::UnixStream, "socket:[4242]"),
                                       listed(PipeKind::UnixStream, "/run/named.sock")});
    std::vector<std::string> probed;
    std::mutex m;
    auto probe = [&](const PipeName& n, const InspectOptions&, std::stop_token) {
        std::lock_guard lock(m);
        probed.push_back(n.display());
        return open_socket_details(n);
    };
    auto audits = run_audit(snap, AuditOptions{}, {}, probe);
    ASSERT_EQ(audits.size(), 3u) << "none is left out";
    EXPECT_EQ(probed, std::vector<std::string>{"/run/named.sock"});
    for (const auto& a : audits) {
        if (a.name == "/run/named.sock") continue;
        EXPECT_EQ(a.state, AuditState::Error) << a.name;
        EXPECT_NE(a.note.find("not probed"), std::string::npos) << a.note;
    }
}

TEST(RunAudit, CancellingReportsEveryPipeNoneLeftOut) {
    std::vector<PipeEntry> entries;
    for (int i = 0; i < 10; ++i)
        entries.push_back(listed(PipeKind::UnixStream, "/run/hang" + std::to_string(i)));
    const Snapshot snap = snapshot_of(entries);
    std::stop_source stop;
    std::atomic<int> started{0};
    // Every probe hangs until the audit is stopped, then returns Cancelled as a probe must.
    auto probe = [&](const PipeName& n, const InspectOptions&, std::stop_token st) {
        if (++started == 2) stop.request_stop();
        std::mutex m;
        std::condition_variable_any cv;
        std::unique_lock lock(m);
        cv.wait(lock, st, [] { return false; });
        PipeDetails d;
        d.name = n.display();
        d.state = InspectState::Cancelled;
        return d;
    };
    AuditOptions opt;
    opt.concurrency = 2;
    std::size_t reported = 0;
    auto audits = run_audit(snap, opt, stop.get_token(), probe,
                            [&](const PipeAudit&, std::size_t, std::size_t) { ++reported; });
    EXPECT_EQ(started.load(), 2) << "no new probe starts once stopped";
    ASSERT_EQ(audits.size(), 10u);
    EXPECT_EQ(reported, 10u);
    for (const auto& a : audits) {
        EXPECT_EQ(a.state, AuditState::Cancelled) << a.name;
        EXPECT_FALSE(a.note.empty());
    }
}

TEST(RunAudit, ProbeOutcomesBecomeStatesWithNotes) {
    auto busy_pipe = listed(PipeKind::NamedPipe, "busy");
    auto null_pipe = listed(PipeKind::NamedPipe, "null-dacl");
    auto no_sd = listed(PipeKind::NamedPipe, "no-descriptor");
    auto garbage = listed(PipeKind::NamedPipe, "garbage");
    auto refused = listed(PipeKind::UnixStream, "/run/refused.sock");
    auto gone = listed(PipeKind::UnixStream, "/run/gone.sock");
    refused.server_pids = {{4242, "srv"}};
    const Snapshot snap = snapshot_of({busy_pipe, null_pipe, no_sd, garbage, refused, gone});
    auto probe = [&](const PipeName& n, const InspectOptions&, std::stop_token) {
        PipeDetails d;
        d.name = n.display();
        d.state = InspectState::Ok;
        const std::string s = n.display();
        auto bytes_of = [](const SecurityDescriptor& sd) {
            std::vector<std::uint8_t> out;
            for (std::byte b : to_self_relative(sd)) out.push_back(static_cast<std::uint8_t>(b));
            return out;
        };
        if (s.find("busy") != std::string::npos) {
            d.state = InspectState::Busy;
            d.error = make_error(ErrorCode::Busy, "CreateFileW", s, "all instances are busy");
            d.security_descriptor.fail(FieldState::Busy, "GetSecurityInfo", true, "busy");
        } else if (s.find("null-dacl") != std::string::npos) {
            d.security_descriptor.set(bytes_of(sd_of("D:NO_ACCESS_CONTROL")), "GetSecurityInfo",
                                      true);
            d.sddl.set("D:NO_ACCESS_CONTROL", "GetSecurityInfo", true);
        } else if (s.find("no-descriptor") != std::string::npos) {
            d.security_descriptor.fail(FieldState::Unsupported, "GetSecurityInfo", true,
                                       "the system returned no security descriptor");
        } else if (s.find("garbage") != std::string::npos) {
            d.security_descriptor.set({1, 0, 4, 0x80, 0xff, 0xff, 0xff, 0xff}, "GetSecurityInfo",
                                      true);
        } else if (s.find("refused") != std::string::npos) {
            d = open_socket_details(n);
            d.state = InspectState::Error;
            d.error = make_error(ErrorCode::Io, "connect", s, "connection refused");
            d.server_uid.fail(FieldState::Failed, "SO_PEERCRED", true, "not connected");
        } else {
            d.state = InspectState::NotFound;
            d.error = make_error(ErrorCode::NotFound, "stat", s, "no such file");
            d.mode.fail(FieldState::NotFound, "stat", false, "no such file");
        }
        return d;
    };
    auto audits = run_audit(snap, {}, {}, probe);
    ASSERT_EQ(audits.size(), 6u);
    std::map<std::string, const PipeAudit*> by;
    for (const auto& a : audits) by[a.name] = &a;
    EXPECT_EQ(by["busy"]->state, AuditState::Busy);
    EXPECT_NE(by["busy"]->note.find("all instances are busy"), std::string::npos)
        << by["busy"]->note;
    EXPECT_EQ(by["null-dacl"]->state, AuditState::Ok);
    EXPECT_EQ(by["null-dacl"]->sddl, std::optional<std::string>("D:NO_ACCESS_CONTROL"));
    EXPECT_EQ(kinds(*by["null-dacl"]).count("null_dacl"), 1u);
    EXPECT_EQ(by["null-dacl"]->access.size(),
              windows_audit_principals(current_token_principal()).size());
    EXPECT_EQ(by["no-descriptor"]->state, AuditState::Error);
    EXPECT_NE(by["no-descriptor"]->note.find("no security descriptor"), std::string::npos);
    EXPECT_EQ(by["garbage"]->state, AuditState::Error);
    EXPECT_NE(by["garbage"]->note.find("parse_security_descriptor"), std::string::npos)
        << by["garbage"]->note;
    // The mode was read even though the connect failed: assessed, with the connect's outcome.
    EXPECT_EQ(by["/run/refused.sock"]->state, AuditState::Ok);
    EXPECT_NE(by["/run/refused.sock"]->note.find("connection refused"), std::string::npos);
    EXPECT_EQ(by["/run/gone.sock"]->state, AuditState::NotFound);
    EXPECT_TRUE(by["/run/gone.sock"]->access.empty());
    // Worst first: the NULL DACL leads.
    EXPECT_EQ(audits[0].name, "null-dacl");
}
