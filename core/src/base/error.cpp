#include "pipescope/error.hpp"

#include <cerrno>
#include <cstdio>

namespace pipescope::core {
namespace {

struct Win32Entry {
    std::uint32_t code;
    std::string_view name;
    ErrorCode kind;
    std::string_view meaning;
    std::string_view next_step;
};

// Our own wording for the errors pipe users meet; the numbers are fixed by Windows.
constexpr Win32Entry kWin32Table[] = {
    {2, "ERROR_FILE_NOT_FOUND", ErrorCode::NotFound, "no pipe by that name exists",
     "check the name (list pipes to see what exists) or start the server first"},
    {3, "ERROR_PATH_NOT_FOUND", ErrorCode::NotFound, "the path to the pipe does not exist",
     "check the host and the \\\\host\\pipe\\ prefix"},
    {5, "ERROR_ACCESS_DENIED", ErrorCode::AccessDenied,
     "the pipe's security does not allow this access",
     "ask for less access (read only), run as a user the pipe's DACL allows, or inspect its "
     "security"},
    {6, "ERROR_INVALID_HANDLE", ErrorCode::Io, "the handle is not valid",
     "the pipe was already closed; reconnect"},
    {50, "ERROR_NOT_SUPPORTED", ErrorCode::Unsupported, "the request is not supported",
     "this system does not offer that call; the value stays unknown"},
    {53, "ERROR_BAD_NETPATH", ErrorCode::NotFound, "the network host was not found",
     "check the host name in \\\\host\\pipe\\name and that the host is reachable over SMB"},
    {67, "ERROR_BAD_NET_NAME", ErrorCode::NotFound, "the network name was not found",
     "check the host name and that it shares IPC$"},
    {87, "ERROR_INVALID_PARAMETER", ErrorCode::InvalidArgument, "a parameter is not valid",
     "check the pipe configuration (quotas, instances, modes)"},
    {109, "ERROR_BROKEN_PIPE", ErrorCode::BrokenPipe, "the other end closed the pipe",
     "the peer went away; reconnect, and check the peer's log for why it closed"},
    {121, "ERROR_SEM_TIMEOUT", ErrorCode::Timeout, "the wait for a free pipe instance timed out",
     "raise the timeout, or check the server is accepting connections"},
    {123, "ERROR_INVALID_NAME", ErrorCode::InvalidName, "the pipe name is not valid",
     "use \\\\.\\pipe\\name or a bare name"},
    {161, "ERROR_BAD_PATHNAME", ErrorCode::InvalidName, "the pipe path is not valid",
     "use \\\\.\\pipe\\name or a bare name"},
    {183, "ERROR_ALREADY_EXISTS", ErrorCode::AlreadyExists, "an object by that name already exists",
     "pick another name, or stop the program that owns it"},
    {231, "ERROR_PIPE_BUSY", ErrorCode::Busy, "all instances are busy",
     "retry with a wait (WaitNamedPipe), or raise the server's max instances"},
    {232, "ERROR_NO_DATA", ErrorCode::NoData, "the pipe is being closed",
     "the peer closed its end; reconnect"},
    {233, "ERROR_PIPE_NOT_CONNECTED", ErrorCode::NotConnected,
     "no process is on the other end of the pipe",
     "wait for a client to connect, or reconnect after a disconnect"},
    {234, "ERROR_MORE_DATA", ErrorCode::MoreData,
     "more of this message is waiting than the buffer held",
     "read again to get the rest of the message (a larger buffer avoids it)"},
    {258, "WAIT_TIMEOUT", ErrorCode::Timeout, "the wait timed out",
     "raise the timeout or check the peer is responding"},
    {535, "ERROR_PIPE_CONNECTED", ErrorCode::AlreadyConnected,
     "a client connected before ConnectNamedPipe was called",
     "nothing to do: the client is connected; treat it as success"},
    {536, "ERROR_PIPE_LISTENING", ErrorCode::Listening,
     "the pipe is waiting for a client (non-blocking mode)",
     "wait for a client to connect, then read or write"},
    {995, "ERROR_OPERATION_ABORTED", ErrorCode::Cancelled, "the operation was cancelled",
     "it was stopped on request or by a closing handle; start it again if needed"},
    {996, "ERROR_IO_INCOMPLETE", ErrorCode::Io, "the overlapped operation has not finished",
     "wait for its completion"},
    {997, "ERROR_IO_PENDING", ErrorCode::Io, "the overlapped operation is still running",
     "wait for its completion"},
    {1168, "ERROR_NOT_FOUND", ErrorCode::NotFound, "the element was not found",
     "nothing was pending; nothing to do"},
    {1219, "ERROR_SESSION_CREDENTIAL_CONFLICT", ErrorCode::AccessDenied,
     "a connection to this server already uses other credentials",
     "close it (net use \\\\host\\IPC$ /delete) and connect again"},
    {1231, "ERROR_NETWORK_UNREACHABLE", ErrorCode::NotFound, "the network cannot be reached",
     "check the address and this machine's network"},
    {1232, "ERROR_HOST_UNREACHABLE", ErrorCode::NotFound, "the host cannot be reached",
     "check the address and that the host is up"},
    {1272, "ERROR_SMB_GUEST_LOGON_BLOCKED", ErrorCode::AccessDenied,
     "this Windows refuses guest logons to SMB servers",
     "connect with a user (net use \\\\host\\IPC$ /user:DOMAIN\\user)"},
    {1326, "ERROR_LOGON_FAILURE", ErrorCode::AccessDenied,
     "the server refused the user name or password", "check the user and the password"},
    {1460, "ERROR_TIMEOUT", ErrorCode::Timeout, "the operation timed out",
     "raise the timeout or check the peer is responding"},
    // Winsock (WSAGetLastError) codes of a TCP connect and a name lookup.
    {10051, "WSAENETUNREACH", ErrorCode::NotFound, "the network cannot be reached",
     "check the address and this machine's network"},
    {10060, "WSAETIMEDOUT", ErrorCode::Timeout, "the host did not answer in time",
     "check the host is up and no firewall drops the packets"},
    {10061, "WSAECONNREFUSED", ErrorCode::ConnectionRefused,
     "nothing accepted the connection on that port",
     "check the server runs and no firewall rejects the port"},
    {10065, "WSAEHOSTUNREACH", ErrorCode::NotFound, "the host cannot be reached",
     "check the address and that the host is up"},
    {11001, "WSAHOST_NOT_FOUND", ErrorCode::NotFound, "the host name does not resolve",
     "check the name, or give the host's IP address"},
    {11002, "WSATRY_AGAIN", ErrorCode::Timeout, "the name server did not answer",
     "retry, or give the host's IP address"},
    {11004, "WSANO_DATA", ErrorCode::NotFound, "the host name has no address",
     "check the name, or give the host's IP address"},
};

struct ErrnoEntry {
    int value;
    std::string_view name;
    ErrorCode kind;
    std::string_view meaning;
    std::string_view next_step;
};

constexpr ErrnoEntry kErrnoTable[] = {
    {ENOENT, "ENOENT", ErrorCode::NotFound, "no socket or FIFO exists at that path",
     "check the path (list pipes to see what exists) or start the server first"},
    {EACCES, "EACCES", ErrorCode::AccessDenied, "the file mode does not allow this access",
     "check the owner and mode of the socket or FIFO and its folder"},
    {EPERM, "EPERM", ErrorCode::AccessDenied, "the operation is not permitted",
     "run as the owner of the socket or FIFO"},
    {EPIPE, "EPIPE", ErrorCode::BrokenPipe, "the other end closed the pipe",
     "the peer went away; reconnect"},
    {ECONNRESET, "ECONNRESET", ErrorCode::BrokenPipe, "the peer reset the connection",
     "the peer went away; reconnect"},
    {ETIMEDOUT, "ETIMEDOUT", ErrorCode::Timeout, "the operation timed out",
     "raise the timeout or check the peer is responding"},
    {ECONNREFUSED, "ECONNREFUSED", ErrorCode::ConnectionRefused,
     "nothing is listening on that socket",
     "start the server, or remove a stale socket file left by a dead one"},
    {EAGAIN, "EAGAIN", ErrorCode::WouldBlock,
     "the operation would block (or the listen backlog is full)",
     "retry later; on connect, the server is not accepting fast enough"},
#if EWOULDBLOCK != EAGAIN
    {EWOULDBLOCK, "EWOULDBLOCK", ErrorCode::WouldBlock, "the operation would block", "retry later"},
#endif
    {ENXIO, "ENXIO", ErrorCode::NotConnected, "no process has the FIFO open for reading",
     "start the reader first, or open it blocking with a timeout"},
    {ENOTCONN, "ENOTCONN", ErrorCode::NotConnected, "the socket is not connected", "connect first"},
    {EISCONN, "EISCONN", ErrorCode::AlreadyConnected, "the socket is already connected",
     "nothing to do"},
    {EADDRINUSE, "EADDRINUSE", ErrorCode::AlreadyExists, "the socket path is already in use",
     "stop the other server, or pick another name"},
    {EEXIST, "EEXIST", ErrorCode::AlreadyExists, "the path already exists",
     "pick another name or remove the file if it is stale"},
    {EINVAL, "EINVAL", ErrorCode::InvalidArgument, "an argument is not valid",
     "check the configuration"},
    {ENAMETOOLONG, "ENAMETOOLONG", ErrorCode::InvalidName, "the path is too long",
     "use a shorter path (sockets allow 107 bytes)"},
    {ECANCELED, "ECANCELED", ErrorCode::Cancelled, "the operation was cancelled",
     "start it again if needed"},
    {EINTR, "EINTR", ErrorCode::Cancelled, "the call was interrupted", "retry"},
    {EBADF, "EBADF", ErrorCode::Io, "the descriptor is not valid", "reconnect"},
    {ENOTSOCK, "ENOTSOCK", ErrorCode::InvalidArgument, "the path is not a socket",
     "it may be a FIFO or a plain file: pick the matching transport"},
#ifdef EPROTOTYPE
    {EPROTOTYPE, "EPROTOTYPE", ErrorCode::InvalidArgument,
     "the socket type does not match the server's",
     "use stream for a stream server and seqpacket for a seqpacket server"},
#endif
    {EMSGSIZE, "EMSGSIZE", ErrorCode::InvalidArgument, "the message is too large",
     "send smaller messages or raise the socket buffer"},
    {ENOSYS, "ENOSYS", ErrorCode::Unsupported, "not supported on this system",
     "the value stays unknown"},
    {EMFILE, "EMFILE", ErrorCode::Io, "too many open files", "close sessions or raise ulimit -n"},
    {EHOSTUNREACH, "EHOSTUNREACH", ErrorCode::NotFound, "the host cannot be reached",
     "check the address and that the host is up"},
    {ENETUNREACH, "ENETUNREACH", ErrorCode::NotFound, "the network cannot be reached",
     "check the address and this machine's network"},
};

struct NtEntry {
    std::uint32_t status;
    std::string_view name;
    ErrorCode kind;
    std::string_view meaning;
    std::string_view next_step;
};

constexpr NtEntry kNtTable[] = {
    {0x00000000u, "STATUS_SUCCESS", ErrorCode::Unknown, "the call succeeded but gave no result",
     "report this as a bug in PipeScope, with the log"},
    {0x00000103u, "STATUS_PENDING", ErrorCode::Io, "the operation is pending",
     "wait for its completion"},
    {0x80000005u, "STATUS_BUFFER_OVERFLOW", ErrorCode::MoreData, "the buffer was too small",
     "retry with a larger buffer"},
    {0x80000006u, "STATUS_NO_MORE_FILES", ErrorCode::NotFound, "no more entries",
     "nothing to do: the listing is complete"},
    {0x8000001Au, "STATUS_NO_MORE_ENTRIES", ErrorCode::NotFound, "no more entries",
     "nothing to do: the listing is complete"},
    {0xC0000002u, "STATUS_NOT_IMPLEMENTED", ErrorCode::Unsupported,
     "this system does not implement the request", "the value stays unknown here"},
    {0xC0000003u, "STATUS_INVALID_INFO_CLASS", ErrorCode::Unsupported,
     "this system does not know that information class", "the value stays unknown here"},
    {0xC0000004u, "STATUS_INFO_LENGTH_MISMATCH", ErrorCode::MoreData, "the buffer was too small",
     "retry with a larger buffer"},
    {0xC0000008u, "STATUS_INVALID_HANDLE", ErrorCode::Io, "the handle is not valid",
     "the pipe or process was closed meanwhile; refresh and try again"},
    {0xC000000Du, "STATUS_INVALID_PARAMETER", ErrorCode::InvalidArgument,
     "a parameter is not valid", "check the pipe name and configuration"},
    {0xC0000010u, "STATUS_INVALID_DEVICE_REQUEST", ErrorCode::Unsupported,
     "the server does not support that request on this object", "the value stays unknown here"},
    {0xC0000011u, "STATUS_END_OF_FILE", ErrorCode::BrokenPipe, "the end of the data was reached",
     "reconnect"},
    {0xC0000016u, "STATUS_MORE_PROCESSING_REQUIRED", ErrorCode::Io, "the logon needs another round",
     "report this as a bug in PipeScope, with the log"},
    {0xC0000022u, "STATUS_ACCESS_DENIED", ErrorCode::AccessDenied, "access is denied",
     "run elevated to see more"},
    {0xC0000023u, "STATUS_BUFFER_TOO_SMALL", ErrorCode::MoreData, "the buffer was too small",
     "retry with a larger buffer"},
    {0xC0000024u, "STATUS_OBJECT_TYPE_MISMATCH", ErrorCode::InvalidArgument,
     "the object is not of the expected type",
     "check that the name refers to a pipe (\\\\.\\pipe\\name)"},
    {0xC0000034u, "STATUS_OBJECT_NAME_NOT_FOUND", ErrorCode::NotFound, "no object by that name",
     "check the name"},
    {0xC0000064u, "STATUS_NO_SUCH_USER", ErrorCode::AccessDenied, "the server knows no such user",
     "check --user (DOMAIN\\user) and the server's accounts"},
    {0xC000006Au, "STATUS_WRONG_PASSWORD", ErrorCode::AccessDenied, "the password is wrong",
     "check the --password-file"},
    {0xC000006Du, "STATUS_LOGON_FAILURE", ErrorCode::AccessDenied,
     "the server refused the user name or password",
     "check --user (DOMAIN\\user) and the --password-file; guest logons need the server to "
     "allow guests"},
    {0xC000006Eu, "STATUS_ACCOUNT_RESTRICTION", ErrorCode::AccessDenied,
     "the account may not log on this way (for example a blank password over the network)",
     "check the account's restrictions on the server"},
    {0xC0000071u, "STATUS_PASSWORD_EXPIRED", ErrorCode::AccessDenied, "the password has expired",
     "change it on the server"},
    {0xC0000072u, "STATUS_ACCOUNT_DISABLED", ErrorCode::AccessDenied, "the account is disabled",
     "enable it on the server"},
    {0xC00000ACu, "STATUS_PIPE_NOT_AVAILABLE", ErrorCode::Busy, "no pipe instance is available",
     "retry later"},
    {0xC00000AEu, "STATUS_PIPE_BUSY", ErrorCode::Busy, "all instances are busy", "retry later"},
    {0xC00000B0u, "STATUS_PIPE_DISCONNECTED", ErrorCode::NotConnected, "the pipe is disconnected",
     "reconnect"},
    {0xC00000B5u, "STATUS_IO_TIMEOUT", ErrorCode::Timeout, "the operation timed out",
     "raise the timeout"},
    {0xC00000BBu, "STATUS_NOT_SUPPORTED", ErrorCode::Unsupported, "the request is not supported",
     "the value stays unknown here"},
    {0xC00000C9u, "STATUS_NETWORK_NAME_DELETED", ErrorCode::NotConnected,
     "the server dropped the share connection", "reconnect"},
    {0xC00000CBu, "STATUS_BAD_DEVICE_TYPE", ErrorCode::Unsupported,
     "this system cannot list the pipe directory",
     "the list comes from the handle table instead (pipes held by processes we may open)"},
    {0xC00000CCu, "STATUS_BAD_NETWORK_NAME", ErrorCode::NotFound, "the server has no such share",
     "check the host name; pipes live on the IPC$ share"},
    {0xC0000120u, "STATUS_CANCELLED", ErrorCode::Cancelled, "the request was cancelled",
     "nothing to do"},
    {0xC0000128u, "STATUS_FILE_CLOSED", ErrorCode::NotConnected, "the handle was closed",
     "reconnect"},
    {0xC000014Bu, "STATUS_PIPE_BROKEN", ErrorCode::BrokenPipe, "the other end closed the pipe",
     "reconnect"},
    {0xC0000203u, "STATUS_USER_SESSION_DELETED", ErrorCode::NotConnected,
     "the server ended the SMB session", "reconnect"},
    {0xC000035Cu, "STATUS_NETWORK_SESSION_EXPIRED", ErrorCode::NotConnected,
     "the SMB session expired", "reconnect"},
};

template <class Table, class Key>
auto find_entry(const Table& table, Key key) -> decltype(&table[0]) {
    for (const auto& e : table) {
        if constexpr (requires { e.code; }) {
            if (e.code == key) return &e;
        } else if constexpr (requires { e.status; }) {
            if (e.status == key) return &e;
        } else {
            if (e.value == key) return &e;
        }
    }
    return nullptr;
}

std::string compose(std::string_view meaning, std::string_view next_step) {
    std::string out(meaning);
    if (!next_step.empty()) {
        out += ". Next: ";
        out += next_step;
    }
    return out;
}

}  // namespace

std::string_view error_code_name(ErrorCode code) {
    switch (code) {
        case ErrorCode::NotFound:
            return "not found";
        case ErrorCode::AccessDenied:
            return "access denied";
        case ErrorCode::BrokenPipe:
            return "broken pipe";
        case ErrorCode::Timeout:
            return "timeout";
        case ErrorCode::Busy:
            return "busy";
        case ErrorCode::NoData:
            return "closing";
        case ErrorCode::NotConnected:
            return "not connected";
        case ErrorCode::MoreData:
            return "more data";
        case ErrorCode::AlreadyConnected:
            return "already connected";
        case ErrorCode::Listening:
            return "listening";
        case ErrorCode::ConnectionRefused:
            return "connection refused";
        case ErrorCode::WouldBlock:
            return "would block";
        case ErrorCode::InvalidName:
            return "invalid name";
        case ErrorCode::InvalidArgument:
            return "invalid argument";
        case ErrorCode::AlreadyExists:
            return "already exists";
        case ErrorCode::Cancelled:
            return "cancelled";
        case ErrorCode::Unsupported:
            return "unsupported";
        case ErrorCode::Io:
            return "I/O error";
        case ErrorCode::Unknown:
            return "unknown";
    }
    return "unknown";
}

std::string_view win32_error_name(std::uint32_t win32_code) {
    const auto* e = find_entry(kWin32Table, win32_code);
    return e ? e->name : std::string_view{};
}

std::string_view errno_name(int errno_value) {
    const auto* e = find_entry(kErrnoTable, errno_value);
    return e ? e->name : std::string_view{};
}

std::string_view ntstatus_name(std::uint32_t status) {
    const auto* e = find_entry(kNtTable, status);
    return e ? e->name : std::string_view{};
}

ErrorCode classify_win32(std::uint32_t win32_code) {
    const auto* e = find_entry(kWin32Table, win32_code);
    return e ? e->kind : ErrorCode::Unknown;
}

ErrorCode classify_errno(int errno_value) {
    const auto* e = find_entry(kErrnoTable, errno_value);
    return e ? e->kind : ErrorCode::Unknown;
}

std::vector<std::uint32_t> known_win32_errors() {
    std::vector<std::uint32_t> out;
    for (const auto& e : kWin32Table) out.push_back(e.code);
    return out;
}

std::vector<int> known_errnos() {
    std::vector<int> out;
    for (const auto& e : kErrnoTable) out.push_back(e.value);
    return out;
}

std::vector<std::uint32_t> known_ntstatuses() {
    std::vector<std::uint32_t> out;
    for (const auto& e : kNtTable) out.push_back(e.status);
    return out;
}

Error win32_error(std::uint32_t win32_code, std::string api, std::string subject) {
    Error err;
    err.os_kind = OsCodeKind::Win32;
    err.os_code = win32_code;
    err.api = std::move(api);
    err.subject = std::move(subject);
    if (const auto* e = find_entry(kWin32Table, win32_code)) {
        err.code = e->kind;
        err.message = compose(e->meaning, e->next_step);
    } else {
        err.code = ErrorCode::Unknown;
        err.message =
            "Windows reported an error we have no wording for. Next: look the code up "
            "(net helpmsg " +
            std::to_string(win32_code) + ")";
    }
    return err;
}

Error errno_error(int errno_value, std::string api, std::string subject) {
    Error err;
    err.os_kind = OsCodeKind::Errno;
    err.os_code = errno_value;
    err.api = std::move(api);
    err.subject = std::move(subject);
    if (const auto* e = find_entry(kErrnoTable, errno_value)) {
        err.code = e->kind;
        err.message = compose(e->meaning, e->next_step);
    } else {
        err.code = ErrorCode::Unknown;
        err.message = "the system reported an error we have no wording for. Next: see errno(3)";
    }
    return err;
}

Error ntstatus_error(std::uint32_t status, std::string api, std::string subject) {
    Error err;
    err.os_kind = OsCodeKind::NtStatus;
    err.os_code = status;
    err.api = std::move(api);
    err.subject = std::move(subject);
    if (const auto* e = find_entry(kNtTable, status)) {
        err.code = e->kind;
        err.message = compose(e->meaning, e->next_step);
    } else {
        err.code = ErrorCode::Unknown;
        err.message =
            "the kernel reported a status we have no wording for. Next: look the status up "
            "(ntstatus.h) and check the log";
    }
    return err;
}

Error make_error(ErrorCode code, std::string api, std::string subject, std::string message) {
    Error err;
    err.code = code;
    err.api = std::move(api);
    err.subject = std::move(subject);
    err.message = std::move(message);
    return err;
}

std::string Error::os_code_text() const {
    switch (os_kind) {
        case OsCodeKind::None:
            return {};
        case OsCodeKind::Win32: {
            auto name = win32_error_name(static_cast<std::uint32_t>(os_code));
            std::string num = std::to_string(os_code);
            return name.empty() ? "Win32 error " + num : std::string(name) + " (" + num + ")";
        }
        case OsCodeKind::Errno: {
            auto name = errno_name(static_cast<int>(os_code));
            std::string num = std::to_string(os_code);
            return name.empty() ? "errno " + num : std::string(name) + " (" + num + ")";
        }
        case OsCodeKind::NtStatus: {
            char hex[16];
            std::snprintf(hex, sizeof hex, "0x%08X", static_cast<unsigned>(os_code));
            auto name = ntstatus_name(static_cast<std::uint32_t>(os_code));
            return name.empty() ? std::string("NTSTATUS ") + hex
                                : std::string(name) + " (" + hex + ")";
        }
    }
    return {};
}

std::string Error::to_string() const {
    std::string out;
    if (!api.empty()) out += api;
    if (!subject.empty()) {
        if (!out.empty()) out += ' ';
        out += subject;
    }
    if (!out.empty()) out += ": ";
    auto code_text = os_code_text();
    if (!code_text.empty()) {
        out += code_text;
        out += ": ";
    }
    out += message;
    return out;
}

}  // namespace pipescope::core
