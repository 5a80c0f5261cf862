// `pipescope-cli proxy` between a real client and a real server that PipeScope did not write:
// plain C Win32 programs (tests/support/win_pipe_server.c, win_pipe_client.c) under Windows and
// Wine, Python sockets (tests/scripts/proxy_peer.py) natively. The peers check what they get
// themselves (every byte, every message boundary, every answer) and print one line; these
// tests start them, the proxy between them, and check the proxy's output, transcript and
// peak memory.
#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/child_process.hpp"
#include "support/test_names.hpp"

#ifdef _WIN32
#include <windows.h>
// After windows.h: K32GetProcessMemoryInfo lives in kernel32 (no psapi.dll import).
#define PSAPI_VERSION 2
#include <psapi.h>
#else
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>
extern char** environ;
#endif

using namespace std::chrono_literals;
using pipescope::test::ChildProcess;

namespace {

std::string slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// The proxy: pipescope-cli with stdin from nothing and stdout+stderr to a file (so every line
// it prints, errors included, can be checked), its peak memory readable while it runs.
class Proxy {
  public:
    Proxy(const std::vector<std::string>& args, const std::string& out_path) {
        const std::string exe = pipescope::test::built_program(PIPESCOPE_CLI_EXE);
#ifdef _WIN32
        std::wstring cmd = L"\"" + std::wstring(exe.begin(), exe.end()) + L"\"";
        for (const auto& a : args) cmd += L" \"" + std::wstring(a.begin(), a.end()) + L"\"";
        SECURITY_ATTRIBUTES sa{sizeof sa, nullptr, TRUE};
        HANDLE out =
            ::CreateFileA(out_path.c_str(), GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE, &sa,
                          CREATE_ALWAYS, 0, nullptr);
        HANDLE in = ::CreateFileA("NUL", GENERIC_READ, 0, &sa, OPEN_EXISTING, 0, nullptr);
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
        posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_addopen(&fa, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                         0600);
        posix_spawn_file_actions_adddup2(&fa, 1, 2);
        std::vector<std::string> all{exe};
        all.insert(all.end(), args.begin(), args.end());
        std::vector<char*> argv;
        for (auto& a : all) argv.push_back(a.data());
        argv.push_back(nullptr);
        pid_t pid = 0;
        const int rc = posix_spawn(&pid, exe.c_str(), &fa, nullptr, argv.data(), environ);
        posix_spawn_file_actions_destroy(&fa);
        if (rc == 0)
            pid_ = static_cast<unsigned>(pid);
        else
            error_ = "posix_spawn failed: " + std::to_string(rc);
#endif
    }
    Proxy(const Proxy&) = delete;
    Proxy& operator=(const Proxy&) = delete;
    ~Proxy() {
        if (!exited_ && pid_ != 0) {
            kill();
            (void)wait(5s);
        }
#ifdef _WIN32
        if (proc_) ::CloseHandle(proc_);
#endif
    }
    [[nodiscard]] const std::string& error() const {
        return error_;
    }

    // The peak resident memory so far, while it runs: VmHWM from /proc/PID/status natively,
    // GetProcessMemoryInfo's PeakWorkingSetSize on Windows and under Wine.
    [[nodiscard]] std::optional<std::uint64_t> peak_memory_bytes() const {
#ifdef _WIN32
        PROCESS_MEMORY_COUNTERS counters{};
        if (!::K32GetProcessMemoryInfo(proc_, &counters, sizeof counters) ||
            counters.PeakWorkingSetSize == 0)
            return std::nullopt;
        return counters.PeakWorkingSetSize;
#else
        std::ifstream status("/proc/" + std::to_string(pid_) + "/status");
        std::string line;
        while (std::getline(status, line)) {
            if (line.rfind("VmHWM:", 0) == 0) return std::stoull(line.substr(6)) * 1024;  // kB
        }
        return std::nullopt;
#endif
    }

