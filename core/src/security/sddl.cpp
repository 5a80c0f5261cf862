#include "pipescope/sddl.hpp"

#include <cstdint>

namespace pipescope::core {
namespace {

constexpr std::string_view kExample = "D:P(A;;GA;;;WD)";

// The ACE types, ACE flags, access right abbreviations and SID aliases Windows documents.
constexpr std::string_view kAceTypes[] = {"A",  "D",  "OA", "OD", "AU", "AL", "OU", "OL",
                                          "ML", "XA", "XD", "XU", "ZA", "RA", "SP"};
constexpr std::string_view kAceFlags[] = {"CI", "OI", "NP", "IO", "ID", "SA", "FA", "TP", "CR"};
constexpr std::string_view kRights[] = {"GA", "GR", "GW", "GX", "RC", "SD", "WD", "WO", "RP", "WP",
                                        "CC", "DC", "LC", "SW", "LO", "DT", "CR", "FA", "FR", "FW",
                                        "FX", "KA", "KR", "KW", "KX", "NR", "NW", "NX"};
constexpr std::string_view kSidAliases[] = {
    "AA", "AC", "AN", "AO", "AP", "AS", "AU", "BA", "BG", "BO", "BU", "CA", "CD",
    "CG", "CN", "CO", "CY", "DA", "DC", "DD", "DG", "DU", "EA", "ED", "EK", "ER",
    "ES", "HA", "HI", "IS", "IU", "KA", "LA", "LG", "LS", "LU", "LW", "ME", "MP",
    "MU", "NO", "NS", "NU", "OW", "PA", "PO", "PS", "PU", "RA", "RC", "RD", "RE",
    "RM", "RO", "RS", "RU", "SA", "SI", "SO", "SS", "SU", "SY", "UD", "WD", "WR"};

char upper(char c) {
    return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
}
bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}
bool is_digit(char c) {
    return c >= '0' && c <= '9';
}
bool is_hex(char c) {
    return is_digit(c) || (upper(c) >= 'A' && upper(c) <= 'F');
}

std::string to_upper(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = upper(c);
    return out;
}

template <std::size_t N>
bool known(const std::string_view (&list)[N], std::string_view token) {
    for (auto k : list)
        if (k == token) return true;
    return false;
}

template <std::size_t N>
std::string join(const std::string_view (&list)[N], std::size_t count) {
    std::string out;
    for (std::size_t i = 0; i < N && i < count; ++i) {
        if (i) out += ", ";
        out += list[i];
    }
    return out;
}

// A short, printable rendering of user text for an error message.
std::string shown(std::string_view s) {
    std::string out;
    for (std::size_t i = 0; i < s.size() && i < 40; ++i) {
        auto c = static_cast<unsigned char>(s[i]);
        if (c >= 0x20 && c < 0x7F) {
            out.push_back(static_cast<char>(c));
        } else {
            static constexpr char kDigits[] = "0123456789abcdef";
            out += "\\x";
            out.push_back(kDigits[c >> 4]);
            out.push_back(kDigits[c & 15]);
        }
    }
    if (s.size() > 40) out += "...";
    return out;
}

class Parser {
  public:
    explicit Parser(std::string_view text) : text_(text) {}

    Result<SddlDescriptor> run() {
        if (text_.size() > kMaxSddlLength) {
            return fail(kMaxSddlLength,
                        "the SDDL is longer than " + std::to_string(kMaxSddlLength) + " bytes");
        }
        SddlDescriptor sd;
        bool after_acl = false;
        for (;;) {
            skip_space();
            if (pos_ >= text_.size()) break;
            const char part = upper(text_[pos_]);
            const bool is_part = (part == 'O' || part == 'G' || part == 'D' || part == 'S') &&
                                 pos_ + 1 < text_.size() && text_[pos_ + 1] == ':';
            if (!is_part) {
                return fail(pos_, std::string(after_acl ? "expected '(' to start an ACE, or "
                                                        : "expected ") +
                                      "O:, G:, D: or S:, " + found());
            }
            const std::size_t part_at = pos_;
            pos_ += 2;
            after_acl = false;
            if (part == 'O' || part == 'G') {
                std::string& sid = part == 'O' ? sd.owner : sd.group;
                if (!sid.empty()) return fail(part_at, std::string("a second ") + part + ": part");
                skip_space();
                auto s = parse_sid();
                if (!s) return std::move(s).error();
                sid = std::move(s).value();
            } else {
                std::optional<SddlAcl>& acl = part == 'D' ? sd.dacl : sd.sacl;
                if (acl) return fail(part_at, std::string("a second ") + part + ": part");
                auto a = parse_acl();
                if (!a) return std::move(a).error();
                acl = std::move(a).value();
                after_acl = true;
            }
        }
        return sd;
    }

