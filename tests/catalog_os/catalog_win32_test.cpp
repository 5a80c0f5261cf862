// The Windows catalog against real pipes: the directory source (or its clear error under
// Wine), the handle table finding a pipe held by another process with that PID as the server,
// server and client ends, and proof that listing never connects.
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "pipescope/catalog.hpp"
#include "pipescope/platform.hpp"
#include "support/child_process.hpp"
#include "support/win32_fixtures.hpp"

using namespace pipescope::core;
using namespace pipescope::test;
using namespace std::chrono_literals;

namespace {

bool holds(const std::vector<ProcessRef>& v, std::uint32_t pid) {
    for (const auto& p : v)
        if (p.pid == pid) return true;
    return false;
}

// The handle table's entry for a pipe name; nullptr when it has none.
const PipeEntry* entry_named(const HandleTableListing& table, const std::string& name) {
    for (const auto& x : table.entries)
        if (x.name == name) return &x;
    return nullptr;
}

TEST(CatalogWin32, DirectoryListsPipesOrSaysWhyNot) {
    std::string name = unique_pipe("dir");
    ServerSpec spec;
    spec.max_instances = 3;
    auto srv = make_server(name, spec);
    ASSERT_TRUE(srv);
    auto dir = list_nt_directory();
    if (is_wine()) {
        ASSERT_FALSE(dir.ok()) << "Wine cannot list \\\\.\\pipe\\; an empty list would hide that";
        EXPECT_EQ(dir.error().code, ErrorCode::Unsupported);
        EXPECT_NE(dir.error().to_string().find("handle table"), std::string::npos)
            << dir.error().to_string();
        return;
    }
    ASSERT_TRUE(dir.ok()) << dir.error().to_string();
    bool found = false;
    for (const auto& e : *dir) {
        if (e.name != name) continue;
        found = true;
        EXPECT_EQ(e.current_instances, 1);
        EXPECT_EQ(e.max_instances, 3);
        EXPECT_TRUE(e.has_source(CatalogSource::NtDirectory));
    }
    EXPECT_TRUE(found);
}

TEST(CatalogWin32, HandleTableFindsAPipeHeldByAnotherProcess) {
    std::string name = unique_pipe("holder");
    ChildProcess child;
    std::string err;
    ASSERT_TRUE(child.start(pipescope::test::built_program(PIPE_HOLDER_PATH),
                            {"pipe", name, "20000"}, &err))
        << err;
    auto ready = child.read_line(20s);
    ASSERT_TRUE(ready.has_value()) << "pipe_holder did not start";
    ASSERT_EQ(*ready, "ready " + std::to_string(child.pid()));

    auto snap = list_pipes({});
    ASSERT_TRUE(snap.ok()) << snap.error().to_string();
    const PipeEntry* e = snap->find("named_pipe:" + name);
    ASSERT_NE(e, nullptr) << "the child's pipe is not listed";
    EXPECT_TRUE(e->has_source(CatalogSource::HandleTable));
    EXPECT_TRUE(holds(e->server_pids, child.pid())) << "the child holds the server end";
    EXPECT_FALSE(holds(e->server_pids, ::GetCurrentProcessId()));
    EXPECT_TRUE(e->client_pids.empty());
    EXPECT_EQ(e->max_instances, -1) << "pipe_holder creates it with unlimited instances";
    ASSERT_FALSE(e->server_pids.empty());
    EXPECT_EQ(e->server_pids[0].name, "pipe_holder.exe");
    if (is_wine()) {
        EXPECT_FALSE(snap->sources_used & static_cast<std::uint32_t>(CatalogSource::NtDirectory));
        bool noted = false;
        for (const auto& n : snap->notes) noted |= n.find("pipe directory") != std::string::npos;
        EXPECT_TRUE(noted) << "the snapshot says the directory could not be listed";
    }

    child.close_stdin();
    ASSERT_EQ(child.wait(10s), 0);
    auto after = list_pipes({});
    ASSERT_TRUE(after.ok());
    EXPECT_EQ(after->find("named_pipe:" + name), nullptr) << "gone after the holder exits";
}

// A pipe_holder serving `name`, started with `options` after the name; its pid once ready
// (and its inheriting child's pid in *child when it was asked for one).
struct Holder {
    ChildProcess process;
    std::uint32_t child_pid = 0;

