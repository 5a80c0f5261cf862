// The SMB2/3 session and pipe channel on POSIX (see pipescope/smb.hpp): NEGOTIATE, SESSION_SETUP
// with NTLMSSP in SPNEGO (anonymous or NTLMv2), signing, TREE_CONNECT to IPC$, and the pipe's
// CREATE / READ / WRITE / IOCTL / QUERY_INFO / CLOSE over one Connection.
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <spdlog/logger.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>
#include <mutex>
#include <thread>

#include "os/off_thread.hpp"
#include "os/posix/bounded_connect.hpp"
#include "pipescope/log.hpp"
#include "pipescope/smb.hpp"
#include "smb/posix/smb_connection.hpp"
#include "smb/posix/smb_crypto.hpp"
#include "smb/smb_wire.hpp"

namespace pipescope::core::smb {
namespace {

using wire::Bytes;
using wire::ByteView;
using wire::Command;

constexpr std::uint16_t kCreditRequest = 64;
// One READ, WRITE or IOCTL moves at most this much (multi-credit above 64 KiB).
constexpr std::uint32_t kMaxChunk = 1u << 20;
// The bound on sending a CANCEL.
constexpr std::chrono::milliseconds kCancelGrace{2000};

Clock::time_point deadline_of(Timeout timeout) {
    return timeout.count() < 0 ? Clock::time_point::max() : Clock::now() + timeout;
}

std::uint64_t filetime_now() {
    using namespace std::chrono;
    auto since_1970 = duration_cast<nanoseconds>(system_clock::now().time_since_epoch()).count();
    return static_cast<std::uint64_t>(since_1970 / 100) + 116444736000000000ull;
}

ByteView view(const Bytes& b) {
    return ByteView(b.data(), b.size());
}

// A KDF label or context as MS-SMB2 gives it: the text with its terminating NUL.
template <std::size_t N>
ByteView literal(const char (&text)[N]) {
    return ByteView(reinterpret_cast<const std::uint8_t*>(text), N);
}

std::string unc_host(const std::string& host) {
    // An IPv6 literal goes into a UNC path in its literal form; Samba accepts the plain text.
    return host;
}

Dialect dialect_of(std::uint16_t value) {
    return static_cast<Dialect>(value);
}

bool is_smb3(std::uint16_t dialect) {
    return dialect >= 0x0300;
}

// The server's addresses. getaddrinfo runs off this thread (os::call_off_thread), so a slow
// DNS cannot outlive the caller's timeout.
struct Resolution {
    int rc = 0;
    std::vector<sockaddr_storage> addresses;
    std::vector<socklen_t> lengths;
};

Result<Resolution> resolve(const std::string& host, std::uint16_t port, Clock::time_point deadline,
                           const std::stop_token& stop, const std::string& subject) {
    auto r = os::call_off_thread(
        [host, port] {
            Resolution out;
            addrinfo hints{};
            hints.ai_family = AF_UNSPEC;
            hints.ai_socktype = SOCK_STREAM;
            addrinfo* list = nullptr;
            const std::string service = std::to_string(port);
            out.rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &list);
            for (addrinfo* a = list; out.rc == 0 && a; a = a->ai_next) {
                sockaddr_storage s{};
                std::memcpy(&s, a->ai_addr, a->ai_addrlen);
                out.addresses.push_back(s);
                out.lengths.push_back(a->ai_addrlen);
            }
            if (list) ::freeaddrinfo(list);
            return out;
        },
        deadline, stop);
    if (!r) {
        if (stop.stop_requested())
            return make_error(ErrorCode::Cancelled, "getaddrinfo", subject, "cancelled");
        return make_error(ErrorCode::Timeout, "getaddrinfo", subject,
                          "the name did not resolve within the timeout. Next: check DNS, "
                          "or use the server's address");
    }
    if (r->rc != 0 || r->addresses.empty())
        return make_error(ErrorCode::NotFound, "getaddrinfo", subject,
                          std::string("the name does not resolve (") + ::gai_strerror(r->rc) +
                              "). Next: check the host name, or use its address");
    return std::move(*r);
}

class SessionImpl;

class PipeChannelImpl final : public PipeChannel {
  public:
    PipeChannelImpl(std::shared_ptr<SessionImpl> session, wire::FileId id, std::string name,
                    PipeInfo info, bool message);
    ~PipeChannelImpl() override { close(); }

    Result<std::size_t> write(std::span<const std::byte> data, Timeout timeout) override;
    Result<ReadResult> read(std::span<std::byte> buf, Timeout timeout) override;
    Result<ReadResult> transact(std::span<const std::byte> request, std::span<std::byte> reply,
                                Timeout timeout) override;
    Status close_write() override;
    void cancel() override;
    void close() override;
    [[nodiscard]] bool message_oriented() const override { return message_; }
    [[nodiscard]] PeerInfo peer() const override { return {}; }
    [[nodiscard]] std::string describe() const override;
    [[nodiscard]] std::size_t max_message_bytes() const override;
    [[nodiscard]] Error end_of_stream_error() const override { return end_; }
    [[nodiscard]] PipeInfo pipe_info() const override { return info_; }
    [[nodiscard]] SessionInfo session_info() const override;

  private:
    Result<ReadResult> finish_read(std::uint32_t status, ByteView data, std::span<std::byte> out,
                                   const char* api);

    std::shared_ptr<SessionImpl> session_;
    wire::FileId id_;
    std::string name_;
    PipeInfo info_;
    bool message_;
    std::atomic<bool> cancelled_{false};
    std::atomic<bool> closed_{false};
    // A READ that timed out stays posted (Samba cannot cancel a pipe read, and its data must
    // not be lost): the next read() waits for it instead of posting another. Reader thread.
    struct PendingRead {
        std::uint64_t id = 0;
        std::uint64_t async_id = 0;
    };
    std::optional<PendingRead> pending_;
    std::atomic<bool> read_pending_{false};
    // What a reply held beyond the caller's buffer, and whether it ends a message.
    Bytes leftover_;
    bool leftover_ends_message_ = true;
    Error end_ = make_error(ErrorCode::BrokenPipe, "SMB2 READ", "", "the server closed the pipe");
};

class SessionImpl final : public Session {
  public:
    SessionImpl(Options options, UniqueFd fd)
        : options_(std::move(options)),
          subject_("\\\\" + options_.host + " (SMB port " + std::to_string(options_.port) + ")"),
          conn_(std::move(fd), subject_) {}
    ~SessionImpl() override;

