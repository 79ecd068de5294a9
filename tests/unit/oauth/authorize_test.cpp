// The authorize step: who may be redirected to, how errors travel, scopes, PKCE methods, the implicit grant,
// consent memory, cancel and deny.

#include <gtest/gtest.h>

#include "oauth_test_support.hpp"

namespace phonechat::testing {
namespace {

AuthorizeParameters Code(std::string client_id, std::string redirect_uri = kAppUri) {
  AuthorizeParameters p;
  p.response_type = "code";
  p.client_id = std::move(client_id);
  p.redirect_uri = std::move(redirect_uri);
  p.scope = "account_phonechat_bookings";
  p.state = "xyz";
  return p;
}

class AuthorizeTest : public ::testing::Test {
 protected:
  // The redirect of an authorize request refused back to the client; fails the test for anything else.
  SplitLocation Refused(const AuthorizeParameters& p) {
    const auto validation = service_->ValidateAuthorize(p);
    EXPECT_FALSE(validation.request.has_value());
    EXPECT_FALSE(validation.error_page.has_value());
    if (!validation.error_redirect) return {};
    return Split(validation.error_redirect->location);
  }

  // True when the request is refused with an error page (never a redirect).
  bool ErrorPage(const AuthorizeParameters& p) {
    const auto validation = service_->ValidateAuthorize(p);
    return validation.error_page.has_value() && !validation.error_page->message.empty() &&
           !validation.error_redirect.has_value() && !validation.request.has_value();
  }

  AuthorizeRequest Valid(const AuthorizeParameters& p) {
    auto validation = service_->ValidateAuthorize(p);
    EXPECT_TRUE(validation.request.has_value())
        << (validation.error_page ? validation.error_page->message : "")
        << (validation.error_redirect ? validation.error_redirect->location : "");
    return validation.request.value_or(AuthorizeRequest{});
  }

