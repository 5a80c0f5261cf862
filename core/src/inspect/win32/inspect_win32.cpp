// Windows probe: opens the pipe as a client with an identification-only security QoS, the least
// access that works and a bounded, cancellable wait for a free instance, then asks everything a
// client handle can tell. The handle is closed before returning (the server sees a client come
// and go: that is why this runs only on request).
#include <windows.h>
#include <aclapi.h>
#include <sddl.h>

#include <spdlog/logger.h>

#include "os/process_image.hpp"
#include "os/win32/nt.hpp"
#include "os/win32/object_descriptor.hpp"
#include "pipescope/catalog.hpp"
#include "pipescope/inspect.hpp"
#include "pipescope/log.hpp"
#include "pipescope/platform.hpp"
#include "pipescope/unique_handle.hpp"
#include "base/utf.hpp"

namespace pipescope::core {
namespace {

using Clock = std::chrono::steady_clock;

struct LocalFreer {
    void operator()(void* p) const { ::LocalFree(p); }
};

FieldState field_state_for(DWORD err) {
    switch (err) {
        case ERROR_ACCESS_DENIED:
            return FieldState::Denied;
        case ERROR_FILE_NOT_FOUND:
            return FieldState::NotFound;
        case ERROR_PIPE_BUSY:
            return FieldState::Busy;
        case ERROR_NOT_SUPPORTED:
        case ERROR_CALL_NOT_IMPLEMENTED:
            return FieldState::Unsupported;
        default:
            return FieldState::Failed;
    }
}

template <class T>
void fail_win32(Field<T>& f, const char* api, bool connected, DWORD err,
                const std::string& subject) {
    f.fail(field_state_for(err), api, connected, win32_error(err, api, subject).to_string());
}

std::string sid_string(PSID sid) {
    LPWSTR s = nullptr;
    if (!::ConvertSidToStringSidW(sid, &s)) return {};
    std::unique_ptr<void, LocalFreer> hold(s);
    return detail::wide_to_utf8(s);
}

std::string account_name(PSID sid, bool resolve) {
    if (resolve) {
        wchar_t name[256], domain[256];
        DWORD nn = 256, dn = 256;
        SID_NAME_USE use{};
        if (::LookupAccountSidW(nullptr, sid, name, &nn, domain, &dn, &use)) {
            std::wstring full = dn > 0 ? std::wstring(domain, dn) + L"\\" + std::wstring(name, nn)
                                       : std::wstring(name, nn);
            return detail::wide_to_utf8(full);
        }
    }
    return sid_string(sid);
}

// Fields that need the open handle; when the open failed they all carry why.
template <class F>
void for_each_connected_field(PipeDetails& d, F&& f) {
    f(d.access, "CreateFileW");
    f(d.type, "GetNamedPipeInfo");
    f(d.end, "GetNamedPipeInfo");
    f(d.in_quota, "GetNamedPipeInfo");
    f(d.out_quota, "GetNamedPipeInfo");
    f(d.max_instances, "GetNamedPipeInfo");
    f(d.current_instances, "GetNamedPipeHandleStateW");
    f(d.handle_state, "GetNamedPipeHandleStateW");
    f(d.pipe_state, "NtQueryInformationFile(FilePipeLocalInformation)");
    f(d.read_data_available, "NtQueryInformationFile(FilePipeLocalInformation)");
    f(d.write_quota_available, "NtQueryInformationFile(FilePipeLocalInformation)");
    f(d.server_pid, "GetNamedPipeServerProcessId");
    f(d.server_image, "QueryFullProcessImageNameW");
    f(d.server_session, "GetNamedPipeServerSessionId");
    f(d.owner, "GetSecurityInfo");
    f(d.sddl, "GetSecurityInfo");
    f(d.aces, "GetSecurityInfo");
    f(d.null_dacl, "GetSecurityInfo");
    f(d.everyone_can_write, "GetSecurityInfo");
    f(d.anonymous_can_write, "GetSecurityInfo");
    f(d.remote_clients_accepted, "GetSecurityInfo");
    f(d.security_descriptor, "GetSecurityInfo");
}

void posix_only(PipeDetails& d) {
    auto na = [](auto& f, const char* src) {
        f.fail(FieldState::Unsupported, src, false, "Linux sockets and FIFOs only");
    };
    na(d.server_uid, "SO_PEERCRED");
    na(d.server_gid, "SO_PEERCRED");
    na(d.mode, "stat");
    na(d.owner_uid, "stat");
    na(d.owner_gid, "stat");
    na(d.socket_type, "SO_TYPE");
    na(d.send_buffer, "SO_SNDBUF");
    na(d.recv_buffer, "SO_RCVBUF");
    na(d.capacity, "F_GETPIPE_SZ");
    na(d.bytes_queued, "FIONREAD");
    // Windows opens remote pipes through its redirector, which reports nothing of the session.
    auto smb = [](auto& f, const char* src) {
        f.fail(FieldState::Unsupported, src, false,
               "the Windows redirector does not report the SMB session");
    };
    smb(d.smb_dialect, "SMB2 NEGOTIATE");
    smb(d.smb_signing, "SMB2 NEGOTIATE");
    smb(d.smb_encryption, "SMB2 SESSION_SETUP");
    smb(d.smb_logon, "SMB2 SESSION_SETUP");
    smb(d.smb_server, "NTLM target info");
}

void fail_whole(PipeDetails& d, InspectState state, Error err) {
    d.state = state;
    FieldState fs = state == InspectState::Busy       ? FieldState::Busy
                    : state == InspectState::Denied   ? FieldState::Denied
                    : state == InspectState::NotFound ? FieldState::NotFound
                    : state == InspectState::TimedOut ? FieldState::TimedOut
                                                      : FieldState::Failed;
    std::string why = err.to_string();
    for_each_connected_field(d, [&](auto& f, const char* src) { f.fail(fs, src, true, why); });
    d.error = std::move(err);
}

struct AccessTry {
    DWORD access;
    const char* words;
};

// Least first: attributes + READ_CONTROL answer every query without a right to the data.
constexpr AccessTry kAccessTries[] = {
    {FILE_READ_ATTRIBUTES | READ_CONTROL | SYNCHRONIZE, "FILE_READ_ATTRIBUTES|READ_CONTROL"},
    {FILE_READ_ATTRIBUTES | SYNCHRONIZE, "FILE_READ_ATTRIBUTES"},
    {GENERIC_READ, "GENERIC_READ"},
    {GENERIC_WRITE | FILE_READ_ATTRIBUTES, "GENERIC_WRITE|FILE_READ_ATTRIBUTES"},
};

// Where the security fields came from: the probe's own client handle, or a server's handle
// duplicated without connecting.
struct SecuritySource {
    std::string api;  // "GetSecurityInfo", "DuplicateHandle+GetSecurityInfo"
    bool connected = true;
};

// Every security field fails the same way (the descriptor could not be read, or there is none).
void fail_security(PipeDetails& d, FieldState state, const std::string& why,
                   const SecuritySource& from = {"GetSecurityInfo", true}) {
    const char* api = from.api.c_str();
    d.owner.fail(state, api, from.connected, why);
    d.sddl.fail(state, api, from.connected, why);
    d.aces.fail(state, api, from.connected, why);
    d.null_dacl.fail(state, api, from.connected, why);
    d.everyone_can_write.fail(state, api, from.connected, why);
    d.anonymous_can_write.fail(state, api, from.connected, why);
    d.remote_clients_accepted.fail(state, api, from.connected, why);
    d.security_descriptor.fail(state, api, from.connected, why);
}

std::vector<AceInfo> readable_aces(PACL acl, bool resolve_names) {
    std::vector<AceInfo> aces;
    for (DWORD i = 0; acl && i < acl->AceCount; ++i) {
        void* raw = nullptr;
        if (!::GetAce(acl, i, &raw)) continue;
        auto* header = static_cast<ACE_HEADER*>(raw);
        AceInfo a;
        a.flags = header->AceFlags;
        PSID sid = nullptr;
        if (header->AceType == ACCESS_ALLOWED_ACE_TYPE) {
            auto* ace = static_cast<ACCESS_ALLOWED_ACE*>(raw);
            a.type = "allow";
            a.mask = ace->Mask;
            sid = &ace->SidStart;
        } else if (header->AceType == ACCESS_DENIED_ACE_TYPE) {
            auto* ace = static_cast<ACCESS_DENIED_ACE*>(raw);
            a.type = "deny";
            a.mask = ace->Mask;
            sid = &ace->SidStart;
        } else if (header->AceType == SYSTEM_AUDIT_ACE_TYPE) {
            auto* ace = static_cast<SYSTEM_AUDIT_ACE*>(raw);
            a.type = "audit";
            a.mask = ace->Mask;
            sid = &ace->SidStart;
        } else {
            a.type = "other";
        }
        if (sid) {
            a.sid = sid_string(sid);
            a.trustee = account_name(sid, resolve_names);
        }
        a.rights = pipe_rights_in_words(a.mask);
        aces.push_back(std::move(a));
    }
    return aces;
}

// Fills every security field from a descriptor read from the pipe (or a server's handle).
void fill_security(PipeDetails& d, os::ObjectDescriptor read, const SecuritySource& from,
                   const InspectOptions& opt) {
    if (read.bytes.empty()) {
        fail_security(d, field_state_for(read.error),
                      win32_error(read.error, from.api.c_str(), d.name).to_string(), from);
        return;
    }
    // A self-relative descriptor in a buffer is a descriptor the Get* functions read.
    auto* sd = static_cast<PSECURITY_DESCRIPTOR>(read.bytes.data());
    const bool conn = from.connected;
    PSID owner = nullptr;
    BOOL defaulted = FALSE;
    if (!::GetSecurityDescriptorOwner(sd, &owner, &defaulted)) owner = nullptr;
    BOOL present = FALSE;
    PACL acl = nullptr;
    ::GetSecurityDescriptorDacl(sd, &present, &acl, &defaulted);
    if (is_wine() && !owner && !present) {
        // Wine keeps no descriptor for a pipe created without security attributes. Its bytes
        // (no owner, no DACL) would read as a NULL DACL: say there is none instead.
        fail_security(d, FieldState::Unsupported,
                      "the system returned no security descriptor for this pipe (Wine does this "
                      "for pipes created without security attributes)",
                      from);
        return;
    }
    LPWSTR text = nullptr;
    if (::ConvertSecurityDescriptorToStringSecurityDescriptorW(
            sd, SDDL_REVISION_1,
            OWNER_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION |
                (read.label_read ? LABEL_SECURITY_INFORMATION : 0),
            &text, nullptr)) {
        std::unique_ptr<void, LocalFreer> hold_text(text);
        d.sddl.set(detail::wide_to_utf8(text),
                   from.api + "+ConvertSecurityDescriptorToStringSecurityDescriptorW", conn);
    } else {
        fail_win32(d.sddl, "ConvertSecurityDescriptorToStringSecurityDescriptorW", conn,
                   ::GetLastError(), d.name);
    }
    if (owner)
        d.owner.set(account_name(owner, opt.resolve_names), from.api, conn);
    else
        d.owner.fail(FieldState::Unknown, from.api, conn, "the descriptor has no owner");
    std::vector<AceInfo> aces = readable_aces(present ? acl : nullptr, opt.resolve_names);
    RiskFlags flags = assess_dacl(present && acl != nullptr, aces);
    d.aces.set(std::move(aces), from.api + "+GetAce+LookupAccountSidW", conn);
    d.null_dacl.set(flags.null_dacl, from.api, conn);
    d.everyone_can_write.set(flags.everyone_can_write, from.api, conn);
    d.anonymous_can_write.set(flags.anonymous_can_write, from.api, conn);
    if (flags.remote_clients_accepted)
        d.remote_clients_accepted.set(*flags.remote_clients_accepted, from.api, conn);
    else
        d.remote_clients_accepted.fail(
            FieldState::Unknown, from.api, conn,
            "the DACL does not deny NETWORK; whether the server set PIPE_REJECT_REMOTE_CLIENTS "
            "is not visible to a client");
    std::string label_note =
        read.label_read ? std::string{}
                        : "the mandatory label could not be read (" +
                              win32_error(read.label_error, from.api.c_str(), d.name).to_string() +
                              "); owner, group and DACL only";
    d.security_descriptor.set(
        std::move(read.bytes),
        from.api + (read.label_read ? "(OWNER|GROUP|DACL|LABEL)" : "(OWNER|GROUP|DACL)"), conn);
    d.security_descriptor.note = std::move(label_note);
}

// The pipe refused the probe or stayed busy: read the descriptor from a server's own handle
// instead, where the listing named the server processes and this process may duplicate their
// handles. The security fields then say they were read without connecting.
void read_security_from_server(PipeDetails& d, const PipeName& name, const InspectOptions& opt) {
    if (opt.server_pids.empty()) return;
    const SecuritySource from{"DuplicateHandle+GetSecurityInfo", false};
    auto bounded =
        std::clamp(opt.timeout, std::chrono::milliseconds(50), std::chrono::milliseconds(1000));
    auto got = read_server_handle_descriptor(name.name(), opt.server_pids, bounded);
    if (!got) {
        // Keep the probe's own reason on the fields; say what the second way found.
        d.security_descriptor.note += "; from a server's handle: " + got.error().to_string();
        return;
    }
    os::ObjectDescriptor read;
    read.bytes = std::move(got->bytes);
    read.label_read = got->label_read;
    fill_security(d, std::move(read), from, opt);
    if (d.security_descriptor.ok() && d.security_descriptor.note.empty())
        d.security_descriptor.note =
            "read from process " + std::to_string(got->pid) + "'s server handle without connecting";
}

// Opens the pipe with the least access that works, waiting for a free instance in short slices
// until the deadline. Returns the access that opened it, or nullptr after failing d as a whole.
const AccessTry* open_client(PipeDetails& d, const std::wstring& path,
                             const InspectOptions& options, Clock::time_point deadline,
                             std::stop_token stop, UniqueHandle& h) {
    bool waited = false;
    for (;;) {
        if (stop.stop_requested()) {
            fail_whole(
                d, InspectState::Cancelled,
                make_error(ErrorCode::Cancelled, "inspect", d.name, "the probe was cancelled"));
            return nullptr;
        }
        DWORD err = 0;
        for (const auto& t : kAccessTries) {
            h.reset(::CreateFileW(path.c_str(), t.access, FILE_SHARE_READ | FILE_SHARE_WRITE,
                                  nullptr, OPEN_EXISTING,
                                  SECURITY_SQOS_PRESENT | SECURITY_IDENTIFICATION, nullptr));
            if (h) return &t;
            err = ::GetLastError();
            // Only a refused access is worth asking for less; the audit asks for the least
            // (the first) and nothing else.
            if (err != ERROR_ACCESS_DENIED || options.least_access_only) break;
        }
        if (err == ERROR_FILE_NOT_FOUND || err == ERROR_PATH_NOT_FOUND ||
            err == ERROR_BAD_NETPATH || err == ERROR_BAD_NET_NAME) {
            fail_whole(d, InspectState::NotFound, win32_error(err, "CreateFileW", d.name));
            return nullptr;
        }
        if (err == ERROR_ACCESS_DENIED) {
            Error e = win32_error(err, "CreateFileW", d.name);
            if (options.least_access_only)
                e.message += " (opened with " + std::string(kAccessTries[0].words) +
                             " only: the audit asks for no other access)";
            fail_whole(d, InspectState::Denied, std::move(e));
            return nullptr;
        }
        if (err != ERROR_PIPE_BUSY) {
            fail_whole(d, InspectState::Error, win32_error(err, "CreateFileW", d.name));
            return nullptr;
        }
        auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
        if (left <= 0) {
            if (!waited) {
                fail_whole(d, InspectState::Busy, win32_error(err, "CreateFileW", d.name));
            } else {
                Error e = win32_error(ERROR_SEM_TIMEOUT, "WaitNamedPipeW", d.name);
                e.message = "every instance stayed busy (ERROR_PIPE_BUSY (231)) for the whole " +
                            std::to_string(options.timeout.count()) +
                            " ms. Next: retry later or raise --timeout";
                fail_whole(d, InspectState::TimedOut, std::move(e));
            }
            return nullptr;
        }
        // Short slices keep cancel prompt; a freed instance ends the wait at once.
        waited = true;
        ::WaitNamedPipeW(path.c_str(), static_cast<DWORD>(std::min<long long>(left, 50)));
    }
}

void read_pipe_info(PipeDetails& d, HANDLE ph) {
    DWORD flags = 0, out_size = 0, in_size = 0, max_inst = 0;
    if (::GetNamedPipeInfo(ph, &flags, &out_size, &in_size, &max_inst)) {
        d.type.set((flags & PIPE_TYPE_MESSAGE) ? "message" : "byte", "GetNamedPipeInfo", true);
        d.end.set((flags & PIPE_SERVER_END) ? "server" : "client", "GetNamedPipeInfo", true);
        d.in_quota.set(in_size, "GetNamedPipeInfo", true);
        d.out_quota.set(out_size, "GetNamedPipeInfo", true);
        d.max_instances.set(max_inst == PIPE_UNLIMITED_INSTANCES || max_inst == 0xFFFFFFFFu
                                ? -1
                                : static_cast<std::int64_t>(max_inst),
                            "GetNamedPipeInfo", true);
    } else {
        DWORD e = ::GetLastError();
        for (auto* f : {&d.type, &d.end}) fail_win32(*f, "GetNamedPipeInfo", true, e, d.name);
        for (auto* f : {&d.in_quota, &d.out_quota})
            fail_win32(*f, "GetNamedPipeInfo", true, e, d.name);
        fail_win32(d.max_instances, "GetNamedPipeInfo", true, e, d.name);
    }
}

void read_handle_state(PipeDetails& d, HANDLE ph) {
    DWORD state = 0, cur = 0;
    if (::GetNamedPipeHandleStateW(ph, &state, &cur, nullptr, nullptr, nullptr, 0)) {
        d.current_instances.set(cur, "GetNamedPipeHandleStateW", true);
        std::string s = (state & PIPE_NOWAIT) ? "nonblocking" : "blocking";
        s += (state & PIPE_READMODE_MESSAGE) ? ", message read mode" : ", byte read mode";
        d.handle_state.set(s, "GetNamedPipeHandleStateW", true);
    } else {
        DWORD e = ::GetLastError();
        fail_win32(d.current_instances, "GetNamedPipeHandleStateW", true, e, d.name);
        fail_win32(d.handle_state, "GetNamedPipeHandleStateW", true, e, d.name);
    }
}

void read_local_info(PipeDetails& d, HANDLE ph) {
    const char* local_src = "NtQueryInformationFile(FilePipeLocalInformation)";
    auto query_file = nt::resolve<nt::NtQueryInformationFileFn>("NtQueryInformationFile");
    nt::PipeLocalInformation local{};
    IO_STATUS_BLOCK iosb{};
    LONG st = query_file
                  ? query_file(ph, &iosb, &local, sizeof local, nt::kFilePipeLocalInformation)
                  : LONG(0xC0000002);
    if (st >= 0) {
        static constexpr const char* kStates[] = {"unknown", "disconnected", "listening",
                                                  "connected", "closing"};
        d.pipe_state.set(local.NamedPipeState <= 4 ? kStates[local.NamedPipeState] : "unknown",
                         local_src, true);
        d.read_data_available.set(local.ReadDataAvailable, local_src, true);
        d.write_quota_available.set(local.WriteQuotaAvailable, local_src, true);
    } else {
        Error e = ntstatus_error(static_cast<ULONG>(st), local_src, d.name);
        FieldState fs = e.code == ErrorCode::AccessDenied  ? FieldState::Denied
                        : e.code == ErrorCode::Unsupported ? FieldState::Unsupported
                                                           : FieldState::Failed;
        d.pipe_state.fail(fs, local_src, true, e.to_string());
        d.read_data_available.fail(fs, local_src, true, e.to_string());
        d.write_quota_available.fail(fs, local_src, true, e.to_string());
    }
}

void read_server(PipeDetails& d, HANDLE ph) {
    ULONG pid = 0;
    if (::GetNamedPipeServerProcessId(ph, &pid)) {
        d.server_pid.set(pid, "GetNamedPipeServerProcessId", true);
        auto image = os::process_image(pid);
        if (image)
            d.server_image.set(*image, "OpenProcess+QueryFullProcessImageNameW", true);
        else
            fail_win32(d.server_image, "OpenProcess", true,
                       static_cast<DWORD>(image.error().os_code), "process " + std::to_string(pid));
    } else {
        DWORD e = ::GetLastError();
        fail_win32(d.server_pid, "GetNamedPipeServerProcessId", true, e, d.name);
        fail_win32(d.server_image, "GetNamedPipeServerProcessId", true, e, d.name);
    }
    ULONG session = 0;
    if (::GetNamedPipeServerSessionId(ph, &session))
        d.server_session.set(session, "GetNamedPipeServerSessionId", true);
    else
        fail_win32(d.server_session, "GetNamedPipeServerSessionId", true, ::GetLastError(), d.name);
}

}  // namespace

PipeDetails inspect_pipe(const PipeName& name, const InspectOptions& options,
                         std::stop_token stop) {
    auto t0 = Clock::now();
    PipeDetails d;
    d.name = name.display();
    d.kind = "named pipe";
    posix_only(d);
    const std::wstring path = detail::utf8_to_wide(name.win32_path());

    UniqueHandle h;
    if (const AccessTry* used = open_client(d, path, options, t0 + options.timeout, stop, h)) {
        d.connected = true;
        d.state = InspectState::Ok;
        d.access.set(used->words, "CreateFileW", true);
        HANDLE ph = h.get();
        read_pipe_info(d, ph);
        read_handle_state(d, ph);
        read_local_info(d, ph);
        read_server(d, ph);
        if (used->access & READ_CONTROL || used->access & GENERIC_READ) {
            fill_security(d, os::read_object_descriptor(ph), {"GetSecurityInfo", true}, options);
        } else {
            fail_security(d, FieldState::Denied,
                          "the pipe's DACL refused READ_CONTROL, so its security cannot be read");
            if (name.is_local()) read_security_from_server(d, name, options);
        }
    } else if (name.is_local() &&
               (d.state == InspectState::Busy || d.state == InspectState::Denied ||
                d.state == InspectState::TimedOut)) {
        read_security_from_server(d, name, options);
    }
    d.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0);
    return d;
}

}  // namespace pipescope::core
