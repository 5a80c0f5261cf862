// A view is one tab of the workspace: a small class with draw(). Views read service snapshots
// and send commands; they never block. UI thread only.
#pragma once

#include <string>

namespace pipescope::gui {

class View {
  public:
    virtual ~View() = default;
    // The tab label; "Visible###stable-id" keeps the tab's identity when the text changes.
    [[nodiscard]] virtual std::string title() const = 0;
    // Draws the content of the tab (inside the workspace window).
    virtual void draw() = 0;
    // Whether the user may close the tab.
    [[nodiscard]] virtual bool closable() const { return false; }
    // True while the view animates or shows live data and needs frames without input.
    [[nodiscard]] virtual bool wants_frames() const { return false; }
    // While wants_frames(): how often it needs a frame, in seconds (live data that changes
    // every 100 ms needs no 60 fps; fades want about 30 fps). Input always gets frames at once.
    [[nodiscard]] virtual double frame_interval() const { return 1.0 / 30.0; }
    // Lasting facts for the status bar (e.g. how pipes are listed here); empty when none.
    [[nodiscard]] virtual std::string status_detail() const { return {}; }
    // One-line summary for the status bar's task list; empty when idle.
    [[nodiscard]] virtual std::string task_status() const { return {}; }
};

}  // namespace pipescope::gui
