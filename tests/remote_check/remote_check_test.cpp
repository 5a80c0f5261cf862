// remote_check: the order of the steps, stopping at the first failure, which step a failure is
// named after and what to do next (with a fake probe), and the real resolution and TCP steps
// against loopback ports that refuse and that never answer (natively and under Wine).
#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>

#include "pipescope/remote_check.hpp"
#include "remote_check/loopback_ports.hpp"

using namespace pipescope::core;
using namespace std::chrono_literals;

namespace {

PipeName remote(const std::string& text) {
    auto n = PipeName::parse(text);
    EXPECT_TRUE(n.ok()) << text;
    return *n;
}

// Each step answers what the test set; unset steps pass.
class FakeProbe : public RemoteCheckProbe {
  public:
    std::optional<Error> resolve_error, tcp_error, logon_error, open_error;
    bool redirector = false;  // logon reports nothing, as the Windows redirector
    int calls = 0;

    Result<std::vector<std::string>> resolve(const std::string& host, Deadline,
                                             std::stop_token) override {
        ++calls;
        if (resolve_error) return *resolve_error;
        return std::vector<std::string>{host == "server" ? "192.0.2.7" : host};
    }
    Result<std::string> connect_tcp(const std::vector<std::string>& a, std::uint16_t, Deadline,
                                    std::stop_token) override {
        ++calls;
        if (tcp_error) return *tcp_error;
        return a.front();
    }
    Result<SessionStepResult> logon(const std::string&, const std::string&, const RemoteOptions&,
                                    Deadline, std::stop_token) override {
        ++calls;
        if (logon_error) return *logon_error;
        if (redirector) return SessionStepResult{std::nullopt, "the redirector does not tell"};
        smb::SessionInfo i;
        i.dialect = smb::Dialect::Smb311;
        i.signing = true;
        i.server_requires_signing = true;
        return SessionStepResult{i, {}};
    }
    Result<OpenStepResult> open_pipe(const PipeName&, Deadline, std::stop_token) override {
        ++calls;
        if (open_error) return *open_error;
        smb::PipeInfo p;
        p.type = PipeType::Message;
        return OpenStepResult{p, "opened on IPC$"};
    }
};

RemoteCheckReport run(FakeProbe& probe, const std::string& name = "\\\\server\\pipe\\srvsvc") {
    RemoteCheckOptions o;
    o.remote.smb_port = 1445;
    auto r = remote_check(remote(name), o, probe);
    EXPECT_TRUE(r.ok());
    return r.ok() ? *r : RemoteCheckReport{};
}

void expect_results(const RemoteCheckReport& r, std::initializer_list<StepResult> want) {
    ASSERT_EQ(r.steps.size(), want.size());
    std::size_t i = 0;
    for (StepResult w : want) {
        EXPECT_EQ(r.steps[i].result, w) << to_string(r.steps[i].step);
        ++i;
    }
}

}  // namespace

TEST(RemoteCheck, AllStepsPassInOrder) {
    FakeProbe p;
    auto r = run(p);
    EXPECT_TRUE(r.ok);
    EXPECT_EQ(r.failed_step(), nullptr);
    expect_results(
        r, {StepResult::Passed, StepResult::Passed, StepResult::Passed, StepResult::Passed});
    EXPECT_EQ(r.steps[0].step, RemoteStep::NameResolution);
    EXPECT_EQ(r.steps[3].step, RemoteStep::PipeOpen);
    EXPECT_EQ(r.steps[0].detail, "192.0.2.7");
    EXPECT_EQ(r.steps[1].detail, "192.0.2.7:1445 accepted the connection");
    EXPECT_NE(r.steps[2].detail.find("SMB 3.1.1"), std::string::npos) << r.steps[2].detail;
    EXPECT_NE(r.steps[2].detail.find("signing on"), std::string::npos) << r.steps[2].detail;
    EXPECT_NE(r.steps[3].detail.find("message pipe"), std::string::npos) << r.steps[3].detail;
    const std::string text = format_remote_check(r);
    EXPECT_NE(text.find("result: the pipe can be opened"), std::string::npos) << text;
    EXPECT_EQ(p.calls, 4);
}

