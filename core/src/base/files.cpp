#include "pipescope/files.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <system_error>

#ifdef _WIN32
#include <windows.h>
#else
#include <fcntl.h>
#include <unistd.h>
#endif

#include "pipescope/unique_handle.hpp"

namespace pipescope::core {
namespace {

std::string path_text(const std::filesystem::path& p) {
    return p.string();
}

#ifdef _WIN32
// How long a rename over a file another program holds open is retried.
constexpr ULONGLONG kReplaceRetryMs = 2000;
#endif

#ifdef _WIN32
Status write_and_replace(const std::filesystem::path& path, const std::filesystem::path& tmp,
                         std::string_view contents) {
    UniqueHandle file(::CreateFileW(tmp.wstring().c_str(), GENERIC_WRITE, 0, nullptr, CREATE_ALWAYS,
                                    FILE_ATTRIBUTE_NORMAL, nullptr));
    if (!file) return win32_error(::GetLastError(), "CreateFileW", path_text(tmp));
    std::size_t done = 0;
    while (done < contents.size()) {
        DWORD chunk = static_cast<DWORD>(std::min<std::size_t>(contents.size() - done, 1u << 30));
        DWORD wrote = 0;
        if (!::WriteFile(file.get(), contents.data() + done, chunk, &wrote, nullptr)) {
            return win32_error(::GetLastError(), "WriteFile", path_text(tmp));
        }
        done += wrote;
    }
    if (!::FlushFileBuffers(file.get())) {
        return win32_error(::GetLastError(), "FlushFileBuffers", path_text(tmp));
    }
    file.reset();
    // A reader that opened `path` without FILE_SHARE_DELETE (windows_exporter's textfile
    // collector, an editor, a virus scanner) makes the rename fail until it closes the file:
    // retry for a bounded time rather than fail a save the reader would let through a moment
    // later.
    const ULONGLONG give_up = ::GetTickCount64() + kReplaceRetryMs;
    for (;;) {
        if (::MoveFileExW(tmp.wstring().c_str(), path.wstring().c_str(),
                          MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH))
            return {};
        const DWORD err = ::GetLastError();
        const bool held = err == ERROR_ACCESS_DENIED || err == ERROR_SHARING_VIOLATION ||
                          err == ERROR_LOCK_VIOLATION;
        if (!held || ::GetTickCount64() >= give_up) {
            Error e = win32_error(err, "MoveFileExW", path_text(path));
            if (held)
                e.message += " Another program kept the file open for " +
                             std::to_string(kReplaceRetryMs) +
                             " ms while it was being replaced; the new contents were not saved";
            return e;
        }
        ::Sleep(20);
    }
}
#else
Status write_and_replace(const std::filesystem::path& path, const std::filesystem::path& tmp,
                         std::string_view contents) {
    UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (!fd) return errno_error(errno, "open", path_text(tmp));
    std::size_t done = 0;
    while (done < contents.size()) {
        ssize_t n = ::write(fd.get(), contents.data() + done, contents.size() - done);
        if (n < 0) {
            if (errno == EINTR) continue;
            return errno_error(errno, "write", path_text(tmp));
        }
        done += static_cast<std::size_t>(n);
    }
    if (::fsync(fd.get()) != 0) return errno_error(errno, "fsync", path_text(tmp));
    if (::close(fd.release()) != 0) return errno_error(errno, "close", path_text(tmp));
    if (::rename(tmp.c_str(), path.c_str()) != 0)
        return errno_error(errno, "rename", path_text(path));
    return {};
}
#endif

}  // namespace

Status write_file_atomic(const std::filesystem::path& path, std::string_view contents) {
    if (path.empty() || !path.has_filename()) {
        return make_error(ErrorCode::InvalidArgument, "write_file_atomic", path_text(path),
                          "no file name given. Next: choose a file, not a folder");
    }
#ifdef _WIN32
    const auto pid = static_cast<unsigned long>(::GetCurrentProcessId());
#else
    const auto pid = static_cast<unsigned long>(::getpid());
#endif
    std::filesystem::path tmp = path;
    tmp += ".tmp-" + std::to_string(pid);
    Status st = write_and_replace(path, tmp, contents);
    if (!st) {
        std::error_code ignored;
        std::filesystem::remove(tmp, ignored);
        Error e = std::move(st).error();
        e.message += " (the previous file, if any, is unchanged)";
        return e;
    }
    return {};
}

Result<std::string> read_file(const std::filesystem::path& path, std::size_t max_bytes) {
    std::error_code ec;
    auto size = std::filesystem::file_size(path, ec);
    if (ec) return errno_error(ec.value(), "file_size", path_text(path));
    if (size > max_bytes) {
        return make_error(ErrorCode::InvalidArgument, "read_file", path_text(path),
                          "the file is " + std::to_string(size) + " bytes; at most " +
                              std::to_string(max_bytes) + " are read. Next: pick a smaller file");
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) return errno_error(errno ? errno : ENOENT, "open", path_text(path));
    // Read to the end, not to the size: a file that grew since, or one whose size the OS does
    // not report (Linux /proc files say 0), is read whole, still within max_bytes.
    const std::size_t limit =
        max_bytes < SIZE_MAX ? max_bytes + 1 : max_bytes;  // one over: too big
    std::string data;
    std::size_t want = size > 0 ? static_cast<std::size_t>(size) : 4096;
    for (;;) {
        const std::size_t have = data.size();
        data.resize(have + std::min(want, limit - have));
        in.read(data.data() + have, static_cast<std::streamsize>(data.size() - have));
        data.resize(have + static_cast<std::size_t>(in.gcount()));
        if (!in || data.size() > max_bytes) break;
        want = 4096;
    }
    if (data.size() > max_bytes) {
        return make_error(ErrorCode::InvalidArgument, "read_file", path_text(path),
                          "the file is over " + std::to_string(max_bytes) + " bytes; at most " +
                              std::to_string(max_bytes) + " are read. Next: pick a smaller file");
    }
    return data;
}

std::filesystem::path config_dir() {
    if (const char* dir = std::getenv("PIPESCOPE_CONFIG_DIR"); dir && *dir) return dir;
#ifdef _WIN32
    if (const wchar_t* appdata = _wgetenv(L"APPDATA"); appdata && *appdata) {
        return std::filesystem::path(appdata) / L"PipeScope";
    }
    return std::filesystem::path(L".") / L"PipeScope";
#else
    if (const char* xdg = std::getenv("XDG_CONFIG_HOME"); xdg && *xdg) {
        return std::filesystem::path(xdg) / "pipescope";
    }
    if (const char* home = std::getenv("HOME"); home && *home) {
        return std::filesystem::path(home) / ".config" / "pipescope";
    }
    return std::filesystem::path(".pipescope");
#endif
}

}  // namespace pipescope::core
