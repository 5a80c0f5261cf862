// Portable parts of the transport layer: names of the enums, the helpers every Channel
// shares (read_message, write_all), and the dispatch from an Endpoint to a backend.
#include "pipescope/transport.hpp"

#include <algorithm>
#include <cctype>

#include "pipescope/smb.hpp"
#include "transport/transport_backend.hpp"

namespace pipescope::core {
namespace {

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (std::tolower(static_cast<unsigned char>(a[i])) !=
            std::tolower(static_cast<unsigned char>(b[i])))
            return false;
    }
    return true;
}

using Clock = std::chrono::steady_clock;

// Time left until `deadline`, never negative; kInfinite stays infinite.
Timeout remaining(Timeout total, Clock::time_point deadline) {
    if (total.count() < 0) return kInfinite;
    auto left = std::chrono::duration_cast<Timeout>(deadline - Clock::now());
    return left.count() < 0 ? Timeout{0} : left;
}

#ifndef _WIN32
Result<std::unique_ptr<Channel>> connect_remote(const Endpoint& endpoint, Timeout timeout,
                                                std::stop_token stop) {
    const RemoteOptions& remote = endpoint.client.remote;
    auto credentials = smb::parse_user(remote.user);
    if (!credentials) return credentials.error();
    smb::Options options;
    options.host = endpoint.name.host();
    options.port = remote.smb_port;
    options.credentials = std::move(*credentials);
    options.credentials.password = remote.password;
    options.timeout = timeout;
    options.require_signing = remote.require_signing;
    options.encrypt = remote.encrypt;
    auto channel = smb::open_remote_pipe(endpoint.name, options, endpoint.client, std::move(stop));
    if (!channel) return channel.error();
    return std::unique_ptr<Channel>(std::move(*channel));
}
#endif

}  // namespace

int effective_listening_instances(const ServerConfig& config) {
    int n = config.listening_instances > 0 ? config.listening_instances : 4;
    if (config.max_instances > 0 && config.max_instances < 255)
        n = std::min(n, config.max_instances);
    return std::clamp(n, 1, kMaxListeningInstances);
}

std::string_view to_string(TransportKind kind) {
    switch (kind) {
        case TransportKind::Win32Pipe:
            return "win32";
        case TransportKind::UnixStream:
            return "unix";
        case TransportKind::UnixSeqpacket:
            return "seqpacket";
        case TransportKind::Fifo:
            return "fifo";
        case TransportKind::Tcp:
            return "tcp";
    }
    return "?";
}

std::string_view to_string(IoModel io) {
    switch (io) {
        case IoModel::Sync:
            return "sync";
        case IoModel::Overlapped:
            return "overlapped";
        case IoModel::Iocp:
            return "iocp";
    }
    return "?";
}

std::string_view to_string(PipeType type) {
    return type == PipeType::Message ? "message" : "byte";
}

std::string_view to_string(PipeDirection direction) {
    switch (direction) {
        case PipeDirection::Duplex:
            return "duplex";
        case PipeDirection::Inbound:
            return "inbound";
        case PipeDirection::Outbound:
            return "outbound";
    }
    return "?";
}

std::string_view to_string(ImpersonationLevel level) {
    switch (level) {
        case ImpersonationLevel::Anonymous:
            return "anonymous";
        case ImpersonationLevel::Identification:
            return "identification";
        case ImpersonationLevel::Impersonation:
            return "impersonation";
        case ImpersonationLevel::Delegation:
            return "delegation";
    }
    return "?";
}

std::optional<TransportKind> parse_transport_kind(std::string_view text) {
    for (auto k : {TransportKind::Win32Pipe, TransportKind::UnixStream,
                   TransportKind::UnixSeqpacket, TransportKind::Fifo, TransportKind::Tcp}) {
        if (iequals(text, to_string(k))) return k;
    }
    if (iequals(text, "pipe") || iequals(text, "win32pipe")) return TransportKind::Win32Pipe;
    if (iequals(text, "stream") || iequals(text, "unix-stream")) return TransportKind::UnixStream;
    if (iequals(text, "unix-seqpacket")) return TransportKind::UnixSeqpacket;
    return std::nullopt;
}

std::optional<IoModel> parse_io_model(std::string_view text) {
    for (auto m : {IoModel::Sync, IoModel::Overlapped, IoModel::Iocp}) {
        if (iequals(text, to_string(m))) return m;
    }
    return std::nullopt;
}

std::optional<PipeType> parse_pipe_type(std::string_view text) {
    if (iequals(text, "byte")) return PipeType::Byte;
    if (iequals(text, "message")) return PipeType::Message;
    return std::nullopt;
}

std::optional<PipeDirection> parse_pipe_direction(std::string_view text) {
    for (auto d : {PipeDirection::Duplex, PipeDirection::Inbound, PipeDirection::Outbound}) {
        if (iequals(text, to_string(d))) return d;
    }
    return std::nullopt;
}

