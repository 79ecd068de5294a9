// The SQLite import write batch: the lookups and writes under WithWriteRules, in one transaction on the writer,
// with the bookings table's secondary indexes deferred to Commit() on a large import into an empty table, and the
// ledger's running balances moved once per account at Commit().

#include <cassert>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "storage/booking_row.hpp"
#include "storage/redirect_uris.hpp"
#include "storage/sqlite/sqlite_store_internal.hpp"

namespace phonechat::sqlite {

namespace {

// A write batch's page cache (KiB): rows inserted into a table that already holds bookings update every index at
// random places, and these pages stay in memory instead of going to the WAL and back. Bounded, so memory stays
// flat whatever the batch size.
constexpr std::int64_t kBatchCacheKib = 65536;

// The runs (KiB) in which CREATE INDEX sorts a deferred index (see RestoreIndexes).
constexpr std::int64_t kSortRunKib = 4096;

// A batch that began on an empty bookings table drops the table's secondary indexes once it has put this many
// bookings, and builds them again, sorted, at Commit(): one sort per index instead of one B-tree insert per row and
// index. Smaller batches (demo data, small imports) leave the schema alone.
constexpr std::int64_t kDeferIndexesAfter = 10'000;

// The users a batch has looked up or written, each with the folded nickname its bookings store as
// candidate_nickname_key. Users are never deleted and the batch holds the only writer, so an entry stays right for
// the batch's life once PutUser keeps it up to date. Bounded: when full it starts over.
class KnownUsers {
 public:
  // The user's folded nickname, or nullptr when the user is not in the cache.
  [[nodiscard]] const std::string* Find(UserId user_id) {
    // Imports list a client's bookings together: the last user found is usually asked for again.
    if (last_ != nullptr && last_id_ == user_id) return last_;
    const auto found = nickname_keys_.find(user_id);
    if (found == nickname_keys_.end()) return nullptr;
    last_id_ = user_id;
    last_ = &found->second;
    return last_;
  }

  // Records (or updates) the user's folded nickname; the returned pointer is valid until the next call.
  const std::string* Remember(UserId user_id, std::string nickname_key) {
    if (nickname_keys_.size() >= kMaxUsers && nickname_keys_.find(user_id) == nickname_keys_.end()) {
      nickname_keys_.clear();
      last_ = nullptr;
    }
    auto& entry = nickname_keys_[user_id];
    entry = std::move(nickname_key);
    return &entry;
  }

 private:
  static constexpr std::size_t kMaxUsers = std::size_t{1} << 17;
  std::unordered_map<UserId, std::string> nickname_keys_;
  UserId last_id_ = 0;
  const std::string* last_ = nullptr;  // the entry of last_id_ (unordered_map entries stay put)
};

// The bookings insert: the write row's columns, then candidate_nickname_key and client_nickname_key. The upsert
// (replace) adds an ON CONFLICT clause that sets every column but the ID.
std::string BookingInsertSql(bool upsert) {
  std::string sql = "INSERT INTO bookings (" + std::string(booking_row::kWriteColumns) +
                    ", candidate_nickname_key, client_nickname_key) VALUES (";
  for (int i = 1; i <= booking_row::kWriteColumnCount + 2; ++i) {
    sql += i == 1 ? "?" : ", ?";
    sql += std::to_string(i);
  }
  sql += ')';
  if (!upsert) return sql;
  sql += " ON CONFLICT (booking_id) DO UPDATE SET ";
  std::string_view columns = booking_row::kWriteColumns;
  columns.remove_prefix(columns.find(", ") + 2);  // booking_id
  for (;;) {
    const auto comma = columns.find(", ");
    const auto column = columns.substr(0, comma);
    sql.append(column).append(" = excluded.").append(column).append(", ");
    if (comma == std::string_view::npos) break;
    columns.remove_prefix(comma + 2);
  }
  return sql +
         "candidate_nickname_key = excluded.candidate_nickname_key, client_nickname_key = excluded.client_nickname_key";
}

const std::string& InsertBookingSql() {
  static const std::string sql = BookingInsertSql(false);
  return sql;
}

const std::string& UpsertBookingSql() {
  static const std::string sql = BookingInsertSql(true);
  return sql;
}

// Binds booking_row::Write's values to ?1, ?2, ... in order.
struct BookingBinder {
  Statement& statement;
  int index = 1;

