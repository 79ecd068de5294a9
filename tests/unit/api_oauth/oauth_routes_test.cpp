#include "api/oauth_routes.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json/parse.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "api/web_forms.hpp"
#include "core/error.hpp"
#include "oauth_fakes.hpp"

namespace phonechat {
namespace {

using oauth_test::Complete;
using oauth_test::FakeOAuthService;
using oauth_test::FakeRequest;
using oauth_test::FormPost;
using oauth_test::HeaderValue;
using oauth_test::HeaderValues;
using oauth_test::SetCookie;

constexpr std::string_view kAuthorizeTarget =
    "/OAuth/Authorize?response_type=code&client_id=demo-app&redirect_uri=http%3A%2F%2F127.0.0.1%3A8765%2Fcb"
    "&scope=account_phonechat_bookings&state=xyz&code_challenge=abc&code_challenge_method=S256";

bool Contains(std::string_view text, std::string_view part) { return text.find(part) != std::string_view::npos; }

int Count(const std::vector<std::string>& calls, std::string_view name) {
  return static_cast<int>(std::count(calls.begin(), calls.end(), name));
}

// A browser with a CSRF cookie (and optionally a session) posting forms to the Unified Login.
class OAuthRoutesTest : public ::testing::Test {
 protected:
  void SetUp() override { service_.sessions["session-cookie"] = LoginSession{2001, "DemoClient"}; }

  std::string Cookies(bool signed_in) const {
    std::string cookies = "pc_csrf=" + csrf_;
    if (signed_in) cookies += "; pc_session=session-cookie";
    return cookies;
  }

  FakeRequest Get(std::string_view target, bool signed_in) const {
    return FakeRequest("GET", std::string(target), {{"Cookie", Cookies(signed_in)}});
  }

  FakeRequest Post(std::string_view target, std::string body, bool signed_in) const {
    return FormPost(std::string(target), Cookies(signed_in), std::move(body));
  }

  std::string Form(std::string_view fields) const { return "csrf=" + csrf_ + "&" + std::string(fields); }

