// The hot path makes the calls a hand-written blocking loop makes, and no more: one read call
// per read and one write call per write, no poll, no peek, no spin.
//   Natively: channel_pingpong (tests/support) runs under `strace -f -c`, which counts the
//   system calls of both ends.
//   Windows (under Wine): this test executable's import table entries for the pipe calls are
//   replaced by counting wrappers (test-only; the product code is untouched), and the calls the
//   test thread makes are counted, per I/O model.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "pipescope/transport.hpp"
#include "support/child_process.hpp"
#include "support/test_names.hpp"

#ifdef _WIN32
#include <windows.h>
#endif

using namespace pipescope::core;
using namespace std::chrono_literals;

namespace {

constexpr long kRoundTrips = 2000;

#ifndef _WIN32

// strace -c's table: syscall name -> calls.
std::map<std::string, long> read_strace_summary(const std::string& path) {
    std::map<std::string, long> calls;
    std::ifstream in(path);
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream fields(line);
        std::vector<std::string> f;
        for (std::string w; fields >> w;) f.push_back(w);
        // "% time  seconds  usecs/call  calls  [errors]  syscall"
        if (f.size() < 5 || f[0].find_first_not_of("0123456789.") != std::string::npos) continue;
        calls[f.back()] = std::atol(f[3].c_str());
    }
    return calls;
}

// Runs channel_pingpong KIND ROUND_TRIPS under strace -f -c; the summary, or an empty map
// with the failure recorded.
std::map<std::string, long> count_calls(const std::string& kind, long round_trips) {
    const std::string out = ::testing::TempDir() + "strace-" + kind + "-" +
                            std::to_string(::getpid()) + "-" + std::to_string(round_trips) + ".txt";
    // LeakSanitizer cannot run under ptrace (in the sanitizer build the child would fail at
    // exit): off for the traced child only; the other tests leak-check the same code.
    const char* asan_env = std::getenv("ASAN_OPTIONS");
    const std::string asan = std::string("ASAN_OPTIONS=") + (asan_env ? asan_env : "") +
                             (asan_env && *asan_env ? ":" : "") + "detect_leaks=0";
    pipescope::test::ChildProcess p;
    EXPECT_TRUE(p.start("/usr/bin/strace",
                        {"-f", "-c", "-o", out, "-E", asan, "-e",
                         "trace=read,write,recvfrom,sendto,recvmsg,sendmsg,poll,ppoll,select,"
                         "pselect6,epoll_wait,nanosleep,clock_nanosleep,sched_yield,ioctl,"
                         "setsockopt,fcntl",
                         pipescope::test::built_program(CHANNEL_PINGPONG_PATH), kind,
                         std::to_string(round_trips)}));
    const std::string printed = p.read_all(60s);
    EXPECT_EQ(p.wait(30s), 0) << printed;
    EXPECT_NE(printed.find("done " + std::to_string(round_trips)), std::string::npos) << printed;
    auto calls = read_strace_summary(out);
    std::remove(out.c_str());
    EXPECT_FALSE(calls.empty()) << "no strace summary in " << out;
    return calls;
}

class HotPathSyscalls : public ::testing::TestWithParam<const char*> {};

TEST_P(HotPathSyscalls, PingpongIsOneCallPerReadAndPerWrite) {
    if (std::system("strace -V >/dev/null 2>&1") != 0) {
        GTEST_SKIP() << "strace is not installed (scripts/test installs it): the system calls "
                        "cannot be counted";
    }
    const std::string kind = GetParam();
    // Two runs, kRoundTrips and twice that: the difference is what kRoundTrips more round trips
    // cost, without the start-up and handshake calls (and the sanitizer runtime's own reads).
    auto one = count_calls(kind, kRoundTrips);
    auto two = count_calls(kind, 2 * kRoundTrips);
    ASSERT_FALSE(HasFailure());
    auto extra = [&](const char* call) { return two[call] - one[call]; };
    // Both ends: kRoundTrips more writes and reads each, so 2 * kRoundTrips of each kind.
    const long n = 2 * kRoundTrips;
    // Seqpacket reads with recvmsg (credentials tell an empty message from the end) unless the
    // reader promised whole, non-empty messages, as the benchmark does: then plain recv.
    const char* rd = kind == "fifo" ? "read" : kind == "seqpacket" ? "recvmsg" : "recvfrom";
    const char* wr = kind == "fifo" ? "write" : "sendto";
    EXPECT_GE(extra(rd), n - 5);
    EXPECT_LE(extra(rd), n + 5) << "more than one " << rd << " per read";
    EXPECT_GE(extra(wr), n - 5);
    EXPECT_LE(extra(wr), n + 5) << "more than one " << wr << " per write";
    long waits = 0;
    for (const char* w : {"poll", "ppoll", "select", "pselect6", "epoll_wait", "nanosleep",
                          "clock_nanosleep", "sched_yield"}) {
        waits += extra(w);
    }
    EXPECT_LE(waits, 10) << "the hot path waits or spins besides its blocking calls";
    const long setup = extra("ioctl") + extra("setsockopt") + extra("fcntl");
    EXPECT_LE(setup, 10) << "per-call socket options or descriptor flags";
}

