// The PostgreSQL store's private parts shared by its three files: the statements they share, and how the store opens
// a read session (pg_session.cpp) and an import write batch (pg_write_batch.cpp), each on a connection of its own.
#pragma once

#include <memory>
#include <string>
#include <string_view>

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

}  // namespace phonechat::pg
