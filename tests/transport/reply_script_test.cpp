// The reply-script language of the Script behaviour: prefix and regex rules, the first match
// wins, trailing CR/LF ignored, no match; regexes compiled once when the script is parsed.
#include <memory>
#include <regex>

#include <gtest/gtest.h>

#include "pipescope/session.hpp"

using namespace pipescope::core;

namespace {

std::vector<ScriptRule> parse(std::string_view text) {
    auto rules = parse_script(text);
    EXPECT_TRUE(rules.ok()) << rules.error().to_string();
    return rules.ok() ? std::move(rules).value() : std::vector<ScriptRule>{};
}

// The reply of the rule matching `unit`, or "(none)".
std::string reply_to(const std::vector<ScriptRule>& rules, std::string_view unit) {
    const ScriptRule* r = match_rule(rules, unit);
    return r ? r->reply : "(none)";
}

}  // namespace

TEST(ReplyScript, PrefixRulesMatchTheStartOnly) {
    auto rules = parse("prefix PING => PONG\n");
    EXPECT_EQ(reply_to(rules, "PING"), "PONG");
    EXPECT_EQ(reply_to(rules, "PING 7"), "PONG");
    EXPECT_EQ(reply_to(rules, "xPING"), "(none)") << "a prefix is anchored at the start";
    EXPECT_EQ(reply_to(rules, "ping"), "(none)") << "case matters";
    EXPECT_EQ(reply_to(rules, "PIN"), "(none)") << "shorter than the prefix";
}

TEST(ReplyScript, RegexRulesSearchAnywhere) {
    auto rules = parse("regex \\d{3}-\\d{4} => phone\nregex ^END$ => bye\n");
    EXPECT_EQ(reply_to(rules, "call 555-1234 now"), "phone") << "search, not a full match";
    EXPECT_EQ(reply_to(rules, "END\r\n"), "bye") << "trailing CR/LF are cut before matching";
    EXPECT_EQ(reply_to(rules, "THE END"), "(none)");
    EXPECT_EQ(reply_to(rules, "55-1234"), "(none)");
}

TEST(ReplyScript, FirstMatchingRuleWins) {
    auto rules = parse(
        "regex [0-9]+ => digits\n"
        "prefix 42 => the answer\n"
        "prefix PI => pi\n"
        "regex ^PING => ping regex\n"
        "prefix => catch-all\n");
    ASSERT_EQ(rules.size(), 5u);
    EXPECT_EQ(reply_to(rules, "42"), "digits") << "the regex comes first";
    EXPECT_EQ(reply_to(rules, "PING"), "pi") << "the prefix comes first";
    EXPECT_EQ(reply_to(rules, "hello"), "catch-all") << "an empty prefix matches everything";
    EXPECT_EQ(match_rule(rules, "PING"), &rules[2]) << "a pointer into the caller's rules";
}

TEST(ReplyScript, NoRuleMatchesGivesNull) {
    EXPECT_EQ(match_rule({}, "anything"), nullptr);
    auto rules = parse("# only a comment\n\nprefix A => a\nregex ^B => b\n");
    ASSERT_EQ(rules.size(), 2u);
    EXPECT_EQ(match_rule(rules, "C"), nullptr);
    EXPECT_EQ(match_rule(rules, ""), nullptr);
    EXPECT_EQ(match_rule(rules, "\r\n"), nullptr);
}

TEST(ReplyScript, RegexesAreCompiledOnceWhenParsed) {
    auto rules = parse("prefix A => a\nregex ^B+$ => b\n");
    ASSERT_EQ(rules.size(), 2u);
    EXPECT_EQ(rules[0].regex, nullptr) << "a prefix rule has no regex";
    ASSERT_NE(rules[1].regex, nullptr) << "parse_script compiles the regex";
    auto copy = rules;  // what SessionOptions holds: copies share the compiled regex
    EXPECT_EQ(copy[1].regex.get(), rules[1].regex.get());
    // Matching runs the compiled regex, not the pattern text: swap in another compiled one and
    // the rule follows it.
    copy[1].regex = std::make_shared<const std::regex>("^C$");
    EXPECT_EQ(reply_to(copy, "BB"), "(none)");
    EXPECT_EQ(reply_to(copy, "C"), "b");
    EXPECT_EQ(reply_to(rules, "BB"), "b");
}

TEST(ReplyScript, HandBuiltRegexRulesStillMatch) {
    // A rule not made by parse_script has no compiled regex: it is compiled at match time, and
    // a pattern that does not compile never matches.
    std::vector<ScriptRule> rules(2);
    rules[0].match = ScriptRule::Match::Regex;
    rules[0].pattern = "([a-";
    rules[0].reply = "broken";
    rules[1].match = ScriptRule::Match::Regex;
    rules[1].pattern = "o+k";
    rules[1].reply = "ok";
    EXPECT_EQ(reply_to(rules, "it's oook"), "ok");
    EXPECT_EQ(reply_to(rules, "nope"), "(none)");
}
