// Benchmark sweep specs (pipescope-cli bench --sweep, the GUI's sweep field): expand_sweep.
#include "fuzz_check.hpp"
#include "pipescope/bench.hpp"

using namespace pipescope::core;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    pipescope::fuzz::no_throw([&] {
        Scenario base;
        base.duration_s = 1;
        auto grid = expand_sweep(base, pipescope::fuzz::as_text(data, size));
        if (!grid) {
            FUZZ_CHECK(grid.error().code == ErrorCode::InvalidArgument);
            return;
        }
        // Bounded, never empty, and every scenario in it is valid.
        FUZZ_CHECK(!grid->empty());
        FUZZ_CHECK(grid->size() <= 10000);
        for (const auto& s : *grid) FUZZ_CHECK(validate(s).ok());
    });
    return 0;
}
