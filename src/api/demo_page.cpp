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
  h2 { font-size: 1.1rem; margin: 2rem 0 0; }
  button { padding: 0.5rem 1.25rem; border: 1px solid #2457c5; border-radius: 0.25rem; font-size: 1rem;
           background: #2457c5; color: #fff; cursor: pointer; }
  button:disabled { opacity: 0.5; cursor: default; }
  td.actions { white-space: nowrap; }
  td.actions button { padding: 0.2rem 0.6rem; margin-right: 0.25rem; font-size: 0.85rem; }
  td.actions button.cancel, td.actions button.reject { background: #fff; color: #2457c5; }
  input[type="text"] { padding: 0.35rem 0.5rem; border: 1px solid #b8bfcc; border-radius: 0.25rem; font-size: 0.9rem;
                       width: 20rem; max-width: 100%; }
  .meta { color: #5b6475; font-size: 0.9rem; }
  .error { padding: 0.5rem 0.75rem; border-radius: 0.25rem; background: #fdecea; color: #8a1c12; }
  .notice { padding: 0.5rem 0.75rem; border-radius: 0.25rem; background: #e8f3ea; color: #1d5c2a; }
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
with the Unified Login (authorization code with PKCE), then lists the PhoneChat bookings you made and received,
with the actions each booking's status allows: a client confirms (pays for) an accepted booking or cancels one,
a candidate accepts or rejects a pending one.</p>
<p class="meta">Sandbox users, password <code>demo-password</code>: <code>DemoClient</code> (a client) or
<code>DemoManager</code> (a group manager), and the candidates <code>DemoCandidate</code>, <code>DemoNoNumber</code>
and <code>DemoSkype</code>, each with a pending booking of <code>DemoClient</code> to answer.</p>
<button id="demo-signin" type="button">Sign in with PhoneChat</button>
<p id="demo-status" role="status"></p>
<section id="demo-result" hidden>
<p>Signed in as <strong><span id="demo-user"></span></strong></p>
<p id="demo-message" role="alert" hidden></p>
<p><label for="demo-reason">Reason, for a cancel or a reject:</label>
<input id="demo-reason" type="text" maxlength="1000" autocomplete="off" placeholder="e.g. Plans changed"></p>
<section id="demo-made">
<h2>Bookings you made</h2>
<table id="demo-bookings">
<thead>
<tr>
<th>Booking</th><th>Candidate</th><th>Status</th><th>Created</th><th>Session</th><th>Minutes</th><th>Credits</th><th>Actions</th>
</tr>
</thead>
<tbody></tbody>
</table>
<p id="demo-bookings-empty" class="meta" hidden>You have made no bookings.</p>
</section>
<section id="demo-received" hidden>
<h2>Received bookings</h2>
<table id="demo-received-bookings">
<thead>
<tr>
<th>Booking</th><th>Client</th><th>Status</th><th>Created</th><th>Session</th><th>Minutes</th><th>Credits</th><th>Actions</th>
</tr>
</thead>
<tbody></tbody>
</table>
<p id="demo-received-bookings-empty" class="meta" hidden>You have received no bookings.</p>
</section>
</section>
</main>
</body>
</html>
)";

constexpr std::string_view kDemoScript = R"JS('use strict';
// The sandbox demo client: the OAuth 2.0 authorization-code flow with PKCE (RFC 7636, S256) as a public client,
// then the signed-in user's made and received bookings with the life-cycle actions their statuses allow.
// Everything the server or the user sent is rendered with textContent, never as HTML.
(() => {
  const CLIENT_ID = 'sandbox-demo';
  // VerifyCredentials, both lists and every action the page offers need this one scope (docs/lifecycle.md).
  const SCOPE = 'account_phonechat_bookings';
  const REDIRECT_URI = location.origin + '/demo/callback';
  const STORAGE_KEY = 'phonechat-demo-flow';

  // The two lists: the table each fills, the other party's member, and the actions offered by status.
  const MADE = {
    table: 'demo-bookings',
    path: '/v1/PhoneChat/MadeBookings?BookingsPerPage=10',
    party: 'Candidate',
    actions: { Pending: ['cancel'], Accepted: ['confirm', 'cancel'], Confirmed: ['cancel'] },
  };
  const RECEIVED = {
    table: 'demo-received-bookings',
    path: '/v1/PhoneChat/ReceivedBookings?BookingsPerPage=10',
    party: 'Client',
    actions: { Pending: ['accept', 'reject'] },
  };
  // The life-cycle actions (docs/lifecycle.md, "Bodies"): label, route, and whether the body carries the Reason.
  const ACTIONS = {
    confirm: { label: 'Confirm', path: '/v1/PhoneChat/ConfirmMadeBooking', reason: false },
    cancel: { label: 'Cancel', path: '/v1/PhoneChat/CancelMadeBooking', reason: true },
    accept: { label: 'Accept', path: '/v1/PhoneChat/AcceptReceivedBooking', reason: false },
    reject: { label: 'Reject', path: '/v1/PhoneChat/RejectReceivedBooking', reason: true },
  };

  let accessToken = null; // kept in this closure only, never stored
  let busy = false;

  const byId = (id) => document.getElementById(id);

  function showStatus(text, isError) {
    const status = byId('demo-status');
    status.textContent = text;
    status.className = isError ? 'error' : '';
  }

  // The message area under the user's name: what the last action did, or the error the API answered.
  function showMessage(text, isError) {
    const message = byId('demo-message');
    message.textContent = text;
    message.className = isError ? 'error' : 'notice';
    message.hidden = text === '';
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

  // One API call with the access token; a payload is sent as a JSON body. Answers { ok, status, body }, body being
  // the parsed JSON or null.
  async function callApi(method, path, payload) {
    const headers = { Authorization: 'Bearer ' + accessToken, Accept: 'application/json' };
    const init = { method, headers };
    if (payload !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(payload);
    }
    const answer = await fetch(path, init);
    let body = null;
    try {
      body = await answer.json();
    } catch {
      body = null;
    }
    return { ok: answer.ok, status: answer.status, body };
  }

  // An error answer as one line: the HTTP status, the Message and every ModelState message.
  function errorText(answer) {
    const parts = [];
    const body = answer.body;
    if (body && typeof body.Message === 'string') parts.push(body.Message);
    if (body && body.ModelState && typeof body.ModelState === 'object') {
      for (const messages of Object.values(body.ModelState)) {
        for (const text of [].concat(messages)) parts.push(String(text));
      }
    }
    return 'HTTP ' + answer.status + (parts.length ? ': ' + parts.join(' ') : '');
  }

  async function getJson(path) {
    const answer = await callApi('GET', path);
    if (!answer.ok || !answer.body) throw new Error(path + ' answered ' + errorText(answer));
    return answer.body;
  }

  function cell(row, text, className) {
    const td = document.createElement('td');
    td.textContent = text === null || text === undefined ? '' : String(text);
    if (className) td.className = className;
    row.appendChild(td);
  }

  function actionButton(name, booking) {
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'action ' + name;
    button.dataset.action = name;
    button.textContent = ACTIONS[name].label;
    button.addEventListener('click', () => {
      act(name, booking).catch((failure) => showMessage(failure.message, true));
    });
    return button;
  }

  function showBookings(list, page) {
    const body = byId(list.table).querySelector('tbody');
    body.replaceChildren();
    for (const booking of page.Bookings) {
      const row = document.createElement('tr');
      row.className = 'booking';
      row.dataset.bookingId = String(booking.BookingID);
      row.dataset.status = String(booking.Status);
      const party = booking[list.party];
      cell(row, booking.BookingID, 'number');
      cell(row, party ? party.Nickname : '');
      cell(row, booking.Status, 'status');
      cell(row, booking.CreateDate);
      cell(row, booking.SessionDate);
      cell(row, booking.Duration, 'number');
      cell(row, booking.Credits, 'number');
      const actions = document.createElement('td');
      actions.className = 'actions';
      const names = Object.prototype.hasOwnProperty.call(list.actions, booking.Status) ? list.actions[booking.Status] : [];
      for (const name of names) actions.appendChild(actionButton(name, booking));
      row.appendChild(actions);
      body.appendChild(row);
    }
    byId(list.table + '-empty').hidden = page.Bookings.length > 0;
  }

  // Reads both lists again and shows them; the received list only for a user who has received bookings.
  async function refresh() {
    const [made, received] = await Promise.all([getJson(MADE.path), callApi('GET', RECEIVED.path)]);
    showBookings(MADE, made);
    let summary = 'You made ' + made.BookingsTotal + ' bookings';
    if (received.ok && received.body && received.body.BookingsTotal > 0) {
      showBookings(RECEIVED, received.body);
      byId('demo-received').hidden = false;
      summary += ' and received ' + received.body.BookingsTotal;
    } else if (!received.ok) {
      summary += ' (the received bookings could not be read: ' + errorText(received) + ')';
    }
    showStatus(summary + '; the 10 most recent of each are shown.', false);
  }

  function setBusy(value) {
    busy = value;
    for (const button of byId('demo-result').querySelectorAll('button.action')) button.disabled = value;
  }

  // Sends one action for a booking, shows its outcome in the message area, then reads the lists again (after an
  // error too: a 409 means the booking has moved on, and the lists show where it is now).
  async function act(name, booking) {
    if (busy) return;
    const action = ACTIONS[name];
    const payload = { BookingID: booking.BookingID };
    if (name === 'accept') payload.Credits = booking.Credits; // at the amount offered
    if (action.reason) payload.Reason = byId('demo-reason').value;
    setBusy(true);
    try {
      showMessage(action.label + ' booking ' + booking.BookingID + '…', false);
      const answer = await callApi('POST', action.path, payload);
      if (answer.ok && answer.body) {
        showMessage(action.label + ' booking ' + booking.BookingID + ': its status is now ' + answer.body.Status + '.', false);
      } else {
        showMessage(action.label + ' booking ' + booking.BookingID + ' failed: ' + errorText(answer), true);
      }
      await refresh();
    } finally {
      setBusy(false);
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
    accessToken = token.access_token;
    const [account] = await Promise.all([getJson('/v1/Account/VerifyCredentials'), refresh()]);
    byId('demo-user').textContent = account.Nickname;
    byId('demo-result').hidden = false;
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
