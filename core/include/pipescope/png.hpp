// A small PNG encoder of our own (stored deflate blocks: no compression library needed),
// used for screenshots. Any thread.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "pipescope/result.hpp"

namespace pipescope::core {

// Encodes 8-bit RGBA pixels, rows top to bottom, into a PNG file image.
[[nodiscard]] std::vector<std::uint8_t> encode_png_rgba(std::span<const std::uint8_t> rgba,
                                                        std::uint32_t width, std::uint32_t height);
// Encodes and writes the PNG (through a temporary file and a rename).
Status write_png_rgba(const std::string& path, std::span<const std::uint8_t> rgba,
                      std::uint32_t width, std::uint32_t height);

// CRC-32 (PNG / zlib polynomial) and Adler-32, exposed for tests.
[[nodiscard]] std::uint32_t crc32(std::span<const std::uint8_t> data, std::uint32_t crc = 0);
[[nodiscard]] std::uint32_t adler32(std::span<const std::uint8_t> data);

}  // namespace pipescope::core
