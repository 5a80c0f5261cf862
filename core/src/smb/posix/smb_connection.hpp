// One TCP connection to an SMB server: framed send, and replies handed to whichever thread waits
// for their message id. POSIX only; internal to core/src/smb.
//
// Threads: any number of threads may send and wait at once. Sends are serialised by the caller
// (Session holds its send lock across id allocation, signing and send_frame). Receiving is done
// by one waiter at a time (the "receiver"): it reads frames and files each reply under its
// message id, waking the others; when its own reply arrives or its deadline passes it hands the
// role on. Every wait is bounded by its deadline and ends early on cancel() (sticky, whole
// connection) or when the caller's own cancel flag is set and kick() is called.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "pipescope/result.hpp"
#include "pipescope/unique_handle.hpp"
#include "smb/smb_wire.hpp"

namespace pipescope::core::smb {

using Clock = std::chrono::steady_clock;

// A reply, and whether it came encrypted (then its integrity was checked by the decryptor).
struct Reply {
    wire::Bytes message;
    bool encrypted = false;
};

// Turns an encrypted message (transform header and all) into the plain SMB2 message, or an
// Error when it does not decrypt.
using Decryptor = std::function<Result<wire::Bytes>(wire::ByteView)>;

class Connection {
  public:
    // Takes a connected, non-blocking socket. `subject` names the server in errors.
    Connection(UniqueFd socket, std::string subject);
    ~Connection();
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    // Sends one SMB2 message (the prefix is added here). A send cut short by the deadline or a
    // cancel breaks the connection (the stream is out of step).
    Status send_frame(const wire::Bytes& message, Clock::time_point deadline,
                      const std::atomic<bool>* caller_cancel = nullptr);
    // Waits for the reply with `message_id` (an interim STATUS_PENDING reply is returned too:
    // the caller waits again). Errors: Timeout at the deadline, Cancelled, or the connection's
    // failure (BrokenPipe when the server closed it).
    Result<Reply> wait_reply(std::uint64_t message_id, Clock::time_point deadline,
                             const std::atomic<bool>* caller_cancel = nullptr);
    // From now on encrypted messages go through `decryptor` (without one they are an error).
    void set_decryptor(Decryptor decryptor);
    // A reply for `message_id` that arrives later is dropped (its waiter gave up).
    void forget(std::uint64_t message_id);
    // Wakes every waiter so they look at their cancel flags. Any thread.
    void kick();
    // Sticky: every pending and later call returns Cancelled. Any thread.
    void cancel();
    [[nodiscard]] bool cancelled() const { return cancelled_.load(); }
    [[nodiscard]] bool broken() const;

  private:
    Status receive_some(Clock::time_point deadline);
    Error cancelled_error() const;

    UniqueFd fd_;
    UniqueFd wake_;  // eventfd: written by kick() and cancel()
    std::string subject_;
    std::atomic<bool> cancelled_{false};

    mutable std::mutex mu_;
    std::condition_variable cv_;
    std::map<std::uint64_t, Reply> arrived_;
    Decryptor decryptor_;
    std::set<std::uint64_t> forgotten_;
    bool receiving_ = false;
    std::optional<Error> broken_;
    wire::Bytes rx_;  // bytes of a frame not yet complete (the receiver's only)
};

}  // namespace pipescope::core::smb
