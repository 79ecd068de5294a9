// ApiHandler: matches a request to its route in the route table (route_table.hpp), authenticates, checks the scope,
// and dispatches.

#include "api/router.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <boost/url/pct_string_view.hpp>
#include <chrono>
#include <optional>
#include <string>

#include "api/api_document.hpp"
#include "api/content_negotiation.hpp"
#include "api/cors.hpp"
#include "api/demo_page.hpp"
#include "api/docs_page.hpp"
#include "api/error_response.hpp"
#include "api/lifecycle_routes.hpp"
#include "api/made_bookings_request.hpp"
#include "api/metrics.hpp"
#include "api/oauth_routes.hpp"
#include "api/query_parameters.hpp"
#include "api/request_tracing.hpp"
#include "api/route_table.hpp"
#include "core/process_counters.hpp"
#include "service/authentication.hpp"
#include "service/made_bookings_service.hpp"
#include "service/oauth_service.hpp"

namespace phonechat {
namespace {

using Op = LifecycleOperation;

// Token and API-key lookups each serving thread remembers (a few MB at most).
constexpr std::size_t kLookupCacheEntries = 50'000;

// The routes a request reaches without a bearer token, dispatched to their handlers. The demo client and the docs
// page are static and load without the Unified Login, like the API document; every other one needs the OAuthService.
http::Response DispatchOpenRoute(const Route& route, const http::Request& request, const ApiContext& context,
                                 const NegotiatedFormat& format) {
  switch (route.action) {
    case RouteAction::kDemoPage:
      return DemoPage();
    case RouteAction::kDemoScript:
      return DemoScript();
    case RouteAction::kOpenApiJson:
      return OpenApiJson(request);
    case RouteAction::kOpenApiYaml:
      return OpenApiYaml(request);
    case RouteAction::kDocsPage:
      return DocsPage(context.docs_client_id);
    case RouteAction::kDocsScript:
      return DocsScript();
    case RouteAction::kDocsStyle:
      return SwaggerUiAsset(request, SwaggerUiFile::kStyle);
    case RouteAction::kDocsBundle:
      return SwaggerUiAsset(request, SwaggerUiFile::kBundle);
    case RouteAction::kDocsRedirectPage:
      return SwaggerUiAsset(request, SwaggerUiFile::kRedirectPage);
    case RouteAction::kDocsRedirectScript:
      return SwaggerUiAsset(request, SwaggerUiFile::kRedirectScript);
    default:
      break;
  }
  if (context.oauth == nullptr) return OAuthUnavailable(format);
  OAuthService& oauth = *context.oauth;
  switch (route.action) {
    case RouteAction::kAuthorizeGet:
      return AuthorizeGet(oauth, request);
    case RouteAction::kAuthorizePost:
      return AuthorizePost(oauth, request);
    case RouteAction::kToken:
      return TokenPost(oauth, request, context.client_failure_limiter);
    case RouteAction::kRevoke:
      return RevokePost(oauth, request, context.client_failure_limiter);
    case RouteAction::kMetadata:
      return AuthorizationServerMetadata(context.issuer);
    case RouteAction::kGrantsGet:
      return GrantsGet(oauth, request);
    case RouteAction::kGrantsPost:
      return GrantsPost(oauth, request);
    case RouteAction::kLogout:
      return LogoutPost(oauth, request);
    default:
      break;
  }
  return RenderError(Error{ErrorCode::kInternal, "An error has occurred.", {}, {}, false}, format);
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

// The request path, percent-decoded, without one trailing `/`; nullopt when it cannot be decoded.
std::optional<std::string> NormalisedPath(std::string_view raw_path) {
  auto encoded = boost::urls::make_pct_string_view(raw_path);
  if (!encoded) return std::nullopt;
  std::string path = encoded->decode();
  if (path.size() > 1 && path.back() == '/') path.pop_back();
  return path;
}

// `OPTIONS *` (RFC 9110 §9.3.7): the methods some route of the server accepts.
http::Response ServerOptions() {
  std::string allow;
  for (const Route& route : kRoutes) {
    if (allow.find(route.method) != std::string::npos) continue;
    if (!allow.empty()) allow += ", ";
    allow += route.method;
  }
  http::Response response;
  response.headers.emplace_back("Allow", std::move(allow));
  response.headers.emplace_back("Cache-Control", "no-store");
  return response;
}

Error NotFound(std::string_view raw_path) {
  Error error{ErrorCode::kNotFound, "No HTTP resource was found that matches the request URI '", {}, {}, false};
  error.message.append(raw_path).append("'.");
  return error;
}

Error ProjectRateLimited(std::int64_t retry_after_seconds) {
  ProcessCounters::Count(Counters().api_rate_limited);
  Error error{ErrorCode::kRateLimited, "Too many requests for this project; retry after ", {}, {}, false};
  error.message.append(std::to_string(retry_after_seconds)).append(retry_after_seconds == 1 ? " second." : " seconds.");
  error.retry_after_seconds = retry_after_seconds;
  return error;
}

const char* RefusalMessage(ErrorCode code) {
  switch (code) {
    case ErrorCode::kUriTooLong:
      return "The request URI is longer than 8 KiB.";
    case ErrorCode::kHeadersTooLarge:
      return "The request headers are larger than 16 KiB.";
    case ErrorCode::kBodyTooLarge:
      return "The request body is larger than 64 KiB.";
    case ErrorCode::kMalformedHttp:
      return "The request is not valid HTTP.";
    case ErrorCode::kNotImplemented:
      return "The request uses a feature of HTTP this server does not implement.";
    case ErrorCode::kUnavailable:
      return "The service is shutting down; retry on another connection.";
    default:
      return "An error has occurred.";
  }
}

}  // namespace

// The sessions one request has borrowed; given back when it ends.
struct ApiHandler::Borrowed {
  SessionPool::Lease primary;
};

// Everything one request accumulates on its way through, for the answer and the access log.
struct ApiHandler::Exchange {
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  NegotiatedFormat format;
  std::string_view route;
  std::size_t route_index = kUnmatchedRoute;
  std::string_view raw_path;
  std::optional<UserId> user;
  std::optional<UserId> acting_as;
  Borrowed* borrowed = nullptr;  // the request's sessions (with pools); null once the request has returned
  std::optional<ListSource> list_source;  // where a list's bookings came from
  std::size_t cache_bytes = 0;            // the thread's list cache after the list
  std::string request_id;                 // X-Request-ID, the client's when usable, else minted
  std::optional<TraceContext> trace;      // from a valid traceparent
  std::optional<std::string> origin;      // the Origin of a request to a CORS path (cors.hpp)
  bool cors = false;                      // the path is one browsers may call across origins
};

namespace {

// The request's ID and trace context (a refused request may have no parsed head).
void TraceRequest(const http::Request* request, std::string& request_id, std::optional<TraceContext>& trace) {
  request_id = RequestIdFor(request != nullptr ? request->Header("X-Request-ID") : std::nullopt);
  if (request == nullptr) return;
  if (const std::optional<std::string_view> traceparent = request->Header("traceparent")) {
    trace = ParseTraceparent(*traceparent);
  }
}

void AddRequestId(http::Response& response, const std::string& request_id) {
  response.headers.emplace_back("X-Request-ID", request_id);
}

// Notes whether the request's path is a CORS path and, if so, its Origin (copied: deferred answers outlive it).
void NoteOrigin(const ApiContext& context, const http::Request& request, std::string_view raw_path,
                std::optional<std::string>& origin, bool& cors) {
  cors = context.cors != nullptr && IsCorsPath(raw_path);
  if (!cors) return;
  if (const std::optional<std::string_view> header = request.Header("Origin")) origin.emplace(*header);
}

void AddCors(const ApiContext& context, bool cors, const std::optional<std::string>& origin, http::Response& response) {
  if (!cors) return;
  AddCorsHeaders(*context.cors, origin ? std::optional<std::string_view>(*origin) : std::nullopt, response);
}

}  // namespace

ApiHandler::ApiHandler(const ApiContext& context)
    : context_(context),
      session_(context.session_pool_size == 0 ? context.store->OpenSession() : nullptr),
      pool_(context.session_pool_size == 0
                ? nullptr
                : std::make_unique<SessionPool>(*context.store, context.session_pool_size, context.session_wait)),
      direct_runner_(context.lifecycle_runner == nullptr ? NewDirectRunner(*context.store) : nullptr),
      runner_(context.lifecycle_runner != nullptr ? context.lifecycle_runner : direct_runner_.get()),
      metrics_(context.metrics != nullptr ? &context.metrics->AddThread() : nullptr),
      lookups_(kLookupCacheEntries),
      lists_(context.read_replicas, context.session_pool_size, context.session_wait, context.list_cache_bytes) {}

StoreSession& ApiHandler::Session(Exchange& exchange) {
  if (!pool_) return *session_;
  SessionPool::Lease& lease = exchange.borrowed->primary;
  if (!lease) lease = pool_->Borrow();
  return *lease;
}

ApiHandler::~ApiHandler() = default;

bool ApiHandler::Suspends(const http::Request& request) {
  if (context_.lifecycle_runner == nullptr) return false;
  const std::string_view method = request.Method();
  std::optional<std::string> path;  // normalised only when a route of the method may match
  for (const Route& route : kRoutes) {
    if (route.action != RouteAction::kLifecycle || route.method != method) continue;
    if (route.method != "POST" && route.operation != Op::kCreditBalance) continue;
    if (!path) {
      const std::string_view target = request.Target();
      path = NormalisedPath(target.substr(0, target.find('?')));
      if (!path) return false;
    }
    if (EqualsIgnoreCase(*path, route.path)) return true;
  }
  return false;
}

http::Response ApiHandler::Handle(const http::Request& request) {
  Borrowed borrowed;
  Exchange exchange;
  exchange.borrowed = &borrowed;
  exchange.format = NegotiateFormat(request.Header("Accept"));
  TraceRequest(&request, exchange.request_id, exchange.trace);
  http::Response response;
  try {
    response = Dispatch(request, exchange);
  } catch (const std::exception& failure) {
    const Error error = ErrorFromException(failure);
    if (error.code == ErrorCode::kUnavailable && dynamic_cast<const SessionsExhausted*>(&failure) == nullptr) {
      // A session that failed is closed rather than lent again; the pool opens fresh ones as they are needed.
      borrowed.primary.Discard();
    }
    response = RenderError(error, exchange.format);
  }
  if (response.deferred) {
    // The status is known only once the deferred work is finished: log then. The request's views are gone by
    // that time, so the log keeps copies (the route name is static).
    Exchange logged = exchange;
    logged.raw_path = {};
    logged.borrowed = nullptr;
    response.deferred->finish = [&context = context_, metrics = metrics_, finish = std::move(response.deferred->finish),
                                 method = std::string(request.Method()), logged]() -> http::Response {
      http::Response finished;
      try {
        finished = finish();
      } catch (const std::exception& failure) {
        finished = RenderError(ErrorFromException(failure), logged.format);
      }
      AddRequestId(finished, logged.request_id);
      AddCors(context, logged.cors, logged.origin, finished);
      LogAccess(context, method, logged, finished.status, metrics);
      return finished;
    };
    return response;
  }
  AddRequestId(response, exchange.request_id);
  AddCors(context_, exchange.cors, exchange.origin, response);
  LogAccess(context_, request.Method(), exchange, response.status, metrics_);
  return response;
}

http::Response ApiHandler::HandleRefused(const Error& refusal, const http::Request* request) {
  Exchange exchange;
  if (request != nullptr) exchange.format = NegotiateFormat(request->Header("Accept"));
  TraceRequest(request, exchange.request_id, exchange.trace);
  Error error{refusal.code, refusal.message.empty() ? RefusalMessage(refusal.code) : refusal.message, {}, {}, false};
  http::Response response = RenderError(error, exchange.format);
  response.close_connection = true;
  AddRequestId(response, exchange.request_id);
  LogAccess(context_, request != nullptr ? request->Method() : std::string_view("-"), exchange, response.status,
            metrics_);
  return response;
}

http::Response ApiHandler::Dispatch(const http::Request& request, Exchange& exchange) {
  const std::string_view target = request.Target();
  if (target == "*") return ServerOptions();
  const auto question = target.find('?');
  exchange.raw_path = target.substr(0, question);
  const std::string_view query = question == std::string_view::npos ? std::string_view{} : target.substr(question + 1);
  NoteOrigin(context_, request, exchange.raw_path, exchange.origin, exchange.cors);

  const std::optional<std::string> path = NormalisedPath(exchange.raw_path);
  const Route* route = nullptr;
  std::string allow;
  if (path) {
    for (const Route& candidate : kRoutes) {
      if (!EqualsIgnoreCase(*path, candidate.path)) continue;
      if (candidate.method == request.Method()) route = &candidate;
      if (allow.find(candidate.method) == std::string::npos) {
        if (!allow.empty()) allow += ", ";
        allow += candidate.method;
      }
    }
  }
  if (route == nullptr && allow.empty()) return RenderError(NotFound(exchange.raw_path), exchange.format);
  if (route == nullptr && exchange.cors && request.Method() == "OPTIONS") {
    const std::optional<std::string_view> requested = request.Header("Access-Control-Request-Method");
    if (exchange.origin && requested) {
      exchange.cors = false;  // the preflight answer carries its own CORS headers
      return CorsPreflight(*context_.cors, *exchange.origin, *requested, allow);
    }
  }
  if (route == nullptr) {
    Error error{ErrorCode::kMethodNotAllowed, "The requested resource does not support http method '", {}, {}, false};
    error.message.append(request.Method()).append("'.");
    http::Response response = RenderError(error, exchange.format);
    response.headers.emplace_back("Allow", std::move(allow));
    return response;
  }
  exchange.route = route->path;
  exchange.route_index = static_cast<std::size_t>(route - kRoutes.data());
  if (route->auth == RouteAuth::kNone) return DispatchOpenRoute(*route, request, context_, exchange.format);

  const QueryParameters parameters = QueryParameters::Parse(query);
  Credentials credentials;
  credentials.authorization = request.Header("Authorization");
  if (auto header_key = request.Header("X-ApiKey")) {
    const std::string_view key = TrimWhitespace(*header_key);
    if (!key.empty()) credentials.api_keys.push_back(key);
  }
  if (const QueryParameter* query_key = parameters.Find("apikey")) {
    // One credential of each kind (docs/api.md): a header key and a query key that differ are not a choice to make.
    const bool differs = !credentials.api_keys.empty() &&
                         (query_key->malformed ||
                          std::any_of(query_key->values.begin(), query_key->values.end(),
                                      [&](const std::string& key) { return key != credentials.api_keys.front(); }));
    if (differs) {
      return RenderError(Error{ErrorCode::kInvalidRequest,
                               "The X-ApiKey header and the apiKey parameter name different API keys; send one.",
                               {},
                               {},
                               false},
                         exchange.format);
    }
    for (const std::string& key : query_key->values) credentials.api_keys.emplace_back(key);
    credentials.api_key_malformed = query_key->malformed;
  }
  // Read first, so that whatever the caches then load is at least as new as the version they are labelled with.
  const std::optional<StoreVersion> version = Session(exchange).Version();
  if (version) lookups_.Sync(version->credentials);
  CachingStoreSession cached_lookups(Session(exchange), lookups_);
  // A backend without versions reads the token every time, and with it the stamp of the user's list.
  StampKeepingSession stamped(Session(exchange), token_lookups_);
  StoreSession& lookups = version ? static_cast<StoreSession&>(cached_lookups) : stamped;
  Result<Principal> principal = Authenticate(lookups, credentials, ServiceClock::UnixSecondsNow());
  if (!principal) return RenderError(principal.error(), exchange.format);
  exchange.user = principal->user_id;
  if (context_.api_rate_limiter != nullptr) {
    if (const std::optional<std::int64_t> wait = context_.api_rate_limiter->Take(std::to_string(principal->project_id))) {
      return RenderError(ProjectRateLimited(*wait), exchange.format);
    }
  }
  if (!route->scope.empty()) {
    if (Result<void> allowed = RequireScope(*principal, route->scope); !allowed) {
      return RenderError(allowed.error(), exchange.format);
    }
  }

  switch (route->action) {
    case RouteAction::kMadeBookings:
    case RouteAction::kGroupMadeBookings: {
      const bool group_route = route->action == RouteAction::kGroupMadeBookings;
      Result<MadeBookingsRequest> parsed = ParseMadeBookingsRequest(parameters, group_route);
      if (!parsed) return RenderError(parsed.error(), exchange.format);
      const LocalDateTime now = context_.clock->LocalNow();
      MadeBookingsQuery& query_of = parsed->query;
      query_of.client_user_id = principal->user_id;
      if (group_route) {
        exchange.acting_as = *parsed->member_user_id;
        Result<UserId> member = AuthorizeImpersonation(Session(exchange), principal->user_id, *parsed->member_user_id,
                                                       "GET /v1/Groups/PhoneChat/MadeBookings", now);
        if (!member) return RenderError(member.error(), exchange.format);
        query_of.client_user_id = *member;
      }
      http::Response response;
      SetApiHeaders(response, exchange.format);
      std::optional<ListStamp> stamp;
      if (!version) stamp = stamped.ReadListStamp(query_of.client_user_id);
      exchange.list_source =
          lists_.WritePage(Session(exchange), version, stamp, query_of, now, exchange.format.format, response.body);
      exchange.cache_bytes = lists_.CacheBytes();
      return response;
    }
    case RouteAction::kLifecycle: {
      LifecycleCall call;
      call.operation = route->operation;
      call.group = route->group;
      call.route = route->path;
      call.request = &request;
      call.parameters = &parameters;
      call.principal = &*principal;
      call.session = &Session(exchange);
      call.runner = runner_;
      call.zone = &context_.clock->Zone();
      call.now = context_.clock->LocalNow();
      call.format = exchange.format;
      call.acting_as = &exchange.acting_as;
      return HandleLifecycle(call);
    }
    case RouteAction::kVerifyCredentials:
      if (context_.oauth == nullptr) return OAuthUnavailable(exchange.format);
      return VerifyCredentials(*context_.oauth, *principal, exchange.format);
    case RouteAction::kGetPermissions:
      if (context_.oauth == nullptr) return OAuthUnavailable(exchange.format);
      return GetPermissions(*principal, exchange.format);
    default:
      break;
  }
  return RenderError(Error{ErrorCode::kInternal, "An error has occurred.", {}, {}, false}, exchange.format);
}

void ApiHandler::LogAccess(const ApiContext& context, std::string_view method, const Exchange& exchange, int status,
                           RouteMetrics* metrics) {
  const auto duration =
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - exchange.started);
  if (metrics != nullptr) {
    metrics->Record(exchange.route_index, method, status, duration);
    if (exchange.list_source) metrics->RecordList(*exchange.list_source == ListSource::kCache, exchange.cache_bytes);
  }
  if (!context.access_log) return;
  const auto micros = duration.count();
  std::string line;
  line.reserve(200);
  line += "\"method\":";
  AppendJsonString(line, method);
  line += ",\"route\":";
  if (exchange.route.empty()) {
    line += "null,\"path\":";
    AppendJsonString(line, exchange.raw_path);
  } else {
    AppendJsonString(line, exchange.route);
  }
  line += ",\"status\":" + std::to_string(status) + ",\"duration_us\":" + std::to_string(micros);
  line += ",\"user\":" + (exchange.user ? std::to_string(*exchange.user) : std::string("null"));
  line += ",\"acting_as\":" + (exchange.acting_as ? std::to_string(*exchange.acting_as) : std::string("null"));
  if (exchange.list_source) line.append(",\"list\":\"").append(ListSourceName(*exchange.list_source)) += '"';
  line += ",\"request_id\":";
  AppendJsonString(line, exchange.request_id);
  if (exchange.trace) {
    line += ",\"trace_id\":\"" + exchange.trace->trace_id + "\",\"parent_id\":\"" + exchange.trace->parent_id + '"';
  }
  context.access_log->info(line);
}

}  // namespace phonechat
