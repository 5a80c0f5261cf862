// Inspector: the intrusive probe of one pipe, run only when the user asks.
//   Windows  opens a client handle (SECURITY_SQOS_PRESENT | SECURITY_IDENTIFICATION, the least
//            access that works, a bounded WaitNamedPipeW) and reads GetNamedPipeInfo,
//            GetNamedPipeHandleStateW, FilePipeLocalInformation, the server's PID, image and
//            session, and the security descriptor (owner, DACL, readable ACEs, risk flags).
//   Linux    a socket: stat (owner, mode), then a non-blocking connect with a poll bound and
//            SO_PEERCRED / SO_TYPE / SO_SNDBUF / SO_RCVBUF; a FIFO: stat, then an
//            O_RDONLY|O_NONBLOCK open (never blocks, never reads) for F_GETPIPE_SZ and FIONREAD.
// Every value is a Field that says where it came from, whether getting it connected to the
// pipe, and, when it is missing, why (busy, denied, unsupported, ...). Nothing is a blank.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "pipescope/pipe_name.hpp"
#include "pipescope/result.hpp"
#include "pipescope/transport.hpp"

namespace pipescope::core {

// Why a field has (or lacks) a value.
enum class FieldState {
    Ok,           // value present
    Busy,         // the pipe had no free instance, so the probe could not ask
    Denied,       // the system refused the query (access denied)
    NotFound,     // the pipe vanished
    TimedOut,     // the probe ran out of time before asking
    Unsupported,  // this system does not offer the query (e.g. Wine, or not for this kind)
    Unknown,      // not asked or not knowable
    Failed,       // the query failed for another reason (see note)
};
[[nodiscard]] std::string_view to_string(FieldState state);  // "ok", "busy", "denied", ...

template <class T>
struct Field {
    std::optional<T> value;
    FieldState state = FieldState::Unknown;
    std::string source;      // the API that gave it: "GetNamedPipeInfo", "SO_PEERCRED", ...
    bool connected = false;  // true when getting it required opening/connecting to the pipe
    std::string note;        // why it is missing, in words (empty when Ok)

    [[nodiscard]] bool ok() const { return state == FieldState::Ok && value.has_value(); }
    void set(T v, std::string src, bool conn) {
        value = std::move(v);
        state = FieldState::Ok;
        source = std::move(src);
        connected = conn;
        note.clear();
    }
    void fail(FieldState s, std::string src, bool conn, std::string why) {
        value.reset();
        state = s;
        source = std::move(src);
        connected = conn;
        note = std::move(why);
    }
};

// The outcome of the whole probe. Busy / Denied / NotFound / TimedOut are results, not errors
// to hide: fields that did not need the connection (e.g. Linux owner and mode) may still be Ok.
enum class InspectState { Ok, Busy, Denied, NotFound, TimedOut, Cancelled, Error };
[[nodiscard]] std::string_view to_string(InspectState state);  // "ok", "busy", ...

// One access control entry in readable form.
struct AceInfo {
    std::string type;        // "allow", "deny", "audit", "other"
    std::string sid;         // "S-1-1-0"
    std::string trustee;     // "Everyone", "BUILTIN\\Administrators" (the SID when unknown)
    std::uint32_t mask = 0;  // access mask
    std::uint8_t flags = 0;  // ACE flags (inheritance)
    std::vector<std::string> rights;  // "read data", "write data", "full control", ...
};

// Rights in words for a pipe's access mask (generic, standard and file-pipe specific bits;
// FILE_ALL_ACCESS and GENERIC_ALL become "full control"). Portable.
[[nodiscard]] std::vector<std::string> pipe_rights_in_words(std::uint32_t mask);
// True when the mask lets a holder write data to the pipe (FILE_WRITE_DATA, GENERIC_WRITE,
// GENERIC_ALL, or MAXIMUM_ALLOWED-like full masks). Portable.
[[nodiscard]] bool mask_allows_write(std::uint32_t mask);

// Risk flags derived from a DACL. `dacl_present` false means a NULL DACL (everyone may do
// everything). Deny ACEs for a SID that come before its allow ACEs cancel the write.
// Portable.
struct RiskFlags {
    bool null_dacl = false;
    bool everyone_can_write = false;   // S-1-1-0
    bool anonymous_can_write = false;  // S-1-5-7
    // nullopt: not knowable from the DACL alone (PIPE_REJECT_REMOTE_CLIENTS is not visible
    // to a client); false when the DACL denies NETWORK (S-1-5-2) any write.
    std::optional<bool> remote_clients_accepted;
};
[[nodiscard]] RiskFlags assess_dacl(bool dacl_present, const std::vector<AceInfo>& aces);

struct PipeDetails {
    std::string name;  // as the user gave it, displayed
    std::string kind;  // "named pipe", "unix stream", "unix seqpacket", "fifo", ...
    InspectState state = InspectState::Error;
    std::optional<Error> error;  // set unless state == Ok
    bool connected = false;      // whether the probe opened/connected to the pipe
    std::chrono::milliseconds elapsed{0};

