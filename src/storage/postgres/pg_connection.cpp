// The libpq connection: connecting, results, errors mapped to StoreUnavailable, non-blocking waits.

#include "storage/postgres/pg_connection.hpp"

#include <libpq-fe.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <climits>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <utility>

#include "core/error.hpp"
#include "core/io_wait.hpp"
#include "core/process_counters.hpp"

namespace phonechat::pg {

namespace {

// The first line of a libpq message, without trailing white space: every message we pass on is one line.
std::string FirstLine(const char* text) {
  if (text == nullptr) return {};
  std::string_view view(text);
  view = view.substr(0, view.find('\n'));
  while (!view.empty() && (view.back() == ' ' || view.back() == '\t' || view.back() == '\r')) view.remove_suffix(1);
  return std::string(view);
}

// The server's messages carry nothing this program acts on (e.g. "relation already exists, skipping").
void IgnoreNotice(void* /*arg*/, const char* /*message*/) {}

struct ConninfoDeleter {
  void operator()(PQconninfoOption* options) const { PQconninfoFree(options); }
};
using ConninfoOptions = std::unique_ptr<PQconninfoOption, ConninfoDeleter>;

// libpq's own parse of `uri`: a malformed one is refused before any network traffic.
ConninfoOptions ParseConninfo(const std::string& uri) {
  char* error = nullptr;
  ConninfoOptions options(PQconninfoParse(uri.c_str(), &error));
  if (!options) {
    const std::string reason = error != nullptr ? FirstLine(error) : "out of memory";
    if (error != nullptr) PQfreemem(error);
    throw UsageError("database URL '" + MaskPassword(uri) + "' is not a valid PostgreSQL URI: " + reason);
  }
  return options;
}

// The value `uri` gives for `keyword`, if any.
std::optional<std::string> OptionValue(const PQconninfoOption* options, std::string_view keyword) {
  for (const auto* option = options; option->keyword != nullptr; ++option) {
    if (keyword == option->keyword && option->val != nullptr && option->val[0] != '\0') return option->val;
  }
  return std::nullopt;
}

// SQLSTATEs after which the server cannot answer now but may later: the caller gets StoreUnavailable.
bool IsUnavailable(std::string_view sqlstate) {
  return sqlstate.substr(0, 2) == "08" ||   // connection exception
         sqlstate.substr(0, 2) == "53" ||   // insufficient resources (too many connections, disk full)
         sqlstate.substr(0, 3) == "57P" ||  // admin/crash shutdown, cannot connect now
         sqlstate == "57014" ||             // query_canceled: statement_timeout
         sqlstate == "55P03" ||             // lock_not_available: lock_timeout
         sqlstate == "40001" ||             // serialization_failure
         sqlstate == "40P01";               // deadlock_detected
}

// SQLSTATEs after which the session is gone even if libpq has not noticed yet.
bool EndsSession(std::string_view sqlstate) { return sqlstate.substr(0, 2) == "08" || sqlstate.substr(0, 3) == "57P"; }

// Parameter arrays for libpq: text values need a terminating NUL, so they are copied.
class ParamArrays {
 public:
  template <typename Range>
  explicit ParamArrays(const Range& params) {
    const auto count = static_cast<std::size_t>(std::distance(std::begin(params), std::end(params)));
    storage_.reserve(count);
    values_.reserve(count);
    lengths_.reserve(count);
    formats_.reserve(count);
    for (const Param& param : params) {
      if (!param.value) {
        values_.push_back(nullptr);
        lengths_.push_back(0);
        formats_.push_back(0);
        continue;
      }
      if (param.value->size() > static_cast<std::size_t>(INT_MAX)) {
        throw std::length_error("statement parameter too long");
      }
      if (param.binary) {
        values_.push_back(param.value->data());
      } else {
        storage_.emplace_back(*param.value);
        values_.push_back(storage_.back().c_str());
      }
      lengths_.push_back(static_cast<int>(param.value->size()));
      formats_.push_back(param.binary ? 1 : 0);
    }
  }

  [[nodiscard]] int Count() const { return static_cast<int>(values_.size()); }
  [[nodiscard]] const char* const* Values() const { return values_.data(); }
  [[nodiscard]] const int* Lengths() const { return lengths_.data(); }
  [[nodiscard]] const int* Formats() const { return formats_.data(); }

