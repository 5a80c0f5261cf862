// The proxy's additions to the transcript: connection and flow per frame, in memory and in the
// JSON file; old files without them still load; merging connections' transcripts in time order.
#include <cstdio>

#include <gtest/gtest.h>

#include "pipescope/proxy.hpp"
#include "pipescope/transcript.hpp"

using namespace pipescope::core;

namespace {

std::span<const std::byte> bytes_of(std::string_view s) {
    return std::as_bytes(std::span(s.data(), s.size()));
}

std::string str(const std::vector<std::byte>& v) {
    return std::string(reinterpret_cast<const char*>(v.data()), v.size());
}

TEST(ProxyTranscript, FramesCarryConnectionAndFlow) {
    Transcript t;
    t.set_connection(3);
    t.add_frame(Flow::ToServer, bytes_of("ping"), true);
    t.add_frame(Flow::ToClient, bytes_of("pong"), false);
    t.add_event(EventKind::Info, "hello");
    ASSERT_EQ(t.frames().size(), 2u);
    EXPECT_EQ(t.frames()[0]->connection, 3u);
    EXPECT_EQ(t.frames()[0]->flow, Flow::ToServer);
    EXPECT_EQ(t.frames()[0]->direction, Direction::Out);
    EXPECT_EQ(t.frames()[1]->flow, Flow::ToClient);
    EXPECT_EQ(t.frames()[1]->direction, Direction::In);
    EXPECT_FALSE(t.frames()[1]->message_end);
    EXPECT_EQ(t.events().back().connection, 3u);
}

TEST(ProxyTranscript, JsonRoundTripKeepsConnectionAndFlow) {
    Transcript t;
    t.set_connection(7);
    t.add_frame(Flow::ToServer, bytes_of("a"), true);
    t.add_frame(Flow::ToClient, bytes_of("bc"), true);
    t.add_event(EventKind::Disconnected, "bye");
    const std::string json = t.to_json();
    EXPECT_NE(json.find("\"flow\": \"to_server\""), std::string::npos) << json;
    EXPECT_NE(json.find("\"flow\": \"to_client\""), std::string::npos) << json;
    EXPECT_NE(json.find("\"connection\": 7"), std::string::npos) << json;
    EXPECT_NE(json.find("\"direction\": \"out\""), std::string::npos) << json;
    auto back = Transcript::from_json(json);
    ASSERT_TRUE(back.ok()) << back.error().to_string();
    ASSERT_EQ(back->frames().size(), 2u);
    EXPECT_EQ(back->frames()[0]->connection, 7u);
    EXPECT_EQ(back->frames()[0]->flow, Flow::ToServer);
    EXPECT_EQ(back->frames()[1]->flow, Flow::ToClient);
    EXPECT_EQ(str(back->frames()[1]->bytes), "bc");
    ASSERT_EQ(back->events().size(), 1u);
    EXPECT_EQ(back->events()[0].connection, 7u);
}

TEST(ProxyTranscript, PlainTranscriptWritesNoProxyKeys) {
    Transcript t;
    t.add_frame(Direction::In, bytes_of("x"), true);
    const std::string json = t.to_json();
    EXPECT_EQ(json.find("\"flow\""), std::string::npos);
    EXPECT_EQ(json.find("\"connection\""), std::string::npos);
}

TEST(ProxyTranscript, OldTranscriptStillLoads) {
    // Written by the format before connection and flow existed.
    const char* old = R"({"format": "pipescope-transcript", "version": 1, "dropped_frames": 0,
        "frames": [{"seq": 1, "unix_us": 100, "direction": "in", "message_end": true,
                    "hex": "6869"},
                   {"seq": 2, "unix_us": 200, "direction": "out", "message_end": true,
                    "hex": "6f6b", "omitted_bytes": 3}],
        "events": [{"seq": 3, "unix_us": 300, "kind": "info", "text": "t"}]})";
    auto t = Transcript::from_json(old);
    ASSERT_TRUE(t.ok()) << t.error().to_string();
    ASSERT_EQ(t->frames().size(), 2u);
    EXPECT_EQ(t->frames()[0]->connection, 0u);
    EXPECT_EQ(t->frames()[0]->flow, Flow::None);
    EXPECT_EQ(t->frames()[1]->direction, Direction::Out);
    EXPECT_EQ(t->frames()[1]->omitted_bytes, 3u);
    EXPECT_EQ(t->events()[0].connection, 0u);
}

