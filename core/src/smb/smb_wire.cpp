#include "smb/smb_wire.hpp"

#include <algorithm>

#include "base/utf.hpp"

namespace pipescope::core::smb::wire {
namespace {

void put8(Bytes& b, std::uint8_t v) {
    b.push_back(v);
}
void put16(Bytes& b, std::uint16_t v) {
    b.push_back(static_cast<std::uint8_t>(v));
    b.push_back(static_cast<std::uint8_t>(v >> 8));
}
void put32(Bytes& b, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) b.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}
void put64(Bytes& b, std::uint64_t v) {
    for (int i = 0; i < 8; ++i) b.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}
void put(Bytes& b, ByteView v) {
    b.insert(b.end(), v.begin(), v.end());
}
void zeros(Bytes& b, std::size_t n) {
    b.insert(b.end(), n, 0);
}
void pad_to(Bytes& b, std::size_t base, std::size_t align) {
    while ((base + b.size()) % align != 0) b.push_back(0);
}
void set16(Bytes& b, std::size_t at, std::uint16_t v) {
    b[at] = static_cast<std::uint8_t>(v);
    b[at + 1] = static_cast<std::uint8_t>(v >> 8);
}
void set32(Bytes& b, std::size_t at, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) b[at + i] = static_cast<std::uint8_t>(v >> (8 * i));
}

std::uint16_t get16(ByteView b, std::size_t at) {
    return static_cast<std::uint16_t>(b[at] | (b[at + 1] << 8));
}
std::uint32_t get32(ByteView b, std::size_t at) {
    return static_cast<std::uint32_t>(b[at]) | (static_cast<std::uint32_t>(b[at + 1]) << 8) |
           (static_cast<std::uint32_t>(b[at + 2]) << 16) |
           (static_cast<std::uint32_t>(b[at + 3]) << 24);
}
std::uint64_t get64(ByteView b, std::size_t at) {
    return static_cast<std::uint64_t>(get32(b, at)) |
           (static_cast<std::uint64_t>(get32(b, at + 4)) << 32);
}

Error malformed(std::string_view what, std::string detail) {
    return make_error(ErrorCode::Io, "SMB2 " + std::string(what), "",
                      "the server's reply is malformed: " + std::move(detail) +
                          ". Next: check that the port serves SMB2/3 (not SMB1 or another "
                          "protocol)");
}

// The body after the header, checked against the command's structure size (the fixed part,
// without the variable buffer's first byte that StructureSize counts).
Result<ByteView> body_of(ByteView message, std::string_view what, std::uint16_t structure_size) {
    if (message.size() < kHeaderSize + 2) return malformed(what, "shorter than its header");
    ByteView body = message.subspan(kHeaderSize);
    std::uint16_t size = get16(body, 0);
    if (size != structure_size)
        return malformed(what, "structure size " + std::to_string(size) + ", expected " +
                                   std::to_string(structure_size));
    std::size_t fixed = structure_size & ~std::size_t{1};
    if (body.size() < fixed) return malformed(what, "shorter than its fixed part");
    return body;
}

// A slice of `message` at an offset from the start of the SMB2 header.
Result<ByteView> slice(ByteView message, std::size_t offset, std::size_t length,
                       std::string_view what) {
    if (length == 0) return ByteView{};
    if (offset > message.size() || length > message.size() - offset)
        return malformed(what, "a buffer (offset " + std::to_string(offset) + ", length " +
                                   std::to_string(length) + ") lies outside the message");
    return message.subspan(offset, length);
}

