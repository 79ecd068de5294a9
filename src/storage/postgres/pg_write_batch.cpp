// The PostgreSQL import write batch: the lookups and writes under WithWriteRules in one transaction, the bookings
// (and Credit records) streamed with COPY into staging tables, their IDs checked in bulk, and moved into bookings
// and the ledger at Commit().

#include <cassert>
#include <charconv>
#include <optional>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <utility>

#include "core/error.hpp"
#include "storage/booking_row.hpp"
#include "storage/postgres/pg_schema.hpp"
#include "storage/postgres/postgres_store_internal.hpp"
#include "storage/redirect_uris.hpp"

namespace phonechat::pg {

namespace {

// An import waits this long for another one to finish, as SQLite waits for its writer.
constexpr const char* kImportLockWait = "5s";
// COPY data is sent in chunks of about this size: memory stays flat however many bookings a batch streams.
constexpr std::size_t kCopyChunkBytes = std::size_t{256} * 1024;
// After a commit of at least this many bookings the planner's statistics are refreshed at once.
constexpr std::int64_t kAnalyzeAfterBookings = 10'000;

constexpr Sql kUpsertUser{"batch_upsert_user",
                          "INSERT INTO users (user_id, nickname, password_hash, email_address, phonechat_number, "
                          "skype_name, positive, neutral, negative, disputes, offers_phonechat, phonechat_ppm, "
                          "offer_direct_chat, direct_chat_only, direct_chat_ppm, show_phonechat_number) "
                          "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) "
                          "ON CONFLICT (user_id) DO UPDATE SET nickname = excluded.nickname, "
                          "password_hash = excluded.password_hash, email_address = excluded.email_address, "
                          "phonechat_number = excluded.phonechat_number, skype_name = excluded.skype_name, "
                          "positive = excluded.positive, neutral = excluded.neutral, "
                          "negative = excluded.negative, disputes = excluded.disputes, "
                          "offers_phonechat = excluded.offers_phonechat, phonechat_ppm = excluded.phonechat_ppm, "
                          "offer_direct_chat = excluded.offer_direct_chat, "
                          "direct_chat_only = excluded.direct_chat_only, direct_chat_ppm = excluded.direct_chat_ppm, "
                          "show_phonechat_number = excluded.show_phonechat_number"};
constexpr Sql kGroupExists{"batch_group_exists", "SELECT 1 FROM user_groups WHERE group_id = $1"};
// A booking's parties as the batch left them: its latest staged row, else the stored one.
constexpr Sql kPartiesOf{
    "batch_parties_of",
    "SELECT client_user_id, candidate_user_id, create_date, rescheduled_from FROM ("
    "(SELECT client_user_id, candidate_user_id, create_date, rescheduled_from, 0 AS stored FROM import_bookings "
    "WHERE booking_id = $1 ORDER BY pos DESC LIMIT 1) UNION ALL "
    "(SELECT client_user_id, candidate_user_id, create_date, rescheduled_from, 1 FROM bookings "
    "WHERE booking_id = $1)) AS p ORDER BY stored LIMIT 1"};
// Another booking rescheduled from a source, staged in the batch or stored.
constexpr Sql kRescheduledInto{
    "batch_rescheduled_into",
    "(SELECT booking_id FROM import_bookings WHERE rescheduled_from = $1 AND booking_id <> $2 LIMIT 1) UNION ALL "
    "(SELECT booking_id FROM booking_reschedules WHERE source_booking_id = $1 AND booking_id <> $2) LIMIT 1"};
// A stored booking's fields the ledger's movements were made for, its row locked until the batch ends: a life-cycle
// transaction (which locks the booking first) cannot move its credits between this look and the commit.
constexpr Sql kLockStoredBooking{
    "batch_lock_stored_booking",
    "SELECT client_user_id, candidate_user_id, credits FROM bookings WHERE booking_id = $1 FOR UPDATE"};
// The kinds of the movements the ledger holds for a booking; run after kLockStoredBooking, so that (READ COMMITTED)
// it sees every movement committed before the lock was granted.
constexpr Sql kBookingMovements{"batch_booking_movements",
                                "SELECT kind FROM ledger_entries WHERE booking_id = $1 "
                                "AND kind IN ('Payment', 'Refund', 'Earning')"};
constexpr Sql kBalanceOf{"batch_balance_of", "SELECT balance FROM accounts WHERE account_id = $1"};
constexpr Sql kGroupOf{"batch_group_of", "SELECT group_id FROM group_members WHERE user_id = $1"};
constexpr Sql kDeleteGroupMembers{"batch_delete_group_members", "DELETE FROM group_members WHERE group_id = $1"};
constexpr Sql kUpsertGroup{"batch_upsert_group",
                           "INSERT INTO user_groups (group_id, name, manager_user_id) VALUES ($1, $2, $3) "
                           "ON CONFLICT (group_id) DO UPDATE SET name = excluded.name, "
                           "manager_user_id = excluded.manager_user_id"};
constexpr Sql kInsertGroupMember{"batch_insert_group_member",
                                 "INSERT INTO group_members (user_id, group_id) VALUES ($1, $2)"};
constexpr Sql kProjectByApiKey{"batch_project_by_api_key", "SELECT client_id FROM projects WHERE api_key = $1"};
constexpr Sql kUpsertProject{"batch_upsert_project",
                             "INSERT INTO projects (name, owner_user_id, api_key, client_id, client_secret_hash, "
                             "redirect_uris, implicit_grant, active) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) "
                             "ON CONFLICT (client_id) DO UPDATE SET name = excluded.name, "
                             "owner_user_id = excluded.owner_user_id, api_key = excluded.api_key, "
                             "client_secret_hash = excluded.client_secret_hash, "
                             "redirect_uris = excluded.redirect_uris, implicit_grant = excluded.implicit_grant, "
                             "active = excluded.active"};

// The batch's staging table: its bookings in the order they were put (`pos`, the record's position among the
// batch's records) and the columns of booking_row::kWriteColumns, without the nickname key, which is taken from users
// when they move into bookings.
constexpr const char* kCreateStaging =
    "CREATE TEMP TABLE import_bookings (pos bigint NOT NULL, replace boolean NOT NULL, booking_id bigint NOT NULL, "
    "client_user_id bigint NOT NULL, candidate_user_id bigint NOT NULL, duration_minutes integer NOT NULL, "
    "credits bigint NOT NULL, status text COLLATE \"C\" NOT NULL, method integer NOT NULL, "
    "phone_number text COLLATE \"C\", skype_name text COLLATE \"C\", create_date bigint NOT NULL, "
    "session_date bigint NOT NULL, accept_by bigint NOT NULL, accepted_date bigint, confirmed_date bigint, "
    "cancelled_date bigint, cancelled_reason text COLLATE \"C\", cancelled_by text COLLATE \"C\", "
    "rejected_reason text COLLATE \"C\", last_updated bigint, comments text COLLATE \"C\", "
    "deleted_by_client boolean NOT NULL, offered_credits bigint NOT NULL, rejection_kind text COLLATE \"C\", "
    "deleted_by_candidate boolean NOT NULL, rescheduled_from bigint, settled boolean NOT NULL, "
    "ledger_given boolean NOT NULL, payment_from bigint, payment_date bigint, refund_date bigint, "
    "earning_date bigint) ON COMMIT DROP";
// The batch's Credit records, in the order they were put, moved into the ledger at Commit() with the bookings'
// Payments.
constexpr const char* kCreateCreditStaging =
    "CREATE TEMP TABLE import_credits (pos bigint NOT NULL, user_id bigint NOT NULL, amount bigint NOT NULL, "
    "date bigint NOT NULL, description text COLLATE \"C\" NOT NULL) ON COMMIT DROP";
constexpr const char* kCopyCredits = "COPY import_credits (pos, user_id, amount, date, description) FROM STDIN";

// The ledger rows of the batch: each Credit in record order, then, for each booking as stored last, the movements
// its record gave (ledger_given) or else, for a Confirmed, unsettled booking of some credits, a Payment from
// external to escrow (one that already has its Payment keeps it), with the running balances moved by what was
// inserted.
constexpr const char* kImportLedger =
    "WITH last AS (SELECT DISTINCT ON (booking_id) * FROM import_bookings ORDER BY booking_id, pos DESC), "
    "moves AS ("
    "SELECT 0 AS part, pos, date, 'Credit' AS kind, NULL::bigint AS booking_id, -2::bigint AS from_account, "
    "user_id AS to_account, amount, description FROM import_credits "
    "UNION ALL "
    "SELECT 1, pos, coalesce(confirmed_date, create_date), 'Payment', booking_id, -2, -1, credits, NULL FROM last "
    "WHERE NOT ledger_given AND status = 'Confirmed' AND NOT settled AND credits > 0 "
    "UNION ALL "
    "SELECT 1, pos, payment_date, 'Payment', booking_id, payment_from, -1, credits, NULL FROM last "
    "WHERE ledger_given AND payment_date IS NOT NULL "
    "UNION ALL "
    "SELECT 2, pos, refund_date, 'Refund', booking_id, -1, client_user_id, credits, NULL FROM last "
    "WHERE ledger_given AND refund_date IS NOT NULL "
    "UNION ALL "
    "SELECT 2, pos, earning_date, 'Earning', booking_id, -1, candidate_user_id, credits, NULL FROM last "
    "WHERE ledger_given AND earning_date IS NOT NULL), "
    "entries AS (INSERT INTO ledger_entries (date, kind, booking_id, from_account, to_account, amount, description) "
    "SELECT date, kind, booking_id, from_account, to_account, amount, description FROM moves ORDER BY part, pos "
    "ON CONFLICT (booking_id, kind) WHERE kind IN ('Payment', 'Refund', 'Earning') DO NOTHING "
    "RETURNING from_account, to_account, amount) "
    "INSERT INTO accounts (account_id, balance) "
    "SELECT account, sum(delta) FROM (SELECT to_account AS account, amount AS delta FROM entries "
    "UNION ALL SELECT from_account, -amount FROM entries) AS d GROUP BY account ORDER BY account "
    "ON CONFLICT (account_id) DO UPDATE SET balance = accounts.balance + excluded.balance";
// The COPY into the staging table: pos and replace, then the write row.
const std::string& CopyStagingSql() {
  static const std::string sql =
      "COPY import_bookings (pos, replace, " + std::string(booking_row::kWriteColumns) +
      ", ledger_given, payment_from, payment_date, refund_date, earning_date) FROM STDIN";
  return sql;
}

// The earliest staged booking after record $1 put without replace whose ID an earlier staged one already has.
constexpr Sql kEarliestRepeatedId{
    "batch_earliest_repeated_id",
    "SELECT pos, booking_id FROM (SELECT pos, booking_id, replace, "
    "lag(pos) OVER (PARTITION BY booking_id ORDER BY pos) AS earlier FROM import_bookings) AS s "
    "WHERE pos > $1 AND NOT replace AND earlier IS NOT NULL ORDER BY pos LIMIT 1"};
// The earliest staged booking after record $1 put without replace whose ID the database already has.
constexpr Sql kEarliestStoredId{
    "batch_earliest_stored_id",
    "SELECT s.pos, s.booking_id FROM import_bookings AS s WHERE s.pos > $1 AND NOT s.replace "
    "AND EXISTS (SELECT 1 FROM bookings AS b WHERE b.booking_id = s.booking_id) "
    "ORDER BY s.pos LIMIT 1"};

Param OptionalText(const std::optional<std::string>& text) { return text ? Param::Text(*text) : Param::Null(); }

Param Bool(bool value) { return Param::Text(value ? "true" : "false"); }
// Appends `text` to COPY text-format data, escaping what the format gives a meaning.
void AppendCopyText(std::string& out, std::string_view text) {
  for (const char c : text) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        out += c;
    }
  }
}

