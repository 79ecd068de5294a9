#pragma once

// The sandbox's demo client: a static page and script that sign in through the Unified Login with PKCE.

#include "http/server.hpp"

namespace phonechat {

// The sandbox demo client's page, for `GET /demo` and `GET /demo/callback` alike (its script tells them apart):
// `#demo-signin`, `#demo-status`, `#demo-user` and `#demo-bookings`, with the HTML page security headers.
http::Response DemoPage();

// The demo client's script (`GET /demo/app.js`): the authorization-code flow with PKCE (S256) and state, the
// code exchange at /OAuth/token, then VerifyCredentials and MadeBookings, rendered with textContent only.
http::Response DemoScript();

}  // namespace phonechat
