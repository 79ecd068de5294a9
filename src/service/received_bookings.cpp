// The received side's read-time rules (ActionCandidate, the client's contact details) and its list.

#include "service/received_bookings.hpp"

#include <utility>

#include "service/booking_transitions.hpp"
#include "service/made_bookings_paging.hpp"

namespace phonechat {

ReceivedBookingView ViewReceivedBooking(const StoredBooking& booking, LocalDateTime now) {
  ReceivedBookingView view;
  view.stored = &booking;
  view.status = StatusAsReadNow(booking, now);
  if (booking.rejected_reason) view.rejected_reason = *booking.rejected_reason;
  if (view.status != booking.status) view.rejected_reason = kNotAcceptedInTimeReason;

  const std::string& nickname = booking.client.nickname;
  switch (view.status) {
    case BookingStatus::kPending:
      view.action_candidate = "You need to accept or reject the booking";
      break;
    case BookingStatus::kAccepted:
      if (booking.session_date > now) view.action_candidate = "Waiting for " + nickname + " to confirm the booking";
      break;
    case BookingStatus::kConfirmed:
      if (SessionEnd(booking) > now) view.action_candidate = "You need to carry out the session";
      break;
    case BookingStatus::kRejected:
      if (LapsedUnanswered(booking, now) && booking.session_date <= now) {
        view.action_candidate = "You can re-invite " + nickname;
      }
      break;
    case BookingStatus::kCancelled:
      break;
  }

  // Contact details open in both directions when the client has paid, and close again on a cancel.
  if (view.status == BookingStatus::kConfirmed) {
    if (booking.method == ContactMethod::kCandidateCalls && booking.phone_number) {
      view.phone_number = *booking.phone_number;
    }
    if (booking.method == ContactMethod::kSkype && booking.skype_name) view.skype_name = *booking.skype_name;
  }
  return view;
}

ReceivedBookingsAnswer ListReceivedBookings(StoreSession& store, const MadeBookingsQuery& query, LocalDateTime now) {
  const PageSpan span = PageSpan::Of(query);
  CountedPage counted = store.CountAndPage(query, span.offset, span.limit);
  ReceivedBookingsAnswer answer;
  answer.page = PageTotals<ReceivedBookingView>(query, counted.total);
  answer.rows = std::move(counted.rows);
  answer.page.bookings.reserve(answer.rows.size());
  for (const StoredBooking& row : answer.rows) answer.page.bookings.push_back(ViewReceivedBooking(row, now));
  return answer;
}

}  // namespace phonechat
