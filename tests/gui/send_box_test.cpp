#include "models/send_box.hpp"

#include <gtest/gtest.h>

using namespace pipescope;
using gui::LineEnding;
using gui::SendHistory;
using gui::SendMode;
using gui::SessionRole;

namespace {

TEST(LineEnding, EndsTextButNotHexOrFiles) {
    EXPECT_EQ(gui::send_box_input(SendMode::Text, "hi", LineEnding::Lf), "hi\n");
    EXPECT_EQ(gui::send_box_input(SendMode::Text, "hi", LineEnding::CrLf), "hi\r\n");
    EXPECT_EQ(gui::send_box_input(SendMode::Text, "hi", LineEnding::None), "hi");
    EXPECT_EQ(gui::send_box_input(SendMode::Utf16le, "hi", LineEnding::CrLf), "hi\r\n");
    EXPECT_EQ(gui::send_box_input(SendMode::Hex, "41", LineEnding::Lf), "41");
    EXPECT_EQ(gui::send_box_input(SendMode::File, "/tmp/x", LineEnding::CrLf), "/tmp/x");
}

TEST(LineEnding, DefaultsToNewlineOnByteStreamsAndNoneOnMessages) {
    core::Endpoint e;
    e.kind = core::TransportKind::Win32Pipe;
    EXPECT_EQ(gui::default_line_ending(SessionRole::Client, e), LineEnding::Lf);
    EXPECT_EQ(gui::default_line_ending(SessionRole::Server, e), LineEnding::Lf);
    e.client.read_mode = core::PipeType::Message;
    EXPECT_EQ(gui::default_line_ending(SessionRole::Client, e), LineEnding::None);
    EXPECT_EQ(gui::default_line_ending(SessionRole::Server, e), LineEnding::Lf);
    e.server.type = core::PipeType::Message;
    EXPECT_EQ(gui::default_line_ending(SessionRole::Server, e), LineEnding::None);
    e = core::Endpoint{};
    e.kind = core::TransportKind::UnixSeqpacket;
    EXPECT_EQ(gui::default_line_ending(SessionRole::Client, e), LineEnding::None);
    EXPECT_EQ(gui::default_line_ending(SessionRole::Server, e), LineEnding::None);
    e.kind = core::TransportKind::UnixStream;
    EXPECT_EQ(gui::default_line_ending(SessionRole::Client, e), LineEnding::Lf);
    e.kind = core::TransportKind::Tcp;
    EXPECT_EQ(gui::default_line_ending(SessionRole::Server, e), LineEnding::Lf);
}

TEST(SendHistory, UpGoesBackDownForwardAndPastTheNewestIsEmpty) {
    SendHistory h;
    EXPECT_EQ(h.older(), std::nullopt) << "no history: the box keeps its text";
    EXPECT_EQ(h.newer(), std::nullopt);
    h.add("one");
    h.add("two");
    h.add("three");
    EXPECT_EQ(h.newer(), std::nullopt) << "not walking: Down changes nothing";
    EXPECT_EQ(h.older(), "three");
    EXPECT_EQ(h.older(), "two");
    EXPECT_EQ(h.older(), "one");
    EXPECT_EQ(h.older(), std::nullopt) << "at the oldest";
    EXPECT_EQ(h.newer(), "two");
    EXPECT_EQ(h.newer(), "three");
    EXPECT_EQ(h.newer(), "") << "past the newest: an empty line";
    EXPECT_FALSE(h.walking());
    EXPECT_EQ(h.newer(), std::nullopt);
    EXPECT_EQ(h.older(), "three");
}

TEST(SendHistory, SendingEndsTheWalkAndAnEditedLineIsANewEntry) {
    SendHistory h;
    h.add("ping 1");
    h.add("ping 2");
    EXPECT_EQ(h.older(), "ping 2");
    EXPECT_EQ(h.older(), "ping 1");
    h.add("ping 1 edited");  // what the box held when Enter was pressed
    EXPECT_FALSE(h.walking());
    ASSERT_EQ(h.size(), 3u);
    EXPECT_EQ(h.line(0), "ping 1") << "the recalled line itself is unchanged";
    EXPECT_EQ(h.older(), "ping 1 edited");
}

TEST(SendHistory, SkipsEmptyLinesAndRepeatsAndIsBounded) {
    SendHistory h(3);
    h.add("");
    EXPECT_EQ(h.size(), 0u);
    h.add("a");
    h.add("a");
    EXPECT_EQ(h.size(), 1u) << "a repeat of the newest is kept once";
    h.add("b");
    h.add("c");
    h.add("d");
    ASSERT_EQ(h.size(), 3u);
    EXPECT_EQ(h.line(0), "b") << "the oldest went first";
    EXPECT_EQ(h.older(), "d");
    EXPECT_EQ(h.older(), "c");
    EXPECT_EQ(h.older(), "b");
    EXPECT_EQ(h.older(), std::nullopt);
}

}  // namespace
