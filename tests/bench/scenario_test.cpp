#include <gtest/gtest.h>

#include "pipescope/bench.hpp"
#include "pipescope/hex.hpp"

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

// Scenarios name and parse transports, I/O models and pipe types as the transport layer
// does (transport.hpp), so a name the CLI's client takes is one a bench scenario takes.
TEST(Scenario, NamesTransportsIoModelsAndTypesAsTheTransportLayerDoes) {
    for (const char* t : {"win32", "unix", "seqpacket", "fifo", "tcp", "UNIX", "stream"}) {
        const std::string text = std::string(R"({"transport":")") + t + R"("})";
        auto s = scenario_from_json(text);
        ASSERT_TRUE(s) << t << ": " << s.error().to_string();
        ASSERT_TRUE(s->transport) << t;
        EXPECT_EQ(*s->transport, parse_transport_kind(t)) << t;
        auto again = scenario_from_json(scenario_to_json(*s));  // written as to_string() names
        ASSERT_TRUE(again) << t;
        EXPECT_EQ(*again, *s) << t;
    }
    auto s = scenario_from_json(R"({"io":"IOCP","type":"Message"})");
    ASSERT_TRUE(s) << s.error().to_string();
    EXPECT_EQ(s->io, IoModel::Iocp);
    EXPECT_EQ(s->type, PipeType::Message);
    EXPECT_FALSE(scenario_from_json(R"({"transport":"pipes"})"));
    auto sweep = expand_sweep(Scenario{}, "transport=unix|Seqpacket");
    ASSERT_TRUE(sweep) << sweep.error().to_string();
    ASSERT_EQ(sweep->size(), 2u);
    EXPECT_EQ((*sweep)[1].transport, TransportKind::UnixSeqpacket);
}

// The child-process peer gets its JSON arguments as hex without separators.
TEST(BenchHex, CompactHexRoundTrips) {
    const std::string s = "{\"a\": \"\\\\.\\pipe\\x y\"}";
    const std::string hex = to_hex(to_bytes(s), "");
    EXPECT_EQ(hex.size(), s.size() * 2);
    EXPECT_EQ(hex.find(' '), std::string::npos);
    auto back = parse_hex(hex);
    ASSERT_TRUE(back);
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(back->data()), back->size()), s);
    EXPECT_FALSE(parse_hex("abc"));
    EXPECT_FALSE(parse_hex("zz"));
}

// Integer fields once went through nlohmann's unchecked get<int>() / get<uint32_t>(): 1e10 was
// undefined behaviour (found by UBSan on the fuzz corpus) and -1 wrapped to 4294967295.
TEST(Scenario, IntegerFieldsTakeWholeNumbersInRangeOnly) {
    for (const char* bad : {R"({"clients":1e10})", R"({"instances":-1e300})", R"({"in_quota":-1})",
                            R"({"out_quota":4294967296})", R"({"message_size":1e30})",
                            R"({"inflight":1.5})", R"({"message_count":-3})"}) {
        auto s = scenario_from_json(bad);
        ASSERT_FALSE(s.ok()) << bad;
        EXPECT_NE(s.error().message.find("whole number in range"), std::string::npos)
            << s.error().message;
    }
    auto s = scenario_from_json(R"({"message_size":1024.0,"in_quota":4294967295,"clients":-2})");
    ASSERT_TRUE(s.ok()) << s.error().to_string();
    EXPECT_EQ(s->message_size, 1024u);
    EXPECT_EQ(s->in_quota, 4294967295u);
    EXPECT_EQ(s->clients, -2);  // in int's range; validate() rejects it
    EXPECT_FALSE(validate(*s).ok());
}

TEST(Sweep, OutOfRangeNumbersAreErrorsNotWraps) {
    EXPECT_FALSE(expand_sweep(Scenario{}, "clients=1e300").ok());  // was an out-of-range cast
    EXPECT_FALSE(expand_sweep(Scenario{}, "inflight=2.5").ok());
    auto q = expand_sweep(Scenario{}, "quota=8G");  // was silently 0
    ASSERT_FALSE(q.ok());
    EXPECT_NE(q.error().message.find("over 4G"), std::string::npos) << q.error().message;
    auto ok = expand_sweep(Scenario{}, "quota=4K|64K,clients=1|2");
    ASSERT_TRUE(ok.ok()) << ok.error().to_string();
    EXPECT_EQ(ok->size(), 4u);
}

TEST(Report, CountersMustBeWholeNumbers) {
    BenchReport r;
    r.ok = true;
    r.summary.latency.p50 = 4000;
    const std::string good = report_to_json(r);
    ASSERT_TRUE(report_from_json(good).ok());
    for (const auto& [from, to] :
         {std::pair<std::string, std::string>{"\"p50\": 4000", "\"p50\": 1e30"},
          {"\"p50\": 4000", "\"p50\": -1"},
          {"\"errors\": 0", "\"errors\": 0.5"}}) {
        std::string text = good;
        const auto at = text.find(from);
        ASSERT_NE(at, std::string::npos) << from;
        text.replace(at, from.size(), to);
        auto bad = report_from_json(text);
        ASSERT_FALSE(bad.ok()) << to;
        EXPECT_NE(bad.error().message.find("whole number"), std::string::npos)
            << bad.error().message;
    }
}
