// pipe_holder: a tiny server process for catalog and audit tests. It creates one pipe, prints
// "ready <pid>" and holds the pipe until its stdin closes or the time limit passes.
//   Windows: pipe_holder pipe NAME [LIMIT_MS] [OPTIONS]   creates \\.\pipe\NAME (byte, unlimited)
//              --instances N   creates N server instances of the name (default 1)
//              --max-instances N   the pipe's instance limit (default unlimited)
//              --sddl SDDL     with this security descriptor (else no security attributes)
//              --null-dacl     with a NULL DACL (SetSecurityDescriptorDacl(sd, TRUE, NULL)):
//                              SDDL cannot say it under Wine, where D:NO_ACCESS_CONTROL
//                              becomes an empty DACL
//              --child         also starts a child that inherits the first instance's handle
//                              (the same pipe object in two processes) and holds it until
//                              this process exits; prints "child <pid>" before "ready"
//            pipe_holder inherited PARENT_PID [LIMIT_MS]   (the --child process)
//   POSIX:   pipe_holder stream|seqpacket PATH|@NAME [LIMIT_MS]   listening AF_UNIX socket
//            pipe_holder fifo PATH [LIMIT_MS]          opens an existing FIFO as its reader
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#ifdef _WIN32
#include <windows.h>
#include <sddl.h>
#else
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#endif

namespace {

#ifdef _WIN32
DWORD WINAPI drain_stdin(void* done_event) {
    HANDLE in = ::GetStdHandle(STD_INPUT_HANDLE);
    char buf[64];
    DWORD got = 0;
    while (::ReadFile(in, buf, sizeof buf, &got, nullptr) && got > 0) {
    }
    ::SetEvent(static_cast<HANDLE>(done_event));
    return 0;
}

std::wstring widen(const std::string& s) {
    std::wstring w;
    for (char c : s) w += static_cast<wchar_t>(static_cast<unsigned char>(c));
    return w;
}

struct PipeOptions {
    int instances = 1;
    DWORD max_instances = PIPE_UNLIMITED_INSTANCES;
    std::string sddl;
    bool null_dacl = false;
    bool child = false;
};

// Starts this program as "inherited <our pid>": it inherits `pipe` (made inheritable here) and
// nothing else (our standard handles are made non-inheritable first, so the test reading our
// stdout never waits on the child). Returns the child's pid, 0 on failure.
DWORD start_inheriting_child(HANDLE pipe, long limit_ms) {
    if (!::SetHandleInformation(pipe, HANDLE_FLAG_INHERIT, HANDLE_FLAG_INHERIT)) return 0;
    for (DWORD which : {STD_INPUT_HANDLE, STD_OUTPUT_HANDLE, STD_ERROR_HANDLE}) {
        HANDLE h = ::GetStdHandle(which);
        if (h && h != INVALID_HANDLE_VALUE) ::SetHandleInformation(h, HANDLE_FLAG_INHERIT, 0);
    }
    wchar_t exe[MAX_PATH];
    DWORD n = ::GetModuleFileNameW(nullptr, exe, MAX_PATH);
    if (n == 0 || n == MAX_PATH) return 0;
    std::wstring cmd = L"\"" + std::wstring(exe, n) + L"\" inherited " +
                       std::to_wstring(::GetCurrentProcessId()) + L" " + std::to_wstring(limit_ms);
    STARTUPINFOW si{};
    si.cb = sizeof si;
    PROCESS_INFORMATION pi{};
    if (!::CreateProcessW(nullptr, cmd.data(), nullptr, nullptr, TRUE, DETACHED_PROCESS, nullptr,
                          nullptr, &si, &pi))
        return 0;
    ::CloseHandle(pi.hThread);
    ::CloseHandle(pi.hProcess);
    return pi.dwProcessId;
}

int serve_pipe(const std::string& name, long limit_ms, const PipeOptions& o) {
    SECURITY_ATTRIBUTES sa{sizeof sa, nullptr, FALSE};
    PSECURITY_DESCRIPTOR from_sddl = nullptr;
    SECURITY_DESCRIPTOR null_sd{};
    if (!o.sddl.empty()) {
        if (!::ConvertStringSecurityDescriptorToSecurityDescriptorW(
                widen(o.sddl).c_str(), SDDL_REVISION_1, &from_sddl, nullptr)) {
            std::fprintf(stderr, "bad SDDL '%s': %lu\n", o.sddl.c_str(), ::GetLastError());
            return 1;
        }
        sa.lpSecurityDescriptor = from_sddl;
    } else if (o.null_dacl) {
        if (!::InitializeSecurityDescriptor(&null_sd, SECURITY_DESCRIPTOR_REVISION) ||
            !::SetSecurityDescriptorDacl(&null_sd, TRUE, nullptr, FALSE))
            return 1;
        sa.lpSecurityDescriptor = &null_sd;
    }
    const std::wstring path = L"\\\\.\\pipe\\" + widen(name);
    std::vector<HANDLE> pipes;
    for (int i = 0; i < o.instances; ++i) {
        HANDLE pipe =
            ::CreateNamedPipeW(path.c_str(), PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE, o.max_instances,
                               4096, 4096, 0, sa.lpSecurityDescriptor ? &sa : nullptr);
        if (pipe == INVALID_HANDLE_VALUE) {
            std::fprintf(stderr, "CreateNamedPipeW failed: %lu\n", ::GetLastError());
            return 1;
        }
        pipes.push_back(pipe);
    }
    if (from_sddl) ::LocalFree(from_sddl);
    if (o.child) {
        DWORD child = start_inheriting_child(pipes.front(), limit_ms);
        if (child == 0) {
            std::fprintf(stderr, "starting the inheriting child failed: %lu\n", ::GetLastError());
            return 1;
        }
        std::printf("child %lu\n", child);
    }
    std::printf("ready %lu\n", ::GetCurrentProcessId());
    std::fflush(stdout);
    HANDLE done = ::CreateEventW(nullptr, TRUE, FALSE, nullptr);
    HANDLE reader = ::CreateThread(nullptr, 0, drain_stdin, done, 0, nullptr);
    ::WaitForSingleObject(done, static_cast<DWORD>(limit_ms));
    for (HANDLE pipe : pipes) ::CloseHandle(pipe);
    (void)reader;  // may still block in ReadFile; the process exits anyway
    std::fflush(stdout);
    ::ExitProcess(0);
}

// The --child process: holds what it inherited until its parent exits (or the limit).
int hold_inherited(DWORD parent_pid, long limit_ms) {
    HANDLE parent = ::OpenProcess(SYNCHRONIZE, FALSE, parent_pid);
    if (!parent) return 1;
    ::WaitForSingleObject(parent, static_cast<DWORD>(limit_ms));
    return 0;
}
#endif

}  // namespace

