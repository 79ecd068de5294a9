// One libpq connection: prepared statements, pipelines, COPY and transactions, waiting through the IoWaiter.
#pragma once

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.hpp"
#include "core/io_wait.hpp"
#include "storage/open_errors.hpp"

struct pg_conn;
struct pg_result;

namespace phonechat::pg {

// One statement parameter, sent in text format unless `binary` (bytea values: raw bytes); nullopt is SQL NULL.
struct Param {
  std::optional<std::string_view> value;
  bool binary = false;

  // A text parameter.
  static Param Text(std::string_view text) { return Param{text, false}; }
  // A bytea parameter holding `bytes` as they are.
  static Param Bytes(std::string_view bytes) { return Param{bytes, true}; }
  // SQL NULL.
  static Param Null() { return Param{std::nullopt, false}; }
};

// Keeps the decimal text of an integer alive for the duration of a call that takes Params.
class IntText {
 public:
  explicit IntText(std::int64_t value);
  // The parameter naming the integer.
  [[nodiscard]] Param AsParam() const { return Param::Text(std::string_view(text_, size_)); }

 private:
  char text_[24];
  std::size_t size_ = 0;
};

// A query's result rows (text format, except bytea columns fetched with Bytes()). Move-only; frees the result.
class Rows {
 public:
  explicit Rows(pg_result* result);
  Rows(Rows&& other) noexcept;
  Rows& operator=(Rows&& other) noexcept;
  Rows(const Rows&) = delete;
  Rows& operator=(const Rows&) = delete;
  ~Rows();

  // Number of rows.
  [[nodiscard]] int Count() const;
  // Rows changed by an INSERT/UPDATE/DELETE.
  [[nodiscard]] std::int64_t Affected() const;
  // True when the field is SQL NULL.
  [[nodiscard]] bool IsNull(int row, int column) const;
  // The field's text (empty for NULL); valid while this object lives.
  [[nodiscard]] std::string_view Text(int row, int column) const;
  // The field as an integer (0 for NULL); throws std::runtime_error when it is not one.
  [[nodiscard]] std::int64_t Int(int row, int column) const;
  // The field as a boolean (`t`/`f`).
  [[nodiscard]] bool Bool(int row, int column) const;
  // A bytea field decoded from its text (hex) form to raw bytes.
  [[nodiscard]] std::string Bytes(int row, int column) const;

 private:
  pg_result* result_;
};

// One row of a result, read by column alone (as booking_row::Read and export_rows read rows).
struct RowOf {
  const Rows& rows;
  int row;

  [[nodiscard]] std::int64_t Int(int column) const { return rows.Int(row, column); }
  [[nodiscard]] bool IsNull(int column) const { return rows.IsNull(row, column); }
  [[nodiscard]] std::string_view Text(int column) const { return rows.Text(row, column); }
  [[nodiscard]] bool Bool(int column) const { return rows.Bool(row, column); }
};

// One prepared statement of a pipeline: its name, its SQL (prepared on first use) and its parameters.
struct PipelinedStatement {
  std::string_view name;
  std::string_view sql;
  std::vector<Param> params;
};

// How a connection waits for the server.
enum class Waiting {
  kBlocking,     // in poll(), holding the calling thread: for threads that may block and for locks held across calls
  kSuspendable,  // through the calling thread's IoWaiter when one is installed (the coroutine suspends), else poll()
};

// One libpq connection, used by one thread (or one coroutine) at a time. Every failure of the server to answer
// (connection lost, statement_timeout, no answer at all within the statement timeout plus 2 s, server shutting down)
// throws StoreUnavailable and marks the connection broken; the next call reconnects first. An SQL error (constraint,
// syntax) throws SqlError.
class Connection {
 public:
  // Connects to `uri` (a libpq connection URI): connect_timeout 5 s unless the URI sets one, TCP keepalives,
  // statement_timeout `statement_timeout_ms` (0: none) unless the URI's options set one, UTF8 client encoding.
  // A kSuspendable connection is in libpq's non-blocking mode, and connects and reconnects without blocking when a
  // waiter is installed (then connect_timeout bounds the whole attempt). Throws UsageError naming the server and
  // libpq's reason (never the password) when it cannot connect or the URI is malformed.
  Connection(const std::string& uri, int statement_timeout_ms = 5000, Waiting waiting = Waiting::kBlocking);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs one or more statements without parameters (DDL, BEGIN/COMMIT); returns the last result.
  Rows Exec(std::string_view sql);
  // Runs one statement with parameters ($1, $2, ...).
  Rows Exec(std::string_view sql, std::initializer_list<Param> params);
  Rows Exec(std::string_view sql, const std::vector<Param>& params);
  // Runs a statement prepared once per connection under `name` (prepared on first use, again after a reconnect).
  Rows ExecPrepared(std::string_view name, std::string_view sql, std::initializer_list<Param> params);
  Rows ExecPrepared(std::string_view name, std::string_view sql, const std::vector<Param>& params);

