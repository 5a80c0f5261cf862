// A child process for tests: arguments, a pipe to its stdin and one from its stdout, bounded
// reads and waits. Closing stdin is how tests tell helpers like pipe_holder to exit.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace pipescope::test {

// What a program run to its end printed and how it ended (run_program).
struct ProgramRun {
    std::optional<int> exit_code;  // nullopt: it did not exit in time, or did not start
    std::string out;               // its stdout
    std::string start_error;       // why it did not start; empty when it did
};

class ChildProcess {
  public:
    ChildProcess() = default;
    ~ChildProcess();  // closes stdin, waits briefly, then kills
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;

    // Starts `exe` with `args`. On Windows a /unix/path is turned into Z:\unix\path (Wine).
    [[nodiscard]] bool start(const std::string& exe, const std::vector<std::string>& args,
                             std::string* error = nullptr);
    [[nodiscard]] std::uint32_t pid() const { return pid_; }
    // One line of stdout (without the line end), or nullopt on EOF or timeout.
    [[nodiscard]] std::optional<std::string> read_line(std::chrono::milliseconds timeout);
    // All stdout until EOF (bounded by timeout).
    [[nodiscard]] std::string read_all(std::chrono::milliseconds timeout);
    void close_stdin();
    // The exit code, or nullopt when it did not exit within timeout.
    [[nodiscard]] std::optional<int> wait(std::chrono::milliseconds timeout);
    void kill();

  private:
    bool read_some(std::chrono::milliseconds timeout);  // appends to buffer_; false on EOF/timeout
    std::string buffer_;
    bool eof_ = false;
    std::uint32_t pid_ = 0;
    std::optional<int> exit_code_;
#ifdef _WIN32
    void* process_ = nullptr;
    void* stdin_w_ = nullptr;
    void* stdout_r_ = nullptr;
#else
    int stdin_w_ = -1;
    int stdout_r_ = -1;
#endif
};

// A path for the Windows API: /a/b -> Z:\a\b under Windows builds; unchanged elsewhere.
[[nodiscard]] std::string native_exe_path(const std::string& path);

// A program this build made, from its path relative to the build folder ("app/cli/pipescope-cli",
// as tests/CMakeLists.txt defines them): the build folder is the nearest folder above the running
// test executable that holds CMakeCache.txt. The path is the platform's own (Z:\... under Wine).
[[nodiscard]] std::string built_program(const std::string& relative);

// Runs `exe` with `args` to its end, as the tests of the command-line tool do: stdin closed at
// once (a read of it ends at EOF), stdout read until
// EOF (bounded by `read_timeout`), then the exit waited for (bounded by `wait_timeout`).
[[nodiscard]] ProgramRun run_program(
    const std::string& exe, const std::vector<std::string>& args,
    std::chrono::milliseconds read_timeout = std::chrono::seconds(60),
    std::chrono::milliseconds wait_timeout = std::chrono::seconds(30));

}  // namespace pipescope::test
