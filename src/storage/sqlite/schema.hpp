// The SQLite schema: its migration to the current version and its nickname folding in SQL.
#pragma once

#include <string>
#include <string_view>

#include "storage/sqlite/connection.hpp"
#include "storage/store.hpp"

namespace phonechat::sqlite {

// The schema version this program creates and understands (kept in `PRAGMA user_version`).
inline constexpr int kSchemaVersion = kStoreSchemaVersion;

// Brings the database on `writer` to `target_version` (kSchemaVersion but in tests of migrations) in one
// transaction. Throws UsageError naming `path` when the database is newer than this program or holds tables but no
// version (not ours).
void MigrateSchema(Connection& writer, const std::string& path, int target_version = kSchemaVersion);

// SQL that folds the text `operand` like FoldNickname (ASCII A-Z to lower case, every other byte kept),
// whatever the SQLite build: the built-in lower() folds more than ASCII when ICU is loaded.
std::string FoldNicknameSql(std::string_view operand);

}  // namespace phonechat::sqlite
