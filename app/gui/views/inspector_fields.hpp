// The inspector's field table: every field that applies to the pipe's kind
// (core::field_applies) with its value or, when missing, why; how it was read (passive or
// connected) and its source. Drawing only. UI thread only.
#pragma once

#include <string>
#include <vector>

#include "pipescope/inspect.hpp"

namespace pipescope::gui {

// Draws the table; `drawn` gets the keys (`inspect --json` names) of the rows shown, in order.
void draw_field_table(const core::PipeDetails& d, std::vector<std::string>& drawn);

}  // namespace pipescope::gui
