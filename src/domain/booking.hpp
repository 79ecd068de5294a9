// A booking as stored and as its client sees it, with its statuses, contact methods and their API names.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "domain/credits.hpp"
#include "domain/local_date_time.hpp"

namespace phonechat {

// Positive 32-bit identifiers of users, bookings and groups (docs/api.md, "Parameters").
using UserId = std::int32_t;
using BookingId = std::int32_t;
using GroupId = std::int32_t;
inline constexpr std::int64_t kMaxId = 2'147'483'647;

enum class BookingStatus { kPending, kAccepted, kRejected, kConfirmed, kCancelled };

// 1: the candidate calls the client; 2: the client calls the candidate; 3: Skype.
enum class ContactMethod { kCandidateCalls = 1, kClientCalls = 2, kSkype = 3 };

enum class CancelledBy { kClient, kCandidate };

// Why a booking is Rejected: the candidate said no, it lapsed unanswered, or it lapsed and the candidate then
// re-invited the client (docs/lifecycle.md, "The status machine").
enum class RejectionKind { kCandidate, kLapsed, kReInvited };

// The two sides of a booking: the client made it, the candidate received it.
enum class BookingSide { kMade, kReceived };

// The API's name of a status (`Pending`, ...).
std::string_view StatusName(BookingStatus status);
// The status named exactly `name`, if any.
std::optional<BookingStatus> ParseStatus(std::string_view name);
// `Client` or `Candidate`.
std::string_view CancelledByName(CancelledBy who);
// The party named exactly `name`, if any.
std::optional<CancelledBy> ParseCancelledBy(std::string_view name);
// `Candidate`, `Lapsed` or `ReInvited`.
std::string_view RejectionKindName(RejectionKind kind);
// The rejection kind named exactly `name`, if any.
std::optional<RejectionKind> ParseRejectionKind(std::string_view name);

// A party's public profile as the other side of a booking shows it (`Candidate` or `Client`).
struct PartyProfile {
  UserId user_id = 0;
  std::string nickname;
  std::optional<std::string> phonechat_number;
  std::optional<std::string> skype_name;
  std::int32_t positive = 0;
  std::int32_t neutral = 0;
  std::int32_t negative = 0;
  std::int32_t disputes = 0;
};
using CandidateProfile = PartyProfile;

// A booking as stored, before any read-time rule is applied.
struct StoredBooking {
  BookingId booking_id = 0;
  UserId client_user_id = 0;
  std::int32_t duration_minutes = 0;
  Credits credits;
  BookingStatus status = BookingStatus::kPending;
  ContactMethod method = ContactMethod::kClientCalls;
  std::optional<std::string> phone_number;
  std::optional<std::string> skype_name;
  LocalDateTime create_date;
  LocalDateTime session_date;
  LocalDateTime accept_by;
  std::optional<LocalDateTime> accepted_date;
  std::optional<LocalDateTime> confirmed_date;
  std::optional<LocalDateTime> cancelled_date;
  std::optional<std::string> cancelled_reason;
  std::optional<CancelledBy> cancelled_by;
  std::optional<std::string> rejected_reason;
  std::optional<LocalDateTime> last_updated;
  std::optional<std::string> comments;
  CandidateProfile candidate;
  // The client's profile; reads of the made side may fill only `user_id` (= client_user_id).
  PartyProfile client;
  // The amount the client offered; `credits` is the accepted amount once Accepted (they differ only then).
  Credits offered_credits;
  std::optional<RejectionKind> rejection_kind;  // set while stored Rejected
  bool deleted_by_client = false;
  bool deleted_by_candidate = false;
  std::optional<BookingId> rescheduled_from;  // the booking this one was rescheduled from
  bool settled = false;                       // a Confirmed booking whose Earning was paid (or imported as over)
};

// A booking as the client sees it at one instant: the stored record plus everything derived at read time.
struct MadeBookingView {
  const StoredBooking* stored = nullptr;
  BookingStatus status = BookingStatus::kPending;
  std::optional<std::string_view> rejected_reason;
  std::optional<std::string> action_client;
  std::optional<std::string_view> phone_number;
  std::optional<std::string_view> skype_name;
  std::optional<std::string_view> candidate_phone_number;
  std::optional<std::string_view> candidate_skype_name;
};

// A booking as the candidate sees it at one instant (docs/lifecycle.md, "Who sees what"): the client's contact details
// only while Confirmed, ActionCandidate derived; the client's ratings come from `stored->client`.
struct ReceivedBookingView {
  const StoredBooking* stored = nullptr;
  BookingStatus status = BookingStatus::kPending;
  std::optional<std::string_view> rejected_reason;
  std::optional<std::string> action_candidate;
  std::optional<std::string_view> phone_number;  // the client's, given with the booking: top level and in `Client`
  std::optional<std::string_view> skype_name;
};

// What a delete did to one booking ID of the request (docs/lifecycle.md, "The status machine").
struct DeleteBookingResult {
  BookingId booking_id = 0;
  bool deleted = false;
  std::string message;
};

}  // namespace phonechat
