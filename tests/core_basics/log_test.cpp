#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <spdlog/logger.h>

#include "pipescope/log.hpp"

using namespace pipescope::core;

namespace {

std::filesystem::path temp_file(const std::string& name) {
    auto dir = std::filesystem::temp_directory_path() / "pipescope-tests";
    std::filesystem::create_directories(dir);
    return dir / name;
}

TEST(Log, NamedLoggersHaveTheirNames) {
    EXPECT_EQ(log::catalog()->name(), "core.catalog");
    EXPECT_EQ(log::session()->name(), "core.session");
    EXPECT_EQ(log::bench()->name(), "core.bench");
    EXPECT_EQ(log::app()->name(), "app");
    EXPECT_EQ(log::get("core.catalog"), log::catalog());
}

TEST(Log, RingReceivesRecordsWithLoggerAndLevel) {
    ASSERT_TRUE(log::init({}).ok());
    auto before = log::ring().last_seq();
    log::session()->warn("connect {} failed: {}", "\\\\.\\pipe\\x", 231);
    auto records = log::ring().since(before);
    ASSERT_EQ(records.size(), 1u);
    EXPECT_EQ(records[0].logger, "core.session");
    EXPECT_EQ(records[0].level, log::Level::Warn);
    EXPECT_EQ(records[0].text, "connect \\\\.\\pipe\\x failed: 231");
    EXPECT_GT(records[0].unix_ms, 0);
}

TEST(Log, LevelFiltersRecords) {
    log::Options options;
    options.level = log::Level::Error;
    ASSERT_TRUE(log::init(options).ok());
    auto before = log::ring().last_seq();
    log::bench()->info("hidden");
    log::bench()->error("shown");
    auto records = log::ring().since(before);
    ASSERT_EQ(records.size(), 1u);
    EXPECT_EQ(records[0].text, "shown");
    ASSERT_TRUE(log::init({}).ok());
}

TEST(Log, RingDropsTheOldest) {
    log::Ring ring(3);
    for (int i = 0; i < 5; ++i) ring.push({0, 0, log::Level::Info, "t", std::to_string(i)});
    auto all = ring.since(0);
    ASSERT_EQ(all.size(), 3u);
    EXPECT_EQ(all.front().text, "2");
    EXPECT_EQ(all.back().text, "4");
    EXPECT_EQ(all.back().seq, 5u);
    EXPECT_EQ(ring.since(4).size(), 1u);
}

TEST(Log, RingIsSafeAcrossThreads) {
    log::Ring ring(100000);
    std::thread a([&] {
        for (int i = 0; i < 5000; ++i) ring.push({0, 0, log::Level::Info, "a", ""});
    });
    std::thread b([&] {
        for (int i = 0; i < 5000; ++i) ring.push({0, 0, log::Level::Info, "b", ""});
    });
    a.join();
    b.join();
    auto all = ring.since(0);
    ASSERT_EQ(all.size(), 10000u);
    for (std::size_t i = 1; i < all.size(); ++i) ASSERT_EQ(all[i].seq, all[i - 1].seq + 1);
}

TEST(Log, FileSinkWritesTheLine) {
    auto path = temp_file("log-test.log");
    std::filesystem::remove(path);
    log::Options options;
    options.file_path = path.string();
    ASSERT_TRUE(log::init(options).ok());
    log::catalog()->info("listed {} pipes", 42);
    log::flush();
    ASSERT_TRUE(log::init({}).ok());  // closes the file
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    EXPECT_NE(text.str().find("listed 42 pipes"), std::string::npos) << text.str();
    EXPECT_NE(text.str().find("core.catalog"), std::string::npos) << text.str();
}

TEST(Log, BadFilePathIsAClearError) {
    log::Options options;
    options.file_path = (temp_file("no-such-dir") / "x" / "log.txt").string();
    std::filesystem::remove_all(temp_file("no-such-dir"));
    // spdlog creates missing folders; a file where a folder must be cannot be created.
    std::ofstream(temp_file("no-such-dir")) << "a file, not a folder";
    auto st = log::init(options);
    ASSERT_FALSE(st.ok());
    EXPECT_NE(st.error().message.find("Next:"), std::string::npos) << st.error().to_string();
    std::filesystem::remove(temp_file("no-such-dir"));
    ASSERT_TRUE(log::init({}).ok());
}

}  // namespace
