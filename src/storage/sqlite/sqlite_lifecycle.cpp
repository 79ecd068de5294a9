// The SQLite life-cycle transaction on the store's one writer (BEGIN IMMEDIATE, synced at commit), the lookups of
// one booking or user that sessions share with it, and the ledger audit.

#include <algorithm>
#include <cassert>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "storage/booking_row.hpp"
#include "storage/sqlite/schema.hpp"
#include "storage/sqlite/sqlite_store_internal.hpp"

namespace phonechat::sqlite {

namespace {

constexpr std::int64_t kMinuteMillis = 60'000;
// The list-change log keeps about this many entries: a serving thread idle for longer forgets its whole cache.
constexpr std::int64_t kListChangesKept = 100'000;
constexpr std::int64_t kListChangesTrimEvery = 1'000;

// The bookings with both parties joined, for a WHERE clause on `b` to follow.
std::string BothPartiesFrom() {
  return "SELECT " + std::string(booking_row::kBothPartiesColumns) +
         " FROM bookings AS b JOIN users AS u ON u.user_id = b.candidate_user_id"
         " JOIN users AS c ON c.user_id = b.client_user_id";
}

// The insert of a new booking: the write row's columns, then both nickname keys folded from the users rows.
const std::string& InsertBookingSql() {
  static const std::string sql = [] {
    std::string text = "INSERT INTO bookings (" + std::string(booking_row::kWriteColumns) +
                       ", candidate_nickname_key, client_nickname_key) SELECT ";
    for (int i = 1; i <= booking_row::kWriteColumnCount; ++i) text += (i == 1 ? "?" : ", ?") + std::to_string(i);
    text += ", " + FoldNicknameSql("candidate.nickname") + ", " + FoldNicknameSql("client.nickname") +
            " FROM users AS candidate, users AS client WHERE candidate.user_id = ?3 AND client.user_id = ?2";
    return text;
  }();
  return sql;
}

// Binds booking_row::Write's values to ?1, ?2, ... in order.
struct Binder {
  Statement& statement;
  int index = 1;

  void Int(std::int64_t value) { statement.BindInt(index++, value); }
  void Text(std::string_view value) { statement.BindText(index++, value); }
  void Bool(bool value) { statement.BindInt(index++, value ? 1 : 0); }
  void Null() { statement.BindNull(index++); }
};

std::vector<StoredBooking> ReadAll(Statement& statement) {
  std::vector<StoredBooking> bookings;
  while (statement.Step()) bookings.push_back(booking_row::ReadWithBothParties(statement));
  return bookings;
}

// Holds the writer from construction to destruction; every read is therefore locked until the end.
class SqliteLifecycleTransaction final : public LifecycleTransaction {
 public:
  explicit SqliteLifecycleTransaction(std::shared_ptr<Writer> writer)
      : writer_(std::move(writer)), lock_(LockWriter(*writer_)) {
    auto& connection = writer_->connection;
    try {
      // Durable before Commit() returns: the WAL is synced at this commit (synchronous cannot change inside a
      // transaction, hence before BEGIN; the destructor sets it back).
      saved_synchronous_ = connection.QueryInt("PRAGMA synchronous");
      connection.Execute("PRAGMA synchronous = FULL");
      connection.Execute("BEGIN IMMEDIATE");
    } catch (...) {
      Restore();
      throw;
    }
  }

  // After Commit() the writer is no longer this transaction's: nothing is left to do.
  ~SqliteLifecycleTransaction() override {
    if (lock_.owns_lock()) Restore();
  }

  SqliteLifecycleTransaction(const SqliteLifecycleTransaction&) = delete;
  SqliteLifecycleTransaction& operator=(const SqliteLifecycleTransaction&) = delete;

  std::optional<IdempotentAnswer> LockIdempotencyKey(const IdempotencyScope& scope,
                                                     LocalDateTime oldest_kept) override {
    auto& statement = Prepared(
        "SELECT body_digest, status, content_type, body FROM idempotency_keys "
        "WHERE user_id = ?1 AND acting_as = ?2 AND route = ?3 AND key = ?4 AND created_at >= ?5");
    ScopedReset reset(statement);
    BindScope(statement, scope);
    statement.BindInt(5, oldest_kept.millis);
    if (!statement.Step()) return std::nullopt;
    return IdempotentAnswer{Bytes(statement, 0), static_cast<int>(statement.Int(1)), Bytes(statement, 2),
                            Bytes(statement, 3)};
  }

