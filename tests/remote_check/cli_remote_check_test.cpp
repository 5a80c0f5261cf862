// `pipescope-cli remote-check` as a user runs it (natively, and the Windows exe under Wine, which
// has no SMB redirector): against a closed port and a port that never answers it names the TCP
// step, ends within its --timeout, and exits with the TCP step's code (3).
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include <nlohmann/json.hpp>

#include "remote_check/loopback_ports.hpp"
#include "support/child_process.hpp"

using namespace std::chrono_literals;

namespace {

using Run = pipescope::test::ProgramRun;

Run remote_check(const std::vector<std::string>& args) {
    std::vector<std::string> all{"remote-check"};
    all.insert(all.end(), args.begin(), args.end());
    Run r = pipescope::test::run_program(pipescope::test::built_program(PIPESCOPE_CLI_PATH), all);
    if (!r.start_error.empty()) ADD_FAILURE() << r.start_error;
    return r;
}

nlohmann::json parse(const Run& r) {
    auto j = nlohmann::json::parse(r.out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r.out;
    return j;
}

}  // namespace

TEST(CliRemoteCheck, ClosedPortNamesTheTcpStep) {
    const std::uint16_t port = pipescope::test::closed_port();
    ASSERT_NE(port, 0);
    auto r = remote_check({"\\\\127.0.0.1\\pipe\\srvsvc", "--smb-port", std::to_string(port),
                           "--timeout", "10000", "--json"});
    ASSERT_EQ(r.exit_code, 3) << r.out;
    auto j = parse(r);
    EXPECT_EQ(j["failed_step"], "TCP connect") << r.out;
    EXPECT_EQ(j["smb_port"], port);
    EXPECT_EQ(j["steps"][0]["result"], "ok");
    EXPECT_EQ(j["steps"][1]["result"], "FAILED");
    EXPECT_EQ(j["steps"][1]["error"]["kind"], "connection refused") << r.out;
    EXPECT_EQ(j["steps"][2]["result"], "not run");
    EXPECT_EQ(j["steps"][3]["result"], "not run");
    const std::string message = j["steps"][1]["error"]["message"];
    EXPECT_NE(message.find("SMB not reachable: server down or port blocked by a firewall"),
              std::string::npos)
        << message;
}

TEST(CliRemoteCheck, SilentPortEndsWithinTheTimeoutAtTheTcpStep) {
    pipescope::test::SilentPort silent;
    if (silent.port() == 0) GTEST_SKIP() << "could not fill a loopback listener's backlog here";
    auto r = remote_check({"\\\\127.0.0.1\\pipe\\srvsvc", "--smb-port",
                           std::to_string(silent.port()), "--timeout", "2000", "--json"});
    ASSERT_EQ(r.exit_code, 3) << r.out;
    auto j = parse(r);
    EXPECT_EQ(j["failed_step"], "TCP connect") << r.out;
    EXPECT_EQ(j["steps"][1]["error"]["kind"], "timeout") << r.out;
    // The check's own bound ended it (2 s), not the system's TCP timeout (minutes): the step's
    // time is the bound's, give or take the resolution step before it.
    const long long tcp_ms = j["steps"][1]["elapsed_ms"];
    const long long total_ms = j["elapsed_ms"];
    EXPECT_LE(tcp_ms, total_ms);
    EXPECT_NE(std::string(j["steps"][1]["error"]["message"]).find("within the timeout"),
              std::string::npos)
        << r.out;
}

TEST(CliRemoteCheck, TextOutputListsEveryStep) {
    const std::uint16_t port = pipescope::test::closed_port();
    ASSERT_NE(port, 0);
    auto r = remote_check({"\\\\127.0.0.1\\pipe\\srvsvc", "--smb-port", std::to_string(port)});
    ASSERT_EQ(r.exit_code, 3) << r.out;
    for (const char* line : {"1. name resolution", "2. TCP connect", "3. SMB session",
                             "4. pipe open", "Next: ", "result: failed at the TCP connect step"})
        EXPECT_NE(r.out.find(line), std::string::npos) << line << "\n" << r.out;
}

TEST(CliRemoteCheck, LocalNameIsBadInput) {
    auto r = remote_check({"\\\\.\\pipe\\x"});
    EXPECT_EQ(r.exit_code, 1);
}
