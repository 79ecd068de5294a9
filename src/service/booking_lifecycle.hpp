#pragma once

// The booking life cycle's rules on stored state: creating, acting on, rescheduling and deleting bookings, saving
// settings, paying and settling credits. Each function runs inside one LifecycleTransaction that its caller begins
// and commits; rules that depend only on the request and the clock were checked before (docs/api.md, "The booking
// life cycle").

#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "domain/booking.hpp"
#include "domain/phonechat_settings.hpp"
#include "service/booking_transitions.hpp"
#include "storage/lifecycle_store.hpp"

namespace phonechat {

// How long an Idempotency-Key's answer is kept and replayed (docs/lifecycle.md, "Idempotency-Key").
inline constexpr std::int64_t kIdempotencyKeptMinutes = 24 * 60;

// A validated CreateBooking request.
struct NewBookingRequest {
  UserId client_user_id = 0;
  UserId candidate_user_id = 0;
  LocalDateTime session_date;
  std::int32_t duration_minutes = 0;
  ContactMethod method = ContactMethod::kCandidateCalls;
  std::optional<std::string> phone_number;  // Method 1 only, digits
  std::optional<std::string> skype_name;    // Method 3 only
  Credits credits;
  LocalDateTime accept_by;
  std::optional<std::string> comments;
};

// What a would-be client may book with `candidate` now (docs/lifecycle.md, "The status machine").
BookingRequirements RequirementsOf(const UserWithSettings& candidate);

// Whether `candidate` can be booked at all: offers PhoneChat and has not DirectChat Only on (kConflict naming which).
Result<void> CheckBookable(const UserWithSettings& candidate);

// T1: stores a new Pending booking after the state checks (bookable, method available, the minimum price).
// Errors: kNotFound (unknown candidate), kConflict.
Result<StoredBooking> CreateBooking(LifecycleTransaction& transaction, const NewBookingRequest& request,
                                    LocalDateTime now);

// A party action on booking `booking_id` by `caller` (T3, T4, T6-T10) with its ledger movement. `credits`: the
// accepted amount (kAccept); `reason`: the party's text. Errors: kNotFound (not on the caller's side), kConflict.
Result<StoredBooking> ActOnBooking(LifecycleTransaction& transaction, BookingAction action, UserId caller,
                                   BookingId booking_id, std::optional<Credits> credits,
                                   std::optional<std::string> reason, LocalDateTime now);

// T2: a new Pending booking copied from `source_id`, whose SessionDate has passed, once per source; the client's
// balance must cover its Credits (checked, not taken). Errors: kNotFound, kConflict.
Result<StoredBooking> RescheduleBooking(LifecycleTransaction& transaction, UserId client, BookingId source_id,
                                        LocalDateTime now);

// T12 for each distinct ID in order, each on its own: one result per ID.
std::vector<DeleteBookingResult> DeleteBookings(LifecycleTransaction& transaction, BookingSide side, UserId caller,
                                                const std::vector<BookingId>& booking_ids, LocalDateTime now);

// Replaces `user_id`'s saved settings with `input` (offers_phonechat and show_phonechat_number are kept, the latter
// switched off when the number is cleared) and returns them as saved. Errors: kNotFound, kConflict (the number is
// cleared while a Method 2 booking still needs it).
Result<PhoneChatSettings> SaveSettings(LifecycleTransaction& transaction, UserId user_id,
                                       const PhoneChatSettings& input, LocalDateTime now);

// Settles `user_id`'s due sessions as candidate (T11), then returns their balance.
Credits SettleAndReadBalance(LifecycleTransaction& transaction, UserId user_id, LocalDateTime now);

// Settles up to `limit` due sessions of anyone (the sweeper); returns how many.
int SettleDueSessions(LifecycleTransaction& transaction, LocalDateTime now, int limit);

}  // namespace phonechat
