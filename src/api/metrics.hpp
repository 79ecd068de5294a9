// Request metrics by route, method and status, with latency histograms, and their Prometheus text exposition
// (docs/operations.md, "Metrics").
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>

#include "api/route_table.hpp"
#include "http/server.hpp"

namespace phonechat {

// The route index of a request no route matched (unknown paths, other methods, refused requests).
inline constexpr std::size_t kUnmatchedRoute = kRoutes.size();

// Upper bounds of the latency histogram's buckets, in seconds (+Inf is implied).
inline constexpr std::array kLatencyBuckets{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                            0.1,    0.25,  0.5,    1.0,   2.5,   5.0,   10.0};

// The counters one serving thread writes (each atomic has one writer) and a scrape reads.
class RouteMetrics {
 public:
  // Counts one answered request: `route` is its index in kRoutes or kUnmatchedRoute.
  void Record(std::size_t route, std::string_view method, int status, std::chrono::microseconds duration);
  // Counts one list answered from the thread's cache (hit) or loaded (miss), and the cache's size after it.
  void RecordList(bool cache_hit, std::size_t cache_bytes);

 private:
  friend class MetricsRegistry;
  static constexpr std::size_t kMethods = 8;    // GET HEAD POST PUT DELETE PATCH OPTIONS, then any other
  static constexpr std::size_t kStatuses = 26;  // the statuses the server sends, then any other
  static constexpr std::size_t kRouteSlots = kRoutes.size() + 1;
  struct Latency {
    std::array<std::atomic<std::uint64_t>, kLatencyBuckets.size() + 1> buckets{};  // non-cumulative, last: +Inf
    std::atomic<std::uint64_t> microseconds{0};
  };
  std::array<std::atomic<std::uint64_t>, kRouteSlots * kMethods * kStatuses> requests_{};
  std::array<Latency, kRouteSlots> latency_{};
  std::atomic<std::uint64_t> cache_hits_{0};
  std::atomic<std::uint64_t> cache_misses_{0};
  std::atomic<std::uint64_t> cache_bytes_{0};
};

// Every serving thread's RouteMetrics, and the rendering of all the server's metrics. Thread-safe.
class MetricsRegistry {
 public:
  // `version`: the server's, for phonechat_build_info; `gauges`: the API listener's, read at each scrape.
  MetricsRegistry(std::string version, const http::ServerGauges& gauges);
  // A new thread's counters; they live as long as the registry.
  RouteMetrics& AddThread();
  // The Prometheus text exposition format (version 0.0.4) of every metric.
  [[nodiscard]] std::string Render() const;

 private:
  std::string version_;
  const http::ServerGauges& gauges_;
  mutable std::mutex mutex_;
  std::deque<RouteMetrics> threads_;  // a deque: AddThread never moves the ones handed out
};

}  // namespace phonechat
