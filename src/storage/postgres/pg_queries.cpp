#include "storage/postgres/pg_queries.hpp"

#include <array>
#include <string>

namespace phonechat::pg {

namespace {

struct OrderSql {
  const char* key;  // the order's column; booking_id breaks ties in the same direction
  bool descending;
};

// Indexed by BookingOrder.
static_assert(static_cast<int>(BookingOrder::kDateDesc) == 0 && static_cast<int>(BookingOrder::kDateAsc) == 1 &&
              static_cast<int>(BookingOrder::kNicknameAsc) == 2 && static_cast<int>(BookingOrder::kNicknameDesc) == 3 &&
              static_cast<int>(BookingOrder::kSessionDateAsc) == 4 &&
              static_cast<int>(BookingOrder::kSessionDateDesc) == 5);
constexpr std::array<OrderSql, 6> kOrders{{
    {"create_date", true},
    {"create_date", false},
    {"candidate_nickname_key", false},
    {"candidate_nickname_key", true},
    {"session_date", false},
    {"session_date", true},
}};

constexpr const char* kPageColumns =
    "b.booking_id, b.client_user_id, b.duration_minutes, b.credits, b.status, b.method, b.phone_number, "
    "b.skype_name, b.create_date, b.session_date, b.accept_by, b.accepted_date, b.confirmed_date, "
    "b.cancelled_date, b.cancelled_reason, b.cancelled_by, b.rejected_reason, b.last_updated, b.comments, "
    "u.user_id, u.nickname, u.phonechat_number, u.skype_name, u.positive, u.neutral, u.negative, u.disputes";

// As in SQLite, the page is LIMIT/OFFSET in meaning, but the OFFSET rows are skipped by a subquery that reads the
// partial bookings_made_by_* index alone (an index-only scan); the outer query then starts at that row with a
// row-value bound on the same index and fetches and joins only the page's rows. An offset past the end makes the
// subquery empty, the bound NULL, hence an empty page. The candidate is joined in a LATERAL subquery that cannot
// be flattened (OFFSET 0): a nested loop driven by the bookings index scan, so the index order is the output
// order and no plan ever sorts.
std::string BuildPageSql(const OrderSql& order, bool with_start) {
  const std::string direction = order.descending ? " DESC" : " ASC";
  const std::string key = order.key;
  std::string filter = "client_user_id = $1 AND NOT deleted_by_client";
  if (with_start) filter += " AND create_date >= $4";
  std::string sql = "SELECT ";
  sql += kPageColumns;
  sql +=
      " FROM bookings AS b CROSS JOIN LATERAL (SELECT user_id, nickname, phonechat_number, skype_name, positive, "
      "neutral, negative, disputes FROM users WHERE users.user_id = b.candidate_user_id OFFSET 0) AS u"
      " WHERE b.client_user_id = $1 AND NOT b.deleted_by_client";
  if (with_start) sql += " AND b.create_date >= $4";
  sql += " AND (b." + key + ", b.booking_id) " + (order.descending ? "<=" : ">=") + " (SELECT " + key +
         ", booking_id FROM bookings WHERE " + filter + " ORDER BY " + key + direction + ", booking_id" + direction +
         " LIMIT 1 OFFSET $3)";
  sql += " ORDER BY b." + key + direction + ", b.booking_id" + direction + " LIMIT $2";
  return sql;
}

struct AllSql {
  std::array<std::string, 12> pages;  // [order * 2 + with_start]
  std::array<std::string, 2> counts;  // [with_start]

  AllSql() {
    for (std::size_t i = 0; i < kOrders.size(); ++i) {
      pages[i * 2] = BuildPageSql(kOrders[i], false);
      pages[i * 2 + 1] = BuildPageSql(kOrders[i], true);
    }
    counts[0] = "SELECT count(*) FROM bookings WHERE client_user_id = $1 AND NOT deleted_by_client";
    counts[1] = counts[0] + " AND create_date >= $2";
  }
};

const AllSql& Sql() {
  static const AllSql sql;
  return sql;
}

}  // namespace

std::string_view MadeBookingsPageSql(BookingOrder order, bool with_start) {
  return Sql().pages[static_cast<std::size_t>(order) * 2 + (with_start ? 1 : 0)];
}

std::string_view CountMadeBookingsSql(bool with_start) { return Sql().counts[with_start ? 1 : 0]; }

}  // namespace phonechat::pg
