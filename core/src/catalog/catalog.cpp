// Portable half of the catalog: data model helpers, the diff, the NT directory and
// /proc/net/unix parsers, and the PipeCatalog service. The OS listing is in
// catalog_win32.cpp / catalog_posix.cpp.
#include "pipescope/catalog.hpp"

#include <algorithm>
#include <charconv>
#include <condition_variable>
#include <cstring>
#include <unordered_map>
#include <utility>

#include "base/utf.hpp"

namespace pipescope::core {

std::string_view to_string(PipeKind kind) {
    switch (kind) {
        case PipeKind::NamedPipe:
            return "named pipe";
        case PipeKind::UnixStream:
            return "unix stream";
        case PipeKind::UnixSeqpacket:
            return "unix seqpacket";
        case PipeKind::UnixDgram:
            return "unix dgram";
        case PipeKind::Fifo:
            return "fifo";
    }
    return "unknown";
}

std::string_view kind_id(PipeKind kind) {
    switch (kind) {
        case PipeKind::NamedPipe:
            return "named_pipe";
        case PipeKind::UnixStream:
            return "unix_stream";
        case PipeKind::UnixSeqpacket:
            return "unix_seqpacket";
        case PipeKind::UnixDgram:
            return "unix_dgram";
        case PipeKind::Fifo:
            return "fifo";
    }
    return "unknown";
}

std::string_view to_string(CatalogSource source) {
    switch (source) {
        case CatalogSource::NtDirectory:
            return "nt_directory";
        case CatalogSource::HandleTable:
            return "handle_table";
        case CatalogSource::ProcNetUnix:
            return "proc_net_unix";
        case CatalogSource::ProcFd:
            return "proc_fd";
        case CatalogSource::Folder:
            return "folder";
    }
    return "unknown";
}

std::string_view to_string(SocketState state) {
    switch (state) {
        case SocketState::NotApplicable:
            return "";
        case SocketState::Unconnected:
            return "unconnected";
        case SocketState::Listening:
            return "listening";
        case SocketState::Connecting:
            return "connecting";
        case SocketState::Connected:
            return "connected";
        case SocketState::Closing:
            return "closing";
    }
    return "";
}

std::string sources_to_string(std::uint32_t sources) {
    std::string out;
    for (auto s : {CatalogSource::NtDirectory, CatalogSource::HandleTable,
                   CatalogSource::ProcNetUnix, CatalogSource::ProcFd, CatalogSource::Folder}) {
        if (sources & static_cast<std::uint32_t>(s)) {
            if (!out.empty()) out += '+';
            out += to_string(s);
        }
    }
    return out;
}

std::string PipeEntry::key() const {
    std::string k(kind_id(kind));
    k += ':';
    k += name;
    return k;
}

const PipeEntry* Snapshot::find(std::string_view key) const {
    auto it = std::lower_bound(entries.begin(), entries.end(), key,
                               [](const PipeEntry& e, std::string_view k) { return e.key() < k; });
    if (it != entries.end() && it->key() == key) return &*it;
    return nullptr;
}

namespace {

void unite(std::vector<ProcessRef>& into, const std::vector<ProcessRef>& from) {
    for (const auto& p : from) {
        auto it = std::find_if(into.begin(), into.end(),
                               [&](const ProcessRef& q) { return q.pid == p.pid; });
        if (it == into.end())
            into.push_back(p);
        else if (it->name.empty())
            it->name = p.name;
    }
}

void sort_pids(std::vector<ProcessRef>& v) {
    std::sort(v.begin(), v.end(),
              [](const ProcessRef& a, const ProcessRef& b) { return a.pid < b.pid; });
}

bool same_pids(const std::vector<ProcessRef>& a, const std::vector<ProcessRef>& b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (a[i].pid != b[i].pid) return false;
    return true;
}

bool entry_changed(const PipeEntry& a, const PipeEntry& b) {
    return a.current_instances != b.current_instances || a.max_instances != b.max_instances ||
           a.connections != b.connections || a.server_processes != b.server_processes ||
           !same_pids(a.server_pids, b.server_pids) || !same_pids(a.client_pids, b.client_pids) ||
           !same_pids(a.other_pids, b.other_pids);
}

}  // namespace

void normalize(Snapshot& snapshot) {
    auto& v = snapshot.entries;
    // Keys are computed once; 10,000 entries sort in well under a millisecond this way.
    std::vector<std::pair<std::string, std::size_t>> keys;
    keys.reserve(v.size());
    for (std::size_t i = 0; i < v.size(); ++i) keys.emplace_back(v[i].key(), i);
    std::sort(keys.begin(), keys.end());
    std::vector<PipeEntry> out;
    out.reserve(v.size());
    const std::string* last_key = nullptr;
    for (auto& [k, i] : keys) {
        PipeEntry& e = v[i];
        if (last_key && *last_key == k) {
            PipeEntry& m = out.back();
            // The NT directory knows the counts; otherwise the first source that has one wins.
            if (e.has_source(CatalogSource::NtDirectory) &&
                !m.has_source(CatalogSource::NtDirectory)) {
                if (e.current_instances) m.current_instances = e.current_instances;
                if (e.max_instances) m.max_instances = e.max_instances;
            } else {
                if (!m.current_instances) m.current_instances = e.current_instances;
                if (!m.max_instances) m.max_instances = e.max_instances;
            }
            unite(m.server_pids, e.server_pids);
            unite(m.client_pids, e.client_pids);
            unite(m.other_pids, e.other_pids);
            m.connections = std::max(m.connections, e.connections);
            m.server_processes = std::max(m.server_processes, e.server_processes);
            if (m.inode == 0) m.inode = e.inode;
            if (m.socket_state == SocketState::NotApplicable) m.socket_state = e.socket_state;
            m.sources |= e.sources;
        } else {
            out.push_back(std::move(e));
            last_key = &k;
        }
    }
    for (auto& e : out) {
        sort_pids(e.server_pids);
        sort_pids(e.client_pids);
        sort_pids(e.other_pids);
        // A holder known to hold one end is not also listed as "end unknown".
        std::erase_if(e.other_pids, [&](const ProcessRef& p) {
            auto has = [&](const std::vector<ProcessRef>& w) {
                return std::any_of(w.begin(), w.end(),
                                   [&](const ProcessRef& q) { return q.pid == p.pid; });
            };
            return has(e.server_pids) || has(e.client_pids);
        });
    }
    v = std::move(out);
}

SnapshotDiff diff(const Snapshot& before, const Snapshot& after) {
    SnapshotDiff d;
    std::size_t i = 0, j = 0;
    const auto& a = before.entries;
    const auto& b = after.entries;
    while (i < a.size() || j < b.size()) {
        if (i == a.size()) {
            d.added.push_back(b[j++]);
            continue;
        }
        if (j == b.size()) {
            d.removed.push_back(a[i++]);
            continue;
        }
        // Compare kind first (cheap), then the name: the same order as key().
        auto ka = kind_id(a[i].kind), kb = kind_id(b[j].kind);
        int c = ka.compare(kb);
        if (c == 0) c = a[i].name.compare(b[j].name);
        if (c < 0) {
            d.removed.push_back(a[i++]);
        } else if (c > 0) {
            d.added.push_back(b[j++]);
        } else {
            if (entry_changed(a[i], b[j])) d.changed.push_back({a[i], b[j]});
            ++i;
            ++j;
        }
    }
    return d;
}

void carry_times(const Snapshot* previous, Snapshot& next) {
    std::size_t i = 0;
    for (auto& e : next.entries) {
        e.first_seen = next.taken_at;
        e.last_seen = next.taken_at;
        if (!previous) continue;
        const auto& p = previous->entries;
        auto kb = kind_id(e.kind);
        // Both lists are sorted by key: walk the previous one forward.
        while (i < p.size()) {
            int c = kind_id(p[i].kind).compare(kb);
            if (c == 0) c = p[i].name.compare(e.name);
            if (c < 0) {
                ++i;
                continue;
            }
            if (c == 0 && p[i].first_seen.time_since_epoch().count() != 0)
                e.first_seen = p[i].first_seen;
            break;
        }
    }
}

// ---- NT directory buffers -------------------------------------------------------------------

namespace {

constexpr std::size_t kDirInfoHeader = 64;  // offsetof(FILE_DIRECTORY_INFORMATION, FileName)
constexpr std::size_t kMaxRecord = 64 * 1024 + kDirInfoHeader + 8;

std::uint32_t read_u32(const std::byte* p) {
    return static_cast<std::uint32_t>(p[0]) | (static_cast<std::uint32_t>(p[1]) << 8) |
           (static_cast<std::uint32_t>(p[2]) << 16) | (static_cast<std::uint32_t>(p[3]) << 24);
}

std::int64_t read_i64(const std::byte* p) {
    std::uint64_t v = 0;
    for (int k = 7; k >= 0; --k) v = (v << 8) | static_cast<std::uint64_t>(p[k]);
    return static_cast<std::int64_t>(v);
}

}  // namespace

Status NtDirectoryParser::feed(std::span<const std::byte> bytes) {
    pending_.insert(pending_.end(), bytes.begin(), bytes.end());
    std::size_t pos = 0;
    while (pending_.size() - pos >= kDirInfoHeader) {
        const std::byte* rec = pending_.data() + pos;
        std::uint32_t next = read_u32(rec);
        std::uint32_t name_len = read_u32(rec + 60);
        std::size_t used = kDirInfoHeader + name_len;
        if (name_len % 2 != 0 || used > kMaxRecord ||
            (next != 0 && (next < used || next > kMaxRecord))) {
            pending_.clear();
            return make_error(ErrorCode::Io, "NtQueryDirectoryFile", "\\\\.\\pipe\\",
                              "the pipe directory returned a malformed record (next offset " +
                                  std::to_string(next) + ", name length " +
                                  std::to_string(name_len) +
                                  "). Next: report this with the system version");
        }
        std::size_t step = next != 0 ? next : used;
        if (pending_.size() - pos < step) break;  // the rest arrives with the next feed
        std::u16string name(name_len / 2, u'\0');
        for (std::size_t k = 0; k < name.size(); ++k) {
            const std::byte* c = rec + kDirInfoHeader + 2 * k;
            name[k] = static_cast<char16_t>(static_cast<unsigned>(c[0]) |
                                            (static_cast<unsigned>(c[1]) << 8));
        }
        NtDirectoryEntry e;
        e.name = detail::utf16_to_utf8(name);
        e.current_instances = read_i64(rec + 40);
        std::int64_t alloc = read_i64(rec + 48);
        // Unlimited is all ones; some systems report it in the low 32 bits only.
        e.max_instances = (alloc == -1 || alloc == 0xFFFFFFFFLL) ? -1 : alloc;
        entries_.push_back(std::move(e));
        pos += step;
    }
    pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(pos));
    return {};
}

