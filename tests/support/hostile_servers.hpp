// Hostile test servers for the reliability tests: they accept and never answer, never accept,
// flood, send one huge message, or close in the middle of a message. Built on the transport
// API where it can misbehave on purpose, on raw OS calls where the transport is too polite
// (it always accepts, and its close() flushes what was written).
// Threads: each server runs its own thread; construct, use and destroy from one test thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <vector>

#ifdef _WIN32
#include <windows.h>
#else
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#endif

#include "pipescope/transport.hpp"
#include "support/test_names.hpp"

namespace pipescope::test {

using namespace std::chrono_literals;

// The platform's own byte-stream endpoint: a Win32 byte pipe with the Sync I/O model (what the
// GUI and CLI start with), or an AF_UNIX stream socket.
inline core::Endpoint hostile_byte_endpoint(const std::string& tag) {
    core::Endpoint ep;
#ifdef _WIN32
    ep.kind = core::TransportKind::Win32Pipe;
    ep.io = core::IoModel::Sync;
#else
    ep.kind = core::TransportKind::UnixStream;
#endif
    ep.name = unique_pipe_name(tag);
    return ep;
}

// The platform's message endpoint: a Win32 message pipe, or AF_UNIX seqpacket.
inline core::Endpoint hostile_message_endpoint(const std::string& tag) {
    core::Endpoint ep = hostile_byte_endpoint(tag);
#ifdef _WIN32
    ep.server.type = ep.server.read_mode = ep.client.read_mode = core::PipeType::Message;
#else
    ep.kind = core::TransportKind::UnixSeqpacket;
#endif
    return ep;
}

// The text errors use for the pipe (Win32 path or socket path).
inline std::string pipe_text(const core::Endpoint& ep) {
#ifdef _WIN32
    return ep.name.win32_path();
#else
    return ep.name.posix_path();
#endif
}

// A server on the transport API: accepts every client and runs `on_client` for it on the
// accept thread (one client at a time), or just keeps the channel (when on_client is empty).
class TransportServer {
  public:
    using OnClient = std::function<void(core::Channel&, const std::atomic<bool>& stop)>;

    TransportServer(const core::Endpoint& ep, OnClient on_client)
        : on_client_(std::move(on_client)) {
        auto l = core::listen(ep);
        if (!l) {
            error_ = l.error().to_string();
            return;
        }
        listener_ = std::move(l).value();
        thread_ = std::thread([this] { run(); });
    }
    ~TransportServer() { stop(); }
    TransportServer(const TransportServer&) = delete;
    TransportServer& operator=(const TransportServer&) = delete;

    [[nodiscard]] bool ok() const { return listener_ != nullptr; }
    [[nodiscard]] const std::string& error() const { return error_; }
    [[nodiscard]] core::Endpoint client_endpoint() const { return listener_->client_endpoint(); }
    [[nodiscard]] int accepted() const { return accepted_.load(); }

    void stop() {
        stop_ = true;
        if (listener_) listener_->cancel();
        {
            std::lock_guard lock(mutex_);
            for (auto& c : kept_) c->cancel();
            if (current_) current_->cancel();
        }
        if (thread_.joinable()) thread_.join();
        kept_.clear();
    }

  private:
    void run() {
        while (!stop_) {
            auto ch = listener_->accept(200ms);
            if (!ch) {
                if (ch.error().code == core::ErrorCode::Timeout) continue;
                break;
            }
            ++accepted_;
            std::unique_ptr<core::Channel> c = std::move(ch).value();
            if (!on_client_) {
                std::lock_guard lock(mutex_);
                kept_.push_back(std::move(c));  // held open, never read, never written
                continue;
            }
            {
                std::lock_guard lock(mutex_);
                current_ = c.get();
                if (stop_) c->cancel();
            }
            on_client_(*c, stop_);
            std::lock_guard lock(mutex_);
            current_ = nullptr;
        }
    }