    Result<SessionInfo> logon(std::stop_token stop) override;
    Result<std::unique_ptr<PipeChannel>> open_pipe(std::string_view pipe_name,
                                                   const ClientConfig& config,
                                                   std::stop_token stop) override;
    [[nodiscard]] SessionInfo info() const override {
        std::lock_guard lk(send_mu_);
        return info_;
    }
    void cancel() override { conn_.cancel(); }

    // One request and its final reply (interim STATUS_PENDING replies are waited through).
    // On a timeout or a caller's cancel the request is abandoned.
    Result<Bytes> call(Command command, const Bytes& body, Clock::time_point deadline,
                       const std::atomic<bool>* caller_cancel = nullptr,
                       std::uint16_t credit_charge = 1);
    // call() in two halves, for a read that stays posted across timeouts: post() sends and
    // gives the message id; await() waits for the final reply and checks its signature.
    Result<std::uint64_t> post(Command command, const Bytes& body, Clock::time_point deadline,
                               const std::atomic<bool>* caller_cancel, std::uint16_t credit_charge);
    Result<Bytes> await(std::uint64_t id, Command command, Clock::time_point deadline,
                        const std::atomic<bool>* caller_cancel, std::uint64_t& async_id);
    // Gives up on a request: its reply is dropped when it comes, and a CANCEL asks the server
    // to end it.
    void abandon(std::uint64_t id, std::uint64_t async_id);
    // An Error for a reply's NTSTATUS, naming the request.
    Error status_error(std::uint32_t status, Command command, const std::string& subject) const;
    void close_file(const wire::FileId& id);
    [[nodiscard]] const Options& options() const { return options_; }
    [[nodiscard]] const wire::NegotiateResponse& negotiated() const { return negotiated_; }
    [[nodiscard]] std::string pipe_subject(std::string_view name) const {
        return "\\\\" + options_.host + "\\pipe\\" + std::string(name);
    }
    Connection& connection() { return conn_; }

  private:
    Result<Bytes> send_request(Command command, const Bytes& body, Clock::time_point deadline,
                               const std::atomic<bool>* caller_cancel, std::uint16_t credit_charge,
                               std::uint64_t& message_id);
    Result<Bytes> wait_final(std::uint64_t message_id, Clock::time_point deadline,
                             const std::atomic<bool>* caller_cancel, std::uint64_t& async_id,
                             bool* encrypted = nullptr);
    Status verify(const Bytes& reply, Command command, bool encrypted);
    void sign(Bytes& message);
    // Signs or encrypts a request as the session's state says (send lock held).
    void protect(Bytes& message, Command command);
    Bytes seal(const Bytes& message);
    void derive_cipher_keys(const crypto::Key16& session_key, const crypto::Hash512& hash);
    Status start_encryption(const char* step);
    Status negotiate(Clock::time_point deadline);
    Status session_setup(Clock::time_point deadline);
    Status tree_connect(Clock::time_point deadline);
    Result<Bytes> authenticate_token(const wire::NtlmChallenge& challenge,
                                     const Bytes& negotiate_token);

    Options options_;
    std::string subject_;
    Connection conn_;

