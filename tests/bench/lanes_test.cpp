// Lanes (core/src/bench/lanes.hpp): the benchmark's reused threads. The raw loop and the engine
// run on them so that both sides of a ratio run on the same OS threads; these tests prove the
// reuse, that a lane keeps no pinning from one job to the next, that a busy lane never makes a
// job wait, and that stop requests reach the job.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <thread>

#include <gtest/gtest.h>

#include "bench/bench_platform.hpp"
#include "bench/lanes.hpp"

#ifdef _WIN32
#include <windows.h>
#else
#include <pthread.h>
#include <sched.h>
#endif

using namespace pipescope::core;
using namespace std::chrono_literals;

namespace {

// How many CPUs the calling thread may run on.
int allowed_cpus() {
#ifdef _WIN32
    // No getter for a thread's mask: set one and read the old one back, then put it back.
    DWORD_PTR process = 0, system = 0;
    GetProcessAffinityMask(GetCurrentProcess(), &process, &system);
    const DWORD_PTR old = SetThreadAffinityMask(GetCurrentThread(), process);
    SetThreadAffinityMask(GetCurrentThread(), old);
    int n = 0;
    for (DWORD_PTR m = old; m; m &= m - 1) ++n;
    return n;
#else
    cpu_set_t set;
    CPU_ZERO(&set);
    pthread_getaffinity_np(pthread_self(), sizeof set, &set);
    return CPU_COUNT(&set);
#endif
}

}  // namespace

TEST(Lanes, OneLaneRunsEveryJobOnTheSameThread) {
    std::thread::id first, second;
    {
        bench::LaneThread a(bench::LaneSide::Engine, 1,
                            [&](std::stop_token) { first = std::this_thread::get_id(); });
        a.join();
    }
    bench::LaneThread b(bench::LaneSide::Engine, 1,
                        [&](std::stop_token) { second = std::this_thread::get_id(); });
    b.join();
    EXPECT_EQ(first, second);
    EXPECT_NE(first, std::this_thread::get_id());
}

TEST(Lanes, TheTwoSidesAreDifferentThreads) {
    std::thread::id engine, peer;
    bench::LaneThread a(bench::LaneSide::Engine, 1,
                        [&](std::stop_token) { engine = std::this_thread::get_id(); });
    bench::LaneThread b(bench::LaneSide::Peer, 1,
                        [&](std::stop_token) { peer = std::this_thread::get_id(); });
    a.join();
    b.join();
    EXPECT_NE(engine, peer);
}

TEST(Lanes, AJobThatPinsItsLaneLeavesTheNextJobUnpinned) {
    const int before = allowed_cpus();
    if (before < 2) GTEST_SKIP() << "this process may use one CPU only, so pinning changes nothing";
    int pinned = 0, next = 0;
    bench::LaneThread a(bench::LaneSide::Peer, 2, [&](std::stop_token) {
        ASSERT_TRUE(benchplat::pin_current_thread(0));
        pinned = allowed_cpus();
    });
    a.join();
    bench::LaneThread b(bench::LaneSide::Peer, 2, [&](std::stop_token) { next = allowed_cpus(); });
    b.join();
    EXPECT_EQ(pinned, 1);
    EXPECT_EQ(next, before);
}

TEST(Lanes, ABusyLaneGivesTheNextJobAThreadOfItsOwn) {
    std::atomic<bool> release{false}, second_ran{false}, first_done{false};
    std::thread::id first, second;
    bench::LaneThread a(bench::LaneSide::Engine, 2, [&](std::stop_token) {
        first = std::this_thread::get_id();
        const auto until = std::chrono::steady_clock::now() + 10s;
        while (!release && std::chrono::steady_clock::now() < until)
            std::this_thread::sleep_for(1ms);
        first_done = true;
    });
    // Runs while the lane is still busy: it must not wait for the first job.
    bench::LaneThread b(bench::LaneSide::Engine, 2, [&](std::stop_token) {
        second = std::this_thread::get_id();
        second_ran = true;
    });
    b.join();
    EXPECT_TRUE(second_ran);
    EXPECT_FALSE(first_done);  // b finished while a still held the lane
    release = true;
    a.join();
    EXPECT_NE(first, second);
}

TEST(Lanes, DestroyingAJobAsksItToStopAndWaits) {
    std::atomic<bool> saw_stop{false};
    {
        bench::LaneThread a(bench::LaneSide::Peer, 3, [&](std::stop_token stop) {
            const auto until = std::chrono::steady_clock::now() + 10s;
            while (!stop.stop_requested() && std::chrono::steady_clock::now() < until)
                std::this_thread::sleep_for(1ms);
            saw_stop = stop.stop_requested();
        });
    }
    EXPECT_TRUE(saw_stop);
}

TEST(Lanes, AnIndexPastTheLanesStillRunsTheJob) {
    bool ran = false;
    bench::LaneThread a(bench::LaneSide::Engine, 1000, [&](std::stop_token) { ran = true; });
    a.join();
    EXPECT_TRUE(ran);
}
