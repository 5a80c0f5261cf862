// ProxySession: the acceptor. Each accepted client gets a ProxyConnection on its own worker
// (proxy_connection.cpp), which the acceptor joins once it has finished.
#include "pipescope/proxy.hpp"

#include <atomic>
#include <chrono>

#include "proxy_connection.hpp"
#include "session_impl.hpp"

namespace pipescope::core {

namespace {

void accept_loop(const std::shared_ptr<ProxyShared>& proxy,
                 const std::shared_ptr<Listener>& listener, std::stop_token stop) {
    Session::Impl& impl = *proxy->session;
    const std::uint32_t max = proxy->options.max_connections;
    std::uint32_t next_id = 1;
    int failures = 0;
    while (!stop.stop_requested()) {
        if (max > 0 && next_id > max) {
            impl.session_event(EventKind::Info, "accepted " + std::to_string(max) +
                                                    (max == 1 ? " connection" : " connections") +
                                                    " (the maximum): accepting no more");
            break;
        }
        auto ch = listener->accept(std::chrono::milliseconds(200));
        if (!ch) {
            auto code = ch.error().code;
            if (code == ErrorCode::Timeout) {
                impl.reap_finished_workers();
                continue;
            }
            if (code == ErrorCode::Cancelled) break;
            impl.session_event(EventKind::Error, "listen: " + ch.error().to_string());
            if (++failures > 20) break;
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
            continue;
        }
        failures = 0;
        const std::uint32_t id = next_id++;
        impl.reap_finished_workers();
        auto done = std::make_shared<std::atomic<bool>>(false);
        std::lock_guard lock(impl.mutex);
        impl.workers.push_back(Session::Impl::Worker{
            std::jthread([proxy, id, done, c = std::move(ch).value()](std::stop_token s) mutable {
                ProxyConnection(*proxy, id, std::move(c)).run(s);
                done->store(true, std::memory_order_release);
            }),
            done});
    }
}

}  // namespace

ProxySession::ProxySession(Endpoint listen_at, Endpoint target, ProxyOptions options)
    : shared_(std::make_shared<ProxyShared>()) {
    shared_->session = impl_;
    shared_->listen = std::move(listen_at);
    shared_->target = std::move(target);
    shared_->options = std::move(options);
    impl_->endpoint = shared_->listen;
    impl_->options.limits = shared_->options.limits;
    impl_->options.max_closed_conversations = shared_->options.max_closed_connections;
    impl_->options.max_unit_bytes = shared_->options.max_unit_bytes;
    impl_->state.running = true;
    impl_->state.address = shared_->listen.name.display();
    client_endpoint_ = shared_->listen;
    auto l = core::listen(shared_->listen);
    if (!l) {
        impl_->state.running = false;
        impl_->session_event(EventKind::Error, "listen: " + l.error().to_string());
        return;
    }
    std::shared_ptr<Listener> listener = std::move(l).value();
    client_endpoint_ = listener->client_endpoint();
    impl_->listener = listener;
    impl_->state.address = listener->address();
    std::string listening = "listening on " + listener->address();
    if (shared_->listen.kind == TransportKind::Win32Pipe) {
        listening += " (" + std::to_string(effective_listening_instances(shared_->listen.server)) +
                     " instances listening)";
    }
    impl_->session_event(EventKind::Info, listening + ", forwarding to " +
                                              shared_->target.name.display() + " (" +
                                              std::string(to_string(shared_->target.kind)) + ")");
    acceptor_ = std::jthread([proxy = shared_, listener](std::stop_token stop) {
        accept_loop(proxy, listener, stop);
        Session::Impl& impl = *proxy->session;
        impl.session_event(EventKind::Info, "stopped listening on " + listener->address());
        std::lock_guard lock(impl.mutex);
        impl.listener.reset();  // the last owner is this thread's copy: closed here
    });
}

Endpoint ProxySession::client_endpoint() const {
    return client_endpoint_;
}

ProxySession::~ProxySession() {
    stop();
}

void ProxySession::stop() {
    impl_->stop_listening_session(acceptor_);
}

}  // namespace pipescope::core
