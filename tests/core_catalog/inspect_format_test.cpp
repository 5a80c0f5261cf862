// Portable inspector pieces: rights in words, DACL risk flags, Field bookkeeping.
#include <algorithm>

#include <gtest/gtest.h>

#include "pipescope/inspect.hpp"

using namespace pipescope::core;

namespace {

bool has(const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
}

TEST(PipeRights, FullControlAndSingleBits) {
    auto full = pipe_rights_in_words(0x001F01FF);
    ASSERT_EQ(full.size(), 1u);
    EXPECT_EQ(full[0], "full control");
    EXPECT_EQ(pipe_rights_in_words(0x10000000), std::vector<std::string>{"full control"});
    auto rw = pipe_rights_in_words(0x00120089 | 0x00120116);
    EXPECT_TRUE(has(rw, "read"));
    EXPECT_TRUE(has(rw, "write"));
    auto bits = pipe_rights_in_words(0x0002 | 0x00040000 | 0x0004);
    EXPECT_TRUE(has(bits, "write data"));
    EXPECT_TRUE(has(bits, "change permissions"));
    EXPECT_TRUE(has(bits, "create pipe instance"));
    EXPECT_FALSE(has(bits, "read data"));
    auto other = pipe_rights_in_words(0x00000800);
    ASSERT_EQ(other.size(), 1u);
    EXPECT_EQ(other[0], "other 0x800");
    EXPECT_TRUE(pipe_rights_in_words(0).empty());
}

TEST(PipeRights, WriteDetection) {
    EXPECT_TRUE(mask_allows_write(0x0002));
    EXPECT_TRUE(mask_allows_write(0x40000000));
    EXPECT_TRUE(mask_allows_write(0x10000000));
    EXPECT_FALSE(mask_allows_write(0x00120089));
}

AceInfo ace(const char* type, const char* sid, std::uint32_t mask) {
    AceInfo a;
    a.type = type;
    a.sid = sid;
    a.mask = mask;
    return a;
}

TEST(AssessDacl, NullDaclLetsEveryoneWrite) {
    auto f = assess_dacl(false, {});
    EXPECT_TRUE(f.null_dacl);
    EXPECT_TRUE(f.everyone_can_write);
    EXPECT_TRUE(f.anonymous_can_write);
    EXPECT_FALSE(f.remote_clients_accepted.has_value());
}

TEST(AssessDacl, EveryoneAllowAndDenyOrder) {
    auto open = assess_dacl(
        true, {ace("allow", "S-1-5-18", 0x1F01FF), ace("allow", "S-1-1-0", 0x0012019F)});
    EXPECT_FALSE(open.null_dacl);
    EXPECT_TRUE(open.everyone_can_write);
    EXPECT_FALSE(open.anonymous_can_write);
    auto read_only = assess_dacl(true, {ace("allow", "S-1-1-0", 0x00120089)});
    EXPECT_FALSE(read_only.everyone_can_write);
    auto denied_first =
        assess_dacl(true, {ace("deny", "S-1-1-0", 0x0002), ace("allow", "S-1-1-0", 0x1F01FF)});
    EXPECT_FALSE(denied_first.everyone_can_write);
    EXPECT_EQ(denied_first.remote_clients_accepted, false);
    auto anon = assess_dacl(true, {ace("allow", "S-1-5-7", 0x40000000)});
    EXPECT_TRUE(anon.anonymous_can_write);
    EXPECT_FALSE(anon.everyone_can_write);
}

TEST(AssessDacl, NetworkDenyMeansRemoteRejected) {
    auto f =
        assess_dacl(true, {ace("deny", "S-1-5-2", 0x1F01FF), ace("allow", "S-1-1-0", 0x1F01FF)});
    EXPECT_EQ(f.remote_clients_accepted, false);
    auto g = assess_dacl(true, {ace("allow", "S-1-1-0", 0x1F01FF)});
    EXPECT_FALSE(g.remote_clients_accepted.has_value()) << "not knowable from the DACL alone";
}

TEST(Field, SetAndFailKeepProvenance) {
    Field<int> f;
    EXPECT_FALSE(f.ok());
    EXPECT_EQ(f.state, FieldState::Unknown);
    f.set(5, "GetNamedPipeInfo", true);
    EXPECT_TRUE(f.ok());
    EXPECT_EQ(*f.value, 5);
    EXPECT_TRUE(f.connected);
    f.fail(FieldState::Busy, "CreateFileW", true, "all instances are busy");
    EXPECT_FALSE(f.ok());
    EXPECT_FALSE(f.value.has_value());
    EXPECT_EQ(to_string(f.state), "busy");
    EXPECT_EQ(f.note, "all instances are busy");
    EXPECT_EQ(to_string(InspectState::TimedOut), "timeout");
    EXPECT_EQ(to_string(InspectState::NotFound), "not found");
}

}  // namespace

