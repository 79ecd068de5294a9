#include "service/authentication.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include "auth/secrets.hpp"

namespace phonechat {
namespace {

constexpr std::int64_t kNow = 1'800'000'000;

// A real SQLite file with one user, two projects and tokens issued to the first.
class AuthenticationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = std::filesystem::temp_directory_path() /
            ("auth_test_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".db");
    std::filesystem::remove(path_);
    store_ = OpenStore("sqlite://" + path_.string());
    auto batch = store_->BeginWriteBatch();
    UserRecord user;
    user.user_id = 7;
    user.nickname = "Client";
    ASSERT_EQ(batch->PutUser(user, false), "");
    ProjectRecord first{"First", 7, "first-key", "first", std::nullopt, {}, false, true};
    ProjectRecord second{"Second", 7, "second-key", "second", std::nullopt, {}, false, true};
    ProjectRecord disabled{"Disabled", 7, "disabled-key", "disabled", std::nullopt, {}, false, false};
    ASSERT_EQ(batch->PutProject(first, false), "");
    ASSERT_EQ(batch->PutProject(second, false), "");
    ASSERT_EQ(batch->PutProject(disabled, false), "");
    batch->Commit();
    session_ = store_->OpenSession();
  }
  void TearDown() override {
    session_.reset();
    store_.reset();
    std::filesystem::remove(path_);
    std::filesystem::remove(path_.string() + "-wal");
    std::filesystem::remove(path_.string() + "-shm");
  }

  std::string Issue(std::string client_id, std::int64_t expires_at, std::string scopes = "account_phonechat_bookings") {
    std::string token = GenerateToken();
    store_->InsertToken(NewToken{Sha256(token), 7, std::move(client_id), std::move(scopes), expires_at});
    return token;
  }

  Result<Principal> Check(std::string header, std::vector<std::string_view> keys = {}) {
    header_ = std::move(header);
    return Authenticate(*session_, Credentials{header_, std::move(keys), false}, kNow);
  }

  std::filesystem::path path_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<StoreSession> session_;
  std::string header_;
};

TEST_F(AuthenticationTest, NoHeaderIsUnauthenticatedWithoutATokenPresented) {
  auto result = Authenticate(*session_, Credentials{}, kNow);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, ErrorCode::kUnauthenticated);
  EXPECT_FALSE(result.error().token_presented);
}

TEST_F(AuthenticationTest, ValidTokenYieldsItsPrincipalWithAnySchemeCase) {
  const std::string token = Issue("first", kNow + 60);
  for (std::string scheme : {"Bearer ", "bearer ", "BEARER  "}) {
    auto result = Check(scheme + token);
    ASSERT_TRUE(result) << scheme;
    EXPECT_EQ(result->user_id, 7);
    EXPECT_TRUE(result->HasScope("account_phonechat_bookings"));
  }
}

TEST_F(AuthenticationTest, UnknownExpiredRevokedAndMalformedTokensAreRefusedAsInvalid) {
  const std::string expired = Issue("first", kNow);
  const std::string revoked = Issue("first", kNow + 60);
  ASSERT_TRUE(store_->RevokeToken(Sha256(revoked)));
  for (std::string header :
       {"Bearer " + expired, "Bearer " + revoked, "Bearer " + GenerateToken(), std::string("Bearer"),
        std::string("Basic abc"), std::string("Bearer a b"), "Bearer " + std::string(kMaxTokenLength + 1, 'a')}) {
    auto result = Check(header);
    ASSERT_FALSE(result) << header;
    EXPECT_EQ(result.error().code, ErrorCode::kUnauthenticated);
    EXPECT_TRUE(result.error().token_presented);
  }
}

TEST_F(AuthenticationTest, ApiKeyMustBeTheActiveKeyOfTheTokensProject) {
  const std::string token = Issue("first", kNow + 60);
  EXPECT_TRUE(Check("Bearer " + token, {"first-key"}));
  for (std::string_view key : {"second-key", "disabled-key", "no-such-key"}) {
    auto result = Check("Bearer " + token, {key});
    ASSERT_FALSE(result) << key;
    EXPECT_EQ(result.error().code, ErrorCode::kBadApiKey);
    EXPECT_NE(result.error().message.find("API key"), std::string::npos);
  }
}

TEST_F(AuthenticationTest, BadTokenWinsOverBadApiKey) {
  auto result = Check("Bearer " + GenerateToken(), {"no-such-key"});
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, ErrorCode::kUnauthenticated);
}

TEST_F(AuthenticationTest, ScopeMustBeGrantedExactly) {
  const std::string token = Issue("first", kNow + 60, "account_phonechat_bookings_read other");
  auto principal = Check("Bearer " + token);
  ASSERT_TRUE(principal);
  auto allowed = RequireScope(*principal, "account_phonechat_bookings");
  ASSERT_FALSE(allowed);
  EXPECT_EQ(allowed.error().code, ErrorCode::kInsufficientScope);
  EXPECT_EQ(allowed.error().required_scope, "account_phonechat_bookings");
}

}  // namespace
}  // namespace phonechat
