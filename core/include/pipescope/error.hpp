// Errors as values: every failure the user can see names the API that failed,
// the OS code, the pipe it was about, and what to do next.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace pipescope::core {

// What went wrong, independent of the OS that reported it.
enum class ErrorCode {
    NotFound,           // ERROR_FILE_NOT_FOUND, ENOENT
    AccessDenied,       // ERROR_ACCESS_DENIED, EACCES, EPERM
    BrokenPipe,         // ERROR_BROKEN_PIPE, ERROR_NO_DATA, EPIPE, ECONNRESET
    Timeout,            // ERROR_SEM_TIMEOUT, WAIT_TIMEOUT, ETIMEDOUT
    Busy,               // ERROR_PIPE_BUSY, EAGAIN on connect
    NoData,             // ERROR_NO_DATA: the pipe is being closed
    NotConnected,       // ERROR_PIPE_NOT_CONNECTED, ENOTCONN
    MoreData,           // ERROR_MORE_DATA: part of a message
    AlreadyConnected,   // ERROR_PIPE_CONNECTED, EISCONN
    Listening,          // ERROR_PIPE_LISTENING: no client yet (PIPE_NOWAIT)
    ConnectionRefused,  // ECONNREFUSED
    WouldBlock,         // EAGAIN / EWOULDBLOCK on I/O
    InvalidName,        // ERROR_INVALID_NAME, ERROR_BAD_PATHNAME, ENAMETOOLONG
    InvalidArgument,    // ERROR_INVALID_PARAMETER, EINVAL, bad user input
    AlreadyExists,      // ERROR_ALREADY_EXISTS, EADDRINUSE, EEXIST
    Cancelled,          // ERROR_OPERATION_ABORTED, ECANCELED, user cancel
    Unsupported,        // ERROR_NOT_SUPPORTED, ENOSYS, STATUS_NOT_IMPLEMENTED, ...
    Io,                 // other I/O failures
    Unknown,
};

// Which numbering `os_code` uses.
enum class OsCodeKind { None, Win32, NtStatus, Errno };

struct Error {
    ErrorCode code = ErrorCode::Unknown;
    OsCodeKind os_kind = OsCodeKind::None;
    std::int64_t os_code = 0;
    std::string api;      // the call that failed, e.g. "CreateFileW"
    std::string subject;  // what it was about, usually the pipe name
    std::string message;  // what it means and what to do next

    // "CreateFileW \\.\pipe\x: ERROR_PIPE_BUSY (231): all instances ... Next: ..."
    [[nodiscard]] std::string to_string() const;
    // "ERROR_PIPE_BUSY (231)", "ENOENT (2)", "STATUS_BAD_DEVICE_TYPE (0xC00000CB)" or "".
    [[nodiscard]] std::string os_code_text() const;
};

[[nodiscard]] std::string_view error_code_name(ErrorCode code);

// Builds an Error from a Win32 error code (GetLastError), with our own wording.
// Portable: the tables are the same on every platform so the wording is testable anywhere.
[[nodiscard]] Error win32_error(std::uint32_t win32_code, std::string api, std::string subject);
// Builds an Error from an errno value.
[[nodiscard]] Error errno_error(int errno_value, std::string api, std::string subject);
// Builds an Error from an NTSTATUS.
[[nodiscard]] Error ntstatus_error(std::uint32_t status, std::string api, std::string subject);
// An error that did not come from the OS (bad input, cancel, ...).
[[nodiscard]] Error make_error(ErrorCode code, std::string api, std::string subject,
                               std::string message);

// Symbolic names: "ERROR_PIPE_BUSY", "ENOENT", "STATUS_PIPE_BROKEN"; empty when unknown.
[[nodiscard]] std::string_view win32_error_name(std::uint32_t win32_code);
[[nodiscard]] std::string_view errno_name(int errno_value);
[[nodiscard]] std::string_view ntstatus_name(std::uint32_t status);

// The code a Win32 error or errno maps to.
[[nodiscard]] ErrorCode classify_win32(std::uint32_t win32_code);
[[nodiscard]] ErrorCode classify_errno(int errno_value);

// Every code the wording tables above know, in table order, so tests (and documentation) can
// walk all of them: each has a symbolic name, a meaning and a "Next:" step. Any thread.
[[nodiscard]] std::vector<std::uint32_t> known_win32_errors();
[[nodiscard]] std::vector<int> known_errnos();
[[nodiscard]] std::vector<std::uint32_t> known_ntstatuses();

// Win32 error numbers we give our own wording (the values are fixed by Windows).
namespace win32 {
inline constexpr std::uint32_t kFileNotFound = 2;
inline constexpr std::uint32_t kPathNotFound = 3;
inline constexpr std::uint32_t kAccessDenied = 5;
inline constexpr std::uint32_t kInvalidHandle = 6;
inline constexpr std::uint32_t kNotSupported = 50;
inline constexpr std::uint32_t kBadNetPath = 53;
inline constexpr std::uint32_t kBadNetName = 67;
inline constexpr std::uint32_t kInvalidParameter = 87;
inline constexpr std::uint32_t kBrokenPipe = 109;
inline constexpr std::uint32_t kSemTimeout = 121;
inline constexpr std::uint32_t kInvalidName = 123;
inline constexpr std::uint32_t kBadPathname = 161;
inline constexpr std::uint32_t kAlreadyExists = 183;
inline constexpr std::uint32_t kPipeBusy = 231;
inline constexpr std::uint32_t kNoData = 232;
inline constexpr std::uint32_t kPipeNotConnected = 233;
inline constexpr std::uint32_t kMoreData = 234;
inline constexpr std::uint32_t kWaitTimeout = 258;
inline constexpr std::uint32_t kPipeConnected = 535;
inline constexpr std::uint32_t kPipeListening = 536;
inline constexpr std::uint32_t kOperationAborted = 995;
inline constexpr std::uint32_t kIoIncomplete = 996;
inline constexpr std::uint32_t kIoPending = 997;
inline constexpr std::uint32_t kNotFound = 1168;
inline constexpr std::uint32_t kTimeout = 1460;
}  // namespace win32

}  // namespace pipescope::core
