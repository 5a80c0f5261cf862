#include "os/process_identity.hpp"

#include <unistd.h>

#include <cstdlib>
#include <string>

#include "pipescope/files.hpp"

namespace pipescope::core::os {

std::optional<std::uint32_t> effective_uid() {
    return static_cast<std::uint32_t>(::geteuid());
}

std::optional<std::uint32_t> process_uid(std::uint32_t pid) {
    auto text = read_file("/proc/" + std::to_string(pid) + "/status", 64 * 1024);
    if (!text) return std::nullopt;
    // "Uid:\t<real>\t<effective>\t<saved>\t<fs>"
    auto at = text->find("\nUid:");
    if (at == std::string::npos) return std::nullopt;
    const char* p = text->c_str() + at + 5;
    char* end = nullptr;
    std::strtoul(p, &end, 10);  // real
    if (end == p) return std::nullopt;
    p = end;
    unsigned long effective = std::strtoul(p, &end, 10);
    if (end == p) return std::nullopt;
    return static_cast<std::uint32_t>(effective);
}

}  // namespace pipescope::core::os
