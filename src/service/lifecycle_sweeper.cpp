// The sweeper thread: settlement, Idempotency-Key and Unified Login purging in small transactions, so that it never
// holds the one SQLite writer for long.

#include "service/lifecycle_sweeper.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "service/booking_lifecycle.hpp"
#include "storage/lifecycle_store.hpp"

namespace phonechat {
namespace {

// Sessions settled per transaction.
constexpr int kSettlementBatch = 200;

}  // namespace

OAuthPurgeCutoffs OAuthPurgeCutoffsAt(std::int64_t now_unix_millis, const OAuthRetention& retention) {
  const std::int64_t now_unix = now_unix_millis / 1000;
  OAuthPurgeCutoffs cutoffs;
  cutoffs.now_unix = now_unix;
  // A rotated refresh token presented again revokes its family (docs/api.md, "Refresh"). Kept a lifetime past its
  // expiry, it does so for twice as long as it could ever have been used; kept until its family ends, an active
  // family rotated for a year would keep every token it ever had.
  cutoffs.refresh_expired_before_unix = now_unix - retention.refresh_token_kept.count();
  cutoffs.families_opened_before_unix =
      now_unix - std::max(retention.refresh_token_kept, std::chrono::seconds(kEmptyFamilyKept)).count();
  cutoffs.failures_before_unix_millis = now_unix_millis - retention.login_failure_window.count();
  return cutoffs;
}

LifecycleSweeper::LifecycleSweeper(Store& store, OAuthStore* oauth, OAuthRetention retention,
                                   const ServiceClock& clock, std::chrono::milliseconds interval)
    : store_(store),
      oauth_(oauth),
      retention_(retention),
      clock_(clock),
      interval_(interval),
      thread_([this] { Run(); }) {}

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

OAuthPurgeCounts LifecycleSweeper::PurgeOAuthOnce(OAuthStore& oauth, const OAuthRetention& retention,
                                                  std::int64_t now_unix_millis) {
  return oauth.PurgeUnusable(OAuthPurgeCutoffsAt(now_unix_millis, retention));
}

void LifecycleSweeper::Run() {
  const auto retry_seconds = std::chrono::duration_cast<std::chrono::seconds>(interval_).count();
  std::unique_lock lock(mutex_);
  while (!wake_.wait_for(lock, interval_, [this] { return stopping_; })) {
    lock.unlock();
    try {
      const int settled = SweepOnce(store_, clock_.LocalNow());
      if (settled > 0) spdlog::info("sweeper: settled {} sessions", settled);
    } catch (const std::exception& failure) {
      spdlog::warn("sweeper: {}; retrying in {} s", failure.what(), retry_seconds);
    }
    // Apart from the settlement: a failure of one never holds the other back.
    if (oauth_ != nullptr) {
      try {
        const auto now =
            std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch());
        const OAuthPurgeCounts purged = PurgeOAuthOnce(*oauth_, retention_, now.count());
        spdlog::debug(
            "sweeper: purged {} access tokens, {} refresh tokens, {} token families, {} codes, {} login sessions, "
            "{} login failures",
            purged.access_tokens, purged.refresh_tokens, purged.token_families, purged.authorization_codes,
            purged.login_sessions, purged.login_failures);
      } catch (const std::exception& failure) {
        spdlog::warn("sweeper: Unified Login purge: {}; retrying in {} s", failure.what(), retry_seconds);
      }
    }
    lock.lock();
  }
}

}  // namespace phonechat
