// Linux probe. A socket: stat the path (owner, mode), then a non-blocking connect bounded by
// poll and SO_PEERCRED / SO_TYPE / SO_SNDBUF / SO_RCVBUF. A FIFO: stat, then an
// O_RDONLY | O_NONBLOCK open that never blocks and never reads, for F_GETPIPE_SZ and FIONREAD
// (not with least_access_only: the audit stats a FIFO and never opens it).
#include <fcntl.h>
#include <pwd.h>
#include <grp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "os/posix/bounded_connect.hpp"
#include "os/process_image.hpp"
#include "pipescope/inspect.hpp"
#include "pipescope/smb.hpp"
#include "pipescope/unique_handle.hpp"

namespace pipescope::core {
namespace {

using Clock = std::chrono::steady_clock;

std::string user_text(uid_t uid, bool resolve) {
    std::string out;
    if (resolve) {
        char buf[4096];
        passwd pw{};
        passwd* res = nullptr;
        if (::getpwuid_r(uid, &pw, buf, sizeof buf, &res) == 0 && res)
            out = std::string(res->pw_name) + " ";
    }
    return out + "(" + std::to_string(uid) + ")";
}

FieldState state_for_errno(int e) {
    switch (e) {
        case EACCES:
        case EPERM:
            return FieldState::Denied;
        case ENOENT:
            return FieldState::NotFound;
        case EAGAIN:
            return FieldState::Busy;
        case ETIMEDOUT:
            return FieldState::TimedOut;
        default:
            return FieldState::Failed;
    }
}

InspectState inspect_state_for(ErrorCode c) {
    switch (c) {
        case ErrorCode::NotFound:
            return InspectState::NotFound;
        case ErrorCode::AccessDenied:
            return InspectState::Denied;
        case ErrorCode::Busy:
        case ErrorCode::WouldBlock:
            return InspectState::Busy;
        case ErrorCode::Timeout:
            return InspectState::TimedOut;
        case ErrorCode::Cancelled:
            return InspectState::Cancelled;
        default:
            return InspectState::Error;
    }
}

// Marks every connection-dependent field that is still unset with why it is missing.
void mark_unreached(PipeDetails& d, FieldState s, const std::string& why) {
    auto mark = [&](auto& f, const char* src) {
        if (f.state == FieldState::Unknown) f.fail(s, src, true, why);
    };
    mark(d.server_pid, "SO_PEERCRED");
    mark(d.server_uid, "SO_PEERCRED");
    mark(d.server_gid, "SO_PEERCRED");
    mark(d.server_image, "/proc/<pid>/exe");
    mark(d.socket_type, "SO_TYPE");
    mark(d.type, "SO_TYPE");
    mark(d.send_buffer, "SO_SNDBUF");
    mark(d.recv_buffer, "SO_RCVBUF");
    mark(d.capacity, "F_GETPIPE_SZ");
    mark(d.bytes_queued, "FIONREAD");
}

void mark_not_applicable(PipeDetails& d) {
    const std::string why = "Windows named pipes only";
    auto na = [&](auto& f, const char* src) {
        if (f.state == FieldState::Unknown) f.fail(FieldState::Unsupported, src, false, why);
    };
    na(d.in_quota, "GetNamedPipeInfo");
    na(d.out_quota, "GetNamedPipeInfo");
    na(d.max_instances, "GetNamedPipeInfo");
    na(d.current_instances, "GetNamedPipeHandleStateW");
    na(d.handle_state, "GetNamedPipeHandleStateW");
    na(d.pipe_state, "FilePipeLocalInformation");
    na(d.read_data_available, "FilePipeLocalInformation");
    na(d.write_quota_available, "FilePipeLocalInformation");
    na(d.server_session, "GetNamedPipeServerSessionId");
    na(d.sddl, "GetSecurityInfo");
    na(d.aces, "GetSecurityInfo");
    na(d.null_dacl, "GetSecurityInfo");
    na(d.everyone_can_write, "GetSecurityInfo");
    na(d.anonymous_can_write, "GetSecurityInfo");
    na(d.remote_clients_accepted, "GetSecurityInfo");
    na(d.security_descriptor, "GetSecurityInfo");
    const std::string local = "remote pipes (\\\\host\\pipe\\x) only";
    auto smb = [&](auto& f, const char* src) {
        f.fail(FieldState::Unsupported, src, false, local);
    };
    smb(d.smb_dialect, "SMB2 NEGOTIATE");
    smb(d.smb_signing, "SMB2 NEGOTIATE");
    smb(d.smb_encryption, "SMB2 SESSION_SETUP");
    smb(d.smb_logon, "SMB2 SESSION_SETUP");
    smb(d.smb_server, "NTLM target info");
}

void fail_whole(PipeDetails& d, Error err) {
    d.state = inspect_state_for(err.code);
    FieldState fs = d.state == InspectState::Busy       ? FieldState::Busy
                    : d.state == InspectState::Denied   ? FieldState::Denied
                    : d.state == InspectState::NotFound ? FieldState::NotFound
                    : d.state == InspectState::TimedOut ? FieldState::TimedOut
                                                        : FieldState::Failed;
    mark_unreached(d, fs, err.to_string());
    d.error = std::move(err);
}

// ---- Remote pipes over SMB ----

constexpr const char* kNotOverSmb = "SMB does not tell a client this";

// The fields SMB never carries, marked once so none is a blank.
void mark_not_over_smb(PipeDetails& d) {
    auto na = [](auto& f, const char* src) {
        f.fail(FieldState::Unsupported, src, false, kNotOverSmb);
    };
    na(d.end, "SMB2 CREATE");
    na(d.handle_state, "GetNamedPipeHandleStateW");
    na(d.pipe_state, "FilePipeLocalInformation");
    na(d.read_data_available, "FilePipeLocalInformation");
    na(d.write_quota_available, "FilePipeLocalInformation");
    for (auto* f : {&d.server_pid, &d.server_session, &d.server_uid, &d.server_gid}) na(*f, "SMB");
    na(d.server_image, "SMB");
    na(d.owner, "SMB");
    for (auto* f : {&d.owner_uid, &d.owner_gid, &d.mode}) na(*f, "SMB");
    na(d.sddl, "SMB");
    na(d.aces, "SMB");
    na(d.security_descriptor, "SMB");
    for (auto* f :
         {&d.null_dacl, &d.everyone_can_write, &d.anonymous_can_write, &d.remote_clients_accepted})
        na(*f, "SMB");
    na(d.socket_type, "SO_TYPE");
    for (auto* f : {&d.send_buffer, &d.recv_buffer, &d.capacity, &d.bytes_queued}) na(*f, "SMB");
}

// The SMB-carried fields not set yet get `state` and why.
void mark_smb_unreached(PipeDetails& d, FieldState state, const std::string& why) {
    auto mark = [&](auto& f, const char* src) {
        if (f.state == FieldState::Unknown) f.fail(state, src, true, why);
    };
    mark(d.smb_dialect, "SMB2 NEGOTIATE");
    mark(d.smb_signing, "SMB2 NEGOTIATE");
    mark(d.smb_encryption, "SMB2 SESSION_SETUP");
    mark(d.smb_logon, "SMB2 SESSION_SETUP");
    mark(d.smb_server, "NTLM target info");
    mark(d.access, "SMB2 CREATE");
    mark(d.type, "FilePipeLocalInformation");
    mark(d.in_quota, "FilePipeLocalInformation");
    mark(d.out_quota, "FilePipeLocalInformation");
    mark(d.max_instances, "FilePipeLocalInformation");
    mark(d.current_instances, "FilePipeLocalInformation");
}

void fail_remote(PipeDetails& d, Error err) {
    d.state = inspect_state_for(err.code);
    const FieldState fs = d.state == InspectState::Busy       ? FieldState::Busy
                          : d.state == InspectState::Denied   ? FieldState::Denied
                          : d.state == InspectState::NotFound ? FieldState::NotFound
                          : d.state == InspectState::TimedOut ? FieldState::TimedOut
                                                              : FieldState::Failed;
    mark_smb_unreached(d, fs, err.to_string());
    d.error = std::move(err);
}

void fill_session(PipeDetails& d, const smb::SessionInfo& i, const smb::Credentials& who) {
    d.smb_dialect.set(smb::to_string(i.dialect), "SMB2 NEGOTIATE", true);
    std::string signing = i.signing ? "on" : "off";
    signing += i.server_requires_signing ? " (the server requires it)"
                                         : " (the server does not require it)";
    d.smb_signing.set(signing, "SMB2 NEGOTIATE", true);
    d.smb_encryption.set(i.encryption, "SMB2 SESSION_SETUP", true);
    std::string logon = "guest";
    if (!i.guest)
        logon = "user " + (who.domain.empty() ? "" : who.domain + "\\") + who.user;
    else if (!who.anonymous())
        logon = "guest (the server mapped " + who.user + " to guest)";
    d.smb_logon.set(logon, "SMB2 SESSION_SETUP", true);
    if (!i.server_name.empty())
        d.smb_server.set(
            i.server_name + (i.server_domain.empty() || i.server_domain == i.server_name
                                 ? ""
                                 : " in " + i.server_domain),
            "NTLM target info", true);
}

void fill_pipe(PipeDetails& d, const smb::PipeInfo& p) {
    const char* src = "FilePipeLocalInformation";
    if (p.type) d.type.set(std::string(to_string(*p.type)), src, true);
    if (p.in_quota) d.in_quota.set(*p.in_quota, src, true);
    if (p.out_quota) d.out_quota.set(*p.out_quota, src, true);
    if (p.max_instances)
        d.max_instances.set(*p.max_instances == 0xFFFFFFFFu ? -1 : std::int64_t{*p.max_instances},
                            src, true);
    if (p.current_instances) d.current_instances.set(std::int64_t{*p.current_instances}, src, true);
    mark_smb_unreached(d, FieldState::Unsupported, "the server did not answer this query");
}

// \\host\pipe\x on POSIX: an SMB session, then the pipe's CREATE (read+write, or read only
// with least_access_only), for what SMB tells about both.
PipeDetails inspect_remote(const PipeName& name, const InspectOptions& options,
                           const std::stop_token& stop) {
    PipeDetails d;
    d.name = name.win32_path();
    d.kind = "remote pipe (SMB)";
    mark_not_over_smb(d);
    smb::Options o;
    o.host = name.host();
    o.port = options.remote.smb_port;
    if (!options.remote.user.empty()) {
        auto who = smb::parse_user(options.remote.user);
        if (!who) {
            fail_remote(d, std::move(who).error());
            return d;
        }
        o.credentials = std::move(*who);
    }
    o.credentials.password = options.remote.password;
    o.require_signing = options.remote.require_signing;
    o.encrypt = options.remote.encrypt;
    o.timeout = std::max(options.timeout, Timeout{1});
    auto session = smb::Session::connect_tcp(o, stop);
    if (!session) {
        fail_remote(d, std::move(session).error());
        return d;
    }
    auto info = (*session)->logon(stop);
    if (!info) {
        fail_remote(d, std::move(info).error());
        return d;
    }
    fill_session(d, *info, o.credentials);
    ClientConfig config;
    config.access = options.least_access_only ? PipeDirection::Inbound : PipeDirection::Duplex;
    auto channel = (*session)->open_pipe(name.name(), config, stop);
    if (!channel) {
        fail_remote(d, std::move(channel).error());
        return d;
    }
    d.connected = true;
    d.state = InspectState::Ok;
    d.access.set(options.least_access_only ? "read" : "read+write", "SMB2 CREATE", true);
    fill_pipe(d, (*channel)->pipe_info());
    (*channel)->close();
    return d;
}

// Connects with a bound; returns the fd or an Error (Busy when the backlog was full and there
// was no time to wait, Timeout when the bound ran out, Cancelled on stop).
Result<UniqueFd> connect_bounded(const sockaddr_un& addr, socklen_t len, int type,
                                 Clock::time_point deadline, const std::stop_token& stop,
                                 const std::string& subject) {
    os::BoundedConnect how;
    how.address = reinterpret_cast<const sockaddr*>(&addr);
    how.address_len = len;
    how.family = AF_UNIX;
    how.type = type;
    how.deadline = deadline;
    how.full_backlog = os::FullBacklog::RetryIfTimeLeft;
    how.busy_next = "or give a timeout to wait for a free one";
    how.cancelled = make_error(ErrorCode::Cancelled, "connect", subject, "the probe was cancelled");
    return os::connect_bounded(how, stop, subject);
}

void probe_socket(PipeDetails& d, const std::string& address, const InspectOptions& opt,
                  Clock::time_point deadline, const std::stop_token& stop) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    socklen_t len = 0;
    if (address.size() > sizeof addr.sun_path - 1) {
        fail_whole(d, errno_error(ENAMETOOLONG, "connect", d.name));
        return;
    }
    if (!address.empty() && address[0] == '@') {
        std::memcpy(addr.sun_path + 1, address.data() + 1, address.size() - 1);
        len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + address.size());
    } else {
        std::memcpy(addr.sun_path, address.data(), address.size());
        len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + address.size() + 1);
    }
    Result<UniqueFd> conn = make_error(ErrorCode::Unknown, "connect", d.name, "not tried");
    int type = 0;
    // The socket's type is not on disk: try each. A path socket of another type answers
    // EPROTOTYPE; an abstract name is looked up per type, so it answers ECONNREFUSED.
    std::optional<Error> first_error;
    for (int t : {SOCK_STREAM, SOCK_SEQPACKET, SOCK_DGRAM}) {
        conn = connect_bounded(addr, len, t, deadline, stop, d.name);
        type = t;
        if (conn) break;
        auto code = conn.error().os_code;
        bool other_type = code == EPROTOTYPE || code == ECONNREFUSED;
        if (!first_error || first_error->os_code == EPROTOTYPE) first_error = conn.error();
        if (!other_type) {
            first_error = conn.error();
            break;
        }
    }
    if (!conn) {
        fail_whole(d, *first_error);
        return;
    }
    d.connected = true;
    int fd = conn->get();
    d.socket_type.set(type == SOCK_STREAM      ? "stream"
                      : type == SOCK_SEQPACKET ? "seqpacket"
                                               : "dgram",
                      "SO_TYPE", true);
    int so_type = 0;
    socklen_t sl = sizeof so_type;
    if (::getsockopt(fd, SOL_SOCKET, SO_TYPE, &so_type, &sl) == 0) {
        d.socket_type.set(so_type == SOCK_STREAM      ? "stream"
                          : so_type == SOCK_SEQPACKET ? "seqpacket"
                                                      : "dgram",
                          "SO_TYPE", true);
    }
    d.kind = *d.socket_type.value == "stream"      ? "unix stream"
             : *d.socket_type.value == "seqpacket" ? "unix seqpacket"
                                                   : "unix dgram";
    d.type.set(*d.socket_type.value == "stream" ? "byte" : "message", "SO_TYPE", true);
    d.end.set("client", "connect", true);
    int v = 0;
    sl = sizeof v;
    if (::getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, &sl) == 0)
        d.send_buffer.set(v, "SO_SNDBUF", true);
    else
        d.send_buffer.fail(state_for_errno(errno), "SO_SNDBUF", true, std::strerror(errno));
    sl = sizeof v;
    if (::getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, &sl) == 0)
        d.recv_buffer.set(v, "SO_RCVBUF", true);
    else
        d.recv_buffer.fail(state_for_errno(errno), "SO_RCVBUF", true, std::strerror(errno));
    ucred cred{};
    sl = sizeof cred;
    if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &sl) == 0 && cred.pid > 0) {
        d.server_pid.set(static_cast<std::uint32_t>(cred.pid), "SO_PEERCRED", true);
        d.server_uid.set(cred.uid, "SO_PEERCRED", true);
        d.server_gid.set(cred.gid, "SO_PEERCRED", true);
        if (auto image = os::process_image(static_cast<std::uint32_t>(cred.pid))) {
            d.server_image.set(*image, "/proc/<pid>/exe", true);
        } else {
            const int e = static_cast<int>(image.error().os_code);
            d.server_image.fail(state_for_errno(e), "/proc/<pid>/exe", true, std::strerror(e));
        }
    } else {
        const char* why = "the socket type carries no peer credentials";
        d.server_pid.fail(FieldState::Unsupported, "SO_PEERCRED", true, why);
        d.server_uid.fail(FieldState::Unsupported, "SO_PEERCRED", true, why);
        d.server_gid.fail(FieldState::Unsupported, "SO_PEERCRED", true, why);
        d.server_image.fail(FieldState::Unsupported, "/proc/<pid>/exe", true, why);
    }
    (void)opt;
    d.state = InspectState::Ok;
}

