// The made-bookings page and count queries in SQLite's dialect.
#pragma once

#include <string_view>

#include "storage/made_bookings_sql.hpp"

namespace phonechat::sqlite {

// The page query of `side` for `order`: parameters ?1 the list's owner, ?2 limit, ?3 offset, and with `with_start`
// ?4 the smallest CreateDate kept (LocalDateTime::millis). Columns as booking_row::ReadColumn lists them.
std::string_view MadeBookingsPageSql(BookingOrder order, bool with_start, BookingSide side = BookingSide::kMade);

// The count query of `side`: ?1 the list's owner and, with `with_start`, ?2 the smallest CreateDate kept.
std::string_view CountMadeBookingsSql(bool with_start, BookingSide side = BookingSide::kMade);

}  // namespace phonechat::sqlite
