// The PostgreSQL read session: token, API-key and group lookups, the audit entry, and the made-bookings count and
// page (both in one pipelined round trip for CountAndPage).

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

constexpr Sql kFindToken{"store_find_token",
                         "SELECT t.user_id, t.project_id, t.scopes, t.expires_at, t.revoked OR NOT p.active "
                         "FROM tokens AS t JOIN projects AS p ON p.project_id = t.project_id WHERE t.token_hash = $1"};
constexpr Sql kFindApiKey{"store_find_api_key", "SELECT project_id, active FROM projects WHERE api_key = $1"};
constexpr Sql kIsManager{"store_is_manager", "SELECT 1 FROM user_groups WHERE manager_user_id = $1 LIMIT 1"};
constexpr Sql kIsMember{"store_is_member",
                        "SELECT 1 FROM group_members AS m JOIN user_groups AS g ON g.group_id = m.group_id "
                        "WHERE m.user_id = $2 AND g.manager_user_id = $1"};
constexpr Sql kInsertAudit{"store_insert_audit",
                           "INSERT INTO audit_log (manager_user_id, member_user_id, route, at, outcome) "
                           "VALUES ($1, $2, $3, $4, $5)"};

std::int32_t Int32(const Rows& rows, int row, int column) { return static_cast<std::int32_t>(rows.Int(row, column)); }

// One row of a result, as booking_row::Read reads it.
struct RowOf {
  const Rows& rows;
  int row;

  [[nodiscard]] std::int64_t Int(int column) const { return rows.Int(row, column); }
  [[nodiscard]] bool IsNull(int column) const { return rows.IsNull(row, column); }
  [[nodiscard]] std::string_view Text(int column) const { return rows.Text(row, column); }
};

// The page query of one request, with its parameters kept alive for the call: $1 client, $2 limit, $3 offset
// and, with a start, $4 the smallest CreateDate kept.
struct PageQuery {
  PageQuery(const MadeBookingsQuery& query, std::int64_t offset, std::int32_t limit)
      : with_start(query.created_from.has_value()),
        name("store_page_" + std::to_string(MadeBookingsPageQueryIndex(query.order, with_start))),
        sql(pg::MadeBookingsPageSql(query.order, with_start)),
        client(query.client_user_id),
        page_size(limit),
        skip(offset),
        start(with_start ? query.created_from->millis : 0) {
    assert(offset >= 0 && limit >= 0);
  }

  [[nodiscard]] std::vector<Param> Params() const {
    std::vector<Param> params{client.AsParam(), page_size.AsParam(), skip.AsParam()};
    if (with_start) params.push_back(start.AsParam());
    return params;
  }

  bool with_start;
  std::string name;
  std::string_view sql;
  IntText client;
  IntText page_size;
  IntText skip;
  IntText start;
};

// The bookings of a page query's result, in its order.
std::vector<StoredBooking> ReadBookings(const Rows& rows) {
  std::vector<StoredBooking> page;
  page.reserve(static_cast<std::size_t>(rows.Count()));
  for (int row = 0; row < rows.Count(); ++row) page.push_back(booking_row::Read(RowOf{rows, row}));
  return page;
}

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
    return TokenRecord{Int32(rows, 0, 0), rows.Int(0, 1), std::string(rows.Text(0, 2)), rows.Int(0, 3),
                       rows.Bool(0, 4)};
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

  std::int64_t CountMadeBookings(UserId client_user_id, std::optional<LocalDateTime> created_from) override {
    const bool with_start = created_from.has_value();
    const IntText client(client_user_id);
    const IntText start(with_start ? created_from->millis : 0);
    std::vector<Param> params{client.AsParam()};
    if (with_start) params.push_back(start.AsParam());
    const auto rows = Db().ExecPrepared(with_start ? "store_count_from" : "store_count",
                                        pg::CountMadeBookingsSql(with_start), params);
    return rows.Count() > 0 ? rows.Int(0, 0) : 0;
  }

  CountedPage CountAndPage(const MadeBookingsQuery& query, std::int64_t offset, std::int32_t limit) override {
    const PageQuery page(query, offset, limit);
    std::vector<Param> count_params{page.client.AsParam()};
    if (page.with_start) count_params.push_back(page.start.AsParam());
    const auto results = Db().ExecPreparedPipeline({{page.with_start ? "store_count_from" : "store_count",
                                                     pg::CountMadeBookingsSql(page.with_start), count_params},
                                                    {page.name, page.sql, page.Params()}});
    CountedPage counted;
    counted.total = results[0].Count() > 0 ? results[0].Int(0, 0) : 0;
    counted.rows = ReadBookings(results[1]);
    return counted;
  }

  std::vector<StoredBooking> MadeBookingsPage(const MadeBookingsQuery& query, std::int64_t offset,
                                              std::int32_t limit) override {
    const PageQuery page(query, offset, limit);
    return ReadBookings(Db().ExecPrepared(page.name, page.sql, page.Params()));
  }

 private:
  Connection& Db() {
    if (!connection_) connection_ = ConnectNow(uri_, kStatementTimeoutMs, pg::Waiting::kSuspendable);
    return *connection_;
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
