// The reply-script language of the Script behaviour: rules that match a prefix or a regex and
// answer with a reply. Regexes are compiled once, when the script is parsed; matching a unit
// only runs them.
#include <regex>

#include "pipescope/session.hpp"

namespace pipescope::core {

namespace {

std::string trim(std::string_view s) {
    std::size_t a = 0, b = s.size();
    while (a < b && (s[a] == ' ' || s[a] == '\t')) ++a;
    while (b > a && (s[b - 1] == ' ' || s[b - 1] == '\t' || s[b - 1] == '\r')) --b;
    return std::string(s.substr(a, b - a));
}

std::string unescape(std::string_view s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\\' && i + 1 < s.size()) {
            char c = s[++i];
            out.push_back(c == 'n' ? '\n' : c == 'r' ? '\r' : c == 't' ? '\t' : c);
        } else {
            out.push_back(s[i]);
        }
    }
    return out;
}

// One non-blank, non-comment line of a script, already trimmed.
Result<ScriptRule> parse_rule(const std::string& line, std::size_t line_no) {
    auto bad = [&](const std::string& why) {
        return make_error(ErrorCode::InvalidArgument, "parse_script",
                          "line " + std::to_string(line_no),
                          why +
                              ". Next: write `prefix TEXT => REPLY` or `regex PATTERN => "
                              "REPLY`");
    };
    auto arrow = line.find("=>");
    if (arrow == std::string::npos) return bad("no '=>' on the line");
    std::string head = trim(line.substr(0, arrow));
    ScriptRule rule;
    rule.reply = unescape(trim(line.substr(arrow + 2)));
    auto space = head.find(' ');
    std::string kind = head.substr(0, space);
    rule.pattern = space == std::string::npos ? "" : trim(head.substr(space + 1));
    if (kind == "prefix")
        rule.match = ScriptRule::Match::Prefix;
    else if (kind == "regex")
        rule.match = ScriptRule::Match::Regex;
    else
        return bad("'" + kind + "' is neither prefix nor regex");
    if (rule.match == ScriptRule::Match::Regex) {
        try {
            rule.regex = std::make_shared<const std::regex>(rule.pattern);
        } catch (const std::regex_error& e) {
            return bad(std::string("the regex does not compile (") + e.what() + ")");
        }
    }
    return rule;
}

bool matches(const ScriptRule& r, std::string_view unit) {
    if (r.match == ScriptRule::Match::Prefix) return unit.substr(0, r.pattern.size()) == r.pattern;
    try {
        if (r.regex) return std::regex_search(unit.begin(), unit.end(), *r.regex);
        return std::regex_search(unit.begin(), unit.end(), std::regex(r.pattern));
    } catch (const std::regex_error&) {
        return false;
    }
}

}  // namespace

Result<std::vector<ScriptRule>> parse_script(std::string_view text) {
    std::vector<ScriptRule> rules;
    std::size_t line_no = 0;
    while (!text.empty()) {
        auto nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
        ++line_no;
        std::string t = trim(line);
        if (t.empty() || t[0] == '#') continue;
        auto rule = parse_rule(t, line_no);
        if (!rule) return rule.error();
        rules.push_back(std::move(rule).value());
    }
    return rules;
}

const ScriptRule* match_rule(const std::vector<ScriptRule>& rules, std::string_view unit) {
    while (!unit.empty() && (unit.back() == '\n' || unit.back() == '\r')) unit.remove_suffix(1);
    for (const auto& r : rules) {
        if (matches(r, unit)) return &r;
    }
    return nullptr;
}

}  // namespace pipescope::core
