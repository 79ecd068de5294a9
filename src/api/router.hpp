#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "http/server.hpp"
#include "service/lookup_cache.hpp"
#include "service/made_bookings_cache.hpp"
#include "service/service_clock.hpp"
#include "storage/store.hpp"

namespace spdlog {
class logger;
}

namespace phonechat {

class OAuthService;

// Thrown by SessionPool::Borrow when every session stayed in use for the pool's whole wait: the database is too
// slow for the load, not known to be down, so the sessions in use are kept.
class SessionsExhausted : public StoreUnavailable {
 public:
  using StoreUnavailable::StoreUnavailable;
};

// A bounded pool of one store's sessions for the requests of one serving thread, several of which may be in flight
// at once (each in a coroutine of its own). Sessions are opened on demand, up to `capacity`; a request that finds all
// of them lent waits for one (suspending through the thread's IoWaiter, or in poll() without one), first come first
// served, up to the pool's wait. Not thread-safe: one pool per serving thread; it must outlive its leases.
class SessionPool {
 public:
  class Lease;

  // A pool of at most `capacity` (at least 1) sessions of `store`, one of which is opened now.
  SessionPool(Store& store, std::size_t capacity, std::chrono::milliseconds wait);
  ~SessionPool();
  SessionPool(const SessionPool&) = delete;
  SessionPool& operator=(const SessionPool&) = delete;

  // A session for the caller alone until the lease ends. Throws SessionsExhausted when none is given back or
  // closed within the pool's wait, and what opening a session throws.
  Lease Borrow();
  // Sessions open now, idle or lent (one being opened included).
  [[nodiscard]] std::size_t OpenCount() const { return open_; }
  // Sessions open and not lent now.
  [[nodiscard]] std::size_t IdleCount() const { return idle_.size(); }
  // Borrowers waiting now.
  [[nodiscard]] std::size_t WaitingCount() const { return waiters_.size(); }

 private:
  struct Waiter;
  Lease OpenOne();
  void GiveBack(std::unique_ptr<StoreSession> session);
  // A lent session was closed, or opening one failed: a waiter may open one instead.
  void SlotFreed();

  Store& store_;
  std::size_t capacity_;
  std::chrono::milliseconds wait_;
  std::size_t open_ = 0;
  std::vector<std::unique_ptr<StoreSession>> idle_;
  std::deque<Waiter*> waiters_;
};

// A borrowed session: given back to its pool when the lease ends, or closed after Discard(). Empty when
// default-constructed or moved from.
class SessionPool::Lease {
 public:
  Lease() = default;
  Lease(Lease&& other) noexcept = default;
  // Gives back the session held now, then takes over `other`'s.
  Lease& operator=(Lease&& other) noexcept;
  ~Lease();

  // True when it holds a session.
  explicit operator bool() const { return session_ != nullptr; }
  // The session held (the lease must not be empty).
  StoreSession& operator*() const { return *session_; }
  // Closes the session instead of giving it back, after it failed; the lease is then empty.
  void Discard();

 private:
  friend class SessionPool;
  Lease(SessionPool& pool, std::unique_ptr<StoreSession> session) : pool_(&pool), session_(std::move(session)) {}
  void Return();

  SessionPool* pool_ = nullptr;
  std::unique_ptr<StoreSession> session_;
};

// What every serving thread's handler shares: the store, the clock, the access log and the Unified Login.
// Thread-safe.
struct ApiContext {
  Store* store = nullptr;               // the primary: authentication, authorization, audit, writes
  std::vector<Store*> read_replicas;    // where the lists are read; empty: the primary. Each thread uses one.
  const ServiceClock* clock = nullptr;
  std::shared_ptr<spdlog::logger> access_log;  // one JSON object per request; null disables it
  OAuthService* oauth = nullptr;  // the Unified Login; null: its routes answer 503 (the demo pages still load)
  std::string issuer;             // the public base URL every absolute URL the server writes starts with
  std::size_t list_cache_bytes = std::size_t{64} << 20;  // per serving thread (MadeBookingsCache)
  // Sessions per serving thread and store, lent to one request at a time (the server runs requests in coroutines
  // that suspend on the database); 0: one session per thread, shared by its requests, which run one after another.
  std::size_t session_pool_size = 0;
  std::chrono::milliseconds session_wait{7000};  // longest wait for a pooled session, then 503
};

// The API's request handler for one serving thread: routes, authenticates, validates and answers.
class ApiHandler final : public http::RequestHandler {
 public:
  // Opens this thread's store session, or its session pools when `context.session_pool_size` is set.
  explicit ApiHandler(const ApiContext& context);
  ~ApiHandler() override;

  http::Response Handle(const http::Request& request) override;
  http::Response HandleRefused(const Error& refusal, const http::Request* request) override;

 private:
  struct Exchange;
  http::Response Dispatch(const http::Request& request, Exchange& exchange);
  static void LogAccess(const ApiContext& context, std::string_view method, const Exchange& exchange, int status);

  struct Borrowed;
  // The primary's session for this request: the thread's own, or one borrowed from the pool for the request.
  StoreSession& Session(Exchange& exchange);
  // The session the lists are read from: the replica's when there is one, else Session().
  StoreSession& ReadSession(Exchange& exchange);
  // Drops the replica's session after it failed; the next request opens or borrows another.
  void DropReadSession(Exchange& exchange);

  const ApiContext& context_;
  std::unique_ptr<StoreSession> session_;       // without pools: the thread's session of the primary
  Store* read_replica_ = nullptr;               // this thread's replica, if any
  std::unique_ptr<StoreSession> read_session_;  // without pools: opened on first use, dropped when the replica fails
  std::unique_ptr<SessionPool> pool_;           // with pools: the primary's sessions
  std::unique_ptr<SessionPool> read_pool_;      // with pools and a replica: the replica's sessions
  LookupCache lookups_;       // used while the store reports versions
  MadeBookingsCache lists_;   // used while the store reports versions and the lists are read from the primary
};

// The scope every PhoneChat route needs.
inline constexpr std::string_view kPhoneChatBookingsScope = "account_phonechat_bookings";

}  // namespace phonechat
