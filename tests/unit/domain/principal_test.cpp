#include "domain/principal.hpp"

#include <gtest/gtest.h>

namespace phonechat {
namespace {

Principal WithScopes(std::string scopes) { return Principal{1, 1, std::move(scopes)}; }

TEST(PrincipalHasScope, FindsEachSpaceSeparatedScope) {
  const auto principal = WithScopes("account_read account_phonechat_bookings profile");
  EXPECT_TRUE(principal.HasScope("account_read"));
  EXPECT_TRUE(principal.HasScope("account_phonechat_bookings"));
  EXPECT_TRUE(principal.HasScope("profile"));
}

TEST(PrincipalHasScope, MatchesWholeScopesOnly) {
  const auto principal = WithScopes("account_phonechat_bookings");
  EXPECT_FALSE(principal.HasScope("account"));
  EXPECT_FALSE(principal.HasScope("account_phonechat_booking"));
  EXPECT_FALSE(principal.HasScope("account_phonechat_bookings_admin"));
  EXPECT_FALSE(principal.HasScope("ACCOUNT_PHONECHAT_BOOKINGS"));
  EXPECT_FALSE(WithScopes("a b").HasScope("a b"));
}

TEST(PrincipalHasScope, EmptyScopesGrantNothing) {
  EXPECT_FALSE(WithScopes("").HasScope("account_phonechat_bookings"));
  EXPECT_FALSE(WithScopes("").HasScope(""));
  EXPECT_FALSE(WithScopes("a  b ").HasScope(""));
  EXPECT_TRUE(WithScopes("  a  b ").HasScope("b"));
}

}  // namespace
}  // namespace phonechat
