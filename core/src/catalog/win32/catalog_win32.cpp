// Windows listing: the NPFS directory (NtQueryDirectoryFile on \\.\pipe\) and the system handle
// table (which process holds which pipe, which end). Neither opens a pipe by name: the first
// opens the pipe file system's root directory, the second duplicates handles processes already
// hold and asks the object manager about them.
#include <windows.h>

#include <algorithm>
#include <condition_variable>
#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <thread>
#include <unordered_map>

#include <spdlog/logger.h>

#include "catalog/win32/wine_table_guard.hpp"
#include "os/process_image.hpp"
#include "os/win32/nt.hpp"
#include "os/win32/object_descriptor.hpp"
#include "pipescope/catalog.hpp"
#include "pipescope/log.hpp"
#include "pipescope/platform.hpp"
#include "pipescope/unique_handle.hpp"
#include "base/utf.hpp"

namespace pipescope::core {
namespace {

constexpr wchar_t kPipeRoot[] = L"\\\\.\\pipe\\";
constexpr std::wstring_view kDevicePrefix = L"\\Device\\NamedPipe\\";

}  // namespace

Result<std::vector<PipeEntry>> list_nt_directory() {
    auto query = nt::resolve<nt::NtQueryDirectoryFileFn>("NtQueryDirectoryFile");
    if (!query)
        return make_error(
            ErrorCode::Unsupported, "GetProcAddress", "NtQueryDirectoryFile",
            "ntdll has no NtQueryDirectoryFile. Next: the handle table lists pipes instead");
    UniqueHandle dir{::CreateFileW(kPipeRoot, GENERIC_READ,
                                   FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr,
                                   OPEN_EXISTING, 0, nullptr)};
    if (!dir) {
        Error err = win32_error(::GetLastError(), "CreateFileW", "\\\\.\\pipe\\");
        err.code = ErrorCode::Unsupported;
        err.message = "the pipe directory could not be opened for listing: " + err.message;
        return err;
    }
    std::vector<std::byte> buffer(64 * 1024);
    NtDirectoryParser parser;
    bool restart = true;
    for (int round = 0; round < 100000; ++round) {
        IO_STATUS_BLOCK iosb{};
        LONG status = query(dir.get(), nullptr, nullptr, nullptr, &iosb, buffer.data(),
                            static_cast<ULONG>(buffer.size()), nt::kFileDirectoryInformation, FALSE,
                            nullptr, restart ? TRUE : FALSE);
        restart = false;
        auto st = static_cast<ULONG>(status);
        if (st == nt::kStatusNoMoreFiles) break;
        if (st == nt::kStatusBufferOverflow && iosb.Information == 0) {
            buffer.resize(buffer.size() * 2);  // one name longer than the buffer: retry larger
            continue;
        }
        if (status < 0) {
            Error err = ntstatus_error(st, "NtQueryDirectoryFile", "\\\\.\\pipe\\");
            if (st == 0xC00000CBu) {
                err.code = ErrorCode::Unsupported;
                err.message =
                    "this system cannot list the pipe directory (Wine does not implement it). "
                    "Next: "
                    "pipes held by processes are listed from the handle table instead";
            }
            return err;
        }
        auto got = static_cast<std::size_t>(iosb.Information);
        if (got == 0 || got > buffer.size()) got = buffer.size();
        // Each call returns whole records; the parser still joins a partial one with the next.
        if (auto s = parser.feed(std::span<const std::byte>(buffer.data(), got)); !s)
            return s.error();
    }
    std::vector<PipeEntry> out;
    for (auto& d : parser.take()) {
        PipeEntry e;
        e.kind = PipeKind::NamedPipe;
        e.name = std::move(d.name);
        e.current_instances = d.current_instances;
        e.max_instances = d.max_instances;
        e.sources = static_cast<std::uint32_t>(CatalogSource::NtDirectory);
        out.push_back(std::move(e));
    }
    return out;
}

namespace {

// Runs queries that may hang (NtQueryObject on a synchronous pipe handle with I/O pending) on a
// worker thread. A query that overruns its bound is given up: its worker is abandoned (it
// finishes or stays blocked on its own; everything it touches is shared-owned) and a fresh
// worker takes the next query.
class QueryWorker {
  public:
    QueryWorker() { spawn(); }
    ~QueryWorker() {
        {
            std::lock_guard lock(state_->m);
            state_->quit = true;
        }
        state_->cv.notify_all();
        if (thread_.joinable()) thread_.join();
    }
    QueryWorker(const QueryWorker&) = delete;
    QueryWorker& operator=(const QueryWorker&) = delete;