    // Windows: GetNamedPipeInfo (type, end, quotas, max instances), GetNamedPipeHandleStateW
    // (current instances, handle state), FilePipeLocalInformation.
    Field<std::string> access;          // the access the probe opened the pipe with
    Field<std::string> type;            // "byte" or "message"
    Field<std::string> end;             // "server" or "client" (the end the probe holds)
    Field<std::uint32_t> in_quota;      // bytes
    Field<std::uint32_t> out_quota;     // bytes
    Field<std::int64_t> max_instances;  // -1 for unlimited
    Field<std::int64_t> current_instances;
    Field<std::string> handle_state;  // "blocking"/"nonblocking", "+message read"
    Field<std::string> pipe_state;    // "listening", "connected", "closing", "disconnected"
    Field<std::uint32_t> read_data_available;    // bytes
    Field<std::uint32_t> write_quota_available;  // bytes

    // The server process: Windows GetNamedPipeServerProcessId/SessionId + image;
    // Linux SO_PEERCRED (pid, uid, gid) + /proc/<pid>/exe.
    Field<std::uint32_t> server_pid;
    Field<std::string> server_image;
    Field<std::uint32_t> server_session;
    Field<std::uint32_t> server_uid;
    Field<std::uint32_t> server_gid;

    // Security. Windows: owner and DACL (GetSecurityInfo). Linux: owner and mode of the path.
    Field<std::string> owner;          // "DOMAIN\\user" / "S-1-5-..." ; Linux "user (uid)"
    Field<std::string> sddl;           // "O:...D:..." (Windows)
    Field<std::vector<AceInfo>> aces;  // Windows
    Field<bool> null_dacl;
    Field<bool> everyone_can_write;
    Field<bool> anonymous_can_write;
    Field<bool> remote_clients_accepted;
    Field<std::uint32_t> mode;       // Linux: st_mode & 07777
    Field<std::uint32_t> owner_uid;  // Linux: st_uid of the path
    Field<std::uint32_t> owner_gid;  // Linux: st_gid of the path
    // Windows: the self-relative descriptor as GetSecurityInfo returned it (owner, group,
    // DACL, and the label when the probe may read it), for parse_security_descriptor.
    Field<std::vector<std::uint8_t>> security_descriptor;

    // Linux sockets and FIFOs.
    Field<std::string> socket_type;    // "stream", "seqpacket", "dgram"
    Field<std::int64_t> send_buffer;   // SO_SNDBUF, bytes
    Field<std::int64_t> recv_buffer;   // SO_RCVBUF, bytes
    Field<std::int64_t> capacity;      // F_GETPIPE_SZ, bytes
    Field<std::int64_t> bytes_queued;  // FIONREAD, bytes

