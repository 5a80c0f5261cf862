// Security descriptors from SDDL text (on top of the portable SDDL parser) and ACEs back to SDDL.
#include <cstdint>
#include <string>
#include <string_view>

#include "pipescope/sddl.hpp"
#include "pipescope/security_descriptor.hpp"
#include "security/security_internal.hpp"

namespace pipescope::core {
namespace {

struct Named {
    std::string_view letters;
    std::uint32_t value;
};

constexpr Named kAceTypeLetters[] = {
    {"A", 0x0},  {"D", 0x1},  {"AU", 0x2},  {"AL", 0x3},  {"OA", 0x5},
    {"OD", 0x6}, {"OU", 0x7}, {"OL", 0x8},  {"XA", 0x9},  {"XD", 0xA},
    {"ZA", 0xB}, {"XU", 0xD}, {"ML", 0x11}, {"RA", 0x12}, {"SP", 0x13},
};

constexpr Named kAceFlagLetters[] = {
    {"OI", 0x01}, {"CI", 0x02}, {"NP", 0x04}, {"IO", 0x08},
    {"ID", 0x10}, {"CR", 0x20}, {"SA", 0x40}, {"FA", 0x80},
};

// Whole-mask names first (ace_to_sddl prefers them), then single bits.
constexpr Named kCombinedRights[] = {
    {"FA", 0x001F01FF}, {"FR", 0x00120089}, {"FW", 0x00120116}, {"FX", 0x001200A0},
    {"KA", 0x000F003F}, {"KR", 0x00020019}, {"KW", 0x00020006}, {"KX", 0x00020019},
};
constexpr Named kBitRights[] = {
    {"GA", 0x10000000}, {"GR", 0x80000000}, {"GW", 0x40000000}, {"GX", 0x20000000},
    {"RC", 0x00020000}, {"SD", 0x00010000}, {"WD", 0x00040000}, {"WO", 0x00080000},
    {"CC", 0x00000001}, {"DC", 0x00000002}, {"LC", 0x00000004}, {"SW", 0x00000008},
    {"RP", 0x00000010}, {"WP", 0x00000020}, {"DT", 0x00000040}, {"LO", 0x00000080},
    {"CR", 0x00000100},
};
constexpr Named kLabelRights[] = {{"NW", 0x1}, {"NR", 0x2}, {"NX", 0x4}};

constexpr std::uint16_t kDaclAutoInheritReq = 0x0100;
constexpr std::uint16_t kSaclAutoInheritReq = 0x0200;
constexpr std::uint16_t kDaclAutoInherited = 0x0400;
constexpr std::uint16_t kSaclAutoInherited = 0x0800;
constexpr std::uint16_t kDaclProtected = 0x1000;
constexpr std::uint16_t kSaclProtected = 0x2000;

unsigned hex_digit(char c) {
    if (c >= '0' && c <= '9') return static_cast<unsigned>(c - '0');
    if (c >= 'a' && c <= 'f') return static_cast<unsigned>(c - 'a' + 10);
    if (c >= 'A' && c <= 'F') return static_cast<unsigned>(c - 'A' + 10);
    return 0;
}

template <std::size_t N>
const Named* find(const Named (&table)[N], std::string_view letters) {
    for (const auto& n : table)
        if (n.letters == letters) return &n;
    return nullptr;
}

Error sddl_error(std::string_view sddl, const std::string& what) {
    return make_error(ErrorCode::InvalidArgument, "security_descriptor_from_sddl",
                      "SDDL '" + std::string(sddl.substr(0, 120)) + "'", what);
}

Result<std::uint32_t> map_rights(std::string_view sddl, const std::string& rights) {
    if (!rights.empty() && rights[0] >= '0' && rights[0] <= '9') {
        // parse_sddl checked it is a 32-bit decimal or 0x-hex number.
        const bool hex = rights.size() > 2 && (rights[1] == 'x' || rights[1] == 'X');
        std::uint64_t v = 0;
        for (std::size_t i = hex ? 2 : 0; i < rights.size(); ++i)
            v = v * (hex ? 16 : 10) + hex_digit(rights[i]);
        return static_cast<std::uint32_t>(v);
    }
    std::uint32_t mask = 0;
    for (std::size_t i = 0; i < rights.size(); i += 2) {
        const std::string_view r = std::string_view(rights).substr(i, 2);
        const Named* n = find(kCombinedRights, r);
        if (!n) n = find(kBitRights, r);
        if (!n) n = find(kLabelRights, r);
        if (!n) return sddl_error(sddl, "the access right '" + std::string(r) + "' is not mapped");
        mask |= n->value;
    }
    return mask;
}

// GUID text (8-4-4-4-12, checked by parse_sddl) as the 16 bytes of a GUID structure.
void append_guid(std::vector<std::byte>& out, const std::string& text) {
    std::string hex;
    for (char c : text)
        if (c != '-') hex.push_back(c);
    auto byte_at = [&](std::size_t i) {
        return static_cast<std::byte>(hex_digit(hex[2 * i]) * 16 + hex_digit(hex[2 * i + 1]));
    };
    // Data1 (4 bytes), Data2 and Data3 (2 each) are little-endian; Data4 as written.
    for (std::size_t i : {3u, 2u, 1u, 0u, 5u, 4u, 7u, 6u}) out.push_back(byte_at(i));
    for (std::size_t i = 8; i < 16; ++i) out.push_back(byte_at(i));
}

std::string guid_text(const std::vector<std::byte>& data, std::size_t at) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    auto put = [&](std::size_t i) {
        const auto b = static_cast<unsigned>(data[at + i]);
        out.push_back(kHex[b >> 4]);
        out.push_back(kHex[b & 15]);
    };
    for (std::size_t i : {3u, 2u, 1u, 0u}) put(i);
    out.push_back('-');
    for (std::size_t i : {5u, 4u}) put(i);
    out.push_back('-');
    for (std::size_t i : {7u, 6u}) put(i);
    out.push_back('-');
    for (std::size_t i = 8; i < 10; ++i) put(i);
    out.push_back('-');
    for (std::size_t i = 10; i < 16; ++i) put(i);
    return out;
}

Result<Ace> map_ace(std::string_view sddl, const SddlAce& in) {
    Ace ace;
    const Named* type = find(kAceTypeLetters, in.type);
    if (!type) return sddl_error(sddl, "the ACE type '" + in.type + "' is not mapped");
    ace.type = static_cast<std::uint8_t>(type->value);
    if (in.has_extra && !in.extra.empty()) {
        return sddl_error(sddl, "conditional expressions and resource attributes ('" + in.extra +
                                    "') are not mapped");
    }
    if (ace.type == 0x12) return sddl_error(sddl, "resource attribute ACEs are not mapped");
    for (std::size_t i = 0; i < in.flags.size(); i += 2) {
        const std::string f = in.flags.substr(i, 2);
        const Named* n = f == "TP" ? &kAceFlagLetters[6] : find(kAceFlagLetters, f);
        if (!n) return sddl_error(sddl, "the ACE flag '" + f + "' is not mapped");
        ace.flags = static_cast<std::uint8_t>(ace.flags | n->value);
    }
    auto mask = map_rights(sddl, in.rights);
    if (!mask) return std::move(mask).error();
    ace.mask = *mask;
    if (is_object_ace_type(ace.type)) {
        std::uint32_t object_flags = 0;
        if (!in.object_guid.empty()) object_flags |= kAceObjectTypePresent;
        if (!in.inherit_object_guid.empty()) object_flags |= kAceInheritedObjectTypePresent;
        for (int shift = 0; shift < 32; shift += 8)
            ace.object_data.push_back(static_cast<std::byte>((object_flags >> shift) & 0xFF));
        if (!in.object_guid.empty()) append_guid(ace.object_data, in.object_guid);
        if (!in.inherit_object_guid.empty()) append_guid(ace.object_data, in.inherit_object_guid);
    } else if (!in.object_guid.empty() || !in.inherit_object_guid.empty()) {
        return sddl_error(sddl, "the ACE type '" + in.type + "' takes no object GUIDs");
    }
    auto sid = parse_sid(in.sid);
    if (!sid) return sddl_error(sddl, sid.error().message);
    ace.sid = std::move(sid).value();
    return ace;
}

Result<std::optional<Acl>> map_acl(std::string_view sddl, const SddlAcl& in, bool dacl,
                                   std::uint16_t& control) {
    std::string_view flags = in.flags;
    bool no_access_control = false;
    while (!flags.empty()) {
        if (flags.starts_with("NO_ACCESS_CONTROL")) {
            no_access_control = true;
            flags.remove_prefix(17);
        } else if (flags.starts_with("AI")) {
            control |= dacl ? kDaclAutoInherited : kSaclAutoInherited;
            flags.remove_prefix(2);
        } else if (flags.starts_with("AR")) {
            control |= dacl ? kDaclAutoInheritReq : kSaclAutoInheritReq;
            flags.remove_prefix(2);
        } else if (flags.starts_with("P")) {
            control |= dacl ? kDaclProtected : kSaclProtected;
            flags.remove_prefix(1);
        } else {
            return sddl_error(sddl, "the ACL flags '" + in.flags + "' are not mapped");
        }
    }
    control |= dacl ? kSeDaclPresent : kSeSaclPresent;
    if (no_access_control) {
        if (!in.aces.empty())
            return sddl_error(sddl, "NO_ACCESS_CONTROL (a NULL ACL) cannot hold ACEs");
        return std::optional<Acl>{};
    }
    Acl acl;
    std::size_t acl_bytes = 8;
    for (const auto& a : in.aces) {
        auto ace = map_ace(sddl, a);
        if (!ace) return std::move(ace).error();
        if (is_object_ace_type(ace->type)) acl.revision = 4;
        acl_bytes += 16 + ace->object_data.size() + 4 * ace->sid->sub_authorities.size();
        if (acl_bytes > 0xFFFF)
            return sddl_error(sddl,
                              "the ACL would be larger than 65535 bytes, the most an ACL holds");
        acl.aces.push_back(std::move(ace).value());
    }
    return std::optional<Acl>{std::move(acl)};
}

std::string rights_text(const Ace& ace) {
    if (ace.type == static_cast<std::uint8_t>(AceType::SystemMandatoryLabel) && ace.mask != 0 &&
        (ace.mask & ~0x7u) == 0) {
        std::string out;
        for (const auto& n : kLabelRights)
            if (ace.mask & n.value) out += n.letters;
        return out;
    }
    for (const auto& n : kCombinedRights)
        if (ace.mask == n.value) return std::string(n.letters);
    std::string out;
    std::uint32_t covered = 0;
    for (const auto& n : kBitRights) {
        if (ace.mask & n.value) {
            out += n.letters;
            covered |= n.value;
        }
    }
    if (ace.mask != 0 && covered == ace.mask) return out;
    static constexpr char kHex[] = "0123456789abcdef";
    std::string hex;
    std::uint32_t m = ace.mask;
    do {
        hex.insert(hex.begin(), kHex[m & 0xF]);
        m >>= 4;
    } while (m != 0);
    return "0x" + hex;
}

}  // namespace

