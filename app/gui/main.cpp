// pipescope: the desktop app (GLFW + OpenGL 3 + Dear ImGui).
#include <algorithm>
#include <filesystem>
#include <system_error>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#ifdef _WIN32
#include <windows.h>
#endif

#include <CLI/CLI.hpp>
#include <imgui.h>
#include <spdlog/logger.h>

#include "app.hpp"
#include "window.hpp"
#include "fonts.hpp"
#include "settings.hpp"
#include "views/inspector_view.hpp"
#include "views/log_view.hpp"
#include "views/pipes_view.hpp"
#include "views/session_view.hpp"
#include "views/bench_view.hpp"
#include "pipescope/bench.hpp"
#include "pipescope/catalog.hpp"
#include "pipescope/files.hpp"
#include "pipescope/log.hpp"
#include "pipescope/platform.hpp"

namespace {

// pipescope-cli, which the benchmark starts as its child-process peer: beside this program
// (a release folder) or in the build tree's app/cli.
std::string find_cli(const char* argv0) {
    namespace fs = std::filesystem;
#ifdef _WIN32
    wchar_t buf[32768];
    DWORD n = GetModuleFileNameW(nullptr, buf, 32768);
    fs::path self = n ? fs::path(std::wstring(buf, n)) : fs::path(argv0);
    const char* name = "pipescope-cli.exe";
#else
    std::error_code ec;
    fs::path self = fs::read_symlink("/proc/self/exe", ec);
    if (ec) self = argv0;
    const char* name = "pipescope-cli";
#endif
    for (fs::path candidate : {self.parent_path() / name, self.parent_path().parent_path() / "cli" / name}) {
        std::error_code ec2;
        if (fs::exists(candidate, ec2)) return candidate.string();
    }
    return (self.parent_path() / name).string();
}

}  // namespace

