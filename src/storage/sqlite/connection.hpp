// One SQLite connection and its prepared statements, with failures mapped to StoreUnavailable or SqliteError.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "storage/open_errors.hpp"

namespace phonechat::sqlite {

// How long any connection waits for a lock before giving up with StoreUnavailable.
inline constexpr int kBusyTimeoutMs = 5000;

// A SQLite failure that is not transient; `Code()` is the extended result code.
class SqliteError : public std::runtime_error {
 public:
  // An error with SQLite's extended result `code` and a message for logs.
  SqliteError(int code, const std::string& message) : std::runtime_error(message), code_(code) {}
  // The extended result code (`Code() & 0xff` is the primary one).
  [[nodiscard]] int Code() const { return code_; }

 private:
  int code_;
};

// Throws StoreUnavailable for the codes that mean "not now" (busy, locked, I/O, cannot open, full),
// else SqliteError; `doing` says what was attempted. Messages are for logs, never for clients.
[[noreturn]] void ThrowError(sqlite3* db, int rc, std::string_view doing);

// What `error`, thrown while opening the file at `path`, means when SQLite's code says more than "cannot open"
// (the file is not a SQLite database); nullopt otherwise.
std::optional<std::string> OpenFailureLine(const std::string& path, const std::runtime_error& error);

// Returns make(the absolute form of `path`), so that connections opened later stay on the same file if the working
// directory changes. Every failure, a path without an absolute form included, becomes a UsageError naming `path`.
template <typename Make>
auto OpenFile(const std::string& path, Make&& make) -> decltype(make(path)) {
  return OpenOrUsageError(
      "database '" + path + "'", [&] { return make(std::filesystem::absolute(path).string()); },
      [&](const std::runtime_error& error) { return OpenFailureLine(path, error); });
}

// One prepared statement, prepared once and reused: bind, step, then Reset() (or let a ScopedReset do it).
class Statement {
 public:
  // Prepares `sql` (one statement) on `db` for repeated use; throws like ThrowError.
  Statement(sqlite3* db, std::string_view sql);
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // Binds a 64-bit integer to the 1-based parameter `index`.
  void BindInt(int index, std::int64_t value);
  // Binds text (copied by SQLite only when needed: the caller keeps `value` alive until Reset()).
  void BindText(int index, std::string_view value);
  // Binds raw bytes as a BLOB (same lifetime rule as BindText).
  void BindBlob(int index, std::string_view bytes);
  // Binds SQL NULL.
  void BindNull(int index);
  // Binds the text, or NULL when absent.
  void BindOptionalText(int index, const std::optional<std::string>& value);
  // Binds the integer, or NULL when absent.
  void BindOptionalInt(int index, std::optional<std::int64_t> value);

  // Advances; true when a row is ready, false when done. Throws on error.
  bool Step();
  // Steps a statement that returns no rows to completion.
  void Run();
  // Ends the current execution (releasing its read snapshot) and clears the bindings.
  void Reset() noexcept;

  // The integer in `column` of the current row (0 for NULL).
  [[nodiscard]] std::int64_t Int(int column) const;
  // The flag (0 or 1) in `column` of the current row.
  [[nodiscard]] bool Bool(int column) const { return Int(column) != 0; }
  // True when `column` of the current row is NULL.
  [[nodiscard]] bool IsNull(int column) const;
  // The text in `column`, valid until the next Step() or Reset().
  [[nodiscard]] std::string_view Text(int column) const;
  // The text in `column`, copied, or nullopt for NULL.
  [[nodiscard]] std::optional<std::string> OptionalText(int column) const;
  // The integer in `column`, or nullopt for NULL.
  [[nodiscard]] std::optional<std::int64_t> OptionalInt(int column) const;

  // The SQLite handle, for the rare call this wrapper does not cover.
  [[nodiscard]] sqlite3_stmt* Handle() const { return stmt_; }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

// Resets a statement when the scope ends, so that no execution (nor its read snapshot) outlives a call.
class ScopedReset {
 public:
  // Resets `statement` on destruction.
  explicit ScopedReset(Statement& statement) : statement_(statement) {}
  ~ScopedReset() { statement_.Reset(); }
  ScopedReset(const ScopedReset&) = delete;
  ScopedReset& operator=(const ScopedReset&) = delete;

 private:
  Statement& statement_;
};

// One SQLite connection, configured for this program (WAL, foreign keys, busy timeout). Used by one
// thread at a time (opened without SQLite's own mutex: callers serialise).
class Connection {
 public:
  enum class Role {
    kWriter,  // may create the file; the one connection that writes
    kReader,  // an existing file, query_only: a serving thread's reads
  };

  // Opens `path` and applies the connection settings; throws like ThrowError (a file that is not a
  // database gives SqliteError with SQLITE_NOTADB: the caller names the file to the user).
  Connection(const std::string& path, Role role);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs one or more statements that return nothing (DDL, BEGIN, COMMIT).
  void Execute(const char* sql);
  // Runs a statement returning one integer in its first row (0 when no row).
  std::int64_t QueryInt(std::string_view sql);
  // Rows changed by the last INSERT, UPDATE or DELETE.
  [[nodiscard]] std::int64_t Changes() const;
  // The raw handle.
  [[nodiscard]] sqlite3* Handle() const { return db_; }

 private:
  sqlite3* db_ = nullptr;
};

}  // namespace phonechat::sqlite
