// The colours views and widgets use, by meaning, one set per theme. Views never write a literal
// colour: they ask current_palette() for "error" or "new row", so the light theme gets colours
// readable on a light background while the dark theme keeps its look. UI thread only.
#pragma once

#include <imgui.h>

namespace pipescope::gui {

enum class Theme { Dark, Light };

struct Palette {
    // Text.
    ImVec4 error;        // a failure the user must read (form errors, failed fields, RISK)
    ImVec4 log_error;    // error and critical lines in the log
    ImVec4 warning;      // a looser-than-default setting, a full pipe
    ImVec4 caution;      // timed out, cancelled, "connected" (the probe touched the pipe)
    ImVec4 log_warning;  // warning lines in the log
    ImVec4 notice;       // "this opens the pipe" notes
    ImVec4 deny;         // a deny ACE
    ImVec4 ok;           // succeeded, running
    ImVec4 passive;      // found without touching the pipe
    ImVec4 dim;          // stopped, unknown, debug lines
    ImVec4 received;     // transcript: bytes in
    ImVec4 sent;         // transcript: bytes out
    ImVec4 to_server;    // a proxy's transcript: from its client to the server
    ImVec4 to_client;    // a proxy's transcript: from the server back to the client
    // Security findings by severity (core::Severity), most urgent first.
    ImVec4 severity_high;
    ImVec4 severity_medium;
    ImVec4 severity_low;
    ImVec4 severity_info;
    // Backgrounds.
    ImVec4 banner_error;    // the pipe list's "cannot list" banner
    ImVec4 banner_warning;  // the pipe list's "listed with gaps" banner
    ImU32 row_new;          // a pipe that just appeared (full strength; it fades)
    ImU32 row_removed;      // a pipe that just vanished (full strength; it fades)
    ImU32 row_full;         // a pipe with every instance in use
    // Charts: the series colours in order (a sweep's curves cycle through them).
    static constexpr int kSeriesCount = 5;
    ImU32 series[kSeriesCount];
    ImU32 throughput;  // bytes/s line and the latency histogram
    ImU32 latency_p50;
    ImU32 latency_p99;
    ImU32 latency_max;
};

[[nodiscard]] const Palette& palette(Theme theme);
// The palette of the theme the current ImGui style was made from (dark unless its window
// background is light). Needs a current ImGui context.
[[nodiscard]] const Palette& current_palette();
// `color` with its alpha scaled by `strength` (0..1), for fading marks.
[[nodiscard]] ImU32 scale_alpha(ImU32 color, float strength);
// `color` with its alpha multiplied by `alpha`.
[[nodiscard]] ImVec4 with_alpha(ImVec4 color, float alpha);

}  // namespace pipescope::gui