  void Int(std::int64_t value) { statement.BindInt(index++, value); }
  void Text(std::string_view value) { statement.BindText(index++, value); }
  void Bool(bool value) { statement.BindInt(index++, value ? 1 : 0); }
  void Null() { statement.BindNull(index++); }
};

// Binds the columns of BookingInsertSql. The CHECK constraints are not evaluated in a batch: the values they guard
// must come out valid here.
void BindBooking(Statement& statement, const BookingRecord& record, std::string_view nickname_key,
                 std::string_view client_nickname_key) {
  [[maybe_unused]] const StoredBooking& booking = record.booking;
  assert(!StatusName(booking.status).empty());
  assert(booking.method >= ContactMethod::kCandidateCalls && booking.method <= ContactMethod::kSkype);
  assert(!booking.cancelled_by || !CancelledByName(*booking.cancelled_by).empty());
  assert(!booking.rejection_kind || !RejectionKindName(*booking.rejection_kind).empty());
  BookingBinder binder{statement};
  booking_row::Write(record, binder);
  assert(binder.index == booking_row::kWriteColumnCount + 1);
  statement.BindText(binder.index, nickname_key);
  statement.BindText(binder.index + 1, client_nickname_key);
}

// True when the import stores a Payment for the booking: Confirmed and not settled, so that its later Refund or
// Earning balances escrow.
bool ImportPays(const StoredBooking& booking) {
  return booking.status == BookingStatus::kConfirmed && !booking.settled && booking.credits.ten_thousandths > 0;
}

// Holds the writer (and SQLite's write lock) from construction to destruction: create, use and destroy it on
// one thread, and keep it short outside imports.
class SqliteBatchWriter final : public BatchWriter {
 public:
  explicit SqliteBatchWriter(std::shared_ptr<Writer> writer) : writer_(std::move(writer)), lock_(LockWriter(*writer_)) {
    auto& connection = writer_->connection;
    try {
      // These three cannot change inside a transaction, hence before BEGIN; RestoreConnection() sets them back.
      // The batch's rules check every reference before it is written (users are never deleted), so SQLite's own
      // foreign-key lookups would only repeat two of them for every booking.
      connection.Execute("PRAGMA foreign_keys = OFF");
      // Every value a CHECK constraint of the batch's tables guards is bound from an enum or a bool (BindBooking
      // asserts it), so the checks cannot fail; evaluating them costs more than the row insert itself (an IN list
      // builds a temporary table per row).
      connection.Execute("PRAGMA ignore_check_constraints = ON");
      // A batch is durable once Commit() returns: the WAL is synced at the commit (one sync per batch), not only
      // at the next checkpoint.
      saved_synchronous_ = connection.QueryInt("PRAGMA synchronous");
      connection.Execute("PRAGMA synchronous = FULL");
      connection.Execute("BEGIN IMMEDIATE");
      // Entry IDs only grow (AUTOINCREMENT): every row this batch writes comes after this one.
      ledger_before_batch_ = connection.QueryInt("SELECT coalesce(max(entry_id), 0) FROM ledger_entries");
      saved_cache_size_ = connection.QueryInt("PRAGMA cache_size");
      connection.Execute(("PRAGMA cache_size = " + std::to_string(-kBatchCacheKib)).c_str());
    } catch (...) {
      RestoreConnection();
      throw;
    }
  }

  ~SqliteBatchWriter() override { RestoreConnection(); }

  SqliteBatchWriter(const SqliteBatchWriter&) = delete;
  SqliteBatchWriter& operator=(const SqliteBatchWriter&) = delete;

  bool UserExists(UserId user_id) override { return NicknameKey(user_id) != nullptr; }

  bool GroupExists(GroupId group_id) override {
    auto& statement = Prepare(writer_->group_exists, "SELECT 1 FROM user_groups WHERE group_id = ?1");
    ScopedReset reset(statement);
    statement.BindInt(1, group_id);
    return statement.Step();
  }

  std::optional<GroupId> GroupOf(UserId user_id) override {
    auto& statement = Prepare(writer_->group_of_member, "SELECT group_id FROM group_members WHERE user_id = ?1");
    ScopedReset reset(statement);
    statement.BindInt(1, user_id);
    if (!statement.Step()) return std::nullopt;
    return static_cast<GroupId>(statement.Int(0));
  }

