#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

#include <gtest/gtest.h>

#include "pipescope/png.hpp"

using namespace pipescope::core;

namespace {

std::uint32_t be32(const std::uint8_t* p) {
    return (std::uint32_t(p[0]) << 24) | (std::uint32_t(p[1]) << 16) | (std::uint32_t(p[2]) << 8) |
           p[3];
}

// Decodes the PNGs we write (stored deflate blocks) back into RGBA, checking every CRC.
std::vector<std::uint8_t> decode_stored_png(const std::vector<std::uint8_t>& png, std::uint32_t& w,
                                            std::uint32_t& h) {
    const std::uint8_t sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    EXPECT_EQ(std::memcmp(png.data(), sig, 8), 0);
    std::size_t pos = 8;
    std::vector<std::uint8_t> idat;
    while (pos + 12 <= png.size()) {
        std::uint32_t len = be32(&png[pos]);
        std::string type(reinterpret_cast<const char*>(&png[pos + 4]), 4);
        const std::uint8_t* data = &png[pos + 8];
        std::uint32_t crc = be32(data + len);
        EXPECT_EQ(crc, crc32(std::span<const std::uint8_t>(&png[pos + 4], len + 4))) << type;
        if (type == "IHDR") {
            w = be32(data);
            h = be32(data + 4);
        }
        if (type == "IDAT") idat.insert(idat.end(), data, data + len);
        pos += 12 + len;
    }
    std::vector<std::uint8_t> raw;
    std::size_t z = 2;
    for (;;) {
        bool last = idat[z] & 1;
        std::size_t n = idat[z + 1] | (idat[z + 2] << 8);
        std::size_t nn = idat[z + 3] | (idat[z + 4] << 8);
        EXPECT_EQ(n ^ 0xFFFFu, nn);
        raw.insert(raw.end(), idat.begin() + z + 5, idat.begin() + z + 5 + n);
        z += 5 + n;
        if (last) break;
    }
    EXPECT_EQ(be32(&idat[z]), adler32(raw));
    std::vector<std::uint8_t> rgba;
    for (std::uint32_t y = 0; y < h; ++y) {
        EXPECT_EQ(raw[y * (w * 4 + 1)], 0);  // filter type none
        auto row = raw.begin() + y * (w * 4 + 1) + 1;
        rgba.insert(rgba.end(), row, row + w * 4);
    }
    return rgba;
}

TEST(Png, KnownChecksums) {
    const char* text = "123456789";
    std::span<const std::uint8_t> s(reinterpret_cast<const std::uint8_t*>(text), 9);
    EXPECT_EQ(crc32(s), 0xCBF43926u);
    EXPECT_EQ(adler32(s), 0x091E01DEu);
}

TEST(Png, RoundTripsPixelsAcrossSeveralDeflateBlocks) {
    const std::uint32_t w = 300, h = 120;  // 144,120 raw bytes: three stored blocks
    std::vector<std::uint8_t> rgba(w * h * 4);
    for (std::size_t i = 0; i < rgba.size(); ++i)
        rgba[i] = static_cast<std::uint8_t>(i * 31 + i / 7);
    auto png = encode_png_rgba(rgba, w, h);
    std::uint32_t dw = 0, dh = 0;
    auto back = decode_stored_png(png, dw, dh);
    EXPECT_EQ(dw, w);
    EXPECT_EQ(dh, h);
    EXPECT_EQ(back, rgba);
}

TEST(Png, WritesAFileAtomically) {
    auto dir = std::filesystem::temp_directory_path() / "pipescope-tests";
    std::filesystem::create_directories(dir);
    auto path = dir / "tiny.png";
    std::vector<std::uint8_t> rgba = {255, 0, 0, 255, 0, 255, 0, 255};
    ASSERT_TRUE(write_png_rgba(path.string(), rgba, 2, 1).ok());

    std::ifstream in(path, std::ios::binary);
    std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(in)), {});
    std::uint32_t w = 0, h = 0;
    EXPECT_EQ(decode_stored_png(bytes, w, h), rgba);
}

TEST(Png, RejectsShortBuffers) {
    std::vector<std::uint8_t> rgba(4);
    auto st = write_png_rgba("unused.png", rgba, 2, 2);
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error().code, ErrorCode::InvalidArgument);
}

TEST(Png, MissingFolderIsAClearError) {
    std::vector<std::uint8_t> rgba(4);
    auto st = write_png_rgba("/no/such/folder/x.png", rgba, 1, 1);
    ASSERT_FALSE(st.ok());
    EXPECT_NE(st.error().to_string().find("x.png"), std::string::npos) << st.error().to_string();
    EXPECT_NE(st.error().to_string().find("Next:"), std::string::npos) << st.error().to_string();
}

}  // namespace
