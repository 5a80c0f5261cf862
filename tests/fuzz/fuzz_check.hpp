// Shared by the fuzz targets: a property check that fails loudly (abort, which libFuzzer reports
// as a crash with the input, and which fails the replay test), and a guard that turns any
// exception escaping the code under test into the same failure.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string_view>

#define FUZZ_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            std::fprintf(stderr, "fuzz property failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__); \
            std::abort();                                                                          \
        }                                                                                          \
    } while (0)

namespace pipescope::fuzz {

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
    return {reinterpret_cast<const char*>(data), size};
}

// Runs `body`; nothing may be thrown across the core's API.
template <class F>
void no_throw(F&& body) {
    try {
        body();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "fuzz property failed: exception escaped: %s\n", e.what());
        std::abort();
    } catch (...) {
        std::fprintf(stderr, "fuzz property failed: unknown exception escaped\n");
        std::abort();
    }
}

}  // namespace pipescope::fuzz
