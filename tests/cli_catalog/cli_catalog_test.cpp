// pipescope-cli list and inspect as a user runs them: the real executable, its exit code and
// its JSON / CSV output, against pipes (Windows) or sockets (Linux) this test creates.
#include <atomic>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <thread>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/child_process.hpp"

#ifdef _WIN32
#include <windows.h>
#else
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#endif

#include "pipescope/unique_handle.hpp"

using namespace pipescope::test;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

std::uint32_t self_pid() {
#ifdef _WIN32
    return ::GetCurrentProcessId();
#else
    return static_cast<std::uint32_t>(::getpid());
#endif
}

std::string unique_name(const char* what) {
    static std::atomic<int> n{0};
    return std::string("pscli-") + what + "-" + std::to_string(self_pid()) + "-" +
           std::to_string(++n);
}

struct CliRun {
    int exit_code = -1;
    std::string out;
};

CliRun run_cli(const std::vector<std::string>& args) {
    ChildProcess c;
    std::string err;
    CliRun r;
    if (!c.start(pipescope::test::built_program(PIPESCOPE_CLI_PATH), args, &err)) {
        ADD_FAILURE() << err;
        return r;
    }
    c.close_stdin();
    r.out = c.read_all(30s);
    auto code = c.wait(10s);
    EXPECT_TRUE(code.has_value()) << "the CLI did not exit";
    r.exit_code = code.value_or(-1);
    return r;
}

// A server this test holds: a Windows named pipe, or a listening abstract stream socket.
struct TestServer {
    std::string list_name;     // as `list` shows it
    std::string inspect_name;  // as the user types it
#ifdef _WIN32
    pipescope::core::UniqueHandle h;
    explicit TestServer(const std::string& base) {
        list_name = base;
        inspect_name = "\\\\.\\pipe\\" + base;
        std::wstring w(inspect_name.begin(), inspect_name.end());
        h.reset(::CreateNamedPipeW(w.c_str(), PIPE_ACCESS_DUPLEX,
                                   PIPE_TYPE_MESSAGE | PIPE_READMODE_MESSAGE, 4, 1024, 2048, 0,
                                   nullptr));
    }
    bool ok() const {
        return h.valid();
    }
#else
    pipescope::core::UniqueFd fd;
    explicit TestServer(const std::string& base) {
        list_name = "@" + base;
        inspect_name = list_name;
        fd.reset(::socket(AF_UNIX, SOCK_STREAM, 0));
        sockaddr_un a{};
        a.sun_family = AF_UNIX;
        std::memcpy(a.sun_path + 1, base.data(), base.size());
        auto len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + base.size());
        if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&a), len) != 0 ||
            ::listen(fd.get(), 4) != 0)
            fd.reset();
    }
    bool ok() const {
        return fd.valid();
    }
#endif
};

