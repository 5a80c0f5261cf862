#include "cli_common.hpp"

#include "pipescope/pipe_security.hpp"
#include "pipescope/sddl.hpp"
#include "pipescope/smb.hpp"

#ifdef _WIN32
#include <io.h>
#include <windows.h>
#else
#include <poll.h>
#include <unistd.h>
#endif

namespace pipescope::cli {

void ServerConfigFlags::add(CLI::App& cmd, bool with_sddl) {
    cmd.add_option("--direction", direction, "duplex | inbound | outbound")->capture_default_str();
    cmd.add_option("--type", type, "byte | message (default: byte, or message with --message)");
    cmd.add_option("--read-mode", read_mode, "byte | message");
    cmd.add_flag("--nowait", nowait, "PIPE_NOWAIT");
    cmd.add_option("--max-instances", max_instances, "1..254, 255 = unlimited")
        ->capture_default_str();
    cmd.add_option("--listening", listening,
                   "Win32: instances kept listening at once (0 = min(4, max instances))")
        ->capture_default_str();
    cmd.add_option("--in-quota", in_quota, "Input buffer, bytes")->capture_default_str();
    cmd.add_option("--out-quota", out_quota, "Output buffer, bytes")->capture_default_str();
    cmd.add_option("--default-timeout", default_timeout, "Default WaitNamedPipe timeout, ms")
        ->capture_default_str();
    cmd.add_flag("--no-first-instance", no_first_instance, "Without FILE_FLAG_FIRST_PIPE_INSTANCE");
    cmd.add_flag("--allow-remote", allow_remote, "Without PIPE_REJECT_REMOTE_CLIENTS");
    if (with_sddl) {
        cmd.add_option("--sddl", sddl,
                       "Security descriptor (default: user, SYSTEM, Administrators)");
    }
}

bool ServerConfigFlags::apply(core::Endpoint& ep) const {
    auto dir = core::parse_pipe_direction(direction);
    if (!dir) return TransportFlags::fail("bad --direction '" + direction + "'");
    ep.server.direction = *dir;
    if (!type.empty()) {
        auto t = core::parse_pipe_type(type);
        if (!t) return TransportFlags::fail("bad --type '" + type + "' (byte | message)");
        ep.server.type = *t;
    }
    if (!read_mode.empty()) {
        auto t = core::parse_pipe_type(read_mode);
        if (!t) return TransportFlags::fail("bad --read-mode '" + read_mode + "'");
        ep.server.read_mode = *t;
    }
    ep.server.nowait = nowait;
    ep.server.max_instances = max_instances;
    if (listening < 0 || listening > core::kMaxListeningInstances) {
        return TransportFlags::fail("bad --listening (0..." +
                                    std::to_string(core::kMaxListeningInstances) + ")");
    }
    ep.server.listening_instances = listening;
    ep.server.in_quota = in_quota;
    ep.server.out_quota = out_quota;
    ep.server.default_timeout_ms = default_timeout;
    ep.server.first_instance = !no_first_instance;
    ep.server.reject_remote = !allow_remote;
    if (!sddl.empty()) {
        // Checked here on every platform so a typo names its offset (Windows would only say
        // ERROR_INVALID_PARAMETER, and POSIX servers do not use SDDL at all).
        if (auto sd = core::parse_sddl(sddl); !sd) {
            return TransportFlags::fail("bad --sddl: " + sd.error().to_string());
        }
    }
    ep.server.sddl = sddl;
    // The defaults are safe (first instance, local clients only, owner-only access); say so
    // when a flag loosens them.
    for (const auto& w : core::server_security_warnings(ep.server, ep.kind)) {
        std::fprintf(stderr, "warning: %s\n", w.c_str());
    }
    return true;
}

void RemoteFlags::add(CLI::App& cmd) {
    cmd.add_option("--smb-port", smb_port, "Remote names: the server's SMB port (POSIX)")
        ->capture_default_str();
    cmd.add_option("--user", user,
                   "Remote names: DOMAIN\\user, user@domain or user (default: anonymous)");
    cmd.add_option("--password-file", password_file,
                   "Remote names: a file whose first line is the password");
    cmd.add_flag("--require-signing", require_signing,
                 "Remote names: refuse an SMB session that is not signed");
    cmd.add_flag("--encrypt", encrypt, "Remote names: ask for SMB3 encryption");
}

bool RemoteFlags::apply(core::RemoteOptions& remote) const {
    if (smb_port < 1 || smb_port > 65535)
        return TransportFlags::fail("bad --smb-port " + std::to_string(smb_port) +
                                    ": give a TCP port from 1 to 65535");
    remote.smb_port = static_cast<std::uint16_t>(smb_port);
    if (auto c = core::smb::parse_user(user); !c)
        return TransportFlags::fail(c.error().to_string());
    remote.user = user;
    if (!password_file.empty()) {
        if (user.empty())
            return TransportFlags::fail("--password-file needs --user (a guest has no password)");
        auto password = core::smb::read_password_file(password_file);
        if (!password) return TransportFlags::fail(password.error().to_string());
        remote.password = std::move(*password);
    }
    remote.require_signing = require_signing;
    remote.encrypt = encrypt;
    return true;
}

long read_stdin(char* buf, unsigned size) {
#ifdef _WIN32
    return ::_read(0, buf, size);
#else
    return static_cast<long>(::read(0, buf, size));
#endif
}

bool stdin_ready(int ms) {
#ifdef _WIN32
    HANDLE in = ::GetStdHandle(STD_INPUT_HANDLE);
    switch (::GetFileType(in)) {
        case FILE_TYPE_PIPE: {
            for (int waited = 0;; waited += 10) {
                DWORD avail = 0;
                // A failed peek is the writer's end (or an error): read_stdin then returns it.
                if (!::PeekNamedPipe(in, nullptr, 0, nullptr, &avail, nullptr) || avail > 0) {
                    return true;
                }
                if (waited >= ms) return false;
                ::Sleep(10);
            }
        }
        case FILE_TYPE_CHAR:
            return ::WaitForSingleObject(in, static_cast<DWORD>(ms)) == WAIT_OBJECT_0;
        default:
            return true;
    }
#else
    pollfd p{0, POLLIN, 0};
    return ::poll(&p, 1, ms) != 0;  // ready, its end (POLLHUP), or an error: read_stdin tells
#endif
}

void write_stdout(const void* data, std::size_t size) {
    std::fflush(stdout);
    const char* p = static_cast<const char*>(data);
    while (size > 0) {
#ifdef _WIN32
        int n = ::_write(1, p, static_cast<unsigned>(size));
#else
        long n = static_cast<long>(::write(1, p, size));
#endif
        if (n <= 0) return;
        p += n;
        size -= static_cast<std::size_t>(n);
    }
}

}  // namespace pipescope::cli
