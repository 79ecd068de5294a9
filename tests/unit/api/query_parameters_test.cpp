#include "api/query_parameters.hpp"

#include <gtest/gtest.h>

namespace phonechat {
namespace {

TEST(QueryParameters, NamesMatchIgnoringCase) {
  const auto parameters = QueryParameters::Parse("orderBY=date-asc");
  const QueryParameter* order = parameters.Find("orderby");
  ASSERT_NE(order, nullptr);
  EXPECT_EQ(order->values, std::vector<std::string>{"date-asc"});
}

TEST(QueryParameters, DecodesPercentEscapesAndPlusAsSpace) {
  const auto parameters = QueryParameters::Parse("a=x%2By+z&b%61=%C3%A9");
  EXPECT_EQ(parameters.Find("a")->values.front(), "x+y z");
  EXPECT_EQ(parameters.Find("ba")->values.front(), "\xC3\xA9");
}

TEST(QueryParameters, TrimsValuesAsTheSampleRequiresForItsStraySpace) {
  const auto parameters = QueryParameters::Parse("OrderBy=sessiondate-asc%20&BookingsPerPage=+10+");
  EXPECT_EQ(parameters.Find("orderby")->values.front(), "sessiondate-asc");
  EXPECT_EQ(parameters.Find("bookingsperpage")->values.front(), "10");
}

TEST(QueryParameters, EmptyValueCountsAsAbsent) {
  const auto parameters = QueryParameters::Parse("PageNumber=&PageNumber=%20&x");
  ASSERT_NE(parameters.Find("pagenumber"), nullptr);
  EXPECT_TRUE(parameters.Find("pagenumber")->values.empty());
  EXPECT_TRUE(parameters.Find("x")->values.empty());
}

TEST(QueryParameters, RepeatedNonEmptyValuesAreAllKept) {
  const auto parameters = QueryParameters::Parse("PageNumber=1&pagenumber=2&PAGENUMBER=");
  EXPECT_EQ(parameters.Find("pagenumber")->values, (std::vector<std::string>{"1", "2"}));
}

TEST(QueryParameters, InvalidPercentEncodingMarksTheParameterMalformed) {
  const auto parameters = QueryParameters::Parse("StartDate=%zz&ok=1");
  ASSERT_NE(parameters.Find("startdate"), nullptr);
  EXPECT_TRUE(parameters.Find("startdate")->malformed);
  EXPECT_FALSE(parameters.Find("ok")->malformed);
}

TEST(QueryParameters, UnknownAndEmptyPairsAreHarmless) {
  const auto parameters = QueryParameters::Parse("&&=&%zz=1&a=1");
  EXPECT_EQ(parameters.Find("a")->values.front(), "1");
  EXPECT_EQ(parameters.Find(""), nullptr);
}

}  // namespace
}  // namespace phonechat