int main(int argc, char** argv) {
    using namespace pipescope;

    CLI::App cli{"PipeScope desktop app", "pipescope"};
    cli.set_version_flag("--version", std::string("pipescope ") + core::version());
    std::string screenshot_path;
    int frames = 10;
    int width = 0, height = 0;
    bool light = false;
    bool no_settings = false;
    double min_seconds = 0;
    std::string open_view, bench_preset, connect_name, serve_name;
    cli.add_option("--screenshot", screenshot_path,
                   "Render --frames frames, save the last one as this PNG, and exit");
    cli.add_option("--frames", frames, "Frames to render before the screenshot")
        ->check(CLI::Range(1, 100000));
    cli.add_option("--width", width, "Window width")->check(CLI::Range(320, 8192));
    cli.add_option("--height", height, "Window height")->check(CLI::Range(240, 8192));
    cli.add_flag("--light", light, "Start with the light theme");
    cli.add_option("--screenshot-after", min_seconds,
                   "With --screenshot: also wait at least this many seconds (live data)")
        ->check(CLI::Range(0.0, 600.0));
    cli.add_option("--view", open_view, "Tab to show first: pipes, bench, log, or server / client (a new test server or client form)");
    cli.add_option("--bench", bench_preset, "Start a benchmark with this preset (quick, pascal, ...)");
    cli.add_option("--connect", connect_name,
                   "Open a test client on this pipe and connect at once (the server sees the connection)");
    cli.add_option("--serve", serve_name,
                   "Start a test server on this pipe name at once, with the default (restrictive) security");
    cli.add_flag("--no-settings", no_settings,
                 "Neither read nor write settings and layout (clean state, e.g. for screenshots)");
    try {
        cli.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return cli.exit(e);
    }

    core::log::Options log_options;
    log_options.level = core::log::Level::Info;
    (void)core::log::init(log_options);

    // Settings: a damaged file is reported and replaced by defaults, never fatal.
    const bool screenshot_mode = !screenshot_path.empty();
    const bool persist = !no_settings && !screenshot_mode;
    gui::Settings settings;
    if (persist) {
        auto loaded = gui::Settings::load(gui::Settings::default_file());
        if (loaded) settings = *loaded;
        else std::fprintf(stderr, "pipescope: %s\n", loaded.error().to_string().c_str());
    }
    if (light) settings.theme = "light";
    if (width == 0) width = screenshot_mode ? 1280 : settings.window_width;
    if (height == 0) height = screenshot_mode ? 800 : settings.window_height;

    // ImGui keeps the ini path pointer: the string lives until the window is destroyed.
    const std::string ini_path = (core::config_dir() / "imgui.ini").string();
    if (persist) {
        std::error_code ec;
        std::filesystem::create_directories(core::config_dir(), ec);
    }
    auto created = gui::Window::create({width, height, "PipeScope", !screenshot_mode,
                                        persist ? ini_path.c_str() : nullptr});
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
    gui::App app(gui::AppOptions{settings.theme == "light" ? gui::Theme::Light : gui::Theme::Dark});
    app.apply_theme(app.theme());
    ImGui::GetStyle().ScaleAllSizes(ui_scale);
    app.set_status_detail(fonts.embedded ? "" : "built-in font");
    // The views that show the services (declared above, so they outlive the views).
    int next_view_id = 1;
    auto open_inspector = [&](const core::PipeName& name) {
        app.add_view(std::make_unique<gui::InspectorView>(name, core::inspect_pipe, next_view_id++),
                     /*focus=*/true);
    };
    auto& pipes = static_cast<gui::PipesView&>(app.add_view(std::make_unique<gui::PipesView>(
        catalog, std::chrono::milliseconds(settings.refresh_interval_ms), settings.auto_refresh)));
    pipes.on_new_data([] { gui::Window::wake(); });
    pipes.on_inspect([&](const core::PipeEntry& e) {
        auto name = core::PipeName::parse(e.kind == core::PipeKind::NamedPipe ? "\\\\.\\pipe\\" + e.name : e.name);
        if (name) open_inspector(*name);
        else core::log::app()->warn("cannot inspect {}: {}", e.name, name.error().to_string());
    });
    auto session_factory = [](gui::SessionView::Role role, const core::Endpoint& endpoint,
                              const core::SessionOptions& options) -> std::unique_ptr<core::Session> {
        if (role == gui::SessionView::Role::Client) return std::make_unique<core::ClientSession>(endpoint, options);
        return std::make_unique<core::ServerSession>(endpoint, options);
    };
    auto open_session = [&](gui::SessionView::Role role, std::string name) -> gui::SessionView& {
        return static_cast<gui::SessionView&>(app.add_view(
            std::make_unique<gui::SessionView>(role, std::move(name), session_factory, next_view_id++),
            /*focus=*/true));
    };
    pipes.on_connect([&](const core::PipeEntry& e) {
        open_session(gui::SessionView::Role::Client,
                     e.kind == core::PipeKind::NamedPipe ? "\\\\.\\pipe\\" + e.name : e.name);
    });
    app.add_new_menu_item("Test client...", [&] { open_session(gui::SessionView::Role::Client, ""); });
    app.add_new_menu_item("Test server...", [&] { open_session(gui::SessionView::Role::Server, "pipescope-test"); });
    auto& bench_view = static_cast<gui::BenchView&>(app.add_view(std::make_unique<gui::BenchView>(bench)));
    if (!bench_preset.empty()) {
        if (auto preset = core::load_preset(bench_preset)) {
            bench_view.scenario() = *preset;
            if (!bench_view.run()) core::log::app()->error("benchmark: {}", bench_view.error());
        } else {
            core::log::app()->error("{}", preset.error().to_string());
        }
        if (open_view.empty()) open_view = "bench";
    }
    app.add_view(std::make_unique<gui::LogView>(core::log::ring()));
    if (open_view == "bench") app.focus_view("Benchmark");
    else if (open_view == "log") app.focus_view("Log");
    else if (open_view == "pipes") app.focus_view("Pipes");
    else if (open_view == "server") open_session(gui::SessionView::Role::Server, "pipescope-test");
    else if (open_view == "client") open_session(gui::SessionView::Role::Client, "");
    else if (!open_view.empty()) {
        core::log::app()->warn("--view {}: no such view (pipes, bench, log, server, client)", open_view);
    }
    // Sessions asked for on the command line start at once; a bad name or option stays on the
    // form with its error, as if the user had pressed Connect / Start server.
    auto start_session = [&](gui::SessionView::Role role, const std::string& name, const char* flag) {
        if (name.empty()) return;
        auto& view = open_session(role, name);
        if (!view.start()) core::log::app()->error("{} {}: {}", flag, name, view.form_error());
    };
    start_session(gui::SessionView::Role::Server, serve_name, "--serve");
    start_session(gui::SessionView::Role::Client, connect_name, "--connect");
    core::log::app()->info("PipeScope {} started on {}, UI scale {:.2f}, {}", core::version(),
                           core::platform_name(), ui_scale,
                           fonts.embedded ? "Inter + JetBrains Mono" : "built-in font");

    int frames_left = frames;
    int exit_code = 0;
    using clock = std::chrono::steady_clock;
    const auto started = clock::now();
    while (!window.should_close() && !app.quit_requested()) {
        // Idle: sleep until input or a worker's wake (30 s is only a safety net).
        window.begin_frame(screenshot_mode ? 0.0 : app.animating() ? app.frame_interval() : 30.0);
        app.draw();
        window.render(ImGui::GetStyle().Colors[ImGuiCol_WindowBg]);
        if (screenshot_mode && --frames_left <= 0 &&
            std::chrono::duration<double>(clock::now() - started).count() >= min_seconds) {
            auto st = window.save_png(screenshot_path);
            if (!st) std::fprintf(stderr, "pipescope: %s\n", st.error().to_string().c_str());
            exit_code = st ? 0 : 3;
            break;
        }
        window.present();
    }

    if (persist) {
        window.size(settings.window_width, settings.window_height);
        settings.theme = app.theme() == gui::Theme::Light ? "light" : "dark";
        if (auto st = settings.save(gui::Settings::default_file()); !st) {
            std::fprintf(stderr, "pipescope: %s\n", st.error().to_string().c_str());
        }
        ImGui::SaveIniSettingsToDisk(ini_path.c_str());
    }

    return exit_code;
}
