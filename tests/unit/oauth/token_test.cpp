// The token and revoke endpoints: client authentication, code exchange with its bindings and PKCE, code reuse,
// refresh rotation and replay, expiry, revocation, grant withdrawal, and what is stored.

#include <gtest/gtest.h>

#include <thread>

#include "oauth_test_support.hpp"

namespace phonechat::testing {
namespace {

class TokenTest : public ::testing::Test {
 protected:
  // A code for `user` from `client_id` after consent, with an optional S256 challenge.
  std::string CodeFor(const std::string& client_id, const std::string& challenge = "", UserId user = kAlice,
                      const std::string& scope = "account_phonechat_bookings", OAuthService* service = nullptr) {
    if (service == nullptr) service = service_.get();
    AuthorizeParameters p;
    p.response_type = "code";
    p.client_id = client_id;
    p.redirect_uri = kAppUri;
    p.scope = scope;
    p.state = "st";
    if (!challenge.empty()) {
      p.code_challenge = challenge;
      p.code_challenge_method = "S256";
    }
    const auto validation = service->ValidateAuthorize(p);
    EXPECT_TRUE(validation.request.has_value());
    if (!validation.request) return {};
    auto location = Split(service->Approve(user, *validation.request).location);
    EXPECT_EQ(location.query["state"], "st");
    return location.query["code"];
  }

  static TokenRequest Exchange(const std::string& code, const std::string& client_id = "app",
                               const std::string& secret = kSecret) {
    TokenRequest request;
    request.grant_type = "authorization_code";
    request.code = code;
    request.client_id = client_id;
    request.client_secret = secret;
    return request;
  }

  static TokenRequest RefreshWith(const std::string& refresh_token, const std::string& client_id = "app",
                                  const std::string& secret = kSecret) {
    TokenRequest request;
    request.grant_type = "refresh_token";
    request.refresh_token = refresh_token;
    request.client_id = client_id;
    request.client_secret = secret;
    return request;
  }

  // Tokens for Alice and `app`, exchanged.
  TokenResponse Tokens(const std::string& scope = "account_phonechat_bookings") {
    auto response = service_->Token(Exchange(CodeFor("app", "", kAlice, scope)));
    EXPECT_FALSE(response.error) << Refusal(response);
    return response;
  }

  // Why `response` was refused, for a failure message; empty when it was not.
  static std::string Refusal(const TokenResponse& response) { return response.error ? response.error->message : ""; }

  static void ExpectError(const TokenResponse& response, ErrorCode code) {
    ASSERT_TRUE(response.error) << "issued instead of refused";
    EXPECT_EQ(response.error->code, code) << response.error->message;
    EXPECT_FALSE(response.error->message.empty());
    EXPECT_TRUE(response.access_token.empty());
    EXPECT_TRUE(response.refresh_token.empty());
  }

  OAuthDatabase db_;
  std::unique_ptr<OAuthService> service_ = db_.MakeService();
};

TEST_F(TokenTest, ACodeExchangesForTokensTheApiAccepts) {
  const auto response = Tokens("account_information account_phonechat_bookings");
  EXPECT_FALSE(response.error);
  EXPECT_EQ(response.expires_in, 1200);
  EXPECT_EQ(response.scope, "account_phonechat_bookings account_information");
  EXPECT_GE(response.access_token.size(), 43u);
  EXPECT_GE(response.refresh_token.size(), 43u);
  EXPECT_NE(response.access_token, response.refresh_token);
  EXPECT_TRUE(db_.ApiAccepts(response.access_token));
  EXPECT_FALSE(db_.ApiAccepts(response.refresh_token)) << "a refresh token is no access token";
}

TEST_F(TokenTest, NoTokenCodeSecretPasswordOrCookieIsStoredInClear) {
  const auto pkce = MakePkce();
  const std::string code = CodeFor("app", pkce.challenge);
  auto exchange = Exchange(code);
  exchange.code_verifier = pkce.verifier;
  const auto tokens = service_->Token(exchange);
  ASSERT_FALSE(tokens.error);
  const auto rotated = service_->Token(RefreshWith(tokens.refresh_token));
  ASSERT_FALSE(rotated.error);
  const auto login = service_->Login("Alice", kPassword, "192.0.2.1");
  ASSERT_TRUE(login.session.has_value());
  const std::string bytes = db_.RawBytes();
  ASSERT_FALSE(bytes.empty());
  for (const std::string& secret :
       {code, tokens.access_token, tokens.refresh_token, rotated.access_token, rotated.refresh_token,
        login.session->cookie_value, std::string(kSecret), std::string(kPassword), pkce.verifier}) {
    EXPECT_EQ(bytes.find(secret), std::string::npos) << "found in the database file: " << secret.substr(0, 6) << "…";
  }
}

TEST_F(TokenTest, ASecondUseOfACodeIsInvalidGrantAndRevokesTheTokensOfTheFirst) {
  const std::string code = CodeFor("app");
  const auto first = service_->Token(Exchange(code));
  ASSERT_FALSE(first.error);
  ASSERT_TRUE(db_.ApiAccepts(first.access_token));
  ExpectError(service_->Token(Exchange(code)), ErrorCode::kInvalidGrant);
  EXPECT_FALSE(db_.ApiAccepts(first.access_token));
  ExpectError(service_->Token(RefreshWith(first.refresh_token)), ErrorCode::kInvalidGrant);
}

TEST_F(TokenTest, ACodeExpires) {
  OAuthLifetimes lifetimes;
  lifetimes.authorization_code = std::chrono::seconds(1);
  auto short_lived = db_.MakeService(lifetimes);
  const std::string code = CodeFor("app", "", kAlice, "account_phonechat_bookings", short_lived.get());
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));
  ExpectError(short_lived->Token(Exchange(code)), ErrorCode::kInvalidGrant);
}

