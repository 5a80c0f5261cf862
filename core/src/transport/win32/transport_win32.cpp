// Win32 named pipes with three I/O models:
//   Sync        synchronous handle; one blocking ReadFile/WriteFile per call, as a hand-written
//               loop makes it. The timeout and cancel() come from the call watchdog, which
//               breaks a blocked call with CancelSynchronousIo (os/call_watchdog.hpp). On
//               Windows a blocked synchronous call holds the handle, so a writer thread waits
//               behind a reader thread: full duplex on two threads wants Overlapped or Iocp.
//   Overlapped  FILE_FLAG_OVERLAPPED, one event per direction: one ReadFile/WriteFile, and one
//               WaitForMultipleObjects (with a cancel event) only when the call is pending; a
//               timed-out operation is cancelled with CancelIoEx and drained.
//   Iocp        the handle bound to its own completion port; byte mode with
//               FILE_SKIP_COMPLETION_PORT_ON_SUCCESS, so a call that completes at once is one
//               ReadFile/WriteFile; a pending one (and every message-mode call) waits in
//               GetQueuedCompletionStatus; cancel() posts a wake-up packet.
// A server keeps N instances listening at once; see Win32Listener for how each model accepts.

#include <windows.h>
#include <sddl.h>
#include <aclapi.h>

#include <atomic>
#include <cstring>
#include <thread>

#include <spdlog/logger.h>

#include "base/utf.hpp"
#include "os/call_watchdog.hpp"
#include "os/process_image.hpp"
#include "pipescope/log.hpp"
#include "pipescope/pipe_security.hpp"
#include "pipescope/platform.hpp"
#include "pipescope/sddl.hpp"
#include "pipescope/unique_handle.hpp"
#include "transport/transport_backend.hpp"

namespace pipescope::core {

Result<std::string> default_pipe_sddl() {
    HANDLE token_raw = nullptr;
    if (!::OpenProcessToken(::GetCurrentProcess(), TOKEN_QUERY, &token_raw)) {
        return win32_error(::GetLastError(), "OpenProcessToken", "current process");
    }
    UniqueHandle token(token_raw);
    DWORD len = 0;
    ::GetTokenInformation(token.get(), TokenUser, nullptr, 0, &len);
    std::vector<unsigned char> buf(len ? len : 1);
    if (!::GetTokenInformation(token.get(), TokenUser, buf.data(), len, &len)) {
        return win32_error(::GetLastError(), "GetTokenInformation", "current process");
    }
    auto* user = reinterpret_cast<TOKEN_USER*>(buf.data());
    LPWSTR sid_text = nullptr;
    if (!::ConvertSidToStringSidW(user->User.Sid, &sid_text)) {
        return win32_error(::GetLastError(), "ConvertSidToStringSidW", "current user");
    }
    std::string sid = detail::wide_to_utf8(sid_text);
    ::LocalFree(sid_text);
    return "D:P(A;;FA;;;" + sid + ")(A;;FA;;;SY)(A;;FA;;;BA)";
}

namespace detail {
namespace {

using Clock = std::chrono::steady_clock;

DWORD wait_ms(Timeout total, Clock::time_point deadline) {
    if (total.count() < 0) return INFINITE;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return 0;
    return left.count() >= 0x7FFFFFFF ? 0x7FFFFFFE : static_cast<DWORD>(left.count());
}

Clock::time_point deadline_of(Timeout t) {
    return t.count() < 0 ? Clock::time_point::max() : Clock::now() + t;
}

Error cancelled_error(const std::string& subject) {
    return make_error(ErrorCode::Cancelled, "cancel", subject, "the operation was cancelled");
}

Error timeout_error(const char* api, const std::string& subject) {
    Error e = win32_error(win32::kWaitTimeout, api, subject);
    return e;
}

PeerInfo describe_process(DWORD pid, std::optional<ULONG> session) {
    PeerInfo info;
    info.pid = pid;
    if (session) info.session = *session;
    if (auto image = os::process_image(pid)) info.image = std::move(*image);
    return info;
}

PeerInfo peer_of_pipe(HANDLE h, bool server_side) {
    ULONG pid = 0, session = 0;
    BOOL ok = server_side ? ::GetNamedPipeClientProcessId(h, &pid)
                          : ::GetNamedPipeServerProcessId(h, &pid);
    if (!ok || pid == 0) return {};
    std::optional<ULONG> sess;
    if (server_side ? ::GetNamedPipeClientSessionId(h, &session)
                    : ::GetNamedPipeServerSessionId(h, &session)) {
        sess = session;
    }
    return describe_process(pid, sess);
}

constexpr ULONG_PTR kIoKey = 1;
constexpr ULONG_PTR kCancelKey = 2;

class Win32PipeChannel final : public Channel {
  public:
    Win32PipeChannel(UniqueHandle h, IoModel io, bool message, bool server_side,
                     std::string subject)
        : h_(std::move(h)),
          io_(io),
          message_(message),
          server_side_(server_side),
          subject_(std::move(subject)),
          cancel_ev_(::CreateEventW(nullptr, TRUE, FALSE, nullptr)),
          rd_ev_(::CreateEventW(nullptr, TRUE, FALSE, nullptr)),
          wr_ev_(::CreateEventW(nullptr, TRUE, FALSE, nullptr)) {
        if (io_ == IoModel::Iocp) {
            port_.reset(::CreateIoCompletionPort(h_.get(), nullptr, kIoKey, 0));
            // A call that completes at once needs no packet and no wait: one ReadFile/WriteFile.
            // Byte mode only: a message read that returns ERROR_MORE_DATA at once is not a
            // success to Windows, which queues its packet, while Wine 8 queues none; whether
            // a packet follows could not be known, so message handles wait for every packet.
            skip_on_success_ = port_ && !message_ &&
                               ::SetFileCompletionNotificationModes(
                                   h_.get(), FILE_SKIP_COMPLETION_PORT_ON_SUCCESS);
        }
        peer_ = peer_of_pipe(h_.get(), server_side_);
    }
    ~Win32PipeChannel() override { close(); }

