// ViewMadeBooking (read-time status, ActionClient, contact visibility) and ListMadeBookings.

#include "service/made_bookings_service.hpp"

#include <limits>
#include <string>
#include <utility>

#include "service/made_bookings_paging.hpp"

namespace phonechat {

MadeBookingView ViewMadeBooking(const StoredBooking& booking, LocalDateTime now) {
  MadeBookingView view;
  view.stored = &booking;
  view.status = StatusAsReadNow(booking, now);
  if (booking.rejected_reason) view.rejected_reason = *booking.rejected_reason;
  if (view.status != booking.status) view.rejected_reason = kNotAcceptedInTimeReason;

  switch (view.status) {
    case BookingStatus::kPending:
      view.action_client = "Waiting for " + booking.candidate.nickname + " to accept the booking";
      break;
    case BookingStatus::kAccepted:
      if (booking.session_date > now) view.action_client = "You need to confirm the booking";
      break;
    case BookingStatus::kConfirmed:
      if (SessionEnd(booking) > now) {
        view.action_client = "You need to carry out the session";
      }
      break;
    case BookingStatus::kRejected:
    case BookingStatus::kCancelled:
      break;
  }

  if (booking.method == ContactMethod::kCandidateCalls && booking.phone_number)
    view.phone_number = *booking.phone_number;
  if (booking.method == ContactMethod::kSkype && booking.skype_name) view.skype_name = *booking.skype_name;
  if (view.status == BookingStatus::kConfirmed) {
    const CandidateProfile& candidate = booking.candidate;
    if (booking.method == ContactMethod::kClientCalls && candidate.phonechat_number) {
      view.candidate_phone_number = *candidate.phonechat_number;
    }
    if (booking.method == ContactMethod::kSkype && candidate.skype_name) {
      view.candidate_skype_name = *candidate.skype_name;
    }
  }
  return view;
}

LocalDateTime ViewValidUntil(const StoredBooking& booking, LocalDateTime now) {
  constexpr LocalDateTime kNever{std::numeric_limits<std::int64_t>::max()};
  // Each case mirrors a time test in ViewMadeBooking: the view changes when that test flips.
  if (booking.status == BookingStatus::kPending) return booking.accept_by > now ? booking.accept_by : kNever;
  if (booking.status == BookingStatus::kAccepted) return booking.session_date > now ? booking.session_date : kNever;
  if (booking.status == BookingStatus::kConfirmed) {
    const LocalDateTime end = AddMinutes(booking.session_date, booking.duration_minutes);
    return end > now ? end : kNever;
  }
  return kNever;
}

MadeBookingsAnswer ListMadeBookings(StoreSession& store, const MadeBookingsQuery& query, LocalDateTime now) {
  const PageSpan span = PageSpan::Of(query);
  CountedPage counted = store.CountAndPage(query, span.offset, span.limit);
  MadeBookingsAnswer answer;
  answer.page = PageTotals(query, counted.total);
  answer.rows = std::move(counted.rows);
  answer.page.bookings.reserve(answer.rows.size());
  for (const StoredBooking& row : answer.rows) answer.page.bookings.push_back(ViewMadeBooking(row, now));
  return answer;
}

namespace {

// The group check on whatever holds the groups and the audit log: a session, or a life-cycle transaction.
template <typename Directory>
Result<UserId> CheckImpersonation(Directory& store, UserId manager_id, UserId member_id, std::string_view route,
                                  LocalDateTime now) {
  AuditEntry entry{manager_id, member_id, std::string(route), now, "allowed"};
  if (!store.IsGroupManager(manager_id)) {
    entry.outcome = "denied: not a group manager";
    store.AppendAudit(entry);
    return Error{ErrorCode::kNotGroupManager, "The authenticated user is not a group manager.", {}, {}, false};
  }
  // Unknown users get this same answer, so that no one can probe which IDs exist.
  if (!store.IsMemberOfManagedGroup(manager_id, member_id)) {
    entry.outcome = "denied: not a member";
    store.AppendAudit(entry);
    return Error{ErrorCode::kNotGroupMember,
                 "The requested user is not a member of a group managed by the authenticated user.",
                 {},
                 {},
                 false};
  }
  store.AppendAudit(entry);
  return member_id;
}

}  // namespace

Result<UserId> AuthorizeImpersonation(StoreSession& store, UserId manager_id, UserId member_id, std::string_view route,
                                      LocalDateTime now) {
  return CheckImpersonation(store, manager_id, member_id, route, now);
}

Result<UserId> AuthorizeImpersonation(LifecycleTransaction& transaction, UserId manager_id, UserId member_id,
                                      std::string_view route, LocalDateTime now) {
  return CheckImpersonation(transaction, manager_id, member_id, route, now);
}

}  // namespace phonechat
