// Counters of events deep in the layers (database round trips, pool waits, refusals), for the metrics page.
#pragma once

#include <atomic>
#include <cstdint>

namespace phonechat {

// Monotonic event counts of the whole process (docs/operations.md, "Metrics"). Relaxed atomics: each is a tally
// read by the metrics scrape, never a condition another thread acts on.
struct ProcessCounters {
  std::atomic<std::uint64_t> store_round_trips{0};       // PostgreSQL requests sent and answered (a pipeline: 1)
  std::atomic<std::uint64_t> pool_waits{0};              // borrows of a pooled session that had to wait
  std::atomic<std::uint64_t> pool_wait_microseconds{0};  // the time those waits took
  std::atomic<std::uint64_t> pool_exhausted{0};          // waits that ended without a session (503)
  std::atomic<std::uint64_t> login_failures{0};          // wrong login name or password on the login form
  std::atomic<std::uint64_t> client_auth_failures{0};    // invalid_client at the token and revoke endpoints
  std::atomic<std::uint64_t> api_rate_limited{0};        // 429 for a project over --api-rate-limit
  std::atomic<std::uint64_t> login_rate_limited{0};      // 429 slow_down over --login-rate-limit

  // Adds one to `counter`.
  static void Count(std::atomic<std::uint64_t>& counter, std::uint64_t by = 1) {
    counter.fetch_add(by, std::memory_order_relaxed);
  }
};

// The process's counters.
ProcessCounters& Counters();

}  // namespace phonechat
