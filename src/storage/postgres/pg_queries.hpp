// The made-bookings page and count queries in PostgreSQL's dialect.
#pragma once

#include <string_view>

#include "domain/booking.hpp"
#include "domain/phonechat_settings.hpp"
#include "storage/made_bookings_sql.hpp"
#include "storage/postgres/pg_connection.hpp"

namespace phonechat::pg {

// The page query of `side` for `order`: parameters $1 the list's owner, $2 limit, $3 offset, and with `with_start`
// $4 the smallest CreateDate kept (LocalDateTime::millis). Columns as booking_row::ReadColumn lists them.
std::string_view MadeBookingsPageSql(BookingOrder order, bool with_start, BookingSide side = BookingSide::kMade);

// The count query of `side`: $1 the list's owner and, with `with_start`, $2 the smallest CreateDate kept.
std::string_view CountMadeBookingsSql(bool with_start, BookingSide side = BookingSide::kMade);

// `SELECT <every column of a booking and both parties' profiles> FROM bookings AS b` with the candidate's users row
// joined as u and the client's as c; the caller appends WHERE (and ORDER BY, FOR UPDATE OF b). Read with
// ReadFullBooking.
std::string_view FullBookingSelect();
// The booking in row `row` of a FullBookingSelect result.
StoredBooking ReadFullBooking(const Rows& rows, int row);

// `SELECT <a user's profile and settings> FROM users`; the caller appends WHERE. Read with ReadUser.
std::string_view UserSelect();
// The user in row `row` of a UserSelect result.
UserWithSettings ReadUser(const Rows& rows, int row);

}  // namespace phonechat::pg
