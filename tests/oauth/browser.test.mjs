// The Unified Login in a real browser (Debian's Chromium driven by playwright-core): login and consent on the
// server's pages, landing on a third-party application's redirect URI (a tiny node:http server), cancel, the
// grants page with Revoke, hostile names rendered as text, framing refused, and the sandbox's demo client (its
// sign-in, and the booking life cycle on its page: a candidate accepts and rejects, the client confirms and cancels).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import { after, before, test } from 'node:test';
import { chromium } from 'playwright-core';
import {
  PHONECHAT_SCOPE, api, assertServersLeakedNothing, authorizeUrl, createProject, importRecords, importUsers, newDb,
  randomState, secrets, startOAuthServer, startSandbox, tokenRequest,
} from './oauth-harness.mjs';
import { mintToken } from '../blackbox/harness.mjs';

const T = { timeout: 90000 };
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync'];
const HOSTILE_PROJECT = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">';
const HOSTILE_NICK = '<img src=x id=pwn>'; // nicknames are at most 20 characters
const HOSTILE_LOGIN = '"><script>window.__pwned=3</script>';

const user = { id: 4101, nickname: 'BrowserUser', password: 'Browser-pass-4101!' };
const hostileUser = { id: 4102, nickname: HOSTILE_NICK, password: 'Hostile-pass-4102!' };

let browser;
let db;
let srv;
let app; // the third-party application's redirect target
let appBase;
let redirectUri;
let project;
let hostileProject;
let loggedIn; // a browser context with a session (from the first test)
const cspViolations = [];

