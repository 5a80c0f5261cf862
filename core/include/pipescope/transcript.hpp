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

// A proxy's frames say which way they went between its client and its server. Their Direction
// is the one the client's own transcript would show: ToServer is Out, ToClient is In.
enum class Flow { None, ToServer, ToClient };  // None: not a proxy frame

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
    // A proxy's frames: its connection number (1-based) and which way the unit went; 0 and
    // None for every other transcript.
    std::uint32_t connection = 0;
    Flow flow = Flow::None;
};

enum class EventKind { Connected, Disconnected, Error, Info };

struct Event {
    std::uint64_t seq = 0;
    std::int64_t unix_us = 0;
    EventKind kind = EventKind::Info;
    std::string text;
    std::uint32_t connection = 0;  // a proxy's connection (1-based), 0 otherwise
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
// "to_server", "to_client", "" (None).
[[nodiscard]] std::string_view to_string(Flow f);
[[nodiscard]] Direction direction_of(Flow f);  // ToServer: Out; ToClient, None: In
[[nodiscard]] std::int64_t now_unix_us();

class Transcript {
  public:
    explicit Transcript(TranscriptLimits limits = {}) : limits_(limits) {}

    // Every frame and event added from now on carries `connection` (a proxy's connection).
    void set_connection(std::uint32_t connection) { connection_ = connection; }
    [[nodiscard]] std::uint32_t connection() const { return connection_; }

    // Adds a frame / event stamped now; drops the oldest when over the limits. A frame that
    // continues a message already over max_message_bytes is not kept (only counted); when that
    // message ends, its last kept frame gets omitted_bytes and an event says how much was cut.
    void add_frame(Direction direction, std::span<const std::byte> bytes, bool message_end);
    // A proxy's frame: direction_of(flow), and the flow kept in the frame.
    void add_frame(Flow flow, std::span<const std::byte> bytes, bool message_end);
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
    // JSON: {"format": "pipescope-transcript", "version": 1, "frames": [{"seq", "unix_us",
    // "direction": "in"|"out", "message_end", "hex", ["omitted_bytes"], ["connection",
    // "flow": "to_server"|"to_client"]}], "events": [{"seq", "unix_us", "kind", "text",
    // ["connection"]}]}. The bracketed keys are written only when set; older files without
    // them load (connection 0, flow None).
    [[nodiscard]] std::string to_json() const;
    [[nodiscard]] static Result<Transcript> from_json(std::string_view text);

    // Several transcripts as one, in time order (unix_us; each part keeps its own order when
    // clocks tie or step back), frames and events renumbered 1, 2, ... in that order and
    // keeping their connection and flow. No limits apply to the result (its limits are the
    // maximum), so nothing is dropped. Copies the frames. Any thread.
    [[nodiscard]] static Transcript merge(std::span<const Transcript* const> parts);

  private:
    void trim();
    void add_frame_impl(Direction direction, Flow flow, std::span<const std::byte> bytes,
                        bool message_end);

    TranscriptLimits limits_;
    std::deque<std::shared_ptr<const Frame>> frames_;
    std::deque<Event> events_;
    std::size_t bytes_kept_ = 0;
    std::uint64_t dropped_frames_ = 0;
    std::uint64_t next_seq_ = 1;
    std::uint32_t connection_ = 0;
    // Per direction (In, Out): the message being received or sent.
    struct OpenMessage {
        std::uint64_t bytes = 0;    // of it so far
        std::uint64_t omitted = 0;  // of it not kept
        std::uint64_t last_kept_seq = 0;
    };
    OpenMessage open_[2];
};

}  // namespace pipescope::core
