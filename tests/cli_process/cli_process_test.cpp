// The CLI as users run it: `server` and `client`/`relay` as separate processes (posix_spawn on
// Linux, CreateProcessW on Windows and under Wine), checking the output and the client's PID.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "pipescope/transport.hpp"
#include "support/child_process.hpp"
#include "support/test_names.hpp"

#ifdef _WIN32
#include <windows.h>
// After windows.h: K32GetProcessMemoryInfo lives in kernel32 (no psapi.dll import).
#define PSAPI_VERSION 2
#include <psapi.h>
#else
#include <fcntl.h>
#include <sys/resource.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
extern char** environ;
#endif

using namespace std::chrono_literals;

namespace {

std::string slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

void write_file(const std::string& path, const std::string& text) {
    std::ofstream(path, std::ios::binary) << text;
}

// A child process with stdin from a file (or nothing) and stdout+stderr to a file.
class Child {
  public:
    Child(const std::vector<std::string>& args, const std::string& out_path,
          const std::string& in_path = {}) {
#ifdef _WIN32
        const std::string exe = pipescope::test::built_program(PIPESCOPE_CLI_EXE);
        std::wstring cmd = L"\"" + std::wstring(exe.begin(), exe.end()) + L"\"";
        for (const auto& a : args) cmd += L" \"" + std::wstring(a.begin(), a.end()) + L"\"";
        SECURITY_ATTRIBUTES sa{sizeof sa, nullptr, TRUE};
        HANDLE out =
            ::CreateFileA(out_path.c_str(), GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE, &sa,
                          CREATE_ALWAYS, 0, nullptr);
        HANDLE in = in_path.empty()
                        ? ::CreateFileA("NUL", GENERIC_READ, 0, &sa, OPEN_EXISTING, 0, nullptr)
                        : ::CreateFileA(in_path.c_str(), GENERIC_READ, FILE_SHARE_READ, &sa,
                                        OPEN_EXISTING, 0, nullptr);
        STARTUPINFOW si{};
        si.cb = sizeof si;
        si.dwFlags = STARTF_USESTDHANDLES;
        si.hStdInput = in;
        si.hStdOutput = out;
        si.hStdError = out;
        PROCESS_INFORMATION pi{};
        if (::CreateProcessW(nullptr, cmd.data(), nullptr, nullptr, TRUE, 0, nullptr, nullptr, &si,
                             &pi)) {
            proc_ = pi.hProcess;
            ::CloseHandle(pi.hThread);
            pid_ = pi.dwProcessId;
        } else {
            error_ = "CreateProcessW failed: " + std::to_string(::GetLastError());
        }
        ::CloseHandle(out);
        ::CloseHandle(in);
#else
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, 0, in_path.empty() ? "/dev/null" : in_path.c_str(),
                                         O_RDONLY, 0);
        posix_spawn_file_actions_addopen(&fa, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                         0600);
        posix_spawn_file_actions_adddup2(&fa, 1, 2);
        const std::string exe = pipescope::test::built_program(PIPESCOPE_CLI_EXE);
        std::vector<std::string> all{exe};
        all.insert(all.end(), args.begin(), args.end());
        std::vector<char*> argv;
        for (auto& a : all) argv.push_back(a.data());
        argv.push_back(nullptr);
        pid_t pid = 0;
        int rc = posix_spawn(&pid, exe.c_str(), &fa, nullptr, argv.data(), environ);
        posix_spawn_file_actions_destroy(&fa);
        if (rc == 0)
            pid_ = static_cast<unsigned>(pid);
        else
            error_ = "posix_spawn failed: " + std::to_string(rc);
#endif
    }
    ~Child() {
        if (!exited_ && pid_ != 0) {
            kill();
            wait(5s);
        }
#ifdef _WIN32
        if (proc_) ::CloseHandle(proc_);
#endif
    }
    [[nodiscard]] unsigned pid() const {
        return pid_;
    }
    [[nodiscard]] const std::string& error() const {
        return error_;
    }
    // The child's peak resident memory, known once wait() has seen it exit (wait4's
    // ru_maxrss; Windows: PeakWorkingSetSize, sampled every 10 ms while wait() waits).
    [[nodiscard]] std::optional<std::uint64_t> peak_memory_bytes() const {
        return peak_memory_;
    }

