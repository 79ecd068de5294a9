// The PostgreSQL spelling of the list queries, and the reads of a whole booking and of a user with their settings
// that the session and the life-cycle transaction share.
#include "storage/postgres/pg_queries.hpp"

#include <string>

#include "storage/booking_row.hpp"

namespace phonechat::pg {
namespace {

const MadeBookingsSql& Sql() {
  static const MadeBookingsSql sql(SqlDialect::kPostgres);
  return sql;
}

// One row of a result, as booking_row::Read reads it.
struct RowOf {
  const Rows& rows;
  int row;

  [[nodiscard]] std::int64_t Int(int column) const { return rows.Int(row, column); }
  [[nodiscard]] bool IsNull(int column) const { return rows.IsNull(row, column); }
  [[nodiscard]] std::string_view Text(int column) const { return rows.Text(row, column); }
};

// The columns FullBookingSelect adds after booking_row's read row, in this order.
enum FullColumn : int {
  kOfferedCredits = booking_row::kCandidateDisputes + 1,
  kRejectionKind,
  kDeletedByClient,
  kDeletedByCandidate,
  kRescheduledFrom,
  kSettled,
  kClientProfile,  // kProfileColumns of the client, from here on
};

// A profile's columns of users, in ReadProfile's order.
constexpr std::string_view kProfileColumns =
    "user_id, nickname, phonechat_number, skype_name, positive, neutral, negative, disputes";
constexpr int kProfileColumnCount = 8;

PartyProfile ReadProfile(const Rows& rows, int row, int first) {
  const auto text = [&](int column) -> std::optional<std::string> {
    if (rows.IsNull(row, first + column)) return std::nullopt;
    return std::string(rows.Text(row, first + column));
  };
  const auto int32 = [&](int column) { return static_cast<std::int32_t>(rows.Int(row, first + column)); };
  PartyProfile profile;
  profile.user_id = int32(0);
  profile.nickname = rows.Text(row, first + 1);
  profile.phonechat_number = text(2);
  profile.skype_name = text(3);
  profile.positive = int32(4);
  profile.neutral = int32(5);
  profile.negative = int32(6);
  profile.disputes = int32(7);
  return profile;
}

std::string Prefixed(std::string_view prefix, std::string_view columns) {
  std::string out;
  while (!columns.empty()) {
    const auto comma = columns.find(", ");
    out.append(prefix).append(columns.substr(0, comma));
    if (comma == std::string_view::npos) break;
    out += ", ";
    columns.remove_prefix(comma + 2);
  }
  return out;
}

}  // namespace

std::string_view MadeBookingsPageSql(BookingOrder order, bool with_start) { return Sql().Page(order, with_start); }

std::string_view CountMadeBookingsSql(bool with_start) { return Sql().Count(with_start); }

std::string_view FullBookingSelect() {
  static const std::string sql =
      "SELECT " + std::string(booking_row::kReadColumns) +
      ", b.offered_credits, b.rejection_kind, b.deleted_by_client, b.deleted_by_candidate, b.rescheduled_from, "
      "b.settled, " +
      Prefixed("c.", kProfileColumns) +
      " FROM bookings AS b JOIN users AS u ON u.user_id = b.candidate_user_id "
      "JOIN users AS c ON c.user_id = b.client_user_id";
  return sql;
}

StoredBooking ReadFullBooking(const Rows& rows, int row) {
  StoredBooking booking = booking_row::Read(RowOf{rows, row});
  booking.offered_credits = Credits{rows.Int(row, kOfferedCredits)};
  if (!rows.IsNull(row, kRejectionKind)) {
    booking.rejection_kind = ParseRejectionKind(rows.Text(row, kRejectionKind));
    if (!booking.rejection_kind) {
      throw std::runtime_error("booking " + std::to_string(booking.booking_id) + " has an unknown rejection kind");
    }
  }
  booking.deleted_by_client = rows.Bool(row, kDeletedByClient);
  booking.deleted_by_candidate = rows.Bool(row, kDeletedByCandidate);
  if (!rows.IsNull(row, kRescheduledFrom)) {
    booking.rescheduled_from = static_cast<BookingId>(rows.Int(row, kRescheduledFrom));
  }
  booking.settled = rows.Bool(row, kSettled);
  booking.client = ReadProfile(rows, row, kClientProfile);
  return booking;
}

std::string_view UserSelect() {
  static const std::string sql =
      "SELECT " + std::string(kProfileColumns) +
      ", offers_phonechat, phonechat_ppm, offer_direct_chat, direct_chat_only, direct_chat_ppm, "
      "show_phonechat_number FROM users";
  return sql;
}

UserWithSettings ReadUser(const Rows& rows, int row) {
  constexpr int kSettings = kProfileColumnCount;
  const auto credits = [&](int column) -> std::optional<Credits> {
    if (rows.IsNull(row, column)) return std::nullopt;
    return Credits{rows.Int(row, column)};
  };
  UserWithSettings user;
  user.profile = ReadProfile(rows, row, 0);
  PhoneChatSettings& settings = user.settings;
  settings.offers_phonechat = rows.Bool(row, kSettings);
  settings.phonechat_ppm = credits(kSettings + 1);
  settings.offer_direct_chat = rows.Bool(row, kSettings + 2);
  // Writers keep direct_chat_ppm set exactly when offer_direct_chat; a row that says otherwise reads as price 0.
  if (settings.offer_direct_chat) {
    settings.direct_chat =
        DirectChatSettings{rows.Bool(row, kSettings + 3), credits(kSettings + 4).value_or(Credits{})};
  }
  settings.show_phonechat_number = rows.Bool(row, kSettings + 5);
  settings.phonechat_number = user.profile.phonechat_number;
  return user;
}

}  // namespace phonechat::pg
