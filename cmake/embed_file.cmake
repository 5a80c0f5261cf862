# Turns a binary file into a C++ source with a byte array, at build time.
# cmake -DINPUT=font.otf -DOUTPUT=font.cpp -DSYMBOL=inter_regular -P embed_file.cmake
# The array is reachable as pipescope::assets::SYMBOL() -> std::span<const unsigned char>.
file(READ "${INPUT}" hex HEX)
string(LENGTH "${hex}" hex_len)
math(EXPR size "${hex_len} / 2")
# 32 bytes a line keeps the generated file readable and fast to compile.
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
string(REGEX REPLACE "((0x..,){32})" "\\1\n" bytes "${bytes}")
file(WRITE "${OUTPUT}.tmp"
"// Generated from ${INPUT} by cmake/embed_file.cmake. Do not edit.\n"
"#include <span>\n"
"namespace pipescope::assets {\n"
"namespace { alignas(16) const unsigned char data[${size}] = {\n${bytes}\n}; }\n"
"std::span<const unsigned char> ${SYMBOL}() { return {data, sizeof data}; }\n"
"}  // namespace pipescope::assets\n")
file(RENAME "${OUTPUT}.tmp" "${OUTPUT}")
