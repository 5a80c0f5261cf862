#include "shell/options.hpp"

#include <CLI/CLI.hpp>

#include "pipescope/platform.hpp"

namespace pipescope::gui {

std::variant<GuiOptions, OptionsExit> parse_options(int argc, char** argv) {
    GuiOptions o;
    CLI::App cli{"PipeScope desktop app", "pipescope"};
    cli.set_version_flag("--version", std::string("pipescope ") + core::version());
    cli.add_option("--screenshot", o.screenshot_path,
                   "Render --frames frames, save the last one as this PNG, and exit");
    cli.add_option("--frames", o.frames, "Frames to render before the screenshot")
        ->check(CLI::Range(1, 100000));
    cli.add_option("--width", o.width, "Window width")->check(CLI::Range(320, 8192));
    cli.add_option("--height", o.height, "Window height")->check(CLI::Range(240, 8192));
    cli.add_flag("--light", o.light, "Start with the light theme");
    cli.add_option("--screenshot-after", o.screenshot_after_seconds,
                   "With --screenshot: also wait at least this many seconds (live data)")
        ->check(CLI::Range(0.0, 600.0));
    cli.add_option(
        "--view", o.view,
        "Tab to show first: pipes, security, bench, log, or server / client / monitor (a "
        "new test server, client or proxy monitor form)");
    cli.add_option("--bench", o.bench_preset,
                   "Start a benchmark with this preset (quick, pascal, ...)");
    cli.add_option("--connect", o.connect_name,
                   "Open a test client on this pipe and connect at once (the server sees the "
                   "connection)");
    cli.add_option("--serve", o.serve_name,
                   "Start a test server on this pipe name at once, with the default "
                   "(restrictive) security");
    cli.add_flag("--audit", o.audit,
                 "Start the security audit at once (opens each pipe with READ_CONTROL only) and "
                 "show the Security tab");
    cli.add_option("--inspect", o.inspect_name,
                   "Open an inspector on this pipe and probe it at once (connects to it)");
    auto* proxy = cli.add_option(
        "--proxy", o.proxy_listen,
        "Start a monitor (recording proxy) listening on this name at once, forwarding each "
        "client to --to's target");
    cli.add_option("--to", o.proxy_target, "With --proxy: the target (the real server)")
        ->needs(proxy);
    proxy->needs("--to");
    cli.add_flag("--no-settings", o.no_settings,
                 "Neither read nor write settings and layout (clean state, e.g. for screenshots)");
    try {
        cli.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return OptionsExit{cli.exit(e)};
    }
    return o;
}

}  // namespace pipescope::gui