TEST_F(TokenTest, UnknownOrMissingCodes) {
  ExpectError(service_->Token(Exchange("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")), ErrorCode::kInvalidGrant);
  ExpectError(service_->Token(Exchange("")), ErrorCode::kInvalidRequest);
}

TEST_F(TokenTest, ACodeIsBoundToItsClient) {
  ExpectError(service_->Token(Exchange(CodeFor("app"), "other")), ErrorCode::kInvalidGrant);
}

TEST_F(TokenTest, ARedirectUriSentAtTheExchangeMustEqualTheAuthorizationRequests) {
  auto wrong = Exchange(CodeFor("app"));
  wrong.redirect_uri = kAppQueryUri;
  ExpectError(service_->Token(wrong), ErrorCode::kInvalidGrant);
  auto trailing = Exchange(CodeFor("app"));
  trailing.redirect_uri = std::string(kAppUri) + "/";
  ExpectError(service_->Token(trailing), ErrorCode::kInvalidGrant);
  auto same = Exchange(CodeFor("app"));
  same.redirect_uri = kAppUri;
  EXPECT_FALSE(service_->Token(same).error);
  EXPECT_FALSE(service_->Token(Exchange(CodeFor("app"))).error) << "left out, as the published exchange does";
}

TEST_F(TokenTest, PkceTheRightVerifierExchanges) {
  const auto pkce = MakePkce();
  auto request = Exchange(CodeFor("app", pkce.challenge));
  request.code_verifier = pkce.verifier;
  EXPECT_FALSE(service_->Token(request).error);
}

TEST_F(TokenTest, PkceDowngradesAndWrongVerifiersAreInvalidGrant) {
  const auto pkce = MakePkce();
  ExpectError(service_->Token(Exchange(CodeFor("app", pkce.challenge))), ErrorCode::kInvalidGrant);  // no verifier
  for (const std::string& verifier : {MakePkce().verifier, pkce.challenge, pkce.verifier + "x",
                                      pkce.verifier.substr(0, 42), pkce.verifier + std::string(80, 'a')}) {
    auto request = Exchange(CodeFor("app", pkce.challenge));
    request.code_verifier = verifier;
    ExpectError(service_->Token(request), ErrorCode::kInvalidGrant);
  }
  auto unasked = Exchange(CodeFor("app"));
  unasked.code_verifier = pkce.verifier;
  ExpectError(service_->Token(unasked), ErrorCode::kInvalidGrant);
}

TEST_F(TokenTest, APublicClientExchangesWithItsClientIdAndVerifierOnly) {
  const auto pkce = MakePkce();
  auto request = Exchange(CodeFor("public", pkce.challenge), "public", "");
  request.code_verifier = pkce.verifier;
  const auto response = service_->Token(request);
  ASSERT_FALSE(response.error) << Refusal(response);
  EXPECT_TRUE(db_.ApiAccepts(response.access_token));

  auto with_secret = Exchange(CodeFor("public", pkce.challenge), "public", "invented-secret");
  with_secret.code_verifier = pkce.verifier;
  ExpectError(service_->Token(with_secret), ErrorCode::kInvalidClient);
  auto without_verifier = Exchange(CodeFor("public", pkce.challenge), "public", "");
  ExpectError(service_->Token(without_verifier), ErrorCode::kInvalidGrant);
}