  bool ProjectExists(std::string_view client_id) override {
    auto& statement = Prepare(writer_->project_by_client_id, "SELECT project_id FROM projects WHERE client_id = ?1");
    ScopedReset reset(statement);
    statement.BindText(1, client_id);
    return statement.Step();
  }

  std::optional<std::string> ClientIdOfApiKey(std::string_view api_key) override {
    auto& statement = Prepare(writer_->project_by_api_key, "SELECT client_id FROM projects WHERE api_key = ?1");
    ScopedReset reset(statement);
    statement.BindText(1, api_key);
    if (!statement.Step()) return std::nullopt;
    return std::string(statement.Text(0));
  }

  void WriteUser(const UserRecord& user) override {
    assert(!committed_);
    // The nickname trigger below updates the user's bookings by candidate: that needs the candidate index.
    if (indexes_ == Indexes::kDeferred && UserExists(user.user_id)) RestoreIndexes();
    // On replace the nickname trigger refreshes candidate_nickname_key of the user's bookings.
    auto& statement =
        Prepare(writer_->upsert_user,
                "INSERT INTO users (user_id, nickname, password_hash, email_address, phonechat_number, "
                "skype_name, positive, neutral, negative, disputes, offers_phonechat, phonechat_ppm, "
                "offer_direct_chat, direct_chat_only, direct_chat_ppm, show_phonechat_number) "
                "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16) "
                "ON CONFLICT (user_id) DO UPDATE SET nickname = excluded.nickname, "
                "password_hash = excluded.password_hash, email_address = excluded.email_address, "
                "phonechat_number = excluded.phonechat_number, skype_name = excluded.skype_name, "
                "positive = excluded.positive, neutral = excluded.neutral, "
                "negative = excluded.negative, disputes = excluded.disputes, "
                "offers_phonechat = excluded.offers_phonechat, phonechat_ppm = excluded.phonechat_ppm, "
                "offer_direct_chat = excluded.offer_direct_chat, "
                "direct_chat_only = excluded.direct_chat_only, direct_chat_ppm = excluded.direct_chat_ppm, "
                "show_phonechat_number = excluded.show_phonechat_number");
    ScopedReset reset(statement);
    statement.BindInt(1, user.user_id);
    statement.BindText(2, user.nickname);
    statement.BindOptionalText(3, user.password_hash);
    statement.BindOptionalText(4, user.email_address);
    statement.BindOptionalText(5, user.phonechat_number);
    statement.BindOptionalText(6, user.skype_name);
    statement.BindInt(7, user.positive);
    statement.BindInt(8, user.neutral);
    statement.BindInt(9, user.negative);
    statement.BindInt(10, user.disputes);
    const auto amount = [](const std::optional<Credits>& credits) -> std::optional<std::int64_t> {
      if (!credits) return std::nullopt;
      return credits->ten_thousandths;
    };
    statement.BindInt(11, user.offers_phonechat ? 1 : 0);
    statement.BindOptionalInt(12, amount(user.phonechat_ppm));
    // offer_direct_chat and the DirectChat columns are kept consistent: the price is there exactly when offered.
    statement.BindInt(13, user.offer_direct_chat ? 1 : 0);
    statement.BindInt(14, user.offer_direct_chat && user.direct_chat_only ? 1 : 0);
    statement.BindOptionalInt(
        15, user.offer_direct_chat ? std::optional{amount(user.direct_chat_ppm).value_or(0)} : std::nullopt);
    statement.BindInt(16, user.show_phonechat_number ? 1 : 0);
    statement.Run();
    known_users_.Remember(user.user_id, FoldNickname(user.nickname));
  }

