// The pipe list as JSON and CSV, and the filter the CLI and the GUI share. Any thread.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "pipescope/catalog.hpp"
#include "pipescope/result.hpp"

namespace pipescope::core {

// True when `filter` (case-insensitive) occurs in the name, the kind, or a holder's PID or
// process name. An empty filter matches everything.
[[nodiscard]] bool entry_matches(const PipeEntry& entry, std::string_view filter);

// One entry as a JSON object (the fields entries_to_json lists).
[[nodiscard]] nlohmann::json entry_to_json(const PipeEntry& entry);

// A JSON array of objects with name, current_instances, max_instances (-1 unlimited, null
// unknown), kind, pids {server, client, unknown}, processes, source, first_seen_unix_ms, and on
// POSIX state, connections and inode.
[[nodiscard]] std::string entries_to_json(std::span<const PipeEntry> entries, int indent = 2);
// Reads back what entries_to_json wrote (a saved pipe list), e.g. to compare the system with it
// later. Unknown fields are ignored; a missing or mistyped field is an InvalidArgument error
// naming the entry and the field, with `origin` (usually the file's path) as its subject.
// first_seen is restored; last_seen is set equal to it. Any thread.
[[nodiscard]] Result<std::vector<PipeEntry>> entries_from_json(std::string_view text,
                                                               std::string origin = "pipe list");
// CSV with a header line: name,current_instances,max_instances,kind,server_pids,client_pids,
// other_pids,source (RFC 4180 quoting).
[[nodiscard]] std::string entries_to_csv(std::span<const PipeEntry> entries);

}  // namespace pipescope::core
