// The access evaluator, rule by rule, from Microsoft's documentation ("How AccessCheck Works",
// "Mandatory Integrity Control", "Restricted Tokens", "SID Strings"). Rules Wine does not model
// (labels, OWNER RIGHTS, restricting SIDs, AppContainers) are checked here only.
#include <bit>
#include <cstdint>
#include <string>

#include <gtest/gtest.h>

#include "pipescope/access_check.hpp"

using namespace pipescope::core;
namespace pr = pipescope::core::pipe_rights;

namespace {

constexpr const char* kAlice = "S-1-5-21-1-2-3-1001";
constexpr const char* kBob = "S-1-5-21-1-2-3-1002";
constexpr const char* kPackage = "S-1-15-2-1-2-3-4-5-6-7";
constexpr const char* kCapability = "S-1-15-3-1";  // internetClient

// Rights a lower asker keeps on an unlabeled (Medium, no-write-up) object: reading and waiting.
constexpr std::uint32_t kReadExecute = pr::kFileGenericRead | pr::kFileGenericExecute;
constexpr std::uint32_t kWriteBits = pr::kWriteData | pr::kCreatePipeInstance | pr::kWriteEa |
                                     pr::kWriteAttributes | 0x40 | pr::kDelete | pr::kWriteDac |
                                     pr::kWriteOwner;

Sid sid(const char* text) {
    auto s = parse_sid(text);
    EXPECT_TRUE(s.ok()) << text;
    return s ? *s : Sid{};
}

SecurityDescriptor sd(const std::string& text) {
    auto d = security_descriptor_from_sddl(text);
    EXPECT_TRUE(d.ok()) << text << ": " << (d ? "" : d.error().to_string());
    return d ? *d : SecurityDescriptor{};
}

// Alice, an interactive user: Everyone, Users, Authenticated Users, INTERACTIVE; Medium.
AccessPrincipal alice() {
    AccessPrincipal p;
    p.name = "alice";
    p.user = sid(kAlice);
    p.groups = {well_known::everyone(), well_known::users(), well_known::authenticated_users(),
                well_known::interactive()};
    return p;
}

AccessPrincipal anonymous() {
    AccessPrincipal p;
    p.name = "Anonymous";
    p.user = well_known::anonymous();
    p.integrity_rid = integrity::kUntrusted;
    return p;
}

std::uint32_t granted(const std::string& sddl, const AccessPrincipal& who,
                      std::uint32_t desired = pr::kMaximumAllowed) {
    return evaluate_access(sd(sddl), who, desired).granted;
}

// Every verdict explains itself and `granted` is exactly the granted verdicts.
void expect_consistent(const AccessDecision& d) {
    std::uint32_t from_verdicts = 0;
    for (const auto& v : d.rights) {
        EXPECT_EQ(std::popcount(v.right), 1);
        EXPECT_FALSE(v.why.empty()) << v.right;
        if (v.granted) from_verdicts |= v.right;
    }
    EXPECT_EQ(from_verdicts, d.granted);
}

TEST(AccessCheck, MapsGenericRightsWithTheFileMapping) {
    EXPECT_EQ(map_generic_pipe_rights(pr::kGenericRead), pr::kFileGenericRead);
    EXPECT_EQ(map_generic_pipe_rights(pr::kGenericWrite), pr::kFileGenericWrite);
    EXPECT_EQ(map_generic_pipe_rights(pr::kGenericExecute), pr::kFileGenericExecute);
    EXPECT_EQ(map_generic_pipe_rights(pr::kGenericAll), pr::kFileAllAccess);
    EXPECT_EQ(map_generic_pipe_rights(pr::kGenericRead | pr::kDelete),
              pr::kFileGenericRead | pr::kDelete);
    EXPECT_EQ(granted("D:(A;;GR;;;WD)", alice()), pr::kFileGenericRead);
    EXPECT_EQ(granted("D:(A;;GW;;;WD)", alice()), pr::kFileGenericWrite);
    EXPECT_EQ(granted("D:(A;;GA;;;WD)", alice()), pr::kFileAllAccess);
    // A generic request is mapped too, and decided bit by bit.
    const auto d = evaluate_access(sd("D:(A;;FR;;;WD)"), alice(), pr::kGenericRead);
    EXPECT_TRUE(d.allows(pr::kFileGenericRead));
    EXPECT_EQ(d.rights.size(), static_cast<std::size_t>(std::popcount(pr::kFileGenericRead)));
    EXPECT_FALSE(evaluate_access(sd("D:(A;;FR;;;WD)"), alice(), pr::kGenericWrite)
                     .allows(pr::kFileGenericWrite));
}

TEST(AccessCheck, MaximumAllowedDecidesEveryRightOfFileAllAccess) {
    const auto d = evaluate_access(sd("D:(A;;FR;;;WD)"), alice());
    EXPECT_EQ(d.rights.size(), static_cast<std::size_t>(std::popcount(pr::kFileAllAccess)));
    for (std::uint32_t bit = 1; bit != 0; bit <<= 1)
        EXPECT_EQ(d.verdict(bit) != nullptr, (pr::kFileAllAccess & bit) != 0) << bit;
    expect_consistent(d);
}

TEST(AccessCheck, DenyBeforeAllowDenies) {
    const auto d = evaluate_access(sd("D:(D;;FW;;;WD)(A;;FA;;;WD)"), alice());
    EXPECT_EQ(d.granted, pr::kFileAllAccess & ~pr::kFileGenericWrite);
    const RightVerdict* write = d.verdict(pr::kWriteData);
    ASSERT_NE(write, nullptr);
    EXPECT_FALSE(write->granted);
    EXPECT_EQ(write->ace_index, 0u);
    EXPECT_FALSE(write->in_sacl);
    EXPECT_EQ(write->why, "denied by DACL ACE 0 (D;;FW;;;WD) for Everyone");
    const RightVerdict* read = d.verdict(pr::kReadData);
    ASSERT_NE(read, nullptr);
    EXPECT_TRUE(read->granted);
    EXPECT_EQ(read->ace_index, 1u);
    expect_consistent(d);
}

TEST(AccessCheck, AllowBeforeDenyAllows) {
    const auto d = evaluate_access(sd("D:(A;;FA;;;WD)(D;;FW;;;WD)"), alice());
    EXPECT_EQ(d.granted, pr::kFileAllAccess);
    EXPECT_EQ(d.verdict(pr::kWriteData)->ace_index, 0u);
    EXPECT_EQ(d.verdict(pr::kWriteData)->why, "allowed by DACL ACE 0 (A;;FA;;;WD) for Everyone");
    // A specific request the deny covers fails as a whole.
    EXPECT_FALSE(
        evaluate_access(sd("D:(A;;FR;;;WD)(D;;FW;;;WD)(A;;FA;;;WD)"), alice(), pr::kGenericWrite)
            .allows(pr::kFileGenericWrite));
}

TEST(AccessCheck, NullDaclGrantsEverythingEmptyDaclNothing) {
    const auto null_dacl = evaluate_access(sd("D:NO_ACCESS_CONTROL"), alice());
    EXPECT_EQ(null_dacl.granted, pr::kFileAllAccess);
    EXPECT_EQ(null_dacl.rights[0].why, "NULL DACL: everyone gets every right");
    EXPECT_EQ(granted("O:BA", alice()), pr::kFileAllAccess);  // no D: part: no DACL at all
    const auto empty = evaluate_access(sd("D:"), alice());
    EXPECT_EQ(empty.granted, 0u);
    EXPECT_EQ(empty.rights[0].why, "empty DACL: no ACE grants it");
    expect_consistent(null_dacl);
    expect_consistent(empty);
}

TEST(AccessCheck, NoMatchingAceGrantsNothing) {
    const auto d = evaluate_access(sd(std::string("D:(A;;FA;;;") + kBob + ")"), alice());
    EXPECT_EQ(d.granted, 0u);
    EXPECT_EQ(d.rights[0].why, "no ACE grants it");
    EXPECT_FALSE(d.rights[0].ace_index);
}

TEST(AccessCheck, OwnerGetsReadControlAndWriteDacUpFront) {
    const std::string owner = std::string("O:") + kAlice;
    EXPECT_EQ(granted(owner + "D:", alice()), pr::kReadControl | pr::kWriteDac);
    // Deny ACEs cannot take them away: they are granted before the DACL is read.
    const auto d = evaluate_access(sd(owner + "D:(D;;GA;;;WD)(A;;FR;;;WD)"), alice());
    EXPECT_EQ(d.granted, pr::kReadControl | pr::kWriteDac);
    EXPECT_EQ(d.verdict(pr::kWriteDac)->why, "owner's implicit WRITE_DAC");
    EXPECT_EQ(d.verdict(pr::kReadData)->why, "denied by DACL ACE 0 (D;;GA;;;WD) for Everyone");
    // Someone else's object: nothing implicit.
    EXPECT_EQ(granted(std::string("O:") + kBob + "D:", alice()), 0u);
    // A group the asker holds may own the object, too.
    EXPECT_EQ(granted("O:BUD:", alice()), pr::kReadControl | pr::kWriteDac);
    expect_consistent(d);
}

TEST(AccessCheck, OwnerRightsAceReplacesTheImplicitRights) {
    const std::string owner = std::string("O:") + kAlice;
    // OWNER RIGHTS grants read only: the owner no longer gets WRITE_DAC.
    EXPECT_EQ(granted(owner + "D:(A;;FR;;;OW)", alice()), pr::kFileGenericRead);
    // OWNER RIGHTS denying READ_CONTROL wins over a later allow.
    EXPECT_EQ(granted(owner + "D:(D;;RC;;;OW)(A;;FA;;;WD)", alice()),
              pr::kFileAllAccess & ~pr::kReadControl);
    // An OWNER RIGHTS ACE names only the owner.
    EXPECT_EQ(granted(std::string("O:") + kBob + "D:(A;;FA;;;OW)", alice()), 0u);
    // An inherit-only OWNER RIGHTS ACE does not apply to the object: implicit rights stay.
    EXPECT_EQ(granted(owner + "D:(A;OIIO;FR;;;OW)", alice()), pr::kReadControl | pr::kWriteDac);
}

TEST(AccessCheck, SkipsInheritOnlyAces) {
    EXPECT_EQ(granted("D:(D;IO;FA;;;WD)(A;;FA;;;WD)", alice()), pr::kFileAllAccess);
    EXPECT_EQ(granted("D:(A;OICIIO;FA;;;WD)", alice()), 0u);
    EXPECT_EQ(granted("D:(A;OICIID;FR;;;WD)", alice()), pr::kFileGenericRead);  // inherited
    // CREATOR OWNER on the object itself names nobody.
    EXPECT_EQ(granted(std::string("O:") + kAlice + "D:(A;;FA;;;CO)", alice()),
              pr::kReadControl | pr::kWriteDac);
}

TEST(AccessCheck, DenyOnlyGroupsMatchOnlyDenyAces) {
    AccessPrincipal p = alice();
    p.deny_only_groups = {well_known::administrators()};
    EXPECT_EQ(granted("D:(A;;FA;;;BA)", p), 0u);
    EXPECT_EQ(granted("D:(D;;FW;;;BA)(A;;FA;;;WD)", p),
              pr::kFileAllAccess & ~pr::kFileGenericWrite);
    // A deny-only group does not make its holder the owner.
    EXPECT_EQ(granted("O:BAD:", p), 0u);
}

TEST(AccessCheck, RestrictedTokenMustPassBothChecks) {
    AccessPrincipal p = alice();
    p.restricting_sids = {well_known::restricted_code(), well_known::everyone()};
    // Everyone is in both lists.
    EXPECT_EQ(granted("D:(A;;FA;;;WD)", p), pr::kFileAllAccess);
    // Alice's SID grants all, but the restricting SIDs only read.
    const auto d = evaluate_access(sd(std::string("D:(A;;FA;;;") + kAlice + ")(A;;FR;;;RC)"), p);
    EXPECT_EQ(d.granted, pr::kFileGenericRead);
    EXPECT_EQ(d.verdict(pr::kWriteData)->why,
              "restricted token: no ACE grants it to a restricting SID");
    EXPECT_NE(d.verdict(pr::kReadData)->why.find("restricted token: allowed by DACL ACE 1"),
              std::string::npos)
        << d.verdict(pr::kReadData)->why;
    expect_consistent(d);
    // A deny for a restricting SID denies.
    EXPECT_EQ(granted("D:(D;;FW;;;RC)(A;;FA;;;WD)", p),
              pr::kFileAllAccess & ~pr::kFileGenericWrite);
    // The restricting check alone does not grant what the token's own SIDs are not granted.
    EXPECT_EQ(granted("D:(A;;FA;;;RC)", p), 0u);
}

TEST(AccessCheck, RestrictedOwnerGetsImplicitRightsOnlyThroughARestrictingSid) {
    AccessPrincipal p = alice();
    p.restricting_sids = {well_known::restricted_code()};
    const std::string owned = std::string("O:") + kAlice + "D:(A;;FR;;;RC)(A;;FR;;;WD)";
    EXPECT_EQ(granted(owned, p), pr::kFileGenericRead);  // no WRITE_DAC
    p.restricting_sids.push_back(sid(kAlice));
    EXPECT_EQ(granted(owned, p), pr::kFileGenericRead | pr::kWriteDac);
}

TEST(AccessCheck, AppContainerNeedsAGrantToThePackage) {
    AccessPrincipal p = alice();
    p.app_container = sid(kPackage);
    p.capabilities = {sid(kCapability)};
    p.integrity_rid = integrity::kLow;
    const std::string low = "S:(ML;;NW;;;LW)";
    EXPECT_EQ(granted("D:(A;;FA;;;WD)" + low, p), 0u);
    const auto d = evaluate_access(sd("D:(A;;FA;;;WD)(A;;FR;;;AC)" + low), p);
    EXPECT_EQ(d.granted, pr::kFileGenericRead);
    EXPECT_EQ(d.verdict(pr::kWriteData)->why,
              "AppContainer: no ACE grants it to the package, ALL APPLICATION PACKAGES or a "
              "capability");
    EXPECT_EQ(granted(std::string("D:(A;;FA;;;WD)(A;;FA;;;") + kPackage + ")" + low, p),
              pr::kFileAllAccess);
    EXPECT_EQ(granted(std::string("D:(A;;FA;;;WD)(A;;FX;;;") + kCapability + ")" + low, p),
              pr::kFileGenericExecute);
    // A deny for ALL APPLICATION PACKAGES shuts every AppContainer out.
    EXPECT_EQ(granted("D:(D;;FW;;;AC)(A;;FA;;;WD)(A;;FA;;;AC)" + low, p),
              pr::kFileAllAccess & ~pr::kFileGenericWrite);
    // The package alone does not pass the token's own check.
    EXPECT_EQ(granted("D:(A;;FA;;;AC)" + low, p), 0u);
    expect_consistent(d);
}

TEST(AccessCheck, UnlabeledObjectIsMediumNoWriteUp) {
    AccessPrincipal low = alice();
    low.integrity_rid = integrity::kLow;
    const auto d = evaluate_access(sd("D:(A;;FA;;;WD)"), low);
    EXPECT_EQ(d.granted, kReadExecute);
    EXPECT_EQ(d.granted & kWriteBits, 0u);
    const RightVerdict* write = d.verdict(pr::kWriteData);
    EXPECT_EQ(write->why, "no-write-up: Low asker, Medium object (no label: Medium by default)");
    EXPECT_FALSE(write->ace_index);
    EXPECT_FALSE(write->in_sacl);
    EXPECT_TRUE(d.verdict(pr::kReadControl)->granted);
    EXPECT_TRUE(d.verdict(pr::kSynchronize)->granted);
    expect_consistent(d);
    // Medium and above are not below the object.
    EXPECT_EQ(granted("D:(A;;FA;;;WD)", alice()), pr::kFileAllAccess);
    // Even a NULL DACL does not let a Low asker write an unlabeled object.
    EXPECT_EQ(granted("D:NO_ACCESS_CONTROL", low), kReadExecute);
    // Nor the owner's implicit WRITE_DAC.
    EXPECT_EQ(granted(std::string("O:") + kAlice + "D:", low), pr::kReadControl);
}

TEST(AccessCheck, LabelSetsTheObjectsLevel) {
    AccessPrincipal low = alice();
    low.integrity_rid = integrity::kLow;
    EXPECT_EQ(granted("D:(A;;FA;;;WD)S:(ML;;NW;;;LW)", low), pr::kFileAllAccess);
    AccessPrincipal untrusted = alice();
    untrusted.integrity_rid = integrity::kUntrusted;
    const auto d = evaluate_access(sd("D:(A;;FA;;;WD)S:(AU;SA;FA;;;WD)(ML;;NW;;;LW)"), untrusted);
    EXPECT_EQ(d.granted, kReadExecute);
    const RightVerdict* write = d.verdict(pr::kWriteData);
    EXPECT_EQ(write->ace_index, 1u);
    EXPECT_TRUE(write->in_sacl);
    EXPECT_EQ(write->why,
              "no-write-up: Untrusted asker, Low object (label SACL ACE 1 (ML;;NW;;;LW))");
    // A High object with no policy bits takes nothing from a Medium asker.
    EXPECT_EQ(granted("D:(A;;FA;;;WD)S:(ML;;0x0;;;HI)", alice()), pr::kFileAllAccess);
    // An inherit-only label is for children: the object stays Medium by default.
    EXPECT_EQ(granted("D:(A;;FA;;;WD)S:(ML;OIIO;NW;;;HI)", alice()), pr::kFileAllAccess);
    EXPECT_EQ(granted("D:(A;;FA;;;WD)S:(ML;OIIO;NW;;;LW)", low), kReadExecute);
}

TEST(AccessCheck, NoReadUpAndNoExecuteUpTakeReadAndExecute) {
    const auto nr = evaluate_access(sd("D:(A;;FA;;;WD)S:(ML;;NWNR;;;HI)"), alice());
    // FILE_READ_ATTRIBUTES is also an execute right, which the label leaves.
    EXPECT_EQ(nr.granted, pr::kReadControl | pr::kSynchronize | pr::kExecute | pr::kReadAttributes);
    EXPECT_EQ(nr.verdict(pr::kReadData)->why,
              "no-read-up: Medium asker, High object (label SACL ACE 0 (ML;;NWNR;;;HI))");
    const auto nx = evaluate_access(sd("D:(A;;FA;;;WD)S:(ML;;NWNX;;;HI)"), alice());
    EXPECT_EQ(nx.granted, pr::kReadControl | pr::kSynchronize | pr::kReadData | pr::kReadEa |
                              pr::kReadAttributes);
    EXPECT_NE(nx.verdict(pr::kExecute)->why.find("no-execute-up"), std::string::npos);
    const auto all = evaluate_access(sd("D:(A;;FA;;;WD)S:(ML;;NWNRNX;;;HI)"), alice());
    EXPECT_EQ(all.granted, pr::kReadControl | pr::kSynchronize);
    // No-read-up alone leaves writing up allowed.
    EXPECT_EQ(granted("D:(A;;FA;;;WD)S:(ML;;NR;;;HI)", alice()) & pr::kWriteData, pr::kWriteData);
    expect_consistent(nr);
    expect_consistent(nx);
    expect_consistent(all);
}

TEST(AccessCheck, AnonymousIsNotInEveryone) {
    EXPECT_EQ(granted("D:(A;;FA;;;WD)S:(ML;;NW;;;S-1-16-0)", anonymous()), 0u);
    EXPECT_EQ(granted("D:(A;;FR;;;AN)(A;;FA;;;WD)S:(ML;;NW;;;S-1-16-0)", anonymous()),
              pr::kFileGenericRead);
    // A principal that lists Everyone (the EveryoneIncludesAnonymous policy) is matched by it.
    AccessPrincipal with_everyone = anonymous();
    with_everyone.groups = {well_known::everyone()};
    EXPECT_EQ(granted("D:(A;;FR;;;WD)", with_everyone), pr::kFileGenericRead);
}

TEST(AccessCheck, ObjectAndCallbackAces) {
    // An object ACE without an object type acts on the object; with one it names a property.
    EXPECT_EQ(granted("D:(OA;;FR;;;WD)", alice()), pr::kFileGenericRead);
    EXPECT_EQ(granted("D:(OA;;FR;bf967aba-0de6-11d0-a285-00aa003049e2;;WD)", alice()), 0u);
    EXPECT_EQ(granted("D:(OD;;FW;;;WD)(A;;FA;;;WD)", alice()),
              pr::kFileAllAccess & ~pr::kFileGenericWrite);
    // Conditions are not evaluated: an allowed callback ACE does not grant, a denied one denies.
    EXPECT_EQ(granted("D:(XA;;FR;;;WD)", alice()), 0u);
    EXPECT_EQ(granted("D:(XD;;FW;;;WD)(A;;FA;;;WD)", alice()),
              pr::kFileAllAccess & ~pr::kFileGenericWrite);
    // Audit ACEs in a DACL grant nothing.
    EXPECT_EQ(granted("D:(AU;SA;FA;;;WD)", alice()), 0u);
}

TEST(AccessCheck, AccessSystemSecurityNeedsAPrivilege) {
    const auto d = evaluate_access(sd("D:(A;;0x11f01ff;;;WD)"), alice(),
                                   pr::kAccessSystemSecurity | pr::kReadData);
    EXPECT_FALSE(d.verdict(pr::kAccessSystemSecurity)->granted);
    EXPECT_NE(d.verdict(pr::kAccessSystemSecurity)->why.find("SeSecurityPrivilege"),
              std::string::npos);
    EXPECT_EQ(d.granted, pr::kReadData);
    EXPECT_EQ(evaluate_access(sd("D:"), alice(), 0).rights.size(), 0u);
}

}  // namespace
