#include "domain/made_bookings_query.hpp"

#include <gtest/gtest.h>

namespace phonechat {
namespace {

TEST(FoldNickname, FoldsAsciiUpperCaseLettersOnly) {
  EXPECT_EQ(FoldNickname("BookedUser"), "bookeduser");
  EXPECT_EQ(FoldNickname("AZaz09@[`{"), "azaz09@[`{");
  EXPECT_EQ(FoldNickname(""), "");
}

TEST(FoldNickname, LeavesNonAsciiBytesUnchanged) {
  EXPECT_EQ(FoldNickname("\xC3\x89lise"), "\xC3\x89lise");  // É stays É: SQLite's NOCASE folds ASCII only
  EXPECT_EQ(FoldNickname("\xC3\xA9"), "\xC3\xA9");
}

TEST(FoldNickname, UnderscoreSortsBeforeEveryLetterOnceFolded) {
  // Unfolded, '_' (0x5F) lies after 'Z' (0x5A); folded it precedes 'a' (0x61).
  EXPECT_LT(std::string_view("Zed"), std::string_view("_under"));
  EXPECT_LT(FoldNickname("_under"), FoldNickname("Aaron"));
  EXPECT_LT(FoldNickname("_under"), FoldNickname("Zed"));
  EXPECT_LT(FoldNickname("_under"), FoldNickname("alice"));
}

TEST(FoldNickname, MakesNicknamesThatDifferOnlyInCaseEqual) {
  EXPECT_EQ(FoldNickname("BookedUser"), FoldNickname("bookeduser"));
  EXPECT_EQ(FoldNickname("BOOKEDUSER"), FoldNickname("BookedUser"));
}

}  // namespace
}  // namespace phonechat