// Starts the application's server: /cb shows the landing page, /frame embeds `?src=` in an iframe.
function startApp() {
  return new Promise((resolve) => {
    const server = http.createServer((req, res) => {
      const url = new URL(req.url, 'http://127.0.0.1');
      res.setHeader('Content-Type', 'text/html; charset=utf-8');
      if (url.pathname === '/frame') {
        const src = url.searchParams.get('src').replace(/"/g, '&quot;');
        res.end(`<!doctype html><title>framer</title><iframe id="victim" src="${src}" width="600" height="400"></iframe>`);
        return;
      }
      res.end('<!doctype html><title>third-party app</title><p id="landed">landed</p>');
    });
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

// A fresh context (no cookies) with a page whose console is watched for CSP violations.
async function newPage(context, { watchCsp = true } = {}) {
  const ctx = context ?? (await browser.newContext());
  const page = await ctx.newPage();
  page.setDefaultTimeout(15000);
  if (watchCsp) page.on('console', (msg) => {
    if (/Content Security Policy|Refused to (execute|load|send|frame|apply)/i.test(msg.text())) {
      cspViolations.push(`${page.url()}: ${msg.text()}`);
    }
  });
  return { ctx, page };
}

// Records the context's cookie values as secrets (the output check searches for them).
async function recordCookies(ctx) {
  for (const c of await ctx.cookies()) secrets.add(`browser cookie ${c.name}`, c.value);
}

async function logIn(page, login, password) {
  await page.waitForSelector('#login-form');
  await page.fill('#login-form input[name="login"]', login);
  await page.fill('#login-form input[name="password"]', password);
  secrets.add('password typed in the browser', password);
  await page.click('#login-submit');
}

const landedOn = (uri) => (u) => u.href === uri || u.href.startsWith(`${uri}?`) || u.href.startsWith(`${uri}#`);

before(async () => {
  assert.ok(fs.existsSync(CHROMIUM), `${CHROMIUM} is required (Debian package chromium)`);
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  app = await startApp();
  appBase = `http://127.0.0.1:${app.address().port}`;
  redirectUri = `${appBase}/cb`;
  db = newDb();
  await importUsers(db, [user, hostileUser]);
  project = await createProject(db, { name: 'Browser App', owner: user.id, redirectUris: [redirectUri] });
  hostileProject = await createProject(db, { name: HOSTILE_PROJECT, owner: user.id, redirectUris: [redirectUri] });
  srv = await startOAuthServer(db);
});

after(async () => {
  if (browser) await browser.close();
  if (app) await new Promise((resolve) => app.close(resolve));
  if (srv) await srv.stop();
});

test('browser: log in and consent on the pages, land on the redirect URI with a code that exchanges', T, async () => {
  const { ctx, page } = await newPage();
  loggedIn = ctx;
  const state = randomState();
  await page.goto(authorizeUrl(srv.base, { response_type: 'code', client_id: project.clientId, redirect_uri: redirectUri,
    scope: PHONECHAT_SCOPE, state }));
  await logIn(page, user.nickname, user.password);
  await page.waitForSelector('#consent-form');
  assert.equal((await page.textContent('#consent-project')).trim(), project.name);
  assert.deepEqual(await page.$$eval('li.scope', (els) => els.map((e) => e.dataset.scope)), [PHONECHAT_SCOPE]);
  await page.click('#consent-allow');
  await page.waitForURL(landedOn(redirectUri));
  assert.equal(await page.textContent('#landed'), 'landed', 'the application page is shown');
  const landed = new URL(page.url());
  const code = landed.searchParams.get('code');
  assert.ok(code, `code in ${page.url()}`);
  secrets.add('authorization code', code);
  assert.equal(landed.searchParams.get('state'), state);
  await recordCookies(ctx);
  const t = await tokenRequest(srv.base, { grant_type: 'authorization_code', code, client_id: project.clientId,
    client_secret: project.clientSecret });
  assert.equal(t.status, 200, t.text);
});

test('browser: the session cookie is HttpOnly and SameSite=Lax; the page cannot read it', T, async () => {
  const cookies = await loggedIn.cookies(srv.base);
  const session = cookies.find((c) => c.name === 'pc_session');
  assert.ok(session, `pc_session stored: ${cookies.map((c) => c.name)}`);
  assert.equal(session.httpOnly, true);
  assert.equal(session.sameSite, 'Lax');
  const page = loggedIn.pages()[0];
  await page.goto(`${srv.base}/OAuth/Grants`);
  assert.ok(!(await page.evaluate(() => document.cookie)).includes('pc_session'), 'document.cookie has no session');
});

test('browser: a second authorize for the granted scope goes straight back to the application', T, async () => {
  const page = await loggedIn.newPage();
  const state = randomState();
  await page.goto(authorizeUrl(srv.base, { response_type: 'code', client_id: project.clientId, redirect_uri: redirectUri,
    scope: PHONECHAT_SCOPE, state }));
  await page.waitForURL(landedOn(redirectUri));
  const landed = new URL(page.url());
  secrets.add('authorization code', landed.searchParams.get('code'));
  assert.ok(landed.searchParams.get('code'));
  assert.equal(landed.searchParams.get('state'), state);
  await page.close();
});

test('browser: cancel at the login lands on the redirect URI with code= (empty), state and status=cancelled', T, async () => {
  const { ctx, page } = await newPage();
  const state = randomState();
  await page.goto(authorizeUrl(srv.base, { response_type: 'code', client_id: project.clientId, redirect_uri: redirectUri,
    scope: PHONECHAT_SCOPE, state }));
  await page.waitForSelector('#login-form');
  await page.click('#login-cancel');
  await page.waitForURL(landedOn(redirectUri));
  const landed = new URL(page.url());
  assert.equal(landed.searchParams.get('code'), '', `empty code: ${page.url()}`);
  assert.equal(landed.searchParams.get('state'), state);
  assert.equal(landed.searchParams.get('status'), 'cancelled');
  await recordCookies(ctx);
  await ctx.close();
});

test('browser: the grants page lists the project and Revoke removes it', T, async () => {
  const page = loggedIn.pages()[0];
  await page.goto(`${srv.base}/OAuth/Grants`);
  const item = page.locator(`li.grant[data-client-id="${project.clientId}"]`);
  await item.waitFor();
  assert.ok((await item.textContent()).includes(project.name), 'the project name is shown');
  await Promise.all([page.waitForEvent('load'), item.locator('.grant-revoke').click()]);
  await page.waitForSelector('#no-grants');
  assert.equal(await page.locator(`li.grant[data-client-id="${project.clientId}"]`).count(), 0, 'the grant is gone');
  await recordCookies(loggedIn);
  // Consent is asked again.
  await page.goto(authorizeUrl(srv.base, { response_type: 'code', client_id: project.clientId, redirect_uri: redirectUri,
    scope: PHONECHAT_SCOPE, state: randomState() }));
  await page.waitForSelector('#consent-form');
});

test('browser: the login page cannot be framed by another site', T, async () => {
  const { ctx, page } = await newPage(undefined, { watchCsp: false }); // the refusal itself is reported as a violation
  const target = authorizeUrl(srv.base, { response_type: 'code', client_id: project.clientId, redirect_uri: redirectUri,
    scope: PHONECHAT_SCOPE, state: randomState() });
  await page.goto(`${appBase}/frame?src=${encodeURIComponent(target)}`);
  await page.waitForSelector('#victim');
  await page.waitForTimeout(1000);
  const framed = page.frames().filter((f) => f !== page.mainFrame());
  for (const f of framed) {
    const forms = await f.$$('#login-form').catch(() => []);
    assert.equal(forms.length, 0, `the login form rendered inside a frame of another origin (${f.url()})`);
  }
  await ctx.close();
});

test('browser: a hostile project name, nickname and typed login render as text, never as markup', T, async () => {
  const { ctx, page } = await newPage();
  const url = authorizeUrl(srv.base, { response_type: 'code', client_id: hostileProject.clientId, redirect_uri: redirectUri,
    scope: PHONECHAT_SCOPE, state: '"><script>window.__pwned=4</script>' });
  await page.goto(url);
  await logIn(page, HOSTILE_LOGIN, 'Wrong-password-browser');
  await page.waitForSelector('#login-error');
  assert.equal(await page.evaluate(() => window.__pwned), undefined, 'the typed login did not run');
  await logIn(page, hostileUser.nickname, hostileUser.password);
  await page.waitForSelector('#consent-form');
  assert.equal(await page.textContent('#consent-project'), HOSTILE_PROJECT, 'the project name shown verbatim as text');
  assert.equal(await page.locator('#consent-project *').count(), 0, 'no element was made from the project name');
  assert.equal(await page.evaluate(() => window.__pwned), undefined, 'no script ran');
  assert.equal(await page.locator('#pwn').count(), 0, 'no element was made from the nickname');
  assert.equal(await page.locator('img[src="x"]').count(), 0, 'no <img src=x> on the page');
  await page.click('#consent-allow');
  await page.waitForURL(landedOn(redirectUri));
  secrets.add('authorization code', new URL(page.url()).searchParams.get('code'));
  await page.goto(`${srv.base}/OAuth/Grants`);
  const item = page.locator(`li.grant[data-client-id="${hostileProject.clientId}"]`);
  await item.waitFor();
  assert.ok((await item.innerText()).includes(HOSTILE_PROJECT), 'the hostile name is listed as visible text');
  assert.equal(await page.evaluate(() => window.__pwned), undefined);
  assert.equal(await page.locator('#pwn').count(), 0);
  const bodyText = await page.locator('body').innerText();
  if (bodyText.includes('img src=x id=pwn')) assert.ok(bodyText.includes(HOSTILE_NICK), 'the nickname, where shown, is shown whole as text');
  await recordCookies(ctx);
  await ctx.close();
});

// ---------------------------------------------------------------- the sandbox's demo client

let sandbox;

async function demoSignIn(login, password, { tokens, server = sandbox }) {
  const { ctx, page } = await newPage();
  page.on('response', async (r) => {
    if (/\/oauth\/token$/i.test(new URL(r.url()).pathname)) {
      try {
        const j = await r.json();
        tokens.push(j);
        secrets.add('demo access token', j.access_token);
        secrets.add('demo refresh token', j.refresh_token);
      } catch { /* not JSON: the test's own assertions report it */ }
    }
  });
  await page.goto(`${server.base}/demo`);
  await page.click('#demo-signin');
  await logIn(page, login, password);
  await page.waitForSelector('#consent-form');
  await page.click('#consent-allow');
  await page.waitForURL((u) => u.pathname === '/demo/callback');
  secrets.add('demo authorization code', new URL(page.url()).searchParams.get('code'));
  await page.waitForSelector('#demo-bookings', { state: 'attached' }); // may be empty, hence zero-sized
  await page.waitForFunction(() => (document.querySelector('#demo-user')?.textContent || '').trim() !== '');
  return { ctx, page };
}

test('demo client: /demo signs in with PKCE, shows the bookings and the nickname', T, async () => {
  sandbox = await startSandbox();
  const tokens = [];
  const { ctx, page } = await demoSignIn('DemoClient', 'demo-password', { tokens });
  const rows = page.locator('#demo-bookings tr.booking');
  await rows.first().waitFor();
  assert.ok((await rows.count()) >= 1, 'at least one booking row');
  const id = await rows.first().getAttribute('data-booking-id');
  assert.match(id || '', /^\d+$/, `rows carry data-booking-id: ${id}`);
  assert.equal((await page.textContent('#demo-user')).trim(), 'DemoClient');
  assert.ok(tokens.length >= 1, 'the demo exchanged the code at /OAuth/token');
  await recordCookies(ctx);
  await ctx.close();
});

test('demo client: a hostile nickname is shown as text by the demo page', T, async () => {
  const hostile = { id: 8801, nickname: HOSTILE_NICK, password: 'Hostile-demo-8801!' };
  secrets.add('password of the hostile sandbox user', hostile.password);
  await importRecords(sandbox.db, [{ Kind: 'User', UserID: hostile.id, Nickname: hostile.nickname, Password: hostile.password }]);
  const { ctx, page } = await demoSignIn(hostile.nickname, hostile.password, { tokens: [] });
  assert.equal(await page.textContent('#demo-user'), HOSTILE_NICK);
  assert.equal(await page.locator('#pwn').count(), 0, 'no element made from the nickname');
  assert.equal(await page.evaluate(() => window.__pwned), undefined);
  await recordCookies(ctx);
  await ctx.close();
  await sandbox.stop();
});

// ---------------------------------------------------------------- the demo page's booking life cycle

const LIFECYCLE_CANDIDATES = ['DemoCandidate', 'DemoNoNumber', 'DemoSkype']; // each has a Pending booking of DemoClient
let walk; // what the candidate's test leaves for the client's: { server, clientToken, candidateToken, ids }

// POSTs a JSON body to an API path with a bearer token: { status, text, json }.
async function apiPost(base, target, token, body) {
  const res = await fetch(new URL(target, base), {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}`, Accept: 'application/json', 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, text, json };
}

// The booking as the API shows it to one side: MadeBookingDetails (client) or ReceivedBookingDetails (candidate).
async function bookingFromApi(side, id, token) {
  const r = await api(walk.server.base, `/v1/PhoneChat/${side}BookingDetails?BookingID=${id}`, token);
  assert.equal(r.status, 200, `${side}BookingDetails of ${id}: ${r.text.slice(0, 300)}`);
  return r.json;
}

const rowOf = (page, table, id) => page.locator(`#${table} tr.booking[data-booking-id="${id}"]`);

// What a row of the page shows: { status (the Status cell's text), actions (the data-action of its buttons) }.
async function rowShown(page, table, id) {
  const row = rowOf(page, table, id);
  await row.waitFor();
  return {
    status: (await row.locator('td.status').textContent()).trim(),
    actions: await row.locator('button.action').evaluateAll((els) => els.map((e) => e.dataset.action)),
  };
}

// Clicks an action of a row and waits until the page has read the lists again after it (the row's status is
// `expected`, or the message area reports the answer). Returns the message area's text.
async function clickAction(page, table, id, action, expected) {
  const before = await page.textContent('#demo-message');
  await rowOf(page, table, id).locator(`button.action[data-action="${action}"]`).click();
  await page.waitForFunction(([t, i, s, old]) => {
    const message = document.querySelector('#demo-message');
    const row = document.querySelector(`#${t} tr.booking[data-booking-id="${i}"]`);
    const idle = [...document.querySelectorAll('#demo-result button.action')].every((b) => !b.disabled);
    return idle && message.textContent !== old && !message.textContent.endsWith('…') && row?.dataset.status === s;
  }, [table, String(id), expected, before]).catch(async () => {
    assert.fail(`after ${action} on booking ${id} the row does not show ${expected}: row ` +
      `${JSON.stringify(await rowOf(page, table, id).textContent().catch(() => null))}, message ` +
      `${JSON.stringify(await page.textContent('#demo-message'))}`);
  });
  return page.textContent('#demo-message');
}

test('demo client: a candidate accepts and rejects received Pending bookings on /demo', T, async () => {
  const server = await startSandbox();
  const clientToken = secrets.add('minted DemoClient token', await mintToken(server.db, {
    user: 2001, clientId: 'demo-app', scope: `${PHONECHAT_SCOPE} account_credits_history` }));
  walk = { server, clientToken, ids: {} };
  // The demo data's Pending bookings of the life-cycle candidates, as DemoClient sees them.
  const made = await api(server.base, '/v1/PhoneChat/MadeBookings?BookingsPerPage=10', clientToken);
  assert.equal(made.status, 200, made.text.slice(0, 300));
  const lifecycle = {};
  for (const nickname of LIFECYCLE_CANDIDATES) {
    lifecycle[nickname] = made.json.Bookings.find((b) => b.Candidate?.Nickname === nickname && b.Status === 'Pending');
    assert.ok(lifecycle[nickname], `the demo data has a Pending booking of DemoClient for ${nickname}`);
    walk.ids[nickname] = lifecycle[nickname].BookingID;
  }
  // A second Pending booking for DemoCandidate, to reject: the same session as the first one.
  const first = lifecycle.DemoCandidate;
  const created = await apiPost(server.base, '/v1/PhoneChat/CreateBooking', clientToken, {
    BookUserID: first.Candidate.UserID, SessionDate: first.SessionDate, AcceptBy: first.AcceptBy, Duration: 15,
    Method: 2, Credits: 12, Comments: 'A second booking, to reject.' });
  assert.equal(created.status, 200, `CreateBooking: ${created.text.slice(0, 300)}`);
  assert.equal(created.json.Status, 'Pending');
  const toAccept = first.BookingID;
  const toReject = created.json.BookingID;
  walk.ids.accepted = toAccept;
  walk.ids.rejected = toReject;

  const tokens = [];
  const { ctx, page } = await demoSignIn('DemoCandidate', 'demo-password', { tokens, server });
  assert.equal((await page.textContent('#demo-user')).trim(), 'DemoCandidate');
  assert.equal(await page.locator('#demo-received').isVisible(), true, 'the received bookings are shown');
  assert.equal(await page.locator('#demo-bookings tr.booking').count(), 0, 'DemoCandidate made no bookings');
  for (const id of [toAccept, toReject]) {
    assert.deepEqual(await rowShown(page, 'demo-received-bookings', id), { status: 'Pending', actions: ['accept', 'reject'] },
      `received booking ${id}`);
    assert.equal((await rowOf(page, 'demo-received-bookings', id).locator('td').nth(1).textContent()).trim(), 'DemoClient');
  }

  const accepted = await clickAction(page, 'demo-received-bookings', toAccept, 'accept', 'Accepted');
  assert.match(accepted, new RegExp(`booking ${toAccept}: its status is now Accepted`), accepted);
  assert.deepEqual(await rowShown(page, 'demo-received-bookings', toAccept), { status: 'Accepted', actions: [] });

  // Without a reason the API refuses the reject (400), and the page says why; nothing changes.
  await page.fill('#demo-reason', '');
  const refused = await clickAction(page, 'demo-received-bookings', toReject, 'reject', 'Pending');
  assert.match(refused, /failed: HTTP 400: .*Reason is required\./, refused);
  assert.equal(await page.getAttribute('#demo-message', 'class'), 'error');
  assert.equal((await rowShown(page, 'demo-received-bookings', toReject)).status, 'Pending');

  await page.fill('#demo-reason', 'Fully booked that day');
  const rejected = await clickAction(page, 'demo-received-bookings', toReject, 'reject', 'Rejected');
  assert.match(rejected, new RegExp(`booking ${toReject}: its status is now Rejected`), rejected);
  assert.deepEqual(await rowShown(page, 'demo-received-bookings', toReject), { status: 'Rejected', actions: [] });
  assert.equal(await page.evaluate(() => window.__pwned), undefined);

  // The API agrees, on both sides.
  assert.ok(tokens.length >= 1 && tokens[0].access_token, 'the page obtained a token');
  walk.candidateToken = tokens[0].access_token;
  const acceptedForCandidate = await bookingFromApi('Received', toAccept, walk.candidateToken);
  assert.equal(acceptedForCandidate.Status, 'Accepted');
  assert.equal(acceptedForCandidate.Credits, first.Credits, 'accepted at the amount offered');
  assert.ok(acceptedForCandidate.AcceptedDate, 'AcceptedDate written');
  const rejectedForCandidate = await bookingFromApi('Received', toReject, walk.candidateToken);
  assert.equal(rejectedForCandidate.Status, 'Rejected');
  assert.equal(rejectedForCandidate.RejectedReason, 'Fully booked that day');
  assert.equal((await bookingFromApi('Made', toAccept, clientToken)).Status, 'Accepted');
  assert.equal((await bookingFromApi('Made', toReject, clientToken)).Status, 'Rejected');
  await recordCookies(ctx);
  await ctx.close();
});

test('demo client: the client confirms the accepted booking and cancels others on /demo', T, async () => {
  assert.ok(walk?.candidateToken, 'needs the candidate test before it');
  const { server, clientToken, ids } = walk;
  const balance = async () => {
    const r = await api(server.base, '/v1/CreditHistory/GetCurrentCreditBalance', clientToken);
    assert.equal(r.status, 200, r.text);
    return Number(r.text);
  };
  const balanceBefore = await balance();

  const { ctx, page } = await demoSignIn('DemoClient', 'demo-password', { tokens: [], server });
  assert.equal((await page.textContent('#demo-user')).trim(), 'DemoClient');
  assert.equal(await page.locator('#demo-received').isVisible(), false, 'DemoClient received no bookings');
  assert.deepEqual(await rowShown(page, 'demo-bookings', ids.accepted), { status: 'Accepted', actions: ['confirm', 'cancel'] });
  assert.deepEqual(await rowShown(page, 'demo-bookings', ids.rejected), { status: 'Rejected', actions: [] });
  assert.deepEqual(await rowShown(page, 'demo-bookings', ids.DemoNoNumber), { status: 'Pending', actions: ['cancel'] });

  const confirmed = await clickAction(page, 'demo-bookings', ids.accepted, 'confirm', 'Confirmed');
  assert.match(confirmed, new RegExp(`booking ${ids.accepted}: its status is now Confirmed`), confirmed);
  assert.deepEqual(await rowShown(page, 'demo-bookings', ids.accepted), { status: 'Confirmed', actions: ['cancel'] });
  const paid = await bookingFromApi('Made', ids.accepted, clientToken);
  assert.equal(paid.Status, 'Confirmed');
  assert.ok(paid.ConfirmedDate, 'ConfirmedDate written');
  assert.equal(await balance(), balanceBefore - paid.Credits, 'the Confirm paid the booking\'s credits');
  assert.equal((await bookingFromApi('Received', ids.accepted, walk.candidateToken)).Status, 'Confirmed');

  await page.fill('#demo-reason', 'Plans changed');
  const cancelled = await clickAction(page, 'demo-bookings', ids.DemoNoNumber, 'cancel', 'Cancelled');
  assert.match(cancelled, new RegExp(`booking ${ids.DemoNoNumber}: its status is now Cancelled`), cancelled);
  assert.deepEqual(await rowShown(page, 'demo-bookings', ids.DemoNoNumber), { status: 'Cancelled', actions: [] });
  const gone = await bookingFromApi('Made', ids.DemoNoNumber, clientToken);
  assert.equal(gone.Status, 'Cancelled');
  assert.equal(gone.CancelledBy, 'Client');
  assert.equal(gone.CancelledReason, 'Plans changed');

  // A booking cancelled elsewhere while the page still offers Cancel: the 409 is shown, and the row moves on.
  const elsewhere = await apiPost(server.base, '/v1/PhoneChat/CancelMadeBooking', clientToken,
    { BookingID: ids.DemoSkype, Reason: 'Cancelled in another window' });
  assert.equal(elsewhere.status, 200, elsewhere.text.slice(0, 300));
  assert.deepEqual(await rowShown(page, 'demo-bookings', ids.DemoSkype), { status: 'Pending', actions: ['cancel'] },
    'the page has not read the list again yet');
  const conflict = await clickAction(page, 'demo-bookings', ids.DemoSkype, 'cancel', 'Cancelled');
  assert.match(conflict, new RegExp(`failed: HTTP 409: Booking ${ids.DemoSkype} cannot be cancelled: its status is Cancelled`),
    conflict);
  assert.equal(await page.getAttribute('#demo-message', 'class'), 'error');
  assert.equal((await bookingFromApi('Made', ids.DemoSkype, clientToken)).CancelledReason, 'Cancelled in another window',
    'the refused cancel changed nothing');
  assert.equal(await balance(), balanceBefore - paid.Credits, 'cancelling Pending bookings moves no credits');
  await recordCookies(ctx);
  await ctx.close();
  await server.stop();
});

test('browser: no Content-Security-Policy violation on any page visited', T, () => {
  assert.deepEqual(cspViolations, [], 'the pages need nothing their own CSP refuses (no inline script, allowed form targets)');
});

test('server output holds none of the secrets the browser tests used', T, async () => {
  const { problems } = await assertServersLeakedNothing();
  assert.deepEqual(problems, []);
});