void AppendCopyInt(std::string& out, std::int64_t value) {
  char text[24];
  const auto result = std::to_chars(text, text + sizeof(text), value);
  out.append(text, result.ptr);
}

// One line of COPY text-format data: each value appended after a tab but the first (booking_row::Write's `Out`).
struct CopyRow {
  std::string& out;
  bool first = true;

  void Int(std::int64_t value) {
    Separate();
    AppendCopyInt(out, value);
  }
  void Text(std::string_view value) {
    Separate();
    AppendCopyText(out, value);
  }
  void Bool(bool value) {
    Separate();
    out += value ? 't' : 'f';
  }
  void Null() {
    Separate();
    out += "\\N";
  }

 private:
  void Separate() {
    if (!first) out += '\t';
    first = false;
  }
};

// One transaction on a connection of its own, holding the import lock from construction to destruction: create, use
// and destroy it on one thread. Users, groups and projects are written at once with ordinary statements; bookings
// are streamed with COPY into a staging table and moved into bookings by Commit(), in bulk.
class PostgresBatchWriter final : public BatchWriter {
 public:
  explicit PostgresBatchWriter(const std::string& uri)
      // No statement_timeout: an import is one long transaction; a lost server still ends it through keepalives.
      : connection_(ConnectNow(uri, 0)), transaction_(*connection_) {
    connection_->Exec(std::string("SET LOCAL lock_timeout = '") + kImportLockWait + "'");
    try {
      connection_->Exec("SELECT pg_advisory_xact_lock(" + std::to_string(kImportLockKey) + ")");
    } catch (const StoreUnavailable&) {
      throw StoreUnavailable("the database writer stayed busy too long (another import is running)");
    }
    connection_->Exec("SET LOCAL lock_timeout = '60s'");
    connection_->Exec(kCreateStaging);
    connection_->Exec(kCreateCreditStaging);
  }

