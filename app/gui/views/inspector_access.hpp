// The inspector's security section: the "Effective access" table (principal x read / write /
// create instance, each cell's reason on hover) and the pipe's findings. Drawing only; the
// numbers come from models/effective_access. UI thread only.
#pragma once

#include "models/effective_access.hpp"

namespace pipescope::gui {

void draw_effective_access(const EffectiveAccess& access);

}  // namespace pipescope::gui