TEST(CliList, JsonContainsAServerThisTestCreated) {
    TestServer srv(unique_name("list"));
    ASSERT_TRUE(srv.ok());
    CliRun r = run_cli({"list", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.out;
    json arr = json::parse(r.out, nullptr, false);
    ASSERT_TRUE(arr.is_array()) << r.out.substr(0, 400);
    const json* found = nullptr;
    for (const auto& e : arr) {
        ASSERT_TRUE(e.contains("name") && e.contains("current_instances") &&
                    e.contains("max_instances") && e.contains("kind") && e.contains("pids") &&
                    e.contains("source"));
        if (e["name"] == srv.list_name) found = &e;
    }
    ASSERT_NE(found, nullptr) << srv.list_name << " not in the list";
    const json& e = *found;
    bool server_is_us = false;
    for (const auto& p : e["pids"]["server"]) server_is_us |= p.get<std::uint32_t>() == self_pid();
    EXPECT_TRUE(server_is_us) << e.dump();
#ifdef _WIN32
    EXPECT_EQ(e["kind"], "named_pipe");
    EXPECT_EQ(e["max_instances"], 4);
    EXPECT_EQ(e["current_instances"], 1);
    EXPECT_NE(e["source"].get<std::string>().find("handle_table"), std::string::npos) << e.dump();
#else
    EXPECT_EQ(e["kind"], "unix_stream");
    EXPECT_TRUE(e["max_instances"].is_null()) << "unknown on Linux";
    EXPECT_EQ(e["state"], "listening");
    EXPECT_NE(e["source"].get<std::string>().find("proc_net_unix"), std::string::npos);
#endif
}

TEST(CliList, CsvWithFilterShowsOnlyMatches) {
    std::string base = unique_name("csv");
    TestServer srv(base);
    ASSERT_TRUE(srv.ok());
    CliRun r = run_cli({"list", "--csv", "--filter", base});
    ASSERT_EQ(r.exit_code, 0) << r.out;
    std::vector<std::string> lines;
    std::size_t pos = 0;
    while (pos < r.out.size()) {
        auto nl = r.out.find('\n', pos);
        std::string line = r.out.substr(pos, nl - pos);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (!line.empty()) lines.push_back(line);
        if (nl == std::string::npos) break;
        pos = nl + 1;
    }
    ASSERT_EQ(lines.size(), 2u) << r.out;
    EXPECT_EQ(lines[0].rfind("name,current_instances,max_instances,kind", 0), 0u);
    EXPECT_EQ(lines[1].rfind(srv.list_name + ",", 0), 0u) << lines[1];
}

TEST(CliList, WatchPrintsAddedAndRemoved) {
    std::string base = unique_name("watch");
    ChildProcess c;
    std::string err;
    ASSERT_TRUE(c.start(pipescope::test::built_program(PIPESCOPE_CLI_PATH),
                        {"list", "--watch", "0.1", "--count", "600", "--json", "--filter", base},
                        &err))
        << err;
    // Let the first listing happen (nothing matches yet), then create the server.
    std::this_thread::sleep_for(300ms);
    auto srv = std::make_unique<TestServer>(base);
    ASSERT_TRUE(srv->ok());
    const std::string listed = srv->list_name;
    auto wait_event = [&](const char* event) {
        for (int i = 0; i < 100; ++i) {
            auto line = c.read_line(20s);
            if (!line) return false;
            json j = json::parse(*line, nullptr, false);
            if (j.is_object() && j["event"] == event && j["entry"]["name"] == listed) return true;
        }
        return false;
    };
    EXPECT_TRUE(wait_event("added"));
    srv.reset();
    EXPECT_TRUE(wait_event("removed"));
    c.kill();
}

// A list saved with --json, compared later: the pipe that went is "removed", the new one
// "added"; a broken saved file is a clear error naming the entry and what is wrong.
TEST(CliList, CompareWithASavedListShowsWhatCameAndWent) {
    const std::string base = unique_name("cmp");
    const std::string saved_path = base + ".json";
    const std::string bad_path = base + ".bad.json";
    struct Cleanup {
        std::vector<std::string> paths;
        ~Cleanup() {
            for (const auto& p : paths) std::remove(p.c_str());
        }
    } cleanup{{saved_path, bad_path}};
    auto gone = std::make_unique<TestServer>(base + "-gone");
    ASSERT_TRUE(gone->ok());
    const std::string gone_name = gone->list_name;
    CliRun saved = run_cli({"list", "--json", "--filter", base});
    ASSERT_EQ(saved.exit_code, 0) << saved.out;
    ASSERT_NE(saved.out.find(gone_name), std::string::npos) << saved.out;
    { std::ofstream(saved_path, std::ios::binary) << saved.out; }

    gone.reset();
    TestServer came(base + "-came");
    ASSERT_TRUE(came.ok());
    CliRun r = run_cli({"list", "--compare", saved_path, "--json", "--filter", base});
    ASSERT_EQ(r.exit_code, 0) << r.out;
    std::vector<std::pair<std::string, std::string>> events;  // (event, name)
    std::size_t pos = 0;
    while (pos < r.out.size()) {
        auto nl = r.out.find('\n', pos);
        json j = json::parse(r.out.substr(pos, nl - pos), nullptr, false);
        if (j.is_object())
            events.emplace_back(j["event"].get<std::string>(),
                                j["entry"]["name"].get<std::string>());
        if (nl == std::string::npos) break;
        pos = nl + 1;
    }
    EXPECT_EQ(events, (std::vector<std::pair<std::string, std::string>>{{"added", came.list_name},
                                                                        {"removed", gone_name}}))
        << r.out;
    CliRun text = run_cli({"list", "--compare", saved_path, "--filter", base, "--nobanner"});
    ASSERT_EQ(text.exit_code, 0) << text.out;
    EXPECT_NE(text.out.find("1 added (+), 1 removed (-)"), std::string::npos) << text.out;
    EXPECT_NE(text.out.find("- "), std::string::npos) << text.out;

    { std::ofstream(bad_path, std::ios::binary) << R"([{"name":"x","kind":"socket"}])"; }
    CliRun bad = run_cli({"list", "--compare", bad_path});
    EXPECT_EQ(bad.exit_code, 2) << bad.out;
}

TEST(CliInspect, MissingPipeFailsAndNamesTheError) {
    std::string base = unique_name("missing");
#ifdef _WIN32
    std::string name = "\\\\.\\pipe\\" + base;
    const char* code_name = "ERROR_FILE_NOT_FOUND (2)";
#else
    std::string name = "/tmp/" + base + ".sock";
    const char* code_name = "ENOENT (2)";
#endif
    CliRun r = run_cli({"inspect", name, "--json", "--timeout", "500"});
    EXPECT_EQ(r.exit_code, 2) << r.out;
    json j = json::parse(r.out, nullptr, false);
    ASSERT_TRUE(j.is_object()) << r.out;
    EXPECT_EQ(j["state"], "not found");
    EXPECT_EQ(j["connected"], false);
    ASSERT_TRUE(j["error"].is_object());
    EXPECT_EQ(j["error"]["code"], 2);
    EXPECT_EQ(j["error"]["code_name"], code_name);
    EXPECT_NE(j["error"]["message"].get<std::string>().find(code_name), std::string::npos);

    CliRun text = run_cli({"inspect", name});
    EXPECT_NE(text.exit_code, 0);
    EXPECT_NE(text.out.find(code_name), std::string::npos) << text.out;
}

TEST(CliInspect, JsonDescribesAServerThisTestCreated) {
    TestServer srv(unique_name("insp"));
    ASSERT_TRUE(srv.ok());
    CliRun r = run_cli({"inspect", srv.inspect_name, "--json", "--timeout", "3000"});
    ASSERT_EQ(r.exit_code, 0) << r.out;
    json j = json::parse(r.out, nullptr, false);
    ASSERT_TRUE(j.is_object()) << r.out;
    for (const char* key : {"name", "state", "type", "end", "in_quota", "out_quota",
                            "max_instances", "current_instances", "server_pid", "server_image",
                            "owner", "sddl", "aces", "connected", "error"})
        EXPECT_TRUE(j.contains(key)) << key;
    EXPECT_EQ(j["state"], "ok");
    EXPECT_EQ(j["connected"], true);
    EXPECT_TRUE(j["error"].is_null());
    EXPECT_EQ(j["server_pid"], self_pid());
    EXPECT_EQ(j["fields"]["server_pid"]["connected"], true);
#ifdef _WIN32
    EXPECT_EQ(j["type"], "message");
    EXPECT_EQ(j["end"], "client");
    EXPECT_EQ(j["max_instances"], 4);
    EXPECT_EQ(j["out_quota"], 1024) << "CreateNamedPipeW's nOutBufferSize";
    EXPECT_EQ(j["in_quota"], 2048) << "CreateNamedPipeW's nInBufferSize";
#else
    EXPECT_EQ(j["type"], "byte");
    EXPECT_EQ(j["socket_type"], "stream");
    EXPECT_TRUE(j["sddl"].is_null());
    EXPECT_EQ(j["fields"]["sddl"]["state"], "unsupported");
#endif
}

// A socket file's mode reads as chmod and ls write it (0640), not as the decimal number (416)
// the text output used to print; --json keeps the number.
TEST(CliInspect, TextShowsAFileModeInOctal) {
#ifdef _WIN32
    GTEST_SKIP() << "file modes are POSIX: Windows pipes have a security descriptor instead";
#else
    const std::string path = "/tmp/" + unique_name("mode") + ".sock";
    ::unlink(path.c_str());
    pipescope::core::UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM, 0));
    ASSERT_TRUE(fd.valid());
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    ASSERT_LT(path.size(), sizeof a.sun_path);
    std::memcpy(a.sun_path, path.data(), path.size());
    ASSERT_EQ(::bind(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    ASSERT_EQ(::listen(fd.get(), 4), 0);
    ASSERT_EQ(::chmod(path.c_str(), 0640), 0);
    CliRun text = run_cli({"inspect", path, "--timeout", "3000"});
    CliRun js = run_cli({"inspect", path, "--json", "--timeout", "3000"});
    ::unlink(path.c_str());
    ASSERT_EQ(text.exit_code, 0) << text.out;
    EXPECT_NE(text.out.find("mode                     0640"), std::string::npos) << text.out;
    json j = json::parse(js.out, nullptr, false);
    ASSERT_TRUE(j.is_object()) << js.out;
    EXPECT_EQ(j["mode"], 0640) << js.out;
#endif
}

// Whether `inspect`'s text output has a row for `key` ("  key      value   [source]").
bool has_row(const std::string& text, const std::string& key) {
    return text.find("\n  " + key + " ") != std::string::npos;
}

// The text shows only fields of this kind of pipe (a Linux socket used to print a dozen Win32
// rows, and `access <unknown> []`); --json keeps every field.
TEST(CliInspect, TextShowsOnlyTheFieldsOfThisKind) {
    TestServer srv(unique_name("kind"));
    ASSERT_TRUE(srv.ok());
    CliRun text = run_cli({"inspect", srv.inspect_name, "--timeout", "3000"});
    CliRun js = run_cli({"inspect", srv.inspect_name, "--json", "--timeout", "3000"});
    ASSERT_EQ(text.exit_code, 0) << text.out;
    json j = json::parse(js.out, nullptr, false);
    ASSERT_TRUE(j.is_object()) << js.out;
    for (const char* key : {"access", "in_quota", "sddl", "mode", "socket_type", "capacity",
                            "owner_uid", "security_descriptor"})
        EXPECT_TRUE(j.contains(key)) << key << " left out of --json";
    EXPECT_TRUE(has_row(text.out, "type")) << text.out;
    EXPECT_TRUE(has_row(text.out, "server_pid")) << text.out;
#ifdef _WIN32
    const std::vector<std::string> shown = {"access",     "in_quota",       "max_instances",
                                            "pipe_state", "server_session", "owner"};
    const std::vector<std::string> hidden = {"mode",       "socket_type", "send_buffer",
                                             "server_uid", "capacity",    "bytes_queued",
                                             "owner_uid"};
#else
    const std::vector<std::string> shown = {"socket_type", "send_buffer", "server_uid", "end"};
    const std::vector<std::string> hidden = {
        "access",         "in_quota",    "out_quota", "max_instances", "pipe_state",
        "server_session", "sddl",        "aces",      "null_dacl",     "remote_clients_accepted",
        "capacity",       "bytes_queued"};
#endif
    for (const auto& key : shown) EXPECT_TRUE(has_row(text.out, key)) << key << "\n" << text.out;
    for (const auto& key : hidden) EXPECT_FALSE(has_row(text.out, key)) << key << "\n" << text.out;
    EXPECT_EQ(text.out.find("<unknown>   []"), std::string::npos) << text.out;
}

}  // namespace
