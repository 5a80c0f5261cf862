#include "pipescope/snapshot_publisher.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace {

using pipescope::core::SnapshotPublisher;

TEST(SnapshotPublisher, LoadsWhatWasLastPublished) {
    SnapshotPublisher<std::string> pub;
    EXPECT_EQ(pub.load(), nullptr);
    pub.publish(std::make_shared<const std::string>("one"));
    pub.publish(std::make_shared<const std::string>("two"));
    ASSERT_NE(pub.load(), nullptr);
    EXPECT_EQ(*pub.load(), "two");
}

TEST(SnapshotPublisher, AReaderKeepsItsSnapshotAfterANewerOneIsPublished) {
    SnapshotPublisher<std::string> pub(std::make_shared<const std::string>("first"));
    auto held = pub.load();
    pub.publish(std::make_shared<const std::string>("second"));
    EXPECT_EQ(*held, "first");
    EXPECT_EQ(held.use_count(), 1) << "the publisher let go of the replaced snapshot";
    EXPECT_EQ(*pub.load(), "second");
}

// Readers on other threads only ever see whole snapshots, each a version at least as new as
// the last one they saw.
TEST(SnapshotPublisher, ConcurrentReadersSeeWholeSnapshotsInOrder) {
    struct Snap {
        int version;
        std::vector<int> items;  // version copies of version
    };
    SnapshotPublisher<Snap> pub(std::make_shared<const Snap>(Snap{0, {}}));
    std::atomic<bool> done{false};
    std::atomic<int> bad{0};
    std::vector<std::thread> readers;
    for (int r = 0; r < 2; ++r) {
        readers.emplace_back([&] {
            int last = 0;
            while (!done.load()) {
                auto s = pub.load();
                if (s->version < last || static_cast<int>(s->items.size()) != s->version) ++bad;
                for (int v : s->items) bad += v != s->version;
                last = s->version;
            }
        });
    }
    for (int v = 1; v <= 500; ++v) {
        pub.publish(std::make_shared<const Snap>(
            Snap{v, std::vector<int>(static_cast<std::size_t>(v), v)}));
    }
    done = true;
    for (auto& t : readers) t.join();
    EXPECT_EQ(bad.load(), 0);
    EXPECT_EQ(pub.load()->version, 500);
}

}  // namespace