    mutable std::mutex send_mu_;  // message ids, signing state, info_
    std::uint64_t next_id_ = 0;
    std::uint64_t session_id_ = 0;
    std::uint32_t tree_id_ = 0;
    bool signing_ = false;
    crypto::Key16 signing_key_{};
    // SMB3 encryption: agreed at NEGOTIATE (can_encrypt_), keyed at SESSION_SETUP, on when the
    // server asks for it (session or share) or the caller does.
    bool can_encrypt_ = false;
    bool have_cipher_keys_ = false;
    bool encrypting_ = false;
    crypto::Cipher cipher_ = crypto::Cipher::Aes128Ccm;
    crypto::Key16 encryption_key_{};
    crypto::Key16 decryption_key_{};
    std::uint64_t nonce_counter_ = 0;
    std::array<std::uint8_t, 4> nonce_salt_{};
    crypto::Hash512 preauth_{};
    wire::NegotiateResponse negotiated_;
    SessionInfo info_;
    bool logged_on_ = false;
};

SessionImpl::~SessionImpl() {
    if (!logged_on_ || conn_.cancelled() || conn_.broken()) return;
    auto deadline = Clock::now() + std::chrono::milliseconds(1000);
    if (tree_id_ != 0) (void)call(Command::TreeDisconnect, wire::empty_body(), deadline);
    (void)call(Command::Logoff, wire::empty_body(), deadline);
}

void SessionImpl::sign(Bytes& m) {
    m[16] |= static_cast<std::uint8_t>(wire::kFlagSigned);
    std::fill(m.begin() + 48, m.begin() + 64, 0);
    crypto::Key16 sig;
    if (is_smb3(negotiated_.dialect)) {
        sig = crypto::aes_cmac(signing_key_, view(m));
    } else {
        auto full = crypto::hmac_sha256(signing_key_, {view(m)});
        std::copy_n(full.begin(), 16, sig.begin());
    }
    std::copy(sig.begin(), sig.end(), m.begin() + 48);
}

Status SessionImpl::verify(const Bytes& reply, Command command, bool encrypted) {
    auto h = wire::parse_header(reply);
    if (!h) return h.error();
    if (encrypted) return {};  // the AEAD tag and the session id were checked on decryption
    if (encrypting_ && h->status != wire::kStatusPending)
        return make_error(ErrorCode::AccessDenied, "SMB2 encryption", subject_,
                          "the server's reply on an encrypted session came in clear. Next: "
                          "suspect something between us and the server rewriting traffic");
    if (!signing_) return {};
    if (!(h->flags & wire::kFlagSigned)) {
        if (h->status == wire::kStatusPending) return {};  // interim replies are not signed
        return make_error(ErrorCode::AccessDenied, "SMB2 signing", subject_,
                          "the server's reply to a signed request is not signed. Next: "
                          "suspect something between us and the server rewriting traffic");
    }
    Bytes copy = reply;
    sign(copy);
    if (!std::equal(copy.begin() + 48, copy.begin() + 64, reply.begin() + 48))
        return make_error(ErrorCode::AccessDenied, "SMB2 signing", subject_,
                          "a reply's signature does not match (command " +
                              std::to_string(static_cast<int>(command)) +
                              "). Next: suspect something between us and the server "
                              "rewriting traffic");
    return {};
}

Result<Bytes> SessionImpl::send_request(Command command, const Bytes& body,
                                        Clock::time_point deadline,
                                        const std::atomic<bool>* caller_cancel,
                                        std::uint16_t credit_charge, std::uint64_t& message_id) {
    std::lock_guard lk(send_mu_);
    wire::Header h;
    h.command = command;
    // 2.0.2 has no multi-credit requests: the field is reserved (0) there.
    h.credit_charge = negotiated_.dialect == 0x0202 ? 0 : credit_charge;
    h.credits = kCreditRequest;
    h.message_id = message_id = next_id_;
    next_id_ += std::max<std::uint16_t>(credit_charge, 1);
    h.session_id = session_id_;
    h.tree_id = tree_id_;
    Bytes m = wire::make_message(h, view(body));
    if (command == Command::Negotiate || command == Command::SessionSetup) {
        if (auto st = conn_.send_frame(m, deadline, caller_cancel); !st) return st.error();
        return m;  // as sent: the 3.1.1 pre-authentication hash takes it
    }
    protect(m, command);
    if (auto st = conn_.send_frame(m, deadline, caller_cancel); !st) return st.error();
    return m;
}

void SessionImpl::protect(Bytes& m, Command) {
    if (encrypting_)
        m = seal(m);
    else if (signing_)
        sign(m);
}

Bytes SessionImpl::seal(const Bytes& m) {
    wire::TransformHeader t;
    const std::uint64_t counter = ++nonce_counter_;
    for (int i = 0; i < 8; ++i) t.nonce[i] = static_cast<std::uint8_t>(counter >> (8 * i));
    const std::size_t nonce_size = cipher_ == crypto::Cipher::Aes128Gcm ? 12 : 11;
    std::copy_n(nonce_salt_.begin(), nonce_size - 8, t.nonce.begin() + 8);
    t.original_size = static_cast<std::uint32_t>(m.size());
    t.session_id = session_id_;
    Bytes out = wire::transform_header(t);
    out.insert(out.end(), m.begin(), m.end());
    auto tag =
        crypto::aead_seal(cipher_, encryption_key_, ByteView(t.nonce.data(), nonce_size),
                          ByteView(out.data() + wire::kTransformAadOffset,
                                   wire::kTransformSize - wire::kTransformAadOffset),
                          std::span<std::uint8_t>(out.data() + wire::kTransformSize, m.size()));
    std::copy(tag.begin(), tag.end(), out.begin() + 4);
    return out;
}

void SessionImpl::derive_cipher_keys(const crypto::Key16& session_key,
                                     const crypto::Hash512& hash) {
    if (negotiated_.dialect == 0x0311) {
        encryption_key_ = crypto::smb3_kdf(session_key, literal("SMBC2SCipherKey"), hash);
        decryption_key_ = crypto::smb3_kdf(session_key, literal("SMBS2CCipherKey"), hash);
    } else {
        encryption_key_ =
            crypto::smb3_kdf(session_key, literal("SMB2AESCCM"), literal("ServerIn "));
        decryption_key_ =
            crypto::smb3_kdf(session_key, literal("SMB2AESCCM"), literal("ServerOut"));
    }
    crypto::random_bytes(nonce_salt_);
    have_cipher_keys_ = true;
}

Status SessionImpl::start_encryption(const char* step) {
    if (encrypting_) return {};
    if (!have_cipher_keys_)
        return make_error(
            ErrorCode::Unsupported, step, subject_,
            std::string("the session needs SMB3 encryption, but ") +
                (info_.guest ? "a guest or anonymous session has no keys to encrypt with. Next: "
                               "log on as a user (--user DOMAIN\\user --password-file F)"
                             : "the server agreed no cipher with us on dialect " +
                                   to_string(info_.dialect) +
                                   " (AES-128-CCM and AES-128-GCM are what this client "
                                   "has). Next: allow SMB 3.x with one of them on the server"));
    const auto cipher = cipher_;
    const auto key = decryption_key_;
    const auto session_id = session_id_;
    const auto subject = subject_;
    conn_.set_decryptor([cipher, key, session_id, subject](ByteView msg) -> Result<Bytes> {
        auto t = wire::parse_transform(msg);
        if (!t) return t.error();
        if (t->session_id != session_id)
            return make_error(ErrorCode::Io, "SMB2 encryption", subject,
                              "an encrypted reply names another session");
        Bytes plain(msg.begin() + wire::kTransformSize, msg.end());
        const std::size_t nonce_size = cipher == crypto::Cipher::Aes128Gcm ? 12 : 11;
        if (!crypto::aead_open(cipher, key, ByteView(t->nonce.data(), nonce_size),
                               msg.subspan(wire::kTransformAadOffset,
                                           wire::kTransformSize - wire::kTransformAadOffset),
                               plain, t->signature))
            return make_error(ErrorCode::AccessDenied, "SMB2 encryption", subject,
                              "an encrypted reply does not decrypt with our key (tampering, or "
                              "a key we derived wrongly). Next: report this with the server's "
                              "version");
        return plain;
    });
    encrypting_ = true;
    info_.encryption = true;
    return {};
}

Result<Bytes> SessionImpl::wait_final(std::uint64_t id, Clock::time_point deadline,
                                      const std::atomic<bool>* caller_cancel,
                                      std::uint64_t& async_id, bool* encrypted) {
    for (;;) {
        auto r = conn_.wait_reply(id, deadline, caller_cancel);
        if (!r) return r.error();
        auto h = wire::parse_header(r->message);
        if (!h) return h.error();
        if (h->status == wire::kStatusPending && (h->flags & wire::kFlagAsync)) {
            async_id = h->async_id;
            continue;
        }
        if (encrypted) *encrypted = r->encrypted;
        return std::move(r->message);
    }
}

Result<std::uint64_t> SessionImpl::post(Command command, const Bytes& body,
                                        Clock::time_point deadline,
                                        const std::atomic<bool>* caller_cancel,
                                        std::uint16_t credit_charge) {
    std::uint64_t id = 0;
    auto sent = send_request(command, body, deadline, caller_cancel, credit_charge, id);
    if (!sent) return sent.error();
    return id;
}

Result<Bytes> SessionImpl::await(std::uint64_t id, Command command, Clock::time_point deadline,
                                 const std::atomic<bool>* caller_cancel, std::uint64_t& async_id) {
    bool encrypted = false;
    auto reply = wait_final(id, deadline, caller_cancel, async_id, &encrypted);
    if (!reply) return reply;
    if (auto st = verify(*reply, command, encrypted); !st) return st.error();
    return reply;
}

void SessionImpl::abandon(std::uint64_t id, std::uint64_t async_id) {
    conn_.forget(id);
    if (conn_.cancelled() || conn_.broken()) return;
    // Servers that can cancel the request (Windows) end it; Samba leaves a pipe read pending
    // until data comes, and its reply is then dropped (forget above).
    std::lock_guard lk(send_mu_);
    wire::Header h;
    h.command = Command::Cancel;
    h.credit_charge = 0;
    h.message_id = id;
    h.session_id = session_id_;
    h.tree_id = tree_id_;
    if (async_id != 0) {
        h.flags |= wire::kFlagAsync;
        h.async_id = async_id;
    }
    Bytes m = wire::make_message(h, view(wire::empty_body()));
    protect(m, Command::Cancel);
    (void)conn_.send_frame(m, Clock::now() + kCancelGrace);
}

Result<Bytes> SessionImpl::call(Command command, const Bytes& body, Clock::time_point deadline,
                                const std::atomic<bool>* caller_cancel,
                                std::uint16_t credit_charge) {
    auto id = post(command, body, deadline, caller_cancel, credit_charge);
    if (!id) return id.error();
    std::uint64_t async_id = 0;
    auto reply = await(*id, command, deadline, caller_cancel, async_id);
    if (!reply &&
        (reply.error().code == ErrorCode::Timeout || reply.error().code == ErrorCode::Cancelled))
        abandon(*id, async_id);
    return reply;
}

Error SessionImpl::status_error(std::uint32_t status, Command command,
                                const std::string& subject) const {
    static constexpr const char* kNames[] = {
        "NEGOTIATE",     "SESSION_SETUP", "LOGOFF", "TREE_CONNECT", "TREE_DISCONNECT",
        "CREATE",        "CLOSE",         "FLUSH",  "READ",         "WRITE",
        "LOCK",          "IOCTL",         "CANCEL", "ECHO",         "QUERY_DIRECTORY",
        "CHANGE_NOTIFY", "QUERY_INFO"};
    auto index = static_cast<std::size_t>(command);
    std::string api = std::string("SMB2 ") + (index < std::size(kNames) ? kNames[index] : "?");
    return ntstatus_error(status, api, subject);
}

Status SessionImpl::negotiate(Clock::time_point deadline) {
    wire::NegotiateRequest req;
    req.dialects = {0x0202, 0x0210, 0x0300, 0x0302, 0x0311};
    req.security_mode = wire::kSigningEnabled;
    if (options_.require_signing) req.security_mode |= wire::kSigningRequired;
    crypto::random_bytes(req.client_guid);
    crypto::random_bytes(req.preauth_salt);
    // Offered always, used only when the server (or the caller) asks for encryption.
    req.capabilities = wire::kCapEncryption;
    req.offer_encryption = true;
    Bytes body = wire::negotiate_body(req);
    std::uint64_t id = 0;
    auto sent = send_request(Command::Negotiate, body, deadline, nullptr, 0, id);
    if (!sent) return sent.error();
    std::uint64_t async_id = 0;
    auto reply = wait_final(id, deadline, nullptr, async_id);
    if (!reply) return reply.error();
    auto h = wire::parse_header(*reply);
    if (!h) return h.error();
    if (h->status != wire::kStatusSuccess)
        return status_error(h->status, Command::Negotiate, subject_);
    auto r = wire::parse_negotiate_response(*reply);
    if (!r) return r.error();
    negotiated_ = *r;
    const auto d = r->dialect;
    if (d != 0x0202 && d != 0x0210 && d != 0x0300 && d != 0x0302 && d != 0x0311)
        return make_error(ErrorCode::Unsupported, "SMB2 NEGOTIATE", subject_,
                          "the server chose dialect " + to_string(dialect_of(d)) +
                              ", which we did not offer. Next: check the server");
    if (d == 0x0311) {
        if (r->preauth_hash.value_or(0) != 1)
            return make_error(ErrorCode::Unsupported, "SMB2 NEGOTIATE", subject_,
                              "the server's 3.1.1 pre-authentication integrity hash is not "
                              "SHA-512. Next: check the server");
        preauth_ = crypto::sha512_chain(crypto::Hash512{}, view(*sent));
        preauth_ = crypto::sha512_chain(preauth_, view(*reply));
    }
    info_.dialect = dialect_of(d);
    info_.server_requires_signing = (r->security_mode & wire::kSigningRequired) != 0;
    if (d == 0x0311) {
        const auto c = r->cipher.value_or(0);
        can_encrypt_ = c == 1 || c == 2;
        cipher_ = c == 2 ? crypto::Cipher::Aes128Gcm : crypto::Cipher::Aes128Ccm;
    } else {
        can_encrypt_ = is_smb3(d) && (r->capabilities & wire::kCapEncryption);
        cipher_ = crypto::Cipher::Aes128Ccm;
    }
    return {};
}

Result<Bytes> SessionImpl::authenticate_token(const wire::NtlmChallenge& c,
                                              const Bytes& /*negotiate_token*/) {
    const Credentials& cred = options_.credentials;
    wire::NtlmAuthenticate a;
    a.flags = c.flags & ~wire::kNtlmVersion;
    if (cred.anonymous()) {
        a.flags = (a.flags | wire::kNtlmAnonymous) & ~wire::kNtlmKeyExchange;  // no key
        a.lm_response = {0};
        return wire::ntlm_authenticate(a);
    }
    const std::string domain = cred.domain.empty() ? c.netbios_domain : cred.domain;
    const Bytes password = wire::utf16le(cred.password);
    const auto nt_hash = crypto::md4(view(password));
    const Bytes identity = wire::utf16le(wire::upper_ascii(cred.user) + domain);
    const auto ntowf = crypto::hmac_md5(nt_hash, {view(identity)});
    std::array<std::uint8_t, 8> client_challenge{};
    crypto::random_bytes(client_challenge);
    const std::uint64_t time = c.timestamp.value_or(filetime_now());
    const Bytes blob = wire::ntlmv2_client_blob(time, client_challenge, view(c.target_info));
    const auto proof = crypto::hmac_md5(ntowf, {c.server_challenge, view(blob)});
    a.nt_response.assign(proof.begin(), proof.end());
    a.nt_response.insert(a.nt_response.end(), blob.begin(), blob.end());
    if (c.timestamp) {
        a.lm_response.assign(24, 0);  // MS-NLMP: zeros when the server sent a timestamp
    } else {
        auto lm = crypto::hmac_md5(ntowf, {c.server_challenge, client_challenge});
        a.lm_response.assign(lm.begin(), lm.end());
        a.lm_response.insert(a.lm_response.end(), client_challenge.begin(), client_challenge.end());
    }
    a.domain = domain;
    a.user = cred.user;
    a.workstation = "PIPESCOPE";
    // For NTLMv2 the key exchange key is the session base key. With key exchange (what we ask
    // for) the session key is random, sent RC4-encrypted under it, so it does not follow from
    // the password alone.
    const auto key_exchange_key = crypto::hmac_md5(ntowf, {proof});
    if (a.flags & wire::kNtlmKeyExchange) {
        crypto::Key16 exported{};
        crypto::random_bytes(exported);
        a.encrypted_session_key.assign(exported.begin(), exported.end());
        crypto::rc4(key_exchange_key, a.encrypted_session_key);
        signing_key_ = exported;
    } else {
        signing_key_ = key_exchange_key;
    }
    return wire::ntlm_authenticate(a);
}

Status SessionImpl::session_setup(Clock::time_point deadline) {
    const auto ntlm_flags = wire::kNtlmUnicode | wire::kNtlmRequestTarget | wire::kNtlmSign |
                            wire::kNtlmNtlm | wire::kNtlmAlwaysSign |
                            wire::kNtlmExtendedSessionSecurity | wire::kNtlmTargetInfo |
                            wire::kNtlm128 | wire::kNtlm56 | wire::kNtlmKeyExchange;
    const Bytes negotiate_token = wire::ntlm_negotiate(ntlm_flags);
    const std::uint8_t mode = options_.require_signing ? 0x3 : 0x1;
    const bool smb311 = negotiated_.dialect == 0x0311;
    crypto::Hash512 hash = preauth_;

    // Round 1: NTLMSSP NEGOTIATE, expecting STATUS_MORE_PROCESSING_REQUIRED and a challenge.
    Bytes body = wire::session_setup_body(view(wire::spnego_init(view(negotiate_token))), mode);
    std::uint64_t id = 0, async_id = 0;
    auto sent = send_request(Command::SessionSetup, body, deadline, nullptr, 1, id);
    if (!sent) return sent.error();
    if (smb311) hash = crypto::sha512_chain(hash, view(*sent));
    auto reply = wait_final(id, deadline, nullptr, async_id);
    if (!reply) return reply.error();
    auto h = wire::parse_header(*reply);
    if (!h) return h.error();
    if (h->status != wire::kStatusMoreProcessingRequired)
        return status_error(h->status, Command::SessionSetup, subject_);
    if (smb311) hash = crypto::sha512_chain(hash, view(*reply));
    {
        std::lock_guard lk(send_mu_);
        session_id_ = h->session_id;
    }
    auto r1 = wire::parse_session_setup_response(*reply);
    if (!r1) return r1.error();
    auto spnego = wire::parse_spnego(view(r1->security_blob));
    if (!spnego) return spnego.error();
    auto challenge = wire::parse_ntlm_challenge(view(spnego->mech_token));
    if (!challenge) return challenge.error();
    info_.server_name = !challenge->netbios_computer.empty() ? challenge->netbios_computer
                                                             : challenge->dns_computer;
    info_.server_domain = challenge->netbios_domain;

    // Round 2: NTLMSSP AUTHENTICATE.
    auto token = authenticate_token(*challenge, negotiate_token);
    if (!token) return token.error();
    body = wire::session_setup_body(view(wire::spnego_response(view(*token))), mode);
    sent = send_request(Command::SessionSetup, body, deadline, nullptr, 1, id);
    if (!sent) return sent.error();
    if (smb311) hash = crypto::sha512_chain(hash, view(*sent));
    reply = wait_final(id, deadline, nullptr, async_id);
    if (!reply) return reply.error();
    h = wire::parse_header(*reply);
    if (!h) return h.error();
    if (h->status != wire::kStatusSuccess) {
        Error e = status_error(h->status, Command::SessionSetup, subject_);
        if (h->status == 0xC0000022u && !can_encrypt_) {
            // What Samba answers when it requires encryption of a client that cannot do it
            // on the agreed dialect.
            e.message +=
                " (a server that requires SMB3 encryption answers this when no cipher "
                "was agreed on dialect " +
                to_string(info_.dialect) + ")";
        } else if (options_.credentials.anonymous() && e.code == ErrorCode::AccessDenied) {
            e.message =
                "the server refused an anonymous logon: it allows no guests, or it "
                "requires SMB3 encryption, which an anonymous session has no keys for. "
                "Next: log on as a user (--user DOMAIN\\user --password-file F)";
        }
        return e;
    }
    auto r2 = wire::parse_session_setup_response(*reply);
    if (!r2) return r2.error();
    const bool guest = (r2->session_flags & (wire::kSessionFlagGuest | wire::kSessionFlagNull)) ||
                       options_.credentials.anonymous();
    std::lock_guard lk(send_mu_);
    info_.guest = guest;
    if (!guest) {
        const crypto::Key16 session_key = signing_key_;
        if (smb311) {
            signing_key_ = crypto::smb3_kdf(session_key, literal("SMBSigningKey"), hash);
        } else if (is_smb3(negotiated_.dialect)) {
            signing_key_ =
                crypto::smb3_kdf(session_key, literal("SMB2AESCMAC"), literal("SmbSign"));
        }
        if (can_encrypt_) derive_cipher_keys(session_key, hash);
        signing_ = true;  // a user's session is always signed
    } else if (options_.require_signing || info_.server_requires_signing) {
        return make_error(ErrorCode::AccessDenied, "SMB2 SESSION_SETUP", subject_,
                          "signing is required, but a guest or anonymous session cannot sign. "
                          "Next: log on as a user (--user DOMAIN\\user --password-file F)");
    }
    info_.signing = signing_;
    if ((r2->session_flags & wire::kSessionFlagEncrypt) || options_.encrypt) {
        if (auto st = start_encryption("SMB2 SESSION_SETUP"); !st) return st;
    }
    // The final reply of a user's logon is signed with the new key: check it.
    if (signing_ && (h->flags & wire::kFlagSigned)) {
        Bytes copy = *reply;
        sign(copy);
        if (!std::equal(copy.begin() + 48, copy.begin() + 64, reply->begin() + 48))
            return make_error(ErrorCode::AccessDenied, "SMB2 SESSION_SETUP", subject_,
                              "the server's logon reply is not signed with our session key "
                              "(a wrong password where the server accepts any, or tampering). "
                              "Next: check the --password-file");
    }
    return {};
}

Status SessionImpl::tree_connect(Clock::time_point deadline) {
    Bytes body = wire::tree_connect_body("\\\\" + unc_host(options_.host) + "\\IPC$");
    auto reply = call(Command::TreeConnect, body, deadline);
    if (!reply) return reply.error();
    auto h = wire::parse_header(*reply);
    if (h->status != wire::kStatusSuccess)
        return status_error(h->status, Command::TreeConnect, "\\\\" + options_.host + "\\IPC$");
    auto r = wire::parse_tree_connect_response(*reply);
    if (!r) return r.error();
    std::lock_guard lk(send_mu_);
    tree_id_ = h->tree_id;
    if (r->share_flags & wire::kShareFlagEncrypt) return start_encryption("SMB2 TREE_CONNECT");
    return {};
}

Result<SessionInfo> SessionImpl::logon(std::stop_token stop) {
    std::stop_callback on_stop(stop, [this] { conn_.cancel(); });
    const auto deadline = deadline_of(options_.timeout);
    if (auto st = negotiate(deadline); !st) return st.error();
    if (auto st = session_setup(deadline); !st) return st.error();
    if (auto st = tree_connect(deadline); !st) return st.error();
    logged_on_ = true;
    log::transport()->info("SMB session to {}: dialect {}, {}{}{}", subject_,
                           to_string(info_.dialect), info_.signing ? "signed" : "not signed",
                           info_.encryption ? ", encrypted" : "", info_.guest ? ", guest" : "");
    return info();
}

void SessionImpl::close_file(const wire::FileId& id) {
    if (conn_.cancelled() || conn_.broken()) return;
    (void)call(Command::Close, wire::close_body(id), Clock::now() + std::chrono::seconds(2));
}

std::uint32_t desired_access(PipeDirection access) {
    switch (access) {
        case PipeDirection::Inbound:
            return 0x00120089;  // read data, attributes and EAs, read control, synchronize
        case PipeDirection::Outbound:
            return 0x00120116;  // write data, append, EAs, attributes, read control, sync
        case PipeDirection::Duplex:
            break;
    }
    return 0x0012019F;
}

Result<std::unique_ptr<PipeChannel>> SessionImpl::open_pipe(std::string_view pipe_name,
                                                            const ClientConfig& config,
                                                            std::stop_token stop) {
    std::stop_callback on_stop(stop, [this] { conn_.cancel(); });
    const std::string subject = pipe_subject(pipe_name);
    if (!logged_on_)
        return make_error(ErrorCode::NotConnected, "SMB2 CREATE", subject,
                          "the session is not logged on. Next: call logon() first");
    const auto deadline = deadline_of(options_.timeout);
    wire::CreateRequest req;
    req.name = std::string(pipe_name);
    req.impersonation = static_cast<std::uint32_t>(config.impersonation);
    req.desired_access = desired_access(config.access);
    auto reply = call(Command::Create, wire::create_body(req), deadline);
    if (!reply) return reply.error();
    auto h = wire::parse_header(*reply);
    if (h->status != wire::kStatusSuccess) {
        Error e = status_error(h->status, Command::Create, subject);
        if (e.code == ErrorCode::NotFound)
            e.message =
                "the server has no pipe by that name on IPC$. Next: check the pipe name "
                "(for example srvsvc, lsarpc, winreg)";
        return e;
    }
    auto created = wire::parse_create_response(*reply);
    if (!created) return created.error();

    PipeInfo info;
    auto q = call(Command::QueryInfo,
                  wire::query_info_body(created->file_id, wire::kFilePipeLocalInformation, 40),
                  deadline);
    if (q && wire::parse_header(*q)->status == wire::kStatusSuccess) {
        if (auto data = wire::parse_query_info_response(*q)) {
            if (auto p = wire::parse_pipe_local_information(*data)) {
                info.type = p->type == 1 ? PipeType::Message : PipeType::Byte;
                info.max_instances = p->max_instances;
                info.current_instances = p->current_instances;
                info.in_quota = p->in_quota;
                info.out_quota = p->out_quota;
            }
        }
    }
    q = call(Command::QueryInfo,
             wire::query_info_body(created->file_id, wire::kFilePipeInformation, 8), deadline);
    if (q && wire::parse_header(*q)->status == wire::kStatusSuccess) {
        if (auto data = wire::parse_query_info_response(*q)) {
            if (auto p = wire::parse_pipe_information(*data))
                info.read_mode = p->read_mode == 1 ? PipeType::Message : PipeType::Byte;
        }
    }
    if (conn_.cancelled() || conn_.broken()) {
        return make_error(ErrorCode::Cancelled, "SMB2 QUERY_INFO", subject, "cancelled");
    }
    const bool message = info.type ? *info.type == PipeType::Message
                                   : (info.read_mode ? *info.read_mode == PipeType::Message
                                                     : config.read_mode == PipeType::Message);
    auto self = std::static_pointer_cast<SessionImpl>(shared_from_this());
    return std::unique_ptr<PipeChannel>(std::make_unique<PipeChannelImpl>(
        std::move(self), created->file_id, std::string(pipe_name), info, message));
}

PipeChannelImpl::PipeChannelImpl(std::shared_ptr<SessionImpl> session, wire::FileId id,
                                 std::string name, PipeInfo info, bool message)
    : session_(std::move(session)),
      id_(id),
      name_(std::move(name)),
      info_(info),
      message_(message) {
    end_.subject = session_->pipe_subject(name_);
}

std::string PipeChannelImpl::describe() const {
    auto s = session_->info();
    return "smb " + session_->pipe_subject(name_) + " (SMB " + to_string(s.dialect) +
           (s.signing ? ", signed" : ", not signed") + (s.guest ? ", guest" : "") + ")";
}

SessionInfo PipeChannelImpl::session_info() const {
    return session_->info();
}

std::size_t PipeChannelImpl::max_message_bytes() const {
    return std::min<std::size_t>(kMaxChunk, session_->negotiated().max_write);
}

void PipeChannelImpl::cancel() {
    cancelled_ = true;
    session_->connection().kick();
}

void PipeChannelImpl::close() {
    if (closed_.exchange(true)) return;
    if (pending_) session_->connection().forget(pending_->id);
    session_->close_file(id_);
}

Status PipeChannelImpl::close_write() {
    return make_error(ErrorCode::Unsupported, "close_write", session_->pipe_subject(name_),
                      "an SMB pipe has no half-close. Next: close the pipe instead");
}

Result<std::size_t> PipeChannelImpl::write(std::span<const std::byte> data, Timeout timeout) {
    const auto subject = session_->pipe_subject(name_);
    if (cancelled_) return make_error(ErrorCode::Cancelled, "SMB2 WRITE", subject, "cancelled");
    if (closed_) return make_error(ErrorCode::NotConnected, "SMB2 WRITE", subject, "closed");
    const auto deadline = deadline_of(timeout);
    const std::size_t chunk = max_message_bytes();
    std::size_t done = 0;
    do {
        const std::size_t n = std::min(chunk, data.size() - done);
        ByteView part(reinterpret_cast<const std::uint8_t*>(data.data()) + done, n);
        const auto charge =
            static_cast<std::uint16_t>(std::max<std::size_t>(1, (n + 65535) / 65536));
        auto reply = session_->call(Command::Write, wire::write_body(id_, part), deadline,
                                    &cancelled_, charge);
        if (!reply) {
            if (done > 0) return done;
            return reply.error();
        }
        auto h = wire::parse_header(*reply);
        if (h->status != wire::kStatusSuccess) {
            if (done > 0) return done;
            return session_->status_error(h->status, Command::Write, subject);
        }
        auto count = wire::parse_write_response(*reply);
        if (!count) return count.error();
        done += std::min<std::size_t>(*count, n);
        if (*count < n) break;
    } while (done < data.size());
    return done;
}

Result<ReadResult> PipeChannelImpl::finish_read(std::uint32_t status, ByteView data,
                                                std::span<std::byte> out, const char* api) {
    const auto subject = session_->pipe_subject(name_);
    if (status == wire::kStatusSuccess || status == wire::kStatusBufferOverflow) {
        const std::size_t n = std::min(data.size(), out.size());
        if (n > 0) std::memcpy(out.data(), data.data(), n);
        ReadResult r;
        r.bytes = n;
        r.message_end = status == wire::kStatusSuccess && n == data.size();
        if (n < data.size()) {
            leftover_.assign(data.begin() + static_cast<std::ptrdiff_t>(n), data.end());
            leftover_ends_message_ = status == wire::kStatusSuccess;
        }
        return r;
    }
    Error e = session_->status_error(status, Command::Read, subject);
    e.api = api;
    if (e.code == ErrorCode::BrokenPipe || e.code == ErrorCode::NotConnected) {
        end_ = e;
        ReadResult r;
        r.eof = true;
        return r;
    }
    return e;
}

Result<ReadResult> PipeChannelImpl::read(std::span<std::byte> buf, Timeout timeout) {
    const auto subject = session_->pipe_subject(name_);
    if (cancelled_) return make_error(ErrorCode::Cancelled, "SMB2 READ", subject, "cancelled");
    if (closed_) return make_error(ErrorCode::NotConnected, "SMB2 READ", subject, "closed");
    if (!leftover_.empty()) {
        const std::size_t n = std::min(buf.size(), leftover_.size());
        std::memcpy(buf.data(), leftover_.data(), n);
        leftover_.erase(leftover_.begin(), leftover_.begin() + static_cast<std::ptrdiff_t>(n));
        ReadResult r;
        r.bytes = n;
        r.message_end = leftover_.empty() && leftover_ends_message_;
        return r;
    }
    const auto deadline = deadline_of(timeout);
    if (!pending_) {
        const auto length = static_cast<std::uint32_t>(
            std::min<std::size_t>({std::max<std::size_t>(buf.size(), 1), kMaxChunk,
                                   std::max<std::uint32_t>(session_->negotiated().max_read, 1)}));
        const auto charge =
            static_cast<std::uint16_t>(std::max<std::uint32_t>(1, (length + 65535) / 65536));
        auto id = session_->post(Command::Read, wire::read_body(id_, length), deadline, &cancelled_,
                                 charge);
        if (!id) return id.error();
        pending_ = PendingRead{*id, 0};
        read_pending_ = true;
    }
    auto reply =
        session_->await(pending_->id, Command::Read, deadline, &cancelled_, pending_->async_id);
    if (!reply) {
        Error e = reply.error();
        if (e.code != ErrorCode::Timeout && e.code != ErrorCode::Cancelled) {
            pending_.reset();
            read_pending_ = false;
        }
        e.api = "SMB2 READ";
        e.subject = subject;
        return e;
    }
    pending_.reset();
    read_pending_ = false;
    auto h = wire::parse_header(*reply);
    ByteView data;
    if (h->status == wire::kStatusSuccess || h->status == wire::kStatusBufferOverflow) {
        auto d = wire::parse_read_response(*reply);
        if (!d) return d.error();
        data = *d;
    }
    return finish_read(h->status, data, buf, "SMB2 READ");
}

Result<ReadResult> PipeChannelImpl::transact(std::span<const std::byte> request,
                                             std::span<std::byte> reply_buf, Timeout timeout) {
    const auto subject = session_->pipe_subject(name_);
    if (cancelled_) return make_error(ErrorCode::Cancelled, "SMB2 IOCTL", subject, "cancelled");
    if (closed_) return make_error(ErrorCode::NotConnected, "SMB2 IOCTL", subject, "closed");
    if (read_pending_)
        return make_error(ErrorCode::Busy, "SMB2 IOCTL", subject,
                          "a read is still waiting on this pipe, and it would take the "
                          "transaction's reply. Next: finish reading with read(), then transact");
    const std::size_t limit = std::min<std::size_t>(
        kMaxChunk, std::max<std::uint32_t>(session_->negotiated().max_transact, 1));
    if (request.size() > limit)
        return make_error(ErrorCode::InvalidArgument, "SMB2 IOCTL", subject,
                          "the request is larger than one transaction may carry (" +
                              std::to_string(limit) + " bytes). Next: use write() and read()");
    const auto max_out = static_cast<std::uint32_t>(std::min(reply_buf.size(), limit));
    ByteView in(reinterpret_cast<const std::uint8_t*>(request.data()), request.size());
    const auto charge = static_cast<std::uint16_t>(
        std::max<std::size_t>(1, (std::max<std::size_t>(in.size(), max_out) + 65535) / 65536));
    auto reply = session_->call(Command::Ioctl,
                                wire::ioctl_body(wire::kFsctlPipeTransceive, id_, in, max_out),
                                deadline_of(timeout), &cancelled_, charge);
    if (!reply) return reply.error();
    auto h = wire::parse_header(*reply);
    ByteView data;
    if (h->status == wire::kStatusSuccess || h->status == wire::kStatusBufferOverflow) {
        auto d = wire::parse_ioctl_response(*reply);
        if (!d) return d.error();
        data = *d;
    }
    return finish_read(h->status, data, reply_buf, "SMB2 IOCTL FSCTL_PIPE_TRANSCEIVE");
}

}  // namespace

