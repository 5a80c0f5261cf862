#include "shell/view_factory.hpp"

#include <chrono>

#include <spdlog/logger.h>

#include "window.hpp"
#include "views/bench_view.hpp"
#include "views/inspector_view.hpp"
#include "views/log_view.hpp"
#include "views/monitor_view.hpp"
#include "views/pipes_view.hpp"
#include "views/security_view.hpp"
#include "pipescope/bench.hpp"
#include "pipescope/catalog.hpp"
#include "pipescope/inspect.hpp"
#include "pipescope/log.hpp"
#include "pipescope/proxy.hpp"

namespace pipescope::gui {

namespace {

// The name to open a listed pipe by: a named pipe's full path, or the entry's own path.
std::string open_name(core::PipeKind kind, const std::string& name) {
    return kind == core::PipeKind::NamedPipe ? "\\\\.\\pipe\\" + name : name;
}
std::string open_name(const core::PipeEntry& e) {
    return open_name(e.kind, e.name);
}

std::unique_ptr<core::Session> make_session(SessionView::Role role, const core::Endpoint& endpoint,
                                            const core::SessionOptions& options) {
    if (role == SessionView::Role::Client) {
        return std::make_unique<core::ClientSession>(endpoint, options);
    }
    return std::make_unique<core::ServerSession>(endpoint, options);
}

std::unique_ptr<core::Session> make_proxy(const core::Endpoint& listen,
                                          const core::Endpoint& target,
                                          const core::ProxyOptions& options) {
    return std::make_unique<core::ProxySession>(listen, target, options);
}

}  // namespace

void ViewFactory::open_startup_views(const GuiOptions& options) {
    open_pipes_view();
    open_security_view(options.audit);
    app_.add_new_menu_item("Test client...",
                           [this] { open_session(SessionView::Role::Client, ""); });
    app_.add_new_menu_item("Test server...",
                           [this] { open_session(SessionView::Role::Server, "pipescope-test"); });
    app_.add_new_menu_item("Monitor (proxy)...", [this] { open_monitor("pipescope-proxy", ""); });
    open_bench_view(options.bench_preset);
    emplace_view<LogView>(app_, /*focus=*/false, core::log::ring());
    std::string view = options.view;
    if (view.empty() && !options.bench_preset.empty()) view = "bench";
    if (view.empty() && options.audit) view = "security";
    show_view(view);
    start_session(SessionView::Role::Server, options.serve_name, "--serve");
    // The proxy starts after the server it may forward to and before a client that may use it.
    start_monitor(options.proxy_listen, options.proxy_target);
    start_session(SessionView::Role::Client, options.connect_name, "--connect");
    if (!options.proxy_listen.empty()) app_.focus_view("Monitor");
    if (!options.inspect_name.empty()) {
        if (auto name = core::PipeName::parse(options.inspect_name))
            open_inspector(*name).start();
        else
            core::log::app()->error("--inspect {}: {}", options.inspect_name,
                                    name.error().to_string());
    }
}

InspectorView& ViewFactory::open_inspector(const core::PipeName& name) {
    return emplace_view<InspectorView>(app_, /*focus=*/true, name, core::inspect_pipe,
                                       next_view_id_++, inspect_tasks_);
}

SessionView& ViewFactory::open_session(SessionView::Role role, std::string name) {
    return emplace_view<SessionView>(app_, /*focus=*/true, role, std::move(name), make_session,
                                     next_view_id_++);
}

MonitorView& ViewFactory::open_monitor(std::string listen_name, std::string target_name) {
    return emplace_view<MonitorView>(app_, /*focus=*/true, std::move(listen_name),
                                     std::move(target_name), make_proxy, next_view_id_++);
}

void ViewFactory::open_pipes_view() {
    auto& pipes = emplace_view<PipesView>(app_, /*focus=*/false, catalog_,
                                          std::chrono::milliseconds(settings_.refresh_interval_ms),
                                          settings_.auto_refresh, [] { Window::wake(); });
    pipes.on_inspect([this](const core::PipeEntry& e) {
        auto name = core::PipeName::parse(open_name(e));
        if (name)
            open_inspector(*name);
        else
            core::log::app()->warn("cannot inspect {}: {}", e.name, name.error().to_string());
    });
    pipes.on_connect([this](const core::PipeEntry& e) {
        open_session(SessionView::Role::Client, open_name(e));
    });
}

void ViewFactory::open_security_view(bool start) {
    auto& security = emplace_view<SecurityView>(app_, /*focus=*/false, audit_);
    security.on_inspect([this](const core::PipeAudit& a) {
        auto name = core::PipeName::parse(open_name(a.kind, a.name));
        if (name)
            open_inspector(*name);
        else
            core::log::app()->warn("cannot inspect {}: {}", a.name, name.error().to_string());
    });
    if (start && !security.run()) core::log::app()->warn("--audit: an audit is already running");
}

void ViewFactory::open_bench_view(const std::string& preset) {
    auto& bench_view = emplace_view<BenchView>(app_, /*focus=*/false, bench_);
    if (preset.empty()) return;
    if (auto scenario = core::load_preset(preset)) {
        bench_view.scenario() = *scenario;
        if (!bench_view.run()) core::log::app()->error("benchmark: {}", bench_view.error());
    } else {
        core::log::app()->error("{}", scenario.error().to_string());
    }
}

void ViewFactory::show_view(const std::string& view) {
    if (view == "bench")
        app_.focus_view("Benchmark");
    else if (view == "log")
        app_.focus_view("Log");
    else if (view == "pipes")
        app_.focus_view("Pipes");
    else if (view == "security")
        app_.focus_view("Security");
    else if (view == "server")
        open_session(SessionView::Role::Server, "pipescope-test");
    else if (view == "client")
        open_session(SessionView::Role::Client, "");
    else if (view == "monitor")
        open_monitor("pipescope-proxy", "");
    else if (!view.empty()) {
        core::log::app()->warn(
            "--view {}: no such view (pipes, security, bench, log, server, client, monitor)", view);
    }
}

void ViewFactory::start_session(SessionView::Role role, const std::string& name, const char* flag) {
    if (name.empty()) return;
    auto& view = open_session(role, name);
    if (!view.start()) core::log::app()->error("{} {}: {}", flag, name, view.form_error());
}

void ViewFactory::start_monitor(const std::string& listen, const std::string& target) {
    if (listen.empty()) return;
    auto& view = open_monitor(listen, target);
    if (!view.start())
        core::log::app()->error("--proxy {} --to {}: {}", listen, target, view.form_error());
}

}  // namespace pipescope::gui
