// The Windows catalog against real pipes: the directory source (or its clear error under
// Wine), the handle table finding a pipe held by another process with that PID as the server,
// server and client ends, and proof that listing never connects.
#include <thread>

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
    const PipeEntry* e = nullptr;
    for (const auto& x : table->entries)
        if (x.name == name) e = &x;
    ASSERT_NE(e, nullptr) << "seen " << table->handles_seen << " timed out "
                          << table->handles_timed_out << " denied " << table->processes_denied
                          << " entries " << table->entries.size();
    EXPECT_TRUE(holds(e->server_pids, ::GetCurrentProcessId()));
    EXPECT_TRUE(holds(e->client_pids, ::GetCurrentProcessId()));
    EXPECT_EQ(e->max_instances, 2);
    EXPECT_EQ(e->current_instances, 1);
    EXPECT_GT(table->handles_seen, 0u);
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
