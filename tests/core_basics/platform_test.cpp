#include <gtest/gtest.h>

#include "pipescope/platform.hpp"

using namespace pipescope::core;

namespace {

TEST(Platform, VersionIsSemantic) {
    std::string v = version();
    int dots = 0;
    for (char c : v) {
        if (c == '.')
            ++dots;
        else
            ASSERT_TRUE(c >= '0' && c <= '9') << v;
    }
    EXPECT_EQ(dots, 2) << v;
}

TEST(Platform, NameMatchesTheBuild) {
#ifdef _WIN32
    EXPECT_EQ(platform_name().rfind("Windows", 0), 0u);
    // The Windows build is tested under Wine; say so in the name so users and bug reports know.
    if (is_wine()) {
        EXPECT_NE(platform_name().find("Wine"), std::string::npos);
    }
#else
    EXPECT_FALSE(is_wine());
    EXPECT_EQ(platform_name(), "Linux");
#endif
}

}  // namespace

namespace {

TEST(Platform, SelfExecutablePathNamesThisTestProgram) {
    const auto self = pipescope::core::self_executable_path();
    ASSERT_FALSE(self.empty());
    EXPECT_TRUE(std::filesystem::is_regular_file(self)) << self.string();
    EXPECT_NE(self.filename().string().find("core_basics_tests"), std::string::npos)
        << self.string();
}

}  // namespace
