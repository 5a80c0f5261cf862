// Portable catalog tests: the NT directory parser on buffers built here, the /proc/net/unix
// parser on text built here, normalize / diff / first-seen times, and the PipeCatalog service
// with a fake lister. They run natively and under Wine alike.
#include <atomic>
#include <condition_variable>
#include <cstring>
#include <map>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>

#include "pipescope/catalog.hpp"
#include "pipescope/catalog_export.hpp"

using namespace pipescope::core;
using namespace std::chrono_literals;

namespace {

struct Rec {
    std::u16string name;
    std::int64_t eof;
    std::int64_t alloc;
};

void put_u32(std::vector<std::byte>& b, std::size_t at, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) b[at + i] = static_cast<std::byte>((v >> (8 * i)) & 0xFF);
}
void put_i64(std::vector<std::byte>& b, std::size_t at, std::int64_t v) {
    auto u = static_cast<std::uint64_t>(v);
    for (int i = 0; i < 8; ++i) b[at + i] = static_cast<std::byte>((u >> (8 * i)) & 0xFF);
}

// One NtQueryDirectoryFile answer: FILE_DIRECTORY_INFORMATION records chained by
// NextEntryOffset (8-byte aligned), the last with 0.
std::vector<std::byte> dir_buffer(const std::vector<Rec>& recs) {
    std::vector<std::byte> b;
    for (std::size_t i = 0; i < recs.size(); ++i) {
        std::size_t start = b.size();
        std::size_t used = 64 + recs[i].name.size() * 2;
        std::size_t step = (used + 7) & ~std::size_t{7};
        bool last = i + 1 == recs.size();
        b.resize(start + (last ? used : step), std::byte{0xCD});  // padding is garbage on purpose
        put_u32(b, start, last ? 0u : static_cast<std::uint32_t>(step));
        put_u32(b, start + 4, static_cast<std::uint32_t>(i));
        for (int t = 0; t < 4; ++t) put_i64(b, start + 8 + 8 * t, 0x01D0000000000000LL);
        put_i64(b, start + 40, recs[i].eof);
        put_i64(b, start + 48, recs[i].alloc);
        put_u32(b, start + 56, 0x80);  // FILE_ATTRIBUTE_NORMAL
        put_u32(b, start + 60, static_cast<std::uint32_t>(recs[i].name.size() * 2));
        for (std::size_t k = 0; k < recs[i].name.size(); ++k) {
            b[start + 64 + 2 * k] = static_cast<std::byte>(recs[i].name[k] & 0xFF);
            b[start + 64 + 2 * k + 1] = static_cast<std::byte>(recs[i].name[k] >> 8);
        }
    }
    return b;
}

const std::vector<Rec> kOddRecords = {
    {u"InitShutdown", 3, 3},
    {u"mojo.1234.5678\\sub\\name", 1, -1},          // backslashes in the name
    {u"caf\u00e9-\u7ba1\u9053-\U0001F600", 2, 10},  // Latin-1, CJK and a surrogate pair
    {u"unlimited32", 0, 0xFFFFFFFFLL},              // unlimited reported in 32 bits
    {u"", 0, 1},                                    // an empty name still parses
};

TEST(NtDirectoryParser, ParsesSeveralEntriesWithOddNames) {
    auto buf = dir_buffer(kOddRecords);
    NtDirectoryParser p;
    ASSERT_TRUE(p.feed(buf).ok());
    auto got = p.take();
    ASSERT_EQ(got.size(), 5u);
    EXPECT_EQ(got[0].name, "InitShutdown");
    EXPECT_EQ(got[0].current_instances, 3);
    EXPECT_EQ(got[0].max_instances, 3);
    EXPECT_EQ(got[1].name, "mojo.1234.5678\\sub\\name");
    EXPECT_EQ(got[1].max_instances, -1) << "AllocationSize all ones means unlimited";
    EXPECT_EQ(got[2].name, "caf\xC3\xA9-\xE7\xAE\xA1\xE9\x81\x93-\xF0\x9F\x98\x80");
    EXPECT_EQ(got[2].current_instances, 2);
    EXPECT_EQ(got[2].max_instances, 10);
    EXPECT_EQ(got[3].max_instances, -1);
    EXPECT_EQ(got[4].name, "");
    EXPECT_EQ(p.pending_bytes(), 0u);
}

