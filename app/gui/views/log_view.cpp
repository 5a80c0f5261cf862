#include "views/log_view.hpp"
#include "widgets/ui_helpers.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>

#include <imgui.h>

#include "shell/palette.hpp"

namespace pipescope::gui {
namespace {

ImVec4 level_color(core::log::Level level) {
    switch (level) {
        case core::log::Level::Warn:
            return current_palette().log_warning;
        case core::log::Level::Error:
        case core::log::Level::Critical:
            return current_palette().log_error;
        case core::log::Level::Debug:
        case core::log::Level::Trace:
            return current_palette().dim;
        default:
            return ImGui::GetStyleColorVec4(ImGuiCol_Text);
    }
}

bool contains_icase(const std::string& hay, const std::string& needle) {
    if (needle.empty()) return true;
    auto it = std::search(hay.begin(), hay.end(), needle.begin(), needle.end(), [](char a, char b) {
        return std::tolower(static_cast<unsigned char>(a)) ==
               std::tolower(static_cast<unsigned char>(b));
    });
    return it != hay.end();
}

}  // namespace

LogView::LogView(core::log::Ring& ring) : ring_(ring) {}

std::size_t LogView::pull() {
    auto fresh = ring_.since(last_seq_);
    if (fresh.empty()) return 0;
    last_seq_ = fresh.back().seq;
    for (auto& r : fresh) records_.push_back(std::move(r));
    if (records_.size() > kMaxRecords) {
        records_.erase(records_.begin(), records_.begin() + static_cast<std::ptrdiff_t>(
                                                                records_.size() - kMaxRecords));
    }
    return fresh.size();
}

std::vector<const core::log::Record*> LogView::visible() const {
    std::vector<const core::log::Record*> out;
    for (const auto& r : records_) {
        if (static_cast<int>(r.level) < static_cast<int>(min_level_)) continue;
        if (!contains_icase(r.text, filter_) && !contains_icase(r.logger, filter_)) continue;
        out.push_back(&r);
    }
    return out;
}

std::string LogView::visible_text() const {
    std::string out;
    for (const auto* r : visible()) {
        out += clock_text_us(r->unix_ms * 1000, 3);
        out += " [";
        out += core::log::level_name(r->level);
        out += "] ";
        out += r->logger;
        out += ": ";
        out += r->text;
        out += '\n';
    }
    return out;
}

void LogView::draw() {
    bool grew = pull() > 0;

    static const char* kLevels[] = {"trace", "debug", "info", "warn", "error", "critical"};
    int level = static_cast<int>(min_level_);
    ImGui::SetNextItemWidth(110);
    if (ImGui::Combo("Level", &level, kLevels, IM_ARRAYSIZE(kLevels))) {
        min_level_ = static_cast<core::log::Level>(level);
    }
    ImGui::SameLine();
    ImGui::SetNextItemWidth(240);
    if (ImGui::InputTextWithHint("##logfilter", "filter text", filter_buf_, sizeof filter_buf_)) {
        filter_ = filter_buf_;
    }
    ImGui::SameLine();
    if (ImGui::Button("Copy")) ImGui::SetClipboardText(visible_text().c_str());
    ImGui::SameLine();
    if (ImGui::Button("Clear")) records_.clear();
    ImGui::SameLine();
    ImGui::Checkbox("Follow", &auto_scroll_);
    ImGui::SameLine();
    ImGui::TextDisabled("%zu records", records_.size());

    auto rows = visible();
    constexpr ImGuiTableFlags flags = ImGuiTableFlags_ScrollY | ImGuiTableFlags_RowBg |
                                      ImGuiTableFlags_BordersInnerV | ImGuiTableFlags_Resizable;
    if (ImGui::BeginTable("##log", 4, flags)) {
        ImGui::TableSetupScrollFreeze(0, 1);
        ImGui::TableSetupColumn("Time", ImGuiTableColumnFlags_WidthFixed, 90);
        ImGui::TableSetupColumn("Level", ImGuiTableColumnFlags_WidthFixed, 60);
        ImGui::TableSetupColumn("Logger", ImGuiTableColumnFlags_WidthFixed, 110);
        ImGui::TableSetupColumn("Message", ImGuiTableColumnFlags_WidthStretch);
        ImGui::TableHeadersRow();
        ImGuiListClipper clipper;
        clipper.Begin(static_cast<int>(rows.size()));
        while (clipper.Step()) {
            for (int i = clipper.DisplayStart; i < clipper.DisplayEnd; ++i) {
                const auto& r = *rows[static_cast<std::size_t>(i)];
                ImGui::TableNextRow();
                ImGui::TableNextColumn();
                ImGui::TextUnformatted(clock_text_us(r.unix_ms * 1000, 3).c_str());
                ImGui::TableNextColumn();
                ImGui::TextColored(level_color(r.level), "%s", core::log::level_name(r.level));
                ImGui::TableNextColumn();
                ImGui::TextUnformatted(r.logger.c_str());
                ImGui::TableNextColumn();
                ImGui::TextUnformatted(r.text.c_str());
            }
        }
        if (grew && auto_scroll_) ImGui::SetScrollHereY(1.0f);
        ImGui::EndTable();
    }
}

}  // namespace pipescope::gui