// DER: a tag and its content, from `in` at `pos`; pos moves past it.
struct Tlv {
    std::uint8_t tag = 0;
    ByteView content;
};
std::optional<Tlv> der_next(ByteView in, std::size_t& pos) {
    if (pos + 2 > in.size()) return std::nullopt;
    Tlv t;
    t.tag = in[pos++];
    std::size_t len = in[pos++];
    if (len & 0x80) {
        std::size_t n = len & 0x7F;
        if (n == 0 || n > 4 || pos + n > in.size()) return std::nullopt;
        len = 0;
        for (std::size_t i = 0; i < n; ++i) len = (len << 8) | in[pos++];
    }
    if (len > in.size() - pos) return std::nullopt;
    t.content = in.subspan(pos, len);
    pos += len;
    return t;
}
void der_put(Bytes& out, std::uint8_t tag, ByteView content) {
    out.push_back(tag);
    std::size_t n = content.size();
    if (n < 0x80) {
        out.push_back(static_cast<std::uint8_t>(n));
    } else if (n < 0x100) {
        out.push_back(0x81);
        out.push_back(static_cast<std::uint8_t>(n));
    } else if (n < 0x10000) {
        out.push_back(0x82);
        out.push_back(static_cast<std::uint8_t>(n >> 8));
        out.push_back(static_cast<std::uint8_t>(n));
    } else {
        out.push_back(0x83);
        out.push_back(static_cast<std::uint8_t>(n >> 16));
        out.push_back(static_cast<std::uint8_t>(n >> 8));
        out.push_back(static_cast<std::uint8_t>(n));
    }
    put(out, content);
}
Bytes der(std::uint8_t tag, ByteView content) {
    Bytes out;
    der_put(out, tag, content);
    return out;
}

// 1.3.6.1.5.5.2 (SPNEGO) and 1.3.6.1.4.1.311.2.2.10 (NTLMSSP), DER-encoded with their tag.
constexpr std::uint8_t kSpnegoOid[] = {0x06, 0x06, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x02};
constexpr std::uint8_t kNtlmOid[] = {0x06, 0x0a, 0x2b, 0x06, 0x01, 0x04,
                                     0x01, 0x82, 0x37, 0x02, 0x02, 0x0a};

constexpr std::uint8_t kNtlmSignature[] = {'N', 'T', 'L', 'M', 'S', 'S', 'P', 0};

}  // namespace

Bytes utf16le(std::string_view utf8) {
    std::u16string u = detail::utf8_to_utf16(utf8);
    Bytes out;
    out.reserve(u.size() * 2);
    for (char16_t c : u) put16(out, static_cast<std::uint16_t>(c));
    return out;
}

std::string from_utf16le(ByteView bytes) {
    std::u16string u;
    u.reserve(bytes.size() / 2);
    for (std::size_t i = 0; i + 1 < bytes.size(); i += 2) u.push_back(get16(bytes, i));
    return detail::utf16_to_utf8(u);
}

std::string upper_ascii(std::string_view text) {
    std::string s(text);
    for (auto& c : s)
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    return s;
}

Bytes make_message(const Header& h, ByteView body) {
    Bytes m;
    m.reserve(kHeaderSize + body.size());
    put(m, std::array<std::uint8_t, 4>{0xFE, 'S', 'M', 'B'});
    put16(m, 64);
    put16(m, h.credit_charge);
    put32(m, h.status);
    put16(m, static_cast<std::uint16_t>(h.command));
    put16(m, h.credits);
    put32(m, h.flags);
    put32(m, h.next_command);
    put64(m, h.message_id);
    if (h.flags & kFlagAsync) {
        put64(m, h.async_id);
    } else {
        put32(m, 0xFEFF);  // ProcessId (reserved)
        put32(m, h.tree_id);
    }
    put64(m, h.session_id);
    put(m, h.signature);
    put(m, body);
    return m;
}

Result<Header> parse_header(ByteView m) {
    if (m.size() < kHeaderSize) return malformed("header", "shorter than 64 bytes");
    if (m[0] != 0xFE || m[1] != 'S' || m[2] != 'M' || m[3] != 'B')
        return malformed("header", "no SMB2 protocol id");
    if (get16(m, 4) != 64) return malformed("header", "header structure size is not 64");
    Header h;
    h.credit_charge = get16(m, 6);
    h.status = get32(m, 8);
    h.command = static_cast<Command>(get16(m, 12));
    h.credits = get16(m, 14);
    h.flags = get32(m, 16);
    h.next_command = get32(m, 20);
    h.message_id = get64(m, 24);
    if (h.flags & kFlagAsync)
        h.async_id = get64(m, 32);
    else
        h.tree_id = get32(m, 36);
    h.session_id = get64(m, 40);
    std::copy_n(m.begin() + 48, 16, h.signature.begin());
    return h;
}