    // Remote pipes reached over SMB (POSIX): what the session learnt.
    Field<std::string> smb_dialect;  // "3.1.1"
    Field<std::string> smb_signing;  // "on (the server requires it)", "off (...)"
    Field<bool> smb_encryption;
    Field<std::string> smb_logon;   // "guest" or "user DOMAIN\\name"
    Field<std::string> smb_server;  // the server's name (and domain) from NTLM
};

// What kind of pipe a PipeDetails describes, for deciding which fields mean anything.
enum class DetailsKind { NamedPipe, UnixSocket, Fifo, RemotePipe, Unknown };
// From PipeDetails::kind ("named pipe", "unix socket", "unix stream", "fifo", "remote pipe
// (SMB)", ...). A probe
// that failed before it learned the kind (kind empty): NamedPipe when `windows` (every pipe
// there is one), else Unknown. Portable; any thread.
[[nodiscard]] DetailsKind details_kind(std::string_view kind, bool windows);
// details_kind(d.kind, whether this build targets Windows).
[[nodiscard]] DetailsKind details_kind(const PipeDetails& d);
// Whether the field named `key` (its `inspect --json` key: "access", "in_quota", "mode",
// "socket_type", ...) means anything for pipes of `kind`: Win32 pipe fields for named pipes,
// owner uid/gid and mode for sockets and FIFOs, socket options for sockets, FIFO sizes for
// FIFOs. Unknown (a POSIX probe that failed before stat told the kind) keeps what every POSIX
// kind has. The one rule the GUI inspector and `inspect`'s text use to hide fields that do not
// apply (a field that applies but is missing is shown with why); --json keeps every field.
// An unknown key applies. Portable; any thread.
[[nodiscard]] bool field_applies(std::string_view key, DetailsKind kind);

struct InspectOptions {
    // Bound for the whole probe (wait for a free instance, connect). The probe returns within
    // about this time plus the cost of the queries themselves.
    std::chrono::milliseconds timeout{2000};
    // Look up trustee names (LookupAccountSidW) and user names; off makes it faster.
    bool resolve_names = true;
    // Open with READ_CONTROL | FILE_READ_ATTRIBUTES only, never with a right to the data (the
    // audit): where that open is refused the probe reports Denied instead of trying more.
    bool least_access_only = false;
    // Windows: processes the listing says hold the server end (PipeEntry::server_pids). When
    // the open is refused or every instance stays busy, the descriptor is read from one of
    // their handles instead, without connecting, where this process may duplicate it (an
    // administrator may); those security fields then have connected = false. Empty: no such
    // second way.
    std::vector<std::uint32_t> server_pids;
    // Remote names on POSIX: how to reach the SMB server (port, user, password; never logged).
    RemoteOptions remote;
};

// Probes one pipe on the calling thread. `stop` cancels the waiting part promptly (the result
// is then Cancelled). Never throws. Any thread; blocks up to about options.timeout.
[[nodiscard]] PipeDetails inspect_pipe(const PipeName& name, const InspectOptions& options,
                                       std::stop_token stop = {});

// What a task runs: inspect_pipe, or a test's fake. It must return soon after `stop` is
// requested (the result is then Cancelled).
using InspectProbe =
    std::function<PipeDetails(const PipeName&, const InspectOptions&, std::stop_token)>;

// A probe running on its own thread: the one way core, the CLI and the GUI run a probe in the
// background. Destroying the handle cancels and joins (hand it to an InspectTaskReaper to
// drop it without waiting). Threads: any thread may call any member; get() once.
class InspectTask {
  public:
    InspectTask() = default;
    InspectTask(InspectTask&&) noexcept = default;
    InspectTask& operator=(InspectTask&&) noexcept = default;
    ~InspectTask();

    // True when the result is ready (non-blocking).
    [[nodiscard]] bool ready() const;
    // Waits up to `for_at_most`; true when ready.
    [[nodiscard]] bool wait_for(std::chrono::milliseconds for_at_most) const;
    // Blocks until ready and returns the result (once).
    [[nodiscard]] PipeDetails get();
    // Asks the probe to stop; it then finishes with InspectState::Cancelled.
    void cancel();
    [[nodiscard]] bool valid() const { return future_.valid(); }

  private:
    friend InspectTask inspect_async(const PipeName&, const InspectOptions&, InspectProbe);
    std::future<PipeDetails> future_;
    std::jthread thread_;
};

// Starts `probe` (inspect_pipe by default) on a new thread and returns at once. Any thread.
[[nodiscard]] InspectTask inspect_async(const PipeName& name, const InspectOptions& options,
                                        InspectProbe probe = inspect_pipe);

// Owns tasks whose caller stopped waiting (a closed inspector tab), so dropping one never
// blocks the caller: adopt() cancels the task and keeps its thread; finished ones are joined at
// the next adopt(), the rest when the reaper is destroyed (each bounded by its probe's timeout).
// Threads: any thread may call any member; destroy it on a thread that may wait.
class InspectTaskReaper {
  public:
    InspectTaskReaper() = default;
    InspectTaskReaper(const InspectTaskReaper&) = delete;
    InspectTaskReaper& operator=(const InspectTaskReaper&) = delete;
    ~InspectTaskReaper();  // joins every kept task

    void adopt(InspectTask task);
    // Tasks kept and not yet joined (finished ones count until the next adopt()).
    [[nodiscard]] std::size_t pending() const;

  private:
    mutable std::mutex mutex_;
    std::vector<InspectTask> tasks_;
};

}  // namespace pipescope::core
