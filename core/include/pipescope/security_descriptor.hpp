// Security descriptors in binary form: SIDs, ACEs, ACLs and the self-relative layout Windows
// returns from GetSecurityInfo / GetKernelObjectSecurity. Read as bytes, not as SDDL text:
// Wine prints a NULL DACL and an empty one the same way ("D:"), the bytes tell them apart.
// Portable, pure functions (tested and fuzzed on every platform); any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "pipescope/result.hpp"

namespace pipescope::core {

// A security identifier: S-1-<authority>-<sub>-<sub>...
struct Sid {
    std::uint64_t authority = 0;                 // 48-bit identifier authority (5 = NT AUTHORITY)
    std::vector<std::uint32_t> sub_authorities;  // at most 15

    [[nodiscard]] std::string to_string() const;  // "S-1-5-32-544"
    friend bool operator==(const Sid&, const Sid&) = default;
};

// "S-1-5-32-544" (decimal or 0x-hex authority) or an SDDL alias ("WD", "AN", "AU", "BU", "BA",
// "SY", "NU", "OW", "CO", "AC", "LW", "ME", "HI", "SI", ...). Aliases that name a domain or
// machine account ("DA", "DU", "LA") are errors: they need a machine to resolve. InvalidArgument
// says what was wrong.
[[nodiscard]] Result<Sid> parse_sid(std::string_view text);
// "Everyone", "NT AUTHORITY\\ANONYMOUS LOGON", "BUILTIN\\Administrators", "Low Mandatory
// Level", ... for well-known SIDs; the S- text for any other.
[[nodiscard]] std::string sid_display_name(const Sid& sid);

// Well-known SIDs the audit and the access check name.
namespace well_known {
[[nodiscard]] Sid everyone();                    // S-1-1-0
[[nodiscard]] Sid creator_owner();               // S-1-3-0
[[nodiscard]] Sid owner_rights();                // S-1-3-4
[[nodiscard]] Sid network();                     // S-1-5-2
[[nodiscard]] Sid interactive();                 // S-1-5-4
[[nodiscard]] Sid anonymous();                   // S-1-5-7
[[nodiscard]] Sid authenticated_users();         // S-1-5-11
[[nodiscard]] Sid restricted_code();             // S-1-5-12
[[nodiscard]] Sid local_system();                // S-1-5-18
[[nodiscard]] Sid administrators();              // S-1-5-32-544
[[nodiscard]] Sid users();                       // S-1-5-32-545
[[nodiscard]] Sid all_app_packages();            // S-1-15-2-1
[[nodiscard]] Sid integrity(std::uint32_t rid);  // S-1-16-<rid>: 0x1000 low, 0x2000 medium...
}  // namespace well_known

// ACE_HEADER.AceType values PipeScope reads (others are kept with their bytes).
enum class AceType : std::uint8_t {
    AccessAllowed = 0x0,
    AccessDenied = 0x1,
    SystemAudit = 0x2,
    AccessAllowedObject = 0x5,
    AccessDeniedObject = 0x6,
    AccessAllowedCallback = 0x9,
    AccessDeniedCallback = 0xA,
    SystemMandatoryLabel = 0x11,
};

// ACE_HEADER.AceFlags bits.
inline constexpr std::uint8_t kAceObjectInherit = 0x01;
inline constexpr std::uint8_t kAceContainerInherit = 0x02;
inline constexpr std::uint8_t kAceNoPropagateInherit = 0x04;
inline constexpr std::uint8_t kAceInheritOnly = 0x08;  // not applied to the object itself
inline constexpr std::uint8_t kAceInherited = 0x10;

// Mandatory label policy bits (the mask of a SystemMandatoryLabel ACE).
inline constexpr std::uint32_t kLabelNoWriteUp = 0x1;
inline constexpr std::uint32_t kLabelNoReadUp = 0x2;
inline constexpr std::uint32_t kLabelNoExecuteUp = 0x4;

struct Ace {
    std::uint8_t type = 0;   // AceType value (any byte: unknown types are kept)
    std::uint8_t flags = 0;  // kAce* bits
    std::uint32_t mask = 0;  // access mask as stored (generic bits not mapped)
    // The trustee. nullopt for ACE types whose layout is not read; those never match anyone.
    std::optional<Sid> sid;
    // Bytes after the fixed part that are not the SID (object GUIDs and flags, callback
    // conditions), kept so that to_self_relative writes the ACE back byte for byte.
    std::vector<std::byte> object_data;  // between the mask and the SID (object ACEs)
    std::vector<std::byte> trailing;     // after the SID, up to AceSize

    friend bool operator==(const Ace&, const Ace&) = default;
};

struct Acl {
    std::uint8_t revision = 2;  // ACL_REVISION (2) or ACL_REVISION_DS (4)
    std::vector<Ace> aces;
    friend bool operator==(const Acl&, const Acl&) = default;
};

// SECURITY_DESCRIPTOR_CONTROL bits used here.
inline constexpr std::uint16_t kSeDaclPresent = 0x0004;
inline constexpr std::uint16_t kSeSaclPresent = 0x0010;
inline constexpr std::uint16_t kSeSelfRelative = 0x8000;

struct SecurityDescriptor {
    std::uint16_t control = kSeSelfRelative;  // as stored; SE_DACL_PRESENT mirrors `dacl`
    std::optional<Sid> owner;
    std::optional<Sid> group;
    // nullopt: a NULL DACL (SE_DACL_PRESENT clear, or present with no ACL): every right to
    // everyone. An Acl with no ACEs is an empty DACL: nothing to anyone but the owner's
    // implicit rights.
    std::optional<Acl> dacl;
    std::optional<Acl> sacl;  // mandatory labels live here

    [[nodiscard]] bool null_dacl() const { return !dacl.has_value(); }
    friend bool operator==(const SecurityDescriptor&, const SecurityDescriptor&) = default;
};

// Largest descriptor accepted (a real one is a few hundred bytes; ACLs top out at 64 KiB).
inline constexpr std::size_t kMaxSecurityDescriptorBytes = 256 * 1024;

// Parses a self-relative SECURITY_DESCRIPTOR (revision 1). Every offset and size is checked
// against the buffer; a malformed descriptor is InvalidArgument from
// "parse_security_descriptor" whose message says which part and at which offset.
[[nodiscard]] Result<SecurityDescriptor> parse_security_descriptor(
    std::span<const std::byte> bytes);
// The self-relative bytes of `sd` (owner, group, SACL, DACL laid out in that order).
// parse_security_descriptor of them gives an equal descriptor.
[[nodiscard]] std::vector<std::byte> to_self_relative(const SecurityDescriptor& sd);

// The descriptor an SDDL text describes, built with the portable SDDL parser: aliases become
// SIDs, rights letters become masks ("GA", "FA", "FRFW", "0x1f01ff"; for ML ACEs "NW", "NR",
// "NX"), "D:NO_ACCESS_CONTROL" a NULL DACL, "D:" an empty one. Used for test servers' SDDL on
// every platform and by the tests. Fails (InvalidArgument) on what it cannot map.
[[nodiscard]] Result<SecurityDescriptor> security_descriptor_from_sddl(std::string_view sddl);
// One ACE as SDDL text, "(A;;0x12019f;;;WD)", for explanations.
[[nodiscard]] std::string ace_to_sddl(const Ace& ace);

}  // namespace pipescope::core
