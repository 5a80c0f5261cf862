#include "widgets/transcript_table.hpp"

#include <string>

#include "widgets/ui_helpers.hpp"

namespace pipescope::gui {

void TranscriptTable::draw_view_choice() {
    auto radio = [&](const char* label, TranscriptView v) {
        if (ImGui::RadioButton(label, view == v)) view = v;
        ImGui::SameLine();
    };
    radio("Text", TranscriptView::Text);
    radio("Hex", TranscriptView::Hex);
    radio("UTF-16LE", TranscriptView::Utf16le);
    ImGui::Checkbox("Follow", &follow);
    ImGui::SameLine();
}

void TranscriptTable::draw_row(const TranscriptRow& r, bool connection_column) const {
    const core::Frame& f = *r.frame;
    ImGui::TableNextRow();
    ImGui::TableNextColumn();
    ImGui::TextUnformatted(clock_text_us(f.unix_us, 6).c_str());
    if (connection_column) {
        ImGui::TableNextColumn();
        ImGui::Text("#%u", static_cast<unsigned>(r.connection));
    }
    ImGui::TableNextColumn();
    ImGui::TextColored(r.color, "%s", r.arrow);
    if (r.direction_tooltip && ImGui::IsItemHovered()) ImGui::SetTooltip("%s", r.direction_tooltip);
    ImGui::TableNextColumn();
    if (f.omitted_bytes > 0) {
        const auto omitted = static_cast<unsigned long long>(f.omitted_bytes);
        ImGui::Text("%zu+%llu |", f.bytes.size(), omitted);
        if (ImGui::IsItemHovered()) {
            ImGui::SetTooltip(
                "%llu more bytes of this message were not recorded (transcript message cap)",
                omitted);
        }
    } else {
        ImGui::Text("%zu%s", f.bytes.size(), f.message_end ? " |" : " ...");
    }
    if (ImGui::IsItemHovered()) {
        ImGui::SetTooltip(f.message_end ? "the message ends here"
                                        : "the message continues in the next frame");
    }
    ImGui::TableNextColumn();
    // A row shows what fits on one line; hovering shows more. Whole 4 KiB frames on every
    // visible row (a flooding peer's) made each UI frame escape and lay out ~100 KiB of text.
    ImGui::TextColored(r.color, "%s", preview(f.bytes, view, kRowPreviewChars).c_str());
    if (!f.bytes.empty() && ImGui::IsItemHovered()) {
        ImGui::BeginTooltip();
        ImGui::PushTextWrapPos(ImGui::GetFontSize() * 60.0f);
        ImGui::TextUnformatted(preview(f.bytes, view, kTooltipPreviewChars).c_str());
        ImGui::PopTextWrapPos();
        ImGui::TextDisabled("%zu bytes; Save transcript keeps every byte", f.bytes.size());
        ImGui::EndTooltip();
    }
}

void TranscriptTable::draw(const char* id, std::size_t count,
                           const std::function<TranscriptRow(std::size_t)>& row,
                           std::uint64_t added, bool connection_column, ImVec2 size) {
    constexpr ImGuiTableFlags flags = ImGuiTableFlags_ScrollY | ImGuiTableFlags_RowBg |
                                      ImGuiTableFlags_BordersInnerV | ImGuiTableFlags_Resizable;
    if (!ImGui::BeginTable(id, connection_column ? 5 : 4, flags, size)) return;
    ImGui::TableSetupScrollFreeze(0, 1);
    ImGui::TableSetupColumn("Time", ImGuiTableColumnFlags_WidthFixed, 120);
    if (connection_column) ImGui::TableSetupColumn("#", ImGuiTableColumnFlags_WidthFixed, 40);
    ImGui::TableSetupColumn("Dir", ImGuiTableColumnFlags_WidthFixed, 36);
    ImGui::TableSetupColumn("Bytes", ImGuiTableColumnFlags_WidthFixed, 70);
    ImGui::TableSetupColumn("Data", ImGuiTableColumnFlags_WidthStretch);
    ImGui::TableHeadersRow();
    ImGuiListClipper clipper;
    clipper.Begin(static_cast<int>(count));
    while (clipper.Step()) {
        for (int i = clipper.DisplayStart; i < clipper.DisplayEnd; ++i) {
            draw_row(row(static_cast<std::size_t>(i)), connection_column);
        }
    }
    if (follow && added != last_added_) ImGui::SetScrollHereY(1.0f);
    last_added_ = added;
    ImGui::EndTable();
}

}  // namespace pipescope::gui