    // True when `job` finished within `timeout`.
    bool run(std::function<void()> job, std::chrono::milliseconds timeout) {
        auto done = std::make_shared<std::promise<void>>();
        auto fut = done->get_future();
        {
            std::lock_guard lock(state_->m);
            state_->job = [job = std::move(job), done]() mutable {
                job();
                done->set_value();
            };
        }
        state_->cv.notify_all();
        if (fut.wait_for(timeout) == std::future_status::ready) return true;
        {
            std::lock_guard lock(state_->m);
            state_->quit = true;
        }
        thread_.detach();  // stuck in the kernel; it exits if the call ever returns
        spawn();
        return false;
    }

  private:
    struct State {
        std::mutex m;
        std::condition_variable cv;
        std::function<void()> job;
        bool quit = false;
    };

    void spawn() {
        state_ = std::make_shared<State>();
        thread_ = std::thread([st = state_] {
            for (;;) {
                std::function<void()> job;
                {
                    std::unique_lock lock(st->m);
                    st->cv.wait(lock, [&] { return st->quit || st->job; });
                    if (!st->job) return;
                    job = std::move(st->job);
                    st->job = nullptr;
                }
                job();
                std::lock_guard lock(st->m);
                if (st->quit) return;
            }
        });
    }

    std::shared_ptr<State> state_;
    std::thread thread_;
};

std::wstring unicode_head(const std::vector<std::byte>& buf) {
    const auto* head = reinterpret_cast<const nt::ObjectUnicodeHead*>(buf.data());
    if (!head->Name.Buffer || head->Name.Length == 0) return {};
    return std::wstring(head->Name.Buffer, head->Name.Length / sizeof(wchar_t));
}

// The executable's file name (no folder) of a process handle the caller holds.
std::string process_name(HANDLE process) {
    auto image = os::process_image_of_handle(process, "process");
    if (!image) return {};
    auto slash = image->find_last_of("\\/");
    return slash == std::string::npos ? *image : image->substr(slash + 1);
}

struct FileQuery {
    UniqueHandle handle;
    std::wstring name;
    bool have_local = false;
    nt::PipeLocalInformation local{};
};

// A handle's object name (NtQueryObject, ObjectNameInformation); empty when it has none or the
// query fails. Can hang on a synchronous file with I/O pending: ask on a QueryWorker. Not under
// Wine for pipe ends: see query_pipe_end.
std::wstring object_name(nt::NtQueryObjectFn query_object, HANDLE handle) {
    std::vector<std::byte> buf(2048);
    ULONG len = 0;
    if (query_object(handle, nt::kObjectNameInformation, buf.data(), static_cast<ULONG>(buf.size()),
                     &len) < 0)
        return {};
    return unicode_head(buf);
}

// A pipe end's full name (\Device\NamedPipe\name) and local information, asked with
// NtQueryInformationFile only; anything but a connected pipe end is left unnamed. This is how
// Wine is asked: Wine 8's server crashes (a core dump faults in pipe_end_get_full_name with a NULL
// pipe) when NtQueryObject asks the name of a client end whose server has disconnected it
// (DisconnectNamedPipe clears that end's pipe, server/named_pipe.c), while these two
// information classes check for that and say STATUS_PIPE_DISCONNECTED.
void query_pipe_end(nt::NtQueryInformationFileFn query_file, FileQuery& q) {
    IO_STATUS_BLOCK iosb{};
    if (query_file(q.handle.get(), &iosb, &q.local, sizeof q.local, nt::kFilePipeLocalInformation) <
        0)
        return;  // not a pipe end, or one cut off from its pipe
    q.have_local = true;
    // FILE_NAME_INFORMATION: the length in bytes, then the name relative to the pipe device,
    // with its leading backslash.
    std::vector<std::byte> buf(4096);
    if (query_file(q.handle.get(), &iosb, buf.data(), static_cast<ULONG>(buf.size()),
                   nt::kFileNameInformation) < 0)
        return;
    ULONG bytes = 0;
    std::memcpy(&bytes, buf.data(), sizeof bytes);
    bytes = std::min<ULONG>(bytes, static_cast<ULONG>(buf.size() - sizeof bytes));
    std::wstring relative(bytes / sizeof(wchar_t), L'\0');
    std::memcpy(relative.data(), buf.data() + sizeof bytes, relative.size() * sizeof(wchar_t));
    if (relative.empty() || relative.front() != L'\\') return;
    q.name = std::wstring(kDevicePrefix) + relative.substr(1);
}

// One server-end handle of a pipe, for telling pipe objects apart.
struct ServerHandle {
    ULONG_PTR pid = 0;
    PVOID object = nullptr;  // the kernel object's address from the handle table, if shown
    // The duplicate, kept open for NtCompareObjects when the address is not shown.
    std::shared_ptr<FileQuery> query;
};

// Processes serving one name through different pipe objects. Handles to one object (a handle
// a child inherited or one duplicated into another process) are one object, and processes
// that share an object are one party: a parent and the child that inherited its server handle
// count once, one process with four instances counts once, two processes that each created
// instances count twice. Objects are told apart by their kernel address where the handle
// table shows it (Windows), else by NtCompareObjects on the duplicates (Wine, whose table
// shows no addresses, and Windows versions that hide them from a caller without
// SeDebugPrivilege); without either, each process counts once, so a shared inherited handle
// would then count twice.
std::uint32_t count_server_processes(const std::vector<ServerHandle>& handles,
                                     nt::NtCompareObjectsFn compare) {
    auto same_object = [&](const ServerHandle& a, const ServerHandle& b) {
        if (a.object && b.object) return a.object == b.object;
        if (compare && a.query && b.query)
            return compare(a.query->handle.get(), b.query->handle.get()) == 0;
        return false;
    };
    // Union-find over the handles' processes: parties joined by a shared object.
    std::vector<ULONG_PTR> pids;
    for (const auto& h : handles)
        if (std::find(pids.begin(), pids.end(), h.pid) == pids.end()) pids.push_back(h.pid);
    std::vector<std::size_t> parent(pids.size());
    for (std::size_t i = 0; i < parent.size(); ++i) parent[i] = i;
    auto root = [&](std::size_t i) {
        while (parent[i] != i) i = parent[i] = parent[parent[i]];
        return i;
    };
    auto index_of = [&](ULONG_PTR pid) {
        return static_cast<std::size_t>(std::find(pids.begin(), pids.end(), pid) - pids.begin());
    };
    for (std::size_t i = 0; i < handles.size(); ++i)
        for (std::size_t j = i + 1; j < handles.size(); ++j)
            if (handles[i].pid != handles[j].pid && same_object(handles[i], handles[j]))
                parent[root(index_of(handles[i].pid))] = root(index_of(handles[j].pid));
    std::uint32_t parties = 0;
    for (std::size_t i = 0; i < pids.size(); ++i) parties += root(i) == i ? 1 : 0;
    return parties;
}

bool is_pipe_device_name(const std::wstring& name) {
    return name.size() > kDevicePrefix.size() &&
           name.compare(0, kDevicePrefix.size(), kDevicePrefix) == 0;
}

// SystemExtendedHandleInformation, grown until the whole table fits. Under Wine, only once no
// process is starting (wine_table_guard.hpp).
Result<std::vector<std::byte>> read_handle_table(nt::NtQuerySystemInformationFn query_system) {
    std::vector<std::byte> table(1 << 20);
    for (int attempt = 0;; ++attempt) {
        if (is_wine())  // Wine's server crashes if a process is starting: see the guard
            if (auto busy = wine_table_guard::wait_for_startups(query_system)) return *busy;
        ULONG needed = 0;
        LONG status = query_system(nt::kSystemExtendedHandleInformation, table.data(),
                                   static_cast<ULONG>(table.size()), &needed);
        if (static_cast<ULONG>(status) == nt::kStatusInfoLengthMismatch ||
            static_cast<ULONG>(status) == nt::kStatusBufferTooSmall) {
            if (attempt > 8)
                return ntstatus_error(static_cast<ULONG>(status), "NtQuerySystemInformation",
                                      "handle table");
            table.resize(std::max<std::size_t>(table.size() * 2, needed + 65536));
            continue;
        }
        if (status < 0)
            return ntstatus_error(static_cast<ULONG>(status), "NtQuerySystemInformation",
                                  "handle table");
        return table;
    }
}

// One walk over the handle table: the processes opened so far, the type cache and the pipes
// found, keyed by name.
class HandleScan {
  public:
    HandleScan(nt::NtQueryObjectFn query_object, nt::NtQueryInformationFileFn query_file,
               std::chrono::milliseconds query_timeout)
        : query_object_(query_object), query_file_(query_file), query_timeout_(query_timeout) {}