  FakeOAuthService service_;
  std::string csrf_ = NewCsrfToken();
};

// ------------------------------------------------------------------------------------------ GET /OAuth/Authorize

TEST_F(OAuthRoutesTest, AuthorizeGetPassesTheDecodedQueryToTheService) {
  AuthorizeGet(service_, Get(kAuthorizeTarget, false));
  EXPECT_EQ(service_.last_parameters.response_type, "code");
  EXPECT_EQ(service_.last_parameters.client_id, "demo-app");
  EXPECT_EQ(service_.last_parameters.redirect_uri, "http://127.0.0.1:8765/cb");
  EXPECT_EQ(service_.last_parameters.scope, "account_phonechat_bookings");
  EXPECT_EQ(service_.last_parameters.state, "xyz");
  EXPECT_EQ(service_.last_parameters.code_challenge, "abc");
  EXPECT_EQ(service_.last_parameters.code_challenge_method, "S256");
}

TEST_F(OAuthRoutesTest, AuthorizeGetWithoutSessionShowsTheLoginPagePostingBackToTheSameUrl) {
  const http::Response page = AuthorizeGet(service_, Get(kAuthorizeTarget, false));
  EXPECT_EQ(page.status, 200);
  EXPECT_FALSE(page.deferred);
  EXPECT_TRUE(Contains(page.body, R"(id="login-form")")) << page.body;
  EXPECT_TRUE(Contains(page.body, "action=\"/OAuth/Authorize?response_type=code&amp;client_id=demo-app"));
  EXPECT_TRUE(Contains(page.body, R"(id="login-cancel")"));
  EXPECT_TRUE(Contains(page.body, "Demo App"));
  EXPECT_TRUE(Contains(page.body, "name=\"csrf\" value=\"" + csrf_ + "\""));
  EXPECT_EQ(SetCookie(page, kCsrfCookie), std::nullopt) << "the browser's own CSRF cookie is kept";
}

TEST_F(OAuthRoutesTest, AuthorizeGetIssuesACsrfCookieWhenTheBrowserHasNone) {
  const http::Response page = AuthorizeGet(service_, FakeRequest("GET", std::string(kAuthorizeTarget)));
  const std::optional<std::string> issued = SetCookie(page, kCsrfCookie);
  ASSERT_TRUE(issued);
  EXPECT_TRUE(IsIssuedCookieValue(*issued));
  EXPECT_TRUE(Contains(page.body, "name=\"csrf\" value=\"" + *issued + "\""));
  const std::vector<std::string> cookies = HeaderValues(page, "Set-Cookie");
  ASSERT_EQ(cookies.size(), 1u);
  EXPECT_TRUE(Contains(cookies.front(), "HttpOnly"));
  EXPECT_TRUE(Contains(cookies.front(), "SameSite=Lax"));
  EXPECT_TRUE(Contains(cookies.front(), "Path=/"));
}

TEST_F(OAuthRoutesTest, AuthorizeGetReplacesAnOddlyShapedCsrfCookie) {
  const http::Response page =
      AuthorizeGet(service_, FakeRequest("GET", std::string(kAuthorizeTarget), {{"Cookie", "pc_csrf=planted"}}));
  const std::optional<std::string> issued = SetCookie(page, kCsrfCookie);
  ASSERT_TRUE(issued);
  EXPECT_NE(*issued, "planted");
}

TEST_F(OAuthRoutesTest, AuthorizeGetWithSessionAndNoGrantShowsTheConsentPage) {
  const http::Response page = AuthorizeGet(service_, Get(kAuthorizeTarget, true));
  EXPECT_EQ(page.status, 200);
  EXPECT_TRUE(Contains(page.body, R"(id="consent-form")")) << page.body;
  EXPECT_TRUE(Contains(page.body, R"(<span id="consent-project">Demo App</span>)"));
  EXPECT_TRUE(Contains(page.body, R"(data-scope="account_phonechat_bookings")"));
  EXPECT_TRUE(Contains(page.body, "DemoClient"));
  EXPECT_EQ(Count(service_.calls, "Approve"), 0);
}

TEST_F(OAuthRoutesTest, AuthorizeGetWithSessionAndGrantRedirectsStraightToTheClientWith302) {
  service_.has_grant = true;
  const http::Response answer = AuthorizeGet(service_, Get(kAuthorizeTarget, true));
  EXPECT_EQ(answer.status, 302);
  EXPECT_EQ(HeaderValue(answer, "Location"), "http://127.0.0.1:8765/cb?code=the-code&state=xyz");
  EXPECT_EQ(HeaderValue(answer, "Cache-Control"), "no-store");
  EXPECT_EQ(service_.approved_for, std::optional<UserId>(2001));
  EXPECT_TRUE(answer.body.empty());
}

TEST_F(OAuthRoutesTest, AuthorizeGetShowsTheServicesErrorPageWith400AndNeverRedirects) {
  service_.validation = AuthorizeValidation{};
  service_.validation.error_page = AuthorizeErrorPage{"The redirect URI <b> is not registered."};
  const http::Response page = AuthorizeGet(service_, Get(kAuthorizeTarget, true));
  EXPECT_EQ(page.status, 400);
  EXPECT_TRUE(HeaderValues(page, "Location").empty());
  EXPECT_TRUE(Contains(page.body, R"(id="error-message")")) << page.body;
  EXPECT_TRUE(Contains(page.body, "The redirect URI &lt;b&gt; is not registered."));
  EXPECT_EQ(HeaderValue(page, "X-Frame-Options"), "DENY");
}

TEST_F(OAuthRoutesTest, AuthorizeGetRedirectsTheServicesErrorToTheClientWith302) {
  service_.validation = AuthorizeValidation{};
  service_.validation.error_redirect = ClientRedirect{"http://127.0.0.1:8765/cb?error=invalid_scope&state=xyz"};
  const http::Response answer = AuthorizeGet(service_, Get(kAuthorizeTarget, false));
  EXPECT_EQ(answer.status, 302);
  EXPECT_EQ(HeaderValue(answer, "Location"), "http://127.0.0.1:8765/cb?error=invalid_scope&state=xyz");
}

TEST_F(OAuthRoutesTest, AuthorizeGetWithARepeatedParameterIsAnErrorPageWithoutAskingTheService) {
  const std::string target = std::string(kAuthorizeTarget) + "&redirect_uri=http%3A%2F%2Fevil.example%2F";
  const http::Response page = AuthorizeGet(service_, Get(target, false));
  EXPECT_EQ(page.status, 400);
  EXPECT_TRUE(Contains(page.body, "redirect_uri"));
  EXPECT_EQ(Count(service_.calls, "ValidateAuthorize"), 0);
}

TEST_F(OAuthRoutesTest, AuthorizeGetTurnsAnUnavailableStoreIntoA503Page) {
  service_.throw_on_find_session = true;
  const http::Response page = AuthorizeGet(service_, Get(kAuthorizeTarget, true));
  EXPECT_EQ(page.status, 503);
  EXPECT_EQ(page.content_type, "text/html; charset=utf-8");
  EXPECT_TRUE(Contains(page.body, R"(id="error-message")"));
}

// ------------------------------------------------------------------------------------------ POST /OAuth/Authorize

TEST_F(OAuthRoutesTest, AuthorizePostWithAMismatchedCsrfFieldIs403AndDoesNothing) {
  const http::Response page =
      AuthorizePost(service_, Post(kAuthorizeTarget, "csrf=" + NewCsrfToken() + "&action=allow", true));
  EXPECT_EQ(page.status, 403);
  EXPECT_TRUE(Contains(page.body, R"(id="error-message")"));
  EXPECT_EQ(HeaderValue(page, "Content-Security-Policy").empty(), false);
  EXPECT_EQ(Count(service_.calls, "Approve"), 0);
}

TEST_F(OAuthRoutesTest, AuthorizePostWithoutTheCsrfCookieIs403) {
  const FakeRequest request =
      FormPost(std::string(kAuthorizeTarget), "pc_session=session-cookie", Form("action=login&login=a&password=b"));
  const http::Response page = AuthorizePost(service_, request);
  EXPECT_EQ(page.status, 403);
  EXPECT_FALSE(page.deferred);
  EXPECT_EQ(Count(service_.calls, "Login"), 0);
}

TEST_F(OAuthRoutesTest, AuthorizePostWithoutTheCsrfFieldIs403) {
  const http::Response page = AuthorizePost(service_, Post(kAuthorizeTarget, "action=deny", true));
  EXPECT_EQ(page.status, 403);
  EXPECT_EQ(Count(service_.calls, "Deny"), 0);
}

TEST_F(OAuthRoutesTest, AuthorizePostThatIsNotAFormIs400) {
  const FakeRequest request("POST", std::string(kAuthorizeTarget),
                            {{"Content-Type", "application/json"}, {"Cookie", Cookies(true)}}, R"({"action":"allow"})");
  const http::Response page = AuthorizePost(service_, request);
  EXPECT_EQ(page.status, 400);
  EXPECT_EQ(Count(service_.calls, "Approve"), 0);
}

TEST_F(OAuthRoutesTest, AuthorizePostLoginRunsTheSlowCheckDeferredAnd303sToTheSameUrlWithASessionCookie) {
  service_.login_outcome.session = NewLoginSession{"new-session-value", LoginSession{2001, "DemoClient"}};
  const http::Response deferred =
      AuthorizePost(service_, FakeRequest("POST", std::string(kAuthorizeTarget),
                                          {{"Content-Type", "application/x-www-form-urlencoded"},
                                           {"Cookie", Cookies(false)}},
                                          Form("action=login&login=DemoClient&password=demo-password"))
                                  .From(http::ClientOrigin{"203.0.113.9", false}));
  ASSERT_TRUE(deferred.deferred) << "the Argon2id check must not run on the serving thread";
  EXPECT_EQ(Count(service_.calls, "Login"), 0);
  const http::Response answer = Complete(deferred);
  EXPECT_EQ(Count(service_.calls, "Login"), 1);
  EXPECT_EQ(service_.last_login, "DemoClient");
  EXPECT_EQ(service_.last_password, "demo-password");
  EXPECT_EQ(service_.last_client_address, "203.0.113.9");
  EXPECT_EQ(answer.status, 303);
  EXPECT_EQ(HeaderValue(answer, "Location"), kAuthorizeTarget);
  EXPECT_EQ(SetCookie(answer, kSessionCookie), std::optional<std::string>("new-session-value"));
  const std::vector<std::string> cookies = HeaderValues(answer, "Set-Cookie");
  ASSERT_EQ(cookies.size(), 1u);
  EXPECT_TRUE(Contains(cookies.front(), "HttpOnly"));
  EXPECT_TRUE(Contains(cookies.front(), "SameSite=Lax"));
  EXPECT_FALSE(Contains(cookies.front(), "Secure"));
}

TEST_F(OAuthRoutesTest, ALoginFromAnHttpsOriginSetsASecureSessionCookie) {
  service_.login_outcome.session = NewLoginSession{"v", LoginSession{2001, "DemoClient"}};
  const http::Response answer = Complete(
      AuthorizePost(service_, Post(kAuthorizeTarget, Form("action=login&login=a&password=b"), false)
                                  .From(http::ClientOrigin{"203.0.113.9", true})));
  const std::vector<std::string> cookies = HeaderValues(answer, "Set-Cookie");
  ASSERT_EQ(cookies.size(), 1u);
  EXPECT_TRUE(Contains(cookies.front(), "; Secure"));
}

TEST_F(OAuthRoutesTest, AuthorizePostLoginFromAnUnknownOriginPassesAnEmptyAddress) {
  service_.login_outcome.session = NewLoginSession{"v", LoginSession{2001, "DemoClient"}};
  Complete(AuthorizePost(service_, Post(kAuthorizeTarget, Form("action=login&login=a&password=b"), false)));
  EXPECT_EQ(service_.last_client_address, "");
}

TEST_F(OAuthRoutesTest, AFailedLoginShowsTheLoginPageAgainWith401) {
  const http::Response answer = Complete(
      AuthorizePost(service_, Post(kAuthorizeTarget, Form("action=login&login=DemoClient&password=wrong"), false)));
  EXPECT_EQ(answer.status, 401);
  EXPECT_TRUE(Contains(answer.body, R"(id="login-error")")) << answer.body;
  EXPECT_TRUE(Contains(answer.body, R"(value="DemoClient")"));
  EXPECT_FALSE(Contains(answer.body, "wrong")) << "the password is never echoed";
  EXPECT_FALSE(SetCookie(answer, kSessionCookie));
  EXPECT_EQ(HeaderValue(answer, "X-Frame-Options"), "DENY");
}

TEST_F(OAuthRoutesTest, AThrottledLoginIs429WithRetryAfter) {
  service_.login_outcome.throttled = true;
  service_.login_outcome.retry_after = std::chrono::seconds(42);
  const http::Response answer = Complete(
      AuthorizePost(service_, Post(kAuthorizeTarget, Form("action=login&login=DemoClient&password=x"), false)));
  EXPECT_EQ(answer.status, 429);
  EXPECT_EQ(HeaderValue(answer, "Retry-After"), "42");
  EXPECT_TRUE(Contains(answer.body, R"(id="login-error")"));
}

TEST_F(OAuthRoutesTest, ALoginWithAnEmptyFieldIs401WithoutAskingTheService) {
  const http::Response answer =
      Complete(AuthorizePost(service_, Post(kAuthorizeTarget, Form("action=login&login=DemoClient"), false)));
  EXPECT_EQ(answer.status, 401);
  EXPECT_TRUE(Contains(answer.body, R"(id="login-error")"));
  EXPECT_EQ(Count(service_.calls, "Login"), 0);
}

TEST_F(OAuthRoutesTest, ALoginWhoseServiceCallThrowsIsA500Page) {
  struct Throwing : FakeOAuthService {
    LoginOutcome Login(std::string_view, std::string_view, std::string_view) override {
      throw std::runtime_error("boom");
    }
  } throwing;
  const http::Response answer = Complete(AuthorizePost(
      throwing, FormPost(std::string(kAuthorizeTarget), "pc_csrf=" + csrf_, Form("action=login&login=a&password=b"))));
  EXPECT_EQ(answer.status, 500);
  EXPECT_EQ(answer.content_type, "text/html; charset=utf-8");
}

TEST_F(OAuthRoutesTest, CancelAtTheLogin303sToTheServicesCancelRedirect) {
  const http::Response answer = AuthorizePost(service_, Post(kAuthorizeTarget, Form("action=cancel"), false));
  EXPECT_EQ(answer.status, 303);
  EXPECT_EQ(HeaderValue(answer, "Location"), "http://127.0.0.1:8765/cb?code=&state=xyz&status=cancelled");
}

TEST_F(OAuthRoutesTest, DenyAtTheConsent303sToTheServicesDenyRedirect) {
  const http::Response answer = AuthorizePost(service_, Post(kAuthorizeTarget, Form("action=deny"), true));
  EXPECT_EQ(answer.status, 303);
  EXPECT_EQ(HeaderValue(answer, "Location"), "http://127.0.0.1:8765/cb?error=access_denied&state=xyz");
}

TEST_F(OAuthRoutesTest, AllowAtTheConsent303sToTheServicesApproveRedirectForTheSessionsUser) {
  const http::Response answer = AuthorizePost(service_, Post(kAuthorizeTarget, Form("action=allow"), true));
  EXPECT_EQ(answer.status, 303);
  EXPECT_EQ(HeaderValue(answer, "Location"), "http://127.0.0.1:8765/cb?code=the-code&state=xyz");
  EXPECT_EQ(service_.approved_for, std::optional<UserId>(2001));
}

TEST_F(OAuthRoutesTest, AllowWithoutASession303sBackToTheAuthorizeUrl) {
  const http::Response answer = AuthorizePost(service_, Post(kAuthorizeTarget, Form("action=allow"), false));
  EXPECT_EQ(answer.status, 303);
  EXPECT_EQ(HeaderValue(answer, "Location"), kAuthorizeTarget);
  EXPECT_EQ(Count(service_.calls, "Approve"), 0);
}

TEST_F(OAuthRoutesTest, AnUnknownActionIs400) {
  const http::Response answer = AuthorizePost(service_, Post(kAuthorizeTarget, Form("action=steal"), true));
  EXPECT_EQ(answer.status, 400);
}

TEST_F(OAuthRoutesTest, AuthorizePostRevalidatesTheQueryAnd303sTheServicesErrorRedirect) {
  service_.validation = AuthorizeValidation{};
  service_.validation.error_redirect = ClientRedirect{"http://127.0.0.1:8765/cb?error=invalid_request&state=xyz"};
  const http::Response answer = AuthorizePost(service_, Post(kAuthorizeTarget, Form("action=allow"), true));
  EXPECT_EQ(answer.status, 303);
  EXPECT_EQ(HeaderValue(answer, "Location"), "http://127.0.0.1:8765/cb?error=invalid_request&state=xyz");
  EXPECT_EQ(Count(service_.calls, "Approve"), 0);
}

// ------------------------------------------------------------------------------------------ token and revoke

FakeRequest TokenRequestOf(std::string body, std::vector<std::pair<std::string, std::string>> extra = {}) {
  std::vector<std::pair<std::string, std::string>> headers{{"Content-Type", "application/x-www-form-urlencoded"}};
  for (auto& header : extra) headers.push_back(std::move(header));
  return FakeRequest("POST", "/OAuth/token", std::move(headers), std::move(body));
}

void ExpectTokenHeaders(const http::Response& answer) {
  EXPECT_EQ(answer.content_type, "application/json; charset=utf-8");
  EXPECT_EQ(HeaderValue(answer, "Cache-Control"), "no-store");
  EXPECT_EQ(HeaderValue(answer, "Pragma"), "no-cache");
}

TEST_F(OAuthRoutesTest, TokenPassesTheFormToTheServiceDeferredAndAnswersJson) {
  service_.token_response.access_token = "access-1";
  service_.token_response.expires_in = 1200;
  service_.token_response.refresh_token = "refresh-1";
  service_.token_response.scope = "account_phonechat_bookings account_information";
  const http::Response deferred = TokenPost(
      service_,
      TokenRequestOf("grant_type=authorization_code&code=c%2B1&redirect_uri=http%3A%2F%2F127.0.0.1%3A8765%2Fcb"
                     "&client_id=demo-app&client_secret=demo-secret&code_verifier=v"));
  ASSERT_TRUE(deferred.deferred) << "client secrets are Argon2id hashes: the check runs off the serving thread";
  EXPECT_EQ(Count(service_.calls, "Token"), 0);
  const http::Response answer = Complete(deferred);
  const TokenRequest& sent = service_.last_token_request;
  EXPECT_EQ(sent.grant_type, "authorization_code");
  EXPECT_EQ(sent.code, "c+1");
  EXPECT_EQ(sent.redirect_uri, "http://127.0.0.1:8765/cb");
  EXPECT_EQ(sent.client_id, "demo-app");
  EXPECT_EQ(sent.client_secret, "demo-secret");
  EXPECT_EQ(sent.code_verifier, "v");
  EXPECT_FALSE(sent.client_used_basic);
  EXPECT_EQ(answer.status, 200);
  ExpectTokenHeaders(answer);
  const boost::json::value body = boost::json::parse(answer.body);
  EXPECT_EQ(body.at("access_token"), "access-1");
  EXPECT_EQ(body.at("token_type"), "bearer");
  EXPECT_EQ(body.at("expires_in"), 1200);
  EXPECT_EQ(body.at("refresh_token"), "refresh-1");
  EXPECT_EQ(body.at("scope"), "account_phonechat_bookings account_information");
}

TEST_F(OAuthRoutesTest, TokenWithoutRefreshTokenOmitsIt) {
  service_.token_response.access_token = "access-1";
  service_.token_response.expires_in = 1200;
  const http::Response answer = Complete(TokenPost(service_, TokenRequestOf("grant_type=authorization_code")));
  EXPECT_FALSE(boost::json::parse(answer.body).as_object().contains("refresh_token")) << answer.body;
}

TEST_F(OAuthRoutesTest, TokenErrorsAreRfc6749JsonWithTheServicesStatus) {
  service_.token_response.error = Error{ErrorCode::kInvalidGrant, "The code was already used.", {}, {}, false};
  const http::Response answer = Complete(TokenPost(service_, TokenRequestOf("grant_type=authorization_code&code=x")));
  EXPECT_EQ(answer.status, 400);
  ExpectTokenHeaders(answer);
  EXPECT_EQ(boost::json::parse(answer.body),
            boost::json::parse(R"({"error":"invalid_grant","error_description":"The code was already used."})"));
  EXPECT_TRUE(HeaderValues(answer, "WWW-Authenticate").empty());
}

TEST_F(OAuthRoutesTest, AnExpiredRefreshTokenIsTheDocumented401WithoutAChallenge) {
  service_.token_response.error = Error{ErrorCode::kRefreshTokenExpired, "", {}, {}, false};
  const http::Response answer =
      Complete(TokenPost(service_, TokenRequestOf("grant_type=refresh_token&refresh_token=r",
                                                  {{"Authorization", "Basic ZGVtby1hcHA6ZGVtby1zZWNyZXQ="}})));
  EXPECT_EQ(answer.status, 401);
  EXPECT_EQ(answer.body, R"({"error":"refresh_token_has_expired"})");
  EXPECT_TRUE(HeaderValues(answer, "WWW-Authenticate").empty());
}

TEST_F(OAuthRoutesTest, TokenTakesClientCredentialsFromHttpBasic) {
  Complete(TokenPost(service_, TokenRequestOf("grant_type=refresh_token&refresh_token=r",
                                              {{"Authorization", "Basic ZGVtby1hcHA6ZGVtby1zZWNyZXQ="}})));
  EXPECT_EQ(service_.last_token_request.client_id, "demo-app");
  EXPECT_EQ(service_.last_token_request.client_secret, "demo-secret");
  EXPECT_TRUE(service_.last_token_request.client_used_basic);
  EXPECT_EQ(service_.last_token_request.refresh_token, "r");
}

TEST_F(OAuthRoutesTest, AFailedBasicClientAuthenticationIs401WithABasicChallenge) {
  service_.token_response.error = Error{ErrorCode::kInvalidClient, "", {}, {}, false};
  const http::Response answer =
      Complete(TokenPost(service_, TokenRequestOf("grant_type=refresh_token&refresh_token=r",
                                                  {{"Authorization", "Basic ZGVtby1hcHA6ZGVtby1zZWNyZXQ="}})));
  EXPECT_EQ(answer.status, 401);
  EXPECT_EQ(HeaderValue(answer, "WWW-Authenticate"), R"(Basic realm="oauth")");
}

TEST_F(OAuthRoutesTest, AFailedFormClientAuthenticationIs401WithoutAChallenge) {
  service_.token_response.error = Error{ErrorCode::kInvalidClient, "", {}, {}, false};
  const http::Response answer =
      Complete(TokenPost(service_, TokenRequestOf("grant_type=refresh_token&client_id=demo-app&client_secret=bad")));
  EXPECT_EQ(answer.status, 401);
  EXPECT_TRUE(HeaderValues(answer, "WWW-Authenticate").empty());
}

TEST_F(OAuthRoutesTest, MalformedBasicCredentialsAre401InvalidClientWithoutAskingTheService) {
  const http::Response answer =
      Complete(TokenPost(service_, TokenRequestOf("grant_type=refresh_token", {{"Authorization", "Basic !!"}})));
  EXPECT_EQ(answer.status, 401);
  EXPECT_EQ(boost::json::parse(answer.body).at("error"), "invalid_client");
  EXPECT_EQ(HeaderValue(answer, "WWW-Authenticate"), R"(Basic realm="oauth")");
  ExpectTokenHeaders(answer);
  EXPECT_EQ(Count(service_.calls, "Token"), 0);
}

TEST_F(OAuthRoutesTest, BasicAndAFormSecretTogetherAreInvalidRequest) {
  const http::Response answer =
      Complete(TokenPost(service_, TokenRequestOf("grant_type=refresh_token&client_secret=demo-secret",
                                                  {{"Authorization", "Basic ZGVtby1hcHA6ZGVtby1zZWNyZXQ="}})));
  EXPECT_EQ(answer.status, 400);
  EXPECT_EQ(boost::json::parse(answer.body).at("error"), "invalid_request");
  EXPECT_EQ(Count(service_.calls, "Token"), 0);
}

TEST_F(OAuthRoutesTest, AFormClientIdDifferentFromBasicsIsInvalidRequest) {
  const http::Response answer =
      Complete(TokenPost(service_, TokenRequestOf("grant_type=refresh_token&client_id=other",
                                                  {{"Authorization", "Basic ZGVtby1hcHA6ZGVtby1zZWNyZXQ="}})));
  EXPECT_EQ(answer.status, 400);
  EXPECT_EQ(boost::json::parse(answer.body).at("error"), "invalid_request");
}

TEST_F(OAuthRoutesTest, TokenWithAnotherContentTypeIs400InvalidRequest) {
  const http::Response answer = Complete(TokenPost(
      service_, FakeRequest("POST", "/OAuth/token", {{"Content-Type", "application/json"}}, R"({"grant_type":"x"})")));
  EXPECT_EQ(answer.status, 400);
  ExpectTokenHeaders(answer);
  EXPECT_EQ(boost::json::parse(answer.body).at("error"), "invalid_request");
  EXPECT_EQ(Count(service_.calls, "Token"), 0);
}

TEST_F(OAuthRoutesTest, TokenWithoutContentTypeIs400InvalidRequest) {
  const http::Response answer =
      Complete(TokenPost(service_, FakeRequest("POST", "/OAuth/token", {}, "grant_type=authorization_code")));
  EXPECT_EQ(answer.status, 400);
  EXPECT_EQ(boost::json::parse(answer.body).at("error"), "invalid_request");
}

TEST_F(OAuthRoutesTest, ARepeatedTokenParameterIsInvalidRequest) {
  const http::Response answer =
      Complete(TokenPost(service_, TokenRequestOf("grant_type=authorization_code&code=a&code=b")));
  EXPECT_EQ(answer.status, 400);
  EXPECT_EQ(boost::json::parse(answer.body).at("error"), "invalid_request");
  EXPECT_EQ(Count(service_.calls, "Token"), 0);
}

TEST_F(OAuthRoutesTest, AServiceFailureAtTheTokenEndpointIsJson500) {
  struct Throwing : FakeOAuthService {
    TokenResponse Token(const TokenRequest&) override { throw std::runtime_error("boom"); }
  } throwing;
  const http::Response answer = Complete(TokenPost(throwing, TokenRequestOf("grant_type=authorization_code")));
  EXPECT_EQ(answer.status, 500);
  ExpectTokenHeaders(answer);
  EXPECT_EQ(boost::json::parse(answer.body).at("error"), "server_error");
}

TEST_F(OAuthRoutesTest, RevokePassesTokenAndHintDeferredAndAnswers200WithNoBody) {
  const http::Response deferred = RevokePost(
      service_, TokenRequestOf("token=t-1&token_type_hint=refresh_token&client_id=demo-app&client_secret=demo-secret"));
  ASSERT_TRUE(deferred.deferred);
  const http::Response answer = Complete(deferred);
  EXPECT_EQ(Count(service_.calls, "Revoke"), 1);
  EXPECT_EQ(Count(service_.calls, "Token"), 0);
  EXPECT_EQ(service_.last_token_request.token, "t-1");
  EXPECT_EQ(service_.last_token_request.token_type_hint, "refresh_token");
  EXPECT_EQ(answer.status, 200);
  EXPECT_TRUE(answer.body.empty());
  EXPECT_EQ(HeaderValue(answer, "Cache-Control"), "no-store");
}

TEST_F(OAuthRoutesTest, RevokeErrorsAreJson) {
  service_.token_response.error = Error{ErrorCode::kInvalidClient, "", {}, {}, false};
  const http::Response answer = Complete(
      RevokePost(service_, TokenRequestOf("token=t", {{"Authorization", "Basic ZGVtby1hcHA6ZGVtby1zZWNyZXQ="}})));
  EXPECT_EQ(answer.status, 401);
  ExpectTokenHeaders(answer);
  EXPECT_EQ(boost::json::parse(answer.body).at("error"), "invalid_client");
  EXPECT_EQ(HeaderValue(answer, "WWW-Authenticate"), R"(Basic realm="oauth")");
}

// Every byte of the token endpoint's answers: success, the service's refusal, a failing service, a store that is
// down.
TEST_F(OAuthRoutesTest, TokenEndpointAnswersAreExactlyTheseBytes) {
  service_.token_response.access_token = "access-1";
  service_.token_response.expires_in = 1200;
  service_.token_response.refresh_token = "refresh-1";
  service_.token_response.scope = "account_phonechat_bookings";
  http::Response answer = Complete(TokenPost(service_, TokenRequestOf("grant_type=authorization_code&code=c")));
  EXPECT_EQ(answer.status, 200);
  EXPECT_EQ(answer.body, R"({"access_token":"access-1","token_type":"bearer","expires_in":1200,)"
                         R"("refresh_token":"refresh-1","scope":"account_phonechat_bookings"})");

  service_.token_response = TokenResponse{};
  service_.token_response.error = Error{ErrorCode::kInvalidGrant, "The code was \"already\" used.", {}, {}, false};
  answer = Complete(TokenPost(service_, TokenRequestOf("grant_type=authorization_code&code=c")));
  EXPECT_EQ(answer.status, 400);
  EXPECT_EQ(answer.body, R"({"error":"invalid_grant","error_description":"The code was \"already\" used."})");

