// The paging arithmetic of the bookings lists (made and received), for every way of answering it (the store, the thread's cache).
#pragma once

#include <algorithm>
#include <cstdint>

#include "domain/made_bookings_query.hpp"

namespace phonechat {

// Where the page a query asks for lies among the bookings that match it.
struct PageSpan {
  std::int64_t offset = 0;  // the position of its first booking, from 0
  std::int32_t limit = 0;   // the most bookings it holds: the page size

  // The span of `query`'s page.
  static constexpr PageSpan Of(const MadeBookingsQuery& query) {
    return {static_cast<std::int64_t>(query.page_number - 1) * query.bookings_per_page, query.bookings_per_page};
  }

  // How many bookings the page holds when `total` match: fewer on the last page, none past it.
  [[nodiscard]] constexpr std::int64_t CountOf(std::int64_t total) const {
    return std::clamp<std::int64_t>(total - offset, 0, limit);
  }
};

// The totals of the answer to `query` when `total` bookings match it: the page number and size asked for, the
// total and the page count (0 when nothing matches). The bookings are left to the caller.
template <typename View = MadeBookingView>
BookingsPage<View> PageTotals(const MadeBookingsQuery& query, std::int64_t total) {
  BookingsPage<View> page;
  page.page_number = query.page_number;
  page.bookings_per_page = query.bookings_per_page;
  page.bookings_total = total;
  page.page_count = (total + query.bookings_per_page - 1) / query.bookings_per_page;
  return page;
}

}  // namespace phonechat
