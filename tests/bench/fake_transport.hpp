// An in-memory Channel/Listener pair for testing the benchmark engine, with injectable faults
// on the writes of one side: loss, duplication, reordering (swap with the next), corruption,
// and a pause.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <thread>

#include "pipescope/bench.hpp"

namespace pipescope::test {

using namespace pipescope::core;

struct FaultPlan {
    long drop_at = -1, dup_at = -1, swap_at = -1, corrupt_at = -1, pause_at = -1;
    std::chrono::milliseconds pause{100};
};

// One direction of a channel.
struct FakePipe {
    std::mutex m;
    std::condition_variable cv;
    std::deque<std::vector<std::byte>> chunks;
    std::size_t front_off = 0;
    bool write_closed = false;
    bool read_closed = false;
};

class FakeChannel final : public Channel {
  public:
    FakeChannel(std::shared_ptr<FakePipe> in, std::shared_ptr<FakePipe> out, bool msg, FaultPlan f,
                std::size_t max_message = 0)
        : in_(std::move(in)),
          out_(std::move(out)),
          msg_(msg),
          faults_(f),
          max_message_(max_message) {
        live_count().fetch_add(1);
    }
    ~FakeChannel() override {
        close();
        live_count().fetch_sub(1);
    }
    // How many fake channels exist right now, in this process.
    static std::atomic<int>& live_count() {
        static std::atomic<int> n{0};
        return n;
    }

    Result<std::size_t> write(std::span<const std::byte> data, Timeout) override {
        if (cancelled_) return make_error(ErrorCode::Cancelled, "write", "fake", "cancelled");
        const long n = writes_++;
        if (n == faults_.pause_at) std::this_thread::sleep_for(faults_.pause);
        std::vector<std::byte> chunk(data.begin(), data.end());
        if (n == faults_.drop_at) return data.size();
        if (n == faults_.corrupt_at && !chunk.empty()) chunk[chunk.size() - 1] ^= std::byte{0x5a};
        if (n == faults_.swap_at) {
            held_ = std::move(chunk);
            return data.size();
        }
        std::lock_guard lock(out_->m);
        if (out_->read_closed)
            return make_error(ErrorCode::BrokenPipe, "write", "fake", "peer closed");
        out_->chunks.push_back(chunk);
        if (n == faults_.dup_at) out_->chunks.push_back(chunk);
        if (held_) {
            out_->chunks.push_back(std::move(*held_));
            held_.reset();
        }
        out_->cv.notify_all();
        return data.size();
    }

    Result<ReadResult> read(std::span<std::byte> buf, Timeout timeout) override {
        std::unique_lock lock(in_->m);
        auto ready = [&] { return cancelled_ || !in_->chunks.empty() || in_->write_closed; };
        if (timeout.count() < 0)
            in_->cv.wait(lock, ready);
        else if (!in_->cv.wait_for(lock, timeout, ready))
            return make_error(ErrorCode::Timeout, "read", "fake", "timed out");
        if (cancelled_) return make_error(ErrorCode::Cancelled, "read", "fake", "cancelled");
        ReadResult r;
        if (in_->chunks.empty()) {
            r.eof = true;
            return r;
        }
        while (!in_->chunks.empty() && r.bytes < buf.size()) {
            auto& c = in_->chunks.front();
            const std::size_t take = std::min(buf.size() - r.bytes, c.size() - in_->front_off);
            std::memcpy(buf.data() + r.bytes, c.data() + in_->front_off, take);
            r.bytes += take;
            in_->front_off += take;
            if (in_->front_off == c.size()) {
                in_->chunks.pop_front();
                in_->front_off = 0;
                if (msg_) break;
            } else if (msg_) {
                r.message_end = false;
                break;
            }
        }
        return r;
    }

    Status close_write() override {
        std::lock_guard lock(out_->m);
        out_->write_closed = true;
        out_->cv.notify_all();
        return {};
    }
    void cancel() override {
        cancelled_ = true;
        {
            std::lock_guard lock(in_->m);
            in_->cv.notify_all();
        }
    }
    void close() override {
        (void)close_write();
        std::lock_guard lock(in_->m);
        in_->read_closed = true;
    }
    [[nodiscard]] bool message_oriented() const override { return msg_; }
    [[nodiscard]] PeerInfo peer() const override { return {}; }
    [[nodiscard]] std::string describe() const override { return "fake"; }
    [[nodiscard]] std::size_t max_message_bytes() const override { return max_message_; }

