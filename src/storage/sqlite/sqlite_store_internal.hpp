// The SQLite store's private parts shared by its three files: the one writer connection, and how the store opens
// a read session (sqlite_session.cpp) and an import write batch (sqlite_write_batch.cpp) on it.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "storage/lifecycle_store.hpp"
#include "storage/sqlite/connection.hpp"
#include "storage/store.hpp"
#include "storage/write_batch_rules.hpp"

namespace phonechat::sqlite {

// The statement in `slot`, prepared on first use and kept for the connection's life.
inline Statement& Cached(std::unique_ptr<Statement>& slot, sqlite3* db, std::string_view sql) {
  if (!slot) slot = std::make_unique<Statement>(db, sql);
  return *slot;
}

// The one connection that writes, shared by the store, its sessions (audit) and its write batches.
// SQLite admits one writer at a time anyway; serialising here keeps the waiting inside this process.
struct Writer {
  explicit Writer(const std::string& path) : connection(path, Connection::Role::kWriter) {}

  std::timed_mutex mutex;
  Connection connection;

  std::unique_ptr<Statement> insert_audit;
  std::unique_ptr<Statement> project_by_client_id;
  std::unique_ptr<Statement> user_exists;
  std::unique_ptr<Statement> insert_token;
  std::unique_ptr<Statement> revoke_token;
  std::unique_ptr<Statement> is_empty;
  std::unique_ptr<Statement> upsert_user;
  std::unique_ptr<Statement> group_exists;
  std::unique_ptr<Statement> group_of_member;
  std::unique_ptr<Statement> delete_group_members;
  std::unique_ptr<Statement> upsert_group;
  std::unique_ptr<Statement> insert_group_member;
  std::unique_ptr<Statement> project_by_api_key;
  std::unique_ptr<Statement> upsert_project;
  std::unique_ptr<Statement> user_nickname;
  std::unique_ptr<Statement> upsert_booking;
  std::unique_ptr<Statement> insert_booking;
  std::unique_ptr<Statement> insert_credit;
  std::unique_ptr<Statement> insert_import_payment;
  std::unique_ptr<Statement> import_payment_exists;

  // The life-cycle transactions' statements, by their SQL.
  std::unordered_map<std::string, std::unique_ptr<Statement>> by_sql;

  Statement& Prepared(std::unique_ptr<Statement>& slot, std::string_view sql) {
    return Cached(slot, connection.Handle(), sql);
  }

  // The statement for `sql`, prepared on first use.
  Statement& PreparedSql(std::string_view sql) { return Prepared(by_sql[std::string(sql)], sql); }
};

// One booking with both parties' profiles: ?1 the booking ID; columns as booking_row::kBothPartiesColumns.
std::string_view FindBookingSql();

// One user's profile and settings: ?1 the user ID; columns as ReadUser reads them.
std::string_view FindUserSql();

// The user in the current row of FindUserSql's statement.
UserWithSettings ReadUser(const Statement& row);

// Waits for the writer as long as SQLite would wait for a lock, then throws StoreUnavailable.
std::unique_lock<std::timed_mutex> LockWriter(Writer& writer);

// A read session on its own reader connection of the file at `path`; its audit entries go through `writer`.
std::unique_ptr<StoreSession> NewSession(const std::string& path, std::shared_ptr<Writer> writer);

// The lookups and writes of one import batch, holding `writer` and SQLite's write lock until destroyed.
std::unique_ptr<BatchWriter> NewBatchWriter(std::shared_ptr<Writer> writer);

// A life-cycle transaction holding `writer` and SQLite's write lock (BEGIN IMMEDIATE) until destroyed.
std::unique_ptr<LifecycleTransaction> NewLifecycleTransaction(std::shared_ptr<Writer> writer);

// The ledger summary for `ledger verify`, read on `writer` in one read transaction.
LedgerAudit AuditLedgerOn(Writer& writer);

}  // namespace phonechat::sqlite
