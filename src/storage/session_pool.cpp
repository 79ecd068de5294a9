// The session pool: lending, giving back and waiting for a session with a bounded wait.

#include "storage/session_pool.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <string>
#include <system_error>
#include <utility>

#include "core/io_wait.hpp"
#include "core/process_counters.hpp"

namespace phonechat {

// A borrower waiting for a session: woken through its own eventfd, which works both with a coroutine's IoWaiter and
// with poll(), once a session has been handed to it or it may open one.
struct SessionPool::Waiter {
  int event_fd = -1;
  std::unique_ptr<StoreSession> handed;
  bool may_open = false;

  void Wake() const {
    // Cannot fail short of a bug: the counter is far from overflowing.
    [[maybe_unused]] const int written = eventfd_write(event_fd, 1);
  }
};

SessionPool::SessionPool(Store& store, std::size_t capacity, std::chrono::milliseconds wait)
    : store_(store), capacity_(std::max<std::size_t>(capacity, 1)), wait_(wait) {
  idle_.push_back(store_.OpenSession());
  open_ = 1;
}

SessionPool::~SessionPool() = default;

SessionPool::Lease SessionPool::OpenOne() {
  try {
    return Lease(*this, store_.OpenSession());
  } catch (...) {
    SlotFreed();
    throw;
  }
}

SessionPool::Lease SessionPool::Borrow() {
  if (!idle_.empty()) {
    // The most recently used session: its connection is the warmest.
    Lease lease(*this, std::move(idle_.back()));
    idle_.pop_back();
    return lease;
  }
  if (open_ < capacity_) {
    ++open_;
    return OpenOne();
  }
  Waiter waiter;
  waiter.event_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (waiter.event_fd < 0) throw std::system_error(errno, std::generic_category(), "eventfd");
  waiters_.push_back(&waiter);
  struct Leave {
    SessionPool& pool;
    Waiter& waiter;
    ~Leave() {
      if (const auto found = std::find(pool.waiters_.begin(), pool.waiters_.end(), &waiter);
          found != pool.waiters_.end()) {
        pool.waiters_.erase(found);
      }
      close(waiter.event_fd);
    }
  } leave{*this, waiter};
  const auto started = std::chrono::steady_clock::now();
  const auto deadline = started + wait_;
  while (!waiter.handed && !waiter.may_open) {
    if (!WaitForIo(waiter.event_fd, IoEvent::kReadable, deadline)) break;
  }
  ProcessCounters::Count(Counters().pool_waits);
  ProcessCounters::Count(Counters().pool_wait_microseconds,
                         static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                                        std::chrono::steady_clock::now() - started)
                                                        .count()));
  // Whatever came before the deadline is taken, even if the deadline has passed since.
  if (waiter.handed) return Lease(*this, std::move(waiter.handed));
  if (waiter.may_open) return OpenOne();
  ProcessCounters::Count(Counters().pool_exhausted);
  throw SessionsExhausted("all " + std::to_string(capacity_) + " database sessions of the serving thread stayed in " +
                          "use for " + std::to_string(wait_.count()) + " ms");
}

void SessionPool::GiveBack(std::unique_ptr<StoreSession> session) {
  if (waiters_.empty()) {
    idle_.push_back(std::move(session));
    return;
  }
  Waiter* first = waiters_.front();
  waiters_.pop_front();
  first->handed = std::move(session);
  first->Wake();
}

void SessionPool::SlotFreed() {
  if (waiters_.empty()) {
    --open_;
    return;
  }
  // The slot passes to the first waiter, which opens a session in it.
  Waiter* first = waiters_.front();
  waiters_.pop_front();
  first->may_open = true;
  first->Wake();
}

SessionPool::Lease& SessionPool::Lease::operator=(Lease&& other) noexcept {
  if (this != &other) {
    Return();
    pool_ = std::exchange(other.pool_, nullptr);
    session_ = std::move(other.session_);
  }
  return *this;
}

SessionPool::Lease::~Lease() { Return(); }

void SessionPool::Lease::Return() {
  if (session_) pool_->GiveBack(std::move(session_));
}

void SessionPool::Lease::Discard() {
  if (!session_) return;
  session_.reset();
  pool_->SlotFreed();
}

}  // namespace phonechat