std::array<std::uint8_t, 4> transport_prefix(std::size_t n) {
    return {0, static_cast<std::uint8_t>(n >> 16), static_cast<std::uint8_t>(n >> 8),
            static_cast<std::uint8_t>(n)};
}

Result<std::size_t> parse_transport_prefix(ByteView p, std::size_t max_size) {
    if (p.size() < 4) return malformed("transport", "a short frame prefix");
    if (p[0] != 0)
        return malformed("transport",
                         "the frame does not start with 0 (NetBIOS session "
                         "service framing other than a session message)");
    std::size_t n = (std::size_t{p[1]} << 16) | (std::size_t{p[2]} << 8) | p[3];
    if (n > max_size) return malformed("transport", "a frame of " + std::to_string(n) + " bytes");
    return n;
}

bool is_transform(ByteView m) {
    return m.size() >= 4 && m[0] == 0xFD && m[1] == 'S' && m[2] == 'M' && m[3] == 'B';
}

Bytes transform_header(const TransformHeader& t) {
    Bytes b;
    put(b, std::array<std::uint8_t, 4>{0xFD, 'S', 'M', 'B'});
    put(b, t.signature);
    put(b, t.nonce);
    put32(b, t.original_size);
    put16(b, 0);
    put16(b, t.flags);
    put64(b, t.session_id);
    return b;
}

Result<TransformHeader> parse_transform(ByteView m) {
    if (m.size() < kTransformSize || !is_transform(m))
        return malformed("TRANSFORM", "an encrypted message shorter than its header");
    TransformHeader t;
    std::copy_n(m.begin() + 4, 16, t.signature.begin());
    std::copy_n(m.begin() + 20, 16, t.nonce.begin());
    t.original_size = get32(m, 36);
    t.flags = get16(m, 42);
    t.session_id = get64(m, 44);
    if (t.original_size != m.size() - kTransformSize)
        return malformed("TRANSFORM", "the original size " + std::to_string(t.original_size) +
                                          " is not what follows the header");
    return t;
}

Bytes negotiate_body(const NegotiateRequest& r) {
    const bool smb311 = std::find(r.dialects.begin(), r.dialects.end(), 0x0311) != r.dialects.end();
    Bytes b;
    put16(b, 36);
    put16(b, static_cast<std::uint16_t>(r.dialects.size()));
    put16(b, r.security_mode);
    put16(b, 0);
    put32(b, r.capabilities);
    put(b, r.client_guid);
    const std::size_t context_offset_at = b.size();
    put32(b, 0);  // NegotiateContextOffset (3.1.1) or ClientStartTime
    put16(b, 0);  // NegotiateContextCount
    put16(b, 0);
    for (auto d : r.dialects) put16(b, d);
    if (!smb311) return b;
    pad_to(b, kHeaderSize, 8);
    set32(b, context_offset_at, static_cast<std::uint32_t>(kHeaderSize + b.size()));
    std::uint16_t count = 0;
    // SMB2_PREAUTH_INTEGRITY_CAPABILITIES: SHA-512 with our salt.
    put16(b, 1);
    put16(b, static_cast<std::uint16_t>(4 + 2 + r.preauth_salt.size()));
    put32(b, 0);
    put16(b, 1);
    put16(b, static_cast<std::uint16_t>(r.preauth_salt.size()));
    put16(b, 1);
    put(b, r.preauth_salt);
    ++count;
    if (r.offer_encryption) {
        pad_to(b, kHeaderSize, 8);
        put16(b, 2);
        put16(b, 2 + 2 * 2);
        put32(b, 0);
        put16(b, 2);
        put16(b, 2);  // AES-128-GCM
        put16(b, 1);  // AES-128-CCM
        ++count;
    }
    set16(b, context_offset_at + 4, count);
    return b;
}

