// SIDs, the binary self-relative descriptor parser and writer, and descriptors from SDDL.
#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "pipescope/security_descriptor.hpp"

using namespace pipescope::core;

namespace {

std::vector<std::byte> bytes(std::initializer_list<int> values) {
    std::vector<std::byte> out;
    for (int v : values) out.push_back(static_cast<std::byte>(v));
    return out;
}

// O:BA G:SY D:(A;;FA;;;WD), laid out by hand as Windows does (owner, group, DACL).
std::vector<std::byte> hand_built() {
    return bytes({
        0x01, 0x00, 0x04, 0x80,                          // revision 1, control 0x8004
        0x14, 0x00, 0x00, 0x00, 0x24, 0x00, 0x00, 0x00,  // owner 0x14, group 0x24
        0x00, 0x00, 0x00, 0x00, 0x30, 0x00, 0x00, 0x00,  // no SACL, DACL 0x30
        0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05,  // S-1-5-32-544
        0x20, 0x00, 0x00, 0x00, 0x20, 0x02, 0x00, 0x00,  //
        0x01, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x12, 0x00, 0x00, 0x00,  // S-1-5-18
        0x02, 0x00, 0x1C, 0x00, 0x01, 0x00, 0x00, 0x00,  // ACL rev 2, size 28, 1 ACE
        0x00, 0x00, 0x14, 0x00, 0xFF, 0x01, 0x1F, 0x00,  // allowed, size 20, 0x1F01FF
        0x01, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,  // S-1-1-0
    });
}

// Offsets in hand_built().
constexpr std::size_t kDaclAt = 0x30;

void set16(std::vector<std::byte>& b, std::size_t at, unsigned v) {
    b[at] = static_cast<std::byte>(v & 0xFF);
    b[at + 1] = static_cast<std::byte>((v >> 8) & 0xFF);
}
void set32(std::vector<std::byte>& b, std::size_t at, unsigned v) {
    set16(b, at, v & 0xFFFF);
    set16(b, at + 2, v >> 16);
}

SecurityDescriptor from_sddl(const char* text) {
    auto sd = security_descriptor_from_sddl(text);
    EXPECT_TRUE(sd.ok()) << text << ": " << (sd ? "" : sd.error().to_string());
    return sd ? *sd : SecurityDescriptor{};
}

// A descriptor whose DACL holds one ACE given as raw bytes (header included).
std::vector<std::byte> with_raw_ace(const std::vector<std::byte>& ace) {
    std::vector<std::byte> b =
        bytes({0x01, 0x00, 0x04, 0x80, 0, 0, 0,    0,    0, 0, 0,    0,    0,    0,
               0,    0,    0x14, 0,    0, 0, 0x02, 0x00, 0, 0, 0x01, 0x00, 0x00, 0x00});
    set16(b, 0x14 + 2, static_cast<unsigned>(8 + ace.size()));
    b.insert(b.end(), ace.begin(), ace.end());
    return b;
}

TEST(Sid, ParsesAliasesAndText) {
    const std::pair<const char*, const char*> cases[] = {
        {"WD", "S-1-1-0"},
        {"AN", "S-1-5-7"},
        {"AU", "S-1-5-11"},
        {"BU", "S-1-5-32-545"},
        {"BA", "S-1-5-32-544"},
        {"SY", "S-1-5-18"},
        {"NU", "S-1-5-2"},
        {"IU", "S-1-5-4"},
        {"NS", "S-1-5-20"},
        {"LS", "S-1-5-19"},
        {"LW", "S-1-16-4096"},
        {"ME", "S-1-16-8192"},
        {"MP", "S-1-16-8448"},
        {"HI", "S-1-16-12288"},
        {"SI", "S-1-16-16384"},
        {"OW", "S-1-3-4"},
        {"CO", "S-1-3-0"},
        {"AC", "S-1-15-2-1"},
        {"wd", "S-1-1-0"},
        {"S-1-15-2-2", "S-1-15-2-2"},
        {"S-1-5-21-1004336348-1177238915-682003330-1001",
         "S-1-5-21-1004336348-1177238915-682003330-1001"},
        {"S-1-0x5-32-544", "S-1-5-32-544"},
    };
    for (auto [text, expected] : cases) {
        auto sid = parse_sid(text);
        ASSERT_TRUE(sid.ok()) << text << ": " << sid.error().to_string();
        EXPECT_EQ(sid->to_string(), expected) << text;
    }
}

TEST(Sid, WritesLargeAuthoritiesInHex) {
    auto sid = parse_sid("S-1-0x123456789ABC-7");
    ASSERT_TRUE(sid.ok());
    EXPECT_EQ(sid->authority, 0x123456789ABCull);
    EXPECT_EQ(sid->to_string(), "S-1-0x123456789ABC-7");
    auto again = parse_sid(sid->to_string());
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(*again, *sid);
}

TEST(Sid, RejectsWhatItCannotResolve) {
    for (const char* text : {"", "DA", "DU", "ZZ", "S-", "S-1", "S-2-5-32", "S-1-5-", "S-1-5-x",
                             "S-1-5--1", "S-1-281474976710656-1", "S-1-5-4294967296",
                             "S-1-1-1-1-1-1-1-1-1-1-1-1-1-1-1-1-1-1", "X-1-5-18"}) {
        auto sid = parse_sid(text);
        ASSERT_FALSE(sid.ok()) << text;
        EXPECT_EQ(sid.error().code, ErrorCode::InvalidArgument);
        EXPECT_FALSE(sid.error().message.empty());
    }
    EXPECT_NE(parse_sid("DA").error().message.find("domain"), std::string::npos);
}

TEST(Sid, NamesWellKnownSids) {
    EXPECT_EQ(sid_display_name(well_known::everyone()), "Everyone");
    EXPECT_EQ(sid_display_name(well_known::anonymous()), "NT AUTHORITY\\ANONYMOUS LOGON");
    EXPECT_EQ(sid_display_name(well_known::administrators()), "BUILTIN\\Administrators");
    EXPECT_EQ(sid_display_name(well_known::integrity(0x1000)), "Low Mandatory Level");
    EXPECT_EQ(sid_display_name(well_known::all_app_packages()),
              "APPLICATION PACKAGE AUTHORITY\\ALL APPLICATION PACKAGES");
    EXPECT_EQ(sid_display_name(*parse_sid("S-1-5-21-1-2-3-1001")), "S-1-5-21-1-2-3-1001");
    EXPECT_EQ(well_known::users().to_string(), "S-1-5-32-545");
    EXPECT_EQ(well_known::authenticated_users().to_string(), "S-1-5-11");
    EXPECT_EQ(well_known::network().to_string(), "S-1-5-2");
    EXPECT_EQ(well_known::interactive().to_string(), "S-1-5-4");
    EXPECT_EQ(well_known::restricted_code().to_string(), "S-1-5-12");
    EXPECT_EQ(well_known::local_system().to_string(), "S-1-5-18");
    EXPECT_EQ(well_known::creator_owner().to_string(), "S-1-3-0");
    EXPECT_EQ(well_known::owner_rights().to_string(), "S-1-3-4");
}

TEST(SecurityDescriptor, ParsesHandBuiltBytes) {
    const auto b = hand_built();
    auto sd = parse_security_descriptor(b);
    ASSERT_TRUE(sd.ok()) << sd.error().to_string();
    EXPECT_EQ(sd->control, 0x8004);
    ASSERT_TRUE(sd->owner && sd->group);
    EXPECT_EQ(*sd->owner, well_known::administrators());
    EXPECT_EQ(*sd->group, well_known::local_system());
    EXPECT_FALSE(sd->sacl);
    ASSERT_TRUE(sd->dacl);
    EXPECT_EQ(sd->dacl->revision, 2);
    ASSERT_EQ(sd->dacl->aces.size(), 1u);
    const Ace& ace = sd->dacl->aces[0];
    EXPECT_EQ(ace.type, 0);
    EXPECT_EQ(ace.flags, 0);
    EXPECT_EQ(ace.mask, 0x1F01FFu);
    EXPECT_EQ(ace.sid, well_known::everyone());
    EXPECT_TRUE(ace.trailing.empty());
    EXPECT_EQ(*sd, from_sddl("O:BAG:SYD:(A;;FA;;;WD)"));
}

TEST(SecurityDescriptor, WritesTheBytesItRead) {
    const auto b = hand_built();
    auto sd = parse_security_descriptor(b);
    ASSERT_TRUE(sd.ok());
    EXPECT_EQ(to_self_relative(*sd), b);
}

TEST(SecurityDescriptor, EveryTruncationFailsCleanly) {
    const auto b = hand_built();
    for (std::size_t n = 0; n < b.size(); ++n) {
        auto sd = parse_security_descriptor(std::span(b).first(n));
        ASSERT_FALSE(sd.ok()) << "truncated to " << n << " bytes";
        EXPECT_EQ(sd.error().code, ErrorCode::InvalidArgument);
        EXPECT_NE(sd.error().message.find("at offset"), std::string::npos) << sd.error().message;
    }
}

TEST(SecurityDescriptor, RejectsBadHeaders) {
    auto b = hand_built();
    b[0] = std::byte{2};
    EXPECT_NE(parse_security_descriptor(b).error().message.find("revision 2"), std::string::npos);
    b = hand_built();
    set16(b, 2, 0x0004);  // not self-relative
    EXPECT_NE(parse_security_descriptor(b).error().message.find("SE_SELF_RELATIVE"),
              std::string::npos);
    for (unsigned bad_offset : {4u, 19u, 76u, 1000u, 0xFFFFFFFFu}) {
        b = hand_built();
        set32(b, 16, bad_offset);  // DACL offset
        auto sd = parse_security_descriptor(b);
        ASSERT_FALSE(sd.ok()) << bad_offset;
        EXPECT_NE(sd.error().message.find("DACL offset"), std::string::npos) << sd.error().message;
    }
    b = hand_built();
    set32(b, 4, 70);  // owner SID would run past the end
    EXPECT_FALSE(parse_security_descriptor(b).ok());
    b = hand_built();
    b[0x14] = std::byte{2};  // owner SID revision
    EXPECT_NE(parse_security_descriptor(b).error().message.find("owner"), std::string::npos);
    b = hand_built();
    b[0x15] = std::byte{16};  // 16 sub-authorities
    EXPECT_NE(parse_security_descriptor(b).error().message.find("at most 15"), std::string::npos);
}

TEST(SecurityDescriptor, RejectsBadAcls) {
    auto b = hand_built();
    set16(b, kDaclAt + 4, 0xFFFF);  // AceCount
    auto sd = parse_security_descriptor(b);
    ASSERT_FALSE(sd.ok());
    EXPECT_NE(sd.error().message.find("AceCount 65535"), std::string::npos) << sd.error().message;

    b = hand_built();
    set16(b, kDaclAt + 2, 0x1D);  // AclSize one past the end
    EXPECT_NE(parse_security_descriptor(b).error().message.find("AclSize"), std::string::npos);
    b = hand_built();
    set16(b, kDaclAt + 2, 4);  // AclSize below the header
    EXPECT_FALSE(parse_security_descriptor(b).ok());
    b = hand_built();
    b[kDaclAt] = std::byte{3};  // ACL revision
    EXPECT_NE(parse_security_descriptor(b).error().message.find("ACL revision 3"),
              std::string::npos);
    for (unsigned ace_size : {0u, 3u, 21u, 0xFFFFu, 8u}) {
        b = hand_built();
        set16(b, kDaclAt + 8 + 2, ace_size);
        auto r = parse_security_descriptor(b);
        ASSERT_FALSE(r.ok()) << "AceSize " << ace_size;
    }
    b = hand_built();
    set16(b, kDaclAt + 4, 2);  // two ACEs claimed, one present
    EXPECT_FALSE(parse_security_descriptor(b).ok());
}

TEST(SecurityDescriptor, DaclPresentWithoutAnAclIsANullDacl) {
    auto b = hand_built();
    set32(b, 16, 0);  // SE_DACL_PRESENT, offset 0
    auto sd = parse_security_descriptor(b);
    ASSERT_TRUE(sd.ok());
    EXPECT_TRUE(sd->null_dacl());
    EXPECT_EQ(sd->control & kSeDaclPresent, kSeDaclPresent);
    b = hand_built();
    set16(b, 2, 0x8000);  // DACL not present: the offset is ignored
    sd = parse_security_descriptor(b);
    ASSERT_TRUE(sd.ok());
    EXPECT_TRUE(sd->null_dacl());
    // An empty DACL is not a NULL one.
    auto empty = from_sddl("D:");
    ASSERT_TRUE(empty.dacl);
    EXPECT_TRUE(empty.dacl->aces.empty());
    EXPECT_FALSE(empty.null_dacl());
    auto reparsed = parse_security_descriptor(to_self_relative(empty));
    ASSERT_TRUE(reparsed.ok());
    EXPECT_FALSE(reparsed->null_dacl());
    auto none = from_sddl("D:NO_ACCESS_CONTROL");
    EXPECT_TRUE(none.null_dacl());
    EXPECT_EQ(none.control & kSeDaclPresent, kSeDaclPresent);
    reparsed = parse_security_descriptor(to_self_relative(none));
    ASSERT_TRUE(reparsed.ok());
    EXPECT_TRUE(reparsed->null_dacl());
    EXPECT_EQ(*reparsed, none);
}

TEST(SecurityDescriptor, KeepsAceSizePaddingInTrailing) {
    // Allowed ACE, AceSize 24: mask, S-1-1-0, then 4 bytes of padding.
    auto b = with_raw_ace(
        bytes({0x00, 0x00, 0x18, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x01, 0x00, 0x00,
               0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0xAA, 0xBB, 0xCC, 0xDD}));
    auto sd = parse_security_descriptor(b);
    ASSERT_TRUE(sd.ok()) << sd.error().to_string();
    ASSERT_EQ(sd->dacl->aces.size(), 1u);
    EXPECT_EQ(sd->dacl->aces[0].trailing, bytes({0xAA, 0xBB, 0xCC, 0xDD}));
    EXPECT_EQ(to_self_relative(*sd), b);
}

TEST(SecurityDescriptor, KeepsUnknownAceTypesAsBytes) {
    auto b = with_raw_ace(bytes({0x42, 0x03, 0x0C, 0x00, 1, 2, 3, 4, 5, 6, 7, 8}));
    auto sd = parse_security_descriptor(b);
    ASSERT_TRUE(sd.ok()) << sd.error().to_string();
    const Ace& ace = sd->dacl->aces[0];
    EXPECT_EQ(ace.type, 0x42);
    EXPECT_EQ(ace.flags, 0x03);
    EXPECT_FALSE(ace.sid);
    EXPECT_EQ(ace.trailing, bytes({1, 2, 3, 4, 5, 6, 7, 8}));
    EXPECT_EQ(to_self_relative(*sd), b);
    EXPECT_NE(ace_to_sddl(ace).find("0x42"), std::string::npos);
}

TEST(SecurityDescriptor, KeepsCallbackConditions) {
    // ACCESS_ALLOWED_CALLBACK_ACE: mask FILE_READ_DATA, S-1-1-0, "artx" + one byte + padding.
    auto b = with_raw_ace(bytes({0x09, 0x00, 0x1C, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x01,
                                 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
                                 'a',  'r',  't',  'x',  0x00, 0x00, 0x00, 0x00}));
    auto sd = parse_security_descriptor(b);
    ASSERT_TRUE(sd.ok()) << sd.error().to_string();
    const Ace& ace = sd->dacl->aces[0];
    EXPECT_EQ(ace.sid, well_known::everyone());
    EXPECT_EQ(ace.trailing.size(), 8u);
    EXPECT_EQ(to_self_relative(*sd), b);
    EXPECT_EQ(ace_to_sddl(ace), "(XA;;CC;;;WD;(condition, 8 bytes))");
}

TEST(SecurityDescriptor, ReadsObjectAcesWithTheirGuids) {
    auto sd = from_sddl(
        "D:(OA;CI;CCDC;bf967aba-0de6-11d0-a285-00aa003049e2;;WD)(OD;;RP;;"
        "4828cc14-1437-45bc-9b07-ad6f015e5f28;AU)(OA;;GA;;;BA)");
    ASSERT_TRUE(sd.dacl);
    EXPECT_EQ(sd.dacl->revision, 4);
    ASSERT_EQ(sd.dacl->aces.size(), 3u);
    EXPECT_EQ(sd.dacl->aces[0].object_data.size(), 20u);
    EXPECT_EQ(sd.dacl->aces[0].object_data[0], std::byte{1});
    EXPECT_EQ(sd.dacl->aces[0].object_data[4], std::byte{0xba});  // Data1 little-endian
    EXPECT_EQ(sd.dacl->aces[1].object_data[0], std::byte{2});
    EXPECT_EQ(sd.dacl->aces[2].object_data.size(), 4u);
    EXPECT_EQ(ace_to_sddl(sd.dacl->aces[0]),
              "(OA;CI;CCDC;bf967aba-0de6-11d0-a285-00aa003049e2;;WD)");
    EXPECT_EQ(ace_to_sddl(sd.dacl->aces[1]), "(OD;;RP;;4828cc14-1437-45bc-9b07-ad6f015e5f28;AU)");
    const auto b = to_self_relative(sd);
    auto reparsed = parse_security_descriptor(b);
    ASSERT_TRUE(reparsed.ok()) << reparsed.error().to_string();
    EXPECT_EQ(*reparsed, sd);
    EXPECT_EQ(to_self_relative(*reparsed), b);
}

TEST(SecurityDescriptor, RoundTripsEveryPart) {
    for (const char* text :
         {"O:BAG:SYD:PAI(A;OICI;FA;;;SY)(D;NP;FW;;;AN)(A;IOID;GR;;;BU)S:(ML;;NWNR;;;LW)(AU;SA;FA;;;"
          "WD)",
          "O:S-1-5-21-1-2-3-1001D:NO_ACCESS_CONTROL", "G:BUD:", "S:(ML;;NX;;;HI)",
          "D:(A;;0x12019f;;;S-1-15-2-2)(XD;;FW;;;AN)(AL;FA;GA;;;SY)"}) {
        const auto sd = from_sddl(text);
        const auto b = to_self_relative(sd);
        auto reparsed = parse_security_descriptor(b);
        ASSERT_TRUE(reparsed.ok()) << text << ": " << reparsed.error().to_string();
        EXPECT_EQ(*reparsed, sd) << text;
        EXPECT_EQ(to_self_relative(*reparsed), b) << text;
    }
}

TEST(SddlMapping, MapsRightsLetters) {
    const std::pair<const char*, std::uint32_t> cases[] = {
        {"GA", 0x10000000},
        {"GR", 0x80000000},
        {"GW", 0x40000000},
        {"GX", 0x20000000},
        {"RC", 0x00020000},
        {"SD", 0x00010000},
        {"WD", 0x00040000},
        {"WO", 0x00080000},
        {"FA", 0x001F01FF},
        {"FR", 0x00120089},
        {"FW", 0x00120116},
        {"FX", 0x001200A0},
        {"KA", 0x000F003F},
        {"KR", 0x00020019},
        {"KW", 0x00020006},
        {"KX", 0x00020019},
        {"CC", 0x1},
        {"DC", 0x2},
        {"LC", 0x4},
        {"SW", 0x8},
        {"RP", 0x10},
        {"WP", 0x20},
        {"DT", 0x40},
        {"LO", 0x80},
        {"CR", 0x100},
        {"FRFW", 0x0012019F},
        {"0x1f01ff", 0x1F01FF},
        {"2032127", 0x1F01FF},
        {"0xFFFFFFFF", 0xFFFFFFFF},
    };
    for (auto [rights, mask] : cases) {
        const std::string text = std::string("D:(A;;") + rights + ";;;WD)";
        auto sd = security_descriptor_from_sddl(text);
        ASSERT_TRUE(sd.ok()) << text << ": " << sd.error().to_string();
        EXPECT_EQ(sd->dacl->aces[0].mask, mask) << rights;
    }
    auto ml = from_sddl("S:(ML;;NWNRNX;;;HI)");
    ASSERT_TRUE(ml.sacl);
    EXPECT_EQ(ml.sacl->aces[0].type, 0x11);
    EXPECT_EQ(ml.sacl->aces[0].mask, 0x7u);
    EXPECT_EQ(ml.sacl->aces[0].sid, well_known::integrity(0x3000));
    EXPECT_EQ(ml.control, kSeSelfRelative | kSeSaclPresent);
}

TEST(SddlMapping, MapsFlagsAndControlBits) {
    auto sd = from_sddl("O:OWG:COD:PAI(A;OICINPIOID;FA;;;WD)");
    EXPECT_EQ(sd.owner, well_known::owner_rights());
    EXPECT_EQ(sd.group, well_known::creator_owner());
    EXPECT_EQ(sd.control, kSeSelfRelative | kSeDaclPresent | 0x1000 | 0x0400);
    EXPECT_EQ(sd.dacl->aces[0].flags, 0x1F);
    EXPECT_EQ(from_sddl("D:(A;;FA;;;WD)").control, kSeSelfRelative | kSeDaclPresent);
}

TEST(SddlMapping, RefusesWhatItCannotMap) {
    for (const char* text :
         {"D:(A;;FA;;;DA)", "D:(XA;;FA;;;WD;(WIN://SYSAPPID Contains \"x\"))",
          "D:(A;;FA;bf967aba-0de6-11d0-a285-00aa003049e2;;WD)", "D:NO_ACCESS_CONTROL(A;;FA;;;WD)",
          "D:(A;;FQ;;;WD)", "S:(RA;;;;;WD;(\"x\",TI,0,1))"}) {
        auto sd = security_descriptor_from_sddl(text);
        ASSERT_FALSE(sd.ok()) << text;
        EXPECT_EQ(sd.error().code, ErrorCode::InvalidArgument) << text;
    }
}

TEST(SddlMapping, RefusesAnAclLargerThanAnAclHolds) {
    // 20 bytes per ACE: 3,276 fit in 65,535 bytes, 3,277 do not.
    std::string fits = "D:";
    for (int i = 0; i < 3276; ++i) fits += "(A;;1;;;WD)";
    auto sd = security_descriptor_from_sddl(fits);
    ASSERT_TRUE(sd.ok()) << sd.error().to_string();
    auto reparsed = parse_security_descriptor(to_self_relative(*sd));
    ASSERT_TRUE(reparsed.ok());
    EXPECT_EQ(reparsed->dacl->aces.size(), 3276u);
    auto too_big = security_descriptor_from_sddl(fits + "(A;;1;;;WD)");
    ASSERT_FALSE(too_big.ok());
    EXPECT_NE(too_big.error().message.find("65535"), std::string::npos);
}

TEST(SddlMapping, WritesAcesAsSddl) {
    Ace ace;
    ace.mask = 0x12019F;
    ace.sid = well_known::everyone();
    EXPECT_EQ(ace_to_sddl(ace), "(A;;0x12019f;;;WD)");
    ace.type = 1;
    ace.mask = 0x120116;
    ace.sid = well_known::anonymous();
    EXPECT_EQ(ace_to_sddl(ace), "(D;;FW;;;AN)");
    ace.type = 0;
    ace.flags = kAceObjectInherit | kAceInheritOnly;
    ace.mask = 0x10000000;
    ace.sid = *parse_sid("S-1-5-21-1-2-3-1001");
    EXPECT_EQ(ace_to_sddl(ace), "(A;OIIO;GA;;;S-1-5-21-1-2-3-1001)");
    ace = Ace{};
    ace.type = 0x11;
    ace.mask = 0x1;
    ace.sid = well_known::integrity(0x1000);
    EXPECT_EQ(ace_to_sddl(ace), "(ML;;NW;;;LW)");
    // Every rendering of a mapped ACE maps back to the same ACE.
    const auto sd = from_sddl("D:(A;CI;0x12019f;;;BU)(D;OIID;CCDCLC;;;S-1-5-2)S:(ML;;NRNX;;;ME)");
    for (const auto* acl : {&*sd.dacl, &*sd.sacl}) {
        for (const auto& a : acl->aces) {
            const std::string text = std::string(acl == &*sd.dacl ? "D:" : "S:") + ace_to_sddl(a);
            auto again = security_descriptor_from_sddl(text);
            ASSERT_TRUE(again.ok()) << text;
            EXPECT_EQ((acl == &*sd.dacl ? again->dacl : again->sacl)->aces[0], a) << text;
        }
    }
}

}  // namespace
