// The booking store's interface: sessions for a serving thread's reads, write batches for imports, token writes.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "domain/booking.hpp"
#include "domain/ledger.hpp"
#include "domain/made_bookings_query.hpp"
#include "domain/phonechat_settings.hpp"
#include "domain/principal.hpp"

namespace phonechat {

class LifecycleTransaction;
struct LedgerAudit;

// The schema version this program creates and understands, on every backend; older ones are migrated to it.
inline constexpr int kStoreSchemaVersion = 6;

// What a user's made bookings list showed when it was read, on a backend that stamps lists: equal stamps of one
// user mean the list has not changed between the two reads (every change of it moves its stamp in its own
// transaction).
struct ListStamp {
  std::int64_t everyone = 0;  // moves on every import (any list may have changed)
  std::int64_t user = 0;      // moves on every other change of this user's list

  friend bool operator==(const ListStamp&, const ListStamp&) = default;
};

// An access token as stored: only the SHA-256 of the token itself is ever kept.
struct TokenRecord {
  UserId user_id = 0;
  ProjectId project_id = 0;
  std::string scopes;
  std::int64_t expires_at_unix = 0;  // seconds since the Unix epoch (UTC)
  bool revoked = false;              // revoked, or its project is disabled
  std::optional<ListStamp> list_stamp;  // the user's list stamp, read with the token (backends that stamp lists)
};

// A project's identity as the API-key check needs it.
struct ProjectKeyRecord {
  ProjectId project_id = 0;
  bool active = true;
};

// One impersonation attempt on a group route.
struct AuditEntry {
  UserId manager_user_id = 0;
  UserId member_user_id = 0;
  std::string route;
  LocalDateTime at;
  std::string outcome;  // "allowed" or "denied: <reason>"
};

// A list's total and one page of it.
struct CountedPage {
  std::int64_t total = 0;
  std::vector<StoredBooking> rows;
};

// Where the database stands, for caches of what a reader looked up. Each number changes (not necessarily grows)
// whenever what it covers changed since a session last asked.
struct StoreVersion {
  std::int64_t credentials = 0;  // tokens and projects: anything a token or API-key lookup returns
  std::int64_t bookings = 0;     // a change to the lists that names no user (an import): every list may differ
  std::int64_t list_changes = 0;  // the last entry of the list-change log (StoreSession::ListChangesSince)
};

// One entry of the list-change log: whose made bookings list may show something else since.
struct ListChange {
  enum class Kind : std::uint8_t {
    kClient,     // this client's list
    kCandidate,  // every list with a booking of this candidate (their contact details changed)
  };
  Kind kind = Kind::kClient;
  UserId user_id = 0;

  friend bool operator==(const ListChange&, const ListChange&) = default;
};

// The reads and small writes one serving thread makes. Not thread-safe: one session per thread.
// Every method throws StoreUnavailable when the database cannot answer now.
class StoreSession {
 public:
  virtual ~StoreSession() = default;

  // The token whose SHA-256 (32 raw bytes) is `token_hash`, if stored.
  virtual std::optional<TokenRecord> FindToken(std::string_view token_hash) = 0;
  // FindToken of each of `token_hashes`, answers in the same order, in one round trip where the backend has them.
  virtual std::vector<std::optional<TokenRecord>> FindTokens(const std::vector<std::string_view>& token_hashes) = 0;
  // The project whose API key is `api_key`, if any.
  virtual std::optional<ProjectKeyRecord> FindProjectByApiKey(std::string_view api_key) = 0;
  // True when `user_id` manages at least one group.
  virtual bool IsGroupManager(UserId user_id) = 0;
  // True when `member_id` belongs to a group that `manager_id` manages.
  virtual bool IsMemberOfManagedGroup(UserId manager_id, UserId member_id) = 0;
  // Appends one entry to the impersonation audit log (durable before returning).
  virtual void AppendAudit(const AuditEntry& entry) = 0;

  // How many bookings of `side` the user has (made as client, or received as candidate), not deleted by them,
  // created at or after `created_from`.
  virtual std::int64_t CountMadeBookings(UserId client_user_id, std::optional<LocalDateTime> created_from,
                                         BookingSide side = BookingSide::kMade) = 0;
  // The query's page: rows [offset, offset + limit) in the query's order, the other party's profile joined
  // (`candidate` on the made side, `client` on the received side; the owner's profile holds only the user ID).
  virtual std::vector<StoredBooking> MadeBookingsPage(const MadeBookingsQuery& query, std::int64_t offset,
                                                      std::int32_t limit) = 0;
  // The query's total (as CountMadeBookings) and its page [offset, offset + limit) (as MadeBookingsPage, empty
  // past the end), in one round trip where the backend has round trips.
  virtual CountedPage CountAndPage(const MadeBookingsQuery& query, std::int64_t offset, std::int32_t limit);
  // The booking with both parties' profiles (the candidate's current contact details), deleted or not, if stored.
  virtual std::optional<StoredBooking> FindBooking(BookingId booking_id) = 0;
  // The user with their settings, if stored.
  virtual std::optional<UserWithSettings> FindUser(UserId user_id) = 0;
  // Where the database stands now, or nullopt when this backend cannot tell cheaply (it stamps lists instead, and
  // token lookups are not cached).
  // A reader asks before its lookups: what it then reads is at least as new as the version it got.
  virtual std::optional<StoreVersion> Version() { return std::nullopt; }
  // The list-change log's entries after `after` up to `upto` (StoreVersion::list_changes values), oldest first;
  // nullopt when the log no longer reaches back to `after` (then every list may have changed).
  virtual std::optional<std::vector<ListChange>> ListChangesSince(std::int64_t /*after*/, std::int64_t /*upto*/) {
    return std::nullopt;
  }
  // The stamp of `user_id`'s made bookings list now, or nullopt on a backend that does not stamp lists (it reports
  // a Version instead). A reader asks before it loads the list: what it then reads is at least as new as the stamp.
  virtual std::optional<ListStamp> ReadListStamp(UserId user_id) = 0;
};

// A StoreSession that passes every call to `inner`: derive from it and override only what differs.
class ForwardingStoreSession : public StoreSession {
 public:
  // `inner` must outlive this object.
  explicit ForwardingStoreSession(StoreSession& inner) : inner_(inner) {}

