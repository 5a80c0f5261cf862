// `pipescope-cli remote-check` and `inspect` against a real Samba (smbd from a private
// configuration on a loopback port, tests/support/samba_fixture.hpp): every step passes for
// srvsvc as guest and as a user with signing required; a wrong pipe name fails at the pipe
// open, bad credentials (map to guest = never) at the SMB session, a closed port at TCP, each
// with its error by name. POSIX only (Windows reaches remote pipes through its redirector,
// which Wine does not have); skipped with the reason when smbd is missing or not root.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <string>

#include <nlohmann/json.hpp>

#include "remote_check/loopback_ports.hpp"
#include "support/child_process.hpp"
#include "support/samba_fixture.hpp"

using namespace std::chrono_literals;
using pipescope::test::SambaOptions;
using pipescope::test::SambaServer;

namespace {

using Run = pipescope::test::ProgramRun;

Run cli(const std::vector<std::string>& args) {
    Run r = pipescope::test::run_program(pipescope::test::built_program(PIPESCOPE_CLI_PATH), args);
    if (!r.start_error.empty()) ADD_FAILURE() << r.start_error;
    return r;
}

nlohmann::json parse(const Run& r) {
    auto j = nlohmann::json::parse(r.out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r.out;
    return j;
}

// Starts Samba with `options`, or skips (not installed, not root) / fails with smbd's log.
#define START_SAMBA(server, options)                                            \
    do {                                                                        \
        if (auto why = SambaServer::unavailable_reason()) GTEST_SKIP() << *why; \
        std::string error_;                                                     \
        ASSERT_TRUE((server).start((options), &error_)) << error_;              \
    } while (0)

std::vector<std::string> check_args(const SambaServer& s, const std::string& pipe) {
    return {"remote-check", "\\\\127.0.0.1\\pipe\\" + pipe,
            "--smb-port",   std::to_string(s.port()),
            "--timeout",    "20000",
            "--json"};
}

}  // namespace

TEST(RemoteCheckSamba, GuestReachesSrvsvc) {
    SambaServer samba;
    START_SAMBA(samba, SambaOptions{});
    auto r = cli(check_args(samba, "srvsvc"));
    ASSERT_EQ(r.exit_code, 0) << r.out << samba.log_tail();
    auto j = parse(r);
    EXPECT_EQ(j["ok"], true);
    for (const auto& s : j["steps"]) EXPECT_EQ(s["result"], "ok") << s.dump();
    EXPECT_EQ(j["session"]["guest"], true) << r.out;
    // The text a user reads: every step ok, the dialect, and what to do next.
    auto text = cli({"remote-check", "\\\\127.0.0.1\\pipe\\srvsvc", "--smb-port",
                     std::to_string(samba.port())});
    EXPECT_EQ(text.exit_code, 0) << text.out;
    EXPECT_NE(text.out.find("3. SMB session      ok"), std::string::npos) << text.out;
    EXPECT_NE(text.out.find("result: the pipe can be opened"), std::string::npos) << text.out;
    std::printf("%s", text.out.c_str());
    EXPECT_TRUE(std::string(j["session"]["dialect"]).rfind("3.", 0) == 0 ||
                std::string(j["session"]["dialect"]).rfind("2.", 0) == 0)
        << r.out;
}

TEST(RemoteCheckSamba, UserWithMandatorySigningReachesSrvsvc) {
    SambaServer samba;
    SambaOptions o;
    o.signing_mandatory = true;
    o.map_to_guest_never = true;
    START_SAMBA(samba, o);
    auto args = check_args(samba, "srvsvc");
    args.insert(args.end(), {"--user", samba.qualified_user(), "--password-file",
                             samba.password_file(), "--require-signing"});
    auto r = cli(args);
    ASSERT_EQ(r.exit_code, 0) << r.out << samba.log_tail();
    auto j = parse(r);
    EXPECT_EQ(j["session"]["guest"], false) << r.out;
    EXPECT_EQ(j["session"]["signing"], true) << r.out;
    EXPECT_EQ(j["session"]["server_requires_signing"], true) << r.out;
    EXPECT_EQ(r.out.find(samba.password()), std::string::npos) << "the password was printed";
}

TEST(RemoteCheckSamba, WrongPipeNameFailsAtTheOpen) {
    SambaServer samba;
    START_SAMBA(samba, SambaOptions{});
    auto r = cli(check_args(samba, "pipescope-no-such-pipe"));
    ASSERT_EQ(r.exit_code, 5) << r.out << samba.log_tail();
    auto j = parse(r);
    EXPECT_EQ(j["failed_step"], "pipe open") << r.out;
    EXPECT_EQ(j["steps"][2]["result"], "ok") << r.out;
    EXPECT_EQ(j["steps"][3]["error"]["kind"], "not found") << r.out;
    EXPECT_NE(std::string(j["steps"][3]["next"]).find("no pipe by that name"), std::string::npos);
}

TEST(RemoteCheckSamba, BadCredentialsFailAtTheSession) {
    SambaServer samba;
    SambaOptions o;
    o.map_to_guest_never = true;
    START_SAMBA(samba, o);
    auto args = check_args(samba, "srvsvc");
    args.insert(args.end(),
                {"--user", samba.qualified_user(), "--password-file", samba.wrong_password_file()});
    auto r = cli(args);
    ASSERT_EQ(r.exit_code, 4) << r.out << samba.log_tail();
    auto j = parse(r);
    EXPECT_EQ(j["failed_step"], "SMB session") << r.out;
    EXPECT_EQ(j["steps"][1]["result"], "ok");
    EXPECT_EQ(j["steps"][2]["error"]["code_name"], "STATUS_LOGON_FAILURE (0xC000006D)") << r.out;
    EXPECT_NE(std::string(j["steps"][2]["next"]).find("password"), std::string::npos) << r.out;
    EXPECT_EQ(j["steps"][3]["result"], "not run");
}

// A server that requires SMB3 encryption (smb encrypt = required): the session step passes
// encrypted and says so.
TEST(RemoteCheckSamba, RequiredEncryptionIsReportedAtTheSession) {
    SambaServer samba;
    SambaOptions o;
    o.encrypt_required = true;
    START_SAMBA(samba, o);
    auto args = check_args(samba, "srvsvc");
    args.insert(args.end(),
                {"--user", samba.qualified_user(), "--password-file", samba.password_file()});
    auto r = cli(args);
    ASSERT_EQ(r.exit_code, 0) << r.out << samba.log_tail();
    auto j = parse(r);
    EXPECT_EQ(j["session"]["encryption"], true) << r.out;
    EXPECT_NE(std::string(j["steps"][2]["detail"]).find("encryption on"), std::string::npos)
        << r.out;
}

TEST(RemoteCheckSamba, ClosedPortFailsAtTcpWhileSambaRunsElsewhere) {
    SambaServer samba;
    START_SAMBA(samba, SambaOptions{});
    const std::uint16_t closed = pipescope::test::closed_port();
    ASSERT_NE(closed, 0);
    auto r = cli({"remote-check", "\\\\127.0.0.1\\pipe\\srvsvc", "--smb-port",
                  std::to_string(closed), "--json"});
    ASSERT_EQ(r.exit_code, 3) << r.out;
    EXPECT_EQ(parse(r)["failed_step"], "TCP connect") << r.out;
}

TEST(InspectSamba, ReportsTheRemotePipe) {
    SambaServer samba;
    START_SAMBA(samba, SambaOptions{});
    auto r = cli({"inspect", "\\\\127.0.0.1\\pipe\\srvsvc", "--smb-port",
                  std::to_string(samba.port()), "--timeout", "20000", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.out << samba.log_tail();
    auto j = parse(r);
    EXPECT_EQ(j["state"], "ok") << r.out;
    EXPECT_EQ(j["connected"], true);
    EXPECT_EQ(j["kind"], "remote pipe (SMB)") << r.out;
    // The type where the server answers FilePipeLocalInformation (Samba's RPC pipes are message
    // pipes); Samba 4.17 does not, and the field then says so instead of guessing.
    if (j["fields"]["type"]["state"] == "ok")
        EXPECT_EQ(j["type"], "message") << r.out;
    else
        EXPECT_EQ(j["fields"]["type"]["note"], "the server did not answer this query") << r.out;
    EXPECT_FALSE(j["smb_dialect"].is_null()) << r.out;
    EXPECT_FALSE(j["smb_signing"].is_null()) << r.out;
}

TEST(InspectSamba, MissingRemotePipeIsNotFound) {
    SambaServer samba;
    START_SAMBA(samba, SambaOptions{});
    auto r = cli({"inspect", "\\\\127.0.0.1\\pipe\\pipescope-no-such-pipe", "--smb-port",
                  std::to_string(samba.port()), "--timeout", "20000", "--json"});
    EXPECT_EQ(r.exit_code, 2) << r.out;
    EXPECT_EQ(parse(r)["state"], "not found") << r.out;
}
