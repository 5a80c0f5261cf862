// Catalog: the passive list of pipes on this machine. Listing never opens or connects to a
// pipe; it reads what the system already knows:
//   Windows  the NPFS directory (NtQueryDirectoryFile on \\.\pipe\) where it works, else the
//            system handle table (which process holds which pipe, server or client end)
//   Linux    /proc/net/unix (AF_UNIX sockets), /proc/*/fd (owners by inode, FIFOs in use),
//            and sockets and FIFOs in folders the user names
// Every entry says which source found it. A Snapshot is immutable once published; a
// PipeCatalog refreshes on request or on an interval in its own thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <stop_token>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "pipescope/result.hpp"
#include "pipescope/snapshot_publisher.hpp"

namespace pipescope::core {

enum class PipeKind { NamedPipe, UnixStream, UnixSeqpacket, UnixDgram, Fifo };

// Where an entry (or a part of it) came from. A bit set: an entry can be found by several.
enum class CatalogSource : std::uint32_t {
    NtDirectory = 1u << 0,  // NtQueryDirectoryFile on \\.\pipe\ (Windows)
    HandleTable = 1u << 1,  // NtQuerySystemInformation(SystemExtendedHandleInformation)
    ProcNetUnix = 1u << 2,  // /proc/net/unix
    ProcFd = 1u << 3,       // /proc/<pid>/fd links
    Folder = 1u << 4,       // a folder the user asked us to scan
};

// Socket state as /proc/net/unix reports it; NotApplicable for pipes and FIFOs.
enum class SocketState { NotApplicable, Unconnected, Listening, Connecting, Connected, Closing };

[[nodiscard]] std::string_view to_string(PipeKind kind);  // "named pipe", "unix stream", ...
[[nodiscard]] std::string_view kind_id(PipeKind kind);    // "named_pipe", "unix_stream", ...
[[nodiscard]] std::string_view to_string(
    CatalogSource source);                                    // "nt_directory", "handle_table", ...
[[nodiscard]] std::string_view to_string(SocketState state);  // "listening", "connected", ...
// "nt_directory+handle_table" for a bit set of CatalogSource values.
[[nodiscard]] std::string sources_to_string(std::uint32_t sources);

// A process that holds an end of a pipe.
struct ProcessRef {
    std::uint32_t pid = 0;
    std::string name;  // executable name when known ("" otherwise)
    friend bool operator==(const ProcessRef&, const ProcessRef&) = default;
};

struct PipeEntry {
    // Identity: the kind plus the name. Windows: the pipe name without \\.\pipe\ (it may hold
    // backslashes). Linux: the socket path, "@name" for abstract sockets, the FIFO path, or
    // "socket:[inode]" for an unnamed socket.
    PipeKind kind = PipeKind::NamedPipe;
    std::string name;

    // Counts; nullopt when the source does not know. max_instances: -1 for unlimited.
    // Linux: current_instances = sockets bound to/connected at that name (1 per listener and
    // per accepted connection); max_instances stays unknown.
    std::optional<std::int64_t> current_instances;
    std::optional<std::int64_t> max_instances;

    // Processes holding the server end (listening socket, pipe server handle, FIFO readers),
    // the client end (connected client sockets, pipe client handles, FIFO writers), and
    // holders whose end is not known.
    std::vector<ProcessRef> server_pids;
    std::vector<ProcessRef> client_pids;
    std::vector<ProcessRef> other_pids;

    SocketState socket_state = SocketState::NotApplicable;
    std::uint64_t inode = 0;        // Linux: the socket or FIFO inode of the listener / FIFO
    std::uint32_t connections = 0;  // Linux: connected sockets at a listening path
    std::uint32_t sources = 0;      // CatalogSource bits
    // Processes serving the name through different pipe objects (sockets): more than one means
    // another process has squatted on or shares the name. Processes that hold the same object
    // (a handle or socket inherited by a child) count once. 0 when the sources cannot tell.
    // The audit's multiple_servers finding and the pipe list's column read this one field.
    std::uint32_t server_processes = 0;

    // Set by the catalog: when the entry was first seen (kept across refreshes) and last seen.
    std::chrono::system_clock::time_point first_seen{};
    std::chrono::system_clock::time_point last_seen{};

    // "named_pipe:name", unique within a snapshot.
    [[nodiscard]] std::string key() const;
    [[nodiscard]] bool has_source(CatalogSource s) const {
        return (sources & static_cast<std::uint32_t>(s)) != 0;
    }
};

struct Snapshot {
    std::vector<PipeEntry> entries;  // sorted by key(), keys unique
    std::chrono::system_clock::time_point taken_at{};
    std::chrono::microseconds list_duration{0};
    std::uint32_t sources_used = 0;  // CatalogSource bits that answered
    // CatalogSource bits that were tried and could not list (a folder that cannot be read, the
    // NT directory under Wine); the notes say why. Metrics count them as errors.
    std::uint32_t sources_failed = 0;
    // What the user should know about gaps: a source that could not list, processes we
    // may not open or read, handle queries that timed out. Never fatal.
    std::vector<std::string> notes;
    std::size_t processes_denied = 0;
    std::size_t handles_timed_out = 0;

