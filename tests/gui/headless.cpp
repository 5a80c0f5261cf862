#include "headless.hpp"

namespace pipescope::gui::test {

Headless::Headless(float width, float height) : ctx_(ImGui::CreateContext()) {
    ImGui::SetCurrentContext(ctx_);
    ImGuiIO& io = ImGui::GetIO();
    io.IniFilename = nullptr;
    io.DisplaySize = ImVec2(width, height);
    io.DeltaTime = 1.0f / 60.0f;
    unsigned char* pixels = nullptr;
    int w = 0, h = 0;
    io.Fonts->GetTexDataAsRGBA32(&pixels, &w, &h);  // builds the atlas; no texture upload
    io.Fonts->SetTexID(nullptr);
}

Headless::~Headless() {
    ImGui::DestroyContext(ctx_);
}

void Headless::frame(const std::function<void()>& draw) {
    ImGui::SetCurrentContext(ctx_);
    ImGui::NewFrame();
    draw();
    ImGui::Render();
}

void Headless::click(float x, float y, const std::function<void()>& draw) {
    ImGuiIO& io = ImGui::GetIO();
    io.MousePos = ImVec2(x, y);
    frame(draw);  // hover
    io.MouseDown[0] = true;
    frame(draw);
    io.MouseDown[0] = false;
    frame(draw);
}

void Headless::press(int key, bool ctrl, const std::function<void()>& draw) {
    ImGuiIO& io = ImGui::GetIO();
    io.KeyCtrl = ctrl;
    io.KeysDown[key] = true;
    frame(draw);
    io.KeysDown[key] = false;
    io.KeyCtrl = false;
    frame(draw);
}

}  // namespace pipescope::gui::test
