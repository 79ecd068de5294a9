// The SQLite read session: token, API-key and group lookups, the audit entry, the bookings lists' count and page on
// either side, and the lookups of one booking or user.

#include <array>
#include <cassert>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "storage/booking_row.hpp"
#include "storage/sqlite/queries.hpp"
#include "storage/sqlite/sqlite_store_internal.hpp"

namespace phonechat::sqlite {

namespace {

std::int32_t Int32(const Statement& row, int column) { return static_cast<std::int32_t>(row.Int(column)); }

// Blocking: every read is one bounded index range scan on the session's own connection (tens of microseconds
// for a first page, a few milliseconds for a count or a deep OFFSET over 50,000 bookings); in WAL mode readers
// never wait for the writer. AppendAudit waits for the shared writer, up to kBusyTimeoutMs.
class SqliteSession final : public StoreSession {
 public:
  SqliteSession(const std::string& path, std::shared_ptr<Writer> writer)
      : connection_(path, Connection::Role::kReader), writer_(std::move(writer)) {}

  std::optional<TokenRecord> FindToken(std::string_view token_hash) override {
    auto& statement = Prepared(find_token_,
                               "SELECT t.user_id, t.project_id, t.scopes, t.expires_at, t.revoked OR NOT p.active "
                               "FROM tokens t JOIN projects p ON p.project_id = t.project_id WHERE t.token_hash = ?1");
    ScopedReset reset(statement);
    statement.BindBlob(1, token_hash);
    if (!statement.Step()) return std::nullopt;
    return TokenRecord{Int32(statement, 0), statement.Int(1), std::string(statement.Text(2)), statement.Int(3),
                       statement.Int(4) != 0,  std::nullopt};
  }

  std::optional<StoreVersion> Version() override {
    // data_version changes only when another connection commits, and reading it touches only shared memory
    // (WAL), so the counters are read only after a commit somewhere.
    auto& data_version = Prepared(data_version_, "PRAGMA data_version");
    std::int64_t any = 0;
    {
      ScopedReset reset(data_version);
      data_version.Step();
      any = data_version.Int(0);
    }
    if (!version_ || data_version_seen_ != any) {
      auto& counters = Prepared(counters_,
                                "SELECT credentials_generation, bookings_generation, "
                                "(SELECT coalesce(max(seq), 0) FROM list_changes) FROM store_state");
      ScopedReset reset(counters);
      counters.Step();
      version_ = StoreVersion{counters.Int(0), counters.Int(1), counters.Int(2)};
      data_version_seen_ = any;
    }
    return version_;
  }

  std::optional<std::vector<ListChange>> ListChangesSince(std::int64_t after, std::int64_t upto) override {
    auto& statement = Prepared(list_changes_,
                               "SELECT seq, client_user_id, candidate_user_id FROM list_changes "
                               "WHERE seq > ?1 AND seq <= ?2 ORDER BY seq");
    ScopedReset reset(statement);
    statement.BindInt(1, after);
    statement.BindInt(2, upto);
    std::vector<ListChange> changes;
    std::int64_t expected = after + 1;
    while (statement.Step()) {
      // Sequence numbers have no gaps except where the writer trimmed the log's oldest entries.
      if (statement.Int(0) != expected++) return std::nullopt;
      if (statement.IsNull(1)) {
        changes.push_back(ListChange{ListChange::Kind::kCandidate, Int32(statement, 2)});
      } else {
        changes.push_back(ListChange{ListChange::Kind::kClient, Int32(statement, 1)});
      }
    }
    if (expected != upto + 1) return std::nullopt;
    return changes;
  }

  std::vector<std::optional<TokenRecord>> FindTokens(const std::vector<std::string_view>& token_hashes) override {
    std::vector<std::optional<TokenRecord>> records;
    records.reserve(token_hashes.size());
    for (const std::string_view hash : token_hashes) records.push_back(FindToken(hash));
    return records;
  }

  // This backend reports a Version instead: its caches replay the list-change log.
  std::optional<ListStamp> ReadListStamp(UserId /*user_id*/) override { return std::nullopt; }

  std::optional<ProjectKeyRecord> FindProjectByApiKey(std::string_view api_key) override {
    auto& statement = Prepared(find_api_key_, "SELECT project_id, active FROM projects WHERE api_key = ?1");
    ScopedReset reset(statement);
    statement.BindText(1, api_key);
    if (!statement.Step()) return std::nullopt;
    return ProjectKeyRecord{statement.Int(0), statement.Int(1) != 0};
  }

