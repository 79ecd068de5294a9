// The SQLite store: opens and migrates the file, lends sessions and write batches over its one writer, and runs the
// token writes of the command line.

#include "storage/sqlite/sqlite_store.hpp"

#include <chrono>
#include <mutex>
#include <string>
#include <utility>

#include "core/error.hpp"
#include "storage/export_rows.hpp"
#include "storage/sqlite/connection.hpp"
#include "storage/sqlite/schema.hpp"
#include "storage/sqlite/sqlite_store_internal.hpp"

namespace phonechat {

namespace sqlite {

std::unique_lock<std::timed_mutex> LockWriter(Writer& writer) {
  std::unique_lock lock(writer.mutex, std::chrono::milliseconds(sqlite::kBusyTimeoutMs));
  if (!lock.owns_lock()) throw StoreUnavailable("the database writer stayed busy too long");
  return lock;
}

}  // namespace sqlite

namespace {

using sqlite::LockWriter;
using sqlite::ScopedReset;
using sqlite::Writer;

bool UserExistsOn(Writer& writer, UserId user_id) {
  auto& statement = writer.Prepared(writer.user_exists, "SELECT 1 FROM users WHERE user_id = ?1");
  ScopedReset reset(statement);
  statement.BindInt(1, user_id);
  return statement.Step();
}

class SqliteStore final : public Store {
 public:
  explicit SqliteStore(std::string path) : path_(std::move(path)), writer_(std::make_shared<Writer>(path_)) {
    sqlite::MigrateSchema(writer_->connection, path_);
  }

  std::unique_ptr<StoreSession> OpenSession() override { return sqlite::NewSession(path_, writer_); }

  std::unique_ptr<WriteBatch> BeginWriteBatch() override { return WithWriteRules(sqlite::NewBatchWriter(writer_)); }

  void InsertToken(const NewToken& token) override {
    auto lock = LockWriter(*writer_);
    std::int64_t project_id = 0;
    {
      auto& by_client =
          writer_->Prepared(writer_->project_by_client_id, "SELECT project_id FROM projects WHERE client_id = ?1");
      ScopedReset reset(by_client);
      by_client.BindText(1, token.client_id);
      if (!by_client.Step()) throw UsageError("no project with client id " + token.client_id);
      project_id = by_client.Int(0);
    }
    if (!UserExistsOn(*writer_, token.user_id)) throw UsageError("no user with id " + std::to_string(token.user_id));
    auto& insert = writer_->Prepared(writer_->insert_token,
                                     "INSERT INTO tokens (token_hash, user_id, project_id, scopes, expires_at) "
                                     "VALUES (?1, ?2, ?3, ?4, ?5)");
    ScopedReset reset(insert);
    insert.BindBlob(1, token.token_hash);
    insert.BindInt(2, token.user_id);
    insert.BindInt(3, project_id);
    insert.BindText(4, token.scopes);
    insert.BindInt(5, token.expires_at_unix);
    insert.Run();
  }

  bool RevokeToken(std::string_view token_hash) override {
    auto lock = LockWriter(*writer_);
    auto& update = writer_->Prepared(writer_->revoke_token, "UPDATE tokens SET revoked = 1 WHERE token_hash = ?1");
    ScopedReset reset(update);
    update.BindBlob(1, token_hash);
    update.Run();
    return writer_->connection.Changes() > 0;
  }

  std::unique_ptr<LifecycleTransaction> BeginLifecycle() override { return sqlite::NewLifecycleTransaction(writer_); }

  LedgerAudit AuditLedger() override { return sqlite::AuditLedgerOn(*writer_); }

  // On a reader connection of its own: one read transaction is one snapshot, and writers go on beside it (WAL).
  void ExportRecords(ExportSink& sink) override {
    sqlite::Connection reader(path_, sqlite::Connection::Role::kReader);
    reader.Execute("BEGIN");
    try {
      export_rows::ExportAll(
          [&](std::string_view sql, auto&& on_row) {
            sqlite::Statement statement(reader.Handle(), sql);
            while (statement.Step()) on_row(statement);
          },
          sink);
    } catch (...) {
      sqlite3_exec(reader.Handle(), "ROLLBACK", nullptr, nullptr, nullptr);
      throw;
    }
    reader.Execute("COMMIT");
  }

  bool IsEmpty() override {
    auto lock = LockWriter(*writer_);
    auto& query =
        writer_->Prepared(writer_->is_empty,
                          "SELECT NOT EXISTS (SELECT 1 FROM users) AND NOT EXISTS (SELECT 1 FROM user_groups) "
                          "AND NOT EXISTS (SELECT 1 FROM projects) AND NOT EXISTS (SELECT 1 FROM bookings)");
    ScopedReset reset(query);
    return query.Step() && query.Int(0) != 0;
  }

 private:
  std::string path_;
  std::shared_ptr<Writer> writer_;
};

}  // namespace

std::unique_ptr<Store> OpenSqliteStore(const std::string& path) {
  return sqlite::OpenFile(path, [](const std::string& absolute) -> std::unique_ptr<Store> {
    return std::make_unique<SqliteStore>(absolute);
  });
}

}  // namespace phonechat
