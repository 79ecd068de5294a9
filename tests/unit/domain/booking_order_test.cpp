// The booking-order table (domain/booking_order.hpp): the documented orders, what each sorts by, and the value
// that names a row.
#include "domain/booking_order.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

namespace phonechat {
namespace {

TEST(BookingOrder, TheDocumentedOrdersComeFirstInTheirOrderEachWithItsKeyAndDirection) {
  const std::vector<std::tuple<std::string_view, SortKey, bool>> documented{
      {"date-desc", SortKey::kCreateDate, true},         {"date-asc", SortKey::kCreateDate, false},
      {"nickname-asc", SortKey::kNickname, false},       {"nickname-desc", SortKey::kNickname, true},
      {"sessiondate-asc", SortKey::kSessionDate, false}, {"sessiondate-desc", SortKey::kSessionDate, true},
  };
  ASSERT_GE(kBookingOrders.size(), documented.size());
  for (std::size_t i = 0; i < documented.size(); ++i) {
    const auto& [name, key, descending] = documented[i];
    const BookingOrder order = BookingOrder::At(i);
    EXPECT_EQ(order.Name(), name);
    EXPECT_EQ(order.Key(), key) << name;
    EXPECT_EQ(order.Descending(), descending) << name;
  }
}

TEST(BookingOrder, NamesAreDistinctLowerCaseAndEachPairOfKeyAndDirectionAppearsOnce) {
  std::set<std::string_view> names;
  std::set<std::pair<SortKey, SortDirection>> sorts;
  for (const BookingOrderSpec& spec : kBookingOrders) {
    EXPECT_TRUE(names.insert(spec.name).second) << spec.name;
    EXPECT_TRUE(sorts.insert({spec.key, spec.direction}).second) << spec.name;
    for (const char c : spec.name) EXPECT_FALSE(c >= 'A' && c <= 'Z') << spec.name;
  }
}

TEST(BookingOrder, FindsARowByItsExactNameOnly) {
  for (std::size_t i = 0; i < kBookingOrders.size(); ++i) {
    EXPECT_EQ(BookingOrder::Find(kBookingOrders[i].name), BookingOrder::At(i));
  }
  EXPECT_FALSE(BookingOrder::Find("Date-Desc"));
  EXPECT_FALSE(BookingOrder::Find("date-desc "));
  EXPECT_FALSE(BookingOrder::Find(""));
  EXPECT_FALSE(BookingOrder::Find("price"));
}

TEST(BookingOrder, NamedConstantsAreTheRowsOfTheirNames) {
  EXPECT_EQ(BookingOrder::kDateDesc.Name(), "date-desc");
  EXPECT_EQ(BookingOrder::kDateAsc.Name(), "date-asc");
  EXPECT_EQ(BookingOrder::kNicknameAsc.Name(), "nickname-asc");
  EXPECT_EQ(BookingOrder::kNicknameDesc.Name(), "nickname-desc");
  EXPECT_EQ(BookingOrder::kSessionDateAsc.Name(), "sessiondate-asc");
  EXPECT_EQ(BookingOrder::kSessionDateDesc.Name(), "sessiondate-desc");
}

TEST(BookingOrder, NamesListEveryRowInTableOrder) {
  ASSERT_EQ(kBookingOrderNames.size(), kBookingOrders.size());
  for (std::size_t i = 0; i < kBookingOrders.size(); ++i) {
    EXPECT_EQ(kBookingOrderNames[i].first, kBookingOrders[i].name);
    EXPECT_EQ(kBookingOrderNames[i].second, BookingOrder::At(i));
  }
}

TEST(BookingOrder, EverySortKeyOfTheTableIsBelowTheKeyCount) {
  std::set<SortKey> keys;
  for (const BookingOrderSpec& spec : kBookingOrders) {
    EXPECT_LT(static_cast<std::size_t>(spec.key), kSortKeyCount) << spec.name;
    keys.insert(spec.key);
  }
  EXPECT_EQ(keys.size(), kSortKeyCount);
}

}  // namespace
}  // namespace phonechat
