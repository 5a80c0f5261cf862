// The wording of every code our error tables know: each Win32 error, errno and NTSTATUS must
// read as "<api> <pipe>: <NAME> (<number>): <meaning>. Next: <step>", so every error a user sees
// names the API, the error, the pipe and what to do. Walks the tables themselves
// (known_win32_errors() ...), so a new entry without a next step fails here.
#include <algorithm>
#include <cstdio>
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "pipescope/error.hpp"

using namespace pipescope::core;

namespace {

const std::string kApi = "SomeApiW";
const std::string kPipe = "\\\\.\\pipe\\wording-test";

// Checks the parts every user-visible error must have; `code_text` is e.g. "ENOENT (2)".
void expect_complete(const Error& e, const std::string& code_text) {
    const std::string text = e.to_string();
    SCOPED_TRACE(text);
    // "<api> <pipe>: <code text>: " at the start, in that order.
    EXPECT_EQ(text.rfind(kApi + " " + kPipe + ": " + code_text + ": ", 0), 0u);
    const auto next = text.find(". Next: ");
    ASSERT_NE(next, std::string::npos) << "no next step";
    // A meaning before the next step, and a next step of real words after it.
    const auto meaning_start = kApi.size() + 1 + kPipe.size() + 2 + code_text.size() + 2;
    EXPECT_GT(next, meaning_start + 3) << "no meaning";
    const std::string step = text.substr(next + 8);
    EXPECT_GE(step.size(), 5u) << "empty next step";
    EXPECT_EQ(step.find("Next:"), std::string::npos) << "two next steps";
    EXPECT_NE(e.code, ErrorCode::Unknown) << "a known code must be classified";
}

}  // namespace

TEST(ErrorTable, EveryWin32CodeIsWorded) {
    const auto codes = known_win32_errors();
    ASSERT_GE(codes.size(), 20u);  // the common pipe errors and more
    std::set<std::string> names;
    for (std::uint32_t c : codes) {
        const std::string name(win32_error_name(c));
        ASSERT_FALSE(name.empty()) << c;
        EXPECT_TRUE(names.insert(name).second) << "duplicate " << name;
        Error e = win32_error(c, kApi, kPipe);
        EXPECT_EQ(e.os_kind, OsCodeKind::Win32);
        EXPECT_EQ(e.code, classify_win32(c));
        expect_complete(e, name + " (" + std::to_string(c) + ")");
    }
    // The common pipe errors of the design (2, 5, 109, 121, 231, 232, 233, 234, 535, 536).
    for (std::uint32_t must : {2u, 5u, 109u, 121u, 231u, 232u, 233u, 234u, 535u, 536u}) {
        EXPECT_NE(std::find(codes.begin(), codes.end(), must), codes.end()) << must;
    }
}

TEST(ErrorTable, EveryErrnoIsWorded) {
    const auto codes = known_errnos();
    ASSERT_GE(codes.size(), 15u);
    std::set<int> seen;
    for (int c : codes) {
        EXPECT_TRUE(seen.insert(c).second) << "errno " << c << " twice in the table";
        const std::string name(errno_name(c));
        ASSERT_FALSE(name.empty()) << c;
        Error e = errno_error(c, kApi, kPipe);
        EXPECT_EQ(e.os_kind, OsCodeKind::Errno);
        EXPECT_EQ(e.code, classify_errno(c));
        expect_complete(e, name + " (" + std::to_string(c) + ")");
    }
}

TEST(ErrorTable, EveryNtStatusIsWorded) {
    const auto codes = known_ntstatuses();
    ASSERT_GE(codes.size(), 15u);
    for (std::uint32_t c : codes) {
        const std::string name(ntstatus_name(c));
        ASSERT_FALSE(name.empty()) << c;
        Error e = ntstatus_error(c, kApi, kPipe);
        EXPECT_EQ(e.os_kind, OsCodeKind::NtStatus);
        char hex[16];
        std::snprintf(hex, sizeof hex, "0x%08X", c);
        const std::string text = e.to_string();
        SCOPED_TRACE(text);
        EXPECT_EQ(text.rfind(kApi + " " + kPipe + ": " + name + " (" + hex + "): ", 0), 0u);
        const auto next = text.find(". Next: ");
        ASSERT_NE(next, std::string::npos) << "no next step";
        EXPECT_GE(text.size() - (next + 8), 5u) << "empty next step";
    }
}

// Codes outside the tables still name the number and still say what to do.
TEST(ErrorTable, UnknownCodesStillGiveANextStep) {
    for (const Error& e : {win32_error(987654, kApi, kPipe), errno_error(98765, kApi, kPipe),
                           ntstatus_error(0xC0DEC0DEu, kApi, kPipe)}) {
        const std::string text = e.to_string();
        EXPECT_EQ(text.rfind(kApi + " " + kPipe + ": ", 0), 0u) << text;
        EXPECT_NE(text.find("Next: "), std::string::npos) << text;
        EXPECT_EQ(e.code, ErrorCode::Unknown);
    }
    EXPECT_NE(win32_error(987654, kApi, kPipe).to_string().find("987654"), std::string::npos);
    EXPECT_NE(errno_error(98765, kApi, kPipe).to_string().find("98765"), std::string::npos);
    EXPECT_NE(ntstatus_error(0xC0DEC0DEu, kApi, kPipe).to_string().find("0xC0DEC0DE"),
              std::string::npos);
}
