// The list queries of both backends from one builder: what differs between SQLite and PostgreSQL is spelling and
// plan pinning, never what an order means.
#include "storage/made_bookings_sql.hpp"

#include <string_view>

#include "storage/booking_row.hpp"

namespace phonechat {
namespace {

// A sort key's column, and the bookings_made_by_* (client, not deleted by the client, key, booking_id) or
// bookings_received_by_* (candidate, not deleted by the candidate, key, booking_id) index whose range scan yields
// it in order. Both schemas create these indexes under the same names.
struct KeySql {
  std::string_view column;
  std::string_view index;
};

KeySql SqlOf(SortKey key, BookingSide side) {
  const bool made = side == BookingSide::kMade;
  switch (key) {
    case SortKey::kCreateDate:
      return {"create_date", made ? "bookings_made_by_date" : "bookings_received_by_date"};
    case SortKey::kNickname:
      return made ? KeySql{"candidate_nickname_key", "bookings_made_by_nickname"}
                  : KeySql{"client_nickname_key", "bookings_received_by_nickname"};
    case SortKey::kSessionDate:
      return {"session_date", made ? "bookings_made_by_session_date" : "bookings_received_by_session_date"};
  }
  return {};  // not reached: every key has a case
}

// The spelling of one dialect.
class Writer {
 public:
  Writer(SqlDialect dialect, BookingSide side)
      : sqlite_(dialect == SqlDialect::kSqlite), made_(side == BookingSide::kMade) {}

  [[nodiscard]] std::string Parameter(int position) const { return (sqlite_ ? "?" : "$") + std::to_string(position); }

  // The bookings table, named `alias` when not empty. SQLite's INDEXED BY pins the plan: preparing fails outright
  // rather than silently falling back to a sort. PostgreSQL has no hints; its partial indexes and the query's
  // shape leave the planner no cheaper choice.
  [[nodiscard]] std::string Bookings(std::string_view alias, std::string_view index) const {
    std::string sql = "bookings";
    if (!alias.empty()) sql.append(" AS ").append(alias);
    if (sqlite_) sql.append(" INDEXED BY ").append(index);
    return sql;
  }

  // The other party joined to each booking `b` as `u`: the candidate on the made side, the client on the received
  // side. SQLite's CROSS JOIN keeps bookings as the outer loop, so the index order is the output order.
  // PostgreSQL's LATERAL subquery cannot be flattened (OFFSET 0): a nested loop driven by the bookings index scan,
  // so that no plan ever sorts.
  [[nodiscard]] std::string PartyJoin() const {
    const std::string key = made_ ? "b.candidate_user_id" : "b.client_user_id";
    if (sqlite_) return " CROSS JOIN users AS u ON u.user_id = " + key;
    return " CROSS JOIN LATERAL (SELECT user_id, nickname, phonechat_number, skype_name, positive, neutral, "
           "negative, disputes FROM users WHERE users.user_id = " +
           key + " OFFSET 0) AS u";
  }

  // The owner's bookings the owner has not deleted, from parameter `start` on when not 0; columns prefixed by
  // `prefix`.
  [[nodiscard]] std::string Kept(std::string_view prefix, int start) const {
    const std::string p(prefix);
    const std::string deleted = p + (made_ ? "deleted_by_client" : "deleted_by_candidate");
    std::string sql = p + (made_ ? "client_user_id = " : "candidate_user_id = ") + Parameter(1) + " AND ";
    sql += sqlite_ ? deleted + " = 0" : "NOT " + deleted;
    if (start != 0) sql += " AND " + p + "create_date >= " + Parameter(start);
    return sql;
  }

 private:
  bool sqlite_;
  bool made_;
};

// The page is LIMIT/OFFSET in meaning, but the OFFSET rows are skipped by a subquery that reads the covering index
// alone; the outer query then starts at that row (a row-value range on the same index) and joins users for the
// page's rows only. A plain OFFSET would join every skipped row as well, about three times the work on deep pages.
// An offset past the end makes the subquery empty, the bound NULL, hence an empty page.
std::string PageSql(SqlDialect dialect, BookingOrder order, bool with_start, BookingSide side) {
  const Writer writer(dialect, side);
  const KeySql key = SqlOf(order.Key(), side);
  const std::string column(key.column);
  const std::string direction = order.Descending() ? " DESC" : " ASC";
  const int start = with_start ? 4 : 0;
  std::string sql = "SELECT ";
  sql.append(booking_row::kReadColumns)
      .append(" FROM ")
      .append(writer.Bookings("b", key.index))
      .append(writer.PartyJoin());
  sql += " WHERE " + writer.Kept("b.", start);
  sql += " AND (b." + column + ", b.booking_id) " + (order.Descending() ? "<=" : ">=") + " (SELECT " + column +
         ", booking_id FROM " + writer.Bookings("", key.index) + " WHERE " + writer.Kept("", start) + " ORDER BY " +
         column + direction + ", booking_id" + direction + " LIMIT 1 OFFSET " + writer.Parameter(3) + ")";
  sql += " ORDER BY b." + column + direction + ", b.booking_id" + direction + " LIMIT " + writer.Parameter(2);
  return sql;
}

std::string CountSql(SqlDialect dialect, bool with_start, BookingSide side) {
  const Writer writer(dialect, side);
  // The StartDate filter is a range on CreateDate: the date index answers it from the index alone.
  return "SELECT count(*) FROM " + writer.Bookings("", SqlOf(SortKey::kCreateDate, side).index) + " WHERE " +
         writer.Kept("", with_start ? 2 : 0);
}

}  // namespace

MadeBookingsSql::MadeBookingsSql(SqlDialect dialect) {
  for (const BookingSide side : {BookingSide::kMade, BookingSide::kReceived}) {
    for (std::size_t i = 0; i < kBookingOrders.size(); ++i) {
      for (const bool with_start : {false, true}) {
        const BookingOrder order = BookingOrder::At(i);
        pages_[MadeBookingsPageQueryIndex(order, with_start, side)] = PageSql(dialect, order, with_start, side);
      }
    }
    const std::size_t first = side == BookingSide::kReceived ? 2 : 0;
    counts_[first] = CountSql(dialect, false, side);
    counts_[first + 1] = CountSql(dialect, true, side);
  }
}

}  // namespace phonechat