  std::optional<TokenRecord> FindToken(std::string_view token_hash) override { return inner_.FindToken(token_hash); }
  std::vector<std::optional<TokenRecord>> FindTokens(const std::vector<std::string_view>& token_hashes) override {
    return inner_.FindTokens(token_hashes);
  }
  std::optional<ProjectKeyRecord> FindProjectByApiKey(std::string_view api_key) override {
    return inner_.FindProjectByApiKey(api_key);
  }
  bool IsGroupManager(UserId user_id) override { return inner_.IsGroupManager(user_id); }
  bool IsMemberOfManagedGroup(UserId manager_id, UserId member_id) override {
    return inner_.IsMemberOfManagedGroup(manager_id, member_id);
  }
  void AppendAudit(const AuditEntry& entry) override { inner_.AppendAudit(entry); }
  std::int64_t CountMadeBookings(UserId client_user_id, std::optional<LocalDateTime> created_from,
                                 BookingSide side = BookingSide::kMade) override {
    return inner_.CountMadeBookings(client_user_id, created_from, side);
  }
  std::vector<StoredBooking> MadeBookingsPage(const MadeBookingsQuery& query, std::int64_t offset,
                                              std::int32_t limit) override {
    return inner_.MadeBookingsPage(query, offset, limit);
  }
  CountedPage CountAndPage(const MadeBookingsQuery& query, std::int64_t offset, std::int32_t limit) override {
    return inner_.CountAndPage(query, offset, limit);
  }
  std::optional<StoredBooking> FindBooking(BookingId booking_id) override { return inner_.FindBooking(booking_id); }
  std::optional<UserWithSettings> FindUser(UserId user_id) override { return inner_.FindUser(user_id); }
  std::optional<StoreVersion> Version() override { return inner_.Version(); }
  std::optional<std::vector<ListChange>> ListChangesSince(std::int64_t after, std::int64_t upto) override {
    return inner_.ListChangesSince(after, upto);
  }
  std::optional<ListStamp> ReadListStamp(UserId user_id) override { return inner_.ReadListStamp(user_id); }

 protected:
  StoreSession& Inner() { return inner_; }

 private:
  StoreSession& inner_;
};

// A new access token to store.
struct NewToken {
  std::string token_hash;  // SHA-256 of the token, 32 raw bytes
  UserId user_id = 0;
  std::string client_id;  // the project it is issued to
  std::string scopes;
  std::int64_t expires_at_unix = 0;
};

// A user record of the import format.
struct UserRecord {
  UserId user_id = 0;
  std::string nickname;
  std::optional<std::string> password_hash;
  std::optional<std::string> email_address;
  std::optional<std::string> phonechat_number;
  std::optional<std::string> skype_name;
  std::int32_t positive = 0;
  std::int32_t neutral = 0;
  std::int32_t negative = 0;
  std::int32_t disputes = 0;
  // PhoneChat settings (offers_phonechat and show_phonechat_number included); phonechat_number is the one above.
  bool offers_phonechat = false;
  std::optional<Credits> phonechat_ppm;
  bool offer_direct_chat = false;
  bool direct_chat_only = false;
  std::optional<Credits> direct_chat_ppm;
  bool show_phonechat_number = false;
};

// A `Credit` record of the import format: a movement from the external account to a user.
struct CreditRecord {
  UserId user_id = 0;
  Credits amount;
  LocalDateTime date;
  std::string description;
};

// A group record of the import format.
struct GroupRecord {
  GroupId group_id = 0;
  std::string name;
  UserId manager_user_id = 0;
  std::vector<UserId> member_user_ids;
};

// A project record of the import format (secrets already hashed).
struct ProjectRecord {
  std::string name;
  UserId owner_user_id = 0;
  std::string api_key;
  std::string client_id;
  std::optional<std::string> client_secret_hash;
  std::vector<std::string> redirect_uris;
  bool implicit_grant = false;
  bool active = true;
};

// A booking record of the import format.
struct BookingRecord {
  StoredBooking booking;  // booking.candidate.user_id names the candidate; the rest of `candidate` is ignored
  bool deleted_by_client = false;  // stored as booking.deleted_by_client || this
  // The booking's movements as the record gives them (docs/import-format.md, "The booking's ledger"), stored as
  // given with booking.settled; nullopt: the import decides its Payment by booking.settled.
  std::optional<BookingLedger> ledger;
};

// Receives every record of a database in an order the import takes back (docs/import-format.md, "Export").
class ExportSink {
 public:
  virtual ~ExportSink() = default;
  virtual void User(const UserRecord& user) = 0;
  virtual void Group(const GroupRecord& group) = 0;
  virtual void Project(const ProjectRecord& project) = 0;
  virtual void Credit(const CreditRecord& credit) = 0;
  // `booking.ledger` holds the booking's movements (an empty BookingLedger when it has none).
  virtual void Booking(const BookingRecord& booking) = 0;
};

// Thrown by WriteBatch::Commit when a check the backend deferred to the commit (to check records in bulk) finds
// one that cannot be stored; nothing of the batch is stored. `Record()` is the 1-based position of the first such
// record among the batch's Put* calls.
class RecordRejected : public std::runtime_error {
 public:
  RecordRejected(std::int64_t record, const std::string& reason) : std::runtime_error(reason), record_(record) {}
  // The 1-based position of the rejected record among the batch's Put* calls.
  [[nodiscard]] std::int64_t Record() const { return record_; }

