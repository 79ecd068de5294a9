#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <map>
#include <memory>
#include <sstream>
#include <string>

#include "api/docs_page.hpp"
#include "api/router.hpp"
#include "api/web_forms.hpp"
#include "auth/secrets.hpp"
#include "oauth_fakes.hpp"
#include "storage/lifecycle_store.hpp"

namespace phonechat {
namespace {

using oauth_test::Complete;
using oauth_test::FakeOAuthService;
using oauth_test::FakeRequest;
using oauth_test::HeaderValue;

constexpr std::int64_t kFarFuture = 4'000'000'000;

// A store that knows a few tokens by hash and nothing else.
class TokenOnlySession final : public StoreSession {
 public:
  explicit TokenOnlySession(const std::map<std::string, TokenRecord>& tokens) : tokens_(tokens) {}
  std::optional<TokenRecord> FindToken(std::string_view token_hash) override {
    const auto found = tokens_.find(std::string(token_hash));
    if (found == tokens_.end()) return std::nullopt;
    return found->second;
  }
  std::optional<ProjectKeyRecord> FindProjectByApiKey(std::string_view) override { return std::nullopt; }
  bool IsGroupManager(UserId) override { return false; }
  bool IsMemberOfManagedGroup(UserId, UserId) override { return false; }
  void AppendAudit(const AuditEntry&) override {}
  std::optional<StoredBooking> FindBooking(BookingId /*booking_id*/) override { throw std::logic_error("not in this test"); }
  std::optional<UserWithSettings> FindUser(UserId /*user_id*/) override { throw std::logic_error("not in this test"); }
  std::vector<std::optional<TokenRecord>> FindTokens(const std::vector<std::string_view>& hashes) override {
    std::vector<std::optional<TokenRecord>> records;
    for (const std::string_view hash : hashes) records.push_back(FindToken(hash));
    return records;
  }
  std::optional<ListStamp> ReadListStamp(UserId /*user_id*/) override { return std::nullopt; }
  std::int64_t CountMadeBookings(UserId, std::optional<LocalDateTime>, BookingSide) override { return 0; }
  std::vector<StoredBooking> MadeBookingsPage(const MadeBookingsQuery&, std::int64_t, std::int32_t) override {
    return {};
  }

 private:
  const std::map<std::string, TokenRecord>& tokens_;
};

class TokenOnlyStore final : public Store {
 public:
  std::unique_ptr<StoreSession> OpenSession() override { return std::make_unique<TokenOnlySession>(tokens); }
  std::unique_ptr<WriteBatch> BeginWriteBatch() override { throw std::logic_error("not in this test"); }
  void InsertToken(const NewToken&) override { throw std::logic_error("not in this test"); }
  bool RevokeToken(std::string_view) override { return false; }
  bool IsEmpty() override { return false; }
  std::unique_ptr<LifecycleTransaction> BeginLifecycle() override { throw std::logic_error("not in this test"); }
  LedgerAudit AuditLedger() override { throw std::logic_error("not in this test"); }

  std::map<std::string, TokenRecord> tokens;  // by SHA-256
};

class RouterOAuthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_.tokens[Sha256(kPhoneChatToken)] = TokenRecord{2001, 3, "account_phonechat_bookings", kFarFuture, false, std::nullopt};
    store_.tokens[Sha256(kAccountToken)] = TokenRecord{9001, 3, "account_information", kFarFuture, false, std::nullopt};
    context_.store = &store_;
    context_.oauth = &service_;
    context_.access_log =
        std::make_shared<spdlog::logger>("access-test", std::make_shared<spdlog::sinks::ostream_sink_st>(log_));
    context_.access_log->set_pattern("%v");
    handler_ = std::make_unique<ApiHandler>(context_);
  }

  http::Response Send(const FakeRequest& request) { return handler_->Handle(request); }

  static constexpr std::string_view kPhoneChatToken = "phonechat-token-for-the-router-test-0000000";
  static constexpr std::string_view kAccountToken = "account-token-for-the-router-test-000000000";

  TokenOnlyStore store_;
  FakeOAuthService service_;
  ApiContext context_;
  std::ostringstream log_;
  std::unique_ptr<ApiHandler> handler_;
};

TEST_F(RouterOAuthTest, AuthorizeAnswersGetAndPostAndOtherMethodsGet405WithAllow) {
  const http::Response answer = Send(FakeRequest("PUT", "/OAuth/Authorize?client_id=x"));
  EXPECT_EQ(answer.status, 405);
  EXPECT_EQ(HeaderValue(answer, "Allow"), "GET, POST");
}

