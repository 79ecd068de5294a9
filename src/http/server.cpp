// The listener, the serving threads and each connection's coroutine: limits, timeouts, keep-alive, pipelining, drain.

#include "http/server.hpp"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/context/fiber.hpp>
#include <boost/context/protected_fixedsize_stack.hpp>
#include <boost/context/stack_context.hpp>
#include <boost/intrusive/list.hpp>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <exception>
#include <latch>
#include <limits>
#include <memory_resource>
#include <stdexcept>
#include <system_error>
#include <thread>

// GCC defines __SANITIZE_ADDRESS__ under AddressSanitizer, clang answers __has_feature(address_sanitizer).
#if defined(__SANITIZE_ADDRESS__)
#define PHONECHAT_ADDRESS_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PHONECHAT_ADDRESS_SANITIZER 1
#endif
#endif
#if defined(PHONECHAT_ADDRESS_SANITIZER)
#include <sanitizer/asan_interface.h>
#endif

#include "core/io_wait.hpp"
#include "http/request_reader.hpp"

namespace phonechat::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using boost::system::error_code;
using Clock = std::chrono::steady_clock;

// Every I/O object names the concrete io_context executor: no type-erased executor on the hot path.
using Executor = asio::io_context::executor_type;
template <typename T>
using Task = asio::awaitable<T, Executor>;
using Socket = asio::ip::tcp::socket::rebind_executor<Executor>::other;
using Acceptor = asio::ip::tcp::acceptor::rebind_executor<Executor>::other;
using Resolver = asio::ip::tcp::resolver::rebind_executor<Executor>::other;
using Timer = asio::basic_waitable_timer<Clock, asio::wait_traits<Clock>, Executor>;
using SignalSet = asio::basic_signal_set<Executor>;
using Descriptor = asio::posix::basic_stream_descriptor<Executor>;
using Yield = asio::basic_yield_context<Executor>;
constexpr auto kAwait = asio::as_tuple(asio::use_awaitable_t<Executor>{});

constexpr Clock::time_point kNever = Clock::time_point::max();
// After a refusal the client may still be sending: reading and dropping its bytes for a while before the close
// keeps the kernel from answering them with a reset that would destroy the response still in flight.
constexpr std::chrono::seconds kLingerTime{2};
constexpr std::size_t kLingerBytes = std::size_t{1} << 20;
constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
// The stack of a request's coroutine (ServerOptions::suspendable), guard page included; the sanitizers' instrumented
// frames need several times more. Only the pages a request touches are ever backed by memory.
#if defined(PHONECHAT_ADDRESS_SANITIZER)
constexpr std::size_t kStackBytes = std::size_t{2} << 20;
#else
constexpr std::size_t kStackBytes = std::size_t{256} << 10;
#endif
// Stacks a serving thread keeps for reuse; more in use at once are mapped and unmapped as they come and go.
constexpr std::size_t kIdleStacks = 64;

// The address of the socket's other end; empty when the socket can no longer say (the peer is gone).
std::string PeerAddress(const Socket& socket) {
  error_code ec;
  const auto remote = socket.remote_endpoint(ec);
  return ec ? std::string() : remote.address().to_string();
}

// The application's view of a parsed request: the reader's, with who sent it.
class ParsedRequest final : public Request {
 public:
  ParsedRequest(const Request& parsed, std::string_view peer, const TrustedProxies& proxies)
      : parsed_(parsed), peer_(peer), proxies_(proxies) {}
  [[nodiscard]] std::string_view Method() const override { return parsed_.Method(); }
  [[nodiscard]] std::string_view Target() const override { return parsed_.Target(); }
  [[nodiscard]] std::optional<std::string_view> Header(std::string_view name) const override {
    return parsed_.Header(name);
  }
  [[nodiscard]] std::string_view Body() const override { return parsed_.Body(); }
  [[nodiscard]] ClientOrigin Origin() const override {
    return ResolveClientOrigin(peer_, Header("X-Forwarded-For"), Header("X-Forwarded-Proto"), proxies_);
  }

 private:
  const Request& parsed_;
  std::string_view peer_;
  const TrustedProxies& proxies_;
};

Response Refused(RequestHandler& handler, const Error& refusal, const Request* request) noexcept {
  try {
    return handler.HandleRefused(refusal, request);
  } catch (const std::exception& error) {
    spdlog::error("http: refusal handler threw: {}", error.what());
  } catch (...) {
    spdlog::error("http: refusal handler threw a non-standard exception");
  }
  // HandleRefused broke its contract: a fault of the server's own, whatever was refused. What each refusal's status
  // is belongs to the handler, so this layer keeps no table of its own; like every refusal, the answer closes.
  Response fallback;
  fallback.status = 500;
  fallback.close_connection = true;
  return fallback;
}

Response Refused(RequestHandler& handler, ErrorCode code, const Request* request) noexcept {
  return Refused(handler, Error{code, {}, {}, {}, false}, request);
}

