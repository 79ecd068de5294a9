#include "api/metrics.hpp"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <system_error>
#include <vector>

#include "core/process_counters.hpp"

namespace phonechat {
namespace {

constexpr std::array<std::string_view, 7> kMethodNames{"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"};
constexpr std::array<int, 25> kStatusCodes{200, 201, 204, 301, 302, 303, 304, 400, 401, 403, 404, 405, 406,
                                           408, 409, 411, 413, 414, 415, 422, 429, 431, 500, 501, 503};

std::size_t MethodSlot(std::string_view method) {
  const auto found = std::find(kMethodNames.begin(), kMethodNames.end(), method);
  return static_cast<std::size_t>(std::distance(kMethodNames.begin(), found));  // past the end: "other"
}

std::size_t StatusSlot(int status) {
  const auto found = std::find(kStatusCodes.begin(), kStatusCodes.end(), status);
  return static_cast<std::size_t>(std::distance(kStatusCodes.begin(), found));
}

std::uint64_t Load(const std::atomic<std::uint64_t>& counter) { return counter.load(std::memory_order_relaxed); }

void Bump(std::atomic<std::uint64_t>& counter, std::uint64_t by = 1) {
  // One writer per counter: a plain load and store is enough and cheaper than a locked add.
  counter.store(counter.load(std::memory_order_relaxed) + by, std::memory_order_relaxed);
}

std::string_view RouteLabel(std::size_t route) { return route < kRoutes.size() ? kRoutes[route].path : "unmatched"; }

std::string FormatSeconds(double seconds) {
  std::string text = std::to_string(seconds);
  text.erase(text.find_last_not_of('0') + 1);
  if (text.back() == '.') text.pop_back();
  return text;
}

void Header(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
  out.append("# HELP ").append(name).append(" ").append(help).append("\n");
  out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

void Sample(std::string& out, std::string_view name, std::string_view labels, std::uint64_t value) {
  out.append(name);
  if (!labels.empty()) out.append("{").append(labels).append("}");
  out.append(" ").append(std::to_string(value)).append("\n");
}

void Single(std::string& out, std::string_view name, std::string_view type, std::string_view help,
            std::uint64_t value) {
  Header(out, name, type, help);
  Sample(out, name, {}, value);
}

std::uint64_t ResidentBytes() {
  std::ifstream statm("/proc/self/statm");
  std::uint64_t pages = 0;
  std::uint64_t resident = 0;
  if (!(statm >> pages >> resident)) return 0;
  return resident * static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE));
}

std::uint64_t OpenDescriptors() {
  std::error_code ignored;
  std::uint64_t count = 0;
  for (std::filesystem::directory_iterator entry("/proc/self/fd", ignored), end; !ignored && entry != end;
       entry.increment(ignored)) {
    ++count;
  }
  return count > 0 ? count - 1 : 0;  // the iterator's own descriptor
}

}  // namespace

void RouteMetrics::Record(std::size_t route, std::string_view method, int status, std::chrono::microseconds duration) {
  route = std::min(route, kUnmatchedRoute);
  Bump(requests_[(route * kMethods + MethodSlot(method)) * kStatuses + StatusSlot(status)]);
  Latency& latency = latency_[route];
  const double seconds = static_cast<double>(duration.count()) / 1e6;
  const auto bucket = std::lower_bound(kLatencyBuckets.begin(), kLatencyBuckets.end(), seconds);
  Bump(latency.buckets[static_cast<std::size_t>(std::distance(kLatencyBuckets.begin(), bucket))]);
  Bump(latency.microseconds, static_cast<std::uint64_t>(std::max<std::int64_t>(duration.count(), 0)));
}

void RouteMetrics::RecordList(bool cache_hit, std::size_t cache_bytes) {
  Bump(cache_hit ? cache_hits_ : cache_misses_);
  cache_bytes_.store(cache_bytes, std::memory_order_relaxed);
}

MetricsRegistry::MetricsRegistry(std::string version, const http::ServerGauges& gauges)
    : version_(std::move(version)), gauges_(gauges) {}

RouteMetrics& MetricsRegistry::AddThread() {
  const std::lock_guard lock(mutex_);
  return threads_.emplace_back();
}

