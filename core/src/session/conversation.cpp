#include "conversation.hpp"

#include <algorithm>
#include <deque>

#include <spdlog/logger.h>

#include "pipescope/log.hpp"

namespace pipescope::core {

namespace {

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

// A unit buffer bigger than this is freed after its unit, not kept for ever.
constexpr std::size_t kUnitKeepBytes = 1u << 20;

}  // namespace

Conversation::Conversation(Session::Impl& session, std::uint32_t id,
                           std::unique_ptr<Channel> channel)
    : session_(session),
      options_(session.options),
      id_(id),
      ch_(std::move(channel)),
      message_(ch_->message_oriented()),
      lines_(options_.line_mode && !message_),
      needs_units_(options_.behaviour == Behaviour::Echo ||
                   options_.behaviour == Behaviour::Script),
      unit_cap_(options_.max_unit_bytes),
      buf_(64 * 1024) {}

void Conversation::run(std::stop_token stop) {
    start();
    while (!stop.stop_requested() && send_queued() && read_once()) {
    }
    finish();
}

void Conversation::start() {
    {
        std::lock_guard lock(session_.mutex);
        if (session_.stopping) ch_->cancel();  // stop() ran before we registered
        session_.live.emplace(id_, ch_.get());
    }
    std::lock_guard lock(session_.mutex);
    ConversationSnapshot conv;
    conv.id = id_;
    conv.connected = true;
    conv.peer = ch_->peer();
    conv.connected_unix_us = now_unix_us();
    conv.transcript = Transcript(options_.limits);
    conv.transcript.add_event(EventKind::Connected, "connected (" + describe_peer(conv.peer) + ")");
    session_.state.conversations.push_back(std::move(conv));
    session_.dirty = true;
    session_.publish_locked(true);
}

bool Conversation::send_queued() {
    std::deque<std::vector<std::byte>> out;
    bool drop = false;
    {
        std::lock_guard lock(session_.mutex);
        out.swap(session_.outbox[id_]);
        drop = session_.disconnect_requests[id_];
        session_.publish_locked(false);
    }
    if (drop) {
        end_reason_ = "disconnected on request";
        return false;
    }
    for (auto& o : out) {
        if (!send(o)) return false;
    }
    if (!out.empty() && options_.reply_timeout.count() > 0) {
        awaiting_reply_since_ = std::chrono::steady_clock::now();
    }
    return true;
}

bool Conversation::read_once() {
    auto r = ch_->read(buf_, kReadSlice);
    if (!r) {
        const Error& e = r.error();
        if (e.code == ErrorCode::Timeout) {
            check_reply_timeout(e);
            return true;
        }
        if (e.code == ErrorCode::Cancelled) return false;
        end_with(e.code == ErrorCode::BrokenPipe ? EventKind::Disconnected : EventKind::Error,
                 e.to_string());
        return false;
    }
    if (r->eof) {
        peer_closed();
        return false;
    }
    if (r->bytes > 0 || message_) awaiting_reply_since_.reset();
    std::span<const std::byte> got(buf_.data(), r->bytes);
    if (message_) return on_message(got, r->message_end);
    if (lines_) return on_lines(got);
    return on_bytes(got);
}

void Conversation::check_reply_timeout(const Error& timeout) {
    if (!awaiting_reply_since_ ||
        std::chrono::steady_clock::now() - *awaiting_reply_since_ < options_.reply_timeout) {
        return;
    }
    Error e = timeout;
    e.message = "no reply within " + std::to_string(options_.reply_timeout.count()) +
                " ms of the last send. Next: check that the server reads and answers, or raise "
                "the reply timeout";
    event(EventKind::Error, e.to_string());
    awaiting_reply_since_.reset();
}

void Conversation::peer_closed() {
    end_reason_ = "the peer closed the connection";
    if (unit_bytes_ == 0) return;
    Error e = ch_->end_of_stream_error();
    e.message = "the peer closed the connection in the middle of a " +
                std::string(message_ ? "message" : "line") + " (" + std::to_string(unit_bytes_) +
                " bytes of it arrived). Next: check why the peer quit";
    end_with(EventKind::Error, e.to_string());
}

bool Conversation::on_message(std::span<const std::byte> got, bool message_end) {
    add_to_unit(got);
    record(Direction::In, got, message_end, message_end ? 1 : 0);
    return message_end ? finish_unit(unit_) : true;
}

bool Conversation::on_lines(std::span<const std::byte> got) {
    std::uint64_t complete = 0;
    for (auto b : got) complete += b == std::byte{'\n'};
    record(Direction::In, got, !got.empty() && got.back() == std::byte{'\n'}, complete);
    std::size_t start = 0;
    bool ok = true;
    for (std::size_t i = 0; i < got.size() && ok; ++i) {
        if (got[i] != std::byte{'\n'}) continue;
        add_to_unit(got.subspan(start, i + 1 - start));
        start = i + 1;
        ok = finish_unit(unit_);
    }
    if (ok && start < got.size()) add_to_unit(got.subspan(start));
    return ok;
}

bool Conversation::on_bytes(std::span<const std::byte> got) {
    record(Direction::In, got, true, 1);
    return finish_unit(got);
}

// The buffer never grows past the cap either.
void Conversation::add_to_unit(std::span<const std::byte> part) {
    unit_bytes_ += part.size();
    if (!needs_units_ || unit_too_long_) return;
    if (unit_.size() + part.size() > unit_cap_) {
        unit_too_long_ = true;
        unit_.clear();
        unit_.shrink_to_fit();
        return;
    }
    if (unit_.size() + part.size() > unit_.capacity()) {
        unit_.reserve(
            std::min(unit_cap_, std::max(unit_.size() + part.size(), unit_.capacity() * 2)));
    }
    unit_.insert(unit_.end(), part.begin(), part.end());
}

bool Conversation::finish_unit(std::span<const std::byte> u) {
    const bool too_long = unit_too_long_;
    const std::uint64_t size = unit_bytes_;
    unit_too_long_ = false;
    unit_bytes_ = 0;
    if (!needs_units_) return true;
    if (too_long) {
        event(EventKind::Error, "a " + std::string(message_ ? "message" : "line") + " of " +
                                    std::to_string(size) + " bytes is longer than the " +
                                    std::to_string(unit_cap_) + " bytes the session holds for " +
                                    std::string(to_string(options_.behaviour)) +
                                    ": not answered. Next: raise the unit limit or send less");
        return true;
    }
    const bool ok = apply_behaviour(u);
    if (unit_.capacity() > kUnitKeepBytes) {
        unit_ = std::vector<std::byte>();
    } else {
        unit_.clear();
    }
    return ok;
}

bool Conversation::apply_behaviour(std::span<const std::byte> u) {
    switch (options_.behaviour) {
        case Behaviour::Manual:
        case Behaviour::Sink:
            return true;
        case Behaviour::Echo:
            return send(u);
        case Behaviour::Script:
            return reply_scripted(u);
    }
    return true;
}

bool Conversation::reply_scripted(std::span<const std::byte> u) {
    std::string_view text(reinterpret_cast<const char*>(u.data()), u.size());
    const ScriptRule* r = match_rule(options_.rules, text);
    if (!r) return true;
    std::string reply = r->reply;
    if (lines_) reply.push_back('\n');
    return send(std::as_bytes(std::span(reply.data(), reply.size())));
}

bool Conversation::send(std::span<const std::byte> bytes) {
    auto st = ch_->write_all(bytes, options_.io_timeout);
    if (!st) {
        const Error& e = st.error();
        end_with(e.code == ErrorCode::Cancelled ? EventKind::Disconnected : EventKind::Error,
                 e.to_string());
        return false;
    }
    record(Direction::Out, bytes, true, 1);
    return true;
}

void Conversation::record(Direction d, std::span<const std::byte> bytes, bool message_end,
                          std::uint64_t units) {
    std::lock_guard lock(session_.mutex);
    auto* c = session_.find(id_);
    c->transcript.add_frame(d, bytes, message_end);
    c->assembly_bytes_peak = std::max<std::uint64_t>(c->assembly_bytes_peak, unit_.capacity());
    auto& k = c->counters;
    auto& totals = session_.state.totals;
    if (d == Direction::In) {
        k.bytes_in += bytes.size();
        k.messages_in += units;
        totals.bytes_in += bytes.size();
        totals.messages_in += units;
    } else {
        k.bytes_out += bytes.size();
        k.messages_out += units;
        totals.bytes_out += bytes.size();
        totals.messages_out += units;
    }
    session_.dirty = true;
}

void Conversation::event(EventKind kind, std::string text) {
    std::lock_guard lock(session_.mutex);
    if (auto* c = session_.find(id_)) c->transcript.add_event(kind, text);
    session_.state.status = "client " + std::to_string(id_) + ": " + text;
    session_.dirty = true;
}

void Conversation::end_with(EventKind kind, std::string reason) {
    end_kind_ = kind;
    end_reason_ = std::move(reason);
}

void Conversation::finish() {
    {
        std::lock_guard lock(session_.mutex);
        session_.live.erase(id_);  // stop() must not cancel() it from now on
    }
    ch_->close();
    std::lock_guard lock(session_.mutex);
    if (auto* c = session_.find(id_)) {
        c->connected = false;
        c->disconnected_unix_us = now_unix_us();
        c->transcript.add_event(end_kind_, end_reason_);
    }
    session_.forget_old_conversations_locked();
    session_.disconnect_requests.erase(id_);
    session_.outbox.erase(id_);
    session_.state.status = "client " + std::to_string(id_) + ": " + end_reason_;
    session_.dirty = true;
    session_.publish_locked(true);
    log::session()->info("conversation {} on {} ended: {}", id_, session_.state.address,
                         end_reason_);
}

}  // namespace pipescope::core
