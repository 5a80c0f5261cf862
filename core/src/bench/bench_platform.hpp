// Platform pieces of the benchmark engine: CPU pinning, CPU time, child processes.
// Internal to core; implemented in bench_platform_posix.cpp / bench_platform_win32.cpp.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "pipescope/bench.hpp"
#include "pipescope/result.hpp"
#include "pipescope/unique_handle.hpp"

namespace pipescope::core::benchplat {

// How a run's two sides were placed, for reports: `side` names this side ("engine",
// "raw loop"); `why` says why pinning failed when `pinned` is false.
inline std::string placement_text(CpuPlacement p, bool pinned, const std::string& why,
                                  const std::string& side) {
    if (p == CpuPlacement::Unpinned) return "unpinned";
    if (!pinned) return "unpinned (pinning failed: " + why + ")";
    if (p == CpuPlacement::SameCore) return "same core (" + side + " cpu 0, peer cpu 0)";
    return "different cores (" + side + " cpu 0, peer cpu 1)";
}

// Pins the calling thread to one CPU. Any thread (affects only itself).
Status pin_current_thread(int cpu);
// The calling thread's CPU affinity as raw bytes, to put back later with restore_affinity
// (best effort: a failure leaves the affinity as it is). A lane's own, between jobs (lanes.hpp).
std::vector<std::byte> current_affinity();
void restore_affinity(const std::vector<std::byte>& saved);
// CPU time (user + system) of the calling thread / of this process, in seconds.
double thread_cpu_seconds();
double process_cpu_seconds();
unsigned cpu_count();
std::uint32_t current_pid();
// A fresh path for a temporary file (not created).
std::string temp_file_path(const std::string& stem);

// A child process; killed (and reaped) by the destructor if still running.
class ChildProcess {
  public:
    ChildProcess() = default;
    ChildProcess(ChildProcess&& o) noexcept;
    ChildProcess& operator=(ChildProcess&& o) noexcept;
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;
    ~ChildProcess();

    // Starts `exe` with `args` (argv[1..]); stdin/stdout/stderr inherited.
    static Result<ChildProcess> spawn(const std::string& exe, const std::vector<std::string>& args);
    // Waits up to `timeout` for the exit code; nullopt on timeout.
    std::optional<int> wait(std::chrono::milliseconds timeout);
    void kill();
    [[nodiscard]] bool valid() const;
    // The child's process id (kept after it exited); 0 for none.
    [[nodiscard]] std::uint32_t pid() const { return pid_number_; }
    // How an exit code from wait() reads: "exit code 3", "killed by signal 9 (SIGKILL)".
    [[nodiscard]] static std::string exit_text(int code);

  private:
#ifdef _WIN32
    UniqueHandle process_;
#else
    int pid_ = -1;
#endif
    std::optional<int> exit_code_;
    std::uint32_t pid_number_ = 0;
};

}  // namespace pipescope::core::benchplat