  PostgresBatchWriter(const PostgresBatchWriter&) = delete;
  PostgresBatchWriter& operator=(const PostgresBatchWriter&) = delete;

  bool UserExists(UserId user_id) override {
    // Users are never deleted, so a cached answer stays right for the whole batch; WriteUser adds the new ones.
    const auto found = known_users_.find(user_id);
    if (found != known_users_.end()) return found->second;
    const IntText id(user_id);
    const bool known = Run(kUserExists, {id.AsParam()}).Count() > 0;
    known_users_.emplace(user_id, known);
    return known;
  }

  bool GroupExists(GroupId group_id) override {
    const IntText id(group_id);
    return Run(kGroupExists, {id.AsParam()}).Count() > 0;
  }

  std::optional<GroupId> GroupOf(UserId user_id) override {
    const IntText id(user_id);
    const auto rows = Run(kGroupOf, {id.AsParam()});
    if (rows.Count() == 0) return std::nullopt;
    return static_cast<GroupId>(rows.Int(0, 0));
  }

  bool ProjectExists(std::string_view client_id) override {
    return Run(kProjectByClientId, {Text(client_id)}).Count() > 0;
  }

  std::optional<std::string> ClientIdOfApiKey(std::string_view api_key) override {
    const auto rows = Run(kProjectByApiKey, {Text(api_key)});
    if (rows.Count() == 0) return std::nullopt;
    return std::string(rows.Text(0, 0));
  }

