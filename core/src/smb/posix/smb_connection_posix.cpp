#include "smb/posix/smb_connection.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace pipescope::core::smb {
namespace {

// The largest frame we accept: a READ or IOCTL reply we asked for is at most 1 MiB of data.
constexpr std::size_t kMaxFrame = std::size_t{8} << 20;
constexpr std::uint64_t kUnsolicited = 0xFFFFFFFFFFFFFFFFull;  // oplock breaks and the like

int ms_until(Clock::time_point deadline) {
    if (deadline == Clock::time_point::max()) return -1;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return 0;
    return static_cast<int>(std::min<long long>(left.count() + 1, 60'000));
}

}  // namespace

Connection::Connection(UniqueFd socket, std::string subject)
    : fd_(std::move(socket)),
      wake_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)),
      subject_(std::move(subject)) {}

Connection::~Connection() = default;

Error Connection::cancelled_error() const {
    return make_error(ErrorCode::Cancelled, "SMB2", subject_, "cancelled");
}

bool Connection::broken() const {
    std::lock_guard lk(mu_);
    return broken_.has_value();
}

void Connection::kick() {
    std::uint64_t one = 1;
    (void)!::write(wake_.get(), &one, sizeof one);
    std::lock_guard lk(mu_);
    cv_.notify_all();
}

void Connection::cancel() {
    cancelled_ = true;
    kick();
}

void Connection::forget(std::uint64_t message_id) {
    std::lock_guard lk(mu_);
    if (arrived_.erase(message_id) == 0) forgotten_.insert(message_id);
}

Status Connection::send_frame(const wire::Bytes& message, Clock::time_point deadline,
                              const std::atomic<bool>* caller_cancel) {
    {
        std::lock_guard lk(mu_);
        if (broken_) return *broken_;
    }
    auto prefix = wire::transport_prefix(message.size());
    wire::Bytes frame(prefix.begin(), prefix.end());
    frame.insert(frame.end(), message.begin(), message.end());
    std::size_t sent = 0;
    auto fail = [&](Error e) -> Status {
        if (sent > 0) {  // the stream is out of step now
            std::lock_guard lk(mu_);
            if (!broken_) broken_ = e;
            cv_.notify_all();
        }
        return e;
    };
    while (sent < frame.size()) {
        if (cancelled_ || (caller_cancel && *caller_cancel)) return fail(cancelled_error());
        ssize_t n = ::send(fd_.get(), frame.data() + sent, frame.size() - sent, MSG_NOSIGNAL);
        if (n > 0) {
            sent += static_cast<std::size_t>(n);
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
            return fail(errno_error(errno, "send", subject_));
        int wait = ms_until(deadline);
        if (wait == 0)
            return fail(make_error(ErrorCode::Timeout, "send", subject_,
                                   "the server did not take the request in time. Next: check "
                                   "the network, or raise --timeout"));
        pollfd p[2] = {{fd_.get(), POLLOUT, 0}, {wake_.get(), POLLIN, 0}};
        if (::poll(p, 2, wait) > 0 && (p[1].revents & POLLIN)) {
            std::uint64_t v = 0;
            (void)!::read(wake_.get(), &v, sizeof v);
        }
    }
    return {};
}

Status Connection::receive_some(Clock::time_point deadline) {
    pollfd p[2] = {{fd_.get(), POLLIN, 0}, {wake_.get(), POLLIN, 0}};
    int r = ::poll(p, 2, ms_until(deadline));
    if (r < 0 && errno != EINTR) return errno_error(errno, "poll", subject_);
    if (r <= 0) return {};
    if (p[1].revents & POLLIN) {
        std::uint64_t v = 0;
        (void)!::read(wake_.get(), &v, sizeof v);
    }
    if (!(p[0].revents & (POLLIN | POLLHUP | POLLERR))) return {};
    std::uint8_t buf[64 * 1024];
    ssize_t n = ::recv(fd_.get(), buf, sizeof buf, 0);
    if (n == 0)
        return make_error(ErrorCode::BrokenPipe, "recv", subject_,
                          "the server closed the SMB connection. Next: see the server's log for "
                          "why (a signing or protocol error ends the connection)");
    if (n < 0) {
        if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) return {};
        return errno_error(errno, "recv", subject_);
    }
    rx_.insert(rx_.end(), buf, buf + n);
    Decryptor decryptor;
    {
        std::lock_guard lk(mu_);
        decryptor = decryptor_;
    }
    std::size_t at = 0;
    std::vector<std::pair<std::uint64_t, Reply>> frames;
    Status status;
    while (rx_.size() - at >= 4) {
        auto len = wire::parse_transport_prefix(wire::ByteView(rx_).subspan(at, 4), kMaxFrame);
        if (!len) {
            status = len.error();
            break;
        }
        if (rx_.size() - at - 4 < *len) break;
        wire::ByteView msg(rx_.data() + at + 4, *len);
        at += 4 + *len;
        Reply reply;
        if (wire::is_transform(msg)) {
            if (!decryptor) {
                status = make_error(ErrorCode::Io, "SMB2", subject_,
                                    "the server sent an encrypted message before the session "
                                    "had keys. Next: report this with the server's version");
                break;
            }
            auto plain = decryptor(msg);
            if (!plain) {
                status = plain.error();
                break;
            }
            reply.message = std::move(*plain);
            reply.encrypted = true;
        } else {
            reply.message.assign(msg.begin(), msg.end());
        }
        auto h = wire::parse_header(reply.message);
        if (!h) {
            status = h.error();
            break;
        }
        if (h->message_id == kUnsolicited) continue;
        frames.emplace_back(h->message_id, std::move(reply));
    }
    rx_.erase(rx_.begin(), rx_.begin() + static_cast<std::ptrdiff_t>(at));
    std::lock_guard lk(mu_);
    for (auto& [id, m] : frames) {
        if (forgotten_.count(id)) {
            // An interim reply keeps the id alive; the final one ends it.
            auto h = wire::parse_header(m.message);
            if (h && h->status != wire::kStatusPending) forgotten_.erase(id);
            continue;
        }
        arrived_[id] = std::move(m);
    }
    return status;
}

void Connection::set_decryptor(Decryptor decryptor) {
    std::lock_guard lk(mu_);
    decryptor_ = std::move(decryptor);
}

Result<Reply> Connection::wait_reply(std::uint64_t id, Clock::time_point deadline,
                                     const std::atomic<bool>* caller_cancel) {
    std::unique_lock lk(mu_);
    for (;;) {
        if (auto it = arrived_.find(id); it != arrived_.end()) {
            Reply m = std::move(it->second);
            arrived_.erase(it);
            return m;
        }
        if (broken_) return *broken_;
        if (cancelled_ || (caller_cancel && *caller_cancel)) return cancelled_error();
        if (Clock::now() >= deadline)
            return make_error(ErrorCode::Timeout, "SMB2", subject_,
                              "no reply from the server within the timeout. Next: raise "
                              "--timeout, or check the server");
        if (!receiving_) {
            receiving_ = true;
            lk.unlock();
            Status st = receive_some(deadline);
            lk.lock();
            receiving_ = false;
            if (!st && !broken_) broken_ = st.error();
            cv_.notify_all();
        } else if (deadline == Clock::time_point::max()) {
            cv_.wait(lk);
        } else {
            cv_.wait_until(lk, deadline);
        }
    }
}

}  // namespace pipescope::core::smb
