// The refresh-token rotation rule on its own: which presented token is rotated, refused or taken as a replay, and
// in which order the reasons are checked.

#include "service/refresh_rotation.hpp"

#include <gtest/gtest.h>

namespace phonechat::testing {
namespace {

constexpr std::int64_t kNow = 1'700'000'000;  // Unix seconds
constexpr ProjectId kMain = 1;
constexpr ProjectId kOther = 2;

RefreshTokenState Live() {
  RefreshTokenState state;
  state.token = RefreshTokenRecord{7, kMain, 10, "s1", kNow + 1};
  return state;
}

TEST(DecideRotation, ALiveTokenOfThePresentingClientBeforeItsExpiryRotates) {
  EXPECT_EQ(DecideRotation(Live(), kMain, kNow), RefreshRotateStatus::kRotated);
}

TEST(DecideRotation, ATokenExpiresAtItsExpirySecond) {
  EXPECT_EQ(DecideRotation(Live(), kMain, kNow + 1), RefreshRotateStatus::kExpired);
}

TEST(DecideRotation, ARotatedTokenPresentedAgainIsAReplay) {
  auto state = Live();
  state.rotated = true;
  EXPECT_EQ(DecideRotation(state, kMain, kNow), RefreshRotateStatus::kReplayed);
  EXPECT_EQ(DecideRotation(state, kMain, kNow + 100), RefreshRotateStatus::kReplayed) << "even after its expiry";
}

TEST(DecideRotation, ARevokedTokenIsRevokedWhetherRotatedOrExpired) {
  auto state = Live();
  state.revoked = true;
  state.rotated = true;
  EXPECT_EQ(DecideRotation(state, kMain, kNow + 100), RefreshRotateStatus::kRevoked);
}

TEST(DecideRotation, AnotherClientsTokenIsWrongClientWhateverItsState) {
  auto state = Live();
  EXPECT_EQ(DecideRotation(state, kOther, kNow), RefreshRotateStatus::kWrongClient);
  state.revoked = true;
  state.rotated = true;
  EXPECT_EQ(DecideRotation(state, kOther, kNow + 100), RefreshRotateStatus::kWrongClient)
      << "another client's presentation never revokes anything";
}

}  // namespace
}  // namespace phonechat::testing
