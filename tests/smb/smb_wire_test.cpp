// The SMB client's portable parts: wire builders and the parsers of server replies, user names
// and the password file. Runs on every platform.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "pipescope/smb.hpp"
#include "smb/smb_wire.hpp"

namespace pipescope::core::smb {
namespace {

using wire::Bytes;
using wire::ByteView;

ByteView view(const Bytes& b) {
    return ByteView(b.data(), b.size());
}

void put16(Bytes& b, std::size_t at, std::uint16_t v) {
    b[at] = static_cast<std::uint8_t>(v);
    b[at + 1] = static_cast<std::uint8_t>(v >> 8);
}
void put32(Bytes& b, std::size_t at, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) b[at + i] = static_cast<std::uint8_t>(v >> (8 * i));
}

// A server reply: header with `status`, then `body`.
Bytes reply(wire::Command command, std::uint32_t status, const Bytes& body) {
    wire::Header h;
    h.command = command;
    h.status = status;
    h.flags = wire::kFlagServerToRedir;
    h.message_id = 7;
    h.session_id = 0x1122334455667788ull;
    h.tree_id = 5;
    return wire::make_message(h, view(body));
}

TEST(SmbWire, HeaderRoundTrips) {
    auto m = reply(wire::Command::Read, 0x80000005u, Bytes{17, 0});
    auto h = wire::parse_header(view(m));
    ASSERT_TRUE(h) << h.error().to_string();
    EXPECT_EQ(h->command, wire::Command::Read);
    EXPECT_EQ(h->status, 0x80000005u);
    EXPECT_EQ(h->message_id, 7u);
    EXPECT_EQ(h->tree_id, 5u);
    EXPECT_EQ(h->session_id, 0x1122334455667788ull);
}

TEST(SmbWire, HeaderRejectsSmb1AndShortMessages) {
    auto m = reply(wire::Command::Read, 0, Bytes{17, 0});
    m[0] = 0xFF;  // SMB1's protocol id
    EXPECT_FALSE(wire::parse_header(view(m)));
    EXPECT_FALSE(wire::parse_header(ByteView(m.data(), 63)));
}

TEST(SmbWire, TransportPrefixRoundTripsAndRejectsOtherFraming) {
    auto p = wire::transport_prefix(0x012345);
    auto n = wire::parse_transport_prefix(p, 1 << 24);
    ASSERT_TRUE(n);
    EXPECT_EQ(*n, 0x012345u);
    EXPECT_FALSE(wire::parse_transport_prefix(p, 0x1000));  // over the caller's limit
    p[0] = 0x85;                                            // NetBIOS keep-alive
    EXPECT_FALSE(wire::parse_transport_prefix(p, 1 << 24));
}

Bytes negotiate_reply_body(std::uint16_t dialect) {
    Bytes b(64, 0);
    put16(b, 0, 65);
    put16(b, 2, wire::kSigningEnabled | wire::kSigningRequired);
    put16(b, 4, dialect);
    put32(b, 28, 8 << 20);
    put32(b, 32, 8 << 20);
    put32(b, 36, 8 << 20);
    if (dialect == 0x0311) {
        put16(b, 6, 2);                        // two contexts
        put32(b, 60, wire::kHeaderSize + 64);  // at the end of the fixed part (8-aligned)
        Bytes ctx = {1, 0, 38, 0, 0, 0, 0, 0, 1, 0, 32, 0, 1, 0};  // preauth: SHA-512
        ctx.resize(8 + 38, 0xAB);
        while (ctx.size() % 8) ctx.push_back(0);
        Bytes cipher = {2, 0, 4, 0, 0, 0, 0, 0, 1, 0, 2, 0};  // AES-128-GCM
        b.insert(b.end(), ctx.begin(), ctx.end());
        b.insert(b.end(), cipher.begin(), cipher.end());
    }
    return b;
}

TEST(SmbWire, NegotiateReplyGivesDialectSigningAndContexts) {
    auto m = reply(wire::Command::Negotiate, 0, negotiate_reply_body(0x0311));
    auto r = wire::parse_negotiate_response(view(m));
    ASSERT_TRUE(r) << r.error().to_string();
    EXPECT_EQ(r->dialect, 0x0311);
    EXPECT_TRUE(r->security_mode & wire::kSigningRequired);
    EXPECT_EQ(r->max_read, 8u << 20);
    EXPECT_EQ(r->preauth_hash, std::uint16_t{1});
    EXPECT_EQ(r->cipher, std::uint16_t{2});
}

TEST(SmbWire, NegotiateReplyWithAContextPastTheEndIsMalformed) {
    auto body = negotiate_reply_body(0x0311);
    put16(body, 6, 3);  // claims a third context that is not there
    auto m = reply(wire::Command::Negotiate, 0, body);
    auto r = wire::parse_negotiate_response(view(m));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::Io);
}

