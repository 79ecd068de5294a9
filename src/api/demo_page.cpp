// The demo client's page and script, served as constants.

#include "api/demo_page.hpp"

#include <string_view>

#include "api/html_pages.hpp"

namespace phonechat {
namespace {

constexpr std::string_view kDemoHtml = R"(<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>PhoneChat API demo</title>
<style>
  :root { color-scheme: light; font-family: system-ui, -apple-system, "Segoe UI", sans-serif; }
  body { margin: 0; background: #f4f5f7; color: #1d2330; }
  main { max-width: 60rem; margin: 3rem auto; padding: 2rem; background: #fff; border-radius: 0.5rem;
         box-shadow: 0 1px 3px rgba(0, 0, 0, 0.12); }
  h1 { font-size: 1.4rem; margin: 0 0 1rem; }
  button { padding: 0.5rem 1.25rem; border: 1px solid #2457c5; border-radius: 0.25rem; font-size: 1rem;
           background: #2457c5; color: #fff; cursor: pointer; }
  .meta { color: #5b6475; font-size: 0.9rem; }
  .error { padding: 0.5rem 0.75rem; border-radius: 0.25rem; background: #fdecea; color: #8a1c12; }
  table { border-collapse: collapse; width: 100%; margin-top: 1rem; font-size: 0.9rem; }
  th, td { text-align: left; padding: 0.4rem 0.5rem; border-bottom: 1px solid #e1e4ea; }
  td.number { text-align: right; }
</style>
<script src="/demo/app.js" defer></script>
</head>
<body>
<main>
<h1>PhoneChat API demo</h1>
<p>This page plays a third-party application: the public client <code>sandbox-demo</code>. It signs you in
with the Unified Login (authorization code with PKCE), then lists the PhoneChat bookings you made.</p>
<p class="meta">Sandbox users: <code>DemoClient</code> or <code>DemoManager</code>,
password <code>demo-password</code>.</p>
<button id="demo-signin" type="button">Sign in with PhoneChat</button>
<p id="demo-status" role="status"></p>
<section id="demo-result" hidden>
<p>Signed in as <strong><span id="demo-user"></span></strong></p>
<table id="demo-bookings">
<thead>
<tr>
<th>Booking</th><th>Candidate</th><th>Status</th><th>Created</th><th>Session</th><th>Minutes</th><th>Credits</th>
</tr>
</thead>
<tbody></tbody>
</table>
</section>
</main>
</body>
</html>
)";

constexpr std::string_view kDemoScript = R"JS('use strict';
// The sandbox demo client: the OAuth 2.0 authorization-code flow with PKCE (RFC 7636, S256) as a public client.
// Everything the server or the user sent is rendered with textContent, never as HTML.
(() => {
  const CLIENT_ID = 'sandbox-demo';
  const SCOPE = 'account_phonechat_bookings';
  const REDIRECT_URI = location.origin + '/demo/callback';
  const STORAGE_KEY = 'phonechat-demo-flow';

  const byId = (id) => document.getElementById(id);

  function showStatus(text, isError) {
    const status = byId('demo-status');
    status.textContent = text;
    status.className = isError ? 'error' : '';
  }

  function base64Url(bytes) {
    let binary = '';
    for (const byte of bytes) binary += String.fromCharCode(byte);
    return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }

  function randomString(byteCount) {
    const bytes = new Uint8Array(byteCount);
    crypto.getRandomValues(bytes);
    return base64Url(bytes);
  }

  async function s256(verifier) {
    const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier));
    return base64Url(new Uint8Array(digest));
  }

  async function signIn() {
    const verifier = randomString(32); // 43 characters: RFC 7636 §4.1 asks for 43 to 128
    const state = randomString(16);
    sessionStorage.setItem(STORAGE_KEY, JSON.stringify({ verifier, state }));
    const query = new URLSearchParams({
      response_type: 'code',
      client_id: CLIENT_ID,
      redirect_uri: REDIRECT_URI,
      scope: SCOPE,
      state,
      code_challenge: await s256(verifier),
      code_challenge_method: 'S256',
    });
    location.assign('/OAuth/Authorize?' + query.toString());
  }

  async function getJson(path, accessToken) {
    const answer = await fetch(path, {
      headers: { Authorization: 'Bearer ' + accessToken, Accept: 'application/json' },
    });
    const body = await answer.json();
    if (!answer.ok) throw new Error(path + ' answered ' + answer.status + ': ' + (body.Message || ''));
    return body;
  }

  function cell(row, text, className) {
    const td = document.createElement('td');
    td.textContent = text === null || text === undefined ? '' : String(text);
    if (className) td.className = className;
    row.appendChild(td);
  }

  function showBookings(page) {
    const body = byId('demo-bookings').querySelector('tbody');
    body.replaceChildren();
    for (const booking of page.Bookings) {
      const row = document.createElement('tr');
      row.className = 'booking';
      row.dataset.bookingId = String(booking.BookingID);
      cell(row, booking.BookingID, 'number');
      cell(row, booking.Candidate ? booking.Candidate.Nickname : '');
      cell(row, booking.Status);
      cell(row, booking.CreateDate);
      cell(row, booking.SessionDate);
      cell(row, booking.Duration, 'number');
      cell(row, booking.Credits, 'number');
      body.appendChild(row);
    }
  }

  async function finishSignIn() {
    const answer = new URLSearchParams(location.search);
    const saved = JSON.parse(sessionStorage.getItem(STORAGE_KEY) || 'null');
    sessionStorage.removeItem(STORAGE_KEY);
    history.replaceState(null, '', location.pathname); // the code must not stay in the address bar or history
    if (!saved || answer.get('state') !== saved.state) {
      showStatus('This answer does not belong to a sign-in started on this page (state mismatch).', true);
      return;
    }
    if (answer.get('error')) {
      showStatus('Sign-in failed: ' + answer.get('error') + '.', true);
      return;
    }
    if (answer.get('status') === 'cancelled' || !answer.get('code')) {
      showStatus('Sign-in was cancelled.', true);
      return;
    }
    showStatus('Exchanging the authorization code…', false);
    const tokenAnswer = await fetch('/OAuth/token', {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code: answer.get('code'),
        redirect_uri: REDIRECT_URI,
        client_id: CLIENT_ID,
        code_verifier: saved.verifier,
      }),
    });
    const token = await tokenAnswer.json();
    if (!tokenAnswer.ok) {
      showStatus('The token exchange failed: ' + (token.error || tokenAnswer.status) + '.', true);
      return;
    }
    const [account, bookings] = await Promise.all([
      getJson('/v1/Account/VerifyCredentials', token.access_token),
      getJson('/v1/PhoneChat/MadeBookings?BookingsPerPage=10', token.access_token),
    ]);
    byId('demo-user').textContent = account.Nickname;
    showBookings(bookings);
    byId('demo-result').hidden = false;
    showStatus('Your ' + bookings.BookingsTotal + ' bookings (the 10 most recent are shown).', false);
  }

  function start() {
    byId('demo-signin').addEventListener('click', () => {
      signIn().catch((failure) => showStatus('Could not start the sign-in: ' + failure.message, true));
    });
    if (location.pathname.toLowerCase().replace(/\/$/, '') === '/demo/callback') {
      finishSignIn().catch((failure) => showStatus('Sign-in failed: ' + failure.message, true));
    }
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
)JS";

}  // namespace

http::Response DemoPage() {
  http::Response response;
  SetPageHeaders(response, FormTargets::kSelfOnly);
  response.body.assign(kDemoHtml);
  return response;
}

http::Response DemoScript() {
  http::Response response;
  response.content_type = "text/javascript; charset=utf-8";
  response.headers.emplace_back("Cache-Control", "no-store");
  response.headers.emplace_back("X-Content-Type-Options", "nosniff");
  response.body.assign(kDemoScript);
  return response;
}

}  // namespace phonechat