  struct Throwing : FakeOAuthService {
    bool unavailable = false;
    TokenResponse Token(const TokenRequest&) override {
      if (unavailable) throw StoreUnavailable("down");
      throw std::runtime_error("boom");
    }
  } throwing;
  answer = Complete(TokenPost(throwing, TokenRequestOf("grant_type=authorization_code")));
  EXPECT_EQ(answer.status, 500);
  EXPECT_EQ(answer.body, R"({"error":"server_error","error_description":"An error has occurred."})");
  EXPECT_TRUE(HeaderValues(answer, "WWW-Authenticate").empty());
  throwing.unavailable = true;
  answer = Complete(TokenPost(throwing, TokenRequestOf("grant_type=authorization_code")));
  EXPECT_EQ(answer.status, 503);
  EXPECT_EQ(answer.body,
            R"({"error":"temporarily_unavailable","error_description":"The service is temporarily unavailable."})");
  ExpectTokenHeaders(answer);
}

// The words of the pages that answer a failure: an unavailable store and anything else.
TEST_F(OAuthRoutesTest, FailurePagesSayWhatHappened) {
  service_.throw_on_find_session = true;
  http::Response page = AuthorizeGet(service_, Get(kAuthorizeTarget, true));
  EXPECT_EQ(page.status, 503);
  EXPECT_TRUE(Contains(page.body,
                       "<h1>Temporarily unavailable</h1>\n<p id=\"error-message\" class=\"error\">"
                       "The service is temporarily unavailable. Try again.</p>"))
      << page.body;
  struct Throwing : FakeOAuthService {
    std::optional<LoginSession> FindSession(std::string_view) override { throw std::runtime_error("boom"); }
  } throwing;
  page = AuthorizeGet(throwing, Get(kAuthorizeTarget, true));
  EXPECT_EQ(page.status, 500);
  EXPECT_TRUE(Contains(page.body,
                       "<h1>Something went wrong</h1>\n<p id=\"error-message\" class=\"error\">"
                       "An error has occurred.</p>"))
      << page.body;
}

// ------------------------------------------------------------------------------------------ metadata

TEST(AuthorizationServerMetadata, NamesTheEndpointsUnderTheIssuer) {
  const http::Response answer = AuthorizationServerMetadata("http://127.0.0.1:8080");
  EXPECT_EQ(answer.status, 200);
  EXPECT_EQ(answer.content_type, "application/json; charset=utf-8");
  const boost::json::value body = boost::json::parse(answer.body);
  EXPECT_EQ(body.at("issuer"), "http://127.0.0.1:8080");
  EXPECT_EQ(body.at("authorization_endpoint"), "http://127.0.0.1:8080/OAuth/Authorize");
  EXPECT_EQ(body.at("token_endpoint"), "http://127.0.0.1:8080/OAuth/token");
  EXPECT_EQ(body.at("revocation_endpoint"), "http://127.0.0.1:8080/OAuth/revoke");
  EXPECT_EQ(body.at("response_types_supported"), boost::json::parse(R"(["code","token"])"));
  EXPECT_EQ(body.at("grant_types_supported"),
            boost::json::parse(R"(["authorization_code","refresh_token","implicit"])"));
  EXPECT_EQ(body.at("code_challenge_methods_supported"), boost::json::parse(R"(["S256"])"));
  EXPECT_EQ(body.at("token_endpoint_auth_methods_supported"),
            boost::json::parse(R"(["client_secret_post","client_secret_basic","none"])"));
  boost::json::array known;
  for (const ScopeDescription& scope : KnownScopes()) known.emplace_back(scope.name);
  EXPECT_EQ(body.at("scopes_supported"), known);
}

TEST(AuthorizationServerMetadata, KeepsTheIssuerAsConfiguredAndJoinsEndpointsWithoutADoubleSlash) {
  const http::Response answer = AuthorizationServerMetadata("https://login.example.com/");
  const boost::json::value body = boost::json::parse(answer.body);
  EXPECT_EQ(body.at("issuer"), "https://login.example.com/");
  EXPECT_EQ(body.at("token_endpoint"), "https://login.example.com/OAuth/token");
}

// ------------------------------------------------------------------------------------------ grants and logout

TEST_F(OAuthRoutesTest, GrantsWithoutSessionShowsALoginFormPostingToGrants) {
  const http::Response page = GrantsGet(service_, Get("/OAuth/Grants", false));
  EXPECT_EQ(page.status, 200);
  EXPECT_TRUE(Contains(page.body, R"(<form id="login-form" method="post" action="/OAuth/Grants">)")) << page.body;
  EXPECT_FALSE(Contains(page.body, "login-cancel"));
  EXPECT_EQ(Count(service_.calls, "ListGrants"), 0);
}

TEST_F(OAuthRoutesTest, GrantsListsTheSessionUsersGrants) {
  service_.grants = {GrantSummary{3, "Demo App", "demo-app", {"account_phonechat_bookings"}, LocalDateTime{0}}};
  const http::Response page = GrantsGet(service_, Get("/OAuth/Grants", true));
  EXPECT_EQ(page.status, 200);
  EXPECT_TRUE(Contains(page.body, R"(<li class="grant" data-client-id="demo-app">)")) << page.body;
  EXPECT_TRUE(Contains(page.body, R"(name="project_id" value="3")"));
  EXPECT_TRUE(Contains(page.body, "1970-01-01T00:00:00"));
  EXPECT_TRUE(Contains(page.body, "name=\"csrf\" value=\"" + csrf_ + "\""));
}

TEST_F(OAuthRoutesTest, GrantsLoginSucceeds303ToGrants) {
  service_.login_outcome.session = NewLoginSession{"new-session", LoginSession{2001, "DemoClient"}};
  const http::Response deferred =
      GrantsPost(service_, Post("/OAuth/Grants", Form("action=login&login=DemoClient&password=p"), false));
  ASSERT_TRUE(deferred.deferred);
  const http::Response answer = Complete(deferred);
  EXPECT_EQ(answer.status, 303);
  EXPECT_EQ(HeaderValue(answer, "Location"), "/OAuth/Grants");
  EXPECT_EQ(SetCookie(answer, kSessionCookie), std::optional<std::string>("new-session"));
}

TEST_F(OAuthRoutesTest, RevokingAGrant303sToGrants) {
  const http::Response answer = GrantsPost(service_, Post("/OAuth/Grants", Form("action=revoke&project_id=3"), true));
  EXPECT_EQ(answer.status, 303);
  EXPECT_EQ(HeaderValue(answer, "Location"), "/OAuth/Grants");
  EXPECT_EQ(service_.revoked_grant, (std::optional<std::pair<UserId, ProjectId>>(std::make_pair(2001, 3))));
}

TEST_F(OAuthRoutesTest, RevokingWithAMismatchedCsrfIs403) {
  const http::Response answer =
      GrantsPost(service_, Post("/OAuth/Grants", "csrf=" + NewCsrfToken() + "&action=revoke&project_id=3", true));
  EXPECT_EQ(answer.status, 403);
  EXPECT_FALSE(service_.revoked_grant);
}

TEST_F(OAuthRoutesTest, RevokingABadProjectIdIs400) {
  for (const std::string id : {"", "abc", "3x", "-1", "0", "99999999999999999999"}) {
    const http::Response answer =
        GrantsPost(service_, Post("/OAuth/Grants", Form("action=revoke&project_id=" + id), true));
    EXPECT_EQ(answer.status, 400) << id;
  }
  EXPECT_FALSE(service_.revoked_grant);
}

TEST_F(OAuthRoutesTest, RevokingWithoutASession303sToGrants) {
  const http::Response answer = GrantsPost(service_, Post("/OAuth/Grants", Form("action=revoke&project_id=3"), false));
  EXPECT_EQ(answer.status, 303);
  EXPECT_FALSE(service_.revoked_grant);
}

TEST_F(OAuthRoutesTest, LogoutEndsTheSessionAndClearsItsCookie) {
  const http::Response answer = LogoutPost(service_, Post("/OAuth/Logout", Form(""), true));
  EXPECT_EQ(answer.status, 303);
  EXPECT_EQ(HeaderValue(answer, "Location"), "/OAuth/Grants");
  EXPECT_EQ(service_.ended_sessions, std::vector<std::string>{"session-cookie"});
  EXPECT_EQ(SetCookie(answer, kSessionCookie), std::optional<std::string>(""));
  EXPECT_TRUE(Contains(HeaderValue(answer, "Set-Cookie"), "Max-Age=0"));
}

TEST_F(OAuthRoutesTest, LogoutWithAMismatchedCsrfIs403AndKeepsTheSession) {
  const http::Response answer = LogoutPost(service_, Post("/OAuth/Logout", "csrf=nope", true));
  EXPECT_EQ(answer.status, 403);
  EXPECT_TRUE(service_.ended_sessions.empty());
}

// ------------------------------------------------------------------------------------------ account routes

TEST_F(OAuthRoutesTest, VerifyCredentialsWithoutAccountInformationShowsOnlyIdAndNickname) {
  service_.account = AccountCredentials{2001, "DemoClient", false, 12, "Group", true};
  const http::Response answer =
      VerifyCredentials(service_, Principal{2001, 3, "account_phonechat_bookings"}, NegotiatedFormat{});
  EXPECT_EQ(answer.status, 200);
  EXPECT_EQ(answer.content_type, "application/json; charset=utf-8");
  EXPECT_EQ(HeaderValue(answer, "Cache-Control"), "no-store");
  EXPECT_EQ(answer.body, R"({"UserID":2001,"Nickname":"DemoClient"})");
  EXPECT_EQ(service_.last_principal.user_id, 2001);
}

TEST_F(OAuthRoutesTest, VerifyCredentialsWithAccountInformationAddsTheGroupFields) {
  service_.account = AccountCredentials{9001, "Demo\"Manager", true, 12, "Group <1>", true};
  const http::Response answer = VerifyCredentials(service_, Principal{9001, 3, "account_information"}, {});
  EXPECT_EQ(answer.body,
            R"({"UserID":9001,"Nickname":"Demo\"Manager","GroupID":12,"GroupName":"Group <1>","IsGroupManager":true})");
}

