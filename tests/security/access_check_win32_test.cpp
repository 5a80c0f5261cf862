// evaluate_access against the system's own AccessCheck (Windows, and Wine where Wine models
// Windows): the same descriptor bytes (to_self_relative), the same token (read into an
// AccessPrincipal with token_principal), the file generic mapping, MAXIMUM_ALLOWED and specific
// requests, over hand-picked and seeded-random descriptors.
//
// What is left out, and why (each is covered by table tests in access_check_test.cpp):
// - an owner the token holds: Wine gives it STANDARD_RIGHTS_REQUIRED | SYNCHRONIZE, Windows
//   READ_CONTROL | WRITE_DAC; the owner here is always a SID the token does not hold;
// - mandatory labels and OWNER RIGHTS: Wine has no such step;
// - ACCESS_SYSTEM_SECURITY, which a privilege grants (never asked);
// Under Wine only (server/token.c, token_access_check), counted and printed as left out:
// - "deny after allow": a deny ACE that matches the token and names a right an earlier allow
//   ACE already granted. Windows keeps the right ("How AccessCheck Works": a deny ACE denies
//   only rights not yet granted); Wine's MAXIMUM_ALLOWED takes every denied right away whatever
//   the order, and a specific request fails on any deny ACE naming a requested right;
// - MAXIMUM_ALLOWED together with specific rights that are not all granted: Windows denies
//   the request, Wine grants what it can;
// - restricting SIDs: Wine's CreateRestrictedToken keeps none (TokenRestrictedSids reads back
//   empty), so the restricted-token comparison runs on Windows only.
#include <windows.h>

#include <cstdint>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "pipescope/access_check.hpp"
#include "pipescope/audit.hpp"
#include "pipescope/security_descriptor.hpp"

using namespace pipescope::core;
namespace pr = pipescope::core::pipe_rights;

namespace {

bool under_wine() {
    return ::GetProcAddress(::GetModuleHandleW(L"ntdll.dll"), "wine_get_version") != nullptr;
}

// Owns a HANDLE for the test.
struct Handle {
    HANDLE h = nullptr;
    Handle() = default;
    explicit Handle(HANDLE v) : h(v) {}
    Handle(const Handle&) = delete;
    Handle& operator=(const Handle&) = delete;
    ~Handle() {
        if (h) ::CloseHandle(h);
    }
};

// An identification-level impersonation token of this process (what AccessCheck takes).
HANDLE impersonation_token() {
    HANDLE process = nullptr;
    if (!::OpenProcessToken(::GetCurrentProcess(), TOKEN_QUERY | TOKEN_DUPLICATE, &process))
        return nullptr;
    Handle owned(process);
    HANDLE dup = nullptr;
    if (!::DuplicateToken(process, SecurityIdentification, &dup)) return nullptr;
    return dup;
}

// The same, restricted to `restricting` SIDs (CreateRestrictedToken), as an impersonation token.
HANDLE restricted_token(const std::vector<Sid>& restricting) {
    HANDLE process = nullptr;
    if (!::OpenProcessToken(::GetCurrentProcess(),
                            TOKEN_QUERY | TOKEN_DUPLICATE | TOKEN_ASSIGN_PRIMARY, &process))
        return nullptr;
    Handle owned(process);
    std::vector<std::vector<std::byte>> sid_bytes;
    std::vector<SID_AND_ATTRIBUTES> sids;
    for (const auto& s : restricting) {
        // A SID's bytes are the owner field of a descriptor that holds only it.
        SecurityDescriptor holder;
        holder.owner = s;
        auto b = to_self_relative(holder);
        sid_bytes.emplace_back(b.begin() + 20, b.end());
    }
    for (auto& b : sid_bytes) sids.push_back({reinterpret_cast<PSID>(b.data()), 0});
    HANDLE restricted = nullptr;
    if (!::CreateRestrictedToken(process, 0, 0, nullptr, 0, nullptr,
                                 static_cast<DWORD>(sids.size()), sids.data(), &restricted))
        return nullptr;
    Handle owned_restricted(restricted);
    HANDLE dup = nullptr;
    if (!::DuplicateToken(restricted, SecurityIdentification, &dup)) return nullptr;
    return dup;
}

struct SystemAnswer {
    bool ok = false;      // the call itself succeeded
    DWORD error = 0;      // when it did not
    bool status = false;  // access granted
    DWORD granted = 0;
};

SystemAnswer system_access_check(const SecurityDescriptor& sd, HANDLE token, DWORD desired) {
    auto bytes = to_self_relative(sd);
    GENERIC_MAPPING mapping{FILE_GENERIC_READ, FILE_GENERIC_WRITE, FILE_GENERIC_EXECUTE,
                            FILE_ALL_ACCESS};
    // AccessCheck wants generic bits mapped already (ERROR_GENERIC_NOT_MAPPED otherwise).
    ::MapGenericMask(&desired, &mapping);
    std::vector<std::uint8_t> privileges(1024);
    DWORD privileges_len = static_cast<DWORD>(privileges.size());
    SystemAnswer a;
    BOOL status = FALSE;
    a.ok = ::AccessCheck(reinterpret_cast<PSECURITY_DESCRIPTOR>(bytes.data()), token, desired,
                         &mapping, reinterpret_cast<PPRIVILEGE_SET>(privileges.data()),
                         &privileges_len, &a.granted, &status) != FALSE;
    if (!a.ok) a.error = ::GetLastError();
    a.status = status != FALSE;
    return a;
}

// What AccessCheck should answer, from the evaluator's per-right decision.
struct Expected {
    bool status = false;
    DWORD granted = 0;
};

Expected expected_answer(const SecurityDescriptor& sd, const AccessPrincipal& who,
                         std::uint32_t desired) {
    const AccessDecision d = evaluate_access(sd, who, desired);
    const std::uint32_t specific = map_generic_pipe_rights(desired & ~pr::kMaximumAllowed);
    Expected e;
    if (desired & pr::kMaximumAllowed) {
        e.status = d.allows(specific) && d.granted != 0;
        e.granted = e.status ? d.granted : 0;
    } else {
        e.status = d.allows(specific);
        e.granted = e.status ? specific : 0;
    }
    return e;
}

std::string describe(const SecurityDescriptor& sd) {
    std::string out;
    if (sd.owner) out += "O:" + sd.owner->to_string();
    if (sd.group) out += "G:" + sd.group->to_string();
    out += "D:";
    if (!sd.dacl) return out + "NO_ACCESS_CONTROL";
    for (const auto& a : sd.dacl->aces) out += ace_to_sddl(a);
    return out;
}

std::string hex(std::uint32_t v) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "0x%08lx", static_cast<unsigned long>(v));
    return buf;
}

