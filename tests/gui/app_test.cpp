#include <gtest/gtest.h>
#include <imgui_internal.h>

#include "app.hpp"
#include "gui/headless.hpp"

using pipescope::gui::App;
using pipescope::gui::Theme;
using pipescope::gui::test::Headless;

namespace {

TEST(AppFrame, DrawsMenuBarWorkspaceAndStatusBar) {
    Headless ui;
    App app;
    app.apply_theme(Theme::Dark);
    for (int i = 0; i < 3; ++i) ui.frame([&] { app.draw(); });
    ImGuiWindow* menu = ImGui::FindWindowByName("##MainMenuBar");
    ImGuiWindow* workspace = ImGui::FindWindowByName("##workspace");
    ImGuiWindow* status = ImGui::FindWindowByName("##statusbar");
    ASSERT_NE(menu, nullptr);
    ASSERT_NE(workspace, nullptr);
    ASSERT_NE(status, nullptr);
    EXPECT_TRUE(menu->WasActive && workspace->WasActive && status->WasActive);
    // The status bar sits at the bottom edge; the workspace fills the space between.
    EXPECT_FLOAT_EQ(status->Pos.y + status->Size.y, 800.0f);
    EXPECT_GE(workspace->Pos.y, menu->Size.y - 0.5f);
    EXPECT_LE(workspace->Pos.y + workspace->Size.y, status->Pos.y + 0.5f);
    EXPECT_GT(ImGui::GetDrawData()->TotalVtxCount, 0);
    EXPECT_NE(app.status_text().find("PipeScope"), std::string::npos);
}

TEST(AppFrame, CtrlQQuits) {
    Headless ui;
    App app;
    ui.frame([&] { app.draw(); });
    EXPECT_FALSE(app.quit_requested());
    ui.press('Q', /*ctrl=*/false, [&] { app.draw(); });
    EXPECT_FALSE(app.quit_requested());
    ui.press('Q', /*ctrl=*/true, [&] { app.draw(); });
    EXPECT_TRUE(app.quit_requested());
}

TEST(AppFrame, FileMenuQuitByMouse) {
    Headless ui;
    App app;
    auto draw = [&] { app.draw(); };
    ui.frame(draw);
    ui.frame(draw);
    // "File" is the first item of the main menu bar.
    const ImGuiStyle& style = ImGui::GetStyle();
    ui.click(style.FramePadding.x + 12.0f, app.menu_bar_height() * 0.5f, draw);
    ImGuiWindow* popup = ImGui::FindWindowByName("##Menu_00");
    ASSERT_NE(popup, nullptr) << "the File menu did not open";
    ASSERT_TRUE(popup->Active || popup->WasActive);
    EXPECT_FALSE(app.quit_requested());
    // "Quit" is the first item in it.
    ui.click(popup->Pos.x + 20.0f,
             popup->Pos.y + style.WindowPadding.y + ImGui::GetFontSize() * 0.5f, draw);
    EXPECT_TRUE(app.quit_requested());
}

TEST(AppFrame, ThemeChangesTheStyle) {
    Headless ui;
    App app;
    app.apply_theme(Theme::Light);
    float light_bg = ImGui::GetStyle().Colors[ImGuiCol_WindowBg].x;
    app.apply_theme(Theme::Dark);
    float dark_bg = ImGui::GetStyle().Colors[ImGuiCol_WindowBg].x;
    EXPECT_GT(light_bg, 0.8f);
    EXPECT_LT(dark_bg, 0.3f);
    EXPECT_EQ(app.theme(), Theme::Dark);
}

}  // namespace

namespace {

class NamedView final : public pipescope::gui::View {
  public:
    NamedView(std::string t, int* draws) : title_(std::move(t)), draws_(draws) {}
    std::string title() const override { return title_; }
    void draw() override { ++*draws_; }

  private:
    std::string title_;
    int* draws_;
};

TEST(AppFrame, CtrlDigitSelectsATabAndOnlyItDraws) {
    Headless ui;
    App app;
    int a = 0, b = 0;
    app.add_view(std::make_unique<NamedView>("A###a", &a));
    app.add_view(std::make_unique<NamedView>("B###b", &b));
    auto draw = [&] { app.draw(); };
    ui.frame(draw);
    ui.frame(draw);
    EXPECT_GT(a, 0);
    EXPECT_EQ(b, 0) << "an unselected tab drew";
    a = 0;
    ui.press('2', /*ctrl=*/true, draw);
    ui.frame(draw);
    int a_after = a;
    ui.frame(draw);
    EXPECT_GT(b, 0);
    EXPECT_EQ(a, a_after) << "the first tab kept drawing after Ctrl+2";
}

}  // namespace
