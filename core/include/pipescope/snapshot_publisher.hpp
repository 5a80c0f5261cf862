// SnapshotPublisher<T>: the one way a worker hands immutable state to readers. The worker builds
// a new T, publishes it as a std::shared_ptr<const T>; a reader (the UI, once per frame) loads
// the latest and keeps it as long as it likes, with no lock held while it reads.
// Threads: publish() and load() from any thread. Each holds a short lock only to copy or swap
// a shared_ptr (microseconds); the snapshot replaced by publish() is released after the lock.
// Never call either while holding a lock that a reader might wait for inside load(): the
// publisher's lock is a leaf and takes no other lock.
#pragma once

#include <memory>
#include <mutex>
#include <utility>

namespace pipescope::core {

template <class T>
class SnapshotPublisher {
  public:
    SnapshotPublisher() = default;
    explicit SnapshotPublisher(std::shared_ptr<const T> initial) : current_(std::move(initial)) {}
    SnapshotPublisher(const SnapshotPublisher&) = delete;
    SnapshotPublisher& operator=(const SnapshotPublisher&) = delete;

    // Makes `next` the latest snapshot. The previous one is released outside the lock, so a
    // large snapshot's destruction never delays a reader.
    void publish(std::shared_ptr<const T> next) {
        {
            std::lock_guard lock(mutex_);
            current_.swap(next);
        }
        // `next` now holds the previous snapshot; it is released here, unlocked.
    }

    // The latest published snapshot (whatever the constructor set before the first publish).
    [[nodiscard]] std::shared_ptr<const T> load() const {
        std::lock_guard lock(mutex_);
        return current_;
    }

  private:
    mutable std::mutex mutex_;
    std::shared_ptr<const T> current_;
};

}  // namespace pipescope::core
