#include <cstdlib>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#ifdef _WIN32
#include <windows.h>

#include <chrono>
#include <thread>
#endif
#ifndef _WIN32
#include <csignal>
#include <sys/resource.h>
#include <unistd.h>
#endif

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

TEST(Files, ReadFileRefusesAFileOverTheBound) {
    auto dir = fresh_dir("files-bound");
    auto path = dir / "big.bin";
    ASSERT_TRUE(write_file_atomic(path, std::string(5000, 'x')).ok());
    EXPECT_EQ(read_file(path, 5000)->size(), 5000u);
    auto refused = read_file(path, 4999);
    ASSERT_FALSE(refused.ok());
    EXPECT_NE(refused.error().message.find("at most 4999 are read"), std::string::npos)
        << refused.error().message;
}

#ifdef __linux__
// /proc files report a size of 0; the catalog reads /proc/<pid>/comm and fdinfo through
// read_file, so it must read to the end, not to the size.
TEST(Files, ReadFileReadsProcFilesThatReportNoSize) {
    auto comm = read_file("/proc/self/comm");
    ASSERT_TRUE(comm.ok()) << comm.error().to_string();
    EXPECT_FALSE(comm->empty());
    EXPECT_EQ(comm->back(), '\n');
    auto status = read_file("/proc/self/status", 100);
    ASSERT_FALSE(status.ok()) << "a /proc file over the bound was read";
    EXPECT_EQ(status.error().code, ErrorCode::InvalidArgument);
}
#endif

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

// A folder we may not write to: the save fails, naming why, and the old file stays.
TEST(Files, FailedSaveInAReadOnlyFolderKeepsThePreviousFile) {
#ifdef _WIN32
    GTEST_SKIP() << "Windows has no read-only folders in this sense (the read-only attribute on a "
                    "folder does not stop creating files in it)";
#else
    if (::geteuid() == 0) {
        GTEST_SKIP()
            << "running as root: file modes do not stop root (CAP_DAC_OVERRIDE), so a "
               "read-only folder is writable here; the full-disk test covers a failed save";
    }
    auto dir = fresh_dir("files-readonly");
    auto path = dir / "report.json";
    ASSERT_TRUE(write_file_atomic(path, "precious").ok());
    fs::permissions(dir, fs::perms::owner_read | fs::perms::owner_exec);
    auto st = write_file_atomic(path, "new contents");
    fs::permissions(dir, fs::perms::owner_all);
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(*read_file(path), "precious");
    EXPECT_EQ(files_in(dir), 1u) << "a temporary file was left behind";
    EXPECT_NE(st.error().to_string().find("Next:"), std::string::npos) << st.error().to_string();
#endif
}

// A full disk, made with RLIMIT_FSIZE (no privileges, no tmpfs needed): writing past the limit
// fails with EFBIG; the save fails and the previous file stays whole.
TEST(Files, FailedSaveOnAFullDiskKeepsThePreviousFile) {
#ifdef _WIN32
    GTEST_SKIP() << "no RLIMIT_FSIZE on Windows (and no way to fill a disk without privileges)";
#else
    auto dir = fresh_dir("files-full");
    auto path = dir / "settings.json";
    ASSERT_TRUE(write_file_atomic(path, "precious").ok());
    struct sigaction ign {
    }, old_sa{};
    ign.sa_handler = SIG_IGN;
    ::sigaction(SIGXFSZ, &ign, &old_sa);  // EFBIG instead of a signal
    rlimit old_lim{};
    ::getrlimit(RLIMIT_FSIZE, &old_lim);
    rlimit small = old_lim;
    small.rlim_cur = 4096;
    ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);
    auto st = write_file_atomic(path, std::string(1 << 20, 'x'));
    ::setrlimit(RLIMIT_FSIZE, &old_lim);
    ::sigaction(SIGXFSZ, &old_sa, nullptr);
    ASSERT_FALSE(st.ok()) << "a 1 MiB save under a 4 KiB file size limit succeeded";
    EXPECT_EQ(*read_file(path), "precious");
    EXPECT_EQ(files_in(dir), 1u) << "the temporary file was left behind";
    EXPECT_NE(st.error().to_string().find("Next:"), std::string::npos) << st.error().to_string();
#endif
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

#ifdef _WIN32
// A textfile collector opens the metrics file without delete sharing: the rename over it fails
// while it reads. The save waits for it (bounded) instead of failing.
TEST(Files, ReplaceWaitsForAReaderThatHoldsTheFile) {
    auto dir = fresh_dir("files-held");
    auto path = dir / "pipes.prom";
    ASSERT_TRUE(write_file_atomic(path, "old\n").ok());
    HANDLE held = ::CreateFileW(path.wstring().c_str(), GENERIC_READ, FILE_SHARE_READ, nullptr,
                                OPEN_EXISTING, 0, nullptr);
    ASSERT_NE(held, INVALID_HANDLE_VALUE);
    // Release the file once the writer has reached the rename (its temporary file exists).
    std::thread reader([&] {
        const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        bool seen = false;
        while (!seen && std::chrono::steady_clock::now() < until) {
            for (const auto& e : fs::directory_iterator(dir))
                seen = seen || e.path().filename().string().find(".tmp-") != std::string::npos;
            if (!seen) std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        ::CloseHandle(held);
    });
    auto st = write_file_atomic(path, "new\n");
    reader.join();
    ASSERT_TRUE(st.ok()) << st.error().to_string();
    EXPECT_EQ(*read_file(path), "new\n");
}

TEST(Files, ReplaceGivesUpOnAReaderThatNeverLetsGo) {
    auto dir = fresh_dir("files-held-long");
    auto path = dir / "pipes.prom";
    ASSERT_TRUE(write_file_atomic(path, "old\n").ok());
    HANDLE held = ::CreateFileW(path.wstring().c_str(), GENERIC_READ, FILE_SHARE_READ, nullptr,
                                OPEN_EXISTING, 0, nullptr);
    ASSERT_NE(held, INVALID_HANDLE_VALUE);
    auto st = write_file_atomic(path, "new\n");
    ::CloseHandle(held);
    ASSERT_FALSE(st.ok());
    EXPECT_NE(st.error().message.find("Another program kept the file open"), std::string::npos)
        << st.error().to_string();
    EXPECT_EQ(*read_file(path), "old\n") << "the old contents stay";
    EXPECT_EQ(files_in(dir), 1u) << "the temporary file was left behind";
}
#endif

}  // namespace
