#include "models/monitor_model.hpp"

#include <algorithm>
#include <queue>
#include <tuple>

namespace pipescope::gui {
namespace {

// How a connection ended: its last error, else what its disconnect said, else "closed".
std::string closed_state(const core::ConversationSnapshot& c) {
    const auto& events = c.transcript.events();
    for (auto it = events.rbegin(); it != events.rend(); ++it) {
        if (it->kind == core::EventKind::Error) return "closed: " + it->text;
    }
    for (auto it = events.rbegin(); it != events.rend(); ++it) {
        if (it->kind == core::EventKind::Disconnected) return "closed: " + it->text;
    }
    return "closed";
}

}  // namespace

void MonitorModel::update(std::shared_ptr<const core::SessionSnapshot> snapshot) {
    // A session hands out the same snapshot until it publishes a new one.
    if (!snapshot || snapshot == snap_) return;
    snap_ = std::move(snapshot);
    rebuild_rows();
    rebuild_frames();
}

void MonitorModel::set_filter(std::uint32_t number) {
    if (number == filter_) return;
    filter_ = number;
    if (snap_) rebuild_frames();
}

void MonitorModel::rebuild_rows() {
    rows_.clear();
    rows_.reserve(snap_->conversations.size());
    for (const auto& c : snap_->conversations) {
        ProxyConnectionRow row;
        row.number = c.id;
        row.pid = c.peer.pid;
        row.image = c.peer.image;
        // The proxy counts as its client's conversation would: out is what went to the
        // server, in what came back to the client.
        row.bytes_to_server = c.counters.bytes_out;
        row.bytes_to_client = c.counters.bytes_in;
        row.open = c.connected;
        // The proxy says what an open connection is doing ("forwarding", "client closed its
        // sending side", ...).
        row.state = !c.connected ? closed_state(c) : c.state.empty() ? "open" : c.state;
        row.target = c.target;
        rows_.push_back(std::move(row));
    }
}

// The newest max_rows_ frames of the shown connections, in time order: a k-way merge run from
// the newest end, so the work is bounded by max_rows_ whatever the transcripts hold. Ties in
// time keep connection order, and each transcript keeps its own order.
void MonitorModel::rebuild_frames() {
    frames_.clear();
    not_shown_ = 0;
    std::uint64_t added = 0;
    std::vector<const core::Transcript*> parts;
    for (const auto& c : snap_->conversations) {
        if (filter_ != 0 && c.id != filter_) continue;
        parts.push_back(&c.transcript);
        added += c.transcript.frames().size() + c.transcript.dropped_frames();
        not_shown_ += c.transcript.dropped_frames();
    }
    // (time, part, index in part), largest first.
    using Key = std::tuple<std::int64_t, std::size_t, std::size_t>;
    std::priority_queue<Key> heads;
    std::size_t total = 0;
    for (std::size_t p = 0; p < parts.size(); ++p) {
        const auto& frames = parts[p]->frames();
        total += frames.size();
        if (!frames.empty()) heads.emplace(frames.back()->unix_us, p, frames.size() - 1);
    }
    frames_.reserve(std::min(total, max_rows_));
    while (!heads.empty() && frames_.size() < max_rows_) {
        auto [t, p, i] = heads.top();
        heads.pop();
        const auto& frames = parts[p]->frames();
        frames_.push_back(frames[i].get());
        if (i > 0) heads.emplace(frames[i - 1]->unix_us, p, i - 1);
    }
    std::reverse(frames_.begin(), frames_.end());
    not_shown_ += total - frames_.size();
    added_ = added;
}

core::Status MonitorModel::save(const std::string& path) const {
    std::vector<const core::Transcript*> parts;
    if (snap_) {
        for (const auto& c : snap_->conversations) {
            if (filter_ == 0 || c.id == filter_) parts.push_back(&c.transcript);
        }
    }
    return core::Transcript::merge(parts).save(path);
}

}  // namespace pipescope::gui
