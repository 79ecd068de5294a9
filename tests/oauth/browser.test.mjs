// The Unified Login in a real browser (Debian's Chromium driven by playwright-core): login and consent on the
// server's pages, landing on a third-party application's redirect URI (a tiny node:http server), cancel, the
// grants page with Revoke, hostile names rendered as text, framing refused, and the sandbox's demo client.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import { after, before, test } from 'node:test';
import { chromium } from 'playwright-core';
import {
  PHONECHAT_SCOPE, assertServersLeakedNothing, authorizeUrl, createProject, importRecords, importUsers, newDb,
  randomState, secrets, startOAuthServer, startSandbox, tokenRequest,
} from './oauth-harness.mjs';

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

async function demoSignIn(login, password, { tokens }) {
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
  await page.goto(`${sandbox.base}/demo`);
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

test('browser: no Content-Security-Policy violation on any page visited', T, () => {
  assert.deepEqual(cspViolations, [], 'the pages need nothing their own CSP refuses (no inline script, allowed form targets)');
});

test('server output holds none of the secrets the browser tests used', T, async () => {
  const { problems } = await assertServersLeakedNothing();
  assert.deepEqual(problems, []);
});
