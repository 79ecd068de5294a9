// The SQL of a user's bookings lists, made as client or received as candidate (the page and the count), built from
// kBookingOrders for each backend.
#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <string_view>

#include "domain/booking.hpp"
#include "domain/booking_order.hpp"

namespace phonechat {

// The SQL engines the list queries are written for; they differ in spelling and in how a plan is pinned.
enum class SqlDialect { kSqlite, kPostgres };

// How many page queries there are: one per side and order, without and with a start date.
inline constexpr std::size_t kMadeBookingsPageQueryCount = kBookingOrders.size() * 2 * 2;

// The page query for `order`, `with_start` and `side` as a position below kMadeBookingsPageQueryCount, for caches
// of prepared statements.
constexpr std::size_t MadeBookingsPageQueryIndex(BookingOrder order, bool with_start,
                                                 BookingSide side = BookingSide::kMade) {
  return (side == BookingSide::kReceived ? kBookingOrders.size() * 2 : 0) + order.Index() * 2 + (with_start ? 1 : 0);
}

// Every list query of one dialect, built once.
class MadeBookingsSql {
 public:
  explicit MadeBookingsSql(SqlDialect dialect);

  // The page query of `side` for `order`: parameters 1 the list's owner (client or candidate), 2 limit, 3 offset
  // and, with `with_start`, 4 the smallest CreateDate kept (LocalDateTime::millis). Columns as
  // booking_row::ReadColumn lists them, u being the other party.
  [[nodiscard]] std::string_view Page(BookingOrder order, bool with_start,
                                      BookingSide side = BookingSide::kMade) const {
    return pages_[MadeBookingsPageQueryIndex(order, with_start, side)];
  }
  // The count query of `side`: parameters 1 the list's owner and, with `with_start`, 2 the smallest CreateDate kept.
  [[nodiscard]] std::string_view Count(bool with_start, BookingSide side = BookingSide::kMade) const {
    return counts_[(side == BookingSide::kReceived ? 2 : 0) + (with_start ? 1 : 0)];
  }

 private:
  std::array<std::string, kMadeBookingsPageQueryCount> pages_;
  std::array<std::string, 4> counts_;  // made without, with a start date; received without, with
};

}  // namespace phonechat
