// The SMB client against a real Samba on loopback (support/samba_fixture.hpp): a DCERPC bind on
// srvsvc through `pipescope-cli client --message --hex --send` as guest, as a user with NTLMv2
// and mandatory signing, and against a server that requires encryption; and the session and
// channel API itself (dialect, signing, message boundaries, transceive, timeouts, cancel,
// errors by name). Natively, as root, where smbd is installed; skipped elsewhere with the reason.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "pipescope/hex.hpp"
#include "pipescope/smb.hpp"
#include "support/child_process.hpp"
#include "support/samba_fixture.hpp"

#ifndef _WIN32
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#endif

namespace pipescope::test {
namespace {

using namespace std::chrono_literals;
namespace smb = core::smb;

// A DCERPC bind to srvsvc (4b324fc8-1670-01d3-1278-5a47bf6ee188 v3.0) with the NDR transfer
// syntax: 72 bytes, call id 1.
const std::string kSrvsvcBind =
    "05000b03100000004800000001000000b810b810000000000100000000000100"
    "c84f324b7016d30112785a47bf6ee18803000000045d888aeb1cc9119fe808002b10486002000000";

std::vector<std::byte> bind_bytes() {
    auto b = core::parse_hex(kSrvsvcBind);
    return b ? *b : std::vector<std::byte>{};
}

#ifndef _WIN32
struct CliRun {
    int exit_code = -1;
    std::string output;  // stdout and stderr
};

// Runs pipescope-cli with `args`, stdin from /dev/null, bounded by 60 s.
CliRun run_cli(const std::vector<std::string>& args, const std::string& dir) {
    const std::string exe = built_program(PIPESCOPE_CLI_EXE);
    const std::string out = dir + "/cli-output.txt";
    CliRun run;
    pid_t pid = ::fork();
    if (pid == 0) {
        int in = ::open("/dev/null", O_RDONLY);
        int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        ::dup2(in, 0);
        ::dup2(fd, 1);
        ::dup2(fd, 2);
        std::vector<char*> argv{const_cast<char*>(exe.c_str())};
        for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
        argv.push_back(nullptr);
        ::execv(exe.c_str(), argv.data());
        ::_exit(127);
    }
    int status = 0;
    auto deadline = std::chrono::steady_clock::now() + 60s;
    while (::waitpid(pid, &status, WNOHANG) == 0) {
        if (std::chrono::steady_clock::now() > deadline) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, &status, 0);
            run.output = "(killed after 60 s)\n";
            break;
        }
        std::this_thread::sleep_for(10ms);
    }
    if (WIFEXITED(status)) run.exit_code = WEXITSTATUS(status);
    std::ifstream f(out);
    std::stringstream ss;
    ss << f.rdbuf();
    run.output += ss.str();
    return run;
}

// The hex bytes of the first output line ("05 00 0c 03 ...").
std::vector<std::string> first_line_bytes(const std::string& output) {
    std::istringstream in(output.substr(0, output.find('\n')));
    std::vector<std::string> bytes;
    for (std::string b; in >> b;) bytes.push_back(b);
    return bytes;
}

void expect_bind_ack(const CliRun& run) {
    ASSERT_EQ(run.exit_code, 0) << run.output;
    auto bytes = first_line_bytes(run.output);
    ASSERT_GE(bytes.size(), 4u) << run.output;
    EXPECT_EQ(bytes[0], "05");
    EXPECT_EQ(bytes[2], "0c") << "packet type 12 (bind_ack) expected: " << run.output;
    // Its own frag_length (bytes 8-9, little-endian) is the whole reply: one message, whole.
    const auto frag_length = std::stoul(bytes[9] + bytes[8], nullptr, 16);
    EXPECT_EQ(bytes.size(), frag_length) << run.output;
    EXPECT_EQ(run.output.find('\n'), run.output.size() - 1) << "one line: " << run.output;
}
#endif

// Starts Samba with `options`, or skips with the reason it cannot run here.
#define START_SAMBA(server, options)                                         \
    if (auto why = SambaServer::unavailable_reason()) GTEST_SKIP() << *why;  \
    {                                                                        \
        std::string samba_error;                                             \
        ASSERT_TRUE((server).start((options), &samba_error)) << samba_error; \
    }