  void WriteGroup(const GroupRecord& group, bool exists) override {
    assert(!committed_);
    if (exists) {
      auto& remove = Prepare(writer_->delete_group_members, "DELETE FROM group_members WHERE group_id = ?1");
      ScopedReset reset(remove);
      remove.BindInt(1, group.group_id);
      remove.Run();
    }
    {
      auto& upsert = Prepare(writer_->upsert_group,
                             "INSERT INTO user_groups (group_id, name, manager_user_id) VALUES (?1, ?2, ?3) "
                             "ON CONFLICT (group_id) DO UPDATE SET name = excluded.name, "
                             "manager_user_id = excluded.manager_user_id");
      ScopedReset reset(upsert);
      upsert.BindInt(1, group.group_id);
      upsert.BindText(2, group.name);
      upsert.BindInt(3, group.manager_user_id);
      upsert.Run();
    }
    auto& insert =
        Prepare(writer_->insert_group_member, "INSERT INTO group_members (user_id, group_id) VALUES (?1, ?2)");
    for (const UserId member : group.member_user_ids) {
      ScopedReset reset(insert);
      insert.BindInt(1, member);
      insert.BindInt(2, group.group_id);
      insert.Run();
    }
  }

  void WriteProject(const ProjectRecord& project) override {
    assert(!committed_);
    const std::string redirect_uris = RedirectUrisJson(project.redirect_uris);
    auto& upsert = Prepare(writer_->upsert_project,
                           "INSERT INTO projects (name, owner_user_id, api_key, client_id, client_secret_hash, "
                           "redirect_uris, implicit_grant, active) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) "
                           "ON CONFLICT (client_id) DO UPDATE SET name = excluded.name, "
                           "owner_user_id = excluded.owner_user_id, api_key = excluded.api_key, "
                           "client_secret_hash = excluded.client_secret_hash, "
                           "redirect_uris = excluded.redirect_uris, implicit_grant = excluded.implicit_grant, "
                           "active = excluded.active");
    ScopedReset reset(upsert);
    upsert.BindText(1, project.name);
    upsert.BindInt(2, project.owner_user_id);
    upsert.BindText(3, project.api_key);
    upsert.BindText(4, project.client_id);
    upsert.BindOptionalText(5, project.client_secret_hash);
    upsert.BindText(6, redirect_uris);
    upsert.BindInt(7, project.implicit_grant ? 1 : 0);
    upsert.BindInt(8, project.active ? 1 : 0);
    upsert.Run();
  }

  BookingWrite WriteBooking(const BookingRecord& record, bool replace, std::int64_t /*position*/) override {
    assert(!committed_);
    // Both parties were just looked up (UserExists): these find the cached entries. The client's key is copied
    // first, since the next lookup may invalidate it.
    const std::string* client_key = NicknameKey(record.booking.client_user_id);
    if (client_key == nullptr) throw std::logic_error("a booking's client must exist before it is written");
    const std::string client_nickname_key = *client_key;
    const std::string* nickname_key = NicknameKey(record.booking.candidate.user_id);
    if (nickname_key == nullptr) throw std::logic_error("a booking's candidate must exist before it is written");
    CountBulkBooking();
    if (replace) {
      {
        auto& upsert = Prepare(writer_->upsert_booking, UpsertBookingSql());
        ScopedReset reset(upsert);
        BindBooking(upsert, record, *nickname_key, client_nickname_key);
        upsert.Run();
      }
      // A Payment stored before the batch stays (the rules let only a booking with the same ledger effect replace
      // it); one this batch wrote follows the replacement, as the last record of a booking decides it.
      const BookingId booking_id = record.booking.booking_id;
      auto payment = PaymentOf(booking_id);
      if (payment && payment->entry_id > ledger_before_batch_) {
        DropBatchPayment(*payment);
        payment.reset();
      }
      if (!payment) WriteMovements(record);
      return BookingWrite::kWritten;
    }
    // The insert itself finds a taken ID (and then changes nothing): no lookup before it.
    {
      auto& insert = Prepare(writer_->insert_booking, InsertBookingSql());
      ScopedReset reset(insert);
      BindBooking(insert, record, *nickname_key, client_nickname_key);
      const int rc = sqlite3_step(insert.Handle());
      if (rc != SQLITE_DONE) {
        if (sqlite3_extended_errcode(writer_->connection.Handle()) == SQLITE_CONSTRAINT_PRIMARYKEY) {
          return BookingWrite::kIdTaken;
        }
        sqlite::ThrowError(writer_->connection.Handle(), rc, "running a statement");
      }
    }
    WriteMovements(record);
    return BookingWrite::kWritten;
  }

