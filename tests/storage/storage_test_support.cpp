#include "storage_test_support.hpp"

#include <sqlite3.h>
#include <stdlib.h>  // NOLINT(modernize-deprecated-headers): mkdtemp is POSIX

#include <filesystem>
#include <stdexcept>
#include <string>

namespace phonechat::testing {

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "phonechat-storage-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

namespace {

std::string SqlitePath(const std::string& location) {
  const std::string prefix = "sqlite://";
  return location.rfind(prefix, 0) == 0 ? location.substr(prefix.size()) : location;
}

std::vector<AuditEntry> ReadSqliteAudit(const std::string& location) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(SqlitePath(location).c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    sqlite3_close(db);
    throw std::runtime_error("cannot open " + location);
  }
  sqlite3_stmt* statement = nullptr;
  sqlite3_prepare_v2(db, "SELECT manager_user_id, member_user_id, route, at, outcome FROM audit_log ORDER BY audit_id",
                     -1, &statement, nullptr);
  std::vector<AuditEntry> entries;
  while (sqlite3_step(statement) == SQLITE_ROW) {
    AuditEntry entry;
    entry.manager_user_id = sqlite3_column_int(statement, 0);
    entry.member_user_id = sqlite3_column_int(statement, 1);
    entry.route = reinterpret_cast<const char*>(sqlite3_column_text(statement, 2));
    entry.at = LocalDateTime{sqlite3_column_int64(statement, 3)};
    entry.outcome = reinterpret_cast<const char*>(sqlite3_column_text(statement, 4));
    entries.push_back(entry);
  }
  sqlite3_finalize(statement);
  sqlite3_close(db);
  return entries;
}

}  // namespace

std::vector<Backend> AllBackends() {
  return {
      Backend{"Sqlite", [](const TempDir& dir) { return "sqlite://" + dir.File("contract.db"); },
              [](const std::string& location) { return OpenStore(location); }, ReadSqliteAudit},
  };
}

}  // namespace phonechat::testing