// Runs `work` on `pool` unless `abandon` is set by the time its turn comes, then completes on the awaiting
// coroutine's own executor with whether it ran and what it threw if anything (which co_await then rethrows). The
// executor is kept from running out of work meanwhile.
template <typename Token>
auto RunOnPool(asio::thread_pool& pool, const std::function<void()>& work, const std::atomic<bool>& abandon,
               Token&& token) {
  return asio::async_initiate<Token, void(std::exception_ptr, bool)>(
      [&pool, &work, &abandon](auto handler) {
        auto home = asio::prefer(asio::get_associated_executor(handler), asio::execution::outstanding_work.tracked);
        asio::post(pool, [&work, &abandon, handler = std::move(handler), home = std::move(home)]() mutable {
          std::exception_ptr failure;
          const bool run = !abandon.load();
          if (run) {
            try {
              work();
            } catch (...) {
              failure = std::current_exception();
            }
          }
          asio::post(home,
                     [handler = std::move(handler), failure, run]() mutable { std::move(handler)(failure, run); });
        });
      },
      token);
}

class Server;
class Connection;
class CoroutineWaiter;
using ConnectionHook = boost::intrusive::list_base_hook<>;
using ConnectionList = boost::intrusive::list<Connection, boost::intrusive::base_hook<ConnectionHook>,
                                              boost::intrusive::constant_time_size<false>>;
using WaiterHook = boost::intrusive::list_base_hook<>;
using WaiterList = boost::intrusive::list<CoroutineWaiter, boost::intrusive::base_hook<WaiterHook>,
                                          boost::intrusive::constant_time_size<false>>;

// The stacks of one serving thread's request coroutines, kept for reuse: mapping a stack and its guard page costs
// system calls that a request should not pay each time. Used only on its own thread.
class StackPool {
 public:
  StackPool() { idle_.reserve(kIdleStacks); }
  ~StackPool() {
    for (boost::context::stack_context& stack : idle_) allocator_.deallocate(stack);
  }
  StackPool(const StackPool&) = delete;
  StackPool& operator=(const StackPool&) = delete;

  // A stack, reused or new; throws std::bad_alloc.
  boost::context::stack_context Take() {
    if (idle_.empty()) return allocator_.allocate();
    boost::context::stack_context stack = idle_.back();
    idle_.pop_back();
#if defined(PHONECHAT_ADDRESS_SANITIZER)
    // What the last coroutine left poisoned on it is no concern of the next one.
    ASAN_UNPOISON_MEMORY_REGION(static_cast<char*>(stack.sp) - stack.size, stack.size);
#endif
    return stack;
  }
  // Takes back a stack from Take.
  void Give(boost::context::stack_context& stack) noexcept {
    if (idle_.size() < kIdleStacks) {
      idle_.push_back(stack);  // within the reserved capacity: cannot throw
    } else {
      allocator_.deallocate(stack);
    }
  }

 private:
  boost::context::protected_fixedsize_stack allocator_{kStackBytes};
  std::vector<boost::context::stack_context> idle_;
};

// The stack allocator handed to spawn: the serving thread's pool.
class PooledStack {
 public:
  explicit PooledStack(StackPool& pool) : pool_(&pool) {}
  boost::context::stack_context allocate() { return pool_->Take(); }
  void deallocate(boost::context::stack_context& stack) noexcept { pool_->Give(stack); }

 private:
  StackPool* pool_;
};

// One serving thread: its io_context, its handler and its connections. Touched only from its own thread, except
// `ioc` (posted to from the accepting thread).
struct Worker {
  explicit Worker(Server& owner) : server(owner) {}
  void BeginDrain();
  void ForceClose();

  Server& server;
  // Declared before the io_context so that they outlive the coroutine frames it may destroy.
  ConnectionList connections;
  WaiterList waiters;  // request coroutines suspended in IoWaiter::Wait
  StackPool stacks;
  std::unique_ptr<RequestHandler> handler;
  bool draining = false;
  bool forcing = false;
  asio::io_context ioc{1};
  Timer sweeper{ioc};
  std::thread thread;
};

// The listener and the shutdown sequence, on their own io_context run by the thread that called Serve: a handler
// that blocks its serving thread can then delay neither the reaction to SIGTERM nor the accepting of connections.
class Server {
 public:
  explicit Server(const ServerOptions& options);
  // Binds, builds the handlers, calls `on_listening`, serves and drains; returns when drained.
  void Run(const HandlerFactory& make_handler, const ListeningCallback& on_listening, const std::stop_token& stop);
  [[nodiscard]] const ServerOptions& Options() const { return options_; }
  // Called on a worker thread when one of its connections has ended.
  void ConnectionClosed() noexcept;
  // Reserves a place for one DeferredWork; false when `max_blocking_queue` are already pending or running.
  bool AdmitBlocking() noexcept;
  // Gives back a place reserved by AdmitBlocking.
  void ReleaseBlocking() noexcept { blocking_.fetch_sub(1); }
  // The pool that runs DeferredWork::blocking.
  asio::thread_pool& BlockingPool() { return blocking_pool_; }
  // Set once the drain is cut short: DeferredWork that has not started by then is not run at all.
  [[nodiscard]] const std::atomic<bool>& Forcing() const { return forcing_; }

