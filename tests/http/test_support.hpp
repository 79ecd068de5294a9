#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "core/error.hpp"
#include "http/server.hpp"

namespace phonechat::http::testing {

// What the test handlers saw, shared by every handler of one server. Thread-safe.
class Probe {
 public:
  // Records one refusal the server reported.
  void RecordRefusal(ErrorCode code, bool with_request);
  // The refusals so far, in order, with whether a parsed request came with each.
  [[nodiscard]] std::vector<std::pair<ErrorCode, bool>> Refusals() const;
  // Records that a handler was built on the calling thread.
  void RecordHandlerBuilt();
  // The threads that built a handler, in order.
  [[nodiscard]] std::vector<std::thread::id> HandlerThreads() const;
  // Counts a request answered by a handler on a thread other than the one that built it.
  void RecordForeignThread() { foreign_thread_calls_.fetch_add(1); }
  // How many requests a handler answered off its own thread.
  [[nodiscard]] int ForeignThreadCalls() const { return foreign_thread_calls_.load(); }
  // Marks that a slow request has entered its handler.
  void MarkSlowStarted();
  // Waits until a slow request has entered its handler; false on timeout.
  bool WaitSlowStarted(std::chrono::milliseconds timeout);
  // Records that a handler answered with a DeferredWork.
  void RecordDeferred();
  // Waits until handlers have answered `count` times with a DeferredWork; false on timeout.
  bool WaitDeferred(int count, std::chrono::milliseconds timeout);
  // Records that deferred `blocking` work has started on the calling thread.
  void RecordBlockingStarted();
  // Waits until `count` deferred works have started; false on timeout.
  bool WaitBlockingStarted(int count, std::chrono::milliseconds timeout);
  // The threads deferred `blocking` work started on, in order.
  [[nodiscard]] std::vector<std::thread::id> BlockingThreads() const;
  // Records that a deferred `finish` ran on the calling thread.
  void RecordFinish();
  // The threads deferred `finish` calls ran on, in order.
  [[nodiscard]] std::vector<std::thread::id> FinishThreads() const;
  // Waits until the gate is open or `timeout` has passed; true if it is open.
  bool WaitGate(std::chrono::milliseconds timeout);
  // Opens the gate for good, releasing every deferred work waiting at it.
  void OpenGate();
  // Waits until `count` refusals have been recorded; false on timeout.
  bool WaitRefusals(std::size_t count, std::chrono::milliseconds timeout);

 private:
  mutable std::mutex mutex_;
  std::condition_variable slow_started_cv_;
  std::condition_variable changed_cv_;  // any of the blocking, gate and refusal records changed
  bool slow_started_ = false;
  bool gate_open_ = false;
  int deferred_ = 0;
  std::vector<std::pair<ErrorCode, bool>> refusals_;
  std::vector<std::thread::id> handler_threads_;
  std::vector<std::thread::id> blocking_threads_;
  std::vector<std::thread::id> finish_threads_;
  std::atomic<int> foreign_thread_calls_{0};
};

// A handler whose answers expose what the server handed it. Targets: `/throw` throws, `/sleep` takes 300 ms and
// `/sleep-long` 1 s, `/close` asks for the connection to be closed, `/bare` answers without a content type, `/body`
// answers with the request body itself; anything else echoes `METHOD TARGET echo=<X-Echo header or -> body=<body
// length>` as text/plain with `X-Handler: echo`.
// Targets starting with `/deferred` answer with a DeferredWork whose finish answers `deferred METHOD TARGET
// echo=<X-Echo header or -> body=<the body itself>` with `X-Handler: deferred`; its blocking part does nothing, or
// for `/deferred-gate` waits (up to 20 s) for the probe's gate, for `/deferred-sleep` sleeps 300 ms, for
// `/deferred-throw` throws; `/deferred-finish-throw` has finish throw, `/deferred-again` has finish answer with
// another DeferredWork.
class EchoHandler final : public RequestHandler {
 public:
  explicit EchoHandler(std::shared_ptr<Probe> probe);
  Response Handle(const Request& request) override;
  // Answers the status docs/api.md gives the refusal's code, with body `refused <status> request=<yes|no>` and,
  // when the refusal has a message, ` message=<message>`.
  Response HandleRefused(const Error& refusal, const Request* request) override;

