#include "smb/posix/smb_crypto.hpp"

#include <nettle/arcfour.h>
#include <nettle/ccm.h>
#include <nettle/cmac.h>
#include <nettle/gcm.h>
#include <nettle/hmac.h>
#include <nettle/md4.h>
#include <nettle/memops.h>
#include <nettle/sha2.h>
#include <sys/random.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>

namespace pipescope::core::smb::crypto {

Key16 md4(ByteView data) {
    md4_ctx ctx;
    md4_init(&ctx);
    md4_update(&ctx, data.size(), data.data());
    Key16 out;
    md4_digest(&ctx, out.size(), out.data());
    return out;
}

Key16 hmac_md5(ByteView key, std::initializer_list<ByteView> parts) {
    hmac_md5_ctx ctx;
    hmac_md5_set_key(&ctx, key.size(), key.data());
    for (auto p : parts) hmac_md5_update(&ctx, p.size(), p.data());
    Key16 out;
    hmac_md5_digest(&ctx, out.size(), out.data());
    return out;
}

std::array<std::uint8_t, 32> hmac_sha256(ByteView key, std::initializer_list<ByteView> parts) {
    hmac_sha256_ctx ctx;
    hmac_sha256_set_key(&ctx, key.size(), key.data());
    for (auto p : parts) hmac_sha256_update(&ctx, p.size(), p.data());
    std::array<std::uint8_t, 32> out;
    hmac_sha256_digest(&ctx, out.size(), out.data());
    return out;
}

Key16 aes_cmac(const Key16& key, ByteView data) {
    cmac_aes128_ctx ctx;
    cmac_aes128_set_key(&ctx, key.data());
    cmac_aes128_update(&ctx, data.size(), data.data());
    Key16 out;
    cmac_aes128_digest(&ctx, out.size(), out.data());
    return out;
}

Hash512 sha512_chain(const Hash512& previous, ByteView message) {
    sha512_ctx ctx;
    sha512_init(&ctx);
    sha512_update(&ctx, previous.size(), previous.data());
    sha512_update(&ctx, message.size(), message.data());
    Hash512 out;
    sha512_digest(&ctx, out.size(), out.data());
    return out;
}

Key16 smb3_kdf(const Key16& key, ByteView label, ByteView context) {
    const std::uint8_t counter[4] = {0, 0, 0, 1};
    const std::uint8_t separator[1] = {0};
    const std::uint8_t length[4] = {0, 0, 0, 128};
    auto full = hmac_sha256(key, {counter, label, separator, context, length});
    Key16 out;
    std::copy_n(full.begin(), out.size(), out.begin());
    return out;
}

namespace {

// Runs the cipher over `data` in place (encrypting or decrypting) and gives the tag.
Key16 aead_run(Cipher cipher, const Key16& key, ByteView nonce, ByteView aad,
               std::span<std::uint8_t> data, bool encrypt) {
    Key16 tag{};
    if (cipher == Cipher::Aes128Gcm) {
        gcm_aes128_ctx ctx;
        gcm_aes128_set_key(&ctx, key.data());
        gcm_aes128_set_iv(&ctx, nonce.size(), nonce.data());
        gcm_aes128_update(&ctx, aad.size(), aad.data());
        if (encrypt)
            gcm_aes128_encrypt(&ctx, data.size(), data.data(), data.data());
        else
            gcm_aes128_decrypt(&ctx, data.size(), data.data(), data.data());
        gcm_aes128_digest(&ctx, tag.size(), tag.data());
    } else {
        ccm_aes128_ctx ctx;
        ccm_aes128_set_key(&ctx, key.data());
        ccm_aes128_set_nonce(&ctx, nonce.size(), nonce.data(), aad.size(), data.size(), tag.size());
        ccm_aes128_update(&ctx, aad.size(), aad.data());
        if (encrypt)
            ccm_aes128_encrypt(&ctx, data.size(), data.data(), data.data());
        else
            ccm_aes128_decrypt(&ctx, data.size(), data.data(), data.data());
        ccm_aes128_digest(&ctx, tag.size(), tag.data());
    }
    return tag;
}

}  // namespace

Key16 aead_seal(Cipher cipher, const Key16& key, ByteView nonce, ByteView aad,
                std::span<std::uint8_t> data) {
    return aead_run(cipher, key, nonce, aad, data, true);
}

bool aead_open(Cipher cipher, const Key16& key, ByteView nonce, ByteView aad,
               std::span<std::uint8_t> data, const Key16& tag) {
    Key16 computed = aead_run(cipher, key, nonce, aad, data, false);
    return memeql_sec(computed.data(), tag.data(), tag.size()) != 0;
}

void rc4(const Key16& key, std::span<std::uint8_t> data) {
    arcfour_ctx ctx;
    arcfour_set_key(&ctx, key.size(), key.data());
    arcfour_crypt(&ctx, data.size(), data.data(), data.data());
}

void random_bytes(std::span<std::uint8_t> out) {
    std::size_t done = 0;
    while (done < out.size()) {
        ssize_t n = ::getrandom(out.data() + done, out.size() - done, 0);
        if (n < 0) {
            if (errno == EINTR) continue;
            std::abort();  // no entropy source: nothing safe to do
        }
        done += static_cast<std::size_t>(n);
    }
}

}  // namespace pipescope::core::smb::crypto
