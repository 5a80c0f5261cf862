#include <cerrno>
#include <sys/stat.h>
#include <vector>

#include <gtest/gtest.h>

#include "pipescope/unique_handle.hpp"

#ifdef _WIN32
#include <fcntl.h>
#include <io.h>
#include <windows.h>
#else
#include <unistd.h>
#endif

using namespace pipescope::core;

namespace {

std::vector<int>* g_closed = nullptr;

struct FakeTraits {
    using value_type = int;
    static int invalid() noexcept { return 0; }
    static bool is_valid(int v) noexcept { return v != 0; }
    static void close(int v) noexcept { g_closed->push_back(v); }
};
using FakeResource = UniqueResource<FakeTraits>;

class UniqueResourceTest : public ::testing::Test {
  protected:
    void SetUp() override { g_closed = &closed_; }
    void TearDown() override { g_closed = nullptr; }
    std::vector<int> closed_;
};

TEST_F(UniqueResourceTest, ClosesOnceOnDestruction) {
    {
        FakeResource r(7);
        EXPECT_TRUE(r.valid());
    }
    EXPECT_EQ(closed_, std::vector<int>{7});
}

TEST_F(UniqueResourceTest, MoveTransfersOwnership) {
    FakeResource a(3);
    FakeResource b(std::move(a));
    EXPECT_FALSE(a.valid());  // NOLINT(bugprone-use-after-move): checking the moved-from state
    EXPECT_EQ(b.get(), 3);
    FakeResource c(9);
    c = std::move(b);
    EXPECT_EQ(closed_, std::vector<int>{9});
    EXPECT_EQ(c.get(), 3);
}

TEST_F(UniqueResourceTest, ResetClosesTheOldValue) {
    FakeResource r(1);
    r.reset(2);
    EXPECT_EQ(closed_, std::vector<int>{1});
    r.reset();
    EXPECT_EQ(closed_, (std::vector<int>{1, 2}));
    EXPECT_FALSE(r);
}

TEST_F(UniqueResourceTest, ReleaseGivesUpWithoutClosing) {
    FakeResource r(5);
    EXPECT_EQ(r.release(), 5);
    EXPECT_FALSE(r.valid());
    EXPECT_TRUE(closed_.empty());
}

TEST(UniqueHandle, TreatsNullAndInvalidHandleValueAsEmpty) {
    EXPECT_FALSE(Win32HandleTraits::is_valid(nullptr));
    EXPECT_FALSE(
        Win32HandleTraits::is_valid(reinterpret_cast<void*>(static_cast<std::intptr_t>(-1))));
    UniqueHandle h;
    EXPECT_FALSE(h.valid());
}

bool fd_is_open(int fd) {
    struct stat st {};
#ifdef _WIN32
    return ::_fstat(fd, reinterpret_cast<struct _stat*>(&st)) == 0;
#else
    return ::fstat(fd, &st) == 0;
#endif
}

TEST(UniqueFd, ClosesTheDescriptor) {
    int fds[2] = {-1, -1};
#ifdef _WIN32
    ASSERT_EQ(::_pipe(fds, 256, _O_BINARY), 0);
#else
    ASSERT_EQ(::pipe(fds), 0);
#endif
    ASSERT_TRUE(fd_is_open(fds[0]));
    {
        UniqueFd read_end(fds[0]);
        UniqueFd write_end(fds[1]);
        EXPECT_TRUE(read_end.valid());
    }
    EXPECT_FALSE(fd_is_open(fds[0]));
    EXPECT_FALSE(fd_is_open(fds[1]));
}

TEST(UniqueHandle, ClosesTheWin32Handle) {
#ifdef _WIN32
    HANDLE raw = ::CreateEventW(nullptr, TRUE, FALSE, nullptr);
    ASSERT_NE(raw, nullptr);
    DWORD flags = 0;
    ASSERT_TRUE(::GetHandleInformation(raw, &flags));
    {
        UniqueHandle h(raw);
        EXPECT_TRUE(h.valid());
    }
    EXPECT_FALSE(::GetHandleInformation(raw, &flags));
    EXPECT_EQ(::GetLastError(), static_cast<DWORD>(ERROR_INVALID_HANDLE));
#else
    GTEST_SKIP() << "Win32 HANDLEs exist only on Windows; UniqueFd covers POSIX";
#endif
}

}  // namespace
