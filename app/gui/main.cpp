// pipescope: the desktop app (GLFW + OpenGL 3 + Dear ImGui).
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <system_error>
#include <variant>

#include <imgui.h>
#include <spdlog/logger.h>

#include "app.hpp"
#include "fonts.hpp"
#include "settings.hpp"
#include "window.hpp"
#include "shell/options.hpp"
#include "models/audit_runner.hpp"
#include "shell/view_factory.hpp"
#include "pipescope/audit.hpp"
#include "pipescope/bench.hpp"
#include "pipescope/catalog.hpp"
#include "pipescope/files.hpp"
#include "pipescope/inspect.hpp"
#include "pipescope/log.hpp"
#include "pipescope/platform.hpp"

namespace {

using namespace pipescope;

// pipescope-cli, which the benchmark starts as its child-process peer: beside this program
// (a release folder) or in the build tree's app/cli.
std::string find_cli(const char* argv0) {
    namespace fs = std::filesystem;
    fs::path self = core::self_executable_path();
    if (self.empty()) self = argv0;
#ifdef _WIN32
    const char* name = "pipescope-cli.exe";
#else
    const char* name = "pipescope-cli";
#endif
    for (fs::path candidate :
         {self.parent_path() / name, self.parent_path().parent_path() / "cli" / name}) {
        std::error_code ec2;
        if (fs::exists(candidate, ec2)) return candidate.string();
    }
    return (self.parent_path() / name).string();
}

// The saved settings, with the command line's overrides. A damaged file is reported and
// replaced by defaults, never fatal.
gui::Settings load_settings(const gui::GuiOptions& options) {
    gui::Settings settings;
    if (options.persist()) {
        auto loaded = gui::Settings::load(gui::Settings::default_file());
        if (loaded)
            settings = *loaded;
        else
            std::fprintf(stderr, "pipescope: %s\n", loaded.error().to_string().c_str());
    }
    if (options.light) settings.theme = "light";
    return settings;
}

// Saves the window size, the theme and ImGui's layout for the next start.
void save_settings(const gui::Window& window, const gui::App& app, gui::Settings settings,
                   const std::string& ini_path) {
    window.size(settings.window_width, settings.window_height);
    settings.theme = app.theme() == gui::Theme::Light ? "light" : "dark";
    if (auto st = settings.save(gui::Settings::default_file()); !st) {
        std::fprintf(stderr, "pipescope: %s\n", st.error().to_string().c_str());
    }
    ImGui::SaveIniSettingsToDisk(ini_path.c_str());
}

// Draws frames until the window closes or the user quits; with --screenshot, until the frame
// that is saved as the PNG. Returns the process's exit code.
int run_frames(gui::Window& window, gui::App& app, const gui::GuiOptions& options) {
    const bool screenshot_mode = options.screenshot_mode();
    int frames_left = options.frames;
    using clock = std::chrono::steady_clock;
    const auto started = clock::now();
    while (!window.should_close() && !app.quit_requested()) {
        // Idle: sleep until input or a worker's wake (30 s is only a safety net).
        window.begin_frame(screenshot_mode ? 0.0 : app.animating() ? app.frame_interval() : 30.0);
        app.draw();
        window.render(ImGui::GetStyle().Colors[ImGuiCol_WindowBg]);
        if (screenshot_mode && --frames_left <= 0 &&
            std::chrono::duration<double>(clock::now() - started).count() >=
                options.screenshot_after_seconds) {
            auto st = window.save_png(options.screenshot_path);
            if (!st) std::fprintf(stderr, "pipescope: %s\n", st.error().to_string().c_str());
            return st ? 0 : 3;
        }
        window.present();
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    auto parsed = gui::parse_options(argc, argv);
    if (const auto* exit = std::get_if<gui::OptionsExit>(&parsed)) return exit->code;
    const gui::GuiOptions& options = std::get<gui::GuiOptions>(parsed);

    core::log::Options log_options;
    log_options.level = core::log::Level::Info;
    (void)core::log::init(log_options);

    const bool persist = options.persist();
    gui::Settings settings = load_settings(options);
    const bool shot = options.screenshot_mode();
    const int width = options.width != 0 ? options.width : shot ? 1280 : settings.window_width;
    const int height = options.height != 0 ? options.height : shot ? 800 : settings.window_height;

    // ImGui keeps the ini path pointer: the string lives until the window is destroyed.
    const std::string ini_path = (core::config_dir() / "imgui.ini").string();
    if (persist) {
        std::error_code ec;
        std::filesystem::create_directories(core::config_dir(), ec);
    }
    auto created = gui::Window::create(
        {width, height, "PipeScope", !shot, persist ? ini_path.c_str() : nullptr});
    if (!created) {
        std::fprintf(stderr, "pipescope: %s\n", created.error().to_string().c_str());
        return 2;
    }
    gui::Window& window = **created;

    // DPI: the monitor's content scale (1.0 at 96 DPI), unless the user fixed one.
    const float ui_scale = settings.ui_scale > 0 ? settings.ui_scale : window.content_scale();
    gui::Fonts fonts = gui::load_fonts(ui_scale);

    // Services, owned here; declared before the App so they outlive its views.
    core::PipeCatalog catalog{core::CatalogOptions{}};
    core::BenchOptions bench_options;
    bench_options.peer_executable = find_cli(argv[0]);
    core::BenchEngine bench(core::os_transport(), bench_options);
    core::InspectTaskReaper inspect_tasks;
    // The Security tab's audit lists afresh through the catalog (the pipe list sees it too).
    gui::AuditRunner audit(
        [&catalog]() -> core::Result<core::Snapshot> {
            auto refreshed = catalog.refresh();
            if (!refreshed) return refreshed.error();
            return *refreshed->snapshot;
        },
        core::run_audit, [] { gui::Window::wake(); });
    gui::App app(gui::AppOptions{settings.theme == "light" ? gui::Theme::Light : gui::Theme::Dark});
    app.apply_theme(app.theme());
    ImGui::GetStyle().ScaleAllSizes(ui_scale);
    app.set_status_detail(fonts.embedded ? "" : "built-in font");
    gui::ViewFactory views(app, catalog, bench, inspect_tasks, audit, settings);
    views.open_startup_views(options);
    core::log::app()->info("PipeScope {} started on {}, UI scale {:.2f}, {}", core::version(),
                           core::platform_name(), ui_scale,
                           fonts.embedded ? "Inter + JetBrains Mono" : "built-in font");

    const int exit_code = run_frames(window, app, options);
    if (persist) save_settings(window, app, settings, ini_path);
    return exit_code;
}