TEST(NtDirectoryParser, JoinsAnEntrySplitAcrossTwoCallsAtEveryOffset) {
    auto buf = dir_buffer(kOddRecords);
    NtDirectoryParser whole;
    ASSERT_TRUE(whole.feed(buf).ok());
    auto expected = whole.take();
    for (std::size_t cut = 1; cut < buf.size(); ++cut) {
        NtDirectoryParser p;
        ASSERT_TRUE(p.feed(std::span(buf).first(cut)).ok()) << cut;
        auto first = p.take();
        ASSERT_TRUE(p.feed(std::span(buf).subspan(cut)).ok()) << cut;
        auto second = p.take();
        first.insert(first.end(), second.begin(), second.end());
        ASSERT_EQ(first.size(), expected.size()) << "cut at " << cut;
        for (std::size_t i = 0; i < first.size(); ++i) {
            EXPECT_EQ(first[i].name, expected[i].name) << cut;
            EXPECT_EQ(first[i].max_instances, expected[i].max_instances) << cut;
        }
        EXPECT_EQ(p.pending_bytes(), 0u);
    }
}

TEST(NtDirectoryParser, KeepsAPartialRecordUntilTheRestArrives) {
    auto buf = dir_buffer({{u"only", 1, 1}});
    NtDirectoryParser p;
    ASSERT_TRUE(p.feed(std::span(buf).first(70)).ok());
    EXPECT_TRUE(p.take().empty());
    EXPECT_EQ(p.pending_bytes(), 70u);
}

TEST(NtDirectoryParser, ListingOverTwoCallsAddsUp) {
    auto a = dir_buffer({{u"a", 1, 1}, {u"b", 2, 2}});
    auto b = dir_buffer({{u"c", 3, -1}});
    NtDirectoryParser p;
    ASSERT_TRUE(p.feed(a).ok());
    ASSERT_TRUE(p.feed(b).ok());
    auto got = p.take();
    ASSERT_EQ(got.size(), 3u);
    EXPECT_EQ(got[2].name, "c");
    EXPECT_EQ(got[2].max_instances, -1);
}

TEST(NtDirectoryParser, RejectsMalformedRecords) {
    auto buf = dir_buffer({{u"abc", 1, 1}, {u"d", 1, 1}});
    put_u32(buf, 0, 16);  // next offset inside the record itself
    NtDirectoryParser p;
    auto s = p.feed(buf);
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().api, "NtQueryDirectoryFile");

    auto odd = dir_buffer({{u"abc", 1, 1}});
    put_u32(odd, 60, 5);  // odd name length
    NtDirectoryParser q;
    EXPECT_FALSE(q.feed(odd).ok());
}

const char* kProcNetUnix =
    "Num       RefCount Protocol Flags    Type St Inode Path\n"
    "0000000000000000: 00000002 00000000 00010000 0001 01 1001 /run/app.sock\n"
    "0000000000000000: 00000003 00000000 00000000 0001 03 1002 /run/app.sock\n"
    "0000000000000000: 00000003 00000000 00000000 0001 03 1003 /run/app.sock\n"
    "0000000000000000: 00000003 00000000 00000000 0001 03 1004\n"
    "0000000000000000: 00000002 00000000 00010000 0005 01 2001 @abstract-seq\n"
    "0000000000000000: 00000002 00000000 00000000 0002 01 3001 /run/with space.sock\n"
    "garbage line that is not a record\n"
    "0000000000000000: 00000002 00000000 00010000 0001 01 4001 /tmp/no-holder.sock\r\n";

