#include <filesystem>

#include <gtest/gtest.h>

#include "pipescope/files.hpp"
#include "settings.hpp"

using pipescope::gui::Settings;
namespace fs = std::filesystem;

namespace {

fs::path temp(const char* name) {
    auto dir = fs::temp_directory_path() / "pipescope-tests" / "settings";
    fs::create_directories(dir);
    return dir / name;
}

TEST(Settings, MissingFileGivesDefaults) {
    auto s = Settings::load(temp("none.json"));
    ASSERT_TRUE(s.ok());
    EXPECT_EQ(s->theme, "dark");
    EXPECT_EQ(s->refresh_interval_ms, 2000);
}

TEST(Settings, RoundTrip) {
    Settings s;
    s.theme = "light";
    s.window_width = 1600;
    s.refresh_interval_ms = 750;
    s.auto_refresh = false;
    s.last_pipe = "\\\\.\\pipe\\x";
    auto path = temp("round.json");
    ASSERT_TRUE(s.save(path).ok());
    auto back = Settings::load(path);
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(back->theme, "light");
    EXPECT_EQ(back->window_width, 1600);
    EXPECT_EQ(back->refresh_interval_ms, 750);
    EXPECT_FALSE(back->auto_refresh);
    EXPECT_EQ(back->last_pipe, "\\\\.\\pipe\\x");
}

TEST(Settings, DamagedFileIsAClearErrorAndOutOfRangeValuesAreClamped) {
    auto bad = temp("bad.json");
    ASSERT_TRUE(pipescope::core::write_file_atomic(bad, "{ not json").ok());
    auto r = Settings::load(bad);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("defaults"), std::string::npos);
    auto odd = temp("odd.json");
    ASSERT_TRUE(pipescope::core::write_file_atomic(
                    odd, R"({"theme":"purple","window_width":5,"refresh_interval_ms":1})")
                    .ok());
    auto o = Settings::load(odd);
    ASSERT_TRUE(o.ok());
    EXPECT_EQ(o->theme, "dark");
    EXPECT_EQ(o->window_width, 320);
    EXPECT_EQ(o->refresh_interval_ms, 250);
}

}  // namespace
