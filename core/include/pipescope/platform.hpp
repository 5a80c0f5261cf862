// Facts about where we run, for the status bar, the CLI banner and tests that must skip a step.
#pragma once

#include <filesystem>
#include <string>

namespace pipescope::core {

// "0.1.0"
[[nodiscard]] const char* version();
// "Windows", "Windows (Wine 8.0)" or "Linux".
[[nodiscard]] std::string platform_name();
// True when running as a Windows program under Wine (ntdll exports wine_get_version).
[[nodiscard]] bool is_wine();
// Wine's version string, or empty when not under Wine.
[[nodiscard]] std::string wine_version();
// This program's own executable (GetModuleFileNameW; /proc/self/exe), or an empty path when
// the OS does not say. Any thread.
[[nodiscard]] std::filesystem::path self_executable_path();

}  // namespace pipescope::core
