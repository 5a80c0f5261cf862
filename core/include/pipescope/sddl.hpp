// SDDL (Security Descriptor Definition Language) text as a user types it for a test server,
// checked on every platform before Windows sees it, so a typo gets an error that names the
// offset and what was expected instead of a bare ERROR_INVALID_PARAMETER. Windows still has the
// last word (ConvertStringSecurityDescriptorToSecurityDescriptorW); this checker is a little
// more permissive than Windows (case, whitespace, numeric rights), never stricter for the forms
// it knows. Portable, pure functions; any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pipescope/result.hpp"

namespace pipescope::core {

// One ACE: "(type;flags;rights;object_guid;inherit_object_guid;sid[;extra])". Letters are kept
// upper case so equal descriptors compare equal.
struct SddlAce {
    std::string type;                 // "A", "D", "OA", "AU", "ML", "XA", ...
    std::string flags;                // two-letter flags concatenated: "OICI"; may be empty
    std::string rights;               // "GA", "FRFW", or a number: "0x1F01FF", "2032127"
    std::string object_guid;          // empty or 8-4-4-4-12 hex digits
    std::string inherit_object_guid;  // likewise
    std::string sid;                  // alias ("WD") or "S-1-5-32-544"
    std::string extra;                // conditional expression / resource attribute, as written
    bool has_extra = false;           // a seventh field was present (even if empty)

    friend bool operator==(const SddlAce&, const SddlAce&) = default;
};

struct SddlAcl {
    std::string flags;  // "P", "AI", "AR", "NO_ACCESS_CONTROL", concatenated in written order
    std::vector<SddlAce> aces;

    friend bool operator==(const SddlAcl&, const SddlAcl&) = default;
};

struct SddlDescriptor {
    std::string owner;  // empty: no O: part
    std::string group;  // empty: no G: part
    std::optional<SddlAcl> dacl;
    std::optional<SddlAcl> sacl;

    friend bool operator==(const SddlDescriptor&, const SddlDescriptor&) = default;
};

// Longest SDDL accepted (Windows has no documented limit; this is far above any real one).
inline constexpr std::size_t kMaxSddlLength = 64 * 1024;

// Parses O:, G:, D: and S: parts (any order, each once; whitespace between parts and around
// ACE fields is skipped). An error is InvalidArgument from "parse_sddl" whose message starts
// "at offset N:" (0-based byte offset into `text`) and says what was expected there.
[[nodiscard]] Result<SddlDescriptor> parse_sddl(std::string_view text);
// The canonical text: O:, G:, D:, S: in that order, no whitespace. parse_sddl of it gives an
// equal descriptor.
[[nodiscard]] std::string format_sddl(const SddlDescriptor& sd);

}  // namespace pipescope::core