    bool start(const std::string& name, const std::vector<std::string>& options, std::string* err) {
        std::vector<std::string> args{"pipe", name, "20000"};
        args.insert(args.end(), options.begin(), options.end());
        if (!process.start(built_program(PIPE_HOLDER_PATH), args, err)) return false;
        for (;;) {
            auto line = process.read_line(20s);
            if (!line) {
                *err = "pipe_holder did not start";
                return false;
            }
            if (line->rfind("child ", 0) == 0) {
                child_pid = static_cast<std::uint32_t>(std::stoul(line->substr(6)));
                continue;
            }
            if (*line == "ready " + std::to_string(process.pid())) return true;
            *err = "pipe_holder said: " + *line;
            return false;
        }
    }
};

const PipeEntry* listed(const Result<Snapshot>& snap, const std::string& name) {
    return snap.ok() ? snap->find("named_pipe:" + name) : nullptr;
}

TEST(CatalogWin32, OneProcessWithFourInstancesIsOneServer) {
    std::string name = unique_pipe("four");
    Holder h;
    std::string err;
    ASSERT_TRUE(h.start(name, {"--instances", "4"}, &err)) << err;
    auto snap = list_pipes({});
    ASSERT_TRUE(snap.ok()) << snap.error().to_string();
    const PipeEntry* e = listed(snap, name);
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(e->current_instances, 4);
    EXPECT_EQ(e->server_pids.size(), 1u);
    EXPECT_EQ(e->server_processes, 1u) << "four pipe objects, one process";
}

TEST(CatalogWin32, TwoProcessesServingOneNameAreTwoServers) {
    std::string name = unique_pipe("squat");
    Holder first, second;
    std::string err;
    ASSERT_TRUE(first.start(name, {}, &err)) << err;
    ASSERT_TRUE(second.start(name, {"--instances", "2"}, &err)) << err;
    auto snap = list_pipes({});
    ASSERT_TRUE(snap.ok()) << snap.error().to_string();
    const PipeEntry* e = listed(snap, name);
    ASSERT_NE(e, nullptr);
    EXPECT_TRUE(holds(e->server_pids, first.process.pid()));
    EXPECT_TRUE(holds(e->server_pids, second.process.pid()));
    EXPECT_EQ(e->current_instances, 3);
    EXPECT_EQ(e->server_processes, 2u) << "different pipe objects in different processes";
}

// A child that inherited its parent's server handle holds the same pipe object: one server,
// not squatting. A third, unrelated process on the name is still a second server.
TEST(CatalogWin32, AChildHoldingAnInheritedServerHandleIsNotASecondServer) {
    std::string name = unique_pipe("inherit");
    Holder parent;
    std::string err;
    ASSERT_TRUE(parent.start(name, {"--child"}, &err)) << err;
    ASSERT_NE(parent.child_pid, 0u);
    auto snap = list_pipes({});
    ASSERT_TRUE(snap.ok()) << snap.error().to_string();
    const PipeEntry* e = listed(snap, name);
    ASSERT_NE(e, nullptr);
    EXPECT_TRUE(holds(e->server_pids, parent.process.pid()));
    EXPECT_TRUE(holds(e->server_pids, parent.child_pid)) << "the child holds the server end too";
    EXPECT_EQ(e->current_instances, 1) << "one instance, two handles";
    EXPECT_EQ(e->server_processes, 1u) << "one pipe object shared by parent and child";

    Holder other;
    ASSERT_TRUE(other.start(name, {}, &err)) << err;
    auto again = list_pipes({});
    ASSERT_TRUE(again.ok()) << again.error().to_string();
    const PipeEntry* e2 = listed(again, name);
    ASSERT_NE(e2, nullptr);
    std::string pids;
    for (const auto& p : e2->server_pids) pids += std::to_string(p.pid) + " " + p.name + ", ";
    EXPECT_EQ(e2->server_pids.size(), 3u)
        << pids << " parent " << parent.process.pid() << " child " << parent.child_pid << " other "
        << other.process.pid() << " self " << ::GetCurrentProcessId();
    EXPECT_EQ(e2->server_processes, 2u) << "the family and the unrelated process";
}

TEST(CatalogWin32, HandleTableTellsServerAndClientEndsApart) {
    std::string name = unique_pipe("ends");
    ServerSpec spec;
    spec.max_instances = 2;
    auto srv = make_server(name, spec);
    ASSERT_TRUE(srv);
    auto cli = connect_client(name);
    ASSERT_TRUE(cli);
    auto table = list_handle_table(250ms);
    ASSERT_TRUE(table.ok()) << table.error().to_string();
    const PipeEntry* e = entry_named(*table, name);
    ASSERT_NE(e, nullptr) << "seen " << table->handles_seen << " timed out "
                          << table->handles_timed_out << " denied " << table->processes_denied
                          << " entries " << table->entries.size();
    EXPECT_TRUE(holds(e->server_pids, ::GetCurrentProcessId()));
    EXPECT_TRUE(holds(e->client_pids, ::GetCurrentProcessId()));
    EXPECT_EQ(e->max_instances, 2);
    EXPECT_EQ(e->current_instances, 1);
    EXPECT_EQ(e->server_processes, 1u);
    EXPECT_GT(table->handles_seen, 0u);
}

// A client end whose server has disconnected it (DisconnectNamedPipe) belongs to no pipe any
// more. Asking its name with NtQueryObject crashes Wine 8's server (it follows the end's cleared
// pipe pointer), which hung every Wine process of the run; the listing must pass it by and still
// find the server, and the busy-pipe descriptor read, which walks the server's handles, too.
TEST(CatalogWin32, AClientEndItsServerDisconnectedIsPassedBy) {
    std::string name = unique_pipe("cut");
    ServerSpec spec;
    spec.max_instances = 1;
    auto srv = make_server(name, spec);
    ASSERT_TRUE(srv);
    auto cli = connect_client(name);
    ASSERT_TRUE(cli);
    ::ConnectNamedPipe(srv.get(), nullptr);  // the client is there: ERROR_PIPE_CONNECTED
    ASSERT_TRUE(::DisconnectNamedPipe(srv.get())) << ::GetLastError();
    char byte = 0;
    DWORD got = 0;
    ASSERT_FALSE(::ReadFile(cli.get(), &byte, 1, &got, nullptr));
    ASSERT_EQ(::GetLastError(), static_cast<DWORD>(ERROR_PIPE_NOT_CONNECTED))
        << "the client end is cut off from its pipe";

    auto table = list_handle_table(250ms);
    ASSERT_TRUE(table.ok()) << table.error().to_string();
    const PipeEntry* e = entry_named(*table, name);
    ASSERT_NE(e, nullptr) << "the server's instance is still listed";
    EXPECT_TRUE(holds(e->server_pids, ::GetCurrentProcessId()));
    EXPECT_TRUE(e->client_pids.empty()) << "the cut-off client end is no client of the pipe";

    const std::uint32_t self[] = {static_cast<std::uint32_t>(::GetCurrentProcessId())};
    auto sd = read_server_handle_descriptor(name, self, 250ms);
    ASSERT_TRUE(sd.ok()) << sd.error().to_string();
    EXPECT_FALSE(sd->bytes.empty());
    EXPECT_EQ(sd->pid, self[0]);
}

TEST(CatalogWin32, ListingNeverConnects) {
    std::string name = unique_pipe("count");
    ServerSpec spec;
    spec.open_mode = PIPE_ACCESS_DUPLEX | FILE_FLAG_OVERLAPPED;
    auto srv = make_server(name, spec);
    ASSERT_TRUE(srv);
    UniqueHandle ev{::CreateEventW(nullptr, TRUE, FALSE, nullptr)};
    OVERLAPPED ov{};
    ov.hEvent = ev.get();
    ASSERT_FALSE(::ConnectNamedPipe(srv.get(), &ov));
    ASSERT_EQ(::GetLastError(), static_cast<DWORD>(ERROR_IO_PENDING))
        << "the server waits for a client";
    // Every source that works here lists; under Wine that is the handle table only.
    const int rounds = 100;
    for (int i = 0; i < rounds; ++i) {
        auto snap = list_pipes({});
        ASSERT_TRUE(snap.ok()) << snap.error().to_string();
        ASSERT_NE(snap->find("named_pipe:" + name), nullptr);
    }
    EXPECT_EQ(::WaitForSingleObject(ev.get(), 0), static_cast<DWORD>(WAIT_TIMEOUT))
        << "a listing connected to the pipe";
    // The detector sees a real client.
    auto cli = connect_client(name);
    ASSERT_TRUE(cli);
    EXPECT_EQ(::WaitForSingleObject(ev.get(), 5000), static_cast<DWORD>(WAIT_OBJECT_0));
    DWORD got = 0;
    EXPECT_TRUE(::GetOverlappedResult(srv.get(), &ov, &got, FALSE));
}

}  // namespace