 private:
  static std::vector<std::unique_ptr<Worker>> MakeWorkers(Server& server, unsigned threads);
  void Listen();
  Task<void> Accept();
  void RefuseOverCap(Socket& socket);
  void WarnOfRefusals();
  void WaitForSignal();
  void BeginDrain();
  void ForceClose();
  void CheckDrained();
  void StopAll();
  void JoinAll();

  const ServerOptions options_;
  ServerGauges own_gauges_;  // used when the options name none
  ServerGauges& gauges_;
  std::atomic<std::size_t>& connections_;  // accepted and not yet ended, over all workers
  std::atomic<bool>& draining_;
  std::atomic<bool> forcing_{false};
  bool finished_ = false;
  std::size_t next_worker_ = 0;
  std::uint16_t port_ = 0;
  std::atomic<std::size_t> blocking_{0};  // DeferredWork admitted and not yet answered, over all workers
  std::vector<std::unique_ptr<Worker>> workers_;
  // After the workers, which its completions are posted to.
  asio::thread_pool blocking_pool_;
  // After the workers: operations it may still hold at destruction own sockets of the workers' io_contexts.
  asio::io_context control_{1};
  Acceptor acceptor_;
  SignalSet signals_;
  Timer drain_timer_;
  // Connections refused over max_connections and not yet reported; the warning comes at most once a second.
  std::size_t refused_unreported_ = 0;
  Clock::time_point last_refusal_warning_;
  bool refusal_warning_due_ = false;
  Timer refusal_warning_timer_{control_};
};

// One client connection: reads requests one after the other (pipelined ones straight from the buffer), hands each
// to the thread's handler and writes the answer. Deadlines are stored, not armed: the worker's sweeper enforces them.
class Connection : public ConnectionHook {
 public:
  Connection(Worker& worker, Socket socket)
      : worker_(worker),
        options_(worker.server.Options()),
        socket_(std::move(socket)),
        reader_(options_) {
    head_.reserve(512);
    worker_.connections.push_back(*this);
  }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection() { worker_.connections.erase(worker_.connections.iterator_to(*this)); }

  // Serves the connection until it closes.
  Task<void> Run();
  [[nodiscard]] Clock::time_point Deadline() const { return deadline_; }
  [[nodiscard]] bool Idle() const { return idle_; }
  // Ends the connection at its next step (deadline passed or drain time over).
  void Abort() {
    aborted_ = true;
    error_code ignored;
    socket_.cancel(ignored);
  }
  // Wakes a connection waiting for a request so that it notices the drain.
  void Interrupt() {
    error_code ignored;
    socket_.cancel(ignored);
  }

 private:
  enum class Outcome { kComplete, kRefused, kGone };

  Task<error_code> ReadSome();
  Task<Outcome> ReadHeader();
  Task<Outcome> ReadBody();
  Task<bool> Write(const Response& response, bool keep_alive, bool head_only);
  Task<void> Close(bool linger);
  Response Dispatch(const Request& request);
  // Dispatch in a stackful coroutine of its own, with its IoWaiter installed.
  Task<Response> DispatchInCoroutine(const Request& request);
  Task<std::optional<Response>> Defer(const Request& request, const DeferredWork& work);
  void FormatHead(const Response& response, bool keep_alive);
  // The outcome of a reader's step that needs no more bytes.
  Outcome Settle(RequestReader::Step step) {
    if (step != RequestReader::Step::kRefused) return Outcome::kComplete;
    refusal_ = reader_.Refusal();
    return Outcome::kRefused;
  }
  Outcome CheckHead() { return Settle(reader_.CheckHead()); }
  [[nodiscard]] bool HasUnreadInput() const {
    error_code ec;
    return socket_.available(ec) > 0 && !ec;
  }

  Worker& worker_;
  const ServerOptions& options_;
  Socket socket_;
  RequestReader reader_;
  std::string head_;
  Clock::time_point deadline_ = kNever;
  bool idle_ = false;
  bool aborted_ = false;
  Error refusal_;
  std::string peer_;                             // the socket's peer address; empty when it could not be read
};

// The IoWaiter of one request's coroutine: a wait suspends the coroutine, and the serving thread goes on with its
// other connections and requests. It is the thread's current waiter while the coroutine runs, and hands the thread
// back with the previous one while the coroutine is suspended.
class CoroutineWaiter final : public IoWaiter, public WaiterHook {
 public:
  CoroutineWaiter(Worker& worker, const Yield& yield)
      : worker_(worker), yield_(yield), timer_(worker.ioc), outer_(ExchangeCurrentIoWaiter(this)) {}
  ~CoroutineWaiter() override { ExchangeCurrentIoWaiter(outer_); }
  CoroutineWaiter(const CoroutineWaiter&) = delete;
  CoroutineWaiter& operator=(const CoroutineWaiter&) = delete;

