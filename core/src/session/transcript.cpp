#include "pipescope/transcript.hpp"

#include <chrono>
#include <functional>
#include <queue>
#include <utility>

#include <nlohmann/json.hpp>

#include "pipescope/files.hpp"
#include "pipescope/hex.hpp"
#include "base/json_number.hpp"

namespace pipescope::core {

std::string_view to_string(Direction d) {
    return d == Direction::In ? "in" : "out";
}

std::string_view to_string(EventKind k) {
    switch (k) {
        case EventKind::Connected:
            return "connected";
        case EventKind::Disconnected:
            return "disconnected";
        case EventKind::Error:
            return "error";
        case EventKind::Info:
            return "info";
    }
    return "info";
}

std::string_view to_string(Flow f) {
    switch (f) {
        case Flow::ToServer:
            return "to_server";
        case Flow::ToClient:
            return "to_client";
        case Flow::None:
            return "";
    }
    return "";
}

Direction direction_of(Flow f) {
    return f == Flow::ToServer ? Direction::Out : Direction::In;
}

std::int64_t now_unix_us() {
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

void Transcript::add_frame(Direction direction, std::span<const std::byte> bytes,
                           bool message_end) {
    add_frame_impl(direction, Flow::None, bytes, message_end);
}

void Transcript::add_frame(Flow flow, std::span<const std::byte> bytes, bool message_end) {
    add_frame_impl(direction_of(flow), flow, bytes, message_end);
}

void Transcript::add_frame_impl(Direction direction, Flow flow, std::span<const std::byte> bytes,
                                bool message_end) {
    OpenMessage& open = open_[direction == Direction::In ? 0 : 1];
    const std::uint64_t before = open.bytes;
    open.bytes += bytes.size();
    std::size_t keep = bytes.size();
    if (open.bytes > limits_.max_message_bytes) {
        keep = before >= limits_.max_message_bytes
                   ? 0
                   : static_cast<std::size_t>(limits_.max_message_bytes - before);
        if (open.omitted == 0) {
            add_event(EventKind::Info,
                      std::string(direction == Direction::In ? "incoming" : "outgoing") +
                          " message longer than " + std::to_string(limits_.max_message_bytes) +
                          " bytes: only its first " + std::to_string(limits_.max_message_bytes) +
                          " bytes are recorded");
        }
        open.omitted += bytes.size() - keep;
    }
    if (keep > 0 || open.omitted == 0) {
        auto f = std::make_shared<Frame>();
        f->seq = next_seq_++;
        f->unix_us = now_unix_us();
        f->direction = direction;
        f->connection = connection_;
        f->flow = flow;
        f->message_end = message_end && open.omitted == 0;
        f->bytes.assign(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(keep));
        bytes_kept_ += keep;
        open.last_kept_seq = f->seq;
        frames_.push_back(std::move(f));
    }
    if (message_end) {
        if (open.omitted > 0) {
            // Close the message on its last kept frame (a copy: published frames are immutable).
            for (auto it = frames_.rbegin(); it != frames_.rend(); ++it) {
                if ((*it)->seq != open.last_kept_seq) continue;
                auto closed = std::make_shared<Frame>(**it);
                closed->message_end = true;
                closed->omitted_bytes = open.omitted;
                *it = std::move(closed);
                break;
            }
            add_event(EventKind::Info,
                      std::string(direction == Direction::In ? "incoming" : "outgoing") +
                          " message of " + std::to_string(open.bytes) +
                          " bytes recorded truncated: " +
                          std::to_string(open.bytes - open.omitted) + " bytes kept, " +
                          std::to_string(open.omitted) + " not recorded (transcript message cap)");
        }
        open = OpenMessage{};
    }
    trim();
}

void Transcript::add_event(EventKind kind, std::string text) {
    events_.push_back(Event{next_seq_++, now_unix_us(), kind, std::move(text), connection_});
    while (events_.size() > limits_.max_events) events_.pop_front();
}

void Transcript::trim() {
    while (!frames_.empty() &&
           (frames_.size() > limits_.max_frames || bytes_kept_ > limits_.max_bytes)) {
        bytes_kept_ -= frames_.front()->bytes.size();
        frames_.pop_front();
        ++dropped_frames_;
    }
}

std::vector<std::byte> Transcript::joined(Direction direction) const {
    std::vector<std::byte> out;
    for (const auto& f : frames_) {
        if (f->direction == direction) out.insert(out.end(), f->bytes.begin(), f->bytes.end());
    }
    return out;
}

std::string Transcript::to_json() const {
    nlohmann::json j;
    j["format"] = "pipescope-transcript";
    j["version"] = 1;
    j["dropped_frames"] = dropped_frames_;
    auto& frames = j["frames"] = nlohmann::json::array();
    for (const auto& f : frames_) {
        frames.push_back({{"seq", f->seq},
                          {"unix_us", f->unix_us},
                          {"direction", to_string(f->direction)},
                          {"message_end", f->message_end},
                          {"hex", to_hex(f->bytes)}});
        if (f->omitted_bytes > 0) frames.back()["omitted_bytes"] = f->omitted_bytes;
        if (f->connection != 0) frames.back()["connection"] = f->connection;
        if (f->flow != Flow::None) frames.back()["flow"] = to_string(f->flow);
    }
    auto& events = j["events"] = nlohmann::json::array();
    for (const auto& e : events_) {
        events.push_back({{"seq", e.seq},
                          {"unix_us", e.unix_us},
                          {"kind", to_string(e.kind)},
                          {"text", e.text}});
        if (e.connection != 0) events.back()["connection"] = e.connection;
    }
    return j.dump(1);
}

Result<Transcript> Transcript::from_json(std::string_view text) {
    auto j = nlohmann::json::parse(text, nullptr, false);
    auto bad = [](std::string why) {
        return make_error(
            ErrorCode::InvalidArgument, "Transcript::load", "transcript",
            "not a PipeScope transcript: " + why + ". Next: open a file saved by PipeScope");
    };
    if (j.is_discarded() || !j.is_object()) return bad("the JSON does not parse");
    // Not j.value("format", ""): it throws when "format" is there but not a string.
    const auto format = j.find("format");
    if (format == j.end() || !format->is_string() || *format != "pipescope-transcript")
        return bad("no format marker");
    // Whole numbers only: nlohmann's get<std::int64_t>() on 1.7e20 is undefined behaviour.
    std::string bad_number;
    auto whole = [&]<class T>(const nlohmann::json& v, const char* key, T& out) {
        const auto n = detail::json_whole_number<T>(v);
        if (n)
            out = *n;
        else if (bad_number.empty())
            bad_number = key;
        return n.has_value();
    };
    auto not_whole = [&] { return bad("'" + bad_number + "' is not a whole number in range"); };
    Transcript t;
    t.limits_.max_bytes = SIZE_MAX;
    t.limits_.max_frames = SIZE_MAX;
    t.limits_.max_events = SIZE_MAX;
    t.limits_.max_message_bytes = SIZE_MAX;
    try {
        if (const auto d = j.find("dropped_frames");
            d != j.end() && !whole(*d, "dropped_frames", t.dropped_frames_))
            return not_whole();
        std::uint64_t max_seq = 0;
        for (const auto& f : j.at("frames")) {
            auto frame = std::make_shared<Frame>();
            if (!whole(f.at("seq"), "seq", frame->seq) ||
                !whole(f.at("unix_us"), "unix_us", frame->unix_us))
                return not_whole();
            auto dir = f.at("direction").get<std::string>();
            if (dir != "in" && dir != "out") return bad("direction '" + dir + "'");
            frame->direction = dir == "in" ? Direction::In : Direction::Out;
            frame->message_end = f.at("message_end").get<bool>();
            frame->omitted_bytes = f.value("omitted_bytes", std::uint64_t{0});
            if (const auto c = f.find("connection");
                c != f.end() && !whole(*c, "connection", frame->connection))
                return not_whole();
            if (const auto fl = f.find("flow"); fl != f.end()) {
                const auto flow = fl->get<std::string>();
                if (flow == "to_server") {
                    frame->flow = Flow::ToServer;
                } else if (flow == "to_client") {
                    frame->flow = Flow::ToClient;
                } else {
                    return bad("flow '" + flow + "'");
                }
            }
            auto bytes = parse_hex(f.at("hex").get<std::string>());
            if (!bytes) return bad(bytes.error().message);
            frame->bytes = std::move(bytes).value();
            t.bytes_kept_ += frame->bytes.size();
            max_seq = std::max(max_seq, frame->seq);
            t.frames_.push_back(std::move(frame));
        }
        for (const auto& e : j.at("events")) {
            Event ev;
            if (!whole(e.at("seq"), "seq", ev.seq) ||
                !whole(e.at("unix_us"), "unix_us", ev.unix_us))
                return not_whole();
            auto kind = e.at("kind").get<std::string>();
            for (auto k : {EventKind::Connected, EventKind::Disconnected, EventKind::Error,
                           EventKind::Info}) {
                if (kind == to_string(k)) ev.kind = k;
            }
            ev.text = e.at("text").get<std::string>();
            if (const auto c = e.find("connection");
                c != e.end() && !whole(*c, "connection", ev.connection))
                return not_whole();
            max_seq = std::max(max_seq, ev.seq);
            t.events_.push_back(std::move(ev));
        }
        t.next_seq_ = max_seq + 1;
    } catch (const nlohmann::json::exception& ex) {
        return bad(ex.what());
    }
    return t;
}

Transcript Transcript::merge(std::span<const Transcript* const> parts) {
    Transcript t;
    t.limits_.max_bytes = SIZE_MAX;
    t.limits_.max_frames = SIZE_MAX;
    t.limits_.max_events = SIZE_MAX;
    t.limits_.max_message_bytes = SIZE_MAX;
    // A k-way merge by time that keeps each part's own order (its seq), so a clock that
    // steps back never reorders one connection's frames.
    struct Cursor {
        std::size_t frame = 0;
        std::size_t event = 0;
    };
    std::vector<Cursor> at(parts.size());
    // The head of part i: its next frame or event, whichever comes first in its own order.
    auto head = [&](std::size_t i, bool& is_frame, std::int64_t& us) {
        const Transcript& p = *parts[i];
        const Frame* f = at[i].frame < p.frames_.size() ? p.frames_[at[i].frame].get() : nullptr;
        const Event* e = at[i].event < p.events_.size() ? &p.events_[at[i].event] : nullptr;
        if (!f && !e) return false;
        is_frame = f && (!e || f->seq < e->seq);
        us = is_frame ? f->unix_us : e->unix_us;
        return true;
    };
    // Min-heap of (time of the head, part); ties go to the lower part. O(n log parts).
    using Key = std::pair<std::int64_t, std::size_t>;
    std::priority_queue<Key, std::vector<Key>, std::greater<>> heads;
    bool is_frame = false;
    std::int64_t us = 0;
    for (std::size_t i = 0; i < parts.size(); ++i) {
        if (head(i, is_frame, us)) heads.emplace(us, i);
    }
    while (!heads.empty()) {
        const std::size_t best = heads.top().second;
        heads.pop();
        const Transcript& p = *parts[best];
        head(best, is_frame, us);
        if (is_frame) {
            auto f = std::make_shared<Frame>(*p.frames_[at[best].frame++]);
            f->seq = t.next_seq_++;
            t.bytes_kept_ += f->bytes.size();
            t.frames_.push_back(std::move(f));
        } else {
            Event e = p.events_[at[best].event++];
            e.seq = t.next_seq_++;
            t.events_.push_back(std::move(e));
        }
        if (head(best, is_frame, us)) heads.emplace(us, best);
    }
    for (const Transcript* p : parts) t.dropped_frames_ += p->dropped_frames_;
    return t;
}

Status Transcript::save(const std::string& path) const {
    return write_file_atomic(path, to_json());  // temp file + rename
}

Result<Transcript> Transcript::load(const std::string& path) {
    auto text = read_file(path);
    if (!text) return std::move(text).error();
    return from_json(*text);
}

}  // namespace pipescope::core