    // The entry with that key, or nullptr. Binary search: entries are sorted.
    [[nodiscard]] const PipeEntry* find(std::string_view key) const;
};

struct EntryChange {
    PipeEntry before;
    PipeEntry after;
};

// What changed between two snapshots. "Changed" means the same key with different instance
// counts, connection counts or holders.
struct SnapshotDiff {
    std::vector<PipeEntry> added;
    std::vector<PipeEntry> removed;
    std::vector<EntryChange> changed;
    [[nodiscard]] bool empty() const { return added.empty() && removed.empty() && changed.empty(); }
};

// Both snapshots must be sorted by key (as list_pipes and the catalog make them). O(n).
// Any thread.
[[nodiscard]] SnapshotDiff diff(const Snapshot& before, const Snapshot& after);

// Sorts entries by key and merges entries with the same key (sums nothing: counts from the
// source that knows them win, holders and sources are united). Any thread.
void normalize(Snapshot& snapshot);

// Gives each entry of `next` its first_seen from `previous` (or now for new entries) and
// last_seen = next.taken_at. Both sorted. Any thread.
void carry_times(const Snapshot* previous, Snapshot& next);

struct CatalogOptions {
    // Linux: folders scanned (not recursively) for sockets and FIFOs, even unused ones.
    std::vector<std::string> folders;
    // Windows: which sources to try. The directory is used where it works; the handle table
    // always when enabled (it adds holders), and it is the listing where the directory fails.
    bool use_directory = true;
    bool use_handle_table = true;
    // Windows: bound for one NtQueryObject name query in the worker thread.
    std::chrono::milliseconds handle_query_timeout{250};
};

// Lists pipes now, on the calling thread. Never opens a pipe as a client. The result is
// normalized (sorted, unique keys); first_seen = last_seen = taken_at.
// Fails only when no source could list anything (the Error then says why).
[[nodiscard]] Result<Snapshot> list_pipes(const CatalogOptions& options);

// ---- Sources, exposed for tests and for the GUI's "sources" panel -------------------------

// One FILE_DIRECTORY_INFORMATION record from \\.\pipe\.
struct NtDirectoryEntry {
    std::string name;                // UTF-8
    std::int64_t current_instances;  // EndOfFile
    std::int64_t max_instances;      // AllocationSize; -1 (all ones) means unlimited
};

// Parses the buffers NtQueryDirectoryFile(FileDirectoryInformation) fills, one call at a time
// or as a byte stream cut anywhere: bytes of an entry that do not all fit are kept and joined
// with the next feed. Portable (tested on every platform). Not thread-safe.
class NtDirectoryParser {
  public:
    // Parses what is complete; keeps a partial trailing record. Fails on a malformed record
    // (offsets that do not fit, odd name length); the parser is then unusable.
    Status feed(std::span<const std::byte> bytes);
    // Entries parsed so far (moved out).
    [[nodiscard]] std::vector<NtDirectoryEntry> take();
    // Bytes of an incomplete record waiting for the next feed.
    [[nodiscard]] std::size_t pending_bytes() const { return pending_.size(); }

