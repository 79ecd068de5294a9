// The PostgreSQL read session: token, API-key and group lookups, the audit entry, a booking or a user by ID, and the
// count and page of a made or received list (both in one pipelined round trip for CountAndPage).

#include <cassert>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/error.hpp"
#include "storage/booking_row.hpp"
#include "storage/postgres/pg_queries.hpp"
#include "storage/postgres/postgres_store_internal.hpp"

namespace phonechat::pg {

namespace {

// With the user's list stamp, so that a list request needs no other read before its answer from the cache.
constexpr Sql kFindToken{"store_find_token",
                         "SELECT t.user_id, t.project_id, t.scopes, t.expires_at, t.revoked OR NOT p.active, "
                         "s.bookings_generation, coalesce(v.version, 0) "
                         "FROM tokens AS t JOIN projects AS p ON p.project_id = t.project_id CROSS JOIN store_state AS s "
                         "LEFT JOIN list_versions AS v ON v.user_id = t.user_id WHERE t.token_hash = $1"};
constexpr Sql kListStamp{"store_list_stamp",
                         "SELECT s.bookings_generation, coalesce(v.version, 0) FROM store_state AS s "
                         "LEFT JOIN list_versions AS v ON v.user_id = $1"};
constexpr Sql kFindApiKey{"store_find_api_key", "SELECT project_id, active FROM projects WHERE api_key = $1"};

std::int32_t Int32(const Rows& rows, int row, int column) { return static_cast<std::int32_t>(rows.Int(row, column)); }

// Every call is one round trip on the session's own connection (an indexed probe, or one bounded index range scan
// for a page or a count), each bounded by statement_timeout. Its waits suspend the calling coroutine when the thread
// has an IoWaiter installed (a serving thread), and block in poll() otherwise.
class PostgresSession final : public StoreSession {
 public:
  explicit PostgresSession(std::string uri) : uri_(std::move(uri)) {
    // A server that is down now is reported by the first call instead, which keeps trying to reconnect.
    try {
      connection_ = std::make_unique<Connection>(uri_, kStatementTimeoutMs, pg::Waiting::kSuspendable);
    } catch (const UsageError&) {
    }
  }

  std::optional<TokenRecord> FindToken(std::string_view token_hash) override {
    const auto rows = Run(kFindToken, {Param::Bytes(token_hash)});
    if (rows.Count() == 0) return std::nullopt;
    return ReadToken(rows, 0, 0);
  }

  std::vector<std::optional<TokenRecord>> FindTokens(const std::vector<std::string_view>& token_hashes) override {
    // FindToken's own statement once per token, pipelined: its plan is cached, while one statement for a whole array
    // of hashes is planned again at every call (its custom plans look cheaper than a generic one).
    std::vector<PipelinedStatement> statements;
    statements.reserve(token_hashes.size());
    for (const std::string_view hash : token_hashes) {
      statements.push_back(PipelinedStatement{kFindToken.name, kFindToken.text, {Param::Bytes(hash)}});
    }
    std::vector<std::optional<TokenRecord>> records(token_hashes.size());
    if (statements.empty()) return records;
    const std::vector<Rows> results = Db().ExecPreparedPipeline(statements);
    for (std::size_t i = 0; i < results.size(); ++i) {
      if (results[i].Count() > 0) records[i] = ReadToken(results[i], 0, 0);
    }
    return records;
  }

  std::optional<ListStamp> ReadListStamp(UserId user_id) override {
    const IntText user(user_id);
    const auto rows = Run(kListStamp, {user.AsParam()});
    return ListStamp{rows.Int(0, 0), rows.Int(0, 1)};
  }

  std::optional<ProjectKeyRecord> FindProjectByApiKey(std::string_view api_key) override {
    const auto rows = Run(kFindApiKey, {Text(api_key)});
    if (rows.Count() == 0) return std::nullopt;
    return ProjectKeyRecord{rows.Int(0, 0), rows.Bool(0, 1)};
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
    Run(kInsertAudit, {manager.AsParam(), member.AsParam(), Text(entry.route), at.AsParam(), Text(entry.outcome)});
  }

  std::int64_t CountMadeBookings(UserId client_user_id, std::optional<LocalDateTime> created_from,
                                 BookingSide side) override {
    const bool with_start = created_from.has_value();
    const IntText owner(client_user_id);
    const IntText start(with_start ? created_from->millis : 0);
    std::vector<Param> params{owner.AsParam()};
    if (with_start) params.push_back(start.AsParam());
    const auto rows =
        Db().ExecPrepared(CountName(with_start, side), pg::CountMadeBookingsSql(with_start, side), params);
    return rows.Count() > 0 ? rows.Int(0, 0) : 0;
  }

