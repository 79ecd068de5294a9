// The Unified Login's token endpoint (`POST /OAuth/token`, `POST /OAuth/revoke`) and the authorization server's
// metadata, all answered in JSON (docs/api.md, Unified Login).

#include <algorithm>
#include <array>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <cassert>
#include <optional>
#include <string>
#include <utility>

#include "api/error_response.hpp"
#include "api/oauth_handler.hpp"
#include "api/oauth_routes.hpp"
#include "api/query_parameters.hpp"
#include "api/web_forms.hpp"
#include "core/process_counters.hpp"

namespace phonechat {
namespace {

constexpr std::array<std::string_view, 10> kTokenFields{
    "grant_type", "code",          "redirect_uri", "code_verifier",   "refresh_token",
    "client_id",  "client_secret", "token",        "token_type_hint", "scope"};

http::Response JsonAnswer(int status, const boost::json::object& body) {
  http::Response response;
  response.status = status;
  response.content_type = "application/json; charset=utf-8";
  response.body = boost::json::serialize(body);
  response.headers.emplace_back("Cache-Control", "no-store");
  response.headers.emplace_back("Pragma", "no-cache");
  return response;
}

// The token endpoint's one way of answering an error (RFC 6749 §5.2): the status and `error` name from the table,
// the message as `error_description`. A client that failed to authenticate with Basic is challenged (§5.2).
http::Response TokenError(const Error& error, bool client_used_basic) {
  const ErrorWire wire = WireOf(error.code);
  assert(!wire.oauth_error.empty() && "the token endpoint answers only with codes that have an OAuth name");
  boost::json::object body;
  body["error"] = wire.oauth_error;
  if (!error.message.empty()) body["error_description"] = error.message;
  http::Response response = JsonAnswer(wire.status, body);
  if (error.code == ErrorCode::kInvalidClient && client_used_basic) {
    response.headers.emplace_back("WWW-Authenticate", R"(Basic realm="oauth")");
  }
  if (error.code == ErrorCode::kRateLimited) {
    response.headers.emplace_back("Retry-After", std::to_string(error.retry_after_seconds));
  }
  return response;
}

http::Response TokenRequestError(ErrorCode code, std::string message, bool client_used_basic = false) {
  return TokenError(Error{code, std::move(message), {}, {}, false}, client_used_basic);
}

// The token endpoint's answer to a request that failed (ErrorFromException).
http::Response TokenFailure(const Error& error) { return TokenError(error, false); }

http::Response TokenAnswer(const TokenResponse& answer, bool revoke, bool client_used_basic) {
  if (answer.error) return TokenError(*answer.error, client_used_basic);
  if (revoke) {
    http::Response response;
    response.headers.emplace_back("Cache-Control", "no-store");
    response.headers.emplace_back("Pragma", "no-cache");
    return response;
  }
  boost::json::object body;
  body["access_token"] = answer.access_token;
  body["token_type"] = "bearer";
  body["expires_in"] = answer.expires_in;
  if (!answer.refresh_token.empty()) body["refresh_token"] = answer.refresh_token;
  body["scope"] = answer.scope;
  return JsonAnswer(200, body);
}

// The keys a failed client authentication is counted under: the client it named and the address it came from.
struct FailureKeys {
  std::string client;
  std::string address;
};

// 429 `slow_down` while either key has used up its failures (docs/security.md, "Rate limits"); nullopt otherwise.
std::optional<http::Response> SlowDown(RateLimiter& failures, const FailureKeys& keys) {
  const std::optional<std::int64_t> client_wait = failures.Wait(keys.client);
  const std::optional<std::int64_t> address_wait = failures.Wait(keys.address);
  if (!client_wait && !address_wait) return std::nullopt;
  ProcessCounters::Count(Counters().login_rate_limited);
  Error error{ErrorCode::kRateLimited,
              "Too many failed client authentications from this client or address; retry later.", {}, {}, false};
  error.retry_after_seconds = std::max(client_wait.value_or(0), address_wait.value_or(0));
  return TokenError(error, false);
}

void CountFailure(RateLimiter* failures, const FailureKeys& keys) {
  ProcessCounters::Count(Counters().client_auth_failures);
  if (failures == nullptr) return;
  failures->Charge(keys.client);
  failures->Charge(keys.address);
}

http::Response TokenEndpoint(OAuthService& service, const http::Request& request, bool revoke,
                             RateLimiter* client_failures) {
  return Guarded(
      [&]() -> http::Response {
        if (!IsFormContentType(request.Header("Content-Type"))) {
          return TokenRequestError(ErrorCode::kInvalidRequest, "The body must be application/x-www-form-urlencoded.");
        }
        const QueryParameters form = QueryParameters::Parse(request.Body());
        for (const std::string_view field : kTokenFields) {
          if (FieldIsAmbiguous(form, field)) {
            return TokenRequestError(
                ErrorCode::kInvalidRequest,
                "The parameter '" + std::string(field) + "' was sent more than once or is not valid percent-encoding.");
          }
        }
        TokenRequest token_request;
        token_request.grant_type = FieldValue(form, "grant_type");
        token_request.code = FieldValue(form, "code");
        token_request.redirect_uri = FieldValue(form, "redirect_uri");
        token_request.code_verifier = FieldValue(form, "code_verifier");
        token_request.refresh_token = FieldValue(form, "refresh_token");
        token_request.client_id = FieldValue(form, "client_id");
        token_request.client_secret = FieldValue(form, "client_secret");
        token_request.token = FieldValue(form, "token");
        token_request.token_type_hint = FieldValue(form, "token_type_hint");

        const BasicAuthorization basic = ParseBasicAuthorization(request.Header("Authorization"));
        FailureKeys keys{"client\n" + (basic.present && !basic.malformed ? basic.credentials.client_id
                                                                          : token_request.client_id),
                         "address\n" + request.Origin().address};
        if (client_failures != nullptr) {
          if (std::optional<http::Response> refused = SlowDown(*client_failures, keys)) return std::move(*refused);
        }
        if (basic.present) {
          if (basic.malformed) {
            CountFailure(client_failures, keys);
            return TokenRequestError(
                ErrorCode::kInvalidClient,
                "The Basic credentials are not base64 of the form-encoded client_id:client_secret.",
                /*client_used_basic=*/true);
          }
          // RFC 6749 §2.3: a client must not use more than one authentication method in a request.
          if (!token_request.client_secret.empty()) {
            return TokenRequestError(ErrorCode::kInvalidRequest,
                                     "The client authenticated twice: use HTTP Basic or client_secret, not both.");
          }
          if (!token_request.client_id.empty() && token_request.client_id != basic.credentials.client_id) {
            return TokenRequestError(ErrorCode::kInvalidRequest,
                                     "The client_id differs from the one in the Basic credentials.");
          }
          token_request.client_id = basic.credentials.client_id;
          token_request.client_secret = basic.credentials.client_secret;
          token_request.client_used_basic = true;
        }
        const bool used_basic = token_request.client_used_basic;
        return Defer<TokenResponse>(
            [&service, token_request = std::move(token_request), revoke] {
              return revoke ? service.Revoke(token_request) : service.Token(token_request);
            },
            [revoke, used_basic, client_failures, keys = std::move(keys)](TokenResponse& answer) {
              if (answer.error && answer.error->code == ErrorCode::kInvalidClient) CountFailure(client_failures, keys);
              return TokenAnswer(answer, revoke, used_basic);
            },
            TokenFailure);
      },
      TokenFailure);
}

}  // namespace

http::Response TokenPost(OAuthService& service, const http::Request& request, RateLimiter* client_failures) {
  return TokenEndpoint(service, request, /*revoke=*/false, client_failures);
}

http::Response RevokePost(OAuthService& service, const http::Request& request, RateLimiter* client_failures) {
  return TokenEndpoint(service, request, /*revoke=*/true, client_failures);
}

http::Response AuthorizationServerMetadata(std::string_view issuer) {
  std::string base(issuer);
  boost::json::object body;
  body["issuer"] = base;
  while (!base.empty() && base.back() == '/') base.pop_back();
  body["authorization_endpoint"] = base + "/OAuth/Authorize";
  body["token_endpoint"] = base + "/OAuth/token";
  body["revocation_endpoint"] = base + "/OAuth/revoke";
  body["response_types_supported"] = boost::json::array{"code", "token"};
  body["grant_types_supported"] = boost::json::array{"authorization_code", "refresh_token", "implicit"};
  body["code_challenge_methods_supported"] = boost::json::array{"S256"};
  body["token_endpoint_auth_methods_supported"] =
      boost::json::array{"client_secret_post", "client_secret_basic", "none"};
  boost::json::array scopes;
  for (const ScopeDescription& scope : KnownScopes()) scopes.emplace_back(scope.name);
  body["scopes_supported"] = std::move(scopes);
  http::Response response;
  response.content_type = "application/json; charset=utf-8";
  response.headers.emplace_back("Cache-Control", "no-store");
  response.body = boost::json::serialize(body);
  return response;
}

}  // namespace phonechat
