#include "support/child_process.hpp"

#include "pipescope/platform.hpp"

#include <filesystem>
#include <system_error>
#include <thread>
#include <utility>

#ifdef _WIN32
#include <windows.h>
#else
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#endif

namespace pipescope::test {

using Clock = std::chrono::steady_clock;

std::string native_exe_path(const std::string& path) {
#ifdef _WIN32
    if (!path.empty() && path[0] == '/') {
        std::string out = "Z:" + path;
        for (char& c : out)
            if (c == '/') c = '\\';
        return out;
    }
#endif
    return path;
}

std::string built_program(const std::string& relative) {
    namespace fs = std::filesystem;
    const fs::path self = core::self_executable_path();
    for (fs::path dir = self.parent_path(); !dir.empty(); dir = dir.parent_path()) {
        std::error_code missing;
        if (fs::exists(dir / "CMakeCache.txt", missing))
            return (dir / relative).make_preferred().string();
        if (dir == dir.root_path()) break;
    }
    return relative;  // not in a build folder: let the start fail naming this path
}

std::optional<std::string> ChildProcess::read_line(std::chrono::milliseconds timeout) {
    auto deadline = Clock::now() + timeout;
    for (;;) {
        auto nl = buffer_.find('\n');
        if (nl != std::string::npos) {
            std::string line = buffer_.substr(0, nl);
            buffer_.erase(0, nl + 1);
            if (!line.empty() && line.back() == '\r') line.pop_back();
            return line;
        }
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        if (eof_ || left.count() <= 0) return std::nullopt;
        read_some(left);
    }
}

std::string ChildProcess::read_all(std::chrono::milliseconds timeout) {
    auto deadline = Clock::now() + timeout;
    while (!eof_) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        if (left.count() <= 0) break;
        read_some(left);
    }
    return std::exchange(buffer_, {});
}

#ifdef _WIN32

namespace {
std::wstring widen(const std::string& s) {
    if (s.empty()) return {};
    int n = ::MultiByteToWideChar(CP_UTF8, 0, s.data(), static_cast<int>(s.size()), nullptr, 0);
    std::wstring w(static_cast<std::size_t>(n), L'\0');
    ::MultiByteToWideChar(CP_UTF8, 0, s.data(), static_cast<int>(s.size()), w.data(), n);
    return w;
}
std::wstring quote(const std::wstring& a) {
    if (!a.empty() && a.find_first_of(L" \t\"") == std::wstring::npos) return a;
    std::wstring out = L"\"";
    for (wchar_t c : a) {
        if (c == L'"') out += L'\\';
        out += c;
    }
    return out + L"\"";
}
}  // namespace

bool ChildProcess::start(const std::string& exe, const std::vector<std::string>& args,
                         std::string* error) {
    SECURITY_ATTRIBUTES sa{sizeof sa, nullptr, TRUE};
    HANDLE in_r = nullptr, in_w = nullptr, out_r = nullptr, out_w = nullptr;
    if (!::CreatePipe(&in_r, &in_w, &sa, 0) || !::CreatePipe(&out_r, &out_w, &sa, 0)) {
        if (error) *error = "CreatePipe failed: " + std::to_string(::GetLastError());
        return false;
    }
    ::SetHandleInformation(in_w, HANDLE_FLAG_INHERIT, 0);
    ::SetHandleInformation(out_r, HANDLE_FLAG_INHERIT, 0);
    std::wstring app = widen(native_exe_path(exe));
    std::wstring cmd = quote(app);
    for (const auto& a : args) cmd += L" " + quote(widen(a));
    STARTUPINFOW si{};
    si.cb = sizeof si;
    si.dwFlags = STARTF_USESTDHANDLES;
    si.hStdInput = in_r;
    si.hStdOutput = out_w;
    si.hStdError = ::GetStdHandle(STD_ERROR_HANDLE);
    PROCESS_INFORMATION pi{};
    BOOL ok = ::CreateProcessW(app.c_str(), cmd.data(), nullptr, nullptr, TRUE, 0, nullptr, nullptr,
                               &si, &pi);
    DWORD err = ::GetLastError();
    ::CloseHandle(in_r);
    ::CloseHandle(out_w);
    if (!ok) {
        ::CloseHandle(in_w);
        ::CloseHandle(out_r);
        if (error) *error = "CreateProcessW failed: " + std::to_string(err);
        return false;
    }
    ::CloseHandle(pi.hThread);
    process_ = pi.hProcess;
    pid_ = pi.dwProcessId;
    stdin_w_ = in_w;
    stdout_r_ = out_r;
    return true;
}

