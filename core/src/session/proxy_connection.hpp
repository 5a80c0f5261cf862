// One client connection of a ProxySession: connects to the target, then forwards both ways on
// two threads (the calling one: client -> server; one more: server -> client) until either side
// ends, recording every forwarded unit. Private to core/src/session.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <stop_token>
#include <string>
#include <vector>

#include "pipescope/proxy.hpp"
#include "session_impl.hpp"

namespace pipescope::core {

// What a proxy's threads share besides the session state: the endpoints and options.
struct ProxyShared {
    std::shared_ptr<Session::Impl> session;
    Endpoint listen;
    Endpoint target;
    ProxyOptions options;
};

class ProxyConnection {
  public:
    ProxyConnection(const ProxyShared& proxy, std::uint32_t id, std::unique_ptr<Channel> client);
    ProxyConnection(const ProxyConnection&) = delete;
    ProxyConnection& operator=(const ProxyConnection&) = delete;

    // Runs the connection to its end, then closes both channels and records why it ended.
    // Called once, on the connection's own thread; returns after its second worker ended.
    void run(std::stop_token stop);

  private:
    // One direction: what it reads from and writes to, and what it holds meanwhile.
    struct Pump {
        Flow flow;
        Channel* src;
        Channel* dst;
        const char* src_side;  // "client" / "target"
        const char* dst_side;
        bool src_message;
        bool dst_message;
        bool can_half_close;  // the source's peer can close one way and the sink can pass it on
        std::vector<std::byte> buf;   // one read
        std::vector<std::byte> unit;  // a message or line being put together
    };

    void start();
    // Connects to the target, retrying a missing or busy one within target_timeout. False when
    // it failed (the end reason is set) or stop was asked.
    bool connect_target(std::stop_token stop);
    // Forwards one direction until its source ends or the connection ends.
    void pump(Pump& p);
    // One read's bytes, by the kinds of the two sides; false ends the pump.
    bool forward(Pump& p, std::span<const std::byte> got, bool message_end);
    bool forward_lines(Pump& p, std::span<const std::byte> got);
    // Puts `part` into the unit being assembled; false (connection ended) when it would go over
    // max_unit_bytes, or over what the sink can take as one message.
    bool add_to_unit(Pump& p, std::span<const std::byte> part, const char* what);
    // Writes `bytes` to the sink and records them; false (connection ended) on failure.
    bool write_unit(Pump& p, std::span<const std::byte> bytes, bool message_end);
    void release_unit(Pump& p);
    // The source gave end of stream: half-close the sink, or end the connection.
    void source_ended(Pump& p);
    // Whether a disconnect of this connection was asked for (Session::disconnect).
    bool disconnect_requested();

    // Adds the unit to the transcript and the counters. False when a disconnect of this
    // connection was asked for (seen here too, so a busy connection notices it).
    bool record(Flow flow, std::span<const std::byte> bytes, bool message_end, std::size_t held);
    void event(EventKind kind, std::string text);
    void set_state(std::string state);
    // Ends the connection (the first reason wins) and cancels both channels, so the other
    // direction's pending call returns at once. Any of the connection's threads.
    void end(EventKind kind, std::string reason);
    void finish();

    Session::Impl& session_;
    const ProxyShared& proxy_;
    const ProxyOptions& options_;
    const std::uint32_t id_;
    std::unique_ptr<Channel> client_;
    std::unique_ptr<Channel> target_;

    std::mutex end_mutex_;  // guards the three below
    bool ended_ = false;
    EventKind end_kind_ = EventKind::Disconnected;
    std::string end_reason_ = "stopped";
    std::atomic<int> open_directions_{2};
};

}  // namespace pipescope::core
