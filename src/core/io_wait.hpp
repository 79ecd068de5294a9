// How code that waits for a socket suspends a coroutine instead of blocking its thread, when the thread allows it.
#pragma once

#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <system_error>

namespace phonechat {

// What a descriptor is awaited for.
enum class IoEvent : std::uint8_t {
  kReadable = 1,
  kWritable = 2,
  kEither = 3,  // readable or writable, whichever comes first
};

// Suspends the code that waits instead of blocking its thread: a server that runs each request in a coroutine
// installs one (IoWaiterScope) for the time the coroutine runs, and the storage code that waits for a socket asks
// CurrentIoWaiter() first. Code that finds none waits in poll() (command-line tools, tests, threads that may block).
class IoWaiter {
 public:
  // The latest deadline: wait without limit.
  static constexpr std::chrono::steady_clock::time_point kNoDeadline = std::chrono::steady_clock::time_point::max();

  virtual ~IoWaiter() = default;
  // Suspends the caller until `fd` is ready for `events` (an error or hang-up counts as ready): true then; false
  // when `deadline` passed first or the waiter is shutting down. Throws std::system_error when `fd` cannot be
  // waited for. `fd` stays open and owned by the caller.
  virtual bool Wait(int fd, IoEvent events, std::chrono::steady_clock::time_point deadline) = 0;
  // Suspends the caller until another coroutine of the same thread calls Unpark() on this waiter: true then; false
  // when the waiter is shutting down first (then the caller must not park again).
  virtual bool Park() = 0;
  // Resumes this waiter's coroutine from its Park(), once the calling coroutine yields; nothing when it is not
  // parked. Only from the waiter's own thread.
  virtual void Unpark() = 0;
  // Wait(fd, IoEvent::kReadable, deadline).
  bool WaitReadable(int fd, std::chrono::steady_clock::time_point deadline) {
    return Wait(fd, IoEvent::kReadable, deadline);
  }
  // Wait(fd, IoEvent::kWritable, deadline).
  bool WaitWritable(int fd, std::chrono::steady_clock::time_point deadline) {
    return Wait(fd, IoEvent::kWritable, deadline);
  }
};

namespace io_wait_detail {
// The calling thread's current waiter; only IoWaiterScope and ExchangeCurrentIoWaiter write it.
inline thread_local IoWaiter* current = nullptr;
}  // namespace io_wait_detail

// The waiter installed on the calling thread, or null.
inline IoWaiter* CurrentIoWaiter() noexcept { return io_wait_detail::current; }

// Installs `waiter` (may be null) on the calling thread and returns the one it replaces. A waiter whose coroutine
// suspends hands the thread back with the previous value and takes it again when it resumes.
inline IoWaiter* ExchangeCurrentIoWaiter(IoWaiter* waiter) noexcept {
  IoWaiter* previous = io_wait_detail::current;
  io_wait_detail::current = waiter;
  return previous;
}

// Installs a waiter for its lifetime, then restores the one it replaced.
class IoWaiterScope {
 public:
  // Makes `waiter` the calling thread's current waiter.
  explicit IoWaiterScope(IoWaiter* waiter) noexcept : previous_(ExchangeCurrentIoWaiter(waiter)) {}
  ~IoWaiterScope() { ExchangeCurrentIoWaiter(previous_); }
  IoWaiterScope(const IoWaiterScope&) = delete;
  IoWaiterScope& operator=(const IoWaiterScope&) = delete;

 private:
  IoWaiter* previous_;
};

// Blocks the calling thread in poll() until `fd` is ready for `events` (true) or `deadline` passes (false).
// Throws std::system_error when poll() fails.
inline bool PollIo(int fd, IoEvent events, std::chrono::steady_clock::time_point deadline) {
  const auto mask = static_cast<std::uint8_t>(events);
  pollfd descriptor{fd, static_cast<short>(((mask & 1) != 0 ? POLLIN : 0) | ((mask & 2) != 0 ? POLLOUT : 0)), 0};
  for (;;) {
    int wait_ms = -1;
    if (deadline != IoWaiter::kNoDeadline) {
      // Rounded up: a wait cut short by rounding would report a timeout before the deadline.
      const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      wait_ms = left.count() <= 0 ? 0 : static_cast<int>(std::min<std::int64_t>(left.count(), 1'000'000'000));
    }
    const int ready = poll(&descriptor, 1, wait_ms);
    if (ready > 0) return true;
    if (ready == 0) {
      if (wait_ms < 0 || std::chrono::steady_clock::now() >= deadline) return false;
      continue;
    }
    if (errno != EINTR) throw std::system_error(errno, std::generic_category(), "poll");
  }
}

// Waits for `fd` through the thread's current waiter when one is installed, else in poll(); as IoWaiter::Wait.
inline bool WaitForIo(int fd, IoEvent events, std::chrono::steady_clock::time_point deadline) {
  if (IoWaiter* waiter = CurrentIoWaiter()) return waiter->Wait(fd, events, deadline);
  return PollIo(fd, events, deadline);
}

}  // namespace phonechat