TEST(SmbWire, NegotiateReplyWithABlobOutsideTheMessageIsMalformed) {
    auto body = negotiate_reply_body(0x0210);
    put16(body, 56, 128);
    put16(body, 58, 4000);
    auto m = reply(wire::Command::Negotiate, 0, body);
    EXPECT_FALSE(wire::parse_negotiate_response(view(m)));
}

TEST(SmbWire, ReadReplyDataIsASliceAndChecked) {
    Bytes body(16, 0);
    put16(body, 0, 17);
    body[2] = 0x50;
    put32(body, 4, 3);
    body.insert(body.end(), {'a', 'b', 'c'});
    auto m = reply(wire::Command::Read, 0, body);
    auto d = wire::parse_read_response(view(m));
    ASSERT_TRUE(d) << d.error().to_string();
    ASSERT_EQ(d->size(), 3u);
    EXPECT_EQ((*d)[2], 'c');
    put32(body, 4, 4);  // one byte more than there is
    auto bad = reply(wire::Command::Read, 0, body);
    EXPECT_FALSE(wire::parse_read_response(view(bad)));
}

TEST(SmbWire, WrongStructureSizeIsMalformed) {
    Bytes body(16, 0);
    put16(body, 0, 16);  // READ's is 17
    auto m = reply(wire::Command::Read, 0, body);
    EXPECT_FALSE(wire::parse_read_response(view(m)));
}

TEST(SmbWire, PipeLocalInformationGivesTypeAndInstances) {
    Bytes d(40, 0);
    put32(d, 0, 1);
    put32(d, 8, 0xFFFFFFFFu);
    put32(d, 12, 2);
    auto p = wire::parse_pipe_local_information(view(d));
    ASSERT_TRUE(p);
    EXPECT_EQ(p->type, 1u);
    EXPECT_EQ(p->max_instances, 0xFFFFFFFFu);
    EXPECT_EQ(p->current_instances, 2u);
    EXPECT_FALSE(wire::parse_pipe_local_information(ByteView(d.data(), 39)));
}

Bytes challenge_message(bool with_timestamp) {
    Bytes info;
    auto av = [&](std::uint16_t id, const Bytes& v) {
        Bytes h(4, 0);
        put16(h, 0, id);
        put16(h, 2, static_cast<std::uint16_t>(v.size()));
        info.insert(info.end(), h.begin(), h.end());
        info.insert(info.end(), v.begin(), v.end());
    };
    av(2, wire::utf16le("PSTEST"));
    av(1, wire::utf16le("PSTESTSRV"));
    if (with_timestamp) av(7, Bytes{1, 2, 3, 4, 5, 6, 7, 8});
    av(0, {});
    Bytes m(48, 0);
    const char sig[] = "NTLMSSP";
    std::copy(sig, sig + 8, m.begin());
    put32(m, 8, 2);
    put32(m, 20, wire::kNtlmUnicode | wire::kNtlmTargetInfo);
    for (int i = 0; i < 8; ++i) m[24 + i] = static_cast<std::uint8_t>(0xC0 + i);
    put16(m, 40, static_cast<std::uint16_t>(info.size()));
    put16(m, 42, static_cast<std::uint16_t>(info.size()));
    put32(m, 44, 48);
    m.insert(m.end(), info.begin(), info.end());
    return m;
}

