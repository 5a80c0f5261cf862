// Lanes: the benchmark's threads, kept for the process's life and reused run after run, so the
// raw baseline loop and the engine run on the very same OS threads.
//
// Why: on the 2-core VM this was measured on, the round trip of two threads pinned to one CPU
// depends on the pair of threads, not on the code they run: a plain C socketpair ping-pong was
// 3.5 us on one pair and 5.4 us on the next (the same socket, the same code, a new pair of
// threads), and stable within 1-2% for as long as one pair lived. A raw loop on one pair and
// the engine on another therefore compared the threads' luck as much as the engine's cost.
// On the same lanes they share it: engine lane k runs the engine's driver of connection k and
// the raw loop's engine side; peer lane k the in-process responder of connection k and the raw
// loop's echo side.
//
// A lane that is busy (two runs at once in one process) is not waited for: the job gets a
// thread of its own, as before lanes. Internal to core.
#pragma once

#include <functional>
#include <stop_token>
#include <thread>

namespace pipescope::core::bench {

enum class LaneSide { Engine, Peer };

struct Lane;

// Runs one job on lane (side, index), or on a new thread when that lane is busy or the index is
// past the lanes kept. Like std::jthread: the job gets a stop token, and the destructor asks it
// to stop and waits for it. A job restores the lane's own CPU affinity before it starts, so a
// job that pinned its lane never pins the next.
class LaneThread {
  public:
    LaneThread(LaneSide side, int index, std::function<void(std::stop_token)> job);
    LaneThread(LaneThread&& o) noexcept;
    LaneThread& operator=(LaneThread&&) = delete;
    LaneThread(const LaneThread&) = delete;
    LaneThread& operator=(const LaneThread&) = delete;
    ~LaneThread();

    void request_stop() noexcept { stop_.request_stop(); }
    // Waits until the job returned. Once; the owner's thread.
    void join();
    [[nodiscard]] bool joinable() const noexcept { return lane_ != nullptr || own_.joinable(); }

  private:
    Lane* lane_ = nullptr;  // the lane running the job, until joined
    std::jthread own_;      // or a thread of the job's own
    std::stop_source stop_;
};

}  // namespace pipescope::core::bench
