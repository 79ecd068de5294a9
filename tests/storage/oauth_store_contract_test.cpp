// The Unified Login store's contract, on every backend, beside a Store open on the same database (as the
// server runs them): atomic code redemption, token families, refresh rotation and replay (the rotation rule of
// service/refresh_rotation over each store's atomic steps), grants, sessions, login failures, and the purge of what
// can never be used again (with the sweeper's retention). Hashes are stand-ins (32 bytes of one character): the
// store never sees a token in clear.

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "core/error.hpp"
#include "service/lifecycle_sweeper.hpp"
#include "service/refresh_rotation.hpp"
#include "storage/oauth_store.hpp"
#include "storage/store.hpp"
#include "storage_test_support.hpp"

namespace phonechat::testing {
namespace {

constexpr std::int64_t kNow = 1'700'000'000;  // Unix seconds
constexpr std::int64_t kHour = 3600;
constexpr UserId kAlice = 10;
constexpr UserId kBob = 11;
constexpr UserId kCarol = 12;

std::string Hash(char fill) { return std::string(32, fill); }

UserRecord User(UserId id, std::string nickname, std::optional<std::string> email = std::nullopt,
                std::optional<std::string> password_hash = std::nullopt) {
  UserRecord user;
  user.user_id = id;
  user.nickname = std::move(nickname);
  user.email_address = std::move(email);
  user.password_hash = std::move(password_hash);
  return user;
}

ProjectRecord Project(std::string client_id, std::string api_key) {
  ProjectRecord project;
  project.name = "Project " + client_id;
  project.owner_user_id = kCarol;
  project.api_key = std::move(api_key);
  project.client_id = std::move(client_id);
  project.client_secret_hash = "$argon2id$stand-in";
  project.redirect_uris = {"https://app.example.test/cb"};
  return project;
}

class OAuthStoreContract : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    url_ = GetParam().location(dir_);
    store_ = GetParam().open(url_);
    {
      auto batch = store_->BeginWriteBatch();
      for (const auto& user : {User(kAlice, "Alice", "Alice@Example.org", "$argon2id$alice"), User(kBob, "bob"),
                               User(kCarol, "Carol"), User(13, "Zoë")}) {
        ASSERT_EQ(batch->PutUser(user, false), "");
      }
      GroupRecord group;
      group.group_id = 5;
      group.name = "Carol's agency";
      group.manager_user_id = kCarol;
      group.member_user_ids = {kAlice};
      ASSERT_EQ(batch->PutGroup(group, false), "");
      batch->Commit();
    }
    oauth_ = OpenOAuthStore(url_);
    main_ = oauth_->CreateProject(Project("main-client", "main-key"));
    other_ = oauth_->CreateProject(Project("other-client", "other-key"));
    session_ = store_->OpenSession();
  }

  // A code of Alice's for the main project, stored and redeemed: the family its tokens join.
  TokenFamilyId RedeemedFamily(char code_fill) {
    oauth_->InsertAuthorizationCode(
        AuthorizationCodeRecord{Hash(code_fill), main_, kAlice, "https://app.example.test/cb", "s1", "", kNow + 60});
    const auto redemption = oauth_->RedeemAuthorizationCode(Hash(code_fill), kNow);
    EXPECT_EQ(redemption.status, CodeRedeemStatus::kRedeemed);
    return redemption.family;
  }

  bool AccessRevoked(char fill) {
    const auto token = session_->FindToken(Hash(fill));
    EXPECT_TRUE(token.has_value()) << "access token " << fill;
    return token && token->revoked;
  }

  static TokenToIssue Token(char fill, std::int64_t expires = kNow + kHour) {
    return TokenToIssue{Hash(fill), expires};
  }

  TempDir dir_;
  std::string url_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<OAuthStore> oauth_;
  std::unique_ptr<StoreSession> session_;
  ProjectId main_ = 0;
  ProjectId other_ = 0;
};

TEST_P(OAuthStoreContract, OpensAFreshDatabaseAndThenAStoreOpensBesideIt) {
  TempDir dir;
  const std::string url = GetParam().location(dir);
  auto oauth = OpenOAuthStore(url);
  auto store = GetParam().open(url);
  EXPECT_TRUE(store->IsEmpty());
  EXPECT_TRUE(oauth->ListProjects().empty());
  EXPECT_THROW(OpenOAuthStore("postgresql://127.0.0.1:1/unreachable"), UsageError);
  EXPECT_THROW(OpenOAuthStore(""), UsageError);
}

