// The desktop app's model of the window: menu bar, workspace, status bar.
// App::draw() is pure ImGui (no GLFW, no GL), so headless frame tests can drive it.
// UI thread only.
#pragma once

#include <string>

namespace pipescope::gui {

enum class Theme { Dark, Light };

struct AppOptions {
    Theme theme = Theme::Dark;
};

class App {
public:
    explicit App(AppOptions options = {});

    // Draws one frame of the UI into the current ImGui context (between NewFrame and Render).
    void draw();

    // Applies the theme to the current ImGui context's style.
    void apply_theme(Theme theme);
    [[nodiscard]] Theme theme() const noexcept { return theme_; }

    // True once the user chose File > Quit (or pressed Ctrl+Q).
    [[nodiscard]] bool quit_requested() const noexcept { return quit_requested_; }
    // True while something on screen animates and needs frames without input.
    [[nodiscard]] bool animating() const noexcept { return false; }

    // The status bar's text, exposed for tests.
    [[nodiscard]] std::string status_text() const;

    [[nodiscard]] float menu_bar_height() const noexcept { return menu_bar_height_; }

private:
    void draw_menu_bar();
    void draw_workspace();
    void draw_status_bar();
    void draw_about();

    Theme theme_;
    bool quit_requested_ = false;
    bool show_about_ = false;
    bool show_demo_ = false;
    float menu_bar_height_ = 0.0f;
    std::string platform_;
};

}  // namespace pipescope::gui
