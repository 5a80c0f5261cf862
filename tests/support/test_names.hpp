// Unique pipe names per test process and call, so parallel ctest runs never collide.
#pragma once

#include <atomic>
#include <string>

#include "pipescope/pipe_name.hpp"

#ifdef _WIN32
#include <process.h>
#define PIPESCOPE_TEST_GETPID _getpid
#else
#include <unistd.h>
#define PIPESCOPE_TEST_GETPID getpid
#endif

namespace pipescope::test {

inline std::string unique_pipe_text(const std::string& tag) {
    static std::atomic<int> counter{0};
    return "pstest-" + tag + "-" + std::to_string(PIPESCOPE_TEST_GETPID()) + "-" +
           std::to_string(counter.fetch_add(1));
}

inline core::PipeName unique_pipe_name(const std::string& tag) {
    return core::PipeName::parse(unique_pipe_text(tag)).value();
}

}  // namespace pipescope::test
