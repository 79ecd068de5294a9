// The PostgreSQL life-cycle transaction: one READ COMMITTED transaction on a pooled blocking connection to the
// primary, whose reads lock the rows they return (SELECT ... FOR UPDATE) in lifecycle_store.hpp's lock order; and
// the ledger audit of `ledger verify`.

#include <libpq-fe.h>

#include <algorithm>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "core/error.hpp"
#include "storage/lifecycle_store.hpp"
#include "storage/postgres/pg_queries.hpp"
#include "storage/postgres/postgres_store_internal.hpp"

namespace phonechat::pg {

std::unique_ptr<Connection> LifecycleConnections::Take() {
  {
    const std::lock_guard lock(mutex_);
    if (!idle_.empty()) {
      auto connection = std::move(idle_.back());
      idle_.pop_back();
      return connection;
    }
  }
  // Blocking: a transaction holds row locks between its calls, so its waits must not let the thread run others.
  return ConnectNow(uri_, kStatementTimeoutMs, Waiting::kBlocking);
}

void LifecycleConnections::Give(std::unique_ptr<Connection> connection) {
  const std::lock_guard lock(mutex_);
  if (idle_.size() < kMaxIdle) idle_.push_back(std::move(connection));
}

namespace {

// The first key of the advisory locks (int4, int4) on idempotency scopes ("idKy"); the second is the scope's hash.
// The two-key form is a lock space apart from the one-key locks of the migration and the import.
constexpr std::int32_t kIdempotencyLockSpace = 0x6964'4B79;

// When a booking's session ends (LocalDateTime::millis).
constexpr const char* kSessionEnd = "b.session_date + b.duration_minutes * 60000::bigint";

constexpr Sql kLockScope{"life_lock_scope", "SELECT pg_advisory_xact_lock($1::integer, hashtext($2))"};
constexpr Sql kFindAnswer{"life_find_answer",
                          "SELECT body_digest, status, content_type, body FROM idempotency_keys "
                          "WHERE user_id = $1 AND acting_as = $2 AND route = $3 AND key = $4 AND created_at >= $5"};
constexpr Sql kStoreAnswer{"life_store_answer",
                           "INSERT INTO idempotency_keys (user_id, acting_as, route, key, body_digest, status, "
                           "content_type, body, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) "
                           "ON CONFLICT (user_id, acting_as, route, key) DO UPDATE SET "
                           "body_digest = excluded.body_digest, status = excluded.status, "
                           "content_type = excluded.content_type, body = excluded.body, "
                           "created_at = excluded.created_at"};
constexpr Sql kEnqueueNotification{
    "life_enqueue_notification",
    "INSERT INTO notification_outbox (kind, booking_id, created_at, payload) VALUES ($1, $2, $3, $4)"};
constexpr Sql kPurgeAnswers{"life_purge_answers", "DELETE FROM idempotency_keys WHERE created_at < $1"};

// The import lock shared: an insert with an ID from booking_id_seq never overlaps an import (see pg_schema.cpp).
constexpr Sql kShareImportLock{"life_share_import_lock", "SELECT pg_advisory_xact_lock_shared($1)"};
// The booking's columns after its parties: $3 on in both statements below, in BookingValues' order.
constexpr Sql kInsertBooking{
    "life_insert_booking",
    "INSERT INTO bookings (booking_id, client_user_id, candidate_user_id, candidate_nickname_key, "
    "client_nickname_key, duration_minutes, credits, offered_credits, status, method, phone_number, skype_name, "
    "create_date, session_date, accept_by, accepted_date, confirmed_date, cancelled_date, cancelled_reason, "
    "cancelled_by, rejected_reason, rejection_kind, last_updated, comments, deleted_by_client, deleted_by_candidate, "
    "settled, rescheduled_from) "
    "SELECT nextval('booking_id_seq'), cl.user_id, ca.user_id, "
    "translate(ca.nickname, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz'), "
    "translate(cl.nickname, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz'), "
    "$3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25 "
    "FROM users AS cl, users AS ca WHERE cl.user_id = $1 AND ca.user_id = $2 RETURNING booking_id"};
constexpr Sql kUpdateBooking{
    "life_update_booking",
    "UPDATE bookings SET duration_minutes = $3, credits = $4, offered_credits = $5, status = $6, method = $7, "
    "phone_number = $8, skype_name = $9, create_date = $10, session_date = $11, accept_by = $12, "
    "accepted_date = $13, confirmed_date = $14, cancelled_date = $15, cancelled_reason = $16, cancelled_by = $17, "
    "rejected_reason = $18, rejection_kind = $19, last_updated = $20, comments = $21, "
    "deleted_by_client = deleted_by_client OR $22, deleted_by_candidate = deleted_by_candidate OR $23, settled = $24 WHERE client_user_id = $1 AND booking_id = $2"};
// Moves the list stamps (StoreSession::ReadListStamp) of the clients in $1 (each once), in user order so that two
// transactions never wait on each other's rows in a cycle.
constexpr Sql kBumpClientStamps{
    "life_bump_client_stamps",
    "INSERT INTO list_versions AS v (user_id, version) SELECT user_id, 1 FROM unnest($1::bigint[]) AS c (user_id) "
    "ORDER BY user_id ON CONFLICT (user_id) DO UPDATE SET version = v.version + 1"};
// The same for every client with a booking of candidate $1: a statement of its own, so that the common case above
// never plans a scan of bookings for an array it cannot see.
constexpr Sql kBumpCandidateClientStamps{
    "life_bump_candidate_client_stamps",
    "INSERT INTO list_versions AS v (user_id, version) "
    "SELECT DISTINCT client_user_id, 1 FROM bookings WHERE candidate_user_id = $1 "
    "ORDER BY 1 ON CONFLICT (user_id) DO UPDATE SET version = v.version + 1"};
constexpr Sql kRegisterReschedule{"life_register_reschedule",
                                  "INSERT INTO booking_reschedules (source_booking_id, booking_id) VALUES ($1, $2)"};
constexpr Sql kRescheduledInto{"life_rescheduled_into",
                               "SELECT booking_id FROM booking_reschedules WHERE source_booking_id = $1"};
constexpr Sql kLiveClientCalls{
    "life_live_client_calls",
    "SELECT b.booking_id FROM bookings AS b WHERE b.candidate_user_id = $1 AND b.method = 2 AND "
    "((b.status = 'Accepted' AND b.session_date > $2) OR "
    "(b.status = 'Confirmed' AND b.session_date + b.duration_minutes * 60000::bigint > $2)) "
    "ORDER BY b.booking_id LIMIT 1"};
constexpr Sql kSaveSettings{"life_save_settings",
                            "UPDATE users SET offer_direct_chat = $2, direct_chat_only = $3, direct_chat_ppm = $4, "
                            "phonechat_number = $5, show_phonechat_number = $6, phonechat_ppm = $7 "
                            "WHERE user_id = $1"};

constexpr Sql kCreateAccount{"life_create_account",
                             "INSERT INTO accounts (account_id, balance) VALUES ($1, 0) "
                             "ON CONFLICT (account_id) DO NOTHING"};
// $1 < $2: the rows are made, then locked, in ascending account_id (the lock order).
constexpr Sql kCreateAccounts{"life_create_accounts",
                              "INSERT INTO accounts (account_id, balance) VALUES ($1, 0), ($2, 0) "
                              "ON CONFLICT (account_id) DO NOTHING"};
constexpr Sql kLockAccounts{"life_lock_accounts",
                            "SELECT account_id FROM accounts WHERE account_id IN ($1, $2) "
                            "ORDER BY account_id FOR UPDATE"};
constexpr Sql kBalance{"life_balance", "SELECT balance FROM accounts WHERE account_id = $1 FOR UPDATE"};
// The debit is one conditional update; the credit and the entry follow only when it changed a row. A unique index
// of ledger_entries refusing the entry fails the whole statement.
constexpr Sql kMove{"life_move",
                    "WITH debit AS (UPDATE accounts SET balance = balance - $3 "
                    "WHERE account_id = $1 AND (balance >= $3 OR account_id = -2) RETURNING account_id), "
                    "credit AS (UPDATE accounts SET balance = balance + $3 "
                    "WHERE account_id = $2 AND EXISTS (SELECT 1 FROM debit) RETURNING account_id), "
                    "entry AS (INSERT INTO ledger_entries (date, kind, booking_id, from_account, to_account, amount, "
                    "description) SELECT $4, $5, $6, $1, $2, $3, $7 WHERE EXISTS (SELECT 1 FROM debit) "
                    "RETURNING entry_id) "
                    "SELECT (SELECT count(*) FROM debit), (SELECT count(*) FROM credit), (SELECT count(*) FROM entry)"};

const std::string& LockBookingSql() {
  static const std::string sql = std::string(FullBookingSelect()) + " WHERE b.booking_id = $1 FOR UPDATE OF b";
  return sql;
}

const std::string& LockUserSql() {
  // NO KEY UPDATE: only settings are written, so bookings inserted meanwhile (their foreign keys take KEY SHARE on
  // the users row) do not wait for this transaction.
  static const std::string sql = std::string(UserSelect()) + " WHERE user_id = $1 FOR NO KEY UPDATE";
  return sql;
}

const std::string& DueSettlementsSql() {
  static const std::string sql = std::string(FullBookingSelect()) +
                                 " WHERE b.candidate_user_id = $1 AND b.status = 'Confirmed' AND NOT b.settled "
                                 "AND b.session_date <= $2 AND " +
                                 kSessionEnd + " <= $2 ORDER BY b.session_date, b.booking_id FOR UPDATE OF b";
  return sql;
}

const std::string& DueSettlementsOfAnyoneSql() {
  // SKIP LOCKED: the sweeper leaves a booking a request holds to a later round instead of waiting for it.
  static const std::string sql = std::string(FullBookingSelect()) +
                                 " WHERE b.status = 'Confirmed' AND NOT b.settled AND b.session_date <= $1 AND " +
                                 kSessionEnd +
                                 " <= $1 ORDER BY b.session_date, b.booking_id LIMIT $2 FOR UPDATE OF b SKIP LOCKED";
  return sql;
}

// Statement parameters owning their text.
class Values {
 public:
  void Int(std::int64_t value) { values_.emplace_back(std::to_string(value)); }
  void Text(std::string_view value) { values_.emplace_back(std::string(value)); }
  void Bool(bool value) { values_.emplace_back(value ? "true" : "false"); }
  void Null() { values_.emplace_back(std::nullopt); }
  void OptionalText(const std::optional<std::string>& value) {
    if (value) {
      Text(*value);
    } else {
      Null();
    }
  }
  void Date(const std::optional<LocalDateTime>& value) {
    if (value) {
      Int(value->millis);
    } else {
      Null();
    }
  }