TEST_F(OAuthRoutesTest, VerifyCredentialsWithoutAGroupShowsNulls) {
  service_.account = AccountCredentials{2001, "DemoClient", true, std::nullopt, std::nullopt, false};
  const http::Response json = VerifyCredentials(service_, Principal{2001, 3, "account_information"}, {});
  EXPECT_EQ(json.body,
            R"({"UserID":2001,"Nickname":"DemoClient","GroupID":null,"GroupName":null,"IsGroupManager":false})");
  const http::Response xml = VerifyCredentials(service_, Principal{2001, 3, "account_information"},
                                               NegotiatedFormat{BodyFormat::kXml, "application/xml"});
  EXPECT_TRUE(Contains(xml.body, R"(<GroupID i:nil="true"/><GroupName i:nil="true"/><IsGroupManager>false)"))
      << xml.body;
}

TEST_F(OAuthRoutesTest, VerifyCredentialsInXmlIsDataContractShaped) {
  service_.account = AccountCredentials{9001, "A&B <x>", true, 12, "G&G", true};
  const http::Response answer = VerifyCredentials(service_, Principal{9001, 3, "account_information"},
                                                  NegotiatedFormat{BodyFormat::kXml, "application/xml"});
  EXPECT_EQ(answer.content_type, "application/xml; charset=utf-8");
  EXPECT_EQ(answer.body, R"(<AccountCredentials xmlns:i="http://www.w3.org/2001/XMLSchema-instance")"
                         R"( xmlns="http://schemas.datacontract.org/2004/07/API.Models.Account">)"
                         R"(<GroupID>12</GroupID><GroupName>G&amp;G</GroupName><IsGroupManager>true</IsGroupManager>)"
                         R"(<Nickname>A&amp;B &lt;x&gt;</Nickname><UserID>9001</UserID></AccountCredentials>)");
}

