// GUI speed, measured in a real window (run under Xvfb: xvfb-run -a
// build/linux/tests/perf/gui_perf):
//  1. frame time, median / p99 / max over N frames with 10,000 pipes in the list and the
//     benchmark dashboard's two live charts running (goal: 60 fps, no frame over 50 ms);
//  2. CPU used while idle over S seconds (goal: under 1% of a core);
//  3. benchmark throughput with the dashboard open (paced as the app paces it) against headless,
//     measured in the same run (goal: ratio >= 0.97).
// Prints figures; asserts nothing (timings are not tests).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <imgui.h>

#ifdef _WIN32
#include <windows.h>
#else
#include <sys/resource.h>
#endif

#include "app.hpp"
#include "pipescope/bench.hpp"
#include "pipescope/catalog.hpp"
#include "views/bench_view.hpp"
#include "views/pipes_view.hpp"
#include "window.hpp"

using namespace pipescope;
using clock_type = std::chrono::steady_clock;

namespace {

double process_cpu_seconds() {
#ifdef _WIN32
    FILETIME create, exit, kernel, user;
    GetProcessTimes(GetCurrentProcess(), &create, &exit, &kernel, &user);
    auto to_s = [](FILETIME f) {
        return ((static_cast<unsigned long long>(f.dwHighDateTime) << 32) | f.dwLowDateTime) / 1e7;
    };
    return to_s(kernel) + to_s(user);
#else
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec +
           ru.ru_stime.tv_usec / 1e6;
#endif
}

core::Snapshot fake_pipes(int n, int generation) {
    core::Snapshot s;
    s.taken_at = std::chrono::system_clock::now();
    for (int i = 0; i < n; ++i) {
        core::PipeEntry e;
        e.kind = core::PipeKind::NamedPipe;
        // A few names change every refresh, so rows appear and fade like on a busy machine.
        int id = i < n - 20 ? i : i + generation * 20;
        e.name = "perf\\pipe-" + std::to_string(id);
        e.current_instances = i % 7;
        e.max_instances = i % 5 == 0 ? -1 : 6;
        e.server_pids.push_back({static_cast<std::uint32_t>(1000 + i % 300), "server.exe"});
        e.sources = static_cast<std::uint32_t>(core::CatalogSource::NtDirectory);
        s.entries.push_back(std::move(e));
    }
    core::normalize(s);
    return s;
}

core::Scenario stream_scenario(double seconds) {
    core::Scenario s;
    s.pattern = core::BenchPattern::Stream;
    s.message_size = 64 * 1024;
    s.duration_s = seconds;
    s.cpu = core::CpuPlacement::Unpinned;
    return s;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App cli{"PipeScope GUI speed figures", "gui_perf"};
    int frames = 600, pipes = 10000;
    double idle_seconds = 10, bench_seconds = 3;
    cli.add_option("--frames", frames);
    cli.add_option("--pipes", pipes);
    cli.add_option("--idle-seconds", idle_seconds);
    cli.add_option("--bench-seconds", bench_seconds);
    CLI11_PARSE(cli, argc, argv);

    auto created = gui::Window::create({1280, 800, "PipeScope perf", /*vsync=*/false, nullptr});
    if (!created) {
        std::fprintf(stderr, "%s\n", created.error().to_string().c_str());
        return 2;
    }
    gui::Window& window = **created;
    ImGui::GetIO().Fonts->AddFontDefault();

    int generation = 0;
    core::PipeCatalog catalog(
        [&]() -> core::Result<core::Snapshot> { return fake_pipes(pipes, generation++); });
    core::BenchEngine engine(core::os_transport(), core::BenchOptions{});
    gui::App app;
    app.apply_theme(gui::Theme::Dark);
    auto& list = static_cast<gui::PipesView&>(app.add_view(
        std::make_unique<gui::PipesView>(catalog, std::chrono::milliseconds(500), true)));
    auto& bench =
        static_cast<gui::BenchView&>(app.add_view(std::make_unique<gui::BenchView>(engine)));

    double last_ui_ms = 0;  // the UI's own CPU work (building the frame), without GL rendering
    // busy: draw at once (frame-time phase); otherwise pace like the app does.
    auto frame = [&](bool busy) {
        window.begin_frame(busy ? 0.0 : app.animating() ? app.frame_interval() : 30.0);
        auto t = clock_type::now();
        app.draw();
        ImGui::Render();
        last_ui_ms = std::chrono::duration<double, std::milli>(clock_type::now() - t).count();
        window.render(ImGui::GetStyle().Colors[ImGuiCol_WindowBg]);
        window.present();
    };

    // 1. Frame time: the list (10,000 rows, refreshing) and the dashboard (live charts).
    bench.scenario() = stream_scenario(60);
    bench.scenario().message_size = 1024;
    if (!bench.run()) std::fprintf(stderr, "bench: %s\n", bench.error().c_str());
    std::vector<double> list_ms, bench_ms, list_ui_ms, bench_ui_ms;
    for (int i = 0; i < frames; ++i) {
        app.focus_view(i < frames / 2 ? "Pipes" : "Benchmark");
        auto t0 = clock_type::now();
        frame(true);
        double ms = std::chrono::duration<double, std::milli>(clock_type::now() - t0).count();
        (i < frames / 2 ? list_ms : bench_ms).push_back(ms);
        (i < frames / 2 ? list_ui_ms : bench_ui_ms).push_back(last_ui_ms);
    }
    bench.cancel();
    while (bench.running()) frame(true);
    auto report = [](const char* what, std::vector<double> v) {
        std::sort(v.begin(), v.end());
        if (v.empty()) return;
        std::printf(
            "%-34s median %6.2f ms  p99 %6.2f ms  max %6.2f ms  (%zu frames, %.0f fps median)\n",
            what, v[v.size() / 2], v[v.size() * 99 / 100], v.back(), v.size(),
            1000.0 / v[v.size() / 2]);
    };
    std::printf("== frame time (vsync off, Mesa llvmpipe under Xvfb: CPU-rendered) ==\n");
    report("pipe list, 10,000 rows:", list_ms);
    report("benchmark dashboard, live charts:", bench_ms);
    std::printf(
        "of which building the UI (ImGui, our views; the rest is GL rendering and swap):\n");
    report("  pipe list:", list_ui_ms);
    report("  benchmark dashboard:", bench_ui_ms);
    std::printf("rows in the list: %zu\n", list.total_rows());

    // 2. Idle CPU: nothing animating, no refresh; the loop must sleep.
    list.set_auto_refresh(false, std::chrono::milliseconds(500));
    app.focus_view("Pipes");
    for (int i = 0; i < 240; ++i) frame(true);  // let highlights and fades finish
    const double cpu0 = process_cpu_seconds();
    const auto t0 = clock_type::now();
    int idle_frames = 0;
    // The app would wait up to 30 s for input; one wake-up at the end of the phase stops it
    // (that wake draws a few frames itself, so this overstates idle CPU a little, never less).
    std::jthread waker([&](std::stop_token st) {
        auto end = clock_type::now() + std::chrono::duration<double>(idle_seconds);
        while (!st.stop_requested() && clock_type::now() < end)
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        gui::Window::wake();
    });
    while (std::chrono::duration<double>(clock_type::now() - t0).count() < idle_seconds) {
        frame(false);
        ++idle_frames;
    }
    waker.request_stop();
    const double wall = std::chrono::duration<double>(clock_type::now() - t0).count();
    const double cpu = process_cpu_seconds() - cpu0;
    std::printf("== idle ==\nCPU while idle: %.2f%% of a core over %.1f s (%d frames drawn)\n",
                100.0 * cpu / wall, wall, idle_frames);

    // 3. Benchmark throughput with the dashboard open (paced the way the app paces it) vs
    //    headless.
    app.focus_view("Benchmark");
    auto run_bench = [&](bool draw) {
        bench.scenario() = stream_scenario(bench_seconds);
        if (!bench.run()) {
            std::fprintf(stderr, "bench: %s\n", bench.error().c_str());
            return 0.0;
        }
        while (bench.running()) {
            if (draw) {
                frame(false);
            } else {
                bench.sync();
                std::this_thread::sleep_for(std::chrono::milliseconds(10));
            }
        }
        return bench.history().back().summary.throughput_bytes_per_sec;
    };
    double headless = run_bench(false);
    double with_ui = run_bench(true);
    std::printf(
        "== benchmark with the dashboard open ==\nstream 64 KiB headless: %.3f GB/s, dashboard "
        "open: %.3f GB/s, "
        "ratio %.3f (goal >= 0.97)\n",
        headless / 1e9, with_ui / 1e9, headless > 0 ? with_ui / headless : 0.0);
    return 0;
}
