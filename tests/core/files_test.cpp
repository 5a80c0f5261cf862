#include <cstdlib>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "pipescope/files.hpp"

using namespace pipescope::core;
namespace fs = std::filesystem;

namespace {

fs::path fresh_dir(const std::string& name) {
    auto dir = fs::temp_directory_path() / "pipescope-tests" / name;
    fs::remove_all(dir);
    fs::create_directories(dir);
    return dir;
}

std::size_t files_in(const fs::path& dir) {
    std::size_t n = 0;
    for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir)) ++n;
    return n;
}

TEST(Files, WriteThenReadBack) {
    auto dir = fresh_dir("files-rw");
    auto path = dir / "report.json";
    ASSERT_TRUE(write_file_atomic(path, "{\"a\":1}").ok());
    auto back = read_file(path);
    ASSERT_TRUE(back.ok()) << back.error().to_string();
    EXPECT_EQ(*back, "{\"a\":1}");
    EXPECT_EQ(files_in(dir), 1u) << "the temporary file was left behind";
}

TEST(Files, ReplacesAnExistingFile) {
    auto dir = fresh_dir("files-replace");
    auto path = dir / "settings.json";
    ASSERT_TRUE(write_file_atomic(path, "old contents").ok());
    ASSERT_TRUE(write_file_atomic(path, "new").ok());
    EXPECT_EQ(*read_file(path), "new");
    EXPECT_EQ(files_in(dir), 1u);
}

TEST(Files, FailedSaveKeepsThePreviousFile) {
    auto dir = fresh_dir("files-fail");
    auto path = dir / "transcript.json";
    ASSERT_TRUE(write_file_atomic(path, "precious").ok());
    // A folder where the file should be renamed to cannot be replaced by a file.
    auto blocked = dir / "blocked";
    fs::create_directories(blocked / "child");
    auto st = write_file_atomic(blocked, "x");
    ASSERT_FALSE(st.ok());
    EXPECT_NE(st.error().message.find("unchanged"), std::string::npos) << st.error().to_string();
    EXPECT_EQ(*read_file(path), "precious");
    EXPECT_TRUE(fs::is_directory(blocked));
    EXPECT_EQ(files_in(dir), 2u) << "the temporary file was left behind";
}

TEST(Files, MissingFileNamesTheError) {
    auto r = read_file(fs::temp_directory_path() / "pipescope-no-such-file.json");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::NotFound);
}

TEST(Files, RefusesOversizedFiles) {
    auto dir = fresh_dir("files-big");
    ASSERT_TRUE(write_file_atomic(dir / "big", std::string(100, 'x')).ok());
    auto r = read_file(dir / "big", 10);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("100 bytes"), std::string::npos);
}

TEST(Files, ConfigDirHonoursTheOverride) {
#ifdef _WIN32
    _putenv_s("PIPESCOPE_CONFIG_DIR", "C:\\ps-config");
    EXPECT_EQ(config_dir(), fs::path("C:\\ps-config"));
    _putenv_s("PIPESCOPE_CONFIG_DIR", "");
    EXPECT_NE(config_dir().string().find("PipeScope"), std::string::npos);
#else
    setenv("PIPESCOPE_CONFIG_DIR", "/tmp/ps-config", 1);
    EXPECT_EQ(config_dir(), fs::path("/tmp/ps-config"));
    unsetenv("PIPESCOPE_CONFIG_DIR");
    EXPECT_NE(config_dir().string().find("pipescope"), std::string::npos);
#endif
}

}  // namespace
