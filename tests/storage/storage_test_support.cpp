#include "storage_test_support.hpp"

#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdlib.h>  // NOLINT(modernize-deprecated-headers): mkdtemp is POSIX

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <random>
#include <stdexcept>
#include <string>
#include <utility>

#include "storage/postgres/pg_connection.hpp"
#include "storage/postgres/pg_schema.hpp"
#include "storage/sqlite/connection.hpp"
#include "storage/sqlite/schema.hpp"

namespace phonechat::testing {

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "phonechat-storage-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

TempDir::~TempDir() {
  for (auto it = cleanups_.rbegin(); it != cleanups_.rend(); ++it) {
    try {
      (*it)();
    } catch (const std::exception& e) {
      std::cerr << "test cleanup failed: " << e.what() << '\n';
    }
  }
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

void TempDir::AtCleanup(std::function<void()> cleanup) { cleanups_.push_back(std::move(cleanup)); }

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

void ExecSqlite(const std::string& location, const std::string& sql) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(SqlitePath(location).c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
    sqlite3_close(db);
    throw std::runtime_error("cannot open " + location);
  }
  sqlite3_busy_timeout(db, 5000);
  char* error = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
  const std::string message = error != nullptr ? error : "";
  sqlite3_free(error);
  sqlite3_close(db);
  if (rc != SQLITE_OK) throw std::runtime_error(sql + ": " + message);
}

void CreateSqliteVersion3(const std::string& location) {
  sqlite::Connection writer(SqlitePath(location), sqlite::Connection::Role::kWriter);
  sqlite::MigrateSchema(writer, SqlitePath(location), 3);
}

// A libpq connection closed on destruction. Messages carry libpq's reason, never the URL (it may hold a password).
class PgAdmin {
 public:
  explicit PgAdmin(const std::string& url) : conn_(PQconnectdb(url.c_str())) {
    if (PQstatus(conn_) != CONNECTION_OK) {
      const std::string reason = conn_ != nullptr ? PQerrorMessage(conn_) : "out of memory";
      PQfinish(conn_);
      throw std::runtime_error("cannot connect to the test PostgreSQL server: " + reason);
    }
  }
  ~PgAdmin() { PQfinish(conn_); }
  PgAdmin(const PgAdmin&) = delete;
  PgAdmin& operator=(const PgAdmin&) = delete;

  // Runs one statement; returns its rows as text (NULL as ""). Throws on any error.
  std::vector<std::vector<std::string>> Exec(const std::string& sql) {
    PGresult* result = PQexec(conn_, sql.c_str());
    const auto status = PQresultStatus(result);
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
      const std::string reason = PQresultErrorMessage(result);
      PQclear(result);
      throw std::runtime_error(sql + ": " + reason);
    }
    std::vector<std::vector<std::string>> rows;
    for (int row = 0; row < PQntuples(result); ++row) {
      auto& values = rows.emplace_back();
      for (int column = 0; column < PQnfields(result); ++column) values.emplace_back(PQgetvalue(result, row, column));
    }
    PQclear(result);
    return rows;
  }

 private:
  PGconn* conn_;
};

// The server URL with `database` in place of its database name; host, port, user and parameters are kept.
std::string WithDatabase(const std::string& server_url, const std::string& database) {
  const auto scheme_end = server_url.find("://");
  if (scheme_end == std::string::npos) throw std::runtime_error("PHONECHAT_TEST_PG_URL is not a postgresql:// URL");
  const auto path_start = server_url.find_first_of("/?", scheme_end + 3);
  std::string query;
  if (path_start != std::string::npos) {
    const auto query_start = server_url.find('?', path_start);
    if (query_start != std::string::npos) query = server_url.substr(query_start);
  }
  return server_url.substr(0, path_start) + "/" + database + query;
}

std::string RandomHex() {
  std::random_device device;
  std::uniform_int_distribution<std::uint64_t> draw;
  constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  for (int word = 0; word < 2; ++word) {
    auto value = draw(device);
    for (int digit = 0; digit < 16; ++digit, value >>= 4) hex += kDigits[value & 0xF];
  }
  return hex;
}

std::vector<AuditEntry> ReadPostgresAudit(const std::string& location) {
  PgAdmin db(location);
  std::vector<AuditEntry> entries;
  for (const auto& row :
       db.Exec("SELECT manager_user_id, member_user_id, route, at, outcome FROM audit_log ORDER BY audit_id")) {
    AuditEntry entry;
    entry.manager_user_id = static_cast<UserId>(std::stoll(row[0]));
    entry.member_user_id = static_cast<UserId>(std::stoll(row[1]));
    entry.route = row[2];
    entry.at = LocalDateTime{std::stoll(row[3])};
    entry.outcome = row[4];
    entries.push_back(entry);
  }
  return entries;
}

void ExecPostgres(const std::string& location, const std::string& sql) { PgAdmin(location).Exec(sql); }

void CreatePostgresVersion3(const std::string& location) {
  pg::Connection connection(location, 0);
  MigratePostgres(connection, 3);
}

}  // namespace

std::string TestPostgresServerUrl() {
  const char* url = std::getenv("PHONECHAT_TEST_PG_URL");
  return url != nullptr ? url : "";
}

std::string CreateTestPostgresDatabase(TempDir& dir) {
  const std::string server = TestPostgresServerUrl();
  if (server.empty()) throw std::runtime_error("PHONECHAT_TEST_PG_URL is not set");
  const std::string name = "pc_test_" + RandomHex();
  PgAdmin(server).Exec("CREATE DATABASE " + name);
  dir.AtCleanup([server, name] { PgAdmin(server).Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)"); });
  return WithDatabase(server, name);
}

std::vector<Backend> AllBackends() {
  std::vector<Backend> backends{
      Backend{"Sqlite", [](TempDir& dir) { return "sqlite://" + dir.File("contract.db"); },
              [](const std::string& location) { return OpenStore(location); }, ReadSqliteAudit, ExecSqlite,
              CreateSqliteVersion3},
  };
  if (!TestPostgresServerUrl().empty()) {
    backends.push_back(Backend{"Postgres", CreateTestPostgresDatabase,
                               [](const std::string& location) { return OpenStore(location); }, ReadPostgresAudit,
                               ExecPostgres, CreatePostgresVersion3});
  }
  return backends;
}

std::vector<BookingOrder> AllOrders() {
  std::vector<BookingOrder> orders;
  for (const auto& [name, order] : kBookingOrderNames) orders.push_back(order);
  return orders;
}

}  // namespace phonechat::testing