bool ChildProcess::read_some(std::chrono::milliseconds timeout) {
    auto deadline = Clock::now() + timeout;
    for (;;) {
        DWORD avail = 0;
        if (!::PeekNamedPipe(stdout_r_, nullptr, 0, nullptr, &avail, nullptr)) {
            eof_ = true;
            return false;
        }
        if (avail > 0) {
            char buf[4096];
            DWORD got = 0;
            if (!::ReadFile(stdout_r_, buf, std::min<DWORD>(avail, sizeof buf), &got, nullptr) ||
                got == 0) {
                eof_ = true;
                return false;
            }
            buffer_.append(buf, got);
            return true;
        }
        if (Clock::now() >= deadline) return false;
        ::Sleep(5);
    }
}

void ChildProcess::close_stdin() {
    if (stdin_w_) ::CloseHandle(stdin_w_);
    stdin_w_ = nullptr;
}

std::optional<int> ChildProcess::wait(std::chrono::milliseconds timeout) {
    if (exit_code_) return exit_code_;
    if (!process_) return std::nullopt;
    if (::WaitForSingleObject(process_, static_cast<DWORD>(timeout.count())) != WAIT_OBJECT_0)
        return std::nullopt;
    DWORD code = 0;
    ::GetExitCodeProcess(process_, &code);
    exit_code_ = static_cast<int>(code);
    return exit_code_;
}

void ChildProcess::kill() {
    if (process_ && !exit_code_) ::TerminateProcess(process_, 99);
}

ChildProcess::~ChildProcess() {
    close_stdin();
    if (process_) {
        if (!wait(std::chrono::milliseconds(2000))) {
            kill();
            (void)wait(std::chrono::milliseconds(2000));
        }
        ::CloseHandle(process_);
    }
    if (stdout_r_) ::CloseHandle(stdout_r_);
}

#else

bool ChildProcess::start(const std::string& exe, const std::vector<std::string>& args,
                         std::string* error) {
    int in[2], out[2];
    if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0) {
        if (error) *error = "pipe2 failed";
        return false;
    }
    pid_t pid = ::fork();
    if (pid < 0) {
        if (error) *error = "fork failed";
        return false;
    }
    if (pid == 0) {
        ::dup2(in[0], 0);
        ::dup2(out[1], 1);
        std::vector<char*> argv;
        argv.push_back(const_cast<char*>(exe.c_str()));
        for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
        argv.push_back(nullptr);
        ::execv(exe.c_str(), argv.data());
        ::_exit(127);
    }
    ::close(in[0]);
    ::close(out[1]);
    pid_ = static_cast<std::uint32_t>(pid);
    stdin_w_ = in[1];
    stdout_r_ = out[0];
    return true;
}

bool ChildProcess::read_some(std::chrono::milliseconds timeout) {
    pollfd p{stdout_r_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return false;
    char buf[4096];
    ssize_t n = ::read(stdout_r_, buf, sizeof buf);
    if (n <= 0) {
        eof_ = true;
        return false;
    }
    buffer_.append(buf, static_cast<std::size_t>(n));
    return true;
}

void ChildProcess::close_stdin() {
    if (stdin_w_ >= 0) ::close(stdin_w_);
    stdin_w_ = -1;
}

std::optional<int> ChildProcess::wait(std::chrono::milliseconds timeout) {
    if (exit_code_) return exit_code_;
    if (pid_ == 0) return std::nullopt;
    auto deadline = Clock::now() + timeout;
    for (;;) {
        int status = 0;
        pid_t r = ::waitpid(static_cast<pid_t>(pid_), &status, WNOHANG);
        if (r == static_cast<pid_t>(pid_)) {
            exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
            return exit_code_;
        }
        if (r < 0 || Clock::now() >= deadline) return std::nullopt;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
}

void ChildProcess::kill() {
    if (pid_ && !exit_code_) ::kill(static_cast<pid_t>(pid_), SIGKILL);
}

ChildProcess::~ChildProcess() {
    close_stdin();
    if (pid_) {
        if (!wait(std::chrono::milliseconds(2000))) {
            kill();
            (void)wait(std::chrono::milliseconds(2000));
        }
    }
    if (stdout_r_ >= 0) ::close(stdout_r_);
}

#endif

ProgramRun run_program(const std::string& exe, const std::vector<std::string>& args,
                       std::chrono::milliseconds read_timeout,
                       std::chrono::milliseconds wait_timeout) {
    ProgramRun run;
    ChildProcess p;
    if (!p.start(exe, args, &run.start_error)) {
        if (run.start_error.empty()) run.start_error = "cannot start " + exe;
        return run;
    }
    p.close_stdin();  // it reads nothing from us: EOF, never a wait for input
    run.out = p.read_all(read_timeout);
    run.exit_code = p.wait(wait_timeout);
    return run;
}

}  // namespace pipescope::test
