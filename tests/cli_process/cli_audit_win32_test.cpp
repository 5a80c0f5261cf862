// pipescope-cli audit on Windows pipes (run under Wine): servers in other processes
// (pipe_holder) with known descriptors must give exactly the expected findings, principals
// and exit code in --json. What each case expects follows the evaluator's rules
// (access_check.hpp): a NULL DACL grants every right to everyone, Anonymous included; Anonymous
// is not a member of Everyone; an object without a label counts as Medium with no-write-up, so
// Low integrity and AppContainer principals may not write unless a Low label says so; generic
// and file write include FILE_CREATE_PIPE_INSTANCE. Wine enforces no DACL, but the audit never
// relies on the open being refused: it reads the descriptor and evaluates it.
// Natively these tests skip: the Linux audit is tested in cli_audit_test.cpp.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "pipescope/platform.hpp"
#include "support/child_process.hpp"

#ifdef _WIN32
#include <process.h>
#include <windows.h>
#else
#include <unistd.h>
#endif

using namespace std::chrono_literals;
using nlohmann::json;
using pipescope::test::built_program;
using pipescope::test::ChildProcess;

namespace {

// Findings as (kind, principal) pairs.
using Findings = std::multiset<std::pair<std::string, std::string>>;

// A name no other test and no other run uses, so --filter selects exactly the pipes made here.
std::string unique_audit_name(const char* what) {
    static std::atomic<int> n{0};
#ifdef _WIN32
    const int pid = ::_getpid();
#else
    const int pid = static_cast<int>(::getpid());
#endif
    return std::string("psaudit-w-") + std::to_string(pid) + "-" + std::to_string(++n) + "-" + what;
}

// A pipe_holder serving one name until the test ends (it exits when its stdin closes).
class Holder {
  public:
    // Empty when it started; else why not.
    std::string start(const std::string& name, const std::vector<std::string>& options) {
        std::vector<std::string> args{"pipe", name, "60000"};
        args.insert(args.end(), options.begin(), options.end());
        std::string err;
        if (!process_.start(built_program(PIPE_HOLDER_PATH), args, &err)) return err;
        for (;;) {
            auto line = process_.read_line(30s);
            if (!line) return "pipe_holder did not say it was ready";
            if (line->rfind("child ", 0) == 0) {
                child_pid_ = static_cast<std::uint32_t>(std::stoul(line->substr(6)));
                continue;
            }
            if (*line == "ready " + std::to_string(process_.pid())) return {};
            return "pipe_holder said: " + *line;
        }
    }
    [[nodiscard]] std::uint32_t pid() const { return process_.pid(); }
    [[nodiscard]] std::uint32_t child_pid() const { return child_pid_; }

  private:
    ChildProcess process_;
    std::uint32_t child_pid_ = 0;
};

struct AuditRun {
    int exit_code = -1;
    std::string out;
    json pipes;  // the --json array
};

AuditRun run_audit(const std::string& filter, const std::vector<std::string>& extra = {},
                   const std::string& timeout_ms = "5000") {
    AuditRun r;
    std::vector<std::string> args{"audit", "--json", "--filter", filter, "--timeout", timeout_ms};
    args.insert(args.end(), extra.begin(), extra.end());
    ChildProcess cli;
    std::string err;
    if (!cli.start(built_program(PIPESCOPE_CLI_EXE), args, &err)) {
        r.out = err;
        return r;
    }
    r.out = cli.read_all(60s);
    r.exit_code = cli.wait(30s).value_or(-1);
    r.pipes = json::parse(r.out, nullptr, false);
    return r;
}

// The one audited pipe of a run, or a null json (the test then fails saying what came out).
json only_pipe(const AuditRun& r) {
    if (!r.pipes.is_array() || r.pipes.size() != 1) return json();
    return r.pipes[0];
}

Findings findings_of(const json& pipe) {
    Findings f;
    for (const auto& x : pipe.value("findings", json::array())) {
        const json who = x.value("principal", json());
        f.emplace(x.value("kind", ""), who.is_string() ? who.get<std::string>() : "");
    }
    return f;
}

std::string describe(const Findings& f) {
    std::string s;
    for (const auto& [kind, who] : f) s += kind + "(" + who + ") ";
    return s.empty() ? "none" : s;
}

bool may(const json& pipe, const std::string& principal, const std::string& what) {
    const json access = pipe.value("access", json::object());
    if (!access.contains(principal)) return false;
    for (const auto& x : access[principal])
        if (x == what) return true;
    return false;
}

// Pipes made by pipe_holder and audited from another process: Windows only (the MinGW build,
// run under Wine).
class CliAuditWin32 : public ::testing::Test {
  protected:
    void SetUp() override {
#ifndef _WIN32
        GTEST_SKIP() << "Windows named pipes: these run in the MinGW build under Wine";
#endif
    }