    // The exit code, or -1 if it did not exit within `timeout`.
    int wait(std::chrono::milliseconds timeout) {
        if (exited_) return code_;
#ifdef _WIN32
        // Sampled while it runs too: Wine reports no counters for a process that has ended.
        auto sample_memory = [&] {
            PROCESS_MEMORY_COUNTERS counters{};
            if (::K32GetProcessMemoryInfo(proc_, &counters, sizeof counters) &&
                counters.PeakWorkingSetSize > 0) {
                peak_memory_ =
                    std::max<std::uint64_t>(peak_memory_.value_or(0), counters.PeakWorkingSetSize);
            }
        };
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        for (;;) {
            sample_memory();
            if (::WaitForSingleObject(proc_, 10) == WAIT_OBJECT_0) break;
            if (std::chrono::steady_clock::now() >= deadline) return -1;
        }
        sample_memory();
        DWORD code = 0;
        ::GetExitCodeProcess(proc_, &code);
        exited_ = true;
        code_ = static_cast<int>(code);
#else
        auto deadline = std::chrono::steady_clock::now() + timeout;
        for (;;) {
            int status = 0;
            struct rusage usage {};
            pid_t r = ::wait4(static_cast<pid_t>(pid_), &status, WNOHANG, &usage);
            if (r == static_cast<pid_t>(pid_)) {
                exited_ = true;
                peak_memory_ = static_cast<std::uint64_t>(usage.ru_maxrss) * 1024;  // KiB
                code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
                break;
            }
            if (std::chrono::steady_clock::now() >= deadline) return -1;
            std::this_thread::sleep_for(5ms);
        }
#endif
        return code_;
    }
    void kill() {
#ifdef _WIN32
        ::TerminateProcess(proc_, 99);
#else
        ::kill(static_cast<pid_t>(pid_), SIGKILL);
#endif
    }

  private:
    unsigned pid_ = 0;
    std::string error_;
    bool exited_ = false;
    int code_ = -1;
    std::optional<std::uint64_t> peak_memory_;
#ifdef _WIN32
    HANDLE proc_ = nullptr;
#endif
};

// Waits until `path` contains `text` (bounded).
bool wait_for_text(const std::string& path, const std::string& text, std::chrono::milliseconds t) {
    auto deadline = std::chrono::steady_clock::now() + t;
    while (std::chrono::steady_clock::now() < deadline) {
        if (slurp(path).find(text) != std::string::npos) return true;
        std::this_thread::sleep_for(10ms);
    }
    return false;
}

std::vector<std::string> message_flags() {
#ifdef _WIN32
    return {"--message"};
#else
    return {"--transport", "seqpacket"};
#endif
}

struct Files {
    std::string base = pipescope::test::unique_pipe_text("cliproc");
    std::string server_out = base + ".server.txt";
    std::string client_out = base + ".client.txt";
    std::string input = base + ".in.txt";
    std::string script = base + ".script.txt";
    ~Files() {
        for (auto* p : {&server_out, &client_out, &input, &script}) std::remove(p->c_str());
    }
};

TEST(CliProcesses, ServerReportsTheClientProcessPid) {
    Files f;
    Child server({"server", f.base, "--behaviour", "echo", "--max-clients", "1"}, f.server_out);
    ASSERT_TRUE(server.error().empty()) << server.error();
    ASSERT_TRUE(wait_for_text(f.server_out, "listening on", 15s)) << slurp(f.server_out);
    Child client(
        {"client", f.base, "--send", "hello across processes", "--retry", "--timeout", "5000"},
        f.client_out);
    ASSERT_TRUE(client.error().empty()) << client.error();
    EXPECT_EQ(client.wait(20s), 0) << slurp(f.client_out);
    EXPECT_NE(slurp(f.client_out).find("hello across processes"), std::string::npos)
        << slurp(f.client_out);
    EXPECT_EQ(server.wait(20s), 0) << slurp(f.server_out);
    const std::string out = slurp(f.server_out);
    EXPECT_NE(out.find("client 1 connected (pid " + std::to_string(client.pid())),
              std::string::npos)
        << "client pid " << client.pid() << ", server said:\n"
        << out;
    EXPECT_NE(out.find("pipescope-cli"), std::string::npos) << "the client's image: " << out;
    EXPECT_NE(out.find("client 1 disconnected"), std::string::npos) << out;
}

