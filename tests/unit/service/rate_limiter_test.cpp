// Token buckets: the burst, the refill, Retry-After seconds, failure counting, and the bound on keys.

#include "service/rate_limiter.hpp"

#include <gtest/gtest.h>

#include <string>

namespace phonechat {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(RateLimiter, AdmitsTheBurstThenRefusesWithTheSecondsUntilTheNextToken) {
  RateLimiter limiter(2.0, 5.0);
  const auto start = RateLimiter::Clock::now();
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(limiter.Take("project-1", start)) << i;
  EXPECT_EQ(limiter.Take("project-1", start), 1) << "2 per second: the next token is half a second away";
  EXPECT_FALSE(limiter.Take("project-2", start)) << "every key has its own bucket";
  EXPECT_FALSE(limiter.Take("project-1", start + milliseconds(500)));
  EXPECT_EQ(limiter.Take("project-1", start + milliseconds(500)), 1);
}

TEST(RateLimiter, RefillsAtTheRateAndNeverAboveTheBurst) {
  RateLimiter limiter(1.0, 3.0);
  const auto start = RateLimiter::Clock::now();
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(limiter.Take("k", start));
  const auto later = start + seconds(3600);
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(limiter.Take("k", later)) << i;
  EXPECT_TRUE(limiter.Take("k", later)) << "an hour of quiet refills the burst, not more";
}

TEST(RateLimiter, RetryAfterRoundsUpToWholeSeconds) {
  RateLimiter limiter(10.0 / 60.0, 10.0);  // 10 a minute
  const auto start = RateLimiter::Clock::now();
  for (int i = 0; i < 10; ++i) limiter.Charge("client", start);
  EXPECT_EQ(limiter.Wait("client", start), 6);
  EXPECT_EQ(limiter.Wait("client", start + milliseconds(5500)), 1);
  EXPECT_FALSE(limiter.Wait("client", start + seconds(6)));
}

TEST(RateLimiter, WaitTakesNothingAndChargingAnEmptyBucketAddsNoDebt) {
  RateLimiter limiter(1.0, 2.0);
  const auto start = RateLimiter::Clock::now();
  EXPECT_FALSE(limiter.Wait("k", start));
  EXPECT_FALSE(limiter.Wait("k", start));
  limiter.Charge("k", start);
  limiter.Charge("k", start);
  limiter.Charge("k", start);  // empty: nothing more to take
  EXPECT_EQ(limiter.Wait("k", start), 1);
  EXPECT_FALSE(limiter.Wait("k", start + seconds(1))) << "one second later the bucket has a token again";
}

TEST(RateLimiter, KeepsAtMostItsKeys) {
  RateLimiter limiter(1.0, 1.0, 32);  // two keys per shard
  const auto start = RateLimiter::Clock::now();
  for (int i = 0; i < 10'000; ++i) limiter.Take("key-" + std::to_string(i), start);
  EXPECT_LE(limiter.KeyCount(), 32u);
  EXPECT_GT(limiter.KeyCount(), 0u);
}

}  // namespace
}  // namespace phonechat