TEST(ProcNetUnix, ParsesRecordsAndCountsBadLines) {
    std::size_t skipped = 0;
    auto recs = parse_proc_net_unix(kProcNetUnix, &skipped);
    EXPECT_EQ(skipped, 1u);
    ASSERT_EQ(recs.size(), 7u);
    EXPECT_EQ(recs[0].inode, 1001u);
    EXPECT_EQ(recs[0].flags, 0x10000u);
    EXPECT_EQ(recs[0].type, 1);
    EXPECT_EQ(recs[0].path, "/run/app.sock");
    EXPECT_EQ(recs[3].path, "");
    EXPECT_EQ(recs[4].type, 5);
    EXPECT_EQ(recs[4].path, "@abstract-seq");
    EXPECT_EQ(recs[5].path, "/run/with space.sock");
    EXPECT_EQ(recs[5].type, 2);
    EXPECT_EQ(recs[6].path, "/tmp/no-holder.sock");
}

TEST(ProcNetUnix, EntriesCountConnectionsAndOwners) {
    auto recs = parse_proc_net_unix(kProcNetUnix);
    std::vector<InodeHolders> holders = {{1001, {{100, "server"}}},
                                         {1002, {{100, "server"}}},
                                         {1003, {{101, "worker"}}},
                                         {2001, {{200, "seq"}}}};
    auto entries = unix_entries_from_records(recs, holders);
    ASSERT_EQ(entries.size(), 4u) << "the unnamed client socket is left out";
    const PipeEntry* app = nullptr;
    const PipeEntry* seq = nullptr;
    const PipeEntry* dgram = nullptr;
    for (const auto& e : entries) {
        if (e.name == "/run/app.sock") app = &e;
        if (e.name == "@abstract-seq") seq = &e;
        if (e.name == "/run/with space.sock") dgram = &e;
    }
    ASSERT_TRUE(app && seq && dgram);
    EXPECT_EQ(app->kind, PipeKind::UnixStream);
    EXPECT_EQ(app->socket_state, SocketState::Listening);
    EXPECT_EQ(app->connections, 2u);
    EXPECT_EQ(app->current_instances, 3);
    EXPECT_EQ(app->inode, 1001u);
    ASSERT_EQ(app->server_pids.size(), 2u);
    EXPECT_EQ(app->server_pids[0].pid, 100u);
    EXPECT_EQ(app->server_pids[1].pid, 101u);
    EXPECT_TRUE(app->has_source(CatalogSource::ProcNetUnix));
    EXPECT_TRUE(app->has_source(CatalogSource::ProcFd));
    EXPECT_EQ(seq->kind, PipeKind::UnixSeqpacket);
    EXPECT_EQ(seq->server_pids.at(0).name, "seq");
    EXPECT_EQ(dgram->kind, PipeKind::UnixDgram);
    EXPECT_EQ(dgram->socket_state, SocketState::Unconnected);
}

TEST(ProcNetUnix, ServerProcessesCountListenersByInode) {
    // /run/app.sock: one listener (1001) whose accepted connections (1002, 1003) are not
    // servers; /run/two.sock: a second listener bound after the first file was unlinked.
    std::string text = kProcNetUnix;
    text +=
        "0000000000000000: 00000002 00000000 00010000 0001 01 5001 /run/two.sock\n"
        "0000000000000000: 00000002 00000000 00010000 0001 01 5002 /run/two.sock\n";
    auto recs = parse_proc_net_unix(text);
    // The first listener is held by a parent and the child that inherited it: still one.
    std::vector<InodeHolders> holders = {
        {1001, {{100, "server"}, {150, "child"}}}, {5001, {{300, "old"}}}, {5002, {{300, "old"}}}};
    auto entries = unix_entries_from_records(recs, holders);
    std::map<std::string, std::uint32_t> got;
    for (const auto& e : entries) got[e.name] = e.server_processes;
    EXPECT_EQ(got.at("/run/app.sock"), 1u);
    EXPECT_EQ(got.at("/run/two.sock"), 2u);
    EXPECT_EQ(got.at("@abstract-seq"), 1u);
    EXPECT_EQ(got.at("/tmp/no-holder.sock"), 1u) << "a listener whose holders are hidden is one";
    EXPECT_EQ(got.at("/run/with space.sock"), 1u) << "a bound datagram socket serves its name";
}