Result<SecurityDescriptor> security_descriptor_from_sddl(std::string_view sddl) {
    auto parsed = parse_sddl(sddl);
    if (!parsed) return std::move(parsed).error();
    SecurityDescriptor sd;
    sd.control = kSeSelfRelative;
    for (auto [text, target] :
         {std::pair{&parsed->owner, &sd.owner}, std::pair{&parsed->group, &sd.group}}) {
        if (text->empty()) continue;
        auto sid = parse_sid(*text);
        if (!sid) return sddl_error(sddl, sid.error().message);
        *target = std::move(sid).value();
    }
    if (parsed->dacl) {
        auto acl = map_acl(sddl, *parsed->dacl, true, sd.control);
        if (!acl) return std::move(acl).error();
        sd.dacl = std::move(acl).value();
    }
    if (parsed->sacl) {
        auto acl = map_acl(sddl, *parsed->sacl, false, sd.control);
        if (!acl) return std::move(acl).error();
        sd.sacl = std::move(acl).value();
    }
    return sd;
}

std::string ace_to_sddl(const Ace& ace) {
    std::string type;
    for (const auto& n : kAceTypeLetters)
        if (n.value == ace.type) type = n.letters;
    if (type.empty() || !ace.sid) {
        return "(ACE type 0x" + std::string{"0123456789abcdef"[ace.type >> 4]} +
               "0123456789abcdef"[ace.type & 15] + ", not read)";
    }
    const bool audit =
        ace.type == 0x2 || ace.type == 0x3 || ace.type == 0x7 || ace.type == 0x8 || ace.type == 0xD;
    std::string flags;
    for (const auto& n : kAceFlagLetters) {
        if (!(ace.flags & n.value)) continue;
        flags += n.value == 0x40 && !audit ? std::string_view("TP") : n.letters;
    }
    std::string object_guid, inherit_guid;
    if (is_object_ace_type(ace.type) && ace.object_data.size() >= 4) {
        const auto object_flags = static_cast<unsigned>(ace.object_data[0]);
        std::size_t at = 4;
        if ((object_flags & kAceObjectTypePresent) && ace.object_data.size() >= at + 16) {
            object_guid = guid_text(ace.object_data, at);
            at += 16;
        }
        if ((object_flags & kAceInheritedObjectTypePresent) && ace.object_data.size() >= at + 16)
            inherit_guid = guid_text(ace.object_data, at);
    }
    const std::string_view alias = sid_sddl_alias(*ace.sid);
    std::string out = "(" + type + ";" + flags + ";" + rights_text(ace) + ";" + object_guid + ";" +
                      inherit_guid + ";" +
                      (alias.empty() ? ace.sid->to_string() : std::string(alias));
    const bool callback =
        ace.type == 0x9 || ace.type == 0xA || ace.type == 0xB || ace.type == 0xC || ace.type == 0xD;
    if (callback && !ace.trailing.empty())
        out += ";(condition, " + std::to_string(ace.trailing.size()) + " bytes)";
    return out + ")";
}

}  // namespace pipescope::core
