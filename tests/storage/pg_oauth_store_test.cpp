// What only the PostgreSQL Unified Login store has: several server processes sharing one database. Each process is
// played by an OAuthStore of its own (its own connections); threads of both race on one code, one refresh token,
// one family, one grant. Every race must end as if the calls had run one after another: one redemption or rotation
// wins, the others see the reuse rule, and no live token survives a revocation. Needs PHONECHAT_TEST_PG_URL (a
// server where the test may create databases); each test creates and drops a database of its own.

#include "storage/postgres/pg_oauth_store.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <functional>
#include <latch>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/error.hpp"
#include "service/refresh_rotation.hpp"
#include "storage/oauth_store.hpp"
#include "storage/postgres/pg_connection.hpp"

namespace phonechat::testing {
namespace {

constexpr std::int64_t kNow = 1'700'000'000;  // Unix seconds
constexpr std::int64_t kHour = 3600;
constexpr UserId kAlice = 10;
constexpr UserId kCarol = 12;
constexpr int kThreadsPerStore = 3;
constexpr int kRounds = 15;

// A 32-byte stand-in hash, distinct for every (tag, round, index).
std::string Hash(char tag, int round, int index = 0) {
  std::string hash = std::string(1, tag) + std::to_string(round) + "-" + std::to_string(index);
  hash.resize(32, '.');
  return hash;
}

TokenToIssue Token(char tag, int round, int index = 0) { return TokenToIssue{Hash(tag, round, index), kNow + kHour}; }

// `url` with its database name replaced by `database` (query parameters kept).
std::string WithDatabase(const std::string& url, const std::string& database) {
  const auto authority = url.find("://");
  if (authority == std::string::npos) throw std::runtime_error("PHONECHAT_TEST_PG_URL is not a URI: " + url);
  const auto path = url.find_first_of("/?", authority + 3);
  const auto query = url.find('?', authority + 3);
  return url.substr(0, path) + "/" + database + (query == std::string::npos ? "" : url.substr(query));
}

// A database of its own on the test server, dropped (with any connection left to it) on destruction.
class ScratchDatabase {
 public:
  explicit ScratchDatabase(const std::string& admin_url) : admin_(admin_url) {
    std::random_device random;
    name_ = "pc_test_" + std::to_string(random()) + std::to_string(random());
    admin_.Exec("CREATE DATABASE " + name_);
    url_ = WithDatabase(admin_url, name_);
  }
  ~ScratchDatabase() {
    try {
      admin_.Exec("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
    } catch (const std::exception& e) {
      ADD_FAILURE() << "cannot drop " << name_ << ": " << e.what();
    }
  }
  ScratchDatabase(const ScratchDatabase&) = delete;
  ScratchDatabase& operator=(const ScratchDatabase&) = delete;

  [[nodiscard]] const std::string& Url() const { return url_; }
  [[nodiscard]] const std::string& Name() const { return name_; }
  // A connection to the server's maintenance database.
  pg::Connection& Admin() { return admin_; }

 private:
  pg::Connection admin_;
  std::string name_;
  std::string url_;
};

// Runs every body at once (released together), one thread each, and waits for all.
void RaceAll(const std::vector<std::function<void()>>& bodies) {
  std::latch start(static_cast<std::ptrdiff_t>(bodies.size()));
  std::vector<std::thread> threads;
  for (const auto& body : bodies) {
    threads.emplace_back([&start, &body] {
      start.arrive_and_wait();
      body();
    });
  }
  for (auto& thread : threads) thread.join();
}

class PgOAuthStoreRaces : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* admin_url = std::getenv("PHONECHAT_TEST_PG_URL");
    if (admin_url == nullptr || *admin_url == '\0') GTEST_SKIP() << "PHONECHAT_TEST_PG_URL is not set";
    database_ = std::make_unique<ScratchDatabase>(admin_url);
    first_ = OpenPostgresOAuthStore(database_->Url());  // migrates
    second_ = OpenPostgresOAuthStore(database_->Url());
    raw_ = std::make_unique<pg::Connection>(database_->Url());
    raw_->Exec("INSERT INTO users (user_id, nickname) VALUES (10, 'Alice'), (11, 'bob'), (12, 'Carol')");
    main_ = first_->CreateProject(Project("main-client", "main-key"));
  }