  CountedPage CountAndPage(const MadeBookingsQuery& query, std::int64_t offset, std::int32_t limit) override {
    assert(offset >= 0 && limit >= 0);
    const bool with_start = query.created_from.has_value();
    const IntText owner(query.client_user_id);
    const IntText page_size(limit);
    const IntText skip(offset);
    const IntText start(with_start ? query.created_from->millis : 0);
    std::vector<Param> count_params{owner.AsParam()};
    std::vector<Param> page_params{owner.AsParam(), page_size.AsParam(), skip.AsParam()};
    if (with_start) {
      count_params.push_back(start.AsParam());
      page_params.push_back(start.AsParam());
    }
    const auto results = Db().ExecPreparedPipeline(
        {{CountName(with_start, query.side), pg::CountMadeBookingsSql(with_start, query.side), count_params},
         {PageName(query), pg::MadeBookingsPageSql(query.order, with_start, query.side), page_params}});
    CountedPage counted;
    counted.total = results[0].Count() > 0 ? results[0].Int(0, 0) : 0;
    counted.rows = Bookings(results[1], query.side);
    return counted;
  }

  std::optional<StoredBooking> FindBooking(BookingId booking_id) override {
    static const std::string sql = std::string(pg::FullBookingSelect()) + " WHERE b.booking_id = $1";
    const IntText id(booking_id);
    const auto rows = Db().ExecPrepared("store_find_booking", sql, {id.AsParam()});
    if (rows.Count() == 0) return std::nullopt;
    return pg::ReadFullBooking(rows, 0);
  }

  std::optional<UserWithSettings> FindUser(UserId user_id) override {
    static const std::string sql = std::string(pg::UserSelect()) + " WHERE user_id = $1";
    const IntText id(user_id);
    const auto rows = Db().ExecPrepared("store_find_user", sql, {id.AsParam()});
    if (rows.Count() == 0) return std::nullopt;
    return pg::ReadUser(rows, 0);
  }

  std::vector<StoredBooking> MadeBookingsPage(const MadeBookingsQuery& query, std::int64_t offset,
                                              std::int32_t limit) override {
    assert(offset >= 0 && limit >= 0);
    const bool with_start = query.created_from.has_value();
    const IntText owner(query.client_user_id);
    const IntText page_size(limit);
    const IntText skip(offset);
    const IntText start(with_start ? query.created_from->millis : 0);
    std::vector<Param> params{owner.AsParam(), page_size.AsParam(), skip.AsParam()};
    if (with_start) params.push_back(start.AsParam());
    const auto rows =
        Db().ExecPrepared(PageName(query), pg::MadeBookingsPageSql(query.order, with_start, query.side), params);
    return Bookings(rows, query.side);
  }

 private:
  Connection& Db() {
    if (!connection_) connection_ = ConnectNow(uri_, kStatementTimeoutMs, pg::Waiting::kSuspendable);
    return *connection_;
  }

  static std::string CountName(bool with_start, BookingSide side) {
    return std::string(side == BookingSide::kMade ? "store_count" : "store_received_count") +
           (with_start ? "_from" : "");
  }

  static std::string PageName(const MadeBookingsQuery& query) {
    return "store_page_" +
           std::to_string(MadeBookingsPageQueryIndex(query.order, query.created_from.has_value(), query.side));
  }

  // The token record whose columns start at `first` in `row`, as kFindToken selects them.
  static TokenRecord ReadToken(const Rows& rows, int row, int first) {
    return TokenRecord{Int32(rows, row, first),
                       rows.Int(row, first + 1),
                       std::string(rows.Text(row, first + 2)),
                       rows.Int(row, first + 3),
                       rows.Bool(row, first + 4),
                       ListStamp{rows.Int(row, first + 5), rows.Int(row, first + 6)}};
  }

  static std::vector<StoredBooking> Bookings(const Rows& rows, BookingSide side) {
    std::vector<StoredBooking> bookings;
    bookings.reserve(static_cast<std::size_t>(rows.Count()));
    for (int row = 0; row < rows.Count(); ++row) bookings.push_back(booking_row::Read(RowOf{rows, row}, side));
    return bookings;
  }

  Rows Run(const Sql& sql, std::initializer_list<Param> params) {
    return Db().ExecPrepared(sql.name, sql.text, params);
  }

  std::string uri_;
  std::unique_ptr<Connection> connection_;
};

}  // namespace

std::unique_ptr<StoreSession> NewSession(std::string uri) { return std::make_unique<PostgresSession>(std::move(uri)); }

}  // namespace phonechat::pg
