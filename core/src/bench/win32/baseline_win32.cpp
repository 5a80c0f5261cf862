// Raw baselines on Windows: one named pipe instance (CreateNamedPipeW) and its client
// (CreateFileW), byte or message type, on the Sync model (blocking ReadFile/WriteFile) or the
// Overlapped model (FILE_FLAG_OVERLAPPED, ReadFile/WriteFile + GetOverlappedResult with wait,
// one event per direction).
#include <atomic>
#include <mutex>
#include <string>

#include <windows.h>

#include "base/utf.hpp"
#include "bench/baseline_loops.hpp"
#include "pipescope/unique_handle.hpp"

namespace pipescope::core::baseline {

namespace {

// The peer closing its end reads as the end of the stream.
bool is_end(DWORD err) {
    return err == ERROR_BROKEN_PIPE || err == ERROR_PIPE_NOT_CONNECTED;
}

// Sync model: one blocking ReadFile / WriteFile per call. The watchdog wakes a blocked call
// with CancelSynchronousIo on the thread, whose handle open() takes.
struct SyncEnd {
    UniqueHandle pipe;
    const std::string* subject = nullptr;
    std::atomic<void*> thread{nullptr};

    SyncEnd() = default;
    SyncEnd(const SyncEnd&) = delete;
    SyncEnd& operator=(const SyncEnd&) = delete;
    ~SyncEnd() {
        if (void* t = thread.load()) CloseHandle(t);
    }

    Status open() {
        HANDLE t = nullptr;
        if (!DuplicateHandle(GetCurrentProcess(), GetCurrentThread(), GetCurrentProcess(), &t, 0,
                             FALSE, DUPLICATE_SAME_ACCESS))
            return win32_error(GetLastError(), "DuplicateHandle", "the loop thread");
        thread = t;
        return {};
    }
    Result<std::size_t> read(std::byte* p, std::size_t n) {
        DWORD got = 0;
        if (!ReadFile(pipe.get(), p, static_cast<DWORD>(n), &got, nullptr)) {
            const DWORD err = GetLastError();
            if (is_end(err)) return std::size_t{0};
            return win32_error(err, "ReadFile", *subject);
        }
        return static_cast<std::size_t>(got);
    }
    Result<std::size_t> write(const std::byte* p, std::size_t n) {
        DWORD put = 0;
        if (!WriteFile(pipe.get(), p, static_cast<DWORD>(n), &put, nullptr))
            return win32_error(GetLastError(), "WriteFile", *subject);
        return static_cast<std::size_t>(put);
    }
    void finish() { pipe.reset(); }  // the other end's ReadFile fails with ERROR_BROKEN_PIPE
    void poke() {
        if (void* t = thread.load()) CancelSynchronousIo(t);
    }
};

// Overlapped model: ReadFile/WriteFile with an OVERLAPPED, then GetOverlappedResult(wait);
// a manual-reset event per direction. The watchdog wakes a pending call with CancelIoEx, under
// a lock so it never touches a handle finish() closed.
struct OverlappedEnd {
    UniqueHandle pipe, read_event, write_event;
    const std::string* subject = nullptr;
    OVERLAPPED rov{}, wov{};
    std::mutex close_mutex;

