#include "pipescope/session.hpp"

#include <atomic>
#include <chrono>
#include <optional>

#include "conversation.hpp"
#include "pipescope/files.hpp"
#include "session_impl.hpp"

namespace pipescope::core {

std::string_view to_string(Behaviour b) {
    switch (b) {
        case Behaviour::Manual:
            return "manual";
        case Behaviour::Echo:
            return "echo";
        case Behaviour::Sink:
            return "sink";
        case Behaviour::Script:
            return "script";
    }
    return "manual";
}

std::optional<Behaviour> parse_behaviour(std::string_view text) {
    for (auto b : {Behaviour::Manual, Behaviour::Echo, Behaviour::Sink, Behaviour::Script}) {
        if (text == to_string(b)) return b;
    }
    return std::nullopt;
}

Result<std::vector<std::byte>> load_payload_file(const std::string& path) {
    auto text = read_file(path);
    if (!text) {
        if (text.error().code == ErrorCode::InvalidArgument)
            return std::move(text).error();  // too big
        return make_error(ErrorCode::NotFound, "open", path, "cannot open the file to send");
    }
    const std::string& s = *text;
    auto* p = reinterpret_cast<const std::byte*>(s.data());
    return std::vector<std::byte>(p, p + s.size());
}

// ---------------------------------------------------------------------------------------------

ConversationSnapshot* Session::Impl::find(std::uint32_t id) {
    for (auto& c : state.conversations) {
        if (c.id == id) return &c;
    }
    return nullptr;
}

void Session::Impl::publish_locked(bool force) {
    auto now = std::chrono::steady_clock::now();
    if (!force && (!dirty || now - last_publish < std::chrono::milliseconds(15))) return;
    ++state.version;
    published.publish(std::make_shared<const SessionSnapshot>(state));
    last_publish = now;
    dirty = false;
}

void Session::Impl::publish(bool force) {
    std::lock_guard lock(mutex);
    publish_locked(force);
}

void Session::Impl::session_event(EventKind kind, std::string text) {
    std::lock_guard lock(mutex);
    state.events.push_back(Event{0, now_unix_us(), kind, std::move(text)});
    while (state.events.size() > options.limits.max_events) state.events.pop_front();
    state.status = state.events.back().text;
    dirty = true;
    publish_locked(true);
}

void Session::Impl::forget_old_conversations_locked() {
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
}

void Session::Impl::cancel_all() {
    std::lock_guard lock(mutex);
    stopping = true;
    if (listener) listener->cancel();
    for (auto& [id, ch] : live) ch->cancel();
}

void Session::Impl::stop_listening_session(std::jthread& acceptor) {
    cancel_all();
    acceptor.request_stop();
    if (acceptor.joinable()) acceptor.join();
    cancel_all();  // conversations that started meanwhile
    std::vector<Worker> stopping_workers;
    {
        std::lock_guard lock(mutex);
        stopping_workers.swap(workers);
    }
    for (auto& w : stopping_workers) w.thread.request_stop();
    stopping_workers.clear();  // joins
    std::lock_guard lock(mutex);
    state.running = false;
    publish_locked(true);
}

void Session::Impl::reap_finished_workers() {
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

std::string describe_peer(const PeerInfo& p) {
    std::string s;
    if (p.pid) s += "pid " + std::to_string(*p.pid);
    if (!p.image.empty()) s += (s.empty() ? "" : ", ") + p.image;
    return s.empty() ? "peer unknown" : s;
}

Session::Session() : impl_(std::make_shared<Impl>()) {}

std::shared_ptr<const SessionSnapshot> Session::snapshot() const {
    return impl_->published.load();
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
            Conversation(*impl, 1, std::move(ch).value()).run(stop);
        }
        std::lock_guard lock(impl->mutex);
        impl->state.running = false;
        impl->publish_locked(true);
    });
}

ClientSession::~ClientSession() {
    stop();
}

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
                    Conversation(*impl, id, std::move(c)).run(s);
                    done->store(true, std::memory_order_release);
                }),
                done});
        }
        impl->session_event(EventKind::Info, "stopped listening on " + listener->address());
        std::lock_guard lock(impl->mutex);
        impl->listener.reset();  // the last owner is this thread's copy: closed here
    });
}

ServerSession::~ServerSession() {
    stop();
}

void ServerSession::stop() {
    impl_->stop_listening_session(acceptor_);
}

}  // namespace pipescope::core
