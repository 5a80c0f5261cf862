// Remote-check: the path to a remote pipe (\\host\pipe\x) diagnosed step by step, in the order
// a connection takes it, stopping at the first failure with what to do next:
//   1. name resolution   the host name to addresses (an address needs none)
//   2. TCP connect       to the SMB port (445, or RemoteOptions::smb_port); refused or timed out
//                        means SMB is not reachable: the server is down or a firewall blocks it
//   3. SMB session       negotiate (dialect), session setup (authentication by name), signing,
//                        tree connect to IPC$
//   4. pipe open         CREATE of the pipe: not found, access denied, rejected as remote
// POSIX runs steps 3 and 4 with the project's SMB client (pipescope/smb.hpp). Windows opens the
// pipe through the OS redirector (CreateFileW on \\host\pipe\x, identification QoS): it always
// uses port 445 and the logged-on user, sets up the session itself and reports neither dialect
// nor signing, so step 3 says so (NotReported) and a logon error from the open is shown there.
// --smb-port on Windows applies to the TCP step only.
//
// Every step is bounded (the whole check by RemoteCheckOptions::timeout) and cancellable.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "pipescope/pipe_name.hpp"
#include "pipescope/result.hpp"
#include "pipescope/smb.hpp"
#include "pipescope/transport.hpp"

namespace pipescope::core {

enum class RemoteStep { NameResolution, TcpConnect, SmbSession, PipeOpen };
inline constexpr RemoteStep kRemoteSteps[] = {RemoteStep::NameResolution, RemoteStep::TcpConnect,
                                              RemoteStep::SmbSession, RemoteStep::PipeOpen};
// "name resolution", "TCP connect", "SMB session", "pipe open".
[[nodiscard]] std::string_view to_string(RemoteStep step);

enum class StepResult {
    Passed,
    Failed,
    NotReported,  // done by someone who does not tell (the Windows redirector's SMB session)
    NotRun,       // an earlier step failed
};
[[nodiscard]] std::string_view to_string(StepResult result);  // "ok", "FAILED", ...

struct RemoteStepReport {
    RemoteStep step = RemoteStep::NameResolution;
    StepResult result = StepResult::NotRun;
    std::chrono::milliseconds elapsed{0};
    std::string detail;          // what the step found or did, in words
    std::optional<Error> error;  // Failed only: the API, the code by name, its meaning
    std::string next;            // Failed: what to do next, in words
};

struct RemoteCheckOptions {
    RemoteOptions remote;    // SMB port, user, password (never printed), signing, encryption
    Timeout timeout{10000};  // bound for the whole check
};

struct RemoteCheckReport {
    std::string target;  // \\host\pipe\name
    std::string host;
    std::string pipe;  // the name under \pipe\ (e.g. "srvsvc")
    std::uint16_t port = 445;
    std::vector<RemoteStepReport> steps;  // always all four, in order
    bool ok = false;                      // every step that ran passed
    std::chrono::milliseconds elapsed{0};
    std::optional<smb::SessionInfo> session;  // what the SMB session step learnt (POSIX)
    std::optional<smb::PipeInfo> pipe_info;   // what the open told about the pipe
    // The step that failed, if any.
    [[nodiscard]] const RemoteStepReport* failed_step() const;
};

// What a probe's SMB session step learnt: the session (POSIX), or nothing plus why (Windows).
struct SessionStepResult {
    std::optional<smb::SessionInfo> info;
    std::string note;  // when info is empty: why it is not reported
};
struct OpenStepResult {
    std::optional<smb::PipeInfo> info;
    std::string detail;  // e.g. "opened through the Windows redirector (port 445)"
};

// The four steps as a platform does them; tests drive remote_check with a fake. One probe runs
// one check on one thread; the deadline bounds each call, `stop` cancels it promptly.
class RemoteCheckProbe {
  public:
    using Deadline = std::chrono::steady_clock::time_point;
    virtual ~RemoteCheckProbe() = default;
    // The host's addresses as text ("127.0.0.1", "::1"). Errors: NotFound for a name that does
    // not resolve, Timeout.
    virtual Result<std::vector<std::string>> resolve(const std::string& host, Deadline deadline,
                                                     std::stop_token stop) = 0;
    // Connects to each address in turn until one answers; returns the one that did. Errors:
    // ConnectionRefused, Timeout (the last address's).
    virtual Result<std::string> connect_tcp(const std::vector<std::string>& addresses,
                                            std::uint16_t port, Deadline deadline,
                                            std::stop_token stop) = 0;
    // The SMB session with `address` (where the TCP step got through).
    virtual Result<SessionStepResult> logon(const std::string& host, const std::string& address,
                                            const RemoteOptions& remote, Deadline deadline,
                                            std::stop_token stop) = 0;
    virtual Result<OpenStepResult> open_pipe(const PipeName& name, Deadline deadline,
                                             std::stop_token stop) = 0;
};

// This platform's probe (POSIX: sockets and smb::Session; Windows: Winsock and the redirector).
[[nodiscard]] std::unique_ptr<RemoteCheckProbe> make_remote_check_probe();

// Runs the check for a remote `name` (\\host\pipe\x; host not "."). Returns within about
// options.timeout; `stop` ends it promptly (the running step then fails as Cancelled). Errors:
// InvalidArgument for a local name. Any thread.
[[nodiscard]] Result<RemoteCheckReport> remote_check(const PipeName& name,
                                                     const RemoteCheckOptions& options,
                                                     std::stop_token stop = {});
// The same with a given probe (tests).
[[nodiscard]] Result<RemoteCheckReport> remote_check(const PipeName& name,
                                                     const RemoteCheckOptions& options,
                                                     RemoteCheckProbe& probe,
                                                     std::stop_token stop = {});

// What to do after `step` failed with `error`, in words (also in RemoteStepReport::next).
// Portable, so the wording is tested everywhere. Any thread.
[[nodiscard]] std::string remote_step_next(RemoteStep step, const Error& error, std::uint16_t port);
// Whether an error from opening a pipe through the Windows redirector is really the SMB
// session's (a logon failure, a blocked guest logon ...), so the check names that step.
[[nodiscard]] bool is_session_error(const Error& error);

// The report as text lines ("1. name resolution   ok   0 ms   127.0.0.1"), for the CLI and
// the GUI's copy button. Never contains a password. Any thread.
[[nodiscard]] std::string format_remote_check(const RemoteCheckReport& report);

}  // namespace pipescope::core