  bool Wait(int fd, IoEvent events, Clock::time_point deadline) override;
  bool Park() override;
  void Unpark() override { timer_.cancel(); }
  // Ends the current wait or park at once, as if its deadline had passed (the drain is cut short).
  void Cancel() { timer_.cancel(); }

 private:
  // For the time the coroutine is suspended: the thread's current waiter is the one this one replaced, and the
  // worker lists this one among those a cut-short drain cancels.
  class Suspension {
   public:
    explicit Suspension(CoroutineWaiter& waiter) : waiter_(waiter) {
      waiter_.worker_.waiters.push_back(waiter_);
      ExchangeCurrentIoWaiter(waiter_.outer_);
    }
    ~Suspension() {
      waiter_.outer_ = ExchangeCurrentIoWaiter(&waiter_);
      waiter_.worker_.waiters.erase(waiter_.worker_.waiters.iterator_to(waiter_));
    }
    Suspension(const Suspension&) = delete;
    Suspension& operator=(const Suspension&) = delete;

   private:
    CoroutineWaiter& waiter_;
  };

  Worker& worker_;
  Yield yield_;
  Timer timer_;
  IoWaiter* outer_;
};

bool CoroutineWaiter::Wait(int fd, IoEvent events, Clock::time_point deadline) {
  namespace experimental = asio::experimental;
  if (worker_.forcing) return false;
  // A duplicate is registered with the reactor for this wait only, so that several coroutines may wait on one
  // descriptor; a fresh registration also reports readiness that came before it.
  const int duplicate = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (duplicate < 0) throw std::system_error(errno, std::generic_category(), "fcntl(F_DUPFD_CLOEXEC)");
  std::optional<Descriptor> descriptor;
  struct Release {
    int duplicate;
    std::optional<Descriptor>& descriptor;
    ~Release() {
      // Deregistered before it is closed: the reactor must not keep a registration for a number reused later.
      if (descriptor) descriptor->release();
      ::close(duplicate);
    }
  } release{duplicate, descriptor};
  descriptor.emplace(worker_.ioc, duplicate);
  timer_.expires_at(deadline);
  const Suspension suspension(*this);
  // Whichever completes first cancels the others; the group completes once all have.
  switch (events) {
    case IoEvent::kReadable: {
      const auto [order, ready, timer] =
          experimental::make_parallel_group(descriptor->async_wait(Descriptor::wait_read, asio::deferred),
                                            timer_.async_wait(asio::deferred))
              .async_wait(experimental::wait_for_one(), yield_);
      return order[0] == 0 && !ready;
    }
    case IoEvent::kWritable: {
      const auto [order, ready, timer] =
          experimental::make_parallel_group(descriptor->async_wait(Descriptor::wait_write, asio::deferred),
                                            timer_.async_wait(asio::deferred))
              .async_wait(experimental::wait_for_one(), yield_);
      return order[0] == 0 && !ready;
    }
    case IoEvent::kEither: {
      const auto [order, readable, writable, timer] =
          experimental::make_parallel_group(descriptor->async_wait(Descriptor::wait_read, asio::deferred),
                                            descriptor->async_wait(Descriptor::wait_write, asio::deferred),
                                            timer_.async_wait(asio::deferred))
              .async_wait(experimental::wait_for_one(), yield_);
      return (order[0] == 0 && !readable) || (order[0] == 1 && !writable);
    }
  }
  return false;
}

bool CoroutineWaiter::Park() {
  if (worker_.forcing) return false;
  // The timer never expires: Unpark (or a cut-short drain) cancels it, which costs no system call.
  timer_.expires_at(Clock::time_point::max());
  {
    const Suspension suspension(*this);
    boost::system::error_code cancelled;
    timer_.async_wait(yield_[cancelled]);
  }
  return !worker_.forcing;
}

