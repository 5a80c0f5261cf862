// Portable: the Win32 flag computation and the security warnings (see pipe_security.hpp).
#include "pipescope/pipe_security.hpp"

#include <cstdio>
#include <regex>

namespace pipescope::core {

using namespace win32flags;

Win32ServerFlags win32_server_flags(const ServerConfig& c, IoModel io, bool first_of_listener) {
    Win32ServerFlags f;
    switch (c.direction) {
        case PipeDirection::Inbound:
            f.open_mode = kPipeAccessInbound;
            break;
        case PipeDirection::Outbound:
            f.open_mode = kPipeAccessOutbound;
            break;
        case PipeDirection::Duplex:
            f.open_mode = kPipeAccessDuplex;
            break;
    }
    const bool sync = io == IoModel::Sync;
    if (!sync) f.open_mode |= kFileFlagOverlapped;
    if (first_of_listener && c.first_instance) f.open_mode |= kFileFlagFirstPipeInstance;
    // Sync: PIPE_NOWAIT while listening, for the ConnectNamedPipe polling.
    const bool nowait = c.nowait || sync;
    f.pipe_mode = (c.type == PipeType::Message ? kPipeTypeMessage : 0u) |
                  (c.read_mode == PipeType::Message ? kPipeReadmodeMessage : 0u) |
                  (nowait ? kPipeNowait : 0u) | (c.reject_remote ? kPipeRejectRemoteClients : 0u);
    f.max_instances = c.max_instances >= 255 || c.max_instances <= 0
                          ? kPipeUnlimitedInstances
                          : static_cast<std::uint32_t>(c.max_instances);
    return f;
}

std::uint32_t win32_client_flags(const ClientConfig& c, IoModel io) {
    std::uint32_t level = kSecurityIdentification;
    switch (c.impersonation) {
        case ImpersonationLevel::Anonymous:
            level = kSecurityAnonymous;
            break;
        case ImpersonationLevel::Identification:
            level = kSecurityIdentification;
            break;
        case ImpersonationLevel::Impersonation:
            level = kSecurityImpersonation;
            break;
        case ImpersonationLevel::Delegation:
            level = kSecurityDelegation;
            break;
    }
    std::uint32_t flags = kSecuritySqosPresent | level;
    if (io != IoModel::Sync) flags |= kFileFlagOverlapped;
    return flags;
}

namespace {

// Trustees of allow ACEs in an SDDL DACL that stand for "anyone": Everyone, Anonymous,
// Authenticated Users, Users, Interactive, Network.
std::vector<std::string> broad_trustees(const std::string& sddl) {
    static const std::regex ace(R"(\(A;[^;]*;[^;]*;[^;]*;[^;]*;([^)]*)\))", std::regex::icase);
    std::vector<std::string> out;
    for (auto it = std::sregex_iterator(sddl.begin(), sddl.end(), ace);
         it != std::sregex_iterator(); ++it) {
        std::string t = (*it)[1].str();
        for (auto& ch : t) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
        static const char* kBroad[][2] = {
            {"WD", "Everyone"},     {"AN", "Anonymous"},         {"AU", "Authenticated Users"},
            {"BU", "Users"},        {"IU", "Interactive users"}, {"NU", "Network users"},
            {"S-1-1-0", "Everyone"}};
        for (const auto& b : kBroad) {
            if (t == b[0]) out.push_back(b[1]);
        }
    }
    return out;
}

}  // namespace

std::vector<std::string> server_security_warnings(const ServerConfig& c, TransportKind kind) {
    std::vector<std::string> out;
    if (kind == TransportKind::Win32Pipe) {
        if (!c.first_instance) {
            out.push_back(
                "FILE_FLAG_FIRST_PIPE_INSTANCE is off: if another process already "
                "owns this pipe name, this server becomes one more instance of it and "
                "clients may reach either server");
        }
        if (!c.reject_remote) {
            out.push_back(
                "PIPE_REJECT_REMOTE_CLIENTS is off: clients on other machines may "
                "connect over the network (SMB)");
        }
        for (const auto& who : broad_trustees(c.sddl)) {
            out.push_back("the security descriptor lets " + who +
                          " open the pipe (default: only you, SYSTEM and Administrators)");
        }
    } else if (kind != TransportKind::Tcp && (c.socket_mode & 0077) != 0) {
        char mode[8];
        std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(c.socket_mode & 07777));
        out.push_back(std::string("the ") + (kind == TransportKind::Fifo ? "FIFO" : "socket") +
                      " mode " + mode + " lets other users connect (default: 0600, only you)");
    }
    return out;
}

std::vector<std::string> client_security_warnings(const ClientConfig& c, TransportKind kind) {
    std::vector<std::string> out;
    if (kind == TransportKind::Win32Pipe && (c.impersonation == ImpersonationLevel::Impersonation ||
                                             c.impersonation == ImpersonationLevel::Delegation)) {
        out.push_back(
            std::string("impersonation level '") + std::string(to_string(c.impersonation)) +
            "' lets the server act as you" +
            (c.impersonation == ImpersonationLevel::Delegation ? ", also on other machines" : "") +
            " (default: identification, the server may only see who you are)");
    }
    return out;
}

}  // namespace pipescope::core