    // Which OVERLAPPED belongs to which direction.
    struct Op {
        OVERLAPPED ov{};
        std::atomic<bool> done{false};  // Iocp: its packet was dequeued by the other thread
    };

    Result<std::size_t> write(std::span<const std::byte> data, Timeout timeout) override {
        if (cancelled_.load(std::memory_order_acquire)) return cancelled_error(subject_);
        if (!h_) return win32_error(win32::kInvalidHandle, "WriteFile", subject_);
        if (data.empty() && !message_) return std::size_t{0};
        std::size_t done = 0;
        const auto deadline = deadline_of(timeout);
        do {
            DWORD chunk = static_cast<DWORD>(std::min<std::size_t>(data.size() - done, 1u << 30));
            auto r =
                io_op(false, const_cast<std::byte*>(data.data() + done), chunk, timeout, deadline);
            if (!r) {
                if (done > 0 && r.error().code == ErrorCode::Timeout) return done;
                return std::move(r).error();
            }
            done += r->bytes;
            if (message_) break;  // one WriteFile is one message
        } while (done < data.size());
        return done;
    }

    Result<ReadResult> read(std::span<std::byte> buf, Timeout timeout) override {
        if (cancelled_.load(std::memory_order_acquire)) return cancelled_error(subject_);
        if (!h_) return win32_error(win32::kInvalidHandle, "ReadFile", subject_);
        const auto deadline = deadline_of(timeout);
        auto r =
            io_op(true, buf.data(), static_cast<DWORD>(std::min<std::size_t>(buf.size(), 1u << 30)),
                  timeout, deadline);
        if (!r) {
            const Error& e = r.error();
            if (e.os_kind == OsCodeKind::Win32 &&
                (e.os_code == ERROR_BROKEN_PIPE || e.os_code == ERROR_PIPE_NOT_CONNECTED)) {
                eof_api_ = "ReadFile";
                eof_error_ = static_cast<DWORD>(e.os_code);
                ReadResult res;
                res.eof = true;
                return res;
            }
            return std::move(r).error();
        }
        ReadResult res;
        res.bytes = r->bytes;
        res.message_end = !r->more;
        return res;
    }

    Status close_write() override {
        if (message_) {  // like npiperelay: an empty message tells the peer we are done
            auto r = write({}, Timeout{5000});
            if (!r) return std::move(r).error();
            return {};
        }
        if (!::FlushFileBuffers(h_.get())) {
            return win32_error(::GetLastError(), "FlushFileBuffers", subject_);
        }
        return make_error(ErrorCode::Unsupported, "close_write", subject_,
                          "a byte-mode named pipe cannot be half-closed. Next: use message mode "
                          "(an empty message ends the conversation) or close the pipe");
    }

