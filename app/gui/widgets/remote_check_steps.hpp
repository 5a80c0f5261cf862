// The steps of a remote-check (name resolution, TCP connect, SMB session, pipe open) as a table:
// each step's result in the palette's colour, its time, and what it found or its error with
// what to do next. Reads the progress the caller owns. UI thread only.
#pragma once

#include "models/remote_check_runner.hpp"

namespace pipescope::gui {

// Draws `progress` (nothing before a first run). True when "Check again" was clicked.
bool draw_remote_check_steps(const RemoteCheckProgress& progress);

}  // namespace pipescope::gui