 private:
  std::vector<std::string> storage_;  // reserved up front: the c_str() pointers stay valid
  std::vector<const char*> values_;
  std::vector<int> lengths_;
  std::vector<int> formats_;
};

}  // namespace

IntText::IntText(std::int64_t value) {
  const auto result = std::to_chars(text_, text_ + sizeof(text_), value);
  size_ = static_cast<std::size_t>(result.ptr - text_);
}

Rows::Rows(pg_result* result) : result_(result) {}

Rows::Rows(Rows&& other) noexcept : result_(std::exchange(other.result_, nullptr)) {}

Rows& Rows::operator=(Rows&& other) noexcept {
  if (this != &other) {
    if (result_ != nullptr) PQclear(result_);
    result_ = std::exchange(other.result_, nullptr);
  }
  return *this;
}

Rows::~Rows() {
  if (result_ != nullptr) PQclear(result_);
}

int Rows::Count() const { return result_ != nullptr ? PQntuples(result_) : 0; }

std::int64_t Rows::Affected() const {
  if (result_ == nullptr) return 0;
  const std::string_view text = PQcmdTuples(result_);
  std::int64_t value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;
}

bool Rows::IsNull(int row, int column) const { return PQgetisnull(result_, row, column) != 0; }

std::string_view Rows::Text(int row, int column) const {
  return {PQgetvalue(result_, row, column), static_cast<std::size_t>(PQgetlength(result_, row, column))};
}

std::int64_t Rows::Int(int row, int column) const {
  if (IsNull(row, column)) return 0;
  const auto text = Text(row, column);
  std::int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc{} || end != text.data() + text.size()) {
    throw std::runtime_error("database column " + std::to_string(column) + " is not an integer: '" + std::string(text) +
                             "'");
  }
  return value;
}

bool Rows::Bool(int row, int column) const { return Text(row, column) == "t"; }

std::string Rows::Bytes(int row, int column) const {
  if (IsNull(row, column)) return {};
  std::size_t length = 0;
  unsigned char* bytes =
      PQunescapeBytea(reinterpret_cast<const unsigned char*>(PQgetvalue(result_, row, column)), &length);
  if (bytes == nullptr) throw std::bad_alloc();
  std::string decoded(reinterpret_cast<const char*>(bytes), length);
  PQfreemem(bytes);
  return decoded;
}

Connection::Connection(const std::string& uri, int statement_timeout_ms, Waiting waiting)
    : uri_(uri), display_name_(MaskPassword(uri)), statement_timeout_ms_(statement_timeout_ms), waiting_(waiting) {
  const auto parsed = ParseConninfo(uri_);
  if (const auto timeout = OptionValue(parsed.get(), "connect_timeout")) {
    // As libpq reads it: whole seconds, at least 2; zero or less waits without limit.
    int seconds = 0;
    std::from_chars(timeout->data(), timeout->data() + timeout->size(), seconds);
    connect_timeout_ = seconds <= 0 ? std::chrono::milliseconds::max() : std::chrono::seconds(std::max(seconds, 2));
  }

  // Keywords after `dbname` (which expands the URI) override the URI's own; each is added only where the
  // URI leaves it unset, except the encoding, which every text this program sends and reads assumes.
  std::vector<std::pair<std::string, std::string>> settings{{"dbname", uri_}};
  const auto set_default = [&](const char* keyword, std::string value) {
    if (!OptionValue(parsed.get(), keyword)) settings.emplace_back(keyword, std::move(value));
  };
  set_default("connect_timeout", "5");
  set_default("keepalives", "1");
  set_default("keepalives_idle", "30");
  set_default("keepalives_interval", "10");
  set_default("keepalives_count", "3");
  settings.emplace_back("client_encoding", "UTF8");
  settings.emplace_back("fallback_application_name", "phonechat-api");
  std::string options = OptionValue(parsed.get(), "options").value_or("");
  if (options.find("statement_timeout") == std::string::npos) {
    if (!options.empty()) options += ' ';
    options += "-c statement_timeout=" + std::to_string(std::max(statement_timeout_ms_, 0));
  }
  settings.emplace_back("options", options);

  std::vector<const char*> keywords;
  std::vector<const char*> values;
  for (const auto& [keyword, value] : settings) {
    keywords.push_back(keyword.c_str());
    values.push_back(value.c_str());
  }
  keywords.push_back(nullptr);
  values.push_back(nullptr);

  std::optional<std::string> failure;
  if (waiting_ == Waiting::kSuspendable && CurrentIoWaiter() != nullptr) {
    failure = ConnectWithoutBlocking(keywords.data(), values.data(), /*reset=*/false);
  } else {
    connection_ = PQconnectdbParams(keywords.data(), values.data(), /*expand_dbname=*/1);
    if (connection_ == nullptr) throw std::bad_alloc();
    if (PQstatus(connection_) != CONNECTION_OK) failure = FirstLine(PQerrorMessage(connection_));
  }
  if (failure) {
    const auto field = [](const char* value) { return value != nullptr && value[0] != '\0' ? value : "?"; };
    std::string message = "cannot connect to PostgreSQL database '" + std::string(field(PQdb(connection_))) + "' at " +
                          field(PQhost(connection_)) + ":" + field(PQport(connection_)) + ": " + *failure;
    PQfinish(connection_);
    connection_ = nullptr;
    throw UsageError(message);
  }
  AfterConnect();
}

