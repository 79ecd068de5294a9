// The SQLite list queries, built once from made_bookings_sql.

#include "storage/sqlite/queries.hpp"

namespace phonechat::sqlite {
namespace {

const MadeBookingsSql& Sql() {
  static const MadeBookingsSql sql(SqlDialect::kSqlite);
  return sql;
}

}  // namespace

std::string_view MadeBookingsPageSql(BookingOrder order, bool with_start, BookingSide side) {
  return Sql().Page(order, with_start, side);
}

std::string_view CountMadeBookingsSql(bool with_start, BookingSide side) { return Sql().Count(with_start, side); }

}  // namespace phonechat::sqlite
