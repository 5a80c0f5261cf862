// Fonts: Inter for the UI and JetBrains Mono for hex and transcripts, embedded at build time,
// scaled for the monitor's DPI. ImGui's built-in font is the fallback. UI thread only.
#pragma once

#include <imgui.h>

namespace pipescope::gui {

struct Fonts {
    ImFont* ui = nullptr;
    ImFont* mono = nullptr;
    bool embedded = false;  // false: the built-in fallback is in use
};

// Adds the fonts to the current context's atlas at `scale` (1.0 = 96 DPI) and returns them.
// Call before the renderer builds the font texture.
Fonts load_fonts(float scale);

}  // namespace pipescope::gui
