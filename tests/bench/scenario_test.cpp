#include <gtest/gtest.h>

#include "pipescope/bench.hpp"

using namespace pipescope::core;

TEST(Scenario, JsonRoundTripKeepsEveryKnob) {
    Scenario s;
    s.name = "x";
    s.comment = "c";
    s.transport = TransportKind::Fifo;
    s.io = IoModel::Iocp;
    s.type = PipeType::Message;
    s.in_quota = 1;
    s.out_quota = 2;
    s.instances = 3;
    s.pattern = BenchPattern::Rate;
    s.message_size = 4;
    s.clients = 5;
    s.inflight = 6;
    s.rate_per_sec = 7.5;
    s.duration_s = 8.25;
    s.message_count = 9;
    s.warmup_s = 0.5;
    s.interval_s = 0.25;
    s.payload = PayloadPattern::Random;
    s.verify = true;
    s.process = true;
    s.cpu = CpuPlacement::DifferentCores;
    auto back = scenario_from_json(scenario_to_json(s));
    ASSERT_TRUE(back) << back.error().to_string();
    EXPECT_EQ(*back, s);
    Scenario d;
    auto back2 = scenario_from_json(scenario_to_json(d));
    ASSERT_TRUE(back2);
    EXPECT_EQ(*back2, d);
    EXPECT_FALSE(back2->transport.has_value());
}

TEST(Scenario, JsonErrorsAreClear) {
    auto a = scenario_from_json("{\"sise\": 4}");
    ASSERT_FALSE(a);
    EXPECT_NE(a.error().message.find("unknown scenario key 'sise'"), std::string::npos);
    auto b = scenario_from_json("{\"pattern\": \"flood\"}");
    ASSERT_FALSE(b);
    EXPECT_NE(b.error().message.find("stream|pingpong"), std::string::npos);
    auto c = scenario_from_json("{\"message_size\": \"big\"}");
    ASSERT_FALSE(c);
    EXPECT_FALSE(scenario_from_json("not json"));
}

TEST(Scenario, AllPresetsLoadAndAreValid) {
    const auto names = preset_names();
    for (const char* want : {"pascal", "go-winio", "dotnet", "quick"})
        EXPECT_NE(std::find(names.begin(), names.end(), want), names.end()) << want;
    for (const auto& n : names) {
        auto s = load_preset(n);
        ASSERT_TRUE(s) << n << ": " << s.error().to_string();
        EXPECT_FALSE(s->comment.empty()) << n;
        EXPECT_EQ(s->name, n);
        EXPECT_TRUE(validate(*s)) << n;
    }
    auto pascal = load_preset("pascal");
    ASSERT_TRUE(pascal);
    EXPECT_EQ(pascal->message_count, 10000u);
    EXPECT_EQ(pascal->message_size, 1024u);
    EXPECT_EQ(pascal->type, PipeType::Message);
    auto missing = load_preset("nope");
    ASSERT_FALSE(missing);
    EXPECT_NE(missing.error().message.find("quick"), std::string::npos);
}

TEST(Scenario, ValidateRejectsBadCombinations) {
    Scenario s;
    s.verify = true;
    s.message_size = 15;
    EXPECT_FALSE(validate(s));
    s.message_size = 16;
    EXPECT_TRUE(validate(s));
    s.transport = TransportKind::Fifo;
    s.type = PipeType::Message;
    EXPECT_FALSE(validate(s));
    Scenario r;
    r.pattern = BenchPattern::Rate;
    r.rate_per_sec = 0;
    EXPECT_FALSE(validate(r));
}

TEST(Scenario, ParseSizeTakesBinarySuffixes) {
    EXPECT_EQ(parse_size("1"), 1u);
    EXPECT_EQ(parse_size("64K"), 65536u);
    EXPECT_EQ(parse_size("4M"), 4u << 20);
    EXPECT_EQ(parse_size("1g"), 1ULL << 30);
    EXPECT_FALSE(parse_size(""));
    EXPECT_FALSE(parse_size("K"));
    EXPECT_FALSE(parse_size("12x"));
    EXPECT_FALSE(parse_size("-1"));
}

TEST(Sweep, ExpandsTheIssueExample) {
    Scenario base;
    auto r = expand_sweep(base, "size=1..4M*2,type=byte|message,io=sync|overlapped");
    ASSERT_TRUE(r) << r.error().to_string();
    ASSERT_EQ(r->size(), 23u * 2 * 2);  // 2^0 .. 2^22
    EXPECT_EQ(r->front().message_size, 1u);
    EXPECT_EQ(r->front().type, PipeType::Byte);
    EXPECT_EQ(r->front().io, IoModel::Sync);
    EXPECT_EQ(r->back().message_size, 4u << 20);
    EXPECT_EQ(r->back().type, PipeType::Message);
    EXPECT_EQ(r->back().io, IoModel::Overlapped);
}

TEST(Sweep, AdditiveRangesAndWords) {
    Scenario base;
    base.pattern = BenchPattern::ReqRep;
    auto r = expand_sweep(base, " clients = 1..10+3 , verify=on|off, size=16|1K");
    ASSERT_TRUE(r) << r.error().to_string();
    ASSERT_EQ(r->size(), 4u * 2 * 2);  // 1,4,7,10
    EXPECT_EQ((*r)[0].clients, 1);
    EXPECT_TRUE((*r)[0].verify);
    EXPECT_EQ((*r)[1].message_size, 1024u);
    EXPECT_EQ(r->back().clients, 10);
}

TEST(Sweep, BadSpecsGiveClearErrors) {
    Scenario base;
    const std::pair<const char*, const char*> cases[] = {
        {"", "empty sweep spec"},
        {"size", "has no '='"},
        {"colour=red", "unknown sweep key 'colour'"},
        {"size=", "has no values"},
        {"size=1..x*2", "must be lo..hi*factor"},
        {"size=8..1*2", "lo > hi"},
        {"size=1..8*1", "never advances"},
        {"size=1|2,size=4", "appears twice"},
        {"type=byte|stream", "bad value 'stream' for type"},
        {"type=1..4", "takes a|b|c"},
        {"size=1|abc", "'abc' is not a size"},
        {"size=1..1G+1", "too many"},
        {"clients=0", "invalid"},
    };
    for (const auto& [spec, want] : cases) {
        auto r = expand_sweep(base, spec);
        ASSERT_FALSE(r) << spec;
        EXPECT_NE(r.error().to_string().find(want), std::string::npos)
            << spec << " -> " << r.error().to_string();
    }
}

TEST(BenchHex, RoundTrip) {
    const std::string s = "{\"a\": \"\\\\.\\pipe\\x y\"}";
    EXPECT_EQ(hex_decode(hex_encode(s)), s);
    EXPECT_FALSE(hex_decode("abc"));
    EXPECT_FALSE(hex_decode("zz"));
}
