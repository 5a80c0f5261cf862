// A transcript as a table: time, direction, size with the message boundary, and the bytes as
// text, hex or UTF-16LE, one row per frame. Only the visible rows are laid out (the clipper)
// and a row shows at most kRowPreviewChars (hovering shows more), so a flood costs a frame no
// more than a screenful. The rows stay the caller's: the widget reads them through a callback.
// A test client's or server's conversation and a proxy's merged connections both use it.
// UI thread only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>

#include <imgui.h>

#include "models/session_form.hpp"
#include "pipescope/transcript.hpp"

namespace pipescope::gui {

// One row: a frame, how its direction is shown, and (merged transcripts) its connection.
struct TranscriptRow {
    const core::Frame* frame = nullptr;
    const char* arrow = "";  // "->", "<-"
    ImVec4 color;            // the arrow's and the bytes' colour (palette)
    const char* direction_tooltip = nullptr;
    std::uint32_t connection = 0;  // shown when the table has a connection column
};

class TranscriptTable {
  public:
    static constexpr std::size_t kRowPreviewChars = 240;
    static constexpr std::size_t kTooltipPreviewChars = 3000;

    TranscriptView view = TranscriptView::Text;
    bool follow = true;  // scroll to the newest row when rows are added

    // The Text / Hex / UTF-16LE choice and Follow, on one line (ends with SameLine).
    void draw_view_choice();
    // Draws rows [0, count) from `row`, in a table filling `size` (ImGui sizes: 0 fills, < 0
    // leaves that much). `added` is any count that grows whenever rows are added (follow
    // scrolls when it changes). With `connection_column`, a "#" column shows each row's
    // connection.
    void draw(const char* id, std::size_t count,
              const std::function<TranscriptRow(std::size_t)>& row, std::uint64_t added,
              bool connection_column, ImVec2 size);

  private:
    void draw_row(const TranscriptRow& r, bool connection_column) const;

    std::uint64_t last_added_ = 0;
};

}  // namespace pipescope::gui
