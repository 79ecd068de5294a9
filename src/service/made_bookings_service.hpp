// The MadeBookings rules: a booking as its client sees it at an instant, and one page of a client's list.
#pragma once

#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "domain/booking.hpp"
#include "domain/made_bookings_query.hpp"
#include "service/booking_transitions.hpp"
#include "storage/lifecycle_store.hpp"
#include "storage/store.hpp"

namespace phonechat {

// The booking as its client sees it at `now`: status derived (expired Pending is Rejected), ActionClient,
// and the contact details each side may see (docs/api.md, "The response").
MadeBookingView ViewMadeBooking(const StoredBooking& booking, LocalDateTime now);

// The first instant after `now` at which ViewMadeBooking(booking, ·) may answer differently from
// ViewMadeBooking(booking, now): the view is the same at every instant in [now, result). LocalDateTime{INT64_MAX}
// when it never changes again.
LocalDateTime ViewValidUntil(const StoredBooking& booking, LocalDateTime now);

// One page and the rows its views point into; moving it keeps the views valid.
struct MadeBookingsAnswer {
  std::vector<StoredBooking> rows;
  MadeBookingsPage page;
};

// Answers `query` at `now`: exact totals, the page's rows in order, empty past the last page.
MadeBookingsAnswer ListMadeBookings(StoreSession& store, const MadeBookingsQuery& query, LocalDateTime now);

// Lets `manager_id` act for `member_id` on `route` when the manager manages a group the member belongs to;
// records the attempt in the audit log either way. Errors: kNotGroupManager, kNotGroupMember.
Result<UserId> AuthorizeImpersonation(StoreSession& store, UserId manager_id, UserId member_id, std::string_view route,
                                      LocalDateTime now);
// The same check inside a life-cycle transaction (group POST routes), the audit entry stored with it.
Result<UserId> AuthorizeImpersonation(LifecycleTransaction& transaction, UserId manager_id, UserId member_id,
                                      std::string_view route, LocalDateTime now);

}  // namespace phonechat