Task<void> Connection::Run() {
  const Clock::time_point opened = Clock::now();
  peer_ = PeerAddress(socket_);
  bool first = true;
  for (;;) {
    if (worker_.forcing) co_return;
    // The header deadline runs from when the request's first byte is awaited (the connection's opening for the
    // first request); the wait between keep-alive requests is governed by the idle timeout instead.
    Clock::time_point header_due = Clock::now() + options_.header_deadline;
    if (reader_.Buffered() == 0) {
      if (worker_.draining && !HasUnreadInput()) co_return;
      deadline_ = first ? opened + options_.header_deadline : Clock::now() + options_.idle_timeout;
      idle_ = true;
      const error_code ec = co_await ReadSome();
      idle_ = false;
      if (aborted_) co_return;
      if (ec == asio::error::operation_aborted && worker_.draining) continue;
      if (ec) co_return;
      header_due = first ? opened + options_.header_deadline : Clock::now() + options_.header_deadline;
    }
    first = false;
    deadline_ = header_due;
    const bool unavailable = worker_.draining;

    reader_.StartRequest();
    Outcome outcome = co_await ReadHeader();
    if (outcome == Outcome::kComplete) outcome = CheckHead();
    if (outcome == Outcome::kComplete && !unavailable) outcome = co_await ReadBody();
    if (outcome == Outcome::kGone || aborted_) co_return;

    const bool have_request = reader_.HeaderDone();
    const bool head_only = have_request && reader_.IsHead();
    const ParsedRequest request(reader_.Parsed(), peer_, options_.trusted_proxies);
    if (outcome == Outcome::kRefused || unavailable) {
      if (outcome != Outcome::kRefused) refusal_ = Error{ErrorCode::kUnavailable, {}, {}, {}, false};
      const Response response = Refused(*worker_.handler, refusal_, have_request ? &request : nullptr);
      // Linger only when part of the request may still be on its way.
      if (co_await Write(response, false, head_only)) co_await Close(!reader_.Done());
      co_return;
    }

    deadline_ = kNever;
    // Not a conditional expression: GCC 12 mishandles the temporaries of a co_await inside one.
    Response response;
    if (options_.suspendable || worker_.handler->Suspends(request)) {
      response = co_await DispatchInCoroutine(request);
    } else {
      response = Dispatch(request);
    }
    if (response.deferred) {
      const std::shared_ptr<DeferredWork> work = std::move(response.deferred);
      std::optional<Response> finished = co_await Defer(request, *work);
      if (!finished) co_return;
      response = std::move(*finished);
    }
    const bool keep_alive = reader_.KeepAlive() && !response.close_connection && !worker_.draining;
    if (!co_await Write(response, keep_alive, head_only)) co_return;
    if (!keep_alive) {
      co_await Close(false);
      co_return;
    }
  }
}

Task<error_code> Connection::ReadSome() {
  const std::span<char> room = reader_.Prepare();
  if (room.empty()) co_return bhttp::error::buffer_overflow;
  auto [ec, received] = co_await socket_.async_read_some(asio::buffer(room.data(), room.size()), kAwait);
  reader_.Commit(received);
  if (aborted_ && !ec) ec = asio::error::timed_out;
  co_return ec;
}

Task<Connection::Outcome> Connection::ReadHeader() {
  for (;;) {
    const RequestReader::Step step = reader_.ReadHeader();
    if (step != RequestReader::Step::kNeedMore) co_return Settle(step);
    const error_code ec = co_await ReadSome();
    if (ec) co_return Outcome::kGone;
  }
}

Task<Connection::Outcome> Connection::ReadBody() {
  RequestReader::Step step = reader_.StartBody();
  if (step != RequestReader::Step::kNeedMore) co_return Settle(step);
  deadline_ = Clock::now() + options_.body_deadline;
  if (reader_.Buffered() == 0 && reader_.ExpectsContinue()) {
    const auto [ec, written] = co_await asio::async_write(socket_, asio::buffer(kContinue), kAwait);
    if (ec || aborted_) co_return Outcome::kGone;
  }
  for (;;) {
    step = reader_.ReadBody();
    if (step != RequestReader::Step::kNeedMore) co_return Settle(step);
    const error_code ec = co_await ReadSome();
    if (ec) co_return Outcome::kGone;
  }
}

Response Connection::Dispatch(const Request& request) {
  try {
    return worker_.handler->Handle(request);
  } catch (const std::exception& error) {
    spdlog::error("http: request handler threw: {}", error.what());
  } catch (const boost::context::detail::forced_unwind&) {
    // A suspended coroutine being destroyed unwinds its stack with this: it must reach the coroutine's entry.
    throw;
  } catch (...) {
    spdlog::error("http: request handler threw a non-standard exception");
  }
  return Refused(*worker_.handler, ErrorCode::kInternal, &request);
}

// The handler's code is synchronous: a stackful coroutine lets it suspend deep inside (a database driver waiting for
// its socket) without being rewritten, while this connection's own coroutine waits for the answer.
Task<Response> Connection::DispatchInCoroutine(const Request& request) {
  return asio::spawn(
      worker_.ioc.get_executor(), std::allocator_arg, PooledStack(worker_.stacks),
      [this, &request](const Yield& yield) {
        CoroutineWaiter waiter(worker_, yield);
        return Dispatch(request);
      },
      asio::use_awaitable_t<Executor>{});
}