Result<std::shared_ptr<Session>> Session::connect_tcp(const Options& options,
                                                      std::stop_token stop) {
    const std::string subject =
        "\\\\" + options.host + " (SMB port " + std::to_string(options.port) + ")";
    const auto deadline = deadline_of(options.timeout);
    auto resolved = resolve(options.host, options.port, deadline, stop, subject);
    if (!resolved) return resolved.error();
    Error last = make_error(ErrorCode::NotFound, "connect", subject, "no address");
    for (std::size_t i = 0; i < resolved->addresses.size(); ++i) {
        os::BoundedConnect how;
        how.address = reinterpret_cast<const sockaddr*>(&resolved->addresses[i]);
        how.address_len = resolved->lengths[i];
        how.family = resolved->addresses[i].ss_family;
        how.type = SOCK_STREAM;
        how.deadline = deadline;
        how.full_backlog = os::FullBacklog::RetryThenTimeout;
        how.handshake_timeout_message =
            "no answer from the SMB port within the timeout: SMB not reachable (server down, "
            "or the port blocked by a firewall). Next: check that the server runs and that "
            "the port is open";
        how.cancelled = make_error(ErrorCode::Cancelled, "connect", subject, "cancelled");
        auto fd = os::connect_bounded(how, stop, subject);
        if (fd) {
            int one = 1;
            ::setsockopt(fd->get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            std::shared_ptr<Session> s = std::make_shared<SessionImpl>(options, std::move(*fd));
            return s;
        }
        last = fd.error();
        if (last.code == ErrorCode::ConnectionRefused)
            last.message =
                "the server refused the connection: SMB not reachable (no SMB server on that "
                "port, or a firewall rejects it). Next: check the server and --smb-port";
        if (last.code == ErrorCode::Cancelled) break;
    }
    return last;
}

Result<std::unique_ptr<PipeChannel>> open_remote_pipe(const PipeName& name, const Options& options,
                                                      const ClientConfig& config,
                                                      std::stop_token stop) {
    Options o = options;
    if (o.host.empty()) o.host = name.host();
    auto session = Session::connect_tcp(o, stop);
    if (!session) return session.error();
    if (auto info = (*session)->logon(stop); !info) return info.error();
    return (*session)->open_pipe(name.name(), config, stop);
}

}  // namespace pipescope::core::smb
