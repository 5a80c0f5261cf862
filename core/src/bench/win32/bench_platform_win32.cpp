#include <atomic>
#include <cstdio>
#include <cstring>

#include <windows.h>

#include "base/utf.hpp"
#include "bench/bench_platform.hpp"

namespace pipescope::core::benchplat {

Status pin_current_thread(int cpu) {
    if (cpu < 0 || cpu >= 64)
        return make_error(ErrorCode::InvalidArgument, "SetThreadAffinityMask", "cpu",
                          "cpu index out of range");
    if (SetThreadAffinityMask(GetCurrentThread(), DWORD_PTR{1} << cpu) == 0)
        return win32_error(GetLastError(), "SetThreadAffinityMask", "cpu " + std::to_string(cpu));
    return {};
}

// Windows has no call that reads a thread's affinity; SetThreadAffinityMask returns the old one.
// A lane's thread starts with the process's, which is what it goes back to.
std::vector<std::byte> current_affinity() {
    DWORD_PTR process = 0, system = 0;
    if (!GetProcessAffinityMask(GetCurrentProcess(), &process, &system) || process == 0) return {};
    std::vector<std::byte> bytes(sizeof process);
    std::memcpy(bytes.data(), &process, sizeof process);
    return bytes;
}

void restore_affinity(const std::vector<std::byte>& saved) {
    DWORD_PTR mask = 0;
    if (saved.size() != sizeof mask) return;
    std::memcpy(&mask, saved.data(), sizeof mask);
    (void)SetThreadAffinityMask(GetCurrentThread(), mask);
}

static double ft_seconds(const FILETIME& a, const FILETIME& b) {
    auto v = [](const FILETIME& f) {
        return (static_cast<std::uint64_t>(f.dwHighDateTime) << 32) | f.dwLowDateTime;
    };
    return static_cast<double>(v(a) + v(b)) * 1e-7;
}

double thread_cpu_seconds() {
    FILETIME c, e, k, u;
    if (!GetThreadTimes(GetCurrentThread(), &c, &e, &k, &u)) return 0;
    return ft_seconds(k, u);
}

double process_cpu_seconds() {
    FILETIME c, e, k, u;
    if (!GetProcessTimes(GetCurrentProcess(), &c, &e, &k, &u)) return 0;
    return ft_seconds(k, u);
}

unsigned cpu_count() {
    DWORD_PTR proc = 0, sys = 0;
    if (GetProcessAffinityMask(GetCurrentProcess(), &proc, &sys)) {
        unsigned n = 0;
        for (; proc; proc &= proc - 1) ++n;
        if (n) return n;
    }
    SYSTEM_INFO si;
    GetSystemInfo(&si);
    return si.dwNumberOfProcessors;
}

std::uint32_t current_pid() {
    return GetCurrentProcessId();
}

std::string temp_file_path(const std::string& stem) {
    static std::atomic<unsigned> counter{0};
    char dir[MAX_PATH + 1] = {};
    const DWORD n = GetTempPathA(MAX_PATH, dir);
    std::string base = n ? std::string(dir, n) : std::string(".\\");
    return base + stem + "-" + std::to_string(GetCurrentProcessId()) + "-" +
           std::to_string(counter++) + ".json";
}

ChildProcess::ChildProcess(ChildProcess&& o) noexcept
    : process_(std::move(o.process_)), exit_code_(o.exit_code_), pid_number_(o.pid_number_) {}
ChildProcess& ChildProcess::operator=(ChildProcess&& o) noexcept {
    if (this != &o) {
        kill();
        process_ = std::move(o.process_);
        exit_code_ = o.exit_code_;
        pid_number_ = o.pid_number_;
    }
    return *this;
}
ChildProcess::~ChildProcess() {
    kill();
}

bool ChildProcess::valid() const {
    return process_.valid();
}

namespace {
// Quotes one argument the way CommandLineToArgvW / the CRT parse it back.
std::wstring quote_arg(const std::wstring& a) {
    if (!a.empty() && a.find_first_of(L" \t\"") == std::wstring::npos) return a;
    std::wstring out = L"\"";
    std::size_t backslashes = 0;
    for (wchar_t ch : a) {
        if (ch == L'\\') {
            ++backslashes;
        } else if (ch == L'"') {
            out.append(backslashes * 2 + 1, L'\\');
            out.push_back(L'"');
            backslashes = 0;
        } else {
            out.append(backslashes, L'\\');
            out.push_back(ch);
            backslashes = 0;
        }
    }
    out.append(backslashes * 2, L'\\');
    out.push_back(L'"');
    return out;
}
}  // namespace

Result<ChildProcess> ChildProcess::spawn(const std::string& exe,
                                         const std::vector<std::string>& args) {
    std::wstring cmd = quote_arg(detail::utf8_to_wide(exe));
    for (const auto& a : args) cmd += L" " + quote_arg(detail::utf8_to_wide(a));
    STARTUPINFOW si{};
    si.cb = sizeof(si);
    PROCESS_INFORMATION pi{};
    const std::wstring wexe = detail::utf8_to_wide(exe);
    if (!CreateProcessW(wexe.c_str(), cmd.data(), nullptr, nullptr, FALSE, 0, nullptr, nullptr, &si,
                        &pi))
        return win32_error(GetLastError(), "CreateProcessW", exe);
    UniqueHandle thread(pi.hThread);  // not needed: closed at once
    ChildProcess c;
    c.process_.reset(pi.hProcess);
    c.pid_number_ = pi.dwProcessId;
    return c;
}

std::optional<int> ChildProcess::wait(std::chrono::milliseconds timeout) {
    if (exit_code_) return exit_code_;
    if (!process_) return std::nullopt;
    if (WaitForSingleObject(process_.get(), static_cast<DWORD>(timeout.count())) != WAIT_OBJECT_0)
        return std::nullopt;
    DWORD code = 0;
    GetExitCodeProcess(process_.get(), &code);
    process_.reset();
    exit_code_ = static_cast<int>(code);
    return exit_code_;
}

std::string ChildProcess::exit_text(int code) {
    // TerminateProcess sets whatever code its caller chose; crashes show as NTSTATUS values.
    if (static_cast<unsigned>(code) >= 0xC0000000u) {
        char hex[16];
        std::snprintf(hex, sizeof hex, "0x%08X", static_cast<unsigned>(code));
        return std::string("exit code ") + hex + " (a crash)";
    }
    return "exit code " + std::to_string(code);
}

void ChildProcess::kill() {
    if (!process_) return;
    TerminateProcess(process_.get(), 1);
    WaitForSingleObject(process_.get(), 5000);
    process_.reset();
}

}  // namespace pipescope::core::benchplat