Result<NegotiateResponse> parse_negotiate_response(ByteView m) {
    auto body = body_of(m, "NEGOTIATE", 65);
    if (!body) return body.error();
    ByteView b = *body;
    NegotiateResponse r;
    r.security_mode = get16(b, 2);
    r.dialect = get16(b, 4);
    std::uint16_t context_count = get16(b, 6);
    r.capabilities = get32(b, 24);
    r.max_transact = get32(b, 28);
    r.max_read = get32(b, 32);
    r.max_write = get32(b, 36);
    auto blob = slice(m, get16(b, 56), get16(b, 58), "NEGOTIATE");
    if (!blob) return blob.error();
    r.security_blob.assign(blob->begin(), blob->end());
    if (r.dialect != 0x0311 || context_count == 0) return r;
    std::size_t at = get32(b, 60);
    for (std::uint16_t i = 0; i < context_count; ++i) {
        at = (at + 7) & ~std::size_t{7};
        if (at > m.size() || m.size() - at < 8)
            return malformed("NEGOTIATE", "a negotiate context lies outside the message");
        std::uint16_t type = get16(m, at);
        std::uint16_t len = get16(m, at + 2);
        auto data = slice(m, at + 8, len, "NEGOTIATE");
        if (!data) return data.error();
        ByteView d = *data;
        if (type == 1 && d.size() >= 6 && get16(d, 0) >= 1) r.preauth_hash = get16(d, 4);
        if (type == 2 && d.size() >= 4 && get16(d, 0) >= 1) r.cipher = get16(d, 2);
        if (type == 8 && d.size() >= 4 && get16(d, 0) >= 1) r.signing_algorithm = get16(d, 2);
        at += 8 + len;
    }
    return r;
}

Bytes session_setup_body(ByteView blob, std::uint8_t security_mode) {
    Bytes b;
    put16(b, 25);
    put8(b, 0);  // Flags
    put8(b, security_mode);
    put32(b, 0);  // Capabilities
    put32(b, 0);  // Channel
    put16(b, static_cast<std::uint16_t>(kHeaderSize + 24));
    put16(b, static_cast<std::uint16_t>(blob.size()));
    put64(b, 0);  // PreviousSessionId
    put(b, blob);
    if (blob.empty()) put8(b, 0);
    return b;
}

Result<SessionSetupResponse> parse_session_setup_response(ByteView m) {
    auto body = body_of(m, "SESSION_SETUP", 9);
    if (!body) return body.error();
    SessionSetupResponse r;
    r.session_flags = get16(*body, 2);
    auto blob = slice(m, get16(*body, 4), get16(*body, 6), "SESSION_SETUP");
    if (!blob) return blob.error();
    r.security_blob.assign(blob->begin(), blob->end());
    return r;
}

Bytes empty_body() {
    Bytes b;
    put16(b, 4);
    put16(b, 0);
    return b;
}

Bytes tree_connect_body(std::string_view unc_path) {
    Bytes path = utf16le(unc_path);
    Bytes b;
    put16(b, 9);
    put16(b, 0);
    put16(b, static_cast<std::uint16_t>(kHeaderSize + 8));
    put16(b, static_cast<std::uint16_t>(path.size()));
    put(b, path);
    return b;
}

Result<TreeConnectResponse> parse_tree_connect_response(ByteView m) {
    auto body = body_of(m, "TREE_CONNECT", 16);
    if (!body) return body.error();
    TreeConnectResponse r;
    r.share_type = (*body)[2];
    r.share_flags = get32(*body, 4);
    r.capabilities = get32(*body, 8);
    r.maximal_access = get32(*body, 12);
    return r;
}

