// The remote-check's order and wording; the steps themselves are the platform probe's
// (remote/posix/remote_probe_posix.cpp, remote/win32/remote_probe_win32.cpp).
#include "pipescope/remote_check.hpp"

#include <algorithm>
#include <cstdio>
#include <initializer_list>

namespace pipescope::core {
namespace {

using Clock = std::chrono::steady_clock;

std::chrono::milliseconds since(Clock::time_point t0) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0);
}

bool in(std::int64_t code, std::initializer_list<std::int64_t> codes) {
    return std::find(codes.begin(), codes.end(), code) != codes.end();
}

bool nt(const Error& e, std::initializer_list<std::int64_t> codes) {
    return e.os_kind == OsCodeKind::NtStatus && in(e.os_code, codes);
}
bool w32(const Error& e, std::initializer_list<std::int64_t> codes) {
    return e.os_kind == OsCodeKind::Win32 && in(e.os_code, codes);
}

// NTSTATUS and Win32 codes of a refused logon.
constexpr std::int64_t kStatusLogonFailure = 0xC000006D, kStatusWrongPassword = 0xC000006A,
                       kStatusNoSuchUser = 0xC0000064, kStatusAccountRestriction = 0xC000006E,
                       kStatusInvalidLogonHours = 0xC000006F,
                       kStatusInvalidWorkstation = 0xC0000070, kStatusPasswordExpired = 0xC0000071,
                       kStatusAccountDisabled = 0xC0000072, kStatusAccountExpired = 0xC0000193,
                       kStatusAccountLockedOut = 0xC0000234,
                       kStatusLogonTypeNotGranted = 0xC000015B,
                       kStatusPasswordMustChange = 0xC0000224, kStatusAccessDenied = 0xC0000022,
                       kStatusNotSupported = 0xC00000BB;
constexpr std::int64_t kErrorInvalidPassword = 86, kErrorSessionCredentialConflict = 1219,
                       kErrorSmbGuestLogonBlocked = 1272, kErrorLogonFailure = 1326,
                       kErrorAccountRestriction = 1327, kErrorInvalidLogonHours = 1328,
                       kErrorInvalidWorkstation = 1329, kErrorPasswordExpired = 1330,
                       kErrorAccountDisabled = 1331, kErrorLogonTypeNotGranted = 1385,
                       kErrorPasswordMustChange = 1907, kErrorAccountLockedOut = 1909,
                       kErrorBadNetpath = 53, kErrorNetworkUnreachable = 1231,
                       kErrorHostUnreachable = 1232;

bool bad_credentials(const Error& e) {
    return nt(e, {kStatusLogonFailure, kStatusWrongPassword, kStatusNoSuchUser}) ||
           w32(e, {kErrorLogonFailure, kErrorInvalidPassword});
}
bool account_cannot_log_on(const Error& e) {
    return nt(e,
              {kStatusAccountRestriction, kStatusInvalidLogonHours, kStatusInvalidWorkstation,
               kStatusPasswordExpired, kStatusAccountDisabled, kStatusAccountExpired,
               kStatusAccountLockedOut, kStatusLogonTypeNotGranted, kStatusPasswordMustChange}) ||
           w32(e, {kErrorAccountRestriction, kErrorInvalidLogonHours, kErrorInvalidWorkstation,
                   kErrorPasswordExpired, kErrorAccountDisabled, kErrorLogonTypeNotGranted,
                   kErrorPasswordMustChange, kErrorAccountLockedOut});
}

std::string resolution_next(const Error& e) {
    if (e.code == ErrorCode::Timeout)
        return "the resolver did not answer in time: check the DNS server, or give the host's "
               "IP address instead of its name";
    if (e.code == ErrorCode::Cancelled) return "run the check again";
    return "check the host name for typos, or give its IP address; the name must resolve "
           "here (DNS, /etc/hosts or the Windows hosts file)";
}

std::string tcp_next(const Error& e, std::uint16_t port) {
    const std::string p = std::to_string(port);
    if (e.code == ErrorCode::Cancelled) return "run the check again";
    if (e.code == ErrorCode::ConnectionRefused)
        return "check the server runs SMB (Windows: the Server service; Samba: smbd) on port " + p +
               " (a server on another port: give that port, the SMB port setting or --smb-port) "
               "and that no firewall rejects TCP " +
               p;
    if (e.code == ErrorCode::Timeout)
        return "check the host is up and that TCP " + p +
               " is open between here and there (a firewall that drops packets, or a host that "
               "is off, gives no answer at all)";
    if (e.os_kind == OsCodeKind::Win32 &&
        in(e.os_code, {kErrorNetworkUnreachable, kErrorHostUnreachable, 10051, 10065}))
        return "no route to the host: check the address and this machine's network";
    return "check the host is up, the address is right and TCP " + p +
           " is open between here and there";
}

