#include "pipescope/session.hpp"

#include <atomic>
#include <chrono>
#include <deque>
#include <fstream>
#include <optional>
#include <sstream>

#include <spdlog/logger.h>

#include "pipescope/log.hpp"

namespace pipescope::core {

std::string_view to_string(Behaviour b) {
    switch (b) {
        case Behaviour::Manual: return "manual";
        case Behaviour::Echo: return "echo";
        case Behaviour::Sink: return "sink";
        case Behaviour::Script: return "script";
    }
    return "manual";
}

std::optional<Behaviour> parse_behaviour(std::string_view text) {
    for (auto b : {Behaviour::Manual, Behaviour::Echo, Behaviour::Sink, Behaviour::Script}) {
        if (text == to_string(b)) return b;
    }
    return std::nullopt;
}

namespace {

std::string trim(std::string_view s) {
    std::size_t a = 0, b = s.size();
    while (a < b && (s[a] == ' ' || s[a] == '\t')) ++a;
    while (b > a && (s[b - 1] == ' ' || s[b - 1] == '\t' || s[b - 1] == '\r')) --b;
    return std::string(s.substr(a, b - a));
}

std::string unescape(std::string_view s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\\' && i + 1 < s.size()) {
            char c = s[++i];
            out.push_back(c == 'n' ? '\n' : c == 'r' ? '\r' : c == 't' ? '\t' : c);
        } else {
            out.push_back(s[i]);
        }
    }
    return out;
}

}  // namespace

Result<std::vector<ScriptRule>> parse_script(std::string_view text) {
    std::vector<ScriptRule> rules;
    std::size_t line_no = 0;
    while (!text.empty()) {
        auto nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
        ++line_no;
        std::string t = trim(line);
        if (t.empty() || t[0] == '#') continue;
        auto bad = [&](const std::string& why) {
            return make_error(ErrorCode::InvalidArgument, "parse_script",
                              "line " + std::to_string(line_no),
                              why + ". Next: write `prefix TEXT => REPLY` or `regex PATTERN => "
                                    "REPLY`");
        };
        auto arrow = t.find("=>");
        if (arrow == std::string::npos) return bad("no '=>' on the line");
        std::string head = trim(t.substr(0, arrow));
        ScriptRule rule;
        rule.reply = unescape(trim(t.substr(arrow + 2)));
        auto space = head.find(' ');
        std::string kind = head.substr(0, space);
        rule.pattern = space == std::string::npos ? "" : trim(head.substr(space + 1));
        if (kind == "prefix") rule.match = ScriptRule::Match::Prefix;
        else if (kind == "regex") rule.match = ScriptRule::Match::Regex;
        else return bad("'" + kind + "' is neither prefix nor regex");
        if (rule.match == ScriptRule::Match::Regex) {
            try {
                std::regex check(rule.pattern);
            } catch (const std::regex_error& e) {
                return bad(std::string("the regex does not compile (") + e.what() + ")");
            }
        }
        rules.push_back(std::move(rule));
    }
    return rules;
}

const ScriptRule* match_rule(const std::vector<ScriptRule>& rules, std::string_view unit) {
    while (!unit.empty() && (unit.back() == '\n' || unit.back() == '\r')) unit.remove_suffix(1);
    for (const auto& r : rules) {
        if (r.match == ScriptRule::Match::Prefix) {
            if (unit.substr(0, r.pattern.size()) == r.pattern) return &r;
        } else {
            try {
                if (std::regex_search(unit.begin(), unit.end(), std::regex(r.pattern))) return &r;
            } catch (const std::regex_error&) {
            }
        }
    }
    return nullptr;
}

Result<std::vector<std::byte>> load_payload_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return make_error(ErrorCode::NotFound, "open", path, "cannot open the file to send");
    std::stringstream ss;
    ss << in.rdbuf();
    std::string s = ss.str();
    auto* p = reinterpret_cast<const std::byte*>(s.data());
    return std::vector<std::byte>(p, p + s.size());
}

// ---------------------------------------------------------------------------------------------

struct Session::Impl {
    Endpoint endpoint;
    SessionOptions options;

    mutable std::mutex mutex;  // guards everything below
    SessionSnapshot state;
    std::shared_ptr<const SessionSnapshot> published = std::make_shared<SessionSnapshot>();
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
    std::map<std::uint32_t, Channel*> live;
    std::shared_ptr<Listener> listener;
    bool stopping = false;
    std::chrono::steady_clock::time_point last_publish{};
    bool dirty = false;

