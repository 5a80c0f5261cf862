// Lanes (lanes.hpp): a few process-wide threads that wait for one job at a time.
#include "bench/lanes.hpp"

#include <array>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <utility>
#include <vector>

#include "bench/bench_platform.hpp"

namespace pipescope::core::bench {

struct Lane {
    std::mutex mutex;
    std::condition_variable cv;
    bool busy = false;          // owned by a LaneThread, from its start to its join
    bool done = false;          // the owner's job returned
    std::function<void()> job;  // set by the owner, taken by the lane's thread

    void serve() {
        const auto home = benchplat::current_affinity();
        for (;;) {
            std::function<void()> j;
            {
                std::unique_lock lock(mutex);
                cv.wait(lock, [&] { return job != nullptr; });
                j = std::move(job);
                job = nullptr;
            }
            benchplat::restore_affinity(home);
            j();
            j = nullptr;  // the job's captures go before its owner hears it is done
            std::lock_guard lock(mutex);
            done = true;
            cv.notify_all();
        }
    }
};

namespace {

constexpr int kLanesPerSide = 4;

// Created on first use and never destroyed: their threads wait for jobs until the process ends
// (a job is always joined by its LaneThread, so none runs then).
Lane* lane_at(LaneSide side, int index) {
    if (index < 0 || index >= kLanesPerSide) return nullptr;
    static std::mutex m;
    static std::array<Lane*, 2 * kLanesPerSide> lanes{};
    std::lock_guard lock(m);
    Lane*& l =
        lanes[static_cast<std::size_t>((side == LaneSide::Engine ? 0 : kLanesPerSide) + index)];
    if (l == nullptr) {
        auto* fresh = new Lane;
        std::thread(&Lane::serve, fresh).detach();
        l = fresh;
    }
    return l;
}

}  // namespace

LaneThread::LaneThread(LaneSide side, int index, std::function<void(std::stop_token)> job) {
    if (Lane* l = lane_at(side, index)) {
        std::lock_guard lock(l->mutex);
        if (!l->busy) {
            l->busy = true;
            l->done = false;
            l->job = [job = std::move(job), token = stop_.get_token()] { job(token); };
            l->cv.notify_all();
            lane_ = l;
            return;
        }
    }
    own_ = std::jthread([job = std::move(job), token = stop_.get_token()] { job(token); });
}

LaneThread::LaneThread(LaneThread&& o) noexcept
    : lane_(std::exchange(o.lane_, nullptr)), own_(std::move(o.own_)), stop_(std::move(o.stop_)) {}

LaneThread::~LaneThread() {
    if (!joinable()) return;
    request_stop();
    join();
}

void LaneThread::join() {
    if (own_.joinable()) own_.join();
    if (lane_ == nullptr) return;
    std::unique_lock lock(lane_->mutex);
    lane_->cv.wait(lock, [&] { return lane_->done; });
    lane_->busy = false;
    lane_ = nullptr;
}

}  // namespace pipescope::core::bench
