// Benchmark scenario and preset JSON (assets/presets/*.json, files given to the CLI and GUI):
// scenario_from_json, validate and scenario_to_json.
#include "fuzz_check.hpp"
#include "pipescope/bench.hpp"

using namespace pipescope::core;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    pipescope::fuzz::no_throw([&] {
        auto s = scenario_from_json(pipescope::fuzz::as_text(data, size));
        if (!s) {
            FUZZ_CHECK(s.error().code == ErrorCode::InvalidArgument);
            return;
        }
        // Whatever was accepted survives a save and load unchanged.
        const std::string json = scenario_to_json(*s);
        auto again = scenario_from_json(json);
        FUZZ_CHECK(again.ok());
        FUZZ_CHECK(*again == *s);
        // Validation answers either way without crashing; a valid scenario stays in range.
        if (validate(*s)) {
            FUZZ_CHECK(s->clients >= 1 && s->clients <= 256);
            FUZZ_CHECK(s->message_size <= 64ULL * 1024 * 1024);
            FUZZ_CHECK(s->instances >= 1 && s->instances <= 255);
        }
    });
    return 0;
}
