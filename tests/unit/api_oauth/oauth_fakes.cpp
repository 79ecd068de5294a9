#include "oauth_fakes.hpp"

#include <gtest/gtest.h>

#include "api/query_parameters.hpp"
#include "core/error.hpp"

namespace phonechat::oauth_test {

std::optional<std::string_view> FakeRequest::Header(std::string_view name) const {
  for (const auto& [header, value] : headers_) {
    if (AsciiLower(header) == AsciiLower(name)) return std::string_view(value);
  }
  return std::nullopt;
}

FakeRequest FormPost(std::string target, std::string cookies, std::string body) {
  std::vector<std::pair<std::string, std::string>> headers{{"Content-Type", "application/x-www-form-urlencoded"}};
  if (!cookies.empty()) headers.emplace_back("Cookie", std::move(cookies));
  return FakeRequest("POST", std::move(target), std::move(headers), std::move(body));
}

std::vector<std::string> HeaderValues(const http::Response& response, std::string_view name) {
  std::vector<std::string> values;
  for (const auto& [header, value] : response.headers) {
    if (AsciiLower(header) == AsciiLower(name)) values.push_back(value);
  }
  return values;
}

std::string HeaderValue(const http::Response& response, std::string_view name) {
  const std::vector<std::string> values = HeaderValues(response, name);
  EXPECT_LE(values.size(), 1u) << "header " << name << " is repeated";
  return values.empty() ? std::string() : values.front();
}

http::Response Complete(http::Response response) {
  if (!response.deferred) return response;
  const std::shared_ptr<http::DeferredWork> work = response.deferred;
  work->blocking();
  http::Response finished = work->finish();
  EXPECT_FALSE(finished.deferred) << "a finished response defers again";
  return finished;
}

std::optional<std::string> SetCookie(const http::Response& response, std::string_view name) {
  for (const std::string& value : HeaderValues(response, "Set-Cookie")) {
    const std::string prefix = std::string(name) + "=";
    if (value.rfind(prefix, 0) != 0) continue;
    return value.substr(prefix.size(), value.find(';') - prefix.size());
  }
  return std::nullopt;
}

FakeOAuthService::FakeOAuthService() { validation.request = ValidRequest(); }

AuthorizeRequest FakeOAuthService::ValidRequest() {
  AuthorizeRequest request;
  request.project_id = 3;
  request.project_name = "Demo App";
  request.client_id = "demo-app";
  request.redirect_uri = "http://127.0.0.1:8765/cb";
  request.scopes = {"account_phonechat_bookings"};
  request.state = "xyz";
  return request;
}

AuthorizeValidation FakeOAuthService::ValidateAuthorize(const AuthorizeParameters& parameters) {
  calls.emplace_back("ValidateAuthorize");
  last_parameters = parameters;
  return validation;
}

LoginOutcome FakeOAuthService::Login(std::string_view login, std::string_view password,
                                     std::string_view client_address) {
  calls.emplace_back("Login");
  last_login = login;
  last_password = password;
  last_client_address = client_address;
  return login_outcome;
}

std::optional<LoginSession> FakeOAuthService::FindSession(std::string_view cookie_value) {
  calls.emplace_back("FindSession");
  if (throw_on_find_session) throw StoreUnavailable("database is locked");
  const auto found = sessions.find(std::string(cookie_value));
  if (found == sessions.end()) return std::nullopt;
  return found->second;
}

void FakeOAuthService::EndSession(std::string_view cookie_value) {
  calls.emplace_back("EndSession");
  ended_sessions.emplace_back(cookie_value);
}

bool FakeOAuthService::HasGrant(UserId, const AuthorizeRequest&) {
  calls.emplace_back("HasGrant");
  return has_grant;
}

ClientRedirect FakeOAuthService::Approve(UserId user_id, const AuthorizeRequest& request) {
  calls.emplace_back("Approve");
  approved_for = user_id;
  return ClientRedirect{request.redirect_uri + "?code=the-code&state=" + request.state};
}

ClientRedirect FakeOAuthService::Deny(const AuthorizeRequest& request) {
  calls.emplace_back("Deny");
  return ClientRedirect{request.redirect_uri + "?error=access_denied&state=" + request.state};
}

ClientRedirect FakeOAuthService::Cancel(const AuthorizeRequest& request) {
  calls.emplace_back("Cancel");
  return ClientRedirect{request.redirect_uri + "?code=&state=" + request.state + "&status=cancelled"};
}

TokenResponse FakeOAuthService::Token(const TokenRequest& request) {
  calls.emplace_back("Token");
  last_token_request = request;
  return token_response;
}

TokenResponse FakeOAuthService::Revoke(const TokenRequest& request) {
  calls.emplace_back("Revoke");
  last_token_request = request;
  return token_response;
}

std::vector<GrantSummary> FakeOAuthService::ListGrants(UserId) {
  calls.emplace_back("ListGrants");
  return grants;
}

void FakeOAuthService::RevokeGrant(UserId user_id, ProjectId project_id) {
  calls.emplace_back("RevokeGrant");
  revoked_grant = std::make_pair(user_id, project_id);
}

AccountCredentials FakeOAuthService::VerifyCredentials(const Principal& principal) {
  calls.emplace_back("VerifyCredentials");
  last_principal = principal;
  return account;
}

}  // namespace phonechat::oauth_test
