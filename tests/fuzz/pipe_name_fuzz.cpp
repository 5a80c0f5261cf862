// Pipe names as a user types them: PipeName::parse, and what it gives back.
#include "fuzz_check.hpp"
#include "pipescope/pipe_name.hpp"

using pipescope::core::PipeName;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    pipescope::fuzz::no_throw([&] {
        const auto text = pipescope::fuzz::as_text(data, size);
        auto parsed = PipeName::parse(text);
        if (!parsed) {
            const auto& e = parsed.error();
            FUZZ_CHECK(e.code == pipescope::core::ErrorCode::InvalidName);
            FUZZ_CHECK(!e.message.empty());
            return;
        }
        const PipeName& n = *parsed;
        FUZZ_CHECK(!n.name().empty());
        FUZZ_CHECK(n.name().size() <= text.size());
        for (unsigned char c : n.name()) FUZZ_CHECK(c >= 0x20 && c != 0x7F);
        switch (n.form()) {
            case PipeName::Form::Bare:
            case PipeName::Form::Win32:
                FUZZ_CHECK(n.name().size() <= PipeName::kMaxNameLength);
                break;
            case PipeName::Form::Abstract:
                FUZZ_CHECK(n.name().size() < PipeName::kMaxSocketPathLength);
                FUZZ_CHECK(n.host() == ".");
                break;
            case PipeName::Form::Path:
                FUZZ_CHECK(n.name().size() <= PipeName::kMaxPathLength);
                FUZZ_CHECK(n.name() == text);
                break;
        }
        // What we show the user parses back to the same pipe.
        auto again = PipeName::parse(n.display());
        FUZZ_CHECK(again.ok());
        FUZZ_CHECK(again->name() == n.name());
        FUZZ_CHECK(again->host() == n.host());
        const auto expected_form =
            n.form() == PipeName::Form::Bare ? PipeName::Form::Win32 : n.form();
        FUZZ_CHECK(again->form() == expected_form);
        FUZZ_CHECK(again->display() == n.display());
        // The Win32 path of a Windows-form name is its display and parses back too.
        if (n.form() != PipeName::Form::Path && n.form() != PipeName::Form::Abstract) {
            FUZZ_CHECK(n.win32_path() == n.display());
            const auto posix = n.posix_path();
            FUZZ_CHECK(posix.size() > n.name().size());
            FUZZ_CHECK(posix.find('\\') == std::string::npos);
        }
    });
    return 0;
}
