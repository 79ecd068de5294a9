// The PostgreSQL store's private parts shared by its three files: the statements they share, and how the store opens
// a read session (pg_session.cpp) and an import write batch (pg_write_batch.cpp), each on a connection of its own.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "storage/lifecycle_store.hpp"
#include "storage/postgres/pg_connection.hpp"
#include "storage/store.hpp"
#include "storage/write_batch_rules.hpp"

namespace phonechat::pg {

// Every request's statement gives up after this long, so that a stuck database cannot hold a request forever.
inline constexpr int kStatementTimeoutMs = 5000;

// A statement prepared once per connection under its name.
struct Sql {
  const char* name;
  const char* text;
};

// The two lookups both the store's token writes and a write batch make.
inline constexpr Sql kProjectByClientId{"store_project_by_client_id",
                                        "SELECT project_id FROM projects WHERE client_id = $1"};
inline constexpr Sql kUserExists{"store_user_exists", "SELECT 1 FROM users WHERE user_id = $1"};
// The group checks and the audit entry, as a session and a life-cycle transaction make them.
inline constexpr Sql kIsManager{"store_is_manager", "SELECT 1 FROM user_groups WHERE manager_user_id = $1 LIMIT 1"};
inline constexpr Sql kIsMember{"store_is_member",
                               "SELECT 1 FROM group_members AS m JOIN user_groups AS g ON g.group_id = m.group_id "
                               "WHERE m.user_id = $2 AND g.manager_user_id = $1"};
inline constexpr Sql kInsertAudit{"store_insert_audit",
                                  "INSERT INTO audit_log (manager_user_id, member_user_id, route, at, outcome) "
                                  "VALUES ($1, $2, $3, $4, $5)"};

// Taken exclusively by every import write batch for its whole transaction (pg_advisory_xact_lock), across processes:
// booking IDs are unique across clients but no constraint can say so on a table partitioned by client, so imports
// check them one at a time, and a life-cycle insert (which takes the lock shared) never overlaps one.
inline constexpr std::int64_t kImportLockKey = 0x7063'5F69'6D70'6F72LL;

// `text` as a text parameter.
inline Param Text(std::string_view text) { return Param::Text(text); }

// Connects for a session or batch after start-up: the store opened fine, so a failure now is an outage
// (StoreUnavailable).
std::unique_ptr<Connection> ConnectNow(const std::string& uri, int statement_timeout_ms,
                                       Waiting waiting = Waiting::kBlocking);

// A read session on a connection of its own to `uri`, made at once if the server answers, else at its first call.
std::unique_ptr<StoreSession> NewSession(std::string uri);

// The lookups and writes of one import batch: one transaction on a connection of its own, under the import lock.
std::unique_ptr<BatchWriter> NewBatchWriter(const std::string& uri);

// The connections of life-cycle transactions: blocking ones to the primary, opened when none is idle, and kept for
// the next transaction after one that ended cleanly (at most a few idle). Thread-safe.
class LifecycleConnections {
 public:
  explicit LifecycleConnections(std::string uri) : uri_(std::move(uri)) {}
  // An idle connection, or a new one (throws StoreUnavailable when the server cannot be reached).
  std::unique_ptr<Connection> Take();
  // Keeps `connection` (healthy, outside any transaction) for a later Take.
  void Give(std::unique_ptr<Connection> connection);

 private:
  static constexpr std::size_t kMaxIdle = 4;
  std::string uri_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<Connection>> idle_;
};

// A life-cycle transaction (lifecycle_store.hpp) on a connection of `connections`, READ COMMITTED with row locks.
std::unique_ptr<LifecycleTransaction> BeginLifecycle(const std::shared_ptr<LifecycleConnections>& connections);

// The ledger's summary for `ledger verify`, read in one snapshot on a connection of `connections`.
LedgerAudit AuditLedger(LifecycleConnections& connections);

}  // namespace phonechat::pg
