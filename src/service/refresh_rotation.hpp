// The refresh-token rotation rule, decided from what the store read before it rotates anything.
#pragma once

// The refresh-token rotation rule (docs/api.md "Refresh", docs/security.md): which presented refresh token is
// exchanged for successors, which is refused, and which replay revokes its whole family.

#include <cstdint>
#include <optional>
#include <string_view>

#include "storage/oauth_store.hpp"

namespace phonechat {

// What presenting a refresh token came to.
enum class RefreshRotateStatus {
  kRotated,      // valid: marked rotated, the successor access and refresh tokens stored
  kReplayed,     // already rotated: the whole family (access and refresh tokens) has just been revoked
  kExpired,      // past its expiry; nothing changed
  kRevoked,      // revoked (itself, its family or its grant); nothing changed
  kWrongClient,  // issued to another project; nothing changed
  kNotFound,
};

// The outcome of RotateRefreshToken.
struct RefreshRotation {
  RefreshRotateStatus status = RefreshRotateStatus::kNotFound;
  std::optional<RefreshTokenRecord> token;  // the presented token, when kRotated or kExpired
};

// What the refresh token in `state`, presented by `project_id` at `now_unix`, comes to (kNotFound never): the
// first of kWrongClient, kRevoked, kReplayed (rotated before), kExpired, else kRotated.
RefreshRotateStatus DecideRotation(const RefreshTokenState& state, ProjectId project_id, std::int64_t now_unix);

// Presents the refresh token with `token_hash` for `project_id` at `now_unix` to `store` and does what
// DecideRotation says: rotates it into `next_access` and `next_refresh`, or revokes its family on a replay. Of
// several concurrent presentations (any process) exactly one rotates; the others find it rotated (a replay) or
// its family revoked.
RefreshRotation RotateRefreshToken(OAuthStore& store, std::string_view token_hash, ProjectId project_id,
                                   std::int64_t now_unix, const TokenToIssue& next_access,
                                   const TokenToIssue& next_refresh);

}  // namespace phonechat
