#pragma once

// The storage primitives of the booking life cycle: one transaction that locks what it reads, so that the rules
// (service/booking_lifecycle) can decide in plain code and write atomically (docs/lifecycle.md, "The status machine").

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "domain/booking.hpp"
#include "domain/ledger.hpp"
#include "domain/phonechat_settings.hpp"
#include "storage/store.hpp"

namespace phonechat {

// Thrown by a LifecycleTransaction when the database aborted it to resolve a conflict with another one (PostgreSQL
// SQLSTATE 40001 or 40P01); nothing of it is stored and the whole transaction may be run again.
class TransactionConflict : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A stored answer to a request that carried an Idempotency-Key.
struct IdempotentAnswer {
  std::string body_digest;  // SHA-256 (32 raw bytes) of the request's canonical body
  int status = 200;
  std::string content_type;
  std::string body;
};

// The key an idempotent answer is stored under: the key as sent, scoped to who sent it, for whom, and where.
struct IdempotencyScope {
  UserId user_id = 0;
  UserId acting_as = 0;  // the user the request acts for (user_id itself unless a group route)
  std::string route;     // the route's path as in the route table
  std::string key;       // the Idempotency-Key header's value
};

// One all-or-nothing life-cycle transaction on the primary. Every read locks what it returns until the end
// (SQLite: the one writer; PostgreSQL: row locks), so a decision taken on what was read still holds when its
// writes commit. Lock order is fixed to avoid deadlocks: idempotency key, booking, then users in ascending ID,
// then accounts in ascending ID. Destroying it without Commit() rolls back. Use it on the thread that began it.
// Every method throws StoreUnavailable when the database cannot answer and TransactionConflict as above.
class LifecycleTransaction {
 public:
  virtual ~LifecycleTransaction() = default;

  // The stored answer under `scope`, if one is stored and younger than `oldest_kept`; serialises with every other
  // transaction on the same scope until this one ends.
  virtual std::optional<IdempotentAnswer> LockIdempotencyKey(const IdempotencyScope& scope,
                                                             LocalDateTime oldest_kept) = 0;
  // Stores `answer` under `scope` at `now` (replacing an expired one).
  virtual void StoreIdempotentAnswer(const IdempotencyScope& scope, const IdempotentAnswer& answer,
                                     LocalDateTime now) = 0;
  // Deletes the answers stored before `older_than`; returns how many.
  virtual std::int64_t PurgeIdempotencyKeys(LocalDateTime older_than) = 0;

  // True when `user_id` manages at least one group.
  virtual bool IsGroupManager(UserId user_id) = 0;
  // True when `member_id` belongs to a group that `manager_id` manages.
  virtual bool IsMemberOfManagedGroup(UserId manager_id, UserId member_id) = 0;
  // Appends one entry to the impersonation audit log (stored with the transaction).
  virtual void AppendAudit(const AuditEntry& entry) = 0;

  // The booking with both parties' profiles (the candidate's current contact details), locked; nullopt if unknown.
  virtual std::optional<StoredBooking> LockBooking(BookingId booking_id) = 0;
  // The user with their settings, locked; nullopt if unknown.
  virtual std::optional<UserWithSettings> LockUser(UserId user_id) = 0;
  // Stores a new booking (its booking_id is ignored) and returns its new, increasing ID.
  virtual BookingId InsertBooking(const StoredBooking& booking) = 0;
  // Writes the columns of `booking` (found by booking_id) a transition may change: all but the parties and those
  // fixed when it was stored (CreateDate, SessionDate, the booking it was rescheduled from), which a backend may
  // leave unwritten. A deletion flag, once set, stays set.
  virtual void UpdateBooking(const StoredBooking& booking) = 0;
  // The booking rescheduled from `source`, if any.
  virtual std::optional<BookingId> RescheduledInto(BookingId source) = 0;
  // A booking of `candidate` with Method 2 that is Accepted with SessionDate after `now`, or Confirmed with its
  // session not over at `now`; nullopt if none.
  virtual std::optional<BookingId> LiveClientCallsBooking(UserId candidate, LocalDateTime now) = 0;
  // Queues a notification of `kind` about `booking_id` in the outbox (for a later e-mail feature; nothing reads it).
  virtual void EnqueueNotification(std::string_view kind, BookingId booking_id, LocalDateTime now,
                                   std::string_view payload) = 0;
  // Replaces the settings SaveSettings writes (not offers_phonechat).
  virtual void SaveSettings(UserId user_id, const PhoneChatSettings& settings) = 0;

  // Records `entry` and moves its amount between the running balances. Returns false, writing nothing, when
  // `entry.from` is a user or escrow whose balance is below the amount.
  virtual bool Post(const LedgerEntry& entry) = 0;
  // The running balance of `account` (locked).
  virtual Credits Balance(AccountId account) = 0;
  // The Confirmed, unsettled bookings of `candidate` whose session is over at `now`, locked, oldest first.
  virtual std::vector<StoredBooking> DueSettlements(UserId candidate, LocalDateTime now) = 0;
  // Up to `limit` Confirmed, unsettled bookings of any candidate whose session is over at `now`, locked.
  virtual std::vector<StoredBooking> DueSettlementsOfAnyone(LocalDateTime now, int limit) = 0;

  // Marks where RollbackToSavepoint returns to; one savepoint at a time (group commit runs each request in one).
  virtual void Savepoint() = 0;
  // Undoes every write since Savepoint() and ends the savepoint; the transaction goes on.
  virtual void RollbackToSavepoint() = 0;
  // Keeps every write since Savepoint() and ends the savepoint.
  virtual void ReleaseSavepoint() = 0;

  // Makes every write durable (on disk before returning) and visible to every later read on every connection.
  virtual void Commit() = 0;
};

// What `ledger verify` compares.
struct LedgerCheck {
  AccountId account = 0;
  Credits running_balance;  // as kept beside the account
  std::int64_t from_rows_ten_thousandths = 0;  // in minus out over the ledger rows (negative only for external)
};

// A summary of the whole ledger for `ledger verify`.
struct LedgerAudit {
  std::int64_t entries = 0;
  std::vector<LedgerCheck> mismatched;           // accounts whose running balance differs from their rows
  Credits escrow;                                // escrow's running balance
  Credits unsettled_confirmed;                   // the Credits of Confirmed, unsettled bookings
  std::int64_t sum_of_all_ten_thousandths = 0;  // every account's rows summed: 0 when the ledger balances
};

}  // namespace phonechat
