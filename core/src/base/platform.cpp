#include "pipescope/platform.hpp"

#include "pipescope/version.hpp"

#ifdef _WIN32
#include <windows.h>
#endif

namespace pipescope::core {

const char* version() {
    return PIPESCOPE_VERSION_STRING;
}

std::string wine_version() {
#ifdef _WIN32
    HMODULE ntdll = ::GetModuleHandleW(L"ntdll.dll");
    if (!ntdll) return {};
    using Fn = const char*(__cdecl*)();
    auto fn =
        reinterpret_cast<Fn>(reinterpret_cast<void*>(::GetProcAddress(ntdll, "wine_get_version")));
    if (!fn) return {};
    const char* v = fn();
    return v ? v : "";
#else
    return {};
#endif
}

bool is_wine() {
    return !wine_version().empty();
}

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

std::filesystem::path self_executable_path() {
#ifdef _WIN32
    std::wstring buf(32768, L'\0');
    const DWORD n = ::GetModuleFileNameW(nullptr, buf.data(), static_cast<DWORD>(buf.size()));
    if (n == 0 || n >= buf.size()) return {};
    buf.resize(n);
    return std::filesystem::path(buf);
#else
    std::error_code ec;
    auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
    return ec ? std::filesystem::path() : self;
#endif
}

}  // namespace pipescope::core