  private:
    Error fail(std::size_t at, const std::string& what) const {
        return make_error(ErrorCode::InvalidArgument, "parse_sddl", "SDDL '" + shown(text_) + "'",
                          "at offset " + std::to_string(at) + ": " + what +
                              ". Next: fix the SDDL, e.g. " + std::string(kExample));
    }

    std::string found() const {
        if (pos_ >= text_.size()) return "found the end";
        return "found '" + shown(text_.substr(pos_, 1)) + "'";
    }

    void skip_space() {
        while (pos_ < text_.size() && is_space(text_[pos_])) ++pos_;
    }

    bool starts_with_upper(std::string_view word) const {
        if (text_.size() - pos_ < word.size()) return false;
        for (std::size_t i = 0; i < word.size(); ++i)
            if (upper(text_[pos_ + i]) != word[i]) return false;
        return true;
    }

    // Reads decimal (or, when `allow_hex`, 0x-prefixed hex) digits no larger than `max`.
    Result<std::string> parse_number(std::uint64_t max, bool allow_hex, const char* what) {
        const std::size_t start = pos_;
        std::string out;
        unsigned base = 10;
        if (allow_hex && pos_ + 1 < text_.size() && text_[pos_] == '0' &&
            upper(text_[pos_ + 1]) == 'X') {
            base = 16;
            pos_ += 2;
            out = "0x";
        }
        std::uint64_t value = 0;
        const std::size_t digits_at = pos_;
        while (pos_ < text_.size() && (base == 16 ? is_hex(text_[pos_]) : is_digit(text_[pos_]))) {
            const char c = upper(text_[pos_]);
            const unsigned d =
                is_digit(c) ? static_cast<unsigned>(c - '0') : static_cast<unsigned>(c - 'A' + 10);
            if (value > (max - d) / base) {
                return fail(start,
                            std::string("the ") + what + " is larger than " + std::to_string(max));
            }
            value = value * base + d;
            out.push_back(c);
            ++pos_;
        }
        if (pos_ == digits_at)
            return fail(pos_, std::string("expected the ") + what + ", " + found());
        return out;
    }

    // A two-letter alias such as WD, or S-<revision>-<authority>(-<subauthority>)*.
    Result<std::string> parse_sid() {
        const std::size_t start = pos_;
        if (pos_ + 1 < text_.size() && upper(text_[pos_]) == 'S' && text_[pos_ + 1] == '-') {
            pos_ += 2;
            auto rev = parse_number(255, false, "SID revision");
            if (!rev) return std::move(rev).error();
            std::string sid = "S-" + *rev;
            if (pos_ >= text_.size() || text_[pos_] != '-') {
                return fail(pos_,
                            "expected '-' and the identifier authority in the SID, " + found());
            }
            ++pos_;
            auto auth = parse_number((std::uint64_t{1} << 48) - 1, true, "SID authority");
            if (!auth) return std::move(auth).error();
            sid += "-" + *auth;
            int subs = 0;
            while (pos_ + 1 < text_.size() && text_[pos_] == '-' && is_digit(text_[pos_ + 1])) {
                if (++subs > 15) return fail(pos_, "a SID has at most 15 sub-authorities");
                ++pos_;
                auto sub = parse_number(0xFFFFFFFFu, false, "SID sub-authority");
                if (!sub) return std::move(sub).error();
                sid += "-" + *sub;
            }
            return sid;
        }
        if (pos_ + 1 >= text_.size() || is_space(text_[pos_]) || text_[pos_] == ';' ||
            text_[pos_] == ')') {
            return fail(start,
                        "expected a SID (an alias such as WD, SY, BA or one such as "
                        "S-1-5-32-544), " +
                            found());
        }
        std::string alias = to_upper(text_.substr(pos_, 2));
        if (!known(kSidAliases, alias)) {
            return fail(start, "unknown SID alias '" + shown(text_.substr(pos_, 2)) +
                                   "'; expected an alias such as WD, SY, BA, AU, OW or a SID "
                                   "such as S-1-5-32-544");
        }
        pos_ += 2;
        return alias;
    }