    void cancel() override {
        cancelled_.store(true, std::memory_order_release);
        ::SetEvent(cancel_ev_.get());
        if (port_) ::PostQueuedCompletionStatus(port_.get(), 0, kCancelKey, nullptr);
        if (io_ == IoModel::Sync) {
            rd_slot_.cancel();  // the watchdog breaks a blocked call (CancelSynchronousIo)
            wr_slot_.cancel();
        } else if (h_) {
            ::CancelIoEx(h_.get(), nullptr);
        }
    }

    void close() override {
        if (!h_) return;
        if (server_side_) {
            ::FlushFileBuffers(h_.get());
            ::DisconnectNamedPipe(h_.get());
        }
        port_.reset();
        h_.reset();
    }

    [[nodiscard]] bool message_oriented() const override { return message_; }
    [[nodiscard]] PeerInfo peer() const override { return peer_; }
    [[nodiscard]] std::string describe() const override {
        return subject_ + " (" + std::string(to_string(io_)) + ", " +
               (message_ ? "message" : "byte") + ")";
    }

    HANDLE handle() const { return h_.get(); }

    [[nodiscard]] Error end_of_stream_error() const override {
        return win32_error(eof_error_, eof_api_, subject_);
    }

  private:
    struct OpResult {
        std::size_t bytes = 0;
        bool more = false;  // ERROR_MORE_DATA: the message continues
    };

    // One ReadFile/WriteFile in the channel's I/O model.
    Result<OpResult> io_op(bool is_read, std::byte* p, DWORD n, Timeout timeout,
                           Clock::time_point deadline) {
        const char* api = is_read ? "ReadFile" : "WriteFile";
        DWORD got = 0;
        if (io_ == IoModel::Sync) {
            // One blocking call, as a hand-written loop makes it; the watchdog cancels it at
            // the deadline or on cancel() (os/call_watchdog.hpp).
            os::CallSlot& slot = is_read ? rd_slot_ : wr_slot_;
            if (!slot.arm(timeout)) return cancelled_error(subject_);
            BOOL ok;
            DWORD err;
            for (int stray = 0;; ++stray) {
                got = 0;
                ok = is_read ? ::ReadFile(h_.get(), p, n, &got, nullptr)
                             : ::WriteFile(h_.get(), p, n, &got, nullptr);
                err = ok ? 0 : ::GetLastError();
                // An abort meant for an earlier call (the watchdog's interrupt landed late)
                // moved nothing: make the call again (one such abort per interrupted call at
                // most; bounded in case something else cancels this thread's I/O).
                if (ok || err != ERROR_OPERATION_ABORTED || got > 0 || slot.fired() || stray == 4)
                    break;
            }
            const os::CallOutcome outcome = slot.disarm();
            if (ok) return OpResult{got, false};
            if (err == ERROR_MORE_DATA) return OpResult{got, true};
            if (err == ERROR_OPERATION_ABORTED) {
                if (got > 0 && !is_read) return OpResult{got, false};
                if (outcome == os::CallOutcome::TimedOut) return timeout_error(api, subject_);
                return cancelled_error(subject_);
            }
            return win32_error(err, api, subject_);
        }
        Op& op = is_read ? rd_ : wr_;
        op.ov = OVERLAPPED{};
        op.done.store(false, std::memory_order_relaxed);
        op.ov.hEvent =
            io_ == IoModel::Overlapped ? (is_read ? rd_ev_.get() : wr_ev_.get()) : nullptr;
        BOOL ok = is_read ? ::ReadFile(h_.get(), p, n, nullptr, &op.ov)
                          : ::WriteFile(h_.get(), p, n, nullptr, &op.ov);
        DWORD err = ok ? 0 : ::GetLastError();
        if (!ok && err != ERROR_IO_PENDING && err != ERROR_MORE_DATA) {
            return win32_error(err, api, subject_);  // failed at once: no completion follows
        }
        bool cancelled = false, timed_out = false;
        if (io_ == IoModel::Overlapped) {
            if (!ok && err == ERROR_IO_PENDING) {
                HANDLE evs[2] = {op.ov.hEvent, cancel_ev_.get()};
                DWORD w = ::WaitForMultipleObjects(2, evs, FALSE, wait_ms(timeout, deadline));
                if (w == WAIT_OBJECT_0 + 1)
                    cancelled = true;
                else if (w == WAIT_TIMEOUT)
                    timed_out = true;
                if (cancelled || timed_out) ::CancelIoEx(h_.get(), &op.ov);
            }
        } else if (!ok || !skip_on_success_) {
            // A call that succeeded at once queued no packet
            // (FILE_SKIP_COMPLETION_PORT_ON_SUCCESS); pending ones, and ERROR_MORE_DATA (not a
            // success), complete through the port.
            int w = wait_iocp(op, wait_ms(timeout, deadline));
            if (w != 0) {
                cancelled = w == 1;
                timed_out = w == 2;
                ::CancelIoEx(h_.get(), &op.ov);
                // The cancelled operation still completes through the port: drain it so the
                // OVERLAPPED is ours again (bounded; cancellation completes promptly).
                while (wait_iocp(op, 5000) == 1) {
                }
            }
        }
        DWORD bytes = 0;
        BOOL res = ::GetOverlappedResult(h_.get(), &op.ov, &bytes, io_ == IoModel::Overlapped);
        DWORD rerr = res ? 0 : ::GetLastError();
        if (res) return OpResult{bytes, false};
        if (rerr == ERROR_MORE_DATA) return OpResult{bytes, true};
        if (rerr == ERROR_OPERATION_ABORTED || rerr == ERROR_IO_INCOMPLETE) {
            if (bytes > 0 && !is_read) return OpResult{bytes, false};
            if (timed_out) return timeout_error(api, subject_);
            return cancelled_error(subject_);
        }
        return win32_error(rerr, api, subject_);
    }