Bytes create_body(const CreateRequest& r) {
    Bytes name = utf16le(r.name);
    Bytes b;
    put16(b, 57);
    put8(b, 0);  // SecurityFlags
    put8(b, 0);  // RequestedOplockLevel: none
    put32(b, r.impersonation);
    put64(b, 0);  // SmbCreateFlags
    put64(b, 0);  // Reserved
    put32(b, r.desired_access);
    put32(b, 0);           // FileAttributes
    put32(b, 0x00000003);  // ShareAccess: read | write
    put32(b, 1);           // CreateDisposition: FILE_OPEN
    put32(b, 0x00000040);  // CreateOptions: FILE_NON_DIRECTORY_FILE
    put16(b, static_cast<std::uint16_t>(kHeaderSize + 56));
    put16(b, static_cast<std::uint16_t>(name.size()));
    put32(b, 0);  // CreateContextsOffset
    put32(b, 0);  // CreateContextsLength
    put(b, name);
    if (name.empty()) put8(b, 0);
    return b;
}

Result<CreateResponse> parse_create_response(ByteView m) {
    auto body = body_of(m, "CREATE", 89);
    if (!body) return body.error();
    CreateResponse r;
    r.create_action = get32(*body, 4);
    r.file_attributes = get32(*body, 56);
    std::copy_n(body->begin() + 64, 16, r.file_id.begin());
    return r;
}

Bytes close_body(const FileId& id) {
    Bytes b;
    put16(b, 24);
    put16(b, 0);
    put32(b, 0);
    put(b, id);
    return b;
}

Status parse_close_response(ByteView m) {
    auto body = body_of(m, "CLOSE", 60);
    if (!body) return body.error();
    return {};
}

Bytes read_body(const FileId& id, std::uint32_t length) {
    Bytes b;
    put16(b, 49);
    put8(b, 0x50);  // Padding: where we want the data (header + 16)
    put8(b, 0);     // Flags
    put32(b, length);
    put64(b, 0);  // Offset
    put(b, id);
    put32(b, 1);  // MinimumCount: any data at all
    put32(b, 0);  // Channel
    put32(b, 0);  // RemainingBytes
    put16(b, 0);
    put16(b, 0);
    put8(b, 0);
    return b;
}

Result<ByteView> parse_read_response(ByteView m) {
    auto body = body_of(m, "READ", 17);
    if (!body) return body.error();
    return slice(m, (*body)[2], get32(*body, 4), "READ");
}

Bytes write_body(const FileId& id, ByteView data) {
    Bytes b;
    put16(b, 49);
    put16(b, static_cast<std::uint16_t>(kHeaderSize + 48));
    put32(b, static_cast<std::uint32_t>(data.size()));
    put64(b, 0);
    put(b, id);
    put32(b, 0);  // Channel
    put32(b, 0);  // RemainingBytes
    put16(b, 0);
    put16(b, 0);
    put32(b, 0);  // Flags
    put(b, data);
    if (data.empty()) put8(b, 0);
    return b;
}

Result<std::uint32_t> parse_write_response(ByteView m) {
    auto body = body_of(m, "WRITE", 17);
    if (!body) return body.error();
    return get32(*body, 4);
}

Bytes ioctl_body(std::uint32_t ctl_code, const FileId& id, ByteView input,
                 std::uint32_t max_output) {
    Bytes b;
    put16(b, 57);
    put16(b, 0);
    put32(b, ctl_code);
    put(b, id);
    put32(b, input.empty() ? 0 : static_cast<std::uint32_t>(kHeaderSize + 56));
    put32(b, static_cast<std::uint32_t>(input.size()));
    put32(b, 0);  // MaxInputResponse
    put32(b, 0);  // OutputOffset
    put32(b, 0);  // OutputCount
    put32(b, max_output);
    put32(b, 1);  // SMB2_0_IOCTL_IS_FSCTL
    put32(b, 0);
    put(b, input);
    if (input.empty()) put8(b, 0);
    return b;
}

Result<ByteView> parse_ioctl_response(ByteView m) {
    auto body = body_of(m, "IOCTL", 49);
    if (!body) return body.error();
    return slice(m, get32(*body, 32), get32(*body, 36), "IOCTL");
}

