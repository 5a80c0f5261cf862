// Who a process runs as, for the audit: the auditor's own uid and a server's uid from /proc.
// POSIX only in substance; on Windows both return nullopt (identity there is a token SID,
// which the audit reads through current_token_principal). Any thread.
#pragma once

#include <cstdint>
#include <optional>

namespace pipescope::core::os {

// The calling process's effective uid (geteuid); nullopt on Windows.
[[nodiscard]] std::optional<std::uint32_t> effective_uid();
// The effective uid of process `pid` from /proc/<pid>/status ("Uid:" line, second field);
// nullopt when the process is gone, unreadable, or on Windows.
[[nodiscard]] std::optional<std::uint32_t> process_uid(std::uint32_t pid);

}  // namespace pipescope::core::os