smb::Options user_options(const SambaServer& server) {
    smb::Options o;
    o.host = "127.0.0.1";
    o.port = server.port();
    o.credentials.domain = server.domain();
    o.credentials.user = server.user();
    o.credentials.password = server.password();
    o.timeout = 10s;
    return o;
}

TEST(SmbSamba, GuestBindsSrvsvcThroughTheCli) {
    SambaServer server;
    START_SAMBA(server, SambaOptions{});
#ifndef _WIN32
    expect_bind_ack(
        run_cli({"client", "\\\\127.0.0.1\\pipe\\srvsvc", "--smb-port",
                 std::to_string(server.port()), "--message", "--hex", "--send", kSrvsvcBind},
                server.dir()));
#endif
}

TEST(SmbSamba, UserWithMandatorySigningBindsSrvsvcThroughTheCli) {
    SambaServer server;
    SambaOptions options;
    options.signing_mandatory = true;
    options.map_to_guest_never = true;
    START_SAMBA(server, options);
#ifndef _WIN32
    const auto run = run_cli(
        {"client", "\\\\127.0.0.1\\pipe\\srvsvc", "--smb-port", std::to_string(server.port()),
         "--user", server.qualified_user(), "--password-file", server.password_file(),
         "--require-signing", "--message", "--hex", "--send", kSrvsvcBind},
        server.dir());
    expect_bind_ack(run);
    EXPECT_EQ(run.output.find(server.password()), std::string::npos);
#endif
}

TEST(SmbSamba, UserBindsSrvsvcWhereTheServerRequiresEncryption) {
    SambaServer server;
    SambaOptions options;
    options.encrypt_required = true;
    START_SAMBA(server, options);
#ifndef _WIN32
    expect_bind_ack(run_cli(
        {"client", "\\\\127.0.0.1\\pipe\\srvsvc", "--smb-port", std::to_string(server.port()),
         "--user", server.qualified_user(), "--password-file", server.password_file(), "--message",
         "--hex", "--send", kSrvsvcBind},
        server.dir()));
#endif
}

TEST(SmbSamba, GuestWhereTheServerRequiresEncryptionIsRefusedByName) {
    SambaServer server;
    SambaOptions options;
    options.encrypt_required = true;
    START_SAMBA(server, options);
#ifndef _WIN32
    const auto run =
        run_cli({"client", "\\\\127.0.0.1\\pipe\\srvsvc", "--smb-port",
                 std::to_string(server.port()), "--message", "--hex", "--send", kSrvsvcBind},
                server.dir());
    EXPECT_EQ(run.exit_code, 1) << run.output;
    EXPECT_NE(run.output.find("encryption"), std::string::npos) << run.output;
#endif
}

// Encryption on each cipher the dialects agree: AES-128-CCM on 3.0 and 3.0.2 (the 3.0 KDF),
// AES-128-GCM on 3.1.1 (keys from the pre-authentication hash). A wrong key or nonce makes the
// server drop the request or our decryption fail.
class SmbSambaEncryption : public ::testing::TestWithParam<const char*> {};

TEST_P(SmbSambaEncryption, EncryptedSessionTransceives) {
    SambaServer server;
    SambaOptions options;
    options.encrypt_required = true;
    options.max_protocol = GetParam();
    START_SAMBA(server, options);
    auto session = smb::Session::connect_tcp(user_options(server));
    ASSERT_TRUE(session) << session.error().to_string();
    auto info = (*session)->logon();
    ASSERT_TRUE(info) << info.error().to_string();
    EXPECT_TRUE(info->encryption);
    auto channel = (*session)->open_pipe("srvsvc", core::ClientConfig{});
    ASSERT_TRUE(channel) << channel.error().to_string();
    EXPECT_TRUE((*channel)->session_info().encryption);
    std::vector<std::byte> reply(4096);
    auto r = (*channel)->transact(bind_bytes(), reply, 10s);
    ASSERT_TRUE(r) << r.error().to_string();
    EXPECT_EQ(reply[2], std::byte{12});
}

