// Named pipe servers made by Win32 tests, with unique names (PID + counter).
#pragma once

#include <windows.h>
#include <sddl.h>

#include <atomic>
#include <string>

#include "pipescope/unique_handle.hpp"

namespace pipescope::test {

inline std::string unique_pipe(const char* what) {
    static std::atomic<int> n{0};
    return std::string("pscat-") + what + "-" + std::to_string(::GetCurrentProcessId()) + "-" +
           std::to_string(++n);
}

inline std::wstring pipe_path(const std::string& name) {
    std::wstring w = L"\\\\.\\pipe\\";
    for (char c : name) w += static_cast<wchar_t>(static_cast<unsigned char>(c));
    return w;
}

struct ServerSpec {
    DWORD open_mode = PIPE_ACCESS_DUPLEX;
    DWORD pipe_mode = PIPE_TYPE_BYTE;
    DWORD max_instances = PIPE_UNLIMITED_INSTANCES;
    DWORD out_quota = 4096;
    DWORD in_quota = 4096;
    const wchar_t* sddl = nullptr;  // nullptr: no security attributes
    bool null_dacl = false;         // a descriptor with a NULL DACL (built by hand, not from SDDL)
};

inline core::UniqueHandle make_server(const std::string& name, const ServerSpec& spec) {
    SECURITY_ATTRIBUTES sa{sizeof sa, nullptr, FALSE};
    PSECURITY_DESCRIPTOR sd = nullptr;
    if (spec.sddl && !::ConvertStringSecurityDescriptorToSecurityDescriptorW(
                         spec.sddl, SDDL_REVISION_1, &sd, nullptr))
        return {};
    SECURITY_DESCRIPTOR null_sd{};
    if (spec.null_dacl) {
        if (!::InitializeSecurityDescriptor(&null_sd, SECURITY_DESCRIPTOR_REVISION) ||
            !::SetSecurityDescriptorDacl(&null_sd, TRUE, nullptr, FALSE))
            return {};
    }
    sa.lpSecurityDescriptor = spec.null_dacl ? &null_sd : sd;
    HANDLE h = ::CreateNamedPipeW(pipe_path(name).c_str(), spec.open_mode, spec.pipe_mode,
                                  spec.max_instances, spec.out_quota, spec.in_quota, 0,
                                  (spec.sddl || spec.null_dacl) ? &sa : nullptr);
    if (sd) ::LocalFree(sd);
    return core::UniqueHandle{h};
}

inline core::UniqueHandle connect_client(const std::string& name) {
    return core::UniqueHandle{::CreateFileW(pipe_path(name).c_str(), GENERIC_READ | GENERIC_WRITE,
                                            0, nullptr, OPEN_EXISTING, 0, nullptr)};
}

}  // namespace pipescope::test
