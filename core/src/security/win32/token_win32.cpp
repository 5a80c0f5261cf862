// current_token_principal on Windows: the calling process's token as the access check reads
// it (user, enabled groups, deny-only groups, restricting SIDs, integrity level, AppContainer
// package and capabilities). Any thread.
#include <windows.h>

#include <vector>

#include "base/utf.hpp"
#include "pipescope/audit.hpp"
#include "pipescope/unique_handle.hpp"

namespace pipescope::core {
namespace {

Sid sid_of(PSID p) {
    Sid s;
    const SID_IDENTIFIER_AUTHORITY* ia = ::GetSidIdentifierAuthority(p);
    for (BYTE b : ia->Value) s.authority = (s.authority << 8) | b;
    const UCHAR n = *::GetSidSubAuthorityCount(p);
    for (UCHAR i = 0; i < n; ++i) s.sub_authorities.push_back(*::GetSidSubAuthority(p, i));
    return s;
}

// One GetTokenInformation class as bytes; empty when the token does not answer it.
std::vector<BYTE> token_info(HANDLE token, TOKEN_INFORMATION_CLASS what) {
    DWORD len = 0;
    ::GetTokenInformation(token, what, nullptr, 0, &len);
    if (len == 0) return {};
    std::vector<BYTE> buf(len);
    if (!::GetTokenInformation(token, what, buf.data(), len, &len)) return {};
    return buf;
}

std::string account_of(PSID sid) {
    wchar_t name[256], domain[256];
    DWORD nn = 256, dn = 256;
    SID_NAME_USE use{};
    if (!::LookupAccountSidW(nullptr, sid, name, &nn, domain, &dn, &use))
        return sid_of(sid).to_string();
    std::wstring full =
        dn > 0 ? std::wstring(domain, dn) + L"\\" + std::wstring(name, nn) : std::wstring(name, nn);
    return detail::wide_to_utf8(full);
}

}  // namespace

std::optional<AccessPrincipal> current_token_principal() {
    HANDLE raw = nullptr;
    if (!::OpenProcessToken(::GetCurrentProcess(), TOKEN_QUERY, &raw)) return std::nullopt;
    UniqueHandle token(raw);
    const auto user = token_info(token.get(), TokenUser);
    if (user.empty()) return std::nullopt;
    AccessPrincipal p;
    PSID user_sid = reinterpret_cast<const TOKEN_USER*>(user.data())->User.Sid;
    p.user = sid_of(user_sid);
    p.name = "current user (" + account_of(user_sid) + ")";

    if (const auto groups = token_info(token.get(), TokenGroups); !groups.empty()) {
        const auto* g = reinterpret_cast<const TOKEN_GROUPS*>(groups.data());
        for (DWORD i = 0; i < g->GroupCount; ++i) {
            const DWORD attrs = g->Groups[i].Attributes;
            if (attrs & SE_GROUP_INTEGRITY) continue;  // the label, read below
            if (attrs & SE_GROUP_USE_FOR_DENY_ONLY)
                p.deny_only_groups.push_back(sid_of(g->Groups[i].Sid));
            else if (attrs & SE_GROUP_ENABLED)
                p.groups.push_back(sid_of(g->Groups[i].Sid));
        }
    }
    if (const auto r = token_info(token.get(), TokenRestrictedSids); !r.empty()) {
        const auto* g = reinterpret_cast<const TOKEN_GROUPS*>(r.data());
        for (DWORD i = 0; i < g->GroupCount; ++i)
            p.restricting_sids.push_back(sid_of(g->Groups[i].Sid));
    }
    if (const auto il = token_info(token.get(), TokenIntegrityLevel); !il.empty()) {
        const Sid label =
            sid_of(reinterpret_cast<const TOKEN_MANDATORY_LABEL*>(il.data())->Label.Sid);
        if (!label.sub_authorities.empty()) p.integrity_rid = label.sub_authorities.back();
    }
    if (const auto is_ac = token_info(token.get(), TokenIsAppContainer);
        is_ac.size() >= sizeof(DWORD) && *reinterpret_cast<const DWORD*>(is_ac.data()) != 0) {
        if (const auto ac = token_info(token.get(), TokenAppContainerSid); !ac.empty()) {
            PSID pkg = reinterpret_cast<const TOKEN_APPCONTAINER_INFORMATION*>(ac.data())
                           ->TokenAppContainer;
            if (pkg) p.app_container = sid_of(pkg);
        }
        if (const auto caps = token_info(token.get(), TokenCapabilities); !caps.empty()) {
            const auto* g = reinterpret_cast<const TOKEN_GROUPS*>(caps.data());
            for (DWORD i = 0; i < g->GroupCount; ++i)
                p.capabilities.push_back(sid_of(g->Groups[i].Sid));
        }
    }
    return p;
}

}  // namespace pipescope::core