PipeEntry entry(std::string name, std::optional<std::int64_t> cur,
                PipeKind kind = PipeKind::NamedPipe) {
    PipeEntry e;
    e.kind = kind;
    e.name = std::move(name);
    e.current_instances = cur;
    return e;
}

Snapshot snapshot(std::vector<PipeEntry> entries) {
    Snapshot s;
    s.entries = std::move(entries);
    s.taken_at = std::chrono::system_clock::now();
    normalize(s);
    return s;
}

TEST(SnapshotDiff, FindsAddedRemovedAndChanged) {
    auto before =
        snapshot({entry("a", 1), entry("b", 1), entry("c", 2), entry("x", 1, PipeKind::Fifo)});
    auto after = snapshot(
        {entry("b", 1), entry("c", 3), entry("d", 1), entry("x", 1, PipeKind::UnixStream)});
    auto d = diff(before, after);
    ASSERT_EQ(d.added.size(), 2u);
    EXPECT_EQ(d.added[0].key(), "named_pipe:d");
    EXPECT_EQ(d.added[1].key(), "unix_stream:x");
    ASSERT_EQ(d.removed.size(), 2u);
    EXPECT_EQ(d.removed[0].key(), "fifo:x");
    EXPECT_EQ(d.removed[1].key(), "named_pipe:a");
    ASSERT_EQ(d.changed.size(), 1u);
    EXPECT_EQ(d.changed[0].before.current_instances, 2);
    EXPECT_EQ(d.changed[0].after.current_instances, 3);
    EXPECT_TRUE(diff(after, after).empty());
}

TEST(SnapshotDiff, HolderChangesCount) {
    auto a = entry("p", 1);
    auto b = a;
    b.server_pids.push_back({42, "srv"});
    EXPECT_EQ(diff(snapshot({a}), snapshot({b})).changed.size(), 1u);
}

TEST(Snapshot, NormalizeMergesSourcesAndPrefersDirectoryCounts) {
    auto table = entry("p", 1);
    table.sources = static_cast<std::uint32_t>(CatalogSource::HandleTable);
    table.server_pids = {{7, "srv"}};
    table.other_pids = {{7, "srv"}, {9, ""}};
    auto dir = entry("p", 4);
    dir.max_instances = -1;
    dir.sources = static_cast<std::uint32_t>(CatalogSource::NtDirectory);
    auto s = snapshot({table, dir, entry("a", 1)});
    ASSERT_EQ(s.entries.size(), 2u);
    EXPECT_EQ(s.entries[0].name, "a");
    const PipeEntry* p = s.find("named_pipe:p");
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(p->current_instances, 4);
    EXPECT_EQ(p->max_instances, -1);
    EXPECT_EQ(sources_to_string(p->sources), "nt_directory+handle_table");
    ASSERT_EQ(p->other_pids.size(), 1u) << "a known server is not also listed as unknown";
    EXPECT_EQ(p->other_pids[0].pid, 9u);
    EXPECT_EQ(s.find("named_pipe:zzz"), nullptr);
}

TEST(Snapshot, NormalizeKeepsTheLargestServerProcessCount) {
    auto a = entry("p", 1);
    a.server_processes = 2;
    auto b = entry("p", 1);
    b.server_processes = 1;
    auto s = snapshot({b, a});
    ASSERT_EQ(s.entries.size(), 1u);
    EXPECT_EQ(s.entries[0].server_processes, 2u);
    auto c = s;
    c.entries[0].server_processes = 1;
    EXPECT_EQ(diff(s, c).changed.size(), 1u) << "a second server leaving is a change";
}

TEST(Snapshot, CarryTimesKeepsFirstSeen) {
    auto t1 = std::chrono::system_clock::time_point(std::chrono::seconds(1000));
    auto t2 = t1 + std::chrono::seconds(5);
    Snapshot a = snapshot({entry("a", 1), entry("b", 1)});
    a.taken_at = t1;
    carry_times(nullptr, a);
    Snapshot b = snapshot({entry("b", 1), entry("c", 1)});
    b.taken_at = t2;
    carry_times(&a, b);
    EXPECT_EQ(b.entries[0].first_seen, t1);
    EXPECT_EQ(b.entries[0].last_seen, t2);
    EXPECT_EQ(b.entries[1].first_seen, t2);
}

