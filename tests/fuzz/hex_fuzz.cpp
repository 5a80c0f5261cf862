// Hex typed into a client or server session: parse_hex, to_hex, escape_bytes, UTF-16.
#include <vector>

#include "fuzz_check.hpp"
#include "pipescope/hex.hpp"

using namespace pipescope::core;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    pipescope::fuzz::no_throw([&] {
        const auto text = pipescope::fuzz::as_text(data, size);

        // Text -> bytes: at most one byte per two characters; formatting and parsing again
        // gives the same bytes.
        auto bytes = parse_hex(text);
        if (bytes) {
            FUZZ_CHECK(bytes->size() <= size / 2);
            const std::string canonical = to_hex(*bytes);
            auto again = parse_hex(canonical);
            FUZZ_CHECK(again.ok());
            FUZZ_CHECK(*again == *bytes);
        } else {
            FUZZ_CHECK(bytes.error().code == ErrorCode::InvalidArgument);
            FUZZ_CHECK(bytes.error().message.find("position") != std::string::npos);
        }

        // Any bytes -> hex -> the same bytes; the display escape is printable ASCII only.
        const std::span<const std::byte> raw(reinterpret_cast<const std::byte*>(data), size);
        const std::string hex = to_hex(raw);
        FUZZ_CHECK(hex.size() == (size ? size * 3 - 1 : 0));
        auto back = parse_hex(hex);
        FUZZ_CHECK(back.ok());
        FUZZ_CHECK(std::equal(back->begin(), back->end(), raw.begin(), raw.end()));
        const std::string shown = escape_bytes(raw);
        FUZZ_CHECK(shown.size() >= size && shown.size() <= size * 4);
        for (unsigned char c : shown) FUZZ_CHECK(c >= 0x20 && c < 0x7F);

        // UTF-8 -> UTF-16LE: whole code units, at most two bytes per input byte.
        auto wide = utf8_to_utf16le(text);
        if (wide) {
            FUZZ_CHECK(wide->size() % 2 == 0);
            FUZZ_CHECK(wide->size() <= size * 2);
        } else {
            FUZZ_CHECK(wide.error().message.find("byte") != std::string::npos);
        }
    });
    return 0;
}
