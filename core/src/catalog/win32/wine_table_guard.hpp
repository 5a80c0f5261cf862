// Reading the system handle table under Wine without crashing Wine's server. Internal to the
// core; Windows only.
//
// Wine 8's wineserver crashes, taking every Wine program with it, when the handle table is read
// (NtQuerySystemInformation, SystemExtendedHandleInformation) while some process holds no handle
// at all: its get_system_handles walks each process's table with an unsigned index up to the last
// entry, and an empty table's last entry is -1 (Wine 8.0, server/handle.c, enum_handles). A
// process started from Unix is in that state, on and off, from the moment it connects to the
// server until it has mapped its image: it opens and closes registry keys and its image's section,
// and keeps a handle (its console handles) only just after its image name is set. Until then its
// name in the process list is empty.
//
// So under Wine the table is read only when no process is nameless, and only if the process list
// has not changed since: a query that only sizes the list (one server request, no per-process
// work) is made again just before the table is read. Left open: a process that connects in the
// microseconds between those two requests, or one that closes every handle it has. Measured with
// handle-table reads 20 times a second while Wine programs start from Unix one after another: the
// server crashed after 36 starts without this, after 381 and 1,544 in two runs with it. Windows is
// not affected.
#pragma once

#include <windows.h>

#include <chrono>
#include <cstddef>
#include <optional>
#include <span>
#include <vector>

#include "os/win32/nt.hpp"
#include "pipescope/error.hpp"

namespace pipescope::core::wine_table_guard {

// How long to wait for starting processes before giving up on one read of the table.
inline constexpr std::chrono::milliseconds kStartupWait{3000};

// The processes in a SystemProcessInformation buffer, other than pid 0 and `self`, whose image
// name is empty; nullopt when the buffer's entries run past its end.
std::optional<int> nameless_processes(std::span<const std::byte> list, ULONG_PTR self);

// The bytes the process list needs (changes when a process starts or ends); 0 when the query
// does not say.
ULONG process_list_size(nt::NtQuerySystemInformationFn query_system);

// Waits until no process is starting (see above), at most `bound`. nullopt: the table may be
// read now (also when the process list cannot be read: there is then nothing to wait on). An
// error (Busy) when processes kept starting for the whole bound.
std::optional<Error> wait_for_startups(nt::NtQuerySystemInformationFn query_system,
                                       std::chrono::milliseconds bound = kStartupWait);

}  // namespace pipescope::core::wine_table_guard