TEST(RemoteCheck, AnAddressNeedsNoResolution) {
    FakeProbe p;
    auto r = run(p, "\\\\10.1.2.3\\pipe\\x");
    EXPECT_EQ(r.steps[0].detail, "10.1.2.3 (an address: nothing to resolve)");
}

TEST(RemoteCheck, LocalNameIsRefused) {
    FakeProbe p;
    auto r = remote_check(remote("\\\\.\\pipe\\x"), RemoteCheckOptions{}, p);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::InvalidArgument);
    EXPECT_EQ(p.calls, 0);
}

TEST(RemoteCheck, UnresolvedNameStopsAtResolution) {
    FakeProbe p;
    p.resolve_error = make_error(ErrorCode::NotFound, "getaddrinfo", "nohost", "does not resolve");
    auto r = run(p, "\\\\nohost\\pipe\\x");
    EXPECT_FALSE(r.ok);
    expect_results(
        r, {StepResult::Failed, StepResult::NotRun, StepResult::NotRun, StepResult::NotRun});
    EXPECT_EQ(p.calls, 1);
    EXPECT_NE(r.steps[0].next.find("host name"), std::string::npos) << r.steps[0].next;
    EXPECT_NE(format_remote_check(r).find("result: failed at the name resolution step"),
              std::string::npos);
}

TEST(RemoteCheck, RefusedTcpSaysSmbIsNotReachable) {
    FakeProbe p;
    p.tcp_error = errno_error(ECONNREFUSED, "connect", "192.0.2.7 port 1445");
    auto r = run(p);
    expect_results(
        r, {StepResult::Passed, StepResult::Failed, StepResult::NotRun, StepResult::NotRun});
    ASSERT_TRUE(r.steps[1].error);
    const std::string msg = r.steps[1].error->to_string();
    EXPECT_NE(msg.find("SMB not reachable: server down or port blocked by a firewall"),
              std::string::npos)
        << msg;
    // The socket table's advice (stale socket files) means nothing for TCP: it is replaced.
    EXPECT_EQ(msg.find("socket file"), std::string::npos) << msg;
    EXPECT_NE(r.steps[1].next.find("--smb-port"), std::string::npos) << r.steps[1].next;
    EXPECT_NE(r.steps[1].next.find("1445"), std::string::npos) << r.steps[1].next;
}

TEST(RemoteCheck, TimedOutTcpSaysSmbIsNotReachable) {
    FakeProbe p;
    p.tcp_error = win32_error(10060, "connect", "192.0.2.7 port 1445");
    auto r = run(p);
    ASSERT_TRUE(r.steps[1].error);
    EXPECT_EQ(r.steps[1].error->code, ErrorCode::Timeout);
    EXPECT_NE(r.steps[1].error->to_string().find("WSAETIMEDOUT (10060)"), std::string::npos);
    EXPECT_NE(r.steps[1].error->message.find("SMB not reachable"), std::string::npos);
    EXPECT_NE(r.steps[1].next.find("firewall"), std::string::npos);
}

TEST(RemoteCheck, LogonFailureNamesTheSessionAndTheCredentials) {
    FakeProbe p;
    p.logon_error = ntstatus_error(0xC000006D, "SMB2 SESSION_SETUP", "\\\\server\\pipe\\srvsvc");
    auto r = run(p);
    expect_results(
        r, {StepResult::Passed, StepResult::Passed, StepResult::Failed, StepResult::NotRun});
    EXPECT_NE(r.steps[2].next.find("--password-file"), std::string::npos) << r.steps[2].next;
    // The error keeps its meaning; "Next:" is said once, by the step.
    const std::string text = format_remote_check(r);
    EXPECT_EQ(text.find("Next:"), text.rfind("Next:")) << text;
}

TEST(RemoteCheck, MissingPipeNamesTheOpen) {
    FakeProbe p;
    p.open_error = ntstatus_error(0xC0000034, "SMB2 CREATE", "\\\\server\\pipe\\nosuch");
    auto r = run(p, "\\\\server\\pipe\\nosuch");
    expect_results(
        r, {StepResult::Passed, StepResult::Passed, StepResult::Passed, StepResult::Failed});
    EXPECT_NE(r.steps[3].next.find("no pipe by that name"), std::string::npos);
    EXPECT_TRUE(r.session.has_value());
}