std::string MetricsRegistry::Render() const {
  using Thread = RouteMetrics;
  std::vector<std::uint64_t> requests(Thread::kRouteSlots * Thread::kMethods * Thread::kStatuses);
  std::vector<std::array<std::uint64_t, kLatencyBuckets.size() + 1>> buckets(Thread::kRouteSlots);
  std::vector<std::uint64_t> microseconds(Thread::kRouteSlots);
  std::uint64_t hits = 0;
  std::uint64_t misses = 0;
  std::uint64_t cache_bytes = 0;
  {
    const std::lock_guard lock(mutex_);
    for (const RouteMetrics& thread : threads_) {
      for (std::size_t i = 0; i < requests.size(); ++i) requests[i] += Load(thread.requests_[i]);
      for (std::size_t route = 0; route < Thread::kRouteSlots; ++route) {
        for (std::size_t b = 0; b < buckets[route].size(); ++b) buckets[route][b] += Load(thread.latency_[route].buckets[b]);
        microseconds[route] += Load(thread.latency_[route].microseconds);
      }
      hits += Load(thread.cache_hits_);
      misses += Load(thread.cache_misses_);
      cache_bytes += Load(thread.cache_bytes_);
    }
  }

  std::string out;
  out.reserve(16 * 1024);
  Header(out, "phonechat_build_info", "gauge", "The server's version.");
  Sample(out, "phonechat_build_info", "version=\"" + version_ + "\"", 1);

  Header(out, "phonechat_http_requests_total", "counter", "Requests answered, by route, method and status.");
  for (std::size_t route = 0; route < Thread::kRouteSlots; ++route) {
    for (std::size_t method = 0; method < Thread::kMethods; ++method) {
      for (std::size_t status = 0; status < Thread::kStatuses; ++status) {
        const std::uint64_t count = requests[(route * Thread::kMethods + method) * Thread::kStatuses + status];
        if (count == 0) continue;
        std::string labels = "route=\"";
        labels.append(RouteLabel(route)).append("\",method=\"");
        labels.append(method < kMethodNames.size() ? kMethodNames[method] : "other").append("\",status=\"");
        labels.append(status < kStatusCodes.size() ? std::to_string(kStatusCodes[status]) : "other").append("\"");
        Sample(out, "phonechat_http_requests_total", labels, count);
      }
    }
  }

  Header(out, "phonechat_http_request_duration_seconds", "histogram",
         "Time from a complete request to its answer, by route.");
  for (std::size_t route = 0; route < Thread::kRouteSlots; ++route) {
    std::uint64_t cumulative = 0;
    for (const std::uint64_t count : buckets[route]) cumulative += count;
    if (cumulative == 0) continue;
    const std::string route_label = "route=\"" + std::string(RouteLabel(route)) + "\"";
    cumulative = 0;
    for (std::size_t b = 0; b < buckets[route].size(); ++b) {
      cumulative += buckets[route][b];
      const std::string le = b < kLatencyBuckets.size() ? FormatSeconds(kLatencyBuckets[b]) : "+Inf";
      Sample(out, "phonechat_http_request_duration_seconds_bucket", route_label + ",le=\"" + le + "\"", cumulative);
    }
    out.append("phonechat_http_request_duration_seconds_sum{").append(route_label).append("} ");
    out.append(FormatSeconds(static_cast<double>(microseconds[route]) / 1e6)).append("\n");
    Sample(out, "phonechat_http_request_duration_seconds_count", route_label, cumulative);
  }

  Single(out, "phonechat_http_open_connections", "gauge", "Connections open on the API listener.",
         gauges_.open_connections.load());
  Single(out, "phonechat_http_refused_connections_total", "counter",
         "Connections answered 503 and closed because --max-connections were open.",
         gauges_.refused_connections.load());
  Single(out, "phonechat_draining", "gauge", "1 while the server drains before it stops.",
         gauges_.draining.load() ? 1 : 0);
  Single(out, "phonechat_list_cache_hits_total", "counter", "Lists answered from a serving thread's cache.", hits);
  Single(out, "phonechat_list_cache_misses_total", "counter", "Lists loaded from the database.", misses);
  Single(out, "phonechat_list_cache_bytes", "gauge", "Memory the list caches of all serving threads hold.",
         cache_bytes);

  const ProcessCounters& counters = Counters();
  Single(out, "phonechat_store_round_trips_total", "counter",
         "Requests sent to PostgreSQL and answered (a pipeline counts once; SQLite has none).",
         Load(counters.store_round_trips));
  Single(out, "phonechat_store_pool_waits_total", "counter",
         "Borrows of a pooled database session that waited for one.", Load(counters.pool_waits));
  Header(out, "phonechat_store_pool_wait_seconds_total", "counter", "Time spent waiting for a pooled session.");
  out.append("phonechat_store_pool_wait_seconds_total ")
      .append(FormatSeconds(static_cast<double>(Load(counters.pool_wait_microseconds)) / 1e6))
      .append("\n");
  Single(out, "phonechat_store_pool_exhausted_total", "counter",
         "Waits for a pooled session that ended without one (answered 503).", Load(counters.pool_exhausted));
  Single(out, "phonechat_login_failures_total", "counter", "Failed sign-ins on the login form.",
         Load(counters.login_failures));
  Single(out, "phonechat_client_authentication_failures_total", "counter",
         "invalid_client answers of the token and revoke endpoints.", Load(counters.client_auth_failures));
  Header(out, "phonechat_rate_limited_total", "counter", "Requests refused 429 by a rate limit.");
  Sample(out, "phonechat_rate_limited_total", "limit=\"api\"", Load(counters.api_rate_limited));
  Sample(out, "phonechat_rate_limited_total", "limit=\"login\"", Load(counters.login_rate_limited));

  Single(out, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.", ResidentBytes());
  Single(out, "process_open_fds", "gauge", "Number of open file descriptors.", OpenDescriptors());
  return out;
}

}  // namespace phonechat
