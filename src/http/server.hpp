// The HTTP server: requests and responses as the application sees them, the handler interface and the options.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.hpp"
#include "http/trusted_proxies.hpp"

namespace phonechat::http {

// A parsed request as the server hands it to the application. The object and its views are valid only during the
// call to Handle, or, when Handle answers with a DeferredWork, until that work's `finish` has run.
class Request {
 public:
  virtual ~Request() = default;
  // The method as sent (`GET`, `HEAD`, ...).
  [[nodiscard]] virtual std::string_view Method() const = 0;
  // The request-target as sent (path and query, undecoded).
  [[nodiscard]] virtual std::string_view Target() const = 0;
  // The value of the first header named `name` (case-insensitive), if present.
  [[nodiscard]] virtual std::optional<std::string_view> Header(std::string_view name) const = 0;
  // The request body as received (chunked bodies already decoded); empty when there is none.
  [[nodiscard]] virtual std::string_view Body() const { return {}; }
  // Who sent it: the socket's peer, or the client a trusted proxy names (ServerOptions::trusted_proxies).
  [[nodiscard]] virtual ClientOrigin Origin() const { return {}; }
};

// Defined below: a Response may hand its answer over to one.
struct DeferredWork;

// What the application answers; the server adds Content-Length, Date-free framing and keep-alive headers.
struct Response {
  int status = 200;
  std::string content_type;  // full value, e.g. `application/json; charset=utf-8`; empty for no body
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers, e.g. Allow, WWW-Authenticate
  bool close_connection = false;
  std::shared_ptr<DeferredWork> deferred;  // when set, the answer comes from it
};

// Work too slow for a serving thread (password hashing). The server runs `blocking` on its bounded blocking pool,
// then calls `finish` back on the serving thread that owns the connection (directly: no coroutine, no IoWaiter) and
// writes the Response it returns.
struct DeferredWork {
  std::function<void()> blocking;
  std::function<Response()> finish;
};

// The application side of the server. One instance per serving thread, so it may keep per-thread state.
// With ServerOptions::suspendable, each Handle call runs in a stackful coroutine of its own on the serving thread,
// with an IoWaiter (core/io_wait.hpp) installed through which it suspends instead of blocking the thread: several
// Handle calls of one handler may then be in progress at once, interleaved where they wait (never on two threads).
class RequestHandler {
 public:
  virtual ~RequestHandler() = default;
  // Answers one complete request. Must not throw.
  virtual Response Handle(const Request& request) = 0;
  // True when Handle may suspend for `request` although ServerOptions::suspendable is off: that call then runs in a
  // coroutine too. Must not throw.
  virtual bool Suspends(const Request& /*request*/) { return false; }
  // Answers a request the server refused before it was complete (limits, malformed HTTP or framing, header rules,
  // draining), whose Handle, deferred `blocking` or `finish` threw or whose `finish` answered with another
  // DeferredWork (kInternal), or whose DeferredWork found the blocking pool full (kUnavailable): `refusal.code` says
  // why, and `refusal.message`, when not empty, names the problem for the client; `request` is the parsed request,
  // or null when its header was not complete. Must not throw, nor wait for I/O (it may run outside any coroutine).
  virtual Response HandleRefused(const Error& refusal, const Request* request) = 0;
};

// What a running server reports, for health probes and metrics; written by the server, read from any thread.
struct ServerGauges {
  std::atomic<std::size_t> open_connections{0};       // accepted and not yet ended
  std::atomic<std::uint64_t> refused_connections{0};  // answered 503 over the connection cap
  std::atomic<bool> draining{false};                  // set when the drain begins, never cleared
};

// Limits and timeouts of the listener (docs/security.md, "Limits and timeouts", and the operator's settings).
struct ServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;
  unsigned threads = 0;  // 0: one per core
  std::size_t max_request_line = std::size_t{8} * 1024;
  std::size_t max_header_bytes = std::size_t{16} * 1024;
  std::size_t max_body_bytes = std::size_t{64} * 1024;
  std::chrono::milliseconds header_deadline{10'000};  // absolute, from the first byte awaited
  std::chrono::milliseconds body_deadline{30'000};
  std::chrono::milliseconds idle_timeout{75'000};  // between keep-alive requests
  std::chrono::milliseconds write_timeout{30'000};
  std::chrono::milliseconds drain_time{20'000};  // after SIGTERM/SIGINT, longest wait for in-flight work
  // Beyond it a new connection is answered 503 with Retry-After: 1 unread, then closed (docs/security.md).
  std::size_t max_connections = 10'000;
  // SO_SNDBUF of each accepted socket, bounding the kernel memory a client that does not read can pin; 0 leaves the
  // kernel's automatic sizing (docs/security.md, "Hostile clients").
  std::size_t socket_send_buffer = std::size_t{64} * 1024;
  unsigned blocking_threads = 2;         // pool for DeferredWork
  std::size_t max_blocking_queue = 256;  // deferred requests waiting beyond this get HandleRefused(kUnavailable)
  // Run each Handle in a coroutine that suspends on I/O through CurrentIoWaiter() (see RequestHandler); off, Handle
  // runs directly on the serving thread, with no coroutine and no waiter.
  bool suspendable = false;
  // Header fields that may appear at most once besides Host and Content-Length, which always are (a second one is
  // a 400 naming it).
  std::vector<std::string> unique_fields;
  // Peers whose X-Forwarded-For and X-Forwarded-Proto are believed (Request::Origin); none by default.
  TrustedProxies trusted_proxies;
  // Where the server reports its gauges; null: kept to itself. Must outlive Serve.
  ServerGauges* gauges = nullptr;
  // Drain on SIGTERM and SIGINT; off, only the stop token ends Serve (a second listener that outlives the first's
  // drain, e.g. the health probes').
  bool handle_signals = true;
  // Called once, on the accepting thread, when the drain begins (signal or stop token); empty: nothing. Must not throw.
  std::function<void()> on_drain;
};

// Builds the handler for one serving thread (called once on each, before it serves).
using HandlerFactory = std::function<std::unique_ptr<RequestHandler>()>;

// Called once the listener is bound, with the bound port (useful with port 0).
using ListeningCallback = std::function<void(std::uint16_t bound_port)>;

// Serves HTTP/1.1 on `threads` serving threads (the calling thread accepts) until SIGTERM or SIGINT, then drains:
// stops accepting, finishes in-flight requests (deferred work included), answers 503 (via
// HandleRefused(kUnavailable)) to new requests on open connections, closes idle ones, and returns when every
// connection is closed or `drain_time` has passed (a second signal cuts it short); DeferredWork not yet started by
// then is dropped, and work already running is waited for. Throws UsageError when it cannot listen, and whatever the
// handler factory throws.
void Serve(const ServerOptions& options, const HandlerFactory& make_handler, const ListeningCallback& on_listening);

// As above, and also drains and returns once `stop` is requested (from any thread), as on SIGTERM.
void Serve(const ServerOptions& options, const HandlerFactory& make_handler, const ListeningCallback& on_listening,
           const std::stop_token& stop);

}  // namespace phonechat::http