TEST(SavedList, JsonReadsBackEveryField) {
    PipeEntry pipe;
    pipe.kind = PipeKind::NamedPipe;
    pipe.name = "odd\\name with \"quotes\", commas";
    pipe.current_instances = 3;
    pipe.max_instances = -1;
    pipe.server_pids = {{612, "wininit.exe"}};
    pipe.client_pids = {{4200, "client.exe"}, {4201, ""}};
    pipe.other_pids = {{8, ""}};
    pipe.sources = static_cast<std::uint32_t>(CatalogSource::NtDirectory) |
                   static_cast<std::uint32_t>(CatalogSource::HandleTable);
    pipe.first_seen =
        std::chrono::system_clock::time_point(std::chrono::milliseconds(1'795'000'000'123));
    PipeEntry sock;
    sock.kind = PipeKind::UnixSeqpacket;
    sock.name = "@abstract";
    sock.socket_state = SocketState::Listening;
    sock.connections = 7;
    sock.inode = 123456789012ull;
    sock.sources = static_cast<std::uint32_t>(CatalogSource::ProcNetUnix);
    const std::vector<PipeEntry> in{pipe, sock};
    auto out = entries_from_json(entries_to_json(in));
    ASSERT_TRUE(out.ok()) << out.error().to_string();
    ASSERT_EQ(out->size(), 2u);
    const PipeEntry& p = (*out)[0];
    EXPECT_EQ(p.key(), pipe.key());
    EXPECT_EQ(p.current_instances, 3);
    EXPECT_EQ(p.max_instances, -1);
    EXPECT_EQ(p.server_pids, pipe.server_pids);
    EXPECT_EQ(p.client_pids, pipe.client_pids);
    EXPECT_EQ(p.other_pids, pipe.other_pids);
    EXPECT_EQ(p.sources, pipe.sources);
    EXPECT_EQ(p.first_seen, pipe.first_seen);
    const PipeEntry& s2 = (*out)[1];
    EXPECT_EQ(s2.key(), sock.key());
    EXPECT_FALSE(s2.current_instances.has_value());
    EXPECT_EQ(s2.socket_state, SocketState::Listening);
    EXPECT_EQ(s2.connections, 7u);
    EXPECT_EQ(s2.inode, 123456789012ull);
    // Compared with itself, a saved list has no differences; with one pipe gone, one is removed.
    Snapshot saved, now;
    saved.entries = *out;
    now.entries = {(*out)[1]};
    normalize(saved);
    normalize(now);
    auto d = diff(saved, now);
    ASSERT_EQ(d.removed.size(), 1u);
    EXPECT_EQ(d.removed[0].name, pipe.name);
    EXPECT_TRUE(d.added.empty() && d.changed.empty());
}

TEST(SavedList, BrokenFilesNameTheEntryAndTheField) {
    struct Case {
        const char* text;
        const char* words;
    };
    for (const Case& c :
         {Case{"not json", "not valid JSON"}, Case{"{}", "not a list"},
          Case{R"([{"kind":"fifo"}])", "entry 1 has no \"name\""},
          Case{R"([{"name":"a","kind":"fifo"},{"name":"b","kind":"socket"}])",
               "entry 2 has an unknown \"kind\""},
          Case{R"([{"name":"a","kind":"fifo","current_instances":1.5}])", "current_instances"},
          Case{R"([{"name":"a","kind":"fifo","current_instances":1e30}])", "current_instances"},
          Case{R"([{"name":"a","kind":"fifo","processes":[{"pid":-1,"end":"server"}]}])", "pid"},
          Case{R"([{"name":"a","kind":"fifo","processes":[{"pid":1,"end":"middle"}]}])", "end"},
          Case{R"([{"name":"a","kind":"fifo","source":"proc_fd+nowhere"}])", "nowhere"},
          Case{R"([{"name":"a","kind":"fifo","first_seen_unix_ms":1e300}])", "first_seen"}}) {
        auto r = entries_from_json(c.text, "saved.json");
        ASSERT_FALSE(r.ok()) << c.text;
        const std::string text = r.error().to_string();
        EXPECT_EQ(r.error().code, ErrorCode::InvalidArgument) << text;
        EXPECT_NE(text.find("entries_from_json saved.json"), std::string::npos) << text;
        EXPECT_NE(text.find(c.words), std::string::npos) << text;
        EXPECT_NE(text.find("Next:"), std::string::npos) << text;
    }
}