    OnClient on_client_;
    std::unique_ptr<core::Listener> listener_;
    std::string error_;
    std::thread thread_;
    std::atomic<bool> stop_{false};
    std::atomic<int> accepted_{0};
    std::mutex mutex_;
    std::vector<std::unique_ptr<core::Channel>> kept_;
    core::Channel* current_ = nullptr;
};

// Accepts and never answers: every client is held open, nothing is read or written.
inline std::unique_ptr<TransportServer> silent_server(const core::Endpoint& ep) {
    return std::make_unique<TransportServer>(ep, TransportServer::OnClient{});
}

// Writes `chunk`-byte pieces as fast as the client takes them, for ever (until stop or the
// client leaves).
inline std::unique_ptr<TransportServer> flood_server(const core::Endpoint& ep,
                                                     std::size_t chunk = 64 * 1024) {
    return std::make_unique<TransportServer>(
        ep, [chunk](core::Channel& ch, const std::atomic<bool>& stop) {
            std::vector<std::byte> data(chunk, std::byte{'x'});  // no newline: one endless line
            while (!stop) {
                auto r = ch.write(data, 200ms);
                if (!r && r.error().code != core::ErrorCode::Timeout) return;
            }
        });
}

// Sends one message of `size` bytes (message kinds), or `size` bytes then '\n' (byte kinds:
// one huge line), then waits for the client to leave.
inline std::unique_ptr<TransportServer> huge_message_server(const core::Endpoint& ep,
                                                            std::size_t size) {
    return std::make_unique<TransportServer>(
        ep, [size](core::Channel& ch, const std::atomic<bool>& stop) {
            std::vector<std::byte> data(size, std::byte{'m'});
            if (!ch.message_oriented()) data.push_back(std::byte{'\n'});
            if (!ch.write_all(data, 60000ms)) return;
            std::vector<std::byte> buf(4096);
            while (!stop) {
                auto r = ch.read(buf, 200ms);
                if (!r && r.error().code != core::ErrorCode::Timeout) return;
                if (r && r->eof) return;
            }
        });
}

// Sends half a line (no newline), then closes.
inline std::unique_ptr<TransportServer> half_line_server(const core::Endpoint& ep,
                                                         std::string half) {
    return std::make_unique<TransportServer>(
        ep, [half](core::Channel& ch, const std::atomic<bool>&) {
            auto bytes = std::as_bytes(std::span(half.data(), half.size()));
            if (!ch.write_all(bytes, 5000ms)) return;
            std::this_thread::sleep_for(100ms);  // let it arrive before the end does
            ch.close();
        });
}

#ifdef _WIN32
// A raw Win32 pipe instance: created, never connected with ConnectNamedPipe.
class RawPipeInstance {
  public:
    RawPipeInstance(const core::Endpoint& ep, DWORD max_instances, bool message = false) {
        std::wstring path;
        for (char c : ep.name.win32_path()) path.push_back(static_cast<wchar_t>(c));
        DWORD type = message ? (PIPE_TYPE_MESSAGE | PIPE_READMODE_MESSAGE)
                             : (PIPE_TYPE_BYTE | PIPE_READMODE_BYTE);
        h_ = ::CreateNamedPipeW(path.c_str(), PIPE_ACCESS_DUPLEX, type | PIPE_WAIT, max_instances,
                                65536, 65536, 0, nullptr);
        error_ = h_ == INVALID_HANDLE_VALUE ? ::GetLastError() : 0;
    }
    ~RawPipeInstance() {
        if (h_ != INVALID_HANDLE_VALUE) ::CloseHandle(h_);
    }
    RawPipeInstance(const RawPipeInstance&) = delete;
    RawPipeInstance& operator=(const RawPipeInstance&) = delete;
    [[nodiscard]] bool ok() const { return h_ != INVALID_HANDLE_VALUE; }
    [[nodiscard]] DWORD error() const { return error_; }
    [[nodiscard]] HANDLE handle() const { return h_; }

  private:
    HANDLE h_ = INVALID_HANDLE_VALUE;
    DWORD error_ = 0;
};
#else
// A raw listening socket that never accepts; `backlog` 0 leaves room for one pending client.
class RawListeningSocket {
  public:
    RawListeningSocket(const core::Endpoint& ep, int backlog) : path_(ep.name.posix_path()) {
        fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::memcpy(addr.sun_path, path_.data(), std::min(path_.size(), sizeof addr.sun_path - 1));
        ::unlink(path_.c_str());
        ok_ = fd_ >= 0 && ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
              ::listen(fd_, backlog) == 0;
    }
    ~RawListeningSocket() {
        unpark();
        if (fd_ >= 0) ::close(fd_);
        ::unlink(path_.c_str());
    }
    RawListeningSocket(const RawListeningSocket&) = delete;
    RawListeningSocket& operator=(const RawListeningSocket&) = delete;
    [[nodiscard]] bool ok() const { return ok_; }
    // Connects one more client that is never accepted (fills the backlog); true on success.
    bool park_client() {
        int c = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::memcpy(addr.sun_path, path_.data(), std::min(path_.size(), sizeof addr.sun_path - 1));
        if (::connect(c, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
            ::close(c);
            return false;
        }
        parked_.push_back(c);
        return true;
    }
    void unpark() {
        for (int c : parked_) ::close(c);
        parked_.clear();
    }

  private:
    std::string path_;
    int fd_ = -1;
    bool ok_ = false;
    std::vector<int> parked_;
};
#endif

}  // namespace pipescope::test
