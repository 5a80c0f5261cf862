// One conversation of a session (the client's only one, or one of a server's clients), run on
// its own thread until the peer leaves, a disconnect request, an error or stop. It reads units
// (a message, a line or one read's bytes), records them in the conversation's transcript,
// applies the session's behaviour (Echo, Sink, Script reply; Manual only records) and sends
// what the user queued. Private to core/src/session.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <stop_token>
#include <string>
#include <vector>

#include "session_impl.hpp"

namespace pipescope::core {

class Conversation {
  public:
    // `session` must outlive the conversation (the worker holds a shared_ptr to it).
    Conversation(Session::Impl& session, std::uint32_t id, std::unique_ptr<Channel> channel);
    Conversation(const Conversation&) = delete;
    Conversation& operator=(const Conversation&) = delete;

    // Runs the conversation to its end, then closes the channel and records why it ended.
    // Called once, on the conversation's own thread.
    void run(std::stop_token stop);

  private:
    // Registers the channel with the session (so stop() can cancel it) and adds its snapshot.
    void start();
    // Sends what the user queued; false to end (a disconnect request or a failed send).
    bool send_queued();
    // One read of at most kReadSlice and what follows from it; false to end.
    bool read_once();
    // A read timed out: after a send of ours with no reply for reply_timeout, says so.
    void check_reply_timeout(const Error& timeout);
    // The peer closed its end: the end reason, an error if it left in the middle of a unit.
    void peer_closed();

    // What arrived, by unit kind; each records it and completes its units. False to end.
    bool on_message(std::span<const std::byte> got, bool message_end);
    bool on_lines(std::span<const std::byte> got);
    bool on_bytes(std::span<const std::byte> got);

    // Appends to the open unit, holding at most unit_cap_ bytes of it.
    void add_to_unit(std::span<const std::byte> part);
    // The unit `u` is complete: applies the behaviour to it and starts the next. False to end.
    bool finish_unit(std::span<const std::byte> u);
    // Echo sends `u` back; Script sends the first matching rule's reply; Manual, Sink: nothing.
    bool apply_behaviour(std::span<const std::byte> u);
    bool reply_scripted(std::span<const std::byte> u);

    // Writes `bytes` and records them; on failure sets the end reason and returns false.
    bool send(std::span<const std::byte> bytes);
    // Adds a frame to the transcript and to the counters (`units` complete units in it).
    void record(Direction d, std::span<const std::byte> bytes, bool message_end,
                std::uint64_t units);
    // An event in this conversation's transcript, also the session's status line.
    void event(EventKind kind, std::string text);
    // Sets why the conversation ends: `kind` Disconnected or Error.
    void end_with(EventKind kind, std::string reason);
    // Unregisters and closes the channel, records the end and publishes.
    void finish();

    Session::Impl& session_;
    const SessionOptions& options_;
    const std::uint32_t id_;
    std::unique_ptr<Channel> ch_;
    const bool message_;      // the channel keeps message boundaries
    const bool lines_;        // line mode on a byte stream: units end at '\n'
    const bool needs_units_;  // only Echo and Script look at whole units
    const std::size_t unit_cap_;

    std::vector<std::byte> buf_;    // one read
    std::vector<std::byte> unit_;   // a message or line being put together (Echo, Script)
    std::uint64_t unit_bytes_ = 0;  // of the open message or line, held or not
    bool unit_too_long_ = false;    // the open unit went over unit_cap_: it is not held
    std::string end_reason_ = "stopped";
    EventKind end_kind_ = EventKind::Disconnected;
    std::optional<std::chrono::steady_clock::time_point> awaiting_reply_since_;
};

}  // namespace pipescope::core
