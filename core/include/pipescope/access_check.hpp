// The access check, computed the way Windows does for a pipe (a file object), from a
// descriptor and a model of the asker's token. Portable and pure: it answers "who could open
// this pipe for what" without being that principal and without touching the pipe.
// Rules, in Windows' order:
//   1. generic rights map with the file/pipe generic mapping (FILE_GENERIC_READ, ...);
//   2. the mandatory label (SACL): an asker below the object's integrity loses write rights
//      (no-write-up; an object with no label counts as Medium, no-write-up), and read /
//      execute rights when the label says no-read-up / no-execute-up;
//   3. the owner gets READ_CONTROL | WRITE_DAC unless the DACL holds an OWNER RIGHTS
//      (S-1-3-4) ACE, which then decides the owner's rights like any other ACE;
//   4. a NULL DACL grants every right; an empty DACL grants none;
//   5. ACEs in stored order: the first ACE that matches the asker and names a right decides
//      it (a deny before an allow denies; an allow before a deny allows). Inherit-only ACEs
//      are skipped. Deny-only groups match deny ACEs only;
//   6. a restricted token must also pass the same check with its restricting SIDs;
//   7. an AppContainer token must also pass a check where only its package SID, ALL
//      APPLICATION PACKAGES and its capabilities match allow ACEs.
// Anonymous is not a member of Everyone unless the principal lists Everyone (Windows' default).
// Any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "pipescope/security_descriptor.hpp"

namespace pipescope::core {

// Access rights of a pipe (winnt.h values).
namespace pipe_rights {
inline constexpr std::uint32_t kReadData = 0x0001;            // FILE_READ_DATA
inline constexpr std::uint32_t kWriteData = 0x0002;           // FILE_WRITE_DATA
inline constexpr std::uint32_t kCreatePipeInstance = 0x0004;  // = FILE_APPEND_DATA
inline constexpr std::uint32_t kReadEa = 0x0008;
inline constexpr std::uint32_t kWriteEa = 0x0010;
inline constexpr std::uint32_t kExecute = 0x0020;
inline constexpr std::uint32_t kReadAttributes = 0x0080;
inline constexpr std::uint32_t kWriteAttributes = 0x0100;
inline constexpr std::uint32_t kDelete = 0x00010000;
inline constexpr std::uint32_t kReadControl = 0x00020000;
inline constexpr std::uint32_t kWriteDac = 0x00040000;
inline constexpr std::uint32_t kWriteOwner = 0x00080000;
inline constexpr std::uint32_t kSynchronize = 0x00100000;
inline constexpr std::uint32_t kAccessSystemSecurity = 0x01000000;
inline constexpr std::uint32_t kMaximumAllowed = 0x02000000;
inline constexpr std::uint32_t kGenericAll = 0x10000000;
inline constexpr std::uint32_t kGenericExecute = 0x20000000;
inline constexpr std::uint32_t kGenericWrite = 0x40000000;
inline constexpr std::uint32_t kGenericRead = 0x80000000;
inline constexpr std::uint32_t kFileGenericRead = 0x00120089;
inline constexpr std::uint32_t kFileGenericWrite = 0x00120116;
inline constexpr std::uint32_t kFileGenericExecute = 0x001200A0;
inline constexpr std::uint32_t kFileAllAccess = 0x001F01FF;
}  // namespace pipe_rights

// Generic bits replaced by what they mean for files and pipes; other bits kept.
[[nodiscard]] std::uint32_t map_generic_pipe_rights(std::uint32_t mask);

// Integrity level RIDs (S-1-16-<rid>).
namespace integrity {
inline constexpr std::uint32_t kUntrusted = 0x0000;
inline constexpr std::uint32_t kLow = 0x1000;
inline constexpr std::uint32_t kMedium = 0x2000;
inline constexpr std::uint32_t kHigh = 0x3000;
inline constexpr std::uint32_t kSystem = 0x4000;
}  // namespace integrity

// The parts of an access token the check reads.
struct AccessPrincipal {
    std::string name;  // shown to the user: "Everyone", "Anonymous", "current user (alice)"
    Sid user;
    std::vector<Sid> groups;            // enabled groups (match allow and deny ACEs)
    std::vector<Sid> deny_only_groups;  // match deny ACEs only
    // Non-empty: a restricted token; a right must also be granted to these SIDs.
    std::vector<Sid> restricting_sids;
    // Set: an AppContainer token with this package SID; a right must also be granted to the
    // package, to ALL APPLICATION PACKAGES or to one of `capabilities`.
    std::optional<Sid> app_container;
    std::vector<Sid> capabilities;
    std::uint32_t integrity_rid = integrity::kMedium;
};

// How one right was decided.
struct RightVerdict {
    std::uint32_t right = 0;  // one bit
    bool granted = false;
    // The ACE that decided it: its index in the DACL, or in the SACL for the mandatory label
    // (`in_sacl`). nullopt when a rule decided (NULL DACL, owner's implicit rights, no ACE
    // names it, the object's default label).
    std::optional<std::size_t> ace_index;
    bool in_sacl = false;
    // One line: "allowed by DACL ACE 2 (A;;0x12019f;;;WD) for Everyone", "denied by DACL ACE 0
    // (D;;FW;;;AN) for ANONYMOUS LOGON", "NULL DACL: everyone gets every right", "no ACE
    // grants it", "owner's implicit READ_CONTROL", "no-write-up: Low asker, Medium object
    // (no label: Medium by default)", "restricted token: no restricting SID is granted it".
    std::string why;
};

struct AccessDecision {
    std::uint32_t granted = 0;  // mapped rights granted (no generic bits)
    // One verdict per bit of the mapped request (every bit of FILE_ALL_ACCESS for
    // MAXIMUM_ALLOWED), low bit first.
    std::vector<RightVerdict> rights;

    [[nodiscard]] bool allows(std::uint32_t mapped_rights) const {
        return (granted & mapped_rights) == mapped_rights;
    }
    // The verdict for one right bit, or nullptr when it was not asked for.
    [[nodiscard]] const RightVerdict* verdict(std::uint32_t right) const;
};

// Windows only: the principal an access token stands for (TokenUser; TokenGroups: enabled
// groups, SE_GROUP_USE_FOR_DENY_ONLY ones as deny-only; TokenRestrictedSids;
// TokenIntegrityLevel; TokenIsAppContainer, TokenAppContainerSid, TokenCapabilities). `token`
// is a HANDLE opened with TOKEN_QUERY, which the caller keeps. nullopt elsewhere, or when the
// user, the groups or the restricting SIDs cannot be read. `name` becomes the account name.
// Any thread.
[[nodiscard]] std::optional<AccessPrincipal> token_principal(void* token);

// The access `who` gets to an object with descriptor `sd`. `desired` may hold generic bits
// and MAXIMUM_ALLOWED (then every right of FILE_ALL_ACCESS is decided).
[[nodiscard]] AccessDecision evaluate_access(const SecurityDescriptor& sd,
                                             const AccessPrincipal& who,
                                             std::uint32_t desired = pipe_rights::kMaximumAllowed);

}  // namespace pipescope::core
