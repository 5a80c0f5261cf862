#include "app.hpp"

#include <algorithm>

#include <imgui.h>

#include "pipescope/platform.hpp"

namespace pipescope::gui {

// ImGui 1.86 indexes io.KeysDown by the platform key code; GLFW uses ASCII for letters.
constexpr int kKeyQ = 'Q';

App::App(AppOptions options) : theme_(options.theme), platform_(core::platform_name()) {}

App::~App() = default;

View& App::add_view(std::unique_ptr<View> view, bool focus) {
    if (focus) focus_request_ = view->title();
    views_.push_back(std::move(view));
    return *views_.back();
}

void App::focus_view(const std::string& title_prefix) {
    for (const auto& v : views_) {
        if (v->title().rfind(title_prefix, 0) == 0) {
            focus_request_ = v->title();
            return;
        }
    }
}

double App::frame_interval() const {
    double interval = 1.0;
    for (const auto& v : views_) {
        if (v->wants_frames()) interval = std::min(interval, v->frame_interval());
    }
    return interval;
}

bool App::animating() const {
    for (const auto& v : views_) {
        if (v->wants_frames()) return true;
    }
    return false;
}

void App::apply_theme(Theme theme) {
    theme_ = theme;
    ImGuiStyle& style = ImGui::GetStyle();
    if (theme == Theme::Dark) {
        ImGui::StyleColorsDark(&style);
        // A slate background instead of near-black: easier on the eyes for long sessions.
        style.Colors[ImGuiCol_WindowBg] = ImVec4(0.13f, 0.14f, 0.17f, 1.0f);
        style.Colors[ImGuiCol_MenuBarBg] = ImVec4(0.17f, 0.18f, 0.22f, 1.0f);
        style.Colors[ImGuiCol_ChildBg] = ImVec4(0.15f, 0.16f, 0.19f, 1.0f);
    } else {
        ImGui::StyleColorsLight(&style);
        style.Colors[ImGuiCol_WindowBg] = ImVec4(0.96f, 0.96f, 0.97f, 1.0f);
    }
    style.WindowRounding = 4.0f;
    style.FrameRounding = 3.0f;
    style.GrabRounding = 3.0f;
    style.ScrollbarRounding = 3.0f;
}

std::string App::status_text() const {
    std::string text = std::string("PipeScope ") + core::version() + "  |  " + platform_;
    if (!status_detail_.empty()) text += "  |  " + status_detail_;
    for (const auto& v : views_) {
        std::string detail = v->status_detail();
        if (!detail.empty()) text += "  |  " + detail;
    }
    for (const auto& v : views_) {
        std::string task = v->task_status();
        if (!task.empty()) text += "  |  " + task;
    }
    return text;
}

void App::draw() {
    ImGuiIO& io = ImGui::GetIO();
    if (io.KeyCtrl && ImGui::IsKeyPressed(kKeyQ, false)) {
        quit_requested_ = true;
    }
    // Ctrl+1..9 selects a tab (GLFW key codes for digits are their ASCII codes).
    for (int i = 0; i < 9 && i < static_cast<int>(views_.size()); ++i) {
        if (io.KeyCtrl && ImGui::IsKeyPressed('1' + i, false))
            focus_request_ = views_[static_cast<std::size_t>(i)]->title();
    }
    draw_menu_bar();
    draw_workspace();
    draw_status_bar();
    if (show_about_) draw_about();
    if (show_demo_) ImGui::ShowDemoWindow(&show_demo_);
}

void App::draw_menu_bar() {
    if (ImGui::BeginMainMenuBar()) {
        menu_bar_height_ = ImGui::GetWindowSize().y;
        if (ImGui::BeginMenu("File")) {
            if (ImGui::MenuItem("Quit", "Ctrl+Q")) quit_requested_ = true;
            ImGui::EndMenu();
        }
        if (!new_menu_.empty() && ImGui::BeginMenu("New")) {
            for (auto& item : new_menu_) {
                if (ImGui::MenuItem(item.label.c_str())) item.action();
            }
            ImGui::EndMenu();
        }
        if (ImGui::BeginMenu("View")) {
            if (ImGui::MenuItem("Dark theme", nullptr, theme_ == Theme::Dark)) {
                apply_theme(Theme::Dark);
            }
            if (ImGui::MenuItem("Light theme", nullptr, theme_ == Theme::Light)) {
                apply_theme(Theme::Light);
            }
            ImGui::Separator();
            ImGui::MenuItem("ImGui demo", nullptr, &show_demo_);
            ImGui::EndMenu();
        }
        if (ImGui::BeginMenu("Help")) {
            if (ImGui::MenuItem("About PipeScope")) show_about_ = true;
            ImGui::EndMenu();
        }
        ImGui::EndMainMenuBar();
    }
}

void App::draw_workspace() {
    const ImGuiViewport* vp = ImGui::GetMainViewport();
    const float status_h = ImGui::GetFrameHeight();
    ImGui::SetNextWindowPos(ImVec2(vp->WorkPos.x, vp->WorkPos.y));
    ImGui::SetNextWindowSize(ImVec2(vp->WorkSize.x, vp->WorkSize.y - status_h));
    constexpr ImGuiWindowFlags flags = ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoMove |
                                       ImGuiWindowFlags_NoBringToFrontOnFocus |
                                       ImGuiWindowFlags_NoSavedSettings;
    if (ImGui::Begin("##workspace", nullptr, flags)) {
        if (views_.empty()) {
            ImGui::TextDisabled("No views are open.");
        } else if (ImGui::BeginTabBar("##tabs", ImGuiTabBarFlags_Reorderable |
                                                    ImGuiTabBarFlags_FittingPolicyScroll)) {
            for (std::size_t i = 0; i < views_.size();) {
                View& view = *views_[i];
                const std::string title = view.title();
                bool open = true;
                ImGuiTabItemFlags tab_flags = 0;
                if (!focus_request_.empty() && focus_request_ == title) {
                    tab_flags |= ImGuiTabItemFlags_SetSelected;
                    focus_request_.clear();
                }
                if (ImGui::BeginTabItem(title.c_str(), view.closable() ? &open : nullptr,
                                        tab_flags)) {
                    ImGui::PushID(title.c_str());
                    view.draw();
                    ImGui::PopID();
                    ImGui::EndTabItem();
                }
                if (!open) {
                    views_.erase(views_.begin() + static_cast<std::ptrdiff_t>(i));
                    continue;
                }
                ++i;
            }
            ImGui::EndTabBar();
        }
    }
    ImGui::End();
}

void App::draw_status_bar() {
    const ImGuiViewport* vp = ImGui::GetMainViewport();
    const float h = ImGui::GetFrameHeight();
    ImGui::SetNextWindowPos(ImVec2(vp->WorkPos.x, vp->WorkPos.y + vp->WorkSize.y - h));
    ImGui::SetNextWindowSize(ImVec2(vp->WorkSize.x, h));
    constexpr ImGuiWindowFlags flags =
        ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoSavedSettings |
        ImGuiWindowFlags_NoFocusOnAppearing | ImGuiWindowFlags_NoBringToFrontOnFocus;
    ImGui::PushStyleVar(ImGuiStyleVar_WindowPadding, ImVec2(8.0f, 0.0f));
    ImGui::PushStyleVar(ImGuiStyleVar_WindowMinSize, ImVec2(1.0f, 1.0f));  // lower than 32 px
    ImGui::PushStyleColor(ImGuiCol_WindowBg, ImGui::GetStyleColorVec4(ImGuiCol_MenuBarBg));
    if (ImGui::Begin("##statusbar", nullptr, flags)) {
        ImGui::AlignTextToFramePadding();
        ImGui::TextUnformatted(status_text().c_str());
        ImGui::SameLine();
        ImGui::TextDisabled("|  %.0f fps", static_cast<double>(ImGui::GetIO().Framerate));
    }
    ImGui::End();
    ImGui::PopStyleColor();
    ImGui::PopStyleVar(2);
}

void App::draw_about() {
    ImGui::SetNextWindowSize(ImVec2(420, 0), ImGuiCond_Appearing);
    if (ImGui::Begin("About PipeScope", &show_about_, ImGuiWindowFlags_NoCollapse)) {
        ImGui::Text("PipeScope %s", core::version());
        ImGui::TextWrapped(
            "A tool for Windows named pipes (and AF_UNIX sockets and FIFOs on "
            "Linux): list, inspect, test clients and servers, benchmarks.");
        ImGui::Text("Running on %s", platform_.c_str());
        ImGui::Text("Dear ImGui %s", IMGUI_VERSION);
    }
    ImGui::End();
}

}  // namespace pipescope::gui
