// Access tokens are a Windows thing: nothing to read on POSIX.
#include "pipescope/access_check.hpp"
#include "pipescope/audit.hpp"

namespace pipescope::core {

std::optional<AccessPrincipal> token_principal(void* /*token*/) {
    return std::nullopt;
}

std::optional<AccessPrincipal> current_token_principal() {
    return std::nullopt;
}

}  // namespace pipescope::core
