// Saved pipe lists (list --json, the GUI's JSON export) read back by list --compare:
// entries_from_json / entries_to_json.
#include <cstddef>

#include "fuzz_check.hpp"
#include "pipescope/catalog_export.hpp"

using namespace pipescope::core;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    pipescope::fuzz::no_throw([&] {
        auto entries = entries_from_json(pipescope::fuzz::as_text(data, size), "fuzz.json");
        if (!entries) {
            FUZZ_CHECK(entries.error().code == ErrorCode::InvalidArgument);
            FUZZ_CHECK(entries.error().subject == "fuzz.json");
            FUZZ_CHECK(entries.error().message.find("Next:") != std::string::npos);
            return;
        }
        // Every entry took at least "{}" plus a name and a kind in the file.
        FUZZ_CHECK(entries->size() <= size / 2);
        // Saving what was read and reading it again gives the same list.
        const std::string saved = entries_to_json(*entries);
        auto again = entries_from_json(saved, "again");
        FUZZ_CHECK(again.ok());
        FUZZ_CHECK(again->size() == entries->size());
        for (std::size_t i = 0; i < entries->size(); ++i) {
            const PipeEntry& a = (*entries)[i];
            const PipeEntry& b = (*again)[i];
            FUZZ_CHECK(a.key() == b.key() && a.current_instances == b.current_instances &&
                       a.max_instances == b.max_instances && a.server_pids == b.server_pids &&
                       a.client_pids == b.client_pids && a.other_pids == b.other_pids &&
                       a.sources == b.sources && a.first_seen == b.first_seen);
        }
        FUZZ_CHECK(entries_to_json(*again) == saved);
        // A saved list always diffs cleanly against itself.
        Snapshot s;
        s.entries = std::move(*again);
        normalize(s);
        const auto d = diff(s, s);
        FUZZ_CHECK(d.added.empty() && d.removed.empty() && d.changed.empty());
    });
    return 0;
}
