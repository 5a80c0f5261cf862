#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "pipescope/result.hpp"

using namespace pipescope::core;

namespace {

Result<int> parse_positive(int v) {
    if (v <= 0) return make_error(ErrorCode::InvalidArgument, "parse_positive", "", "not positive");
    return v;
}

TEST(Result, HoldsAValue) {
    auto r = parse_positive(7);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(*r, 7);
    EXPECT_EQ(r.value_or(1), 7);
}

TEST(Result, HoldsAnError) {
    auto r = parse_positive(-1);
    ASSERT_FALSE(r.ok());
    EXPECT_FALSE(static_cast<bool>(r));
    EXPECT_EQ(r.error().code, ErrorCode::InvalidArgument);
    EXPECT_EQ(r.value_or(42), 42);
}

TEST(Result, MovesOnlyTypes) {
    Result<std::unique_ptr<int>> r(std::make_unique<int>(5));
    ASSERT_TRUE(r.ok());
    std::unique_ptr<int> p = std::move(r).value();
    EXPECT_EQ(*p, 5);
}

TEST(Result, VoidResult) {
    Status good;
    EXPECT_TRUE(good.ok());
    Status bad = make_error(ErrorCode::Timeout, "WaitNamedPipeW", "x", "timed out");
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error().api, "WaitNamedPipeW");
}

TEST(Result, ArrowReachesMembers) {
    Result<std::string> r(std::string("abc"));
    EXPECT_EQ(r->size(), 3u);
}

}  // namespace
