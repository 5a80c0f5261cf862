// Self-relative security descriptors: the binary parser and writer.
#include "pipescope/security_descriptor.hpp"

#include <cstdint>
#include <string>
#include <tuple>

#include "security/security_internal.hpp"

namespace pipescope::core {
namespace {

constexpr std::size_t kHeaderBytes = 20;  // SECURITY_DESCRIPTOR_RELATIVE
constexpr std::size_t kAclHeaderBytes = 8;
constexpr std::size_t kAceHeaderBytes = 4;
constexpr std::size_t kGuidBytes = 16;

Error bad(const std::string& what, std::size_t offset) {
    return make_error(ErrorCode::InvalidArgument, "parse_security_descriptor",
                      "security descriptor",
                      what + " at offset " + std::to_string(offset) +
                          ". Next: the descriptor is malformed or not self-relative; read it "
                          "again from the object");
}

// Bounds-checked little-endian reads from one span.
class Reader {
  public:
    explicit Reader(std::span<const std::byte> bytes) : bytes_(bytes) {}
    [[nodiscard]] std::size_t size() const { return bytes_.size(); }
    [[nodiscard]] bool has(std::size_t offset, std::size_t count) const {
        return offset <= bytes_.size() && count <= bytes_.size() - offset;
    }
    [[nodiscard]] std::uint8_t u8(std::size_t at) const {
        return static_cast<std::uint8_t>(bytes_[at]);
    }
    [[nodiscard]] std::uint16_t u16(std::size_t at) const {
        return static_cast<std::uint16_t>(u8(at) | (u8(at + 1) << 8));
    }
    [[nodiscard]] std::uint32_t u32(std::size_t at) const {
        return static_cast<std::uint32_t>(u16(at)) |
               (static_cast<std::uint32_t>(u16(at + 2)) << 16);
    }
    [[nodiscard]] std::vector<std::byte> copy(std::size_t at, std::size_t count) const {
        return {bytes_.begin() + static_cast<std::ptrdiff_t>(at),
                bytes_.begin() + static_cast<std::ptrdiff_t>(at + count)};
    }

