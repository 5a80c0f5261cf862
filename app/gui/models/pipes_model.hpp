// The pipe list's model, without ImGui: the rows of the latest catalog snapshot plus the rows
// that just vanished, filtered and sorted, with the timing of the new-row highlight and the
// removed-row fade, the instance-limit flag and export. It never lists: it takes snapshots.
// UI thread only (one owner; no locks).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "pipescope/catalog.hpp"
#include "pipescope/error.hpp"

namespace pipescope::gui {

enum class PipeColumn { Name, Kind, Instances, Max, Server, Servers, Clients, Source, Count };

class PipesModel {
  public:
    using Clock = std::chrono::steady_clock;
    static constexpr float kHighlightSeconds = 3.0f;  // how long a new row stays marked
    static constexpr float kFadeSeconds = 3.0f;       // how long a removed row lingers

    struct Row {
        // Points into the shown snapshot (or the removed list): no copies of 10,000 entries.
        const core::PipeEntry& entry;
        bool removed = false;
        // When it appeared (or vanished, for removed rows); empty for rows that were there.
        std::optional<Clock::time_point> changed_at;
    };

    // How a row looks at a moment: its text's opacity and its background.
    enum class RowMark { None, New, Removed, Full };
    struct RowLook {
        float text_alpha = 1.0f;
        RowMark mark = RowMark::None;
        float mark_strength = 0.0f;  // 0..1, scales the mark colour's opacity
    };

    // Takes the latest snapshot (nullptr: none yet) at `now`: marks added rows, keeps removed
    // ones for the fade, expires old marks. Returns true when the row set changed.
    bool update(std::shared_ptr<const core::Snapshot> latest, Clock::time_point now);

    void set_filter(std::string text);
    [[nodiscard]] const std::string& filter() const { return filter_; }
    void set_sort(PipeColumn column, bool ascending);

    // The rows to show, in display order (filtered and sorted).
    [[nodiscard]] const std::vector<const Row*>& visible_rows() const { return visible_; }
    [[nodiscard]] std::size_t total_rows() const { return rows_.size(); }
    [[nodiscard]] const std::shared_ptr<const core::Snapshot>& shown() const { return shown_; }
    // True while a highlight or a fade is running (the view then wants frames).
    [[nodiscard]] bool animating() const { return !added_at_.empty() || !removed_.empty(); }

    [[nodiscard]] static RowLook look(const Row& row, Clock::time_point now);
    // Every instance in use: a new client would get ERROR_PIPE_BUSY.
    [[nodiscard]] static bool at_limit(const core::PipeEntry& e);
    // More than one process serves the name through different pipe objects (squatting, or a
    // shared name), as the listing found it: nothing is opened to know it.
    [[nodiscard]] static bool several_servers(const core::PipeEntry& e) {
        return e.server_processes > 1;
    }
    // The Servers cell: "1", "2 !" when several, "-" when the listing cannot tell.
    [[nodiscard]] static std::string servers_text(const core::PipeEntry& e);
    // Its tooltip: who serves the name, and why several matter.
    [[nodiscard]] static std::string servers_tooltip(const core::PipeEntry& e);

    // The visible rows that still exist (removed rows are never exported).
    [[nodiscard]] std::vector<core::PipeEntry> exportable_entries() const;
    // The visible rows as CSV or JSON (core's catalog export).
    [[nodiscard]] std::string export_text(bool json) const;
    // Writes export_text to `path` atomically; returns a message for the user.
    [[nodiscard]] std::string export_to(const std::string& path, bool json) const;

    // The banner when the system cannot list (or lists with gaps), else empty.
    [[nodiscard]] std::string banner(const std::optional<core::Error>& error) const;
    // "listing: NT directory + handle table", "listing: /proc/net/unix + /proc/*/fd", ... for
    // a snapshot (nullptr: none yet) or a failed listing.
    [[nodiscard]] static std::string status_detail(const core::Snapshot* latest, bool failed);

    // Cell texts.
    [[nodiscard]] static std::string count_text(const std::optional<std::int64_t>& v);
    [[nodiscard]] static std::string holders_text(const std::vector<core::ProcessRef>& v);
    [[nodiscard]] static std::string clients_text(const core::PipeEntry& e);

  private:
    void rebuild_rows();
    void apply_filter_and_sort();

    std::shared_ptr<const core::Snapshot> shown_;
    std::vector<Row> rows_;
    std::vector<const Row*> visible_;
    std::unordered_map<std::string, Clock::time_point> added_at_;
    struct Removed {
        core::PipeEntry entry;
        Clock::time_point at;
    };
    std::vector<Removed> removed_;
    std::string filter_;
    PipeColumn sort_column_ = PipeColumn::Name;
    bool sort_ascending_ = true;
};

}  // namespace pipescope::gui
