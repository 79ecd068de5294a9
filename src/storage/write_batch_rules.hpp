// The write batch every backend offers, built from a backend's lookups and writes under the import's rules.
#pragma once

// The rules a write batch enforces (docs/import-format.md: references to records that exist, IDs taken only with
// --replace, a booking whose credits have moved replaced only by one with the same ledger effect), written once above
// every backend with the reasons they give. Backends supply lookups and writes.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "domain/credits.hpp"
#include "storage/store.hpp"

namespace phonechat {

// Longest description of a Credit movement, in characters (docs/import-format.md, "Credit").
inline constexpr std::size_t kMaxCreditDescriptionChars = 200;

// Parses a Credit movement's amount as the import and `credits add` take it (docs/import-format.md, "Credit"):
// plain digits with at most 4 fraction digits, above 0, at most kMaxCreditsTenThousandths. The error says what is
// wrong, to follow the field's name.
boost::system::result<Credits, std::string> ParseCreditAmount(std::string_view text);

// Why `description` (valid UTF-8) cannot describe a Credit movement (1 to 200 characters), or an empty string.
std::string CreditDescriptionError(std::string_view description);

// The parties, creation date and source of a stored booking, as the reschedule rules need them.
struct BookingParties {
  UserId client_user_id = 0;
  UserId candidate_user_id = 0;
  LocalDateTime create_date;
  std::optional<BookingId> rescheduled_from;
};

// A stored booking whose credits have moved: what the ledger committed for it before the batch began (a Payment,
// then at most one of Refund and Earning) and the booking's fields those movements were made for.
struct MovedBooking {
  UserId client_user_id = 0;
  UserId candidate_user_id = 0;
  Credits credits;
  bool refunded = false;  // a Refund returned the credits to the client
  bool earned = false;    // an Earning paid them to the candidate
};

// Why `replacement` cannot replace `moved` (docs/import-format.md, "Replacing a booking whose credits have moved"),
// or an empty string: it must keep the client, the candidate, the Credits and the status the ledger implies
// (Confirmed while in escrow or once earned, Cancelled once refunded).
std::string MovedBookingReplaceError(const MovedBooking& moved, const StoredBooking& replacement);

// What BatchWriter::WriteBooking did.
enum class BookingWrite {
  kWritten,  // stored, or staged with its ID to be checked later (BatchWriter::CheckBookingIds)
  kIdTaken,  // not stored: a booking with its ID exists and `replace` was false
};

// A booking staged without replace whose ID turned out to be taken: its position among the batch's records.
struct TakenBookingId {
  std::int64_t position = 0;
  BookingId booking_id = 0;
};

// A backend's half of a write batch: lookups that see the batch's own writes, and writes that assume the rules held
// (every reference exists) and check only what the database checks best (a taken booking ID). One transaction;
// destroying it without Commit() rolls back. Use it on one thread.
class BatchWriter {
 public:
  virtual ~BatchWriter() = default;

  // True when the user exists.
  virtual bool UserExists(UserId user_id) = 0;
  // True when the group exists.
  virtual bool GroupExists(GroupId group_id) = 0;
  // The group `user_id` belongs to, if any.
  virtual std::optional<GroupId> GroupOf(UserId user_id) = 0;
  // True when a project has `client_id`.
  virtual bool ProjectExists(std::string_view client_id) = 0;
  // The client ID of the project whose API key is `api_key`, if any.
  virtual std::optional<std::string> ClientIdOfApiKey(std::string_view api_key) = 0;

  // Stores the user, replacing the one with its ID if any.
  virtual void WriteUser(const UserRecord& user) = 0;
  // Stores the group; `exists` (as GroupExists said) replaces the group with its ID and its whole member list.
  virtual void WriteGroup(const GroupRecord& group, bool exists) = 0;
  // Stores the project, replacing the one with its client ID if any.
  virtual void WriteProject(const ProjectRecord& project) = 0;
  // Stores the booking, the `position`-th record of the batch (1-based), whose client and candidate exist, and the
  // movements `booking.ledger` gives (then no other), moving the running balances with them. With
  // `replace` it replaces the booking with its ID, and a Payment the batch itself wrote for it then follows the
  // replacement; without, a taken ID is kIdTaken now or, where the backend checks IDs in bulk, reported later by
  // CheckBookingIds.
  virtual BookingWrite WriteBooking(const BookingRecord& booking, bool replace, std::int64_t position) = 0;
  // The parties of the booking with `booking_id`, written earlier in the batch or stored before, if any. The
  // default throws std::logic_error: a backend that stores RescheduledFromBookingID implements it.
  virtual std::optional<BookingParties> PartiesOf(BookingId booking_id);
  // A booking other than `except`, written earlier in the batch or stored before, rescheduled from `source`, if
  // any. The default throws std::logic_error, as PartiesOf.
  virtual std::optional<BookingId> RescheduledInto(BookingId source, BookingId except);
  // The booking with `booking_id` when the ledger held a Payment, Refund or Earning for it before the batch began,
  // its fields as the batch left them; nullopt otherwise. Where other writers run beside the batch, it also keeps
  // them from moving the booking's credits until the batch ends. The default throws std::logic_error, as PartiesOf.
  virtual std::optional<MovedBooking> MovedBookingOf(BookingId booking_id);
  // Records a Credit movement from the external account to `credit.user_id`, who exists, moving the running
  // balances with it. The default throws std::logic_error: a backend with a ledger implements it.
  virtual void WriteCredit(const CreditRecord& credit);
  // The user's balance as committed before the batch began (0 for a user without movements). The default throws
  // std::logic_error, as WriteCredit.
  virtual Credits BalanceOf(UserId user_id);
  // Checks the bookings written since the last call: the earliest written without replace whose ID the database
  // or an earlier booking of the batch already had, if any.
  virtual std::optional<TakenBookingId> CheckBookingIds() = 0;
  // Makes every write durable.
  virtual void Commit() = 0;
};

// A WriteBatch that enforces the rules on `writer` and reports refusals with their reasons (WriteBatch's contract).
std::unique_ptr<WriteBatch> WithWriteRules(std::unique_ptr<BatchWriter> writer);

}  // namespace phonechat