INSTANTIATE_TEST_SUITE_P(Dialects, SmbSambaEncryption,
                         ::testing::Values("SMB3_00", "SMB3_02", "SMB3_11"), [](const auto& test) {
                             return std::string(test.param).substr(3, 1) +
                                    std::string(test.param).substr(5, 2);
                         });

TEST(SmbSamba, EncryptionAskedByTheClientIsUsed) {
    SambaServer server;
    START_SAMBA(server, SambaOptions{});
    auto o = user_options(server);
    o.encrypt = true;
    auto session = smb::Session::connect_tcp(o);
    ASSERT_TRUE(session) << session.error().to_string();
    auto info = (*session)->logon();
    ASSERT_TRUE(info) << info.error().to_string();
    EXPECT_TRUE(info->encryption);
    auto channel = (*session)->open_pipe("srvsvc", core::ClientConfig{});
    ASSERT_TRUE(channel) << channel.error().to_string();
    ASSERT_TRUE((*channel)->write(bind_bytes(), 10s));
    std::vector<std::byte> reply(4096);
    auto r = (*channel)->read(reply, 10s);
    ASSERT_TRUE(r) << r.error().to_string();
    EXPECT_EQ(reply[2], std::byte{12});
}

TEST(SmbSamba, UserSessionIsSignedOnTheHighestDialect) {
    SambaServer server;
    SambaOptions options;
    options.signing_mandatory = true;
    START_SAMBA(server, options);
    auto session = smb::Session::connect_tcp(user_options(server));
    ASSERT_TRUE(session) << session.error().to_string();
    auto info = (*session)->logon();
    ASSERT_TRUE(info) << info.error().to_string();
    EXPECT_EQ(info->dialect, smb::Dialect::Smb311);
    EXPECT_TRUE(info->server_requires_signing);
    EXPECT_TRUE(info->signing);
    EXPECT_FALSE(info->guest);
    EXPECT_EQ(info->server_name, "PSTESTSRV");
}

// Each dialect's signing: HMAC-SHA256 (2.x), AES-CMAC with the 3.0 KDF (3.0, 3.0.2) and with
// the 3.1.1 pre-authentication hash (3.1.1). A wrong key or hash fails the signature check of
// the logon's last reply or of the first signed one (tree connect).
struct DialectCase {
    const char* max_protocol;
    smb::Dialect dialect;
};

class SmbSambaDialects : public ::testing::TestWithParam<DialectCase> {};

TEST_P(SmbSambaDialects, SignedUserSessionBindsSrvsvc) {
    SambaServer server;
    SambaOptions options;
    options.signing_mandatory = true;
    options.max_protocol = GetParam().max_protocol;
    START_SAMBA(server, options);
    auto session = smb::Session::connect_tcp(user_options(server));
    ASSERT_TRUE(session) << session.error().to_string();
    auto info = (*session)->logon();
    ASSERT_TRUE(info) << info.error().to_string();
    EXPECT_EQ(info->dialect, GetParam().dialect);
    EXPECT_TRUE(info->signing);
    auto channel = (*session)->open_pipe("srvsvc", core::ClientConfig{});
    ASSERT_TRUE(channel) << channel.error().to_string();
    std::vector<std::byte> reply(4096);
    auto r = (*channel)->transact(bind_bytes(), reply, 10s);
    ASSERT_TRUE(r) << r.error().to_string();
    EXPECT_EQ(reply[2], std::byte{12});
}

INSTANTIATE_TEST_SUITE_P(Dialects, SmbSambaDialects,
                         ::testing::Values(DialectCase{"SMB2_02", smb::Dialect::Smb202},
                                           DialectCase{"SMB2_10", smb::Dialect::Smb210},
                                           DialectCase{"SMB3_00", smb::Dialect::Smb300},
                                           DialectCase{"SMB3_02", smb::Dialect::Smb302},
                                           DialectCase{"SMB3_11", smb::Dialect::Smb311}),
                         [](const auto& test) {
                             return std::string(test.param.max_protocol).substr(3, 1) +
                                    std::string(test.param.max_protocol).substr(5, 2);
                         });