std::string session_next(const Error& e) {
    if (e.code == ErrorCode::Cancelled) return "run the check again";
    if (bad_credentials(e))
        return "the server refused the user name or password: check the user (DOMAIN\\user, "
               "--user) and the password in the password file (--password-file); a server that "
               "maps no one to guest refuses unknown users outright";
    if (account_cannot_log_on(e))
        return "the account exists but may not log on now (disabled, locked, expired or "
               "restricted): ask the server's administrator";
    if (w32(e, {kErrorSmbGuestLogonBlocked}))
        return "this Windows refuses guest logons to SMB servers: connect with a user "
               "(net use \\\\host\\IPC$ /user:DOMAIN\\user), or allow insecure guest logons "
               "by policy";
    if (w32(e, {kErrorSessionCredentialConflict}))
        return "this Windows already has a connection to the server under other credentials: "
               "close it (net use \\\\host\\IPC$ /delete) and try again";
    if (nt(e, {kStatusAccessDenied}) || e.code == ErrorCode::AccessDenied)
        return "the server refused this logon: give a user it knows and a password file "
               "(--user DOMAIN\\user --password-file F), or allow guest access on the server";
    if (e.code == ErrorCode::Unsupported || nt(e, {kStatusNotSupported}))
        return "the server and PipeScope share no SMB dialect or feature asked for (PipeScope "
               "speaks SMB 2.1 to 3.1.1; signing and encryption as asked): check the server's "
               "minimum and maximum protocol, or ask for less";
    if (e.code == ErrorCode::Timeout)
        return "TCP got through but the server did not answer SMB in time: check it is an SMB "
               "server on that port and not overloaded, or raise the timeout";
    if (e.code == ErrorCode::BrokenPipe)
        return "the server closed the connection during the session setup: its log says why "
               "(Samba: raise 'log level'); it may refuse this client's address or dialect";
    if (w32(e, {kErrorBadNetpath}))
        return "the Windows redirector could not reach the host over SMB although TCP got "
               "through: check the Workstation service runs and SMB client policies";
    return "the server's log says more (Samba: raise 'log level')";
}

std::string open_next(const Error& e) {
    if (e.code == ErrorCode::Cancelled) return "run the check again";
    if (e.code == ErrorCode::NotFound)
        return "the server has no pipe by that name: check the part after \\pipe\\ (Windows "
               "and Samba serve srvsvc, lsarpc, samr, winreg ...), or start the pipe's server "
               "first; `pipescope-cli list` on the server shows its pipes";
    if (e.code == ErrorCode::AccessDenied)
        return "the server refused this user the pipe, or the pipe rejects remote clients "
               "(PIPE_REJECT_REMOTE_CLIENTS; PipeScope's own test server sets it unless told "
               "otherwise): log on as a user the pipe's DACL allows, or create the pipe "
               "accepting remote clients";
    if (e.code == ErrorCode::Busy)
        return "every instance of the pipe is busy: retry later, or raise the server's max "
               "instances";
    if (e.code == ErrorCode::Timeout)
        return "the open did not finish in time: raise the timeout, or check the server is not "
               "overloaded";
    return "the error above names the cause; `inspect` on the server shows the pipe's security";
}

void finish_step(RemoteStepReport& s, Clock::time_point t0) {
    s.elapsed = since(t0);
}

// The TCP step's failures in the words the issue asks for: refused and timed out both mean SMB
// cannot be reached, whatever socket API said it.
void word_tcp_error(Error& e, std::uint16_t port) {
    const std::string p = std::to_string(port);
    if (e.code == ErrorCode::ConnectionRefused)
        e.message = "connection refused on TCP " + p +
                    ": SMB not reachable: server down or port blocked by a firewall";
    else if (e.code == ErrorCode::Timeout)
        e.message = "no answer on TCP " + p +
                    " within the timeout: SMB not reachable: server down or port blocked by a "
                    "firewall";
}