    // Waits for `op`'s completion packet. 0 done, 1 cancel, 2 timeout. Packets of the other
    // direction are marked done on their Op (the other thread waits for that flag or its own
    // packet); cancel packets are re-posted so every waiter sees one.
    int wait_iocp(Op& op, DWORD ms) {
        const auto deadline = ms == INFINITE ? Clock::time_point::max()
                                             : Clock::now() + std::chrono::milliseconds(ms);
        for (;;) {
            if (op.done.load(std::memory_order_acquire)) return 0;
            DWORD left = ms == INFINITE ? INFINITE : wait_ms(Timeout{ms}, deadline);
            // Wake regularly: the other thread may have taken our packet.
            DWORD slice = (left == INFINITE || left > 20) ? 20 : left;
            DWORD bytes = 0;
            ULONG_PTR key = 0;
            OVERLAPPED* ov = nullptr;
            BOOL ok = ::GetQueuedCompletionStatus(port_.get(), &bytes, &key, &ov, slice);
            if (!ok && ov == nullptr) {
                if (op.done.load(std::memory_order_acquire)) return 0;
                if (left != INFINITE && left <= slice) return 2;
                continue;
            }
            if (key == kCancelKey) {
                ::PostQueuedCompletionStatus(port_.get(), 0, kCancelKey, nullptr);
                return 1;
            }
            if (ov == &op.ov) return 0;
            if (ov == &rd_.ov) rd_.done.store(true, std::memory_order_release);
            if (ov == &wr_.ov) wr_.done.store(true, std::memory_order_release);
        }
    }

