// SIDs: text form, SDDL aliases, display names and the well-known SIDs.
#include <cstdint>
#include <string>
#include <string_view>

#include "pipescope/security_descriptor.hpp"
#include "security/security_internal.hpp"

namespace pipescope::core {
namespace {

struct KnownSid {
    std::string_view alias;  // SDDL alias, empty when there is none
    std::string_view text;   // S- text
    std::string_view name;   // display name
};

// Well-known SIDs with a fixed value on every machine (aliases from "SID Strings"; names as
// LookupAccountSid gives them in English).
constexpr KnownSid kKnownSids[] = {
    {"WD", "S-1-1-0", "Everyone"},
    {"", "S-1-0-0", "NULL SID"},
    {"", "S-1-2-0", "LOCAL"},
    {"", "S-1-2-1", "CONSOLE LOGON"},
    {"CO", "S-1-3-0", "CREATOR OWNER"},
    {"CG", "S-1-3-1", "CREATOR GROUP"},
    {"OW", "S-1-3-4", "OWNER RIGHTS"},
    {"", "S-1-5-1", "NT AUTHORITY\\DIALUP"},
    {"NU", "S-1-5-2", "NT AUTHORITY\\NETWORK"},
    {"", "S-1-5-3", "NT AUTHORITY\\BATCH"},
    {"IU", "S-1-5-4", "NT AUTHORITY\\INTERACTIVE"},
    {"SU", "S-1-5-6", "NT AUTHORITY\\SERVICE"},
    {"AN", "S-1-5-7", "NT AUTHORITY\\ANONYMOUS LOGON"},
    {"ED", "S-1-5-9", "NT AUTHORITY\\ENTERPRISE DOMAIN CONTROLLERS"},
    {"PS", "S-1-5-10", "NT AUTHORITY\\SELF"},
    {"AU", "S-1-5-11", "NT AUTHORITY\\Authenticated Users"},
    {"RC", "S-1-5-12", "NT AUTHORITY\\RESTRICTED"},
    {"", "S-1-5-13", "NT AUTHORITY\\TERMINAL SERVER USER"},
    {"", "S-1-5-14", "NT AUTHORITY\\REMOTE INTERACTIVE LOGON"},
    {"", "S-1-5-15", "NT AUTHORITY\\This Organization"},
    {"", "S-1-5-17", "NT AUTHORITY\\IUSR"},
    {"SY", "S-1-5-18", "NT AUTHORITY\\SYSTEM"},
    {"LS", "S-1-5-19", "NT AUTHORITY\\LOCAL SERVICE"},
    {"NS", "S-1-5-20", "NT AUTHORITY\\NETWORK SERVICE"},
    {"WR", "S-1-5-33", "NT AUTHORITY\\WRITE RESTRICTED"},
    {"BA", "S-1-5-32-544", "BUILTIN\\Administrators"},
    {"BU", "S-1-5-32-545", "BUILTIN\\Users"},
    {"BG", "S-1-5-32-546", "BUILTIN\\Guests"},
    {"PU", "S-1-5-32-547", "BUILTIN\\Power Users"},
    {"AO", "S-1-5-32-548", "BUILTIN\\Account Operators"},
    {"SO", "S-1-5-32-549", "BUILTIN\\Server Operators"},
    {"PO", "S-1-5-32-550", "BUILTIN\\Print Operators"},
    {"BO", "S-1-5-32-551", "BUILTIN\\Backup Operators"},
    {"RE", "S-1-5-32-552", "BUILTIN\\Replicator"},
    {"RU", "S-1-5-32-554", "BUILTIN\\Pre-Windows 2000 Compatible Access"},
    {"RD", "S-1-5-32-555", "BUILTIN\\Remote Desktop Users"},
    {"NO", "S-1-5-32-556", "BUILTIN\\Network Configuration Operators"},
    {"MU", "S-1-5-32-558", "BUILTIN\\Performance Monitor Users"},
    {"LU", "S-1-5-32-559", "BUILTIN\\Performance Log Users"},
    {"IS", "S-1-5-32-568", "BUILTIN\\IIS_IUSRS"},
    {"CY", "S-1-5-32-569", "BUILTIN\\Cryptographic Operators"},
    {"ER", "S-1-5-32-573", "BUILTIN\\Event Log Readers"},
    {"CD", "S-1-5-32-574", "BUILTIN\\Certificate Service DCOM Access"},
    {"RA", "S-1-5-32-575", "BUILTIN\\RDS Remote Access Servers"},
    {"ES", "S-1-5-32-576", "BUILTIN\\RDS Endpoint Servers"},
    {"MS", "S-1-5-32-577", "BUILTIN\\RDS Management Servers"},
    {"HA", "S-1-5-32-578", "BUILTIN\\Hyper-V Administrators"},
    {"AA", "S-1-5-32-579", "BUILTIN\\Access Control Assistance Operators"},
    {"RM", "S-1-5-32-580", "BUILTIN\\Remote Management Users"},
    {"AC", "S-1-15-2-1", "APPLICATION PACKAGE AUTHORITY\\ALL APPLICATION PACKAGES"},
    {"", "S-1-15-2-2", "APPLICATION PACKAGE AUTHORITY\\ALL RESTRICTED APPLICATION PACKAGES"},
    {"", "S-1-16-0", "Untrusted Mandatory Level"},
    {"LW", "S-1-16-4096", "Low Mandatory Level"},
    {"ME", "S-1-16-8192", "Medium Mandatory Level"},
    {"MP", "S-1-16-8448", "Medium Plus Mandatory Level"},
    {"HI", "S-1-16-12288", "High Mandatory Level"},
    {"SI", "S-1-16-16384", "System Mandatory Level"},
    {"", "S-1-16-20480", "Protected Process Mandatory Level"},
};

// Aliases whose SID depends on the machine or domain: they need a machine to resolve.
constexpr std::string_view kDomainAliases[] = {"AP", "CA", "CN", "DA", "DC", "DD", "DG",
                                               "DU", "EA", "EK", "KA", "LA", "LG", "PA",
                                               "RO", "RS", "SA", "SS", "AS", "UD", "HO"};

char upper(char c) {
    return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
}

Error sid_error(std::string_view text, const std::string& what) {
    std::string shown(text.substr(0, 80));
    for (char& c : shown)
        if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7F) c = '?';
    return make_error(ErrorCode::InvalidArgument, "parse_sid", "SID '" + shown + "'",
                      what + ". Next: write a SID such as S-1-5-32-544 or an alias such as WD");
}

// Reads an unsigned number (decimal, or 0x hex when allowed) that is at most `max`; advances
// `pos`. False when there is no digit or the value is too large.
bool read_number(std::string_view s, std::size_t& pos, std::uint64_t max, bool allow_hex,
                 std::uint64_t& out) {
    unsigned base = 10;
    if (allow_hex && pos + 1 < s.size() && s[pos] == '0' && upper(s[pos + 1]) == 'X') {
        base = 16;
        pos += 2;
    }
    const std::size_t start = pos;
    std::uint64_t v = 0;
    while (pos < s.size()) {
        const char c = upper(s[pos]);
        unsigned d = 0;
        if (c >= '0' && c <= '9') {
            d = static_cast<unsigned>(c - '0');
        } else if (base == 16 && c >= 'A' && c <= 'F') {
            d = static_cast<unsigned>(c - 'A' + 10);
        } else {
            break;
        }
        if (v > (max - d) / base) return false;
        v = v * base + d;
        ++pos;
    }
    out = v;
    return pos > start;
}

Result<Sid> parse_sid_text(std::string_view text) {
    // "S-1-<authority>(-<sub>)*"
    if (text.size() < 2 || upper(text[0]) != 'S' || text[1] != '-')
        return sid_error(text, "expected 'S-' or a two-letter alias");
    std::size_t pos = 2;
    std::uint64_t revision = 0;
    if (!read_number(text, pos, 255, false, revision) || revision != 1)
        return sid_error(text, "the SID revision must be 1");
    if (pos >= text.size() || text[pos] != '-')
        return sid_error(text, "expected '-' and the identifier authority after the revision");
    ++pos;
    Sid sid;
    if (!read_number(text, pos, (std::uint64_t{1} << 48) - 1, true, sid.authority))
        return sid_error(text, "the identifier authority must be a number below 2^48");
    while (pos < text.size()) {
        if (text[pos] != '-') return sid_error(text, "unexpected character in the SID");
        ++pos;
        std::uint64_t sub = 0;
        if (!read_number(text, pos, 0xFFFFFFFFu, false, sub))
            return sid_error(text, "a sub-authority must be a decimal number below 2^32");
        if (sid.sub_authorities.size() == 15)
            return sid_error(text, "a SID has at most 15 sub-authorities");
        sid.sub_authorities.push_back(static_cast<std::uint32_t>(sub));
    }
    return sid;
}

Sid make_sid(std::uint64_t authority, std::initializer_list<std::uint32_t> subs) {
    return Sid{authority, std::vector<std::uint32_t>(subs)};
}

}  // namespace