TEST(CliProcesses, JsonLinesScriptAnswersAClientFedFromStdin) {
    Files f;
    write_file(f.script,
               "regex \"method\":\"ping\" => {\"result\":\"pong\"}\n"
               "prefix {\"id\":2 => {\"id\":2,\"result\":[1,2]}\n");
    write_file(f.input, "{\"id\":1,\"method\":\"ping\"}\n{\"id\":2,\"method\":\"list\"}\n");
    Child server(
        {"server", f.base, "--behaviour", "script", f.script, "--line-mode", "--max-clients", "1"},
        f.server_out);
    ASSERT_TRUE(wait_for_text(f.server_out, "listening on", 15s)) << slurp(f.server_out);
    Child client({"client", f.base, "--timeout", "1500"}, f.client_out, f.input);
    EXPECT_EQ(client.wait(20s), 0) << slurp(f.client_out);
    EXPECT_EQ(slurp(f.client_out), "{\"result\":\"pong\"}\n{\"id\":2,\"result\":[1,2]}\n");
    EXPECT_EQ(server.wait(20s), 0) << slurp(f.server_out);
    EXPECT_NE(slurp(f.server_out).find("2 messages in, 2 messages out"), std::string::npos)
        << slurp(f.server_out);
}

TEST(CliProcesses, RelayEndsAMessageConversationOnStdinEof) {
    Files f;
    write_file(f.input, "ping over relay");
    std::vector<std::string> sargs{"server", f.base, "--behaviour", "echo", "--max-clients", "1"};
    std::vector<std::string> rargs{"relay",     f.base, "--poll", "--close-write-on-eof",
                                   "--timeout", "10000"};
    for (const auto& m : message_flags()) {
        sargs.push_back(m);
        rargs.push_back(m);
    }
    // The relay starts first and polls until the server's pipe exists.
    Child relay(rargs, f.client_out, f.input);
    std::this_thread::sleep_for(100ms);
    Child server(sargs, f.server_out);
    // It must end by itself (the empty message / shutdown), well before its 10 s timeout.
    EXPECT_EQ(relay.wait(9s), 0) << slurp(f.client_out);
    EXPECT_EQ(slurp(f.client_out), "ping over relay");
    EXPECT_EQ(server.wait(20s), 0) << slurp(f.server_out);
}

// A hostile server answers `client --send` with one 96 MiB line. The client prints it as it
// arrives: every byte reaches stdout, and the client never holds the reply whole (its peak
// memory stays well under the reply's size). Before, it gathered the whole reply first.
TEST(CliProcesses, ClientStreamsAHugeReplyWithoutHoldingIt) {
    using namespace pipescope::core;
    Files f;
    constexpr std::size_t kReply = std::size_t{96} << 20;
    Endpoint ep;
#ifdef _WIN32
    ep.kind = TransportKind::Win32Pipe;
#else
    ep.kind = TransportKind::UnixStream;
#endif
    ep.name = PipeName::parse(f.base).value();
    auto listener = listen(ep);
    ASSERT_TRUE(listener) << listener.error().to_string();
    std::string server_error;
    std::thread server([&] {
        auto ch = (*listener)->accept(Timeout{20000});
        if (!ch) {
            server_error = ch.error().to_string();
            return;
        }
        std::vector<std::byte> request(256);
        (void)(*ch)->read(request, Timeout{10000});
        const std::vector<std::byte> block(std::size_t{1} << 20, std::byte{'x'});
        for (std::size_t sent = 0; sent < kReply; sent += block.size()) {
            if (auto st = (*ch)->write_all(block, Timeout{20000}); !st) {
                server_error = st.error().to_string();
                return;
            }
        }
        const std::byte newline{'\n'};
        (void)(*ch)->write_all(std::span(&newline, 1), Timeout{20000});
        // Stay connected until the client has read it all and closed.
        std::vector<std::byte> rest(16);
        (void)(*ch)->read(rest, Timeout{30000});
    });
    Child client({"client", f.base, "--send", "everything, please", "--timeout", "10000"},
                 f.client_out);
    ASSERT_TRUE(client.error().empty()) << client.error();
    const int code = client.wait(60s);
    (*listener)->cancel();
    server.join();
    EXPECT_TRUE(server_error.empty()) << server_error;
    EXPECT_EQ(code, 0);
    EXPECT_EQ(std::filesystem::file_size(f.client_out), kReply + 1) << "bytes lost or added";
    ASSERT_TRUE(client.peak_memory_bytes().has_value()) << "no peak memory figure for the child";
    EXPECT_LT(*client.peak_memory_bytes(), kReply / 2)
        << "the client held " << *client.peak_memory_bytes() / (1 << 20) << " MiB at its peak";
}

}  // namespace
