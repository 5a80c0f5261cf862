// The desktop app's window: menu bar, a workspace of tabs (one View each) and a status bar.
// App::draw() is pure ImGui (no GLFW, no GL), so headless frame tests can drive it.
// UI thread only.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "shell/palette.hpp"
#include "views/view.hpp"

namespace pipescope::gui {

struct AppOptions {
    Theme theme = Theme::Dark;
};

class App {
  public:
    explicit App(AppOptions options = {});
    ~App();

    // Draws one frame of the UI into the current ImGui context (between NewFrame and Render).
    void draw();

    // Applies the theme to the current ImGui context's style.
    void apply_theme(Theme theme);
    [[nodiscard]] Theme theme() const noexcept { return theme_; }

    // Adds a tab; `focus` selects it on the next frame. Returns the view.
    View& add_view(std::unique_ptr<View> view, bool focus = false);
    [[nodiscard]] const std::vector<std::unique_ptr<View>>& views() const noexcept {
        return views_;
    }
    // Selects the tab whose title() starts with `prefix` on the next frame.
    void focus_view(const std::string& title_prefix);

    // True once the user chose File > Quit (or pressed Ctrl+Q).
    [[nodiscard]] bool quit_requested() const noexcept { return quit_requested_; }
    // True while something on screen animates and needs frames without input.
    [[nodiscard]] bool animating() const;
    // While animating(): the longest wait between frames that every animating view accepts.
    [[nodiscard]] double frame_interval() const;

    // The status bar's text, exposed for tests.
    [[nodiscard]] std::string status_text() const;
    [[nodiscard]] float menu_bar_height() const noexcept { return menu_bar_height_; }

    // Adds an item to the "New" menu (new client, new server, ...).
    void add_new_menu_item(std::string label, std::function<void()> action) {
        new_menu_.push_back({std::move(label), std::move(action)});
    }

    // Extra status bar fields (e.g. what pipe listing supports here).
    void set_status_detail(std::string text) { status_detail_ = std::move(text); }

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
    std::string status_detail_;
    std::vector<std::unique_ptr<View>> views_;
    std::string focus_request_;
    struct MenuItem {
        std::string label;
        std::function<void()> action;
    };
    std::vector<MenuItem> new_menu_;
};

}  // namespace pipescope::gui
