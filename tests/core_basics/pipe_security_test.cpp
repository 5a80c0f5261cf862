// The security defaults as requested from the OS: the flags a Win32 server passes to
// CreateNamedPipeW and a client to CreateFileW (the Win32 backend passes exactly these, so this
// is the check that still holds under Wine, which does not enforce the first-instance flag),
// and the warnings the CLI and GUI show when a user loosens a default.
#include <gtest/gtest.h>

#include "pipescope/pipe_security.hpp"

using namespace pipescope::core;
using namespace pipescope::core::win32flags;

TEST(PipeSecurity, DefaultServerAsksForFirstInstanceAndRejectsRemoteClients) {
    const ServerConfig c;  // the defaults every test server and the CLI start from
    for (IoModel io : {IoModel::Sync, IoModel::Overlapped, IoModel::Iocp}) {
        const auto first = win32_server_flags(c, io, true);
        EXPECT_EQ(first.open_mode & kFileFlagFirstPipeInstance, kFileFlagFirstPipeInstance);
        EXPECT_EQ(first.pipe_mode & kPipeRejectRemoteClients, kPipeRejectRemoteClients);
        EXPECT_EQ(first.open_mode & 3u, kPipeAccessDuplex);
        EXPECT_EQ((first.open_mode & kFileFlagOverlapped) != 0, io != IoModel::Sync);
        // Later instances of the same listener join the pipe the first one created.
        const auto later = win32_server_flags(c, io, false);
        EXPECT_EQ(later.open_mode & kFileFlagFirstPipeInstance, 0u);
        EXPECT_EQ(later.pipe_mode & kPipeRejectRemoteClients, kPipeRejectRemoteClients);
    }
}

TEST(PipeSecurity, LoosenedServerDropsExactlyThoseFlags) {
    ServerConfig c;
    c.first_instance = false;
    c.reject_remote = false;
    const auto f = win32_server_flags(c, IoModel::Overlapped, true);
    EXPECT_EQ(f.open_mode & kFileFlagFirstPipeInstance, 0u);
    EXPECT_EQ(f.pipe_mode & kPipeRejectRemoteClients, 0u);
    EXPECT_EQ(f.open_mode, kPipeAccessDuplex | kFileFlagOverlapped);
}

TEST(PipeSecurity, ServerFlagsFollowTheRestOfTheConfiguration) {
    ServerConfig c;
    c.direction = PipeDirection::Inbound;
    c.type = PipeType::Message;
    c.read_mode = PipeType::Message;
    c.max_instances = 7;
    auto f = win32_server_flags(c, IoModel::Overlapped, true);
    EXPECT_EQ(f.open_mode & 3u, kPipeAccessInbound);
    EXPECT_EQ(f.pipe_mode, kPipeTypeMessage | kPipeReadmodeMessage | kPipeRejectRemoteClients);
    EXPECT_EQ(f.max_instances, 7u);
    // Sync listens PIPE_NOWAIT (ConnectNamedPipe is polled); the wait mode is restored later.
    f = win32_server_flags(c, IoModel::Sync, true);
    EXPECT_EQ(f.pipe_mode & kPipeNowait, kPipeNowait);
    c.max_instances = 255;
    EXPECT_EQ(win32_server_flags(c, IoModel::Iocp, true).max_instances, kPipeUnlimitedInstances);
}

