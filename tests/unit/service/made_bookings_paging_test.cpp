// The list's paging arithmetic (service/made_bookings_paging.hpp): where a page starts, how many bookings it holds,
// and the totals every answer carries.
#include "service/made_bookings_paging.hpp"

#include <gtest/gtest.h>

namespace phonechat {
namespace {

MadeBookingsQuery Page(std::int32_t number, std::int32_t size) {
  MadeBookingsQuery query;
  query.page_number = number;
  query.bookings_per_page = size;
  return query;
}

TEST(PageSpan, StartsAfterThePagesBeforeIt) {
  EXPECT_EQ(PageSpan::Of(Page(1, 50)).offset, 0);
  EXPECT_EQ(PageSpan::Of(Page(3, 7)).offset, 14);
  EXPECT_EQ(PageSpan::Of(Page(3, 7)).limit, 7);
}

TEST(PageSpan, TheLastPossiblePageDoesNotOverflow) {
  EXPECT_EQ(PageSpan::Of(Page(2'147'483'647, 100)).offset, 214'748'364'600);
}

TEST(PageSpan, HoldsAFullPageThenTheRestThenNothing) {
  EXPECT_EQ(PageSpan::Of(Page(1, 10)).CountOf(25), 10);
  EXPECT_EQ(PageSpan::Of(Page(3, 10)).CountOf(25), 5);
  EXPECT_EQ(PageSpan::Of(Page(4, 10)).CountOf(25), 0);
  EXPECT_EQ(PageSpan::Of(Page(2'147'483'647, 100)).CountOf(25), 0);
  EXPECT_EQ(PageSpan::Of(Page(1, 10)).CountOf(0), 0);
}

TEST(PageTotals, CountsPagesRoundingUpAndNoneWhenNothingMatches) {
  const MadeBookingsPage page = PageTotals(Page(2, 10), 25);
  EXPECT_EQ(page.page_number, 2);
  EXPECT_EQ(page.bookings_per_page, 10);
  EXPECT_EQ(page.bookings_total, 25);
  EXPECT_EQ(page.page_count, 3);
  EXPECT_TRUE(page.bookings.empty());
  EXPECT_EQ(PageTotals(Page(1, 10), 30).page_count, 3);
  EXPECT_EQ(PageTotals(Page(1, 10), 31).page_count, 4);
  EXPECT_EQ(PageTotals(Page(5, 10), 0).page_count, 0);
  EXPECT_EQ(PageTotals(Page(5, 10), 0).page_number, 5);
}

}  // namespace
}  // namespace phonechat