    ConversationSnapshot* find(std::uint32_t id) {
        for (auto& c : state.conversations) {
            if (c.id == id) return &c;
        }
        return nullptr;
    }

    // Caller holds `mutex`.
    void publish_locked(bool force) {
        auto now = std::chrono::steady_clock::now();
        if (!force && (!dirty || now - last_publish < std::chrono::milliseconds(15))) return;
        ++state.version;
        published = std::make_shared<const SessionSnapshot>(state);
        last_publish = now;
        dirty = false;
    }
    void publish(bool force) {
        std::lock_guard lock(mutex);
        publish_locked(force);
    }
    void session_event(EventKind kind, std::string text) {
        std::lock_guard lock(mutex);
        state.events.push_back(Event{0, now_unix_us(), kind, std::move(text)});
        while (state.events.size() > options.limits.max_events) state.events.pop_front();
        state.status = state.events.back().text;
        dirty = true;
        publish_locked(true);
    }

    // Marks the session stopping and cancels the listener and every live channel (sticky, so
    // a call that starts later returns Cancelled too). Any thread.
    void cancel_all() {
        std::lock_guard lock(mutex);
        stopping = true;
        if (listener) listener->cancel();
        for (auto& [id, ch] : live) ch->cancel();
    }

    // Joins the server's conversation threads that have finished. Not from a worker.
    void reap_finished_workers() {
        std::vector<Worker> finished;
        {
            std::lock_guard lock(mutex);
            for (auto it = workers.begin(); it != workers.end();) {
                if (it->done->load(std::memory_order_acquire)) {
                    finished.push_back(std::move(*it));
                    it = workers.erase(it);
                } else {
                    ++it;
                }
            }
        }
        finished.clear();  // joins, outside the lock
    }

    // Runs one conversation until the peer leaves, a disconnect, an error or stop.
    void run_conversation(std::uint32_t id, std::unique_ptr<Channel> ch, std::stop_token stop);
};

Session::Session() : impl_(std::make_shared<Impl>()) {}

std::shared_ptr<const SessionSnapshot> Session::snapshot() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->published;
}

void Session::send(std::vector<std::byte> bytes, std::uint32_t id) {
    std::lock_guard lock(impl_->mutex);
    if (id != 0) {
        impl_->outbox[id].push_back(std::move(bytes));
        return;
    }
    for (const auto& c : impl_->state.conversations) {
        if (c.connected) impl_->outbox[c.id].push_back(bytes);
    }
}

void Session::disconnect(std::uint32_t id) {
    std::lock_guard lock(impl_->mutex);
    impl_->disconnect_requests[id] = true;
}

namespace {
std::string describe_peer(const PeerInfo& p) {
    std::string s;
    if (p.pid) s += "pid " + std::to_string(*p.pid);
    if (!p.image.empty()) s += (s.empty() ? "" : ", ") + p.image;
    return s.empty() ? "peer unknown" : s;
}
}  // namespace

