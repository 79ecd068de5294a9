#pragma once

// The candidate's side of a booking: how a received booking reads at one instant, and a page of them.

#include <vector>

#include "domain/booking.hpp"
#include "domain/made_bookings_query.hpp"
#include "storage/store.hpp"

namespace phonechat {

// The booking as its candidate sees it at `now`: status derived (a lapsed Pending reads Rejected),
// ActionCandidate, and the client's contact details only while Confirmed (docs/lifecycle.md, "Who sees what").
ReceivedBookingView ViewReceivedBooking(const StoredBooking& booking, LocalDateTime now);

// One page and the rows its views point into; moving it keeps the views valid.
struct ReceivedBookingsAnswer {
  std::vector<StoredBooking> rows;
  ReceivedBookingsPage page;
};

// Answers a received-side `query` at `now`: exact totals, the page's rows in order, empty past the last page.
ReceivedBookingsAnswer ListReceivedBookings(StoreSession& store, const MadeBookingsQuery& query, LocalDateTime now);

}  // namespace phonechat
