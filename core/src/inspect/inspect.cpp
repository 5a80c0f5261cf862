// Portable half of the inspector: names of states, rights in words, DACL risk flags and the
// asynchronous task. The probes themselves are in inspect_win32.cpp / inspect_posix.cpp.
#include "pipescope/inspect.hpp"

#include <algorithm>
#include <cstdio>

namespace pipescope::core {

std::string_view to_string(FieldState state) {
    switch (state) {
        case FieldState::Ok:
            return "ok";
        case FieldState::Busy:
            return "busy";
        case FieldState::Denied:
            return "denied";
        case FieldState::NotFound:
            return "not found";
        case FieldState::TimedOut:
            return "timeout";
        case FieldState::Unsupported:
            return "unsupported";
        case FieldState::Unknown:
            return "unknown";
        case FieldState::Failed:
            return "failed";
    }
    return "unknown";
}

std::string_view to_string(InspectState state) {
    switch (state) {
        case InspectState::Ok:
            return "ok";
        case InspectState::Busy:
            return "busy";
        case InspectState::Denied:
            return "denied";
        case InspectState::NotFound:
            return "not found";
        case InspectState::TimedOut:
            return "timeout";
        case InspectState::Cancelled:
            return "cancelled";
        case InspectState::Error:
            return "error";
    }
    return "error";
}

namespace {

// Access mask bits (values fixed by Windows; spelled out so this builds everywhere).
constexpr std::uint32_t kFileReadData = 0x0001;
constexpr std::uint32_t kFileWriteData = 0x0002;
constexpr std::uint32_t kFileCreatePipeInstance = 0x0004;
constexpr std::uint32_t kFileReadEa = 0x0008;
constexpr std::uint32_t kFileWriteEa = 0x0010;
constexpr std::uint32_t kFileExecute = 0x0020;
constexpr std::uint32_t kFileDeleteChild = 0x0040;
constexpr std::uint32_t kFileReadAttributes = 0x0080;
constexpr std::uint32_t kFileWriteAttributes = 0x0100;
constexpr std::uint32_t kDelete = 0x00010000;
constexpr std::uint32_t kReadControl = 0x00020000;
constexpr std::uint32_t kWriteDac = 0x00040000;
constexpr std::uint32_t kWriteOwner = 0x00080000;
constexpr std::uint32_t kSynchronize = 0x00100000;
constexpr std::uint32_t kAccessSystemSecurity = 0x01000000;
constexpr std::uint32_t kMaximumAllowed = 0x02000000;
constexpr std::uint32_t kGenericAll = 0x10000000;
constexpr std::uint32_t kGenericExecute = 0x20000000;
constexpr std::uint32_t kGenericWrite = 0x40000000;
constexpr std::uint32_t kGenericRead = 0x80000000;
constexpr std::uint32_t kFileAllAccess = 0x001F01FF;
constexpr std::uint32_t kFileGenericRead = 0x00120089;
constexpr std::uint32_t kFileGenericWrite = 0x00120116;

constexpr const char* kSidEveryone = "S-1-1-0";
constexpr const char* kSidAnonymous = "S-1-5-7";
constexpr const char* kSidNetwork = "S-1-5-2";

}  // namespace

std::vector<std::string> pipe_rights_in_words(std::uint32_t mask) {
    std::vector<std::string> out;
    std::uint32_t rest = mask;
    if ((mask & kGenericAll) || (mask & kFileAllAccess) == kFileAllAccess) {
        out.emplace_back("full control");
        rest &= ~(kGenericAll | kFileAllAccess);
    } else {
        if ((mask & kFileGenericRead) == kFileGenericRead) {
            out.emplace_back("read");
            rest &= ~kFileGenericRead;
        }
        if ((mask & kFileGenericWrite) == kFileGenericWrite) {
            out.emplace_back("write");
            rest &= ~kFileGenericWrite;
        }
    }
    static constexpr std::pair<std::uint32_t, const char*> kBits[] = {
        {kGenericRead, "generic read"},
        {kGenericWrite, "generic write"},
        {kGenericExecute, "generic execute"},
        {kFileReadData, "read data"},
        {kFileWriteData, "write data"},
        {kFileCreatePipeInstance, "create pipe instance"},
        {kFileReadEa, "read extended attributes"},
        {kFileWriteEa, "write extended attributes"},
        {kFileExecute, "execute"},
        {kFileDeleteChild, "delete child"},
        {kFileReadAttributes, "read attributes"},
        {kFileWriteAttributes, "write attributes"},
        {kDelete, "delete"},
        {kReadControl, "read permissions"},
        {kWriteDac, "change permissions"},
        {kWriteOwner, "take ownership"},
        {kSynchronize, "synchronize"},
        {kAccessSystemSecurity, "system security"},
        {kMaximumAllowed, "maximum allowed"},
    };
    for (auto [bit, word] : kBits) {
        if (rest & bit) {
            out.emplace_back(word);
            rest &= ~bit;
        }
    }
    if (rest != 0) {
        char hex[16];
        std::snprintf(hex, sizeof hex, "0x%X", static_cast<unsigned>(rest));
        out.emplace_back(std::string("other ") + hex);
    }
    return out;
}

bool mask_allows_write(std::uint32_t mask) {
    return (mask & (kFileWriteData | kGenericWrite | kGenericAll)) != 0;
}

namespace {

// The first ACE for `sid` that says anything about writing decides (DACL order).
std::optional<bool> write_verdict(const std::vector<AceInfo>& aces, std::string_view sid) {
    for (const auto& a : aces) {
        if (a.sid != sid || !mask_allows_write(a.mask)) continue;
        if (a.type == "deny") return false;
        if (a.type == "allow") return true;
    }
    return std::nullopt;
}

}  // namespace

RiskFlags assess_dacl(bool dacl_present, const std::vector<AceInfo>& aces) {
    RiskFlags f;
    if (!dacl_present) {
        f.null_dacl = true;
        f.everyone_can_write = true;
        f.anonymous_can_write = true;
        return f;
    }
    // A deny for Everyone also stops Anonymous and Network logons before any allow.
    std::optional<bool> everyone = write_verdict(aces, kSidEveryone);
    f.everyone_can_write = everyone.value_or(false);
    std::optional<bool> anon;
    for (const auto& a : aces) {
        if ((a.sid != kSidAnonymous && a.sid != kSidEveryone) || !mask_allows_write(a.mask))
            continue;
        if (a.type == "deny") {
            anon = false;
            break;
        }
        if (a.type == "allow" && a.sid == kSidAnonymous) {
            anon = true;
            break;
        }
    }
    f.anonymous_can_write = anon.value_or(false);
    for (const auto& a : aces) {
        if ((a.sid == kSidNetwork || a.sid == kSidEveryone) && a.type == "deny" &&
            mask_allows_write(a.mask)) {
            f.remote_clients_accepted = false;
            break;
        }
    }
    return f;
}

// ---- Which fields apply ----------------------------------------------------------------------

DetailsKind details_kind(std::string_view kind, bool windows) {
    if (kind == "named pipe") return DetailsKind::NamedPipe;
    if (kind == "fifo") return DetailsKind::Fifo;
    if (kind.starts_with("unix")) return DetailsKind::UnixSocket;
    if (kind.starts_with("remote")) return DetailsKind::RemotePipe;
    return windows ? DetailsKind::NamedPipe : DetailsKind::Unknown;
}

DetailsKind details_kind(const PipeDetails& d) {
#ifdef _WIN32
    return details_kind(d.kind, true);
#else
    return details_kind(d.kind, false);
#endif
}

namespace {

// Bits of the kinds a field applies to.
constexpr unsigned kNp = 1u << 0;     // Windows named pipe
constexpr unsigned kSock = 1u << 1;   // AF_UNIX socket (path or abstract)
constexpr unsigned kFifo = 1u << 2;   // FIFO
constexpr unsigned kPosix = 1u << 3;  // a POSIX probe that failed before it knew the kind
constexpr unsigned kSmb = 1u << 4;    // a remote pipe reached with the SMB client (POSIX)

struct FieldKinds {
    std::string_view key;
    unsigned kinds;
};

// Keys of PipeDetails fields as `inspect --json` names them.
constexpr FieldKinds kFieldKinds[] = {
    {"access", kNp},  // the access the Win32 probe opened with; POSIX probes have no such choice
    {"type", kNp | kSmb | kSock | kFifo | kPosix},
    {"end", kNp | kSock},  // a FIFO has no ends of its own
    {"in_quota", kNp | kSmb},
    {"out_quota", kNp | kSmb},
    {"max_instances", kNp | kSmb},
    {"current_instances", kNp | kSmb},
    {"handle_state", kNp},
    {"pipe_state", kNp},
    {"read_data_available", kNp},
    {"write_quota_available", kNp},
    {"server_pid", kNp | kSock},  // a FIFO has no peer credentials
    {"server_image", kNp | kSock},
    {"server_session", kNp},
    {"server_uid", kSock},
    {"server_gid", kSock},
    {"owner", kNp | kSock | kFifo | kPosix},
    {"owner_uid", kSock | kFifo | kPosix},
    {"owner_gid", kSock | kFifo | kPosix},
    {"mode", kSock | kFifo | kPosix},
    {"sddl", kNp},
    {"aces", kNp},
    {"security_descriptor", kNp},
    {"null_dacl", kNp},
    {"everyone_can_write", kNp},
    {"anonymous_can_write", kNp},
    {"remote_clients_accepted", kNp},
    {"socket_type", kSock},
    {"send_buffer", kSock},
    {"recv_buffer", kSock},
    {"capacity", kFifo},
    {"bytes_queued", kFifo},
    {"smb_dialect", kSmb},
    {"smb_signing", kSmb},
    {"smb_encryption", kSmb},
    {"smb_logon", kSmb},
    {"smb_server", kSmb},
};

unsigned kind_bit(DetailsKind kind) {
    switch (kind) {
        case DetailsKind::NamedPipe:
            return kNp;
        case DetailsKind::UnixSocket:
            return kSock;
        case DetailsKind::Fifo:
            return kFifo;
        case DetailsKind::RemotePipe:
            return kSmb;
        case DetailsKind::Unknown:
            return kPosix;
    }
    return kPosix;
}

}  // namespace

bool field_applies(std::string_view key, DetailsKind kind) {
    for (const auto& f : kFieldKinds) {
        if (f.key == key) return (f.kinds & kind_bit(kind)) != 0;
    }
    return true;
}

// ---- InspectTask ----------------------------------------------------------------------------

InspectTask::~InspectTask() {
    if (thread_.joinable()) {
        thread_.request_stop();
        thread_.join();
    }
}

bool InspectTask::ready() const {
    return future_.valid() &&
           future_.wait_for(std::chrono::seconds(0)) == std::future_status::ready;
}

bool InspectTask::wait_for(std::chrono::milliseconds for_at_most) const {
    return future_.valid() && future_.wait_for(for_at_most) == std::future_status::ready;
}

PipeDetails InspectTask::get() {
    PipeDetails d = future_.get();
    if (thread_.joinable()) thread_.join();
    return d;
}

void InspectTask::cancel() {
    if (thread_.joinable()) thread_.request_stop();
}

InspectTask inspect_async(const PipeName& name, const InspectOptions& options, InspectProbe probe) {
    InspectTask task;
    std::promise<PipeDetails> promise;
    task.future_ = promise.get_future();
    task.thread_ = std::jthread([name, options, probe = std::move(probe),
                                 p = std::move(promise)](std::stop_token st) mutable {
        // inspect_pipe does not throw; the catch keeps a bad_alloc from escaping the thread.
        try {
            p.set_value(probe(name, options, st));
        } catch (...) {
            PipeDetails d;
            d.name = name.display();
            d.state = InspectState::Error;
            d.error = make_error(ErrorCode::Unknown, "inspect", name.display(),
                                 "the probe failed unexpectedly");
            p.set_value(std::move(d));
        }
    });
    return task;
}

// ---- InspectTaskReaper ----------------------------------------------------------------------

InspectTaskReaper::~InspectTaskReaper() {
    std::vector<InspectTask> tasks;
    {
        std::lock_guard lock(mutex_);
        tasks.swap(tasks_);
    }
    tasks.clear();  // each cancels (already asked) and joins
}

void InspectTaskReaper::adopt(InspectTask task) {
    task.cancel();
    std::vector<InspectTask> finished;
    {
        std::lock_guard lock(mutex_);
        for (auto it = tasks_.begin(); it != tasks_.end();) {
            if (it->ready()) {
                finished.push_back(std::move(*it));
                it = tasks_.erase(it);
            } else {
                ++it;
            }
        }
        if (task.valid()) tasks_.push_back(std::move(task));
    }
    // `finished` joins here, outside the lock; each thread has set its result, so at once.
}

std::size_t InspectTaskReaper::pending() const {
    std::lock_guard lock(mutex_);
    return tasks_.size();
}

}  // namespace pipescope::core