// Suspends only this connection: the serving thread goes on with the others while the pool runs the work.
Task<std::optional<Response>> Connection::Defer(const Request& request, const DeferredWork& work) {
  Server& server = worker_.server;
  if (!server.AdmitBlocking()) co_return Refused(*worker_.handler, ErrorCode::kUnavailable, &request);
  struct Release {
    Server& server;
    ~Release() { server.ReleaseBlocking(); }
  } release{server};

  bool failed = false;
  bool ran = true;
  try {
    ran = co_await RunOnPool(server.BlockingPool(), work.blocking, server.Forcing(), asio::use_awaitable_t<Executor>{});
  } catch (const std::exception& error) {
    spdlog::error("http: deferred work threw: {}", error.what());
    failed = true;
  } catch (...) {
    spdlog::error("http: deferred work threw a non-standard exception");
    failed = true;
  }
  // A forced close during the work ends the connection unanswered, as at any other step.
  if (aborted_ || !ran) co_return std::nullopt;
  if (failed) co_return Refused(*worker_.handler, ErrorCode::kInternal, &request);

  try {
    Response response = work.finish();
    if (!response.deferred) co_return response;
    spdlog::error("http: a deferred answer's finish answered with deferred work again");
  } catch (const std::exception& error) {
    spdlog::error("http: deferred answer's finish threw: {}", error.what());
  } catch (...) {
    spdlog::error("http: deferred answer's finish threw a non-standard exception");
  }
  co_return Refused(*worker_.handler, ErrorCode::kInternal, &request);
}

void Connection::FormatHead(const Response& response, bool keep_alive) {
  reader_.FormatHead(response, keep_alive, head_);
}

Task<bool> Connection::Write(const Response& response, bool keep_alive, bool head_only) {
  const bool send_body = !head_only && !IsBodyless(EffectiveStatus(response.status)) && !response.body.empty();
  FormatHead(response, keep_alive);
  deadline_ = Clock::now() + options_.write_timeout;
  const std::array<asio::const_buffer, 2> buffers{asio::buffer(head_),
                                                  send_body ? asio::buffer(response.body) : asio::const_buffer()};
  const auto [ec, written] = co_await asio::async_write(socket_, buffers, kAwait);
  if (ec && aborted_) {
    // The client took no answer in time: a reset drops what is still queued for it at once, where a plain close
    // would leave it in the kernel until the client reads or the orphaned socket gives up, minutes later. Closed
    // here: the socket's destructor would clear the linger option first.
    error_code ignored;
    socket_.set_option(asio::socket_base::linger(true, 0), ignored);
    socket_.close(ignored);
  }
  co_return !ec && !aborted_;
}

Task<void> Connection::Close(bool linger) {
  error_code ignored;
  if (linger || reader_.Buffered() > 0 || HasUnreadInput()) {
    socket_.shutdown(Socket::shutdown_send, ignored);
    deadline_ = Clock::now() + kLingerTime;
    std::size_t dropped = 0;
    while (!aborted_ && dropped < kLingerBytes) {
      const std::span<char> room = reader_.PrepareDiscard();
      const auto [ec, received] = co_await socket_.async_read_some(asio::buffer(room.data(), room.size()), kAwait);
      if (ec) break;
      dropped += received;
    }
  }
  socket_.shutdown(Socket::shutdown_both, ignored);
  socket_.close(ignored);
}

void Worker::BeginDrain() {
  draining = true;
  for (Connection& connection : connections) {
    if (connection.Idle()) connection.Interrupt();
  }
}

void Worker::ForceClose() {
  draining = true;
  forcing = true;
  for (Connection& connection : connections) connection.Abort();
  for (CoroutineWaiter& waiter : waiters) waiter.Cancel();
}

// Deadlines are enforced by one periodic scan per thread rather than a timer per connection: moving a deadline
// is then a plain store, with no timer to cancel and re-arm several times per request.
Task<void> Sweep(Worker& worker, Clock::duration tick) {
  for (;;) {
    worker.sweeper.expires_after(tick);
    const auto [ec] = co_await worker.sweeper.async_wait(kAwait);
    if (ec) co_return;
    const Clock::time_point now = Clock::now();
    for (Connection& connection : worker.connections) {
      if (connection.Deadline() <= now) connection.Abort();
    }
  }
}

Task<void> ServeConnection(Worker& worker, Socket socket) {
  struct Release {
    Server& server;
    ~Release() { server.ConnectionClosed(); }
  } release{worker.server};
  try {
    Connection connection(worker, std::move(socket));
    co_await connection.Run();
  } catch (const std::exception& error) {
    spdlog::warn("http: connection ended by an error: {}", error.what());
  }
}

Clock::duration SweepTick(const ServerOptions& options) {
  using std::chrono::milliseconds;
  const milliseconds shortest =
      std::min({options.header_deadline, options.body_deadline, options.idle_timeout, options.write_timeout});
  return std::clamp<milliseconds>(shortest / 10, milliseconds(5), milliseconds(250));
}

void RunUntilStopped(asio::io_context& ioc) {
  for (;;) {
    try {
      ioc.run();
      return;
    } catch (const std::exception& error) {
      spdlog::error("http: serving thread caught: {}", error.what());
    }
  }
}

