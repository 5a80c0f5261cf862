// The inspector's "Effective access": which principals may connect to read, to write, or
// create an instance of the probed pipe, each verdict with its reason, and the audit's
// findings for it, computed from what the probe read (Windows: the security descriptor's
// bytes; Linux: mode, owner and server uid). Pure: no ImGui, no OS calls; the caller says who
// the asker is. Any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "pipescope/access_check.hpp"
#include "pipescope/audit.hpp"
#include "pipescope/inspect.hpp"

namespace pipescope::gui {

// Who "current user" is: the process's token on Windows, its uid elsewhere.
struct Asker {
    std::optional<core::AccessPrincipal> token;  // Windows; nullopt: the row is left out
    std::uint32_t uid = 0;                       // POSIX
};

// The asker for this process (core::current_token_principal; getuid). Reads the process token
// on Windows: call it once, not per frame.
[[nodiscard]] Asker current_asker();

struct EffectiveAccess {
    // audit->access (one row per principal) and audit->findings, when they could be computed.
    std::optional<core::PipeAudit> audit;
    // Otherwise why not, in words ("no security descriptor: ...").
    std::string missing;
};

[[nodiscard]] EffectiveAccess effective_access(const core::PipeDetails& d, const Asker& asker);

}  // namespace pipescope::gui