TEST(ProxyTranscript, UnknownFlowIsAClearError) {
    const char* bad = R"({"format": "pipescope-transcript", "version": 1,
        "frames": [{"seq": 1, "unix_us": 1, "direction": "in", "message_end": true,
                    "hex": "", "connection": 1, "flow": "sideways"}], "events": []})";
    auto t = Transcript::from_json(bad);
    ASSERT_FALSE(t.ok());
    EXPECT_NE(t.error().message.find("sideways"), std::string::npos);
    const char* negative = R"({"format": "pipescope-transcript", "version": 1,
        "frames": [{"seq": 1, "unix_us": 1, "direction": "in", "message_end": true,
                    "hex": "", "connection": -1}], "events": []})";
    EXPECT_FALSE(Transcript::from_json(negative).ok());
}

// Builds a transcript from JSON so the times are chosen by the test.
Transcript with_frames(std::uint32_t connection,
                       std::vector<std::pair<std::int64_t, std::string>> frames) {
    std::string json = R"({"format": "pipescope-transcript", "version": 1, "frames": [)";
    std::uint64_t seq = 1;
    for (const auto& [us, text] : frames) {
        if (seq > 1) json += ",";
        std::string hex;
        for (char c : text) {
            char b[3];
            std::snprintf(b, sizeof b, "%02x", static_cast<unsigned char>(c));
            hex += b;
        }
        json += R"({"seq": )" + std::to_string(seq++) + R"(, "unix_us": )" + std::to_string(us) +
                R"(, "direction": "out", "message_end": true, "flow": "to_server", "hex": ")" +
                hex + R"(", "connection": )" + std::to_string(connection) + "}";
    }
    json += R"(], "events": [{"seq": )" + std::to_string(seq) + R"(, "unix_us": 0, "kind":
        "connected", "text": "c", "connection": )" +
            std::to_string(connection) + "}]}";
    return Transcript::from_json(json).value();
}

TEST(ProxyTranscript, MergeOrdersByTimeAndKeepsEachConnectionsOrder) {
    SessionSnapshot s;
    s.conversations.resize(2);
    s.conversations[0].id = 1;
    // Connection 1's clock steps back between its 2nd and 3rd frame: its order stays.
    s.conversations[0].transcript = with_frames(1, {{10, "a"}, {30, "c"}, {25, "d"}});
    s.conversations[1].id = 2;
    s.conversations[1].transcript = with_frames(2, {{20, "b"}, {40, "e"}});
    auto frames = merged_frames(s);
    std::string order;
    for (const auto& f : frames) order += str(f->bytes) + std::to_string(f->connection);
    EXPECT_EQ(order, "a1b2c1d1e2");

    Transcript m = merged_transcript(s);
    order.clear();
    std::uint64_t last_seq = 0;
    for (const auto& f : m.frames()) {
        order += str(f->bytes);
        EXPECT_GT(f->seq, last_seq);
        last_seq = f->seq;
    }
    EXPECT_EQ(order, "abcde");
    EXPECT_EQ(m.events().size(), 2u);
    // The merged file loads back with the connections.
    auto back = Transcript::from_json(m.to_json());
    ASSERT_TRUE(back.ok());
    ASSERT_EQ(back->frames().size(), 5u);
    EXPECT_EQ(back->frames()[1]->connection, 2u);
    EXPECT_EQ(back->frames()[1]->flow, Flow::ToServer);
}

TEST(ProxyTranscript, FrameModeNames) {
    EXPECT_EQ(parse_frame_mode("lines"), FrameMode::Lines);
    EXPECT_EQ(parse_frame_mode("reads"), FrameMode::Reads);
    EXPECT_FALSE(parse_frame_mode("words").has_value());
    EXPECT_EQ(to_string(FrameMode::Lines), "lines");
}

}  // namespace
