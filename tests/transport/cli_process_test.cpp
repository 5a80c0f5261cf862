// The CLI as users run it: `server` and `client`/`relay` as separate processes (posix_spawn on
// Linux, CreateProcessW on Windows and under Wine), checking the output and the client's PID.
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "transport/test_names.hpp"

#ifdef _WIN32
#include <windows.h>
#else
#include <fcntl.h>
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
        std::string exe = PIPESCOPE_CLI_EXE;
        if (!exe.empty() && exe[0] == '/') {  // a Unix path under Wine: Z: maps to /
            exe = "Z:" + exe;
            for (char& c : exe) {
                if (c == '/') c = '\\';
            }
        }
        std::wstring cmd = L"\"" + std::wstring(exe.begin(), exe.end()) + L"\"";
        for (const auto& a : args) cmd += L" \"" + std::wstring(a.begin(), a.end()) + L"\"";
        SECURITY_ATTRIBUTES sa{sizeof sa, nullptr, TRUE};
        HANDLE out = ::CreateFileA(out_path.c_str(), GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE,
                                   &sa, CREATE_ALWAYS, 0, nullptr);
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
        if (::CreateProcessW(nullptr, cmd.data(), nullptr, nullptr, TRUE, 0, nullptr, nullptr,
                             &si, &pi)) {
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
        posix_spawn_file_actions_addopen(&fa, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        posix_spawn_file_actions_adddup2(&fa, 1, 2);
        std::vector<std::string> all{PIPESCOPE_CLI_EXE};
        all.insert(all.end(), args.begin(), args.end());
        std::vector<char*> argv;
        for (auto& a : all) argv.push_back(a.data());
        argv.push_back(nullptr);
        pid_t pid = 0;
        int rc = posix_spawn(&pid, PIPESCOPE_CLI_EXE, &fa, nullptr, argv.data(), environ);
        posix_spawn_file_actions_destroy(&fa);
        if (rc == 0) pid_ = static_cast<unsigned>(pid);
        else error_ = "posix_spawn failed: " + std::to_string(rc);
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
    [[nodiscard]] unsigned pid() const { return pid_; }
    [[nodiscard]] const std::string& error() const { return error_; }

    // The exit code, or -1 if it did not exit within `timeout`.
    int wait(std::chrono::milliseconds timeout) {
        if (exited_) return code_;
#ifdef _WIN32
        if (::WaitForSingleObject(proc_, static_cast<DWORD>(timeout.count())) != WAIT_OBJECT_0) return -1;
        DWORD code = 0;
        ::GetExitCodeProcess(proc_, &code);
        exited_ = true;
        code_ = static_cast<int>(code);
#else
        auto deadline = std::chrono::steady_clock::now() + timeout;
        for (;;) {
            int status = 0;
            pid_t r = ::waitpid(static_cast<pid_t>(pid_), &status, WNOHANG);
            if (r == static_cast<pid_t>(pid_)) {
                exited_ = true;
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
    Child client({"client", f.base, "--send", "hello across processes", "--retry", "--timeout", "5000"},
                 f.client_out);
    ASSERT_TRUE(client.error().empty()) << client.error();
    EXPECT_EQ(client.wait(20s), 0) << slurp(f.client_out);
    EXPECT_NE(slurp(f.client_out).find("hello across processes"), std::string::npos)
        << slurp(f.client_out);
    EXPECT_EQ(server.wait(20s), 0) << slurp(f.server_out);
    const std::string out = slurp(f.server_out);
    EXPECT_NE(out.find("client 1 connected (pid " + std::to_string(client.pid())), std::string::npos)
        << "client pid " << client.pid() << ", server said:\n" << out;
    EXPECT_NE(out.find("pipescope-cli"), std::string::npos) << "the client's image: " << out;
    EXPECT_NE(out.find("client 1 disconnected"), std::string::npos) << out;
}

TEST(CliProcesses, JsonLinesScriptAnswersAClientFedFromStdin) {
    Files f;
    write_file(f.script, "regex \"method\":\"ping\" => {\"result\":\"pong\"}\n"
                         "prefix {\"id\":2 => {\"id\":2,\"result\":[1,2]}\n");
    write_file(f.input, "{\"id\":1,\"method\":\"ping\"}\n{\"id\":2,\"method\":\"list\"}\n");
    Child server({"server", f.base, "--behaviour", "script", f.script, "--line-mode",
                  "--max-clients", "1"},
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
    std::vector<std::string> rargs{"relay", f.base, "--poll", "--close-write-on-eof", "--timeout", "10000"};
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

}  // namespace
