// The life cycle's state rules: each function reads what it needs under lock, decides in plain code and writes
// through the transaction it is given.

#include "service/booking_lifecycle.hpp"

#include <algorithm>
#include <stdexcept>
#include <utility>

namespace phonechat {
namespace {

Error NotFound(std::string message) { return Error{ErrorCode::kNotFound, std::move(message), {}, {}, false}; }
Error Conflict(std::string message) { return Error{ErrorCode::kConflict, std::move(message), {}, {}, false}; }

bool MethodAvailable(const UserWithSettings& candidate, ContactMethod method) {
  switch (method) {
    case ContactMethod::kCandidateCalls:
      return true;
    case ContactMethod::kClientCalls:
      return candidate.settings.phonechat_number.has_value();
    case ContactMethod::kSkype:
      return candidate.profile.skype_name.has_value();
  }
  return false;
}

std::string MethodUnavailableReason(UserId candidate_id, ContactMethod method) {
  const std::string who = "User " + std::to_string(candidate_id);
  if (method == ContactMethod::kClientCalls) return who + " cannot be booked with Method 2: they have no PhoneChat number.";
  return who + " cannot be booked with Method 3: they have no Skype name.";
}

// The candidate's current minimum for `duration_minutes`, if they set a price.
std::optional<Credits> MinimumCredits(const UserWithSettings& candidate, std::int32_t duration_minutes) {
  if (!candidate.settings.phonechat_ppm) return std::nullopt;
  return Credits{candidate.settings.phonechat_ppm->ten_thousandths * duration_minutes};
}

// The checks CreateBooking and RescheduleMadeBooking share on the candidate as they are now.
Result<void> CheckCanBook(const UserWithSettings& candidate, ContactMethod method, std::int32_t duration_minutes,
                          Credits credits) {
  if (Result<void> bookable = CheckBookable(candidate); !bookable) return bookable;
  if (!MethodAvailable(candidate, method)) return Conflict(MethodUnavailableReason(candidate.profile.user_id, method));
  if (const std::optional<Credits> minimum = MinimumCredits(candidate, duration_minutes);
      minimum && credits < *minimum) {
    return Conflict("Credits must be at least " + CreditsText(*minimum) + " for " + std::to_string(duration_minutes) +
                    " minutes at the candidate's PhoneChatPPM of " + CreditsText(*candidate.settings.phonechat_ppm) +
                    "; " + CreditsText(credits) + " were offered.");
  }
  return {};
}

// Locks both parties in ascending UserID (the lock order) and returns them, candidate first.
std::optional<std::pair<UserWithSettings, UserWithSettings>> LockParties(LifecycleTransaction& transaction,
                                                                         UserId candidate_id, UserId client_id) {
  const UserId first = std::min(candidate_id, client_id);
  const UserId second = std::max(candidate_id, client_id);
  std::optional<UserWithSettings> first_user = transaction.LockUser(first);
  std::optional<UserWithSettings> second_user = transaction.LockUser(second);
  if (!first_user || !second_user) return std::nullopt;
  if (first == candidate_id) return std::make_pair(std::move(*first_user), std::move(*second_user));
  return std::make_pair(std::move(*second_user), std::move(*first_user));
}

// The first whole five-minute mark at least five minutes after `now`.
LocalDateTime ImmediateSessionDate(LocalDateTime now) {
  constexpr std::int64_t kFiveMinutes = 5 * 60'000;
  const std::int64_t earliest = now.millis + kFiveMinutes;
  const std::int64_t marks = (earliest + kFiveMinutes - 1) / kFiveMinutes;
  return LocalDateTime{marks * kFiveMinutes};
}

// Pays the candidate of a Confirmed booking whose session is over, and marks it settled.
void Settle(LifecycleTransaction& transaction, const StoredBooking& booking, LocalDateTime now) {
  LedgerEntry earning{LedgerKind::kEarning, booking.booking_id, kEscrowAccount, booking.candidate.user_id,
                      booking.credits, now, std::nullopt};
  // Escrow holds every Confirmed, unsettled booking's Credits: a shortfall means the ledger is broken.
  if (!transaction.Post(earning)) {
    throw std::logic_error("escrow cannot pay the earning of booking " + std::to_string(booking.booking_id));
  }
  StoredBooking settled = booking;
  settled.settled = true;
  transaction.UpdateBooking(settled);
}

}  // namespace

BookingRequirements RequirementsOf(const UserWithSettings& candidate) {
  BookingRequirements requirements;
  requirements.phonechat_ppm = candidate.settings.phonechat_ppm;
  constexpr std::array kMethods{ContactMethod::kCandidateCalls, ContactMethod::kClientCalls, ContactMethod::kSkype};
  for (std::size_t i = 0; i < kMethods.size(); ++i) {
    requirements.methods[i] = MethodAvailability{kMethods[i], MethodAvailable(candidate, kMethods[i])};
  }
  return requirements;
}

Result<void> CheckBookable(const UserWithSettings& candidate) {
  const std::string who = "User " + std::to_string(candidate.profile.user_id);
  if (!candidate.settings.offers_phonechat) return Conflict(who + " does not offer PhoneChat.");
  if (candidate.settings.offer_direct_chat && candidate.settings.direct_chat &&
      candidate.settings.direct_chat->direct_chat_only) {
    return Conflict(who + " has DirectChat Only on and takes no PhoneChat bookings.");
  }
  return {};
}

Result<StoredBooking> CreateBooking(LifecycleTransaction& transaction, const NewBookingRequest& request,
                                    LocalDateTime now) {
  auto parties = LockParties(transaction, request.candidate_user_id, request.client_user_id);
  if (!parties) return NotFound("No user " + std::to_string(request.candidate_user_id) + " was found.");
  auto& [candidate, client] = *parties;
  if (Result<void> can_book = CheckCanBook(candidate, request.method, request.duration_minutes, request.credits);
      !can_book) {
    return can_book.error();
  }
  StoredBooking booking;
  booking.client_user_id = request.client_user_id;
  booking.duration_minutes = request.duration_minutes;
  booking.credits = request.credits;
  booking.offered_credits = request.credits;
  booking.status = BookingStatus::kPending;
  booking.method = request.method;
  if (request.method == ContactMethod::kCandidateCalls) booking.phone_number = request.phone_number;
  if (request.method == ContactMethod::kSkype) booking.skype_name = request.skype_name;
  booking.create_date = now;
  booking.session_date = request.session_date;
  booking.accept_by = request.accept_by;
  booking.last_updated = now;
  booking.comments = request.comments;
  booking.candidate = candidate.profile;
  booking.client = client.profile;
  booking.booking_id = transaction.InsertBooking(booking);
  return booking;
}

Result<StoredBooking> ActOnBooking(LifecycleTransaction& transaction, BookingAction action, UserId caller,
                                   BookingId booking_id, std::optional<Credits> credits,
                                   std::optional<std::string> reason, LocalDateTime now) {
  const BookingSide side = SideOf(action);
  std::optional<StoredBooking> booking = transaction.LockBooking(booking_id);
  if (!booking || !VisibleOnSide(*booking, caller, side)) return NotFound(BookingNotFoundMessage(booking_id, side));
  if (Result<void> allowed = CheckTransition(action, *booking, now); !allowed) return allowed.error();

  const std::string head = "Booking " + std::to_string(booking_id) + " cannot be ";
  if (action == BookingAction::kAccept) {
    // An accepted session must be possible: the candidate needs the contact detail the method relies on.
    if (booking->method == ContactMethod::kClientCalls && !booking->candidate.phonechat_number) {
      return Conflict(head + "accepted: it is booked with Method 2 (the client calls you) and you have no PhoneChat "
                             "number.");
    }
    if (booking->method == ContactMethod::kSkype && !booking->candidate.skype_name) {
      return Conflict(head + "accepted: it is booked with Method 3 (Skype) and you have no Skype name.");
    }
  }
  if (action == BookingAction::kReInvite && !reason) {
    reason = booking->candidate.nickname + " missed this booking and invites you to book again.";
  }

  const bool was_confirmed = StatusAsReadNow(*booking, now) == BookingStatus::kConfirmed;
  StoredBooking after = ApplyTransition(action, *booking, now, credits, std::move(reason));
  if (action == BookingAction::kConfirm) {
    const LedgerEntry payment{LedgerKind::kPayment, booking_id, caller, kEscrowAccount, after.credits, now,
                              std::nullopt};
    if (!transaction.Post(payment)) {
      return Conflict(head + "confirmed: it needs " + CreditsText(after.credits) + " credits and your balance is " +
                      CreditsText(transaction.Balance(caller)) + ".");
    }
  }
  if (action == BookingAction::kCancelByClient && was_confirmed) {
    const LedgerEntry refund{LedgerKind::kRefund, booking_id, kEscrowAccount, caller, after.credits, now,
                             std::nullopt};
    if (!transaction.Post(refund)) {
      throw std::logic_error("escrow cannot refund booking " + std::to_string(booking_id));
    }
  }
  transaction.UpdateBooking(after);
  if (action == BookingAction::kReInvite) {
    std::string payload = "{\"BookingID\":" + std::to_string(booking_id) +
                          ",\"ClientUserID\":" + std::to_string(after.client_user_id) +
                          ",\"CandidateUserID\":" + std::to_string(after.candidate.user_id) + "}";
    transaction.EnqueueNotification("ReInvite", booking_id, now, payload);
  }
  return after;
}

Result<StoredBooking> RescheduleBooking(LifecycleTransaction& transaction, UserId client, BookingId source_id,
                                        LocalDateTime now) {
  std::optional<StoredBooking> source = transaction.LockBooking(source_id);
  if (!source || !VisibleOnSide(*source, client, BookingSide::kMade)) {
    return NotFound(BookingNotFoundMessage(source_id, BookingSide::kMade));
  }
  const std::string head = "Booking " + std::to_string(source_id) + " cannot be rescheduled: ";
  if (source->session_date > now) {
    return Conflict(head + "its SessionDate " + FormatLocalDateTime(source->session_date) + " has not passed yet.");
  }
  if (const std::optional<BookingId> made = transaction.RescheduledInto(source_id)) {
    return Conflict(head + "it was rescheduled before, as booking " + std::to_string(*made) + ".");
  }
  auto parties = LockParties(transaction, source->candidate.user_id, client);
  if (!parties) return NotFound("No user " + std::to_string(source->candidate.user_id) + " was found.");
  auto& [candidate, client_user] = *parties;
  if (Result<void> can_book = CheckCanBook(candidate, source->method, source->duration_minutes, source->credits);
      !can_book) {
    return Conflict(head + can_book.error().message);
  }
  const Credits balance = transaction.Balance(client);
  if (balance < source->credits) {
    return Conflict(head + "it needs " + CreditsText(source->credits) + " credits and your balance is " +
                    CreditsText(balance) + ".");
  }
  StoredBooking booking;
  booking.client_user_id = client;
  booking.duration_minutes = source->duration_minutes;
  booking.credits = source->credits;
  booking.offered_credits = source->credits;
  booking.status = BookingStatus::kPending;
  booking.method = source->method;
  booking.phone_number = source->phone_number;
  booking.skype_name = source->skype_name;
  booking.create_date = now;
  booking.session_date = ImmediateSessionDate(now);
  // An immediate booking leaves no room for a separate deadline.
  booking.accept_by = booking.session_date;
  booking.last_updated = now;
  booking.comments = source->comments;
  booking.rescheduled_from = source_id;
  booking.candidate = candidate.profile;
  booking.client = client_user.profile;
  booking.booking_id = transaction.InsertBooking(booking);
  return booking;
}

std::vector<DeleteBookingResult> DeleteBookings(LifecycleTransaction& transaction, BookingSide side, UserId caller,
                                                const std::vector<BookingId>& booking_ids, LocalDateTime now) {
  std::vector<DeleteBookingResult> results;
  results.reserve(booking_ids.size());
  for (const BookingId booking_id : booking_ids) {
    DeleteBookingResult& result = results.emplace_back(DeleteBookingResult{booking_id, false, {}});
    std::optional<StoredBooking> booking = transaction.LockBooking(booking_id);
    if (!booking || !VisibleOnSide(*booking, caller, side)) {
      result.message = BookingNotFoundMessage(booking_id, side);
      continue;
    }
    if (Result<void> allowed = CheckTransition(BookingAction::kDelete, *booking, now); !allowed) {
      result.message = allowed.error().message;
      continue;
    }
    (side == BookingSide::kMade ? booking->deleted_by_client : booking->deleted_by_candidate) = true;
    transaction.UpdateBooking(*booking);
    result.deleted = true;
    result.message = "The booking was deleted.";
  }
  return results;
}

Result<PhoneChatSettings> SaveSettings(LifecycleTransaction& transaction, UserId user_id,
                                       const PhoneChatSettings& input, LocalDateTime now) {
  std::optional<UserWithSettings> user = transaction.LockUser(user_id);
  if (!user) return NotFound("No user " + std::to_string(user_id) + " was found.");
  const bool clears_number = user->settings.phonechat_number && !input.phonechat_number;
  if (clears_number) {
    if (const std::optional<BookingId> live = transaction.LiveClientCallsBooking(user_id, now)) {
      return Conflict("PhoneChatNumber cannot be cleared: booking " + std::to_string(*live) +
                      " is booked with Method 2 (the client calls you) and its session is still ahead.");
    }
  }
  PhoneChatSettings saved = input;
  saved.offers_phonechat = user->settings.offers_phonechat;
  saved.show_phonechat_number = clears_number ? false : user->settings.show_phonechat_number;
  if (!saved.offer_direct_chat) saved.direct_chat.reset();
  transaction.SaveSettings(user_id, saved);
  return saved;
}

Credits SettleAndReadBalance(LifecycleTransaction& transaction, UserId user_id, LocalDateTime now) {
  for (const StoredBooking& due : transaction.DueSettlements(user_id, now)) Settle(transaction, due, now);
  return transaction.Balance(user_id);
}

int SettleDueSessions(LifecycleTransaction& transaction, LocalDateTime now, int limit) {
  const std::vector<StoredBooking> due = transaction.DueSettlementsOfAnyone(now, limit);
  for (const StoredBooking& booking : due) Settle(transaction, booking, now);
  return static_cast<int>(due.size());
}

}  // namespace phonechat