  OAuthDatabase db_;
  std::unique_ptr<OAuthService> service_ = db_.MakeService();
};

TEST_F(AuthorizeTest, AcceptsExactlyARegisteredRedirectUri) {
  const auto request = Valid(Code("app"));
  EXPECT_EQ(request.redirect_uri, kAppUri);
  EXPECT_EQ(request.client_id, "app");
  EXPECT_EQ(request.project_id, db_.ProjectIdOf("app"));
  EXPECT_EQ(request.project_name, "The app project");
  EXPECT_FALSE(request.implicit);
  EXPECT_EQ(Valid(Code("app", kAppQueryUri)).redirect_uri, kAppQueryUri);
}

TEST_F(AuthorizeTest, AnyOtherRedirectUriIsAnErrorPageNeverARedirect) {
  for (const char* uri :
       {"https://app.example.test/cb/", "https://app.example.test:443/cb", "https://app.example.test:8443/cb",
        "https://APP.example.test/cb", "https://app.example.test/CB", "http://app.example.test/cb",
        "https://app.example.test/cb?extra=1", "https://app.example.test/cb#x", "https://app.example.test/cb%2F",
        "http://127.0.0.1:8765/cb", "http://127.0.0.1:8765/cb?x=1&y=2", "https://evil.example.test/cb",
        "https://app.example.test.evil.test/cb"}) {
    EXPECT_TRUE(ErrorPage(Code("app", uri))) << uri;
  }
}

TEST_F(AuthorizeTest, UnknownMissingOrDisabledClientsGetAnErrorPage) {
  EXPECT_TRUE(ErrorPage(Code("no-such-client")));
  EXPECT_TRUE(ErrorPage(Code("")));
  EXPECT_TRUE(ErrorPage(Code("disabled")));
  EXPECT_TRUE(ErrorPage(Code("APP"))) << "client ids are compared exactly";
}

TEST_F(AuthorizeTest, AMissingRedirectUriIsAllowedOnlyWhenExactlyOneIsRegistered) {
  EXPECT_EQ(Valid(Code("single", "")).redirect_uri, kAppUri);
  EXPECT_TRUE(ErrorPage(Code("app", "")));
}

TEST_F(AuthorizeTest, ErrorsAfterTheRedirectCheckGoBackToTheClientWithState) {
  auto p = Code("app");
  p.response_type = "";
  auto refused = Refused(p);
  EXPECT_EQ(refused.base, kAppUri);
  EXPECT_EQ(refused.query["error"], "invalid_request");
  EXPECT_EQ(refused.query["state"], "xyz");
  EXPECT_FALSE(refused.query["error_description"].empty());

  p.response_type = "id_token";
  EXPECT_EQ(Refused(p).query["error"], "unsupported_response_type");
}

TEST_F(AuthorizeTest, UnknownOrMissingScopesAreInvalidScope) {
  for (const char* scope : {"account_phonechat_bookings nonsense", "ACCOUNT_PHONECHAT_BOOKINGS", "", " , ",
                            "account_phonechat_bookings;account_information"}) {
    auto p = Code("app");
    p.scope = scope;
    const auto refused = Refused(p);
    EXPECT_EQ(refused.query.count("error") ? refused.query.at("error") : "", "invalid_scope") << '"' << scope << '"';
    EXPECT_EQ(refused.query.count("state") ? refused.query.at("state") : "", "xyz");
  }
}

TEST_F(AuthorizeTest, ScopesMayBeSeparatedBySpacesOrCommasAndComeBackDeduplicatedInKnownOrder) {
  auto p = Code("app");
  p.scope = "profile_gallery,account_information  account_phonechat_bookings,profile_gallery";
  EXPECT_EQ(Valid(p).scopes,
            (std::vector<std::string>{"account_phonechat_bookings", "account_information", "profile_gallery"}));
}

TEST_F(AuthorizeTest, StateComesBackVerbatimThroughTheCodeRedirect) {
  auto p = Code("app");
  p.state = "a b&c=d+e/f?g#h%20é";
  const auto request = Valid(p);
  EXPECT_EQ(request.state, p.state);
  auto location = Split(service_->Approve(kAlice, request).location);
  EXPECT_EQ(location.base, kAppUri);
  EXPECT_EQ(location.query["state"], p.state);
  EXPECT_FALSE(location.query["code"].empty());
  EXPECT_FALSE(location.has_fragment);
}

TEST_F(AuthorizeTest, ARegisteredQueryIsKeptAndTheResultAppended) {
  const auto location = service_->Approve(kAlice, Valid(Code("app", kAppQueryUri))).location;
  EXPECT_EQ(location.rfind("http://127.0.0.1:8765/cb?x=1&code=", 0), 0u) << location;
  EXPECT_EQ(Split(location).query.at("x"), "1");
}

TEST_F(AuthorizeTest, TheImplicitGrantIsOffUnlessTheProjectEnablesIt) {
  auto p = Code("app");
  p.response_type = "token";
  const auto refused = Refused(p);
  EXPECT_TRUE(refused.has_fragment) << "implicit-flow errors travel in the fragment";
  EXPECT_EQ(refused.fragment.count("error") ? refused.fragment.at("error") : "", "unauthorized_client");
  EXPECT_EQ(refused.fragment.count("state") ? refused.fragment.at("state") : "", "xyz");
  EXPECT_TRUE(refused.query.empty());
}

TEST_F(AuthorizeTest, TheImplicitGrantReturnsAWorkingAccessTokenInTheFragmentAndNoRefreshToken) {
  auto p = Code("implicit");
  p.response_type = "token";
  const auto request = Valid(p);
  EXPECT_TRUE(request.implicit);
  auto location = Split(service_->Approve(kAlice, request).location);
  ASSERT_TRUE(location.has_fragment);
  EXPECT_TRUE(location.query.empty());
  EXPECT_EQ(location.fragment["token_type"], "bearer");
  EXPECT_EQ(location.fragment["expires_in"], "1200");
  EXPECT_EQ(location.fragment["state"], "xyz");
  EXPECT_EQ(location.fragment.count("refresh_token"), 0u);
  EXPECT_EQ(location.fragment.count("code"), 0u);
  EXPECT_TRUE(db_.ApiAccepts(location.fragment["access_token"]));
}

TEST_F(AuthorizeTest, PkceMustBeS256WithAWellFormedChallenge) {
  const auto pkce = MakePkce();
  auto p = Code("app");
  p.code_challenge = pkce.challenge;
  p.code_challenge_method = "S256";
  EXPECT_EQ(Valid(p).code_challenge, pkce.challenge);
  for (const char* method : {"plain", "", "s256", "S512"}) {
    p.code_challenge_method = method;
    EXPECT_EQ(Refused(p).query["error"], "invalid_request") << '"' << method << '"';
  }
  p.code_challenge_method = "S256";
  p.code_challenge = "too-short";
  EXPECT_EQ(Refused(p).query["error"], "invalid_request");
  p.code_challenge = "";
  EXPECT_EQ(Refused(p).query["error"], "invalid_request") << "a method without a challenge";
}

TEST_F(AuthorizeTest, APublicClientMustSendAPkceChallenge) {
  EXPECT_EQ(Refused(Code("public")).query["error"], "invalid_request");
  auto p = Code("public");
  p.code_challenge = MakePkce().challenge;
  p.code_challenge_method = "S256";
  EXPECT_EQ(Valid(p).client_id, "public");
}

TEST_F(AuthorizeTest, CancelAndDenyReturnThePublishedAnswers) {
  auto p = Code("app");
  p.state = "s 1";
  const auto request = Valid(p);
  EXPECT_EQ(service_->Cancel(request).location, std::string(kAppUri) + "?code=&state=s%201&status=cancelled");
  auto denied = Split(service_->Deny(request).location);
  EXPECT_EQ(denied.query["error"], "access_denied");
  EXPECT_EQ(denied.query["state"], "s 1");

  auto implicit = Code("implicit");
  implicit.response_type = "token";
  implicit.state = "s 1";
  const auto implicit_request = Valid(implicit);
  EXPECT_EQ(service_->Cancel(implicit_request).location, std::string(kAppUri) + "#status=cancelled&state=s%201");
  auto implicit_denied = Split(service_->Deny(implicit_request).location);
  EXPECT_EQ(implicit_denied.fragment["error"], "access_denied");
  EXPECT_TRUE(implicit_denied.query.empty());
}

TEST_F(AuthorizeTest, ConsentIsRememberedPerProjectAndAddedTo) {
  auto p = Code("app");
  const auto request = Valid(p);
  EXPECT_FALSE(service_->HasGrant(kAlice, request));
  service_->Approve(kAlice, request);
  EXPECT_TRUE(service_->HasGrant(kAlice, request));
  EXPECT_FALSE(service_->HasGrant(kBob, request));
  EXPECT_FALSE(service_->HasGrant(kAlice, Valid(Code("other"))));

  p.scope = "account_information account_phonechat_bookings";
  const auto wider = Valid(p);
  EXPECT_FALSE(service_->HasGrant(kAlice, wider)) << "a new scope asks again";
  service_->Approve(kAlice, wider);
  p.scope = "account_information";
  EXPECT_TRUE(service_->HasGrant(kAlice, Valid(p)));

  const auto grants = service_->ListGrants(kAlice);
  ASSERT_EQ(grants.size(), 1u);
  EXPECT_EQ(grants[0].client_id, "app");
  EXPECT_EQ(grants[0].project_name, "The app project");
  EXPECT_EQ(grants[0].project_id, db_.ProjectIdOf("app"));
  EXPECT_EQ(grants[0].scopes, (std::vector<std::string>{"account_phonechat_bookings", "account_information"}));
  EXPECT_GT(grants[0].granted_at.millis, 0);
}

TEST(KnownScopes, NameEveryPublishedScopeOnceWithPlainWords) {
  std::vector<std::string_view> names;
  for (const auto& scope : KnownScopes()) {
    EXPECT_FALSE(scope.description.empty()) << scope.name;
    EXPECT_EQ(std::count(names.begin(), names.end(), scope.name), 0) << scope.name;
    names.push_back(scope.name);
  }
  EXPECT_EQ(names, (std::vector<std::string_view>{
                       "account_phonechat_bookings", "account_information", "account_webcam_bookings",
                       "account_escort_bookings", "account_communications", "account_credits_history",
                       "profile_hotlist", "profile_blacklist", "profile_services", "profile_gallery"}));
}

}  // namespace
}  // namespace phonechat::testing