std::string Sid::to_string() const {
    std::string out = "S-1-";
    if (authority >= (std::uint64_t{1} << 32)) {
        // ConvertSidToStringSid writes a 48-bit authority in hex.
        static constexpr char kHex[] = "0123456789ABCDEF";
        std::string hex;
        for (int shift = 44; shift >= 0; shift -= 4)
            hex.push_back(kHex[(authority >> shift) & 0xF]);
        out += "0x" + hex;
    } else {
        out += std::to_string(authority);
    }
    for (auto s : sub_authorities) out += "-" + std::to_string(s);
    return out;
}

Result<Sid> parse_sid(std::string_view text) {
    if (text.size() == 2) {
        const std::string alias{upper(text[0]), upper(text[1])};
        for (const auto& k : kKnownSids)
            if (!k.alias.empty() && k.alias == alias) return parse_sid_text(k.text);
        for (auto d : kDomainAliases) {
            if (d == alias) {
                return sid_error(text, "the alias " + alias +
                                           " names a domain or machine account, which only a "
                                           "machine can resolve");
            }
        }
        return sid_error(text, "unknown SID alias");
    }
    return parse_sid_text(text);
}

std::string sid_display_name(const Sid& sid) {
    const std::string text = sid.to_string();
    for (const auto& k : kKnownSids)
        if (k.text == text) return std::string(k.name);
    if (sid.authority == 5 && sid.sub_authorities.size() == 2 && sid.sub_authorities[0] == 5)
        return "NT AUTHORITY\\LogonSessionId_0_" + std::to_string(sid.sub_authorities[1]);
    if (sid.authority == 16 && sid.sub_authorities.size() == 1)
        return "Mandatory Level 0x" + [&] {
            static constexpr char kHex[] = "0123456789abcdef";
            std::string h;
            for (int shift = 12; shift >= 0; shift -= 4)
                h.push_back(kHex[(sid.sub_authorities[0] >> shift) & 0xF]);
            return h;
        }();
    return text;
}

// The SDDL alias of a well-known SID, empty when it has none (used by ace_to_sddl).
std::string_view sid_sddl_alias(const Sid& sid) {
    const std::string text = sid.to_string();
    for (const auto& k : kKnownSids)
        if (k.text == text) return k.alias;
    return {};
}

namespace well_known {
Sid everyone() {
    return make_sid(1, {0});
}
Sid creator_owner() {
    return make_sid(3, {0});
}
Sid owner_rights() {
    return make_sid(3, {4});
}
Sid network() {
    return make_sid(5, {2});
}
Sid interactive() {
    return make_sid(5, {4});
}
Sid anonymous() {
    return make_sid(5, {7});
}
Sid authenticated_users() {
    return make_sid(5, {11});
}
Sid restricted_code() {
    return make_sid(5, {12});
}
Sid local_system() {
    return make_sid(5, {18});
}
Sid administrators() {
    return make_sid(5, {32, 544});
}
Sid users() {
    return make_sid(5, {32, 545});
}
Sid all_app_packages() {
    return make_sid(15, {2, 1});
}
Sid integrity(std::uint32_t rid) {
    return make_sid(16, {rid});
}
}  // namespace well_known

}  // namespace pipescope::core
