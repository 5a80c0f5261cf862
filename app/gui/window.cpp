#include "window.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <vector>

#include <imgui_impl_glfw.h>
#include <imgui_impl_opengl3.h>
#include <GLFW/glfw3.h>

#include "input/key_holdover.hpp"
#include "pipescope/png.hpp"

namespace pipescope::gui {
namespace {

void glfw_error(int code, const char* text) {
    std::fprintf(stderr, "pipescope: GLFW error %d: %s\n", code, text);
}

KeyHoldover::Action to_action(int glfw_action) {
    return glfw_action == GLFW_PRESS    ? KeyHoldover::Action::Press
           : glfw_action == GLFW_REPEAT ? KeyHoldover::Action::Repeat
                                        : KeyHoldover::Action::Release;
}

KeyHoldover::KeyKind classify(int key) {
    if (key >= GLFW_KEY_LEFT_SHIFT && key <= GLFW_KEY_RIGHT_SUPER) {
        return KeyHoldover::KeyKind::Modifier;
    }
    // GLFW numbers printable keys below 256, the others (Enter, Backspace, arrows, ...) above.
    return key >= GLFW_KEY_ESCAPE ? KeyHoldover::KeyKind::Editing : KeyHoldover::KeyKind::Other;
}

int to_glfw(KeyHoldover::Action action) {
    return action == KeyHoldover::Action::Press    ? GLFW_PRESS
           : action == KeyHoldover::Action::Repeat ? GLFW_REPEAT
                                                   : GLFW_RELEASE;
}

}  // namespace

core::Result<std::unique_ptr<Window>> Window::create(const WindowOptions& options) {
    glfwSetErrorCallback(glfw_error);
    if (!glfwInit()) {
        return core::make_error(core::ErrorCode::Unsupported, "glfwInit", "",
                                "could not initialise GLFW (no display?). Next: run under a "
                                "desktop session or xvfb-run");
    }
    glfwWindowHint(GLFW_CONTEXT_VERSION_MAJOR, 3);
    glfwWindowHint(GLFW_CONTEXT_VERSION_MINOR, 0);
    GLFWwindow* w =
        glfwCreateWindow(options.width, options.height, options.title, nullptr, nullptr);
    if (!w) {
        glfwTerminate();
        return core::make_error(core::ErrorCode::Unsupported, "glfwCreateWindow", "",
                                "could not create an OpenGL 3.0 window. Next: update the graphics "
                                "driver, or use Mesa's llvmpipe");
    }
    std::unique_ptr<Window> win(new Window());
    win->window_ = w;
    glfwMakeContextCurrent(w);
    glfwSwapInterval(options.vsync ? 1 : 0);
    IMGUI_CHECKVERSION();
    ImGui::CreateContext();
    ImGui::GetIO().IniFilename = options.ini_path;
    ImGui_ImplGlfw_InitForOpenGL(w, true);
    // Key and character events go through the hold-over first (it calls the backend's
    // callbacks), so a press released before the next frame is still seen, in order with the
    // text typed around it. The backend's other callbacks stay; its shutdown puts back the
    // key and char callbacks it found (none).
    win->keys_ = std::make_unique<KeyHoldover>(
        [w](const KeyHoldover::Event& e) {
            if (e.action == KeyHoldover::Action::Char) {
                ImGui_ImplGlfw_CharCallback(w, e.codepoint);
            } else {
                ImGui_ImplGlfw_KeyCallback(w, e.key, e.scancode, to_glfw(e.action), e.mods);
            }
        },
        classify);
    glfwSetWindowUserPointer(w, win.get());
    glfwSetKeyCallback(w, [](GLFWwindow* gw, int key, int scancode, int action, int mods) {
        auto* self = static_cast<Window*>(glfwGetWindowUserPointer(gw));
        self->keys_->feed({key, scancode, to_action(action), mods, 0});
    });
    glfwSetCharCallback(w, [](GLFWwindow* gw, unsigned int c) {
        auto* self = static_cast<Window*>(glfwGetWindowUserPointer(gw));
        self->keys_->feed({0, 0, KeyHoldover::Action::Char, 0, c});
    });
    ImGui_ImplOpenGL3_Init("#version 130");
    return win;
}

Window::Window() = default;

Window::~Window() {
    ImGui_ImplOpenGL3_Shutdown();
    ImGui_ImplGlfw_Shutdown();
    ImGui::DestroyContext();
    glfwDestroyWindow(window_);
    glfwTerminate();
}

void Window::begin_frame(double max_wait_s) {
    // Releases held from the last frame apply now, before new events; while any are still
    // held, do not sleep: the next frame must come to pass them on.
    keys_->next_frame();
    if (max_wait_s <= 0 || busy_frames_ > 0 || keys_->holding()) {
        glfwPollEvents();
        if (busy_frames_ > 0) --busy_frames_;
    } else {
        auto before = std::chrono::steady_clock::now();
        glfwWaitEventsTimeout(max_wait_s);
        double waited =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - before).count();
        // Woken early: input or a worker's wake(). Draw a few frames at once so hover and
        // clicks settle, then pace again.
        if (waited < max_wait_s * 0.9) busy_frames_ = 3;
    }
    ImGui_ImplOpenGL3_NewFrame();
    ImGui_ImplGlfw_NewFrame();
    ImGui::NewFrame();
}

void Window::render(ImVec4 clear) {
    if (!ImGui::GetDrawData() || !ImGui::GetDrawData()->Valid) ImGui::Render();
    int w = 0, h = 0;
    glfwGetFramebufferSize(window_, &w, &h);
    glViewport(0, 0, w, h);
    glClearColor(clear.x, clear.y, clear.z, 1.0f);
    glClear(GL_COLOR_BUFFER_BIT);
    ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());
}

void Window::present() {
    glfwSwapBuffers(window_);
}

core::Status Window::save_png(const std::string& path) {
    int w = 0, h = 0;
    glfwGetFramebufferSize(window_, &w, &h);
    if (w <= 0 || h <= 0) {
        return core::make_error(core::ErrorCode::InvalidArgument, "glReadPixels", path,
                                "the window has no size (minimised?)");
    }
    std::vector<std::uint8_t> pixels(static_cast<std::size_t>(w) * h * 4);
    glPixelStorei(GL_PACK_ALIGNMENT, 1);
    glReadBuffer(GL_BACK);
    glReadPixels(0, 0, w, h, GL_RGBA, GL_UNSIGNED_BYTE, pixels.data());
    // OpenGL rows run bottom to top; PNG rows top to bottom.
    std::vector<std::uint8_t> flipped(pixels.size());
    const std::size_t row = static_cast<std::size_t>(w) * 4;
    for (int y = 0; y < h; ++y) {
        std::copy_n(pixels.data() + static_cast<std::size_t>(h - 1 - y) * row, row,
                    flipped.data() + static_cast<std::size_t>(y) * row);
    }
    for (std::size_t i = 3; i < flipped.size(); i += 4) flipped[i] = 255;  // opaque
    return core::write_png_rgba(path, flipped, static_cast<std::uint32_t>(w),
                                static_cast<std::uint32_t>(h));
}

bool Window::should_close() const {
    return glfwWindowShouldClose(window_);
}

float Window::content_scale() const {
    float x = 1.0f, y = 1.0f;
    glfwGetWindowContentScale(window_, &x, &y);
    return std::max(x, y);
}

void Window::size(int& width, int& height) const {
    glfwGetWindowSize(window_, &width, &height);
}

void Window::wake() {
    glfwPostEmptyEvent();
}

}  // namespace pipescope::gui
