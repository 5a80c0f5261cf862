// Files that must never be left half-written: reports, transcripts, settings, screenshots.
// Any thread.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>

#include "pipescope/result.hpp"

namespace pipescope::core {

// Writes `contents` to a temporary file beside `path`, flushes it to disk, then renames it over
// `path`. If anything fails, `path` keeps its previous contents and the temporary is removed.
// On Windows a rename refused because another program holds `path` open (without delete
// sharing, as windows_exporter's textfile collector reads) is retried for up to 2 s.
Status write_file_atomic(const std::filesystem::path& path, std::string_view contents);

// Reads a whole file, refusing files larger than `max_bytes` with a clear error. Reads to the
// end, so files whose size the OS does not report (Linux /proc) work too.
[[nodiscard]] Result<std::string> read_file(const std::filesystem::path& path,
                                            std::size_t max_bytes = 64u << 20);

// The user's config folder for PipeScope: %APPDATA%\PipeScope on Windows,
// $XDG_CONFIG_HOME/pipescope or ~/.config/pipescope elsewhere. $PIPESCOPE_CONFIG_DIR overrides.
// Not created here.
[[nodiscard]] std::filesystem::path config_dir();

}  // namespace pipescope::core
