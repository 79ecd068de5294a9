// The sweeper thread: settlement and Idempotency-Key purging in small transactions, so that it never holds the
// one SQLite writer for long.

#include "service/lifecycle_sweeper.hpp"

#include <spdlog/spdlog.h>

#include "service/booking_lifecycle.hpp"
#include "storage/lifecycle_store.hpp"

namespace phonechat {
namespace {

// Sessions settled per transaction.
constexpr int kSettlementBatch = 200;

}  // namespace

LifecycleSweeper::LifecycleSweeper(Store& store, const ServiceClock& clock, std::chrono::milliseconds interval)
    : store_(store), clock_(clock), interval_(interval), thread_([this] { Run(); }) {}

LifecycleSweeper::~LifecycleSweeper() {
  {
    const std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

int LifecycleSweeper::SweepOnce(Store& store, LocalDateTime now) {
  int settled = 0;
  for (;;) {
    std::unique_ptr<LifecycleTransaction> transaction = store.BeginLifecycle();
    const int batch = SettleDueSessions(*transaction, now, kSettlementBatch);
    transaction->Commit();
    settled += batch;
    if (batch < kSettlementBatch) break;
  }
  std::unique_ptr<LifecycleTransaction> transaction = store.BeginLifecycle();
  transaction->PurgeIdempotencyKeys(AddMinutes(now, -kIdempotencyKeptMinutes));
  transaction->Commit();
  return settled;
}

void LifecycleSweeper::Run() {
  std::unique_lock lock(mutex_);
  while (!wake_.wait_for(lock, interval_, [this] { return stopping_; })) {
    lock.unlock();
    try {
      const int settled = SweepOnce(store_, clock_.LocalNow());
      if (settled > 0) spdlog::info("sweeper: settled {} sessions", settled);
    } catch (const std::exception& failure) {
      spdlog::warn("sweeper: {}; retrying in {} s", failure.what(),
                   std::chrono::duration_cast<std::chrono::seconds>(interval_).count());
    }
    lock.lock();
  }
}

}  // namespace phonechat
