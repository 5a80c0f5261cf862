// Transports: one interface for listeners, dialers and connected channels over every kind of
// pipe we support, chosen at run time so the benchmark can put them side by side.
//
//   Win32Pipe      Windows named pipe; IoModel Sync, Overlapped (events) or Iocp
//   UnixStream     AF_UNIX SOCK_STREAM (the POSIX counterpart of a byte-mode pipe)
//   UnixSeqpacket  AF_UNIX SOCK_SEQPACKET (the POSIX counterpart of message mode)
//   Fifo           a FIFO <path> for connection requests, and per connection a pair of
//                  FIFOs <path>.<id>.c2s / .s2c made by the client (see transport_posix.cpp)
//   Tcp            TCP on loopback, as a baseline
//
// Threads: a Channel or Listener is used by one thread at a time for I/O, except that one
// reader and one writer thread may use a Channel at once (a relay does). On Windows a blocked
// synchronous call holds the handle, so full duplex on two threads wants the Overlapped or Iocp
// model (the default), not Sync.
// cancel() may be called from any thread and makes a pending call return ErrorCode::Cancelled
// promptly; it is sticky: every later call on that object also returns Cancelled.
// Blocking calls take a timeout; none blocks forever unless asked to (kInfinite).
// Hot path: in steady state a read() or write() on a connected Channel is one OS call, the one a
// hand-written blocking loop makes (recv / send / read / write; ReadFile / WriteFile on the Sync
// model; on Overlapped and Iocp one more wait only when the call is pending). Timeouts and
// cancel() are enforced from outside the call by a watchdog thread (core/src/os/
// call_watchdog.hpp): POSIX interrupts a blocked call with SIGURG (installed without
// SA_RESTART unless the program handles SIGURG itself), Windows with CancelSynchronousIo. No
// allocation, lock or log per call.
// FIFO: relies on Linux FIFO semantics (O_RDWR opens); a FIFO channel ignores SIGPIPE
// process-wide (it sets SIGPIPE to SIG_IGN when it was SIG_DFL) so a vanished reader gives
// EPIPE, not a signal.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "pipescope/pipe_name.hpp"
#include "pipescope/result.hpp"