Bytes query_info_body(const FileId& id, std::uint8_t file_info_class, std::uint32_t length) {
    Bytes b;
    put16(b, 41);
    put8(b, 1);  // SMB2_0_INFO_FILE
    put8(b, file_info_class);
    put32(b, length);
    put16(b, 0);  // InputBufferOffset
    put16(b, 0);
    put32(b, 0);  // InputBufferLength
    put32(b, 0);  // AdditionalInformation
    put32(b, 0);  // Flags
    put(b, id);
    put8(b, 0);
    return b;
}

Result<ByteView> parse_query_info_response(ByteView m) {
    auto body = body_of(m, "QUERY_INFO", 9);
    if (!body) return body.error();
    return slice(m, get16(*body, 2), get32(*body, 4), "QUERY_INFO");
}

Result<PipeLocalInformation> parse_pipe_local_information(ByteView d) {
    if (d.size() < 40) return malformed("QUERY_INFO", "FilePipeLocalInformation under 40 bytes");
    PipeLocalInformation p;
    p.type = get32(d, 0);
    p.configuration = get32(d, 4);
    p.max_instances = get32(d, 8);
    p.current_instances = get32(d, 12);
    p.in_quota = get32(d, 16);
    p.read_available = get32(d, 20);
    p.out_quota = get32(d, 24);
    p.write_available = get32(d, 28);
    p.state = get32(d, 32);
    p.end = get32(d, 36);
    return p;
}

Result<PipeInformation> parse_pipe_information(ByteView d) {
    if (d.size() < 8) return malformed("QUERY_INFO", "FilePipeInformation under 8 bytes");
    return PipeInformation{get32(d, 0), get32(d, 4)};
}

Bytes ntlm_negotiate(std::uint32_t flags) {
    Bytes b;
    put(b, kNtlmSignature);
    put32(b, 1);
    put32(b, flags);
    zeros(b, 16);  // DomainNameFields, WorkstationFields: empty
    return b;
}

Result<NtlmChallenge> parse_ntlm_challenge(ByteView m) {
    if (m.size() < 48 ||
        !std::equal(std::begin(kNtlmSignature), std::end(kNtlmSignature), m.begin()))
        return malformed("SESSION_SETUP", "no NTLMSSP challenge in the security blob");
    if (get32(m, 8) != 2) return malformed("SESSION_SETUP", "an NTLMSSP message other than 2");
    NtlmChallenge c;
    auto field = [&](std::size_t at) -> Result<ByteView> {
        return slice(m, get32(m, at + 4), get16(m, at), "SESSION_SETUP");
    };
    auto name = field(12);
    if (!name) return name.error();
    c.flags = get32(m, 20);
    c.target_name = from_utf16le(*name);
    std::copy_n(m.begin() + 24, 8, c.server_challenge.begin());
    auto info = field(40);
    if (!info) return info.error();
    c.target_info.assign(info->begin(), info->end());
    ByteView av = *info;
    for (std::size_t at = 0; at + 4 <= av.size();) {
        std::uint16_t id = get16(av, at);
        std::uint16_t len = get16(av, at + 2);
        if (id == 0) break;  // MsvAvEOL
        if (len > av.size() - at - 4)
            return malformed("SESSION_SETUP", "an NTLM AV pair runs past the target info");
        ByteView v = av.subspan(at + 4, len);
        switch (id) {
            case 1:
                c.netbios_computer = from_utf16le(v);
                break;
            case 2:
                c.netbios_domain = from_utf16le(v);
                break;
            case 3:
                c.dns_computer = from_utf16le(v);
                break;
            case 4:
                c.dns_domain = from_utf16le(v);
                break;
            case 7:
                if (len == 8) c.timestamp = get64(v, 0);
                break;
            default:
                break;
        }
        at += 4 + len;
    }
    return c;
}