namespace {

TEST(FieldApplies, KindComesFromTheProbesWordsAndThePlatform) {
    EXPECT_EQ(details_kind("named pipe", false), DetailsKind::NamedPipe);
    EXPECT_EQ(details_kind("unix socket", false), DetailsKind::UnixSocket);
    EXPECT_EQ(details_kind("unix seqpacket", false), DetailsKind::UnixSocket);
    EXPECT_EQ(details_kind("fifo", true), DetailsKind::Fifo);
    EXPECT_EQ(details_kind("remote pipe (SMB)", false), DetailsKind::RemotePipe);
    // A probe that failed before it learned the kind.
    EXPECT_EQ(details_kind("", true), DetailsKind::NamedPipe);
    EXPECT_EQ(details_kind("", false), DetailsKind::Unknown);
}

TEST(FieldApplies, Win32FieldsOnlyForNamedPipes) {
    for (const char* key :
         {"access", "in_quota", "out_quota", "max_instances", "current_instances", "handle_state",
          "pipe_state", "server_session", "sddl", "aces", "security_descriptor", "null_dacl",
          "everyone_can_write", "anonymous_can_write", "remote_clients_accepted"}) {
        EXPECT_TRUE(field_applies(key, DetailsKind::NamedPipe)) << key;
        EXPECT_FALSE(field_applies(key, DetailsKind::UnixSocket)) << key;
        EXPECT_FALSE(field_applies(key, DetailsKind::Fifo)) << key;
        EXPECT_FALSE(field_applies(key, DetailsKind::Unknown)) << key;
    }
}

// A remote pipe reached over SMB: what the session and FilePipeLocalInformation tell, and nothing
// of the local kinds (no owner, mode, SDDL or peer process crosses SMB to a client).
TEST(FieldApplies, RemotePipesShowWhatSmbTells) {
    for (const char* key :
         {"type", "in_quota", "out_quota", "max_instances", "current_instances", "smb_dialect",
          "smb_signing", "smb_encryption", "smb_logon", "smb_server"})
        EXPECT_TRUE(field_applies(key, DetailsKind::RemotePipe)) << key;
    for (const char* key : {"owner", "mode", "sddl", "server_pid", "socket_type", "capacity",
                            "pipe_state", "handle_state"})
        EXPECT_FALSE(field_applies(key, DetailsKind::RemotePipe)) << key;
    for (const char* key : {"smb_dialect", "smb_signing", "smb_logon"}) {
        EXPECT_FALSE(field_applies(key, DetailsKind::NamedPipe)) << key;
        EXPECT_FALSE(field_applies(key, DetailsKind::UnixSocket)) << key;
        EXPECT_FALSE(field_applies(key, DetailsKind::Unknown)) << key;
    }
}

TEST(FieldApplies, PosixFieldsOnlyForTheirKinds) {
    for (const char* key : {"mode", "owner_uid", "owner_gid"}) {
        EXPECT_FALSE(field_applies(key, DetailsKind::NamedPipe)) << key;
        EXPECT_TRUE(field_applies(key, DetailsKind::UnixSocket)) << key;
        EXPECT_TRUE(field_applies(key, DetailsKind::Fifo)) << key;
        EXPECT_TRUE(field_applies(key, DetailsKind::Unknown)) << key;
    }
    for (const char* key : {"socket_type", "send_buffer", "recv_buffer", "server_uid"}) {
        EXPECT_TRUE(field_applies(key, DetailsKind::UnixSocket)) << key;
        EXPECT_FALSE(field_applies(key, DetailsKind::Fifo)) << key;
        EXPECT_FALSE(field_applies(key, DetailsKind::NamedPipe)) << key;
    }
    for (const char* key : {"capacity", "bytes_queued"}) {
        EXPECT_TRUE(field_applies(key, DetailsKind::Fifo)) << key;
        EXPECT_FALSE(field_applies(key, DetailsKind::UnixSocket)) << key;
        EXPECT_FALSE(field_applies(key, DetailsKind::NamedPipe)) << key;
    }
    // A FIFO has no ends and no peer credentials.
    EXPECT_FALSE(field_applies("end", DetailsKind::Fifo));
    EXPECT_FALSE(field_applies("server_pid", DetailsKind::Fifo));
    EXPECT_TRUE(field_applies("server_pid", DetailsKind::UnixSocket));
    EXPECT_TRUE(field_applies("server_pid", DetailsKind::NamedPipe));
}

TEST(FieldApplies, SharedAndUnknownKeysApplyEverywhere) {
    for (auto kind : {DetailsKind::NamedPipe, DetailsKind::UnixSocket, DetailsKind::Fifo,
                      DetailsKind::Unknown}) {
        EXPECT_TRUE(field_applies("owner", kind));
        EXPECT_TRUE(field_applies("type", kind));
        EXPECT_TRUE(field_applies("a_field_added_later", kind));
    }
}

}  // namespace
