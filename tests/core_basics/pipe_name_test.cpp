#include <cstdlib>
#include <string>

#include <gtest/gtest.h>

#include "pipescope/pipe_name.hpp"

using namespace pipescope::core;

namespace {

TEST(PipeName, ParsesLocalWin32Form) {
    auto n = PipeName::parse("\\\\.\\pipe\\demo");
    ASSERT_TRUE(n.ok()) << n.error().to_string();
    EXPECT_EQ(n->form(), PipeName::Form::Win32);
    EXPECT_EQ(n->name(), "demo");
    EXPECT_EQ(n->host(), ".");
    EXPECT_TRUE(n->is_local());
    EXPECT_EQ(n->win32_path(), "\\\\.\\pipe\\demo");
}

TEST(PipeName, ParsesRemoteHostAndKeepsBackslashesInTheName) {
    auto n = PipeName::parse("\\\\build-box\\PIPE\\Winsock2\\CatalogChangeListener-1a8-0");
    ASSERT_TRUE(n.ok()) << n.error().to_string();
    EXPECT_EQ(n->host(), "build-box");
    EXPECT_FALSE(n->is_local());
    EXPECT_EQ(n->name(), "Winsock2\\CatalogChangeListener-1a8-0");
    EXPECT_EQ(n->win32_path(), "\\\\build-box\\pipe\\Winsock2\\CatalogChangeListener-1a8-0");
}

TEST(PipeName, AcceptsForwardSlashesLikeWindows) {
    auto n = PipeName::parse("//./pipe/demo");
    ASSERT_TRUE(n.ok());
    EXPECT_EQ(n->name(), "demo");
}

TEST(PipeName, BareNameFormatsAsLocalPipe) {
    auto n = PipeName::parse("mojo.1234.5678");
    ASSERT_TRUE(n.ok());
    EXPECT_EQ(n->form(), PipeName::Form::Bare);
    EXPECT_EQ(n->win32_path(), "\\\\.\\pipe\\mojo.1234.5678");
    EXPECT_EQ(n->display(), "\\\\.\\pipe\\mojo.1234.5678");
}

TEST(PipeName, PosixPathIsKeptAsIs) {
    auto n = PipeName::parse("/run/user/1000/app.sock");
    ASSERT_TRUE(n.ok());
    EXPECT_EQ(n->form(), PipeName::Form::Path);
    EXPECT_EQ(n->posix_path(), "/run/user/1000/app.sock");
    EXPECT_EQ(n->win32_path(), "\\\\.\\pipe\\app.sock");
    EXPECT_TRUE(PipeName::parse("./rel.fifo").ok());
}

TEST(PipeName, AbstractForm) {
    auto n = PipeName::parse("@dbus-abc");
    ASSERT_TRUE(n.ok());
    EXPECT_EQ(n->form(), PipeName::Form::Abstract);
    EXPECT_EQ(n->name(), "dbus-abc");
    EXPECT_EQ(n->posix_path(), "@dbus-abc");
    EXPECT_FALSE(PipeName::parse("@").ok());
    EXPECT_FALSE(PipeName::parse("@" + std::string(107, 'a')).ok());
    EXPECT_TRUE(PipeName::parse("@" + std::string(106, 'a')).ok());
}

TEST(PipeName, BareNamesMapUnderTheRuntimeDir) {
#ifdef _WIN32
    _putenv_s("PIPESCOPE_PIPE_DIR", "/tmp/ps-test");
#else
    setenv("PIPESCOPE_PIPE_DIR", "/tmp/ps-test", 1);
#endif
    auto n = PipeName::parse("\\\\.\\pipe\\a\\b");
    ASSERT_TRUE(n.ok());
    EXPECT_EQ(n->posix_path(), "/tmp/ps-test/a_b");
#ifdef _WIN32
    _putenv_s("PIPESCOPE_PIPE_DIR", "");
#else
    unsetenv("PIPESCOPE_PIPE_DIR");
#endif
}

TEST(PipeName, RejectsEmptyNames) {
    for (const char* text : {"", "\\\\.\\pipe\\", "\\\\.\\pipe"}) {
        auto n = PipeName::parse(text);
        ASSERT_FALSE(n.ok()) << text;
        EXPECT_EQ(n.error().code, ErrorCode::InvalidName);
        EXPECT_FALSE(n.error().message.empty());
    }
}

TEST(PipeName, RejectsNamesOver256Chars) {
    EXPECT_TRUE(PipeName::parse(std::string(256, 'x')).ok());
    auto n = PipeName::parse(std::string(257, 'x'));
    ASSERT_FALSE(n.ok());
    EXPECT_NE(n.error().message.find("256"), std::string::npos) << n.error().message;
    EXPECT_FALSE(PipeName::parse("\\\\.\\pipe\\" + std::string(257, 'y')).ok());
}

TEST(PipeName, RejectsControlCharacters) {
    auto n = PipeName::parse(std::string("bad\x01name"));
    ASSERT_FALSE(n.ok());
    EXPECT_NE(n.error().message.find("control character"), std::string::npos);
    EXPECT_FALSE(PipeName::parse(std::string("nul\0x", 5)).ok());
    EXPECT_FALSE(PipeName::parse("tab\tname").ok());
}

TEST(PipeName, RejectsMalformedPrefixes) {
    EXPECT_FALSE(PipeName::parse("\\\\host\\share\\x").ok());
    EXPECT_FALSE(PipeName::parse("\\\\\\pipe\\x").ok());
    EXPECT_FALSE(PipeName::parse("\\\\host").ok());
    EXPECT_FALSE(PipeName::parse("/tmp/folder/").ok());
}

TEST(PipeName, EqualityComparesFormHostAndName) {
    EXPECT_EQ(*PipeName::parse("\\\\.\\pipe\\x"), *PipeName::parse("//./pipe/x"));
    EXPECT_NE(*PipeName::parse("\\\\.\\pipe\\x"), *PipeName::parse("\\\\h\\pipe\\x"));
}

}  // namespace
