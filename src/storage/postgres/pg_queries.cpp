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

// A profile's columns of users, in booking_row::ReadParty's order.
constexpr std::string_view kProfileColumns =
    "user_id, nickname, phonechat_number, skype_name, positive, neutral, negative, disputes";

}  // namespace

std::string_view MadeBookingsPageSql(BookingOrder order, bool with_start, BookingSide side) {
  return Sql().Page(order, with_start, side);
}

std::string_view CountMadeBookingsSql(bool with_start, BookingSide side) { return Sql().Count(with_start, side); }

std::string_view FullBookingSelect() {
  static const std::string sql = "SELECT " + std::string(booking_row::kBothPartiesColumns) +
                                 " FROM bookings AS b JOIN users AS u ON u.user_id = b.candidate_user_id "
                                 "JOIN users AS c ON c.user_id = b.client_user_id";
  return sql;
}

StoredBooking ReadFullBooking(const Rows& rows, int row) { return booking_row::ReadWithBothParties(RowOf{rows, row}); }

std::string_view UserSelect() {
  static const std::string sql =
      "SELECT " + std::string(kProfileColumns) +
      ", offers_phonechat, phonechat_ppm, offer_direct_chat, direct_chat_only, direct_chat_ppm, "
      "show_phonechat_number FROM users";
  return sql;
}

UserWithSettings ReadUser(const Rows& rows, int row) {
  constexpr int kSettings = booking_row::kPartyColumnCount;
  const auto credits = [&](int column) -> std::optional<Credits> {
    if (rows.IsNull(row, column)) return std::nullopt;
    return Credits{rows.Int(row, column)};
  };
  UserWithSettings user;
  user.profile = booking_row::ReadParty(RowOf{rows, row}, 0);
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
