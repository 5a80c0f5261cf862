// The remote-check's steps on POSIX: getaddrinfo (off the calling thread, so it is bounded), a
// bounded non-blocking TCP connect, then the project's SMB client for the session and the open.
#include <netdb.h>
#include <sys/socket.h>

#include <cstring>

#include "os/posix/bounded_connect.hpp"
#include "pipescope/remote_check.hpp"
#include "os/off_thread.hpp"

namespace pipescope::core {
namespace {

using Clock = std::chrono::steady_clock;

Error cancelled(const std::string& api, const std::string& subject) {
    return make_error(ErrorCode::Cancelled, api, subject, "the check was cancelled");
}

Error resolver_error(int rc, const std::string& host) {
    switch (rc) {
        case EAI_NONAME:
#ifdef EAI_NODATA
        case EAI_NODATA:
#endif
            return make_error(
                ErrorCode::NotFound, "getaddrinfo", host,
                std::string("the host name does not resolve (") + ::gai_strerror(rc) + ")");
        case EAI_AGAIN:
            return make_error(
                ErrorCode::Timeout, "getaddrinfo", host,
                std::string("the name server did not answer (") + ::gai_strerror(rc) + ")");
        default:
            return make_error(ErrorCode::Io, "getaddrinfo", host,
                              std::string("the lookup failed: ") + ::gai_strerror(rc));
    }
}

struct Lookup {
    int rc = 0;
    std::vector<std::string> addresses;
};

Lookup lookup(const std::string& host) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    Lookup out;
    out.rc = ::getaddrinfo(host.c_str(), nullptr, &hints, &res);
    if (out.rc != 0) return out;
    for (addrinfo* a = res; a; a = a->ai_next) {
        char text[NI_MAXHOST];
        if (::getnameinfo(a->ai_addr, a->ai_addrlen, text, sizeof text, nullptr, 0,
                          NI_NUMERICHOST) != 0)
            continue;
        bool seen = false;
        for (const auto& s : out.addresses) seen = seen || s == text;
        if (!seen) out.addresses.emplace_back(text);
    }
    ::freeaddrinfo(res);
    return out;
}

class PosixRemoteProbe final : public RemoteCheckProbe {
  public:
    Result<std::vector<std::string>> resolve(const std::string& host, Deadline deadline,
                                             std::stop_token stop) override {
        auto done = os::call_off_thread([host] { return lookup(host); }, deadline, stop);
        if (!done) {
            if (stop.stop_requested()) return cancelled("getaddrinfo", host);
            return make_error(ErrorCode::Timeout, "getaddrinfo", host,
                              "the name server did not answer within the timeout");
        }
        if (done->rc != 0) return resolver_error(done->rc, host);
        if (done->addresses.empty())
            return make_error(ErrorCode::NotFound, "getaddrinfo", host,
                              "the host name has no address");
        return std::move(done->addresses);
    }

    Result<std::string> connect_tcp(const std::vector<std::string>& addresses, std::uint16_t port,
                                    Deadline deadline, std::stop_token stop) override {
        std::optional<Error> last;
        for (const auto& address : addresses) {
            const std::string subject = address + " port " + std::to_string(port);
            addrinfo hints{};
            hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
            hints.ai_socktype = SOCK_STREAM;
            addrinfo* res = nullptr;
            const std::string service = std::to_string(port);
            if (const int rc = ::getaddrinfo(address.c_str(), service.c_str(), &hints, &res);
                rc != 0) {
                last = resolver_error(rc, address);
                continue;
            }
            os::BoundedConnect how;
            how.address = res->ai_addr;
            how.address_len = res->ai_addrlen;
            how.family = res->ai_family;
            how.type = SOCK_STREAM;
            how.deadline = deadline;
            how.full_backlog = os::FullBacklog::RetryThenTimeout;
            how.cancelled = cancelled("connect", subject);
            auto fd = os::connect_bounded(how, stop, subject);
            ::freeaddrinfo(res);
            if (fd) return address;  // the socket closes here: the SMB step connects again
            last = std::move(fd).error();
            if (last->code == ErrorCode::Cancelled || Clock::now() >= deadline) break;
        }
        if (!last)
            return make_error(ErrorCode::InvalidArgument, "connect", "",
                              "no address to connect to");
        return *last;
    }

    Result<SessionStepResult> logon(const std::string& host, const std::string& address,
                                    const RemoteOptions& remote, Deadline deadline,
                                    std::stop_token stop) override {
        smb::Options o;
        o.host = address;
        o.port = remote.smb_port;
        if (!remote.user.empty()) {
            auto who = smb::parse_user(remote.user);
            if (!who) return std::move(who).error();
            o.credentials = std::move(*who);
        }
        o.credentials.password = remote.password;
        o.require_signing = remote.require_signing;
        o.encrypt = remote.encrypt;
        o.timeout =
            std::max(Timeout{1}, std::chrono::duration_cast<Timeout>(deadline - Clock::now()));
        auto session = smb::Session::connect_tcp(o, stop);
        if (!session) {
            Error e = std::move(session).error();
            if (e.subject.empty()) e.subject = host;
            return e;
        }
        session_ = std::move(*session);
        auto info = session_->logon(stop);
        if (!info) return std::move(info).error();
        return SessionStepResult{*info, {}};
    }

    Result<OpenStepResult> open_pipe(const PipeName& name, Deadline,
                                     std::stop_token stop) override {
        if (!session_)
            return make_error(ErrorCode::NotConnected, "open_pipe", name.win32_path(),
                              "no SMB session");
        ClientConfig config;
        auto channel = session_->open_pipe(name.name(), config, stop);
        if (!channel) return std::move(channel).error();
        OpenStepResult r;
        r.info = (*channel)->pipe_info();
        r.detail = "opened on IPC$";
        (*channel)->close();
        return r;
    }

  private:
    std::shared_ptr<smb::Session> session_;
};

}  // namespace

std::unique_ptr<RemoteCheckProbe> make_remote_check_probe() {
    return std::make_unique<PosixRemoteProbe>();
}

}  // namespace pipescope::core