TEST(SmbSamba, AnonymousSessionIsGuestAndUnsigned) {
    SambaServer server;
    START_SAMBA(server, SambaOptions{});
    smb::Options o;
    o.host = "127.0.0.1";
    o.port = server.port();
    auto session = smb::Session::connect_tcp(o);
    ASSERT_TRUE(session) << session.error().to_string();
    auto info = (*session)->logon();
    ASSERT_TRUE(info) << info.error().to_string();
    EXPECT_TRUE(info->guest);
    EXPECT_FALSE(info->signing);
    EXPECT_FALSE(info->server_requires_signing);
}

// The frag_length a DCERPC PDU gives for itself (bytes 8-9, little-endian).
std::size_t frag_length(const std::vector<std::byte>& pdu) {
    return pdu.size() < 10
               ? 0
               : std::to_integer<std::size_t>(pdu[8]) + (std::to_integer<std::size_t>(pdu[9]) << 8);
}

TEST(SmbSamba, OneReadGivesOneWholeMessage) {
    SambaServer server;
    START_SAMBA(server, SambaOptions{});
    auto pipe = core::PipeName::parse("\\\\127.0.0.1\\pipe\\srvsvc");
    ASSERT_TRUE(pipe);
    auto channel = smb::open_remote_pipe(*pipe, user_options(server), core::ClientConfig{});
    ASSERT_TRUE(channel) << channel.error().to_string();
    auto bind = bind_bytes();
    auto written = (*channel)->write(bind, 10s);
    ASSERT_TRUE(written) << written.error().to_string();
    EXPECT_EQ(*written, bind.size());
    std::vector<std::byte> buf(4096);
    auto r = (*channel)->read(buf, 10s);
    ASSERT_TRUE(r) << r.error().to_string();
    EXPECT_TRUE(r->message_end);
    buf.resize(r->bytes);
    ASSERT_GE(buf.size(), 10u);
    EXPECT_EQ(buf[2], std::byte{12});
    EXPECT_EQ(buf.size(), frag_length(buf));
}

TEST(SmbSamba, ShortReadsAddUpToTheMessage) {
    SambaServer server;
    START_SAMBA(server, SambaOptions{});
    auto pipe = core::PipeName::parse("\\\\127.0.0.1\\pipe\\srvsvc");
    ASSERT_TRUE(pipe);
    auto channel = smb::open_remote_pipe(*pipe, user_options(server), core::ClientConfig{});
    ASSERT_TRUE(channel) << channel.error().to_string();
    ASSERT_TRUE((*channel)->write(bind_bytes(), 10s));
    // 20 bytes first: where the server says STATUS_BUFFER_OVERFLOW the read says "more of this
    // message" (Samba answers success and keeps the rest for the next read).
    std::vector<std::byte> all;
    std::vector<std::byte> buf(20);
    auto first = (*channel)->read(buf, 10s);
    ASSERT_TRUE(first) << first.error().to_string();
    ASSERT_EQ(first->bytes, buf.size());
    all.insert(all.end(), buf.begin(), buf.end());
    buf.resize(4096);
    auto rest = (*channel)->read(buf, 10s);
    ASSERT_TRUE(rest) << rest.error().to_string();
    EXPECT_TRUE(rest->message_end);
    all.insert(all.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(rest->bytes));
    EXPECT_EQ(all[2], std::byte{12});
    EXPECT_EQ(all.size(), frag_length(all));
}

TEST(SmbSamba, TransceiveWritesAndReadsOneMessage) {
    SambaServer server;
    START_SAMBA(server, SambaOptions{});
    auto session = smb::Session::connect_tcp(user_options(server));
    ASSERT_TRUE(session) << session.error().to_string();
    ASSERT_TRUE((*session)->logon());
    auto channel = (*session)->open_pipe("srvsvc", core::ClientConfig{});
    ASSERT_TRUE(channel) << channel.error().to_string();
    std::vector<std::byte> reply(4096);
    auto r = (*channel)->transact(bind_bytes(), reply, 10s);
    ASSERT_TRUE(r) << r.error().to_string();
    EXPECT_TRUE(r->message_end);
    ASSERT_GE(r->bytes, 10u);
    EXPECT_EQ(reply[2], std::byte{12});
    reply.resize(r->bytes);
    EXPECT_EQ(reply.size(), frag_length(reply));
}