  void StoreIdempotentAnswer(const IdempotencyScope& scope, const IdempotentAnswer& answer,
                             LocalDateTime now) override {
    auto& statement = Prepared(
        "INSERT INTO idempotency_keys (user_id, acting_as, route, key, body_digest, status, content_type, body, "
        "created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT (user_id, acting_as, route, key) DO "
        "UPDATE SET body_digest = excluded.body_digest, status = excluded.status, "
        "content_type = excluded.content_type, body = excluded.body, created_at = excluded.created_at");
    ScopedReset reset(statement);
    BindScope(statement, scope);
    statement.BindBlob(5, answer.body_digest);
    statement.BindInt(6, answer.status);
    statement.BindText(7, answer.content_type);
    statement.BindBlob(8, answer.body);
    statement.BindInt(9, now.millis);
    statement.Run();
  }

  std::int64_t PurgeIdempotencyKeys(LocalDateTime older_than) override {
    auto& statement = Prepared("DELETE FROM idempotency_keys WHERE created_at < ?1");
    ScopedReset reset(statement);
    statement.BindInt(1, older_than.millis);
    statement.Run();
    return writer_->connection.Changes();
  }

  void EnqueueNotification(std::string_view kind, BookingId booking_id, LocalDateTime now,
                           std::string_view payload) override {
    auto& statement = Prepared(
        "INSERT INTO notification_outbox (kind, booking_id, created_at, payload) VALUES (?1, ?2, ?3, ?4)");
    ScopedReset reset(statement);
    statement.BindText(1, kind);
    statement.BindInt(2, booking_id);
    statement.BindInt(3, now.millis);
    statement.BindText(4, payload);
    statement.Run();
  }

  bool IsGroupManager(UserId user_id) override {
    auto& statement = Prepared("SELECT 1 FROM user_groups WHERE manager_user_id = ?1 LIMIT 1");
    ScopedReset reset(statement);
    statement.BindInt(1, user_id);
    return statement.Step();
  }

  bool IsMemberOfManagedGroup(UserId manager_id, UserId member_id) override {
    auto& statement = Prepared(
        "SELECT 1 FROM group_members AS m JOIN user_groups AS g ON g.group_id = m.group_id "
        "WHERE m.user_id = ?2 AND g.manager_user_id = ?1");
    ScopedReset reset(statement);
    statement.BindInt(1, manager_id);
    statement.BindInt(2, member_id);
    return statement.Step();
  }

  void AppendAudit(const AuditEntry& entry) override {
    auto& statement = Prepared(
        "INSERT INTO audit_log (manager_user_id, member_user_id, route, at, outcome) VALUES (?1, ?2, ?3, ?4, ?5)");
    ScopedReset reset(statement);
    statement.BindInt(1, entry.manager_user_id);
    statement.BindInt(2, entry.member_user_id);
    statement.BindText(3, entry.route);
    statement.BindInt(4, entry.at.millis);
    statement.BindText(5, entry.outcome);
    statement.Run();
  }

  std::optional<StoredBooking> LockBooking(BookingId booking_id) override {
    auto& statement = Prepared(FindBookingSql());
    ScopedReset reset(statement);
    statement.BindInt(1, booking_id);
    if (!statement.Step()) return std::nullopt;
    return booking_row::ReadWithBothParties(statement);
  }

  std::optional<UserWithSettings> LockUser(UserId user_id) override {
    auto& statement = Prepared(FindUserSql());
    ScopedReset reset(statement);
    statement.BindInt(1, user_id);
    if (!statement.Step()) return std::nullopt;
    return ReadUser(statement);
  }