    UniqueHandle h_;
    IoModel io_;
    bool message_;
    bool server_side_;
    std::string subject_;
    UniqueHandle cancel_ev_, rd_ev_, wr_ev_, port_;
    Op rd_, wr_;
    os::CallSlot rd_slot_, wr_slot_;  // Sync: the blocking call of each direction
    bool skip_on_success_ = false;    // Iocp: no packet for a call that completes at once
    std::atomic<bool> cancelled_{false};
    PeerInfo peer_;
    const char* eof_api_ = "ReadFile";
    DWORD eof_error_ = ERROR_BROKEN_PIPE;
};

// The flags come from win32_server_flags / win32_client_flags (portable, tested everywhere);
// their constants must be the SDK's.
static_assert(win32flags::kPipeAccessInbound == PIPE_ACCESS_INBOUND);
static_assert(win32flags::kPipeAccessOutbound == PIPE_ACCESS_OUTBOUND);
static_assert(win32flags::kPipeAccessDuplex == PIPE_ACCESS_DUPLEX);
static_assert(win32flags::kFileFlagFirstPipeInstance == FILE_FLAG_FIRST_PIPE_INSTANCE);
static_assert(win32flags::kFileFlagOverlapped == FILE_FLAG_OVERLAPPED);
static_assert(win32flags::kPipeTypeMessage == PIPE_TYPE_MESSAGE);
static_assert(win32flags::kPipeReadmodeMessage == PIPE_READMODE_MESSAGE);
static_assert(win32flags::kPipeNowait == PIPE_NOWAIT);
static_assert(win32flags::kPipeRejectRemoteClients == PIPE_REJECT_REMOTE_CLIENTS);
static_assert(win32flags::kPipeUnlimitedInstances == PIPE_UNLIMITED_INSTANCES);
static_assert(win32flags::kSecuritySqosPresent == SECURITY_SQOS_PRESENT);
static_assert(win32flags::kSecurityAnonymous == SECURITY_ANONYMOUS);
static_assert(win32flags::kSecurityIdentification == SECURITY_IDENTIFICATION);
static_assert(win32flags::kSecurityImpersonation == SECURITY_IMPERSONATION);
static_assert(win32flags::kSecurityDelegation == SECURITY_DELEGATION);

// A server that keeps N instances listening at once (ServerConfig::listening_instances), so N
// clients can connect in the same instant without ERROR_PIPE_BUSY. A Win32 instance accepts a
// client from the moment it is created; ConnectNamedPipe only tells us that one came.
//   Overlapped / Iocp: every listening instance has its own overlapped ConnectNamedPipe pending
//     on its own event; accept() waits on all of them plus the cancel event. Pending connects
//     survive an accept() that times out (the next accept() picks them up); the destructor
//     cancels and drains them before the OVERLAPPEDs go away.
//   Sync: the instances are not overlapped (the channel does blocking I/O on them), so an
//     overlapped ConnectNamedPipe is not possible. They are created PIPE_NOWAIT and accept()
//     polls ConnectNamedPipe on each (ERROR_PIPE_LISTENING / ERROR_PIPE_CONNECTED) with a short
//     backoff (1..10 ms) on the cancel event; the user's wait mode is restored on hand-out.
// After each hand-out the set is topped up again. When max_instances are all taken,
// CreateNamedPipeW fails with ERROR_PIPE_BUSY and the listener retries every 10 ms.
// Threads: accept() from one thread at a time; cancel() from any thread.
class Win32Listener final : public Listener {
  public:
    Win32Listener(Endpoint ep, std::wstring path, std::string display, PSECURITY_DESCRIPTOR sd)
        : ep_(std::move(ep)),
          path_(std::move(path)),
          display_(std::move(display)),
          sd_(sd),
          target_(effective_listening_instances(ep_.server)),
          cancel_ev_(::CreateEventW(nullptr, TRUE, FALSE, nullptr)) {}
    ~Win32Listener() override {
        for (auto& inst : instances_) drain(*inst);
        instances_.clear();
        if (sd_) ::LocalFree(sd_);
    }

    // Creates instances until `target_` listen. The very first creation must succeed; later
    // ones may hit max_instances (ERROR_PIPE_BUSY), which is not an error: the set is topped
    // up when an instance frees. Other failures are returned.
    Status top_up() {
        while (static_cast<int>(instances_.size()) < target_) {
            auto st = create_instance();
            if (!st) {
                if (st.error().code == ErrorCode::Busy && created_ > 0) return {};
                return st;
            }
        }
        return {};
    }

