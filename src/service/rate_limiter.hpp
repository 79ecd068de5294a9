// Token buckets by key, in this process's memory (docs/security.md, "Rate limits").
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace phonechat {

// One token bucket per key: `per_second` tokens flow in, up to `burst`; a request takes one. Thread-safe (the
// serving threads share one). Each process counts on its own: N nodes behind a balancer admit up to N times the
// rate. At most `max_keys` buckets are kept: when more keys arrive, full buckets are forgotten first (they hold
// nothing a fresh bucket would not), then the least recently used.
class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;

  // `per_second` > 0 and `burst` >= 1.
  RateLimiter(double per_second, double burst, std::size_t max_keys = 100'000);

  // Takes a token from `key`'s bucket: nullopt when there was one, else the whole seconds until there will be one
  // (at least 1), and nothing is taken.
  std::optional<std::int64_t> Take(std::string_view key, Clock::time_point now = Clock::now());
  // The whole seconds until `key`'s bucket holds a token (at least 1), or nullopt when it holds one now; takes
  // nothing.
  std::optional<std::int64_t> Wait(std::string_view key, Clock::time_point now = Clock::now());
  // Takes a token from `key`'s bucket when it has one (a failure counted against it); never waits.
  void Charge(std::string_view key, Clock::time_point now = Clock::now()) { Take(key, now); }
  // The buckets kept now.
  [[nodiscard]] std::size_t KeyCount();

 private:
  struct Bucket {
    double tokens = 0;
    Clock::time_point updated;
  };
  struct Shard {
    std::mutex mutex;
    std::unordered_map<std::string, Bucket> buckets;
  };
  static constexpr std::size_t kShards = 16;

  Shard& ShardOf(std::string_view key);
  // The key's bucket, refilled up to `now`; created full. Called with the shard's mutex held.
  Bucket& Refilled(Shard& shard, std::string_view key, Clock::time_point now);
  void Evict(Shard& shard, Clock::time_point now);
  [[nodiscard]] std::int64_t SecondsUntilToken(const Bucket& bucket) const;

  const double per_second_;
  const double burst_;
  const std::size_t max_keys_per_shard_;
  std::array<Shard, kShards> shards_;
};

}  // namespace phonechat