 private:
  std::int64_t record_;
};

// One all-or-nothing batch of writes (imports, demo data). Destroying it without Commit() rolls back.
// It holds the store's writer: use and destroy it on the thread that began it.
// Put* with replace=false fails (returns a reason) when the record's ID already exists. A backend may defer
// checks to Commit(), which then throws RecordRejected naming the earliest record that fails them. Every backend's
// batch applies the same rules with the same reasons (storage/write_batch_rules.hpp).
class WriteBatch {
 public:
  virtual ~WriteBatch() = default;
  virtual bool UserExists(UserId user_id) = 0;
  // Each returns an empty string on success, else the reason the record cannot be stored.
  virtual std::string PutUser(const UserRecord& user, bool replace) = 0;
  virtual std::string PutGroup(const GroupRecord& group, bool replace) = 0;
  virtual std::string PutProject(const ProjectRecord& project, bool replace) = 0;
  // Also stores the movements booking.ledger gives or, without it, the booking's Payment (external to escrow) when it
  // is Confirmed and not `settled`, so that a later Refund or Earning balances. booking.booking.{offered_credits, rejection_kind, deleted_by_candidate,
  // rescheduled_from, settled} are stored as given.
  virtual std::string PutBooking(const BookingRecord& booking, bool replace) = 0;
  // Records a Credit movement from the external account to the user.
  virtual std::string PutCredit(const CreditRecord& credit) = 0;
  virtual void Commit() = 0;
};

// A database: the factory of per-thread sessions and of write batches. Thread-safe.
class Store {
 public:
  virtual ~Store() = default;
  // A new session for the calling thread.
  virtual std::unique_ptr<StoreSession> OpenSession() = 0;
  // Begins an exclusive write batch.
  virtual std::unique_ptr<WriteBatch> BeginWriteBatch() = 0;
  // Stores a token for the project with `token.client_id`; throws UsageError when no such project exists.
  virtual void InsertToken(const NewToken& token) = 0;
  // Marks the token with `token_hash` revoked; false when it does not exist.
  virtual bool RevokeToken(std::string_view token_hash) = 0;
  // True when the database holds no users, groups, projects or bookings.
  virtual bool IsEmpty() = 0;
  // Begins a life-cycle transaction (throws std::logic_error on a read replica).
  virtual std::unique_ptr<LifecycleTransaction> BeginLifecycle() = 0;
  // Reads the whole ledger for `ledger verify`.
  virtual LedgerAudit AuditLedger() = 0;
  // Hands `sink` every user (by ID), group (by ID, members ascending), project (in creation order), Credit movement
  // (in ledger order) and booking (by ID, a rescheduled one after its source) from one consistent snapshot, without
  // blocking writers.
  // The default throws std::logic_error: a backend that can be exported implements it.
  virtual void ExportRecords(ExportSink& sink);
};

// Opens (creating or migrating) the database at `url`: `sqlite:///abs/path.db`, `sqlite://rel.db`, a plain path, or
// a PostgreSQL connection URI (`postgresql://...`). Throws UsageError naming the problem (never a password) for a bad
// URL, an unreadable file, an unreachable server, or a newer schema.
std::unique_ptr<Store> OpenStore(const std::string& url);

// Opens a read replica (a PostgreSQL hot standby) at `url` for sessions only: nothing is migrated, and a schema
// version other than kStoreSchemaVersion is refused with UsageError; BeginWriteBatch and the writes throw
// std::logic_error. Throws UsageError for a URL that is not PostgreSQL.
std::unique_ptr<Store> OpenReadReplica(const std::string& url);

}  // namespace phonechat