namespace pipescope::core {

enum class TransportKind { Win32Pipe, UnixStream, UnixSeqpacket, Fifo, Tcp };
// Win32Pipe only (POSIX kinds always make plain blocking calls):
//   Sync        blocking ReadFile/WriteFile, one call each; a writer thread waits behind a blocked
//               reader on the same handle (Windows serialises synchronous calls per handle).
//   Overlapped  FILE_FLAG_OVERLAPPED with an event per direction: one call, plus one wait when
//               it is pending. Full duplex; what sessions, the CLI client and server and the GUI
//               forms use by default.
//   Iocp        the handle on an I/O completion port, no packet for calls that complete at once.
// Each measures what a program written that way gets; the benchmark defaults to Sync.
enum class IoModel { Sync, Overlapped, Iocp };
enum class PipeType { Byte, Message };
// The server's open mode (PIPE_ACCESS_DUPLEX / INBOUND / OUTBOUND); a client's access.
enum class PipeDirection { Duplex, Inbound, Outbound };
enum class ImpersonationLevel { Anonymous, Identification, Impersonation, Delegation };

[[nodiscard]] std::string_view to_string(TransportKind kind);
[[nodiscard]] std::string_view to_string(IoModel io);
[[nodiscard]] std::string_view to_string(PipeType type);
[[nodiscard]] std::string_view to_string(PipeDirection direction);
[[nodiscard]] std::string_view to_string(ImpersonationLevel level);
// What an I/O model means, in one sentence, for help texts and the GUI. Any thread.
[[nodiscard]] std::string_view io_model_meaning(IoModel io);
[[nodiscard]] std::optional<TransportKind> parse_transport_kind(std::string_view text);
[[nodiscard]] std::optional<IoModel> parse_io_model(std::string_view text);
[[nodiscard]] std::optional<PipeType> parse_pipe_type(std::string_view text);
[[nodiscard]] std::optional<PipeDirection> parse_pipe_direction(std::string_view text);
[[nodiscard]] std::optional<ImpersonationLevel> parse_impersonation_level(std::string_view text);

// The transports this build can use (Win32Pipe only on Windows, AF_UNIX and FIFO only on POSIX).
// Tcp (loopback) is POSIX-only in this build.
[[nodiscard]] std::vector<TransportKind> available_transports();
[[nodiscard]] bool transport_available(TransportKind kind);

// Win32: the SDDL used when ServerConfig::sddl is empty: full access for the current user
// (the process token's user SID), SYSTEM and Administrators only:
// "D:P(A;;FA;;;<user-sid>)(A;;FA;;;SY)(A;;FA;;;BA)". POSIX: empty. Any thread.
[[nodiscard]] Result<std::string> default_pipe_sddl();

using Timeout = std::chrono::milliseconds;
inline constexpr Timeout kInfinite{-1};

// The full CreateNamedPipe configuration; POSIX kinds honour what has a counterpart.
struct ServerConfig {
    PipeDirection direction = PipeDirection::Duplex;
    PipeType type = PipeType::Byte;
    PipeType read_mode = PipeType::Byte;
    bool nowait = false;      // PIPE_NOWAIT
    int max_instances = 255;  // 1..254, or 255 = PIPE_UNLIMITED_INSTANCES
    // Win32: instances kept listening at once, so that many clients can connect in the same
    // instant without ERROR_PIPE_BUSY; 0 = min(4, max_instances). See
    // effective_listening_instances(). POSIX: no counterpart (a socket has its backlog).
    int listening_instances = 0;
    std::uint32_t in_quota = 65536;   // input buffer size, bytes
    std::uint32_t out_quota = 65536;  // output buffer size, bytes
    std::uint32_t default_timeout_ms = 50;
    bool first_instance = true;        // FILE_FLAG_FIRST_PIPE_INSTANCE
    bool reject_remote = true;         // PIPE_REJECT_REMOTE_CLIENTS
    std::string sddl;                  // empty: current user, SYSTEM and Administrators only
    int backlog = 64;                  // POSIX listen(2) backlog
    std::uint32_t socket_mode = 0600;  // POSIX socket / FIFO file mode
};

// The most instances a Win32 listener keeps listening at once (one wait handle each).
inline constexpr int kMaxListeningInstances = 32;

// How many instances a Win32 server keeps listening: listening_instances when > 0, else
// min(4, max_instances); never more than max_instances (when limited) nor
// kMaxListeningInstances; at least 1. Any thread.
[[nodiscard]] int effective_listening_instances(const ServerConfig& config);

// Remote names (\\host\pipe\x): on POSIX connect() reaches them with the project's SMB client
// (pipescope/smb.hpp); on Windows the OS redirector does (port 445 and the logged-on user only).
struct RemoteOptions {
    std::uint16_t smb_port = 445;
    std::string user;              // "DOMAIN\user", "user@domain" or "user"; empty: guest
    std::string password;          // never logged or printed (the CLI reads --password-file)
    bool require_signing = false;  // refuse a session that would not be signed
    bool encrypt = false;          // ask for SMB3 encryption
};

struct ClientConfig {
    PipeDirection access = PipeDirection::Duplex;  // Duplex: read+write; Inbound: read only; ...
    PipeType read_mode = PipeType::Byte;           // SetNamedPipeHandleState after connecting
    ImpersonationLevel impersonation = ImpersonationLevel::Identification;
    bool retry_busy = true;  // WaitNamedPipe and retry on ERROR_PIPE_BUSY
    RemoteOptions remote;    // remote names only
};

// Where to listen or connect, and how.
struct Endpoint {
    TransportKind kind = TransportKind::UnixStream;
    IoModel io = IoModel::Sync;
    PipeName name;               // pipe name, socket path or @abstract; FIFO base path
    std::uint16_t tcp_port = 0;  // Tcp: 0 lets the listener pick one (see Listener::address)
    ServerConfig server;
    ClientConfig client;
};

// What we know about the process on the other end.
struct PeerInfo {
    std::optional<std::uint32_t> pid;
    std::optional<std::uint32_t> uid;      // POSIX
    std::optional<std::uint32_t> session;  // Windows session id
    std::string image;                     // executable path, when it could be read
};

struct ReadResult {
    std::size_t bytes = 0;
    bool message_end = true;  // false: more of this message follows (ERROR_MORE_DATA)
    bool eof = false;         // the peer closed its end cleanly; no more data will come
};

class Channel {
  public:
    virtual ~Channel() = default;