std::optional<ImpersonationLevel> parse_impersonation_level(std::string_view text) {
    for (auto l : {ImpersonationLevel::Anonymous, ImpersonationLevel::Identification,
                   ImpersonationLevel::Impersonation, ImpersonationLevel::Delegation}) {
        if (iequals(text, to_string(l))) return l;
    }
    return std::nullopt;
}

std::string_view io_model_meaning(IoModel io) {
    switch (io) {
        case IoModel::Sync:
            return "blocking ReadFile/WriteFile, one call each, as a plain loop makes them; on "
                   "Windows a writer thread waits behind a blocked reader on the same handle";
        case IoModel::Overlapped:
            return "FILE_FLAG_OVERLAPPED with an event per direction: one call, and one wait "
                   "only when it is pending; full duplex";
        case IoModel::Iocp:
            return "an I/O completion port: one call, and a completion wait only when it is "
                   "pending (byte mode skips the packet of a call that completed at once)";
    }
    return "";
}

std::vector<TransportKind> available_transports() {
    return detail::os_transports();
}

bool transport_available(TransportKind kind) {
    auto all = available_transports();
    return std::find(all.begin(), all.end(), kind) != all.end();
}

Result<ReadResult> Channel::read_message(std::vector<std::byte>& out, Timeout timeout,
                                         std::size_t max_bytes) {
    out.clear();
    const auto deadline = Clock::now() + (timeout.count() < 0 ? Timeout{0} : timeout);
    std::size_t chunk = 4096;
    for (;;) {
        const std::size_t old = out.size();
        if (old >= max_bytes) {
            return make_error(
                ErrorCode::MoreData, "read_message", describe(),
                "the message is longer than " + std::to_string(max_bytes) + " bytes; its first " +
                    std::to_string(old) +
                    " bytes were read. Next: read the rest with read(), or allow more");
        }
        chunk = std::min(chunk, max_bytes - old);
        out.resize(old + chunk);
        auto r = read(std::span<std::byte>(out.data() + old, chunk), remaining(timeout, deadline));
        if (!r) {
            out.resize(old);
            return std::move(r).error();
        }
        out.resize(old + r->bytes);
        if (r->eof) {
            if (message_oriented() && !out.empty()) {
                return make_error(ErrorCode::BrokenPipe, "read_message", describe(),
                                  "the peer closed in the middle of a message (" +
                                      std::to_string(out.size()) +
                                      " bytes of it arrived). Next: check why the peer quit");
            }
            ReadResult res;
            res.bytes = out.size();
            res.eof = out.empty();
            res.message_end = true;
            return res;
        }
        if (!message_oriented() || r->message_end) {
            ReadResult res;
            res.bytes = out.size();
            res.message_end = true;
            return res;
        }
        chunk = std::min<std::size_t>(chunk * 2, std::size_t{1} << 20);
    }
}

Status Channel::write_all(std::span<const std::byte> data, Timeout timeout) {
    const auto deadline = Clock::now() + (timeout.count() < 0 ? Timeout{0} : timeout);
    if (data.empty()) {
        auto r = write(data, timeout);
        if (!r) return std::move(r).error();
        return {};
    }
    while (!data.empty()) {
        auto r = write(data, remaining(timeout, deadline));
        if (!r) return std::move(r).error();
        if (*r == 0 && remaining(timeout, deadline).count() == 0) {
            return make_error(ErrorCode::Timeout, "write", describe(),
                              "the peer did not read in time. Next: raise the timeout");
        }
        data = data.subspan(*r);
    }
    return {};
}

Result<std::unique_ptr<Listener>> listen(const Endpoint& endpoint) {
    if (!transport_available(endpoint.kind)) {
        return make_error(ErrorCode::Unsupported, "listen", endpoint.name.display(),
                          std::string("the transport '") + std::string(to_string(endpoint.kind)) +
                              "' is not available on this platform. Next: pick one of the "
                              "available transports");
    }
    return detail::listen_os(endpoint);
}

Result<std::unique_ptr<Channel>> connect(const Endpoint& endpoint, Timeout timeout,
                                         std::stop_token stop) {
#ifndef _WIN32
    // \\host\pipe\x: over the project's SMB client (Windows hands it to the redirector).
    if (endpoint.name.form() == PipeName::Form::Win32 && !endpoint.name.is_local())
        return connect_remote(endpoint, timeout, std::move(stop));
#endif
    if (!transport_available(endpoint.kind)) {
        return make_error(ErrorCode::Unsupported, "connect", endpoint.name.display(),
                          std::string("the transport '") + std::string(to_string(endpoint.kind)) +
                              "' is not available on this platform. Next: pick one of the "
                              "available transports");
    }
    return detail::connect_os(endpoint, timeout, std::move(stop));
}

}  // namespace pipescope::core