  static ProjectRecord Project(const std::string& client_id, const std::string& api_key) {
    ProjectRecord project;
    project.name = "Project " + client_id;
    project.owner_user_id = kCarol;
    project.api_key = api_key;
    project.client_id = client_id;
    project.redirect_uris = {"https://app.example.test/cb"};
    return project;
  }

  // The store of the `index`-th racing thread: half the threads play one process, half the other.
  OAuthStore& StoreOf(int index) { return index % 2 == 0 ? *first_ : *second_; }

  std::int64_t Count(const std::string& sql, std::int64_t argument) {
    const pg::IntText text(argument);
    return raw_->Exec(sql, {text.AsParam()}).Int(0, 0);
  }

  // Tokens of `family` (access and refresh) that are still live.
  std::int64_t LiveTokens(TokenFamilyId family) {
    return Count("SELECT count(*) FROM tokens WHERE family_id = $1 AND NOT revoked", family) +
           Count("SELECT count(*) FROM refresh_tokens WHERE family_id = $1 AND NOT revoked", family);
  }

  std::int64_t LiveTokensOfAliceForMain() {
    return Count("SELECT count(*) FROM tokens WHERE user_id = 10 AND project_id = $1 AND NOT revoked", main_) +
           Count("SELECT count(*) FROM refresh_tokens WHERE user_id = 10 AND project_id = $1 AND NOT revoked", main_);
  }