TEST(PipeCatalog, RefreshPublishesSnapshotsAndDiffs) {
    int round = 0;
    PipeCatalog cat([&]() -> Result<Snapshot> {
        ++round;
        if (round == 3) return make_error(ErrorCode::AccessDenied, "fake", "", "denied");
        return snapshot(round == 1 ? std::vector{entry("a", 1)}
                                   : std::vector{entry("a", 2), entry("b", 1)});
    });
    EXPECT_EQ(cat.latest(), nullptr);
    auto r1 = cat.refresh();
    ASSERT_TRUE(r1.ok());
    EXPECT_EQ(r1->diff.added.size(), 1u);
    auto first = cat.latest();
    ASSERT_NE(first, nullptr);
    auto r2 = cat.refresh();
    ASSERT_TRUE(r2.ok());
    EXPECT_EQ(r2->diff.added.size(), 1u);
    EXPECT_EQ(r2->diff.changed.size(), 1u);
    EXPECT_EQ(r2->snapshot->entries[0].first_seen, first->entries[0].first_seen);
    EXPECT_EQ(first->entries.size(), 1u) << "a published snapshot never changes";
    auto r3 = cat.refresh();
    ASSERT_FALSE(r3.ok());
    ASSERT_TRUE(cat.last_error().has_value());
    EXPECT_EQ(cat.latest(), r2->snapshot) << "a failed refresh keeps the last good snapshot";
}

TEST(PipeCatalog, WatcherRefreshesOnItsThreadAndStops) {
    std::atomic<int> lists{0};
    PipeCatalog cat([&]() -> Result<Snapshot> {
        int n = ++lists;
        std::vector<PipeEntry> v;
        for (int i = 0; i < n; ++i) {
            std::string nm(1, 'p');
            nm += std::to_string(i);  // not "p" + ...: GCC 12 -O3 warns falsely (-Wrestrict)
            v.push_back(entry(nm, 1));
        }
        return snapshot(v);
    });
    std::mutex m;
    std::condition_variable cv;
    int changes = 0;
    std::thread::id callback_thread;
    cat.start(10ms, [&](const std::shared_ptr<const Snapshot>&, const SnapshotDiff& d) {
        std::lock_guard lock(m);
        EXPECT_FALSE(d.added.empty());
        callback_thread = std::this_thread::get_id();
        ++changes;
        cv.notify_all();
    });
    EXPECT_TRUE(cat.running());
    {
        std::unique_lock lock(m);
        ASSERT_TRUE(cv.wait_for(lock, 5s, [&] { return changes >= 3; }));
        EXPECT_NE(callback_thread, std::this_thread::get_id());
    }
    cat.stop();
    EXPECT_FALSE(cat.running());
    int after_stop = lists.load();
    std::this_thread::sleep_for(50ms);
    EXPECT_EQ(lists.load(), after_stop) << "no refresh after stop()";
    ASSERT_NE(cat.latest(), nullptr);
    EXPECT_EQ(static_cast<int>(cat.latest()->entries.size()), after_stop);
}

TEST(PipeCatalog, StopIsPromptWithALongInterval) {
    PipeCatalog cat([]() -> Result<Snapshot> { return Snapshot{}; });
    cat.start(std::chrono::hours(1));
    std::this_thread::sleep_for(20ms);
    auto t0 = std::chrono::steady_clock::now();
    cat.stop();
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 3s);
}

