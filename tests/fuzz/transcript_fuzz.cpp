// Transcript files (a session's saved conversation): Transcript::from_json / to_json.
#include <cstddef>

#include "fuzz_check.hpp"
#include "pipescope/transcript.hpp"

using namespace pipescope::core;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    pipescope::fuzz::no_throw([&] {
        auto t = Transcript::from_json(pipescope::fuzz::as_text(data, size));
        if (!t) {
            FUZZ_CHECK(t.error().code == ErrorCode::InvalidArgument);
            FUZZ_CHECK(t.error().message.find("Next:") != std::string::npos);
            return;
        }
        // Sizes add up and are bounded by the file: every payload byte took two hex digits.
        std::size_t payload = 0;
        for (const auto& f : t->frames()) payload += f->bytes.size();
        FUZZ_CHECK(payload == t->bytes_kept());
        FUZZ_CHECK(payload <= size / 2);
        FUZZ_CHECK(t->events().size() <= size);
        // Saving and loading again keeps every frame and event.
        const std::string json = t->to_json();
        auto again = Transcript::from_json(json);
        FUZZ_CHECK(again.ok());
        FUZZ_CHECK(again->frames().size() == t->frames().size());
        FUZZ_CHECK(again->events().size() == t->events().size());
        FUZZ_CHECK(again->bytes_kept() == t->bytes_kept());
        FUZZ_CHECK(again->dropped_frames() == t->dropped_frames());
        for (std::size_t i = 0; i < t->frames().size(); ++i) {
            const Frame& a = *t->frames()[i];
            const Frame& b = *again->frames()[i];
            FUZZ_CHECK(a.seq == b.seq && a.unix_us == b.unix_us && a.direction == b.direction &&
                       a.message_end == b.message_end && a.bytes == b.bytes);
        }
        for (std::size_t i = 0; i < t->events().size(); ++i) {
            const Event& a = t->events()[i];
            const Event& b = again->events()[i];
            FUZZ_CHECK(a.seq == b.seq && a.unix_us == b.unix_us && a.kind == b.kind &&
                       a.text == b.text);
        }
        FUZZ_CHECK(again->to_json() == json);
    });
    return 0;
}