  void WriteUser(const UserRecord& user) override {
    assert(!committed_);
    // On replace the nickname trigger refreshes candidate_nickname_key of the user's stored bookings; staged ones
    // take the nickname when they move into bookings.
    const IntText id(user.user_id);
    const IntText positive(user.positive);
    const IntText neutral(user.neutral);
    const IntText negative(user.negative);
    const IntText disputes(user.disputes);
    const IntText phonechat_ppm(user.phonechat_ppm ? user.phonechat_ppm->ten_thousandths : 0);
    // direct_chat_ppm is kept set exactly when offer_direct_chat, as the life cycle's SaveSettings keeps it.
    const IntText direct_chat_ppm(user.direct_chat_ppm ? user.direct_chat_ppm->ten_thousandths : 0);
    Run(kUpsertUser,
        {id.AsParam(), Text(user.nickname), OptionalText(user.password_hash), OptionalText(user.email_address),
         OptionalText(user.phonechat_number), OptionalText(user.skype_name), positive.AsParam(), neutral.AsParam(),
         negative.AsParam(), disputes.AsParam(), Bool(user.offers_phonechat),
         user.phonechat_ppm ? phonechat_ppm.AsParam() : Param::Null(), Bool(user.offer_direct_chat),
         Bool(user.offer_direct_chat && user.direct_chat_only),
         user.offer_direct_chat ? direct_chat_ppm.AsParam() : Param::Null(), Bool(user.show_phonechat_number)});
    known_users_[user.user_id] = true;
  }

