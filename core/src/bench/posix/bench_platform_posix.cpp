#include <cerrno>
#include <csignal>
#include <cstring>
#include <ctime>
#include <thread>

#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench/bench_platform.hpp"

extern char** environ;

namespace pipescope::core::benchplat {

Status pin_current_thread(int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    const int rc = pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
    if (rc != 0) return errno_error(rc, "pthread_setaffinity_np", "cpu " + std::to_string(cpu));
    return {};
}

std::vector<std::byte> current_affinity() {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (pthread_getaffinity_np(pthread_self(), sizeof(set), &set) != 0) return {};
    std::vector<std::byte> bytes(sizeof set);
    std::memcpy(bytes.data(), &set, sizeof set);
    return bytes;
}

void restore_affinity(const std::vector<std::byte>& saved) {
    cpu_set_t set;
    if (saved.size() != sizeof set) return;
    std::memcpy(&set, saved.data(), sizeof set);
    (void)pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

static double ts_seconds(const timespec& ts) {
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

double thread_cpu_seconds() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts_seconds(ts);
}

double process_cpu_seconds() {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts_seconds(ts);
}

unsigned cpu_count() {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof(set), &set) == 0) return static_cast<unsigned>(CPU_COUNT(&set));
    return std::max(1u, std::thread::hardware_concurrency());
}

std::uint32_t current_pid() {
    return static_cast<std::uint32_t>(getpid());
}

std::string temp_file_path(const std::string& stem) {
    static std::atomic<unsigned> counter{0};
    const char* dir = std::getenv("TMPDIR");
    return std::string(dir && *dir ? dir : "/tmp") + "/" + stem + "-" + std::to_string(getpid()) +
           "-" + std::to_string(counter++) + ".json";
}

ChildProcess::ChildProcess(ChildProcess&& o) noexcept
    : pid_(o.pid_), exit_code_(o.exit_code_), pid_number_(o.pid_number_) {
    o.pid_ = -1;
}
ChildProcess& ChildProcess::operator=(ChildProcess&& o) noexcept {
    if (this != &o) {
        kill();
        pid_ = o.pid_;
        exit_code_ = o.exit_code_;
        pid_number_ = o.pid_number_;
        o.pid_ = -1;
    }
    return *this;
}
ChildProcess::~ChildProcess() {
    kill();
}

bool ChildProcess::valid() const {
    return pid_ > 0;
}

Result<ChildProcess> ChildProcess::spawn(const std::string& exe,
                                         const std::vector<std::string>& args) {
    std::vector<std::string> all{exe};
    all.insert(all.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : all) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_t pid = -1;
    const int rc = posix_spawn(&pid, exe.c_str(), nullptr, nullptr, argv.data(), environ);
    if (rc != 0) return errno_error(rc, "posix_spawn", exe);
    ChildProcess c;
    c.pid_ = pid;
    c.pid_number_ = static_cast<std::uint32_t>(pid);
    return c;
}

std::optional<int> ChildProcess::wait(std::chrono::milliseconds timeout) {
    if (exit_code_) return exit_code_;
    if (pid_ <= 0) return std::nullopt;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        int status = 0;
        const pid_t r = waitpid(pid_, &status, WNOHANG);
        if (r == pid_) {
            exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
            pid_ = -1;
            return exit_code_;
        }
        if (r < 0 && errno != EINTR) return std::nullopt;
        if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
}

std::string ChildProcess::exit_text(int code) {
    if (code > 128 && code < 128 + 65) {
        const int sig = code - 128;
        const char* name = sig == SIGKILL   ? " (SIGKILL)"
                           : sig == SIGTERM ? " (SIGTERM)"
                           : sig == SIGSEGV ? " (SIGSEGV)"
                           : sig == SIGABRT ? " (SIGABRT)"
                                            : "";
        return "killed by signal " + std::to_string(sig) + name;
    }
    return "exit code " + std::to_string(code);
}

void ChildProcess::kill() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
}

}  // namespace pipescope::core::benchplat
