// The proxy monitor's form, without ImGui: the listen side is a test server's form (its name,
// transport and full server configuration, SessionForm), the target is a name with the
// transport kinds a name does not imply (TCP, seqpacket, FIFO), and the proxy's options (the
// impersonation level it asks the target for, framing bytes into messages by reads or lines).
// resolve() checks both sides and fills the endpoints and options a core::ProxySession takes.
// UI thread only (one owner; no locks).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "models/session_form.hpp"
#include "pipescope/proxy.hpp"
#include "pipescope/result.hpp"
#include "pipescope/transport.hpp"

namespace pipescope::gui {

class MonitorForm {
  public:
    MonitorForm(std::string listen_name, std::string target_name);

    SessionForm listen;  // the listen side: a server form
    std::string target_name;
    // The target's transport when the name does not imply it; nullopt: what a name means on
    // this OS (a Win32 pipe on Windows, an AF_UNIX stream socket elsewhere).
    std::optional<core::TransportKind> target_transport;
    int target_port = 0;  // TCP: the port on 127.0.0.1
    int target_timeout_ms = 5000;
    core::ProxyOptions options;  // impersonation, frame mode, ...

    // The kinds a target name does not imply that this OS has (TCP, seqpacket, FIFO).
    [[nodiscard]] static std::vector<core::TransportKind> explicit_target_kinds();
    // The target endpoint resolve() made.
    [[nodiscard]] const core::Endpoint& target() const { return target_; }
    // Where resolve()'s target is on this OS: \\.\pipe\x, a socket path, 127.0.0.1:port.
    [[nodiscard]] std::string target_address() const;

    // Checks both sides and fills listen.endpoint, target() and options. The error says which
    // side ("listen: ..." or "target: ...") and what is wrong.
    [[nodiscard]] core::Status resolve();
    // What putting the proxy in between changes, one sentence a line (computed in core).
    [[nodiscard]] std::vector<std::string> what_changes() const;

  private:
    [[nodiscard]] core::Status resolve_target();

    core::Endpoint target_;
};

}  // namespace pipescope::gui
