#include <string>

#include <gtest/gtest.h>

#include "pipescope/sddl.hpp"

using namespace pipescope::core;

namespace {

// The offset an error names ("at offset N: ...").
std::size_t error_offset(const Error& e) {
    const std::string prefix = "at offset ";
    EXPECT_EQ(e.message.rfind(prefix, 0), 0u) << e.message;
    return std::stoul(e.message.substr(prefix.size()));
}

TEST(Sddl, ParsesTheServerFormPresets) {
    for (const char* text :
         {"D:P(A;;FR;;;WD)(A;;FA;;;OW)(A;;FA;;;SY)", "D:P(A;;FRFW;;;AU)(A;;FA;;;SY)(A;;FA;;;BA)",
          "D:P(A;;FA;;;WD)",
          "D:P(A;;FA;;;S-1-5-21-1004336348-1177238915-682003330-1001)(A;;FA;;;SY)(A;;FA;;;BA)"}) {
        auto sd = parse_sddl(text);
        ASSERT_TRUE(sd.ok()) << text << ": " << sd.error().to_string();
        EXPECT_EQ(format_sddl(*sd), text);
    }
}

TEST(Sddl, SplitsOwnerGroupAndAces) {
    auto sd =
        parse_sddl("O:BAG:SYD:PAI(A;OICI;0x1f01ff;;;S-1-5-32-544)(D;;GA;;;AN)S:(ML;;NW;;;LW)");
    ASSERT_TRUE(sd.ok()) << sd.error().to_string();
    EXPECT_EQ(sd->owner, "BA");
    EXPECT_EQ(sd->group, "SY");
    ASSERT_TRUE(sd->dacl);
    EXPECT_EQ(sd->dacl->flags, "PAI");
    ASSERT_EQ(sd->dacl->aces.size(), 2u);
    EXPECT_EQ(sd->dacl->aces[0].type, "A");
    EXPECT_EQ(sd->dacl->aces[0].flags, "OICI");
    EXPECT_EQ(sd->dacl->aces[0].rights, "0x1F01FF");
    EXPECT_EQ(sd->dacl->aces[0].sid, "S-1-5-32-544");
    EXPECT_EQ(sd->dacl->aces[1].type, "D");
    EXPECT_EQ(sd->dacl->aces[1].sid, "AN");
    ASSERT_TRUE(sd->sacl);
    ASSERT_EQ(sd->sacl->aces.size(), 1u);
    EXPECT_EQ(sd->sacl->aces[0].type, "ML");
}

TEST(Sddl, CanonicalFormIsUpperCaseWithoutSpaces) {
    auto sd = parse_sddl(" d:p (a; oi ;ga; ; ;wd) g:ba ");
    ASSERT_TRUE(sd.ok()) << sd.error().to_string();
    EXPECT_EQ(format_sddl(*sd), "G:BAD:P(A;OI;GA;;;WD)");
}

TEST(Sddl, KeepsConditionalExpressionsAsWritten) {
    const std::string text =
        "D:(XA;;FX;;;S-1-1-0;(@User.Title==\"P)M\" && (@User.Division==\"Finance\")))";
    auto sd = parse_sddl(text);
    ASSERT_TRUE(sd.ok()) << sd.error().to_string();
    ASSERT_EQ(sd->dacl->aces.size(), 1u);
    EXPECT_EQ(sd->dacl->aces[0].extra, "(@User.Title==\"P)M\" && (@User.Division==\"Finance\"))");
    EXPECT_EQ(format_sddl(*sd), text);
}

TEST(Sddl, ErrorsNameTheOffsetOfTheMistake) {
    struct Case {
        const char* text;
        std::size_t offset;
        const char* words;
    };
    const Case cases[] = {
        {"D:P(A;;GA;;;XX)", 12, "unknown SID alias 'XX'"},
        {"D:P(A;;GQ;;;WD)", 7, "unknown access right 'GQ'"},
        {"D:P(Q;;GA;;;WD)", 4, "unknown ACE type 'Q'"},
        {"D:P(A;XY;GA;;;WD)", 6, "unknown ACE flag 'XY'"},
        {"D:P(A;;GA;;WD)", 13, "expected ';' after the inherited object GUID"},
        {"D:P(A;;GA;;;WD", 14, "expected ')'"},
        {"D:P(A;;GA)", 9, "expected ';' after the rights"},
        {"D:P(A;;0x1ffffffff;;;WD)", 7, "larger than 4294967295"},
        {"D:(A;;GA;not-a-guid;;WD)", 9, "not a GUID"},
        {"X:", 0, "expected O:, G:, D: or S:"},
        {"D:D:", 2, "a second D: part"},
        {"D:P[A;;GA;;;WD]", 3, "expected '(' to start an ACE"},
        {"O:S-1-5-99999999999", 8, "SID sub-authority is larger"},
        {"O:", 2, "expected a SID"},
    };
    for (const auto& c : cases) {
        auto sd = parse_sddl(c.text);
        ASSERT_FALSE(sd.ok()) << c.text;
        EXPECT_EQ(sd.error().code, ErrorCode::InvalidArgument);
        EXPECT_EQ(sd.error().api, "parse_sddl");
        EXPECT_EQ(error_offset(sd.error()), c.offset) << c.text << ": " << sd.error().message;
        EXPECT_NE(sd.error().message.find(c.words), std::string::npos)
            << c.text << ": " << sd.error().message;
        EXPECT_NE(sd.error().message.find("Next:"), std::string::npos);
    }
}

TEST(Sddl, RejectsOverlongText) {
    auto sd = parse_sddl(std::string(kMaxSddlLength + 1, ' '));
    ASSERT_FALSE(sd.ok());
    EXPECT_NE(sd.error().message.find("longer than"), std::string::npos);
}

}  // namespace