// Every byte of the account bodies, in both formats: escaping, nulls, the omitted group members, the extremes of
// the numbers, duplicate and repeated separators in the scopes.
TEST_F(OAuthRoutesTest, AccountBodiesAreExactlyTheseBytes) {
  const NegotiatedFormat json;
  const NegotiatedFormat xml{BodyFormat::kXml, "application/xml"};
  constexpr std::string_view kRoot = R"(<AccountCredentials xmlns:i="http://www.w3.org/2001/XMLSchema-instance")"
                                     R"( xmlns="http://schemas.datacontract.org/2004/07/API.Models.Account">)";
  struct Case {
    AccountCredentials account;
    std::string_view scopes;
    std::string_view json;
    std::string_view xml;  // after the root's start tag
  };
  const std::vector<Case> cases{
      {{2001, "DemoClient", false, 12, "Group", true},
       "account_phonechat_bookings",
       R"({"UserID":2001,"Nickname":"DemoClient"})",
       "<Nickname>DemoClient</Nickname><UserID>2001</UserID></AccountCredentials>"},
      {{9001, "A&B <x> \"q\" \\ / \xC3\xA9 \xF0\x9F\x98\x80", true, 12, "G&G ]]>", true},
       "account_information",
       "{\"UserID\":9001,\"Nickname\":\"A&B <x> \\\"q\\\" \\\\ / \xC3\xA9 \xF0\x9F\x98\x80\",\"GroupID\":12,"
       "\"GroupName\":\"G&G ]]>\",\"IsGroupManager\":true}",
       "<GroupID>12</GroupID><GroupName>G&amp;G ]]&gt;</GroupName><IsGroupManager>true</IsGroupManager>"
       "<Nickname>A&amp;B &lt;x&gt; \"q\" \\ / \xC3\xA9 \xF0\x9F\x98\x80</Nickname><UserID>9001</UserID>"
       "</AccountCredentials>"},
      {{2001, "DemoClient", true, std::nullopt, std::nullopt, false},
       "account_information",
       R"({"UserID":2001,"Nickname":"DemoClient","GroupID":null,"GroupName":null,"IsGroupManager":false})",
       R"(<GroupID i:nil="true"/><GroupName i:nil="true"/><IsGroupManager>false</IsGroupManager>)"
       "<Nickname>DemoClient</Nickname><UserID>2001</UserID></AccountCredentials>"},
      {{2147483647, "tab\there\nline\rcr\001end", true, 0, "", false},
       "account_information",
       "{\"UserID\":2147483647,\"Nickname\":\"tab\\there\\nline\\rcr\\u0001end\",\"GroupID\":0,\"GroupName\":\"\","
       "\"IsGroupManager\":false}",
       "<GroupID>0</GroupID><GroupName></GroupName><IsGroupManager>false</IsGroupManager>"
       "<Nickname>tab\there\nline&#xD;crend</Nickname><UserID>2147483647</UserID></AccountCredentials>"},
      {{5, "", true, std::nullopt, "Only a name", true},
       "account_information",
       R"({"UserID":5,"Nickname":"","GroupID":null,"GroupName":"Only a name","IsGroupManager":true})",
       R"(<GroupID i:nil="true"/><GroupName>Only a name</GroupName><IsGroupManager>true</IsGroupManager>)"
       "<Nickname></Nickname><UserID>5</UserID></AccountCredentials>"},
  };
  for (const Case& c : cases) {
    service_.account = c.account;
    const Principal principal{c.account.user_id, 3, std::string(c.scopes)};
    EXPECT_EQ(VerifyCredentials(service_, principal, json).body, c.json);
    EXPECT_EQ(VerifyCredentials(service_, principal, xml).body, std::string(kRoot) + std::string(c.xml));
  }
}

