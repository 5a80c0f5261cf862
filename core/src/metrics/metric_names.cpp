// Label values from pipe names: the UTF-8 rule and --normalize-names.
#include <cstdint>
#include <string>
#include <string_view>

#include "pipescope/metrics.hpp"

namespace pipescope::core {
namespace {

// Length of the valid UTF-8 sequence at s[i] (1..4), or 0 when the bytes there are not one
// (stray continuation byte, truncated sequence, overlong form, surrogate, above U+10FFFF).
std::size_t utf8_sequence_length(std::string_view s, std::size_t i) {
    const auto b0 = static_cast<unsigned char>(s[i]);
    if (b0 < 0x80) return 1;
    std::size_t len = 0;
    unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
    if (b0 >= 0xC2 && b0 <= 0xDF) {
        len = 2;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
        len = 3;
        if (b0 == 0xE0) lo = 0xA0;  // overlong
        if (b0 == 0xED) hi = 0x9F;  // UTF-16 surrogates
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
        len = 4;
        if (b0 == 0xF0) lo = 0x90;  // overlong
        if (b0 == 0xF4) hi = 0x8F;  // above U+10FFFF
    } else {
        return 0;  // 0x80..0xC1 (continuation, overlong lead), 0xF5..0xFF
    }
    if (i + len > s.size()) return 0;
    const auto b1 = static_cast<unsigned char>(s[i + 1]);
    if (b1 < lo || b1 > hi) return 0;
    for (std::size_t k = 2; k < len; ++k) {
        const auto b = static_cast<unsigned char>(s[i + k]);
        if (b < 0x80 || b > 0xBF) return 0;
    }
    return len;
}

bool is_hex(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
bool is_digit(char c) {
    return c >= '0' && c <= '9';
}
bool is_alnum(char c) {
    return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// True when a GUID (8-4-4-4-12 hex digits) starts at s[i].
bool guid_at(std::string_view s, std::size_t i) {
    static constexpr int kGroups[] = {8, 4, 4, 4, 12};
    std::size_t p = i;
    for (int g = 0; g < 5; ++g) {
        if (g > 0) {
            if (p >= s.size() || s[p] != '-') return false;
            ++p;
        }
        for (int k = 0; k < kGroups[g]; ++k, ++p)
            if (p >= s.size() || !is_hex(s[p])) return false;
    }
    // Not part of a longer run of letters and digits on either side.
    if (i > 0 && is_alnum(s[i - 1])) return false;
    return p >= s.size() || !is_alnum(s[p]);
}

// One run of ASCII letters and digits, without GUIDs.
void normalize_token(std::string_view token, std::string& out) {
    bool all_hex = token.size() >= 16;
    bool any_digit = false;
    for (char c : token) {
        all_hex = all_hex && is_hex(c);
        any_digit = any_digit || is_digit(c);
    }
    if (all_hex && any_digit) {
        out += "<hex>";
        return;
    }
    for (std::size_t i = 0; i < token.size();) {
        if (is_digit(token[i])) {
            while (i < token.size() && is_digit(token[i])) ++i;
            out += "<n>";
        } else {
            out += token[i++];
        }
    }
}

}  // namespace

std::string metric_label_text(std::string_view bytes) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(bytes.size());
    for (std::size_t i = 0; i < bytes.size();) {
        const std::size_t len = bytes[i] == '\0' ? 0 : utf8_sequence_length(bytes, i);
        if (len == 0) {
            const auto b = static_cast<unsigned char>(bytes[i]);
            out += "\\x";
            out += kHex[b >> 4];
            out += kHex[b & 0xF];
            ++i;
        } else {
            out.append(bytes.substr(i, len));
            i += len;
        }
    }
    return out;
}

std::string normalize_pipe_name(std::string_view name) {
    std::string out;
    out.reserve(name.size());
    for (std::size_t i = 0; i < name.size();) {
        if (guid_at(name, i)) {
            out += "<guid>";
            i += 36;
        } else if (is_alnum(name[i])) {
            std::size_t j = i;
            while (j < name.size() && is_alnum(name[j])) ++j;
            normalize_token(name.substr(i, j - i), out);
            i = j;
        } else {
            out += name[i++];
        }
    }
    return out;
}

}  // namespace pipescope::core