  bool IsGroupManager(UserId user_id) override {
    auto& statement = Prepared(is_manager_, "SELECT 1 FROM user_groups WHERE manager_user_id = ?1 LIMIT 1");
    ScopedReset reset(statement);
    statement.BindInt(1, user_id);
    return statement.Step();
  }

  bool IsMemberOfManagedGroup(UserId manager_id, UserId member_id) override {
    auto& statement = Prepared(is_member_,
                               "SELECT 1 FROM group_members AS m JOIN user_groups AS g ON g.group_id = m.group_id "
                               "WHERE m.user_id = ?2 AND g.manager_user_id = ?1");
    ScopedReset reset(statement);
    statement.BindInt(1, manager_id);
    statement.BindInt(2, member_id);
    return statement.Step();
  }

  void AppendAudit(const AuditEntry& entry) override {
    auto lock = LockWriter(*writer_);
    auto& statement = writer_->Prepared(writer_->insert_audit,
                                        "INSERT INTO audit_log (manager_user_id, member_user_id, route, at, outcome) "
                                        "VALUES (?1, ?2, ?3, ?4, ?5)");
    ScopedReset reset(statement);
    statement.BindInt(1, entry.manager_user_id);
    statement.BindInt(2, entry.member_user_id);
    statement.BindText(3, entry.route);
    statement.BindInt(4, entry.at.millis);
    statement.BindText(5, entry.outcome);
    statement.Run();
  }

  std::int64_t CountMadeBookings(UserId client_user_id, std::optional<LocalDateTime> created_from,
                                 BookingSide side) override {
    const bool with_start = created_from.has_value();
    auto& statement = Prepared(count_[(side == BookingSide::kReceived ? 2 : 0) + (with_start ? 1 : 0)],
                               sqlite::CountMadeBookingsSql(with_start, side));
    ScopedReset reset(statement);
    statement.BindInt(1, client_user_id);
    if (with_start) statement.BindInt(2, created_from->millis);
    return statement.Step() ? statement.Int(0) : 0;
  }

  std::vector<StoredBooking> MadeBookingsPage(const MadeBookingsQuery& query, std::int64_t offset,
                                              std::int32_t limit) override {
    assert(offset >= 0 && limit >= 0);
    const bool with_start = query.created_from.has_value();
    auto& statement = Prepared(page_[MadeBookingsPageQueryIndex(query.order, with_start, query.side)],
                               sqlite::MadeBookingsPageSql(query.order, with_start, query.side));
    ScopedReset reset(statement);
    statement.BindInt(1, query.client_user_id);
    statement.BindInt(2, limit);
    statement.BindInt(3, offset);
    if (with_start) statement.BindInt(4, query.created_from->millis);
    std::vector<StoredBooking> page;
    page.reserve(static_cast<std::size_t>(limit));
    while (statement.Step()) page.push_back(booking_row::Read(statement, query.side));
    return page;
  }

  std::optional<StoredBooking> FindBooking(BookingId booking_id) override {
    auto& statement = Prepared(find_booking_, FindBookingSql());
    ScopedReset reset(statement);
    statement.BindInt(1, booking_id);
    if (!statement.Step()) return std::nullopt;
    return booking_row::ReadWithBothParties(statement);
  }

  std::optional<UserWithSettings> FindUser(UserId user_id) override {
    auto& statement = Prepared(find_user_, FindUserSql());
    ScopedReset reset(statement);
    statement.BindInt(1, user_id);
    if (!statement.Step()) return std::nullopt;
    return ReadUser(statement);
  }

 private:
  Statement& Prepared(std::unique_ptr<Statement>& slot, std::string_view sql) {
    return Cached(slot, connection_.Handle(), sql);
  }

  Connection connection_;
  std::shared_ptr<Writer> writer_;
  std::unique_ptr<Statement> find_token_;
  std::unique_ptr<Statement> data_version_;
  std::unique_ptr<Statement> counters_;
  std::unique_ptr<Statement> list_changes_;
  std::int64_t data_version_seen_ = 0;
  std::optional<StoreVersion> version_;  // as last read, when data_version was data_version_seen_
  std::unique_ptr<Statement> find_api_key_;
  std::unique_ptr<Statement> is_manager_;
  std::unique_ptr<Statement> is_member_;
  std::array<std::unique_ptr<Statement>, 4> count_;  // made without, with a start; received without, with
  std::unique_ptr<Statement> find_booking_;
  std::unique_ptr<Statement> find_user_;
  std::array<std::unique_ptr<Statement>, kMadeBookingsPageQueryCount> page_;
};

}  // namespace

std::unique_ptr<StoreSession> NewSession(const std::string& path, std::shared_ptr<Writer> writer) {
  return std::make_unique<SqliteSession>(path, std::move(writer));
}

}  // namespace phonechat::sqlite