TEST_F(RouterOAuthTest, PostOnlyRoutesAllowOnlyPost) {
  for (const std::string_view path : {"/OAuth/token", "/OAuth/revoke", "/OAuth/Logout"}) {
    const http::Response answer = Send(FakeRequest("GET", std::string(path)));
    EXPECT_EQ(answer.status, 405) << path;
    EXPECT_EQ(HeaderValue(answer, "Allow"), "POST") << path;
  }
}

TEST_F(RouterOAuthTest, GetOnlyRoutesAllowOnlyGet) {
  for (const std::string_view path : {"/.well-known/oauth-authorization-server", "/v1/Account/VerifyCredentials",
                                      "/v1/Account/GetPermissions", "/demo", "/demo/callback", "/demo/app.js"}) {
    const http::Response answer = Send(FakeRequest("POST", std::string(path)));
    EXPECT_EQ(answer.status, 405) << path;
    EXPECT_EQ(HeaderValue(answer, "Allow"), "GET") << path;
  }
}

TEST_F(RouterOAuthTest, GrantsAnswersGetAndPost) {
  const http::Response answer = Send(FakeRequest("DELETE", "/OAuth/Grants"));
  EXPECT_EQ(answer.status, 405);
  EXPECT_EQ(HeaderValue(answer, "Allow"), "GET, POST");
}

TEST_F(RouterOAuthTest, TheMadeBookingsRoutesStillAllowOnlyGet) {
  const http::Response answer = Send(FakeRequest("POST", "/v1/PhoneChat/MadeBookings"));
  EXPECT_EQ(answer.status, 405);
  EXPECT_EQ(HeaderValue(answer, "Allow"), "GET");
}

TEST_F(RouterOAuthTest, OAuthPathsAreCaseInsensitiveAndTakeOneTrailingSlash) {
  EXPECT_EQ(Send(FakeRequest("GET", "/oauth/authorize?client_id=demo-app")).status, 200);
  EXPECT_EQ(Send(FakeRequest("GET", "/OAUTH/AUTHORIZE/?client_id=demo-app")).status, 200);
  EXPECT_EQ(Send(FakeRequest("GET", "/DEMO/APP.JS")).status, 200);
  EXPECT_EQ(Send(FakeRequest("GET", "/OAuth/Authorizex")).status, 404);
}

TEST_F(RouterOAuthTest, OAuthPagesNeedNoBearerToken) {
  const http::Response page = Send(FakeRequest("GET", "/OAuth/Authorize?client_id=demo-app"));
  EXPECT_EQ(page.status, 200);
  EXPECT_EQ(page.content_type, "text/html; charset=utf-8");
  EXPECT_TRUE(HeaderValue(page, "WWW-Authenticate").empty());
}

TEST_F(RouterOAuthTest, TheTokenEndpointIsReachedWithoutABearerTokenAndAnswersDeferred) {
  service_.token_response.access_token = "a";
  const http::Response answer = Send(FakeRequest(
      "POST", "/OAuth/token", {{"Content-Type", "application/x-www-form-urlencoded"}}, "grant_type=refresh_token"));
  ASSERT_TRUE(answer.deferred);
  EXPECT_EQ(Complete(answer).status, 200);
  EXPECT_EQ(service_.last_token_request.grant_type, "refresh_token");
}

TEST_F(RouterOAuthTest, VerifyCredentialsNeedsAValidBearerToken) {
  const http::Response missing = Send(FakeRequest("GET", "/v1/Account/VerifyCredentials"));
  EXPECT_EQ(missing.status, 401);
  EXPECT_EQ(HeaderValue(missing, "WWW-Authenticate"), R"(Bearer realm="api")");
  const http::Response bad =
      Send(FakeRequest("GET", "/v1/Account/VerifyCredentials", {{"Authorization", "Bearer not-a-token"}}));
  EXPECT_EQ(bad.status, 401);
  EXPECT_EQ(service_.calls, std::vector<std::string>{});
}

TEST_F(RouterOAuthTest, VerifyCredentialsNeedsNoParticularScope) {
  service_.account = AccountCredentials{2001, "DemoClient", false, std::nullopt, std::nullopt, false};
  const http::Response answer = Send(FakeRequest("GET", "/v1/Account/VerifyCredentials",
                                                 {{"Authorization", "Bearer " + std::string(kPhoneChatToken)}}));
  EXPECT_EQ(answer.status, 200);
  EXPECT_EQ(answer.body, R"({"UserID":2001,"Nickname":"DemoClient"})");
  EXPECT_EQ(service_.last_principal.user_id, 2001);
  EXPECT_EQ(service_.last_principal.scopes, "account_phonechat_bookings");
}