std::optional<std::string> Connection::ConnectWithoutBlocking(const char* const* keywords, const char* const* values,
                                                              bool reset) {
  const auto failure = [this] { return FirstLine(PQerrorMessage(connection_)); };
  if (reset) {
    if (PQresetStart(connection_) == 0) return failure();
  } else {
    connection_ = PQconnectStartParams(keywords, values, /*expand_dbname=*/1);
    if (connection_ == nullptr) throw std::bad_alloc();
    if (PQstatus(connection_) == CONNECTION_BAD) return failure();
  }
  // PQconnectPoll does not apply connect_timeout itself.
  const auto deadline = connect_timeout_ == std::chrono::milliseconds::max()
                            ? IoWaiter::kNoDeadline
                            : std::chrono::steady_clock::now() + connect_timeout_;
  PostgresPollingStatusType status = PGRES_POLLING_WRITING;
  for (;;) {
    if (status == PGRES_POLLING_OK) return std::nullopt;
    if (status == PGRES_POLLING_FAILED) return failure();
    // The socket may change from one step to the next (another address or host is tried).
    const IoEvent event = status == PGRES_POLLING_READING ? IoEvent::kReadable : IoEvent::kWritable;
    try {
      if (!WaitForIo(PQsocket(connection_), event, deadline)) return std::string("timeout expired");
    } catch (const std::system_error& error) {
      return std::string(error.what());
    }
    status = reset ? PQresetPoll(connection_) : PQconnectPoll(connection_);
  }
}

void Connection::AfterConnect() {
  PQsetNoticeProcessor(connection_, IgnoreNotice, nullptr);
  // Sends never block then: what does not fit in the socket is flushed as it becomes writable (Flush).
  if (waiting_ == Waiting::kSuspendable && PQsetnonblocking(connection_, 1) != 0) {
    broken_ = true;
  }
}

Connection::~Connection() {
  if (connection_ != nullptr) PQfinish(connection_);
}

void Connection::EnsureConnected() {
  if (!broken_ && PQstatus(connection_) == CONNECTION_OK) return;
  // A reset reconnects with the same parameters (timeouts, options).
  std::optional<std::string> failure;
  if (waiting_ == Waiting::kSuspendable && CurrentIoWaiter() != nullptr) {
    failure = ConnectWithoutBlocking(nullptr, nullptr, /*reset=*/true);
  } else {
    PQreset(connection_);
    if (PQstatus(connection_) != CONNECTION_OK) failure = FirstLine(PQerrorMessage(connection_));
  }
  prepared_.clear();
  if (failure) {
    broken_ = true;
    throw StoreUnavailable("the database " + display_name_ + " cannot be reached: " + *failure);
  }
  broken_ = false;
  AfterConnect();
}

