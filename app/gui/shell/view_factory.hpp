// Creates the desktop app's views over the services main() owns, wires their callbacks (inspect
// a pipe, open a test client or server) and opens the tabs the command line asks for. UI
// thread only.
#pragma once

#include <memory>
#include <string>
#include <utility>

#include "app.hpp"
#include "settings.hpp"
#include "shell/options.hpp"
#include "views/session_view.hpp"

namespace pipescope::core {
class BenchEngine;
class InspectTaskReaper;
class PipeCatalog;
class PipeName;
}  // namespace pipescope::core

namespace pipescope::gui {

class AuditRunner;
class InspectorView;
class MonitorView;

// Adds a new V to `app` and returns it as a V (no cast).
template <class V, class... Args>
V& emplace_view(App& app, bool focus, Args&&... args) {
    auto owned = std::make_unique<V>(std::forward<Args>(args)...);
    V& view = *owned;
    app.add_view(std::move(owned), focus);
    return view;
}

class ViewFactory {
  public:
    // The services and `app` must outlive the factory, and the factory the app's views (their
    // callbacks call it).
    ViewFactory(App& app, core::PipeCatalog& catalog, core::BenchEngine& bench,
                core::InspectTaskReaper& inspect_tasks, AuditRunner& audit,
                const Settings& settings)
        : app_(app),
          catalog_(catalog),
          bench_(bench),
          inspect_tasks_(inspect_tasks),
          audit_(audit),
          settings_(settings) {}
    ViewFactory(const ViewFactory&) = delete;
    ViewFactory& operator=(const ViewFactory&) = delete;

    // Opens the tabs the app starts with, in this order: Pipes, Security (running the audit
    // with --audit), Benchmark (running --bench's preset), Log; then focuses --view's tab (or
    // opens its form), starts the --serve session, the --proxy monitor, the --connect session
    // and the --inspect probe.
    // Unknown names and failed starts are logged, never fatal.
    void open_startup_views(const GuiOptions& options);

    // A new Inspector tab on `name`, focused.
    InspectorView& open_inspector(const core::PipeName& name);
    // A new test client or server form, focused, its name field set to `name`.
    SessionView& open_session(SessionView::Role role, std::string name);
    // A new proxy monitor form, focused, its names set.
    MonitorView& open_monitor(std::string listen_name, std::string target_name);

  private:
    void open_pipes_view();
    // Adds the Security tab; with `start`, starts the audit.
    void open_security_view(bool start);
    // Adds the Benchmark tab; with a preset, loads it and starts the run.
    void open_bench_view(const std::string& preset);
    // --view: focuses an existing tab or opens a new session form.
    void show_view(const std::string& view);
    // --serve / --connect: opens the form and presses its button; a bad name stays on the form
    // with its error, as if the user had pressed Connect / Start server.
    void start_session(SessionView::Role role, const std::string& name, const char* flag);
    // --proxy LISTEN --to TARGET: opens the monitor form and presses Start proxy; a bad name
    // stays on the form with its error.
    void start_monitor(const std::string& listen, const std::string& target);

    App& app_;
    core::PipeCatalog& catalog_;
    core::BenchEngine& bench_;
    core::InspectTaskReaper& inspect_tasks_;  // probes of closed inspector tabs
    AuditRunner& audit_;
    const Settings& settings_;
    int next_view_id_ = 1;
};

}  // namespace pipescope::gui