  // The batch writes straight into `bookings`, so earlier records of the batch are found like stored ones.
  std::optional<BookingParties> PartiesOf(BookingId booking_id) override {
    auto& statement =
        Prepare(writer_->booking_parties,
                "SELECT client_user_id, candidate_user_id, create_date, rescheduled_from FROM bookings "
                "WHERE booking_id = ?1");
    ScopedReset reset(statement);
    statement.BindInt(1, booking_id);
    if (!statement.Step()) return std::nullopt;
    BookingParties parties{static_cast<UserId>(statement.Int(0)), static_cast<UserId>(statement.Int(1)),
                           LocalDateTime{statement.Int(2)}, std::nullopt};
    if (const auto source = statement.OptionalInt(3)) parties.rescheduled_from = static_cast<BookingId>(*source);
    return parties;
  }

  std::optional<BookingId> RescheduledInto(BookingId source, BookingId except) override {
    auto& statement = Prepare(writer_->rescheduled_into,
                              "SELECT booking_id FROM bookings WHERE rescheduled_from = ?1 AND booking_id <> ?2");
    ScopedReset reset(statement);
    statement.BindInt(1, source);
    statement.BindInt(2, except);
    if (!statement.Step()) return std::nullopt;
    return static_cast<BookingId>(statement.Int(0));
  }

  std::optional<MovedBooking> MovedBookingOf(BookingId booking_id) override {
    MovedBooking moved;
    bool moves = false;
    {
      auto& kinds = writer_->PreparedSql(
          "SELECT kind FROM ledger_entries WHERE booking_id = ?1 AND kind IN ('Payment', 'Refund', 'Earning') "
          "AND entry_id <= ?2");
      ScopedReset reset(kinds);
      kinds.BindInt(1, booking_id);
      kinds.BindInt(2, ledger_before_batch_);
      while (kinds.Step()) {
        moves = true;
        const std::string_view kind = kinds.Text(0);
        moved.refunded = moved.refunded || kind == "Refund";
        moved.earned = moved.earned || kind == "Earning";
      }
    }
    if (!moves) return std::nullopt;
    auto& row =
        writer_->PreparedSql("SELECT client_user_id, candidate_user_id, credits FROM bookings WHERE booking_id = ?1");
    ScopedReset reset(row);
    row.BindInt(1, booking_id);
    if (!row.Step()) throw std::logic_error("the ledger moved the credits of a booking that does not exist");
    moved.client_user_id = static_cast<UserId>(row.Int(0));
    moved.candidate_user_id = static_cast<UserId>(row.Int(1));
    moved.credits = Credits{row.Int(2)};
    return moved;
  }

  void WriteCredit(const CreditRecord& credit) override {
    assert(!committed_);
    const std::optional<std::string> description =
        credit.description.empty() ? std::nullopt : std::optional{credit.description};
    WriteLedgerRow("Credit", std::nullopt, kExternalAccount, credit.user_id, credit.amount.ten_thousandths, credit.date,
                   description);
  }

  Credits BalanceOf(UserId user_id) override {
    auto& statement = writer_->PreparedSql("SELECT balance FROM accounts WHERE account_id = ?1");
    ScopedReset reset(statement);
    statement.BindInt(1, user_id);
    return Credits{statement.Step() ? statement.Int(0) : 0};
  }

  // Every taken ID is found by the insert itself.
  std::optional<TakenBookingId> CheckBookingIds() override { return std::nullopt; }

  void Commit() override {
    assert(!committed_);
    RestoreIndexes();
    MoveBalances();
    writer_->connection.Execute("UPDATE store_state SET bookings_generation = bookings_generation + 1");
    writer_->connection.Execute("COMMIT");
    committed_ = true;
  }

 private:
  Statement& Prepare(std::unique_ptr<Statement>& slot, std::string_view sql) { return writer_->Prepared(slot, sql); }

  // The user's folded nickname when the user exists, else nullptr; valid until the next lookup or PutUser.
  const std::string* NicknameKey(UserId user_id) {
    if (const auto* known = known_users_.Find(user_id)) return known;
    auto& statement = Prepare(writer_->user_nickname, "SELECT nickname FROM users WHERE user_id = ?1");
    ScopedReset reset(statement);
    statement.BindInt(1, user_id);
    if (!statement.Step()) return nullptr;
    return known_users_.Remember(user_id, FoldNickname(statement.Text(0)));
  }

