// The access check, per right bit, in Windows' order (see access_check.hpp). References:
// "How AccessCheck Works", "Mandatory Integrity Control", "Restricted Tokens" and
// "ACCESS_MASK" on learn.microsoft.com, and MS-DTYP 2.5.3.2 (Access Check Algorithm).
#include "pipescope/access_check.hpp"

#include <algorithm>
#include <string>

#include "security/security_internal.hpp"

namespace pipescope::core {
namespace {

namespace pr = pipe_rights;

// Rights a lower-integrity asker loses under each label policy. A right in several groups
// (FILE_READ_ATTRIBUTES is in read and execute) is lost only when every group holding it is.
// READ_CONTROL and SYNCHRONIZE are in none: "Mandatory Integrity Control" keeps reading the
// descriptor and waiting open to a lower asker.
constexpr std::uint32_t kMandatoryWrite = pr::kWriteData | pr::kCreatePipeInstance | pr::kWriteEa |
                                          pr::kWriteAttributes | 0x40 /*DELETE_CHILD*/ |
                                          pr::kDelete | pr::kWriteDac | pr::kWriteOwner;
constexpr std::uint32_t kMandatoryRead = pr::kReadData | pr::kReadEa | pr::kReadAttributes;
constexpr std::uint32_t kMandatoryExecute = pr::kExecute | pr::kReadAttributes;

constexpr std::uint32_t kOwnerImplicit = pr::kReadControl | pr::kWriteDac;

std::string right_name(std::uint32_t bit) {
    switch (bit) {
        case pr::kReadData:
            return "FILE_READ_DATA";
        case pr::kWriteData:
            return "FILE_WRITE_DATA";
        case pr::kCreatePipeInstance:
            return "FILE_CREATE_PIPE_INSTANCE";
        case pr::kReadEa:
            return "FILE_READ_EA";
        case pr::kWriteEa:
            return "FILE_WRITE_EA";
        case pr::kExecute:
            return "FILE_EXECUTE";
        case 0x40:
            return "FILE_DELETE_CHILD";
        case pr::kReadAttributes:
            return "FILE_READ_ATTRIBUTES";
        case pr::kWriteAttributes:
            return "FILE_WRITE_ATTRIBUTES";
        case pr::kDelete:
            return "DELETE";
        case pr::kReadControl:
            return "READ_CONTROL";
        case pr::kWriteDac:
            return "WRITE_DAC";
        case pr::kWriteOwner:
            return "WRITE_OWNER";
        case pr::kSynchronize:
            return "SYNCHRONIZE";
        case pr::kAccessSystemSecurity:
            return "ACCESS_SYSTEM_SECURITY";
        default:
            break;
    }
    static constexpr char kHex[] = "0123456789abcdef";
    std::string hex;
    for (int shift = 28; shift >= 0; shift -= 4) hex.push_back(kHex[(bit >> shift) & 0xF]);
    return "right 0x" + hex;
}

std::string level_name(std::uint32_t rid) {
    switch (rid) {
        case integrity::kUntrusted:
            return "Untrusted";
        case integrity::kLow:
            return "Low";
        case integrity::kMedium:
            return "Medium";
        case 0x2100:
            return "Medium Plus";
        case integrity::kHigh:
            return "High";
        case integrity::kSystem:
            return "System";
        default:
            break;
    }
    return "integrity 0x" + [&] {
        static constexpr char kHex[] = "0123456789abcdef";
        std::string h;
        for (int shift = 12; shift >= 0; shift -= 4) h.push_back(kHex[(rid >> shift) & 0xF]);
        return h;
    }();
}

bool applies_to_object(const Ace& ace) {
    return !(ace.flags & kAceInheritOnly);
}

// The object's mandatory label: the SACL's first label ACE that applies to the object.
struct Label {
    std::uint32_t rid = integrity::kMedium;
    std::uint32_t policy = kLabelNoWriteUp;
    std::optional<std::size_t> index;  // in the SACL; nullopt: no label, Medium by default
    std::string text;                  // "(ML;;NW;;;LW)" or "no label: Medium by default"
};

Label object_label(const SecurityDescriptor& sd) {
    Label label;
    label.text = "no label: Medium by default";
    if (!sd.sacl) return label;
    for (std::size_t i = 0; i < sd.sacl->aces.size(); ++i) {
        const Ace& ace = sd.sacl->aces[i];
        if (ace.type != static_cast<std::uint8_t>(AceType::SystemMandatoryLabel) || !ace.sid ||
            !applies_to_object(ace))
            continue;
        if (ace.sid->authority != 16 || ace.sid->sub_authorities.size() != 1) continue;
        label.rid = ace.sid->sub_authorities[0];
        label.policy = ace.mask & (kLabelNoWriteUp | kLabelNoReadUp | kLabelNoExecuteUp);
        label.index = i;
        label.text = "label SACL ACE " + std::to_string(i) + " " + ace_to_sddl(ace);
        return label;
    }
    return label;
}

// Rights the label takes from `who`.
std::uint32_t mandatory_denied(const Label& label, std::uint32_t asker_rid) {
    if (asker_rid >= label.rid) return 0;
    std::uint32_t denied = 0;
    std::uint32_t kept = 0;
    (label.policy & kLabelNoWriteUp ? denied : kept) |= kMandatoryWrite;
    (label.policy & kLabelNoReadUp ? denied : kept) |= kMandatoryRead;
    (label.policy & kLabelNoExecuteUp ? denied : kept) |= kMandatoryExecute;
    return denied & ~kept;
}

std::string mandatory_why(const Label& label, std::uint32_t bit, std::uint32_t asker_rid) {
    const char* rule = (bit & kMandatoryWrite)  ? "no-write-up"
                       : (bit & kMandatoryRead) ? "no-read-up"
                                                : "no-execute-up";
    return std::string(rule) + ": " + level_name(asker_rid) + " asker, " + level_name(label.rid) +
           " object (" + label.text + ")";
}

// The SIDs one pass of the check matches.
struct Pass {
    std::string name;                   // "" for the token's own SIDs
    std::vector<const Sid*> enabled;    // match allow and deny ACEs
    std::vector<const Sid*> deny_only;  // match deny ACEs only
    bool owner = false;                 // holds the owner SID (enabled)
    std::string none_why;               // why when no ACE names the right
};

bool holds(const std::vector<const Sid*>& sids, const Sid& sid) {
    return std::any_of(sids.begin(), sids.end(), [&](const Sid* s) { return *s == sid; });
}

bool has_object_type(const Ace& ace) {
    return !ace.object_data.empty() &&
           (static_cast<std::uint32_t>(ace.object_data[0]) & kAceObjectTypePresent);
}

enum class Effect { None, Allow, Deny };

// How an ACE acts on a pipe's plain access check (no object type list). Object ACEs with an
// object type name a property, not the pipe; allowed callback ACEs grant only when their
// condition holds, which is not evaluated (MS-DTYP: an unknown condition does not apply an
// allow ACE but does apply a deny ACE).
Effect effect(const Ace& ace) {
    switch (ace.type) {
        case 0x0:
            return Effect::Allow;
        case 0x1:
            return Effect::Deny;
        case 0x5:
            return has_object_type(ace) ? Effect::None : Effect::Allow;
        case 0x6:
            return has_object_type(ace) ? Effect::None : Effect::Deny;
        case 0xA:
            return Effect::Deny;
        case 0xC:
            return has_object_type(ace) ? Effect::None : Effect::Deny;
        default:
            return Effect::None;
    }
}

bool matches(const Ace& ace, Effect e, const Pass& pass) {
    if (!ace.sid) return false;
    if (*ace.sid == well_known::owner_rights()) return pass.owner;
    if (holds(pass.enabled, *ace.sid)) return true;
    return e == Effect::Deny && holds(pass.deny_only, *ace.sid);
}

struct BitDecision {
    bool granted = false;
    std::optional<std::size_t> ace;
    std::string why;
};

BitDecision decide(const SecurityDescriptor& sd, const Pass& pass, bool owner_rights_ace,
                   std::uint32_t bit) {
    if (sd.null_dacl()) return {true, std::nullopt, "NULL DACL: everyone gets every right"};
    if ((bit & kOwnerImplicit) && pass.owner && !owner_rights_ace)
        return {true, std::nullopt, "owner's implicit " + right_name(bit)};
    const auto& aces = sd.dacl->aces;
    for (std::size_t i = 0; i < aces.size(); ++i) {
        const Ace& ace = aces[i];
        if (!applies_to_object(ace)) continue;
        const Effect e = effect(ace);
        if (e == Effect::None || !(map_generic_pipe_rights(ace.mask) & bit)) continue;
        if (!matches(ace, e, pass)) continue;
        const bool allow = e == Effect::Allow;
        return {allow, i,
                std::string(allow ? "allowed" : "denied") + " by DACL ACE " + std::to_string(i) +
                    " " + ace_to_sddl(ace) + " for " + sid_display_name(*ace.sid)};
    }
    if (aces.empty()) return {false, std::nullopt, "empty DACL: " + pass.none_why};
    return {false, std::nullopt, pass.none_why};
}

Pass token_pass(const SecurityDescriptor& sd, const AccessPrincipal& who) {
    Pass p;
    p.enabled.push_back(&who.user);
    for (const auto& g : who.groups) p.enabled.push_back(&g);
    for (const auto& g : who.deny_only_groups) p.deny_only.push_back(&g);
    p.owner = sd.owner && holds(p.enabled, *sd.owner);
    p.none_why = "no ACE grants it";
    return p;
}

// Restricted tokens: the second check sees only the restricting SIDs, and the owner's
// implicit rights apply in it only when a restricting SID is the owner.
Pass restricted_pass(const SecurityDescriptor& sd, const AccessPrincipal& who) {
    Pass p;
    p.name = "restricted token";
    for (const auto& s : who.restricting_sids) p.enabled.push_back(&s);
    p.owner = sd.owner && holds(p.enabled, *sd.owner);
    p.none_why = "no ACE grants it to a restricting SID";
    return p;
}

// AppContainer tokens: the second check sees only the package, ALL APPLICATION PACKAGES and
// the capabilities (owner's implicit rights only when one of them is the owner).
Pass app_container_pass(const SecurityDescriptor& sd, const AccessPrincipal& who,
                        const Sid& all_packages) {
    Pass p;
    p.name = "AppContainer";
    p.enabled.push_back(&*who.app_container);
    p.enabled.push_back(&all_packages);
    for (const auto& s : who.capabilities) p.enabled.push_back(&s);
    p.owner = sd.owner && holds(p.enabled, *sd.owner);
    p.none_why = "no ACE grants it to the package, ALL APPLICATION PACKAGES or a capability";
    return p;
}

}  // namespace

std::uint32_t map_generic_pipe_rights(std::uint32_t mask) {
    std::uint32_t out =
        mask & ~(pr::kGenericAll | pr::kGenericExecute | pr::kGenericWrite | pr::kGenericRead);
    if (mask & pr::kGenericRead) out |= pr::kFileGenericRead;
    if (mask & pr::kGenericWrite) out |= pr::kFileGenericWrite;
    if (mask & pr::kGenericExecute) out |= pr::kFileGenericExecute;
    if (mask & pr::kGenericAll) out |= pr::kFileAllAccess;
    return out;
}

const RightVerdict* AccessDecision::verdict(std::uint32_t right) const {
    for (const auto& v : rights)
        if (v.right == right) return &v;
    return nullptr;
}

AccessDecision evaluate_access(const SecurityDescriptor& sd, const AccessPrincipal& who,
                               std::uint32_t desired) {
    std::uint32_t requested = map_generic_pipe_rights(desired & ~pr::kMaximumAllowed);
    if (desired & pr::kMaximumAllowed) requested |= pr::kFileAllAccess;

    const Label label = object_label(sd);
    const std::uint32_t label_denied = mandatory_denied(label, who.integrity_rid);
    bool owner_rights_ace = false;
    if (sd.dacl) {
        for (const auto& ace : sd.dacl->aces)
            if (applies_to_object(ace) && effect(ace) != Effect::None && ace.sid &&
                *ace.sid == well_known::owner_rights())
                owner_rights_ace = true;
    }
    const Sid all_packages = well_known::all_app_packages();
    std::vector<Pass> passes{token_pass(sd, who)};
    if (!who.restricting_sids.empty()) passes.push_back(restricted_pass(sd, who));
    if (who.app_container) passes.push_back(app_container_pass(sd, who, all_packages));

    AccessDecision out;
    for (int b = 0; b < 32; ++b) {
        const std::uint32_t bit = std::uint32_t{1} << b;
        if (!(requested & bit)) continue;
        RightVerdict v;
        v.right = bit;
        if (bit == pr::kAccessSystemSecurity) {
            v.why = "ACCESS_SYSTEM_SECURITY needs SeSecurityPrivilege, which no ACE grants";
        } else if (label_denied & bit) {
            v.ace_index = label.index;
            v.in_sacl = label.index.has_value();
            v.why = mandatory_why(label, bit, who.integrity_rid);
        } else {
            v.granted = true;
            for (std::size_t p = 0; p < passes.size(); ++p) {
                BitDecision d = decide(sd, passes[p], owner_rights_ace, bit);
                const std::string why =
                    passes[p].name.empty() ? d.why : passes[p].name + ": " + d.why;
                if (p == 0) v.ace_index = d.ace;
                if (!d.granted) {
                    v.granted = false;
                    v.ace_index = d.ace;
                    v.why = why;
                    break;
                }
                v.why += (v.why.empty() ? "" : "; ") + why;
            }
        }
        if (v.granted) out.granted |= bit;
        out.rights.push_back(std::move(v));
    }
    return out;
}

}  // namespace pipescope::core