  BookingId InsertBooking(const StoredBooking& booking) override {
    const std::int64_t id = writer_->connection.QueryInt("SELECT coalesce(max(booking_id), 0) + 1 FROM bookings");
    if (id > kMaxId) throw std::runtime_error("no booking ID is left below 2^31");
    BookingRecord record{booking, booking.deleted_by_client, std::nullopt};
    record.booking.booking_id = static_cast<BookingId>(id);
    auto& statement = Prepared(InsertBookingSql());
    ScopedReset reset(statement);
    Binder binder{statement};
    booking_row::Write(record, binder);
    statement.Run();
    if (writer_->connection.Changes() != 1) {
      throw std::logic_error("a new booking's client and candidate must exist");
    }
    Changed(ListChange::Kind::kClient, booking.client_user_id);
    return record.booking.booking_id;
  }

  void UpdateBooking(const StoredBooking& booking) override {
    // SQLite rewrites an index entry whenever the UPDATE names one of its columns, equal or not: the columns fixed
    // at creation are left out, and the deletion flags (six list indexes) are written only once one is set.
    auto& statement = Prepared(
        "UPDATE bookings SET duration_minutes = ?2, credits = ?3, status = ?4, method = ?5, phone_number = ?6, "
        "skype_name = ?7, accept_by = ?8, accepted_date = ?9, confirmed_date = ?10, cancelled_date = ?11, "
        "cancelled_reason = ?12, cancelled_by = ?13, rejected_reason = ?14, last_updated = ?15, comments = ?16, "
        "offered_credits = ?17, rejection_kind = ?18, settled = ?19 WHERE booking_id = ?1");
    ScopedReset reset(statement);
    const auto date = [](const std::optional<LocalDateTime>& value) -> std::optional<std::int64_t> {
      if (!value) return std::nullopt;
      return value->millis;
    };
    const auto name = [](auto value, auto to_name) -> std::optional<std::string> {
      if (!value) return std::nullopt;
      return std::string(to_name(*value));
    };
    statement.BindInt(1, booking.booking_id);
    statement.BindInt(2, booking.duration_minutes);
    statement.BindInt(3, booking.credits.ten_thousandths);
    statement.BindText(4, StatusName(booking.status));
    statement.BindInt(5, static_cast<std::int64_t>(booking.method));
    statement.BindOptionalText(6, booking.phone_number);
    statement.BindOptionalText(7, booking.skype_name);
    statement.BindInt(8, booking.accept_by.millis);
    statement.BindOptionalInt(9, date(booking.accepted_date));
    statement.BindOptionalInt(10, date(booking.confirmed_date));
    statement.BindOptionalInt(11, date(booking.cancelled_date));
    statement.BindOptionalText(12, booking.cancelled_reason);
    const auto cancelled_by = name(booking.cancelled_by, CancelledByName);
    statement.BindOptionalText(13, cancelled_by);
    statement.BindOptionalText(14, booking.rejected_reason);
    statement.BindOptionalInt(15, date(booking.last_updated));
    statement.BindOptionalText(16, booking.comments);
    statement.BindInt(17, booking.offered_credits.ten_thousandths);
    const auto rejection_kind = name(booking.rejection_kind, RejectionKindName);
    statement.BindOptionalText(18, rejection_kind);
    statement.BindInt(19, booking.settled ? 1 : 0);
    statement.Run();
    if (booking.deleted_by_client || booking.deleted_by_candidate) {
      auto& deletion =
          Prepared("UPDATE bookings SET deleted_by_client = ?2, deleted_by_candidate = ?3 WHERE booking_id = ?1");
      ScopedReset reset_deletion(deletion);
      deletion.BindInt(1, booking.booking_id);
      deletion.BindInt(2, booking.deleted_by_client ? 1 : 0);
      deletion.BindInt(3, booking.deleted_by_candidate ? 1 : 0);
      deletion.Run();
    }
    Changed(ListChange::Kind::kClient, booking.client_user_id);
  }

  std::optional<BookingId> RescheduledInto(BookingId source) override {
    auto& statement = Prepared("SELECT booking_id FROM bookings WHERE rescheduled_from = ?1");
    ScopedReset reset(statement);
    statement.BindInt(1, source);
    if (!statement.Step()) return std::nullopt;
    return static_cast<BookingId>(statement.Int(0));
  }