void probe_fifo(PipeDetails& d, const std::string& path, const InspectOptions& opt) {
    const char* why =
        "a FIFO has no server process of its own; list pipes to see its readers and writers";
    d.server_pid.fail(FieldState::Unsupported, "SO_PEERCRED", false, why);
    d.server_uid.fail(FieldState::Unsupported, "SO_PEERCRED", false, why);
    d.server_gid.fail(FieldState::Unsupported, "SO_PEERCRED", false, why);
    d.server_image.fail(FieldState::Unsupported, "/proc/<pid>/exe", false, why);
    d.end.fail(FieldState::Unsupported, "open", true, "a FIFO has no ends of its own");
    d.type.set("byte", "stat", false);
    if (opt.least_access_only) {
        // Opening a FIFO, even to read, makes this process one of its readers (a writer
        // waiting for a reader would start writing to us): the audit needs only stat.
        const char* not_opened =
            "not opened: the least-access probe never opens a FIFO, which would make it a reader";
        d.capacity.fail(FieldState::Unknown, "F_GETPIPE_SZ", false, not_opened);
        d.bytes_queued.fail(FieldState::Unknown, "FIONREAD", false, not_opened);
        d.state = InspectState::Ok;
        return;
    }
    // O_NONBLOCK: a read-only open of a FIFO returns at once even with no writer; we never read.
    UniqueFd fd{::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC)};
    if (!fd) {
        fail_whole(d, errno_error(errno, "open", d.name));
        return;
    }
    d.connected = true;
    int sz = ::fcntl(fd.get(), F_GETPIPE_SZ);
    if (sz >= 0)
        d.capacity.set(sz, "F_GETPIPE_SZ", true);
    else
        d.capacity.fail(state_for_errno(errno), "F_GETPIPE_SZ", true, std::strerror(errno));
    int queued = 0;
    if (::ioctl(fd.get(), FIONREAD, &queued) == 0)
        d.bytes_queued.set(queued, "FIONREAD", true);
    else
        d.bytes_queued.fail(state_for_errno(errno), "FIONREAD", true, std::strerror(errno));
    d.state = InspectState::Ok;
}

}  // namespace