    Result<std::unique_ptr<Channel>> accept(Timeout timeout) override {
        const auto deadline = deadline_of(timeout);
        const bool message = ep_.server.read_mode == PipeType::Message;
        DWORD backoff = 1;  // Sync polling
        for (;;) {
            if (cancelled_.load()) return cancelled_error(display_);
            if (auto st = top_up(); !st) {
                if (instances_.empty()) return std::move(st).error();
                log::transport()->warn("next instance of {}: {}", display_, st.error().to_string());
            }
            std::optional<Error> failure;
            bool retry_soon = false;
            for (std::size_t i = 0; i < instances_.size();) {
                Instance& inst = *instances_[i];
                auto st = inst.connected ? Status{} : refresh(inst);
                if (!st) {
                    // This instance is unusable: drop it (a fresh one replaces it).
                    failure = std::move(st).error();
                    drain(inst);
                    instances_.erase(instances_.begin() + static_cast<std::ptrdiff_t>(i));
                    continue;
                }
                if (!inst.connected && !inst.pending && ep_.io != IoModel::Sync) retry_soon = true;
                ++i;
            }
            for (std::size_t i = 0; i < instances_.size(); ++i) {
                if (!instances_[i]->connected) continue;
                std::unique_ptr<Instance> inst = std::move(instances_[i]);
                instances_.erase(instances_.begin() + static_cast<std::ptrdiff_t>(i));
                if (ep_.io == IoModel::Sync) {
                    DWORD wait_mode = (message ? PIPE_READMODE_MESSAGE : PIPE_READMODE_BYTE) |
                                      (ep_.server.nowait ? PIPE_NOWAIT : PIPE_WAIT);
                    ::SetNamedPipeHandleState(inst->h.get(), &wait_mode, nullptr, nullptr);
                }
                std::unique_ptr<Channel> ch = std::make_unique<Win32PipeChannel>(
                    std::move(inst->h), ep_.io, message, true, display_);
                // Have the next instances listening right away.
                if (auto st = top_up(); !st) {
                    log::transport()->warn("next instance of {}: {}", display_,
                                           st.error().to_string());
                }
                return ch;
            }
            if (failure) {
                log::transport()->warn("instance of {} dropped: {}", display_,
                                       failure->to_string());
                if (instances_.empty() && created_ == 0) return std::move(*failure);
                retry_soon = true;
            }
            DWORD ms = wait_ms(timeout, deadline);
            if (ms == 0) return timeout_error("ConnectNamedPipe", display_);
            DWORD slice = ms;
            if (ep_.io == IoModel::Sync) {
                slice = std::min(slice, backoff);
                backoff = std::min<DWORD>(backoff * 2, 10);
            }
            if (static_cast<int>(instances_.size()) < target_) slice = std::min<DWORD>(slice, 10);
            if (retry_soon) slice = std::min<DWORD>(slice, 1);
            HANDLE evs[kMaxListeningInstances + 1];
            DWORD n = 0;
            evs[n++] = cancel_ev_.get();
            for (auto& inst : instances_) {
                if (inst->pending && n < std::size(evs)) evs[n++] = inst->ev.get();
            }
            if (::WaitForMultipleObjects(n, evs, FALSE, slice) == WAIT_OBJECT_0) {
                return cancelled_error(display_);
            }
        }
    }

    void cancel() override {
        cancelled_.store(true);
        ::SetEvent(cancel_ev_.get());
    }
    [[nodiscard]] std::string address() const override { return display_; }
    [[nodiscard]] Endpoint client_endpoint() const override { return ep_; }

  private:
    struct Instance {
        UniqueHandle h;
        UniqueHandle ev;  // Overlapped/Iocp: the pending ConnectNamedPipe's event
        OVERLAPPED ov{};
        bool pending = false;    // an overlapped ConnectNamedPipe is in flight
        bool connected = false;  // a client is connected; waiting to be handed out
    };

    // Creates one more listening instance (the first one with FILE_FLAG_FIRST_PIPE_INSTANCE).
    Status create_instance() {
        const ServerConfig& c = ep_.server;
        const bool sync = ep_.io == IoModel::Sync;
        const bool first = created_ == 0;
        const Win32ServerFlags f = win32_server_flags(c, ep_.io, first);
        SECURITY_ATTRIBUTES sa{sizeof sa, sd_, FALSE};
        HANDLE h = ::CreateNamedPipeW(path_.c_str(), f.open_mode, f.pipe_mode, f.max_instances,
                                      c.out_quota, c.in_quota, c.default_timeout_ms, &sa);
        if (h == INVALID_HANDLE_VALUE) {
            const DWORD err = ::GetLastError();
            Error e = win32_error(err, "CreateNamedPipeW", display_);
            if (first && err == ERROR_ACCESS_DENIED) {
                // What Windows answers when the name is taken and FILE_FLAG_FIRST_PIPE_INSTANCE
                // was asked for, or when the other server's DACL does not let us add instances.
                e.code = ErrorCode::AlreadyExists;
                e.message = c.first_instance
                                ? "another server already owns this pipe name "
                                  "(FILE_FLAG_FIRST_PIPE_INSTANCE refused a second one). Next: "
                                  "stop the other server (list pipes to see it) or pick another "
                                  "name"
                                : "another server owns this pipe name and its security does not "
                                  "let us add instances. Next: stop the other server or pick "
                                  "another name";
            }
            return e;
        }
        auto inst = std::make_unique<Instance>();
        inst->h.reset(h);
        if (!sync) {
            inst->ev.reset(::CreateEventW(nullptr, TRUE, FALSE, nullptr));
            if (!inst->ev) return win32_error(::GetLastError(), "CreateEventW", display_);
        }
        ++created_;
        instances_.push_back(std::move(inst));
        return {};
    }