void Session::Impl::run_conversation(std::uint32_t id, std::unique_ptr<Channel> ch,
                                     std::stop_token stop) {
    {
        std::lock_guard lock(mutex);
        if (stopping) ch->cancel();  // stop() ran before we registered
        live[id] = ch.get();
    }
    const bool message = ch->message_oriented();
    const bool lines = options.line_mode && !message;
    {
        std::lock_guard lock(mutex);
        ConversationSnapshot conv;
        conv.id = id;
        conv.connected = true;
        conv.peer = ch->peer();
        conv.connected_unix_us = now_unix_us();
        conv.transcript = Transcript(options.limits);
        conv.transcript.add_event(EventKind::Connected,
                                  "connected (" + describe_peer(conv.peer) + ")");
        state.conversations.push_back(std::move(conv));
        dirty = true;
        publish_locked(true);
    }
    std::vector<std::byte> buf(64 * 1024), unit;  // unit: a message or line being put together
    // Only Echo and Script look at whole units; Manual and Sink never hold one.
    const bool needs_units =
        options.behaviour == Behaviour::Echo || options.behaviour == Behaviour::Script;
    const std::size_t unit_cap = options.max_unit_bytes;
    std::uint64_t unit_bytes = 0;   // of the open message or line, held or not
    bool unit_too_long = false;     // the open unit went over unit_cap: it is not held
    std::string end_reason = "stopped";
    EventKind end_kind = EventKind::Disconnected;
    std::optional<std::chrono::steady_clock::time_point> awaiting_reply_since;

    auto conversation_event = [&](EventKind kind, std::string text) {
        std::lock_guard lock(mutex);
        if (auto* c = find(id)) c->transcript.add_event(kind, text);
        state.status = "client " + std::to_string(id) + ": " + text;
        dirty = true;
    };
    auto record = [&](Direction d, std::span<const std::byte> bytes, bool message_end,
                      std::uint64_t units) {
        std::lock_guard lock(mutex);
        auto* c = find(id);
        c->transcript.add_frame(d, bytes, message_end);
        c->assembly_bytes_peak = std::max<std::uint64_t>(c->assembly_bytes_peak, unit.capacity());
        auto& k = c->counters;
        if (d == Direction::In) {
            k.bytes_in += bytes.size();
            k.messages_in += units;
            state.totals.bytes_in += bytes.size();
            state.totals.messages_in += units;
        } else {
            k.bytes_out += bytes.size();
            k.messages_out += units;
            state.totals.bytes_out += bytes.size();
            state.totals.messages_out += units;
        }
        dirty = true;
    };
    auto send_bytes = [&](std::span<const std::byte> bytes) -> bool {
        auto st = ch->write_all(bytes, options.io_timeout);
        if (!st) {
            end_reason = st.error().to_string();
            end_kind = st.error().code == ErrorCode::Cancelled ? EventKind::Disconnected
                                                               : EventKind::Error;
            return false;
        }
        record(Direction::Out, bytes, true, 1);
        return true;
    };
    // Appends to the open unit, holding at most unit_cap bytes of it (the buffer never grows
    // past the cap either).
    auto add_to_unit = [&](std::span<const std::byte> part) {
        unit_bytes += part.size();
        if (!needs_units || unit_too_long) return;
        if (unit.size() + part.size() > unit_cap) {
            unit_too_long = true;
            unit.clear();
            unit.shrink_to_fit();
            return;
        }
        if (unit.size() + part.size() > unit.capacity()) {
            unit.reserve(std::min(unit_cap, std::max(unit.size() + part.size(), unit.capacity() * 2)));
        }
        unit.insert(unit.end(), part.begin(), part.end());
    };
    // What the behaviour does with the unit just completed (a message, a line or a read).
    auto finish_unit = [&](std::span<const std::byte> u) -> bool {
        const bool too_long = unit_too_long;
        const std::uint64_t size = unit_bytes;
        unit_too_long = false;
        unit_bytes = 0;
        if (!needs_units) return true;
        if (too_long) {
            conversation_event(EventKind::Error,
                               "a " + std::string(message ? "message" : "line") + " of " +
                                   std::to_string(size) + " bytes is longer than the " +
                                   std::to_string(unit_cap) + " bytes the session holds for " +
                                   std::string(to_string(options.behaviour)) +
                                   ": not answered. Next: raise the unit limit or send less");
            return true;
        }
        bool ok = true;
        switch (options.behaviour) {
            case Behaviour::Manual:
            case Behaviour::Sink: break;
            case Behaviour::Echo: ok = send_bytes(u); break;
            case Behaviour::Script: {
                std::string_view text(reinterpret_cast<const char*>(u.data()), u.size());
                const ScriptRule* r = match_rule(options.rules, text);
                if (!r) break;
                std::string reply = r->reply;
                if (lines) reply.push_back('\n');
                ok = send_bytes(std::as_bytes(std::span(reply.data(), reply.size())));
                break;
            }
        }
        if (unit.capacity() > (1u << 20)) {  // do not keep a big buffer for ever
            unit = std::vector<std::byte>();
        } else {
            unit.clear();
        }
        return ok;
    };

    // One thread does both directions of a conversation, turn about: send what is queued, then
    // read for at most kReadSlice, and again. This is deliberate. On real Windows a synchronous
    // ReadFile holds the handle's file-object lock, so with the Sync I/O model a WriteFile from
    // another thread would stall behind a blocked read (Wine does not show this). Alternating on
    // one thread never needs full duplex on the handle, whatever model the user picked in the GUI
    // or the CLI: with Sync, a byte-mode read polls PeekNamedPipe and calls ReadFile only once
    // data is there, and a message-mode read blocks for at most kReadSlice (a timer cancels it
    // with CancelSynchronousIo), after which the queued sends go out. The price is up to
    // kReadSlice of latency for a send, and no reading while a send into a full pipe waits for
    // the peer to drain it (bounded by io_timeout).
    constexpr Timeout kReadSlice{20};
    for (;;) {
        if (stop.stop_requested()) break;
        std::deque<std::vector<std::byte>> out;
        bool drop = false;
        {
            std::lock_guard lock(mutex);
            out.swap(outbox[id]);
            drop = disconnect_requests[id];
            publish_locked(false);
        }
        if (drop) {
            end_reason = "disconnected on request";
            break;
        }
        bool ok = true;
        for (auto& o : out) {
            if (!(ok = send_bytes(o))) break;
        }
        if (!ok) break;
        if (!out.empty() && options.reply_timeout.count() > 0) {
            awaiting_reply_since = std::chrono::steady_clock::now();
        }

        auto r = ch->read(buf, kReadSlice);
        if (!r) {
            if (r.error().code == ErrorCode::Timeout) {
                if (awaiting_reply_since &&
                    std::chrono::steady_clock::now() - *awaiting_reply_since >= options.reply_timeout) {
                    Error e = r.error();
                    e.message = "no reply within " + std::to_string(options.reply_timeout.count()) +
                                " ms of the last send. Next: check that the server reads and "
                                "answers, or raise the reply timeout";
                    conversation_event(EventKind::Error, e.to_string());
                    awaiting_reply_since.reset();
                }
                continue;
            }
            if (r.error().code == ErrorCode::Cancelled) break;
            end_reason = r.error().to_string();
            end_kind = r.error().code == ErrorCode::BrokenPipe ? EventKind::Disconnected
                                                                : EventKind::Error;
            break;
        }
        if (r->eof) {
            end_reason = "the peer closed the connection";
            if (unit_bytes > 0) {
                Error e = ch->end_of_stream_error();
                e.message = "the peer closed the connection in the middle of a " +
                            std::string(message ? "message" : "line") + " (" +
                            std::to_string(unit_bytes) +
                            " bytes of it arrived). Next: check why the peer quit";
                end_kind = EventKind::Error;
                end_reason = e.to_string();
            }
            break;
        }
        if (r->bytes > 0 || message) awaiting_reply_since.reset();
        std::span<const std::byte> got(buf.data(), r->bytes);
        if (message) {
            add_to_unit(got);
            record(Direction::In, got, r->message_end, r->message_end ? 1 : 0);
            if (r->message_end) ok = finish_unit(unit);
        } else if (lines) {
            std::uint64_t complete = 0;
            for (auto b : got) complete += b == std::byte{'\n'};
            record(Direction::In, got, !got.empty() && got.back() == std::byte{'\n'}, complete);
            std::size_t start = 0;
            for (std::size_t i = 0; i < got.size() && ok; ++i) {
                if (got[i] != std::byte{'\n'}) continue;
                add_to_unit(got.subspan(start, i + 1 - start));
                start = i + 1;
                ok = finish_unit(unit);
            }
            if (ok && start < got.size()) add_to_unit(got.subspan(start));
        } else {
            record(Direction::In, got, true, 1);
            ok = finish_unit(got);
        }
        if (!ok) break;
    }
    {
        std::lock_guard lock(mutex);
        live.erase(id);  // stop() must not cancel() it from now on
    }
    ch->close();
    std::lock_guard lock(mutex);
    if (auto* c = find(id)) {
        c->connected = false;
        c->disconnected_unix_us = now_unix_us();
        c->transcript.add_event(end_kind, end_reason);
    }
    // Keep only the newest closed conversations.
    std::size_t closed = 0;
    for (const auto& c : state.conversations) closed += c.connected ? 0 : 1;
    for (auto it = state.conversations.begin();
         closed > options.max_closed_conversations && it != state.conversations.end();) {
        if (it->connected) {
            ++it;
            continue;
        }
        it = state.conversations.erase(it);
        --closed;
    }
    disconnect_requests.erase(id);
    outbox.erase(id);
    state.status = "client " + std::to_string(id) + ": " + end_reason;
    dirty = true;
    publish_locked(true);
    log::session()->info("conversation {} on {} ended: {}", id, state.address, end_reason);
}

