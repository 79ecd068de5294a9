// The Unified Login's rules over an OAuthStore, and the login back-off they apply.
#pragma once

#include <chrono>
#include <memory>

#include "service/oauth_service.hpp"
#include "service/service_clock.hpp"
#include "storage/oauth_store.hpp"

namespace phonechat {

// The login back-off (docs/security.md, "Limits and timeouts"): once a login name or a client address has
// `free_failures` failures within `window`, each further attempt is refused without checking the password
// until `first_delay * 2^(failures - free_failures)` (at most `max_delay`) has passed since the latest
// failure. Refused attempts do not count, so the delay always ends: the real user is never locked out for good.
struct LoginBackoff {
  int free_failures = 5;
  std::chrono::milliseconds window{15 * 60 * 1000};
  std::chrono::milliseconds first_delay{1000};
  std::chrono::milliseconds max_delay{5 * 60 * 1000};
};

// The Unified Login's rules on `store`. Stored local times come from `clock` (which must outlive the service);
// expiries are real Unix time (ServiceClock::UnixSecondsNow), as the API checks them.
// Choices where OAuth 2.0 leaves room (docs/api.md, "Unified Login"):
// - an empty `scope` is `invalid_scope` (there is no default scope);
// - `redirect_uri` may be left out at the token endpoint (the published documentation's exchange sends only
//   `code`, `client_id` and `client_secret`); when sent, it must equal the authorization request's;
// - a code presented by the wrong client, with the wrong verifier or after its expiry is consumed all the same;
// - revoking another client's token answers 200 and leaves the token alone;
// - VerifyCredentials shows a user's own group, or for a manager who belongs to none, the first group they manage.
std::unique_ptr<OAuthService> MakeOAuthService(std::unique_ptr<OAuthStore> store, const ServiceClock& clock,
                                               OAuthLifetimes lifetimes, LoginBackoff backoff = {});

}  // namespace phonechat
