// The desktop app's command line: the flags README.md's "The desktop app" lists. UI thread
// (main) only.
#pragma once

#include <string>
#include <variant>

namespace pipescope::gui {

struct GuiOptions {
    std::string screenshot_path;          // --screenshot: render, save this PNG, exit
    int frames = 10;                      // --frames before the screenshot
    double screenshot_after_seconds = 0;  // --screenshot-after: also wait this long
    int width = 0;                        // --width; 0: from the settings (screenshot: 1280)
    int height = 0;                       // --height; 0: from the settings (screenshot: 800)
    bool light = false;                   // --light theme
    bool no_settings = false;             // --no-settings: neither read nor write them
    std::string view;                     // --view pipes|security|bench|log|server|client|monitor
    std::string bench_preset;             // --bench: start a benchmark with this preset
    std::string connect_name;             // --connect: open a test client on this pipe
    std::string serve_name;               // --serve: start a test server on this pipe
    bool audit = false;                   // --audit: start the security audit at once
    std::string inspect_name;             // --inspect: inspect this pipe at once
    std::string proxy_listen;             // --proxy: start a monitor (proxy) listening here
    std::string proxy_target;             // --to: the monitor's target

    [[nodiscard]] bool screenshot_mode() const { return !screenshot_path.empty(); }
    // Whether settings and the ImGui layout are read at start and written at exit.
    [[nodiscard]] bool persist() const { return !no_settings && !screenshot_mode(); }
};

// The process ends at once with this code: --help or --version (printed to stdout, code 0) or
// a bad command line (the error printed to stderr, CLI11's non-zero code).
struct OptionsExit {
    int code = 0;
};

// Parses the command line with CLI11.
[[nodiscard]] std::variant<GuiOptions, OptionsExit> parse_options(int argc, char** argv);

}  // namespace pipescope::gui