TEST(GetPermissions, BodiesAreExactlyTheseBytes) {
  const NegotiatedFormat json;
  const NegotiatedFormat xml{BodyFormat::kXml, "application/xml"};
  constexpr std::string_view kRoot = R"(<PermissionsResult xmlns:i="http://www.w3.org/2001/XMLSchema-instance")"
                                     R"( xmlns="http://schemas.datacontract.org/2004/07/API.Models.Account">)";
  struct Case {
    std::string_view scopes;
    std::string_view json;
    std::string_view xml;  // after the root's start tag
  };
  const std::vector<Case> cases{
      {"", R"({"Permissions":[]})", "<Permissions/></PermissionsResult>"},
      {"   ", R"({"Permissions":[]})", "<Permissions/></PermissionsResult>"},
      {"profile_gallery", R"({"Permissions":[{"Permission":"profile_gallery","Status":"granted"}]})",
       "<Permissions><PermissionStatus><Permission>profile_gallery</Permission><Status>granted</Status>"
       "</PermissionStatus></Permissions></PermissionsResult>"},
      {"  b a  b c a ",
       R"({"Permissions":[{"Permission":"b","Status":"granted"},{"Permission":"a","Status":"granted"},)"
       R"({"Permission":"c","Status":"granted"}]})",
       "<Permissions><PermissionStatus><Permission>b</Permission><Status>granted</Status></PermissionStatus>"
       "<PermissionStatus><Permission>a</Permission><Status>granted</Status></PermissionStatus>"
       "<PermissionStatus><Permission>c</Permission><Status>granted</Status></PermissionStatus></Permissions>"
       "</PermissionsResult>"},
      {"x&y<z>\"w\"\\", R"({"Permissions":[{"Permission":"x&y<z>\"w\"\\","Status":"granted"}]})",
       "<Permissions><PermissionStatus><Permission>x&amp;y&lt;z&gt;\"w\"\\</Permission><Status>granted</Status>"
       "</PermissionStatus></Permissions></PermissionsResult>"},
  };
  for (const Case& c : cases) {
    const Principal principal{2001, 3, std::string(c.scopes)};
    EXPECT_EQ(GetPermissions(principal, json).body, c.json) << c.scopes;
    EXPECT_EQ(GetPermissions(principal, xml).body, std::string(kRoot) + std::string(c.xml)) << c.scopes;
  }
}