// The step gives its own next step; the error keeps its meaning only, so "Next:" is said once.
void fail_step(RemoteStepReport& s, Error e, std::uint16_t port) {
    if (s.step == RemoteStep::TcpConnect) word_tcp_error(e, port);
    if (const auto cut = e.message.find(". Next: "); cut != std::string::npos)
        e.message.resize(cut);
    s.result = StepResult::Failed;
    s.next = remote_step_next(s.step, e, port);
    s.error = std::move(e);
}

std::string session_detail(const smb::SessionInfo& i) {
    std::string out = "SMB " + smb::to_string(i.dialect);
    out += i.guest ? ", logged on as guest" : ", logged on";
    out += ", signing ";
    out += i.signing ? "on" : "off";
    out += i.server_requires_signing ? " (the server requires it)"
                                     : " (the server does not require it)";
    out += ", encryption " + std::string(i.encryption ? "on" : "off");
    if (!i.server_name.empty()) out += ", server " + i.server_name;
    if (!i.server_domain.empty() && i.server_domain != i.server_name)
        out += " in " + i.server_domain;
    return out;
}

constexpr const char* kTypeUntold = "the server did not tell the pipe's type";

std::string pipe_detail(const smb::PipeInfo& i) {
    std::string out;
    auto add = [&out](const std::string& s) { out += (out.empty() ? "" : ", ") + s; };
    if (i.type) add(std::string(to_string(*i.type)) + " pipe");
    if (i.read_mode) add("read mode " + std::string(to_string(*i.read_mode)));
    if (i.current_instances) add(std::to_string(*i.current_instances) + " instances");
    if (i.max_instances)
        add("max " + (*i.max_instances == 0xFFFFFFFFu ? std::string("unlimited")
                                                      : std::to_string(*i.max_instances)));
    if (i.in_quota) add("in quota " + std::to_string(*i.in_quota) + " B");
    if (i.out_quota) add("out quota " + std::to_string(*i.out_quota) + " B");
    return out;
}

}  // namespace

std::string_view to_string(RemoteStep step) {
    switch (step) {
        case RemoteStep::NameResolution:
            return "name resolution";
        case RemoteStep::TcpConnect:
            return "TCP connect";
        case RemoteStep::SmbSession:
            return "SMB session";
        case RemoteStep::PipeOpen:
            return "pipe open";
    }
    return "?";
}

std::string_view to_string(StepResult result) {
    switch (result) {
        case StepResult::Passed:
            return "ok";
        case StepResult::Failed:
            return "FAILED";
        case StepResult::NotReported:
            return "not reported";
        case StepResult::NotRun:
            return "not run";
    }
    return "?";
}

const RemoteStepReport* RemoteCheckReport::failed_step() const {
    for (const auto& s : steps)
        if (s.result == StepResult::Failed) return &s;
    return nullptr;
}

bool is_session_error(const Error& e) {
    return bad_credentials(e) || account_cannot_log_on(e) ||
           w32(e, {kErrorSmbGuestLogonBlocked, kErrorSessionCredentialConflict});
}

std::string remote_step_next(RemoteStep step, const Error& error, std::uint16_t port) {
    switch (step) {
        case RemoteStep::NameResolution:
            return resolution_next(error);
        case RemoteStep::TcpConnect:
            return tcp_next(error, port);
        case RemoteStep::SmbSession:
            return session_next(error);
        case RemoteStep::PipeOpen:
            return open_next(error);
    }
    return {};
}

Result<RemoteCheckReport> remote_check(const PipeName& name, const RemoteCheckOptions& options,
                                       std::stop_token stop) {
    auto probe = make_remote_check_probe();
    return remote_check(name, options, *probe, std::move(stop));
}