    void visit(const nt::HandleEntryEx& h) {
        if (h.ObjectTypeIndex != 0) {
            auto t = type_is_file_.find(h.ObjectTypeIndex);
            if (t != type_is_file_.end() && !t->second) return;
        }
        HANDLE source_process = holder(h.UniqueProcessId);
        if (!source_process) return;
        HANDLE dup = nullptr;
        if (!::DuplicateHandle(source_process, reinterpret_cast<HANDLE>(h.HandleValue),
                               ::GetCurrentProcess(), &dup, 0, FALSE, DUPLICATE_SAME_ACCESS)) {
            return;
        }
        auto q = std::make_shared<FileQuery>();
        q->handle.reset(dup);
        if (!is_file(h, dup)) return;
        ++out_.handles_seen;
        if (out_.handles_timed_out >= kMaxTimeouts) return;
        if (!query_name(h, q)) return;
        if (!is_pipe_device_name(q->name)) return;
        std::wstring pipe = q->name.substr(kDevicePrefix.size());
        add_holder(pipe, h.UniqueProcessId, *q);
        if (q->have_local && q->local.NamedPipeEnd == 1)
            servers_[pipe].push_back({h.UniqueProcessId, h.Object, h.Object ? nullptr : q});
    }

    HandleTableListing finish() {
        for (auto& [pipe, handles] : servers_)
            by_name_[pipe].server_processes = count_server_processes(handles, compare_);
        servers_.clear();  // closes the duplicates kept for comparing
        for (auto& [k, e] : by_name_) out_.entries.push_back(std::move(e));
        return std::move(out_);
    }