  std::unique_ptr<ScratchDatabase> database_;
  std::unique_ptr<OAuthStore> first_;
  std::unique_ptr<OAuthStore> second_;
  std::unique_ptr<pg::Connection> raw_;
  ProjectId main_ = 0;
};

TEST_F(PgOAuthStoreRaces, TwoProcessesRedeemingOneCodeRedeemItOnceAndTheReuseRevokesEveryTokenIssuedFromIt) {
  for (int round = 0; round < kRounds; ++round) {
    first_->InsertAuthorizationCode(
        AuthorizationCodeRecord{Hash('c', round), main_, kAlice, "https://app.example.test/cb", "s1", "", kNow + 60});
    std::vector<CodeRedemption> outcomes(2 * kThreadsPerStore);
    std::vector<std::function<void()>> bodies;
    for (int i = 0; i < 2 * kThreadsPerStore; ++i) {
      bodies.emplace_back([&, i] {
        auto& store = StoreOf(i);
        auto& outcome = outcomes[static_cast<std::size_t>(i)];
        outcome = store.RedeemAuthorizationCode(Hash('c', round), kNow);
        // The winner issues at once, racing the losers' revocations: its tokens must not outlive them.
        if (outcome.status == CodeRedeemStatus::kRedeemed) {
          store.IssueTokens(outcome.family, "s1", Token('a', round, i), Token('r', round, i));
        }
      });
    }
    RaceAll(bodies);

    int redeemed = 0;
    int reused = 0;
    TokenFamilyId family = 0;
    for (const auto& outcome : outcomes) {
      if (outcome.status == CodeRedeemStatus::kRedeemed) {
        ++redeemed;
        family = outcome.family;
      }
      if (outcome.status == CodeRedeemStatus::kAlreadyUsed) ++reused;
    }
    ASSERT_EQ(redeemed, 1) << "round " << round;
    EXPECT_EQ(reused, 2 * kThreadsPerStore - 1) << "round " << round;
    EXPECT_EQ(LiveTokens(family), 0) << "round " << round << ": every reuse revoked the family";
    EXPECT_FALSE(second_->IssueTokens(family, "s1", Token('z', round), std::nullopt));
  }
  EXPECT_EQ(Count("SELECT count(*) FROM token_families WHERE project_id = $1", main_), kRounds)
      << "one family per code";
}

TEST_F(PgOAuthStoreRaces, TwoProcessesRotatingOneRefreshTokenRotateItOnceAndTheReplayRevokesTheFamily) {
  for (int round = 0; round < kRounds; ++round) {
    const TokenFamilyId family = first_->CreateTokenFamily(kAlice, main_, kNow);
    ASSERT_TRUE(first_->IssueTokens(family, "s1", Token('a', round), Token('r', round)));
    std::vector<RefreshRotation> outcomes(2 * kThreadsPerStore);
    std::vector<std::function<void()>> bodies;
    for (int i = 0; i < 2 * kThreadsPerStore; ++i) {
      bodies.emplace_back([&, i] {
        outcomes[static_cast<std::size_t>(i)] =
            RotateRefreshToken(StoreOf(i), Hash('r', round), main_, kNow, Token('b', round, i), Token('s', round, i));
      });
    }
    RaceAll(bodies);

    int rotated = 0;
    int replayed = 0;
    int revoked = 0;
    for (const auto& outcome : outcomes) {
      if (outcome.status == RefreshRotateStatus::kRotated) ++rotated;
      if (outcome.status == RefreshRotateStatus::kReplayed) ++replayed;
      if (outcome.status == RefreshRotateStatus::kRevoked) ++revoked;
    }
    ASSERT_EQ(rotated, 1) << "round " << round;
    EXPECT_GE(replayed, 1) << "round " << round << ": the first loser replays a rotated token";
    EXPECT_EQ(replayed + revoked, 2 * kThreadsPerStore - 1)
        << "round " << round << ": later losers find the family revoked";
    EXPECT_EQ(Count("SELECT count(*) FROM refresh_tokens WHERE family_id = $1", family), 2)
        << "round " << round << ": one successor only";
    EXPECT_EQ(Count("SELECT count(*) FROM tokens WHERE family_id = $1", family), 2) << "round " << round;
    EXPECT_EQ(LiveTokens(family), 0) << "round " << round << ": the winner's successors died with the family";
  }
}

TEST_F(PgOAuthStoreRaces, RevokingAFamilyWhileAnotherProcessIssuesIntoItLeavesNoLiveToken) {
  int issued = 0;
  for (int round = 0; round < kRounds; ++round) {
    const TokenFamilyId family = first_->CreateTokenFamily(kAlice, main_, kNow);
    bool stored = false;
    RaceAll({[&] { stored = first_->IssueTokens(family, "s1", Token('a', round), Token('r', round)); },
             [&] { second_->RevokeTokenFamily(family); }});
    issued += stored ? 1 : 0;
    EXPECT_EQ(LiveTokens(family), 0) << "round " << round << (stored ? " (issued first)" : " (revoked first)");
    EXPECT_FALSE(first_->IssueTokens(family, "s1", Token('z', round), std::nullopt));
  }
  RecordProperty("issued_before_revocation", issued);
}

TEST_F(PgOAuthStoreRaces, RevokingAGrantWhileAnotherProcessRedeemsACodeLeavesNoLiveToken) {
  for (int round = 0; round < kRounds; ++round) {
    first_->AddGrant(kAlice, main_, {"s1"}, LocalDateTime{round});
    first_->InsertAuthorizationCode(
        AuthorizationCodeRecord{Hash('c', round), main_, kAlice, "https://app.example.test/cb", "s1", "", kNow + 60});
    const TokenFamilyId implicit = first_->CreateTokenFamily(kAlice, main_, kNow);
    bool revoked = false;
    RaceAll({[&] {
               const auto redemption = first_->RedeemAuthorizationCode(Hash('c', round), kNow);
               if (redemption.status == CodeRedeemStatus::kRedeemed) {
                 first_->IssueTokens(redemption.family, "s1", Token('a', round), Token('r', round));
               }
             },
             [&] { first_->IssueTokens(implicit, "s1", Token('i', round), Token('j', round)); },
             [&] { revoked = second_->RevokeGrant(kAlice, main_); }});
    EXPECT_TRUE(revoked) << "round " << round;
    EXPECT_EQ(LiveTokensOfAliceForMain(), 0) << "round " << round;
    EXPECT_NE(first_->RedeemAuthorizationCode(Hash('c', round), kNow).status, CodeRedeemStatus::kRedeemed);
  }
}

TEST_F(PgOAuthStoreRaces, ConsentsFromTwoProcessesAtOnceKeepEveryScope) {
  for (int round = 0; round < kRounds; ++round) {
    const ProjectId project =
        first_->CreateProject(Project("client-" + std::to_string(round), "key-" + std::to_string(round)));
    std::vector<std::function<void()>> bodies;
    std::set<std::string> expected;
    for (int i = 0; i < 2 * kThreadsPerStore; ++i) {
      expected.insert("scope" + std::to_string(i));
      bodies.emplace_back([&, i] {
        StoreOf(i).AddGrant(kAlice, project, {"scope" + std::to_string(i), "shared"}, LocalDateTime{i});
      });
    }
    expected.insert("shared");
    RaceAll(bodies);
    const auto grant = first_->FindGrant(kAlice, project);
    ASSERT_TRUE(grant.has_value());
    EXPECT_EQ(std::set<std::string>(grant->begin(), grant->end()), expected) << "round " << round;
    EXPECT_EQ(grant->size(), expected.size()) << "round " << round << ": no scope twice";
  }
}

TEST_F(PgOAuthStoreRaces, ALostConnectionIsReportedUnavailableWithoutHalfAStepAndTheNextCallReconnects) {
  first_->InsertAuthorizationCode(
      AuthorizationCodeRecord{Hash('c', 0), main_, kAlice, "https://app.example.test/cb", "s1", "", kNow + 60});
  ASSERT_EQ(first_->ListProjects().size(), 1u);
  const auto terminate = [&] {
    database_->Admin().Exec(
        "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
        {pg::Param::Text(database_->Name())});
  };

  terminate();
  EXPECT_THROW(first_->RedeemAuthorizationCode(Hash('c', 0), kNow), StoreUnavailable);
  const auto redemption = first_->RedeemAuthorizationCode(Hash('c', 0), kNow);
  EXPECT_EQ(redemption.status, CodeRedeemStatus::kRedeemed) << "the failed attempt redeemed nothing";

  terminate();
  EXPECT_THROW(first_->ListProjects(), StoreUnavailable);
  EXPECT_EQ(first_->ListProjects().size(), 1u);
  EXPECT_TRUE(first_->IssueTokens(redemption.family, "s1", Token('a', 0), Token('r', 0)));
}

TEST_F(PgOAuthStoreRaces, ALoginOrClientIdHoldingNulFindsNothingRatherThanWhatItsPrefixNames) {
  using namespace std::string_literals;
  ASSERT_EQ(first_->FindLoginAccounts("alice").size(), 1u);
  EXPECT_TRUE(first_->FindLoginAccounts("alice\0x"s).empty());
  EXPECT_FALSE(first_->FindProjectByClientId("main-client\0x"s).has_value());
  EXPECT_FALSE(first_->SetProjectActive("main-client\0x"s, false));
  EXPECT_FALSE(first_->SetRedirectUris("main-client\0x"s, {"https://evil.example.test/cb"}));
  EXPECT_TRUE(first_->FindProjectByClientId("main-client")->active);
  EXPECT_EQ(first_->FindProjectByClientId("main-client")->redirect_uris,
            std::vector<std::string>{"https://app.example.test/cb"});
}

TEST(PgOAuthStoreOpen, AnUnreachableServerIsAUsageErrorThatHidesThePassword) {
  try {
    OpenPostgresOAuthStore("postgresql://someone:s3cret-word@127.0.0.1:1/nothing?connect_timeout=2");
    FAIL() << "opened an unreachable server";
  } catch (const UsageError& e) {
    EXPECT_EQ(std::string(e.what()).find("s3cret-word"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace phonechat::testing