    Result<SddlAcl> parse_acl() {
        SddlAcl acl;
        for (;;) {
            std::string_view flag;
            for (std::string_view f : {"NO_ACCESS_CONTROL", "AI", "AR", "P"})
                if (starts_with_upper(f)) flag = f;
            if (flag.empty()) break;
            acl.flags += flag;
            pos_ += flag.size();
        }
        for (;;) {
            skip_space();
            if (pos_ >= text_.size() || text_[pos_] != '(') break;
            auto ace = parse_ace();
            if (!ace) return std::move(ace).error();
            acl.aces.push_back(std::move(ace).value());
        }
        return acl;
    }

    // One ';'-separated ACE field, trimmed; `at` gets its offset. Stops before ';' or ')'.
    std::string_view field(std::size_t& at) {
        skip_space();
        at = pos_;
        while (pos_ < text_.size() && text_[pos_] != ';' && text_[pos_] != ')') ++pos_;
        std::string_view f = text_.substr(at, pos_ - at);
        while (!f.empty() && is_space(f.back())) f.remove_suffix(1);
        return f;
    }

    Status expect_semicolon(std::size_t ace_at, const char* after) {
        if (pos_ < text_.size() && text_[pos_] == ';') {
            ++pos_;
            return {};
        }
        return fail(pos_,
                    "expected ';' after the " + std::string(after) + " of the ACE at offset " +
                        std::to_string(ace_at) + ", " + found() +
                        " (an ACE is (type;flags;rights;object_guid;inherit_object_guid;sid))");
    }

    Result<std::string> parse_guid(std::string_view g, std::size_t at) {
        bool ok = g.empty() || g.size() == 36;
        for (std::size_t i = 0; ok && i < g.size(); ++i) {
            const bool dash_here = i == 8 || i == 13 || i == 18 || i == 23;
            ok = dash_here ? g[i] == '-' : is_hex(g[i]);
        }
        if (!ok) {
            return fail(at, "'" + shown(g) +
                                "' is not a GUID; expected nothing or one like "
                                "bf967aba-0de6-11d0-a285-00aa003049e2");
        }
        return to_upper(g);
    }

