#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http/server.hpp"
#include "service/oauth_service.hpp"

namespace phonechat::oauth_test {

// A request as a test writes it: method, target, headers (first one of a name wins), body.
class FakeRequest final : public http::Request {
 public:
  FakeRequest(std::string method, std::string target, std::vector<std::pair<std::string, std::string>> headers = {},
              std::string body = {})
      : method_(std::move(method)), target_(std::move(target)), headers_(std::move(headers)), body_(std::move(body)) {}

  [[nodiscard]] std::string_view Method() const override { return method_; }
  [[nodiscard]] std::string_view Target() const override { return target_; }
  [[nodiscard]] std::optional<std::string_view> Header(std::string_view name) const override;
  [[nodiscard]] std::string_view Body() const override { return body_; }
  [[nodiscard]] http::ClientOrigin Origin() const override { return origin_; }
  // The same request as if it came from `origin`.
  FakeRequest& From(http::ClientOrigin origin) {
    origin_ = std::move(origin);
    return *this;
  }

 private:
  http::ClientOrigin origin_;
  std::string method_;
  std::string target_;
  std::vector<std::pair<std::string, std::string>> headers_;
  std::string body_;
};

// A form POST with the given cookies and form-urlencoded body.
FakeRequest FormPost(std::string target, std::string cookies, std::string body);

// The values of every response header called `name` (ASCII case-insensitive), in order.
std::vector<std::string> HeaderValues(const http::Response& response, std::string_view name);

// The one value of header `name`, or empty when absent (a test failure when repeated).
std::string HeaderValue(const http::Response& response, std::string_view name);

// The response a client finally sees: deferred work run (blocking, then finish) when there is some.
http::Response Complete(http::Response response);

// The value a Set-Cookie header gives `name` (the part before the first `;`), or nullopt when none sets it.
std::optional<std::string> SetCookie(const http::Response& response, std::string_view name);

// An OAuthService whose answers a test sets and whose calls it inspects. Not thread-safe: tests call it from
// one thread.
class FakeOAuthService : public OAuthService {
 public:
  FakeOAuthService();

  // Settings.
  AuthorizeValidation validation;                // what ValidateAuthorize answers
  std::map<std::string, LoginSession> sessions;  // cookie value -> session
  bool has_grant = false;
  LoginOutcome login_outcome;    // what Login answers
  TokenResponse token_response;  // what Token and Revoke answer
  std::vector<GrantSummary> grants;
  AccountCredentials account;
  bool throw_on_find_session = false;  // FindSession throws StoreUnavailable

  // Records.
  std::vector<std::string> calls;  // method names, in call order
  AuthorizeParameters last_parameters;
  std::string last_login;
  std::string last_password;
  std::string last_client_address;
  TokenRequest last_token_request;
  std::vector<std::string> ended_sessions;
  std::optional<std::pair<UserId, ProjectId>> revoked_grant;
  std::optional<UserId> approved_for;
  Principal last_principal;

  // A valid request for project "Demo App" (client demo-app) asking for account_phonechat_bookings.
  static AuthorizeRequest ValidRequest();

  AuthorizeValidation ValidateAuthorize(const AuthorizeParameters& parameters) override;
  LoginOutcome Login(std::string_view login, std::string_view password, std::string_view client_address) override;
  std::optional<LoginSession> FindSession(std::string_view cookie_value) override;
  void EndSession(std::string_view cookie_value) override;
  bool HasGrant(UserId user_id, const AuthorizeRequest& request) override;
  ClientRedirect Approve(UserId user_id, const AuthorizeRequest& request) override;
  ClientRedirect Deny(const AuthorizeRequest& request) override;
  ClientRedirect Cancel(const AuthorizeRequest& request) override;
  TokenResponse Token(const TokenRequest& request) override;
  TokenResponse Revoke(const TokenRequest& request) override;
  std::vector<GrantSummary> ListGrants(UserId user_id) override;
  void RevokeGrant(UserId user_id, ProjectId project_id) override;
  AccountCredentials VerifyCredentials(const Principal& principal) override;
};

}  // namespace phonechat::oauth_test