TEST(RemoteCheck, DeniedPipeMentionsRemoteClients) {
    FakeProbe p;
    p.open_error = ntstatus_error(0xC0000022, "SMB2 CREATE", "\\\\server\\pipe\\x");
    auto r = run(p);
    EXPECT_NE(r.steps[3].next.find("PIPE_REJECT_REMOTE_CLIENTS"), std::string::npos);
}

// Windows: the redirector logs on while opening; a refused logon is the session step's failure.
TEST(RemoteCheck, RedirectorLogonFailureIsTheSessionStep) {
    FakeProbe p;
    p.redirector = true;
    p.open_error = win32_error(1326, "CreateFileW", "\\\\server\\pipe\\x");
    auto r = run(p);
    expect_results(
        r, {StepResult::Passed, StepResult::Passed, StepResult::Failed, StepResult::NotRun});
    EXPECT_NE(r.steps[2].detail.find("the logon failed while the redirector opened the pipe"),
              std::string::npos);
    ASSERT_TRUE(r.steps[2].error);
    EXPECT_NE(r.steps[2].error->to_string().find("ERROR_LOGON_FAILURE (1326)"), std::string::npos);
}

TEST(RemoteCheck, RedirectorSessionIsNotReported) {
    FakeProbe p;
    p.redirector = true;
    auto r = run(p);
    EXPECT_TRUE(r.ok);
    expect_results(
        r, {StepResult::Passed, StepResult::Passed, StepResult::NotReported, StepResult::Passed});
    EXPECT_FALSE(r.session.has_value());
    // A missing pipe stays the open's failure.
    FakeProbe q;
    q.redirector = true;
    q.open_error = win32_error(2, "CreateFileW", "\\\\server\\pipe\\x");
    auto s = run(q);
    expect_results(
        s, {StepResult::Passed, StepResult::Passed, StepResult::NotReported, StepResult::Failed});
}

TEST(RemoteCheck, ReportNeverHoldsThePassword) {
    FakeProbe p;
    p.logon_error = ntstatus_error(0xC000006D, "SMB2 SESSION_SETUP", "server");
    RemoteCheckOptions o;
    o.remote.user = "WORKGROUP\\alice";
    o.remote.password = "Pw-7f3a91-secret";
    auto r = remote_check(remote("\\\\server\\pipe\\x"), o, p);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(format_remote_check(*r).find("Pw-7f3a91-secret"), std::string::npos);
}

TEST(RemoteCheck, EveryStepFailureHasANextStep) {
    const Error errors[] = {
        make_error(ErrorCode::NotFound, "a", "b", "c"),
        make_error(ErrorCode::Timeout, "a", "b", "c"),
        make_error(ErrorCode::AccessDenied, "a", "b", "c"),
        make_error(ErrorCode::Unsupported, "a", "b", "c"),
        make_error(ErrorCode::Cancelled, "a", "b", "c"),
        make_error(ErrorCode::Io, "a", "b", "c"),
    };
    for (RemoteStep s : kRemoteSteps)
        for (const auto& e : errors)
            EXPECT_GE(remote_step_next(s, e, 445).size(), 15u)
                << to_string(s) << " " << error_code_name(e.code);
}

// The real probe: the resolution and TCP steps on loopback.

TEST(RemoteCheckReal, ClosedPortFailsAtTcpRefused) {
    const std::uint16_t port = pipescope::test::closed_port();
    ASSERT_NE(port, 0);
    RemoteCheckOptions o;
    o.remote.smb_port = port;
    o.timeout = 10s;
    auto r = remote_check(remote("\\\\127.0.0.1\\pipe\\srvsvc"), o);
    ASSERT_TRUE(r.ok()) << r.error().to_string();
    const std::string text = format_remote_check(*r);
    expect_results(
        *r, {StepResult::Passed, StepResult::Failed, StepResult::NotRun, StepResult::NotRun});
    ASSERT_TRUE(r->steps[1].error) << text;
    EXPECT_EQ(r->steps[1].error->code, ErrorCode::ConnectionRefused) << text;
    EXPECT_NE(text.find("SMB not reachable"), std::string::npos) << text;
}