TEST(GetPermissions, ListsEachScopeOfTheTokenAsGranted) {
  const http::Response answer =
      GetPermissions(Principal{2001, 3, "account_phonechat_bookings account_information"}, NegotiatedFormat{});
  EXPECT_EQ(answer.status, 200);
  EXPECT_EQ(answer.content_type, "application/json; charset=utf-8");
  EXPECT_EQ(answer.body, R"({"Permissions":[{"Permission":"account_phonechat_bookings","Status":"granted"},)"
                         R"({"Permission":"account_information","Status":"granted"}]})");
}

TEST(GetPermissions, ATokenWithoutScopesHasAnEmptyList) {
  EXPECT_EQ(GetPermissions(Principal{2001, 3, ""}, NegotiatedFormat{}).body, R"({"Permissions":[]})");
  EXPECT_EQ(
      GetPermissions(Principal{2001, 3, ""}, NegotiatedFormat{BodyFormat::kXml, "application/xml"}).body,
      R"(<PermissionsResult xmlns:i="http://www.w3.org/2001/XMLSchema-instance")"
      R"( xmlns="http://schemas.datacontract.org/2004/07/API.Models.Account"><Permissions/></PermissionsResult>)");
}

TEST(GetPermissions, XmlListsPermissionStatusItems) {
  const http::Response answer = GetPermissions(Principal{2001, 3, "profile_gallery  profile_gallery"},
                                               NegotiatedFormat{BodyFormat::kXml, "text/xml"});
  EXPECT_EQ(answer.content_type, "text/xml; charset=utf-8");
  EXPECT_TRUE(Contains(answer.body,
                       "<Permissions><PermissionStatus><Permission>profile_gallery</Permission><Status>granted"
                       "</Status></PermissionStatus></Permissions>"))
      << answer.body;
}

}  // namespace
}  // namespace phonechat