void Connection::AwaitSocket(IoEvent events, std::chrono::steady_clock::time_point deadline, bool bounded,
                             std::string_view what) {
  bool ready = false;
  try {
    const int socket = PQsocket(connection_);
    const auto until = bounded ? deadline : IoWaiter::kNoDeadline;
    ready = waiting_ == Waiting::kSuspendable ? WaitForIo(socket, events, until) : PollIo(socket, events, until);
  } catch (const std::system_error&) {
    broken_ = true;
    throw StoreUnavailable("the database " + display_name_ + " cannot be waited for (" + std::string(what) + ")");
  }
  if (ready) return;
  // The reply may still come, on a connection nobody reads any more: the next call reconnects.
  broken_ = true;
  throw StoreUnavailable("the database " + display_name_ + " did not answer within " +
                         std::to_string(statement_timeout_ms_ + kClientDeadlineMarginMs) + " ms (" + std::string(what) +
                         ")");
}

bool Connection::Flush(std::chrono::steady_clock::time_point deadline, bool bounded, std::string_view what) {
  for (;;) {
    const int flushed = PQflush(connection_);
    if (flushed == 0) return true;
    if (flushed < 0) return false;
    AwaitSocket(IoEvent::kEither, deadline, bounded, what);
    if (PQconsumeInput(connection_) == 0) return false;
  }
}

bool Connection::NextResult(std::chrono::steady_clock::time_point deadline, bool bounded, std::string_view what,
                            pg_result*& result) {
  while (PQisBusy(connection_) == 1) {
    AwaitSocket(IoEvent::kReadable, deadline, bounded, what);
    if (PQconsumeInput(connection_) == 0) return false;
  }
  result = PQgetResult(connection_);
  return true;
}

std::chrono::steady_clock::time_point Connection::Deadline() const {
  return std::chrono::steady_clock::now() + std::chrono::milliseconds(statement_timeout_ms_ + kClientDeadlineMarginMs);
}

pg_result* Connection::AwaitResult(bool sent, std::string_view what) {
  if (!sent) return nullptr;
  ProcessCounters::Count(Counters().store_round_trips);
  // statement_timeout ends a slow statement on the server; this deadline covers a server that cannot answer at all
  // (stopped, cut off), which would otherwise hold the calling thread until TCP gives up.
  const bool bounded = statement_timeout_ms_ > 0;
  const auto deadline = Deadline();
  if (!Flush(deadline, bounded, what)) return nullptr;
  // As PQexec: the last result of the command (a failing statement ends the list), or COPY's at once.
  pg_result* last = nullptr;
  for (;;) {
    pg_result* result = nullptr;
    if (!NextResult(deadline, bounded, what, result)) {
      PQclear(last);
      return nullptr;
    }
    if (result == nullptr) return last;
    PQclear(last);
    last = result;
    if (PQresultStatus(result) == PGRES_COPY_IN) return result;
  }
}

std::vector<Rows> Connection::ExecPreparedPipeline(const std::vector<PipelinedStatement>& statements) {
  EnsureConnected();
  for (const auto& statement : statements) Prepare(statement.name, statement.sql);
  const std::string_view what = "pipeline";
  const auto lost = [&](const char* step) {
    broken_ = true;
    return StoreUnavailable("the database " + display_name_ + " cannot answer now (" + step +
                            "): " + FirstLine(PQerrorMessage(connection_)));
  };
  if (PQenterPipelineMode(connection_) != 1) throw lost("pipeline");
  ProcessCounters::Count(Counters().store_round_trips);
  // Whatever goes wrong below leaves the connection in pipeline mode with results pending: it is reconnected.
  try {
    for (const auto& statement : statements) {
      const std::string name(statement.name);
      const ParamArrays arrays(statement.params);
      if (PQsendQueryPrepared(connection_, name.c_str(), arrays.Count(), arrays.Values(), arrays.Lengths(),
                              arrays.Formats(), 0) != 1) {
        throw lost("pipeline send");
      }
    }
    if (PQpipelineSync(connection_) != 1) throw lost("pipeline sync");
    const bool bounded = statement_timeout_ms_ > 0;
    const auto deadline = Deadline();
    if (!Flush(deadline, bounded, what)) throw lost("pipeline send");
    std::vector<Rows> results;
    results.reserve(statements.size());
    for (const auto& statement : statements) {
      pg_result* result = nullptr;
      if (!NextResult(deadline, bounded, statement.name, result)) throw lost("pipeline");
      results.push_back(Check(result, statement.name));
      pg_result* end = nullptr;  // each statement's results end with a null one
      if (!NextResult(deadline, bounded, statement.name, end) || end != nullptr) {
        PQclear(end);
        throw lost("pipeline");
      }
    }
    pg_result* sync = nullptr;
    if (!NextResult(deadline, bounded, what, sync) || PQresultStatus(sync) != PGRES_PIPELINE_SYNC) {
      PQclear(sync);
      throw lost("pipeline sync");
    }
    PQclear(sync);
    if (PQexitPipelineMode(connection_) != 1) throw lost("pipeline");
    return results;
  } catch (...) {
    broken_ = true;
    throw;
  }
}