Server::Server(const ServerOptions& options)
    : options_(options),
      gauges_(options.gauges != nullptr ? *options.gauges : own_gauges_),
      connections_(gauges_.open_connections),
      draining_(gauges_.draining),
      workers_(MakeWorkers(*this, options.threads != 0 ? options.threads : std::thread::hardware_concurrency())),
      // A pool of none would leave every DeferredWork waiting forever.
      blocking_pool_(std::max(options.blocking_threads, 1U)),
      acceptor_(control_),
      signals_(control_),
      drain_timer_(control_) {
  if (options.handle_signals) {
    signals_.add(SIGINT);
    signals_.add(SIGTERM);
  }
}

bool Server::AdmitBlocking() noexcept {
  if (blocking_.fetch_add(1) < options_.max_blocking_queue) return true;
  blocking_.fetch_sub(1);
  return false;
}

std::vector<std::unique_ptr<Worker>> Server::MakeWorkers(Server& server, unsigned threads) {
  std::vector<std::unique_ptr<Worker>> workers;
  for (unsigned i = 0; i < std::max(threads, 1U); ++i) workers.push_back(std::make_unique<Worker>(server));
  return workers;
}

void Server::Listen() {
  const std::string where = options_.host + ":" + std::to_string(options_.port);
  const auto fail = [&where](const error_code& ec) {
    throw UsageError("cannot listen on " + where + ": " + ec.message());
  };
  error_code ec;
  Resolver resolver(control_);
  const auto endpoints =
      resolver.resolve(options_.host, std::to_string(options_.port), Resolver::passive | Resolver::numeric_service, ec);
  if (ec) fail(ec);
  if (endpoints.empty()) fail(asio::error::host_not_found);
  const asio::ip::tcp::endpoint endpoint = endpoints.begin()->endpoint();
  acceptor_.open(endpoint.protocol(), ec);
  if (ec) fail(ec);
  acceptor_.set_option(Acceptor::reuse_address(true), ec);
  if (ec) fail(ec);
  acceptor_.bind(endpoint, ec);
  if (ec) fail(ec);
  acceptor_.listen(Acceptor::max_listen_connections, ec);
  if (ec) fail(ec);
  port_ = acceptor_.local_endpoint(ec).port();
  if (ec) fail(ec);
}

// One acceptor hands its connections round-robin to the serving threads (rather than one SO_REUSEPORT listener
// per thread): the few long-lived keep-alive connections of a client spread exactly evenly instead of by hash, a
// port already in use fails the bind instead of being silently shared, and closing the listener on drain cannot
// reset connections still queued on another thread's socket. Each connection then stays on its thread.
Task<void> Server::Accept() {
  Timer backoff(control_);
  for (;;) {
    Worker& worker = *workers_[next_worker_];
    auto [ec, socket] = co_await acceptor_.async_accept(worker.ioc, kAwait);
    if (draining_ || ec == asio::error::operation_aborted) co_return;
    if (ec) {
      // Out of descriptors or memory: accepting again at once would spin.
      if (ec == asio::error::no_descriptors || ec.value() == ENFILE || ec == asio::error::no_buffer_space ||
          ec == asio::error::no_memory) {
        backoff.expires_after(std::chrono::milliseconds(50));
        co_await backoff.async_wait(kAwait);
      }
      continue;
    }
    if (connections_.load() >= options_.max_connections) {
      RefuseOverCap(socket);
      continue;
    }
    next_worker_ = (next_worker_ + 1) % workers_.size();
    socket.set_option(asio::ip::tcp::no_delay(true), ec);
    // A fixed send buffer instead of the kernel's automatic sizing, which grows it to megabytes for a client that
    // pipelines requests and never reads their answers (docs/security.md, "Hostile clients").
    if (options_.socket_send_buffer != 0) {
      const auto bytes = std::min<std::size_t>(options_.socket_send_buffer, std::numeric_limits<int>::max());
      socket.set_option(asio::socket_base::send_buffer_size(static_cast<int>(bytes)), ec);
    }
    connections_.fetch_add(1);
    asio::co_spawn(worker.ioc, ServeConnection(worker, std::move(socket)), asio::detached);
  }
}

// Over the cap the answer is written unread and without waiting (MSG_DONTWAIT: a new socket's send buffer is empty,
// and the accepting thread must never block on a client), then the socket is closed: the connection costs the
// server nothing beyond the accept. MSG_NOSIGNAL: a client already gone raises no SIGPIPE.
void Server::RefuseOverCap(Socket& socket) {
  static constexpr std::string_view kAnswer =
      "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nConnection: close\r\nContent-Length: 0\r\n\r\n";
  // Best effort: a client that reset the connection at once only misses the answer.
  static_cast<void>(::send(socket.native_handle(), kAnswer.data(), kAnswer.size(), MSG_DONTWAIT | MSG_NOSIGNAL));
  error_code ignored;
  socket.close(ignored);
  gauges_.refused_connections.fetch_add(1, std::memory_order_relaxed);
  ++refused_unreported_;
  if (refusal_warning_due_) return;
  const Clock::time_point next_warning = last_refusal_warning_ + std::chrono::seconds(1);
  if (Clock::now() >= next_warning) {
    WarnOfRefusals();
    return;
  }
  // Refusals within a second of the last warning are counted into one more, at the end of that second.
  refusal_warning_due_ = true;
  refusal_warning_timer_.expires_at(next_warning);
  refusal_warning_timer_.async_wait([this](const error_code& ec) {
    refusal_warning_due_ = false;
    if (!ec) WarnOfRefusals();
  });
}

