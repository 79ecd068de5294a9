#include "domain/credits.hpp"

#include <gtest/gtest.h>

#include <string>

namespace phonechat {
namespace {

std::int64_t Parsed(std::string_view text) {
  const auto credits = ParseCredits(text);
  EXPECT_TRUE(credits.has_value()) << text << ": " << (credits ? "" : credits.error());
  return credits ? credits->ten_thousandths : -1;
}

std::string ParseError(std::string_view text) {
  const auto credits = ParseCredits(text);
  return credits ? "<accepted>" : credits.error();
}

std::string Json(std::int64_t ten_thousandths) {
  std::string out;
  AppendCreditsJson(out, Credits{ten_thousandths});
  return out;
}

std::string Xml(std::int64_t ten_thousandths) {
  std::string out;
  AppendCreditsXml(out, Credits{ten_thousandths});
  return out;
}

TEST(ParseCredits, ReadsWholeAndFractionalAmountsInTenThousandths) {
  EXPECT_EQ(Parsed("8"), 80'000);
  EXPECT_EQ(Parsed("8.5"), 85'000);
  EXPECT_EQ(Parsed("12.25"), 122'500);
  EXPECT_EQ(Parsed("0.0001"), 1);
  EXPECT_EQ(Parsed("0"), 0);
  EXPECT_EQ(Parsed("8.0000"), 80'000);
}

TEST(ParseCredits, IgnoresLeadingAndTrailingZeros) {
  EXPECT_EQ(Parsed("8.50000"), 85'000);
  EXPECT_EQ(Parsed("0.000100000000"), 1);
  EXPECT_EQ(Parsed("007"), 70'000);
  EXPECT_EQ(Parsed("00000000000000000000012.5"), 125'000);
}

TEST(ParseCredits, AcceptsTheLargestAmountExactly) { EXPECT_EQ(Parsed("99999999999.9999"), kMaxCreditsTenThousandths); }

TEST(ParseCredits, RejectsAmountsAboveTheMaximum) {
  EXPECT_EQ(ParseError("100000000000"), "is too large");
  EXPECT_EQ(ParseError("99999999999999999999999999999"), "is too large");
}

TEST(ParseCredits, RejectsMoreThanFourSignificantFractionDigits) {
  EXPECT_EQ(ParseError("0.00001"), "has more than 4 fraction digits");
  EXPECT_EQ(ParseError("8.12345"), "has more than 4 fraction digits");
  EXPECT_EQ(ParseError("1.000010"), "has more than 4 fraction digits");
}

TEST(ParseCredits, RejectsAnythingButPlainDigitsWithAnOptionalFraction) {
  for (const char* text : {"", "abc", "-1", "+1", "1e2", "1E2", "1.", ".5", " 1", "1 ", "1.2.3", "0x10", "1,5", "-0",
                           "8.5e0", "NaN", "."}) {
    EXPECT_EQ(ParseError(text), "must be a decimal number") << text;
  }
}

TEST(AppendCreditsJson, WritesTheShortestExactDecimal) {
  EXPECT_EQ(Json(80'000), "8");
  EXPECT_EQ(Json(85'000), "8.5");
  EXPECT_EQ(Json(122'500), "12.25");
  EXPECT_EQ(Json(1), "0.0001");
  EXPECT_EQ(Json(0), "0");
  EXPECT_EQ(Json(10'010), "1.001");
  EXPECT_EQ(Json(kMaxCreditsTenThousandths), "99999999999.9999");
}

TEST(AppendCreditsXml, AlwaysWritesFourFractionDigits) {
  EXPECT_EQ(Xml(80'000), "8.0000");
  EXPECT_EQ(Xml(85'000), "8.5000");
  EXPECT_EQ(Xml(1), "0.0001");
  EXPECT_EQ(Xml(0), "0.0000");
  EXPECT_EQ(Xml(kMaxCreditsTenThousandths), "99999999999.9999");
}

TEST(Credits, BothFormsParseBackToTheSameAmount) {
  for (const std::int64_t value : {std::int64_t{0}, std::int64_t{1}, std::int64_t{10}, std::int64_t{85'000},
                                   std::int64_t{123'456'789}, kMaxCreditsTenThousandths}) {
    EXPECT_EQ(Parsed(Json(value)), value);
    EXPECT_EQ(Parsed(Xml(value)), value);
  }
}

}  // namespace
}  // namespace phonechat
