// The proxy monitor's models without ImGui: the form (both sides checked, errors name the
// side) and the connections table and merged transcript from hand-made snapshots.
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "models/monitor_form.hpp"
#include "models/monitor_model.hpp"
#include "pipescope/hex.hpp"
#include "pipescope/proxy.hpp"

using namespace pipescope;
using gui::MonitorForm;
using gui::MonitorModel;

namespace {

struct F {
    std::int64_t unix_us;
    core::Flow flow;
    std::string text;
};

// A proxy connection's transcript with frames at the given times (from_json, so the times are
// the test's, not the clock's).
core::Transcript transcript_of(std::uint32_t connection, const std::vector<F>& frames,
                               const std::string& error = "") {
    std::string json = R"({"format": "pipescope-transcript", "version": 1, "frames": [)";
    std::uint64_t seq = 1;
    for (const auto& f : frames) {
        if (seq > 1) json += ",";
        json += "{\"seq\": " + std::to_string(seq++) +
                ", \"unix_us\": " + std::to_string(f.unix_us) + ", \"direction\": \"" +
                (f.flow == core::Flow::ToServer ? "out" : "in") +
                "\", \"message_end\": true, \"hex\": \"" +
                core::to_hex(std::as_bytes(std::span(f.text.data(), f.text.size()))) +
                "\", \"connection\": " + std::to_string(connection) + ", \"flow\": \"" +
                std::string(core::to_string(f.flow)) + "\"}";
    }
    json += "], \"events\": [";
    if (!error.empty()) {
        json += "{\"seq\": " + std::to_string(seq) +
                ", \"unix_us\": 1, \"kind\": \"error\", \"text\": \"" + error + "\"}";
    }
    json += "]}";
    auto t = core::Transcript::from_json(json);
    EXPECT_TRUE(t) << (t ? "" : t.error().to_string());
    return t ? *t : core::Transcript{};
}

core::ConversationSnapshot conversation(std::uint32_t id, core::Transcript t, bool open = true) {
    core::ConversationSnapshot c;
    c.id = id;
    c.connected = open;
    c.peer.pid = 4000 + id;
    c.peer.image = "/usr/bin/client" + std::to_string(id);
    c.transcript = std::move(t);
    return c;
}

std::string text_of(const core::Frame* f) {
    return std::string(reinterpret_cast<const char*>(f->bytes.data()), f->bytes.size());
}

std::vector<std::string> texts(const MonitorModel& m) {
    std::vector<std::string> out;
    for (const auto* f : m.frames()) out.push_back(text_of(f));
    return out;
}

std::shared_ptr<core::SessionSnapshot> two_connections() {
    auto s = std::make_shared<core::SessionSnapshot>();
    s->version = 1;
    s->conversations.push_back(
        conversation(1, transcript_of(1, {{100, core::Flow::ToServer, "a1"},
                                          {300, core::Flow::ToClient, "a2"},
                                          {500, core::Flow::ToServer, "a3"}})));
    s->conversations.push_back(conversation(
        2, transcript_of(2, {{200, core::Flow::ToServer, "b1"}, {400, core::Flow::ToClient, "b2"}}),
        /*open=*/false));
    return s;
}

TEST(MonitorModel, MergesEveryConnectionInTimeOrderWithConnectionAndFlow) {
    MonitorModel m;
    m.update(two_connections());
    EXPECT_EQ(texts(m), (std::vector<std::string>{"a1", "b1", "a2", "b2", "a3"}));
    ASSERT_EQ(m.frames().size(), 5u);
    EXPECT_EQ(m.frames()[1]->connection, 2u);
    EXPECT_EQ(m.frames()[1]->flow, core::Flow::ToServer);
    EXPECT_EQ(m.frames()[2]->flow, core::Flow::ToClient);
    EXPECT_EQ(m.frames_not_shown(), 0u);
}

TEST(MonitorModel, FilterShowsOneConnectionAndZeroShowsAllAgain) {
    MonitorModel m;
    m.update(two_connections());
    m.set_filter(2);
    EXPECT_EQ(texts(m), (std::vector<std::string>{"b1", "b2"}));
    m.set_filter(0);
    EXPECT_EQ(m.frames().size(), 5u);
}

TEST(MonitorModel, ATimeTieKeepsConnectionOrderAndAClockStepBackKeepsEachConnectionsOrder) {
    auto s = std::make_shared<core::SessionSnapshot>();
    s->conversations.push_back(conversation(
        1,
        transcript_of(1, {{500, core::Flow::ToServer, "a1"}, {100, core::Flow::ToClient, "a2"}})));
    s->conversations.push_back(
        conversation(2, transcript_of(2, {{500, core::Flow::ToServer, "b1"}})));
    MonitorModel m;
    m.update(s);
    const auto t = texts(m);
    // a2 (stamped earlier by a clock that stepped back) still comes after a1.
    ASSERT_EQ(t.size(), 3u);
    EXPECT_LT(std::find(t.begin(), t.end(), "a1"), std::find(t.begin(), t.end(), "a2"));
}

TEST(MonitorModel, KeepsOnlyTheNewestRowsAndCountsTheRest) {
    MonitorModel m(/*max_rows=*/3);
    m.update(two_connections());
    EXPECT_EQ(texts(m), (std::vector<std::string>{"a2", "b2", "a3"}));
    EXPECT_EQ(m.frames_not_shown(), 2u);
}

TEST(MonitorModel, ConnectionRowsCarryClientBytesEachWayAndState) {
    auto s = two_connections();
    s->conversations[0].counters.bytes_out = 17;  // went to the server
    s->conversations[0].counters.bytes_in = 42;   // came back to the client
    s->conversations[1].transcript = transcript_of(2, {}, "target: connect refused");
    MonitorModel m;
    m.update(s);
    const auto& rows = m.connections();
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_EQ(rows[0].number, 1u);
    EXPECT_EQ(rows[0].pid, 4001u);
    EXPECT_EQ(rows[0].image, "/usr/bin/client1");
    EXPECT_EQ(rows[0].bytes_to_server, 17u);
    EXPECT_EQ(rows[0].bytes_to_client, 42u);
    EXPECT_TRUE(rows[0].open);
    EXPECT_FALSE(rows[1].open);
    EXPECT_NE(rows[1].state.find("target: connect refused"), std::string::npos) << rows[1].state;
}

TEST(MonitorModel, AddedGrowsWithNewFramesAndTheSameSnapshotIsNotMergedAgain) {
    MonitorModel m;
    auto s = two_connections();
    m.update(s);
    const auto added = m.frames_added();
    const auto* first = m.frames().front();
    m.update(s);
    EXPECT_EQ(m.frames().front(), first);
    auto s2 = std::make_shared<core::SessionSnapshot>(*s);
    s2->conversations[0].transcript = transcript_of(1, {{100, core::Flow::ToServer, "a1"},
                                                        {300, core::Flow::ToClient, "a2"},
                                                        {500, core::Flow::ToServer, "a3"},
                                                        {600, core::Flow::ToClient, "a4"}});
    m.update(s2);
    EXPECT_NE(m.frames_added(), added);
    EXPECT_EQ(text_of(m.frames().back()), "a4");
}

TEST(MonitorModel, SaveWritesTheMergedTranscriptWithConnectionAndFlow) {
    MonitorModel m;
    m.update(two_connections());
    const auto path =
        (std::filesystem::temp_directory_path() / "pipescope-monitor-model-test.json").string();
    ASSERT_TRUE(m.save(path));
    auto loaded = core::Transcript::load(path);
    std::filesystem::remove(path);
    ASSERT_TRUE(loaded) << loaded.error().to_string();
    ASSERT_EQ(loaded->frames().size(), 5u);
    EXPECT_EQ(loaded->frames()[1]->connection, 2u);
    EXPECT_EQ(loaded->frames()[2]->flow, core::Flow::ToClient);
    EXPECT_EQ(text_of(loaded->frames()[4].get()), "a3");
}

TEST(MonitorForm, BadListenNameIsAListenErrorAndBadTargetATargetError) {
    MonitorForm form(std::string(300, 'x'), "pipescope-target");
    auto st = form.resolve();
    ASSERT_FALSE(st);
    EXPECT_EQ(st.error().to_string().rfind("listen: ", 0), 0u) << st.error().to_string();
    EXPECT_NE(st.error().to_string().find("256"), std::string::npos);
    form.listen.name = "pipescope-listen";
    form.target_name = "";
    st = form.resolve();
    ASSERT_FALSE(st);
    EXPECT_EQ(st.error().to_string().rfind("target: ", 0), 0u) << st.error().to_string();
    form.target_name = "pipescope-target";
    EXPECT_TRUE(form.resolve()) << form.resolve().error().to_string();
    EXPECT_EQ(form.target().name.name(), "pipescope-target");
#ifdef _WIN32
    EXPECT_EQ(form.target_address(), "\\\\.\\pipe\\pipescope-target");
#else
    EXPECT_EQ(form.target_address(), form.target().name.posix_path());
    EXPECT_EQ(form.target_address().find('\\'), std::string::npos) << form.target_address();
#endif
}

TEST(MonitorForm, DefaultsAskForIdentificationAndFrameByReads) {
    MonitorForm form("pipescope-listen", "pipescope-target");
    EXPECT_EQ(form.options.impersonation, core::ImpersonationLevel::Identification);
    EXPECT_EQ(form.options.frame, core::FrameMode::Reads);
    EXPECT_FALSE(form.target_transport.has_value());
    form.options.impersonation = core::ImpersonationLevel::Impersonation;
    form.options.frame = core::FrameMode::Lines;
    form.target_timeout_ms = 1234;
    ASSERT_TRUE(form.resolve());
    EXPECT_EQ(form.target().client.impersonation, core::ImpersonationLevel::Impersonation);
    EXPECT_EQ(form.options.target_timeout, core::Timeout(1234));
    EXPECT_EQ(form.target().kind, core::available_transports().front());
    EXPECT_FALSE(form.what_changes().empty());
    // The GUI's lines point at its own fields, not at the CLI's flags.
    for (const auto& line : form.what_changes()) {
        EXPECT_EQ(line.find("--"), std::string::npos) << line;
    }
}

TEST(MonitorForm, ExplicitTargetKindsAreTheOnesANameDoesNotImply) {
    for (auto k : MonitorForm::explicit_target_kinds()) {
        EXPECT_NE(k, core::TransportKind::Win32Pipe);
        EXPECT_NE(k, core::TransportKind::UnixStream);
    }
#ifndef _WIN32
    EXPECT_EQ(MonitorForm::explicit_target_kinds().size(), 3u);
    MonitorForm form("pipescope-listen", "");
    form.target_transport = core::TransportKind::Tcp;
    auto st = form.resolve();
    ASSERT_FALSE(st);
    EXPECT_NE(st.error().to_string().find("Target port"), std::string::npos);
    form.target_port = 8080;
    ASSERT_TRUE(form.resolve()) << form.resolve().error().to_string();
    EXPECT_EQ(form.target().tcp_port, 8080);
    EXPECT_EQ(form.target().kind, core::TransportKind::Tcp);
    EXPECT_EQ(form.target_address(), "127.0.0.1:8080");
#endif
}

TEST(MonitorForm, ListenSideKeepsTheServerFormsChecks) {
    MonitorForm form("pipescope-listen", "pipescope-target");
    form.listen.endpoint.kind = core::TransportKind::Win32Pipe;
    form.listen.endpoint.server.max_instances = 0;
    auto st = form.resolve();
    ASSERT_FALSE(st);
    EXPECT_NE(st.error().to_string().find("Max instances"), std::string::npos);
}

}  // namespace