void Server::WarnOfRefusals() {
  spdlog::warn("http: {} new connection(s) answered 503 and closed: {} open, the most allowed (--max-connections {})",
               refused_unreported_, connections_.load(), options_.max_connections);
  refused_unreported_ = 0;
  last_refusal_warning_ = Clock::now();
}

void Server::WaitForSignal() {
  signals_.async_wait([this](const error_code& ec, int /*signal*/) {
    if (ec) return;
    // A second signal cuts the drain short.
    if (draining_) {
      ForceClose();
    } else {
      BeginDrain();
    }
    WaitForSignal();
  });
}

void Server::BeginDrain() {
  if (draining_.exchange(true) || finished_) return;
  error_code ignored;
  acceptor_.close(ignored);
  if (options_.on_drain) options_.on_drain();
  for (auto& worker : workers_) asio::post(worker->ioc, [&w = *worker] { w.BeginDrain(); });
  drain_timer_.expires_after(options_.drain_time);
  drain_timer_.async_wait([this](const error_code& ec) {
    if (!ec) ForceClose();
  });
  CheckDrained();
}

void Server::ForceClose() {
  forcing_.store(true);
  for (auto& worker : workers_) asio::post(worker->ioc, [&w = *worker] { w.ForceClose(); });
}

void Server::ConnectionClosed() noexcept {
  if (connections_.fetch_sub(1) == 1 && draining_.load()) {
    try {
      asio::post(control_, [this] { CheckDrained(); });
    } catch (const std::exception& error) {
      // Only the drain timer can end the drain now.
      spdlog::error("http: cannot report the last connection's end: {}", error.what());
    }
  }
}

void Server::CheckDrained() {
  if (!draining_.load() || finished_ || connections_.load() != 0) return;
  finished_ = true;
  drain_timer_.cancel();
  error_code ignored;
  signals_.cancel(ignored);
  StopAll();
}

void Server::StopAll() {
  for (auto& worker : workers_) worker->ioc.stop();
  control_.stop();
}

void Server::JoinAll() {
  for (auto& worker : workers_) {
    if (worker->thread.joinable()) worker->thread.join();
  }
}

void Server::Run(const HandlerFactory& make_handler, const ListeningCallback& on_listening,
                 const std::stop_token& stop) {
  Listen();
  for (auto& worker : workers_) asio::co_spawn(worker->ioc, Sweep(*worker, SweepTick(options_)), asio::detached);

  // Each serving thread builds its own handler before it serves; accepting starts only when all of them exist.
  std::latch ready(static_cast<std::ptrdiff_t>(workers_.size()));
  std::vector<std::exception_ptr> failures(workers_.size());
  for (std::size_t index = 0; index < workers_.size(); ++index) {
    try {
      workers_[index]->thread = std::thread([this, index, &ready, &failures, &make_handler] {
        Worker& worker = *workers_[index];
        try {
          worker.handler = make_handler();
          if (!worker.handler) throw std::logic_error("the handler factory returned no handler");
        } catch (...) {
          failures[index] = std::current_exception();
        }
        ready.count_down();
        RunUntilStopped(worker.ioc);
        worker.handler.reset();
      });
    } catch (...) {
      failures[index] = std::current_exception();
      ready.count_down();
    }
  }
  ready.wait();
  for (const std::exception_ptr& failure : failures) {
    if (failure) {
      StopAll();
      JoinAll();
      std::rethrow_exception(failure);
    }
  }

  const std::stop_callback on_stop(stop, [this] { asio::post(control_, [this] { BeginDrain(); }); });
  if (options_.handle_signals) WaitForSignal();
  try {
    on_listening(port_);
  } catch (...) {
    StopAll();
    JoinAll();
    throw;
  }
  asio::co_spawn(control_, Accept(), asio::detached);
  RunUntilStopped(control_);
  JoinAll();
  // Lets work still queued or running finish rather than abandoning it; the drain normally leaves none.
  blocking_pool_.join();
}

}  // namespace

void Serve(const ServerOptions& options, const HandlerFactory& make_handler, const ListeningCallback& on_listening) {
  Serve(options, make_handler, on_listening, std::stop_token());
}

void Serve(const ServerOptions& options, const HandlerFactory& make_handler, const ListeningCallback& on_listening,
           const std::stop_token& stop) {
  Server server(options);
  server.Run(make_handler, on_listening, stop);
}

}  // namespace phonechat::http