    // The exit code, or -1 if it did not exit within `timeout`.
    int wait(std::chrono::milliseconds timeout) {
        if (exited_) return code_;
#ifdef _WIN32
        if (::WaitForSingleObject(proc_, static_cast<DWORD>(timeout.count())) != WAIT_OBJECT_0)
            return -1;
        DWORD code = 0;
        ::GetExitCodeProcess(proc_, &code);
        exited_ = true;
        code_ = static_cast<int>(code);
#else
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        for (;;) {
            int status = 0;
            if (::waitpid(static_cast<pid_t>(pid_), &status, WNOHANG) == static_cast<pid_t>(pid_)) {
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

// The lines of `text` that contain every one of `parts`.
std::vector<std::string> lines_with(const std::string& text,
                                    const std::vector<std::string>& parts) {
    std::vector<std::string> found;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (std::all_of(parts.begin(), parts.end(),
                        [&](const std::string& p) { return line.find(p) != std::string::npos; }))
            found.push_back(line);
    }
    return found;
}

// The peers, by role; the same roles on both platforms.
enum class Peer {
    EchoServer,      // echoes every message whole (Win32 message pipe; seqpacket)
    LinesServer,     // answers each line L with {"reply":L}
    StallServer,     // accepts and never reads
    MessagesClient,  // N messages of 1 B .. 64 KiB, each echo checked; "ok N"
    LinesClient,     // writes N lines while reading the answers; "ok N"
    HoldClient,      // 10 lines and answers, "exchanged 10", then waits: "ended: ..."
    FloodClient,     // writes N MiB; "blocked <bytes>" when a write stalls for 3 s
};

// Starts a peer at `name` (a pipe name under Windows, a socket path natively) with an optional
// count; false with the reason in `error`.
bool start_peer(ChildProcess& child, Peer peer, const std::string& name, int count,
                std::string* error) {
#ifdef _WIN32
    const bool server =
        peer == Peer::EchoServer || peer == Peer::LinesServer || peer == Peer::StallServer;
    const char* mode = "";
    switch (peer) {
        case Peer::EchoServer:
            mode = "echo";
            break;
        case Peer::LinesServer:
            mode = "lines";
            break;
        case Peer::StallServer:
            mode = "stall";
            break;
        case Peer::MessagesClient:
            mode = "messages";
            break;
        case Peer::LinesClient:
            mode = "lines";
            break;
        case Peer::HoldClient:
            mode = "hold";
            break;
        case Peer::FloodClient:
            mode = "flood";
            break;
    }
    std::vector<std::string> args{mode, name};
    if (count > 0) args.push_back(std::to_string(count));
    return child.start(
        pipescope::test::built_program(server ? WIN_PIPE_SERVER_PATH : WIN_PIPE_CLIENT_PATH), args,
        error);
#else
    const char* cmd = "";
    switch (peer) {
        case Peer::EchoServer:
            cmd = "seq-echo-server";
            break;
        case Peer::LinesServer:
            cmd = "lines-server";
            break;
        case Peer::StallServer:
            cmd = "stall-server";
            break;
        case Peer::MessagesClient:
            cmd = "seq-client";
            break;
        case Peer::LinesClient:
            cmd = "lines-client";
            break;
        case Peer::HoldClient:
            cmd = "hold-client";
            break;
        case Peer::FloodClient:
            cmd = "flood-client";
            break;
    }
    std::vector<std::string> args{"-u", pipescope::test::built_program(PROXY_PEER_PATH), cmd, name};
    if (count > 0) args.push_back(std::to_string(count));
    return child.start("/usr/bin/python3", args, error);
#endif
}

// Natively the peers are Python sockets; under Windows and Wine C programs of this build.
bool have_peers() {
#ifdef _WIN32
    return true;
#else
    return ::access("/usr/bin/python3", X_OK) == 0;
#endif
}

// Where the proxy listens and where its server is, and the output and transcript files.
struct Rig {
    std::string base = pipescope::test::unique_pipe_text("proxye2e");
#ifdef _WIN32
    std::string listen = base + "-in";
    std::string target = base + "-srv";
#else
    std::string listen = "/tmp/" + base + ".in.sock";
    std::string target = "/tmp/" + base + ".srv.sock";
#endif
    std::string proxy_out = base + ".proxy.txt";
    std::string transcript = base + ".transcript.json";
    ~Rig() {
        for (auto* p : {&proxy_out, &transcript}) std::remove(p->c_str());
#ifndef _WIN32
        for (auto* p : {&listen, &target}) std::remove(p->c_str());
#endif
    }
    // The proxy's arguments: byte streams (Win32 byte pipes; AF_UNIX stream), or message
    // boundaries kept on both sides (Win32 message pipes; seqpacket).
    // `timeout_ms`: how long a missing or busy target is retried for each client.
    [[nodiscard]] std::vector<std::string> proxy_args(bool messages,
                                                      const char* timeout_ms = "10000") const {
        std::vector<std::string> args{"proxy", listen, "--to", target, "--timeout", timeout_ms};
        if (messages) {
#ifdef _WIN32
            args.insert(args.end(), {"--type", "message"});
#else
            args.insert(args.end(), {"--transport", "seqpacket", "--to-transport", "seqpacket"});
#endif
        }
        return args;
    }
};

// The bytes a transcript's "hex" field holds ("0a 1b ...": two digits a byte, spaces between).
std::size_t hex_bytes(const std::string& hex) {
    return static_cast<std::size_t>(std::count_if(
               hex.begin(), hex.end(),
               [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; })) /
           2;
}

// Message i of count as the peers make it: 1 B .. 64 KiB.
std::size_t message_size(std::size_t i, std::size_t count) {
    return 1 + (i * 65535) / std::max<std::size_t>(count - 1, 1);
}

std::string must_start(ChildProcess& child, Peer peer, const std::string& name, int count = 0) {
    std::string error;
    if (!start_peer(child, peer, name, count, &error)) return "could not start a peer: " + error;
    return {};
}

#define PIPESCOPE_NEED_PEERS()                                                             \
    do {                                                                                   \
        if (!have_peers())                                                                 \
            GTEST_SKIP() << "natively the peers are Python sockets, and /usr/bin/python3 " \
                            "is not installed (scripts/common.sh installs it)";            \
    } while (0)

}  // namespace

// 200 messages of 1 B .. 64 KiB through the proxy, each echoed: the client checks every byte
// and every boundary of the echo; the transcript holds the 200 messages each way, in order,
// whole, with their connection and flow.
TEST(Proxy, KeepsMessageBoundariesBetweenForeignPeers) {
    PIPESCOPE_NEED_PEERS();
    Rig s;
    ChildProcess server;
    ASSERT_EQ(must_start(server, Peer::EchoServer, s.target), "");
    const auto ready = server.read_line(15s);
    ASSERT_TRUE(ready && ready->rfind("ready", 0) == 0) << ready.value_or("(nothing)");

    auto args = s.proxy_args(true);
    args.insert(args.end(), {"--transcript", s.transcript, "--quiet", "--max-connections", "1"});
    Proxy proxy(args, s.proxy_out);
    ASSERT_EQ(proxy.error(), "");

    constexpr int kCount = 200;
    ChildProcess client;
    ASSERT_EQ(must_start(client, Peer::MessagesClient, s.listen, kCount), "");
    const auto result = client.read_line(60s);
    EXPECT_EQ(result.value_or("(nothing)"), "ok 200") << slurp(s.proxy_out);
    EXPECT_EQ(client.wait(10s).value_or(-1), 0);

    ASSERT_EQ(proxy.wait(20s), 0) << "the proxy did not end after its one connection:\n"
                                  << slurp(s.proxy_out);
    const auto json = nlohmann::json::parse(slurp(s.transcript), nullptr, false);
    ASSERT_FALSE(json.is_discarded()) << "transcript is not JSON: " << s.transcript;
    ASSERT_TRUE(json.contains("frames"));
    std::vector<std::size_t> to_server, to_client;
    for (const auto& f : json.at("frames")) {
        EXPECT_EQ(f.value("connection", 0), 1) << f.dump().substr(0, 200);
        const std::string flow = f.value("flow", "");
        const std::size_t size =
            hex_bytes(f.at("hex").get<std::string>()) + f.value("omitted_bytes", std::size_t{0});
        EXPECT_TRUE(f.value("message_end", false)) << "frame of " << size << " B, " << flow;
        if (flow == "to_server") {
            to_server.push_back(size);
        } else if (flow == "to_client") {
            to_client.push_back(size);
        } else {
            ADD_FAILURE() << "a frame without a flow: " << f.dump().substr(0, 200);
        }
    }
    ASSERT_EQ(to_server.size(), std::size_t{kCount});
    ASSERT_EQ(to_client.size(), std::size_t{kCount});
    for (std::size_t i = 0; i < kCount; ++i) {
        EXPECT_EQ(to_server[i], message_size(i, kCount)) << "message " << i << " to the server";
        EXPECT_EQ(to_client[i], message_size(i, kCount)) << "message " << i << " to the client";
    }
}

// A JSON-lines server behind the proxy answers 1,000 lines from a client that writes them all
// while it reads the answers (two threads): nothing lost, reordered or cut.
TEST(Proxy, JsonLinesServerAnswersAClientThatWritesAndReadsAtOnce) {
    PIPESCOPE_NEED_PEERS();
    Rig s;
    ChildProcess server;
    ASSERT_EQ(must_start(server, Peer::LinesServer, s.target), "");
    const auto ready = server.read_line(15s);
    ASSERT_TRUE(ready && ready->rfind("ready", 0) == 0) << ready.value_or("(nothing)");

    auto args = s.proxy_args(false);
    args.insert(args.end(), {"--quiet", "--max-connections", "1"});
    Proxy proxy(args, s.proxy_out);
    ASSERT_EQ(proxy.error(), "");

    ChildProcess client;
    ASSERT_EQ(must_start(client, Peer::LinesClient, s.listen, 1000), "");
    EXPECT_EQ(client.read_line(60s).value_or("(nothing)"), "ok 1000") << slurp(s.proxy_out);
    EXPECT_EQ(client.wait(10s).value_or(-1), 0);
    EXPECT_EQ(proxy.wait(20s), 0) << slurp(s.proxy_out);
}

// A client floods (256 MiB) while the server stops reading. The proxy holds at most one read
// per direction (64 KiB), a message it puts together (16 MiB at most; byte streams never need
// one) and a transcript capped at 16 MiB per connection, so its peak memory may grow by 48 MiB
// at most: a proxy that buffered the flood would grow by the 256 MiB the client wants to write.
// The client must also be held back (backpressure) long before it has written it all.
TEST(Proxy, FloodAgainstAStalledServerKeepsTheProxysMemoryBounded) {
    PIPESCOPE_NEED_PEERS();
    constexpr std::uint64_t kMiB = 1 << 20;
    constexpr int kFloodMiB = 256;
    constexpr std::uint64_t kGrowthBound = 48 * kMiB;
    Rig s;
    ChildProcess server;
    ASSERT_EQ(must_start(server, Peer::StallServer, s.target), "");
    const auto ready = server.read_line(15s);
    ASSERT_TRUE(ready && ready->rfind("ready", 0) == 0) << ready.value_or("(nothing)");

    Proxy proxy(s.proxy_args(false), s.proxy_out);
    ASSERT_EQ(proxy.error(), "");
    // The proxy's peak once it has started (its first line), before any client.
    const auto deadline = std::chrono::steady_clock::now() + 15s;
    while (slurp(s.proxy_out).empty() && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(20ms);
    const auto before = proxy.peak_memory_bytes();
    ASSERT_TRUE(before) << "no peak memory figure for the proxy";

    ChildProcess flooder;
    ASSERT_EQ(must_start(flooder, Peer::FloodClient, s.listen, kFloodMiB), "");
    EXPECT_EQ(server.read_line(30s).value_or("(nothing)"), "accepted");
    const auto result = flooder.read_line(120s);
    ASSERT_TRUE(result) << "the flooding client said nothing:\n" << slurp(s.proxy_out);
    const bool blocked = result->rfind("blocked ", 0) == 0;
    ASSERT_TRUE(blocked || result->rfind("sent ", 0) == 0) << *result;
    const std::uint64_t written = std::stoull(result->substr(blocked ? 8 : 5));
    const auto peak = proxy.peak_memory_bytes();
    ASSERT_TRUE(peak);
    std::printf("proxy peak memory: %.1f MiB before the flood, %.1f MiB after %.2f MiB went in\n",
                static_cast<double>(*before) / kMiB, static_cast<double>(*peak) / kMiB,
                static_cast<double>(written) / kMiB);
    EXPECT_TRUE(blocked) << "the client wrote everything to a server that reads nothing: "
                         << *result;
    EXPECT_LT(written, kGrowthBound) << "the proxy took in that much before holding back";
    EXPECT_LT(*peak - *before, kGrowthBound)
        << "peak " << *peak << " B against " << *before << " B before the flood";
}

namespace {

// The side a proxy line is about: the first of "client" and "target" (or "server") it names.
std::string first_side(const std::string& line) {
    const auto client = line.find("client");
    const auto target = std::min(line.find("target"), line.find("server"));
    if (client == std::string::npos && target == std::string::npos) return {};
    return client < target ? "client" : "target";
}

// Kills one side of a conversation in the middle; the proxy must end that connection with a
// line naming the side, and serve the next client.
void kill_one_side_then_serve_the_next(bool kill_server) {
    Rig s;
    auto server = std::make_unique<ChildProcess>();
    ASSERT_EQ(must_start(*server, Peer::LinesServer, s.target), "");
    auto ready = server->read_line(15s);
    ASSERT_TRUE(ready && ready->rfind("ready", 0) == 0) << ready.value_or("(nothing)");

    auto args = s.proxy_args(false);
    args.insert(args.end(), {"--max-connections", "2"});
    Proxy proxy(args, s.proxy_out);
    ASSERT_EQ(proxy.error(), "");

    std::size_t before_kill = 0;  // what the proxy had said before the kill
    {
        ChildProcess first;
        ASSERT_EQ(must_start(first, Peer::HoldClient, s.listen), "");
        ASSERT_EQ(first.read_line(30s).value_or("(nothing)"), "exchanged 10") << slurp(s.proxy_out);
        before_kill = slurp(s.proxy_out).size();
        if (kill_server) {
            server->kill();
            (void)server->wait(10s);
            // The proxy ends the client's side too: the client sees its connection end.
            const auto ended = first.read_line(20s);
            EXPECT_TRUE(ended && ended->rfind("ended:", 0) == 0)
                << ended.value_or("(nothing)") << "\n"
                << slurp(s.proxy_out);
        } else {
            first.kill();
            (void)first.wait(10s);
        }
    }
    const std::string side = kill_server ? "target" : "client";
    // A line about connection 1 ending (closed, an error...) that names the side first, said
    // after the kill.
    const auto named = [&] {
        const std::string out = slurp(s.proxy_out);
        std::vector<std::string> ending;
        for (const auto& line : lines_with(out.substr(std::min(before_kill, out.size())), {"#1"})) {
            if (first_side(line) != side || line.find("both sides") != std::string::npos) continue;
            for (const char* word :
                 {"closed", "ended", "error", "ERROR", "broken", "reset", "disconnected"}) {
                if (line.find(word) != std::string::npos) {
                    ending.push_back(line);
                    break;
                }
            }
        }
        return ending;
    };
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while (named().empty() && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(20ms);
    for (const auto& line : named()) std::printf("proxy: %s\n", line.c_str());
    EXPECT_FALSE(named().empty()) << "no line about connection #1 naming the " << side << ":\n"
                                  << slurp(s.proxy_out);

    if (kill_server) {
        server = std::make_unique<ChildProcess>();
        ASSERT_EQ(must_start(*server, Peer::LinesServer, s.target), "");
        ready = server->read_line(15s);
        ASSERT_TRUE(ready && ready->rfind("ready", 0) == 0) << ready.value_or("(nothing)");
    }
    ChildProcess next;
    ASSERT_EQ(must_start(next, Peer::LinesClient, s.listen, 100), "");
    EXPECT_EQ(next.read_line(30s).value_or("(nothing)"), "ok 100") << slurp(s.proxy_out);
    EXPECT_EQ(next.wait(10s).value_or(-1), 0);
    EXPECT_EQ(proxy.wait(20s), 0) << "the proxy did not end after its second connection:\n"
                                  << slurp(s.proxy_out);
    EXPECT_FALSE(lines_with(slurp(s.proxy_out), {"#2"}).empty()) << slurp(s.proxy_out);
}

}  // namespace

TEST(Proxy, KillingTheServerEndsThatConnectionAndTheNextClientIsServed) {
    PIPESCOPE_NEED_PEERS();
    kill_one_side_then_serve_the_next(true);
}

TEST(Proxy, KillingTheClientEndsThatConnectionAndTheNextClientIsServed) {
    PIPESCOPE_NEED_PEERS();
    kill_one_side_then_serve_the_next(false);
}

// No server yet: the proxy retries the target for --timeout, then disconnects that client with
// a line that names the target and the error, and serves the next client once the server is
// there.
TEST(Proxy, AMissingTargetDisconnectsThatClientWithTheReasonAndTheNextIsServed) {
    PIPESCOPE_NEED_PEERS();
    Rig s;
    auto args = s.proxy_args(false, "300");
    args.insert(args.end(), {"--max-connections", "2"});
    Proxy proxy(args, s.proxy_out);
    ASSERT_EQ(proxy.error(), "");
    {
        ChildProcess first;
        ASSERT_EQ(must_start(first, Peer::LinesClient, s.listen, 3), "");
        const auto said = first.read_line(30s);
        EXPECT_NE(said.value_or("(nothing)"), "ok 3") << "served without a server";
    }
#ifdef _WIN32
    const std::string error = "ERROR_FILE_NOT_FOUND";
#else
    const std::string error = "ENOENT";
#endif
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while (lines_with(slurp(s.proxy_out), {"#1", "target: ", error}).empty() &&
           std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(20ms);
    const auto named = lines_with(slurp(s.proxy_out), {"#1", "target: ", error});
    for (const auto& line : named) std::printf("proxy: %s\n", line.c_str());
    EXPECT_FALSE(named.empty()) << slurp(s.proxy_out);

    ChildProcess server;
    ASSERT_EQ(must_start(server, Peer::LinesServer, s.target), "");
    const auto ready = server.read_line(15s);
    ASSERT_TRUE(ready && ready->rfind("ready", 0) == 0) << ready.value_or("(nothing)");
    ChildProcess next;
    ASSERT_EQ(must_start(next, Peer::LinesClient, s.listen, 100), "");
    EXPECT_EQ(next.read_line(30s).value_or("(nothing)"), "ok 100") << slurp(s.proxy_out);
    EXPECT_EQ(proxy.wait(20s), 0) << slurp(s.proxy_out);
}

// A message longer than --max-message ends its connection with a line naming the side and the
// bound, and is never split: the server got the 13 messages before it (the 14th, 4282 B, is
// over 4096 B), each whole, and nothing of it.
TEST(Proxy, AMessageLongerThanTheBoundEndsItsConnectionInsteadOfBeingSplit) {
    PIPESCOPE_NEED_PEERS();
    Rig s;
    ChildProcess server;
    ASSERT_EQ(must_start(server, Peer::EchoServer, s.target), "");
    const auto ready = server.read_line(15s);
    ASSERT_TRUE(ready && ready->rfind("ready", 0) == 0) << ready.value_or("(nothing)");

    auto args = s.proxy_args(true);
    args.insert(args.end(), {"--max-message", "4096", "--transcript", s.transcript, "--quiet",
                             "--max-connections", "1"});
    Proxy proxy(args, s.proxy_out);
    ASSERT_EQ(proxy.error(), "");

    constexpr std::size_t kCount = 200;  // message 13 is the first over 4096 B
    ASSERT_LE(message_size(12, kCount), 4096u);
    ASSERT_GT(message_size(13, kCount), 4096u);
    ChildProcess client;
    ASSERT_EQ(must_start(client, Peer::MessagesClient, s.listen, kCount), "");
    const auto said = client.read_line(60s);
    // The client's connection ends at message 13 (natively its echo read ends; under Wine a
    // read fails: ERROR_PIPE_NOT_CONNECTED, 233, once the proxy has disconnected it).
    EXPECT_NE(said.value_or("(nothing)"), "ok 200") << slurp(s.proxy_out);
    std::printf("client: %s\n", said.value_or("(nothing)").c_str());

    ASSERT_EQ(proxy.wait(20s), 0) << slurp(s.proxy_out);
    const auto named = lines_with(slurp(s.proxy_out), {"#1", "4096"});
    for (const auto& line : named) std::printf("proxy: %s\n", line.c_str());
    ASSERT_EQ(named.size(), 1u) << slurp(s.proxy_out);
    EXPECT_EQ(first_side(named.front()), "client") << named.front();

    const auto json = nlohmann::json::parse(slurp(s.transcript), nullptr, false);
    ASSERT_FALSE(json.is_discarded()) << "transcript is not JSON: " << s.transcript;
    std::vector<std::size_t> to_server;
    for (const auto& f : json.at("frames")) {
        if (f.value("flow", "") != "to_server") continue;
        EXPECT_TRUE(f.value("message_end", false));
        to_server.push_back(hex_bytes(f.at("hex").get<std::string>()) +
                            f.value("omitted_bytes", std::size_t{0}));
    }
    ASSERT_EQ(to_server.size(), 13u);
    for (std::size_t i = 0; i < to_server.size(); ++i)
        EXPECT_EQ(to_server[i], message_size(i, kCount)) << "message " << i;
}