TEST(SmbSamba, TimedOutReadStaysPostedAndLosesNothing) {
    SambaServer server;
    START_SAMBA(server, SambaOptions{});
    auto session = smb::Session::connect_tcp(user_options(server));
    ASSERT_TRUE(session) << session.error().to_string();
    ASSERT_TRUE((*session)->logon());
    auto channel = (*session)->open_pipe("srvsvc", core::ClientConfig{});
    ASSERT_TRUE(channel) << channel.error().to_string();
    std::vector<std::byte> buf(4096);
    auto r = (*channel)->read(buf, 300ms);  // nothing was asked: nothing comes
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, core::ErrorCode::Timeout) << r.error().to_string();
    // The read is still posted: a transaction would lose its reply to it, so it is refused.
    auto t = (*channel)->transact(bind_bytes(), buf, 10s);
    ASSERT_FALSE(t);
    EXPECT_EQ(t.error().code, core::ErrorCode::Busy) << t.error().to_string();
    ASSERT_TRUE((*channel)->write(bind_bytes(), 10s));
    auto reply = (*channel)->read(buf, 10s);
    ASSERT_TRUE(reply) << reply.error().to_string();
    buf.resize(reply->bytes);
    ASSERT_GE(buf.size(), 10u);
    EXPECT_EQ(buf[2], std::byte{12});
    EXPECT_EQ(buf.size(), frag_length(buf));
}

TEST(SmbSamba, CancelEndsAPendingRead) {
    SambaServer server;
    START_SAMBA(server, SambaOptions{});
    auto session = smb::Session::connect_tcp(user_options(server));
    ASSERT_TRUE(session) << session.error().to_string();
    ASSERT_TRUE((*session)->logon());
    auto channel = (*session)->open_pipe("srvsvc", core::ClientConfig{});
    ASSERT_TRUE(channel) << channel.error().to_string();
    std::atomic<bool> reading{false};
    std::thread canceller([&] {
        while (!reading) std::this_thread::yield();
        std::this_thread::sleep_for(200ms);
        (*channel)->cancel();
    });
    std::vector<std::byte> buf(4096);
    reading = true;
    auto r = (*channel)->read(buf, 30s);
    canceller.join();
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, core::ErrorCode::Cancelled) << r.error().to_string();
}

TEST(SmbSamba, ErrorsNameTheStatus) {
    SambaServer server;
    SambaOptions options;
    options.map_to_guest_never = true;
    START_SAMBA(server, options);
    auto o = user_options(server);
    o.credentials.password = "not-the-password";
    auto session = smb::Session::connect_tcp(o);
    ASSERT_TRUE(session) << session.error().to_string();
    auto info = (*session)->logon();
    ASSERT_FALSE(info);
    EXPECT_EQ(info.error().code, core::ErrorCode::AccessDenied);
    EXPECT_NE(info.error().to_string().find("STATUS_LOGON_FAILURE"), std::string::npos)
        << info.error().to_string();
    EXPECT_EQ(info.error().to_string().find("not-the-password"), std::string::npos);

    auto good = smb::Session::connect_tcp(user_options(server));
    ASSERT_TRUE(good) << good.error().to_string();
    ASSERT_TRUE((*good)->logon());
    auto missing = (*good)->open_pipe("pipescope-no-such-pipe", core::ClientConfig{});
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().code, core::ErrorCode::NotFound);
    EXPECT_NE(missing.error().to_string().find("STATUS_OBJECT_NAME_NOT_FOUND"), std::string::npos);
}

TEST(SmbSamba, ClosedPortIsRefused) {
    SambaServer server;
    START_SAMBA(server, SambaOptions{});
    smb::Options o;
    o.host = "127.0.0.1";
    o.port = server.port();
    server.stop();
    auto session = smb::Session::connect_tcp(o);
    ASSERT_FALSE(session);
    EXPECT_EQ(session.error().code, core::ErrorCode::ConnectionRefused)
        << session.error().to_string();
}

}  // namespace
}  // namespace pipescope::test
