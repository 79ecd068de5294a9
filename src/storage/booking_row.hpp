// The bookings row every backend reads and writes, with its one mapping to and from StoredBooking.
#pragma once

// A booking as every backend's tables hold it: the row a page query reads (the booking and its candidate's
// profile) and the row a write batch writes, each with its one mapping to and from StoredBooking.

#include <algorithm>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "domain/booking.hpp"
#include "storage/store.hpp"

namespace phonechat {

namespace booking_row {

// Column positions of a read row, as kReadColumns selects them (bookings AS b, the candidate's users row AS u).
enum ReadColumn : int {
  kBookingId,
  kClientUserId,
  kDurationMinutes,
  kCredits,
  kStatus,
  kMethod,
  kPhoneNumber,
  kSkypeName,
  kCreateDate,
  kSessionDate,
  kAcceptBy,
  kAcceptedDate,
  kConfirmedDate,
  kCancelledDate,
  kCancelledReason,
  kCancelledBy,
  kRejectedReason,
  kLastUpdated,
  kComments,
  kCandidateUserId,
  kCandidateNickname,
  kCandidatePhonechatNumber,
  kCandidateSkypeName,
  kCandidatePositive,
  kCandidateNeutral,
  kCandidateNegative,
  kCandidateDisputes,
};

// The select list of a read row, in ReadColumn order.
inline constexpr std::string_view kReadColumns =
    "b.booking_id, b.client_user_id, b.duration_minutes, b.credits, b.status, b.method, b.phone_number, "
    "b.skype_name, b.create_date, b.session_date, b.accept_by, b.accepted_date, b.confirmed_date, "
    "b.cancelled_date, b.cancelled_reason, b.cancelled_by, b.rejected_reason, b.last_updated, b.comments, "
    "u.user_id, u.nickname, u.phonechat_number, u.skype_name, u.positive, u.neutral, u.negative, u.disputes";

// The bookings columns a write batch writes, in the order Write() hands their values over. The candidate's folded
// nickname (candidate_nickname_key) is not among them: each backend takes it from the candidate's users row.
inline constexpr std::string_view kWriteColumns =
    "booking_id, client_user_id, candidate_user_id, duration_minutes, credits, status, method, phone_number, "
    "skype_name, create_date, session_date, accept_by, accepted_date, confirmed_date, cancelled_date, "
    "cancelled_reason, cancelled_by, rejected_reason, last_updated, comments, deleted_by_client";

// How many columns kWriteColumns names.
inline constexpr int kWriteColumnCount = 21;
static_assert(std::count(kWriteColumns.begin(), kWriteColumns.end(), ',') + 1 == kWriteColumnCount);

// The booking in `row`, a read row. `Row` answers Int(column), IsNull(column) and Text(column) (a string_view
// valid while the row is). Throws std::runtime_error for a status or CancelledBy the schema's CHECK constraints
// would refuse (a damaged database).
template <typename Row>
StoredBooking Read(const Row& row) {
  const auto int32 = [&](int column) { return static_cast<std::int32_t>(row.Int(column)); };
  const auto text = [&](int column) -> std::optional<std::string> {
    if (row.IsNull(column)) return std::nullopt;
    return std::string(row.Text(column));
  };
  const auto date = [&](int column) -> std::optional<LocalDateTime> {
    if (row.IsNull(column)) return std::nullopt;
    return LocalDateTime{row.Int(column)};
  };
  StoredBooking booking;
  booking.booking_id = int32(kBookingId);
  booking.client_user_id = int32(kClientUserId);
  booking.duration_minutes = int32(kDurationMinutes);
  booking.credits = Credits{row.Int(kCredits)};
  const auto status = ParseStatus(row.Text(kStatus));
  if (!status) throw std::runtime_error("booking " + std::to_string(booking.booking_id) + " has an unknown status");
  booking.status = *status;
  booking.method = static_cast<ContactMethod>(row.Int(kMethod));
  booking.phone_number = text(kPhoneNumber);
  booking.skype_name = text(kSkypeName);
  booking.create_date = LocalDateTime{row.Int(kCreateDate)};
  booking.session_date = LocalDateTime{row.Int(kSessionDate)};
  booking.accept_by = LocalDateTime{row.Int(kAcceptBy)};
  booking.accepted_date = date(kAcceptedDate);
  booking.confirmed_date = date(kConfirmedDate);
  booking.cancelled_date = date(kCancelledDate);
  booking.cancelled_reason = text(kCancelledReason);
  if (!row.IsNull(kCancelledBy)) {
    booking.cancelled_by = ParseCancelledBy(row.Text(kCancelledBy));
    if (!booking.cancelled_by) {
      throw std::runtime_error("booking " + std::to_string(booking.booking_id) + " has an unknown CancelledBy");
    }
  }
  booking.rejected_reason = text(kRejectedReason);
  booking.last_updated = date(kLastUpdated);
  booking.comments = text(kComments);
  booking.candidate.user_id = int32(kCandidateUserId);
  booking.candidate.nickname = row.Text(kCandidateNickname);
  booking.candidate.phonechat_number = text(kCandidatePhonechatNumber);
  booking.candidate.skype_name = text(kCandidateSkypeName);
  booking.candidate.positive = int32(kCandidatePositive);
  booking.candidate.neutral = int32(kCandidateNeutral);
  booking.candidate.negative = int32(kCandidateNegative);
  booking.candidate.disputes = int32(kCandidateDisputes);
  return booking;
}

// Hands `out` the values of kWriteColumns for `record`, one call per column in that order: out.Int(std::int64_t),
// out.Text(std::string_view), out.Bool(bool) or out.Null(). Every text that a CHECK constraint guards comes from an
// enum, so it is always one the constraint admits.
template <typename Out>
void Write(const BookingRecord& record, Out& out) {
  const StoredBooking& b = record.booking;
  const auto text = [&](const std::optional<std::string>& value) {
    if (value) {
      out.Text(*value);
    } else {
      out.Null();
    }
  };
  const auto date = [&](const std::optional<LocalDateTime>& value) {
    if (value) {
      out.Int(value->millis);
    } else {
      out.Null();
    }
  };
  out.Int(b.booking_id);
  out.Int(b.client_user_id);
  out.Int(b.candidate.user_id);
  out.Int(b.duration_minutes);
  out.Int(b.credits.ten_thousandths);
  out.Text(StatusName(b.status));
  out.Int(static_cast<std::int64_t>(b.method));
  text(b.phone_number);
  text(b.skype_name);
  out.Int(b.create_date.millis);
  out.Int(b.session_date.millis);
  out.Int(b.accept_by.millis);
  date(b.accepted_date);
  date(b.confirmed_date);
  date(b.cancelled_date);
  text(b.cancelled_reason);
  if (b.cancelled_by) {
    out.Text(CancelledByName(*b.cancelled_by));
  } else {
    out.Null();
  }
  text(b.rejected_reason);
  date(b.last_updated);
  text(b.comments);
  out.Bool(record.deleted_by_client);
}

}  // namespace booking_row

}  // namespace phonechat