INSTANTIATE_TEST_SUITE_P(Posix, HotPathSyscalls,
                         ::testing::Values("unix", "seqpacket", "seqpacket+promise", "fifo", "tcp"),
                         [](const ::testing::TestParamInfo<const char*>& p) {
                             std::string name = p.param;
                             if (auto plus = name.find('+'); plus != std::string::npos)
                                 name[plus] = '_';
                             return name;
                         });

#else  // _WIN32

// Counting wrappers for the pipe calls, installed in this executable's import table.
struct Counts {
    long read_file = 0, write_file = 0, peek = 0, wait_single = 0, wait_multiple = 0,
         get_overlapped = 0, get_queued = 0;
};
thread_local Counts t_counts;

decltype(&::ReadFile) real_read_file;
decltype(&::WriteFile) real_write_file;
decltype(&::PeekNamedPipe) real_peek;
decltype(&::WaitForSingleObject) real_wait_single;
decltype(&::WaitForMultipleObjects) real_wait_multiple;
decltype(&::GetOverlappedResult) real_get_overlapped;
decltype(&::GetQueuedCompletionStatus) real_get_queued;

BOOL WINAPI count_read_file(HANDLE h, LPVOID b, DWORD n, LPDWORD got, LPOVERLAPPED ov) {
    ++t_counts.read_file;
    return real_read_file(h, b, n, got, ov);
}
BOOL WINAPI count_write_file(HANDLE h, LPCVOID b, DWORD n, LPDWORD put, LPOVERLAPPED ov) {
    ++t_counts.write_file;
    return real_write_file(h, b, n, put, ov);
}
BOOL WINAPI count_peek(HANDLE h, LPVOID b, DWORD n, LPDWORD r, LPDWORD a, LPDWORD l) {
    ++t_counts.peek;
    return real_peek(h, b, n, r, a, l);
}
DWORD WINAPI count_wait_single(HANDLE h, DWORD ms) {
    ++t_counts.wait_single;
    return real_wait_single(h, ms);
}
DWORD WINAPI count_wait_multiple(DWORD n, const HANDLE* hs, BOOL all, DWORD ms) {
    ++t_counts.wait_multiple;
    return real_wait_multiple(n, hs, all, ms);
}
BOOL WINAPI count_get_overlapped(HANDLE h, LPOVERLAPPED ov, LPDWORD n, BOOL wait) {
    ++t_counts.get_overlapped;
    return real_get_overlapped(h, ov, n, wait);
}
BOOL WINAPI count_get_queued(HANDLE p, LPDWORD n, PULONG_PTR k, LPOVERLAPPED* ov, DWORD ms) {
    ++t_counts.get_queued;
    return real_get_queued(p, n, k, ov, ms);
}

// Replaces every import table slot of this executable that points at `real` by `hook`.
// Returns how many it replaced.
int patch_imports(void* real, void* hook) {
    auto* base = reinterpret_cast<unsigned char*>(::GetModuleHandleW(nullptr));
    auto* dos = reinterpret_cast<IMAGE_DOS_HEADER*>(base);
    auto* nt = reinterpret_cast<IMAGE_NT_HEADERS*>(base + dos->e_lfanew);
    const auto& dir = nt->OptionalHeader.DataDirectory[IMAGE_DIRECTORY_ENTRY_IMPORT];
    int replaced = 0;
    for (auto* d = reinterpret_cast<IMAGE_IMPORT_DESCRIPTOR*>(base + dir.VirtualAddress);
         d->Name != 0; ++d) {
        for (auto* t = reinterpret_cast<IMAGE_THUNK_DATA*>(base + d->FirstThunk);
             t->u1.Function != 0; ++t) {
            if (reinterpret_cast<void*>(t->u1.Function) != real) continue;
            DWORD old = 0;
            ::VirtualProtect(&t->u1.Function, sizeof(void*), PAGE_READWRITE, &old);
            t->u1.Function = reinterpret_cast<ULONG_PTR>(hook);
            ::VirtualProtect(&t->u1.Function, sizeof(void*), old, &old);
            ++replaced;
        }
    }
    return replaced;
}