// ---------------------------------------------------------------------------------------------

ClientSession::ClientSession(Endpoint endpoint, SessionOptions options) {
    impl_->endpoint = std::move(endpoint);
    impl_->options = std::move(options);
    impl_->state.running = true;
    impl_->state.address = impl_->endpoint.name.display();
    impl_->publish(true);
    worker_ = std::jthread([impl = impl_](std::stop_token stop) {
        auto ch = connect(impl->endpoint, impl->options.connect_timeout, stop);
        if (!ch) {
            impl->session_event(EventKind::Error, ch.error().to_string());
        } else {
            impl->session_event(EventKind::Connected, "connected to " + impl->state.address);
            impl->run_conversation(1, std::move(ch).value(), stop);
        }
        std::lock_guard lock(impl->mutex);
        impl->state.running = false;
        impl->publish_locked(true);
    });
}

ClientSession::~ClientSession() { stop(); }

void ClientSession::stop() {
    impl_->cancel_all();
    worker_.request_stop();
    if (worker_.joinable()) worker_.join();
}

ServerSession::ServerSession(Endpoint endpoint, SessionOptions options) {
    impl_->endpoint = std::move(endpoint);
    impl_->options = std::move(options);
    impl_->state.running = true;
    impl_->state.address = impl_->endpoint.name.display();
    auto l = listen(impl_->endpoint);
    if (!l) {
        impl_->state.running = false;
        impl_->session_event(EventKind::Error, l.error().to_string());
        return;
    }
    std::shared_ptr<Listener> listener = std::move(l).value();
    impl_->listener = listener;
    impl_->state.address = listener->address();
    std::string listening = "listening on " + listener->address();
    if (impl_->endpoint.kind == TransportKind::Win32Pipe) {
        listening += " (" + std::to_string(effective_listening_instances(impl_->endpoint.server)) +
                     " instances listening)";
    }
    impl_->session_event(EventKind::Info, listening);
    acceptor_ = std::jthread([impl = impl_, listener](std::stop_token stop) {
        std::uint32_t next_id = 1;
        int failures = 0;
        while (!stop.stop_requested()) {
            auto ch = listener->accept(std::chrono::milliseconds(200));
            if (!ch) {
                auto code = ch.error().code;
                if (code == ErrorCode::Timeout) {
                    impl->reap_finished_workers();
                    continue;
                }
                if (code == ErrorCode::Cancelled) break;
                impl->session_event(EventKind::Error, ch.error().to_string());
                if (++failures > 20) break;
                std::this_thread::sleep_for(std::chrono::milliseconds(20));
                continue;
            }
            failures = 0;
            std::uint32_t id = next_id++;
            std::unique_ptr<Channel> channel = std::move(ch).value();
            impl->session_event(EventKind::Connected, "client " + std::to_string(id) +
                                                          " connected (" +
                                                          describe_peer(channel->peer()) + ")");
            impl->reap_finished_workers();
            auto done = std::make_shared<std::atomic<bool>>(false);
            std::lock_guard lock(impl->mutex);
            impl->workers.push_back(Impl::Worker{
                std::jthread([impl, id, done, c = std::move(channel)](std::stop_token s) mutable {
                    impl->run_conversation(id, std::move(c), s);
                    done->store(true, std::memory_order_release);
                }),
                done});
        }
        impl->session_event(EventKind::Info, "stopped listening on " + listener->address());
        std::lock_guard lock(impl->mutex);
        impl->listener.reset();  // the last owner is this thread's copy: closed here
    });
}

ServerSession::~ServerSession() { stop(); }

void ServerSession::stop() {
    impl_->cancel_all();
    acceptor_.request_stop();
    if (acceptor_.joinable()) acceptor_.join();
    impl_->cancel_all();  // conversations that started meanwhile
    std::vector<Impl::Worker> workers;
    {
        std::lock_guard lock(impl_->mutex);
        workers.swap(impl_->workers);
    }
    for (auto& w : workers) w.thread.request_stop();
    workers.clear();  // joins
    std::lock_guard lock(impl_->mutex);
    impl_->state.running = false;
    impl_->publish_locked(true);
}

}  // namespace pipescope::core
