// The cryptography the SMB client needs, from Debian's nettle: MD4 and HMAC-MD5 for NTLMv2,
// HMAC-SHA256 (SMB 2.x signing and the SP800-108 KDF), AES-128-CMAC (SMB 3.x signing) and
// SHA-512 (3.1.1 pre-authentication integrity). POSIX only (the Windows build has no nettle and
// uses the OS redirector). Any thread.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace pipescope::core::smb::crypto {

using ByteView = std::span<const std::uint8_t>;
using Key16 = std::array<std::uint8_t, 16>;
using Hash512 = std::array<std::uint8_t, 64>;

[[nodiscard]] Key16 md4(ByteView data);
[[nodiscard]] Key16 hmac_md5(ByteView key, std::initializer_list<ByteView> parts);
[[nodiscard]] std::array<std::uint8_t, 32> hmac_sha256(ByteView key,
                                                       std::initializer_list<ByteView> parts);
[[nodiscard]] Key16 aes_cmac(const Key16& key, ByteView data);
// SHA-512(previous || message): one step of the 3.1.1 pre-authentication hash.
[[nodiscard]] Hash512 sha512_chain(const Hash512& previous, ByteView message);
// SP800-108 counter-mode KDF with HMAC-SHA256, L = 128 (MS-SMB2 3.1.4.2). `label` and `context`
// as MS-SMB2 gives them, the label with its terminating NUL.
[[nodiscard]] Key16 smb3_kdf(const Key16& key, ByteView label, ByteView context);
// SMB3 encryption's AEAD: AES-128-CCM (nonce 11 bytes) or AES-128-GCM (nonce 12 bytes) with
// a 16-byte tag. seal() encrypts `data` in place and gives the tag; open() decrypts in place and
// says whether the tag matched (on a mismatch `data` is garbage).
enum class Cipher { Aes128Ccm = 1, Aes128Gcm = 2 };
[[nodiscard]] Key16 aead_seal(Cipher cipher, const Key16& key, ByteView nonce, ByteView aad,
                              std::span<std::uint8_t> data);
[[nodiscard]] bool aead_open(Cipher cipher, const Key16& key, ByteView nonce, ByteView aad,
                             std::span<std::uint8_t> data, const Key16& tag);
// RC4 in place (NTLM's key exchange only).
void rc4(const Key16& key, std::span<std::uint8_t> data);
// Random bytes from getrandom(2).
void random_bytes(std::span<std::uint8_t> out);

}  // namespace pipescope::core::smb::crypto
