// Security audit across pipes: for each pipe, which principals may connect to read, to write,
// or create an instance of it (squat the name), and findings that say what is risky and why.
//   Windows  the descriptor, read with the inspector's identification-only probe opened with
//            READ_CONTROL | FILE_READ_ATTRIBUTES only, goes through evaluate_access for each
//            principal of windows_audit_principals.
//   Linux    the principals are owner, group, other_users and root, from the file mode, the
//            owner and the server's credentials.
//   Both     the listing alone gives multiple_servers (squatting) and, on Linux,
//            abstract_socket; `--passive` stops there.
// The assess_* functions are pure and portable; run_audit probes pipes (bounded, cancellable).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "pipescope/access_check.hpp"
#include "pipescope/catalog.hpp"
#include "pipescope/inspect.hpp"
#include "pipescope/security_descriptor.hpp"

namespace pipescope::core {

enum class Severity { Info, Low, Medium, High };
[[nodiscard]] std::string_view to_string(Severity s);  // "info", "low", "medium", "high"

// Finding kinds (the "kind" of a finding in JSON).
namespace finding {
inline constexpr std::string_view kNullDacl = "null_dacl";
inline constexpr std::string_view kWorldWritable = "world_writable";
inline constexpr std::string_view kAnonymousWritable = "anonymous_writable";
inline constexpr std::string_view kLowIntegrityWritable = "low_integrity_writable";
inline constexpr std::string_view kAppContainerWritable = "appcontainer_writable";
inline constexpr std::string_view kCreateInstanceGranted = "create_instance_granted";
inline constexpr std::string_view kRemoteAllowed = "remote_allowed";
inline constexpr std::string_view kMultipleServers = "multiple_servers";
inline constexpr std::string_view kAbstractSocket = "abstract_socket";
inline constexpr std::string_view kWorldConnectable = "world_connectable";
inline constexpr std::string_view kOtherUserServer = "other_user_server";
}  // namespace finding

struct AuditFinding {
    std::string kind;  // one of finding::k*
    Severity severity = Severity::Info;
    std::string principal;  // principal id ("everyone", "other_users"), empty when none applies
    // The deciding ACE or mode bits, then one sentence of why it matters:
    // "ACE 1 (A;;FA;;;WD) grants write. Any local user can send this server requests."
    std::string detail;
};

// What one principal may do with one pipe, each with the rule or ACE that decided it.
struct PrincipalAccess {
    std::string principal;  // id: "everyone", "anonymous", "authenticated_users", "users",
                            // "network", "low_integrity", "app_container", "current_user";
                            // Linux: "owner", "group", "other_users", "root"
    std::string display;    // "Everyone", "Low integrity (Users at Low)", "owner (alice, 1000)"
    bool read = false;
    bool write = false;
    bool create_instance = false;  // Linux: never (a name has one server socket)
    std::string read_why;
    std::string write_why;
    std::string create_instance_why;
};

enum class AuditState {
    Ok,        // the descriptor (Windows) or the mode (Linux) was read and assessed
    Passive,   // not probed (--passive): listing findings only
    Excluded,  // not probed: the name matched --exclude
    Busy,      // every instance was busy for the whole timeout
    Denied,    // the probe was refused (READ_CONTROL denied, or the open itself)
    NotFound,  // the pipe went away between listing and probing
    TimedOut,  // the probe ran out of time
    Cancelled,
    Error,
};
[[nodiscard]] std::string_view to_string(AuditState s);  // "ok", "passive", "excluded", ...

struct PipeAudit {
    std::string name;
    PipeKind kind = PipeKind::NamedPipe;
    std::vector<ProcessRef> server_pids;
    std::uint32_t server_processes = 0;  // PipeEntry::server_processes
    AuditState state = AuditState::Ok;
    std::string note;                 // why access is missing or partial, in words (empty when Ok)
    std::optional<std::string> sddl;  // Windows, when read
    std::vector<PrincipalAccess> access;  // empty when the descriptor or mode was not read
    std::vector<AuditFinding> findings;   // highest severity first