  [[nodiscard]] std::vector<Param> Params() const {
    std::vector<Param> params;
    params.reserve(values_.size());
    for (const auto& value : values_) params.push_back(value ? Param::Text(*value) : Param::Null());
    return params;
  }

 private:
  std::vector<std::optional<std::string>> values_;
};

// Every column of `booking` but its ID, its parties and rescheduled_from, in the order of $3 on of kInsertBooking
// and kUpdateBooking.
void BookingValues(const StoredBooking& b, Values& out) {
  out.Int(b.duration_minutes);
  out.Int(b.credits.ten_thousandths);
  out.Int(b.offered_credits.ten_thousandths);
  out.Text(StatusName(b.status));
  out.Int(static_cast<std::int64_t>(b.method));
  out.OptionalText(b.phone_number);
  out.OptionalText(b.skype_name);
  out.Int(b.create_date.millis);
  out.Int(b.session_date.millis);
  out.Int(b.accept_by.millis);
  out.Date(b.accepted_date);
  out.Date(b.confirmed_date);
  out.Date(b.cancelled_date);
  out.OptionalText(b.cancelled_reason);
  if (b.cancelled_by) {
    out.Text(CancelledByName(*b.cancelled_by));
  } else {
    out.Null();
  }
  out.OptionalText(b.rejected_reason);
  if (b.rejection_kind) {
    out.Text(RejectionKindName(*b.rejection_kind));
  } else {
    out.Null();
  }
  out.Date(b.last_updated);
  out.OptionalText(b.comments);
  out.Bool(b.deleted_by_client);
  out.Bool(b.deleted_by_candidate);
  out.Bool(b.settled);
}

// The text an idempotency scope's advisory lock is hashed from: each part length-prefixed, so that no two scopes
// spell the same text.
std::string ScopeText(const IdempotencyScope& scope) {
  std::string text = std::to_string(scope.user_id) + ':' + std::to_string(scope.acting_as) + ':';
  for (const std::string* part : {&scope.route, &scope.key}) text += std::to_string(part->size()) + ':' + *part;
  return text;
}

class PostgresLifecycle final : public LifecycleTransaction {
 public:
  explicit PostgresLifecycle(std::shared_ptr<LifecycleConnections> connections)
      : connections_(std::move(connections)), connection_(connections_->Take()) {
    Guarded([&] { connection_->Exec("BEGIN ISOLATION LEVEL READ COMMITTED"); });
  }

