// The /v1/Account routes of a bearer token (VerifyCredentials, GetPermissions), and the OAuth routes' answer while
// no OAuthService is configured.

#include <algorithm>
#include <string_view>
#include <vector>

#include "api/error_response.hpp"
#include "api/oauth_routes.hpp"
#include "serialization/body_writer.hpp"

namespace phonechat {

http::Response VerifyCredentials(OAuthService& service, const Principal& principal, const NegotiatedFormat& format) {
  const AccountCredentials account = service.VerifyCredentials(principal);
  http::Response response;
  SetApiHeaders(response, format);
  WriteAccountCredentials(response.body, account, format.format);
  return response;
}

http::Response GetPermissions(const Principal& principal, const NegotiatedFormat& format) {
  std::vector<std::string_view> scopes;
  std::string_view rest = principal.scopes;
  while (!rest.empty()) {
    const auto space = rest.find(' ');
    const std::string_view scope = rest.substr(0, space);
    rest = space == std::string_view::npos ? std::string_view{} : rest.substr(space + 1);
    if (!scope.empty() && std::find(scopes.begin(), scopes.end(), scope) == scopes.end()) scopes.push_back(scope);
  }
  http::Response response;
  SetApiHeaders(response, format);
  WritePermissions(response.body, scopes, format.format);
  return response;
}

http::Response OAuthUnavailable(const NegotiatedFormat& format) {
  return RenderError(
      Error{ErrorCode::kUnavailable, "The Unified Login is not available on this server.", {}, {}, false}, format);
}

}  // namespace phonechat