template <class F>
bool hook(const char* name, F& real, F counter) {
    // What the import table holds: the address the loader resolved for kernel32's export.
    void* resolved = nullptr;
    for (const wchar_t* dll : {L"kernel32.dll", L"kernelbase.dll"}) {
        if (HMODULE m = ::GetModuleHandleW(dll)) {
            if (void* p = reinterpret_cast<void*>(::GetProcAddress(m, name))) {
                real = reinterpret_cast<F>(p);
                if (patch_imports(p, reinterpret_cast<void*>(counter)) > 0) resolved = p;
            }
        }
    }
    return resolved != nullptr;
}

bool install_hooks() {
    static const bool ok =
        hook("ReadFile", real_read_file, &count_read_file) &&
        hook("WriteFile", real_write_file, &count_write_file) &&
        hook("PeekNamedPipe", real_peek, &count_peek) &&
        hook("WaitForSingleObject", real_wait_single, &count_wait_single) &&
        hook("WaitForMultipleObjects", real_wait_multiple, &count_wait_multiple) &&
        hook("GetOverlappedResult", real_get_overlapped, &count_get_overlapped) &&
        hook("GetQueuedCompletionStatus", real_get_queued, &count_get_queued);
    return ok;
}

class HotPathWin32Calls : public ::testing::TestWithParam<IoModel> {};

TEST_P(HotPathWin32Calls, PingpongIsOneReadFileAndOneWriteFilePerCall) {
    ASSERT_TRUE(install_hooks()) << "the pipe calls are not in this executable's import table";
    const IoModel io = GetParam();
    Endpoint ep;
    ep.kind = TransportKind::Win32Pipe;
    ep.io = io;
    ep.name = pipescope::test::unique_pipe_name("hotpath");
    auto listener = listen(ep);
    ASSERT_TRUE(listener) << listener.error().to_string();
    const Timeout timeout{10'000};
    std::thread echo([&] {
        auto ch = (*listener)->accept(timeout);
        if (!ch) return;
        std::byte b[1];
        for (long i = 0; i < kRoundTrips; ++i) {
            auto r = (*ch)->read(b, timeout);
            if (!r || r->bytes != 1) return;
            if (!(*ch)->write(b, timeout)) return;
        }
    });
    auto ch = connect(ep, timeout);
    ASSERT_TRUE(ch) << ch.error().to_string();
    t_counts = Counts{};
    std::byte b[1] = {std::byte{42}};
    long done = 0;
    for (; done < kRoundTrips; ++done) {
        if (!(*ch)->write(b, timeout)) break;
        auto r = (*ch)->read(b, timeout);
        if (!r || r->bytes != 1) break;
    }
    const Counts c = t_counts;
    echo.join();
    ASSERT_EQ(done, kRoundTrips);
    EXPECT_EQ(c.read_file, kRoundTrips) << "one ReadFile per read";
    EXPECT_EQ(c.write_file, kRoundTrips) << "one WriteFile per write";
    EXPECT_EQ(c.peek, 0) << "no PeekNamedPipe polling";
    if (io == IoModel::Sync) {
        // No wait per call. Arming a call wakes the watchdog only when it was idle, through a
        // mutex that may be contended for a moment (winpthreads then waits on an event): a few
        // waits in a run, never one per call.
        EXPECT_LE(c.wait_single + c.wait_multiple + c.get_queued, 10) << "Sync waits per call";
    } else if (io == IoModel::Overlapped) {
        // A read that is pending waits once; a write to a pipe with room completes at once.
        EXPECT_LE(c.wait_multiple + c.wait_single, kRoundTrips) << "more than one wait per read";
        EXPECT_LE(c.get_overlapped, 2 * kRoundTrips);
    } else {
        EXPECT_LE(c.get_queued, kRoundTrips + 5) << "a packet wait for calls that completed";
        EXPECT_EQ(c.wait_single + c.wait_multiple, 0);
    }
}

INSTANTIATE_TEST_SUITE_P(Win32, HotPathWin32Calls,
                         ::testing::Values(IoModel::Sync, IoModel::Overlapped, IoModel::Iocp),
                         [](const ::testing::TestParamInfo<IoModel>& p) {
                             return std::string(to_string(p.param));
                         });

#endif

}  // namespace
