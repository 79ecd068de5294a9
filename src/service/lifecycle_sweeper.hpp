#pragma once

// The background work of the life cycle: settling sessions that are over and purging expired Idempotency-Keys.

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "service/service_clock.hpp"
#include "storage/store.hpp"

namespace phonechat {

// Every `interval`, settles the sessions that are over (Earning to the candidate, docs/api.md "Credits") and purges
// Idempotency-Key answers older than 24 hours, each batch in its own life-cycle transaction. Runs on a thread of
// its own from construction until destruction; a failed run is logged and retried at the next interval.
class LifecycleSweeper {
 public:
  // `store` and `clock` must outlive the sweeper.
  LifecycleSweeper(Store& store, const ServiceClock& clock, std::chrono::milliseconds interval);
  ~LifecycleSweeper();
  LifecycleSweeper(const LifecycleSweeper&) = delete;
  LifecycleSweeper& operator=(const LifecycleSweeper&) = delete;

  // One pass now, on the calling thread: settles every due session and purges expired keys. Returns the sessions
  // settled. Throws what storage throws.
  static int SweepOnce(Store& store, LocalDateTime now);

 private:
  void Run();

  Store& store_;
  const ServiceClock& clock_;
  std::chrono::milliseconds interval_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace phonechat
