#pragma once

#include <string_view>

#include "storage/made_bookings_sql.hpp"

namespace phonechat::pg {

// The page query for `order`: parameters $1 client, $2 limit, $3 offset, and with `with_start` $4 the smallest
// CreateDate kept (LocalDateTime::millis). Columns as PageColumn lists them.
std::string_view MadeBookingsPageSql(BookingOrder order, bool with_start);

// The count query: $1 client and, with `with_start`, $2 the smallest CreateDate kept.
std::string_view CountMadeBookingsSql(bool with_start);

// Column positions of the page query's rows.
enum PageColumn : int {
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

}  // namespace phonechat::pg