TEST(PipeCatalog, RequestRefreshWakesAWatcherThatRefreshesOnlyOnRequest) {
    std::atomic<int> lists{0};
    PipeCatalog cat([&]() -> Result<Snapshot> {
        ++lists;
        return Snapshot{};
    });
    cat.request_refresh();  // no watcher: nothing happens, nothing blocks
    EXPECT_EQ(lists.load(), 0);
    cat.start(std::nullopt);
    auto wait_for = [&](int n) {
        for (auto end = std::chrono::steady_clock::now() + 5s;
             std::chrono::steady_clock::now() < end;) {
            if (lists.load() >= n) return true;
            std::this_thread::sleep_for(1ms);
        }
        return false;
    };
    ASSERT_TRUE(wait_for(1)) << "the first refresh runs at once";
    std::this_thread::sleep_for(50ms);
    EXPECT_EQ(lists.load(), 1) << "no interval: no refresh until asked";
    cat.request_refresh();
    ASSERT_TRUE(wait_for(2));
    std::this_thread::sleep_for(50ms);
    EXPECT_EQ(lists.load(), 2) << "one request, one refresh";
    cat.set_interval(5ms);
    ASSERT_TRUE(wait_for(5)) << "an interval set later takes effect";
    cat.set_interval(std::nullopt);
    std::this_thread::sleep_for(30ms);
    const int settled = lists.load();
    std::this_thread::sleep_for(50ms);
    EXPECT_EQ(lists.load(), settled) << "back to refreshing only on request";
    cat.stop();
}

TEST(PipeCatalog, RefreshingIsTrueWhileTheListerRuns) {
    std::mutex m;
    std::condition_variable cv;
    bool entered = false, release = false;
    PipeCatalog cat([&]() -> Result<Snapshot> {
        std::unique_lock lock(m);
        entered = true;
        cv.notify_all();
        cv.wait(lock, [&] { return release; });
        return Snapshot{};
    });
    EXPECT_FALSE(cat.refreshing());
    std::thread t([&] { (void)cat.refresh(); });
    {
        std::unique_lock lock(m);
        ASSERT_TRUE(cv.wait_for(lock, 5s, [&] { return entered; }));
    }
    EXPECT_TRUE(cat.refreshing());
    {
        std::lock_guard lock(m);
        release = true;
    }
    cv.notify_all();
    t.join();
    EXPECT_FALSE(cat.refreshing());
}

TEST(PipeCatalog, WatcherReportsTheFirstSuccessAfterAnError) {
    std::atomic<int> round{0};
    PipeCatalog cat([&]() -> Result<Snapshot> {
        if (++round == 2) return make_error(ErrorCode::AccessDenied, "fake", "", "denied");
        return snapshot({entry("a", 1)});  // the same list every time: no diff
    });
    std::mutex m;
    std::condition_variable cv;
    int changes = 0, errors = 0;
    cat.start(
        std::nullopt,
        [&](const std::shared_ptr<const Snapshot>&, const SnapshotDiff&) {
            std::lock_guard lock(m);
            ++changes;
            cv.notify_all();
        },
        [&](const Error&) {
            std::lock_guard lock(m);
            ++errors;
            cv.notify_all();
        });
    std::unique_lock lock(m);
    ASSERT_TRUE(cv.wait_for(lock, 5s, [&] { return changes == 1; }));
    lock.unlock();
    cat.request_refresh();
    lock.lock();
    ASSERT_TRUE(cv.wait_for(lock, 5s, [&] { return errors == 1; }));
    lock.unlock();
    cat.request_refresh();
    lock.lock();
    EXPECT_TRUE(cv.wait_for(lock, 5s, [&] { return changes == 2; }))
        << "the recovery is reported although the list did not change";
    lock.unlock();
    cat.request_refresh();
    std::this_thread::sleep_for(50ms);
    lock.lock();
    EXPECT_EQ(changes, 2) << "an unchanged list after a success is not reported";
    lock.unlock();
    cat.stop();
}

}  // namespace
