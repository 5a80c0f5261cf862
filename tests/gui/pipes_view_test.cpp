#include <atomic>
#include <chrono>
#include <filesystem>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>

#include "gui/headless.hpp"
#include "pipescope/files.hpp"
#include "views/pipes_view.hpp"

using namespace pipescope;
using namespace std::chrono_literals;
using pipescope::gui::test::Headless;

namespace {

core::PipeEntry pipe(const std::string& name, std::int64_t cur, std::int64_t max) {
    core::PipeEntry e;
    e.kind = core::PipeKind::NamedPipe;
    e.name = name;
    e.current_instances = cur;
    e.max_instances = max;
    e.sources = static_cast<std::uint32_t>(core::CatalogSource::NtDirectory);
    return e;
}

// A lister the test controls: it returns whatever entries (or error) the test sets.
struct FakeSystem {
    std::mutex mutex;
    std::vector<core::PipeEntry> entries;
    std::optional<core::Error> error;
    std::atomic<int> calls{0};

    core::PipeCatalog::Lister lister() {
        return [this]() -> core::Result<core::Snapshot> {
            ++calls;
            std::lock_guard lock(mutex);
            if (error) return *error;
            core::Snapshot s;
            s.entries = entries;
            s.taken_at = std::chrono::system_clock::now();
            s.sources_used = static_cast<std::uint32_t>(core::CatalogSource::NtDirectory);
            core::normalize(s);
            return s;
        };
    }
    void set(std::vector<core::PipeEntry> e) {
        std::lock_guard lock(mutex);
        entries = std::move(e);
    }
};

// Draws frames until `done` holds (the view's worker refreshes on its own thread), at most 5 s.
template <class Pred>
bool frames_until(Headless& ui, gui::PipesView& view, Pred done) {
    auto draw = [&] {
        ImGui::SetNextWindowPos(ImVec2(0, 0));
        ImGui::SetNextWindowSize(ImVec2(1280, 800));
        ImGui::Begin("pipes");
        view.draw();
        ImGui::End();
    };
    for (auto end = std::chrono::steady_clock::now() + 5s;
         std::chrono::steady_clock::now() < end;) {
        ui.frame(draw);
        if (done()) return true;
        std::this_thread::sleep_for(2ms);
    }
    return false;
}

TEST(PipesView, ShowsTheCatalogAndTheFilterNarrowsTheRows) {
    FakeSystem sys;
    sys.set({pipe("svcctl", 3, -1), pipe("mojo.123.456", 1, 1), pipe("lsass", 4, -1)});
    core::PipeCatalog catalog(sys.lister());
    gui::PipesView view(catalog, 10s, /*auto_refresh=*/false);
    Headless ui;
    ASSERT_TRUE(frames_until(ui, view, [&] { return view.visible_rows().size() == 3; }));
    view.set_filter("MOJO");
    ASSERT_EQ(view.visible_rows().size(), 1u);
    EXPECT_EQ(view.visible_rows()[0]->entry.name, "mojo.123.456");
    view.set_filter("");
    EXPECT_EQ(view.visible_rows().size(), 3u);
}

TEST(PipesView, NewRowsAreMarkedAndRemovedRowsLingerAsGone) {
    FakeSystem sys;
    sys.set({pipe("a", 1, 1), pipe("b", 1, 5)});
    core::PipeCatalog catalog(sys.lister());
    gui::PipesView view(catalog, 10s, false);
    Headless ui;
    ASSERT_TRUE(frames_until(ui, view, [&] { return view.visible_rows().size() == 2; }));
    // The rows of the first listing are not "new".
    for (const auto* r : view.visible_rows()) EXPECT_FALSE(r->changed_at.has_value());

    sys.set({pipe("b", 1, 5), pipe("c", 1, 1)});
    view.request_refresh();
    ASSERT_TRUE(frames_until(ui, view, [&] { return view.visible_rows().size() == 3; }));
    bool saw_new_c = false, saw_gone_a = false;
    for (const auto* r : view.visible_rows()) {
        if (r->entry.name == "c") saw_new_c = !r->removed && r->changed_at.has_value();
        if (r->entry.name == "a") saw_gone_a = r->removed;
        if (r->entry.name == "b") {
            EXPECT_FALSE(r->changed_at.has_value());
        }
    }
    EXPECT_TRUE(saw_new_c);
    EXPECT_TRUE(saw_gone_a);
    EXPECT_TRUE(view.wants_frames()) << "fading rows need frames";
}

TEST(PipesView, ErrorBecomesABannerNotACrash) {
    FakeSystem sys;
    sys.error = core::ntstatus_error(0xC00000CBu, "NtQueryDirectoryFile", "\\\\.\\pipe\\");
    core::PipeCatalog catalog(sys.lister());
    gui::PipesView view(catalog, 10s, false);
    Headless ui;
    ASSERT_TRUE(frames_until(ui, view, [&] { return !view.banner().empty(); }));
    EXPECT_NE(view.banner().find("STATUS_BAD_DEVICE_TYPE"), std::string::npos) << view.banner();
    EXPECT_TRUE(view.visible_rows().empty());
}

TEST(PipesView, F5RefreshesWithoutBlockingTheFrame) {
    FakeSystem sys;
    sys.set({pipe("a", 1, 1)});
    core::PipeCatalog catalog(sys.lister());
    gui::PipesView view(catalog, 10s, false);
    Headless ui;
    ASSERT_TRUE(frames_until(ui, view, [&] { return view.visible_rows().size() == 1; }));
    int before = sys.calls.load();
    auto draw = [&] {
        ImGui::Begin("pipes");
        view.draw();
        ImGui::End();
    };
    ui.press(294 /* GLFW_KEY_F5 */, false, draw);
    ASSERT_TRUE(frames_until(ui, view, [&] { return sys.calls.load() > before; }));
}

TEST(PipesView, DoubleClickInspects) {
    FakeSystem sys;
    sys.set({pipe("target", 1, 1)});
    core::PipeCatalog catalog(sys.lister());
    gui::PipesView view(catalog, 10s, false);
    std::string inspected;
    view.on_inspect([&](const core::PipeEntry& e) { inspected = e.name; });
    Headless ui;
    ASSERT_TRUE(frames_until(ui, view, [&] { return view.visible_rows().size() == 1; }));
    auto draw = [&] {
        ImGui::SetNextWindowPos(ImVec2(0, 0));
        ImGui::SetNextWindowSize(ImVec2(1280, 800));
        ImGui::Begin("pipes", nullptr, ImGuiWindowFlags_NoTitleBar);
        view.draw();
        ImGui::End();
    };
    // Find the first row: below the toolbar and the header row. Scan down until a click lands.
    ImGuiIO& io = ImGui::GetIO();
    for (float y = 40; y < 200 && inspected.empty(); y += 4) {
        io.MousePos = ImVec2(60, y);
        for (int i = 0; i < 30; ++i)
            ui.frame(draw);  // let the last click age past the double-click time
        io.MouseDown[0] = true;
        ui.frame(draw);
        io.MouseDown[0] = false;
        ui.frame(draw);
        io.MouseDown[0] = true;  // second click within the double-click time
        ui.frame(draw);
        io.MouseDown[0] = false;
        ui.frame(draw);
    }
    EXPECT_EQ(inspected, "target");
}

TEST(PipesView, ExportsTheVisibleRows) {
    FakeSystem sys;
    sys.set({pipe("one", 1, 2), pipe("two", 2, -1)});
    core::PipeCatalog catalog(sys.lister());
    gui::PipesView view(catalog, 10s, false);
    Headless ui;
    ASSERT_TRUE(frames_until(ui, view, [&] { return view.visible_rows().size() == 2; }));
    view.set_filter("two");
    auto path = (std::filesystem::temp_directory_path() / "pipescope-export-test.csv").string();
    std::string msg = view.export_to(path, false);
    EXPECT_NE(msg.find("Exported 1 pipes"), std::string::npos) << msg;
    auto text = core::read_file(path);
    ASSERT_TRUE(text.ok());
    EXPECT_NE(text->find("two,2,-1,named_pipe"), std::string::npos) << *text;
    EXPECT_EQ(text->find("one"), std::string::npos) << *text;
}

}  // namespace
