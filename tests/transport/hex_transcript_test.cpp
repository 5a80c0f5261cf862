// Portable helpers of the sessions: hex and UTF-16 input, script rules, the capped transcript
// and its JSON file.
#include <cstdio>
#include <fstream>

#include <gtest/gtest.h>

#include "pipescope/hex.hpp"
#include "pipescope/session.hpp"
#include "pipescope/transcript.hpp"
#include "support/test_names.hpp"

using namespace pipescope::core;

namespace {

std::string str(const std::vector<std::byte>& v) {
    return std::string(reinterpret_cast<const char*>(v.data()), v.size());
}

TEST(Hex, ParsesCommonSpellings) {
    EXPECT_EQ(str(parse_hex("48 65 6c 6C 6f").value()), "Hello");
    EXPECT_EQ(str(parse_hex("0x48,0x69").value()), "Hi");
    EXPECT_EQ(str(parse_hex("48:69\n0a").value()), "Hi\n");
    EXPECT_TRUE(parse_hex("").value().empty());
}

TEST(Hex, OddDigitCountIsAClearError) {
    auto r = parse_hex("48 6");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::InvalidArgument);
    EXPECT_NE(r.error().message.find("odd number"), std::string::npos) << r.error().message;
    auto lone = parse_hex("4 65");
    ASSERT_FALSE(lone.ok());
    EXPECT_NE(lone.error().message.find("position 1"), std::string::npos) << lone.error().message;
}

TEST(Hex, NonHexCharacterNamesItsPosition) {
    auto r = parse_hex("4g");
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("'g' at position 2"), std::string::npos) << r.error().message;
}

TEST(Hex, FormatsAndRoundTrips) {
    std::vector<std::byte> v = {std::byte{0}, std::byte{0xAB}, std::byte{0x7f}};
    EXPECT_EQ(to_hex(v), "00 ab 7f");
    EXPECT_EQ(parse_hex(to_hex(v)).value(), v);
    EXPECT_EQ(escape_bytes(to_bytes("a\n\x01")), "a\\n\\x01");
}

TEST(Utf16, EncodesBmpAndSurrogatePairs) {
    auto r = utf8_to_utf16le("A\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80");  // A é € 😀
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(to_hex(*r), "41 00 e9 00 ac 20 3d d8 00 de");
}

TEST(Utf16, RejectsInvalidUtf8) {
    auto r = utf8_to_utf16le("ok\xFF");
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("byte 2"), std::string::npos) << r.error().message;
    EXPECT_FALSE(utf8_to_utf16le("\xE2\x82").ok());
    EXPECT_FALSE(utf8_to_utf16le("\xC0\x80").ok()) << "overlong encodings are invalid";
}

TEST(Script, ParsesRulesAndMatches) {
    auto rules = parse_script(
        "# comment\n"
        "prefix PING => PONG\n"
        "\n"
        "regex \"method\"\\s*:\\s*\"add\" => {\"result\":3}\\n\n");
    ASSERT_TRUE(rules.ok()) << rules.error().to_string();
    ASSERT_EQ(rules->size(), 2u);
    EXPECT_EQ((*rules)[1].reply, "{\"result\":3}\n");
    const ScriptRule* r = match_rule(*rules, "PING 1\r\n");
    ASSERT_NE(r, nullptr);
    EXPECT_EQ(r->reply, "PONG");
    r = match_rule(*rules, R"({"id":1,"method" : "add"})");
    ASSERT_NE(r, nullptr);
    EXPECT_EQ(r->pattern, R"("method"\s*:\s*"add")");
    EXPECT_EQ(match_rule(*rules, "pong"), nullptr);
}

TEST(Script, BadLinesNameTheLine) {
    auto r = parse_script("prefix A => B\nsuffix x => y\n");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().subject, "line 2");
    auto no_arrow = parse_script("prefix A B");
    ASSERT_FALSE(no_arrow.ok());
    auto bad_regex = parse_script("regex ([a- => x");
    ASSERT_FALSE(bad_regex.ok());
    EXPECT_NE(bad_regex.error().message.find("regex"), std::string::npos);
}

TEST(Transcript, CapsFramesAndBytes) {
    TranscriptLimits lim;
    lim.max_frames = 3;
    Transcript t(lim);
    for (int i = 0; i < 5; ++i) {
        std::string s(1, static_cast<char>('a' + i));
        t.add_frame(Direction::In, to_bytes(s), true);
    }
    EXPECT_EQ(t.frames().size(), 3u);
    EXPECT_EQ(t.dropped_frames(), 2u);
    EXPECT_EQ(str(t.joined(Direction::In)), "cde");

    TranscriptLimits bytes_lim;
    bytes_lim.max_bytes = 10;
    Transcript b(bytes_lim);
    b.add_frame(Direction::Out, to_bytes("123456"), true);
    b.add_frame(Direction::Out, to_bytes("789012"), true);
    EXPECT_EQ(b.frames().size(), 1u);
    EXPECT_LE(b.bytes_kept(), 10u);
    EXPECT_EQ(str(b.joined(Direction::Out)), "789012");
}

TEST(Transcript, SavesAndLoadsTheSameFramesAndEvents) {
    Transcript t;
    t.add_event(EventKind::Connected, "connected (pid 1)");
    t.add_frame(Direction::Out, to_bytes("req\n"), true);
    t.add_frame(Direction::In, to_bytes(std::string("\x00\xff part", 7)), false);
    t.add_frame(Direction::In, {}, true);
    t.add_event(EventKind::Disconnected, "bye");
    const std::string path = pipescope::test::unique_pipe_text("transcript") + ".json";
    ASSERT_TRUE(t.save(path).ok());
    auto loaded = Transcript::load(path);
    std::remove(path.c_str());
    ASSERT_TRUE(loaded.ok()) << loaded.error().to_string();
    ASSERT_EQ(loaded->frames().size(), 3u);
    for (std::size_t i = 0; i < 3; ++i) {
        const Frame& a = *t.frames()[i];
        const Frame& b = *loaded->frames()[i];
        EXPECT_EQ(a.bytes, b.bytes);
        EXPECT_EQ(a.direction, b.direction);
        EXPECT_EQ(a.message_end, b.message_end);
        EXPECT_EQ(a.unix_us, b.unix_us);
        EXPECT_EQ(a.seq, b.seq);
    }
    ASSERT_EQ(loaded->events().size(), 2u);
    EXPECT_EQ(loaded->events()[1].kind, EventKind::Disconnected);
    EXPECT_EQ(loaded->events()[1].text, "bye");
}

TEST(Transcript, LoadingSomethingElseFailsClearly) {
    auto r = Transcript::from_json("{\"frames\":[]}");
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("not a PipeScope transcript"), std::string::npos);
    EXPECT_FALSE(Transcript::from_json("not json").ok());
    EXPECT_FALSE(
        Transcript::from_json(
            R"({"format":"pipescope-transcript","frames":[{"seq":1,"unix_us":0,"direction":"in","message_end":true,"hex":"zz"}],"events":[]})")
            .ok());
    EXPECT_FALSE(Transcript::load("/no/such/dir/x.json").ok());
}

}  // namespace