    Status open() { return {}; }
    Result<std::size_t> read(std::byte* p, std::size_t n) {
        rov = OVERLAPPED{};
        rov.hEvent = read_event.get();
        if (!ReadFile(pipe.get(), p, static_cast<DWORD>(n), nullptr, &rov)) {
            const DWORD err = GetLastError();
            if (is_end(err)) return std::size_t{0};
            if (err != ERROR_IO_PENDING) return win32_error(err, "ReadFile", *subject);
        }
        DWORD got = 0;
        if (!GetOverlappedResult(pipe.get(), &rov, &got, TRUE)) {
            const DWORD err = GetLastError();
            if (is_end(err)) return std::size_t{0};
            return win32_error(err, "GetOverlappedResult", *subject);
        }
        return static_cast<std::size_t>(got);
    }
    Result<std::size_t> write(const std::byte* p, std::size_t n) {
        wov = OVERLAPPED{};
        wov.hEvent = write_event.get();
        if (!WriteFile(pipe.get(), p, static_cast<DWORD>(n), nullptr, &wov)) {
            const DWORD err = GetLastError();
            if (err != ERROR_IO_PENDING) return win32_error(err, "WriteFile", *subject);
        }
        DWORD put = 0;
        if (!GetOverlappedResult(pipe.get(), &wov, &put, TRUE))
            return win32_error(GetLastError(), "GetOverlappedResult", *subject);
        return static_cast<std::size_t>(put);
    }
    void finish() {
        std::lock_guard lock(close_mutex);
        pipe.reset();
    }
    void poke() {
        std::lock_guard lock(close_mutex);
        if (pipe) CancelIoEx(pipe.get(), nullptr);
    }
};

Status make_event(UniqueHandle& out) {
    out.reset(CreateEventW(nullptr, TRUE, FALSE, nullptr));
    if (!out) return win32_error(GetLastError(), "CreateEventW", "overlapped event");
    return {};
}

// One instance and its client, connected. Server: the engine's side; client: the peer's.
Status connect_pipe(const Scenario& s, bool overlapped, const std::string& name,
                    UniqueHandle& server, UniqueHandle& client) {
    const std::wstring wname = detail::utf8_to_wide(name);
    const bool message = s.type == PipeType::Message;
    const DWORD flags = overlapped ? FILE_FLAG_OVERLAPPED : 0;
    const DWORD mode = (message ? PIPE_TYPE_MESSAGE | PIPE_READMODE_MESSAGE
                                : PIPE_TYPE_BYTE | PIPE_READMODE_BYTE) |
                       PIPE_WAIT | PIPE_REJECT_REMOTE_CLIENTS;
    server.reset(CreateNamedPipeW(wname.c_str(),
                                  PIPE_ACCESS_DUPLEX | FILE_FLAG_FIRST_PIPE_INSTANCE | flags, mode,
                                  1, s.out_quota, s.in_quota, 0, nullptr));
    if (!server) return win32_error(GetLastError(), "CreateNamedPipeW", name);
    client.reset(CreateFileW(wname.c_str(), GENERIC_READ | GENERIC_WRITE, 0, nullptr, OPEN_EXISTING,
                             flags, nullptr));
    if (!client) return win32_error(GetLastError(), "CreateFileW", name);
    if (message) {
        DWORD read_mode = PIPE_READMODE_MESSAGE;
        if (!SetNamedPipeHandleState(client.get(), &read_mode, nullptr, nullptr))
            return win32_error(GetLastError(), "SetNamedPipeHandleState", name);
    }
    // The client is already there, so ConnectNamedPipe says ERROR_PIPE_CONNECTED at once.
    OVERLAPPED ov{};
    UniqueHandle ev;
    if (overlapped) {
        if (auto st = make_event(ev); !st) return st;
        ov.hEvent = ev.get();
    }
    if (!ConnectNamedPipe(server.get(), overlapped ? &ov : nullptr)) {
        const DWORD err = GetLastError();
        if (err == ERROR_IO_PENDING) {
            DWORD n = 0;
            if (!GetOverlappedResult(server.get(), &ov, &n, TRUE))
                return win32_error(GetLastError(), "ConnectNamedPipe", name);
        } else if (err != ERROR_PIPE_CONNECTED) {
            return win32_error(err, "ConnectNamedPipe", name);
        }
    }
    return {};
}

}  // namespace

Status run_os(const Scenario& s, TransportKind kind, Shared& sh, Clock::duration warmup,
              Clock::duration duration, const BaselineOptions& o) {
    if (kind != TransportKind::Win32Pipe || s.io == IoModel::Iocp)
        return make_error(ErrorCode::Unsupported, "baseline", std::string(to_string(kind)),
                          "no raw loop for this transport or model on this platform");
    static std::atomic<unsigned> counter{0};
    const std::string name = "\\\\.\\pipe\\" + o.name_prefix + "-" +
                             std::to_string(GetCurrentProcessId()) + "-" +
                             std::to_string(counter++);
    sh.message = s.type == PipeType::Message;
    const bool overlapped = s.io == IoModel::Overlapped;
    UniqueHandle server, client;
    if (auto st = connect_pipe(s, overlapped, name, server, client); !st) return st;
    if (!overlapped) {
        SyncEnd engine, peer;
        engine.pipe = std::move(server);
        peer.pipe = std::move(client);
        engine.subject = peer.subject = &name;
        return run_loops(sh, engine, peer, warmup, duration, o, [&] {
            engine.poke();
            peer.poke();
        });
    }
    OverlappedEnd engine, peer;
    engine.pipe = std::move(server);
    peer.pipe = std::move(client);
    engine.subject = peer.subject = &name;
    for (OverlappedEnd* e : {&engine, &peer}) {
        if (auto st = make_event(e->read_event); !st) return st;
        if (auto st = make_event(e->write_event); !st) return st;
    }
    return run_loops(sh, engine, peer, warmup, duration, o, [&] {
        engine.poke();
        peer.poke();
    });
}

}  // namespace pipescope::core::baseline