TEST_P(OAuthStoreContract, FindsLoginAccountsByNicknameOrEmailIgnoringAsciiCaseOnly) {
  for (const char* login : {"Alice", "alice", "ALICE", "alice@example.ORG"}) {
    const auto accounts = oauth_->FindLoginAccounts(login);
    ASSERT_EQ(accounts.size(), 1u) << login;
    EXPECT_EQ(accounts[0].user_id, kAlice);
    EXPECT_EQ(accounts[0].nickname, "Alice");
    EXPECT_EQ(accounts[0].password_hash, std::optional<std::string>("$argon2id$alice"));
  }
  EXPECT_EQ(oauth_->FindLoginAccounts("bob")[0].password_hash, std::nullopt);
  EXPECT_EQ(oauth_->FindLoginAccounts("zoë").size(), 1u);
  EXPECT_TRUE(oauth_->FindLoginAccounts("ZOË").empty()) << "only ASCII letters fold";
  EXPECT_TRUE(oauth_->FindLoginAccounts("alic").empty());
  EXPECT_TRUE(oauth_->FindLoginAccounts("").empty());
}

TEST_P(OAuthStoreContract, ReportsAccountGroupFacts) {
  const auto alice = oauth_->FindAccount(kAlice);
  ASSERT_TRUE(alice.has_value());
  EXPECT_EQ(alice->nickname, "Alice");
  EXPECT_EQ(alice->group_id, std::optional<GroupId>(5));
  EXPECT_EQ(alice->group_name, std::optional<std::string>("Carol's agency"));
  EXPECT_FALSE(alice->is_group_manager);
  const auto carol = oauth_->FindAccount(kCarol);
  ASSERT_TRUE(carol.has_value());
  EXPECT_TRUE(carol->is_group_manager);
  EXPECT_EQ(carol->group_id, std::optional<GroupId>(5)) << "a manager in no group shows the group they manage";
  const auto bob = oauth_->FindAccount(kBob);
  ASSERT_TRUE(bob.has_value());
  EXPECT_EQ(bob->group_id, std::nullopt);
  EXPECT_FALSE(bob->is_group_manager);
  EXPECT_FALSE(oauth_->FindAccount(999).has_value());
}

TEST_P(OAuthStoreContract, CreatesListsDisablesAndRedirectsProjects) {
  const auto found = oauth_->FindProjectByClientId("main-client");
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->project_id, main_);
  EXPECT_EQ(found->name, "Project main-client");
  EXPECT_EQ(found->owner_user_id, kCarol);
  EXPECT_EQ(found->api_key, "main-key");
  EXPECT_EQ(found->client_secret_hash, std::optional<std::string>("$argon2id$stand-in"));
  EXPECT_EQ(found->redirect_uris, std::vector<std::string>{"https://app.example.test/cb"});
  EXPECT_FALSE(found->implicit_grant);
  EXPECT_TRUE(found->active);
  EXPECT_EQ(oauth_->FindProject(other_)->client_id, "other-client");

  auto public_project = Project("public-client", "public-key");
  public_project.client_secret_hash.reset();
  public_project.implicit_grant = true;
  const ProjectId public_id = oauth_->CreateProject(public_project);
  EXPECT_EQ(oauth_->FindProject(public_id)->client_secret_hash, std::nullopt);
  EXPECT_TRUE(oauth_->FindProject(public_id)->implicit_grant);

  EXPECT_THROW(oauth_->CreateProject(Project("main-client", "fresh-key")), UsageError);
  EXPECT_THROW(oauth_->CreateProject(Project("fresh-client", "main-key")), UsageError);
  auto orphan = Project("orphan", "orphan-key");
  orphan.owner_user_id = 999;
  EXPECT_THROW(oauth_->CreateProject(orphan), UsageError);

  const auto all = oauth_->ListProjects();
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].client_id, "main-client");
  EXPECT_EQ(all[2].client_id, "public-client");

  EXPECT_TRUE(oauth_->SetProjectActive("main-client", false));
  EXPECT_FALSE(oauth_->FindProjectByClientId("main-client")->active);
  EXPECT_FALSE(session_->FindProjectByApiKey("main-key")->active) << "the API's key check sees the same flag";
  EXPECT_FALSE(oauth_->SetProjectActive("no-such-client", false));

  const std::vector<std::string> uris{"http://127.0.0.1:9/demo/callback", "http://localhost:9/demo/callback"};
  EXPECT_TRUE(oauth_->SetRedirectUris("other-client", uris));
  EXPECT_EQ(oauth_->FindProjectByClientId("other-client")->redirect_uris, uris);
  EXPECT_FALSE(oauth_->SetRedirectUris("no-such-client", uris));
}

