// current_token_principal on POSIX: there is no Windows token to read.
#include "pipescope/audit.hpp"

namespace pipescope::core {

std::optional<AccessPrincipal> current_token_principal() {
    return std::nullopt;
}

}  // namespace pipescope::core