    Result<SddlAce> parse_ace() {
        const std::size_t ace_at = pos_;
        ++pos_;  // '('
        SddlAce ace;
        std::size_t at = 0;

        // Each field's ';' is checked before its contents, so an ACE with too few fields
        // says so instead of blaming the field that happens to come before its ')'.
        const std::string_view type = field(at);
        if (auto s = expect_semicolon(ace_at, "type"); !s) return std::move(s).error();
        ace.type = to_upper(type);
        if (!known(kAceTypes, ace.type)) {
            return fail(at, "unknown ACE type '" + shown(type) + "'; expected one of " +
                                join(kAceTypes, 15));
        }

        const std::string_view flags = field(at);
        if (auto s = expect_semicolon(ace_at, "flags"); !s) return std::move(s).error();
        for (std::size_t i = 0; i < flags.size(); i += 2) {
            const std::string f = to_upper(flags.substr(i, 2));
            if (f.size() != 2 || !known(kAceFlags, f)) {
                return fail(at + i, "unknown ACE flag '" + shown(flags.substr(i, 2)) +
                                        "'; expected two-letter flags from " + join(kAceFlags, 9));
            }
            ace.flags += f;
        }

        const std::string_view rights = field(at);
        if (auto s = expect_semicolon(ace_at, "rights"); !s) return std::move(s).error();
        if (!rights.empty() && is_digit(rights[0])) {
            const std::size_t resume = pos_;
            pos_ = at;
            auto n = parse_number(0xFFFFFFFFu, true, "access mask");
            if (!n) return std::move(n).error();
            if (pos_ != at + rights.size()) {
                return fail(
                    pos_, "the access mask must be only digits (0x1f01ff or 2032127), " + found());
            }
            ace.rights = std::move(n).value();
            pos_ = resume;
        } else {
            for (std::size_t i = 0; i < rights.size(); i += 2) {
                const std::string r = to_upper(rights.substr(i, 2));
                if (r.size() != 2 || !known(kRights, r)) {
                    return fail(at + i, "unknown access right '" + shown(rights.substr(i, 2)) +
                                            "'; expected two-letter rights such as GA, GR, GW, "
                                            "FA, FR, FW or a mask such as 0x1f01ff");
                }
                ace.rights += r;
            }
        }

        const std::string_view guid = field(at);
        const std::size_t guid_at = at;
        if (auto s = expect_semicolon(ace_at, "object GUID"); !s) return std::move(s).error();
        auto g1 = parse_guid(guid, guid_at);
        if (!g1) return std::move(g1).error();
        ace.object_guid = std::move(g1).value();
        const std::string_view inherit_guid = field(at);
        if (auto s = expect_semicolon(ace_at, "inherited object GUID"); !s)
            return std::move(s).error();
        auto g2 = parse_guid(inherit_guid, at);
        if (!g2) return std::move(g2).error();
        ace.inherit_object_guid = std::move(g2).value();

        skip_space();
        auto sid = parse_sid();
        if (!sid) return std::move(sid).error();
        ace.sid = std::move(sid).value();
        skip_space();
        if (pos_ < text_.size() && text_[pos_] == ';') {
            // Conditional expression or resource attribute: kept as written, up to the ')' that
            // closes the ACE (parentheses balanced, quoted strings skipped).
            ++pos_;
            const std::size_t extra_at = pos_;
            int depth = 0;
            bool quoted = false;
            for (; pos_ < text_.size(); ++pos_) {
                const char c = text_[pos_];
                if (quoted) {
                    if (c == '"') quoted = false;
                } else if (c == '"') {
                    quoted = true;
                } else if (c == '(') {
                    ++depth;
                } else if (c == ')') {
                    if (depth == 0) break;
                    --depth;
                }
            }
            if (pos_ >= text_.size()) {
                return fail(ace_at, "the ACE that starts here is not closed with ')'");
            }
            ace.extra = std::string(text_.substr(extra_at, pos_ - extra_at));
            ace.has_extra = true;
        }
        if (pos_ >= text_.size() || text_[pos_] != ')') {
            return fail(pos_, "expected ')' to close the ACE at offset " + std::to_string(ace_at) +
                                  " after its SID, " + found());
        }
        ++pos_;
        return ace;
    }

    std::string_view text_;
    std::size_t pos_ = 0;
};

void format_acl(std::string& out, char part, const SddlAcl& acl) {
    out.push_back(part);
    out.push_back(':');
    out += acl.flags;
    for (const auto& a : acl.aces) {
        out += "(" + a.type + ";" + a.flags + ";" + a.rights + ";" + a.object_guid + ";" +
               a.inherit_object_guid + ";" + a.sid;
        if (a.has_extra) out += ";" + a.extra;
        out += ")";
    }
}

}  // namespace

Result<SddlDescriptor> parse_sddl(std::string_view text) {
    return Parser(text).run();
}

std::string format_sddl(const SddlDescriptor& sd) {
    std::string out;
    if (!sd.owner.empty()) out += "O:" + sd.owner;
    if (!sd.group.empty()) out += "G:" + sd.group;
    if (sd.dacl) format_acl(out, 'D', *sd.dacl);
    if (sd.sacl) format_acl(out, 'S', *sd.sacl);
    return out;
}

}  // namespace pipescope::core