  PostgresLifecycle(const PostgresLifecycle&) = delete;
  PostgresLifecycle& operator=(const PostgresLifecycle&) = delete;

  ~PostgresLifecycle() override {
    if (!connection_) return;
    if (!committed_ && !lost_) {
      try {
        connection_->Exec("ROLLBACK");
      } catch (const std::exception&) {
        lost_ = true;
      }
    }
    // Only a connection known to be healthy and outside any transaction serves the next one.
    if (lost_ || PQstatus(connection_->Handle()) != CONNECTION_OK ||
        PQtransactionStatus(connection_->Handle()) != PQTRANS_IDLE) {
      return;
    }
    connections_->Give(std::move(connection_));
  }

  std::optional<IdempotentAnswer> LockIdempotencyKey(const IdempotencyScope& scope,
                                                     LocalDateTime oldest_kept) override {
    const IntText space(kIdempotencyLockSpace);
    const std::string text = ScopeText(scope);
    Run(kLockScope, {space.AsParam(), Param::Text(text)});
    const IntText user(scope.user_id);
    const IntText acting_as(scope.acting_as);
    const IntText oldest(oldest_kept.millis);
    const auto rows = Run(kFindAnswer, {user.AsParam(), acting_as.AsParam(), Param::Text(scope.route),
                                        Param::Text(scope.key), oldest.AsParam()});
    if (rows.Count() == 0) return std::nullopt;
    return IdempotentAnswer{rows.Bytes(0, 0), static_cast<int>(rows.Int(0, 1)), std::string(rows.Text(0, 2)),
                            rows.Bytes(0, 3)};
  }

