#include "pipescope/hex.hpp"

namespace pipescope::core {
namespace {

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

bool is_separator(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ',' || c == ':' || c == '-';
}

Error bad_input(std::string api, std::string message) {
    return make_error(ErrorCode::InvalidArgument, std::move(api), "input", std::move(message));
}

}  // namespace

Result<std::vector<std::byte>> parse_hex(std::string_view text) {
    std::vector<std::byte> out;
    out.reserve(text.size() / 2);
    int high = -1;
    std::size_t high_pos = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (high < 0 && c == '0' && i + 1 < text.size() &&
            (text[i + 1] == 'x' || text[i + 1] == 'X')) {
            ++i;
            continue;
        }
        if (is_separator(c)) {
            if (high >= 0) {
                return bad_input("parse_hex", "a lone hex digit at position " +
                                                  std::to_string(high_pos + 1) +
                                                  ". Next: write every byte as two digits (0a)");
            }
            continue;
        }
        int v = hex_value(c);
        if (v < 0) {
            return bad_input("parse_hex", std::string("'") + c + "' at position " +
                                              std::to_string(i + 1) +
                                              " is not a hex digit. Next: use 0-9 and a-f only");
        }
        if (high < 0) {
            high = v;
            high_pos = i;
        } else {
            out.push_back(static_cast<std::byte>(high * 16 + v));
            high = -1;
        }
    }
    if (high >= 0) {
        return bad_input("parse_hex",
                         "an odd number of hex digits (the last one, at position " +
                             std::to_string(high_pos + 1) +
                             ", has no partner). Next: write every byte as two digits");
    }
    return out;
}

std::string to_hex(std::span<const std::byte> bytes, std::string_view separator) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string s;
    s.reserve(bytes.size() * (2 + separator.size()));
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        if (i) s.append(separator);
        auto b = static_cast<unsigned>(bytes[i]);
        s.push_back(kDigits[b >> 4]);
        s.push_back(kDigits[b & 15]);
    }
    return s;
}

Result<std::vector<std::byte>> utf8_to_utf16le(std::string_view text) {
    std::vector<std::byte> out;
    out.reserve(text.size() * 2);
    auto put = [&](unsigned unit) {
        out.push_back(static_cast<std::byte>(unit & 0xFF));
        out.push_back(static_cast<std::byte>(unit >> 8));
    };
    for (std::size_t i = 0; i < text.size();) {
        auto c = static_cast<unsigned char>(text[i]);
        unsigned cp;
        std::size_t len;
        if (c < 0x80) {
            cp = c;
            len = 1;
        } else if ((c & 0xE0) == 0xC0) {
            cp = c & 0x1F;
            len = 2;
        } else if ((c & 0xF0) == 0xE0) {
            cp = c & 0x0F;
            len = 3;
        } else if ((c & 0xF8) == 0xF0) {
            cp = c & 0x07;
            len = 4;
        } else {
            return bad_input("utf8_to_utf16le", "invalid UTF-8 at byte " + std::to_string(i) +
                                                    ". Next: send it as hex instead");
        }
        if (i + len > text.size()) {
            return bad_input("utf8_to_utf16le", "truncated UTF-8 sequence at byte " +
                                                    std::to_string(i) + ". Next: send it as hex");
        }
        for (std::size_t k = 1; k < len; ++k) {
            auto cc = static_cast<unsigned char>(text[i + k]);
            if ((cc & 0xC0) != 0x80) {
                return bad_input("utf8_to_utf16le", "invalid UTF-8 at byte " +
                                                        std::to_string(i + k) +
                                                        ". Next: send it as hex instead");
            }
            cp = (cp << 6) | (cc & 0x3F);
        }
        static constexpr unsigned kMin[] = {0, 0, 0x80, 0x800, 0x10000};
        if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
            return bad_input("utf8_to_utf16le", "invalid code point at byte " + std::to_string(i) +
                                                    ". Next: send it as hex instead");
        }
        if (cp >= 0x10000) {
            cp -= 0x10000;
            put(0xD800 + (cp >> 10));
            put(0xDC00 + (cp & 0x3FF));
        } else {
            put(cp);
        }
        i += len;
    }
    return out;
}

std::vector<std::byte> to_bytes(std::string_view text) {
    auto* p = reinterpret_cast<const std::byte*>(text.data());
    return {p, p + text.size()};
}

std::string escape_bytes(std::span<const std::byte> bytes) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string s;
    s.reserve(bytes.size());
    for (auto b : bytes) {
        auto c = static_cast<unsigned char>(b);
        if (c == '\n')
            s += "\\n";
        else if (c == '\r')
            s += "\\r";
        else if (c == '\t')
            s += "\\t";
        else if (c == '\\')
            s += "\\\\";
        else if (c >= 0x20 && c < 0x7F)
            s.push_back(static_cast<char>(c));
        else {
            s += "\\x";
            s.push_back(kDigits[c >> 4]);
            s.push_back(kDigits[c & 15]);
        }
    }
    return s;
}

}  // namespace pipescope::core
