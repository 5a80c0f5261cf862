// What the app remembers between runs, kept as JSON in the user's config folder.
// UI thread only.
#pragma once

#include <filesystem>
#include <string>

#include "pipescope/result.hpp"

namespace pipescope::gui {

struct Settings {
    std::string theme = "dark";  // "dark" or "light"
    float ui_scale = 0.0f;       // 0: follow the monitor's content scale
    int window_width = 1280;
    int window_height = 800;
    int refresh_interval_ms = 2000;  // pipe list auto-refresh
    bool auto_refresh = true;
    std::string last_pipe;  // last name typed in a connect form

    // Missing or unreadable file: defaults (a damaged file is reported, not fatal).
    static core::Result<Settings> load(const std::filesystem::path& file);
    core::Status save(const std::filesystem::path& file) const;
    static std::filesystem::path default_file();  // <config_dir>/settings.json
};

}  // namespace pipescope::gui
