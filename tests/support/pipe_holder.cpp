// pipe_holder: a tiny server process for catalog tests. It creates one pipe, prints
// "ready <pid>" and holds the pipe until its stdin closes or the time limit passes.
//   Windows: pipe_holder pipe NAME [LIMIT_MS]          creates \\.\pipe\NAME (byte, unlimited)
//   POSIX:   pipe_holder stream|seqpacket PATH|@NAME [LIMIT_MS]   listening AF_UNIX socket
//            pipe_holder fifo PATH [LIMIT_MS]          opens an existing FIFO as its reader
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#ifdef _WIN32
#include <windows.h>
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
#endif

}  // namespace

int main(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: pipe_holder KIND NAME [LIMIT_MS]\n");
        return 2;
    }
    std::string kind = argv[1];
    std::string name = argv[2];
    long limit_ms = argc > 3 ? std::strtol(argv[3], nullptr, 10) : 20000;
#ifdef _WIN32
    if (kind != "pipe") return 2;
    std::wstring path = L"\\\\.\\pipe\\";
    for (char c : name) path += static_cast<wchar_t>(static_cast<unsigned char>(c));
    HANDLE pipe = ::CreateNamedPipeW(path.c_str(), PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE,
                                     PIPE_UNLIMITED_INSTANCES, 4096, 4096, 0, nullptr);
    if (pipe == INVALID_HANDLE_VALUE) {
        std::fprintf(stderr, "CreateNamedPipeW failed: %lu\n", ::GetLastError());
        return 1;
    }
    std::printf("ready %lu\n", ::GetCurrentProcessId());
    std::fflush(stdout);
    HANDLE done = ::CreateEventW(nullptr, TRUE, FALSE, nullptr);
    HANDLE reader = ::CreateThread(nullptr, 0, drain_stdin, done, 0, nullptr);
    ::WaitForSingleObject(done, static_cast<DWORD>(limit_ms));
    ::CloseHandle(pipe);
    (void)reader;  // may still block in ReadFile; the process exits anyway
    std::fflush(stdout);
    ::ExitProcess(0);
#else
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
