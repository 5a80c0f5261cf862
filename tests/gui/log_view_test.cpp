#include <gtest/gtest.h>

#include "gui/headless.hpp"
#include "views/log_view.hpp"

using namespace pipescope;
using pipescope::gui::test::draw_in_window;
using pipescope::gui::test::Headless;

namespace {

core::log::Record rec(core::log::Level level, const char* logger, const char* text) {
    core::log::Record r;
    r.unix_ms = 1700000000123;
    r.level = level;
    r.logger = logger;
    r.text = text;
    return r;
}

TEST(LogView, PullsNewRecordsOnce) {
    core::log::Ring ring(100);
    gui::LogView view(ring);
    ring.push(rec(core::log::Level::Info, "core.catalog", "listed 12 pipes"));
    EXPECT_EQ(view.pull(), 1u);
    EXPECT_EQ(view.pull(), 0u);
    ring.push(rec(core::log::Level::Warn, "core.session", "connect failed"));
    EXPECT_EQ(view.pull(), 1u);
    EXPECT_EQ(view.visible().size(), 2u);
}

TEST(LogView, LevelAndTextFiltersNarrowTheRows) {
    core::log::Ring ring(100);
    gui::LogView view(ring);
    ring.push(rec(core::log::Level::Debug, "core.bench", "interval 3"));
    ring.push(rec(core::log::Level::Info, "core.catalog", "listed 12 pipes"));
    ring.push(rec(core::log::Level::Error, "core.session", "ERROR_PIPE_BUSY (231)"));
    view.pull();
    EXPECT_EQ(view.visible().size(), 3u);
    view.set_min_level(core::log::Level::Warn);
    ASSERT_EQ(view.visible().size(), 1u);
    EXPECT_EQ(view.visible()[0]->logger, "core.session");
    view.set_min_level(core::log::Level::Trace);
    view.set_filter("CATALOG");  // matches the logger name, case-insensitively
    ASSERT_EQ(view.visible().size(), 1u);
    EXPECT_NE(view.visible_text().find("[info] core.catalog: listed 12 pipes"), std::string::npos)
        << view.visible_text();
}

TEST(LogView, DrawsRowsHeadless) {
    core::log::Ring ring(1000);
    for (int i = 0; i < 500; ++i) ring.push(rec(core::log::Level::Info, "app", "line"));
    gui::LogView view(ring);
    Headless ui;
    auto draw = [&] { draw_in_window(view); };
    ui.frame(draw);
    ui.frame(draw);
    EXPECT_EQ(view.visible().size(), 500u);
    // The clipper draws only the rows on screen, not all 500.
    int vtx = ImGui::GetDrawData()->TotalVtxCount;
    EXPECT_GT(vtx, 0);
    EXPECT_LT(vtx, 500 * 4 * 20);
}

}  // namespace
