#include "api/made_bookings_request.hpp"

#include <gtest/gtest.h>

namespace phonechat {
namespace {

Result<MadeBookingsRequest> Parse(std::string_view query, bool group = false) {
  return ParseMadeBookingsRequest(QueryParameters::Parse(query), group);
}

std::vector<std::string> InvalidFields(const Result<MadeBookingsRequest>& result) {
  std::vector<std::string> fields;
  if (result) return fields;
  for (const FieldErrors& field : result.error().model_state) fields.push_back(field.field);
  return fields;
}

TEST(MadeBookingsRequest, DefaultsWhenNothingIsGiven) {
  auto request = Parse("");
  ASSERT_TRUE(request);
  EXPECT_EQ(request->query.order, BookingOrder::kDateDesc);
  EXPECT_EQ(request->query.bookings_per_page, 50);
  EXPECT_EQ(request->query.page_number, 1);
  EXPECT_FALSE(request->query.created_from);
}

TEST(MadeBookingsRequest, AcceptsEveryOrderIgnoringCase) {
  for (const auto& [name, order] : kBookingOrderNames) {
    std::string upper(name);
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    auto request = Parse("OrderBy=" + upper);
    ASSERT_TRUE(request) << name;
    EXPECT_EQ(request->query.order, order);
  }
}

TEST(MadeBookingsRequest, BookingsPerPageBounds) {
  EXPECT_TRUE(Parse("BookingsPerPage=1"));
  EXPECT_TRUE(Parse("BookingsPerPage=100"));
  EXPECT_TRUE(Parse("BookingsPerPage=007"));
  for (std::string_view bad : {"0", "101", "-1", "%2B5", "1%202", "10abc", "1e2", "0x10", "1.0", "99999999999999999999"}) {
    EXPECT_EQ(InvalidFields(Parse("BookingsPerPage=" + std::string(bad))), std::vector<std::string>{"BookingsPerPage"})
        << bad;
  }
}

TEST(MadeBookingsRequest, PageNumberBounds) {
  EXPECT_EQ(Parse("PageNumber=2147483647")->query.page_number, 2147483647);
  EXPECT_EQ(InvalidFields(Parse("PageNumber=2147483648")), std::vector<std::string>{"PageNumber"});
  EXPECT_EQ(InvalidFields(Parse("PageNumber=0")), std::vector<std::string>{"PageNumber"});
}

TEST(MadeBookingsRequest, StartDateMustBeARealDay) {
  auto request = Parse("StartDate=2024-02-29");
  ASSERT_TRUE(request);
  EXPECT_EQ(request->query.created_from, ParseLocalDateTime("2024-02-29T00:00:00"));
  for (std::string_view bad : {"2023-02-29", "2024-13-01", "2024-1-01", "2024-01-01T00:00:00", "yesterday"}) {
    EXPECT_EQ(InvalidFields(Parse("StartDate=" + std::string(bad))), std::vector<std::string>{"StartDate"}) << bad;
  }
}

TEST(MadeBookingsRequest, ReportsEveryViolationAtOnceInRuleOrder) {
  auto request = Parse("PageNumber=0&BookingsPerPage=0&OrderBy=price&StartDate=x&UserID=abc", true);
  EXPECT_EQ(InvalidFields(request),
            (std::vector<std::string>{"StartDate", "OrderBy", "BookingsPerPage", "PageNumber", "UserID"}));
  EXPECT_EQ(request.error().code, ErrorCode::kInvalidRequest);
  EXPECT_EQ(request.error().message, "The request is invalid.");
}

TEST(MadeBookingsRequest, OrderByMessageListsTheAllowedValues) {
  auto request = Parse("OrderBy=price");
  ASSERT_FALSE(request);
  const Error error = request.error();  // result::error() returns a copy
  const std::string& message = error.model_state.front().messages.front();
  for (const auto& [name, order] : kBookingOrderNames) EXPECT_NE(message.find(name), std::string::npos) << name;
}

TEST(MadeBookingsRequest, RepeatedOrMalformedParameterIsNamed) {
  EXPECT_EQ(InvalidFields(Parse("OrderBy=date-asc&orderby=date-desc")), std::vector<std::string>{"OrderBy"});
  EXPECT_EQ(InvalidFields(Parse("PageNumber=%zz")), std::vector<std::string>{"PageNumber"});
}

TEST(MadeBookingsRequest, GroupRouteRequiresAValidUserId) {
  EXPECT_EQ(InvalidFields(Parse("", true)), std::vector<std::string>{"UserID"});
  EXPECT_EQ(InvalidFields(Parse("UserID=", true)), std::vector<std::string>{"UserID"});
  EXPECT_EQ(InvalidFields(Parse("UserID=0", true)), std::vector<std::string>{"UserID"});
  EXPECT_EQ(InvalidFields(Parse("UserID=2147483648", true)), std::vector<std::string>{"UserID"});
  auto request = Parse("userid=123456", true);
  ASSERT_TRUE(request);
  EXPECT_EQ(request->member_user_id, 123456);
  EXPECT_FALSE(Parse("UserID=5", false)->member_user_id);
}

TEST(ParseBoundedInteger, AcceptsOnlyPlainDigitsInRange) {
  EXPECT_EQ(ParseBoundedInteger("42", 1, 100), 42);
  EXPECT_EQ(ParseBoundedInteger("", 1, 100), std::nullopt);
  EXPECT_EQ(ParseBoundedInteger(" 42", 1, 100), std::nullopt);
  EXPECT_EQ(ParseBoundedInteger("9223372036854775808", 1, 100), std::nullopt);
}

}  // namespace
}  // namespace phonechat