  void WriteGroup(const GroupRecord& group, bool exists) override {
    assert(!committed_);
    const IntText id(group.group_id);
    if (exists) Run(kDeleteGroupMembers, {id.AsParam()});
    const IntText manager(group.manager_user_id);
    Run(kUpsertGroup, {id.AsParam(), Text(group.name), manager.AsParam()});
    for (const UserId member : group.member_user_ids) {
      const IntText member_id(member);
      Run(kInsertGroupMember, {member_id.AsParam(), id.AsParam()});
    }
  }

  void WriteProject(const ProjectRecord& project) override {
    assert(!committed_);
    const std::string redirect_uris = RedirectUrisJson(project.redirect_uris);
    const IntText owner(project.owner_user_id);
    Run(kUpsertProject, {Text(project.name), owner.AsParam(), Text(project.api_key), Text(project.client_id),
                         OptionalText(project.client_secret_hash), Text(redirect_uris), Bool(project.implicit_grant),
                         Bool(project.active)});
  }

  void WriteCredit(const CreditRecord& credit) override {
    assert(!committed_);
    CopyRow row{credits_pending_};
    row.Int(++credits_staged_);
    row.Int(credit.user_id);
    row.Int(credit.amount.ten_thousandths);
    row.Int(credit.date.millis);
    row.Text(credit.description);
    credits_pending_ += '\n';
    if (credits_pending_.size() >= kCopyChunkBytes) SendCredits();
  }

  BookingWrite WriteBooking(const BookingRecord& record, bool replace, std::int64_t position) override {
    assert(!committed_);
    // Whether its ID is already taken is checked in bulk, by CheckBookingIds.
    unchecked_ = true;
    Stage(record, replace, position);
    return BookingWrite::kWritten;
  }

  // The bookings staged since the last check, in two statements over the staging table: the earliest whose ID the
  // database or an earlier staged booking already has (unless put with replace).
  // The staged bookings are read back by ending the COPY in progress: only a booking that names a source does so.
  std::optional<BookingParties> PartiesOf(BookingId booking_id) override {
    const IntText id(booking_id);
    const Rows rows = Run(kPartiesOf, {id.AsParam()});
    if (rows.Count() == 0) return std::nullopt;
    BookingParties parties{static_cast<UserId>(rows.Int(0, 0)), static_cast<UserId>(rows.Int(0, 1)),
                           LocalDateTime{rows.Int(0, 2)}, std::nullopt};
    if (!rows.IsNull(0, 3)) parties.rescheduled_from = static_cast<BookingId>(rows.Int(0, 3));
    return parties;
  }

  std::optional<BookingId> RescheduledInto(BookingId source, BookingId except) override {
    const IntText from(source);
    const IntText other(except);
    const Rows rows = Run(kRescheduledInto, {from.AsParam(), other.AsParam()});
    if (rows.Count() == 0) return std::nullopt;
    return static_cast<BookingId>(rows.Int(0, 0));
  }

  // Staged bookings move no credits before Commit(): only the stored booking and the committed ledger are looked at.
  std::optional<MovedBooking> MovedBookingOf(BookingId booking_id) override {
    const IntText id(booking_id);
    const Rows stored = Run(kLockStoredBooking, {id.AsParam()});
    if (stored.Count() == 0) return std::nullopt;
    const Rows kinds = Run(kBookingMovements, {id.AsParam()});
    if (kinds.Count() == 0) return std::nullopt;
    MovedBooking moved{static_cast<UserId>(stored.Int(0, 0)), static_cast<UserId>(stored.Int(0, 1)),
                       Credits{stored.Int(0, 2)}};
    for (int row = 0; row < kinds.Count(); ++row) {
      const std::string_view kind = kinds.Text(row, 0);
      moved.refunded = moved.refunded || kind == "Refund";
      moved.earned = moved.earned || kind == "Earning";
    }
    return moved;
  }