 private:
  // The DeferredWork answer to a `/deferred...` target.
  Response Defer(const Request& request);

  std::shared_ptr<Probe> probe_;
  std::thread::id owner_;
};

// Opens the probe's gate when it goes out of scope, so that a failing test never leaves work waiting at it.
class GateOpener {
 public:
  // Opens `probe`'s gate on destruction.
  explicit GateOpener(Probe& probe) : probe_(probe) {}
  ~GateOpener() { probe_.OpenGate(); }
  GateOpener(const GateOpener&) = delete;
  GateOpener& operator=(const GateOpener&) = delete;

 private:
  Probe& probe_;
};

// Options for tests: an ephemeral port on the loopback, two threads, a short drain.
ServerOptions TestOptions();

// `Serve` on a background thread with the handlers `make_handler` builds; drained and joined when destroyed.
class HandlerServer {
 public:
  // Starts the server and waits until it listens; throws if it does not within 10 s.
  HandlerServer(const ServerOptions& options, HandlerFactory make_handler);
  ~HandlerServer();
  HandlerServer(const HandlerServer&) = delete;
  HandlerServer& operator=(const HandlerServer&) = delete;

  // The port the server is bound to.
  [[nodiscard]] std::uint16_t Port() const { return port_; }
  // Asks the server to drain, as SIGTERM does, without waiting.
  void RequestStop() { thread_.request_stop(); }
  // Waits up to `timeout` for Serve to return; true if it did.
  bool WaitReturned(std::chrono::milliseconds timeout);

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::uint16_t port_ = 0;
  bool listening_ = false;
  bool returned_ = false;
  std::string failure_;
  std::jthread thread_;
};

// A HandlerServer of EchoHandlers that share one Probe.
class RunningServer : public HandlerServer {
 public:
  // Starts the server and waits until it listens; throws if it fails to within 10 s.
  explicit RunningServer(const ServerOptions& options, std::shared_ptr<Probe> probe = std::make_shared<Probe>());

  // The handlers' shared record.
  [[nodiscard]] Probe& Seen() const { return *probe_; }

 private:
  std::shared_ptr<Probe> probe_;
};

// One parsed HTTP response.
struct HttpResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // The first header named `name` (case-insensitive), if present.
  [[nodiscard]] std::optional<std::string> Header(std::string_view name) const;
};

// A blocking TCP client on raw sockets, so that tests can send any bytes at all.
class Client {
 public:
  // Connects to 127.0.0.1:`port`; throws std::runtime_error if the connection is refused.
  explicit Client(std::uint16_t port);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Sends every byte; false if the connection is gone.
  bool Send(std::string_view bytes);
  // Reads one response (no body for a HEAD request); nullopt on timeout or when the connection closes first.
  std::optional<HttpResponse> Read(std::chrono::milliseconds timeout = std::chrono::seconds(10),
                                   bool head_request = false);
  // Waits for the server to close the connection (end of stream or reset), dropping any bytes that come first;
  // true if it closed within `timeout`.
  bool WaitClosed(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // True if the server has neither closed the connection nor sent anything within `wait`.
  bool StaysOpenSilently(std::chrono::milliseconds wait);
  // Bytes received but not yet consumed by Read.
  [[nodiscard]] const std::string& Pending() const { return buffer_; }

 private:
  // Waits up to `timeout` for more bytes; 1 if some arrived, 0 on timeout, -1 when the connection is closed.
  int Fill(std::chrono::steady_clock::time_point deadline);

  int fd_ = -1;
  std::string buffer_;
};

// Whether a TCP connection to 127.0.0.1:`port` is accepted at all.
bool CanConnect(std::uint16_t port);

// A plain request for `target` with optional extra header lines (each ending in CRLF).
std::string Get(std::string_view target, std::string_view extra_headers = {});

}  // namespace phonechat::http::testing