TEST_F(TokenTest, ClientAuthenticationFailuresAreInvalidClientAndLeaveTheCodeUnused) {
  const std::string code = CodeFor("app");
  for (const auto& [client, secret] : std::vector<std::pair<std::string, std::string>>{
           {"app", "wrong-secret"}, {"app", ""}, {"no-such-client", kSecret}, {"", kSecret}, {"APP", kSecret}}) {
    const auto response = service_->Token(Exchange(code, client, secret));
    ExpectError(response, ErrorCode::kInvalidClient);
  }
  EXPECT_FALSE(service_->Token(Exchange(code)).error);
}

TEST_F(TokenTest, ADisabledProjectCannotUseTheTokenEndpoint) {
  TokenRequest request = Exchange("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "disabled");
  ExpectError(service_->Token(request), ErrorCode::kInvalidClient);
}

TEST_F(TokenTest, GrantTypesOtherThanCodeAndRefreshAreUnsupportedAndAMissingOneInvalid) {
  for (const char* grant_type : {"password", "client_credentials", "implicit", "AUTHORIZATION_CODE"}) {
    auto request = Exchange("x");
    request.grant_type = grant_type;
    ExpectError(service_->Token(request), ErrorCode::kUnsupportedGrantType);
  }
  auto request = Exchange("x");
  request.grant_type = "";
  ExpectError(service_->Token(request), ErrorCode::kInvalidRequest);
  ExpectError(service_->Token(RefreshWith("")), ErrorCode::kInvalidRequest);
}

TEST_F(TokenTest, RefreshRotatesAndAReplayOfARotatedTokenRevokesTheWholeFamily) {
  const auto first = Tokens();
  const auto second = service_->Token(RefreshWith(first.refresh_token));
  ASSERT_FALSE(second.error);
  EXPECT_EQ(second.expires_in, 1200);
  EXPECT_EQ(second.scope, "account_phonechat_bookings");
  EXPECT_NE(second.refresh_token, first.refresh_token);
  EXPECT_NE(second.access_token, first.access_token);
  const auto third = service_->Token(RefreshWith(second.refresh_token));
  ASSERT_FALSE(third.error);
  EXPECT_TRUE(db_.ApiAccepts(third.access_token));
  EXPECT_TRUE(db_.ApiAccepts(first.access_token)) << "rotation alone leaves earlier access tokens to expire";

  ExpectError(service_->Token(RefreshWith(first.refresh_token)), ErrorCode::kInvalidGrant);
  for (const auto* tokens : {&first, &second, &third}) EXPECT_FALSE(db_.ApiAccepts(tokens->access_token));
  ExpectError(service_->Token(RefreshWith(third.refresh_token)), ErrorCode::kInvalidGrant);

  const auto unrelated = Tokens();
  EXPECT_TRUE(db_.ApiAccepts(unrelated.access_token)) << "another authorization's family is untouched";
  EXPECT_FALSE(service_->Token(RefreshWith(unrelated.refresh_token)).error);
}

TEST_F(TokenTest, AnotherClientCannotRefreshAndItsAttemptChangesNothing) {
  const auto tokens = Tokens();
  ExpectError(service_->Token(RefreshWith(tokens.refresh_token, "other")), ErrorCode::kInvalidGrant);
  ExpectError(service_->Token(RefreshWith("BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB")), ErrorCode::kInvalidGrant);
  EXPECT_FALSE(service_->Token(RefreshWith(tokens.refresh_token)).error);
}

TEST_F(TokenTest, AnExpiredRefreshTokenIsRefreshTokenExpiredNotInvalidGrant) {
  OAuthLifetimes lifetimes;
  lifetimes.refresh_token = std::chrono::seconds(1);
  auto short_lived = db_.MakeService(lifetimes);
  const auto tokens =
      short_lived->Token(Exchange(CodeFor("app", "", kAlice, "account_phonechat_bookings", short_lived.get())));
  ASSERT_FALSE(tokens.error);
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));
  const auto response = short_lived->Token(RefreshWith(tokens.refresh_token));
  ExpectError(response, ErrorCode::kRefreshTokenExpired);
}