  Credits BalanceOf(UserId user_id) override {
    const IntText id(user_id);
    const Rows rows = Run(kBalanceOf, {id.AsParam()});
    return Credits{rows.Count() > 0 ? rows.Int(0, 0) : 0};
  }

  std::optional<TakenBookingId> CheckBookingIds() override {
    CloseCopy();
    if (!unchecked_) return std::nullopt;
    connection_->Exec("ANALYZE import_bookings");
    const IntText after(checked_through_);
    std::optional<TakenBookingId> earliest;
    for (const Sql* check : {&kEarliestRepeatedId, &kEarliestStoredId}) {
      const auto rows = connection_->ExecPrepared(check->name, check->text, {after.AsParam()});
      if (rows.Count() > 0 && (!earliest || rows.Int(0, 0) < earliest->position)) {
        earliest = TakenBookingId{rows.Int(0, 0), static_cast<BookingId>(rows.Int(0, 1))};
      }
    }
    unchecked_ = false;
    checked_through_ = staged_through_;
    return earliest;
  }

  void Commit() override {
    assert(!committed_);
    if (unchecked_) throw std::logic_error("a write batch commits only after CheckBookingIds");
    CloseCopy();
    SendCredits();
    if (staged_ > 0) {
      if (any_replace_) {
        connection_->Exec("DELETE FROM bookings AS b USING import_bookings AS s WHERE b.booking_id = s.booking_id");
        connection_->Exec(
            "DELETE FROM booking_reschedules AS r USING import_bookings AS s WHERE r.booking_id = s.booking_id");
      }
      // A booking put twice (with replace) is stored as put last, as an upsert per record would leave it.
      std::string move = "INSERT INTO bookings (" + std::string(booking_row::kWriteColumns) +
                         ", candidate_nickname_key, client_nickname_key) SELECT ";
      if (any_replace_) move += "DISTINCT ON (s.booking_id) ";
      for (std::string_view columns = booking_row::kWriteColumns; !columns.empty();) {
        const auto comma = columns.find(", ");
        move += "s.";
        move += columns.substr(0, comma);
        move += ", ";
        columns = comma == std::string_view::npos ? std::string_view{} : columns.substr(comma + 2);
      }
      move += pg::FoldNicknameSql("u.nickname") + ", " + pg::FoldNicknameSql("c.nickname") +
              " FROM import_bookings AS s JOIN users AS u ON u.user_id = s.candidate_user_id "
              "JOIN users AS c ON c.user_id = s.client_user_id";
      if (any_replace_) move += " ORDER BY s.booking_id, s.pos DESC";
      connection_->Exec(move);
      if (any_rescheduled_) {
        // At most one booking per source (pg_schema.cpp): a second one fails the commit on the primary key.
        connection_->Exec(
            "INSERT INTO booking_reschedules (source_booking_id, booking_id) SELECT rescheduled_from, booking_id "
            "FROM (SELECT DISTINCT ON (booking_id) booking_id, rescheduled_from FROM import_bookings "
            "ORDER BY booking_id, pos DESC) AS s WHERE rescheduled_from IS NOT NULL");
      }
      // New IDs of the life cycle come after every imported one (pg_schema.cpp). setval is not undone by a
      // rollback: a failed commit leaves a gap, never a reuse.
      connection_->Exec(
          "SELECT setval('booking_id_seq', s.top) FROM (SELECT max(booking_id) AS top FROM import_bookings) AS s, "
          "booking_id_seq AS q WHERE s.top >= CASE WHEN q.is_called THEN q.last_value + 1 ELSE q.last_value END");
    }
    if (any_payment_ || credits_staged_ > 0) connection_->Exec(kImportLedger);
    connection_->Exec("UPDATE store_state SET bookings_generation = bookings_generation + 1");
    transaction_.Commit();
    committed_ = true;
    if (staged_ >= kAnalyzeAfterBookings) {
      // Only the planner's statistics: the import is stored whether or not this succeeds.
      try {
        connection_->Exec("ANALYZE bookings");
      } catch (const std::exception&) {
      }
    }
  }