    // Writes all of `data`; on message kinds as one message. 0 bytes sends an empty message
    // where the kind has messages, and is a no-op otherwise.
    virtual Result<std::size_t> write(std::span<const std::byte> data, Timeout timeout) = 0;
    // Reads what is available, up to buf.size() bytes, waiting up to `timeout` for something.
    virtual Result<ReadResult> read(std::span<std::byte> buf, Timeout timeout) = 0;
    // Ends our sending direction (FIFO: closes the write end; socket: shutdown(SHUT_WR);
    // Win32: flushes and disconnects the write side where possible).
    virtual Status close_write() = 0;
    // Any thread: makes a pending read or write return ErrorCode::Cancelled.
    virtual void cancel() = 0;
    virtual void close() = 0;

    // A promise from the reading thread, made by the benchmark: from now on every message is
    // non-empty and at most `largest` bytes, and every read() passes a buffer that big. A
    // message kind may then read with the call a hand-written loop makes (seqpacket: recv
    // instead of recvmsg with credentials, which tell an empty message from the end); a 0-byte
    // read is then the end of the stream, and a longer message fails with ErrorCode::MoreData
    // (its tail is lost) instead of being split. Byte kinds and Win32 pipes ignore it.
    virtual void promise_whole_messages(std::size_t largest) { (void)largest; }

    [[nodiscard]] virtual bool message_oriented() const = 0;
    [[nodiscard]] virtual PeerInfo peer() const = 0;
    [[nodiscard]] virtual std::string describe() const = 0;
    // The largest message one write() can carry on a message kind (seqpacket: bounded by the
    // socket send buffer); 0 when there is no limit we know of. Any thread.
    [[nodiscard]] virtual std::size_t max_message_bytes() const { return 0; }
    // After a read() gave eof: how the end was seen, as an Error naming the call and the OS
    // code where there was one (Win32: ReadFile / PeekNamedPipe with ERROR_BROKEN_PIPE or
    // ERROR_PIPE_NOT_CONNECTED; POSIX: recv / read returning 0, no code). Callers replace the
    // message with what the end means to them. The reading thread only.
    [[nodiscard]] virtual Error end_of_stream_error() const {
        return make_error(ErrorCode::BrokenPipe, "read", describe(), "the peer closed its end");
    }

    // Reads one whole message into `out` (reassembling ERROR_MORE_DATA / partial reads).
    // On byte kinds, reads what one read() returns. eof=true only with nothing read. A peer
    // that closes in the middle of a message gives ErrorCode::BrokenPipe, with the part that
    // arrived left in `out`. Allocates (grows `out`): not for the benchmark hot path. Holds at
    // most `max_bytes`: a longer message gives ErrorCode::MoreData with its first `max_bytes`
    // in `out` and the rest still to read (so a hostile peer cannot make it hold 100 MiB).
    Result<ReadResult> read_message(std::vector<std::byte>& out, Timeout timeout,
                                    std::size_t max_bytes = std::size_t{16} << 20);
    // Writes until all of `data` is gone (loops over partial writes).
    Status write_all(std::span<const std::byte> data, Timeout timeout);
};

class Listener {
  public:
    virtual ~Listener() = default;
    // Waits up to `timeout` for a client and returns its channel. Keeps listening afterwards.
    virtual Result<std::unique_ptr<Channel>> accept(Timeout timeout) = 0;
    // Any thread: makes a pending accept return ErrorCode::Cancelled.
    virtual void cancel() = 0;
    // What a client connects to: "\\.\pipe\x", "/run/x.sock", "127.0.0.1:5000", ...
    [[nodiscard]] virtual std::string address() const = 0;
    // The endpoint a client should use to reach this listener (Tcp: with the chosen port).
    [[nodiscard]] virtual Endpoint client_endpoint() const = 0;
};

// Creates a listener (the server side). Errors name the API and the Win32 error / errno.
[[nodiscard]] Result<std::unique_ptr<Listener>> listen(const Endpoint& endpoint);
// Connects as a client, retrying a busy pipe until `timeout`; `stop` cancels the attempt.
[[nodiscard]] Result<std::unique_ptr<Channel>> connect(const Endpoint& endpoint, Timeout timeout,
                                                       std::stop_token stop = {});

}  // namespace pipescope::core
