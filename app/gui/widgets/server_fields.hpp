// The test server's settings over a SessionForm: the CreateNamedPipe configuration of a Win32
// server (open mode, type, instances, quotas, flags, security preset or SDDL) or a POSIX
// server's file mode and backlog, then the form's security warnings. The test server form and
// the proxy's listen side both draw them. The widget holds only the text boxes' buffers; the
// form stays the caller's. UI thread only.
#pragma once

#include <string_view>

#include "models/session_form.hpp"

namespace pipescope::gui {

// The Transport combo (the kinds this OS has) and, for Win32 pipes, the I/O model: the first
// fields of every session form.
void draw_transport_fields(core::Endpoint& ep);

class ServerFields {
  public:
    explicit ServerFields(const SessionForm& form);

    // Draws the fields of the form's transport kind and edits `form`.
    void draw(SessionForm& form);
    // Picks "Custom SDDL" with this text, as if typed (cut at kMaxSddlBytes).
    void set_custom_sddl(SessionForm& form, std::string_view sddl);

  private:
    void draw_win32(SessionForm& form);
    void draw_posix(SessionForm& form);

    char sddl_buf_[kMaxSddlBytes + 1] = {};
    char mode_buf_[8] = {};
};

}  // namespace pipescope::gui
