#include "storage/sqlite/queries.hpp"

#include <array>
#include <string>

namespace phonechat::sqlite {

namespace {

struct OrderSql {
  const char* index;  // the index that yields this order
  const char* key;    // the order's column; booking_id breaks ties in the same direction
  bool descending;
};

// Indexed by BookingOrder.
static_assert(static_cast<int>(BookingOrder::kDateDesc) == 0 && static_cast<int>(BookingOrder::kDateAsc) == 1 &&
              static_cast<int>(BookingOrder::kNicknameAsc) == 2 && static_cast<int>(BookingOrder::kNicknameDesc) == 3 &&
              static_cast<int>(BookingOrder::kSessionDateAsc) == 4 &&
              static_cast<int>(BookingOrder::kSessionDateDesc) == 5);
constexpr std::array<OrderSql, 6> kOrders{{
    {"bookings_made_by_date", "create_date", true},
    {"bookings_made_by_date", "create_date", false},
    {"bookings_made_by_nickname", "candidate_nickname_key", false},
    {"bookings_made_by_nickname", "candidate_nickname_key", true},
    {"bookings_made_by_session_date", "session_date", false},
    {"bookings_made_by_session_date", "session_date", true},
}};

constexpr const char* kPageColumns =
    "b.booking_id, b.client_user_id, b.duration_minutes, b.credits, b.status, b.method, b.phone_number, "
    "b.skype_name, b.create_date, b.session_date, b.accept_by, b.accepted_date, b.confirmed_date, "
    "b.cancelled_date, b.cancelled_reason, b.cancelled_by, b.rejected_reason, b.last_updated, b.comments, "
    "u.user_id, u.nickname, u.phonechat_number, u.skype_name, u.positive, u.neutral, u.negative, u.disputes";

// The page is LIMIT/OFFSET in meaning, but the OFFSET rows are skipped by a scalar subquery that reads the
// covering index alone; the outer query then starts at that row (a row-value range on the same index) and
// joins users for the page's rows only. A plain OFFSET would join every skipped row as well, about three
// times the work on deep pages. An offset past the end makes the subquery NULL, hence an empty page.
// INDEXED BY pins the plan: preparing fails outright rather than silently falling back to a sort; CROSS JOIN
// keeps bookings as the outer loop, so the index order is the output order.
std::string BuildPageSql(const OrderSql& order, bool with_start) {
  const std::string direction = order.descending ? " DESC" : " ASC";
  const std::string key = order.key;
  std::string filter = "client_user_id = ?1 AND deleted_by_client = 0";
  if (with_start) filter += " AND create_date >= ?4";
  std::string sql = "SELECT ";
  sql += kPageColumns;
  sql += " FROM bookings AS b INDEXED BY ";
  sql += order.index;
  sql +=
      " CROSS JOIN users AS u ON u.user_id = b.candidate_user_id WHERE b.client_user_id = ?1"
      " AND b.deleted_by_client = 0";
  if (with_start) sql += " AND b.create_date >= ?4";
  sql += " AND (b." + key + ", b.booking_id) " + (order.descending ? "<=" : ">=") + " (SELECT " + key +
         ", booking_id FROM bookings INDEXED BY " + order.index + " WHERE " + filter + " ORDER BY " + key + direction +
         ", booking_id" + direction + " LIMIT 1 OFFSET ?3)";
  sql += " ORDER BY b." + key + direction + ", b.booking_id" + direction + " LIMIT ?2";
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
    counts[0] =
        "SELECT count(*) FROM bookings INDEXED BY bookings_made_by_date"
        " WHERE client_user_id = ?1 AND deleted_by_client = 0";
    counts[1] = counts[0] + " AND create_date >= ?2";
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

}  // namespace phonechat::sqlite
