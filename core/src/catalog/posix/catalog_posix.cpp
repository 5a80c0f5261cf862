// Linux listing: /proc/net/unix for AF_UNIX sockets, /proc/<pid>/fd for who holds which socket
// and which FIFOs are open, and folders the user names. Reads only; never connects or opens a
// socket or FIFO.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <unordered_map>

#include "pipescope/catalog.hpp"
#include "pipescope/files.hpp"

namespace pipescope::core {
namespace {

struct DirCloser {
    void operator()(DIR* d) const { ::closedir(d); }
};
using UniqueDir = std::unique_ptr<DIR, DirCloser>;

// A small /proc file (comm, fdinfo), or "" when it is gone or not ours to read.
std::string read_small_file(const std::string& path) {
    return read_file(path, 64 * 1024).value_or(std::string());
}

bool all_digits(const char* s) {
    if (!*s) return false;
    for (; *s; ++s)
        if (*s < '0' || *s > '9') return false;
    return true;
}

struct FifoUse {
    std::uint64_t inode = 0;
    std::vector<ProcessRef> readers, writers, both;
};

// fdinfo "flags:\t0100002" (octal); the access mode is the low two bits.
int fd_access_mode(const std::string& pid_dir, const char* fd) {
    std::string text = read_small_file(pid_dir + "/fdinfo/" + fd);
    auto p = text.find("flags:");
    if (p == std::string::npos) return -1;
    return static_cast<int>(std::strtoul(text.c_str() + p + 6, nullptr, 8) & O_ACCMODE);
}

void add_unique(std::vector<ProcessRef>& v, const ProcessRef& p) {
    for (const auto& q : v)
        if (q.pid == p.pid) return;
    v.push_back(p);
}

// What /proc/<pid>/fd says about who holds what.
struct ProcScan {
    std::unordered_map<std::uint64_t, std::vector<ProcessRef>> socket_holders;
    std::map<std::string, FifoUse> fifos;  // by path
    std::size_t denied = 0;
    bool ok = false;
};

// One process's descriptors: the sockets it holds and the FIFOs it has open, with their mode.
void scan_process(const char* pid_name, ProcScan& scan) {
    std::string pid_dir = std::string("/proc/") + pid_name;
    UniqueDir fds{::opendir((pid_dir + "/fd").c_str())};
    if (!fds) {
        if (errno == EACCES || errno == EPERM) ++scan.denied;
        return;  // gone, or not ours to read
    }
    ProcessRef who;
    who.pid = static_cast<std::uint32_t>(std::strtoul(pid_name, nullptr, 10));
    who.name = read_small_file(pid_dir + "/comm");
    while (!who.name.empty() && (who.name.back() == '\n' || who.name.back() == '\r'))
        who.name.pop_back();
    char link[4096];
    while (dirent* fe = ::readdir(fds.get())) {
        if (fe->d_name[0] == '.') continue;
        std::string fd_path = pid_dir + "/fd/" + fe->d_name;
        ssize_t n = ::readlink(fd_path.c_str(), link, sizeof link - 1);
        if (n <= 0) continue;
        link[n] = '\0';
        if (std::strncmp(link, "socket:[", 8) == 0) {
            std::uint64_t ino = std::strtoull(link + 8, nullptr, 10);
            add_unique(scan.socket_holders[ino], who);
        } else if (link[0] == '/') {
            struct stat st {};
            if (::stat(fd_path.c_str(), &st) != 0 || !S_ISFIFO(st.st_mode)) continue;
            auto& use = scan.fifos[link];
            use.inode = st.st_ino;
            int mode = fd_access_mode(pid_dir, fe->d_name);
            if (mode == O_RDONLY)
                add_unique(use.readers, who);
            else if (mode == O_WRONLY)
                add_unique(use.writers, who);
            else
                add_unique(use.both, who);
        }
    }
}

ProcScan scan_proc() {
    ProcScan scan;
    if (UniqueDir proc{::opendir("/proc")}) {
        scan.ok = true;
        while (dirent* de = ::readdir(proc.get())) {
            if (!all_digits(de->d_name)) continue;
            scan_process(de->d_name, scan);
        }
    }
    return scan;
}

// Sockets from /proc/net/unix, with the holders found in /proc/<pid>/fd.
void add_sockets(const std::string& text, ProcScan& scan, Snapshot& snap) {
    std::size_t skipped = 0;
    auto records = parse_proc_net_unix(text, &skipped);
    if (skipped)
        snap.notes.push_back(std::to_string(skipped) +
                             " lines of /proc/net/unix were not understood");
    std::vector<InodeHolders> holders;
    holders.reserve(scan.socket_holders.size());
    for (auto& [ino, who] : scan.socket_holders) holders.push_back({ino, std::move(who)});
    snap.entries = unix_entries_from_records(records, holders);
    snap.sources_used |= static_cast<std::uint32_t>(CatalogSource::ProcNetUnix);
}

void add_fifos_in_use(std::map<std::string, FifoUse>& fifos, Snapshot& snap) {
    for (auto& [path, use] : fifos) {
        PipeEntry e;
        e.kind = PipeKind::Fifo;
        e.name = path;
        e.inode = use.inode;
        e.server_pids = std::move(use.readers);
        e.client_pids = std::move(use.writers);
        e.other_pids = std::move(use.both);
        e.current_instances = static_cast<std::int64_t>(e.server_pids.size() +
                                                        e.client_pids.size() + e.other_pids.size());
        // Every process that reads takes data the writers send: each is a server of the name
        // (read-write holders too). /proc does not tell an inherited descriptor from a second
        // open, so a reader and its child count two.
        std::vector<ProcessRef> reading = e.server_pids;
        for (const auto& p : e.other_pids) add_unique(reading, p);
        e.server_processes = static_cast<std::uint32_t>(reading.size());
        e.sources = static_cast<std::uint32_t>(CatalogSource::ProcFd);
        snap.entries.push_back(std::move(e));
    }
}

void add_folder_socket(const std::string& path, const struct stat& st, Snapshot& snap) {
    bool found = false;
    for (auto& e : snap.entries) {
        if (e.kind != PipeKind::Fifo && e.name == path) {
            e.sources |= static_cast<std::uint32_t>(CatalogSource::Folder);
            found = true;
        }
    }
    if (!found) {  // a socket file nobody is bound to (stale) or in another namespace
        PipeEntry e;
        e.kind = PipeKind::UnixStream;
        e.name = path;
        e.inode = st.st_ino;
        e.current_instances = 0;
        e.socket_state = SocketState::Unconnected;
        e.sources = static_cast<std::uint32_t>(CatalogSource::Folder);
        snap.entries.push_back(std::move(e));
    }
}

// A folder the user named: its sockets and FIFOs, used or not.
void add_folder(const std::string& folder, const std::map<std::string, FifoUse>& fifos,
                Snapshot& snap) {
    UniqueDir dir{::opendir(folder.c_str())};
    if (!dir) {
        snap.notes.push_back("folder " + folder + " could not be read: " + std::strerror(errno));
        snap.sources_failed |= static_cast<std::uint32_t>(CatalogSource::Folder);
        return;
    }
    snap.sources_used |= static_cast<std::uint32_t>(CatalogSource::Folder);
    while (dirent* de = ::readdir(dir.get())) {
        if (de->d_name[0] == '.' &&
            (de->d_name[1] == '\0' || (de->d_name[1] == '.' && de->d_name[2] == '\0')))
            continue;
        std::string path = folder;
        if (path.empty() || path.back() != '/') path += '/';
        path += de->d_name;
        struct stat st {};
        if (::lstat(path.c_str(), &st) != 0) continue;
        if (S_ISSOCK(st.st_mode)) {
            add_folder_socket(path, st, snap);
        } else if (S_ISFIFO(st.st_mode)) {
            PipeEntry e;
            e.kind = PipeKind::Fifo;
            e.name = path;
            e.inode = st.st_ino;
            e.sources = static_cast<std::uint32_t>(CatalogSource::Folder);
            if (!fifos.count(path)) e.current_instances = 0;
            snap.entries.push_back(std::move(e));
        }
    }
}

}  // namespace

Result<Snapshot> list_pipes(const CatalogOptions& options) {
    auto t0 = std::chrono::steady_clock::now();
    Snapshot snap;
    snap.taken_at = std::chrono::system_clock::now();

    // 1. Who holds what: /proc/<pid>/fd.
    ProcScan scan = scan_proc();
    snap.processes_denied = scan.denied;
    if (scan.denied > 0)
        snap.notes.push_back(
            std::to_string(scan.denied) +
            " processes could not be read (their holders are not shown); run as root to see them");
    if (scan.ok)
        snap.sources_used |= static_cast<std::uint32_t>(CatalogSource::ProcFd);
    else
        snap.sources_failed |= static_cast<std::uint32_t>(CatalogSource::ProcFd);

    // 2. Sockets: /proc/net/unix.
    std::string text = read_small_file("/proc/net/unix");
    if (text.empty() && !scan.ok) {
        return errno_error(errno ? errno : ENOENT, "open", "/proc/net/unix");
    }
    if (!text.empty())
        add_sockets(text, scan, snap);
    else {
        snap.notes.push_back("/proc/net/unix could not be read: sockets are not listed");
        snap.sources_failed |= static_cast<std::uint32_t>(CatalogSource::ProcNetUnix);
    }

    // 3. FIFOs in use.
    add_fifos_in_use(scan.fifos, snap);

    // 4. Folders the user named: sockets and FIFOs, used or not.
    for (const auto& folder : options.folders) add_folder(folder, scan.fifos, snap);

    normalize(snap);
    for (auto& e : snap.entries) e.first_seen = e.last_seen = snap.taken_at;
    snap.list_duration = std::chrono::duration_cast<std::chrono::microseconds>(
        std::chrono::steady_clock::now() - t0);
    return snap;
}

}  // namespace pipescope::core
