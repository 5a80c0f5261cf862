// The platform window: GLFW + an OpenGL 3.0 context + the ImGui context and its GLFW/OpenGL3
// backends. Idle, it sleeps until input, a timer or a wake() from a worker. UI thread only,
// except wake(), which any thread may call.
#pragma once

#include <memory>
#include <string>

#include <imgui.h>

#include "pipescope/result.hpp"

struct GLFWwindow;

namespace pipescope::gui {

class KeyHoldover;

struct WindowOptions {
    int width = 1280;
    int height = 800;
    const char* title = "PipeScope";
    bool vsync = true;
    const char* ini_path = nullptr;  // ImGui layout file; nullptr: none
};

class Window {
  public:
    // Creates the window and the ImGui context. Fails with a clear error without a display.
    static core::Result<std::unique_ptr<Window>> create(const WindowOptions& options);
    ~Window();
    Window(const Window&) = delete;
    Window& operator=(const Window&) = delete;

    // Waits up to `max_wait_s` for input or a wake() (0: does not wait), then starts an ImGui
    // frame. After input it draws a few frames without waiting, so hover and clicks settle.
    void begin_frame(double max_wait_s);
    // Renders the ImGui frame onto a background of `clear`.
    void render(ImVec4 clear);
    // Shows what render() drew.
    void present();
    // Saves what render() drew as PNG (call before present()).
    core::Status save_png(const std::string& path);

    [[nodiscard]] bool should_close() const;
    [[nodiscard]] float content_scale() const;
    void size(int& width, int& height) const;
    // Any thread: wakes an idle begin_frame (glfwPostEmptyEvent).
    static void wake();

  private:
    Window();
    GLFWwindow* window_ = nullptr;
    std::unique_ptr<KeyHoldover> keys_;  // between GLFW's key and char callbacks and ImGui's
    int busy_frames_ = 3;
};

}  // namespace pipescope::gui
