// A serving thread's bounded pool of one store's sessions, lent to one request at a time.
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <memory>
#include <vector>

#include "core/error.hpp"
#include "storage/store.hpp"

namespace phonechat {

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

}  // namespace phonechat