    // Severity of the worst finding; nullopt when there is none.
    [[nodiscard]] std::optional<Severity> worst() const;
};

// Windows principals, in report order: Everyone, Anonymous, Authenticated Users, Users,
// NETWORK (a remote authenticated user), Low integrity, AppContainer; then `current` when
// given (its id is "current_user"). Each is a token that holds only what Windows gives such a
// logon (documented in the implementation). Portable.
[[nodiscard]] std::vector<AccessPrincipal> windows_audit_principals(
    const std::optional<AccessPrincipal>& current);
// Id of a principal returned by windows_audit_principals ("everyone", ...), by position.
[[nodiscard]] std::string_view windows_principal_id(std::size_t index);
// The calling process's token (user, groups, deny-only groups, restricting SIDs, integrity,
// AppContainer) on Windows; nullopt elsewhere or when the token cannot be read.
[[nodiscard]] std::optional<AccessPrincipal> current_token_principal();

// Fills audit.access and adds findings from a descriptor. Portable.
void assess_descriptor(PipeAudit& audit, const SecurityDescriptor& sd,
                       std::span<const AccessPrincipal> principals);

// What Linux tells about a socket or FIFO's permissions.
struct PosixAccessFacts {
    bool abstract = false;   // abstract socket: no file, no mode
    std::uint32_t mode = 0;  // st_mode & 07777 (ignored when abstract)
    std::uint32_t owner_uid = 0;
    std::uint32_t owner_gid = 0;
    std::optional<std::uint32_t> server_uid;  // the listening process's uid (SO_PEERCRED, /proc)
    std::uint32_t current_uid = 0;            // the auditor
};
// Fills audit.access (owner, group, other_users, root) and adds findings. Portable.
void assess_posix(PipeAudit& audit, const PosixAccessFacts& facts);

// Findings from the listing alone: multiple_servers, abstract_socket. Portable.
void assess_listing(PipeAudit& audit, const PipeEntry& entry);

// Sorts findings (highest severity first, then kind, then principal) and pipes (worst first,
// then name). Portable.
void sort_findings(PipeAudit& audit);
void sort_audits(std::vector<PipeAudit>& audits);

struct AuditOptions {
    std::string filter;                // case-insensitive substring of the name; empty: all
    std::vector<std::string> exclude;  // substrings of names never probed (reported Excluded)
    std::chrono::milliseconds timeout{2000};  // per pipe
    unsigned concurrency = 4;                 // pipes probed at once, 1..64
    bool passive = false;                     // probe nothing
};

// The audit of a listed snapshot: filter, then (unless passive) probe up to
// options.concurrency pipes at once with `probe` (inspect_pipe by default; run_audit sets
// InspectOptions::least_access_only), at most one probe per pipe, each within
// options.timeout; then assess. `on_pipe` (may be empty) is called once per pipe as it is
// done, from worker threads, never two at a time. `stop` ends probes promptly: pipes not done
// are reported Cancelled, none is left out. Returns sorted audits. Blocks the calling thread.
[[nodiscard]] std::vector<PipeAudit> run_audit(
    const Snapshot& snapshot, const AuditOptions& options, std::stop_token stop = {},
    InspectProbe probe = inspect_pipe,
    std::function<void(const PipeAudit&, std::size_t done, std::size_t total)> on_pipe = {});

// JSON array of {"name", "kind", "server_pids", "server_processes", "state", "note", "sddl",
// "access": {PRINCIPAL: ["read","write","create_instance"]}, "access_why": {...},
// "findings": [{"kind","severity","principal","detail"}]}. Portable.
[[nodiscard]] std::string audits_to_json(const std::vector<PipeAudit>& audits, int indent = 2);

}  // namespace pipescope::core