    // Moves a listening instance on without blocking: starts its overlapped ConnectNamedPipe,
    // or notices that it completed; Sync: one ConnectNamedPipe poll. Sets `connected` when a
    // client is there. An error means the instance cannot listen any more.
    Status refresh(Instance& inst) {
        for (int attempt = 0; attempt < 3; ++attempt) {
            DWORD err = 0;
            if (ep_.io == IoModel::Sync) {
                if (::ConnectNamedPipe(inst.h.get(), nullptr)) {
                    inst.connected = true;
                    return {};
                }
                err = ::GetLastError();
                if (err == ERROR_PIPE_LISTENING) return {};
            } else if (inst.pending) {
                if (::WaitForSingleObject(inst.ev.get(), 0) != WAIT_OBJECT_0) return {};
                inst.pending = false;
                DWORD bytes = 0;
                if (::GetOverlappedResult(inst.h.get(), &inst.ov, &bytes, FALSE)) {
                    inst.connected = true;
                    return {};
                }
                err = ::GetLastError();
            } else {
                inst.ov = OVERLAPPED{};
                inst.ov.hEvent = inst.ev.get();
                ::ResetEvent(inst.ov.hEvent);
                if (::ConnectNamedPipe(inst.h.get(), &inst.ov)) {
                    inst.connected = true;
                    return {};
                }
                err = ::GetLastError();
                if (err == ERROR_IO_PENDING) {
                    inst.pending = true;
                    return {};
                }
            }
            // ERROR_NO_DATA: a client came and already closed its end before we saw it. It is
            // still a conversation and what it wrote is still in the pipe, so hand it out too:
            // the reader gets its bytes, then the end (resetting here would lose them).
            if (err == ERROR_PIPE_CONNECTED || err == ERROR_NO_DATA) {
                inst.connected = true;
                return {};
            }
            // Otherwise the instance is broken: reset it and listen again.
            if (err == ERROR_BROKEN_PIPE) {
                ::DisconnectNamedPipe(inst.h.get());
                continue;
            }
            return win32_error(err, "ConnectNamedPipe", display_);
        }
        return {};  // still resetting; the caller looks again shortly
    }

    // Cancels a pending ConnectNamedPipe and waits for it, so its OVERLAPPED may be freed.
    static void drain(Instance& inst) {
        if (!inst.pending || !inst.h) return;
        ::CancelIoEx(inst.h.get(), &inst.ov);
        DWORD bytes = 0;
        ::GetOverlappedResult(inst.h.get(), &inst.ov, &bytes, TRUE);
        inst.pending = false;
    }