  std::optional<BookingId> LiveClientCallsBooking(UserId candidate, LocalDateTime now) override {
    auto& statement = Prepared(
        "SELECT booking_id FROM bookings INDEXED BY bookings_by_candidate WHERE candidate_user_id = ?1 AND method = 2 "
        "AND ((status = 'Accepted' AND session_date > ?2) OR "
        "(status = 'Confirmed' AND session_date + duration_minutes * ?3 > ?2)) ORDER BY booking_id LIMIT 1");
    ScopedReset reset(statement);
    statement.BindInt(1, candidate);
    statement.BindInt(2, now.millis);
    statement.BindInt(3, kMinuteMillis);
    if (!statement.Step()) return std::nullopt;
    return static_cast<BookingId>(statement.Int(0));
  }

  void SaveSettings(UserId user_id, const PhoneChatSettings& settings) override {
    auto& statement = Prepared(
        "UPDATE users SET offer_direct_chat = ?2, direct_chat_only = ?3, direct_chat_ppm = ?4, phonechat_number = ?5, "
        "show_phonechat_number = ?6, phonechat_ppm = ?7 WHERE user_id = ?1");
    ScopedReset reset(statement);
    // offer_direct_chat and the DirectChat columns are kept consistent: the price is there exactly when offered.
    const std::optional<DirectChatSettings> direct =
        settings.offer_direct_chat ? std::optional{settings.direct_chat.value_or(DirectChatSettings{})} : std::nullopt;
    statement.BindInt(1, user_id);
    statement.BindInt(2, direct ? 1 : 0);
    statement.BindInt(3, direct && direct->direct_chat_only ? 1 : 0);
    statement.BindOptionalInt(4, direct ? std::optional{direct->ppm.ten_thousandths} : std::nullopt);
    statement.BindOptionalText(5, settings.phonechat_number);
    statement.BindInt(6, settings.show_phonechat_number ? 1 : 0);
    statement.BindOptionalInt(
        7, settings.phonechat_ppm ? std::optional{settings.phonechat_ppm->ten_thousandths} : std::nullopt);
    statement.Run();
    // The number is the candidate's contact detail in every list with one of their bookings.
    Changed(ListChange::Kind::kCandidate, user_id);
  }