TEST_F(RouterOAuthTest, VerifyCredentialsNegotiatesXml) {
  service_.account = AccountCredentials{2001, "DemoClient", false, std::nullopt, std::nullopt, false};
  const http::Response answer =
      Send(FakeRequest("GET", "/v1/Account/VerifyCredentials",
                       {{"Authorization", "Bearer " + std::string(kPhoneChatToken)}, {"Accept", "application/xml"}}));
  EXPECT_EQ(answer.content_type, "application/xml; charset=utf-8");
  EXPECT_EQ(answer.body.rfind("<AccountCredentials", 0), 0u) << answer.body;
}

TEST_F(RouterOAuthTest, GetPermissionsListsTheTokensScopesWhateverTheyAre) {
  const http::Response answer = Send(
      FakeRequest("GET", "/v1/Account/GetPermissions", {{"Authorization", "Bearer " + std::string(kAccountToken)}}));
  EXPECT_EQ(answer.status, 200);
  EXPECT_EQ(answer.body, R"({"Permissions":[{"Permission":"account_information","Status":"granted"}]})");
}

TEST_F(RouterOAuthTest, MadeBookingsStillNeedsItsScope) {
  const http::Response answer = Send(
      FakeRequest("GET", "/v1/PhoneChat/MadeBookings", {{"Authorization", "Bearer " + std::string(kAccountToken)}}));
  EXPECT_EQ(answer.status, 403);
  EXPECT_EQ(HeaderValue(answer, "WWW-Authenticate"),
            R"(Bearer realm="api", error="insufficient_scope", scope="account_phonechat_bookings")");
}

TEST_F(RouterOAuthTest, WithoutAnOAuthServiceItsRoutesAnswer503ButTheDemoLoads) {
  context_.oauth = nullptr;
  for (const auto& [method, path] :
       std::vector<std::pair<std::string, std::string>>{{"GET", "/OAuth/Authorize?client_id=demo-app"},
                                                        {"POST", "/OAuth/token"},
                                                        {"POST", "/OAuth/revoke"},
                                                        {"GET", "/.well-known/oauth-authorization-server"},
                                                        {"GET", "/OAuth/Grants"},
                                                        {"POST", "/OAuth/Logout"}}) {
    EXPECT_EQ(Send(FakeRequest(method, path)).status, 503) << method << " " << path;
  }
  EXPECT_EQ(Send(FakeRequest("GET", "/v1/Account/VerifyCredentials",
                             {{"Authorization", "Bearer " + std::string(kPhoneChatToken)}}))
                .status,
            503);
  EXPECT_EQ(Send(FakeRequest("GET", "/demo")).status, 200);
  EXPECT_EQ(Send(FakeRequest("GET", "/demo/app.js")).status, 200);
}

TEST_F(RouterOAuthTest, TheDemoPagesAreServed) {
  const http::Response page = Send(FakeRequest("GET", "/demo"));
  EXPECT_EQ(page.content_type, "text/html; charset=utf-8");
  EXPECT_EQ(Send(FakeRequest("GET", "/demo/callback?code=c&state=s")).body, page.body);
  EXPECT_EQ(Send(FakeRequest("GET", "/demo/app.js")).content_type, "text/javascript; charset=utf-8");
}

TEST_F(RouterOAuthTest, TheDocsPageLoadsWithoutTheUnifiedLoginAndNamesItsClientEscaped) {
  context_.oauth = nullptr;
  context_.docs_client_id = R"(docs"<client>)";
  const http::Response page = Send(FakeRequest("GET", "/DOCS/"));
  if (!DocsPageBuilt()) {
    EXPECT_EQ(page.status, 404);
    EXPECT_NE(page.body.find("PHONECHAT_DOCS_UI"), std::string::npos) << page.body;
    return;
  }
  EXPECT_EQ(page.status, 200);
  EXPECT_EQ(page.content_type, "text/html; charset=utf-8");
  EXPECT_NE(page.body.find(R"(<meta name="phonechat-docs-client-id" content="docs&quot;&lt;client&gt;">)"),
            std::string::npos)
      << page.body;
  const std::string csp = HeaderValue(page, "Content-Security-Policy");
  EXPECT_NE(csp.find("script-src 'self';"), std::string::npos) << csp;
  EXPECT_NE(csp.find("img-src 'self' data:"), std::string::npos) << csp;
  EXPECT_EQ(HeaderValue(page, "X-Frame-Options"), "DENY");
  EXPECT_EQ(Send(FakeRequest("GET", "/docs/docs.js")).content_type, "text/javascript; charset=utf-8");
  const http::Response redirect = Send(FakeRequest("GET", "/docs/oauth2-redirect.html?code=c&state=s"));
  EXPECT_EQ(redirect.status, 200);
  EXPECT_EQ(HeaderValue(redirect, "Cache-Control"), "no-store");
  EXPECT_NE(redirect.body.find(R"(<script src="oauth2-redirect.js">)"), std::string::npos) << redirect.body;
}

