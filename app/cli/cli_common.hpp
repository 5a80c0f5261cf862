// Flags shared by client, server and relay: which transport, and how to reach it.
#pragma once

#include <cstdio>
#include <cstdint>
#include <string>

#include <CLI/CLI.hpp>

#include "pipescope/transport.hpp"

namespace pipescope::cli {

struct TransportFlags {
    std::string name;
#ifdef _WIN32
    std::string transport = "win32";
#else
    std::string transport = "unix";
#endif
    std::string io = "overlapped";
    bool message = false;
    int port = 0;

    void add(CLI::App& cmd) {
        cmd.add_option("NAME", name,
                       "Pipe name (\\\\.\\pipe\\x, \\\\host\\pipe\\x, bare), socket path, "
                       "@abstract or FIFO base")
            ->required();
        cmd.add_option("--transport", transport, "win32 | unix | seqpacket | fifo | tcp")
            ->capture_default_str();
        cmd.add_option("--io", io, "Win32 I/O model: sync | overlapped | iocp")
            ->capture_default_str();
        cmd.add_flag("--message", message, "Message mode (Win32 message type and read mode)");
        cmd.add_option("--port", port, "TCP port on 127.0.0.1");
    }

    // Fills an Endpoint; prints the problem and returns false on bad input.
    bool to_endpoint(core::Endpoint& ep) const {
        auto kind = core::parse_transport_kind(transport);
        auto model = core::parse_io_model(io);
        auto pipe = core::PipeName::parse(name);
        if (!kind) return fail("unknown transport '" + transport + "'");
        if (!model) return fail("unknown I/O model '" + io + "'");
        if (!pipe) return fail(pipe.error().to_string());
        ep.kind = *kind;
        ep.io = *model;
        ep.name = *pipe;
        ep.tcp_port = static_cast<std::uint16_t>(port);
        if (message) {
            ep.server.type = ep.server.read_mode = ep.client.read_mode = core::PipeType::Message;
        }
        return true;
    }

    static bool fail(const std::string& what) {
        std::fprintf(stderr, "error: %s\n", what.c_str());
        return false;
    }
};

// How to reach remote names (\\host\pipe\x): the SMB port, the user and the file holding the
// password (never the password itself on the command line). client and inspect take them.
struct RemoteFlags {
    int smb_port = 445;
    std::string user;
    std::string password_file;
    bool require_signing = false;
    bool encrypt = false;

    void add(CLI::App& cmd);
    // Fills `remote` (reading the password file); prints the problem and returns false on bad
    // input. Never prints the password.
    bool apply(core::RemoteOptions& remote) const;
};

// The listening side's pipe configuration, as `server` and `proxy` take it: CreateNamedPipe's
// settings on Windows, their counterparts on POSIX.
struct ServerConfigFlags {
    std::string direction = "duplex";
    std::string type;
    std::string read_mode;
    bool nowait = false;
    int max_instances = 255;
    int listening = 0;
    std::uint32_t in_quota = 65536, out_quota = 65536, default_timeout = 50;
    bool no_first_instance = false;
    bool allow_remote = false;
    std::string sddl;

    // `with_sddl`: false when the command adds its own --sddl (with alternatives).
    void add(CLI::App& cmd, bool with_sddl = true);
    // Fills ep.server (after TransportFlags::to_endpoint); prints the problem and returns false
    // on bad input, and prints a warning for each setting that loosens the safe defaults.
    bool apply(core::Endpoint& ep) const;
};

// Reads raw bytes from stdin without stdio (a reader thread blocked here must not hold a
// stdio lock when the process exits). Returns 0 at end of input, <0 on error.
long read_stdin(char* buf, unsigned size);
// Waits up to `ms` for stdin to have input (or its end) so read_stdin will not block. POSIX:
// poll(2). Windows: PeekNamedPipe for a pipe, WaitForSingleObject for a console, and a file is
// always ready. Lets a reader thread check whether it should stop, so it can be joined.
bool stdin_ready(int ms);
// Writes all bytes to stdout (unbuffered) and flushes.
void write_stdout(const void* data, std::size_t size);

}  // namespace pipescope::cli
