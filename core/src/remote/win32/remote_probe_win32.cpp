// The remote-check's steps on Windows: GetAddrInfoW (off the calling thread, so it is bounded),
// a non-blocking Winsock connect waited on with select, then the open through the OS redirector
// (CreateFileW on \\host\pipe\x with an identification-only QoS), bounded and cancelled by the
// call watchdog (CancelSynchronousIo). The redirector sets up the SMB session itself, on port
// 445 with the logged-on user, and reports neither dialect nor signing.
#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>

#include <algorithm>
#include <mutex>

#include "base/utf.hpp"
#include "os/call_watchdog.hpp"
#include "pipescope/remote_check.hpp"
#include "pipescope/unique_handle.hpp"
#include "os/off_thread.hpp"

namespace pipescope::core {
namespace {

using Clock = std::chrono::steady_clock;

Error cancelled(const std::string& api, const std::string& subject) {
    return make_error(ErrorCode::Cancelled, api, subject, "the check was cancelled");
}

// Winsock once per process; never cleaned up (other threads may still use it at exit).
Status winsock_ready() {
    static const int rc = [] {
        WSADATA data;
        return ::WSAStartup(MAKEWORD(2, 2), &data);
    }();
    if (rc != 0) return win32_error(static_cast<std::uint32_t>(rc), "WSAStartup", "Winsock");
    return {};
}

struct Lookup {
    int rc = 0;
    std::vector<std::string> addresses;
};

Lookup lookup(const std::string& host) {
    ADDRINFOW hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    ADDRINFOW* res = nullptr;
    Lookup out;
    if (::GetAddrInfoW(detail::utf8_to_wide(host).c_str(), nullptr, &hints, &res) != 0) {
        out.rc = ::WSAGetLastError();
        return out;
    }
    for (ADDRINFOW* a = res; a; a = a->ai_next) {
        wchar_t text[NI_MAXHOST];
        if (::GetNameInfoW(a->ai_addr, static_cast<socklen_t>(a->ai_addrlen), text, NI_MAXHOST,
                           nullptr, 0, NI_NUMERICHOST) != 0)
            continue;
        std::string s = detail::wide_to_utf8(text);
        if (std::find(out.addresses.begin(), out.addresses.end(), s) == out.addresses.end())
            out.addresses.push_back(std::move(s));
    }
    ::FreeAddrInfoW(res);
    return out;
}

int ms_left(Clock::time_point deadline) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    return left.count() <= 0 ? 0 : static_cast<int>(std::min<long long>(left.count(), 50));
}

// One non-blocking connect, waited on in slices of at most 50 ms so `stop` is seen.
Status connect_one(const std::string& address, std::uint16_t port, Clock::time_point deadline,
                   const std::stop_token& stop, const std::string& subject) {
    ADDRINFOW hints{};
    hints.ai_flags = AI_NUMERICHOST;
    hints.ai_socktype = SOCK_STREAM;
    ADDRINFOW* res = nullptr;
    if (::GetAddrInfoW(detail::utf8_to_wide(address).c_str(), std::to_wstring(port).c_str(), &hints,
                       &res) != 0)
        return win32_error(static_cast<std::uint32_t>(::WSAGetLastError()), "GetAddrInfoW",
                           subject);
    SOCKET s = ::socket(res->ai_family, SOCK_STREAM, IPPROTO_TCP);
    if (s == INVALID_SOCKET) {
        ::FreeAddrInfoW(res);
        return win32_error(static_cast<std::uint32_t>(::WSAGetLastError()), "socket", subject);
    }
    struct Closer {
        SOCKET s;
        ~Closer() { ::closesocket(s); }
    } closer{s};
    u_long nonblocking = 1;
    ::ioctlsocket(s, FIONBIO, &nonblocking);
    const int rc = ::connect(s, res->ai_addr, static_cast<int>(res->ai_addrlen));
    ::FreeAddrInfoW(res);
    if (rc == 0) return {};
    if (const int err = ::WSAGetLastError(); err != WSAEWOULDBLOCK)
        return win32_error(static_cast<std::uint32_t>(err), "connect", subject);
    for (;;) {
        if (stop.stop_requested()) return cancelled("connect", subject);
        const int wait = ms_left(deadline);
        if (wait == 0) return win32_error(WSAETIMEDOUT, "connect", subject);
        fd_set writable, failed;
        FD_ZERO(&writable);
        FD_ZERO(&failed);
        FD_SET(s, &writable);
        FD_SET(s, &failed);
        timeval tv{0, wait * 1000};
        if (::select(0, nullptr, &writable, &failed, &tv) <= 0) continue;
        if (FD_ISSET(s, &writable)) return {};
        int err = 0;
        int len = sizeof err;
        ::getsockopt(s, SOL_SOCKET, SO_ERROR, reinterpret_cast<char*>(&err), &len);
        return win32_error(static_cast<std::uint32_t>(err ? err : WSAECONNREFUSED), "connect",
                           subject);
    }
}

class Win32RemoteProbe final : public RemoteCheckProbe {
  public:
    Result<std::vector<std::string>> resolve(const std::string& host, Deadline deadline,
                                             std::stop_token stop) override {
        if (auto st = winsock_ready(); !st) return std::move(st).error();
        auto done = os::call_off_thread([host] { return lookup(host); }, deadline, stop);
        if (!done) {
            if (stop.stop_requested()) return cancelled("GetAddrInfoW", host);
            return make_error(ErrorCode::Timeout, "GetAddrInfoW", host,
                              "the name server did not answer within the timeout");
        }
        if (done->rc != 0)
            return win32_error(static_cast<std::uint32_t>(done->rc), "GetAddrInfoW", host);
        if (done->addresses.empty()) return win32_error(WSANO_DATA, "GetAddrInfoW", host);
        return std::move(done->addresses);
    }