  private:
    static constexpr std::size_t kMaxTimeouts = 8;

    // The process that holds a handle, opened once per process for PROCESS_DUP_HANDLE; nullptr
    // when it is not ours to open.
    HANDLE holder(ULONG_PTR pid) {
        auto pit = processes_.find(pid);
        if (pit == processes_.end()) {
            HANDLE p = pid == self_
                           ? ::GetCurrentProcess()
                           : ::OpenProcess(PROCESS_DUP_HANDLE | PROCESS_QUERY_LIMITED_INFORMATION,
                                           FALSE, static_cast<DWORD>(pid));
            if (!p && pid != self_) {
                p = ::OpenProcess(PROCESS_DUP_HANDLE, FALSE, static_cast<DWORD>(pid));
            }
            if (!p) ++out_.processes_denied;
            pit = processes_.emplace(pid, UniqueHandle{pid == self_ ? nullptr : p}).first;
            names_[pid] = p ? process_name(p) : std::string{};
            if (!p) return nullptr;
        } else if (!pit->second && pid != self_) {
            return nullptr;  // denied earlier
        }
        return pid == self_ ? ::GetCurrentProcess() : pit->second.get();
    }

    bool is_file(const nt::HandleEntryEx& h, HANDLE dup) {
        // The type query does not wait on the file object; it is safe here.
        ULONG len = 0;
        if (query_object_(dup, nt::kObjectTypeInformation, buf_.data(),
                          static_cast<ULONG>(buf_.size()), &len) < 0)
            return false;
        bool file = unicode_head(buf_) == L"File";
        // Windows numbers object types system-wide, so one query per type index is enough.
        // Under Wine the index did not identify the type: with the cache, pipes of this very
        // process went missing while other processes ran; so Wine asks every handle.
        if (h.ObjectTypeIndex != 0 && cache_types_) type_is_file_[h.ObjectTypeIndex] = file;
        return file;
    }