  private:
    std::span<const std::byte> bytes_;
};

// A SID at `at` that must end by `end`; `used` gets its length.
Result<Sid> read_sid(const Reader& r, std::size_t at, std::size_t end, std::size_t& used,
                     const char* what) {
    if (at > end || end - at < 8 || !r.has(at, 8))
        return bad(std::string(what) + ": the SID is cut short", at);
    const std::uint8_t revision = r.u8(at);
    const std::uint8_t count = r.u8(at + 1);
    if (revision != 1)
        return bad(std::string(what) + ": SID revision " + std::to_string(revision), at);
    if (count > 15)
        return bad(
            std::string(what) + ": " + std::to_string(count) + " sub-authorities (at most 15)",
            at + 1);
    used = 8 + std::size_t{4} * count;
    if (end - at < used || !r.has(at, used))
        return bad(std::string(what) + ": the SID's sub-authorities are cut short", at);
    Sid sid;
    for (std::size_t i = 0; i < 6; ++i) sid.authority = (sid.authority << 8) | r.u8(at + 2 + i);
    for (std::size_t i = 0; i < count; ++i) sid.sub_authorities.push_back(r.u32(at + 8 + 4 * i));
    return sid;
}

Result<Ace> read_ace(const Reader& r, std::size_t at, std::size_t ace_size, std::size_t index) {
    Ace ace;
    ace.type = r.u8(at);
    ace.flags = r.u8(at + 1);
    const std::size_t end = at + ace_size;
    std::size_t pos = at + kAceHeaderBytes;
    const std::string what = "ACE " + std::to_string(index);
    if (!is_plain_ace_type(ace.type) && !is_object_ace_type(ace.type)) {
        // Unknown layout: kept byte for byte, names nobody.
        ace.trailing = r.copy(pos, end - pos);
        return ace;
    }
    if (end - pos < 4) return bad(what + ": no room for the access mask", pos);
    ace.mask = r.u32(pos);
    pos += 4;
    if (is_object_ace_type(ace.type)) {
        if (end - pos < 4) return bad(what + ": no room for the object flags", pos);
        const std::uint32_t object_flags = r.u32(pos);
        std::size_t object_bytes = 4;
        if (object_flags & kAceObjectTypePresent) object_bytes += kGuidBytes;
        if (object_flags & kAceInheritedObjectTypePresent) object_bytes += kGuidBytes;
        if (end - pos < object_bytes) return bad(what + ": the object GUIDs are cut short", pos);
        ace.object_data = r.copy(pos, object_bytes);
        pos += object_bytes;
    }
    std::size_t used = 0;
    auto sid = read_sid(r, pos, end, used, what.c_str());
    if (!sid) return std::move(sid).error();
    ace.sid = std::move(sid).value();
    pos += used;
    ace.trailing = r.copy(pos, end - pos);
    return ace;
}

Result<Acl> read_acl(const Reader& r, std::size_t at, const char* what) {
    if (!r.has(at, kAclHeaderBytes))
        return bad(std::string(what) + ": the ACL header is cut short", at);
    Acl acl;
    acl.revision = r.u8(at);
    if (acl.revision != 2 && acl.revision != 4)
        return bad(std::string(what) + ": ACL revision " + std::to_string(acl.revision) +
                       " (expected 2 or 4)",
                   at);
    const std::size_t acl_size = r.u16(at + 2);
    const std::size_t ace_count = r.u16(at + 4);
    if (acl_size < kAclHeaderBytes)
        return bad(std::string(what) + ": AclSize " + std::to_string(acl_size) + " is below 8",
                   at + 2);
    if (!r.has(at, acl_size))
        return bad(std::string(what) + ": AclSize " + std::to_string(acl_size) +
                       " runs past the end of the descriptor",
                   at + 2);
    const std::size_t end = at + acl_size;
    std::size_t pos = at + kAclHeaderBytes;
    // Each ACE takes at least 4 bytes, so a huge AceCount fails here, not after a long loop.
    if (ace_count > (acl_size - kAclHeaderBytes) / kAceHeaderBytes)
        return bad(std::string(what) + ": AceCount " + std::to_string(ace_count) +
                       " does not fit in AclSize " + std::to_string(acl_size),
                   at + 4);
    acl.aces.reserve(ace_count);
    for (std::size_t i = 0; i < ace_count; ++i) {
        if (end - pos < kAceHeaderBytes)
            return bad(std::string(what) + ": ACE " + std::to_string(i) + " header is cut short",
                       pos);
        const std::size_t ace_size = r.u16(pos + 2);
        if (ace_size < kAceHeaderBytes || ace_size > end - pos)
            return bad(std::string(what) + ": ACE " + std::to_string(i) + " AceSize " +
                           std::to_string(ace_size) + " does not fit in the ACL",
                       pos + 2);
        auto ace = read_ace(r, pos, ace_size, i);
        if (!ace) return std::move(ace).error();
        acl.aces.push_back(std::move(ace).value());
        pos += ace_size;
    }
    return acl;
}

void put_u8(std::vector<std::byte>& out, std::uint8_t v) {
    out.push_back(static_cast<std::byte>(v));
}
void put_u16(std::vector<std::byte>& out, std::uint16_t v) {
    put_u8(out, static_cast<std::uint8_t>(v & 0xFF));
    put_u8(out, static_cast<std::uint8_t>(v >> 8));
}
void put_u32(std::vector<std::byte>& out, std::uint32_t v) {
    put_u16(out, static_cast<std::uint16_t>(v & 0xFFFF));
    put_u16(out, static_cast<std::uint16_t>(v >> 16));
}
void set_u16(std::vector<std::byte>& out, std::size_t at, std::size_t v) {
    out[at] = static_cast<std::byte>(v & 0xFF);
    out[at + 1] = static_cast<std::byte>((v >> 8) & 0xFF);
}
void set_u32(std::vector<std::byte>& out, std::size_t at, std::size_t v) {
    set_u16(out, at, v & 0xFFFF);
    set_u16(out, at + 2, (v >> 16) & 0xFFFF);
}

void write_sid(std::vector<std::byte>& out, const Sid& sid) {
    put_u8(out, 1);
    put_u8(out, static_cast<std::uint8_t>(sid.sub_authorities.size()));
    for (int shift = 40; shift >= 0; shift -= 8)
        put_u8(out, static_cast<std::uint8_t>((sid.authority >> shift) & 0xFF));
    for (auto s : sid.sub_authorities) put_u32(out, s);
}

void write_acl(std::vector<std::byte>& out, const Acl& acl) {
    const std::size_t start = out.size();
    put_u8(out, acl.revision);
    put_u8(out, 0);
    put_u16(out, 0);  // AclSize, set below
    put_u16(out, static_cast<std::uint16_t>(acl.aces.size()));
    put_u16(out, 0);
    for (const auto& ace : acl.aces) {
        const std::size_t ace_start = out.size();
        put_u8(out, ace.type);
        put_u8(out, ace.flags);
        put_u16(out, 0);  // AceSize, set below
        if (ace.sid) {
            put_u32(out, ace.mask);
            out.insert(out.end(), ace.object_data.begin(), ace.object_data.end());
            write_sid(out, *ace.sid);
        }
        out.insert(out.end(), ace.trailing.begin(), ace.trailing.end());
        set_u16(out, ace_start + 2, out.size() - ace_start);
    }
    set_u16(out, start + 2, out.size() - start);
}

}  // namespace

Result<SecurityDescriptor> parse_security_descriptor(std::span<const std::byte> bytes) {
    if (bytes.size() > kMaxSecurityDescriptorBytes)
        return bad("the descriptor is larger than " + std::to_string(kMaxSecurityDescriptorBytes) +
                       " bytes",
                   0);
    const Reader r(bytes);
    if (!r.has(0, kHeaderBytes)) return bad("the 20-byte header is cut short", 0);
    if (r.u8(0) != 1) return bad("revision " + std::to_string(r.u8(0)) + " (expected 1)", 0);
    SecurityDescriptor sd;
    sd.control = r.u16(2);
    if (!(sd.control & kSeSelfRelative)) return bad("SE_SELF_RELATIVE is not set", 2);
    const std::size_t owner_at = r.u32(4);
    const std::size_t group_at = r.u32(8);
    const std::size_t sacl_at = r.u32(12);
    const std::size_t dacl_at = r.u32(16);
    for (auto [at, field, name] :
         {std::tuple{owner_at, 4, "owner"}, std::tuple{group_at, 8, "group"},
          std::tuple{sacl_at, 12, "SACL"}, std::tuple{dacl_at, 16, "DACL"}}) {
        if (at != 0 && (at < kHeaderBytes || at >= bytes.size()))
            return bad(std::string("the ") + name + " offset " + std::to_string(at) +
                           " is outside the descriptor",
                       static_cast<std::size_t>(field));
    }
    std::size_t used = 0;
    if (owner_at != 0) {
        auto sid = read_sid(r, owner_at, bytes.size(), used, "owner");
        if (!sid) return std::move(sid).error();
        sd.owner = std::move(sid).value();
    }
    if (group_at != 0) {
        auto sid = read_sid(r, group_at, bytes.size(), used, "group");
        if (!sid) return std::move(sid).error();
        sd.group = std::move(sid).value();
    }
    if ((sd.control & kSeSaclPresent) && sacl_at != 0) {
        auto acl = read_acl(r, sacl_at, "SACL");
        if (!acl) return std::move(acl).error();
        sd.sacl = std::move(acl).value();
    }
    // SE_DACL_PRESENT with offset 0 is a NULL DACL, as is SE_DACL_PRESENT clear.
    if ((sd.control & kSeDaclPresent) && dacl_at != 0) {
        auto acl = read_acl(r, dacl_at, "DACL");
        if (!acl) return std::move(acl).error();
        sd.dacl = std::move(acl).value();
    }
    return sd;
}

std::vector<std::byte> to_self_relative(const SecurityDescriptor& sd) {
    std::vector<std::byte> out;
    std::uint16_t control = sd.control | kSeSelfRelative;
    if (sd.dacl) control |= kSeDaclPresent;
    if (sd.sacl) control |= kSeSaclPresent;
    put_u8(out, 1);
    put_u8(out, 0);
    put_u16(out, control);
    for (int i = 0; i < 4; ++i) put_u32(out, 0);
    if (sd.owner) {
        set_u32(out, 4, out.size());
        write_sid(out, *sd.owner);
    }
    if (sd.group) {
        set_u32(out, 8, out.size());
        write_sid(out, *sd.group);
    }
    if (sd.sacl) {
        set_u32(out, 12, out.size());
        write_acl(out, *sd.sacl);
    }
    if (sd.dacl) {
        set_u32(out, 16, out.size());
        write_acl(out, *sd.dacl);
    }
    return out;
}

}  // namespace pipescope::core
