// Pipe names (any bytes: Linux socket paths are not text) as metric label values, the
// --normalize-names rule on them, and --listen values.
#include <string>

#include "fuzz_check.hpp"
#include "pipescope/metrics.hpp"

namespace core = pipescope::core;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    pipescope::fuzz::no_throw([&] {
        const auto bytes = pipescope::fuzz::as_text(data, size);

        // The label text is valid UTF-8 without NUL: mapping it again changes nothing. Input
        // that already is such text passes unchanged; each other byte becomes 4 characters.
        const std::string label = core::metric_label_text(bytes);
        FUZZ_CHECK(core::metric_label_text(label) == label);
        FUZZ_CHECK(label.find('\0') == std::string::npos);
        FUZZ_CHECK(label.size() >= bytes.size() && label.size() <= 4 * bytes.size());
        if (label.size() == bytes.size()) FUZZ_CHECK(label == bytes);

        // Normalising keeps it valid text, removes every decimal digit, and is idempotent.
        const std::string normal = core::normalize_pipe_name(label);
        FUZZ_CHECK(core::metric_label_text(normal) == normal);
        for (char c : normal) FUZZ_CHECK(c < '0' || c > '9');
        FUZZ_CHECK(core::normalize_pipe_name(normal) == normal);

        // A --listen value that parses prints back to one that parses to the same address.
        auto listen = core::parse_listen_address(bytes);
        if (listen) {
            auto again = core::parse_listen_address(listen->to_string());
            FUZZ_CHECK(again.ok());
            FUZZ_CHECK(again->host == listen->host && again->port == listen->port &&
                       again->ipv6 == listen->ipv6);
        } else {
            FUZZ_CHECK(listen.error().code == core::ErrorCode::InvalidArgument);
            FUZZ_CHECK(listen.error().message.find("Next:") != std::string::npos);
        }
    });
    return 0;
}
