// The PostgreSQL list queries, built once from made_bookings_sql.

#include "storage/postgres/pg_queries.hpp"

namespace phonechat::pg {
namespace {

const MadeBookingsSql& Sql() {
  static const MadeBookingsSql sql(SqlDialect::kPostgres);
  return sql;
}

}  // namespace

std::string_view MadeBookingsPageSql(BookingOrder order, bool with_start) { return Sql().Page(order, with_start); }

std::string_view CountMadeBookingsSql(bool with_start) { return Sql().Count(with_start); }

}  // namespace phonechat::pg
