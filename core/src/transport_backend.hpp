// Internal: the entry points each platform backend provides to transport.cpp.
#pragma once

#include "pipescope/transport.hpp"

namespace pipescope::core::detail {

#ifdef _WIN32
Result<std::unique_ptr<Listener>> listen_win32(const Endpoint& endpoint);
Result<std::unique_ptr<Channel>> connect_win32(const Endpoint& endpoint, Timeout timeout,
                                               std::stop_token stop);
#else
Result<std::unique_ptr<Listener>> listen_posix(const Endpoint& endpoint);
Result<std::unique_ptr<Channel>> connect_posix(const Endpoint& endpoint, Timeout timeout,
                                               std::stop_token stop);
#endif

}  // namespace pipescope::core::detail