    // The name and pipe information of a file handle, asked on the worker because either call
    // can hang in the kernel. False when it timed out.
    bool query_name(const nt::HandleEntryEx& h, const std::shared_ptr<FileQuery>& q) {
        bool finished = worker_.run(
            [q, query_object = query_object_, query_file = query_file_, wine = wine_] {
                if (wine) return query_pipe_end(query_file, *q);
                q->name = object_name(query_object, q->handle.get());
                if (!is_pipe_device_name(q->name)) return;
                IO_STATUS_BLOCK iosb{};
                q->have_local = query_file(q->handle.get(), &iosb, &q->local, sizeof q->local,
                                           nt::kFilePipeLocalInformation) >= 0;
            },
            query_timeout_);
        if (!finished) {
            ++out_.handles_timed_out;
            log::catalog()->warn(
                "handle table: name query for handle {:#x} of process {} timed out", h.HandleValue,
                static_cast<unsigned long long>(h.UniqueProcessId));
        }
        return finished;
    }

    void add_holder(const std::wstring& pipe, ULONG_PTR pid, const FileQuery& q) {
        PipeEntry& e = by_name_[pipe];
        if (e.name.empty()) {
            e.kind = PipeKind::NamedPipe;
            e.name = detail::wide_to_utf8(pipe);
            e.sources = static_cast<std::uint32_t>(CatalogSource::HandleTable);
        }
        ProcessRef who{static_cast<std::uint32_t>(pid), names_[pid]};
        auto add = [&](std::vector<ProcessRef>& v) {
            for (const auto& p : v)
                if (p.pid == who.pid) return;
            v.push_back(who);
        };
        if (q.have_local) {
            add(q.local.NamedPipeEnd == 1 ? e.server_pids : e.client_pids);
            e.current_instances = static_cast<std::int64_t>(q.local.CurrentInstances);
            e.max_instances = q.local.MaximumInstances == 0xFFFFFFFFu
                                  ? -1
                                  : static_cast<std::int64_t>(q.local.MaximumInstances);
        } else {
            add(e.other_pids);
        }
    }

