// A conversation's record: frames (what went which way, when, where a message ended) and
// events (connected, disconnected, errors). Capped in memory; saved to and loaded from JSON.
// A Transcript is a plain value: one thread writes it; snapshots are copies (frames are shared,
// immutable, so a copy is cheap).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "pipescope/result.hpp"

namespace pipescope::core {

enum class Direction { In, Out };  // In: from the peer; Out: sent by us

struct Frame {
    std::uint64_t seq = 0;     // order across frames and events of one transcript
    std::int64_t unix_us = 0;  // wall-clock time, microseconds since 1970
    Direction direction = Direction::In;
    bool message_end = true;  // false: more of the same message follows in the next frame
    // Bytes of this message that came after this frame but were not recorded, because the
    // message was longer than TranscriptLimits::max_message_bytes (set on its last kept frame
    // once the message ends).
    std::uint64_t omitted_bytes = 0;
    std::vector<std::byte> bytes;
};

enum class EventKind { Connected, Disconnected, Error, Info };

struct Event {
    std::uint64_t seq = 0;
    std::int64_t unix_us = 0;
    EventKind kind = EventKind::Info;
    std::string text;
};

struct TranscriptLimits {
    std::size_t max_bytes = 16u << 20;  // payload bytes kept; the oldest frames fall off
    std::size_t max_frames = 100000;
    std::size_t max_events = 10000;
    // Of one message (or one unfinished line), only the first this many bytes are recorded;
    // the rest is counted (Frame::omitted_bytes) and noted in an event, so one huge message
    // cannot push the whole conversation out of the transcript.
    std::size_t max_message_bytes = 1u << 20;
};

[[nodiscard]] std::string_view to_string(Direction d);
[[nodiscard]] std::string_view to_string(EventKind k);
[[nodiscard]] std::int64_t now_unix_us();

class Transcript {
  public:
    explicit Transcript(TranscriptLimits limits = {}) : limits_(limits) {}

    // Adds a frame / event stamped now; drops the oldest when over the limits. A frame that
    // continues a message already over max_message_bytes is not kept (only counted); when that
    // message ends, its last kept frame gets omitted_bytes and an event says how much was cut.
    void add_frame(Direction direction, std::span<const std::byte> bytes, bool message_end);
    void add_event(EventKind kind, std::string text);

    [[nodiscard]] const std::deque<std::shared_ptr<const Frame>>& frames() const { return frames_; }
    [[nodiscard]] const std::deque<Event>& events() const { return events_; }
    [[nodiscard]] std::size_t bytes_kept() const { return bytes_kept_; }
    [[nodiscard]] std::uint64_t dropped_frames() const { return dropped_frames_; }
    [[nodiscard]] const TranscriptLimits& limits() const { return limits_; }
    // All the bytes of one direction, in order (for tests and "copy all").
    [[nodiscard]] std::vector<std::byte> joined(Direction direction) const;

    // Writes JSON to `path` (to a temporary file first, then renamed over it).
    [[nodiscard]] Status save(const std::string& path) const;
    [[nodiscard]] static Result<Transcript> load(const std::string& path);
    [[nodiscard]] std::string to_json() const;
    [[nodiscard]] static Result<Transcript> from_json(std::string_view text);

  private:
    void trim();

    TranscriptLimits limits_;
    std::deque<std::shared_ptr<const Frame>> frames_;
    std::deque<Event> events_;
    std::size_t bytes_kept_ = 0;
    std::uint64_t dropped_frames_ = 0;
    std::uint64_t next_seq_ = 1;
    // Per direction (In, Out): the message being received or sent.
    struct OpenMessage {
        std::uint64_t bytes = 0;    // of it so far
        std::uint64_t omitted = 0;  // of it not kept
        std::uint64_t last_kept_seq = 0;
    };
    OpenMessage open_[2];
};

}  // namespace pipescope::core
