// The PostgreSQL schema: its migration to kStoreSchemaVersion and its nickname folding in SQL.
#pragma once

#include <string>
#include <string_view>

#include "storage/postgres/pg_connection.hpp"
#include "storage/store.hpp"

namespace phonechat {

// Brings the database on `connection` to kStoreSchemaVersion in one transaction, under an advisory lock so that
// processes starting at once migrate it once. Throws UsageError when the database is newer than this program, holds
// tables but no schema version (not ours), or is not encoded in UTF8. `target_version` below the current one is for
// tests of the migrations only.
void MigratePostgres(pg::Connection& connection, int target_version = kStoreSchemaVersion);

// The schema version of the database on `connection`: 0 when it has none yet.
int PostgresSchemaVersion(pg::Connection& connection);

}  // namespace phonechat

namespace phonechat::pg {

// SQL that folds the text `operand` like FoldNickname (ASCII A-Z to lower case, every other character kept). The
// expression indexes on users' nicknames and e-mail addresses are built on exactly this expression.
std::string FoldNicknameSql(std::string_view operand);

// The number of hash partitions of `bookings` (by client_user_id).
inline constexpr int kBookingPartitions = 16;

}  // namespace phonechat::pg
