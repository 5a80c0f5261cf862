#include "models/monitor_form.hpp"

#include <algorithm>

#include "pipescope/error.hpp"
#include "pipescope/pipe_name.hpp"

namespace pipescope::gui {
namespace {

core::Error on_side(core::Error e, const char* side) {
    e.api = std::string(side) + ": " + e.api;
    return e;
}

}  // namespace

MonitorForm::MonitorForm(std::string listen_name, std::string target_name_)
    : listen(SessionRole::Server, std::move(listen_name)), target_name(std::move(target_name_)) {}

std::vector<core::TransportKind> MonitorForm::explicit_target_kinds() {
    std::vector<core::TransportKind> kinds;
    for (auto k : {core::TransportKind::Tcp, core::TransportKind::UnixSeqpacket,
                   core::TransportKind::Fifo}) {
        if (core::transport_available(k)) kinds.push_back(k);
    }
    return kinds;
}

core::Status MonitorForm::resolve_target() {
    auto kinds = core::available_transports();
    core::Endpoint ep;
    ep.kind = target_transport ? *target_transport : kinds.front();
    if (!core::transport_available(ep.kind)) {
        return core::make_error(core::ErrorCode::Unsupported, "monitor form", "Target transport",
                                std::string(core::to_string(ep.kind)) + " is not available here");
    }
    if (ep.kind == core::TransportKind::Tcp) {
        if (target_port < 1 || target_port > 65535) {
            return core::make_error(core::ErrorCode::InvalidArgument, "monitor form", "Target port",
                                    "not in 1..65535");
        }
        ep.tcp_port = static_cast<std::uint16_t>(target_port);
    }
    // TCP needs only the port; the name is what the transcript and the title call it.
    const std::string shown = ep.kind == core::TransportKind::Tcp && target_name.empty()
                                  ? "127.0.0.1:" + std::to_string(target_port)
                                  : target_name;
    auto name = core::PipeName::parse(shown);
    if (!name) return name.error();
    if (target_timeout_ms < 0) {
        return core::make_error(core::ErrorCode::InvalidArgument, "monitor form", "Target timeout",
                                "negative");
    }
    ep.name = *name;
    // As the forms and the CLI: overlapped I/O (full duplex on Win32 pipes).
    ep.io = core::IoModel::Overlapped;
    ep.client.impersonation = options.impersonation;
    ep.client.retry_busy = true;
    target_ = std::move(ep);
    options.target_timeout = core::Timeout(target_timeout_ms);
    return {};
}

core::Status MonitorForm::resolve() {
    if (auto st = listen.resolve(); !st) return on_side(st.error(), "listen");
    if (auto st = resolve_target(); !st) return on_side(st.error(), "target");
    return {};
}

std::string MonitorForm::target_address() const {
    switch (target_.kind) {
        case core::TransportKind::Win32Pipe:
            return target_.name.win32_path();
        case core::TransportKind::Tcp:
            return "127.0.0.1:" + std::to_string(target_.tcp_port);
        default:
            return target_.name.posix_path();
    }
}

std::vector<std::string> MonitorForm::what_changes() const {
    core::Endpoint target = target_;
    target.kind = target_transport ? *target_transport : core::available_transports().front();
    auto lines = core::ProxySession::what_changes(target, options);
    // Core's lines name the CLI's flags for the listen side's descriptor; here it is the
    // Security field.
    for (auto& line : lines) {
        if (const auto at = line.find(" (--sddl"); at != std::string::npos) {
            line = line.substr(0, at) + " (Security above)";
        }
    }
    if (listen.endpoint.kind != core::TransportKind::Win32Pipe) {
        lines.push_back(
            "clients under other accounts need a file mode that lets them in (File "
            "mode above; 600 lets in only you)");
    }
    return lines;
}

}  // namespace pipescope::gui