 private:
  Rows Run(const Sql& sql, std::initializer_list<Param> params) {
    CloseCopy();
    return connection_->ExecPrepared(sql.name, sql.text, params);
  }

  // Appends the booking to the COPY data of the staging table: its position and replace flag, then the write row.
  void Stage(const BookingRecord& record, bool replace, std::int64_t position) {
    CopyRow row{pending_};
    row.Int(position);
    row.Bool(replace);
    booking_row::Write(record, row);
    StageLedger(record, row);
    pending_ += '\n';
    ++staged_;
    staged_through_ = position;
    any_replace_ = any_replace_ || replace;
    const bool moves = record.ledger ? record.ledger->payment.has_value()
                                     : record.booking.status == BookingStatus::kConfirmed &&
                                           !record.booking.settled && record.booking.credits.ten_thousandths > 0;
    any_payment_ = any_payment_ || moves;
    any_rescheduled_ = any_rescheduled_ || record.booking.rescheduled_from.has_value();
    if (pending_.size() >= kCopyChunkBytes) SendPending();
  }

  // The staging row's ledger columns: ledger_given, then the account and date of the Payment and the dates of the
  // Refund and the Earning the record gives.
  static void StageLedger(const BookingRecord& record, CopyRow& row) {
    row.Bool(record.ledger.has_value());
    const BookingLedger ledger = record.ledger.value_or(BookingLedger{});
    const auto date = [&](const std::optional<LocalDateTime>& value) {
      if (value) {
        row.Int(value->millis);
      } else {
        row.Null();
      }
    };
    if (ledger.payment) {
      row.Int(ledger.payment->from == PaymentSource::kClient ? AccountId{record.booking.client_user_id}
                                                             : kExternalAccount);
      row.Int(ledger.payment->date.millis);
    } else {
      row.Null();
      row.Null();
    }
    date(ledger.refund_date);
    date(ledger.earning_date);
  }

  void SendPending() {
    if (!copy_open_) {
      connection_->BeginCopy(CopyStagingSql());
      copy_open_ = true;
    }
    connection_->CopyData(pending_);
    pending_.clear();
  }

  // Sends the Credit records not sent yet into import_credits, in a COPY of their own.
  void SendCredits() {
    CloseCopy();
    if (credits_pending_.empty()) return;
    connection_->BeginCopy(kCopyCredits);
    connection_->CopyData(credits_pending_);
    connection_->EndCopy();
    credits_pending_.clear();
  }

  // Ends the COPY in progress, if any: the connection runs nothing else meanwhile.
  void CloseCopy() {
    if (!pending_.empty()) SendPending();
    if (copy_open_) {
      copy_open_ = false;
      connection_->EndCopy();
    }
  }

  std::unique_ptr<Connection> connection_;
  pg::Transaction transaction_;
  std::int64_t staged_ = 0;           // bookings staged
  std::int64_t staged_through_ = 0;   // the position of the latest booking staged
  std::int64_t checked_through_ = 0;  // every booking staged at or before this position has passed its checks
  bool unchecked_ = false;            // bookings staged after checked_through_
  bool any_replace_ = false;
  bool copy_open_ = false;
  bool committed_ = false;
  bool any_payment_ = false;      // a Confirmed, unsettled booking was staged
  bool any_rescheduled_ = false;  // a booking with rescheduled_from was staged
  std::int64_t credits_staged_ = 0;
  std::string credits_pending_;  // COPY data of import_credits not sent yet
  std::string pending_;          // COPY data not sent yet
  std::unordered_map<UserId, bool> known_users_;
};

}  // namespace

std::unique_ptr<BatchWriter> NewBatchWriter(const std::string& uri) {
  return std::make_unique<PostgresBatchWriter>(uri);
}

}  // namespace phonechat::pg
