// Login: Argon2id check, identical failures, sessions, and the back-off that slows guessing without locking the
// real user out for good.

#include <gtest/gtest.h>

#include <thread>

#include "auth/secrets.hpp"
#include "oauth_test_support.hpp"

namespace phonechat::testing {
namespace {

class LoginTest : public ::testing::Test {
 protected:
  OAuthDatabase db_;
};

bool Failed(const LoginOutcome& outcome) { return !outcome.session && !outcome.throttled; }

TEST_F(LoginTest, TheRightPasswordByNicknameOrEmailOpensASessionUntilLogout) {
  auto service = db_.MakeService();
  for (const char* login : {"Alice", "alice", "ALICE@example.test"}) {
    const auto outcome = service->Login(login, kPassword, "192.0.2.1");
    ASSERT_TRUE(outcome.session.has_value()) << login;
    EXPECT_FALSE(outcome.throttled);
    EXPECT_EQ(outcome.session->session.user_id, kAlice);
    EXPECT_EQ(outcome.session->session.nickname, "Alice");
    const auto found = service->FindSession(outcome.session->cookie_value);
    ASSERT_TRUE(found.has_value());
    EXPECT_EQ(found->user_id, kAlice);
    EXPECT_EQ(found->nickname, "Alice");
    EXPECT_GE(outcome.session->cookie_value.size(), 43u) << "at least 256 random bits";
    EXPECT_EQ(db_.RawBytes().find(outcome.session->cookie_value), std::string::npos) << "stored only hashed";
    service->EndSession(outcome.session->cookie_value);
    EXPECT_FALSE(service->FindSession(outcome.session->cookie_value).has_value());
  }
  EXPECT_FALSE(service->FindSession("not-a-session").has_value());
  EXPECT_FALSE(service->FindSession("").has_value());
  service->EndSession("not-a-session");
}

TEST_F(LoginTest, SessionsExpire) {
  OAuthLifetimes lifetimes;
  lifetimes.login_session = std::chrono::seconds(0);
  auto service = db_.MakeService(lifetimes);
  const auto outcome = service->Login("Bob", kPassword, "192.0.2.1");
  ASSERT_TRUE(outcome.session.has_value());
  EXPECT_FALSE(service->FindSession(outcome.session->cookie_value).has_value());
}

TEST_F(LoginTest, UnknownUserWrongPasswordAndNoPasswordFailAlike) {
  auto service = db_.MakeService();
  EXPECT_TRUE(Failed(service->Login("Alice", "wrong-password", "192.0.2.1")));
  EXPECT_TRUE(Failed(service->Login("Nobody", kPassword, "192.0.2.2")));
  EXPECT_TRUE(Failed(service->Login("NoPassword", "", "192.0.2.3")));
  EXPECT_TRUE(Failed(service->Login("NoPassword", kPassword, "192.0.2.3")));
  EXPECT_TRUE(Failed(service->Login("", "", "192.0.2.4")));
  EXPECT_TRUE(Failed(service->Login("Alice", "", "192.0.2.5")));
}

TEST_F(LoginTest, AnEmptyLoginNamesNoOneEvenWhenAnEmailAddressOnFileIsEmpty) {
  {
    auto batch = db_.GetStore().BeginWriteBatch();
    UserRecord user;
    user.user_id = 150;
    user.nickname = "EmptyMail";
    user.email_address = "";
    user.password_hash = HashPassword(kPassword);
    ASSERT_EQ(batch->PutUser(user, false), "");
    batch->Commit();
  }
  auto service = db_.MakeService();
  EXPECT_TRUE(Failed(service->Login("", kPassword, "192.0.2.1")));
  EXPECT_TRUE(service->Login("EmptyMail", kPassword, "192.0.2.1").session.has_value());
}

TEST_F(LoginTest, AfterFiveFailuresEvenTheRightPasswordIsRefusedUntilTheDelayPasses) {
  auto service = db_.MakeService();
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(Failed(service->Login("Alice", "wrong-password", "192.0.2.1"))) << i;
  const auto throttled = service->Login("alice", kPassword, "192.0.2.99");
  EXPECT_TRUE(throttled.throttled) << "the login name is throttled from any address, in any case";
  EXPECT_FALSE(throttled.session.has_value());
  EXPECT_EQ(throttled.retry_after, std::chrono::seconds(1)) << "2^(5-5) s after the fifth failure";
  EXPECT_TRUE(service->Login("Alice", "wrong-password", "192.0.2.99").throttled);
  EXPECT_FALSE(service->Login("Bob", kPassword, "192.0.2.98").throttled) << "other users are not slowed";

  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  const auto after = service->Login("Alice", kPassword, "192.0.2.99");
  ASSERT_TRUE(after.session.has_value()) << "the real user gets in once the delay has passed";
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(Failed(service->Login("Alice", "wrong-password", "192.0.2.99"))) << i;
  EXPECT_TRUE(service->Login("Alice", kPassword, "192.0.2.99").session.has_value())
      << "a success cleared the login name's failures";
}

TEST_F(LoginTest, TheDelayDoublesWithEachFailureUpToTheCap) {
  LoginBackoff backoff;
  backoff.free_failures = 2;
  backoff.first_delay = std::chrono::seconds(1);
  backoff.max_delay = std::chrono::seconds(2);
  auto service = db_.MakeService({}, backoff);
  ASSERT_TRUE(Failed(service->Login("Bob", "wrong-password", "")));
  ASSERT_TRUE(Failed(service->Login("Bob", "wrong-password", "")));
  EXPECT_EQ(service->Login("Bob", kPassword, "").retry_after, std::chrono::seconds(1));
  std::this_thread::sleep_for(std::chrono::milliseconds(1050));
  ASSERT_TRUE(Failed(service->Login("Bob", "wrong-password", "")));
  EXPECT_EQ(service->Login("Bob", kPassword, "").retry_after, std::chrono::seconds(2));
  std::this_thread::sleep_for(std::chrono::milliseconds(2050));
  ASSERT_TRUE(Failed(service->Login("Bob", "wrong-password", "")));
  EXPECT_EQ(service->Login("Bob", kPassword, "").retry_after, std::chrono::seconds(2)) << "capped";
}

TEST_F(LoginTest, FailuresFromOneAddressThrottleThatAddressForEveryLoginName) {
  auto service = db_.MakeService();
  for (const char* name : {"guess1", "guess2", "guess3", "guess4", "guess5"}) {
    ASSERT_TRUE(Failed(service->Login(name, "x", "198.51.100.7"))) << name;
  }
  EXPECT_TRUE(service->Login("Bob", kPassword, "198.51.100.7").throttled);
  EXPECT_TRUE(service->Login("Bob", kPassword, "198.51.100.8").session.has_value());
}

TEST_F(LoginTest, ParallelGuessesCountAgainstEachOther) {
  auto service = db_.MakeService();
  constexpr int kAttempts = 10;
  std::vector<LoginOutcome> outcomes(kAttempts);
  std::vector<std::thread> threads;
  for (int i = 0; i < kAttempts; ++i) {
    threads.emplace_back([&, i] { outcomes[static_cast<std::size_t>(i)] = service->Login("Alice", "wrong", ""); });
  }
  for (auto& thread : threads) thread.join();
  const auto checked = std::count_if(outcomes.begin(), outcomes.end(), [](const auto& o) { return !o.throttled; });
  EXPECT_LE(checked, 5) << "no more passwords are checked than the back-off allows";
  EXPECT_GE(checked, 1);
}

}  // namespace
}  // namespace phonechat::testing