Bytes ntlm_authenticate(const NtlmAuthenticate& a) {
    Bytes domain = utf16le(a.domain);
    Bytes user = utf16le(a.user);
    Bytes ws = utf16le(a.workstation);
    Bytes b;
    put(b, kNtlmSignature);
    put32(b, 3);
    constexpr std::size_t kPayload = 64;  // no Version, no MIC
    std::size_t offset = kPayload;
    auto field = [&](std::size_t len) {
        put16(b, static_cast<std::uint16_t>(len));
        put16(b, static_cast<std::uint16_t>(len));
        put32(b, static_cast<std::uint32_t>(offset));
        offset += len;
    };
    field(a.lm_response.size());
    field(a.nt_response.size());
    field(domain.size());
    field(user.size());
    field(ws.size());
    field(a.encrypted_session_key.size());
    put32(b, a.flags);
    put(b, a.lm_response);
    put(b, a.nt_response);
    put(b, domain);
    put(b, user);
    put(b, ws);
    put(b, a.encrypted_session_key);
    return b;
}

Bytes ntlmv2_client_blob(std::uint64_t filetime, const std::array<std::uint8_t, 8>& cc,
                         ByteView target_info) {
    Bytes b;
    put8(b, 1);
    put8(b, 1);
    zeros(b, 6);
    put64(b, filetime);
    put(b, cc);
    zeros(b, 4);
    put(b, target_info);
    zeros(b, 4);
    return b;
}

Bytes spnego_init(ByteView mech_token) {
    Bytes mech_types = der(0x30, kNtlmOid);  // SEQUENCE OF MechType
    Bytes init;                              // NegTokenInit ::= SEQUENCE
    der_put(init, 0xA0, mech_types);
    der_put(init, 0xA2, der(0x04, mech_token));
    Bytes neg = der(0xA0, der(0x30, init));  // NegotiationToken: [0] negTokenInit
    Bytes app;
    put(app, kSpnegoOid);
    put(app, neg);
    return der(0x60, app);
}

Bytes spnego_response(ByteView mech_token) {
    Bytes resp;  // NegTokenResp ::= SEQUENCE
    der_put(resp, 0xA2, der(0x04, mech_token));
    return der(0xA1, der(0x30, resp));
}

Result<SpnegoReply> parse_spnego(ByteView blob) {
    SpnegoReply r;
    std::size_t pos = 0;
    auto outer = der_next(blob, pos);
    if (!outer) return malformed("SESSION_SETUP", "the security blob is not DER");
    ByteView inner = outer->content;
    if (outer->tag == 0x60) {  // GSS-API wrapper (NegTokenInit2 hints): skip the OID
        std::size_t p = 0;
        auto oid = der_next(inner, p);
        auto tok = der_next(inner, p);
        if (!oid || !tok) return malformed("SESSION_SETUP", "a bad GSS-API token");
        if (tok->tag != 0xA0) return malformed("SESSION_SETUP", "not a SPNEGO token");
        return r;  // hints only
    }
    if (outer->tag == 0xA0) return r;  // bare NegTokenInit: hints only
    if (outer->tag != 0xA1) return malformed("SESSION_SETUP", "not a SPNEGO NegTokenResp");
    std::size_t p = 0;
    auto seq = der_next(inner, p);
    if (!seq || seq->tag != 0x30) return malformed("SESSION_SETUP", "a bad NegTokenResp");
    std::size_t q = 0;
    while (q < seq->content.size()) {
        auto item = der_next(seq->content, q);
        if (!item) return malformed("SESSION_SETUP", "a bad NegTokenResp field");
        std::size_t k = 0;
        auto value = der_next(item->content, k);
        if (!value) return malformed("SESSION_SETUP", "a bad NegTokenResp value");
        if (item->tag == 0xA0 && value->tag == 0x0A && value->content.size() == 1)
            r.neg_state = value->content[0];
        if (item->tag == 0xA2 && value->tag == 0x04)
            r.mech_token.assign(value->content.begin(), value->content.end());
    }
    return r;
}

}  // namespace pipescope::core::smb::wire