TEST_F(TokenTest, RevokeAnAccessTokenOrARefreshTokensFamily) {
  const auto a = Tokens();
  auto revoke = Exchange("");
  revoke.grant_type = "";
  revoke.token = a.access_token;
  EXPECT_FALSE(service_->Revoke(revoke).error);
  EXPECT_FALSE(db_.ApiAccepts(a.access_token));
  EXPECT_FALSE(service_->Token(RefreshWith(a.refresh_token)).error) << "an access token goes alone";

  const auto b = Tokens();
  revoke.token = b.refresh_token;
  revoke.token_type_hint = "refresh_token";
  EXPECT_FALSE(service_->Revoke(revoke).error);
  EXPECT_FALSE(db_.ApiAccepts(b.access_token));
  ExpectError(service_->Token(RefreshWith(b.refresh_token)), ErrorCode::kInvalidGrant);

  revoke.token = "CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC";
  EXPECT_FALSE(service_->Revoke(revoke).error) << "RFC 7009: unknown tokens answer 200";
  revoke.token = "";
  ExpectError(service_->Revoke(revoke), ErrorCode::kInvalidRequest);
}

TEST_F(TokenTest, RevokeLeavesAnotherClientsTokensAloneAndNeedsClientAuthentication) {
  const auto tokens = Tokens();
  auto revoke = Exchange("", "other");
  revoke.grant_type = "";
  revoke.token = tokens.access_token;
  EXPECT_FALSE(service_->Revoke(revoke).error);
  revoke.token = tokens.refresh_token;
  EXPECT_FALSE(service_->Revoke(revoke).error);
  EXPECT_TRUE(db_.ApiAccepts(tokens.access_token));

  auto wrong = Exchange("", "app", "wrong-secret");
  wrong.grant_type = "";
  wrong.token = tokens.access_token;
  const auto refused = service_->Revoke(wrong);
  ExpectError(refused, ErrorCode::kInvalidClient);
  EXPECT_TRUE(db_.ApiAccepts(tokens.access_token));
  EXPECT_FALSE(service_->Token(RefreshWith(tokens.refresh_token)).error);
}

TEST_F(TokenTest, RevokingAGrantStopsItsRefreshAndAccessTokensAndAsksConsentAgain) {
  const auto tokens = Tokens();
  const auto other = service_->Token(Exchange(CodeFor("other"), "other"));
  ASSERT_FALSE(other.error);
  const std::string pending_code = CodeFor("app");
  ASSERT_EQ(service_->ListGrants(kAlice).size(), 2u);

  service_->RevokeGrant(kAlice, db_.ProjectIdOf("app"));
  EXPECT_FALSE(db_.ApiAccepts(tokens.access_token));
  ExpectError(service_->Token(RefreshWith(tokens.refresh_token)), ErrorCode::kInvalidGrant);
  ExpectError(service_->Token(Exchange(pending_code)), ErrorCode::kInvalidGrant);
  const auto grants = service_->ListGrants(kAlice);
  ASSERT_EQ(grants.size(), 1u);
  EXPECT_EQ(grants[0].client_id, "other");
  EXPECT_TRUE(db_.ApiAccepts(other.access_token));

  AuthorizeParameters p;
  p.response_type = "code";
  p.client_id = "app";
  p.redirect_uri = kAppUri;
  p.scope = "account_phonechat_bookings";
  EXPECT_FALSE(service_->HasGrant(kAlice, *service_->ValidateAuthorize(p).request));
}

TEST_F(TokenTest, VerifyCredentialsShowsGroupFactsOnlyWithAccountInformation) {
  const Principal plain{kAlice, db_.ProjectIdOf("app"), "account_phonechat_bookings"};
  const auto basic = service_->VerifyCredentials(plain);
  EXPECT_EQ(basic.user_id, kAlice);
  EXPECT_EQ(basic.nickname, "Alice");
  EXPECT_FALSE(basic.with_group);
  EXPECT_FALSE(basic.group_id.has_value());
  EXPECT_FALSE(basic.group_name.has_value());

  const Principal informed{kAlice, db_.ProjectIdOf("app"), "account_phonechat_bookings account_information"};
  const auto full = service_->VerifyCredentials(informed);
  EXPECT_TRUE(full.with_group);
  EXPECT_EQ(full.group_id, std::optional<GroupId>(kGroup));
  EXPECT_EQ(full.group_name, std::optional<std::string>("Test Agency"));
  EXPECT_FALSE(full.is_group_manager);

  const auto manager = service_->VerifyCredentials(Principal{kManager, 1, "account_information"});
  EXPECT_EQ(manager.nickname, "Manager");
  EXPECT_TRUE(manager.is_group_manager);
  const auto loner = service_->VerifyCredentials(Principal{kBob, 1, "account_information"});
  EXPECT_TRUE(loner.with_group);
  EXPECT_FALSE(loner.group_id.has_value());
  EXPECT_FALSE(loner.is_group_manager);
}

}  // namespace
}  // namespace phonechat::testing