Result<RemoteCheckReport> remote_check(const PipeName& name, const RemoteCheckOptions& options,
                                       RemoteCheckProbe& probe, std::stop_token stop) {
    if (name.form() != PipeName::Form::Win32 || name.is_local())
        return make_error(ErrorCode::InvalidArgument, "remote-check", name.display(),
                          "the name is not a remote pipe. Next: give \\\\host\\pipe\\name with "
                          "a host other than '.'");
    const auto t0 = Clock::now();
    const auto deadline = t0 + std::max(options.timeout, Timeout{0});
    RemoteCheckReport r;
    r.target = name.win32_path();
    r.host = name.host();
    r.pipe = name.name();
    r.port = options.remote.smb_port;
    for (RemoteStep s : kRemoteSteps) {
        RemoteStepReport step;
        step.step = s;
        r.steps.push_back(std::move(step));
    }
    auto& resolve = r.steps[0];
    auto& tcp = r.steps[1];
    auto& session = r.steps[2];
    auto& open = r.steps[3];
    auto done = [&]() -> Result<RemoteCheckReport> {
        r.ok = r.failed_step() == nullptr;
        r.elapsed = since(t0);
        return std::move(r);
    };

    auto ts = Clock::now();
    auto addresses = probe.resolve(r.host, deadline, stop);
    finish_step(resolve, ts);
    if (!addresses) {
        fail_step(resolve, std::move(addresses).error(), r.port);
        return done();
    }
    resolve.result = StepResult::Passed;
    for (const auto& a : *addresses) resolve.detail += (resolve.detail.empty() ? "" : ", ") + a;
    if (addresses->size() == 1 && addresses->front() == r.host)
        resolve.detail += " (an address: nothing to resolve)";

    ts = Clock::now();
    auto reached = probe.connect_tcp(*addresses, r.port, deadline, stop);
    finish_step(tcp, ts);
    if (!reached) {
        fail_step(tcp, std::move(reached).error(), r.port);
        return done();
    }
    tcp.result = StepResult::Passed;
    const bool v6 = reached->find(':') != std::string::npos;
    tcp.detail = (v6 ? "[" + *reached + "]" : *reached) + ":" + std::to_string(r.port) +
                 " accepted the connection";

    ts = Clock::now();
    auto logon = probe.logon(r.host, *reached, options.remote, deadline, stop);
    finish_step(session, ts);
    if (!logon) {
        fail_step(session, std::move(logon).error(), r.port);
        return done();
    }
    if (logon->info) {
        session.result = StepResult::Passed;
        session.detail = session_detail(*logon->info);
        r.session = logon->info;
    } else {
        session.result = StepResult::NotReported;
        session.detail = logon->note;
    }

    ts = Clock::now();
    auto opened = probe.open_pipe(name, deadline, stop);
    finish_step(open, ts);
    if (!opened) {
        Error e = std::move(opened).error();
        if (session.result == StepResult::NotReported && is_session_error(e)) {
            // The redirector logs on while it opens: a refused logon is the session's failure.
            session.elapsed = open.elapsed;
            open.elapsed = {};
            fail_step(session, std::move(e), r.port);
            session.detail += session.detail.empty() ? "" : "; ";
            session.detail += "the logon failed while the redirector opened the pipe";
        } else {
            fail_step(open, std::move(e), r.port);
        }
        return done();
    }
    open.result = StepResult::Passed;
    open.detail = opened->detail;
    if (opened->info) {
        std::string info = pipe_detail(*opened->info);
        if (!opened->info->type) info += (info.empty() ? "" : ", ") + std::string(kTypeUntold);
        open.detail += (open.detail.empty() ? "" : "; ") + info;
        r.pipe_info = opened->info;
    }
    return done();
}

std::string format_remote_check(const RemoteCheckReport& r) {
    std::string out = "remote-check " + r.target + " (SMB port " + std::to_string(r.port) + ")\n";
    int n = 1;
    for (const auto& s : r.steps) {
        char head[96];
        std::snprintf(head, sizeof head, "  %d. %-16s %-12s", n++,
                      std::string(to_string(s.step)).c_str(),
                      std::string(to_string(s.result)).c_str());
        out += head;
        if (s.result == StepResult::Passed || s.result == StepResult::Failed ||
            s.result == StepResult::NotReported)
            out += std::to_string(s.elapsed.count()) + " ms";
        if (!s.detail.empty()) out += "  " + s.detail;
        while (out.back() == ' ') out.pop_back();
        out += "\n";
        if (s.error) out += "     error: " + s.error->to_string() + "\n";
        if (!s.next.empty()) out += "     Next: " + s.next + "\n";
    }
    if (const auto* f = r.failed_step()) {
        out += "result: failed at the " + std::string(to_string(f->step)) + " step after " +
               std::to_string(r.elapsed.count()) + " ms\n";
    } else {
        std::string client = "pipescope-cli client " + r.target;
        if (r.port != 445) client += " --smb-port " + std::to_string(r.port);
        if (r.pipe_info && r.pipe_info->type == PipeType::Message) client += " --message";
        out += "result: the pipe can be opened (" + std::to_string(r.elapsed.count()) +
               " ms). Next: talk to it with " + client + "\n";
    }
    return out;
}

}  // namespace pipescope::core