bool matches(const Ace& ace, const AccessPrincipal& who) {
    if (*ace.sid == who.user) return true;
    for (const auto& g : who.groups)
        if (*ace.sid == g) return true;
    if (ace.type == 1)
        for (const auto& g : who.deny_only_groups)
            if (*ace.sid == g) return true;
    return false;
}

// A case where Wine's AccessCheck is known to differ from Windows' documented one (see the top
// of this file).
bool wine_differs(const SecurityDescriptor& sd, const AccessPrincipal& who, std::uint32_t desired) {
    const std::uint32_t specific = map_generic_pipe_rights(desired & ~pr::kMaximumAllowed);
    if ((desired & pr::kMaximumAllowed) && !evaluate_access(sd, who, desired).allows(specific))
        return true;
    if (!sd.dacl) return false;
    const std::uint32_t requested =
        (desired & pr::kMaximumAllowed) ? pr::kFileAllAccess | specific : specific;
    std::uint32_t allowed = 0;
    for (const auto& ace : sd.dacl->aces) {
        if ((ace.flags & kAceInheritOnly) || !ace.sid || !matches(ace, who)) continue;
        const std::uint32_t mask = map_generic_pipe_rights(ace.mask);
        if (ace.type == 0) allowed |= mask;
        if (ace.type == 1 && (mask & allowed & requested)) return true;
    }
    return false;
}

struct Counts {
    int compared = 0;
    int left_out = 0;         // in a class where Wine differs
    int left_out_differ = 0;  // of those, how many Wine answered differently
};

// Compares one case and counts it. Returns false (and records a failure) on disagreement.
bool compare(const SecurityDescriptor& sd, HANDLE token, const AccessPrincipal& who,
             std::uint32_t desired, Counts& counts) {
    const SystemAnswer sys = system_access_check(sd, token, desired);
    EXPECT_TRUE(sys.ok) << "AccessCheck failed with " << sys.error << " on " << describe(sd);
    if (!sys.ok) return false;
    const Expected exp = expected_answer(sd, who, desired);
    const bool same = sys.status == exp.status && (!exp.status || sys.granted == exp.granted);
    if (under_wine() && wine_differs(sd, who, desired)) {
        ++counts.left_out;
        if (!same) ++counts.left_out_differ;
        return true;
    }
    ++counts.compared;
    EXPECT_TRUE(same) << describe(sd) << " desired " << hex(desired) << ": AccessCheck says "
                      << (sys.status ? "granted " : "denied ") << hex(sys.granted)
                      << ", evaluate_access says " << (exp.status ? "granted " : "denied ")
                      << hex(exp.granted);
    return same;
}

void print_counts(const char* what, const Counts& c) {
    std::printf(
        "compared %d %s cases with AccessCheck; left out %d where Wine differs from "
        "Windows (Wine answered differently in %d of them)\n",
        c.compared, what, c.left_out, c.left_out_differ);
}

