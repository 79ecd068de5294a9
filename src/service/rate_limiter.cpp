// Token buckets in sharded hash maps: a request locks one shard for a few hundred nanoseconds.

#include "service/rate_limiter.hpp"

#include <algorithm>
#include <cmath>
#include <functional>

namespace phonechat {

RateLimiter::RateLimiter(double per_second, double burst, std::size_t max_keys)
    : per_second_(per_second), burst_(std::max(burst, 1.0)), max_keys_per_shard_(std::max<std::size_t>(
                                                                   max_keys / kShards, 1)) {}

RateLimiter::Shard& RateLimiter::ShardOf(std::string_view key) {
  return shards_[std::hash<std::string_view>{}(key) % kShards];
}

RateLimiter::Bucket& RateLimiter::Refilled(Shard& shard, std::string_view key, Clock::time_point now) {
  auto found = shard.buckets.find(std::string(key));
  if (found == shard.buckets.end()) {
    if (shard.buckets.size() >= max_keys_per_shard_) Evict(shard, now);
    found = shard.buckets.emplace(std::string(key), Bucket{burst_, now}).first;
    return found->second;
  }
  Bucket& bucket = found->second;
  if (now > bucket.updated) {
    const double elapsed = std::chrono::duration<double>(now - bucket.updated).count();
    bucket.tokens = std::min(burst_, bucket.tokens + elapsed * per_second_);
    bucket.updated = now;
  }
  return bucket;
}

void RateLimiter::Evict(Shard& shard, Clock::time_point now) {
  const auto full = [&](const Bucket& bucket) {
    return bucket.tokens + std::chrono::duration<double>(now - bucket.updated).count() * per_second_ >= burst_;
  };
  std::erase_if(shard.buckets, [&](const auto& entry) { return full(entry.second); });
  if (shard.buckets.size() < max_keys_per_shard_) return;
  const auto oldest = std::min_element(shard.buckets.begin(), shard.buckets.end(), [](const auto& a, const auto& b) {
    return a.second.updated < b.second.updated;
  });
  shard.buckets.erase(oldest);
}

std::int64_t RateLimiter::SecondsUntilToken(const Bucket& bucket) const {
  const double seconds = (1.0 - bucket.tokens) / per_second_;
  return std::max<std::int64_t>(1, static_cast<std::int64_t>(std::ceil(seconds)));
}

std::optional<std::int64_t> RateLimiter::Take(std::string_view key, Clock::time_point now) {
  Shard& shard = ShardOf(key);
  const std::lock_guard lock(shard.mutex);
  Bucket& bucket = Refilled(shard, key, now);
  if (bucket.tokens < 1.0) return SecondsUntilToken(bucket);
  bucket.tokens -= 1.0;
  return std::nullopt;
}

std::optional<std::int64_t> RateLimiter::Wait(std::string_view key, Clock::time_point now) {
  Shard& shard = ShardOf(key);
  const std::lock_guard lock(shard.mutex);
  const auto found = shard.buckets.find(std::string(key));
  if (found == shard.buckets.end()) return std::nullopt;
  const Bucket& bucket = Refilled(shard, key, now);
  if (bucket.tokens >= 1.0) return std::nullopt;
  return SecondsUntilToken(bucket);
}

std::size_t RateLimiter::KeyCount() {
  std::size_t keys = 0;
  for (Shard& shard : shards_) {
    const std::lock_guard lock(shard.mutex);
    keys += shard.buckets.size();
  }
  return keys;
}

}  // namespace phonechat
