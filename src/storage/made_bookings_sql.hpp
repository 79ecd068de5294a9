// The SQL of a client's made-bookings list (the page and the count), built from kBookingOrders for each backend.
#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <string_view>

#include "domain/booking_order.hpp"

namespace phonechat {

// The SQL engines the list queries are written for; they differ in spelling and in how a plan is pinned.
enum class SqlDialect { kSqlite, kPostgres };

// How many page queries there are: one per order, without and with a start date.
inline constexpr std::size_t kMadeBookingsPageQueryCount = kBookingOrders.size() * 2;

// The page query for `order` and `with_start` as a position below kMadeBookingsPageQueryCount, for caches of
// prepared statements.
constexpr std::size_t MadeBookingsPageQueryIndex(BookingOrder order, bool with_start) {
  return order.Index() * 2 + (with_start ? 1 : 0);
}

// Every list query of one dialect, built once.
class MadeBookingsSql {
 public:
  explicit MadeBookingsSql(SqlDialect dialect);

  // The page query for `order`: parameters 1 client, 2 limit, 3 offset and, with `with_start`, 4 the smallest
  // CreateDate kept (LocalDateTime::millis). Columns as booking_row::ReadColumn lists them.
  [[nodiscard]] std::string_view Page(BookingOrder order, bool with_start) const {
    return pages_[MadeBookingsPageQueryIndex(order, with_start)];
  }
  // The count query: parameters 1 client and, with `with_start`, 2 the smallest CreateDate kept.
  [[nodiscard]] std::string_view Count(bool with_start) const { return counts_[with_start ? 1 : 0]; }

 private:
  std::array<std::string, kMadeBookingsPageQueryCount> pages_;
  std::array<std::string, 2> counts_;  // without, with a start date
};

}  // namespace phonechat
