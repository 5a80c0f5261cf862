#include "settings.hpp"

#include <algorithm>
#include <system_error>

#include <nlohmann/json.hpp>

#include "pipescope/files.hpp"

namespace pipescope::gui {

std::filesystem::path Settings::default_file() {
    return core::config_dir() / "settings.json";
}

core::Result<Settings> Settings::load(const std::filesystem::path& file) {
    Settings s;
    std::error_code ec;
    if (!std::filesystem::exists(file, ec)) return s;
    auto text = core::read_file(file, 1u << 20);
    if (!text) return std::move(text).error();
    nlohmann::json j = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object()) {
        return core::make_error(core::ErrorCode::InvalidArgument, "Settings::load", file.string(),
                                "the settings file is not valid JSON. Next: fix or delete it; "
                                "defaults are used meanwhile");
    }
    auto get = [&](const char* key, auto& field) {
        using T = std::decay_t<decltype(field)>;
        auto it = j.find(key);
        if (it == j.end()) return;
        if constexpr (std::is_same_v<T, std::string>) {
            if (it->is_string()) field = it->template get<std::string>();
        } else if constexpr (std::is_same_v<T, bool>) {
            if (it->is_boolean()) field = it->template get<bool>();
        } else {
            if (it->is_number()) field = it->template get<T>();
        }
    };
    get("theme", s.theme);
    get("ui_scale", s.ui_scale);
    get("window_width", s.window_width);
    get("window_height", s.window_height);
    get("refresh_interval_ms", s.refresh_interval_ms);
    get("auto_refresh", s.auto_refresh);
    get("last_pipe", s.last_pipe);
    if (s.theme != "dark" && s.theme != "light") s.theme = "dark";
    s.ui_scale = std::clamp(s.ui_scale, 0.0f, 4.0f);
    s.window_width = std::clamp(s.window_width, 320, 8192);
    s.window_height = std::clamp(s.window_height, 240, 8192);
    s.refresh_interval_ms = std::clamp(s.refresh_interval_ms, 250, 60000);
    return s;
}

core::Status Settings::save(const std::filesystem::path& file) const {
    nlohmann::json j = {{"theme", theme},
                        {"ui_scale", ui_scale},
                        {"window_width", window_width},
                        {"window_height", window_height},
                        {"refresh_interval_ms", refresh_interval_ms},
                        {"auto_refresh", auto_refresh},
                        {"last_pipe", last_pipe}};
    std::error_code ec;
    std::filesystem::create_directories(file.parent_path(), ec);
    return core::write_file_atomic(file, j.dump(2) + "\n");
}

}  // namespace pipescope::gui