Rows Connection::Check(pg_result* result, std::string_view what) {
  if (result == nullptr) {
    const std::string reason = FirstLine(PQerrorMessage(connection_));
    if (PQstatus(connection_) != CONNECTION_OK) broken_ = true;
    throw StoreUnavailable("the database " + display_name_ + " did not answer (" + std::string(what) + "): " + reason);
  }
  switch (PQresultStatus(result)) {
    case PGRES_COMMAND_OK:
    case PGRES_TUPLES_OK:
    case PGRES_COPY_IN:
    case PGRES_EMPTY_QUERY:
      return Rows(result);
    default:
      break;
  }
  const char* state = PQresultErrorField(result, PG_DIAG_SQLSTATE);
  std::string sqlstate = state != nullptr ? state : "";
  const char* primary = PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY);
  std::string message = primary != nullptr ? FirstLine(primary) : FirstLine(PQresultErrorMessage(result));
  PQclear(result);
  // A result without SQLSTATE comes from libpq itself: the connection failed while sending or reading.
  const bool lost = PQstatus(connection_) != CONNECTION_OK || sqlstate.empty() || EndsSession(sqlstate);
  if (lost) broken_ = true;
  if (!lost && (sqlstate == "40001" || sqlstate == "40P01")) {
    throw ConflictAbort("the database " + display_name_ + " aborted a conflicting transaction (" + std::string(what) +
                        "): " + message);
  }
  if (lost || IsUnavailable(sqlstate)) {
    throw StoreUnavailable("the database " + display_name_ + " cannot answer now (" + std::string(what) +
                           "): " + message);
  }
  throw SqlError(message + " (" + std::string(what) + ")", std::move(sqlstate));
}

Rows Connection::Exec(std::string_view sql) {
  EnsureConnected();
  const std::string text(sql);
  return Check(AwaitResult(PQsendQuery(connection_, text.c_str()) == 1, "query"), "query");
}

Rows Connection::Exec(std::string_view sql, std::initializer_list<Param> params) {
  return Exec(sql, std::vector<Param>(params));
}

Rows Connection::Exec(std::string_view sql, const std::vector<Param>& params) {
  EnsureConnected();
  const std::string text(sql);
  const ParamArrays arrays(params);
  const bool sent = PQsendQueryParams(connection_, text.c_str(), arrays.Count(), nullptr, arrays.Values(),
                                      arrays.Lengths(), arrays.Formats(), 0) == 1;
  return Check(AwaitResult(sent, "query"), "query");
}

Rows Connection::ExecPrepared(std::string_view name, std::string_view sql, std::initializer_list<Param> params) {
  return ExecPrepared(name, sql, std::vector<Param>(params));
}

Rows Connection::ExecPrepared(std::string_view name, std::string_view sql, const std::vector<Param>& params) {
  EnsureConnected();
  Prepare(name, sql);
  const std::string statement(name);
  const ParamArrays arrays(params);
  const bool sent = PQsendQueryPrepared(connection_, statement.c_str(), arrays.Count(), arrays.Values(),
                                        arrays.Lengths(), arrays.Formats(), 0) == 1;
  return Check(AwaitResult(sent, statement), statement);
}