Sid sid(const char* text) {
    return *parse_sid(text);
}

// SIDs the token does not hold.
const char* const kStrangers[] = {"S-1-5-21-7-7-7-1001", "S-1-5-32-546", "S-1-5-7", "S-1-5-12",
                                  "S-1-5-21-7-7-7-512"};
constexpr const char* kOwner = "S-1-5-21-9-9-9-500";

bool holds(const AccessPrincipal& who, const Sid& s) {
    if (who.user == s) return true;
    for (const auto& g : who.groups)
        if (g == s) return true;
    for (const auto& g : who.deny_only_groups)
        if (g == s) return true;
    return false;
}

// A random descriptor over the token's SIDs and strangers (owner: a stranger).
SecurityDescriptor random_descriptor(std::mt19937& rng, const AccessPrincipal& who) {
    auto pick = [&](std::size_t n) { return static_cast<std::size_t>(rng() % n); };
    SecurityDescriptor sd;
    sd.owner = sid(kOwner);
    sd.group = sid(kStrangers[pick(std::size(kStrangers))]);
    const auto shape = pick(20);
    if (shape == 0) {
        sd.control |= kSeDaclPresent;  // NULL DACL
        return sd;
    }
    Acl acl;
    const std::size_t count = shape == 1 ? 0 : 1 + pick(6);
    std::vector<Sid> pool = {who.user};
    for (const auto& g : who.groups) pool.push_back(g);
    for (const auto& g : who.deny_only_groups) pool.push_back(g);
    for (const auto* s : kStrangers) pool.push_back(sid(s));
    for (const auto& s : who.restricting_sids) pool.push_back(s);
    static constexpr std::uint32_t kMasks[] = {
        pr::kGenericAll,    pr::kGenericRead,        pr::kGenericWrite,     pr::kGenericExecute,
        pr::kFileAllAccess, pr::kFileGenericRead,    pr::kFileGenericWrite, pr::kFileGenericExecute,
        pr::kReadControl,   pr::kWriteDac,           pr::kDelete,           pr::kReadData,
        pr::kWriteData,     pr::kCreatePipeInstance, pr::kSynchronize,
    };
    for (std::size_t i = 0; i < count; ++i) {
        Ace ace;
        ace.type = pick(3) == 0 ? 1 : 0;
        if (pick(5) == 0) ace.flags |= kAceInheritOnly;
        if (pick(3) == 0) ace.flags |= kAceObjectInherit | kAceContainerInherit;
        if (pick(6) == 0) ace.flags |= kAceInherited;
        if (pick(3) == 0) {
            ace.mask = kMasks[pick(std::size(kMasks))] | kMasks[pick(std::size(kMasks))];
        } else {
            ace.mask = static_cast<std::uint32_t>(rng()) & (pr::kFileAllAccess | 0xF0000000u);
            ace.mask &= ~pr::kWriteOwner;  // a privilege may grant it: not compared
        }
        ace.sid = pool[pick(pool.size())];
        acl.aces.push_back(std::move(ace));
    }
    sd.dacl = std::move(acl);
    sd.control |= kSeDaclPresent;
    return sd;
}

std::uint32_t random_desired(std::mt19937& rng) {
    switch (rng() % 5) {
        case 0:
            return pr::kMaximumAllowed;
        case 1:
            return pr::kMaximumAllowed | pr::kReadData;
        case 2:
            return pr::kGenericRead | (rng() % 2 ? pr::kGenericWrite : 0);
        default: {
            std::uint32_t m =
                static_cast<std::uint32_t>(rng()) & pr::kFileAllAccess & ~pr::kWriteOwner;
            return m ? m : pr::kReadData;
        }
    }
}

class AccessCheckWin32 : public ::testing::Test {
  protected:
    void SetUp() override {
        token_.h = impersonation_token();
        ASSERT_NE(token_.h, nullptr) << "DuplicateToken failed: " << ::GetLastError();
        auto p = token_principal(token_.h);
        ASSERT_TRUE(p.has_value()) << "token_principal could not read the token";
        who_ = *p;
        ASSERT_FALSE(holds(who_, sid(kOwner)));
        for (const auto* s : kStrangers)
            ASSERT_FALSE(holds(who_, sid(s))) << s << " is in the token: pick another stranger";
    }
    Handle token_;
    AccessPrincipal who_;
};

