#include "support/samba_fixture.hpp"

#ifdef _WIN32

namespace pipescope::test {
SambaServer::~SambaServer() = default;
std::optional<std::string> SambaServer::unavailable_reason() {
    return "the Windows build reaches remote pipes through the OS redirector; Samba tests run "
           "natively on Linux";
}
bool SambaServer::start(const SambaOptions&, std::string* error) {
    if (error) *error = *unavailable_reason();
    return false;
}
void SambaServer::stop() {}
std::string SambaServer::log_tail() const {
    return {};
}
}  // namespace pipescope::test

#else

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

namespace pipescope::test {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

std::optional<std::string> find_program(const std::string& name) {
    std::vector<std::string> dirs = {"/usr/sbin", "/usr/bin", "/sbin", "/bin", "/usr/local/sbin"};
    if (const char* path = std::getenv("PATH")) {
        std::stringstream ss(path);
        std::string d;
        while (std::getline(ss, d, ':'))
            if (!d.empty()) dirs.push_back(d);
    }
    for (const auto& d : dirs) {
        std::string p = d + "/" + name;
        if (::access(p.c_str(), X_OK) == 0) return p;
    }
    return std::nullopt;
}

std::uint16_t free_loopback_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return 0;
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    std::uint16_t port = 0;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0)
        port = ntohs(a.sin_port);
    ::close(fd);
    return port;
}

bool accepts_tcp(std::uint16_t port) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    ::close(fd);
    return ok;
}

// Runs `argv` with `input` on its stdin and its output to `log`; the exit code, or -1.
int run_with_input(const std::vector<std::string>& argv, const std::string& input,
                   const std::string& log) {
    int in[2];
    if (::pipe2(in, O_CLOEXEC) != 0) return -1;
    pid_t pid = ::fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        ::dup2(in[0], 0);
        int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
        if (out >= 0) {
            ::dup2(out, 1);
            ::dup2(out, 2);
        }
        std::vector<char*> args;
        for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
        args.push_back(nullptr);
        ::execv(args[0], args.data());
        ::_exit(127);
    }
    ::close(in[0]);
    (void)!::write(in[1], input.data(), input.size());
    ::close(in[1]);
    auto deadline = Clock::now() + std::chrono::seconds(20);
    int status = 0;
    while (::waitpid(pid, &status, WNOHANG) == 0) {
        if (Clock::now() > deadline) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, &status, 0);
            return -1;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

void write_private_file(const std::string& path, const std::string& text) {
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f << text;
    f.close();
    ::chmod(path.c_str(), 0600);
}

// Kills the process group led by the pid in `pid_file` (samba-dcerpcd runs in its own session).
void kill_group_from_pid_file(const std::string& pid_file) {
    std::ifstream f(pid_file);
    long pid = 0;
    if (!(f >> pid) || pid <= 1) return;
    // samba-dcerpcd takes about 1.5 s to leave on SIGTERM, which every Samba test paid at its
    // end: a throwaway server in a temporary folder gets 100 ms, then SIGKILL. Not waited for
    // after that: a killed process closes its sockets and files at once, and whether its zombie
    // is reaped soon is up to init (here about 1 s), not to us.
    ::kill(static_cast<pid_t>(-pid), SIGTERM);
    for (int i = 0; i < 5 && ::kill(static_cast<pid_t>(-pid), 0) == 0; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    ::kill(static_cast<pid_t>(-pid), SIGKILL);
}

}  // namespace

SambaServer::~SambaServer() {
    stop();
}

std::optional<std::string> SambaServer::unavailable_reason() {
    if (!find_program("smbd")) return "smbd is not installed (Debian: apt-get install samba)";
    if (!find_program("smbpasswd"))
        return "smbpasswd is not installed (Debian: apt-get install samba-common-bin)";
    if (::geteuid() != 0) return "smbd needs root to serve logons (CI runs the tests as root)";
    return std::nullopt;
}