  void StoreIdempotentAnswer(const IdempotencyScope& scope, const IdempotentAnswer& answer,
                             LocalDateTime now) override {
    const IntText user(scope.user_id);
    const IntText acting_as(scope.acting_as);
    const IntText status(answer.status);
    const IntText at(now.millis);
    Run(kStoreAnswer, {user.AsParam(), acting_as.AsParam(), Param::Text(scope.route), Param::Text(scope.key),
                       Param::Bytes(answer.body_digest), status.AsParam(), Param::Text(answer.content_type),
                       Param::Bytes(answer.body), at.AsParam()});
  }

  std::int64_t PurgeIdempotencyKeys(LocalDateTime older_than) override {
    const IntText before(older_than.millis);
    return Run(kPurgeAnswers, {before.AsParam()}).Affected();
  }

  void EnqueueNotification(std::string_view kind, BookingId booking_id, LocalDateTime now,
                           std::string_view payload) override {
    const IntText booking(booking_id);
    const IntText at(now.millis);
    Run(kEnqueueNotification, {Param::Text(kind), booking.AsParam(), at.AsParam(), Param::Text(payload)});
  }

  bool IsGroupManager(UserId user_id) override {
    const IntText user(user_id);
    return Run(kIsManager, {user.AsParam()}).Count() > 0;
  }

  bool IsMemberOfManagedGroup(UserId manager_id, UserId member_id) override {
    const IntText manager(manager_id);
    const IntText member(member_id);
    return Run(kIsMember, {manager.AsParam(), member.AsParam()}).Count() > 0;
  }

