// Short runs of the engine over the real transports of this build, with the peer in a thread
// and in a child process (pipescope-cli bench-peer).
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "support/child_process.hpp"

#include "pipescope/bench.hpp"
#include "pipescope/platform.hpp"

using namespace pipescope::core;

namespace {

std::string cli_path() {
    return pipescope::test::built_program(PIPESCOPE_CLI_PATH);
}

Scenario short_run(TransportKind k, BenchPattern p) {
    Scenario s;
    s.transport = k;
    s.pattern = p;
    s.message_size = 4096;
    s.duration_s = 0.2;
    s.verify = true;
    return s;
}

}  // namespace

class BenchRealTest : public ::testing::TestWithParam<TransportKind> {};

TEST_P(BenchRealTest, StreamBytesSentEqualBytesReceived) {
    BenchEngine engine(os_transport(), BenchOptions{});
    const auto r = engine.run(short_run(GetParam(), BenchPattern::Stream));
    ASSERT_TRUE(r.ok) << r.error;
    EXPECT_GT(r.summary.bytes_sent, 0u);
    EXPECT_EQ(r.summary.bytes_sent, r.summary.bytes_received);
    EXPECT_EQ(r.summary.integrity.checked * 4096, r.summary.bytes_received);
}

TEST_P(BenchRealTest, PingPongBytesSentEqualBytesReceived) {
    BenchEngine engine(os_transport(), BenchOptions{});
    const auto r = engine.run(short_run(GetParam(), BenchPattern::PingPong));
    ASSERT_TRUE(r.ok) << r.error;
    EXPECT_GT(r.summary.latency.count, 0u);
    EXPECT_EQ(r.summary.bytes_sent, r.summary.bytes_received);
    EXPECT_EQ(r.summary.peer.bytes_received, r.summary.bytes_sent);
}

TEST_P(BenchRealTest, ChildProcessPeer) {
    BenchOptions o;
    o.peer_executable = cli_path();
    BenchEngine engine(os_transport(), o);
    for (auto p : {BenchPattern::Stream, BenchPattern::PingPong}) {
        auto s = short_run(GetParam(), p);
        s.process = true;
        const auto r = engine.run(s);
        ASSERT_TRUE(r.ok) << to_string(p) << ": " << r.error;
        EXPECT_GT(r.summary.bytes_sent, 0u);
        EXPECT_EQ(r.summary.bytes_sent, r.summary.bytes_received);
        // The totals of the far side came back from the child's result file.
        EXPECT_EQ(r.summary.peer.bytes_received, r.summary.bytes_sent);
        EXPECT_GT(r.summary.peer.cpu_s, 0.0);
    }
}

INSTANTIATE_TEST_SUITE_P(Available, BenchRealTest, ::testing::ValuesIn(available_transports()),
                         [](const auto& p) { return std::string(to_string(p.param)); });

// bench-peer's arguments are hex JSON the engine made; malformed ones still get a result file
// that names the bad argument, so the engine reports why instead of "wrote no result".
TEST(BenchPeerProcess, MalformedArgumentsWriteAResultNamingThem) {
    const auto stamp = std::chrono::steady_clock::now().time_since_epoch().count();
    const auto path = (std::filesystem::temp_directory_path() /
                       ("pipescope-bench-peer-test-" + std::to_string(stamp)))
                          .string();
    pipescope::test::ChildProcess child;
    std::string why;
    ASSERT_TRUE(child.start(
        cli_path(), {"bench-peer", "--endpoint", "zz", "--scenario", "7b7d", "--result", path},
        &why))
        << why;
    child.close_stdin();
    const auto code = child.wait(std::chrono::seconds(30));
    ASSERT_TRUE(code);
    EXPECT_EQ(*code, 2);
    std::ifstream in(path, std::ios::binary);
    ASSERT_TRUE(in) << path;
    std::stringstream text;
    text << in.rdbuf();
    in.close();
    std::filesystem::remove(path);
    EXPECT_NE(text.str().find("--endpoint"), std::string::npos) << text.str();
    EXPECT_NE(text.str().find("malformed argument"), std::string::npos) << text.str();
}

// seqpacket caps one message at about the socket send buffer: a bigger message size fails
// at once with the limit and what to do, instead of an opaque EMSGSIZE mid-run.
TEST(BenchRealSeqpacket, MessageOverTheSocketLimitFailsNamingIt) {
    if (!transport_available(TransportKind::UnixSeqpacket))
        GTEST_SKIP() << "AF_UNIX seqpacket sockets exist only in the POSIX build";
    BenchEngine engine(os_transport(), BenchOptions{});
    auto s = short_run(TransportKind::UnixSeqpacket, BenchPattern::PingPong);
    s.type = PipeType::Message;
    s.message_size = 64ull << 20;  // far over any send buffer the kernel allows by default
    const auto r = engine.run(s);
    EXPECT_FALSE(r.ok);
    EXPECT_NE(r.error.find("largest message"), std::string::npos) << r.error;
    EXPECT_NE(r.error.find("--size"), std::string::npos) << r.error;
}

// Connect churn over seqpacket: every connection completes and is counted.
TEST(BenchRealSeqpacket, ChurnCompletesConnections) {
    if (!transport_available(TransportKind::UnixSeqpacket))
        GTEST_SKIP() << "AF_UNIX seqpacket sockets exist only in the POSIX build";
    BenchEngine engine(os_transport(), BenchOptions{});
    auto s = short_run(TransportKind::UnixSeqpacket, BenchPattern::Churn);
    s.type = PipeType::Message;
    s.verify = false;
    s.message_size = 64;
    s.message_count = 200;
    const auto r = engine.run(s);
    ASSERT_TRUE(r.ok) << r.error;
    EXPECT_EQ(r.summary.latency.count, 200u);
    EXPECT_EQ(r.summary.errors, 0u);
}
