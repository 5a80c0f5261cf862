#include "headless.hpp"

#include <cstdio>
#include <string>
#include <utility>

namespace pipescope::gui::test {

Headless::Headless(float width, float height) : ctx_(ImGui::CreateContext()) {
    ImGui::SetCurrentContext(ctx_);
    ImGuiIO& io = ImGui::GetIO();
    io.IniFilename = nullptr;
    io.DisplaySize = ImVec2(width, height);
    io.DeltaTime = 1.0f / 60.0f;
    // The key codes imgui_impl_glfw (1.86) maps, so press() takes GLFW key numbers as the app's
    // key path gives them.
    const std::pair<ImGuiKey, int> keys[] = {
        {ImGuiKey_Tab, 258},        {ImGuiKey_LeftArrow, 263},
        {ImGuiKey_RightArrow, 262}, {ImGuiKey_UpArrow, 265},
        {ImGuiKey_DownArrow, 264},  {ImGuiKey_PageUp, 266},
        {ImGuiKey_PageDown, 267},   {ImGuiKey_Home, 268},
        {ImGuiKey_End, 269},        {ImGuiKey_Insert, 260},
        {ImGuiKey_Delete, 261},     {ImGuiKey_Backspace, 259},
        {ImGuiKey_Space, 32},       {ImGuiKey_Enter, 257},
        {ImGuiKey_Escape, 256},     {ImGuiKey_KeyPadEnter, 335},
        {ImGuiKey_A, 65},           {ImGuiKey_C, 67},
        {ImGuiKey_V, 86},           {ImGuiKey_X, 88},
        {ImGuiKey_Y, 89},           {ImGuiKey_Z, 90}};
    for (auto [k, glfw] : keys) io.KeyMap[k] = glfw;
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

void Headless::key(ImGuiKey key, const std::function<void()>& draw) {
    press(ImGui::GetIO().KeyMap[key], false, draw);
}

void Headless::type(std::string_view text, const std::function<void()>& draw) {
    ImGui::GetIO().AddInputCharactersUTF8(std::string(text).c_str());
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

namespace {

// Nanoseconds this thread has waited on a run queue, or -1 when the system does not say.
std::int64_t run_queue_wait_ns() {
#ifdef __linux__
    std::FILE* f = std::fopen("/proc/thread-self/schedstat", "r");
    if (!f) return -1;
    unsigned long long on_cpu = 0, waited = 0;
    const int n = std::fscanf(f, "%llu %llu", &on_cpu, &waited);
    std::fclose(f);
    return n == 2 ? static_cast<std::int64_t>(waited) : -1;
#else
    return -1;
#endif
}

}  // namespace

void FrameTimer::start() {
    queued0_ns_ = run_queue_wait_ns();
    t0_ = std::chrono::steady_clock::now();
}

double FrameTimer::elapsed_ms() const {
    const double wall =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0_).count();
    const std::int64_t queued1 = queued0_ns_ < 0 ? -1 : run_queue_wait_ns();
    if (queued1 < queued0_ns_) return wall;
    const double waited = static_cast<double>(queued1 - queued0_ns_) / 1e6;
    return waited < wall ? wall - waited : 0.0;
}

}  // namespace pipescope::gui::test