std::vector<NtDirectoryEntry> NtDirectoryParser::take() {
    return std::exchange(entries_, {});
}

// ---- /proc/net/unix -------------------------------------------------------------------------

namespace {

std::string_view next_token(std::string_view& line) {
    std::size_t b = line.find_first_not_of(' ');
    if (b == std::string_view::npos) {
        line = {};
        return {};
    }
    line.remove_prefix(b);
    std::size_t e = line.find(' ');
    std::string_view tok = line.substr(0, e);
    line = e == std::string_view::npos ? std::string_view{} : line.substr(e);
    return tok;
}

template <class T>
bool parse_num(std::string_view tok, T& out, int base) {
    if (tok.empty()) return false;
    auto [p, ec] = std::from_chars(tok.data(), tok.data() + tok.size(), out, base);
    return ec == std::errc{} && p == tok.data() + tok.size();
}

}  // namespace

std::vector<UnixSocketRecord> parse_proc_net_unix(std::string_view text, std::size_t* skipped) {
    std::vector<UnixSocketRecord> out;
    std::size_t bad = 0;
    bool first = true;
    while (!text.empty()) {
        std::size_t nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (first) {  // header: "Num RefCount Protocol Flags Type St Inode Path"
            first = false;
            if (line.rfind("Num", 0) == 0) continue;
        }
        if (line.find_first_not_of(' ') == std::string_view::npos) continue;
        std::string_view rest = line;
        auto num = next_token(rest);
        UnixSocketRecord r;
        std::uint32_t protocol = 0;
        if (num.empty() || num.back() != ':' || !parse_num(next_token(rest), r.ref_count, 16) ||
            !parse_num(next_token(rest), protocol, 16) ||
            !parse_num(next_token(rest), r.flags, 16) || !parse_num(next_token(rest), r.type, 16) ||
            !parse_num(next_token(rest), r.state, 16) ||
            !parse_num(next_token(rest), r.inode, 10)) {
            ++bad;
            continue;
        }
        // The path is the rest after one space; it may itself contain spaces.
        if (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
        r.path = std::string(rest);
        out.push_back(std::move(r));
    }
    if (skipped) *skipped = bad;
    return out;
}

std::vector<PipeEntry> unix_entries_from_records(const std::vector<UnixSocketRecord>& records,
                                                 const std::vector<InodeHolders>& holders) {
    constexpr std::uint32_t kAcceptCon = 0x10000;
    std::unordered_map<std::uint64_t, const std::vector<ProcessRef>*> by_inode;
    by_inode.reserve(holders.size());
    for (const auto& h : holders) by_inode[h.inode] = &h.holders;

    std::unordered_map<std::string, std::size_t> index;  // key -> position in out
    std::vector<PipeEntry> out;
    // Server objects per entry: listening sockets (and bound datagram sockets) by inode. A
    // listener a child inherited is one inode, so it counts once; a second bind at the path
    // (after the first file was unlinked) is another.
    std::vector<std::vector<std::uint64_t>> server_inodes;
    for (const auto& r : records) {
        if (r.path.empty()) continue;  // unnamed: socketpairs and client ends
        PipeKind kind = r.type == 5   ? PipeKind::UnixSeqpacket
                        : r.type == 2 ? PipeKind::UnixDgram
                                      : PipeKind::UnixStream;
        PipeEntry probe;
        probe.kind = kind;
        probe.name = r.path;
        auto [it, inserted] = index.emplace(probe.key(), out.size());
        if (inserted) {
            probe.current_instances = 0;
            probe.sources = static_cast<std::uint32_t>(CatalogSource::ProcNetUnix);
            out.push_back(std::move(probe));
            server_inodes.emplace_back();
        }
        PipeEntry& e = out[it->second];
        if ((r.flags & kAcceptCon) != 0 || kind == PipeKind::UnixDgram) {
            auto& inodes = server_inodes[it->second];
            if (std::find(inodes.begin(), inodes.end(), r.inode) == inodes.end())
                inodes.push_back(r.inode);
        }
        *e.current_instances += 1;
        const std::vector<ProcessRef>* who = nullptr;
        if (auto h = by_inode.find(r.inode); h != by_inode.end()) who = h->second;
        bool listening = (r.flags & kAcceptCon) != 0;
        if (listening) {
            e.socket_state = SocketState::Listening;
            e.inode = r.inode;
            if (who) unite(e.server_pids, *who);
        } else {
            // Same path, not listening: an accepted connection (the server side of it), or a
            // bound datagram / unconnected socket.
            if (r.state == 3) {
                ++e.connections;
                if (who) unite(e.server_pids, *who);
            } else if (who) {
                unite(e.other_pids, *who);
            }
            if (e.socket_state == SocketState::NotApplicable) {
                e.socket_state = r.state == 3   ? SocketState::Connected
                                 : r.state == 2 ? SocketState::Connecting
                                 : r.state == 4 ? SocketState::Closing
                                                : SocketState::Unconnected;
                e.inode = r.inode;
            }
        }
        if (who) e.sources |= static_cast<std::uint32_t>(CatalogSource::ProcFd);
    }
    for (std::size_t i = 0; i < out.size(); ++i)
        out[i].server_processes = static_cast<std::uint32_t>(server_inodes[i].size());
    return out;
}

// ---- PipeCatalog ----------------------------------------------------------------------------

PipeCatalog::PipeCatalog(CatalogOptions options)
    : lister_([options = std::move(options)]() { return list_pipes(options); }) {}

PipeCatalog::PipeCatalog(Lister lister) : lister_(std::move(lister)) {}

PipeCatalog::~PipeCatalog() {
    stop();
}

Result<PipeCatalog::Refresh> PipeCatalog::refresh() {
    std::lock_guard serial(refresh_mutex_);
    ++refreshing_;
    struct Done {
        std::atomic<int>& n;
        ~Done() { --n; }
    } done{refreshing_};
    Result<Snapshot> listed = lister_ ? lister_() : Result<Snapshot>(Snapshot{});
    if (!listed) {
        std::lock_guard lock(mutex_);
        last_error_ = listed.error();
        return listed.error();
    }
    Snapshot snap = std::move(listed).value();
    auto previous = latest();
    carry_times(previous.get(), snap);
    Refresh r;
    r.diff = previous ? diff(*previous, snap) : diff(Snapshot{}, snap);
    r.snapshot = std::make_shared<const Snapshot>(std::move(snap));
    latest_.publish(r.snapshot);
    {
        std::lock_guard lock(mutex_);
        last_error_.reset();
    }
    return r;
}

std::shared_ptr<const Snapshot> PipeCatalog::latest() const {
    return latest_.load();
}

std::optional<Error> PipeCatalog::last_error() const {
    std::lock_guard lock(mutex_);
    return last_error_;
}

// The watcher sleeps on a plain condition variable with a flag, not on a stop_token: with
// MinGW's libstdc++ (GCC 12) the stop_callback behind condition_variable_any's stop_token wait
// can miss a wake-up under Wine (seen as rare hangs), and the plain pair costs nothing here.
struct PipeCatalog::WatchWake {
    std::mutex m;
    std::condition_variable cv;
    bool stop = false;
    bool refresh_now = false;
    std::optional<std::chrono::milliseconds> interval;
};

namespace {

// Waits until the next refresh is due (asked for, or `interval` after `last`); false when
// stopping. Re-reads the interval on every wake-up, so set_interval takes effect at once.
template <class Wake>
bool wait_for_next_refresh(Wake& w, std::chrono::steady_clock::time_point last) {
    std::unique_lock lock(w.m);
    for (;;) {
        if (w.stop) return false;
        if (w.refresh_now) {
            w.refresh_now = false;
            return true;
        }
        if (!w.interval) {
            w.cv.wait(lock);
            continue;
        }
        const auto due = last + *w.interval;
        if (std::chrono::steady_clock::now() >= due) return true;
        w.cv.wait_until(lock, due);
    }
}

}  // namespace

void PipeCatalog::start(std::optional<std::chrono::milliseconds> interval, OnChange on_change,
                        OnError on_error, bool every_refresh) {
    stop();
    auto wake = std::make_shared<WatchWake>();
    wake->interval = interval;
    {
        std::lock_guard lock(mutex_);
        wake_ = wake;
    }
    watcher_ = std::jthread([this, wake, on_change = std::move(on_change),
                             on_error = std::move(on_error), every_refresh] {
        bool first = true;
        bool failed = false;
        do {
            auto r = refresh();
            if (!r) {
                if (on_error) on_error(r.error());
            } else if (on_change && (every_refresh || first || failed || !r->diff.empty())) {
                on_change(r->snapshot, r->diff);
            }
            first = false;
            failed = !r;
        } while (wait_for_next_refresh(*wake, std::chrono::steady_clock::now()));
    });
}

void PipeCatalog::stop() {
    std::shared_ptr<WatchWake> wake;
    {
        std::lock_guard lock(mutex_);
        wake = std::move(wake_);
    }
    if (wake) {
        {
            std::lock_guard lock(wake->m);
            wake->stop = true;
        }
        wake->cv.notify_all();
    }
    if (watcher_.joinable()) watcher_.join();
}

void PipeCatalog::request_refresh() {
    std::shared_ptr<WatchWake> wake;
    {
        std::lock_guard lock(mutex_);
        wake = wake_;
    }
    if (!wake) return;
    {
        std::lock_guard lock(wake->m);
        wake->refresh_now = true;
    }
    wake->cv.notify_all();
}

void PipeCatalog::set_interval(std::optional<std::chrono::milliseconds> interval) {
    std::shared_ptr<WatchWake> wake;
    {
        std::lock_guard lock(mutex_);
        wake = wake_;
    }
    if (!wake) return;
    {
        std::lock_guard lock(wake->m);
        wake->interval = interval;
    }
    wake->cv.notify_all();
}

bool PipeCatalog::running() const {
    return watcher_.joinable();
}

}  // namespace pipescope::core
