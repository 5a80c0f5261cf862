// Session::Impl: the state a session's workers share (private to core/src/session). The
// session's threads (client worker, server acceptor, one Conversation each) hold it through a
// shared_ptr; everything mutable is guarded by `mutex`, but for `published` (its own lock).
#pragma once

#include <atomic>
#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "pipescope/session.hpp"
#include "pipescope/snapshot_publisher.hpp"

namespace pipescope::core {

// "pid 42, C:\x.exe", or "peer unknown".
[[nodiscard]] std::string describe_peer(const PeerInfo& p);

struct Session::Impl {
    Endpoint endpoint;
    SessionOptions options;

    // What readers see; publish_locked() builds each one from `state`. Its own leaf lock, so a
    // reader never waits for `mutex`.
    SnapshotPublisher<SessionSnapshot> published{std::make_shared<const SessionSnapshot>()};

    mutable std::mutex mutex;  // guards everything below
    SessionSnapshot state;
    std::map<std::uint32_t, std::deque<std::vector<std::byte>>> outbox;
    std::map<std::uint32_t, bool> disconnect_requests;
    // A server's conversation threads; each sets `done` as its last act, so the acceptor can
    // join finished ones as it goes (a thread's handle and stack live until it is joined).
    struct Worker {
        std::jthread thread;
        std::shared_ptr<std::atomic<bool>> done;
    };
    std::vector<Worker> workers;
    // Live channels and the listener, so stop() can cancel their blocking calls. (Not
    // std::stop_callback: with MinGW's libstdc++ a callback racing its own destruction on the
    // worker could leave the worker waiting forever on the callback's completion semaphore;
    // seen as intermittent hangs under Wine.)
    // Keyed by conversation id; a proxy's connection has two (client and target).
    std::multimap<std::uint32_t, Channel*> live;
    std::shared_ptr<Listener> listener;
    bool stopping = false;
    std::chrono::steady_clock::time_point last_publish{};
    bool dirty = false;

    // Caller holds `mutex`.
    ConversationSnapshot* find(std::uint32_t id);
    // Publishes a new snapshot if something changed and the last publish is 15 ms old, or
    // always with `force`. Caller holds `mutex`.
    void publish_locked(bool force);
    void publish(bool force);
    // Adds a session-level event, makes it the status and publishes. Any thread.
    void session_event(EventKind kind, std::string text);
    // Drops the oldest closed conversations beyond options.max_closed_conversations. Caller
    // holds `mutex`.
    void forget_old_conversations_locked();

    // Marks the session stopping and cancels the listener and every live channel (sticky, so
    // a call that starts later returns Cancelled too). Any thread.
    void cancel_all();

    // Joins the server's conversation threads that have finished. Not from a worker.
    void reap_finished_workers();

    // A listening session's stop (server, proxy): cancels everything, joins `acceptor`, then
    // every conversation's worker, and publishes the session as no longer running. Any thread
    // but a worker's own.
    void stop_listening_session(std::jthread& acceptor);
};

}  // namespace pipescope::core