TEST(PipeSecurity, ClientAsksForIdentificationUnlessToldOtherwise) {
    const ClientConfig c;
    EXPECT_EQ(c.impersonation, ImpersonationLevel::Identification);
    const std::uint32_t f = win32_client_flags(c, IoModel::Sync);
    EXPECT_EQ(f & kSecuritySqosPresent, kSecuritySqosPresent)
        << "without SECURITY_SQOS_PRESENT Windows grants impersonation";
    EXPECT_EQ(f & kSecurityLevelMask, kSecurityIdentification);
    EXPECT_EQ(f & kFileFlagOverlapped, 0u);
    EXPECT_EQ(win32_client_flags(c, IoModel::Iocp) & kFileFlagOverlapped, kFileFlagOverlapped);
    const std::pair<ImpersonationLevel, std::uint32_t> levels[] = {
        {ImpersonationLevel::Anonymous, kSecurityAnonymous},
        {ImpersonationLevel::Impersonation, kSecurityImpersonation},
        {ImpersonationLevel::Delegation, kSecurityDelegation}};
    for (auto [level, bits] : levels) {
        ClientConfig o;
        o.impersonation = level;
        const std::uint32_t g = win32_client_flags(o, IoModel::Overlapped);
        EXPECT_EQ(g & kSecuritySqosPresent, kSecuritySqosPresent);
        EXPECT_EQ(g & kSecurityLevelMask, bits) << to_string(level);
    }
}

TEST(PipeSecurity, DefaultsGiveNoWarnings) {
    for (TransportKind k :
         {TransportKind::Win32Pipe, TransportKind::UnixStream, TransportKind::UnixSeqpacket,
          TransportKind::Fifo, TransportKind::Tcp}) {
        EXPECT_TRUE(server_security_warnings(ServerConfig{}, k).empty()) << to_string(k);
        EXPECT_TRUE(client_security_warnings(ClientConfig{}, k).empty()) << to_string(k);
    }
    ServerConfig c;
    c.sddl = "D:P(A;;FA;;;SY)(A;;FA;;;BA)(A;;FA;;;OW)";  // tighter than the default
    EXPECT_TRUE(server_security_warnings(c, TransportKind::Win32Pipe).empty());
}

TEST(PipeSecurity, EachLoosenedDefaultIsNamed) {
    auto has = [](const std::vector<std::string>& w, const std::string& needle) {
        for (const auto& s : w) {
            if (s.find(needle) != std::string::npos) return true;
        }
        return false;
    };
    ServerConfig c;
    c.first_instance = false;
    auto w = server_security_warnings(c, TransportKind::Win32Pipe);
    ASSERT_EQ(w.size(), 1u);
    EXPECT_TRUE(has(w, "FILE_FLAG_FIRST_PIPE_INSTANCE"));
    c = ServerConfig{};
    c.reject_remote = false;
    w = server_security_warnings(c, TransportKind::Win32Pipe);
    ASSERT_EQ(w.size(), 1u);
    EXPECT_TRUE(has(w, "PIPE_REJECT_REMOTE_CLIENTS"));
    c = ServerConfig{};
    c.sddl = "D:P(A;;FA;;;WD)";
    w = server_security_warnings(c, TransportKind::Win32Pipe);
    ASSERT_EQ(w.size(), 1u);
    EXPECT_TRUE(has(w, "Everyone"));
    c.sddl = "D:P(A;;FRFW;;;AU)(A;;FA;;;SY)";
    EXPECT_TRUE(has(server_security_warnings(c, TransportKind::Win32Pipe), "Authenticated Users"));
    // A deny ACE for everyone is not a loosening.
    c.sddl = "D:P(D;;FA;;;WD)(A;;FA;;;SY)";
    EXPECT_TRUE(server_security_warnings(c, TransportKind::Win32Pipe).empty());

    c = ServerConfig{};
    c.socket_mode = 0666;
    w = server_security_warnings(c, TransportKind::UnixStream);
    ASSERT_EQ(w.size(), 1u);
    EXPECT_TRUE(has(w, "0666"));
    EXPECT_TRUE(has(server_security_warnings(c, TransportKind::Fifo), "FIFO"));
    // The Win32 flags have no meaning for a socket, and the mode none for a Win32 pipe.
    EXPECT_TRUE(server_security_warnings(c, TransportKind::Win32Pipe).empty());

    ClientConfig cl;
    cl.impersonation = ImpersonationLevel::Impersonation;
    EXPECT_TRUE(has(client_security_warnings(cl, TransportKind::Win32Pipe), "act as you"));
    cl.impersonation = ImpersonationLevel::Anonymous;
    EXPECT_TRUE(client_security_warnings(cl, TransportKind::Win32Pipe).empty());
}
