// catalog_perf: how long parsing, normalizing and diffing 10,000 catalog entries take, and one
// real listing of this system. Goal: listing and diffing 10,000 entries under 50 ms.
//   catalog_perf [--entries N] [--rounds R]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "pipescope/catalog.hpp"

using namespace pipescope::core;
using Clock = std::chrono::steady_clock;

namespace {

double ms_since(Clock::time_point t0) {
    return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

std::vector<std::byte> nt_buffer(int n) {
    std::vector<std::byte> b;
    for (int i = 0; i < n; ++i) {
        std::string name = "perf\\pipe-" + std::to_string(i);
        std::size_t used = 64 + name.size() * 2, step = (used + 7) & ~std::size_t{7};
        std::size_t at = b.size();
        b.resize(at + step);
        auto put32 = [&](std::size_t o, std::uint32_t v) {
            for (int k = 0; k < 4; ++k) b[at + o + k] = static_cast<std::byte>(v >> (8 * k));
        };
        put32(0, i + 1 == n ? 0 : static_cast<std::uint32_t>(step));
        put32(40, 1);
        put32(48, 0xFFFFFFFF);
        put32(52, 0xFFFFFFFF);
        put32(60, static_cast<std::uint32_t>(name.size() * 2));
        for (std::size_t k = 0; k < name.size(); ++k)
            b[at + 64 + 2 * k] = static_cast<std::byte>(name[k]);
    }
    return b;
}

}  // namespace

int main(int argc, char** argv) {
    int n = 10000, rounds = 5;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!std::strcmp(argv[i], "--entries")) n = std::atoi(argv[i + 1]);
        if (!std::strcmp(argv[i], "--rounds")) rounds = std::atoi(argv[i + 1]);
    }
    n = std::max(n, 1);
    rounds = std::max(rounds, 1);

    std::string text = "Num       RefCount Protocol Flags    Type St Inode Path\n";
    for (int i = 0; i < n; ++i)
        text += "0000000000000000: 00000002 00000000 00010000 0001 01 " +
                std::to_string(100000 + i) + " /run/perf/s" + std::to_string(i) + ".sock\n";
    auto buf = nt_buffer(n);

    double best_unix = 1e9, best_nt = 1e9, best_norm = 1e9, best_diff = 1e9;
    std::size_t changed = 0;
    for (int r = 0; r < rounds; ++r) {
        auto t0 = Clock::now();
        auto recs = parse_proc_net_unix(text);
        std::vector<InodeHolders> holders;
        for (const auto& rec : recs) holders.push_back({rec.inode, {{1234, "perf"}}});
        auto entries = unix_entries_from_records(recs, holders);
        best_unix = std::min(best_unix, ms_since(t0));

        t0 = Clock::now();
        NtDirectoryParser p;
        if (!p.feed(buf).ok()) return 1;
        auto nt = p.take();
        best_nt = std::min(best_nt, ms_since(t0));

        Snapshot a, b;
        for (auto& e : nt) {
            PipeEntry pe;
            pe.name = e.name;
            pe.current_instances = e.current_instances;
            pe.max_instances = e.max_instances;
            a.entries.push_back(pe);
        }
        b.entries = a.entries;
        for (std::size_t i = 0; i < b.entries.size(); i += 100)
            *b.entries[i].current_instances += 1;  // 1% changed
        t0 = Clock::now();
        normalize(a);
        normalize(b);
        best_norm = std::min(best_norm, ms_since(t0) / 2);
        t0 = Clock::now();
        auto d = diff(a, b);
        carry_times(&a, b);
        best_diff = std::min(best_diff, ms_since(t0));
        changed = d.changed.size();
        (void)entries;
    }
    std::printf("parse /proc/net/unix of %d lines + entries: %.3f ms\n", n, best_unix);
    std::printf("parse NT directory buffer of %d entries: %.3f ms\n", n, best_nt);
    std::printf("normalize (sort + merge) of %d entries: %.3f ms\n", n, best_norm);
    std::printf("diff of %d entries (%zu changed) + carry times: %.3f ms\n", n, changed, best_diff);
    std::printf("total parse + normalize + diff: %.3f ms (goal < 50 ms)\n",
                std::max(best_unix, best_nt) + best_norm + best_diff);
    auto t0 = Clock::now();
    auto real = list_pipes({});
    if (real)
        std::printf("list_pipes on this system: %.3f ms, %zu entries\n", ms_since(t0),
                    real->entries.size());
    else
        std::printf("list_pipes on this system failed: %s\n", real.error().to_string().c_str());
    return 0;
}
