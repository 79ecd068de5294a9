// The bookings row every backend reads and writes, with its one mapping to and from StoredBooking.
#pragma once

// A booking as every backend's tables hold it: the row a query reads (the booking and one or both parties'
// profiles) and the row a write batch writes, each with its one mapping to and from StoredBooking.

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

// Column positions of a read row, as kReadColumns selects them (bookings AS b, the other party's users row AS u:
// the candidate's on the made side, the client's on the received side; kBothPartiesColumns adds the client's as c).
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
  kBookingCandidateUserId,
  kOfferedCredits,
  kRejectionKind,
  kDeletedByClient,
  kDeletedByCandidate,
  kRescheduledFrom,
  kSettled,
  kPartyUserId,  // the users row joined as u
  kPartyNickname,
  kPartyPhonechatNumber,
  kPartySkypeName,
  kPartyPositive,
  kPartyNeutral,
  kPartyNegative,
  kPartyDisputes,
  kSecondPartyUserId,  // the client's users row joined as c (kBothPartiesColumns only)
};

// How many columns a party's profile takes.
inline constexpr int kPartyColumnCount = kSecondPartyUserId - kPartyUserId;

// The select list of a read row, in ReadColumn order.
inline constexpr std::string_view kReadColumns =
    "b.booking_id, b.client_user_id, b.duration_minutes, b.credits, b.status, b.method, b.phone_number, "
    "b.skype_name, b.create_date, b.session_date, b.accept_by, b.accepted_date, b.confirmed_date, "
    "b.cancelled_date, b.cancelled_reason, b.cancelled_by, b.rejected_reason, b.last_updated, b.comments, "
    "b.candidate_user_id, b.offered_credits, b.rejection_kind, b.deleted_by_client, b.deleted_by_candidate, "
    "b.rescheduled_from, b.settled, "
    "u.user_id, u.nickname, u.phonechat_number, u.skype_name, u.positive, u.neutral, u.negative, u.disputes";

// kReadColumns (u: the candidate's users row) and then the client's profile (c: the client's users row), as
// ReadWithBothParties reads them.
inline constexpr std::string_view kBothPartiesColumns =
    "b.booking_id, b.client_user_id, b.duration_minutes, b.credits, b.status, b.method, b.phone_number, "
    "b.skype_name, b.create_date, b.session_date, b.accept_by, b.accepted_date, b.confirmed_date, "
    "b.cancelled_date, b.cancelled_reason, b.cancelled_by, b.rejected_reason, b.last_updated, b.comments, "
    "b.candidate_user_id, b.offered_credits, b.rejection_kind, b.deleted_by_client, b.deleted_by_candidate, "
    "b.rescheduled_from, b.settled, "
    "u.user_id, u.nickname, u.phonechat_number, u.skype_name, u.positive, u.neutral, u.negative, u.disputes, "
    "c.user_id, c.nickname, c.phonechat_number, c.skype_name, c.positive, c.neutral, c.negative, c.disputes";

// The bookings columns a write batch writes, in the order Write() hands their values over. The candidate's folded
// nickname (candidate_nickname_key) is not among them: each backend takes it from the candidate's users row.
inline constexpr std::string_view kWriteColumns =
    "booking_id, client_user_id, candidate_user_id, duration_minutes, credits, status, method, phone_number, "
    "skype_name, create_date, session_date, accept_by, accepted_date, confirmed_date, cancelled_date, "
    "cancelled_reason, cancelled_by, rejected_reason, last_updated, comments, deleted_by_client, offered_credits, "
    "rejection_kind, deleted_by_candidate, rescheduled_from, settled";

// How many columns kWriteColumns names.
inline constexpr int kWriteColumnCount = 26;
static_assert(std::count(kWriteColumns.begin(), kWriteColumns.end(), ',') + 1 == kWriteColumnCount);