    Endpoint ep_;
    std::wstring path_;
    std::string display_;
    PSECURITY_DESCRIPTOR sd_;
    int target_;
    UniqueHandle cancel_ev_;
    std::vector<std::unique_ptr<Instance>> instances_;
    int created_ = 0;  // instances created so far (the first gets FILE_FLAG_FIRST_PIPE_INSTANCE)
    std::atomic<bool> cancelled_{false};
};

}  // namespace

std::vector<TransportKind> os_transports() {
    return {TransportKind::Win32Pipe};
}

Result<std::unique_ptr<Listener>> listen_os(const Endpoint& ep) {
    const std::string display = ep.name.win32_path();
    if (!ep.name.is_local()) {
        return make_error(ErrorCode::InvalidArgument, "CreateNamedPipeW", display,
                          "a server can only create local pipes. Next: use \\\\.\\pipe\\name");
    }
    std::string sddl = ep.server.sddl;
    if (!sddl.empty()) {
        // Our own check first: its error names the offset; Windows's only says "invalid".
        if (auto checked = parse_sddl(sddl); !checked) {
            Error e = std::move(checked).error();
            e.subject = display;
            e.message = "the SDDL '" + sddl + "' is not valid " + e.message;
            return e;
        }
    }
    if (sddl.empty()) {
        auto d = default_pipe_sddl();
        if (!d) return std::move(d).error();
        sddl = *d;
    }
    PSECURITY_DESCRIPTOR sd = nullptr;
    if (!::ConvertStringSecurityDescriptorToSecurityDescriptorW(detail::utf8_to_wide(sddl).c_str(),
                                                                SDDL_REVISION_1, &sd, nullptr)) {
        Error e = win32_error(::GetLastError(),
                              "ConvertStringSecurityDescriptorToSecurityDescriptorW", display);
        e.message = "the SDDL '" + sddl + "' is not valid. Next: fix it, e.g. D:P(A;;FA;;;WD)";
        return e;
    }
    auto l = std::make_unique<Win32Listener>(ep, detail::utf8_to_wide(display), display, sd);
    if (auto st = l->top_up(); !st) {
        log::transport()->warn("listen failed: {}", st.error().to_string());
        return std::move(st).error();
    }
    log::transport()->info("listening on {} ({}, {}, {} instances listening)", display,
                           to_string(ep.io), to_string(ep.server.type),
                           effective_listening_instances(ep.server));
    std::unique_ptr<Listener> out = std::move(l);
    return out;
}

Result<std::unique_ptr<Channel>> connect_os(const Endpoint& ep, Timeout timeout,
                                            std::stop_token stop) {
    const std::string display = ep.name.win32_path();
    const std::wstring path = detail::utf8_to_wide(display);
    const auto deadline = deadline_of(timeout);
    DWORD access = 0;
    switch (ep.client.access) {
        case PipeDirection::Duplex:
            access = GENERIC_READ | GENERIC_WRITE;
            break;
        case PipeDirection::Inbound:
            access = GENERIC_READ | FILE_WRITE_ATTRIBUTES;
            break;
        case PipeDirection::Outbound:
            access = GENERIC_WRITE | FILE_READ_ATTRIBUTES;
            break;
    }
    const DWORD flags = win32_client_flags(ep.client, ep.io);
    bool seen_busy = false;
    for (;;) {
        if (stop.stop_requested()) return cancelled_error(display);
        HANDLE h = ::CreateFileW(path.c_str(), access, 0, nullptr, OPEN_EXISTING, flags, nullptr);
        if (h != INVALID_HANDLE_VALUE) {
            UniqueHandle owned(h);
            bool message = false;
            if (ep.client.read_mode == PipeType::Message) {
                DWORD mode = PIPE_READMODE_MESSAGE;
                if (!::SetNamedPipeHandleState(h, &mode, nullptr, nullptr)) {
                    return win32_error(::GetLastError(), "SetNamedPipeHandleState", display);
                }
                message = true;
            }
            std::unique_ptr<Channel> ch = std::make_unique<Win32PipeChannel>(
                std::move(owned), ep.io, message, false, display);
            return ch;
        }
        DWORD err = ::GetLastError();
        // Once the pipe was seen busy, "not found" means the server is between instances
        // (it closed one and is creating the next): keep waiting within the bound.
        if (err == ERROR_FILE_NOT_FOUND && seen_busy && wait_ms(timeout, deadline) > 0) {
            ::Sleep(2);
            continue;
        }
        if (err != ERROR_PIPE_BUSY || !ep.client.retry_busy)
            return win32_error(err, "CreateFileW", display);
        seen_busy = true;
        DWORD ms = wait_ms(timeout, deadline);
        if (ms == 0) {
            Error e = win32_error(win32::kSemTimeout, "WaitNamedPipeW", display);
            e.message =
                "all instances stayed busy for the whole timeout. Next: raise the "
                "timeout, or the server's max instances";
            return e;
        }
        // WaitNamedPipe cannot be cancelled: wait in short slices to notice `stop`.
        // Any failure here (timeout, the instance vanished; Wine also reports odd codes such
        // as 676) just sends us back to CreateFileW, which tells the real state.
        if (!::WaitNamedPipeW(path.c_str(), std::min<DWORD>(ms, 100))) ::Sleep(1);
    }
}

}  // namespace detail
}  // namespace pipescope::core
