// Interactive sessions: a test client and a test server that stand in for one side of a
// conversation. Each runs on its own std::jthread workers, publishes immutable snapshots for a
// front end (load once per frame) and takes commands (send, disconnect a client, stop).
//
// Behaviours for what arrives: Manual (record only; the user sends), Echo (send it back), Sink
// (read and discard; recorded), Script (rules that match a prefix or a regex answer with a
// reply). Line mode cuts a byte stream into newline-terminated units (JSON lines and the like)
// before the behaviour sees it; on message kinds a unit is a message.
//
// Threads: every public method may be called from any thread. Snapshots are never modified
// after they are published.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <regex>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "pipescope/transcript.hpp"
#include "pipescope/transport.hpp"

namespace pipescope::core {

enum class Behaviour { Manual, Echo, Sink, Script };
[[nodiscard]] std::string_view to_string(Behaviour b);
[[nodiscard]] std::optional<Behaviour> parse_behaviour(std::string_view text);

struct ScriptRule {
    enum class Match { Prefix, Regex };
    Match match = Match::Prefix;
    std::string pattern;
    std::string reply;
    // Regex: the pattern compiled once by parse_script (copies of the rule share it). A Regex
    // rule built by hand without one is compiled on every match.
    std::shared_ptr<const std::regex> regex;
};

// Parses a script, one rule per line: `prefix TEXT => REPLY` or `regex PATTERN => REPLY`.
// Blank lines and lines starting with '#' are skipped. In REPLY, \n \r \t \\ are escapes.
// Errors name the line.
[[nodiscard]] Result<std::vector<ScriptRule>> parse_script(std::string_view text);

// The first rule matching `unit` (trailing CR/LF ignored), or nullptr. Rules from
// parse_script match with the regexes compiled there, nothing is compiled per call. Any thread.
[[nodiscard]] const ScriptRule* match_rule(const std::vector<ScriptRule>& rules,
                                           std::string_view unit);

// The bytes of a file, for "send a file". Any thread.
[[nodiscard]] Result<std::vector<std::byte>> load_payload_file(const std::string& path);

struct SessionOptions {
    Behaviour behaviour = Behaviour::Manual;
    std::vector<ScriptRule> rules;  // Script
    bool line_mode = false;         // byte kinds: units end at '\n'; replies get one
    TranscriptLimits limits;
    Timeout io_timeout{5000};       // a write that makes no progress for this long fails
    Timeout connect_timeout{5000};  // ClientSession
    // After a send of ours (not an Echo/Script reply), no byte back within this long adds an
    // Error event naming the read call, its timeout error and the pipe; the conversation stays
    // open. 0: off (wait for ever, the Manual default).
    Timeout reply_timeout{0};
    // Echo and Script need a whole message (or line) before they answer: at most this many
    // bytes of one are held. A longer one is not answered (an event says so) and is not held;
    // Manual and Sink hold none at all.
    std::size_t max_unit_bytes = 16u << 20;
    // ServerSession: closed conversations kept for the front end (the oldest go first), so a
    // long-running server's memory does not grow with every client it ever had.
    std::size_t max_closed_conversations = 100;
};

struct Counters {
    std::uint64_t bytes_in = 0;
    std::uint64_t bytes_out = 0;
    std::uint64_t messages_in = 0;  // messages (message kinds), lines (line mode) or reads
    std::uint64_t messages_out = 0;
};

// One conversation: the client session's only one, or one of a server's clients.
struct ConversationSnapshot {
    std::uint32_t id = 0;  // server: 1, 2, ... in connect order; client: 1
    bool connected = false;
    PeerInfo peer;
    std::int64_t connected_unix_us = 0;
    std::int64_t disconnected_unix_us = 0;
    Counters counters;
    // The most bytes held at once, outside the transcript, to put a message or line together
    // for the behaviour (buffer capacity); never above SessionOptions::max_unit_bytes.
    std::uint64_t assembly_bytes_peak = 0;
    Transcript transcript;  // frames and this conversation's events
    // A proxy's connection (proxy.hpp); empty for the other sessions. `target`: the target
    // channel (its describe()) once connected; `state`: "connecting to target", "forwarding",
    // "client closed its sending side", "target closed its sending side", "closed".
    std::string target;
    std::string state;
};

struct SessionSnapshot {
    std::uint64_t version = 0;  // increases with every publish
    bool running = false;       // the worker still runs
    std::string address;        // what we listen on / connect to
    std::string status;         // one line for a status bar
    Counters totals;
    std::vector<ConversationSnapshot> conversations;  // oldest first (the last closed ones kept)
    std::deque<Event> events;                         // session-level: listening, errors, stop
};

// Commands both kinds of session take.
class Session {
  public:
    virtual ~Session() = default;
    // The latest snapshot; never null. Any thread, cheap (copies a shared_ptr under a lock).
    [[nodiscard]] std::shared_ptr<const SessionSnapshot> snapshot() const;
    // Queues bytes to send to conversation `id` (0: every connected one). Any thread.
    void send(std::vector<std::byte> bytes, std::uint32_t id = 0);
    // Disconnects conversation `id`. Any thread.
    void disconnect(std::uint32_t id);
    // Stops every worker and waits for them (bounded by the I/O timeouts). Any thread but a
    // worker's own.
    virtual void stop() = 0;
    // Waits until `pred(snapshot)` holds or `timeout` passes; returns the last snapshot seen.
    // For tests and the CLI. Any thread.
    template <class Pred>
    std::shared_ptr<const SessionSnapshot> wait_for(Pred pred, Timeout timeout) const {
        auto deadline = std::chrono::steady_clock::now() + timeout;
        for (;;) {
            auto s = snapshot();
            if (pred(*s) || std::chrono::steady_clock::now() >= deadline) return s;
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
        }
    }

    struct Impl;

  protected:
    Session();
    std::shared_ptr<Impl> impl_;
};

// A test client: connects to `endpoint` and runs the behaviour on what arrives.
class ClientSession final : public Session {
  public:
    ClientSession(Endpoint endpoint, SessionOptions options);
    ~ClientSession() override;
    void stop() override;

  private:
    std::jthread worker_;
};

// A test server: listens on `endpoint`, accepts clients (each on its own worker), runs the
// behaviour for each and keeps a transcript per client.
class ServerSession final : public Session {
  public:
    ServerSession(Endpoint endpoint, SessionOptions options);
    ~ServerSession() override;
    void stop() override;

  private:
    std::jthread acceptor_;
};

}  // namespace pipescope::core
