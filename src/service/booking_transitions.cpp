// The status machine's one table and the two functions that read it: the check (409 naming what was found) and
// the application (the fields each transition writes).

#include "service/booking_transitions.hpp"

#include <array>
#include <span>

namespace phonechat {
namespace {

// A time condition of a transition, tested with the request's now.
enum class TimeRule {
  kAny,
  kSessionAhead,   // SessionDate > now
  kSessionPassed,  // SessionDate <= now
  kSessionOver,    // SessionDate + Duration <= now
};

// One status (as read now) an action applies to, with its time condition.
struct FromState {
  BookingStatus status;
  TimeRule time = TimeRule::kAny;
  bool lapsed_unanswered = false;  // Rejected only: lapsed and not re-invited
};

// One row of the status machine.
struct Transition {
  BookingAction action;
  BookingSide side;
  std::string_view verb;     // `Booking 12 cannot be <verb>: …`
  std::string_view must_be;  // `…; it must be <must_be>.`
  std::array<FromState, 3> from;
  std::size_t from_count;
  std::optional<BookingStatus> to;  // nullopt: the status stays (delete)
};

constexpr std::array kTransitions{
    Transition{BookingAction::kAccept,
               BookingSide::kReceived,
               "accepted",
               "Pending",
               {FromState{BookingStatus::kPending, TimeRule::kSessionAhead}},
               1,
               BookingStatus::kAccepted},
    Transition{BookingAction::kReject,
               BookingSide::kReceived,
               "rejected",
               "Pending",
               {FromState{BookingStatus::kPending}},
               1,
               BookingStatus::kRejected},
    Transition{BookingAction::kReInvite,
               BookingSide::kReceived,
               "re-invited",
               "Rejected because it lapsed unanswered, and not re-invited before",
               {FromState{BookingStatus::kRejected, TimeRule::kSessionPassed, true}},
               1,
               BookingStatus::kRejected},
    Transition{BookingAction::kConfirm,
               BookingSide::kMade,
               "confirmed",
               "Accepted",
               {FromState{BookingStatus::kAccepted, TimeRule::kSessionAhead}},
               1,
               BookingStatus::kConfirmed},
    Transition{BookingAction::kCancelByClient,
               BookingSide::kMade,
               "cancelled",
               "Pending, Accepted or Confirmed",
               {FromState{BookingStatus::kPending}, FromState{BookingStatus::kAccepted},
                FromState{BookingStatus::kConfirmed, TimeRule::kSessionAhead}},
               3,
               BookingStatus::kCancelled},
    Transition{BookingAction::kCancelByCandidate,
               BookingSide::kReceived,
               "cancelled",
               "Accepted",
               {FromState{BookingStatus::kAccepted, TimeRule::kSessionAhead}},
               1,
               BookingStatus::kCancelled},
    Transition{BookingAction::kDelete,
               BookingSide::kMade,  // either side: the caller's side is passed separately
               "deleted yet",
               "Rejected, Cancelled, or Confirmed with the session over",
               {FromState{BookingStatus::kRejected}, FromState{BookingStatus::kCancelled},
                FromState{BookingStatus::kConfirmed, TimeRule::kSessionOver}},
               3,
               std::nullopt},
};

const Transition& RowOf(BookingAction action) {
  for (const Transition& row : kTransitions) {
    if (row.action == action) return row;
  }
  return kTransitions.front();  // unreachable: every action has a row
}

bool TimeHolds(TimeRule rule, const StoredBooking& booking, LocalDateTime now) {
  switch (rule) {
    case TimeRule::kAny:
      return true;
    case TimeRule::kSessionAhead:
      return booking.session_date > now;
    case TimeRule::kSessionPassed:
      return booking.session_date <= now;
    case TimeRule::kSessionOver:
      return SessionEnd(booking) <= now;
  }
  return false;
}

// Why the time condition failed, as the tail of the 409 message.
std::string TimeFailure(TimeRule rule, const StoredBooking& booking) {
  switch (rule) {
    case TimeRule::kSessionAhead:
      return "its SessionDate " + FormatLocalDateTime(booking.session_date) + " has passed.";
    case TimeRule::kSessionPassed:
      return "its SessionDate " + FormatLocalDateTime(booking.session_date) + " has not passed yet.";
    case TimeRule::kSessionOver:
      return "its status is Confirmed and its session is not over until " + FormatLocalDateTime(SessionEnd(booking)) +
             "; it must be Rejected, Cancelled, or Confirmed with the session over.";
    case TimeRule::kAny:
      break;
  }
  return {};
}

// The status as the message names it: a rejection says which kind, so that a refused ReInvite explains itself.
std::string StatusDescription(const StoredBooking& booking, LocalDateTime now) {
  const BookingStatus status = StatusAsReadNow(booking, now);
  std::string text(StatusName(status));
  if (status != BookingStatus::kRejected) return text;
  if (LapsedUnanswered(booking, now)) return text + " (not accepted in time)";
  if (booking.rejection_kind == RejectionKind::kReInvited) return text + " (re-invited)";
  return text + " (by the candidate)";
}

Error Conflict(std::string message) { return Error{ErrorCode::kConflict, std::move(message), {}, {}, false}; }

}  // namespace

BookingSide SideOf(BookingAction action) { return RowOf(action).side; }

BookingStatus StatusAsReadNow(const StoredBooking& booking, LocalDateTime now) {
  // The deadline passing is the rejection: it shows from that instant whether or not a job stored it yet.
  if (booking.status == BookingStatus::kPending && booking.accept_by <= now) return BookingStatus::kRejected;
  return booking.status;
}

bool LapsedUnanswered(const StoredBooking& booking, LocalDateTime now) {
  if (booking.status == BookingStatus::kPending) return booking.accept_by <= now;
  return booking.status == BookingStatus::kRejected && booking.rejection_kind == RejectionKind::kLapsed;
}

LocalDateTime SessionEnd(const StoredBooking& booking) {
  return AddMinutes(booking.session_date, booking.duration_minutes);
}

Result<void> CheckTransition(BookingAction action, const StoredBooking& booking, LocalDateTime now) {
  const Transition& row = RowOf(action);
  const BookingStatus status = StatusAsReadNow(booking, now);
  const std::string head = "Booking " + std::to_string(booking.booking_id) + " cannot be " + std::string(row.verb) + ": ";
  const FromState* time_failed = nullptr;
  for (const FromState& from : std::span(row.from.data(), row.from_count)) {
    if (from.status != status) continue;
    if (from.lapsed_unanswered && !LapsedUnanswered(booking, now)) continue;
    if (TimeHolds(from.time, booking, now)) return {};
    time_failed = &from;
  }
  if (time_failed != nullptr) return Conflict(head + TimeFailure(time_failed->time, booking));
  return Conflict(head + "its status is " + StatusDescription(booking, now) + "; it must be " +
                  std::string(row.must_be) + ".");
}

StoredBooking ApplyTransition(BookingAction action, const StoredBooking& booking, LocalDateTime now,
                              std::optional<Credits> credits, std::optional<std::string> reason) {
  StoredBooking after = booking;
  const Transition& row = RowOf(action);
  if (row.to) {
    after.status = *row.to;
    after.last_updated = now;  // every party action moves LastUpdated; lapse, settlement and delete do not
  }
  switch (action) {
    case BookingAction::kAccept:
      after.accepted_date = now;
      if (credits) after.credits = *credits;
      break;
    case BookingAction::kReject:
      after.rejected_reason = std::move(reason);
      after.rejection_kind = RejectionKind::kCandidate;
      break;
    case BookingAction::kReInvite:
      after.rejected_reason = std::move(reason);
      after.rejection_kind = RejectionKind::kReInvited;
      break;
    case BookingAction::kConfirm:
      after.confirmed_date = now;
      break;
    case BookingAction::kCancelByClient:
    case BookingAction::kCancelByCandidate:
      after.cancelled_date = now;
      after.cancelled_reason = std::move(reason);
      after.cancelled_by = action == BookingAction::kCancelByClient ? CancelledBy::kClient : CancelledBy::kCandidate;
      break;
    case BookingAction::kDelete:
      break;
  }
  return after;
}

std::string BookingNotFoundMessage(BookingId booking_id, BookingSide side) {
  return "No PhoneChat booking " + std::to_string(booking_id) + " was found among your " +
         (side == BookingSide::kMade ? "made" : "received") + " bookings.";
}

bool VisibleOnSide(const StoredBooking& booking, UserId user_id, BookingSide side) {
  if (side == BookingSide::kMade) return booking.client_user_id == user_id && !booking.deleted_by_client;
  return booking.candidate.user_id == user_id && !booking.deleted_by_candidate;
}

}  // namespace phonechat