  private:
    std::shared_ptr<FakePipe> in_, out_;
    bool msg_;
    FaultPlan faults_;
    long writes_ = 0;
    std::optional<std::vector<std::byte>> held_;
    std::atomic<bool> cancelled_{false};
    std::size_t max_message_ = 0;
};

class FakeTransport;

class FakeListener final : public Listener {
  public:
    FakeListener(FakeTransport& t, Endpoint ep) : transport_(t), ep_(std::move(ep)) {}
    ~FakeListener() override;
    Result<std::unique_ptr<Channel>> accept(Timeout timeout) override {
        std::unique_lock lock(m_);
        auto ready = [&] { return cancelled_ || !pending_.empty(); };
        if (timeout.count() < 0)
            cv_.wait(lock, ready);
        else if (!cv_.wait_for(lock, timeout, ready))
            return make_error(ErrorCode::Timeout, "accept", "fake", "timed out");
        if (cancelled_) return make_error(ErrorCode::Cancelled, "accept", "fake", "cancelled");
        auto c = std::move(pending_.front());
        pending_.pop_front();
        return c;
    }
    void cancel() override {
        std::lock_guard lock(m_);
        cancelled_ = true;
        cv_.notify_all();
    }
    [[nodiscard]] std::string address() const override { return ep_.name.display(); }
    [[nodiscard]] Endpoint client_endpoint() const override { return ep_; }
    void push(std::unique_ptr<Channel> c) {
        std::lock_guard lock(m_);
        pending_.push_back(std::move(c));
        cv_.notify_all();
    }

  private:
    FakeTransport& transport_;
    Endpoint ep_;
    std::mutex m_;
    std::condition_variable cv_;
    std::deque<std::unique_ptr<Channel>> pending_;
    bool cancelled_ = false;
};

class FakeTransport final : public BenchTransport {
  public:
    bool message_mode = false;
    std::size_t max_message = 0;  // what every channel reports as max_message_bytes()
    FaultPlan server_faults;      // on the engine's (listening side's) writes
    FaultPlan client_faults;      // on the peer's writes (only its first connection)

    Result<std::unique_ptr<Listener>> listen(const Endpoint& ep) override {
        auto l = std::make_unique<FakeListener>(*this, ep);
        std::lock_guard lock(m_);
        listeners_[ep.name.display()] = l.get();
        return std::unique_ptr<Listener>(std::move(l));
    }
    Result<std::unique_ptr<Channel>> connect(const Endpoint& ep, Timeout,
                                             std::stop_token stop) override {
        if (stop.stop_requested())
            return make_error(ErrorCode::Cancelled, "connect", "fake", "stop");
        std::lock_guard lock(m_);
        auto it = listeners_.find(ep.name.display());
        if (it == listeners_.end())
            return make_error(ErrorCode::NotFound, "connect", ep.name.display(), "no listener");
        auto a = std::make_shared<FakePipe>(), b = std::make_shared<FakePipe>();
        const bool first = connections_++ == 0;
        it->second->push(std::make_unique<FakeChannel>(
            a, b, message_mode, first ? server_faults : FaultPlan{}, max_message));
        return std::unique_ptr<Channel>(std::make_unique<FakeChannel>(
            b, a, message_mode, first ? client_faults : FaultPlan{}, max_message));
    }
    void forget(FakeListener* l) {
        std::lock_guard lock(m_);
        for (auto it = listeners_.begin(); it != listeners_.end(); ++it)
            if (it->second == l) {
                listeners_.erase(it);
                break;
            }
    }

  private:
    std::mutex m_;
    std::map<std::string, FakeListener*> listeners_;
    int connections_ = 0;
};

inline FakeListener::~FakeListener() {
    transport_.forget(this);
}

}  // namespace pipescope::test