  struct StoredPayment {
    std::int64_t entry_id = 0;
    std::int64_t amount = 0;
  };

  // The booking's Payment, stored before the batch or written by it, if any.
  std::optional<StoredPayment> PaymentOf(BookingId booking_id) {
    auto& statement = Prepare(writer_->import_payment_exists,
                              "SELECT entry_id, amount FROM ledger_entries WHERE booking_id = ?1 AND kind = 'Payment'");
    ScopedReset reset(statement);
    statement.BindInt(1, booking_id);
    if (!statement.Step()) return std::nullopt;
    return StoredPayment{statement.Int(0), statement.Int(1)};
  }

  // Removes a Payment this batch wrote (never committed, so no history is lost) and its move of the balances.
  void DropBatchPayment(const StoredPayment& payment) {
    auto& remove = writer_->PreparedSql("DELETE FROM ledger_entries WHERE entry_id = ?1");
    ScopedReset reset(remove);
    remove.BindInt(1, payment.entry_id);
    remove.Run();
    balance_moves_[kExternalAccount] += payment.amount;
    balance_moves_[kEscrowAccount] -= payment.amount;
  }

  // The movements the record gives or, without them, the Payment from the external account to escrow of a
  // Confirmed, unsettled booking, dated when it was confirmed.
  void WriteMovements(const BookingRecord& record) {
    const StoredBooking& booking = record.booking;
    const std::int64_t amount = booking.credits.ten_thousandths;
    if (!record.ledger) {
      if (ImportPays(booking)) {
        WriteLedgerRow("Payment", booking.booking_id, kExternalAccount, kEscrowAccount, amount,
                       booking.confirmed_date.value_or(booking.create_date), std::nullopt);
      }
      return;
    }
    const BookingLedger& ledger = *record.ledger;
    if (ledger.payment) {
      const AccountId from =
          ledger.payment->from == PaymentSource::kClient ? AccountId{booking.client_user_id} : kExternalAccount;
      WriteLedgerRow("Payment", booking.booking_id, from, kEscrowAccount, amount, ledger.payment->date, std::nullopt);
    }
    if (ledger.refund_date) {
      WriteLedgerRow("Refund", booking.booking_id, kEscrowAccount, booking.client_user_id, amount, *ledger.refund_date,
                     std::nullopt);
    }
    if (ledger.earning_date) {
      WriteLedgerRow("Earning", booking.booking_id, kEscrowAccount, booking.candidate.user_id, amount,
                     *ledger.earning_date, std::nullopt);
    }
  }

