// Internal: the entry points each platform backend provides to transport.cpp.
#pragma once

#include "pipescope/transport.hpp"

namespace pipescope::core::detail {

// The transports this platform's backend provides.
std::vector<TransportKind> os_transports();
// Listener and dialer of this platform's backend (transport/win32 or transport/posix).
Result<std::unique_ptr<Listener>> listen_os(const Endpoint& endpoint);
Result<std::unique_ptr<Channel>> connect_os(const Endpoint& endpoint, Timeout timeout,
                                            std::stop_token stop);

}  // namespace pipescope::core::detail