void Connection::Prepare(std::string_view name, std::string_view sql) {
  const std::string statement(name);
  if (std::find(prepared_.begin(), prepared_.end(), statement) != prepared_.end()) return;
  const std::string text(sql);
  Check(AwaitResult(PQsendPrepare(connection_, statement.c_str(), text.c_str(), 0, nullptr) == 1, statement),
        statement);
  prepared_.push_back(statement);
}

void Connection::BeginCopy(std::string_view copy_sql) {
  // CopyData and EndCopy count on libpq's blocking sends.
  if (waiting_ != Waiting::kBlocking) throw std::logic_error("COPY needs a blocking connection");
  EnsureConnected();
  const std::string text(copy_sql);
  auto rows = Check(AwaitResult(PQsendQuery(connection_, text.c_str()) == 1, "COPY"), "COPY");
  (void)rows;
}

void Connection::CopyData(std::string_view data) {
  while (!data.empty()) {
    const auto chunk = data.substr(0, static_cast<std::size_t>(INT_MAX / 2));
    if (PQputCopyData(connection_, chunk.data(), static_cast<int>(chunk.size())) != 1) {
      broken_ = true;
      throw StoreUnavailable("the database " + display_name_ +
                             " stopped taking COPY data: " + FirstLine(PQerrorMessage(connection_)));
    }
    data.remove_prefix(chunk.size());
  }
}

Rows Connection::EndCopy() {
  if (PQputCopyEnd(connection_, nullptr) != 1) {
    broken_ = true;
    throw StoreUnavailable("the database " + display_name_ +
                           " did not take the end of COPY: " + FirstLine(PQerrorMessage(connection_)));
  }
  pg_result* result = PQgetResult(connection_);
  // The COPY's result is followed by a null one; reading it leaves the connection ready for the next command.
  while (pg_result* extra = PQgetResult(connection_)) PQclear(extra);
  return Check(result, "COPY");
}

Transaction::Transaction(Connection& connection) : connection_(connection) { connection_.Exec("BEGIN"); }

Transaction::~Transaction() {
  if (done_) return;
  pg_conn* handle = connection_.Handle();
  if (handle == nullptr || PQstatus(handle) != CONNECTION_OK) return;
  // A COPY still open (a batch abandoned mid-stream) must be ended before anything else can be sent.
  if (PQtransactionStatus(handle) == PQTRANS_ACTIVE) {
    PQputCopyEnd(handle, "abandoned");
    while (pg_result* result = PQgetResult(handle)) PQclear(result);
  }
  const auto status = PQtransactionStatus(handle);
  if (status == PQTRANS_INTRANS || status == PQTRANS_INERROR) {
    if (pg_result* result = PQexec(handle, "ROLLBACK")) PQclear(result);
  }
}

void Transaction::Commit() {
  // COMMIT of a failed transaction "succeeds" as a ROLLBACK: say so instead.
  if (PQtransactionStatus(connection_.Handle()) == PQTRANS_INERROR) {
    throw SqlError("the transaction failed earlier and was rolled back", "25P02");
  }
  connection_.Exec("COMMIT");
  done_ = true;
}

std::string MaskPassword(std::string_view uri) {
  std::string masked(uri);
  const auto scheme_end = masked.find("://");
  if (scheme_end == std::string::npos) return masked;
  const auto authority_begin = scheme_end + 3;
  const auto authority_end = std::min(masked.find_first_of("/?#", authority_begin), masked.size());
  const auto at = masked.rfind('@', authority_end == 0 ? 0 : authority_end - 1);
  if (at != std::string::npos && at >= authority_begin) {
    const auto colon = masked.find(':', authority_begin);
    if (colon != std::string::npos && colon < at) masked.replace(colon + 1, at - colon - 1, "***");
  }
  // A password may also be given as a query parameter.
  const auto query = masked.find('?');
  if (query == std::string::npos) return masked;
  std::size_t position = query + 1;
  while (position < masked.size()) {
    auto end = masked.find('&', position);
    if (end == std::string::npos) end = masked.size();
    const std::string_view parameter = std::string_view(masked).substr(position, end - position);
    if (parameter.substr(0, 9) == "password=") {
      masked.replace(position + 9, end - position - 9, "***");
      end = position + 12;
    }
    position = end + 1;
  }
  return masked;
}

}  // namespace phonechat::pg