  // One ledger row; the running balances move at Commit() (MoveBalances).
  void WriteLedgerRow(std::string_view kind, std::optional<BookingId> booking_id, AccountId from, AccountId to,
                      std::int64_t amount, LocalDateTime date, const std::optional<std::string>& description) {
    auto& insert = Prepare(writer_->insert_import_payment,
                           "INSERT INTO ledger_entries (date, kind, booking_id, from_account, to_account, amount, "
                           "description) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
    ScopedReset reset(insert);
    insert.BindInt(1, date.millis);
    insert.BindText(2, kind);
    insert.BindOptionalInt(3, booking_id);
    insert.BindInt(4, from);
    insert.BindInt(5, to);
    insert.BindInt(6, amount);
    insert.BindOptionalText(7, description);
    insert.Run();
    balance_moves_[from] -= amount;
    balance_moves_[to] += amount;
  }

  // Applies the batch's ledger rows to the running balances: one update per account, in ascending account order.
  void MoveBalances() {
    auto& connection = writer_->connection;
    for (const auto& [account, delta] : balance_moves_) {
      Statement upsert(connection.Handle(),
                       "INSERT INTO accounts (account_id, balance) VALUES (?1, ?2) "
                       "ON CONFLICT (account_id) DO UPDATE SET balance = balance + excluded.balance");
      upsert.BindInt(1, account);
      upsert.BindInt(2, delta);
      upsert.Run();
    }
    balance_moves_.clear();
  }

  // Counts a booking towards kDeferIndexesAfter while the batch may still defer the bookings indexes.
  void CountBulkBooking() {
    if (indexes_ == Indexes::kUndecided) {
      const bool empty = writer_->connection.QueryInt("SELECT NOT EXISTS (SELECT 1 FROM bookings)") != 0;
      indexes_ = empty ? Indexes::kCounting : Indexes::kKept;
    }
    if (indexes_ == Indexes::kCounting && ++bulk_bookings_ >= kDeferIndexesAfter) DeferIndexes();
  }

  // Drops the bookings table's secondary indexes, keeping their definitions for RestoreIndexes(). A unique index
  // stays: it decides which record is refused, and that must happen at the record.
  void DeferIndexes() {
    std::vector<std::pair<std::string, std::string>> indexes;  // (name, CREATE INDEX statement)
    {
      Statement list(writer_->connection.Handle(),
                     "SELECT name, sql FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'bookings' "
                     "AND sql IS NOT NULL ORDER BY rowid");
      ScopedReset reset(list);
      while (list.Step()) indexes.emplace_back(list.Text(0), list.Text(1));
    }
    indexes_ = Indexes::kKept;
    for (auto& [name, sql] : indexes) {
      if (sql.rfind("CREATE UNIQUE", 0) == 0) continue;
      std::string drop = "DROP INDEX \"";
      for (const char c : name) {
        drop += c;
        if (c == '"') drop += c;
      }
      drop += '"';
      writer_->connection.Execute(drop.c_str());
      deferred_indexes_.push_back(std::move(sql));
    }
    indexes_ = Indexes::kDeferred;
  }

  // Builds again the indexes DeferIndexes() dropped, in their original order; from then on rows are indexed as
  // they are inserted.
  void RestoreIndexes() {
    if (deferred_indexes_.empty()) return;
    auto& connection = writer_->connection;
    // CREATE INDEX sorts in runs of the cache's size, spilled to temporary files and merged, and hands each run to
    // a worker thread. Small runs sort within the CPU caches and overlap the table scan; building a B-tree in key
    // order needs few pages.
    connection.Execute(("PRAGMA cache_size = " + std::to_string(-kSortRunKib) + "; PRAGMA threads = 1").c_str());
    for (const auto& sql : deferred_indexes_) connection.Execute(sql.c_str());
    connection.Execute(("PRAGMA threads = 0; PRAGMA cache_size = " + std::to_string(-kBatchCacheKib)).c_str());
    deferred_indexes_.clear();
    indexes_ = Indexes::kKept;
  }

  // Ends the transaction unless committed and gives the writer back its usual settings.
  void RestoreConnection() noexcept {
    sqlite3* db = writer_->connection.Handle();
    if (!committed_) sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
    std::string settings = "PRAGMA foreign_keys = ON; PRAGMA ignore_check_constraints = OFF; PRAGMA threads = 0;";
    if (saved_synchronous_) settings += " PRAGMA synchronous = " + std::to_string(*saved_synchronous_) + ";";
    if (saved_cache_size_) settings += " PRAGMA cache_size = " + std::to_string(*saved_cache_size_) + ";";
    sqlite3_exec(db, settings.c_str(), nullptr, nullptr, nullptr);
  }

  enum class Indexes {
    kUndecided,  // no booking put yet
    kCounting,   // the table was empty: counting bookings towards kDeferIndexesAfter
    kDeferred,   // dropped, to be built again by RestoreIndexes()
    kKept,       // maintained row by row
  };

  std::shared_ptr<Writer> writer_;
  std::unique_lock<std::timed_mutex> lock_;
  bool committed_ = false;
  std::optional<std::int64_t> saved_synchronous_;
  std::optional<std::int64_t> saved_cache_size_;
  KnownUsers known_users_;
  Indexes indexes_ = Indexes::kUndecided;
  std::int64_t bulk_bookings_ = 0;
  std::vector<std::string> deferred_indexes_;
  std::int64_t ledger_before_batch_ = 0;             // the last ledger entry committed before the batch began
  std::map<AccountId, std::int64_t> balance_moves_;  // the batch's ledger rows summed per account (in minus out)
};

}  // namespace

std::unique_ptr<BatchWriter> NewBatchWriter(std::shared_ptr<Writer> writer) {
  return std::make_unique<SqliteBatchWriter>(std::move(writer));
}

}  // namespace phonechat::sqlite
