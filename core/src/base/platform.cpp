#include "pipescope/platform.hpp"

#include "pipescope/version.hpp"

#ifdef _WIN32
#include <windows.h>
#endif

namespace pipescope::core {

const char* version() { return PIPESCOPE_VERSION_STRING; }

std::string wine_version() {
#ifdef _WIN32
    HMODULE ntdll = ::GetModuleHandleW(L"ntdll.dll");
    if (!ntdll) return {};
    using Fn = const char*(__cdecl*)();
    auto fn = reinterpret_cast<Fn>(reinterpret_cast<void*>(::GetProcAddress(ntdll, "wine_get_version")));
    if (!fn) return {};
    const char* v = fn();
    return v ? v : "";
#else
    return {};
#endif
}

bool is_wine() { return !wine_version().empty(); }

std::string platform_name() {
#ifdef _WIN32
    auto wine = wine_version();
    return wine.empty() ? "Windows" : "Windows (Wine " + wine + ")";
#elif defined(__linux__)
    return "Linux";
#else
    return "POSIX";
#endif
}

}  // namespace pipescope::core