    // Starts one holder, audits its name, and returns the single pipe (failing the test with
    // the CLI's output when there is not exactly one).
    json audit_one(const std::string& name, const std::vector<std::string>& holder_options,
                   AuditRun& run) {
        std::string err = holder_.start(name, holder_options);
        EXPECT_TRUE(err.empty()) << err;
        if (!err.empty()) return json();
        run = run_audit(name);
        json pipe = only_pipe(run);
        EXPECT_TRUE(pipe.is_object()) << "exit " << run.exit_code << ": " << run.out;
        if (pipe.is_object()) {
            EXPECT_EQ(pipe.value("name", ""), name);
            EXPECT_EQ(pipe.value("state", ""), "ok") << pipe.dump(1);
        }
        return pipe;
    }

    Holder holder_;
};

// SetSecurityDescriptorDacl(sd, TRUE, NULL): not from SDDL, which under Wine turns
// D:NO_ACCESS_CONTROL into an empty DACL (WINE.md).
TEST_F(CliAuditWin32, NullDaclGrantsEveryoneAndAnonymousEverything) {
    AuditRun run;
    json pipe = audit_one(unique_audit_name("null"), {"--null-dacl"}, run);
    ASSERT_TRUE(pipe.is_object());
    const Findings expected{{"null_dacl", "everyone"},
                            {"world_writable", "everyone"},
                            {"anonymous_writable", "anonymous"},
                            {"create_instance_granted", "everyone"},
                            {"remote_allowed", "network"}};
    EXPECT_EQ(findings_of(pipe), expected) << describe(findings_of(pipe)) << "\n" << pipe.dump(1);
    EXPECT_TRUE(may(pipe, "anonymous", "write")) << "a NULL DACL grants Anonymous too";
    EXPECT_FALSE(may(pipe, "low_integrity", "write")) << "no label: Medium, no-write-up";
    EXPECT_TRUE(may(pipe, "low_integrity", "read"));
    EXPECT_EQ(run.exit_code, 6) << "high findings";
}

TEST_F(CliAuditWin32, EveryoneFullControlIsWorldWritableButNotAnonymous) {
    AuditRun run;
    json pipe = audit_one(unique_audit_name("everyone"), {"--sddl", "D:(A;;FA;;;WD)"}, run);
    ASSERT_TRUE(pipe.is_object());
    const Findings expected{{"world_writable", "everyone"},
                            {"create_instance_granted", "everyone"},
                            {"remote_allowed", "network"}};
    EXPECT_EQ(findings_of(pipe), expected) << describe(findings_of(pipe)) << "\n" << pipe.dump(1);
    EXPECT_FALSE(may(pipe, "anonymous", "read")) << "Anonymous is not a member of Everyone";
    EXPECT_TRUE(may(pipe, "users", "create_instance"));
    EXPECT_EQ(run.exit_code, 6);
}

TEST_F(CliAuditWin32, AnonymousReadWriteIsAnonymousWritable) {
    AuditRun run;
    json pipe = audit_one(unique_audit_name("anon"), {"--sddl", "D:(A;;FRFW;;;AN)"}, run);
    ASSERT_TRUE(pipe.is_object());
    // FILE_GENERIC_WRITE holds FILE_APPEND_DATA, which is FILE_CREATE_PIPE_INSTANCE.
    const Findings expected{{"anonymous_writable", "anonymous"},
                            {"create_instance_granted", "anonymous"}};
    EXPECT_EQ(findings_of(pipe), expected) << describe(findings_of(pipe)) << "\n" << pipe.dump(1);
    EXPECT_TRUE(may(pipe, "anonymous", "read"));
    EXPECT_FALSE(may(pipe, "everyone", "read"));
    EXPECT_FALSE(may(pipe, "network", "read")) << "a remote user with an account is not AN";
    EXPECT_EQ(run.exit_code, 6);
}

TEST_F(CliAuditWin32, OwnerSystemAndAdministratorsOnlyHasNoFinding) {
    AuditRun run;
    json pipe = audit_one(unique_audit_name("owner"),
                          {"--sddl", "O:BAD:(A;;FA;;;SY)(A;;FA;;;BA)(A;;FA;;;OW)"}, run);
    ASSERT_TRUE(pipe.is_object());
    EXPECT_EQ(findings_of(pipe), Findings{}) << describe(findings_of(pipe)) << "\n" << pipe.dump(1);
    for (const char* who : {"everyone", "anonymous", "authenticated_users", "users", "network",
                            "low_integrity", "app_container"})
        EXPECT_FALSE(may(pipe, who, "read") || may(pipe, who, "write") ||
                     may(pipe, who, "create_instance"))
            << who;
    EXPECT_EQ(run.exit_code, 0) << run.out;
}

// The label (S:(ML;;NW;;;LW)) is kept by Wine on a pipe and read back with READ_CONTROL
// (measured): with it, Low integrity may write; AppContainer still needs an ACE of its own.
TEST_F(CliAuditWin32, LowLabelLetsLowIntegrityWrite) {
    AuditRun run;
    json pipe =
        audit_one(unique_audit_name("label"), {"--sddl", "D:(A;;FA;;;WD)S:(ML;;NW;;;LW)"}, run);
    ASSERT_TRUE(pipe.is_object());
    const Findings expected{{"world_writable", "everyone"},
                            {"low_integrity_writable", "low_integrity"},
                            {"create_instance_granted", "everyone"},
                            {"remote_allowed", "network"}};
    EXPECT_EQ(findings_of(pipe), expected) << describe(findings_of(pipe)) << "\n" << pipe.dump(1);
    EXPECT_FALSE(may(pipe, "app_container", "write")) << "no ACE for ALL APPLICATION PACKAGES";
    EXPECT_EQ(run.exit_code, 6);
}

// An AppContainer passes two checks: its token's (Everyone here) and one where only its
// package SID, ALL APPLICATION PACKAGES and its capabilities match; and, at Low, the label.
TEST_F(CliAuditWin32, AllApplicationPackagesAndALowLabelLetAnAppContainerWrite) {
    AuditRun run;
    json pipe = audit_one(unique_audit_name("appc"),
                          {"--sddl", "D:(A;;FA;;;WD)(A;;FA;;;S-1-15-2-1)S:(ML;;NW;;;LW)"}, run);
    ASSERT_TRUE(pipe.is_object());
    const Findings expected{{"world_writable", "everyone"},
                            {"low_integrity_writable", "low_integrity"},
                            {"appcontainer_writable", "app_container"},
                            {"create_instance_granted", "everyone"},
                            {"remote_allowed", "network"}};
    EXPECT_EQ(findings_of(pipe), expected) << describe(findings_of(pipe)) << "\n" << pipe.dump(1);
    EXPECT_EQ(run.exit_code, 6);
}

// Two processes, each with its own instance of one name: the squatting the handle table shows
// without probing, so --passive finds it too.
TEST_F(CliAuditWin32, TwoProcessesServingOneNameAreMultipleServers) {
    const std::string name = unique_audit_name("squat");
    const std::vector<std::string> quiet{"--sddl", "D:(A;;FA;;;SY)(A;;FA;;;BA)(A;;FA;;;OW)"};
    Holder first, second;
    std::string err = first.start(name, quiet);
    ASSERT_TRUE(err.empty()) << err;
    err = second.start(name, quiet);
    ASSERT_TRUE(err.empty()) << err;
    for (bool passive : {false, true}) {
        AuditRun run = run_audit(
            name, passive ? std::vector<std::string>{"--passive"} : std::vector<std::string>{});
        json pipe = only_pipe(run);
        ASSERT_TRUE(pipe.is_object()) << "exit " << run.exit_code << ": " << run.out;
        EXPECT_EQ(pipe.value("state", ""), passive ? "passive" : "ok");
        EXPECT_EQ(pipe.value("server_processes", 0), 2);
        std::set<std::uint32_t> pids;
        for (const auto& p : pipe.value("server_pids", json::array()))
            pids.insert(p.is_object() ? p.value("pid", 0u) : p.get<std::uint32_t>());
        EXPECT_EQ(pids, (std::set<std::uint32_t>{first.pid(), second.pid()}));
        EXPECT_EQ(findings_of(pipe), (Findings{{"multiple_servers", ""}}))
            << describe(findings_of(pipe)) << "\n"
            << pipe.dump(1);
        EXPECT_EQ(run.exit_code, 6) << "multiple servers of a Windows pipe is high";
    }
}

// A child that inherited its parent's server handle serves the same pipe object: not squatting.
TEST_F(CliAuditWin32, AnInheritedServerHandleIsNotMultipleServers) {
    AuditRun run;
    json pipe = audit_one(unique_audit_name("inherit"),
                          {"--child", "--sddl", "D:(A;;FA;;;SY)(A;;FA;;;BA)(A;;FA;;;OW)"}, run);
    ASSERT_TRUE(pipe.is_object());
    ASSERT_NE(holder_.child_pid(), 0u);
    EXPECT_EQ(pipe.value("server_pids", json::array()).size(), 2u) << pipe.dump(1);
    EXPECT_EQ(pipe.value("server_processes", 0), 1);
    EXPECT_EQ(findings_of(pipe), Findings{}) << describe(findings_of(pipe));
    EXPECT_EQ(run.exit_code, 0) << run.out;
}

// Every instance taken: the audit's probe cannot get in, so the descriptor is read from the
// server's own handle (duplicated from its process) without connecting.
TEST_F(CliAuditWin32, ABusyPipeIsAuditedFromItsServersHandle) {
#ifdef _WIN32
    const std::string name = unique_audit_name("busy");
    std::string err = holder_.start(name, {"--max-instances", "1", "--sddl", "D:(A;;FA;;;WD)"});
    ASSERT_TRUE(err.empty()) << err;
    const std::wstring path = L"\\\\.\\pipe\\" + std::wstring(name.begin(), name.end());
    HANDLE client = ::CreateFileW(path.c_str(), GENERIC_READ | GENERIC_WRITE, 0, nullptr,
                                  OPEN_EXISTING, 0, nullptr);
    ASSERT_NE(client, INVALID_HANDLE_VALUE) << "the only instance is now taken";
    AuditRun run = run_audit(name, {}, "300");
    ::CloseHandle(client);
    json pipe = only_pipe(run);
    ASSERT_TRUE(pipe.is_object()) << "exit " << run.exit_code << ": " << run.out;
    EXPECT_EQ(pipe.value("state", ""), "ok") << pipe.dump(1);
    EXPECT_NE(pipe.value("note", "").find("without connecting"), std::string::npos) << pipe.dump(1);
    const Findings expected{{"world_writable", "everyone"},
                            {"create_instance_granted", "everyone"},
                            {"remote_allowed", "network"}};
    EXPECT_EQ(findings_of(pipe), expected) << describe(findings_of(pipe));
    EXPECT_EQ(run.exit_code, 6);
#endif
}

// Wine keeps no descriptor for a pipe created without security attributes; its bytes would
// read as a NULL DACL. The audit must say there is none, not raise null_dacl.
TEST_F(CliAuditWin32, NoDescriptorIsSaidNotTakenForANullDacl) {
    if (!pipescope::core::is_wine())
        GTEST_SKIP() << "Windows gives such a pipe the creator's default DACL";
    const std::string name = unique_audit_name("nosa");
    std::string err = holder_.start(name, {});
    ASSERT_TRUE(err.empty()) << err;
    AuditRun run = run_audit(name);
    json pipe = only_pipe(run);
    ASSERT_TRUE(pipe.is_object()) << "exit " << run.exit_code << ": " << run.out;
    EXPECT_EQ(findings_of(pipe), Findings{}) << describe(findings_of(pipe));
    EXPECT_NE(pipe.value("state", ""), "ok");
    EXPECT_NE(pipe.value("note", "").find("no security descriptor"), std::string::npos)
        << pipe.dump(1);
    EXPECT_EQ(run.exit_code, 0);
}

}  // namespace
