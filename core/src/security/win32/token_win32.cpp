// An access token read into the portable AccessPrincipal model: token_principal for any token
// handle (the differential test reads impersonation and restricted tokens with it), and
// current_token_principal for the calling process's token. Any thread.
#include <windows.h>

#include <cstdint>
#include <string>
#include <vector>

#include "base/utf.hpp"
#include "pipescope/access_check.hpp"
#include "pipescope/audit.hpp"
#include "pipescope/unique_handle.hpp"

namespace pipescope::core {
namespace {

// The whole of one information class, or empty when the token does not have it.
std::vector<std::uint8_t> token_info(HANDLE token, TOKEN_INFORMATION_CLASS info_class) {
    DWORD len = 0;
    ::GetTokenInformation(token, info_class, nullptr, 0, &len);
    if (len == 0) return {};
    // Aligned for the structures inside (TOKEN_GROUPS holds pointers).
    std::vector<std::uint8_t> buf(len + sizeof(void*));
    if (!::GetTokenInformation(token, info_class, buf.data(), len, &len)) return {};
    buf.resize(len);
    return buf;
}

Sid to_sid(PSID psid) {
    Sid sid;
    const SID_IDENTIFIER_AUTHORITY* auth = ::GetSidIdentifierAuthority(psid);
    for (int i = 0; i < 6; ++i) sid.authority = (sid.authority << 8) | auth->Value[i];
    const UCHAR count = *::GetSidSubAuthorityCount(psid);
    for (UCHAR i = 0; i < count; ++i) sid.sub_authorities.push_back(*::GetSidSubAuthority(psid, i));
    return sid;
}

std::string account_name(PSID psid, const Sid& sid) {
    wchar_t name[256];
    wchar_t domain[256];
    DWORD name_len = 256;
    DWORD domain_len = 256;
    SID_NAME_USE use{};
    if (!::LookupAccountSidW(nullptr, psid, name, &name_len, domain, &domain_len, &use))
        return sid.to_string();
    std::wstring full = domain_len ? std::wstring(domain) + L"\\" + name : std::wstring(name);
    return detail::wide_to_utf8(full);
}

}  // namespace

std::optional<AccessPrincipal> token_principal(void* token_handle) {
    const auto token = static_cast<HANDLE>(token_handle);
    AccessPrincipal p;
    const auto user = token_info(token, TokenUser);
    if (user.empty()) return std::nullopt;
    const PSID user_sid = reinterpret_cast<const TOKEN_USER*>(user.data())->User.Sid;
    p.user = to_sid(user_sid);
    p.name = account_name(user_sid, p.user);

    const auto groups = token_info(token, TokenGroups);
    if (groups.empty()) return std::nullopt;
    const auto* tg = reinterpret_cast<const TOKEN_GROUPS*>(groups.data());
    for (DWORD i = 0; i < tg->GroupCount; ++i) {
        const DWORD attrs = tg->Groups[i].Attributes;
        if (attrs & SE_GROUP_INTEGRITY) continue;  // the level, read below
        if (attrs & SE_GROUP_USE_FOR_DENY_ONLY) {
            p.deny_only_groups.push_back(to_sid(tg->Groups[i].Sid));
        } else if (attrs & SE_GROUP_ENABLED) {
            p.groups.push_back(to_sid(tg->Groups[i].Sid));
        }
    }

    const auto restricted = token_info(token, TokenRestrictedSids);
    if (restricted.empty()) {
        // A restricted token read as an unrestricted one would overstate its access.
        if (::IsTokenRestricted(token)) return std::nullopt;
    } else {
        const auto* rg = reinterpret_cast<const TOKEN_GROUPS*>(restricted.data());
        for (DWORD i = 0; i < rg->GroupCount; ++i)
            p.restricting_sids.push_back(to_sid(rg->Groups[i].Sid));
    }

    const auto label = token_info(token, TokenIntegrityLevel);
    if (!label.empty()) {
        const Sid level =
            to_sid(reinterpret_cast<const TOKEN_MANDATORY_LABEL*>(label.data())->Label.Sid);
        if (level.authority == 16 && level.sub_authorities.size() == 1)
            p.integrity_rid = level.sub_authorities[0];
    }

    const auto is_app = token_info(token, TokenIsAppContainer);
    if (is_app.size() >= sizeof(DWORD) && *reinterpret_cast<const DWORD*>(is_app.data()) != 0) {
        const auto package = token_info(token, TokenAppContainerSid);
        if (package.size() >= sizeof(PSID)) {
            // TOKEN_APPCONTAINER_INFORMATION: one PSID.
            const PSID package_sid = *reinterpret_cast<const PSID*>(package.data());
            if (package_sid) p.app_container = to_sid(package_sid);
        }
        const auto caps = token_info(token, TokenCapabilities);
        if (!caps.empty()) {
            const auto* cg = reinterpret_cast<const TOKEN_GROUPS*>(caps.data());
            for (DWORD i = 0; i < cg->GroupCount; ++i)
                if (cg->Groups[i].Attributes & SE_GROUP_ENABLED)
                    p.capabilities.push_back(to_sid(cg->Groups[i].Sid));
        }
    }
    return p;
}

std::optional<AccessPrincipal> current_token_principal() {
    HANDLE raw = nullptr;
    if (!::OpenProcessToken(::GetCurrentProcess(), TOKEN_QUERY, &raw)) return std::nullopt;
    const UniqueHandle token(raw);
    auto p = token_principal(token.get());
    if (p) p->name = "current user (" + p->name + ")";
    return p;
}

}  // namespace pipescope::core