PipeDetails inspect_pipe(const PipeName& name, const InspectOptions& options,
                         std::stop_token stop) {
    auto t0 = Clock::now();
    if (name.form() == PipeName::Form::Win32 && !name.is_local()) {
        PipeDetails remote = inspect_remote(name, options, stop);
        remote.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0);
        return remote;
    }
    auto deadline = t0 + options.timeout;
    PipeDetails d;
    d.name = name.display();
    std::string address =
        name.form() == PipeName::Form::Abstract ? "@" + name.name() : name.posix_path();
    mark_not_applicable(d);

    if (address[0] == '@') {
        d.kind = "unix socket";
        d.owner.fail(FieldState::Unsupported, "stat", false, "an abstract socket has no file");
        d.mode.fail(FieldState::Unsupported, "stat", false, "an abstract socket has no file");
        d.owner_uid.fail(FieldState::Unsupported, "stat", false, "an abstract socket has no file");
        d.owner_gid.fail(FieldState::Unsupported, "stat", false, "an abstract socket has no file");
        probe_socket(d, address, options, deadline, stop);
    } else {
        struct stat st {};
        if (::stat(address.c_str(), &st) != 0) {
            int e = errno;
            d.owner.fail(state_for_errno(e), "stat", false, std::strerror(e));
            d.mode.fail(state_for_errno(e), "stat", false, std::strerror(e));
            d.owner_uid.fail(state_for_errno(e), "stat", false, std::strerror(e));
            d.owner_gid.fail(state_for_errno(e), "stat", false, std::strerror(e));
            fail_whole(d, errno_error(e, "stat", d.name));
        } else {
            d.owner.set(user_text(st.st_uid, options.resolve_names), "stat", false);
            d.mode.set(static_cast<std::uint32_t>(st.st_mode & 07777), "stat", false);
            d.owner_uid.set(static_cast<std::uint32_t>(st.st_uid), "stat", false);
            d.owner_gid.set(static_cast<std::uint32_t>(st.st_gid), "stat", false);
            if (S_ISSOCK(st.st_mode)) {
                d.kind = "unix socket";
                probe_socket(d, address, options, deadline, stop);
            } else if (S_ISFIFO(st.st_mode)) {
                d.kind = "fifo";
                d.socket_type.fail(FieldState::Unsupported, "SO_TYPE", false, "not a socket");
                d.send_buffer.fail(FieldState::Unsupported, "SO_SNDBUF", false, "not a socket");
                d.recv_buffer.fail(FieldState::Unsupported, "SO_RCVBUF", false, "not a socket");
                probe_fifo(d, address, options);
            } else {
                fail_whole(
                    d, make_error(ErrorCode::InvalidArgument, "stat", d.name,
                                  "the path is neither a socket nor a FIFO. Next: check the path"));
            }
        }
    }
    if (d.kind != "fifo") {
        d.capacity.fail(FieldState::Unsupported, "F_GETPIPE_SZ", false, "FIFOs only");
        d.bytes_queued.fail(FieldState::Unsupported, "FIONREAD", false, "FIFOs only");
    }
    d.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0);
    return d;
}

}  // namespace pipescope::core