  private:
    std::vector<std::byte> pending_;
    std::vector<NtDirectoryEntry> entries_;
};

// One line of /proc/net/unix.
struct UnixSocketRecord {
    std::uint64_t inode = 0;
    std::uint32_t ref_count = 0;
    std::uint32_t flags = 0;  // __SO_ACCEPTCON (0x10000) = listening
    int type = 0;             // 1 stream, 2 dgram, 5 seqpacket
    int state = 0;            // SS_UNCONNECTED 1, SS_CONNECTING 2, SS_CONNECTED 3, ...
    std::string path;         // "" unnamed, "@name" abstract (NULs shown as '@')
};

// Parses the text of /proc/net/unix (header line first). Lines it cannot read are counted in
// *skipped (if given) and left out. Portable.
[[nodiscard]] std::vector<UnixSocketRecord> parse_proc_net_unix(std::string_view text,
                                                                std::size_t* skipped = nullptr);

// Turns /proc/net/unix records plus an inode -> holders map into entries: one per named
// socket (listening or bound) with its connections counted; connected sockets without a
// name of their own are counted at their listener when `peer_of` links them, else left out.
// Portable.
struct InodeHolders {
    std::uint64_t inode = 0;
    std::vector<ProcessRef> holders;
};
[[nodiscard]] std::vector<PipeEntry> unix_entries_from_records(
    const std::vector<UnixSocketRecord>& records, const std::vector<InodeHolders>& holders);

#ifdef _WIN32
// Windows sources, one at a time (list_pipes combines them).
// The NPFS directory. Fails (ErrorCode::Unsupported, STATUS_BAD_DEVICE_TYPE) where the system
// cannot list it, as under Wine; never returns an empty list in place of an error.
[[nodiscard]] Result<std::vector<PipeEntry>> list_nt_directory();

struct HandleTableListing {
    std::vector<PipeEntry> entries;    // one per pipe name, holders split by end
    std::size_t processes_denied = 0;  // processes we could not open with PROCESS_DUP_HANDLE
    std::size_t handles_timed_out = 0;
    std::size_t handles_seen = 0;  // file handles examined
};
// The system handle table: duplicates each File handle from its process and asks its name
// and pipe end. Name queries run on a worker thread with `query_timeout` each; a handle whose
// query hangs is given up. Never opens a pipe by name.
[[nodiscard]] Result<HandleTableListing> list_handle_table(std::chrono::milliseconds query_timeout);

// A pipe's security descriptor read from a handle a server process holds, without opening the
// pipe: for when every instance is busy or the pipe refuses the probe's open.
struct ServerHandleDescriptor {
    std::vector<std::uint8_t> bytes;  // self-relative, as GetSecurityInfo returned it
    std::uint32_t pid = 0;            // the process whose handle was read
    bool label_read = false;          // false: asked without LABEL_SECURITY_INFORMATION
};
// Finds handles of pipe `name` (without \\.\pipe\) held by `server_pids` in the handle
// table, duplicates one (PROCESS_DUP_HANDLE: an administrator has it on other users'
// processes) and reads GetSecurityInfo(OWNER|GROUP|DACL|LABEL) from the duplicate. The name
// and security queries run on a worker thread, `query_timeout` each (a synchronous server
// handle with I/O pending blocks them; such a handle is given up). AccessDenied when no server
// process could be opened, NotFound when none holds a handle of the name, Timeout when the
// queries hung. Blocks the calling thread; any thread.
[[nodiscard]] Result<ServerHandleDescriptor> read_server_handle_descriptor(
    std::string_view name, std::span<const std::uint32_t> server_pids,
    std::chrono::milliseconds query_timeout);
#endif

// ---- The service ---------------------------------------------------------------------------

// Owns the latest snapshot and an optional watcher thread.
// Threads: every member may be called from any thread; callbacks run on the watcher thread.
class PipeCatalog {
  public:
    // The function that lists (list_pipes by default; tests inject fakes).
    using Lister = std::function<Result<Snapshot>()>;
    // Called on the watcher thread after each refresh that changed something.
    using OnChange =
        std::function<void(const std::shared_ptr<const Snapshot>&, const SnapshotDiff&)>;
    using OnError = std::function<void(const Error&)>;

    explicit PipeCatalog(CatalogOptions options = {});
    explicit PipeCatalog(Lister lister);
    ~PipeCatalog();  // stops the watcher
    PipeCatalog(const PipeCatalog&) = delete;
    PipeCatalog& operator=(const PipeCatalog&) = delete;

    // Lists now on the calling thread, carries first-seen times, publishes, and returns the
    // new snapshot with its diff against the previous one.
    struct Refresh {
        std::shared_ptr<const Snapshot> snapshot;
        SnapshotDiff diff;
    };
    [[nodiscard]] Result<Refresh> refresh();

    // The latest published snapshot (nullptr before the first refresh). Cheap: copies a
    // shared_ptr under a short lock.
    [[nodiscard]] std::shared_ptr<const Snapshot> latest() const;
    // The last listing error (nullopt after a successful refresh).
    [[nodiscard]] std::optional<Error> last_error() const;

    // Starts a watcher thread that refreshes every `interval` (first refresh at once), or only
    // when asked (request_refresh) when `interval` is nullopt. on_change runs after a refresh
    // that changed something, after the first one, and after the first success that follows
    // an error; with `every_refresh`, after every successful refresh (the diff then may be
    // empty: metrics need each listing's duration). Replaces a running watcher.
    void start(std::optional<std::chrono::milliseconds> interval, OnChange on_change = {},
               OnError on_error = {}, bool every_refresh = false);
    // Stops the watcher and waits for it (at most one refresh in progress).
    void stop();
    [[nodiscard]] bool running() const;
    // Asks the running watcher to refresh now (once, however often it is asked before it
    // wakes). Never blocks on a listing; does nothing without a watcher.
    void request_refresh();
    // Changes the running watcher's interval (nullopt: refresh only on request). The next
    // refresh is due `interval` after the last one ended. Never blocks on a listing.
    void set_interval(std::optional<std::chrono::milliseconds> interval);
    // True while a refresh (the watcher's or a caller's) is listing.
    [[nodiscard]] bool refreshing() const { return refreshing_.load() > 0; }

  private:
    Lister lister_;
    SnapshotPublisher<Snapshot> latest_;
    mutable std::mutex mutex_;  // guards last_error_
    std::optional<Error> last_error_;
    std::mutex refresh_mutex_;  // one refresh at a time
    std::atomic<int> refreshing_{0};
    struct WatchWake;
    std::shared_ptr<WatchWake> wake_;  // how stop() and request_refresh() wake the watcher;
                                       // guarded by mutex_
    std::jthread watcher_;
};

}  // namespace pipescope::core
