#pragma once

// The background work of the life cycle and the Unified Login: settling sessions that are over, purging expired
// Idempotency-Keys, and purging the Unified Login's records that can never be used again.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

#include "service/service_clock.hpp"
#include "storage/oauth_store.hpp"
#include "storage/store.hpp"

namespace phonechat {

// How long the Unified Login's records outlive their use (docs/security.md, "What is kept and for how long").
struct OAuthRetention {
  // An expired refresh token, rotated or not, is kept this long after its expiry: the refresh-token lifetime.
  std::chrono::seconds refresh_token_kept{14 * 24 * 3600};
  // Login failures older than this never count again: the login back-off's window.
  std::chrono::milliseconds login_failure_window{15 * 60 * 1000};
};

// The least time a token family without tokens is kept after it was opened, so that the tokens of a redemption
// or an implicit grant still in flight find it: far longer than one request may take.
inline constexpr std::chrono::seconds kEmptyFamilyKept{30};

// What OAuthStore::PurgeUnusable may delete at `now_unix_millis` (real time) under `retention`.
OAuthPurgeCutoffs OAuthPurgeCutoffsAt(std::int64_t now_unix_millis, const OAuthRetention& retention);

// Every `interval`, settles the sessions that are over (Earning to the candidate, docs/api.md "Credits"), purges
// Idempotency-Key answers older than 24 hours, each batch in its own life-cycle transaction, and, given an
// OAuthStore, purges what the Unified Login can never use again (OAuthPurgeCutoffsAt). Runs on a thread of its own
// from construction until destruction; a failed run is logged and retried at the next interval.
class LifecycleSweeper {
 public:
  // `store`, `oauth` (may be null: no OAuth purge) and `clock` must outlive the sweeper.
  LifecycleSweeper(Store& store, OAuthStore* oauth, OAuthRetention retention, const ServiceClock& clock,
                   std::chrono::milliseconds interval);
  ~LifecycleSweeper();
  LifecycleSweeper(const LifecycleSweeper&) = delete;
  LifecycleSweeper& operator=(const LifecycleSweeper&) = delete;

  // One pass now, on the calling thread: settles every due session and purges expired keys. Returns the sessions
  // settled. Throws what storage throws.
  static int SweepOnce(Store& store, LocalDateTime now);

  // One OAuth purge now, on the calling thread, at real time `now_unix_millis`. Throws what storage throws.
  static OAuthPurgeCounts PurgeOAuthOnce(OAuthStore& oauth, const OAuthRetention& retention,
                                         std::int64_t now_unix_millis);

 private:
  void Run();

  Store& store_;
  OAuthStore* oauth_;
  OAuthRetention retention_;
  const ServiceClock& clock_;
  std::chrono::milliseconds interval_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace phonechat
