// SDDL typed for a test server (--sddl, the server form): parse_sddl and format_sddl.
#include <string>

#include "fuzz_check.hpp"
#include "pipescope/sddl.hpp"

using namespace pipescope::core;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    pipescope::fuzz::no_throw([&] {
        const auto text = pipescope::fuzz::as_text(data, size);
        auto sd = parse_sddl(text);
        if (!sd) {
            // The error names an offset inside (or just past) the input.
            const auto& e = sd.error();
            FUZZ_CHECK(e.code == ErrorCode::InvalidArgument);
            const std::string prefix = "at offset ";
            FUZZ_CHECK(e.message.rfind(prefix, 0) == 0);
            const auto offset = std::stoull(e.message.substr(prefix.size()));
            FUZZ_CHECK(offset <= size);
            return;
        }
        // Canonical text parses to an equal descriptor and is its own canonical form.
        const std::string canonical = format_sddl(*sd);
        FUZZ_CHECK(canonical.size() <= size);  // whitespace goes, nothing is added
        auto again = parse_sddl(canonical);
        FUZZ_CHECK(again.ok());
        FUZZ_CHECK(*again == *sd);
        FUZZ_CHECK(format_sddl(*again) == canonical);
    });
    return 0;
}
