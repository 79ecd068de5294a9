#pragma once

// The booking status machine as one table: which party action applies to which status as read now, at which time,
// and what it leaves (docs/lifecycle.md, "The status machine"). Plain code: no storage, no HTTP.

#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "domain/booking.hpp"

namespace phonechat {

// RejectedReason shown for a Pending booking whose AcceptBy has passed.
inline constexpr std::string_view kNotAcceptedInTimeReason = "The booking was not accepted in time.";

// The party actions on an existing booking.
enum class BookingAction {
  kAccept,             // candidate: Pending -> Accepted
  kReject,             // candidate: Pending -> Rejected
  kReInvite,           // candidate: lapsed, session passed -> Rejected (re-invited)
  kConfirm,            // client: Accepted, session ahead -> Confirmed (Payment)
  kCancelByClient,     // client: Pending or Accepted -> Cancelled; Confirmed, session ahead -> Cancelled (Refund)
  kCancelByCandidate,  // candidate: Accepted, session ahead -> Cancelled
  kDelete,             // either side: Rejected, Cancelled, or Confirmed with the session over -> hidden from it
};

// The side of the booking an action belongs to: its caller must be that side's party.
BookingSide SideOf(BookingAction action);

// The status a booking reads as at `now`: a Pending booking whose AcceptBy is at or before `now` is Rejected.
BookingStatus StatusAsReadNow(const StoredBooking& booking, LocalDateTime now);

// True when the booking is Pending and has lapsed at `now` (read as Rejected, not yet stored so), or was stored
// Rejected as lapsed (not re-invited).
bool LapsedUnanswered(const StoredBooking& booking, LocalDateTime now);

// SessionDate + Duration: the instant the session is over.
LocalDateTime SessionEnd(const StoredBooking& booking);

// Whether `action` applies to `booking` as read at `now`; otherwise the kConflict error naming the booking, the
// status found and the rule broken (`Booking 12 cannot be confirmed: its status is Rejected; it must be
// Accepted.`).
Result<void> CheckTransition(BookingAction action, const StoredBooking& booking, LocalDateTime now);

// The booking after `action` at `now` (CheckTransition must have passed): status, dates, LastUpdated, reasons.
// `credits` is the accepted amount (kAccept only); `reason` the party's text (kReject, kReInvite, kCancel*;
// kReInvite: the reason to show). kDelete changes nothing here: the caller sets its side's deleted flag.
StoredBooking ApplyTransition(BookingAction action, const StoredBooking& booking, LocalDateTime now,
                              std::optional<Credits> credits, std::optional<std::string> reason);

// The 404 text for a booking that is not on `side` for its caller: `No PhoneChat booking 12 was found among your
// received bookings.`
std::string BookingNotFoundMessage(BookingId booking_id, BookingSide side);

// True when `booking` is visible to `user_id` on `side`: that user's party role and not deleted by that side.
bool VisibleOnSide(const StoredBooking& booking, UserId user_id, BookingSide side);

}  // namespace phonechat