  bool Post(const LedgerEntry& entry) override {
    const std::int64_t amount = entry.amount.ten_thousandths;
    if (entry.from == kExternalAccount) EnsureAccount(entry.from);
    {
      // One conditional update: an account without a row has nothing to give.
      auto& debit = Prepared(
          "UPDATE accounts SET balance = balance - ?2 WHERE account_id = ?1 AND (balance >= ?2 OR account_id = -2)");
      ScopedReset reset(debit);
      debit.BindInt(1, entry.from);
      debit.BindInt(2, amount);
      debit.Run();
      if (writer_->connection.Changes() == 0) return false;
    }
    EnsureAccount(entry.to);
    {
      auto& credit = Prepared("UPDATE accounts SET balance = balance + ?2 WHERE account_id = ?1");
      ScopedReset reset(credit);
      credit.BindInt(1, entry.to);
      credit.BindInt(2, amount);
      credit.Run();
    }
    auto& insert = Prepared(
        "INSERT INTO ledger_entries (date, kind, booking_id, from_account, to_account, amount, description) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
    ScopedReset reset(insert);
    insert.BindInt(1, entry.date.millis);
    insert.BindText(2, LedgerKindName(entry.kind));
    insert.BindOptionalInt(3, entry.booking_id);
    insert.BindInt(4, entry.from);
    insert.BindInt(5, entry.to);
    insert.BindInt(6, amount);
    insert.BindOptionalText(7, entry.description);
    insert.Run();
    return true;
  }

  Credits Balance(AccountId account) override {
    auto& statement = Prepared("SELECT balance FROM accounts WHERE account_id = ?1");
    ScopedReset reset(statement);
    statement.BindInt(1, account);
    return Credits{statement.Step() ? statement.Int(0) : 0};
  }

  std::vector<StoredBooking> DueSettlements(UserId candidate, LocalDateTime now) override {
    static const std::string sql =
        BothPartiesFrom() +
        " WHERE b.candidate_user_id = ?1 AND b.status = 'Confirmed' AND b.settled = 0 AND b.session_date <= ?2"
        " AND b.session_date + b.duration_minutes * ?3 <= ?2 ORDER BY b.session_date, b.booking_id";
    auto& statement = Prepared(sql);
    ScopedReset reset(statement);
    statement.BindInt(1, candidate);
    statement.BindInt(2, now.millis);
    statement.BindInt(3, kMinuteMillis);
    return ReadAll(statement);
  }

  std::vector<StoredBooking> DueSettlementsOfAnyone(LocalDateTime now, int limit) override {
    static const std::string sql =
        BothPartiesFrom() +
        " WHERE b.status = 'Confirmed' AND b.settled = 0 AND b.session_date <= ?1"
        " AND b.session_date + b.duration_minutes * ?3 <= ?1 ORDER BY b.session_date, b.booking_id LIMIT ?2";
    auto& statement = Prepared(sql);
    ScopedReset reset(statement);
    statement.BindInt(1, now.millis);
    statement.BindInt(2, limit);
    statement.BindInt(3, kMinuteMillis);
    return ReadAll(statement);
  }

  void Savepoint() override {
    writer_->connection.Execute("SAVEPOINT request");
    changes_at_savepoint_ = list_changes_.size();
  }

  void RollbackToSavepoint() override {
    // ROLLBACK TO keeps the savepoint open; RELEASE ends it.
    writer_->connection.Execute("ROLLBACK TO request");
    writer_->connection.Execute("RELEASE request");
    list_changes_.resize(changes_at_savepoint_);
  }

  void ReleaseSavepoint() override { writer_->connection.Execute("RELEASE request"); }

  void Commit() override {
    assert(!committed_);
    // The serving threads' list caches replay this log (StoreSession::ListChangesSince).
    if (!list_changes_.empty()) {
      auto& log = Prepared("INSERT INTO list_changes (client_user_id, candidate_user_id) VALUES (?1, ?2)");
      for (const ListChange& change : list_changes_) {
        ScopedReset reset(log);
        const bool client = change.kind == ListChange::Kind::kClient;
        log.BindOptionalInt(1, client ? std::optional<std::int64_t>{change.user_id} : std::nullopt);
        log.BindOptionalInt(2, client ? std::nullopt : std::optional<std::int64_t>{change.user_id});
        log.Run();
      }
      // Trimmed now and then; a reader further behind than what is kept forgets every list.
      const std::int64_t last = sqlite3_last_insert_rowid(writer_->connection.Handle());
      if (last % kListChangesTrimEvery < static_cast<std::int64_t>(list_changes_.size())) {
        auto& trim = Prepared("DELETE FROM list_changes WHERE seq <= ?1");
        ScopedReset reset(trim);
        trim.BindInt(1, last - kListChangesKept);
        trim.Run();
      }
    }
    writer_->connection.Execute("COMMIT");
    committed_ = true;
    // The next transaction may begin now, before this object goes.
    Restore();
    lock_.unlock();
  }

 private:
  Statement& Prepared(std::string_view sql) { return writer_->PreparedSql(sql); }

  static void BindScope(Statement& statement, const IdempotencyScope& scope) {
    statement.BindInt(1, scope.user_id);
    statement.BindInt(2, scope.acting_as);
    statement.BindText(3, scope.route);
    statement.BindText(4, scope.key);
  }

  static std::string Bytes(const Statement& row, int column) {
    const auto* data = static_cast<const char*>(sqlite3_column_blob(row.Handle(), column));
    return {data == nullptr ? "" : data, static_cast<std::size_t>(sqlite3_column_bytes(row.Handle(), column))};
  }

  void Changed(ListChange::Kind kind, UserId user_id) {
    const bool known = std::any_of(list_changes_.begin(), list_changes_.end(), [&](const ListChange& change) {
      return change.kind == kind && change.user_id == user_id;
    });
    if (!known) list_changes_.push_back(ListChange{kind, user_id});
  }

  void EnsureAccount(AccountId account) {
    auto& statement = Prepared("INSERT OR IGNORE INTO accounts (account_id, balance) VALUES (?1, 0)");
    ScopedReset reset(statement);
    statement.BindInt(1, account);
    statement.Run();
  }

  // Ends the transaction unless committed and gives the writer back its usual durability.
  void Restore() noexcept {
    sqlite3* db = writer_->connection.Handle();
    if (!committed_) sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
    if (saved_synchronous_) {
      const std::string pragma = "PRAGMA synchronous = " + std::to_string(*saved_synchronous_);
      sqlite3_exec(db, pragma.c_str(), nullptr, nullptr, nullptr);
    }
  }

  std::shared_ptr<Writer> writer_;
  std::unique_lock<std::timed_mutex> lock_;
  std::optional<std::int64_t> saved_synchronous_;
  bool committed_ = false;
  std::vector<ListChange> list_changes_;  // whose lists this transaction changed, each once
  std::size_t changes_at_savepoint_ = 0;  // list_changes_.size() at the last Savepoint()
};

}  // namespace

std::string_view FindBookingSql() {
  static const std::string sql = BothPartiesFrom() + " WHERE b.booking_id = ?1";
  return sql;
}

std::string_view FindUserSql() {
  return "SELECT user_id, nickname, phonechat_number, skype_name, positive, neutral, negative, disputes, "
         "offers_phonechat, phonechat_ppm, offer_direct_chat, direct_chat_only, direct_chat_ppm, "
         "show_phonechat_number FROM users WHERE user_id = ?1";
}

UserWithSettings ReadUser(const Statement& row) {
  UserWithSettings user;
  user.profile = booking_row::ReadParty(row, 0);
  PhoneChatSettings& settings = user.settings;
  settings.offers_phonechat = row.Int(8) != 0;
  if (const auto ppm = row.OptionalInt(9)) settings.phonechat_ppm = Credits{*ppm};
  settings.offer_direct_chat = row.Int(10) != 0;
  if (settings.offer_direct_chat) {
    settings.direct_chat = DirectChatSettings{row.Int(11) != 0, Credits{row.OptionalInt(12).value_or(0)}};
  }
  settings.phonechat_number = user.profile.phonechat_number;
  settings.show_phonechat_number = row.Int(13) != 0;
  return user;
}

std::unique_ptr<LifecycleTransaction> NewLifecycleTransaction(std::shared_ptr<Writer> writer) {
  return std::make_unique<SqliteLifecycleTransaction>(std::move(writer));
}

LedgerAudit AuditLedgerOn(Writer& writer) {
  auto lock = LockWriter(writer);
  auto& connection = writer.connection;
  // One snapshot for every figure.
  connection.Execute("BEGIN");
  LedgerAudit audit;
  try {
    audit.entries = connection.QueryInt("SELECT count(*) FROM ledger_entries");
    audit.escrow = Credits{connection.QueryInt("SELECT balance FROM accounts WHERE account_id = -1")};
    audit.unsettled_confirmed = Credits{connection.QueryInt(
        "SELECT coalesce(sum(credits), 0) FROM bookings WHERE status = 'Confirmed' AND settled = 0")};
    constexpr std::string_view kSums =
        "WITH flows (account_id, amount) AS (SELECT to_account, amount FROM ledger_entries "
        "UNION ALL SELECT from_account, -amount FROM ledger_entries), "
        "sums (account_id, total) AS (SELECT account_id, sum(amount) FROM flows GROUP BY account_id) ";
    audit.sum_of_all_ten_thousandths =
        connection.QueryInt(std::string(kSums) + "SELECT coalesce(sum(total), 0) FROM sums");
    Statement mismatched(
        connection.Handle(),
        std::string(kSums) +
            "SELECT a.account_id, a.balance, coalesce(s.total, 0) FROM accounts AS a "
            "LEFT JOIN sums AS s ON s.account_id = a.account_id WHERE a.balance <> coalesce(s.total, 0) "
            "UNION ALL SELECT s.account_id, 0, s.total FROM sums AS s WHERE s.total <> 0 "
            "AND NOT EXISTS (SELECT 1 FROM accounts AS a WHERE a.account_id = s.account_id) "
            "ORDER BY 1");
    while (mismatched.Step()) {
      audit.mismatched.push_back(LedgerCheck{mismatched.Int(0), Credits{mismatched.Int(1)}, mismatched.Int(2)});
    }
  } catch (...) {
    sqlite3_exec(connection.Handle(), "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
  connection.Execute("COMMIT");
  return audit;
}

}  // namespace phonechat::sqlite