  void AppendAudit(const AuditEntry& entry) override {
    const IntText manager(entry.manager_user_id);
    const IntText member(entry.member_user_id);
    const IntText at(entry.at.millis);
    Run(kInsertAudit,
        {manager.AsParam(), member.AsParam(), Param::Text(entry.route), at.AsParam(), Param::Text(entry.outcome)});
  }

  std::optional<StoredBooking> LockBooking(BookingId booking_id) override {
    const IntText id(booking_id);
    const auto rows = Run({"life_lock_booking", LockBookingSql().c_str()}, {id.AsParam()});
    if (rows.Count() == 0) return std::nullopt;
    return ReadFullBooking(rows, 0);
  }

  std::optional<UserWithSettings> LockUser(UserId user_id) override {
    const IntText id(user_id);
    const auto rows = Run({"life_lock_user", LockUserSql().c_str()}, {id.AsParam()});
    if (rows.Count() == 0) return std::nullopt;
    return ReadUser(rows, 0);
  }

  BookingId InsertBooking(const StoredBooking& booking) override {
    const IntText import_lock(kImportLockKey);
    Run(kShareImportLock, {import_lock.AsParam()});
    Values values;
    values.Int(booking.client_user_id);
    values.Int(booking.candidate.user_id);
    BookingValues(booking, values);
    if (booking.rescheduled_from) {
      values.Int(*booking.rescheduled_from);
    } else {
      values.Null();
    }
    const auto rows = Run(kInsertBooking, values.Params());
    if (rows.Count() == 0) {
      throw std::invalid_argument("booking of client " + std::to_string(booking.client_user_id) + " and candidate " +
                                  std::to_string(booking.candidate.user_id) + ": no such user");
    }
    const auto booking_id = static_cast<BookingId>(rows.Int(0, 0));
    Changed(changed_clients_, booking.client_user_id);
    if (booking.rescheduled_from) {
      // Its primary key refuses a second booking rescheduled from the same source.
      const IntText source(*booking.rescheduled_from);
      const IntText id(booking_id);
      Run(kRegisterReschedule, {source.AsParam(), id.AsParam()});
    }
    return booking_id;
  }

  void UpdateBooking(const StoredBooking& booking) override {
    Values values;
    values.Int(booking.client_user_id);
    values.Int(booking.booking_id);
    BookingValues(booking, values);
    if (Run(kUpdateBooking, values.Params()).Affected() == 0) {
      throw std::invalid_argument("booking " + std::to_string(booking.booking_id) + " of client " +
                                  std::to_string(booking.client_user_id) + " is not stored");
    }
    Changed(changed_clients_, booking.client_user_id);
  }

  std::optional<BookingId> RescheduledInto(BookingId source) override {
    const IntText id(source);
    const auto rows = Run(kRescheduledInto, {id.AsParam()});
    if (rows.Count() == 0) return std::nullopt;
    return static_cast<BookingId>(rows.Int(0, 0));
  }

  std::optional<BookingId> LiveClientCallsBooking(UserId candidate, LocalDateTime now) override {
    const IntText id(candidate);
    const IntText at(now.millis);
    const auto rows = Run(kLiveClientCalls, {id.AsParam(), at.AsParam()});
    if (rows.Count() == 0) return std::nullopt;
    return static_cast<BookingId>(rows.Int(0, 0));
  }

  void SaveSettings(UserId user_id, const PhoneChatSettings& settings) override {
    // direct_chat_ppm is set exactly when offer_direct_chat (ReadUser reads it so).
    const bool direct = settings.offer_direct_chat;
    Values values;
    values.Int(user_id);
    values.Bool(direct);
    values.Bool(direct && settings.direct_chat && settings.direct_chat->direct_chat_only);
    if (direct) {
      values.Int(settings.direct_chat ? settings.direct_chat->ppm.ten_thousandths : 0);
    } else {
      values.Null();
    }
    values.OptionalText(settings.phonechat_number);
    values.Bool(settings.show_phonechat_number);
    if (settings.phonechat_ppm) {
      values.Int(settings.phonechat_ppm->ten_thousandths);
    } else {
      values.Null();
    }
    Run(kSaveSettings, values.Params());
    // The number is the candidate's contact detail in every list with one of their bookings.
    Changed(changed_candidates_, user_id);
  }