TEST_F(AccessCheckWin32, TokenPrincipalReadsTheToken) {
    EXPECT_EQ(who_.user.authority, 5u);
    EXPECT_FALSE(who_.groups.empty());
    bool everyone = false;
    for (const auto& g : who_.groups) everyone = everyone || g == well_known::everyone();
    EXPECT_TRUE(everyone) << "a logged-on user's token holds Everyone";
    EXPECT_TRUE(who_.restricting_sids.empty());
    EXPECT_FALSE(who_.app_container);
    std::printf("token: %s, %zu groups, %zu deny-only, integrity 0x%x\n",
                who_.user.to_string().c_str(), who_.groups.size(), who_.deny_only_groups.size(),
                who_.integrity_rid);
    auto current = current_token_principal();
    ASSERT_TRUE(current.has_value());
    EXPECT_EQ(current->user, who_.user);
    EXPECT_NE(current->name.find("current user ("), std::string::npos) << current->name;
}

TEST_F(AccessCheckWin32, AgreesOnHandPickedDescriptors) {
    const std::string user = who_.user.to_string();
    const std::string head = std::string("O:") + kOwner + "G:BG";
    const char* const dacls[] = {
        "D:NO_ACCESS_CONTROL",
        "D:",
        "D:(A;;FA;;;WD)",
        "D:(A;;GA;;;WD)",
        "D:(A;;GR;;;WD)",
        "D:(A;;GRGW;;;WD)",
        "D:(D;;FW;;;WD)(A;;FA;;;WD)",
        "D:(A;;FA;;;WD)(D;;FW;;;WD)",
        "D:(D;;GW;;;WD)(A;;GA;;;WD)",
        "D:(A;;FR;;;AN)",
        "D:(A;;FA;;;S-1-5-32-546)",
        "D:(D;IO;FA;;;WD)(A;;FA;;;WD)",
        "D:(A;OICIIO;FA;;;WD)",
        "D:(A;ID;FR;;;WD)",
        "D:(A;;0x1;;;WD)(A;;0x2;;;WD)(D;;0x3;;;WD)",
        "D:(A;;RC;;;WD)",
        "D:(D;;RC;;;WD)(A;;GA;;;WD)",
    };
    Counts counts;
    for (const char* dacl : dacls) {
        // Each DACL as written (Everyone) and with the token's user in Everyone's place.
        std::string as_user = dacl;
        for (auto at = as_user.find(";WD)"); at != std::string::npos; at = as_user.find(";WD)"))
            as_user.replace(at + 1, 2, user);
        for (const std::string& text : {head + dacl, head + as_user}) {
            auto sd = security_descriptor_from_sddl(text);
            ASSERT_TRUE(sd.ok()) << text << ": " << sd.error().to_string();
            for (std::uint32_t desired :
                 {pr::kMaximumAllowed, pr::kGenericRead, pr::kGenericWrite, pr::kFileAllAccess,
                  pr::kReadData, pr::kWriteData | pr::kReadData, pr::kReadControl,
                  pr::kMaximumAllowed | pr::kWriteData}) {
                compare(*sd, token_.h, who_, desired, counts);
            }
        }
    }
    print_counts("hand-picked", counts);
    EXPECT_GE(counts.compared, 200);
}

TEST_F(AccessCheckWin32, AgreesOnRandomDescriptors) {
    std::mt19937 rng(20261201);
    Counts counts;
    int disagreed = 0;
    for (int i = 0; i < 600 && disagreed < 10; ++i) {
        const SecurityDescriptor sd = random_descriptor(rng, who_);
        for (int j = 0; j < 3; ++j)
            if (!compare(sd, token_.h, who_, random_desired(rng), counts)) ++disagreed;
    }
    print_counts("random", counts);
    EXPECT_EQ(disagreed, 0);
    EXPECT_GE(counts.compared, 1000);
}

TEST_F(AccessCheckWin32, AgreesOnARestrictedToken) {
    const std::vector<Sid> restricting = {well_known::everyone(), well_known::restricted_code()};
    Handle restricted(restricted_token(restricting));
    ASSERT_NE(restricted.h, nullptr) << "CreateRestrictedToken failed: " << ::GetLastError();
    auto p = token_principal(restricted.h);
    ASSERT_TRUE(p.has_value());
    if (under_wine() && p->restricting_sids.empty()) {
        GTEST_SKIP()
            << "Wine's CreateRestrictedToken keeps no restricting SIDs (TokenRestrictedSids "
               "reads back empty) and its AccessCheck has no restricting-SID step; the "
               "rule is covered by AccessCheck.RestrictedTokenMustPassBothChecks";
    }
    ASSERT_EQ(p->restricting_sids.size(), restricting.size());
    std::mt19937 rng(7);
    Counts counts;
    for (int i = 0; i < 150; ++i) {
        const SecurityDescriptor sd = random_descriptor(rng, *p);
        for (int j = 0; j < 2; ++j) compare(sd, restricted.h, *p, random_desired(rng), counts);
    }
    print_counts("restricted-token", counts);
    EXPECT_GE(counts.compared, 200);
}

}  // namespace