TEST_P(OAuthStoreContract, GrantsAreUnitedListedWithProjectNamesAndDeleted) {
  EXPECT_FALSE(oauth_->FindGrant(kAlice, main_).has_value());
  oauth_->AddGrant(kAlice, main_, {"a", "b"}, LocalDateTime{1000});
  oauth_->AddGrant(kAlice, main_, {"b", "c"}, LocalDateTime{2000});
  oauth_->AddGrant(kAlice, other_, {"a"}, LocalDateTime{3000});
  oauth_->AddGrant(kBob, main_, {"z"}, LocalDateTime{4000});
  EXPECT_EQ(oauth_->FindGrant(kAlice, main_), (std::vector<std::string>{"a", "b", "c"}));
  const auto grants = oauth_->ListGrants(kAlice);
  ASSERT_EQ(grants.size(), 2u);
  EXPECT_EQ(grants[0].project_name, "Project main-client");
  EXPECT_EQ(grants[0].client_id, "main-client");
  EXPECT_EQ(grants[0].scopes, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(grants[0].granted_at, LocalDateTime{2000});
  EXPECT_EQ(grants[1].project_id, other_);
  EXPECT_TRUE(oauth_->RevokeGrant(kAlice, main_));
  EXPECT_FALSE(oauth_->FindGrant(kAlice, main_).has_value());
  EXPECT_FALSE(oauth_->RevokeGrant(kAlice, main_));
  EXPECT_EQ(oauth_->ListGrants(kAlice).size(), 1u);
  EXPECT_TRUE(oauth_->FindGrant(kBob, main_).has_value());
}

TEST_P(OAuthStoreContract, RedeemingACodeTwiceReportsReuseAndRevokesEveryTokenIssuedFromIt) {
  oauth_->InsertAuthorizationCode(AuthorizationCodeRecord{Hash('c'), main_, kAlice, "https://app.example.test/cb",
                                                          "s1 s2", "challenge", kNow + 60});
  const auto first = oauth_->RedeemAuthorizationCode(Hash('c'), kNow);
  ASSERT_EQ(first.status, CodeRedeemStatus::kRedeemed);
  ASSERT_TRUE(first.code.has_value());
  EXPECT_EQ(first.code->project_id, main_);
  EXPECT_EQ(first.code->user_id, kAlice);
  EXPECT_EQ(first.code->redirect_uri, "https://app.example.test/cb");
  EXPECT_EQ(first.code->scopes, "s1 s2");
  EXPECT_EQ(first.code->code_challenge, "challenge");
  EXPECT_EQ(first.code->expires_at_unix, kNow + 60);
  ASSERT_TRUE(oauth_->IssueTokens(first.family, "s1 s2", Token('a'), Token('r', kNow + 14 * 24 * kHour)));
  const auto token = session_->FindToken(Hash('a'));
  ASSERT_TRUE(token.has_value());
  EXPECT_EQ(token->user_id, kAlice);
  EXPECT_EQ(token->project_id, main_);
  EXPECT_EQ(token->scopes, "s1 s2");
  EXPECT_EQ(token->expires_at_unix, kNow + kHour);
  EXPECT_FALSE(token->revoked);

  const auto second = oauth_->RedeemAuthorizationCode(Hash('c'), kNow);
  EXPECT_EQ(second.status, CodeRedeemStatus::kAlreadyUsed);
  EXPECT_FALSE(second.code.has_value());
  EXPECT_TRUE(AccessRevoked('a')) << "the API's FindToken sees the revocation";
  EXPECT_EQ(RotateRefreshToken(*oauth_, Hash('r'), main_, kNow, Token('b'), Token('s')).status,
            RefreshRotateStatus::kRevoked);
  EXPECT_FALSE(oauth_->IssueTokens(first.family, "s1", Token('d'), std::nullopt))
      << "a revoked family takes no new tokens";
  EXPECT_FALSE(session_->FindToken(Hash('d')).has_value());
  EXPECT_EQ(oauth_->RedeemAuthorizationCode(Hash('x'), kNow).status, CodeRedeemStatus::kNotFound);
}

TEST_P(OAuthStoreContract, ConcurrentRedemptionsOnSeparateConnectionsRedeemExactlyOnce) {
  oauth_->InsertAuthorizationCode(
      AuthorizationCodeRecord{Hash('c'), main_, kAlice, "https://app.example.test/cb", "s1", "", kNow + 60});
  constexpr int kThreads = 6;
  std::vector<std::unique_ptr<OAuthStore>> stores;
  for (int i = 0; i < kThreads; ++i) stores.push_back(OpenOAuthStore(url_));
  std::atomic<int> redeemed{0};
  std::atomic<int> reused{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      const auto status = stores[static_cast<std::size_t>(i)]->RedeemAuthorizationCode(Hash('c'), kNow).status;
      (status == CodeRedeemStatus::kRedeemed ? redeemed : reused)++;
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(redeemed.load(), 1);
  EXPECT_EQ(reused.load(), kThreads - 1);
}

TEST_P(OAuthStoreContract, RefreshRotationStoresTheSuccessorAndAReplayRevokesTheWholeFamily) {
  const TokenFamilyId family = RedeemedFamily('c');
  ASSERT_TRUE(oauth_->IssueTokens(family, "s1", Token('a'), Token('r')));

  const auto first = RotateRefreshToken(*oauth_, Hash('r'), main_, kNow, Token('b'), Token('s'));
  ASSERT_EQ(first.status, RefreshRotateStatus::kRotated);
  EXPECT_EQ(first.token->user_id, kAlice);
  EXPECT_EQ(first.token->scopes, "s1");
  EXPECT_EQ(first.token->family, family);
  EXPECT_FALSE(AccessRevoked('b'));
  EXPECT_EQ(session_->FindToken(Hash('b'))->scopes, "s1");
  ASSERT_EQ(RotateRefreshToken(*oauth_, Hash('s'), main_, kNow, Token('e'), Token('t')).status,
            RefreshRotateStatus::kRotated);
  EXPECT_FALSE(AccessRevoked('a')) << "rotation alone revokes no access token";

  EXPECT_EQ(RotateRefreshToken(*oauth_, Hash('r'), main_, kNow, Token('f'), Token('u')).status,
            RefreshRotateStatus::kReplayed);
  EXPECT_TRUE(AccessRevoked('a'));
  EXPECT_TRUE(AccessRevoked('b'));
  EXPECT_TRUE(AccessRevoked('e'));
  EXPECT_FALSE(session_->FindToken(Hash('f')).has_value()) << "a replay issues nothing";
  EXPECT_EQ(RotateRefreshToken(*oauth_, Hash('t'), main_, kNow, Token('g'), Token('v')).status,
            RefreshRotateStatus::kRevoked)
      << "the newest refresh token of the family dies with it";
}

TEST_P(OAuthStoreContract, RefreshRotationRefusesOtherClientsExpiredAndUnknownTokensWithoutChangingThem) {
  const TokenFamilyId family = RedeemedFamily('c');
  ASSERT_TRUE(oauth_->IssueTokens(family, "s1", Token('a'), Token('r', kNow + 100)));
  EXPECT_EQ(RotateRefreshToken(*oauth_, Hash('r'), other_, kNow, Token('b'), Token('s')).status,
            RefreshRotateStatus::kWrongClient);
  const auto expired = RotateRefreshToken(*oauth_, Hash('r'), main_, kNow + 100, Token('b'), Token('s'));
  EXPECT_EQ(expired.status, RefreshRotateStatus::kExpired);
  EXPECT_FALSE(session_->FindToken(Hash('b')).has_value());
  EXPECT_EQ(RotateRefreshToken(*oauth_, Hash('q'), main_, kNow, Token('b'), Token('s')).status,
            RefreshRotateStatus::kNotFound);
  EXPECT_EQ(RotateRefreshToken(*oauth_, Hash('r'), main_, kNow + 99, Token('b'), Token('s')).status,
            RefreshRotateStatus::kRotated)
      << "none of the refusals consumed the token";
}

TEST_P(OAuthStoreContract, ARefreshTokenIsReadAsStoredAndRotatesOnlyWhileNeitherRotatedNorRevoked) {
  const TokenFamilyId family = RedeemedFamily('c');
  ASSERT_TRUE(oauth_->IssueTokens(family, "s1", Token('a'), Token('r', kNow + 100)));
  const auto live = oauth_->FindRefreshToken(Hash('r'));
  ASSERT_TRUE(live.has_value());
  EXPECT_EQ(live->token.family, family);
  EXPECT_EQ(live->token.project_id, main_);
  EXPECT_EQ(live->token.user_id, kAlice);
  EXPECT_EQ(live->token.scopes, "s1");
  EXPECT_EQ(live->token.expires_at_unix, kNow + 100);
  EXPECT_FALSE(live->rotated);
  EXPECT_FALSE(live->revoked);
  EXPECT_FALSE(oauth_->FindRefreshToken(Hash('q')).has_value());

  ASSERT_TRUE(oauth_->RotateRefreshTokenIfLive(Hash('r'), Token('b'), Token('s')));
  EXPECT_TRUE(oauth_->FindRefreshToken(Hash('r'))->rotated);
  const auto successor = oauth_->FindRefreshToken(Hash('s'));
  ASSERT_TRUE(successor.has_value());
  EXPECT_EQ(successor->token.family, family);
  EXPECT_EQ(successor->token.scopes, "s1");
  EXPECT_EQ(session_->FindToken(Hash('b'))->scopes, "s1");
  EXPECT_FALSE(oauth_->RotateRefreshTokenIfLive(Hash('r'), Token('e'), Token('t'))) << "rotated already";
  EXPECT_FALSE(oauth_->RotateRefreshTokenIfLive(Hash('q'), Token('e'), Token('t'))) << "unknown";
  EXPECT_FALSE(session_->FindToken(Hash('e')).has_value());

  oauth_->RevokeTokenFamily(family);
  EXPECT_TRUE(oauth_->FindRefreshToken(Hash('s'))->revoked) << "its family is revoked";
  EXPECT_FALSE(oauth_->FindRefreshToken(Hash('s'))->rotated);
  EXPECT_FALSE(oauth_->RotateRefreshTokenIfLive(Hash('s'), Token('e'), Token('t'))) << "revoked";
  EXPECT_FALSE(session_->FindToken(Hash('e')).has_value());
}

TEST_P(OAuthStoreContract, ConcurrentRotationsOfOneRefreshTokenOnSeparateConnectionsSucceedOnce) {
  const TokenFamilyId family = RedeemedFamily('c');
  ASSERT_TRUE(oauth_->IssueTokens(family, "s1", Token('a'), Token('r')));
  constexpr int kThreads = 6;
  std::vector<std::unique_ptr<OAuthStore>> stores;
  for (int i = 0; i < kThreads; ++i) stores.push_back(OpenOAuthStore(url_));
  std::atomic<int> rotated{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      if (stores[static_cast<std::size_t>(i)]->RotateRefreshTokenIfLive(Hash('r'), Token(static_cast<char>('d' + i)),
                                                                        Token(static_cast<char>('s' + i)))) {
        ++rotated;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(rotated.load(), 1);
}

TEST_P(OAuthStoreContract, RevokingATokenRevokesAnAccessTokenAloneOrARefreshTokensFamily) {
  const TokenFamilyId family = RedeemedFamily('c');
  ASSERT_TRUE(oauth_->IssueTokens(family, "s1", Token('a'), Token('r')));
  ASSERT_EQ(RotateRefreshToken(*oauth_, Hash('r'), main_, kNow, Token('b'), Token('s')).status,
            RefreshRotateStatus::kRotated);

  EXPECT_EQ(oauth_->RevokeToken(Hash('a'), other_), TokenRevokeStatus::kOtherProject);
  EXPECT_EQ(oauth_->RevokeToken(Hash('s'), other_), TokenRevokeStatus::kOtherProject);
  EXPECT_FALSE(AccessRevoked('a'));
  EXPECT_EQ(oauth_->RevokeToken(Hash('n'), main_), TokenRevokeStatus::kNotFound);

  EXPECT_EQ(oauth_->RevokeToken(Hash('a'), main_), TokenRevokeStatus::kAccessTokenRevoked);
  EXPECT_TRUE(AccessRevoked('a'));
  EXPECT_FALSE(AccessRevoked('b'));
  EXPECT_EQ(oauth_->RevokeToken(Hash('s'), main_), TokenRevokeStatus::kRefreshFamilyRevoked);
  EXPECT_TRUE(AccessRevoked('b'));
  EXPECT_EQ(RotateRefreshToken(*oauth_, Hash('s'), main_, kNow, Token('e'), Token('t')).status,
            RefreshRotateStatus::kRevoked);
}

TEST_P(OAuthStoreContract, RevokingAGrantRevokesTheUsersTokensCodesAndRefreshTokensForThatProjectOnly) {
  oauth_->AddGrant(kAlice, main_, {"s1"}, LocalDateTime{1});
  const TokenFamilyId family = RedeemedFamily('c');
  ASSERT_TRUE(oauth_->IssueTokens(family, "s1", Token('a'), Token('r')));
  const TokenFamilyId implicit = oauth_->CreateTokenFamily(kAlice, main_, kNow);
  ASSERT_TRUE(oauth_->IssueTokens(implicit, "s1", Token('i'), std::nullopt));
  store_->InsertToken(NewToken{Hash('k'), kAlice, "main-client", "s1", kNow + kHour});  // the `token` command's
  const TokenFamilyId others = oauth_->CreateTokenFamily(kAlice, other_, kNow);
  ASSERT_TRUE(oauth_->IssueTokens(others, "s1", Token('o'), Token('p')));
  oauth_->InsertAuthorizationCode(
      AuthorizationCodeRecord{Hash('d'), main_, kAlice, "https://app.example.test/cb", "s1", "", kNow + 60});

  EXPECT_TRUE(oauth_->RevokeGrant(kAlice, main_));
  EXPECT_TRUE(AccessRevoked('a'));
  EXPECT_TRUE(AccessRevoked('i'));
  EXPECT_TRUE(AccessRevoked('k'));
  EXPECT_EQ(RotateRefreshToken(*oauth_, Hash('r'), main_, kNow, Token('b'), Token('s')).status,
            RefreshRotateStatus::kRevoked);
  EXPECT_NE(oauth_->RedeemAuthorizationCode(Hash('d'), kNow).status, CodeRedeemStatus::kRedeemed)
      << "a code issued before the revocation yields nothing";
  EXPECT_FALSE(AccessRevoked('o')) << "another project's tokens are untouched";
  EXPECT_EQ(RotateRefreshToken(*oauth_, Hash('p'), other_, kNow, Token('b'), Token('s')).status,
            RefreshRotateStatus::kRotated);
}

TEST_P(OAuthStoreContract, SessionsAreFoundUntilTheyExpireOrAreDeleted) {
  oauth_->CreateSession(Hash('s'), kAlice, LocalDateTime{5}, kNow + 10, kNow);
  const auto found = oauth_->FindSession(Hash('s'), kNow + 9);
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->user_id, kAlice);
  EXPECT_EQ(found->nickname, "Alice");
  EXPECT_EQ(found->expires_at_unix, kNow + 10);
  EXPECT_FALSE(oauth_->FindSession(Hash('s'), kNow + 10).has_value());
  EXPECT_FALSE(oauth_->FindSession(Hash('t'), kNow).has_value());
  oauth_->CreateSession(Hash('u'), kBob, LocalDateTime{5}, kNow + 100, kNow);
  oauth_->DeleteSession(Hash('u'));
  EXPECT_FALSE(oauth_->FindSession(Hash('u'), kNow).has_value());
  oauth_->DeleteSession(Hash('v'));  // unknown: ignored

  // Creating a session prunes the expired ones: a session past its expiry is gone even for an earlier clock.
  oauth_->CreateSession(Hash('w'), kBob, LocalDateTime{5}, kNow + 100, kNow + 20);
  EXPECT_FALSE(oauth_->FindSession(Hash('s'), kNow).has_value());
  EXPECT_TRUE(oauth_->FindSession(Hash('w'), kNow + 20).has_value());
}

TEST_P(OAuthStoreContract, LoginFailuresAreCountedPerKeyWithinTheWindowPrunedAndCleared) {
  oauth_->RecordLoginFailure(Hash('k'), 1000, 0);
  oauth_->RecordLoginFailure(Hash('k'), 2000, 0);
  oauth_->RecordLoginFailure(Hash('k'), 3000, 0);
  oauth_->RecordLoginFailure(Hash('l'), 3500, 0);
  auto summary = oauth_->CountLoginFailures(Hash('k'), 0);
  EXPECT_EQ(summary.count, 3);
  EXPECT_EQ(summary.last_at_unix_millis, 3000);
  EXPECT_EQ(oauth_->CountLoginFailures(Hash('k'), 2000).count, 2);
  EXPECT_EQ(oauth_->CountLoginFailures(Hash('m'), 0).count, 0);
  oauth_->RecordLoginFailure(Hash('k'), 4000, 2500);
  summary = oauth_->CountLoginFailures(Hash('k'), 0);
  EXPECT_EQ(summary.count, 2) << "the failures before 2500 were pruned";
  EXPECT_EQ(summary.last_at_unix_millis, 4000);
  oauth_->ClearLoginFailures(Hash('k'));
  EXPECT_EQ(oauth_->CountLoginFailures(Hash('k'), 0).count, 0);
  EXPECT_EQ(oauth_->CountLoginFailures(Hash('l'), 0).count, 1);
}

TEST_P(OAuthStoreContract, PurgeDeletesExpiredAndRevokedAccessTokensOnly) {
  const TokenFamilyId family = RedeemedFamily('c');
  ASSERT_TRUE(oauth_->IssueTokens(family, "s1", Token('a', kNow + 10), Token('r')));
  ASSERT_EQ(RotateRefreshToken(*oauth_, Hash('r'), main_, kNow, Token('b', kNow + 11), Token('s')).status,
            RefreshRotateStatus::kRotated);
  ASSERT_EQ(RotateRefreshToken(*oauth_, Hash('s'), main_, kNow, Token('d', kNow + 100), Token('t')).status,
            RefreshRotateStatus::kRotated);
  store_->InsertToken(NewToken{Hash('k'), kAlice, "main-client", "s1", kNow + 10});  // the `token` command's
  store_->InsertToken(NewToken{Hash('l'), kAlice, "main-client", "s1", kNow + kHour});
  EXPECT_EQ(oauth_->RevokeToken(Hash('l'), main_), TokenRevokeStatus::kAccessTokenRevoked);

  const OAuthPurgeCounts counts = oauth_->PurgeUnusable(OAuthPurgeCutoffs{kNow + 11, 0, 0, 0});
  EXPECT_EQ(counts.access_tokens, 4) << "expired at or before now ('a', 'b', 'k') or revoked ('l')";
  for (char gone : {'a', 'b', 'k', 'l'}) EXPECT_FALSE(session_->FindToken(Hash(gone)).has_value()) << gone;
  EXPECT_FALSE(AccessRevoked('d')) << "a live access token stays";
  EXPECT_EQ(counts.refresh_tokens + counts.token_families + counts.authorization_codes, 0);
  EXPECT_EQ(RotateRefreshToken(*oauth_, Hash('r'), main_, kNow + 11, Token('e'), Token('u')).status,
            RefreshRotateStatus::kReplayed)
      << "a rotated refresh token still revokes its family";
  EXPECT_TRUE(AccessRevoked('d'));
}

TEST_P(OAuthStoreContract, PurgeKeepsRefreshTokensUntilTheCutoffAndEmptyFamiliesWithTheirCodesOnlyOnceOld) {
  const TokenFamilyId family = RedeemedFamily('c');  // opened at kNow
  ASSERT_TRUE(oauth_->IssueTokens(family, "s1", Token('a', kNow + 10), Token('r', kNow + 100)));
  ASSERT_EQ(RotateRefreshToken(*oauth_, Hash('r'), main_, kNow, Token('b', kNow + 10), Token('s', kNow + 200)).status,
            RefreshRotateStatus::kRotated);
  oauth_->InsertAuthorizationCode(  // never redeemed
      AuthorizationCodeRecord{Hash('x'), main_, kBob, "https://app.example.test/cb", "s1", "", kNow + 60});
  oauth_->InsertAuthorizationCode(
      AuthorizationCodeRecord{Hash('y'), main_, kBob, "https://app.example.test/cb", "s1", "", kNow + 61});

  OAuthPurgeCounts counts = oauth_->PurgeUnusable(OAuthPurgeCutoffs{kNow + 60, kNow + 100, kNow + 1000, 0});
  EXPECT_EQ(counts.access_tokens, 2);
  EXPECT_EQ(counts.refresh_tokens, 0) << "'r' expired at the cutoff, not before it";
  EXPECT_EQ(counts.token_families, 0) << "the family still holds refresh tokens";
  EXPECT_EQ(counts.authorization_codes, 1) << "the unredeemed code that expired by now";
  EXPECT_EQ(oauth_->RedeemAuthorizationCode(Hash('x'), kNow).status, CodeRedeemStatus::kNotFound);
  EXPECT_EQ(oauth_->RedeemAuthorizationCode(Hash('y'), kNow).status, CodeRedeemStatus::kRedeemed);

  counts = oauth_->PurgeUnusable(OAuthPurgeCutoffs{kNow + 60, kNow + 101, kNow, 0});
  EXPECT_EQ(counts.refresh_tokens, 1) << "the rotated 'r', expired before the cutoff";
  EXPECT_FALSE(oauth_->FindRefreshToken(Hash('r')).has_value());
  EXPECT_TRUE(oauth_->FindRefreshToken(Hash('s')).has_value());

  counts = oauth_->PurgeUnusable(OAuthPurgeCutoffs{kNow + 60, kNow + 201, kNow, 0});
  EXPECT_EQ(counts.refresh_tokens, 1);
  EXPECT_EQ(counts.token_families, 0) << "an empty family opened at the cutoff stays";
  EXPECT_EQ(oauth_->RedeemAuthorizationCode(Hash('c'), kNow).status, CodeRedeemStatus::kAlreadyUsed);

  counts = oauth_->PurgeUnusable(OAuthPurgeCutoffs{kNow + 60, kNow + 201, kNow + 1, 0});
  EXPECT_EQ(counts.token_families, 2) << "'c''s family and the one 'y' opened, both empty";
  EXPECT_EQ(counts.authorization_codes, 2) << "with the codes redeemed into them";
  EXPECT_EQ(oauth_->RedeemAuthorizationCode(Hash('c'), kNow).status, CodeRedeemStatus::kNotFound);
  EXPECT_FALSE(oauth_->IssueTokens(family, "s1", Token('e'), std::nullopt)) << "a purged family takes no tokens";
  EXPECT_FALSE(session_->FindToken(Hash('e')).has_value());
}

TEST_P(OAuthStoreContract, PurgeDeletesARevokedFamilysTokensAtOnceAndKeepsLiveFamilies) {
  const TokenFamilyId revoked = RedeemedFamily('c');
  ASSERT_TRUE(oauth_->IssueTokens(revoked, "s1", Token('a'), Token('r')));
  const TokenFamilyId live = oauth_->CreateTokenFamily(kBob, main_, kNow);
  ASSERT_TRUE(oauth_->IssueTokens(live, "s1", Token('b'), Token('s')));
  const TokenFamilyId implicit = oauth_->CreateTokenFamily(kBob, main_, kNow);
  ASSERT_TRUE(oauth_->IssueTokens(implicit, "s1", Token('i'), std::nullopt));
  oauth_->RevokeTokenFamily(revoked);

  const OAuthPurgeCounts counts = oauth_->PurgeUnusable(OAuthPurgeCutoffs{kNow, kNow, kNow + 1, 0});
  EXPECT_EQ(counts.access_tokens, 1);
  EXPECT_EQ(counts.refresh_tokens, 1);
  EXPECT_EQ(counts.token_families, 1);
  EXPECT_EQ(counts.authorization_codes, 1);
  EXPECT_FALSE(session_->FindToken(Hash('a')).has_value());
  EXPECT_FALSE(oauth_->FindRefreshToken(Hash('r')).has_value());
  EXPECT_FALSE(AccessRevoked('b'));
  EXPECT_FALSE(AccessRevoked('i'));
  EXPECT_EQ(RotateRefreshToken(*oauth_, Hash('s'), main_, kNow, Token('d'), Token('t')).status,
            RefreshRotateStatus::kRotated);
}

TEST_P(OAuthStoreContract, PurgeDeletesExpiredSessionsAndOldLoginFailures) {
  oauth_->CreateSession(Hash('s'), kAlice, LocalDateTime{5}, kNow + 10, kNow);
  oauth_->CreateSession(Hash('t'), kBob, LocalDateTime{5}, kNow + 11, kNow);
  oauth_->RecordLoginFailure(Hash('k'), 1000, 0);
  oauth_->RecordLoginFailure(Hash('k'), 2000, 0);
  oauth_->RecordLoginFailure(Hash('l'), 1500, 0);

  const OAuthPurgeCounts counts = oauth_->PurgeUnusable(OAuthPurgeCutoffs{kNow + 10, 0, 0, 2000});
  EXPECT_EQ(counts.login_sessions, 1);
  EXPECT_EQ(counts.login_failures, 2);
  EXPECT_FALSE(oauth_->FindSession(Hash('s'), kNow).has_value()) << "gone, even for an earlier clock";
  EXPECT_TRUE(oauth_->FindSession(Hash('t'), kNow).has_value());
  EXPECT_EQ(oauth_->CountLoginFailures(Hash('k'), 0).count, 1);
  EXPECT_EQ(oauth_->CountLoginFailures(Hash('l'), 0).count, 0);
}

TEST_P(OAuthStoreContract, PurgeWorksThroughBatchesOnASecondConnection) {
  // More rows than one batch of either backend, purged by another connection, as the server's sweeper does.
  constexpr int kTokens = 1200;
  for (int i = 0; i < kTokens; ++i) {
    std::string hash = std::to_string(i);
    hash.resize(32, 'z');
    store_->InsertToken(NewToken{hash, kAlice, "main-client", "s1", kNow + (i % 2)});
  }
  const auto sweeper = OpenOAuthStore(url_);
  EXPECT_EQ(sweeper->PurgeUnusable(OAuthPurgeCutoffs{kNow, 0, 0, 0}).access_tokens, kTokens / 2);
  EXPECT_EQ(sweeper->PurgeUnusable(OAuthPurgeCutoffs{kNow + 1, 0, 0, 0}).access_tokens, kTokens / 2);
  EXPECT_EQ(sweeper->PurgeUnusable(OAuthPurgeCutoffs{kNow + 1, 0, 0, 0}).access_tokens, 0);
}

TEST_P(OAuthStoreContract, TheSweeperKeepsARotatedRefreshTokenOneLifetimePastItsExpiryAndFailuresForTheWindow) {
  const OAuthRetention retention{std::chrono::seconds(100), std::chrono::milliseconds(60'000)};
  const TokenFamilyId family = RedeemedFamily('c');
  ASSERT_TRUE(oauth_->IssueTokens(family, "s1", Token('a', kNow + 10), Token('r', kNow + 100)));
  ASSERT_EQ(RotateRefreshToken(*oauth_, Hash('r'), main_, kNow, Token('b', kNow + 10), Token('s', kNow + 300)).status,
            RefreshRotateStatus::kRotated);
  oauth_->RecordLoginFailure(Hash('k'), (kNow + 139) * 1000, 0);
  oauth_->RecordLoginFailure(Hash('k'), (kNow + 142) * 1000, 0);

  OAuthPurgeCounts counts = LifecycleSweeper::PurgeOAuthOnce(*oauth_, retention, (kNow + 200) * 1000);
  EXPECT_EQ(counts.access_tokens, 2);
  EXPECT_EQ(counts.refresh_tokens, 0) << "'r' expired 100 s ago: kept one lifetime";
  EXPECT_EQ(counts.login_failures, 1) << "the one more than the back-off window (60 s) old";
  EXPECT_EQ(RotateRefreshToken(*oauth_, Hash('r'), main_, kNow + 200, Token('d'), Token('t')).status,
            RefreshRotateStatus::kReplayed)
      << "so that a replay still revokes its family";
  EXPECT_EQ(RotateRefreshToken(*oauth_, Hash('s'), main_, kNow + 200, Token('d'), Token('t')).status,
            RefreshRotateStatus::kRevoked);

  counts = LifecycleSweeper::PurgeOAuthOnce(*oauth_, retention, (kNow + 201) * 1000);
  EXPECT_EQ(counts.refresh_tokens, 2) << "'r' past its lifetime's grace and 's' revoked with its family";
  EXPECT_EQ(counts.token_families, 1);
  EXPECT_EQ(counts.authorization_codes, 1);
  EXPECT_EQ(counts.login_failures, 0);
  EXPECT_EQ(oauth_->CountLoginFailures(Hash('k'), 0).count, 1);
}

TEST(OAuthPurgeCutoffs, FollowTheRetentionAndKeepAnEmptyFamilyAtLeastHalfAMinute) {
  const OAuthPurgeCutoffs cutoffs =
      OAuthPurgeCutoffsAt(kNow * 1000 + 999, OAuthRetention{std::chrono::seconds(100), std::chrono::milliseconds(5)});
  EXPECT_EQ(cutoffs.now_unix, kNow);
  EXPECT_EQ(cutoffs.refresh_expired_before_unix, kNow - 100);
  EXPECT_EQ(cutoffs.families_opened_before_unix, kNow - 100);
  EXPECT_EQ(cutoffs.failures_before_unix_millis, kNow * 1000 + 994);
  EXPECT_EQ(OAuthPurgeCutoffsAt(kNow * 1000, OAuthRetention{std::chrono::seconds(1), std::chrono::milliseconds(5)})
                .families_opened_before_unix,
            kNow - 30);
}

INSTANTIATE_TEST_SUITE_P(Backends, OAuthStoreContract, ::testing::ValuesIn(AllBackends()),
                         [](const ::testing::TestParamInfo<Backend>& info) { return info.param.name; });

}  // namespace
}  // namespace phonechat::testing
