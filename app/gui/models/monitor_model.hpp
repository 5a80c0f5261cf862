// The proxy monitor's model, without ImGui: from a proxy session's snapshot, the connections
// table (number, client PID and image, bytes each way, state) and the merged transcript of
// every connection (or of one) in time order, as pointers into the snapshot it holds. Work per
// update is bounded: the merge takes only the newest max_rows frames, and runs only when the
// snapshot or the filter changed. Saving writes the merged transcript (core::Transcript::merge)
// with each frame's connection and flow. UI thread only (one owner; no locks).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "pipescope/result.hpp"
#include "pipescope/session.hpp"

namespace pipescope::gui {

struct ProxyConnectionRow {
    std::uint32_t number = 0;  // the proxy's connection number, 1-based
    std::optional<std::uint32_t> pid;
    std::string image;  // the client's executable path, when the OS told it
    std::uint64_t bytes_to_server = 0;
    std::uint64_t bytes_to_client = 0;
    bool open = false;
    std::string state;   // what it is doing, or how it ended (its last error, or "closed")
    std::string target;  // the target channel, once connected
};

class MonitorModel {
  public:
    // Rows the merged transcript holds at most (the newest); older ones are counted.
    static constexpr std::size_t kMaxRows = 100000;

    explicit MonitorModel(std::size_t max_rows = kMaxRows) : max_rows_(max_rows) {}

    // Takes the session's latest snapshot (nothing to do when it is the one held).
    void update(std::shared_ptr<const core::SessionSnapshot> snapshot);
    [[nodiscard]] const core::SessionSnapshot* snapshot() const { return snap_.get(); }

    // Shows only connection `number` (0: every connection).
    void set_filter(std::uint32_t number);
    [[nodiscard]] std::uint32_t filter() const { return filter_; }

    [[nodiscard]] const std::vector<ProxyConnectionRow>& connections() const { return rows_; }
    // The shown frames, oldest first; valid until the next update().
    [[nodiscard]] const std::vector<const core::Frame*>& frames() const { return frames_; }
    // Frames of the shown connections that are in the snapshot but not in frames() (beyond
    // max_rows), and those the transcripts' own caps dropped.
    [[nodiscard]] std::uint64_t frames_not_shown() const { return not_shown_; }
    // Grows whenever frames are added to what is shown (for a table's follow).
    [[nodiscard]] std::uint64_t frames_added() const { return added_; }

    // Writes the shown connections' transcripts merged into one pipescope-transcript JSON
    // file (every frame the snapshot holds, with connection and flow).
    [[nodiscard]] core::Status save(const std::string& path) const;

  private:
    void rebuild_rows();
    void rebuild_frames();

    std::size_t max_rows_;
    std::shared_ptr<const core::SessionSnapshot> snap_;
    std::uint32_t filter_ = 0;
    std::vector<ProxyConnectionRow> rows_;
    std::vector<const core::Frame*> frames_;
    std::uint64_t not_shown_ = 0;
    std::uint64_t added_ = 0;
};

}  // namespace pipescope::gui