// The flag in `column`: a backend's row answers Bool(column), or its text is SQLite's 1 or PostgreSQL's t.
template <typename Row>
bool Flag(const Row& row, int column) {
  if constexpr (requires { row.Bool(column); }) {
    return row.Bool(column);
  } else {
    const std::string_view text = row.Text(column);
    return text == "1" || text == "t" || text == "true";
  }
}

// The profile of the party whose user_id is in column `first` and the rest after it, in ReadColumn order.
template <typename Row>
PartyProfile ReadParty(const Row& row, int first) {
  const auto int32 = [&](int offset) { return static_cast<std::int32_t>(row.Int(first + offset)); };
  const auto text = [&](int offset) -> std::optional<std::string> {
    if (row.IsNull(first + offset)) return std::nullopt;
    return std::string(row.Text(first + offset));
  };
  PartyProfile party;
  party.user_id = int32(0);
  party.nickname = row.Text(first + 1);
  party.phonechat_number = text(2);
  party.skype_name = text(3);
  party.positive = int32(4);
  party.neutral = int32(5);
  party.negative = int32(6);
  party.disputes = int32(7);
  return party;
}

// The booking in `row`, a read row of `side`'s list: the joined party is the candidate on the made side (the
// client's profile then holds only client_user_id), the client on the received side (the candidate's only
// candidate_user_id). `Row` answers Int(column), IsNull(column) and Text(column) (a string_view valid while the row
// is), and may answer Bool(column). Throws std::runtime_error for a status, CancelledBy or rejection kind the
// schema's CHECK constraints would refuse (a damaged database).
template <typename Row>
StoredBooking Read(const Row& row, BookingSide side = BookingSide::kMade) {
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
  const auto damaged = [&](std::string_view what) {
    return std::runtime_error("booking " + std::to_string(booking.booking_id) + " has an unknown " + std::string(what));
  };
  booking.client_user_id = int32(kClientUserId);
  booking.duration_minutes = int32(kDurationMinutes);
  booking.credits = Credits{row.Int(kCredits)};
  const auto status = ParseStatus(row.Text(kStatus));
  if (!status) throw damaged("status");
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
    if (!booking.cancelled_by) throw damaged("CancelledBy");
  }
  booking.rejected_reason = text(kRejectedReason);
  booking.last_updated = date(kLastUpdated);
  booking.comments = text(kComments);
  booking.offered_credits = Credits{row.Int(kOfferedCredits)};
  if (!row.IsNull(kRejectionKind)) {
    booking.rejection_kind = ParseRejectionKind(row.Text(kRejectionKind));
    if (!booking.rejection_kind) throw damaged("rejection kind");
  }
  booking.deleted_by_client = Flag(row, kDeletedByClient);
  booking.deleted_by_candidate = Flag(row, kDeletedByCandidate);
  if (!row.IsNull(kRescheduledFrom)) booking.rescheduled_from = int32(kRescheduledFrom);
  booking.settled = Flag(row, kSettled);
  if (side == BookingSide::kMade) {
    booking.candidate = ReadParty(row, kPartyUserId);
    booking.client.user_id = booking.client_user_id;
  } else {
    booking.client = ReadParty(row, kPartyUserId);
    booking.candidate.user_id = int32(kBookingCandidateUserId);
  }
  return booking;
}

// The booking in `row`, a row of kBothPartiesColumns: both parties' profiles.
template <typename Row>
StoredBooking ReadWithBothParties(const Row& row) {
  StoredBooking booking = Read(row, BookingSide::kMade);
  booking.client = ReadParty(row, kSecondPartyUserId);
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
  out.Bool(record.deleted_by_client || b.deleted_by_client);
  out.Int(b.offered_credits.ten_thousandths);
  if (b.rejection_kind) {
    out.Text(RejectionKindName(*b.rejection_kind));
  } else {
    out.Null();
  }
  out.Bool(b.deleted_by_candidate);
  if (b.rescheduled_from) {
    out.Int(*b.rescheduled_from);
  } else {
    out.Null();
  }
  out.Bool(b.settled);
}

}  // namespace booking_row

}  // namespace phonechat
