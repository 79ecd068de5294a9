// The PostgreSQL store and its read replica: open (and on the primary migrate) the database, lend sessions and write
// batches on connections of their own, and run the token writes of the command line.

#include "storage/postgres/postgres_store.hpp"

#include <mutex>
#include <stdexcept>
#include <string>
#include <utility>

#include "core/error.hpp"
#include "storage/export_rows.hpp"
#include "storage/postgres/pg_connection.hpp"
#include "storage/postgres/pg_schema.hpp"
#include "storage/postgres/postgres_store_internal.hpp"

namespace phonechat {

namespace pg {

std::unique_ptr<Connection> ConnectNow(const std::string& uri, int statement_timeout_ms, Waiting waiting) {
  try {
    return std::make_unique<Connection>(uri, statement_timeout_ms, waiting);
  } catch (const UsageError& error) {
    throw StoreUnavailable(error.what());
  }
}

}  // namespace pg

namespace {

using pg::Connection;
using pg::IntText;
using pg::kProjectByClientId;
using pg::kStatementTimeoutMs;
using pg::kUserExists;
using pg::Param;
using pg::Rows;
using pg::Sql;
using pg::Text;

constexpr Sql kInsertToken{"store_insert_token",
                           "INSERT INTO tokens (token_hash, user_id, project_id, scopes, expires_at) "
                           "VALUES ($1, $2, $3, $4, $5)"};
constexpr Sql kRevokeToken{"store_revoke_token", "UPDATE tokens SET revoked = true WHERE token_hash = $1"};
constexpr Sql kIsEmpty{"store_is_empty",
                       "SELECT NOT EXISTS (SELECT 1 FROM users) AND NOT EXISTS (SELECT 1 FROM user_groups) "
                       "AND NOT EXISTS (SELECT 1 FROM projects) AND NOT EXISTS (SELECT 1 FROM bookings)"};

// Rows fetched per round trip of an export: memory stays flat whatever the tables' sizes.
constexpr int kExportFetchRows = 1000;

// Every export query through a cursor, on a connection of its own in one REPEATABLE READ, READ ONLY snapshot (on a
// hot standby too), without a statement timeout: the sorts of a large database may take longer than a request's.
void ExportFrom(const std::string& uri, ExportSink& sink) {
  Connection connection(uri, /*statement_timeout_ms=*/0);
  connection.Exec("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY");
  export_rows::ExportAll(
      [&](std::string_view sql, auto&& on_row) {
        connection.Exec("DECLARE export_rows NO SCROLL CURSOR FOR " + std::string(sql));
        const std::string fetch = "FETCH " + std::to_string(kExportFetchRows) + " FROM export_rows";
        for (;;) {
          const Rows rows = connection.Exec(fetch);
          for (int row = 0; row < rows.Count(); ++row) on_row(pg::RowOf{rows, row});
          if (rows.Count() < kExportFetchRows) break;
        }
        connection.Exec("CLOSE export_rows");
      },
      sink);
  connection.Exec("COMMIT");
}

class PostgresStore final : public Store {
 public:
  explicit PostgresStore(std::string uri)
      : uri_(std::move(uri)),
        connection_(uri_, kStatementTimeoutMs),
        lifecycle_connections_(std::make_shared<pg::LifecycleConnections>(uri_)) {
    MigratePostgres(connection_);
  }

  std::unique_ptr<StoreSession> OpenSession() override { return pg::NewSession(uri_); }

  std::unique_ptr<WriteBatch> BeginWriteBatch() override { return WithWriteRules(pg::NewBatchWriter(uri_)); }

  void InsertToken(const NewToken& token) override {
    const std::lock_guard lock(mutex_);
    const auto project = Run(kProjectByClientId, {Text(token.client_id)});
    if (project.Count() == 0) throw UsageError("no project with client id " + token.client_id);
    const IntText user(token.user_id);
    if (Run(kUserExists, {user.AsParam()}).Count() == 0) {
      throw UsageError("no user with id " + std::to_string(token.user_id));
    }
    const IntText expires(token.expires_at_unix);
    Run(kInsertToken, {Param::Bytes(token.token_hash), user.AsParam(), Text(project.Text(0, 0)), Text(token.scopes),
                       expires.AsParam()});
  }

  bool RevokeToken(std::string_view token_hash) override {
    const std::lock_guard lock(mutex_);
    return Run(kRevokeToken, {Param::Bytes(token_hash)}).Affected() > 0;
  }

  bool IsEmpty() override {
    const std::lock_guard lock(mutex_);
    return Run(kIsEmpty, {}).Bool(0, 0);
  }

  std::unique_ptr<LifecycleTransaction> BeginLifecycle() override { return pg::BeginLifecycle(lifecycle_connections_); }

  LedgerAudit AuditLedger() override { return pg::AuditLedger(*lifecycle_connections_); }

  void ExportRecords(ExportSink& sink) override { ExportFrom(uri_, sink); }

 private:
  Rows Run(const Sql& sql, std::initializer_list<Param> params) {
    return connection_.ExecPrepared(sql.name, sql.text, params);
  }

  std::string uri_;
  std::mutex mutex_;
  Connection connection_;  // the store's own calls, one at a time under mutex_
  // Shared with the transactions begun, which may outlive the store.
  std::shared_ptr<pg::LifecycleConnections> lifecycle_connections_;
};

// A hot standby: sessions only, never migrated.
class PostgresReadReplica final : public Store {
 public:
  explicit PostgresReadReplica(std::string uri) : uri_(std::move(uri)) {
    Connection connection(uri_, kStatementTimeoutMs);
    const int version = PostgresSchemaVersion(connection);
    if (version != kStoreSchemaVersion) {
      throw UsageError("read replica '" + pg::MaskPassword(uri_) + "' has schema version " + std::to_string(version) +
                       ", this program needs " + std::to_string(kStoreSchemaVersion) +
                       " (migrate the primary and let the replica catch up)");
    }
  }

  std::unique_ptr<StoreSession> OpenSession() override { return pg::NewSession(uri_); }
  std::unique_ptr<WriteBatch> BeginWriteBatch() override { throw std::logic_error("a read replica takes no writes"); }
  void InsertToken(const NewToken& /*token*/) override { throw std::logic_error("a read replica takes no writes"); }
  bool RevokeToken(std::string_view /*token_hash*/) override {
    throw std::logic_error("a read replica takes no writes");
  }
  bool IsEmpty() override { throw std::logic_error("a read replica answers sessions only"); }
  std::unique_ptr<LifecycleTransaction> BeginLifecycle() override {
    throw std::logic_error("a read replica takes no writes");
  }
  LedgerAudit AuditLedger() override { throw std::logic_error("a read replica answers sessions only"); }

 private:
  std::string uri_;
};

}  // namespace

std::unique_ptr<Store> OpenPostgresReadReplica(const std::string& uri) {
  return pg::OpenDatabase("read replica", uri,
                          [&]() -> std::unique_ptr<Store> { return std::make_unique<PostgresReadReplica>(uri); });
}

std::unique_ptr<Store> OpenPostgresStore(const std::string& uri) {
  return pg::OpenDatabase("database", uri,
                          [&]() -> std::unique_ptr<Store> { return std::make_unique<PostgresStore>(uri); });
}

}  // namespace phonechat