    Result<std::string> connect_tcp(const std::vector<std::string>& addresses, std::uint16_t port,
                                    Deadline deadline, std::stop_token stop) override {
        if (auto st = winsock_ready(); !st) return std::move(st).error();
        std::optional<Error> last;
        for (const auto& address : addresses) {
            const std::string subject = address + " port " + std::to_string(port);
            auto st = connect_one(address, port, deadline, stop, subject);
            if (st) return address;
            last = std::move(st).error();
            if (last->code == ErrorCode::Cancelled || Clock::now() >= deadline) break;
        }
        if (!last)
            return make_error(ErrorCode::InvalidArgument, "connect", "",
                              "no address to connect to");
        return *last;
    }

    Result<SessionStepResult> logon(const std::string&, const std::string&,
                                    const RemoteOptions& remote, Deadline,
                                    std::stop_token) override {
        SessionStepResult r;
        r.note =
            "the Windows redirector sets up the session when the pipe is opened (port 445, the "
            "logged-on user) and does not report the dialect or signing";
        if (remote.smb_port != 445) r.note += "; --smb-port was used for the TCP step only";
        if (!remote.user.empty())
            r.note +=
                "; --user is not used here (net use \\\\host\\IPC$ /user:... sets the "
                "redirector's credentials)";
        return r;
    }

    Result<OpenStepResult> open_pipe(const PipeName& name, Deadline deadline,
                                     std::stop_token stop) override {
        const std::string display = name.win32_path();
        const std::wstring path = detail::utf8_to_wide(display);
        const auto left = std::chrono::duration_cast<Timeout>(deadline - Clock::now());
        if (left.count() <= 0)
            return make_error(ErrorCode::Timeout, "CreateFileW", display,
                              "no time was left for the open");
        // The redirector's open can take as long as SMB's own timeouts: the watchdog cancels
        // it (CancelSynchronousIo) at the deadline or on stop.
        os::CallSlot slot;
        std::stop_callback on_stop(stop, [&slot] { slot.cancel(); });
        if (!slot.arm(left)) return cancelled("CreateFileW", display);
        HANDLE h =
            ::CreateFileW(path.c_str(), GENERIC_READ | GENERIC_WRITE, 0, nullptr, OPEN_EXISTING,
                          SECURITY_SQOS_PRESENT | SECURITY_IDENTIFICATION, nullptr);
        const DWORD err = h == INVALID_HANDLE_VALUE ? ::GetLastError() : 0;
        const os::CallOutcome outcome = slot.disarm();
        UniqueHandle owned(h == INVALID_HANDLE_VALUE ? nullptr : h);
        if (!owned) {
            if (outcome == os::CallOutcome::Cancelled) return cancelled("CreateFileW", display);
            if (outcome == os::CallOutcome::TimedOut)
                return make_error(ErrorCode::Timeout, "CreateFileW", display,
                                  "the redirector's open did not finish within the timeout");
            return win32_error(err, "CreateFileW", display);
        }
        OpenStepResult r;
        r.detail = "opened through the Windows redirector (port 445)";
        DWORD flags = 0, out_quota = 0, in_quota = 0, max_instances = 0;
        if (::GetNamedPipeInfo(owned.get(), &flags, &out_quota, &in_quota, &max_instances)) {
            smb::PipeInfo info;
            info.type = (flags & PIPE_TYPE_MESSAGE) ? PipeType::Message : PipeType::Byte;
            info.in_quota = in_quota;
            info.out_quota = out_quota;
            info.max_instances =
                max_instances == PIPE_UNLIMITED_INSTANCES ? 0xFFFFFFFFu : max_instances;
            r.info = info;
        }
        return r;
    }
};

}  // namespace

std::unique_ptr<RemoteCheckProbe> make_remote_check_probe() {
    return std::make_unique<Win32RemoteProbe>();
}

}  // namespace pipescope::core
