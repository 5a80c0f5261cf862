#include <cstddef>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "models/session_form.hpp"

using namespace pipescope;
using gui::SendMode;
using gui::SessionForm;
using gui::SessionRole;
using gui::TranscriptView;

namespace {

std::vector<std::byte> bytes(std::initializer_list<int> v) {
    std::vector<std::byte> out;
    for (int b : v) out.push_back(static_cast<std::byte>(b));
    return out;
}

std::string error_of(SessionForm& form) {
    auto st = form.resolve();
    return st ? std::string() : st.error().to_string();
}

TEST(SessionForm, ABadNameIsTheError) {
    SessionForm form(SessionRole::Client, std::string(300, 'x'));
    EXPECT_NE(error_of(form).find("256"), std::string::npos) << error_of(form);
    form.name = "pipescope-form-test";
    EXPECT_EQ(error_of(form), "");
    EXPECT_EQ(form.endpoint.name.display().find("pipescope-form-test") != std::string::npos, true);
}

TEST(SessionForm, ServerFieldsOutOfRangeAreErrorsNamingTheField) {
    SessionForm form(SessionRole::Server, "pipescope-form-test");
    form.endpoint.kind = core::TransportKind::Win32Pipe;  // the checks below are its fields
    auto& s = form.endpoint.server;
    s.max_instances = 0;
    EXPECT_NE(error_of(form).find("Max instances"), std::string::npos) << error_of(form);
    s.max_instances = 256;
    EXPECT_NE(error_of(form).find("Max instances"), std::string::npos);
    s.max_instances = 255;
    s.listening_instances = core::kMaxListeningInstances + 1;
    EXPECT_NE(error_of(form).find("Listening instances"), std::string::npos);
    s.listening_instances = 0;
    s.in_quota = 0x80000000u;
    EXPECT_NE(error_of(form).find("In quota"), std::string::npos);
    s.in_quota = 4096;
    s.out_quota = 0xFFFFFFFFu;
    EXPECT_NE(error_of(form).find("Out quota"), std::string::npos);
    s.out_quota = 0;
    EXPECT_EQ(error_of(form), "");
}

TEST(SessionForm, CustomSddlIsCheckedWithItsOffsetAndPresetsCarryTheirText) {
    SessionForm form(SessionRole::Server, "pipescope-form-test");
    form.endpoint.kind = core::TransportKind::Win32Pipe;
    const auto presets = gui::sddl_presets();
    ASSERT_GE(presets.size(), 2u);
    EXPECT_EQ(form.sddl_preset(), 0u);
    EXPECT_EQ(form.chosen_sddl(), "") << "the default: the system's own descriptor";
    for (std::size_t i = 1; i + 1 < presets.size(); ++i) {
        form.select_sddl_preset(i);
        EXPECT_EQ(form.chosen_sddl(), presets[i].sddl);
        EXPECT_EQ(error_of(form), "") << presets[i].label << " must be valid SDDL";
        EXPECT_EQ(form.endpoint.server.sddl, presets[i].sddl);
    }
    form.set_custom_sddl("D:P(A;;GA;;;XX)");
    EXPECT_TRUE(form.custom_sddl_selected());
    EXPECT_STREQ(presets[form.sddl_preset()].label, "Custom SDDL");
    EXPECT_NE(error_of(form).find("at offset 12: unknown SID alias 'XX'"), std::string::npos)
        << error_of(form);
    form.set_custom_sddl(std::string(600, 'D'));
    EXPECT_EQ(form.custom_sddl().size(), gui::kMaxSddlBytes);
}

TEST(SessionForm, APosixServerTakesTheFileModeAndNoSddl) {
    SessionForm form(SessionRole::Server, "pipescope-form-test");
    form.endpoint.kind = core::TransportKind::UnixStream;
    form.set_custom_sddl("D:P(A;;GA;;;XX)");  // not checked: POSIX cannot apply an SDDL
    EXPECT_EQ(form.endpoint.server.socket_mode, 0600u);
    form.set_file_mode_text("640");
    EXPECT_EQ(form.endpoint.server.socket_mode, 0640u);
    EXPECT_EQ(error_of(form), "");
    EXPECT_TRUE(form.endpoint.server.sddl.empty());
    form.set_file_mode_text("9");
    EXPECT_EQ(form.endpoint.server.socket_mode, 0640u) << "bad text keeps the last good mode";
    EXPECT_NE(error_of(form).find("'9' is not an octal file mode"), std::string::npos)
        << error_of(form);
    form.set_file_mode_text("1777");
    EXPECT_NE(error_of(form).find("File mode"), std::string::npos);
    form.set_file_mode_text("");
    EXPECT_NE(error_of(form).find("File mode"), std::string::npos);
    form.set_file_mode_text("0600");
    EXPECT_EQ(error_of(form), "");
    form.endpoint.server.backlog = 0;
    EXPECT_NE(error_of(form).find("Backlog"), std::string::npos);
}

TEST(SessionForm, ABadScriptIsTheErrorAndAGoodOneBecomesRules) {
    SessionForm form(SessionRole::Server, "pipescope-form-test");
    form.options.behaviour = core::Behaviour::Script;
    form.script = "this is not a rule";
    EXPECT_NE(error_of(form), "");
    form.script = "prefix PING => PONG\\n\n";
    EXPECT_EQ(error_of(form), "");
    EXPECT_EQ(form.options.rules.size(), 1u);
}

TEST(SessionForm, DefaultsAreOverlappedAndTheRolesBehaviour) {
    SessionForm server(SessionRole::Server, "x");
    SessionForm client(SessionRole::Client, "x");
    EXPECT_EQ(server.endpoint.io, core::IoModel::Overlapped);
    EXPECT_EQ(server.options.behaviour, core::Behaviour::Echo);
    EXPECT_EQ(client.options.behaviour, core::Behaviour::Manual);
    client.timeout_ms = 1234;
    ASSERT_EQ(error_of(client), "");
    EXPECT_EQ(client.options.connect_timeout.count(), 1234);
}

TEST(SendMode, TextIsSentAsItsUtf8Bytes) {
    auto b = gui::encode(SendMode::Text, "h\xC3\xA9");
    ASSERT_TRUE(b.ok());
    EXPECT_EQ(*b, bytes({'h', 0xC3, 0xA9}));
}

TEST(SendMode, Utf16leEncodesEachCodeUnitLittleEndianAndRejectsBadUtf8) {
    auto b = gui::encode(SendMode::Utf16le, "A\xC3\xA9\xF0\x9F\x98\x80");  // A, é, U+1F600
    ASSERT_TRUE(b.ok());
    EXPECT_EQ(*b, bytes({0x41, 0x00, 0xE9, 0x00, 0x3D, 0xD8, 0x00, 0xDE}));
    EXPECT_FALSE(gui::encode(SendMode::Utf16le, "\xC3").ok());
}

TEST(SendMode, HexParsesBytesAndNamesTheMistake) {
    auto b = gui::encode(SendMode::Hex, "48 69 0x0a");
    ASSERT_TRUE(b.ok());
    EXPECT_EQ(*b, bytes({0x48, 0x69, 0x0A}));
    EXPECT_FALSE(gui::encode(SendMode::Hex, "48 6").ok());
    EXPECT_FALSE(gui::encode(SendMode::Hex, "zz").ok());
}

TEST(SendMode, FileSendsTheFilesBytes) {
    const auto path = (std::filesystem::temp_directory_path() / "pipescope-send-mode.bin").string();
    {
        std::ofstream f(path, std::ios::binary);
        f.write("\x00\x01\xFF", 3);
    }
    auto b = gui::encode(SendMode::File, path);
    ASSERT_TRUE(b.ok()) << b.error().to_string();
    EXPECT_EQ(*b, bytes({0x00, 0x01, 0xFF}));
    std::filesystem::remove(path);
    EXPECT_FALSE(gui::encode(SendMode::File, path).ok()) << "a missing file is an error";
}

TEST(TranscriptPreview, ShowsTextHexAndUtf16AndCutsLongFrames) {
    const auto b = bytes({'h', 'i', '\n', 0x01});
    EXPECT_EQ(gui::preview(b, TranscriptView::Text, 100), "hi\\n\\x01");
    EXPECT_EQ(gui::preview(b, TranscriptView::Hex, 100), "68 69 0a 01");
    const auto u16 = bytes({'h', 0, 0xE9, 0, '\n', 0, 0x01, 0, 0x41});
    EXPECT_EQ(gui::preview(u16, TranscriptView::Utf16le, 100), "h\xC3\xA9\\n\\u0001\\x41");
    EXPECT_EQ(gui::preview(bytes({'a', 'b', 'c', 'd'}), TranscriptView::Text, 2), "ab ...");
    EXPECT_EQ(gui::preview(bytes({1, 2, 3, 4}), TranscriptView::Hex, 6), "01 02 ...");
}

}  // namespace
