// The Windows inspector against servers created here with known configurations: every field,
// security (explicit SDDL, deny, NULL DACL, none), busy, timeout, missing and cancel.
#include <algorithm>
#include <thread>

#include <gtest/gtest.h>

#include "pipescope/inspect.hpp"
#include "pipescope/platform.hpp"
#include "support/win32_fixtures.hpp"

using namespace pipescope::core;
using namespace pipescope::test;
using namespace std::chrono_literals;

namespace {

PipeName pn(const std::string& name) {
    return PipeName::parse("\\\\.\\pipe\\" + name).value();
}

std::string self_image_name() {
    wchar_t path[MAX_PATH];
    DWORD n = ::GetModuleFileNameW(nullptr, path, MAX_PATH);
    std::wstring p(path, n);
    p = p.substr(p.find_last_of(L"\\/") + 1);
    return std::string(p.begin(), p.end());
}

const AceInfo* find_ace(const PipeDetails& d, const std::string& sid, const std::string& type) {
    if (!d.aces.ok()) return nullptr;
    for (const auto& a : *d.aces.value)
        if (a.sid == sid && a.type == type) return &a;
    return nullptr;
}

TEST(InspectWin32, MessagePipeWithSddlMatchesEveryField) {
    std::string name = unique_pipe("msg");
    ServerSpec spec;
    spec.pipe_mode = PIPE_TYPE_MESSAGE | PIPE_READMODE_MESSAGE;
    spec.max_instances = 3;
    spec.out_quota = 8192;
    spec.in_quota = 4096;
    spec.sddl = L"D:(A;;0x12019f;;;WD)(A;;FA;;;SY)";
    auto srv = make_server(name, spec);
    ASSERT_TRUE(srv);
    PipeDetails d = inspect_pipe(pn(name), {});
    ASSERT_EQ(d.state, InspectState::Ok) << (d.error ? d.error->to_string() : "");
    EXPECT_TRUE(d.connected);
    EXPECT_EQ(d.kind, "named pipe");
    EXPECT_TRUE(d.access.ok());
    EXPECT_EQ(d.type.value, "message");
    EXPECT_EQ(d.type.source, "GetNamedPipeInfo");
    EXPECT_TRUE(d.type.connected);
    EXPECT_EQ(d.end.value, "client");
    EXPECT_EQ(d.in_quota.value, 4096u);
    EXPECT_EQ(d.out_quota.value, 8192u);
    EXPECT_EQ(d.max_instances.value, 3);
    EXPECT_EQ(d.current_instances.value, 1);
    EXPECT_EQ(d.pipe_state.value, "connected");
    EXPECT_EQ(d.read_data_available.value, 0u);
    EXPECT_EQ(d.server_pid.value, ::GetCurrentProcessId());
    ASSERT_TRUE(d.server_image.ok()) << d.server_image.note;
    EXPECT_NE(d.server_image.value->find(self_image_name()), std::string::npos)
        << *d.server_image.value;
    DWORD session = 0;
    ASSERT_TRUE(::ProcessIdToSessionId(::GetCurrentProcessId(), &session));
    EXPECT_EQ(d.server_session.value, session);
    ASSERT_TRUE(d.sddl.ok()) << d.sddl.note;
    EXPECT_NE(d.sddl.value->find(";;;WD)"), std::string::npos) << *d.sddl.value;
    EXPECT_NE(d.sddl.value->find(";;;SY)"), std::string::npos) << *d.sddl.value;
    const AceInfo* everyone = find_ace(d, "S-1-1-0", "allow");
    ASSERT_NE(everyone, nullptr);
    EXPECT_EQ(everyone->mask, 0x12019Fu);
    EXPECT_EQ(everyone->trustee, "Everyone");
    EXPECT_NE(std::find(everyone->rights.begin(), everyone->rights.end(), "write"),
              everyone->rights.end());
    const AceInfo* system = find_ace(d, "S-1-5-18", "allow");
    ASSERT_NE(system, nullptr);
    EXPECT_EQ(system->rights, std::vector<std::string>{"full control"});
    EXPECT_EQ(d.null_dacl.value, false);
    EXPECT_EQ(d.everyone_can_write.value, true);
    EXPECT_EQ(d.anonymous_can_write.value, false);
    EXPECT_EQ(d.remote_clients_accepted.state, FieldState::Unknown) << "not visible to a client";
    EXPECT_EQ(d.mode.state, FieldState::Unsupported) << "POSIX-only fields say so";
}

TEST(InspectWin32, BytePipeWithUnlimitedInstances) {
    std::string name = unique_pipe("byte");
    ServerSpec spec;
    spec.out_quota = 1000;
    spec.in_quota = 3000;
    spec.sddl = L"D:(A;;FA;;;WD)";
    auto srv = make_server(name, spec);
    ASSERT_TRUE(srv);
    auto second = make_server(name, spec);
    ASSERT_TRUE(second);
    PipeDetails d = inspect_pipe(pn(name), {});
    ASSERT_EQ(d.state, InspectState::Ok) << (d.error ? d.error->to_string() : "");
    EXPECT_EQ(d.type.value, "byte");
    EXPECT_EQ(d.max_instances.value, -1);
    EXPECT_EQ(d.current_instances.value, 2);
    EXPECT_EQ(d.in_quota.value, 3000u);
    EXPECT_EQ(d.out_quota.value, 1000u);
    EXPECT_EQ(d.handle_state.value, "blocking, byte read mode");
}

TEST(InspectWin32, DenyAndNullDaclsAreFlagged) {
    std::string deny = unique_pipe("deny");
    ServerSpec spec;
    spec.sddl = L"D:(D;;FA;;;WD)(A;;FA;;;SY)";
    auto srv = make_server(deny, spec);
    ASSERT_TRUE(srv);
    PipeDetails d = inspect_pipe(pn(deny), {});
    if (!is_wine()) {
        EXPECT_EQ(d.state, InspectState::Denied);
        ASSERT_TRUE(d.error.has_value());
        EXPECT_EQ(d.error->os_code, 5);
        EXPECT_EQ(d.sddl.state, FieldState::Denied);
    } else {
        // Wine does not enforce DACLs, so the probe gets in; the DACL it reads must still
        // show the deny.
        ASSERT_EQ(d.state, InspectState::Ok);
        ASSERT_NE(find_ace(d, "S-1-1-0", "deny"), nullptr);
        EXPECT_EQ(d.everyone_can_write.value, false);
        EXPECT_EQ(d.remote_clients_accepted.value, false);
    }
}

TEST(InspectWin32, NullDaclIsFlagged) {
    std::string open = unique_pipe("null");
    ServerSpec nul;
    nul.null_dacl = true;
    auto srv = make_server(open, nul);
    ASSERT_TRUE(srv);
    PipeDetails n = inspect_pipe(pn(open), {});
    ASSERT_EQ(n.state, InspectState::Ok) << (n.error ? n.error->to_string() : "");
    ASSERT_TRUE(n.sddl.ok());
    if (is_wine() && n.null_dacl.value == false && n.sddl.value->ends_with("D:")) {
        // Measured: Wine 8 stores a pipe's NULL DACL as an empty one and reads back "D:".
        EXPECT_EQ(n.everyone_can_write.value, false) << "an empty DACL lets nobody write";
        GTEST_SKIP() << "Wine stores a NULL DACL on a pipe as an empty DACL (reads back "
                     << *n.sddl.value << "), so the NULL-DACL readback cannot be checked here";
    }
    EXPECT_EQ(n.null_dacl.value, true) << n.null_dacl.note << " sddl: " << *n.sddl.value;
    EXPECT_EQ(n.everyone_can_write.value, true);
    EXPECT_EQ(n.anonymous_can_write.value, true);
}

TEST(InspectWin32, NoSecurityAttributesReadsTheDefaultOrSaysWhy) {
    std::string name = unique_pipe("nosa");
    auto srv = make_server(name, {});
    ASSERT_TRUE(srv);
    PipeDetails d = inspect_pipe(pn(name), {});
    ASSERT_EQ(d.state, InspectState::Ok);
    if (is_wine()) {
        // WINE.md: a pipe created without security attributes reads back an empty SDDL.
        EXPECT_EQ(d.owner.state, FieldState::Unsupported);
        EXPECT_FALSE(d.owner.note.empty());
        EXPECT_EQ(d.null_dacl.state, FieldState::Unsupported) << "no false NULL-DACL alarm";
    } else {
        EXPECT_TRUE(d.owner.ok());
        EXPECT_TRUE(d.aces.ok());
    }
}

TEST(InspectWin32, BusyWithoutWaitTimeoutWithABound) {
    std::string name = unique_pipe("busy");
    ServerSpec spec;
    spec.max_instances = 1;
    auto srv = make_server(name, spec);
    ASSERT_TRUE(srv);
    auto holder = connect_client(name);
    ASSERT_TRUE(holder);
    InspectOptions now;
    now.timeout = 0ms;
    PipeDetails busy = inspect_pipe(pn(name), now);
    EXPECT_EQ(busy.state, InspectState::Busy);
    ASSERT_TRUE(busy.error.has_value());
    EXPECT_EQ(busy.error->os_code, 231);
    EXPECT_EQ(busy.type.state, FieldState::Busy);
    EXPECT_FALSE(busy.connected);

    InspectOptions bounded;
    bounded.timeout = 300ms;
    auto t0 = std::chrono::steady_clock::now();
    PipeDetails timed = inspect_pipe(pn(name), bounded);
    auto took = std::chrono::steady_clock::now() - t0;
    EXPECT_EQ(timed.state, InspectState::TimedOut) << (timed.error ? timed.error->to_string() : "");
    EXPECT_EQ(timed.server_pid.state, FieldState::TimedOut);
    EXPECT_LT(took, 5s) << "the bound holds";
}

TEST(InspectWin32, MissingPipeIsNotFound) {
    PipeDetails d = inspect_pipe(pn(unique_pipe("missing")), {});
    EXPECT_EQ(d.state, InspectState::NotFound);
    ASSERT_TRUE(d.error.has_value());
    EXPECT_EQ(d.error->os_code, 2);
    EXPECT_NE(d.error->to_string().find("ERROR_FILE_NOT_FOUND (2)"), std::string::npos);
    EXPECT_EQ(d.sddl.state, FieldState::NotFound);
}

TEST(InspectWin32, CancelStopsAWaitingProbe) {
    std::string name = unique_pipe("cancel");
    ServerSpec spec;
    spec.max_instances = 1;
    auto srv = make_server(name, spec);
    ASSERT_TRUE(srv);
    auto holder = connect_client(name);
    ASSERT_TRUE(holder);
    InspectOptions opt;
    opt.timeout = 20s;
    auto t0 = std::chrono::steady_clock::now();
    InspectTask task = inspect_async(pn(name), opt);
    EXPECT_FALSE(task.wait_for(100ms));
    task.cancel();
    ASSERT_TRUE(task.wait_for(5s));
    EXPECT_EQ(task.get().state, InspectState::Cancelled);
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 8s);
}