  bool Post(const LedgerEntry& entry) override {
    if (entry.from == entry.to) throw std::invalid_argument("a ledger movement needs two different accounts");
    const IntText low(std::min(entry.from, entry.to));
    const IntText high(std::max(entry.from, entry.to));
    Run(kCreateAccounts, {low.AsParam(), high.AsParam()});
    Run(kLockAccounts, {low.AsParam(), high.AsParam()});
    const IntText from(entry.from);
    const IntText to(entry.to);
    const IntText amount(entry.amount.ten_thousandths);
    const IntText date(entry.date.millis);
    const IntText booking(entry.booking_id.value_or(0));
    const auto rows =
        Run(kMove, {from.AsParam(), to.AsParam(), amount.AsParam(), date.AsParam(),
                    Param::Text(LedgerKindName(entry.kind)), entry.booking_id ? booking.AsParam() : Param::Null(),
                    entry.description ? Param::Text(*entry.description) : Param::Null()});
    return rows.Int(0, 0) == 1;
  }

  Credits Balance(AccountId account) override {
    const IntText id(account);
    Run(kCreateAccount, {id.AsParam()});
    const auto rows = Run(kBalance, {id.AsParam()});
    return Credits{rows.Count() > 0 ? rows.Int(0, 0) : 0};
  }

  std::vector<StoredBooking> DueSettlements(UserId candidate, LocalDateTime now) override {
    const IntText id(candidate);
    const IntText at(now.millis);
    return Bookings(Run({"life_due_settlements", DueSettlementsSql().c_str()}, {id.AsParam(), at.AsParam()}));
  }

  std::vector<StoredBooking> DueSettlementsOfAnyone(LocalDateTime now, int limit) override {
    const IntText at(now.millis);
    const IntText most(limit);
    return Bookings(
        Run({"life_due_settlements_of_anyone", DueSettlementsOfAnyoneSql().c_str()}, {at.AsParam(), most.AsParam()}));
  }

  void Savepoint() override {
    RunPlain("SAVEPOINT request");
    changes_at_savepoint_ = {changed_clients_.size(), changed_candidates_.size()};
  }

  void RollbackToSavepoint() override {
    // Also after an error inside the savepoint: ROLLBACK TO clears it. It keeps the savepoint open; RELEASE ends it.
    RunPlain("ROLLBACK TO SAVEPOINT request");
    RunPlain("RELEASE SAVEPOINT request");
    changed_clients_.resize(changes_at_savepoint_.first);
    changed_candidates_.resize(changes_at_savepoint_.second);
  }

  void ReleaseSavepoint() override { RunPlain("RELEASE SAVEPOINT request"); }

  void Commit() override {
    if (committed_) throw std::logic_error("the life-cycle transaction was committed already");
    // Never COMMIT on a connection that was lost and reconnected: its transaction is gone.
    if (lost_) throw StoreUnavailable("the life-cycle transaction lost its database connection");
    // COMMIT of a failed transaction "succeeds" as a ROLLBACK: say so instead.
    if (PQtransactionStatus(connection_->Handle()) == PQTRANS_INERROR) {
      throw SqlError("the transaction failed earlier and was rolled back", "25P02");
    }
    // Last, so that the rows stay locked only for the commit.
    if (!changed_clients_.empty()) Run(kBumpClientStamps, {Param::Text(ArrayText(changed_clients_))});
    for (const UserId candidate : changed_candidates_) {
      const IntText id(candidate);
      Run(kBumpCandidateClientStamps, {id.AsParam()});
    }
    // Durable on return: synchronous_commit is left at its default (on).
    Guarded([&] { connection_->Exec("COMMIT"); });
    committed_ = true;
  }

 private:
  // Runs `work`, turning the server's conflict aborts into TransactionConflict and remembering a lost connection,
  // which is then never reused.
  template <typename Work>
  auto Guarded(Work&& work) -> decltype(work()) {
    try {
      return work();
    } catch (const ConflictAbort& abort) {
      throw TransactionConflict(abort.what());
    } catch (const StoreUnavailable&) {
      lost_ = true;
      throw;
    }
  }

