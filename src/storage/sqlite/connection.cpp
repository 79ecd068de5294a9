// The SQLite connection: opening in WAL mode, statements, binding and stepping, and error mapping.

#include "storage/sqlite/connection.hpp"

#include <string>

#include "core/error.hpp"

namespace phonechat::sqlite {

void ThrowError(sqlite3* db, int rc, std::string_view doing) {
  std::string message(doing);
  message += ": ";
  message += (db != nullptr && sqlite3_errcode(db) == rc) ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  switch (rc & 0xff) {
    // The database cannot answer now, but may a moment later: the API answers 503, not 500.
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_FULL:
    case SQLITE_PROTOCOL:
      throw StoreUnavailable(message);
    default:
      throw SqliteError(rc, message);
  }
}

std::optional<std::string> OpenFailureLine(const std::string& path, const std::runtime_error& error) {
  const auto* sqlite_error = dynamic_cast<const SqliteError*>(&error);
  if (sqlite_error != nullptr && (sqlite_error->Code() & 0xff) == SQLITE_NOTADB) {
    return "'" + path + "' is not a SQLite database";
  }
  return std::nullopt;
}

Statement::Statement(sqlite3* db, std::string_view sql) : db_(db) {
  const int rc =
      sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &stmt_, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(stmt_);
    stmt_ = nullptr;
    ThrowError(db, rc, "preparing a statement");
  }
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

void Statement::BindInt(int index, std::int64_t value) {
  if (const int rc = sqlite3_bind_int64(stmt_, index, value); rc != SQLITE_OK) ThrowError(db_, rc, "binding");
}

void Statement::BindText(int index, std::string_view value) {
  // SQLITE_STATIC: the caller's buffer outlives the execution (the statement is reset before returning).
  const int rc = sqlite3_bind_text64(stmt_, index, value.data(), value.size(), SQLITE_STATIC, SQLITE_UTF8);
  if (rc != SQLITE_OK) ThrowError(db_, rc, "binding");
}

void Statement::BindBlob(int index, std::string_view bytes) {
  const int rc = sqlite3_bind_blob64(stmt_, index, bytes.data(), bytes.size(), SQLITE_STATIC);
  if (rc != SQLITE_OK) ThrowError(db_, rc, "binding");
}

void Statement::BindNull(int index) {
  if (const int rc = sqlite3_bind_null(stmt_, index); rc != SQLITE_OK) ThrowError(db_, rc, "binding");
}

void Statement::BindOptionalText(int index, const std::optional<std::string>& value) {
  if (value) {
    BindText(index, *value);
  } else {
    BindNull(index);
  }
}

void Statement::BindOptionalInt(int index, std::optional<std::int64_t> value) {
  if (value) {
    BindInt(index, *value);
  } else {
    BindNull(index);
  }
}

bool Statement::Step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  ThrowError(db_, rc, "running a statement");
}

void Statement::Run() {
  while (Step()) {
  }
}

void Statement::Reset() noexcept {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

std::int64_t Statement::Int(int column) const { return sqlite3_column_int64(stmt_, column); }

bool Statement::IsNull(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }

std::string_view Statement::Text(int column) const {
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
  if (text == nullptr) return {};
  return {text, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column))};
}

std::optional<std::string> Statement::OptionalText(int column) const {
  if (IsNull(column)) return std::nullopt;
  return std::string(Text(column));
}

std::optional<std::int64_t> Statement::OptionalInt(int column) const {
  if (IsNull(column)) return std::nullopt;
  return Int(column);
}

Connection::Connection(const std::string& path, Role role) {
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
  if (role == Role::kWriter) flags |= SQLITE_OPEN_CREATE;
  const int rc = sqlite3_open_v2(path.c_str(), &db_, flags, nullptr);
  if (rc != SQLITE_OK) {
    // The handle holds the message; read it before closing.
    try {
      ThrowError(db_, rc, "opening the database");
    } catch (...) {
      sqlite3_close_v2(db_);
      db_ = nullptr;
      throw;
    }
  }
  try {
    sqlite3_busy_timeout(db_, kBusyTimeoutMs);
    // The first statement reads the file header: a file that is not a database fails here with NOTADB.
    if (role == Role::kWriter) {
      Execute("PRAGMA journal_mode = WAL");
      // NORMAL in WAL mode: a commit survives a crash of this process; only a power loss may undo the last ones.
      Execute("PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON");
    } else {
      Execute("PRAGMA foreign_keys = ON; PRAGMA query_only = ON");
      // Sessions read the page queries over and over: a larger cache pays off. No memory mapping: in WAL mode each
      // commit of another connection makes a reader unmap its whole mapping and fault it back in, page by page.
      Execute("PRAGMA cache_size = -16384; PRAGMA mmap_size = 0");
    }
  } catch (...) {
    sqlite3_close_v2(db_);
    db_ = nullptr;
    throw;
  }
}

Connection::~Connection() { sqlite3_close_v2(db_); }

void Connection::Execute(const char* sql) {
  char* error = nullptr;
  const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &error);
  sqlite3_free(error);  // the handle keeps the same message for ThrowError
  if (rc != SQLITE_OK) ThrowError(db_, rc, "executing a statement");
}

std::int64_t Connection::QueryInt(std::string_view sql) {
  Statement statement(db_, sql);
  return statement.Step() ? statement.Int(0) : 0;
}

std::int64_t Connection::Changes() const { return sqlite3_changes64(db_); }

}  // namespace phonechat::sqlite