bool SambaServer::start(const SambaOptions& options, std::string* error) {
    auto fail = [&](std::string why) {
        if (error) *error = std::move(why);
        stop();
        return false;
    };
    if (auto why = unavailable_reason()) return fail(*why);
    stop();
    char tmpl[] = "/tmp/pscope-samba-XXXXXX";
    if (!::mkdtemp(tmpl)) return fail("mkdtemp failed");
    dir_ = tmpl;
    for (const char* sub :
         {"private", "lock", "state", "cache", "pid", "ncalrpc", "binddns", "log", "share"})
        fs::create_directories(dir_ + "/" + sub);
    const passwd* pw = ::getpwuid(::geteuid());
    user_ = pw ? pw->pw_name : "root";
    // Fixed test secrets, kept in files of this private folder only.
    password_ = "Ps-Test-Pass-7731";
    write_private_file(password_file(), password_ + "\n");
    write_private_file(wrong_password_file(), "not-the-password\n");

    for (int attempt = 0; attempt < 3; ++attempt) {
        port_ = free_loopback_port();
        if (port_ == 0) return fail("no free loopback port");
        conf_ = dir_ + "/smb.conf";
        std::ostringstream c;
        c << "[global]\n"
          << "  workgroup = " << workgroup_ << "\n"
          << "  netbios name = PSTESTSRV\n"
          << "  server role = standalone server\n"
          << "  smb ports = " << port_ << "\n"
          << "  interfaces = lo\n"
          << "  bind interfaces only = yes\n"
          << "  disable netbios = yes\n"
          << "  map to guest = " << (options.map_to_guest_never ? "never" : "bad user") << "\n"
          << "  passdb backend = tdbsam:" << dir_ << "/private/passdb.tdb\n"
          << "  private dir = " << dir_ << "/private\n"
          << "  lock directory = " << dir_ << "/lock\n"
          << "  state directory = " << dir_ << "/state\n"
          << "  cache directory = " << dir_ << "/cache\n"
          << "  pid directory = " << dir_ << "/pid\n"
          << "  ncalrpc dir = " << dir_ << "/ncalrpc\n"
          << "  binddns dir = " << dir_ << "/binddns\n"
          << "  log file = " << dir_ << "/log/log.%m\n"
          << "  log level = 1\n"
          << "  load printers = no\n"
          << "  printing = bsd\n"
          << "  printcap name = /dev/null\n"
          << "  disable spoolss = yes\n"
          << "  server min protocol = SMB2_02\n";
        if (options.signing_mandatory) c << "  server signing = mandatory\n";
        if (options.encrypt_required) c << "  server smb encrypt = required\n";
        if (!options.max_protocol.empty())
            c << "  server max protocol = " << options.max_protocol << "\n";
        c << "[share]\n"
          << "  path = " << dir_ << "/share\n"
          << "  guest ok = " << (options.guest_ok ? "yes" : "no") << "\n";
        write_private_file(conf_, c.str());

        if (attempt == 0) {
            auto smbpasswd = find_program("smbpasswd");
            std::string input = password_ + "\n" + password_ + "\n";
            int rc = run_with_input({*smbpasswd, "-c", conf_, "-s", "-a", user_}, input,
                                    dir_ + "/log/smbpasswd.log");
            if (rc != 0)
                return fail("smbpasswd -a " + user_ + " failed (exit " + std::to_string(rc) +
                            "): " + log_tail());
        }

        auto smbd = find_program("smbd");
        std::string out = dir_ + "/log/smbd.out";
        pid_t pid = ::fork();
        if (pid < 0) return fail("fork failed");
        if (pid == 0) {
            ::setpgid(0, 0);
            int devnull = ::open("/dev/null", O_RDONLY);
            if (devnull >= 0) ::dup2(devnull, 0);
            int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
            if (fd >= 0) {
                ::dup2(fd, 1);
                ::dup2(fd, 2);
            }
            std::string conf_arg = "--configfile=" + conf_;
            ::execl(smbd->c_str(), smbd->c_str(), "--foreground", "--no-process-group",
                    conf_arg.c_str(), "--debug-stdout", static_cast<char*>(nullptr));
            ::_exit(127);
        }
        pid_ = pid;
        ::setpgid(pid, pid);
        auto deadline = Clock::now() + std::chrono::seconds(20);
        bool exited = false;
        while (Clock::now() < deadline) {
            int status = 0;
            if (::waitpid(pid_, &status, WNOHANG) == pid_) {
                exited = true;
                pid_ = -1;
                break;
            }
            if (accepts_tcp(port_)) return true;
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        if (!exited)
            return fail("smbd did not listen on port " + std::to_string(port_) +
                        " within 20 s: " + log_tail());
        // The port was taken between our probe and smbd's bind: try another.
    }
    return fail("smbd exited at start three times: " + log_tail());
}

void SambaServer::stop() {
    if (pid_ > 0) {
        ::kill(-pid_, SIGTERM);
        int status = 0;
        bool reaped = false;
        for (int i = 0; i < 250 && !reaped; ++i) {
            if (::waitpid(pid_, &status, WNOHANG) == pid_)
                reaped = true;
            else
                std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        if (!reaped) {
            ::kill(-pid_, SIGKILL);
            ::waitpid(pid_, &status, 0);
        }
        ::kill(-pid_, SIGKILL);  // any smbd child left in the group
        pid_ = -1;
    }
    if (!dir_.empty()) {
        kill_group_from_pid_file(dir_ + "/pid/samba-dcerpcd.pid");
        // A killed process closes its sockets as it finishes dying, a moment after kill()
        // returns: wait (up to 2 s) until nothing accepts on the port any more, so a stopped
        // server is stopped when stop() returns.
        for (int i = 0; i < 100 && port_ > 0 && accepts_tcp(port_); ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        std::error_code ec;
        fs::remove_all(dir_, ec);
        dir_.clear();
    }
}

std::string SambaServer::log_tail() const {
    std::string all;
    for (const char* name : {"/log/smbd.out", "/log/smbpasswd.log"}) {
        std::ifstream f(dir_ + name);
        std::stringstream ss;
        ss << f.rdbuf();
        all += ss.str();
    }
    if (all.size() > 2000) all = all.substr(all.size() - 2000);
    return all;
}

}  // namespace pipescope::test

#endif
