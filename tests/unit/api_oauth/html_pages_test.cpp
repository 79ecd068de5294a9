#include "api/html_pages.hpp"

#include <gtest/gtest.h>

#include <string>

#include "api/demo_page.hpp"
#include "oauth_fakes.hpp"

namespace phonechat {
namespace {

using oauth_test::HeaderValue;

constexpr std::string_view kHostile = "<script>alert(1)</script>";
constexpr std::string_view kHostileEscaped = "&lt;script&gt;alert(1)&lt;/script&gt;";

bool Contains(std::string_view text, std::string_view part) { return text.find(part) != std::string_view::npos; }

// Every HTML page's headers (docs/security.md, "Unified Login").
void ExpectPageHeaders(const http::Response& page) {
  EXPECT_EQ(page.content_type, "text/html; charset=utf-8");
  EXPECT_EQ(HeaderValue(page, "Cache-Control"), "no-store");
  EXPECT_EQ(HeaderValue(page, "X-Frame-Options"), "DENY");
  EXPECT_EQ(HeaderValue(page, "Referrer-Policy"), "no-referrer");
  EXPECT_EQ(HeaderValue(page, "X-Content-Type-Options"), "nosniff");
  const std::string csp = HeaderValue(page, "Content-Security-Policy");
  for (const std::string_view directive :
       {"default-src 'none'", "script-src 'self'", "style-src 'self' 'unsafe-inline'", "img-src 'self'",
        "connect-src 'self'", "frame-ancestors 'none'", "base-uri 'none'"}) {
    EXPECT_TRUE(Contains(csp, directive)) << "missing " << directive << " in " << csp;
  }
  EXPECT_FALSE(Contains(csp, "unsafe-eval")) << csp;
  EXPECT_FALSE(Contains(csp, "script-src 'self' 'unsafe-inline'")) << csp;
}

LoginPageView SampleLogin() {
  LoginPageView view;
  view.form_action = "/OAuth/Authorize?client_id=demo-app";
  view.csrf = "csrf-value";
  view.project_name = "Demo App";
  view.cancellable = true;
  view.form_targets = FormTargets::kAnyRedirect;
  return view;
}

ConsentPageView SampleConsent() {
  ConsentPageView view;
  view.form_action = "/OAuth/Authorize?client_id=demo-app";
  view.csrf = "csrf-value";
  view.project_name = "Demo App";
  view.nickname = "DemoClient";
  view.scopes = {{"account_phonechat_bookings", "See your PhoneChat bookings"},
                 {"account_information", "See your account information"}};
  return view;
}

GrantsPageView SampleGrants() {
  GrantsPageView view;
  view.csrf = "csrf-value";
  view.nickname = "DemoClient";
  view.grants = {GrantLine{"3",
                           "demo-app",
                           "Demo App",
                           "2025-01-02T03:04:05",
                           {{"account_phonechat_bookings", "See your PhoneChat bookings"}}}};
  return view;
}

TEST(HtmlPages, EveryPageCarriesTheSecurityHeaders) {
  ExpectPageHeaders(LoginPage(SampleLogin()));
  ExpectPageHeaders(ConsentPage(SampleConsent()));
  ExpectPageHeaders(GrantsPage(SampleGrants()));
  ExpectPageHeaders(GrantsPage(GrantsPageView{}));
  ExpectPageHeaders(ErrorPage(ErrorCode::kInvalidRequest, "Cannot sign in", "Unknown client."));
  ExpectPageHeaders(DemoPage());
}

TEST(HtmlPages, FormActionIsSelfUnlessAFormMayRedirectToAClient) {
  LoginPageView grants_login = SampleLogin();
  grants_login.form_targets = FormTargets::kSelfOnly;
  EXPECT_TRUE(Contains(HeaderValue(LoginPage(grants_login), "Content-Security-Policy"), "form-action 'self'"));
  EXPECT_TRUE(Contains(HeaderValue(GrantsPage(SampleGrants()), "Content-Security-Policy"), "form-action 'self'"));
  // Allow, Deny and Cancel answer 303 to the client's redirect URI, which Chromium checks against form-action.
  EXPECT_FALSE(Contains(HeaderValue(LoginPage(SampleLogin()), "Content-Security-Policy"), "form-action"));
  EXPECT_FALSE(Contains(HeaderValue(ConsentPage(SampleConsent()), "Content-Security-Policy"), "form-action"));
}

TEST(HtmlPages, StatusIsThatOfTheRefusalInTheOneTableElse200) {
  EXPECT_EQ(LoginPage(SampleLogin()).status, 200);
  EXPECT_EQ(LoginPage(SampleLogin(), ErrorCode::kLoginFailed).status, 401);
  EXPECT_EQ(LoginPage(SampleLogin(), ErrorCode::kLoginThrottled).status, 429);
  EXPECT_EQ(ErrorPage(ErrorCode::kCsrfMismatch, "Refused", "Bad CSRF").status, 403);
  EXPECT_EQ(ConsentPage(SampleConsent()).status, 200);
  EXPECT_EQ(GrantsPage(SampleGrants()).status, 200);
}

TEST(LoginPage, HasTheElementContract) {
  const std::string body = LoginPage(SampleLogin()).body;
  EXPECT_TRUE(Contains(body, R"(<form id="login-form" method="post" action="/OAuth/Authorize?client_id=demo-app">)"))
      << body;
  EXPECT_TRUE(Contains(body, R"(name="login")"));
  EXPECT_TRUE(Contains(body, R"(name="password" type="password")"));
  EXPECT_TRUE(Contains(body, R"(<input type="hidden" name="csrf" value="csrf-value">)"));
  EXPECT_TRUE(Contains(body, R"(id="login-submit")"));
  EXPECT_TRUE(Contains(body, R"(name="action" value="login")"));
  EXPECT_TRUE(Contains(body, R"(id="login-cancel")"));
  EXPECT_TRUE(Contains(body, R"(name="action" value="cancel")"));
  EXPECT_TRUE(Contains(body, "Demo App"));
  EXPECT_FALSE(Contains(body, "login-error"));
}

TEST(LoginPage, ShowsTheErrorAndPrefillsTheLoginAfterAFailure) {
  LoginPageView view = SampleLogin();
  view.error = "The nickname or password is not correct.";
  view.login = "DemoClient";
  const std::string body = LoginPage(view, ErrorCode::kLoginFailed).body;
  EXPECT_TRUE(Contains(body, R"(id="login-error")")) << body;
  EXPECT_TRUE(Contains(body, "The nickname or password is not correct."));
  EXPECT_TRUE(Contains(body, R"(value="DemoClient")"));
}

TEST(LoginPage, TheGrantsLoginHasNoCancelButton) {
  LoginPageView view = SampleLogin();
  view.cancellable = false;
  view.project_name.clear();
  const std::string body = LoginPage(view).body;
  EXPECT_TRUE(Contains(body, R"(id="login-submit")"));
  EXPECT_FALSE(Contains(body, "login-cancel"));
}

TEST(ConsentPage, HasTheElementContractWithOneScopeItemPerScope) {
  const std::string body = ConsentPage(SampleConsent()).body;
  EXPECT_TRUE(Contains(body, R"(<form id="consent-form" method="post")")) << body;
  EXPECT_TRUE(Contains(body, R"(<span id="consent-project">Demo App</span>)"));
  EXPECT_TRUE(
      Contains(body, R"(<li class="scope" data-scope="account_phonechat_bookings">See your PhoneChat bookings</li>)"));
  EXPECT_TRUE(
      Contains(body, R"(<li class="scope" data-scope="account_information">See your account information</li>)"));
  EXPECT_TRUE(Contains(body, R"(id="consent-allow" class="primary" type="submit" name="action" value="allow")"));
  EXPECT_TRUE(Contains(body, R"(id="consent-deny" type="submit" name="action" value="deny")"));
  EXPECT_TRUE(Contains(body, R"(name="csrf" value="csrf-value")"));
  EXPECT_TRUE(Contains(body, "DemoClient"));
}

TEST(GrantsPage, ListsEachGrantWithARevokeForm) {
  const std::string body = GrantsPage(SampleGrants()).body;
  EXPECT_TRUE(Contains(body, R"(<li class="grant" data-client-id="demo-app">)")) << body;
  EXPECT_TRUE(Contains(body, "Demo App"));
  EXPECT_TRUE(Contains(body, "See your PhoneChat bookings"));
  EXPECT_TRUE(Contains(body, R"(<form method="post" action="/OAuth/Grants">)"));
  EXPECT_TRUE(Contains(body, R"(<input type="hidden" name="csrf" value="csrf-value">)"));
  EXPECT_TRUE(Contains(body, R"(<input type="hidden" name="project_id" value="3">)"));
  EXPECT_TRUE(Contains(body, R"(<button class="grant-revoke" type="submit" name="action" value="revoke">)"));
  EXPECT_FALSE(Contains(body, "no-grants"));
}

TEST(GrantsPage, AnEmptyListSaysSo) {
  GrantsPageView view = SampleGrants();
  view.grants.clear();
  const std::string body = GrantsPage(view).body;
  EXPECT_TRUE(Contains(body, R"(<p id="no-grants">)")) << body;
  EXPECT_FALSE(Contains(body, "class=\"grant\""));
}

TEST(ErrorPage, ShowsTheMessage) {
  const http::Response page =
      ErrorPage(ErrorCode::kInvalidRequest, "Cannot sign in", "The redirect URI is not registered.");
  EXPECT_EQ(page.status, 400);
  EXPECT_TRUE(Contains(page.body, R"(<p id="error-message" class="error">The redirect URI is not registered.</p>)"))
      << page.body;
}

TEST(HtmlEscaping, AHostileProjectNameIsRenderedInert) {
  ConsentPageView consent = SampleConsent();
  consent.project_name = std::string(kHostile);
  const std::string consent_body = ConsentPage(consent).body;
  EXPECT_FALSE(Contains(consent_body, kHostile));
  EXPECT_TRUE(Contains(consent_body, std::string("<span id=\"consent-project\">") + std::string(kHostileEscaped)));

  LoginPageView login = SampleLogin();
  login.project_name = std::string(kHostile);
  EXPECT_FALSE(Contains(LoginPage(login).body, kHostile));

  GrantsPageView grants = SampleGrants();
  grants.grants.front().project_name = std::string(kHostile);
  const std::string grants_body = GrantsPage(grants).body;
  EXPECT_FALSE(Contains(grants_body, kHostile));
  EXPECT_TRUE(Contains(grants_body, kHostileEscaped));
}

TEST(HtmlEscaping, AHostileNicknameIsRenderedInert) {
  ConsentPageView consent = SampleConsent();
  consent.nickname = std::string(kHostile);
  const std::string consent_body = ConsentPage(consent).body;
  EXPECT_FALSE(Contains(consent_body, kHostile));
  EXPECT_TRUE(Contains(consent_body, kHostileEscaped));

  GrantsPageView grants = SampleGrants();
  grants.nickname = std::string(kHostile);
  const std::string grants_body = GrantsPage(grants).body;
  EXPECT_FALSE(Contains(grants_body, kHostile));
  EXPECT_TRUE(Contains(grants_body, kHostileEscaped));

  LoginPageView login = SampleLogin();
  login.login = std::string(kHostile);
  EXPECT_FALSE(Contains(LoginPage(login, ErrorCode::kLoginFailed).body, kHostile));
}

TEST(HtmlEscaping, QuotesCannotBreakOutOfAttributes) {
  LoginPageView login = SampleLogin();
  login.form_action = R"(/OAuth/Authorize?x="><script>alert(1)</script>)";
  login.login = R"(a" autofocus onfocus="alert(1))";
  login.csrf = R"(c'd")";
  const std::string body = LoginPage(login, ErrorCode::kLoginFailed).body;
  EXPECT_FALSE(Contains(body, R"("><script>)")) << body;
  EXPECT_FALSE(Contains(body, R"(" autofocus)")) << body;
  EXPECT_TRUE(Contains(body, R"x(value="a&quot; autofocus onfocus=&quot;alert(1)")x")) << body;
  EXPECT_TRUE(Contains(body, R"(value="c&apos;d&quot;")")) << body;

  GrantsPageView grants = SampleGrants();
  grants.grants.front().client_id = R"(x" onclick="alert(1))";
  grants.grants.front().scopes.front().description = std::string(kHostile);
  const std::string grants_body = GrantsPage(grants).body;
  EXPECT_TRUE(Contains(grants_body, R"x(data-client-id="x&quot; onclick=&quot;alert(1)")x")) << grants_body;
  EXPECT_FALSE(Contains(grants_body, kHostile));

  const std::string error_body = ErrorPage(ErrorCode::kInvalidRequest, kHostile, kHostile).body;
  EXPECT_FALSE(Contains(error_body, kHostile));
}

TEST(HtmlPages, ServerRenderedPagesCarryNoScript) {
  for (const std::string& body :
       {LoginPage(SampleLogin()).body, ConsentPage(SampleConsent()).body, GrantsPage(SampleGrants()).body,
        ErrorPage(ErrorCode::kInvalidRequest, "t", "m").body}) {
    EXPECT_FALSE(Contains(body, "<script")) << body;
    EXPECT_EQ(body.rfind("<!DOCTYPE html>", 0), 0u);
  }
}

TEST(DemoPage, LoadsItsScriptFromTheSameOriginAndHasTheElementContract) {
  const std::string body = DemoPage().body;
  EXPECT_TRUE(Contains(body, R"(<script src="/demo/app.js" defer></script>)")) << body;
  EXPECT_TRUE(Contains(body, R"(id="demo-signin")"));
  EXPECT_TRUE(Contains(body, R"(<table id="demo-bookings">)"));
  EXPECT_TRUE(Contains(body, R"(<span id="demo-user">)"));
  // No inline script: the only <script is the external one.
  EXPECT_EQ(body.find("<script"), body.rfind("<script"));
}

TEST(DemoScript, IsJavaScriptDoingPkceS256WithoutInnerHtml) {
  const http::Response script = DemoScript();
  EXPECT_EQ(script.content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(HeaderValue(script, "X-Content-Type-Options"), "nosniff");
  for (const std::string_view part :
       {"crypto.subtle.digest('SHA-256'", "crypto.getRandomValues", "code_challenge_method: 'S256'", "sessionStorage",
        "'/OAuth/token'", "grant_type: 'authorization_code'", "code_verifier", "client_id: CLIENT_ID", "'sandbox-demo'",
        "location.origin + '/demo/callback'", "/v1/Account/VerifyCredentials",
        "/v1/PhoneChat/MadeBookings?BookingsPerPage=10", "textContent", "row.className = 'booking'",
        "dataset.bookingId", "saved.state"}) {
    EXPECT_TRUE(Contains(script.body, part)) << "missing " << part;
  }
  EXPECT_FALSE(Contains(script.body, "innerHTML"));
  EXPECT_FALSE(Contains(script.body, "insertAdjacentHTML"));
  EXPECT_FALSE(Contains(script.body, "document.write"));
}

}  // namespace
}  // namespace phonechat
