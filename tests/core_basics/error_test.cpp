#include <cerrno>

#include <gtest/gtest.h>

#include "pipescope/error.hpp"

using namespace pipescope::core;

namespace {

struct Win32Case {
    std::uint32_t code;
    const char* name;
    ErrorCode kind;
    const char* words;  // a phrase our wording must contain
};

class Win32Wording : public ::testing::TestWithParam<Win32Case> {};

TEST_P(Win32Wording, NamesTheErrorAndSaysWhatToDo) {
    const auto& c = GetParam();
    Error e = win32_error(c.code, "CreateFileW", "\\\\.\\pipe\\demo");
    EXPECT_EQ(e.code, c.kind);
    EXPECT_EQ(e.os_kind, OsCodeKind::Win32);
    EXPECT_EQ(e.os_code, c.code);
    std::string text = e.to_string();
    std::string expected_code = std::string(c.name) + " (" + std::to_string(c.code) + ")";
    EXPECT_NE(text.find(expected_code), std::string::npos) << text;
    EXPECT_NE(text.find("CreateFileW"), std::string::npos) << text;
    EXPECT_NE(text.find("\\\\.\\pipe\\demo"), std::string::npos) << text;
    EXPECT_NE(text.find(c.words), std::string::npos) << text;
    EXPECT_NE(text.find("Next:"), std::string::npos) << "no next step in: " << text;
}

INSTANTIATE_TEST_SUITE_P(
    PipeErrors, Win32Wording,
    ::testing::Values(
        Win32Case{2, "ERROR_FILE_NOT_FOUND", ErrorCode::NotFound, "no pipe by that name"},
        Win32Case{5, "ERROR_ACCESS_DENIED", ErrorCode::AccessDenied, "security"},
        Win32Case{109, "ERROR_BROKEN_PIPE", ErrorCode::BrokenPipe, "closed the pipe"},
        Win32Case{121, "ERROR_SEM_TIMEOUT", ErrorCode::Timeout, "timed out"},
        Win32Case{231, "ERROR_PIPE_BUSY", ErrorCode::Busy, "all instances are busy"},
        Win32Case{232, "ERROR_NO_DATA", ErrorCode::NoData, "being closed"},
        Win32Case{233, "ERROR_PIPE_NOT_CONNECTED", ErrorCode::NotConnected, "no process"},
        Win32Case{234, "ERROR_MORE_DATA", ErrorCode::MoreData, "more of this message"},
        Win32Case{535, "ERROR_PIPE_CONNECTED", ErrorCode::AlreadyConnected,
                  "connected before ConnectNamedPipe"},
        Win32Case{536, "ERROR_PIPE_LISTENING", ErrorCode::Listening, "waiting for a client"}));

TEST(Error, BusyReadsTheWayTheBriefSpellsIt) {
    Error e = win32_error(231, "CreateFileW", "\\\\.\\pipe\\x");
    EXPECT_EQ(e.to_string().rfind("CreateFileW \\\\.\\pipe\\x: ERROR_PIPE_BUSY (231): all "
                                  "instances are busy. Next: ",
                                  0),
              0u)
        << e.to_string();
}

TEST(Error, UnknownWin32CodeStillNamesTheNumber) {
    Error e = win32_error(424242, "ReadFile", "p");
    EXPECT_EQ(e.code, ErrorCode::Unknown);
    EXPECT_NE(e.to_string().find("Win32 error 424242"), std::string::npos) << e.to_string();
}

struct ErrnoCase {
    int value;
    const char* name;
    ErrorCode kind;
};

class ErrnoWording : public ::testing::TestWithParam<ErrnoCase> {};

TEST_P(ErrnoWording, NamesTheErrnoAndSaysWhatToDo) {
    const auto& c = GetParam();
    Error e = errno_error(c.value, "connect", "/tmp/x.sock");
    EXPECT_EQ(e.code, c.kind);
    std::string text = e.to_string();
    EXPECT_NE(text.find(std::string(c.name) + " (" + std::to_string(c.value) + ")"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("connect /tmp/x.sock: "), std::string::npos) << text;
    EXPECT_NE(text.find("Next:"), std::string::npos) << text;
}

INSTANTIATE_TEST_SUITE_P(
    Counterparts, ErrnoWording,
    ::testing::Values(ErrnoCase{ENOENT, "ENOENT", ErrorCode::NotFound},
                      ErrnoCase{EACCES, "EACCES", ErrorCode::AccessDenied},
                      ErrnoCase{EPIPE, "EPIPE", ErrorCode::BrokenPipe},
                      ErrnoCase{ECONNRESET, "ECONNRESET", ErrorCode::BrokenPipe},
                      ErrnoCase{ETIMEDOUT, "ETIMEDOUT", ErrorCode::Timeout},
                      ErrnoCase{ECONNREFUSED, "ECONNREFUSED", ErrorCode::ConnectionRefused},
                      ErrnoCase{EAGAIN, "EAGAIN", ErrorCode::WouldBlock},
                      ErrnoCase{ENXIO, "ENXIO", ErrorCode::NotConnected},
                      ErrnoCase{EADDRINUSE, "EADDRINUSE", ErrorCode::AlreadyExists},
                      ErrnoCase{ENOTCONN, "ENOTCONN", ErrorCode::NotConnected}));

TEST(Error, WinAndPosixCounterpartsClassifyAlike) {
    EXPECT_EQ(classify_win32(2), classify_errno(ENOENT));
    EXPECT_EQ(classify_win32(5), classify_errno(EACCES));
    EXPECT_EQ(classify_win32(109), classify_errno(EPIPE));
    EXPECT_EQ(classify_win32(121), classify_errno(ETIMEDOUT));
}

TEST(Error, NtStatusIsShownInHex) {
    Error e = ntstatus_error(0xC00000CBu, "NtQueryDirectoryFile", "\\\\.\\pipe\\");
    EXPECT_EQ(e.code, ErrorCode::Unsupported);
    EXPECT_NE(e.to_string().find("STATUS_BAD_DEVICE_TYPE (0xC00000CB)"), std::string::npos)
        << e.to_string();
}

TEST(Error, MadeErrorHasNoOsCode) {
    Error e = make_error(ErrorCode::Cancelled, "inspect", "p", "cancelled by the user");
    EXPECT_TRUE(e.os_code_text().empty());
    EXPECT_EQ(e.to_string(), "inspect p: cancelled by the user");
}

}  // namespace
