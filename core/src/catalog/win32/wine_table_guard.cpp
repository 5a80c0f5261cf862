// See wine_table_guard.hpp.
#include "catalog/win32/wine_table_guard.hpp"

#include <winternl.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <thread>

namespace pipescope::core::wine_table_guard {

std::optional<int> nameless_processes(std::span<const std::byte> list, ULONG_PTR self) {
    int nameless = 0;
    for (std::size_t at = 0; at < list.size();) {
        if (list.size() - at < sizeof(SYSTEM_PROCESS_INFORMATION)) return std::nullopt;
        SYSTEM_PROCESS_INFORMATION p;
        std::memcpy(&p, list.data() + at, sizeof p);
        const auto pid = reinterpret_cast<ULONG_PTR>(p.UniqueProcessId);
        if (pid != 0 && pid != self && p.ImageName.Length == 0) ++nameless;
        if (p.NextEntryOffset == 0) return nameless;
        at += p.NextEntryOffset;
    }
    return std::nullopt;
}

ULONG process_list_size(nt::NtQuerySystemInformationFn query_system) {
    std::uint64_t tiny = 0;  // too small for any entry: the call only says how much it needs
    ULONG needed = 0;
    const LONG status = query_system(nt::kSystemProcessInformation, &tiny, sizeof tiny, &needed);
    return static_cast<ULONG>(status) == nt::kStatusInfoLengthMismatch ? needed : 0;
}

namespace {

// The nameless processes now; nullopt when the list cannot be read.
std::optional<int> nameless_now(nt::NtQuerySystemInformationFn query_system,
                                std::vector<std::byte>& buf) {
    for (int attempt = 0; attempt < 6; ++attempt) {
        ULONG needed = 0;
        const LONG status = query_system(nt::kSystemProcessInformation, buf.data(),
                                         static_cast<ULONG>(buf.size()), &needed);
        if (static_cast<ULONG>(status) == nt::kStatusInfoLengthMismatch) {
            buf.resize(std::max<std::size_t>(buf.size() * 2, needed + 65536));
            continue;
        }
        if (status < 0) return std::nullopt;
        const std::size_t got = needed > 0 && needed <= buf.size() ? needed : buf.size();
        return nameless_processes(std::span<const std::byte>(buf.data(), got),
                                  static_cast<ULONG_PTR>(::GetCurrentProcessId()));
    }
    return std::nullopt;
}

}  // namespace

std::optional<Error> wait_for_startups(nt::NtQuerySystemInformationFn query_system,
                                       std::chrono::milliseconds bound) {
    std::vector<std::byte> buf(256 * 1024);
    const auto deadline = std::chrono::steady_clock::now() + bound;
    for (;;) {
        const ULONG before = process_list_size(query_system);
        const auto starting = nameless_now(query_system, buf);
        if (!starting) return std::nullopt;
        if (*starting == 0 && before != 0 && process_list_size(query_system) == before)
            return std::nullopt;
        if (std::chrono::steady_clock::now() >= deadline)
            return make_error(
                ErrorCode::Busy, "NtQuerySystemInformation", "handle table",
                "Wine processes kept starting for " + std::to_string(bound.count()) +
                    " ms, so the handle table was not read: Wine 8's wineserver crashes when "
                    "it is read while a process has no handle yet. Next: refresh once they "
                    "have started");
        std::this_thread::sleep_for(std::chrono::milliseconds(*starting == 0 ? 1 : 5));
    }
}

}  // namespace pipescope::core::wine_table_guard
