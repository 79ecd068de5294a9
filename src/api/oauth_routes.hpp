// The Unified Login's routes: the HTML pages (login_pages.cpp), the token endpoint (token_endpoint.cpp) and the
// /v1/Account routes (account_routes.cpp).
#pragma once

#include <string_view>

#include "api/content_negotiation.hpp"
#include "domain/principal.hpp"
#include "http/server.hpp"
#include "service/oauth_service.hpp"
#include "service/rate_limiter.hpp"

namespace phonechat {

// The Unified Login's HTTP side: each handler translates one route between HTTP and OAuthService, and holds no
// rule of its own. Handlers that call a SLOW service method answer with `deferred` work: the call runs on the
// server's blocking pool and the page or JSON is built afterwards on the serving thread. A handler never throws:
// a failure of the service becomes a 500 (503 when the store is unavailable) in the route's own format.

// ---------------------------------------------------------------------------------------------- login_pages.cpp

// `GET /OAuth/Authorize`: error page (400) or redirect (302) for an invalid request, else the login page (no
// session), the consent page (scopes not yet granted) or a 302 straight to the client.
http::Response AuthorizeGet(OAuthService& service, const http::Request& request);

// `POST /OAuth/Authorize` (form, CSRF-checked; 403 on mismatch): `action` = login, cancel, allow or deny. A good
// login answers 303 to the same URL; a failed one shows the login page again (401, or 429 with Retry-After when
// throttled); the others answer 303 to the client.
http::Response AuthorizePost(OAuthService& service, const http::Request& request);

// `GET /OAuth/Grants`: the signed-in user's authorized projects, or the login page (posting here) when there is
// no session.
http::Response GrantsGet(OAuthService& service, const http::Request& request);

// `POST /OAuth/Grants` (form, CSRF-checked): `action` = login (as on the authorize page, 303 here on success) or
// revoke (`project_id`; 303 here).
http::Response GrantsPost(OAuthService& service, const http::Request& request);

// `POST /OAuth/Logout` (form, CSRF-checked): ends the session, clears its cookie, 303 to /OAuth/Grants.
http::Response LogoutPost(OAuthService& service, const http::Request& request);

// ------------------------------------------------------------------------------------------- token_endpoint.cpp

// `POST /OAuth/token`: form body and client credentials (form or HTTP Basic) to the service; JSON answer with
// Cache-Control: no-store and Pragma: no-cache (RFC 6749 §5). `client_failures`, when set, counts failed client
// authentications per client_id and per client address, and answers 429 `slow_down` while either is used up.
http::Response TokenPost(OAuthService& service, const http::Request& request, RateLimiter* client_failures = nullptr);

// `POST /OAuth/revoke` (RFC 7009): as the token endpoint; success is 200 with an empty body.
http::Response RevokePost(OAuthService& service, const http::Request& request, RateLimiter* client_failures = nullptr);

// `GET /.well-known/oauth-authorization-server` (RFC 8414) of the configured `issuer`, never of the request's Host.
http::Response AuthorizationServerMetadata(std::string_view issuer);

// ------------------------------------------------------------------------------------------- account_routes.cpp

// `GET /v1/Account/VerifyCredentials` for an authenticated principal: `UserID`, `Nickname`, and with
// account_information `GroupID`, `GroupName`, `IsGroupManager`; JSON or DataContract XML per `format`.
http::Response VerifyCredentials(OAuthService& service, const Principal& principal, const NegotiatedFormat& format);

// `GET /v1/Account/GetPermissions`: every scope of the principal's token as granted; JSON or XML per `format`.
http::Response GetPermissions(const Principal& principal, const NegotiatedFormat& format);

// The OAuth routes' answer while no OAuthService is configured: 503 in the negotiated format.
http::Response OAuthUnavailable(const NegotiatedFormat& format);

}  // namespace phonechat