  // Runs prepared statements (prepared as ExecPrepared does) in one round trip, in pipeline mode; their results
  // in order. Any failure leaves the connection to be reconnected on the next call.
  std::vector<Rows> ExecPreparedPipeline(const std::vector<PipelinedStatement>& statements);

  // Starts `COPY ... FROM STDIN`; then CopyData any number of times and EndCopy (throws SqlError for bad data).
  // A kBlocking connection only (std::logic_error otherwise).
  void BeginCopy(std::string_view copy_sql);
  // Sends a chunk of COPY data (buffered; flushed as libpq sees fit).
  void CopyData(std::string_view data);
  // Ends the COPY and returns its result.
  Rows EndCopy();

  // The URI with any password replaced by `***`, for messages.
  [[nodiscard]] const std::string& DisplayName() const { return display_name_; }
  // The raw handle, for what this class does not wrap.
  [[nodiscard]] pg_conn* Handle() { return connection_; }

 private:
  void EnsureConnected();
  // Connects (or, when `reset`, reconnects connection_) with PQconnectPoll through the current waiter; the reason
  // when the attempt failed or connect_timeout passed, nullopt when connected.
  std::optional<std::string> ConnectWithoutBlocking(const char* const* keywords, const char* const* values, bool reset);
  // What follows every (re)connection: the notice processor, and non-blocking mode for a kSuspendable connection.
  void AfterConnect();
  // Prepares `sql` as `name` on this connection unless it already is.
  void Prepare(std::string_view name, std::string_view sql);
  // When a reply must have come: now plus the statement timeout plus kClientDeadlineMarginMs.
  [[nodiscard]] std::chrono::steady_clock::time_point Deadline() const;
  // Sends what libpq has buffered; false when the connection failed.
  bool Flush(std::chrono::steady_clock::time_point deadline, bool bounded, std::string_view what);
  // Waits for and takes the next result (nullptr at the end of a command's results); false when the connection failed.
  bool NextResult(std::chrono::steady_clock::time_point deadline, bool bounded, std::string_view what,
                  pg_result*& result);
  // The result of the command just sent (`sent` false: none), waiting at most the statement timeout plus
  // kClientDeadlineMarginMs (without limit when the timeout is 0); nullptr when the connection failed.
  pg_result* AwaitResult(bool sent, std::string_view what);
  // Waits until the socket is ready for `events` (suspending through the current IoWaiter when kSuspendable);
  // throws StoreUnavailable at `deadline` when `bounded`.
  void AwaitSocket(IoEvent events, std::chrono::steady_clock::time_point deadline, bool bounded, std::string_view what);
  Rows Check(pg_result* result, std::string_view what);

  static constexpr int kClientDeadlineMarginMs = 2000;

  std::string uri_;
  std::string display_name_;
  int statement_timeout_ms_;
  Waiting waiting_;
  std::chrono::milliseconds connect_timeout_{5000};
  pg_conn* connection_ = nullptr;
  bool broken_ = false;
  std::vector<std::string> prepared_;
};

// An SQL error from the server, with its SQLSTATE (e.g. `23505` unique violation).
class SqlError : public std::runtime_error {
 public:
  SqlError(const std::string& message, std::string sqlstate)
      : std::runtime_error(message), sqlstate_(std::move(sqlstate)) {}
  // The five-character SQLSTATE.
  [[nodiscard]] const std::string& SqlState() const { return sqlstate_; }

 private:
  std::string sqlstate_;
};

// The server aborted the transaction to resolve a conflict with another one (SQLSTATE 40001 serialization_failure or
// 40P01 deadlock_detected): still StoreUnavailable for callers that only retry later, but a transaction that can be
// run again at once tells it apart.
class ConflictAbort : public StoreUnavailable {
 public:
  using StoreUnavailable::StoreUnavailable;
};

// BEGIN on construction; ROLLBACK on destruction unless Commit() ran.
class Transaction {
 public:
  explicit Transaction(Connection& connection);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  // COMMIT.
  void Commit();

 private:
  Connection& connection_;
  bool done_ = false;
};

// Masks the password of a libpq URI (`postgresql://user:***@host/db`); other text is returned as it is.
std::string MaskPassword(std::string_view uri);

// Returns what `open` returns; every failure becomes a UsageError naming `kind` ("database", "read replica") at
// `uri`, password masked. A StoreUnavailable keeps its own line: it names the server so already.
template <typename Open>
auto OpenDatabase(std::string_view kind, const std::string& uri, Open&& open) -> decltype(open()) {
  return OpenOrUsageError(std::string(kind) + " '" + MaskPassword(uri) + "'", std::forward<Open>(open),
                          [](const std::runtime_error& error) -> std::optional<std::string> {
                            if (dynamic_cast<const StoreUnavailable*>(&error) == nullptr) return std::nullopt;
                            return error.what();
                          });
}

}  // namespace phonechat::pg
