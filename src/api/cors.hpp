// Cross-origin calls from browsers (CORS) to the API and the token and revoke endpoints (docs/security.md, "CORS").
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "http/server.hpp"

namespace phonechat {

// The browser origins (`scheme://host[:port]`) that may call. Thread-safe.
class CorsOrigins {
 public:
  // `configured`: the --cors-origin values, `*` meaning any origin; none: the origins of the projects' redirect
  // URIs, as Replace sets them.
  explicit CorsOrigins(std::vector<std::string> configured);

  // True when the allowed origins are the projects' (no --cors-origin).
  [[nodiscard]] bool FollowsProjects() const { return follows_projects_; }
  // Replaces the projects' origins with those of `redirect_uris` (ignored when configured).
  void ReplaceFromRedirectUris(const std::vector<std::string>& redirect_uris);
  // True when a request whose Origin header is `origin` may read the answer.
  [[nodiscard]] bool Allows(std::string_view origin) const;

 private:
  bool follows_projects_;
  bool any_ = false;
  std::atomic<std::shared_ptr<const std::set<std::string>>> origins_;
};

// The origin of an absolute http or https URI as a browser writes it in an Origin header (scheme and host in
// lower case, the scheme's default port left out), or nullopt.
std::optional<std::string> OriginOf(std::string_view uri);

// Why `value` is not a --cors-origin value (`*`, or an origin without path, query or fragment), or empty when it is.
std::string CorsOriginProblem(std::string_view value);

// True for the routes browsers may call across origins: /v1/... and the token and revoke endpoints.
bool IsCorsPath(std::string_view path);

// The answer to a preflight (`OPTIONS` with Origin and Access-Control-Request-Method) for a path whose routes
// accept `methods` (comma-separated): 204, with the Access-Control-Allow-* headers when the origin is allowed and
// asks for one of them.
http::Response CorsPreflight(const CorsOrigins& origins, std::string_view origin, std::string_view requested_method,
                             std::string_view methods);

// Adds `Vary: Origin` to an answer of a CORS path, and Access-Control-Allow-Origin and -Expose-Headers when the
// request came with an allowed `origin`.
void AddCorsHeaders(const CorsOrigins& origins, std::optional<std::string_view> origin, http::Response& response);

}  // namespace phonechat
