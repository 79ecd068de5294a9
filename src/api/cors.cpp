#include "api/cors.hpp"

#include <boost/url/parse.hpp>
#include <utility>

namespace phonechat {
namespace {

// What a browser may send and read across origins. No credentials: the API's are bearer tokens and API keys in
// headers, never cookies, so Access-Control-Allow-Credentials is never sent.
constexpr std::string_view kAllowedRequestHeaders =
    "Authorization, Content-Type, Accept, X-ApiKey, Idempotency-Key, X-Request-ID, traceparent";
constexpr std::string_view kExposedHeaders = "X-Request-ID, Retry-After, WWW-Authenticate, Idempotent-Replayed";
constexpr std::string_view kPreflightMaxAgeSeconds = "600";

std::string Lower(std::string_view text) {
  std::string lower(text);
  for (char& c : lower) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + ('a' - 'A'));
  }
  return lower;
}

bool ListHas(std::string_view list, std::string_view item) {
  while (!list.empty()) {
    const std::size_t comma = list.find(',');
    std::string_view entry = list.substr(0, comma);
    while (!entry.empty() && entry.front() == ' ') entry.remove_prefix(1);
    while (!entry.empty() && entry.back() == ' ') entry.remove_suffix(1);
    if (entry == item) return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

}  // namespace

CorsOrigins::CorsOrigins(std::vector<std::string> configured) : follows_projects_(configured.empty()) {
  auto origins = std::make_shared<std::set<std::string>>();
  for (const std::string& entry : configured) {
    if (entry == "*") {
      any_ = true;
    } else if (std::optional<std::string> origin = OriginOf(entry)) {
      origins->insert(std::move(*origin));
    }
  }
  origins_.store(std::move(origins));
}

void CorsOrigins::ReplaceFromRedirectUris(const std::vector<std::string>& redirect_uris) {
  if (!follows_projects_) return;
  auto origins = std::make_shared<std::set<std::string>>();
  for (const std::string& uri : redirect_uris) {
    if (std::optional<std::string> origin = OriginOf(uri)) origins->insert(std::move(*origin));
  }
  origins_.store(std::move(origins));
}

bool CorsOrigins::Allows(std::string_view origin) const {
  if (origin.empty() || origin == "null") return false;
  if (any_) return true;
  const std::shared_ptr<const std::set<std::string>> origins = origins_.load();
  return origins->count(std::string(origin)) > 0;
}

std::optional<std::string> OriginOf(std::string_view uri) {
  const auto parsed = boost::urls::parse_absolute_uri(uri);
  if (!parsed || !parsed->has_authority() || parsed->host().empty() || parsed->has_userinfo()) return std::nullopt;
  const std::string scheme = Lower(parsed->scheme());
  if (scheme != "http" && scheme != "https") return std::nullopt;
  std::string origin = scheme + "://" + Lower(parsed->encoded_host_and_port());
  const std::string_view default_port = scheme == "http" ? ":80" : ":443";
  if (origin.size() > default_port.size() && origin.ends_with(default_port)) {
    origin.resize(origin.size() - default_port.size());
  }
  return origin;
}

std::string CorsOriginProblem(std::string_view value) {
  if (value == "*") return {};
  const auto parsed = boost::urls::parse_absolute_uri(value);
  const bool bare = parsed && (parsed->encoded_path().empty() || parsed->encoded_path() == "/") &&
                    !parsed->has_query() && !parsed->has_fragment();
  if (bare && OriginOf(value)) return {};
  return "'" + std::string(value) + "' is not an origin such as https://app.example.com or http://127.0.0.1:3000";
}

bool IsCorsPath(std::string_view path) {
  const std::string lower = Lower(path);
  return lower.starts_with("/v1/") || lower == "/oauth/token" || lower == "/oauth/revoke";
}

http::Response CorsPreflight(const CorsOrigins& origins, std::string_view origin, std::string_view requested_method,
                             std::string_view methods) {
  http::Response response;
  response.status = 204;
  response.headers.emplace_back("Vary", "Origin, Access-Control-Request-Method, Access-Control-Request-Headers");
  if (!origins.Allows(origin) || !ListHas(methods, requested_method)) return response;
  response.headers.emplace_back("Access-Control-Allow-Origin", std::string(origin));
  response.headers.emplace_back("Access-Control-Allow-Methods", std::string(methods));
  response.headers.emplace_back("Access-Control-Allow-Headers", std::string(kAllowedRequestHeaders));
  response.headers.emplace_back("Access-Control-Max-Age", std::string(kPreflightMaxAgeSeconds));
  return response;
}

void AddCorsHeaders(const CorsOrigins& origins, std::optional<std::string_view> origin, http::Response& response) {
  response.headers.emplace_back("Vary", "Origin");
  if (!origin || !origins.Allows(*origin)) return;
  response.headers.emplace_back("Access-Control-Allow-Origin", std::string(*origin));
  response.headers.emplace_back("Access-Control-Expose-Headers", std::string(kExposedHeaders));
}

}  // namespace phonechat