TEST(RemoteCheckReal, SilentPortFailsAtTcpWithinTheTimeout) {
    pipescope::test::SilentPort silent;
    if (silent.port() == 0) GTEST_SKIP() << "could not fill a loopback listener's backlog here";
    RemoteCheckOptions o;
    o.remote.smb_port = silent.port();
    o.timeout = 1500ms;
    auto r = remote_check(remote("\\\\127.0.0.1\\pipe\\srvsvc"), o);
    ASSERT_TRUE(r.ok()) << r.error().to_string();
    const std::string text = format_remote_check(*r);
    expect_results(
        *r, {StepResult::Passed, StepResult::Failed, StepResult::NotRun, StepResult::NotRun});
    ASSERT_TRUE(r->steps[1].error) << text;
    EXPECT_EQ(r->steps[1].error->code, ErrorCode::Timeout) << text;
    // Bounded by the check's own deadline, not the system's TCP timeout (minutes).
    EXPECT_NE(text.find("within the timeout"), std::string::npos) << text;
}

// TCP gets through but nothing answers SMB: the check passes TCP and fails after it, within its
// own bound. POSIX: the SMB session step times out. Windows: the redirector does the session
// (not reported) and its open fails (Wine has no redirector: the path is not found).
TEST(RemoteCheckReal, MuteServerFailsAfterTcpWithinTheTimeout) {
    pipescope::test::MutePort mute;
    ASSERT_NE(mute.port(), 0);
    RemoteCheckOptions o;
    o.remote.smb_port = mute.port();
    o.timeout = 2000ms;
    auto r = remote_check(remote("\\\\127.0.0.1\\pipe\\pipescope-mute"), o);
    ASSERT_TRUE(r.ok()) << r.error().to_string();
    const std::string text = format_remote_check(*r);
    EXPECT_EQ(r->steps[1].result, StepResult::Passed) << text;
    const auto* failed = r->failed_step();
    ASSERT_NE(failed, nullptr) << text;
#ifdef _WIN32
    EXPECT_EQ(r->steps[2].result, StepResult::NotReported) << text;
    EXPECT_EQ(failed->step, RemoteStep::PipeOpen) << text;
#else
    EXPECT_EQ(failed->step, RemoteStep::SmbSession) << text;
    ASSERT_TRUE(failed->error) << text;
    EXPECT_EQ(failed->error->code, ErrorCode::Timeout) << text;
    EXPECT_NE(failed->next.find("did not answer SMB"), std::string::npos) << text;
#endif
}

TEST(RemoteCheckReal, StopEndsASilentConnect) {
    pipescope::test::SilentPort silent;
    if (silent.port() == 0) GTEST_SKIP() << "could not fill a loopback listener's backlog here";
    RemoteCheckOptions o;
    o.remote.smb_port = silent.port();
    o.timeout = 60s;
    std::stop_source stop;
    std::jthread canceller([&stop] {
        std::this_thread::sleep_for(300ms);
        stop.request_stop();
    });
    auto r = remote_check(remote("\\\\127.0.0.1\\pipe\\srvsvc"), o, stop.get_token());
    ASSERT_TRUE(r.ok());
    ASSERT_TRUE(r->steps[1].error) << format_remote_check(*r);
    EXPECT_EQ(r->steps[1].error->code, ErrorCode::Cancelled);
}

TEST(RemoteCheckReal, UnknownHostFailsAtResolution) {
    RemoteCheckOptions o;
    o.timeout = 10s;
    // .invalid never resolves (RFC 6761).
    auto r = remote_check(remote("\\\\pipescope-no-such-host.invalid\\pipe\\x"), o);
    ASSERT_TRUE(r.ok());
    const std::string text = format_remote_check(*r);
    EXPECT_EQ(r->steps[0].result, StepResult::Failed) << text;
    ASSERT_TRUE(r->steps[0].error) << text;
    // NotFound, or Timeout where no resolver answers at all (an offline machine).
    EXPECT_TRUE(r->steps[0].error->code == ErrorCode::NotFound ||
                r->steps[0].error->code == ErrorCode::Timeout)
        << text;
    EXPECT_EQ(r->steps[1].result, StepResult::NotRun);
}
