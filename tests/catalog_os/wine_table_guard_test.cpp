// The guard that keeps a handle-table read from crashing Wine's server (wine_table_guard.hpp):
// which processes count as starting, on process lists built here, and how the wait behaves, with
// a stand-in for NtQuerySystemInformation that plays a process starting. A real starting process
// cannot be made from here: one a Windows program creates has its image name from the start
// (even when created suspended); only a program started from Unix is nameless, and the tests
// that read the table under Wine run alone so that none starts meanwhile.
#include <windows.h>
#include <winternl.h>

#include <chrono>
#include <cstring>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "catalog/win32/wine_table_guard.hpp"
#include "pipescope/platform.hpp"

using namespace pipescope::core;
using namespace std::chrono_literals;

namespace {

struct Proc {
    ULONG_PTR pid;
    std::wstring name;
};

// A SystemProcessInformation buffer: one entry per process, each followed by its name.
std::vector<std::byte> process_list(const std::vector<Proc>& procs) {
    std::vector<std::byte> out;
    std::vector<std::size_t> starts;
    for (const auto& p : procs) {
        starts.push_back(out.size());
        const std::size_t entry = sizeof(SYSTEM_PROCESS_INFORMATION);
        const std::size_t size = (entry + (p.name.size() + 1) * sizeof(wchar_t) + 7) & ~7u;
        out.resize(out.size() + size);
        SYSTEM_PROCESS_INFORMATION info{};
        info.UniqueProcessId = reinterpret_cast<HANDLE>(p.pid);
        info.ImageName.Length = static_cast<USHORT>(p.name.size() * sizeof(wchar_t));
        info.ImageName.MaximumLength = info.ImageName.Length;
        std::memcpy(out.data() + starts.back(), &info, sizeof info);
        std::memcpy(out.data() + starts.back() + entry, p.name.data(),
                    p.name.size() * sizeof(wchar_t));
    }
    for (std::size_t i = 0; i + 1 < starts.size(); ++i) {
        const auto next = static_cast<ULONG>(starts[i + 1] - starts[i]);
        std::memcpy(out.data() + starts[i], &next, sizeof next);  // NextEntryOffset comes first
    }
    return out;
}

// The stand-in's script: the process list it gives and how many full reads it has served.
struct Script {
    int nameless_reads = 0;  // full reads that still show a starting process
    int size_changes = 0;    // sizing calls, from the first, that each report a new size
    int full_reads = 0;
    int sizings = 0;
    ULONG size = 4096;
} g_script;

LONG NTAPI fake_query(int klass, PVOID buf, ULONG len, ULONG* needed) {
    if (klass != 5) return static_cast<LONG>(0xC0000003);  // STATUS_INVALID_INFO_CLASS
    if (len < sizeof(SYSTEM_PROCESS_INFORMATION)) {        // the sizing call
        ++g_script.sizings;
        if (g_script.size_changes > 0) {
            --g_script.size_changes;
            g_script.size += 512;  // a process started
        }
        *needed = g_script.size;
        return static_cast<LONG>(0xC0000004);  // STATUS_INFO_LENGTH_MISMATCH
    }
    ++g_script.full_reads;
    const bool starting = g_script.full_reads <= g_script.nameless_reads;
    auto list = process_list({{0, L""},
                              {0x38, L"services.exe"},
                              {0x104, starting ? L"" : L"tool.exe"},
                              {::GetCurrentProcessId(), L""}});
    if (list.size() > len) return static_cast<LONG>(0xC0000004);
    std::memcpy(buf, list.data(), list.size());
    *needed = static_cast<ULONG>(list.size());
    return 0;
}

TEST(WineTableGuard, CountsNamelessProcessesButNotTheIdleProcessOrItself) {
    auto list = process_list(
        {{0, L""}, {4, L"System"}, {0x20, L""}, {0x24, L"a.exe"}, {0x28, L""}, {0x30, L""}});
    auto n = wine_table_guard::nameless_processes(list, 0x30);
    ASSERT_TRUE(n.has_value());
    EXPECT_EQ(*n, 2) << "0x20 and 0x28 are starting; pid 0 and this process (0x30) are not";
    EXPECT_EQ(wine_table_guard::nameless_processes(process_list({{4, L"System"}}), 0x30), 0);
}

TEST(WineTableGuard, AListThatRunsPastItsEndIsNotTakenForOne) {
    auto list = process_list({{0x20, L"a.exe"}, {0x24, L""}});
    list.resize(process_list({{0x20, L"a.exe"}}).size() + 16);  // the second entry cut short
    EXPECT_FALSE(wine_table_guard::nameless_processes(list, 1).has_value());
    EXPECT_FALSE(wine_table_guard::nameless_processes({}, 1).has_value());
}

TEST(WineTableGuard, WaitsWhileAProcessIsStartingAndThenLetsTheTableBeRead) {
    g_script = Script{};
    g_script.nameless_reads = 4;
    auto t0 = std::chrono::steady_clock::now();
    auto busy = wine_table_guard::wait_for_startups(&fake_query, 5s);
    EXPECT_FALSE(busy.has_value()) << busy->to_string();
    EXPECT_EQ(g_script.full_reads, 5) << "four reads showed the starting process; the fifth not";
    EXPECT_GE(std::chrono::steady_clock::now() - t0, 15ms) << "it waited between the reads";
    EXPECT_EQ(g_script.sizings, 2 * g_script.full_reads - g_script.nameless_reads)
        << "each clear read is bracketed by two sizings, each busy one preceded by one";
}

TEST(WineTableGuard, AProcessStartingBetweenTheSizingsMakesItLookAgain) {
    g_script = Script{};
    g_script.size_changes = 3;  // the list grows at the first three sizing calls
    auto busy = wine_table_guard::wait_for_startups(&fake_query, 5s);
    EXPECT_FALSE(busy.has_value()) << busy->to_string();
    EXPECT_GE(g_script.full_reads, 2) << "a list that changed under the read is read again";
    EXPECT_EQ(g_script.size_changes, 0);
}

TEST(WineTableGuard, ProcessesThatKeepStartingGiveBusyNamingWinesCrash) {
    g_script = Script{};
    g_script.nameless_reads = 1 << 30;
    auto t0 = std::chrono::steady_clock::now();
    auto busy = wine_table_guard::wait_for_startups(&fake_query, 60ms);
    const auto waited = std::chrono::steady_clock::now() - t0;
    ASSERT_TRUE(busy.has_value());
    EXPECT_EQ(busy->code, ErrorCode::Busy);
    EXPECT_NE(busy->message.find("wineserver crashes"), std::string::npos) << busy->message;
    EXPECT_NE(busy->message.find("Next:"), std::string::npos) << busy->message;
    EXPECT_GE(waited, 60ms);
    EXPECT_LT(waited, 2s) << "the bound ends the wait";
}

TEST(WineTableGuard, TheRealProcessListIsReadAndNothingIsStartingNow) {
    auto query = reinterpret_cast<LONG(NTAPI*)(int, PVOID, ULONG, ULONG*)>(reinterpret_cast<void*>(
        ::GetProcAddress(::GetModuleHandleW(L"ntdll.dll"), "NtQuerySystemInformation")));
    ASSERT_NE(query, nullptr);
    EXPECT_GT(wine_table_guard::process_list_size(query), sizeof(SYSTEM_PROCESS_INFORMATION));
    // This test runs alone under Wine (no test process starts meanwhile), so the guard lets the
    // table be read at once.
    auto t0 = std::chrono::steady_clock::now();
    auto busy = wine_table_guard::wait_for_startups(query, 2s);
    EXPECT_FALSE(busy.has_value()) << busy->to_string();
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 1s);
}

}  // namespace