TEST(InspectWin32, AFreedInstanceEndsTheWait) {
    std::string name = unique_pipe("frees");
    ServerSpec spec;
    spec.max_instances = 1;
    spec.open_mode = PIPE_ACCESS_DUPLEX | FILE_FLAG_OVERLAPPED;
    auto srv = make_server(name, spec);
    ASSERT_TRUE(srv);
    auto holder = connect_client(name);
    ASSERT_TRUE(holder);
    InspectOptions opt;
    opt.timeout = 10s;
    InspectTask task = inspect_async(pn(name), opt);
    std::this_thread::sleep_for(100ms);
    EXPECT_FALSE(task.ready()) << "the only instance is taken";
    holder.reset();
    ASSERT_TRUE(::DisconnectNamedPipe(srv.get()));
    // Listen again (overlapped, so this thread never blocks on it).
    UniqueHandle ev{::CreateEventW(nullptr, TRUE, FALSE, nullptr)};
    OVERLAPPED ov{};
    ov.hEvent = ev.get();
    if (!::ConnectNamedPipe(srv.get(), &ov)) {
        DWORD e = ::GetLastError();
        ASSERT_TRUE(e == ERROR_IO_PENDING || e == ERROR_PIPE_CONNECTED) << e;
    }
    ASSERT_TRUE(task.wait_for(8s));
    PipeDetails d = task.get();
    EXPECT_EQ(d.state, InspectState::Ok) << (d.error ? d.error->to_string() : "");
}

}  // namespace
