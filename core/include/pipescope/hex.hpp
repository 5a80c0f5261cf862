// Turning user input into bytes and bytes into text: hex, UTF-8 and UTF-16LE. Portable, pure
// functions; any thread.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "pipescope/result.hpp"

namespace pipescope::core {

// Parses hex such as "48 65 6c", "48656C", "0x48,0x65" or "48:65"; separators (space, tab,
// newline, ',', ':', '-') and "0x" prefixes are skipped. An odd digit count or a non-hex
// character is an InvalidArgument error that names the position.
[[nodiscard]] Result<std::vector<std::byte>> parse_hex(std::string_view text);
// "48 65 6c" (lower case, `separator` between bytes: one space unless told otherwise; "" gives
// "48656c").
[[nodiscard]] std::string to_hex(std::span<const std::byte> bytes,
                                 std::string_view separator = " ");
// UTF-8 to UTF-16LE bytes; invalid UTF-8 is an InvalidArgument error naming the offset.
[[nodiscard]] Result<std::vector<std::byte>> utf8_to_utf16le(std::string_view text);
// The bytes of a string, unchanged.
[[nodiscard]] std::vector<std::byte> to_bytes(std::string_view text);
// Bytes as text for display: printable ASCII kept, others as \xNN, \n \r \t escaped.
[[nodiscard]] std::string escape_bytes(std::span<const std::byte> bytes);

}  // namespace pipescope::core
