// Binary security descriptors as a pipe's server hands them over (GetKernelObjectSecurity):
// parse_security_descriptor, to_self_relative and evaluate_access.
#include <bit>
#include <span>
#include <string>
#include <vector>

#include "fuzz_check.hpp"
#include "pipescope/access_check.hpp"
#include "pipescope/security_descriptor.hpp"

using namespace pipescope::core;

namespace {

// Principals that reach every rule: the owner (implicit rights, OWNER RIGHTS), a trustee of
// the DACL, Anonymous, a Low asker, a restricted token and an AppContainer.
std::vector<AccessPrincipal> principals(const SecurityDescriptor& sd) {
    std::vector<AccessPrincipal> out;
    AccessPrincipal user;
    user.user = sd.owner.value_or(well_known::users());
    user.groups = {well_known::everyone(), well_known::authenticated_users()};
    if (sd.dacl) {
        for (const auto& ace : sd.dacl->aces)
            if (ace.sid && user.groups.size() < 4) user.groups.push_back(*ace.sid);
    }
    out.push_back(user);
    AccessPrincipal anonymous;
    anonymous.user = well_known::anonymous();
    anonymous.integrity_rid = integrity::kUntrusted;
    out.push_back(anonymous);
    AccessPrincipal low = user;
    low.integrity_rid = integrity::kLow;
    low.deny_only_groups = {well_known::administrators()};
    out.push_back(low);
    AccessPrincipal restricted = user;
    restricted.restricting_sids = {well_known::restricted_code(), well_known::everyone()};
    if (sd.group) restricted.restricting_sids.push_back(*sd.group);
    out.push_back(restricted);
    AccessPrincipal app = low;
    app.app_container = Sid{15, {2, 1, 2, 3, 4, 5, 6, 7}};
    app.capabilities = {Sid{15, {3, 1}}};
    out.push_back(app);
    return out;
}

void check_decision(const AccessDecision& d, std::uint32_t desired) {
    std::uint32_t requested = map_generic_pipe_rights(desired & ~pipe_rights::kMaximumAllowed);
    if (desired & pipe_rights::kMaximumAllowed) requested |= pipe_rights::kFileAllAccess;
    FUZZ_CHECK(d.rights.size() == static_cast<std::size_t>(std::popcount(requested)));
    std::uint32_t from_verdicts = 0;
    std::uint32_t seen = 0;
    for (const auto& v : d.rights) {
        FUZZ_CHECK(std::popcount(v.right) == 1);
        FUZZ_CHECK((requested & v.right) != 0);
        FUZZ_CHECK((seen & v.right) == 0);
        FUZZ_CHECK(!v.why.empty());
        seen |= v.right;
        if (v.granted) from_verdicts |= v.right;
    }
    FUZZ_CHECK(seen == requested);
    FUZZ_CHECK(from_verdicts == d.granted);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    pipescope::fuzz::no_throw([&] {
        const std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(data), size);
        auto sd = parse_security_descriptor(bytes);
        if (!sd) {
            FUZZ_CHECK(sd.error().code == ErrorCode::InvalidArgument);
            FUZZ_CHECK(sd.error().message.find("at offset ") != std::string::npos);
            return;
        }
        // Written back, it reads the same, and writing that again gives the same bytes.
        const auto written = to_self_relative(*sd);
        auto again = parse_security_descriptor(written);
        FUZZ_CHECK(again.ok());
        FUZZ_CHECK(*again == *sd);
        FUZZ_CHECK(to_self_relative(*again) == written);
        for (const auto* acl : {sd->dacl ? &*sd->dacl : nullptr, sd->sacl ? &*sd->sacl : nullptr}) {
            if (!acl) continue;
            for (const auto& ace : acl->aces) FUZZ_CHECK(!ace_to_sddl(ace).empty());
        }
        // Every requested right gets a verdict with a reason.
        std::uint32_t tail = 0;
        for (std::size_t i = 0; i < 4 && i < size; ++i)
            tail |= static_cast<std::uint32_t>(data[size - 1 - i]) << (8 * i);
        for (const auto& who : principals(*sd)) {
            for (std::uint32_t desired : {pipe_rights::kMaximumAllowed, tail,
                                          pipe_rights::kGenericRead | pipe_rights::kGenericWrite}) {
                check_decision(evaluate_access(*sd, who, desired), desired);
            }
        }
    });
    return 0;
}
