// The refresh-token rotation rule above OAuthStore's atomic steps: read, decide, then rotate only if still live.

#include "service/refresh_rotation.hpp"

#include <stdexcept>
#include <utility>

namespace phonechat {

RefreshRotateStatus DecideRotation(const RefreshTokenState& state, ProjectId project_id, std::int64_t now_unix) {
  if (state.token.project_id != project_id) return RefreshRotateStatus::kWrongClient;
  if (state.revoked) return RefreshRotateStatus::kRevoked;
  if (state.rotated) return RefreshRotateStatus::kReplayed;
  if (state.token.expires_at_unix <= now_unix) return RefreshRotateStatus::kExpired;
  return RefreshRotateStatus::kRotated;
}

RefreshRotation RotateRefreshToken(OAuthStore& store, std::string_view token_hash, ProjectId project_id,
                                   std::int64_t now_unix, const TokenToIssue& next_access,
                                   const TokenToIssue& next_refresh) {
  // The decision is made on a plain read; the rotation itself is conditional on the token still being live, so a
  // concurrent rotation or revocation in between makes it fail, and the token is read and decided on again. Both
  // only ever turn a token from live to dead, so the second reading cannot decide to rotate again.
  for (int reading = 0; reading < 2; ++reading) {
    std::optional<RefreshTokenState> state = store.FindRefreshToken(token_hash);
    if (!state) return RefreshRotation{};
    RefreshRotation rotation{DecideRotation(*state, project_id, now_unix), std::nullopt};
    switch (rotation.status) {
      case RefreshRotateStatus::kRotated:
        if (!store.RotateRefreshTokenIfLive(token_hash, next_access, next_refresh)) continue;
        rotation.token = std::move(state->token);
        return rotation;
      case RefreshRotateStatus::kReplayed:
        // Presenting a rotated token again means it leaked: nothing descended from it may stay usable.
        store.RevokeTokenFamily(state->token.family);
        return rotation;
      case RefreshRotateStatus::kExpired:
        rotation.token = std::move(state->token);
        return rotation;
      case RefreshRotateStatus::kRevoked:
      case RefreshRotateStatus::kWrongClient:
      case RefreshRotateStatus::kNotFound:
        return rotation;
    }
  }
  throw std::runtime_error("a refresh token that could not be rotated still reads as live");
}

}  // namespace phonechat
