#include "fonts.hpp"

#include <span>

namespace pipescope::assets {
#ifdef PIPESCOPE_HAVE_FONTS
std::span<const unsigned char> ui_font();
std::span<const unsigned char> mono_font();
#endif
}  // namespace pipescope::assets

namespace pipescope::gui {

Fonts load_fonts(float scale) {
    Fonts fonts;
    ImGuiIO& io = ImGui::GetIO();
    if (scale < 0.5f || scale > 4.0f) scale = 1.0f;
#ifdef PIPESCOPE_HAVE_FONTS
    ImFontConfig config;
    config.FontDataOwnedByAtlas = false;  // the data is static; the atlas must not free it
    config.OversampleH = 2;
    auto ui = assets::ui_font();
    auto mono = assets::mono_font();
    fonts.ui = io.Fonts->AddFontFromMemoryTTF(const_cast<unsigned char*>(ui.data()),
                                              static_cast<int>(ui.size()), 16.0f * scale, &config);
    fonts.mono =
        io.Fonts->AddFontFromMemoryTTF(const_cast<unsigned char*>(mono.data()),
                                       static_cast<int>(mono.size()), 15.0f * scale, &config);
    fonts.embedded = fonts.ui != nullptr && fonts.mono != nullptr;
#endif
    if (!fonts.embedded) {
        io.Fonts->Clear();
        ImFontConfig fallback;
        fallback.SizePixels = 13.0f * scale;
        fonts.ui = io.Fonts->AddFontDefault(&fallback);
        fonts.mono = fonts.ui;
    }
    io.FontDefault = fonts.ui;
    return fonts;
}

}  // namespace pipescope::gui
