// SMB2/3 client for remote named pipes (\\host\pipe\x over TCP, the IPC$ share), written in the
// project: the subset a pipe needs. NEGOTIATE (2.1, 3.0, 3.0.2, 3.1.1 with its pre-authentication
// integrity), SESSION_SETUP (guest/anonymous or NTLMv2; Kerberos is out of scope), signing where
// the server asks for it, TREE_CONNECT to IPC$, CREATE, READ (a short read ends a message;
// STATUS_BUFFER_OVERFLOW means more of the same message), WRITE, IOCTL FSCTL_PIPE_TRANSCEIVE and
// CLOSE. Every call is bounded by a timeout and can be cancelled.
//
// Portable code: the Windows build can compile and use it too, but on Windows connect() hands
// remote names to the OS redirector; this client serves remote names on POSIX and the
// remote-check's SMB steps.
//
// Never logs or prints a password; never reads ~/.smb, smb.conf or any other configuration.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "pipescope/result.hpp"
#include "pipescope/transport.hpp"

namespace pipescope::core::smb {

enum class Dialect : std::uint16_t {
    Smb202 = 0x0202,
    Smb210 = 0x0210,
    Smb300 = 0x0300,
    Smb302 = 0x0302,
    Smb311 = 0x0311,
};
// "2.1", "3.1.1", ... ; "0x....": unknown values.
[[nodiscard]] std::string to_string(Dialect dialect);

// Who to log on as. An empty user logs on as guest/anonymous.
struct Credentials {
    std::string domain;    // empty: none (the server's own)
    std::string user;      // empty: guest / anonymous
    std::string password;  // never logged, never printed; read with read_password_file()
    [[nodiscard]] bool anonymous() const noexcept { return user.empty(); }
};
// "DOMAIN\user", "user@domain" or "user" into domain and user (no password). Errors say why.
[[nodiscard]] Result<Credentials> parse_user(std::string_view text);
// The password is the file's first line (a trailing CR/LF dropped). Errors name the file, never
// its contents.
[[nodiscard]] Result<std::string> read_password_file(const std::string& path);

struct Options {
    std::string host;  // name or address, as in \\host\pipe\x
    std::uint16_t port = 445;
    Credentials credentials;
    Timeout timeout{5000};         // each network round trip
    bool require_signing = false;  // refuse a session that would not be signed
    bool encrypt = false;          // ask for SMB3 encryption (may give ErrorCode::Unsupported)
};

// What the session setup learnt, for inspect and remote-check.
struct SessionInfo {
    Dialect dialect = Dialect::Smb210;
    bool server_requires_signing = false;  // SMB2_NEGOTIATE_SIGNING_REQUIRED from the server
    bool signing = false;                  // our messages are signed
    bool encryption = false;               // our messages are encrypted
    bool guest = false;                    // the server logged us on as guest or anonymous
    std::string server_name;               // NTLM target info: the server's NetBIOS/DNS name
    std::string server_domain;             // NTLM target info: the domain
};

// What the server tells about an open pipe (FilePipeLocalInformation where it answers it).
struct PipeInfo {
    std::optional<PipeType> type;  // the pipe's type, where the server reports it
    std::optional<PipeType> read_mode;
    std::optional<std::uint32_t> max_instances;  // 0xFFFFFFFF: unlimited
    std::optional<std::uint32_t> current_instances;
    std::optional<std::uint32_t> in_quota;
    std::optional<std::uint32_t> out_quota;
};

class Session;

// An open pipe on the server: a Channel (read/write as every transport; message_oriented() is
// true when the server reports message mode) plus what only SMB has.
class PipeChannel : public Channel {
  public:
    // FSCTL_PIPE_TRANSCEIVE: writes `request` as one message and reads one reply message.
    virtual Result<ReadResult> transact(std::span<const std::byte> request,
                                        std::span<std::byte> reply, Timeout timeout) = 0;
    [[nodiscard]] virtual PipeInfo pipe_info() const = 0;
    [[nodiscard]] virtual SessionInfo session_info() const = 0;
};

// One TCP connection with one authenticated session and a tree connected to IPC$. Thread-safe:
// the channels it opens share it (each keeps it alive); calls from several threads are
// serialised on the connection. cancel() from any thread makes pending calls return Cancelled.
class Session : public std::enable_shared_from_this<Session> {
  public:
    virtual ~Session() = default;

    // Step by step, for remote-check: resolve + TCP connect (errors: ErrorCode::NotFound for a
    // name that does not resolve, ConnectionRefused, Timeout), then negotiate + session setup +
    // tree connect (errors name the NTSTATUS, e.g. STATUS_LOGON_FAILURE, and the step).
    [[nodiscard]] static Result<std::shared_ptr<Session>> connect_tcp(const Options& options,
                                                                      std::stop_token stop = {});
    virtual Result<SessionInfo> logon(std::stop_token stop = {}) = 0;
    // CREATE of `pipe_name` (the name under \pipe\, e.g. "srvsvc") on IPC$. Errors:
    // STATUS_OBJECT_NAME_NOT_FOUND -> NotFound, STATUS_ACCESS_DENIED -> AccessDenied, ...
    virtual Result<std::unique_ptr<PipeChannel>> open_pipe(std::string_view pipe_name,
                                                           const ClientConfig& config,
                                                           std::stop_token stop = {}) = 0;
    [[nodiscard]] virtual SessionInfo info() const = 0;
    virtual void cancel() = 0;
};

// All of it at once: connect_tcp, logon and open_pipe for \\host\pipe\name. What
// core::connect() calls on POSIX for a remote PipeName.
[[nodiscard]] Result<std::unique_ptr<PipeChannel>> open_remote_pipe(const PipeName& name,
                                                                    const Options& options,
                                                                    const ClientConfig& config,
                                                                    std::stop_token stop = {});

}  // namespace pipescope::core::smb
