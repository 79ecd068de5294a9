// The Unified Login's service interface: authorize, login, consent, tokens, grants and account facts, free of HTTP.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "core/result.hpp"
#include "domain/booking.hpp"
#include "domain/principal.hpp"
#include "serialization/body_writer.hpp"  // AccountCredentials, which the account route writes from its field table

namespace phonechat {

// Lifetimes of what the Unified Login issues (the README's configuration table); all configurable.
struct OAuthLifetimes {
  std::chrono::seconds access_token{1200};
  std::chrono::seconds refresh_token{14 * 24 * 3600};
  std::chrono::seconds authorization_code{60};
  std::chrono::seconds login_session{8 * 3600};
};

// A scope the marketplace knows, with the plain words the consent page shows.
struct ScopeDescription {
  std::string_view name;
  std::string_view description;
};

// Every known scope, in the order the consent page lists them.
const std::vector<ScopeDescription>& KnownScopes();

// The query of `GET /OAuth/Authorize`, decoded (absent parameters are empty).
struct AuthorizeParameters {
  std::string response_type;
  std::string client_id;
  std::string redirect_uri;
  std::string scope;
  std::string state;
  std::string code_challenge;
  std::string code_challenge_method;
};

// A validated authorization request.
struct AuthorizeRequest {
  ProjectId project_id = 0;
  std::string project_name;
  std::string client_id;
  bool implicit = false;            // response_type=token
  std::string redirect_uri;         // exactly one of the project's registered URIs
  std::vector<std::string> scopes;  // known, deduplicated, in KnownScopes() order
  std::string state;                // echoed back verbatim
  std::string code_challenge;       // S256 challenge, empty when none
};

// Where the browser goes next after an authorize step: the client's redirect URI with the result in the
// query (code flow) or the fragment (implicit flow), already encoded.
struct ClientRedirect {
  std::string location;
};

// Why an authorize request cannot even be redirected (unknown client, unregistered redirect URI, ...):
// shown to the user as an error page with status 400; the message is safe to display (escape it).
struct AuthorizeErrorPage {
  std::string message;
};

// The outcome of validating an authorize request.
struct AuthorizeValidation {
  std::optional<AuthorizeRequest> request;       // valid
  std::optional<ClientRedirect> error_redirect;  // invalid, reported to the client (error=…&state=…)
  std::optional<AuthorizeErrorPage> error_page;  // invalid, not safe to redirect
};

// A logged-in browser session.
struct LoginSession {
  UserId user_id = 0;
  std::string nickname;
};

// A session created by a successful login: the cookie value to set (shown once, stored hashed).
struct NewLoginSession {
  std::string cookie_value;
  LoginSession session;
};

// The outcome of a login attempt.
struct LoginOutcome {
  std::optional<NewLoginSession> session;  // success
  bool throttled = false;                  // refused without checking: too many recent failures
  std::chrono::seconds retry_after{0};     // when throttled
};

// A project the user has authorized, for the grants page.
struct GrantSummary {
  ProjectId project_id = 0;
  std::string project_name;
  std::string client_id;
  std::vector<std::string> scopes;
  LocalDateTime granted_at;
};

// A token endpoint request (`POST /OAuth/token` or `/OAuth/revoke`), form fields decoded; client
// credentials from the form or from HTTP Basic (the HTTP layer decodes Basic into these two fields).
struct TokenRequest {
  std::string grant_type;
  std::string code;
  std::string redirect_uri;
  std::string code_verifier;
  std::string refresh_token;
  std::string client_id;
  std::string client_secret;
  bool client_used_basic = false;  // credentials came in an Authorization: Basic header
  std::string token;               // revoke: the token to revoke
  std::string token_type_hint;     // revoke
};

// The token endpoint's answer: the issued tokens, or the error that refused the request (kInvalidRequest,
// kInvalidClient, kInvalidGrant, kUnsupportedGrantType or kRefreshTokenExpired, its message the description).
struct TokenResponse {
  std::optional<Error> error;  // set when refused; the token fields are then empty
  std::string access_token;
  std::int64_t expires_in = 0;
  std::string refresh_token;  // empty for none
  std::string scope;          // space-separated
};

// The Unified Login's rules (docs/api.md, "Unified Login"): authorize validation, login with back-off, consent memory,
// codes, token exchange and refresh rotation, revocation. Plain C++: no HTTP. Thread-safe.
// Methods marked SLOW run Argon2id and must be called off the serving threads.
class OAuthService {
 public:
  virtual ~OAuthService() = default;

  // Validates the authorize query (exact redirect URI match, response type, scopes, PKCE method).
  virtual AuthorizeValidation ValidateAuthorize(const AuthorizeParameters& parameters) = 0;

  // SLOW. Checks `login` (nickname or e-mail) and `password`; `client_address` feeds the back-off.
  virtual LoginOutcome Login(std::string_view login, std::string_view password, std::string_view client_address) = 0;
  // The session whose cookie value is `cookie_value`, if it exists and has not expired.
  virtual std::optional<LoginSession> FindSession(std::string_view cookie_value) = 0;
  // Ends the session (logout); unknown values are ignored.
  virtual void EndSession(std::string_view cookie_value) = 0;

  // True when `user_id` already granted the request's project every requested scope (consent skipped).
  virtual bool HasGrant(UserId user_id, const AuthorizeRequest& request) = 0;
  // Records the user's consent (adding to what they granted before) and answers the request: a redirect
  // with `code` and `state` (code flow) or `#access_token=…&token_type=bearer&expires_in=…&state=…` (implicit).
  virtual ClientRedirect Approve(UserId user_id, const AuthorizeRequest& request) = 0;
  // The redirect for a user who declined consent: `error=access_denied` and `state`.
  virtual ClientRedirect Deny(const AuthorizeRequest& request) = 0;
  // The redirect for a user who cancelled at the login: `?code=&state=…&status=cancelled` (code flow) or
  // `#status=cancelled&state=…` (implicit).
  virtual ClientRedirect Cancel(const AuthorizeRequest& request) = 0;

  // SLOW (client secrets are Argon2id hashes). Answers `POST /OAuth/token`.
  virtual TokenResponse Token(const TokenRequest& request) = 0;
  // SLOW. Answers `POST /OAuth/revoke` (RFC 7009): revokes an access or refresh token of the client.
  virtual TokenResponse Revoke(const TokenRequest& request) = 0;

  // The projects `user_id` has authorized.
  virtual std::vector<GrantSummary> ListGrants(UserId user_id) = 0;
  // Withdraws the user's grant to a project and revokes every token it issued to that user.
  virtual void RevokeGrant(UserId user_id, ProjectId project_id) = 0;

  // The account behind an authenticated principal.
  virtual AccountCredentials VerifyCredentials(const Principal& principal) = 0;
};

}  // namespace phonechat
