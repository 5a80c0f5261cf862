// What a server or client asks the OS for, security-wise, as plain values: the flags a Win32
// server passes to CreateNamedPipeW and a Win32 client to CreateFileW (numbers as in the
// Windows SDK, so they are computed and testable on every platform, and the Win32 backend
// passes exactly these), and readable warnings when a configuration is looser than our
// defaults (the CLI prints them, the GUI shows them).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "pipescope/transport.hpp"

namespace pipescope::core {

// Windows SDK values (winbase.h / winnt.h); the Win32 backend static_asserts they match.
namespace win32flags {
inline constexpr std::uint32_t kPipeAccessInbound = 0x00000001;
inline constexpr std::uint32_t kPipeAccessOutbound = 0x00000002;
inline constexpr std::uint32_t kPipeAccessDuplex = 0x00000003;
inline constexpr std::uint32_t kFileFlagFirstPipeInstance = 0x00080000;
inline constexpr std::uint32_t kFileFlagOverlapped = 0x40000000;
inline constexpr std::uint32_t kPipeTypeMessage = 0x00000004;
inline constexpr std::uint32_t kPipeReadmodeMessage = 0x00000002;
inline constexpr std::uint32_t kPipeNowait = 0x00000001;
inline constexpr std::uint32_t kPipeRejectRemoteClients = 0x00000008;
inline constexpr std::uint32_t kPipeUnlimitedInstances = 255;
inline constexpr std::uint32_t kSecuritySqosPresent = 0x00100000;
inline constexpr std::uint32_t kSecurityAnonymous = 0x00000000;
inline constexpr std::uint32_t kSecurityIdentification = 0x00010000;
inline constexpr std::uint32_t kSecurityImpersonation = 0x00020000;
inline constexpr std::uint32_t kSecurityDelegation = 0x00030000;
inline constexpr std::uint32_t kSecurityLevelMask = 0x00030000;
}  // namespace win32flags

// dwOpenMode, dwPipeMode and nMaxInstances of one CreateNamedPipeW call.
struct Win32ServerFlags {
    std::uint32_t open_mode = 0;
    std::uint32_t pipe_mode = 0;
    std::uint32_t max_instances = 0;
};

// The flags for one instance of a server with `config` and I/O model `io`. `first_of_listener`:
// the listener's first instance, the only one that carries FILE_FLAG_FIRST_PIPE_INSTANCE (when
// config.first_instance). `listening_nowait`: the Sync model listens PIPE_NOWAIT whatever the
// user's wait mode (see transport_win32.cpp). Any thread.
[[nodiscard]] Win32ServerFlags win32_server_flags(const ServerConfig& config, IoModel io,
                                                  bool first_of_listener);

// dwFlagsAndAttributes of a client's CreateFileW: SECURITY_SQOS_PRESENT with the chosen
// impersonation level, plus FILE_FLAG_OVERLAPPED for the Overlapped and Iocp models. Any thread.
[[nodiscard]] std::uint32_t win32_client_flags(const ClientConfig& config, IoModel io);

// Readable warnings for each way `config` is looser than our defaults on transport `kind`:
// Win32: no FILE_FLAG_FIRST_PIPE_INSTANCE, no PIPE_REJECT_REMOTE_CLIENTS, an SDDL that lets
// everyone / anonymous / all users in; POSIX: a socket or FIFO mode that lets other users in.
// Empty for the defaults. Any thread.
[[nodiscard]] std::vector<std::string> server_security_warnings(const ServerConfig& config,
                                                                TransportKind kind);
// Warnings for a client: an impersonation level that lets the server act as the user.
[[nodiscard]] std::vector<std::string> client_security_warnings(const ClientConfig& config,
                                                                TransportKind kind);

}  // namespace pipescope::core
