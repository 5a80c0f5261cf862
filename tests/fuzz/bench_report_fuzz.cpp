// Saved benchmark reports (pipescope-cli bench --json output, read back by --compare):
// report_from_json, report_to_json and compare_reports.
#include <algorithm>

#include "fuzz_check.hpp"
#include "pipescope/bench.hpp"

using namespace pipescope::core;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    pipescope::fuzz::no_throw([&] {
        auto r = report_from_json(pipescope::fuzz::as_text(data, size));
        if (!r) {
            FUZZ_CHECK(r.error().code == ErrorCode::InvalidArgument);
            return;
        }
        FUZZ_CHECK(r->intervals.size() <= size);
        FUZZ_CHECK(r->latency_bars.size() <= size);
        // A loaded report saves and loads to the same JSON.
        const std::string json = report_to_json(*r);
        auto again = report_from_json(json);
        FUZZ_CHECK(again.ok());
        FUZZ_CHECK(report_to_json(*again) == json);
        FUZZ_CHECK(again->scenario == r->scenario);
        // What --compare and the CSV export do with it must not fail either.
        FUZZ_CHECK(!compare_reports(*r, *again).empty());
        const std::string csv = intervals_to_csv(*r);
        FUZZ_CHECK(static_cast<std::size_t>(std::count(csv.begin(), csv.end(), '\n')) ==
                   r->intervals.size() + 1);
        FUZZ_CHECK(!summaries_to_csv({*r}).empty());
    });
    return 0;
}
