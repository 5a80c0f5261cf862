#include "proxy_connection.hpp"

#include <algorithm>
#include <chrono>
#include <thread>

#include <spdlog/logger.h>

#include "pipescope/log.hpp"

namespace pipescope::core {

namespace {

// A read waits this long before the pump publishes what it recorded (publishing is throttled)
// and looks at disconnect requests again.
constexpr Timeout kReadSlice{100};
// A unit buffer bigger than this is freed after its unit, not kept for ever.
constexpr std::size_t kUnitKeepBytes = std::size_t{1} << 20;
// Between two attempts to reach a missing target.
constexpr auto kRetryPause = std::chrono::milliseconds(50);

using Clock = std::chrono::steady_clock;

// Errors worth another try within the target timeout: nobody there yet, or all busy.
bool retryable(ErrorCode code) {
    return code == ErrorCode::NotFound || code == ErrorCode::Busy ||
           code == ErrorCode::ConnectionRefused || code == ErrorCode::Timeout;
}

std::string base_name(const std::string& path) {
    auto slash = path.find_last_of("/\\");
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

// "pid 1234 (python3)", "pid 1234", "peer unknown".
std::string describe_client(const PeerInfo& p) {
    std::string s;
    if (p.pid) s = "pid " + std::to_string(*p.pid);
    if (!p.image.empty()) s += (s.empty() ? "" : " ") + ("(" + base_name(p.image) + ")");
    return s.empty() ? "peer unknown" : s;
}

}  // namespace

ProxyConnection::ProxyConnection(const ProxyShared& proxy, std::uint32_t id,
                                 std::unique_ptr<Channel> client)
    : session_(*proxy.session),
      proxy_(proxy),
      options_(proxy.options),
      id_(id),
      client_(std::move(client)) {}

void ProxyConnection::run(std::stop_token stop) {
    start();
    if (connect_target(stop)) {
        set_state("forwarding");
        event(EventKind::Info, "target connected: " + target_->describe());
        const bool half = proxy_.listen.kind != TransportKind::Win32Pipe &&
                          proxy_.target.kind != TransportKind::Win32Pipe;
        const std::size_t read_bytes = std::max<std::size_t>(options_.read_bytes, 1);
        Pump up{Flow::ToServer,
                client_.get(),
                target_.get(),
                "client",
                "target",
                client_->message_oriented(),
                target_->message_oriented(),
                half,
                std::vector<std::byte>(read_bytes),
                {}};
        Pump down{Flow::ToClient,
                  target_.get(),
                  client_.get(),
                  "target",
                  "client",
                  target_->message_oriented(),
                  client_->message_oriented(),
                  half,
                  std::vector<std::byte>(read_bytes),
                  {}};
        {
            std::jthread second([this, &down] { pump(down); });
            pump(up);
        }  // joins the second worker
        if (open_directions_.load() == 0) {
            std::lock_guard lock(end_mutex_);
            if (!ended_) {
                ended_ = true;
                end_reason_ = "both sides closed the connection";
            }
        }
    }
    finish();
}

void ProxyConnection::start() {
    std::lock_guard lock(session_.mutex);
    if (session_.stopping) client_->cancel();  // stop() ran before we registered
    session_.live.emplace(id_, client_.get());
    ConversationSnapshot conv;
    conv.id = id_;
    conv.connected = true;
    conv.peer = client_->peer();
    conv.connected_unix_us = now_unix_us();
    conv.state = "connecting to target";
    conv.transcript = Transcript(options_.limits);
    conv.transcript.set_connection(id_);
    conv.transcript.add_event(EventKind::Connected, "connected: " + describe_client(conv.peer));
    session_.state.conversations.push_back(std::move(conv));
    session_.state.status = "#" + std::to_string(id_) + " connected";
    session_.dirty = true;
    session_.publish_locked(true);
}

bool ProxyConnection::connect_target(std::stop_token stop) {
    Endpoint ep = proxy_.target;
    ep.client.impersonation = options_.impersonation;
    ep.client.retry_busy = true;
    const auto deadline = Clock::now() + options_.target_timeout;
    bool retried = false;
    for (;;) {
        auto left = std::chrono::duration_cast<Timeout>(deadline - Clock::now());
        if (left.count() < 0) left = Timeout{0};
        auto ch = connect(ep, left, stop);
        if (ch) {
            std::lock_guard lock(session_.mutex);
            target_ = std::move(ch).value();
            if (session_.stopping) target_->cancel();
            session_.live.emplace(id_, target_.get());
            if (auto* c = session_.find(id_)) c->target = target_->describe();
            return true;
        }
        const Error& e = ch.error();
        if (e.code == ErrorCode::Cancelled || stop.stop_requested()) {
            end(EventKind::Disconnected, "stopped while connecting to the target");
            return false;
        }
        if (retryable(e.code) && Clock::now() + kRetryPause < deadline) {
            if (!retried) {
                set_state("waiting for the target");
                retried = true;
            }
            std::this_thread::sleep_for(kRetryPause);
            continue;
        }
        std::string why = "target: " + e.to_string();
        if (retried) {
            why += " (retried for " + std::to_string(options_.target_timeout.count()) + " ms)";
        }
        end(EventKind::Error, why + "; the client is disconnected");
        return false;
    }
}

void ProxyConnection::pump(Pump& p) {
    for (;;) {
        auto r = p.src->read(p.buf, kReadSlice);
        if (!r) {
            const Error& e = r.error();
            if (e.code == ErrorCode::Timeout) {
                session_.publish(false);  // what the last reads recorded, once idle
                if (disconnect_requested()) {
                    end(EventKind::Disconnected, "disconnected on request");
                    break;
                }
                continue;
            }
            if (e.code != ErrorCode::Cancelled) {
                end(e.code == ErrorCode::BrokenPipe ? EventKind::Disconnected : EventKind::Error,
                    std::string(p.src_side) + ": " + e.to_string());
            }
            break;
        }
        if (r->eof) {
            source_ended(p);
            break;
        }
        if (!forward(p, std::span<const std::byte>(p.buf.data(), r->bytes), r->message_end)) break;
    }
    release_unit(p);
    p.buf = std::vector<std::byte>();
}

bool ProxyConnection::forward(Pump& p, std::span<const std::byte> got, bool message_end) {
    if (p.src_message && p.dst_message) {
        if (!add_to_unit(p, got, "message")) return false;
        if (!message_end) return true;
        const bool ok = write_unit(p, p.unit, true);
        release_unit(p);
        return ok;
    }
    if (p.src_message) return write_unit(p, got, message_end);  // concatenated
    if (p.dst_message && options_.frame == FrameMode::Lines) return forward_lines(p, got);
    return write_unit(p, got, true);  // one read, one message (or bytes to bytes)
}

bool ProxyConnection::forward_lines(Pump& p, std::span<const std::byte> got) {
    std::size_t start = 0;
    for (std::size_t i = 0; i < got.size(); ++i) {
        if (got[i] != std::byte{'\n'}) continue;
        auto line = got.subspan(start, i + 1 - start);
        start = i + 1;
        if (p.unit.empty()) {
            if (line.size() > options_.max_unit_bytes) return add_to_unit(p, line, "line");
            if (!write_unit(p, line, true)) return false;
            continue;
        }
        if (!add_to_unit(p, line, "line")) return false;
        const bool ok = write_unit(p, p.unit, true);
        release_unit(p);
        if (!ok) return false;
    }
    return start == got.size() || add_to_unit(p, got.subspan(start), "line");
}

bool ProxyConnection::add_to_unit(Pump& p, std::span<const std::byte> part, const char* what) {
    const std::size_t size = p.unit.size() + part.size();
    std::size_t cap = options_.max_unit_bytes;
    const char* whose = "the proxy's bound, --max-message in the CLI";
    if (const std::size_t sink = p.dst->max_message_bytes(); sink > 0 && sink < cap) {
        cap = sink;
        whose = "the largest message the target side can take";
    }
    if (size > cap) {
        end(EventKind::Error,
            std::string(p.src_side) + ": a " + what + " longer than " + std::to_string(cap) +
                " bytes (" + whose + ") arrived (" + std::to_string(size) +
                " bytes so far): the connection ends rather than split it. Next: raise that "
                "bound, or send smaller " +
                what + "s");
        return false;
    }
    if (size > p.unit.capacity()) {
        p.unit.reserve(std::min(cap, std::max(size, p.unit.capacity() * 2)));
    }
    p.unit.insert(p.unit.end(), part.begin(), part.end());
    return true;
}

bool ProxyConnection::write_unit(Pump& p, std::span<const std::byte> bytes, bool message_end) {
    // Recorded before it is written, so a reply is never recorded before what it answers (the
    // other direction's worker records the reply as soon as it reads it). A unit whose write
    // fails is in the transcript, and the end event says the write failed.
    if (!record(p.flow, bytes, message_end, p.buf.size() + p.unit.capacity())) {
        end(EventKind::Disconnected, "disconnected on request");
        return false;
    }
    // Bytes to a byte stream: an empty unit has nothing to write (a message's end is recorded).
    if (!bytes.empty() || p.dst_message) {
        auto st = p.dst->write_all(bytes, options_.write_timeout);
        if (!st) {
            const Error& e = st.error();
            if (e.code != ErrorCode::Cancelled) {
                end(e.code == ErrorCode::BrokenPipe ? EventKind::Disconnected : EventKind::Error,
                    std::string(p.dst_side) + ": " + e.to_string());
            }
            return false;
        }
    }
    return true;
}

void ProxyConnection::release_unit(Pump& p) {
    if (p.unit.capacity() > kUnitKeepBytes) {
        p.unit = std::vector<std::byte>();
    } else {
        p.unit.clear();
    }
}

void ProxyConnection::source_ended(Pump& p) {
    const std::string who = p.src_side;
    if (!p.unit.empty()) {
        if (p.src_message) {
            Error e = p.src->end_of_stream_error();
            e.message = "closed in the middle of a message (" + std::to_string(p.unit.size()) +
                        " bytes of it arrived and are not forwarded)";
            end(EventKind::Error, who + ": " + e.to_string());
            return;
        }
        // An unfinished last line goes out as the last message.
        if (!write_unit(p, p.unit, true)) return;
        release_unit(p);
    }
    if (!p.can_half_close) {
        end(EventKind::Disconnected, who + " closed the connection");
        return;
    }
    if (auto st = p.dst->close_write(); !st) {
        end(EventKind::Error, who + " closed its sending side, and passing that on failed: " +
                                  std::string(p.dst_side) + ": " + st.error().to_string());
        return;
    }
    const int left = --open_directions_;
    event(EventKind::Info, who + " closed its sending side; passed on to the " +
                               (p.flow == Flow::ToServer ? "target" : "client") + " (half-close)");
    if (left > 0) set_state(who + " closed its sending side");
}

bool ProxyConnection::disconnect_requested() {
    std::lock_guard lock(session_.mutex);
    auto it = session_.disconnect_requests.find(id_);
    return it != session_.disconnect_requests.end() && it->second;
}

bool ProxyConnection::record(Flow flow, std::span<const std::byte> bytes, bool message_end,
                             std::size_t held) {
    std::lock_guard lock(session_.mutex);
    // Session::send() queues bytes a proxy never sends: dropped, so they cannot pile up.
    if (auto q = session_.outbox.find(id_); q != session_.outbox.end()) session_.outbox.erase(q);
    if (auto d = session_.disconnect_requests.find(id_);
        d != session_.disconnect_requests.end() && d->second) {
        return false;
    }
    auto* c = session_.find(id_);
    if (!c) return true;
    c->transcript.add_frame(flow, bytes, message_end);
    c->assembly_bytes_peak = std::max<std::uint64_t>(c->assembly_bytes_peak, held);
    auto& k = c->counters;
    auto& totals = session_.state.totals;
    const std::uint64_t units = message_end ? 1 : 0;
    if (flow == Flow::ToServer) {
        k.bytes_out += bytes.size();
        k.messages_out += units;
        totals.bytes_out += bytes.size();
        totals.messages_out += units;
    } else {
        k.bytes_in += bytes.size();
        k.messages_in += units;
        totals.bytes_in += bytes.size();
        totals.messages_in += units;
    }
    session_.dirty = true;
    session_.publish_locked(false);
    return true;
}

void ProxyConnection::event(EventKind kind, std::string text) {
    std::lock_guard lock(session_.mutex);
    if (auto* c = session_.find(id_)) c->transcript.add_event(kind, text);
    session_.state.status = "#" + std::to_string(id_) + ": " + text;
    session_.dirty = true;
    session_.publish_locked(false);
}

void ProxyConnection::set_state(std::string state) {
    std::lock_guard lock(session_.mutex);
    if (auto* c = session_.find(id_)) c->state = std::move(state);
    session_.dirty = true;
}

void ProxyConnection::end(EventKind kind, std::string reason) {
    {
        std::lock_guard lock(end_mutex_);
        if (ended_) return;
        ended_ = true;
        end_kind_ = kind;
        end_reason_ = std::move(reason);
    }
    // Sticky: the other direction's pending or next call returns Cancelled.
    client_->cancel();
    if (target_) target_->cancel();
}

void ProxyConnection::finish() {
    {
        std::lock_guard lock(session_.mutex);
        session_.live.erase(id_);  // stop() must not cancel() them from now on
    }
    client_->close();
    if (target_) target_->close();
    std::string reason;
    EventKind kind;
    {
        std::lock_guard lock(end_mutex_);
        reason = end_reason_;
        kind = end_kind_;
    }
    std::lock_guard lock(session_.mutex);
    if (auto* c = session_.find(id_)) {
        c->connected = false;
        c->state = "closed";
        c->disconnected_unix_us = now_unix_us();
        c->transcript.add_event(kind, reason);
    }
    session_.forget_old_conversations_locked();
    session_.disconnect_requests.erase(id_);
    session_.outbox.erase(id_);
    session_.state.status = "#" + std::to_string(id_) + ": " + reason;
    session_.dirty = true;
    session_.publish_locked(true);
    log::session()->info("proxy connection {} on {} ended: {}", id_, session_.state.address,
                         reason);
}

}  // namespace pipescope::core
