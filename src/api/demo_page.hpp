#pragma once

// The sandbox's demo client: a static page and script that sign in through the Unified Login with PKCE.

#include "http/server.hpp"

namespace phonechat {

// The sandbox demo client's page, for `GET /demo` and `GET /demo/callback` alike (its script tells them apart):
// `#demo-signin`, `#demo-status`, `#demo-user`, `#demo-message`, `#demo-reason`, `#demo-bookings` (made) and
// `#demo-received-bookings`, with the HTML page security headers.
http::Response DemoPage();

// The demo client's script (`GET /demo/app.js`): the authorization-code flow with PKCE (S256) and state, the
// code exchange at /OAuth/token, then VerifyCredentials, MadeBookings and ReceivedBookings, rendered with
// textContent only, each row with the life-cycle actions its status allows (Confirm and Cancel a made booking,
// Accept and Reject a received one); after an action both lists are read again.
http::Response DemoScript();

}  // namespace phonechat