int main(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: pipe_holder KIND NAME [LIMIT_MS]\n");
        return 2;
    }
    std::string kind = argv[1];
    std::string name = argv[2];
    int next = 3;
    long limit_ms = 20000;
    if (argc > 3 && std::strncmp(argv[3], "--", 2) != 0) {
        limit_ms = std::strtol(argv[3], nullptr, 10);
        next = 4;
    }
#ifdef _WIN32
    if (kind == "inherited")
        return hold_inherited(static_cast<DWORD>(std::strtoul(name.c_str(), nullptr, 10)),
                              limit_ms);
    if (kind != "pipe") return 2;
    PipeOptions o;
    for (int i = next; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--instances" && i + 1 < argc) {
            o.instances = std::atoi(argv[++i]);
        } else if (a == "--max-instances" && i + 1 < argc) {
            o.max_instances = static_cast<DWORD>(std::atoi(argv[++i]));
        } else if (a == "--sddl" && i + 1 < argc) {
            o.sddl = argv[++i];
        } else if (a == "--null-dacl") {
            o.null_dacl = true;
        } else if (a == "--child") {
            o.child = true;
        } else {
            std::fprintf(stderr, "unknown option %s\n", a.c_str());
            return 2;
        }
    }
    if (o.instances < 1) return 2;
    return serve_pipe(name, limit_ms, o);
#else
    if (next < argc) return 2;  // no options on POSIX
    int fd = -1;
    if (kind == "stream" || kind == "seqpacket") {
        fd = ::socket(AF_UNIX, kind == "stream" ? SOCK_STREAM : SOCK_SEQPACKET, 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        socklen_t len;
        if (name[0] == '@') {
            std::memcpy(addr.sun_path + 1, name.data() + 1, name.size() - 1);
            len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name.size());
        } else {
            std::memcpy(addr.sun_path, name.data(), name.size());
            len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name.size() + 1);
        }
        if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
            ::listen(fd, 8) != 0) {
            std::perror("socket/bind/listen");
            return 1;
        }
    } else if (kind == "fifo") {
        fd = ::open(name.c_str(), O_RDONLY | O_NONBLOCK);
        if (fd < 0) {
            std::perror("open fifo");
            return 1;
        }
    } else {
        return 2;
    }
    std::printf("ready %d\n", static_cast<int>(::getpid()));
    std::fflush(stdout);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(limit_ms);
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                        deadline - std::chrono::steady_clock::now())
                        .count();
        if (left <= 0) break;
        pollfd p{0, POLLIN, 0};
        int r = ::poll(&p, 1, static_cast<int>(left));
        if (r > 0) {
            char buf[64];
            if (::read(0, buf, sizeof buf) <= 0) break;  // stdin closed: done
        }
    }
    if (name[0] != '@' && kind != "fifo") ::unlink(name.c_str());
    ::close(fd);
    return 0;
#endif
}