TEST(SmbWire, NtlmChallengeGivesServerNamesAndTimestamp) {
    auto m = challenge_message(true);
    auto c = wire::parse_ntlm_challenge(view(m));
    ASSERT_TRUE(c) << c.error().to_string();
    EXPECT_EQ(c->netbios_domain, "PSTEST");
    EXPECT_EQ(c->netbios_computer, "PSTESTSRV");
    EXPECT_EQ(c->server_challenge[7], 0xC7);
    ASSERT_TRUE(c->timestamp);
    EXPECT_EQ(*c->timestamp, 0x0807060504030201ull);
    EXPECT_FALSE(wire::parse_ntlm_challenge(view(challenge_message(false)))->timestamp);
}

TEST(SmbWire, NtlmChallengeWithAPairPastItsEndIsMalformed) {
    auto m = challenge_message(false);
    put16(m, 48 + 2, 500);  // the first AV pair claims 500 bytes
    EXPECT_FALSE(wire::parse_ntlm_challenge(view(m)));
    auto n = challenge_message(false);
    put32(n, 44, 4000);  // target info outside the message
    EXPECT_FALSE(wire::parse_ntlm_challenge(view(n)));
}

TEST(SmbWire, SpnegoResponseTokenRoundTrips) {
    Bytes token(300, 0x5A);  // long enough for a two-byte DER length
    auto blob = wire::spnego_response(view(token));
    auto r = wire::parse_spnego(view(blob));
    ASSERT_TRUE(r) << r.error().to_string();
    EXPECT_EQ(r->mech_token, token);
    blob.resize(blob.size() - 1);  // cut short
    EXPECT_FALSE(wire::parse_spnego(view(blob)));
}

TEST(SmbWire, SpnegoInitIsAGssApiToken) {
    auto blob = wire::spnego_init(view(Bytes{1, 2, 3}));
    ASSERT_GT(blob.size(), 20u);
    EXPECT_EQ(blob[0], 0x60);
    auto r = wire::parse_spnego(view(blob));  // a server's NegTokenInit2 has the same shape
    ASSERT_TRUE(r);
    EXPECT_TRUE(r->mech_token.empty());
}

TEST(SmbNames, DialectsHaveTheirVersionNames) {
    EXPECT_EQ(to_string(Dialect::Smb311), "3.1.1");
    EXPECT_EQ(to_string(Dialect::Smb210), "2.1");
    EXPECT_EQ(to_string(static_cast<Dialect>(0x02FF)), "0x02ff");
}

TEST(SmbNames, UserParsesEveryForm) {
    auto a = parse_user("CORP\\alice");
    ASSERT_TRUE(a);
    EXPECT_EQ(a->domain, "CORP");
    EXPECT_EQ(a->user, "alice");
    auto b = parse_user("bob@corp.example");
    ASSERT_TRUE(b);
    EXPECT_EQ(b->domain, "corp.example");
    EXPECT_EQ(b->user, "bob");
    auto c = parse_user("carol");
    ASSERT_TRUE(c);
    EXPECT_TRUE(c->domain.empty());
    EXPECT_TRUE(parse_user("")->anonymous());
    EXPECT_FALSE(parse_user("CORP\\"));
    EXPECT_FALSE(parse_user("a\\b\\c"));
}

TEST(SmbNames, PasswordFileGivesTheFirstLineWithoutItsEnd) {
    const auto path =
        (std::filesystem::temp_directory_path() / "pipescope-smb-password-test.txt").string();
    std::ofstream(path, std::ios::binary) << "s3cret-Value\r\nsecond line\n";
    auto p = read_password_file(path);
    std::remove(path.c_str());
    ASSERT_TRUE(p);
    EXPECT_EQ(*p, "s3cret-Value");
    auto missing = read_password_file(path);
    ASSERT_FALSE(missing);
    EXPECT_NE(missing.error().to_string().find(path), std::string::npos);
}

}  // namespace
}  // namespace pipescope::core::smb