    nt::NtQueryObjectFn query_object_;
    nt::NtQueryInformationFileFn query_file_;
    std::chrono::milliseconds query_timeout_;
    HandleTableListing out_;
    std::map<std::wstring, PipeEntry> by_name_;
    // Server-end handles per pipe name. Where the table hides object addresses the
    // duplicates stay open until finish() so NtCompareObjects can compare them: a server
    // instance closed meanwhile lives on until then (the scan takes milliseconds to seconds).
    std::map<std::wstring, std::vector<ServerHandle>> servers_;
    const nt::NtCompareObjectsFn compare_ = nt::resolve<nt::NtCompareObjectsFn>("NtCompareObjects");
    std::unordered_map<ULONG_PTR, UniqueHandle>
        processes_;  // pid -> PROCESS_DUP_HANDLE handle (or invalid)
    std::unordered_map<ULONG_PTR, std::string> names_;
    std::unordered_map<USHORT, bool> type_is_file_;  // cached per type index (when non-zero)
    QueryWorker worker_;
    const DWORD self_ = ::GetCurrentProcessId();
    const bool wine_ = is_wine();
    const bool cache_types_ = !wine_;
    std::vector<std::byte> buf_ = std::vector<std::byte>(4096);
};

}  // namespace

Result<HandleTableListing> list_handle_table(std::chrono::milliseconds query_timeout) {
    auto query_system = nt::resolve<nt::NtQuerySystemInformationFn>("NtQuerySystemInformation");
    auto query_object = nt::resolve<nt::NtQueryObjectFn>("NtQueryObject");
    auto query_file = nt::resolve<nt::NtQueryInformationFileFn>("NtQueryInformationFile");
    if (!query_system || !query_object || !query_file)
        return make_error(
            ErrorCode::Unsupported, "GetProcAddress", "ntdll",
            "ntdll lacks NtQuerySystemInformation, NtQueryObject or NtQueryInformationFile");

    auto table = read_handle_table(query_system);
    if (!table) return table.error();
    const auto* info = reinterpret_cast<const nt::HandleInformationEx*>(table->data());
    const std::size_t count = info->NumberOfHandles;
    const std::size_t max_fit =
        (table->size() - offsetof(nt::HandleInformationEx, Handles)) / sizeof(nt::HandleEntryEx);
    const std::size_t n = std::min(count, max_fit);

    HandleScan scan(query_object, query_file, query_timeout);
    for (std::size_t i = 0; i < n; ++i) scan.visit(info->Handles[i]);
    return scan.finish();
}

Result<ServerHandleDescriptor> read_server_handle_descriptor(
    std::string_view name, std::span<const std::uint32_t> server_pids,
    std::chrono::milliseconds query_timeout) {
    auto query_system = nt::resolve<nt::NtQuerySystemInformationFn>("NtQuerySystemInformation");
    auto query_object = nt::resolve<nt::NtQueryObjectFn>("NtQueryObject");
    auto query_file = nt::resolve<nt::NtQueryInformationFileFn>("NtQueryInformationFile");
    if (!query_system || !query_object || !query_file)
        return make_error(
            ErrorCode::Unsupported, "GetProcAddress", "ntdll",
            "ntdll lacks NtQuerySystemInformation, NtQueryObject or NtQueryInformationFile");
    const bool wine = is_wine();
    const std::string subject = "\\\\.\\pipe\\" + std::string(name);
    auto table = read_handle_table(query_system);
    if (!table) return table.error();
    const auto* info = reinterpret_cast<const nt::HandleInformationEx*>(table->data());
    const std::size_t n = std::min<std::size_t>(
        info->NumberOfHandles,
        (table->size() - offsetof(nt::HandleInformationEx, Handles)) / sizeof(nt::HandleEntryEx));
    const std::wstring wanted = std::wstring(kDevicePrefix) + detail::utf8_to_wide(name);
    const DWORD self = ::GetCurrentProcessId();
    std::unordered_map<ULONG_PTR, UniqueHandle> opened;  // pid -> PROCESS_DUP_HANDLE (or none)
    std::size_t denied = 0, timed_out = 0;
    DWORD open_error = 0, read_error = 0;
    std::vector<std::byte> type_buf(4096);
    QueryWorker worker;
    for (std::size_t i = 0; i < n && timed_out < 2; ++i) {
        const nt::HandleEntryEx& h = info->Handles[i];
        if (std::find(server_pids.begin(), server_pids.end(),
                      static_cast<std::uint32_t>(h.UniqueProcessId)) == server_pids.end())
            continue;
        auto pit = opened.find(h.UniqueProcessId);
        if (pit == opened.end()) {
            HANDLE p = h.UniqueProcessId == self
                           ? nullptr
                           : ::OpenProcess(PROCESS_DUP_HANDLE, FALSE,
                                           static_cast<DWORD>(h.UniqueProcessId));
            if (!p && h.UniqueProcessId != self) {
                ++denied;
                open_error = ::GetLastError();
            }
            pit = opened.emplace(h.UniqueProcessId, UniqueHandle{p}).first;
        }
        HANDLE source = h.UniqueProcessId == self ? ::GetCurrentProcess() : pit->second.get();
        if (!source) continue;
        HANDLE dup = nullptr;
        if (!::DuplicateHandle(source, reinterpret_cast<HANDLE>(h.HandleValue),
                               ::GetCurrentProcess(), &dup, 0, FALSE, DUPLICATE_SAME_ACCESS))
            continue;
        auto q = std::make_shared<FileQuery>();
        q->handle.reset(dup);
        ULONG len = 0;  // the type query does not wait on the file object
        if (query_object(dup, nt::kObjectTypeInformation, type_buf.data(),
                         static_cast<ULONG>(type_buf.size()), &len) < 0 ||
            unicode_head(type_buf) != L"File")
            continue;
        // The name and the descriptor both wait on a synchronous file object with I/O pending.
        auto read = std::make_shared<os::ObjectDescriptor>();
        bool finished = worker.run(
            [q, read, query_object, query_file, wine, wanted] {
                if (wine)  // see query_pipe_end
                    query_pipe_end(query_file, *q);
                else
                    q->name = object_name(query_object, q->handle.get());
                if (::CompareStringOrdinal(q->name.data(), static_cast<int>(q->name.size()),
                                           wanted.data(), static_cast<int>(wanted.size()),
                                           TRUE) != CSTR_EQUAL)
                    return;
                *read = os::read_object_descriptor(q->handle.get());
            },
            query_timeout);
        if (!finished) {
            ++timed_out;
            continue;
        }
        if (read->bytes.empty()) {
            if (read->error) read_error = read->error;
            continue;
        }
        ServerHandleDescriptor out;
        out.bytes = std::move(read->bytes);
        out.pid = static_cast<std::uint32_t>(h.UniqueProcessId);
        out.label_read = read->label_read;
        return out;
    }
    if (read_error) return win32_error(read_error, "GetSecurityInfo", subject);
    if (timed_out)
        return make_error(ErrorCode::Timeout, "NtQueryObject", subject,
                          std::to_string(timed_out) +
                              " handle queries hung (synchronous server handles with I/O "
                              "pending). Next: the probe's own open is the other way");
    if (denied == opened.size() && denied > 0) {
        Error e = win32_error(open_error, "OpenProcess(PROCESS_DUP_HANDLE)", subject);
        e.message +=
            ": no server process may be opened to duplicate its handle. Next: run "
            "as administrator";
        return e;
    }
    return make_error(ErrorCode::NotFound, "read_server_handle_descriptor", subject,
                      "no handle of this pipe was found in its server processes");
}

Result<Snapshot> list_pipes(const CatalogOptions& options) {
    auto t0 = std::chrono::steady_clock::now();
    Snapshot snap;
    snap.taken_at = std::chrono::system_clock::now();
    std::optional<Error> dir_error, table_error;
    bool any = false;
    if (options.use_directory) {
        auto dir = list_nt_directory();
        if (dir) {
            any = true;
            snap.sources_used |= static_cast<std::uint32_t>(CatalogSource::NtDirectory);
            snap.entries = std::move(dir).value();
        } else {
            dir_error = dir.error();
            snap.sources_failed |= static_cast<std::uint32_t>(CatalogSource::NtDirectory);
            snap.notes.push_back("pipe directory: " + dir.error().to_string());
        }
    }
    if (options.use_handle_table) {
        auto table = list_handle_table(options.handle_query_timeout);
        if (table) {
            any = true;
            snap.sources_used |= static_cast<std::uint32_t>(CatalogSource::HandleTable);
            snap.processes_denied = table->processes_denied;
            snap.handles_timed_out = table->handles_timed_out;
            if (table->processes_denied)
                snap.notes.push_back(std::to_string(table->processes_denied) +
                                     " processes could not be opened (their pipes are not shown); "
                                     "run elevated to see them");
            if (table->handles_timed_out)
                snap.notes.push_back(std::to_string(table->handles_timed_out) +
                                     " handle name queries timed out and were skipped (synchronous "
                                     "handles with I/O pending)");
            if (dir_error)
                snap.notes.push_back(
                    "listed from the handle table only: pipes no process holds open are not shown");
            for (auto& e : table->entries) snap.entries.push_back(std::move(e));
        } else {
            table_error = table.error();
            snap.sources_failed |= static_cast<std::uint32_t>(CatalogSource::HandleTable);
            snap.notes.push_back("handle table: " + table.error().to_string());
        }
    }
    if (!any) {
        if (dir_error) return *dir_error;
        if (table_error) return *table_error;
        return make_error(ErrorCode::InvalidArgument, "list_pipes", "",
                          "no source enabled. Next: enable the directory or the handle table");
    }
    normalize(snap);
    for (auto& e : snap.entries) e.first_seen = e.last_seen = snap.taken_at;
    snap.list_duration = std::chrono::duration_cast<std::chrono::microseconds>(
        std::chrono::steady_clock::now() - t0);
    return snap;
}

}  // namespace pipescope::core