TEST_F(RouterOAuthTest, SwaggerUiFilesCarryAnETagThatAnswers304) {
  if (!DocsPageBuilt()) GTEST_SKIP() << "built without the docs page";
  for (const auto& [path, type] : std::vector<std::pair<std::string, std::string>>{
           {"/docs/swagger-ui.css", "text/css; charset=utf-8"},
           {"/docs/swagger-ui-bundle.js", "text/javascript; charset=utf-8"},
           {"/docs/oauth2-redirect.js", "text/javascript; charset=utf-8"}}) {
    const http::Response file = Send(FakeRequest("GET", path));
    EXPECT_EQ(file.status, 200) << path;
    EXPECT_EQ(file.content_type, type) << path;
    EXPECT_GT(file.body.size(), 100U) << path;
    const std::string etag = HeaderValue(file, "ETag");
    EXPECT_EQ(etag.size(), 34U) << path << " " << etag;
    const http::Response again = Send(FakeRequest("GET", path, {{"If-None-Match", etag}}));
    EXPECT_EQ(again.status, 304) << path;
    EXPECT_TRUE(again.body.empty()) << path;
  }
  EXPECT_EQ(Send(FakeRequest("POST", "/docs")).status, 405);
}

TEST_F(RouterOAuthTest, TheAccessLogNamesTheRouteWithoutTheQuery) {
  Send(FakeRequest("GET", "/OAuth/Authorize?client_id=demo-app&code_challenge=SECRET-CHALLENGE&state=SECRET-STATE"));
  const std::string line = log_.str();
  EXPECT_NE(line.find(R"("method":"GET","route":"/OAuth/Authorize","status":200)"), std::string::npos) << line;
  EXPECT_EQ(line.find("SECRET"), std::string::npos) << line;
  EXPECT_EQ(line.find('?'), std::string::npos) << line;
}

TEST_F(RouterOAuthTest, ADeferredAnswerIsLoggedOnceWhenFinishedWithItsFinalStatus) {
  service_.token_response.error = Error{ErrorCode::kInvalidGrant, "", {}, {}, false};
  const http::Response answer =
      Send(FakeRequest("POST", "/OAuth/token?code=SECRET-CODE", {{"Content-Type", "application/x-www-form-urlencoded"}},
                       "grant_type=authorization_code&code=SECRET-CODE&client_secret=SECRET-SECRET"));
  ASSERT_TRUE(answer.deferred);
  EXPECT_EQ(log_.str(), "") << "nothing is logged before the status is known";
  EXPECT_EQ(Complete(answer).status, 400);
  const std::string line = log_.str();
  EXPECT_NE(line.find(R"("method":"POST","route":"/OAuth/token","status":400)"), std::string::npos) << line;
  EXPECT_EQ(line.find("SECRET"), std::string::npos) << line;
  EXPECT_EQ(std::count(line.begin(), line.end(), '\n'), 1) << line;
}

TEST_F(RouterOAuthTest, ALoginIsLoggedWithoutItsPasswordOrCookies) {
  const std::string csrf = NewCsrfToken();
  service_.login_outcome.session = NewLoginSession{"SECRET-SESSION", LoginSession{2001, "DemoClient"}};
  const http::Response answer =
      Send(FakeRequest("POST", "/OAuth/Authorize?client_id=demo-app",
                       {{"Content-Type", "application/x-www-form-urlencoded"}, {"Cookie", "pc_csrf=" + csrf}},
                       "csrf=" + csrf + "&action=login&login=DemoClient&password=SECRET-PASSWORD"));
  EXPECT_EQ(Complete(answer).status, 303);
  const std::string line = log_.str();
  EXPECT_NE(line.find(R"("route":"/OAuth/Authorize","status":303)"), std::string::npos) << line;
  EXPECT_EQ(line.find("SECRET"), std::string::npos) << line;
  EXPECT_EQ(line.find(csrf), std::string::npos) << line;
}

}  // namespace
}  // namespace phonechat
