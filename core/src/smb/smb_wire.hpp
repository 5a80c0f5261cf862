// SMB2/3, NTLMSSP and SPNEGO on the wire: builders of the requests a pipe client sends and
// parsers of the server's replies. Portable, no I/O, no crypto (the callers sign and hash), so
// the parsers are tested and fuzzed on every platform. Every parser checks each offset and
// length against the buffer it was given and returns an Error (ErrorCode::Io, api "SMB2 ...")
// for anything malformed; none reads out of bounds or allocates more than the input's size.
// Internal to core/src/smb. Any thread (no shared state).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "pipescope/result.hpp"

namespace pipescope::core::smb::wire {

using Bytes = std::vector<std::uint8_t>;
using ByteView = std::span<const std::uint8_t>;

inline constexpr std::size_t kHeaderSize = 64;

enum class Command : std::uint16_t {
    Negotiate = 0,
    SessionSetup = 1,
    Logoff = 2,
    TreeConnect = 3,
    TreeDisconnect = 4,
    Create = 5,
    Close = 6,
    Read = 8,
    Write = 9,
    Ioctl = 11,
    Cancel = 12,
    QueryInfo = 16,
};

inline constexpr std::uint32_t kFlagServerToRedir = 0x1;
inline constexpr std::uint32_t kFlagAsync = 0x2;
inline constexpr std::uint32_t kFlagSigned = 0x8;

inline constexpr std::uint32_t kStatusSuccess = 0;
inline constexpr std::uint32_t kStatusPending = 0x00000103;
inline constexpr std::uint32_t kStatusBufferOverflow = 0x80000005;
inline constexpr std::uint32_t kStatusMoreProcessingRequired = 0xC0000016;
inline constexpr std::uint32_t kStatusCancelled = 0xC0000120;

inline constexpr std::uint16_t kSigningEnabled = 0x1;
inline constexpr std::uint16_t kSigningRequired = 0x2;
inline constexpr std::uint32_t kCapEncryption = 0x40;
inline constexpr std::uint16_t kSessionFlagGuest = 0x1;
inline constexpr std::uint16_t kSessionFlagNull = 0x2;
inline constexpr std::uint16_t kSessionFlagEncrypt = 0x4;
inline constexpr std::uint32_t kShareFlagEncrypt = 0x8000;
inline constexpr std::uint32_t kFsctlPipeTransceive = 0x0011C017;

struct Header {
    std::uint32_t status = 0;
    Command command = Command::Negotiate;
    std::uint16_t credit_charge = 1;
    std::uint16_t credits = 0;  // request (ours) or granted (theirs)
    std::uint32_t flags = 0;
    std::uint32_t next_command = 0;
    std::uint64_t message_id = 0;
    std::uint64_t async_id = 0;  // when flags & kFlagAsync
    std::uint32_t tree_id = 0;
    std::uint64_t session_id = 0;
    std::array<std::uint8_t, 16> signature{};
};

// A header followed by a command body, ready to sign and send (without the 4-byte transport
// prefix). `body` is the command's fixed part and buffer.
[[nodiscard]] Bytes make_message(const Header& header, ByteView body);
// Parses the header of a message (at least 64 bytes, protocol id FE 'SMB', structure size 64).
[[nodiscard]] Result<Header> parse_header(ByteView message);
// The 4-byte direct TCP transport prefix (0x00 + 24-bit big-endian length).
[[nodiscard]] std::array<std::uint8_t, 4> transport_prefix(std::size_t message_size);
// The message length from a transport prefix; an error for a first byte other than 0 or a
// length over `max_size`.
[[nodiscard]] Result<std::size_t> parse_transport_prefix(ByteView prefix, std::size_t max_size);
// A server's encrypted message (TRANSFORM_HEADER, protocol id FD 'SMB').
[[nodiscard]] bool is_transform(ByteView message);
// SMB2 TRANSFORM_HEADER (SMB 3.x encryption): 52 bytes before the encrypted message. The AEAD's
// additional data is the header from the nonce on (its last 32 bytes).
inline constexpr std::size_t kTransformSize = 52;
inline constexpr std::size_t kTransformAadOffset = 20;
struct TransformHeader {
    std::array<std::uint8_t, 16> signature{};  // the AEAD tag
    std::array<std::uint8_t, 16> nonce{};      // 11 bytes used for CCM, 12 for GCM
    std::uint32_t original_size = 0;
    std::uint16_t flags = 1;  // encrypted
    std::uint64_t session_id = 0;
};
[[nodiscard]] Bytes transform_header(const TransformHeader& header);
// The header of an encrypted message; its original size must be what follows the header.
[[nodiscard]] Result<TransformHeader> parse_transform(ByteView message);

// --- NEGOTIATE ---
struct NegotiateRequest {
    std::vector<std::uint16_t> dialects;
    std::uint16_t security_mode = kSigningEnabled;
    std::uint32_t capabilities = 0;
    std::array<std::uint8_t, 16> client_guid{};
    std::array<std::uint8_t, 32> preauth_salt{};  // 3.1.1
    bool offer_encryption = false;                // 3.1.1: an ENCRYPTION_CAPABILITIES context
};
[[nodiscard]] Bytes negotiate_body(const NegotiateRequest& request);

struct NegotiateResponse {
    std::uint16_t security_mode = 0;
    std::uint16_t dialect = 0;
    std::uint32_t capabilities = 0;
    std::uint32_t max_transact = 0;
    std::uint32_t max_read = 0;
    std::uint32_t max_write = 0;
    Bytes security_blob;
    // 3.1.1 contexts
    std::optional<std::uint16_t> preauth_hash;  // 1 = SHA-512
    std::optional<std::uint16_t> cipher;        // 1 = AES-128-CCM, 2 = AES-128-GCM, ...
    std::optional<std::uint16_t> signing_algorithm;
};
[[nodiscard]] Result<NegotiateResponse> parse_negotiate_response(ByteView message);

// --- SESSION_SETUP ---
[[nodiscard]] Bytes session_setup_body(ByteView security_blob, std::uint8_t security_mode);
struct SessionSetupResponse {
    std::uint16_t session_flags = 0;
    Bytes security_blob;
};
[[nodiscard]] Result<SessionSetupResponse> parse_session_setup_response(ByteView message);

// --- LOGOFF, TREE_DISCONNECT, CANCEL (the same 4-byte body) ---
[[nodiscard]] Bytes empty_body();

// --- TREE_CONNECT ---
[[nodiscard]] Bytes tree_connect_body(std::string_view unc_path);  // "\\host\IPC$"
struct TreeConnectResponse {
    std::uint8_t share_type = 0;  // 2 = pipe (IPC$)
    std::uint32_t share_flags = 0;
    std::uint32_t capabilities = 0;
    std::uint32_t maximal_access = 0;
};
[[nodiscard]] Result<TreeConnectResponse> parse_tree_connect_response(ByteView message);

// --- CREATE ---
using FileId = std::array<std::uint8_t, 16>;
struct CreateRequest {
    std::string name;                 // under the share, e.g. "srvsvc"
    std::uint32_t impersonation = 2;  // SecurityIdentification..: 0 anonymous, 1 identification,
                                      // 2 impersonation, 3 delegation
    std::uint32_t desired_access = 0x0012019F;  // read, write, sync, attributes
};
[[nodiscard]] Bytes create_body(const CreateRequest& request);
struct CreateResponse {
    FileId file_id{};
    std::uint32_t create_action = 0;
    std::uint32_t file_attributes = 0;
};
[[nodiscard]] Result<CreateResponse> parse_create_response(ByteView message);

// --- CLOSE ---
[[nodiscard]] Bytes close_body(const FileId& file_id);
[[nodiscard]] Status parse_close_response(ByteView message);

// --- READ / WRITE ---
[[nodiscard]] Bytes read_body(const FileId& file_id, std::uint32_t length);
// The data of a READ response (success or STATUS_BUFFER_OVERFLOW), as a view into `message`.
[[nodiscard]] Result<ByteView> parse_read_response(ByteView message);
[[nodiscard]] Bytes write_body(const FileId& file_id, ByteView data);
// The count written.
[[nodiscard]] Result<std::uint32_t> parse_write_response(ByteView message);

// --- IOCTL (FSCTL_PIPE_TRANSCEIVE) ---
[[nodiscard]] Bytes ioctl_body(std::uint32_t ctl_code, const FileId& file_id, ByteView input,
                               std::uint32_t max_output);
// The output of an IOCTL response, as a view into `message`.
[[nodiscard]] Result<ByteView> parse_ioctl_response(ByteView message);

// --- QUERY_INFO (file information) ---
inline constexpr std::uint8_t kFilePipeInformation = 23;
inline constexpr std::uint8_t kFilePipeLocalInformation = 24;
[[nodiscard]] Bytes query_info_body(const FileId& file_id, std::uint8_t file_info_class,
                                    std::uint32_t output_length);
[[nodiscard]] Result<ByteView> parse_query_info_response(ByteView message);
struct PipeLocalInformation {
    std::uint32_t type = 0;           // 0 byte stream, 1 message
    std::uint32_t configuration = 0;  // 0 inbound, 1 outbound, 2 full duplex
    std::uint32_t max_instances = 0;
    std::uint32_t current_instances = 0;
    std::uint32_t in_quota = 0;
    std::uint32_t read_available = 0;
    std::uint32_t out_quota = 0;
    std::uint32_t write_available = 0;
    std::uint32_t state = 0;
    std::uint32_t end = 0;
};
[[nodiscard]] Result<PipeLocalInformation> parse_pipe_local_information(ByteView data);
struct PipeInformation {
    std::uint32_t read_mode = 0;  // 0 byte stream, 1 message
    std::uint32_t completion_mode = 0;
};
[[nodiscard]] Result<PipeInformation> parse_pipe_information(ByteView data);

// --- NTLMSSP (MS-NLMP) ---
inline constexpr std::uint32_t kNtlmUnicode = 0x00000001;
inline constexpr std::uint32_t kNtlmRequestTarget = 0x00000004;
inline constexpr std::uint32_t kNtlmSign = 0x00000010;
inline constexpr std::uint32_t kNtlmNtlm = 0x00000200;
inline constexpr std::uint32_t kNtlmAnonymous = 0x00000800;
inline constexpr std::uint32_t kNtlmAlwaysSign = 0x00008000;
inline constexpr std::uint32_t kNtlmExtendedSessionSecurity = 0x00080000;
inline constexpr std::uint32_t kNtlmTargetInfo = 0x00800000;
inline constexpr std::uint32_t kNtlmVersion = 0x02000000;
inline constexpr std::uint32_t kNtlm128 = 0x20000000;
inline constexpr std::uint32_t kNtlmKeyExchange = 0x40000000;
inline constexpr std::uint32_t kNtlm56 = 0x80000000;

[[nodiscard]] Bytes ntlm_negotiate(std::uint32_t flags);
struct NtlmChallenge {
    std::uint32_t flags = 0;
    std::array<std::uint8_t, 8> server_challenge{};
    Bytes target_info;        // AV pairs, as sent
    std::string target_name;  // UTF-8
    // From the AV pairs:
    std::string netbios_computer;
    std::string netbios_domain;
    std::string dns_computer;
    std::string dns_domain;
    std::optional<std::uint64_t> timestamp;  // MsvAvTimestamp (FILETIME)
};
[[nodiscard]] Result<NtlmChallenge> parse_ntlm_challenge(ByteView message);
struct NtlmAuthenticate {
    std::uint32_t flags = 0;
    Bytes lm_response;
    Bytes nt_response;
    std::string domain;  // UTF-8; sent as UTF-16LE
    std::string user;
    std::string workstation;
    Bytes encrypted_session_key;
};
[[nodiscard]] Bytes ntlm_authenticate(const NtlmAuthenticate& message);
// The NTLMv2 client blob ("temp" in MS-NLMP 3.3.2) that follows NTProofStr.
[[nodiscard]] Bytes ntlmv2_client_blob(std::uint64_t filetime,
                                       const std::array<std::uint8_t, 8>& client_challenge,
                                       ByteView target_info);

// --- SPNEGO (RFC 4178) around NTLMSSP ---
// The first token: GSS-API InitialContextToken with a NegTokenInit offering NTLMSSP.
[[nodiscard]] Bytes spnego_init(ByteView mech_token);
// A NegTokenResp carrying `mech_token`.
[[nodiscard]] Bytes spnego_response(ByteView mech_token);
struct SpnegoReply {
    std::optional<std::uint32_t> neg_state;  // 0 accept-completed, 1 accept-incomplete, 2 reject
    Bytes mech_token;                        // responseToken (may be empty)
};
// A server's NegTokenResp (or, as some servers send to the first request, a NegTokenInit2
// with only hints: then mech_token is empty).
[[nodiscard]] Result<SpnegoReply> parse_spnego(ByteView blob);

// --- helpers ---
[[nodiscard]] Bytes utf16le(std::string_view utf8);
[[nodiscard]] std::string from_utf16le(ByteView bytes);
[[nodiscard]] std::string upper_ascii(std::string_view text);

}  // namespace pipescope::core::smb::wire
