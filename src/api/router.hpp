// The API's request handler for a serving thread: the route table, authentication, dispatch and the access log.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "http/server.hpp"
#include "service/lookup_cache.hpp"
#include "service/made_bookings_reader.hpp"
#include "service/rate_limiter.hpp"
#include "service/service_clock.hpp"
#include "service/token_lookup_batcher.hpp"
#include "storage/lifecycle_runner.hpp"
#include "storage/session_pool.hpp"
#include "storage/store.hpp"

namespace spdlog {
class logger;
}

namespace phonechat {

class OAuthService;
class CorsOrigins;
class MetricsRegistry;
class RouteMetrics;

// What every serving thread's handler shares: the store, the clock, the access log and the Unified Login.
// Thread-safe.
struct ApiContext {
  Store* store = nullptr;             // the primary: authentication, authorization, audit, writes
  std::vector<Store*> read_replicas;  // where the lists are read; empty: the primary. Each thread uses one.
  const ServiceClock* clock = nullptr;
  std::shared_ptr<spdlog::logger> access_log;  // one JSON object per request; null disables it
  OAuthService* oauth = nullptr;  // the Unified Login; null: its routes answer 503 (the demo pages still load)
  std::string issuer;             // the public base URL every absolute URL the server writes starts with
  std::string docs_client_id;     // the public client /docs signs in as; empty: the developer types one
  std::size_t list_cache_bytes = std::size_t{64} << 20;  // per serving thread (MadeBookingsCache)
  // Sessions per serving thread and store, lent to one request at a time (the server runs requests in coroutines
  // that suspend on the database); 0: one session per thread, shared by its requests, which run one after another.
  std::size_t session_pool_size = 0;
  std::chrono::milliseconds session_wait{7000};  // longest wait for a pooled session, then 503
  // The primary's life-cycle writes, e.g. a group committer, whose requests then run in coroutines that suspend
  // until their commit; null: each write in a transaction of its own on the serving thread.
  LifecycleRunner* lifecycle_runner = nullptr;
  // Requests per project (the token's project) on the bearer routes, counted after authentication and refused
  // with 429 before any validation; null: no limit.
  RateLimiter* api_rate_limiter = nullptr;
  // Failed client authentications at the token and revoke endpoints, per client_id and per client address;
  // null: no limit.
  RateLimiter* client_failure_limiter = nullptr;
  // Where each serving thread counts its requests for /metrics; null: not counted.
  MetricsRegistry* metrics = nullptr;
  // The origins browsers may call the API, token and revoke endpoints from; null: no CORS headers at all.
  const CorsOrigins* cors = nullptr;
};

// The API's request handler for one serving thread: routes, authenticates, validates and answers.
class ApiHandler final : public http::RequestHandler {
 public:
  // Opens this thread's store session, or its session pools when `context.session_pool_size` is set.
  explicit ApiHandler(const ApiContext& context);
  ~ApiHandler() override;

  http::Response Handle(const http::Request& request) override;
  // True for the life-cycle routes that write (and the balance, which settles) when a runner is shared.
  bool Suspends(const http::Request& request) override;
  http::Response HandleRefused(const Error& refusal, const http::Request* request) override;

 private:
  struct Exchange;
  http::Response Dispatch(const http::Request& request, Exchange& exchange);
  // Writes the access log line and counts the request in `metrics` (when not null).
  static void LogAccess(const ApiContext& context, std::string_view method, const Exchange& exchange, int status,
                        RouteMetrics* metrics);

  struct Borrowed;
  // The primary's session for this request: the thread's own, or one borrowed from the pool for the request.
  StoreSession& Session(Exchange& exchange);

  const ApiContext& context_;
  std::unique_ptr<StoreSession> session_;  // without pools: the thread's session of the primary
  std::unique_ptr<SessionPool> pool_;      // with pools: the primary's sessions
  std::unique_ptr<LifecycleRunner> direct_runner_;  // without a shared runner: this thread's
  LifecycleRunner* runner_;                          // the shared runner or direct_runner_
  RouteMetrics* metrics_;                            // this thread's, or null
  LookupCache lookups_;                    // used while the store reports versions
  TokenLookupBatcher token_lookups_;       // used while it does not: every request reads its token
  MadeBookingsReader lists_;               // the lists: from the cache, the replica or the primary
};

// The scope every PhoneChat route needs.
inline constexpr std::string_view kPhoneChatBookingsScope = "account_phonechat_bookings";
// The scope the credit balance needs.
inline constexpr std::string_view kCreditsHistoryScope = "account_credits_history";

}  // namespace phonechat