  void RunPlain(std::string_view sql) {
    if (committed_) throw std::logic_error("the life-cycle transaction was committed already");
    if (lost_) throw StoreUnavailable("the life-cycle transaction lost its database connection");
    Guarded([&] { connection_->Exec(sql); });
  }

  Rows Run(const Sql& sql, std::initializer_list<Param> params) { return Run(sql, std::vector<Param>(params)); }

  Rows Run(const Sql& sql, const std::vector<Param>& params) {
    if (committed_) throw std::logic_error("the life-cycle transaction was committed already");
    if (lost_) throw StoreUnavailable("the life-cycle transaction lost its database connection");
    return Guarded([&] { return connection_->ExecPrepared(sql.name, sql.text, params); });
  }

  static void Changed(std::vector<UserId>& users, UserId user_id) {
    if (std::find(users.begin(), users.end(), user_id) == users.end()) users.push_back(user_id);
  }

  // `ids` as a PostgreSQL array literal.
  static std::string ArrayText(const std::vector<UserId>& ids) {
    std::string text = "{";
    for (const UserId id : ids) {
      if (text.size() > 1) text += ',';
      text += std::to_string(id);
    }
    return text + '}';
  }

  static std::vector<StoredBooking> Bookings(const Rows& rows) {
    std::vector<StoredBooking> bookings;
    bookings.reserve(static_cast<std::size_t>(rows.Count()));
    for (int row = 0; row < rows.Count(); ++row) bookings.push_back(ReadFullBooking(rows, row));
    return bookings;
  }

  std::shared_ptr<LifecycleConnections> connections_;
  std::unique_ptr<Connection> connection_;
  bool committed_ = false;
  bool lost_ = false;  // the connection failed: the transaction is gone with it
  std::vector<UserId> changed_clients_;     // whose made lists this transaction changed, each once
  std::vector<UserId> changed_candidates_;  // whose contact details it changed (every list with their bookings)
  std::pair<std::size_t, std::size_t> changes_at_savepoint_{0, 0};  // the two sizes at the last Savepoint()
};

}  // namespace

std::unique_ptr<LifecycleTransaction> BeginLifecycle(const std::shared_ptr<LifecycleConnections>& connections) {
  return std::make_unique<PostgresLifecycle>(connections);
}

LedgerAudit AuditLedger(LifecycleConnections& connections) {
  auto connection = connections.Take();
  LedgerAudit audit;
  {
    // One snapshot for every figure; what was read is only read, so the transaction ends either way.
    Transaction transaction(*connection);
    connection->Exec("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY");
    audit.entries = connection->Exec("SELECT count(*) FROM ledger_entries").Int(0, 0);
    const auto flows = connection->Exec(
        "WITH flows AS (SELECT to_account AS account, amount FROM ledger_entries "
        "UNION ALL SELECT from_account, -amount FROM ledger_entries), "
        "sums AS (SELECT account, sum(amount) AS total FROM flows GROUP BY account) "
        "SELECT coalesce(a.account_id, s.account), coalesce(a.balance, 0), coalesce(s.total, 0) "
        "FROM accounts AS a FULL JOIN sums AS s ON s.account = a.account_id "
        "WHERE coalesce(a.balance, 0) <> coalesce(s.total, 0) ORDER BY 1");
    for (int row = 0; row < flows.Count(); ++row) {
      audit.mismatched.push_back(LedgerCheck{flows.Int(row, 0), Credits{flows.Int(row, 1)}, flows.Int(row, 2)});
    }
    audit.escrow =
        Credits{connection->Exec("SELECT coalesce((SELECT balance FROM accounts WHERE account_id = -1), 0)").Int(0, 0)};
    audit.unsettled_confirmed = Credits{
        connection->Exec("SELECT coalesce(sum(credits), 0) FROM bookings WHERE status = 'Confirmed' AND NOT settled")
            .Int(0, 0)};
    audit.sum_of_all_ten_thousandths =
        connection
            ->Exec(
                "SELECT coalesce(sum(amount), 0) FROM (SELECT amount FROM ledger_entries "
                "UNION ALL SELECT -amount FROM ledger_entries) AS flows")
            .Int(0, 0);
    transaction.Commit();
  }
  connections.Give(std::move(connection));
  return audit;
}

}  // namespace phonechat::pg
