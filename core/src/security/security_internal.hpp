// Helpers the security sources share (not public API).
#pragma once

#include <string_view>

#include "pipescope/security_descriptor.hpp"

namespace pipescope::core {

// The SDDL alias of a well-known SID ("WD"), empty when it has none.
[[nodiscard]] std::string_view sid_sddl_alias(const Sid& sid);

// ACE types with the object layout (mask, flags, optional GUIDs, SID).
[[nodiscard]] constexpr bool is_object_ace_type(std::uint8_t type) {
    return (type >= 0x5 && type <= 0x8) || (type >= 0xB && type <= 0xC) ||
           (type >= 0xF && type <= 0x10);
}
// ACE types with the plain layout (mask, SID, then anything up to AceSize).
[[nodiscard]] constexpr bool is_plain_ace_type(std::uint8_t type) {
    return type <= 0x3 || (type >= 0x9 && type <= 0xA) || (type >= 0xD && type <= 0xE) ||
           (type >= 0x11 && type <= 0x14);
}
// ACE_OBJECT_TYPE_PRESENT / ACE_INHERITED_OBJECT_TYPE_PRESENT in an object ACE's flags.
inline constexpr std::uint32_t kAceObjectTypePresent = 0x1;
inline constexpr std::uint32_t kAceInheritedObjectTypePresent = 0x2;

}  // namespace pipescope::core
