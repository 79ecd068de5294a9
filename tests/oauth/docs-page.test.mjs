// The docs page (/docs, docs/docs-page.md) in a real browser (Debian's Chromium driven by playwright-core), on the
// sandbox: Authorize signs in through the Unified Login (authorization code with PKCE, as the sandbox's public demo
// client), Try it out on MadeBookings shows DemoClient's bookings, every request stays on the server (any other
// host is refused and reported), and the page runs under the CSP it is sent without a violation.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, test } from 'node:test';
import { chromium } from 'playwright-core';
import {
  PHONECHAT_SCOPE, api, assertPageHeaders, assertServersLeakedNothing, parseCsp, secrets, startSandbox,
} from './oauth-harness.mjs';
import { mintToken } from '../blackbox/harness.mjs';

const T = { timeout: 120000 };
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync'];
const DEMO_CLIENT = { id: 2001, nickname: 'DemoClient', password: 'demo-password' };
const SANDBOX_CLIENT_ID = 'sandbox-demo';

let browser;
let sandbox;
let notBuilt; // why the tests skip: the binary was configured with -DPHONECHAT_DOCS_UI=OFF

before(async () => {
  assert.ok(fs.existsSync(CHROMIUM), `${CHROMIUM} is required (Debian package chromium)`);
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  sandbox = await startSandbox();
  const page = await fetch(`${sandbox.base}/docs`);
  if (page.status === 404 && /PHONECHAT_DOCS_UI/.test(await page.text())) notBuilt = 'built without the docs page (PHONECHAT_DOCS_UI=OFF)';
});

after(async () => {
  if (browser) await browser.close();
  if (!notBuilt) await assertServersLeakedNothing(); // with nothing tested there is no secret to look for
});

// A context in which every request to another origin than `base` is aborted and recorded, and every CSP violation
// of any of its pages (the sign-in window too) is recorded, with console errors and page errors.
async function watchedContext(base = sandbox.base) {
  const ctx = await browser.newContext();
  const seen = { foreign: [], violations: [], errors: [], requests: [] };
  // Every request, redirects included (the Unified Login's 303 to the redirect page does not pass the route).
  ctx.on('request', (request) => {
    const url = new URL(request.url());
    if (url.protocol === 'data:') return;
    if (url.origin !== base) seen.foreign.push(url.href);
    else seen.requests.push(`${request.method()} ${url.pathname}`);
  });
  await ctx.route('**/*', (route) => {
    if (new URL(route.request().url()).origin !== base) return route.abort('blockedbyclient');
    return route.continue();
  });
  await ctx.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || '(inline)'}`);
    });
  });
  const watch = (page) => {
    page.on('console', (msg) => {
      const text = msg.text();
      if (/Content Security Policy|CSP violation|Refused to (execute|load|send|frame|apply|connect)/i.test(text)) {
        seen.violations.push(`${page.url()}: ${text}`);
      } else if (msg.type() === 'error') {
        seen.errors.push(`${page.url()}: ${text}`);
      }
    });
    page.on('pageerror', (error) => seen.errors.push(`${page.url()}: ${error.message}`));
  };
  ctx.on('page', watch);
  return { ctx, seen };
}

test('docs page: the page and its files are served from the binary with the page headers', T, async (t) => {
  if (notBuilt) return t.skip(notBuilt);
  const page = await fetch(`${sandbox.base}/docs`);
  const html = await page.text();
  assert.equal(page.status, 200, html.slice(0, 300));
  assertPageHeaders(page, '/docs');
  const csp = parseCsp(page.headers.get('content-security-policy'));
  assert.deepEqual(csp.get('script-src'), ["'self'"]);
  assert.deepEqual(csp.get('connect-src'), ["'self'"]);
  assert.match(html, new RegExp(`<meta name="phonechat-docs-client-id" content="${SANDBOX_CLIENT_ID}">`));
  assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/i, 'no inline script');
  assert.doesNotMatch(html, /https?:\/\//, 'the page names no other host');
  const redirect = await fetch(`${sandbox.base}/docs/oauth2-redirect.html`);
  assertPageHeaders(redirect, '/docs/oauth2-redirect.html');
  assert.doesNotMatch(await redirect.text(), /<script(?![^>]*\bsrc=)[^>]*>/i, 'no inline script');
  for (const [file, type] of [['swagger-ui.css', 'text/css'], ['swagger-ui-bundle.js', 'text/javascript'],
    ['oauth2-redirect.js', 'text/javascript'], ['docs.js', 'text/javascript']]) {
    const r = await fetch(`${sandbox.base}/docs/${file}`);
    assert.equal(r.status, 200, file);
    assert.equal(r.headers.get('content-type'), `${type}; charset=utf-8`, file);
    assert.equal(r.headers.get('x-content-type-options'), 'nosniff', file);
    const etag = r.headers.get('etag');
    if (file === 'docs.js') continue;
    assert.match(etag || '', /^"[0-9a-f]{32}"$/, `${file}: ETag`);
    const again = await fetch(`${sandbox.base}/docs/${file}`, { headers: { 'If-None-Match': etag } });
    assert.equal(again.status, 304, `${file}: If-None-Match`);
  }
});

test('docs page: Authorize signs in through the Unified Login, Try it out lists DemoClient\'s bookings', T, async (t) => {
  if (notBuilt) return t.skip(notBuilt);
  const { ctx, seen } = await watchedContext();
  const page = await ctx.newPage();
  page.setDefaultTimeout(20000);
  await page.goto(`${sandbox.base}/docs`);
  await page.locator('.opblock').first().waitFor();
  assert.equal(await page.textContent('#docs-notice'), '', 'no notice: the sandbox names the client id');

  // Authorize: the oauth2 scheme (the authorization-code flow only), its client id, the bookings scope.
  await page.click('.scheme-container button.authorize');
  const scheme = page.locator('.auth-container').filter({ hasText: 'authorizationCode' });
  await scheme.waitFor();
  assert.equal(await page.locator('.auth-container').filter({ hasText: 'implicit' }).count(), 0, 'no implicit flow');
  assert.equal(await scheme.locator('input#client_id_authorizationCode').inputValue(), SANDBOX_CLIENT_ID);
  const scope = scheme.locator(`input[type="checkbox"][id^="${PHONECHAT_SCOPE}-authorizationCode-checkbox"]`);
  if (!(await scope.isChecked())) await scheme.locator(`label[for^="${PHONECHAT_SCOPE}-authorizationCode-checkbox"]`).click();
  assert.ok(await scope.isChecked(), `${PHONECHAT_SCOPE} ticked`);
  const [signIn] = await Promise.all([page.waitForEvent('popup'), scheme.locator('button.authorize').click()]);
  signIn.setDefaultTimeout(20000);
  // The popup exists before it has navigated: its URL is the authorize request only once that has started.
  await signIn.waitForURL(/\/OAuth\/Authorize\?/);
  const authorizeUrl = new URL(signIn.url());
  assert.equal(authorizeUrl.origin, sandbox.base);
  assert.equal(authorizeUrl.pathname, '/OAuth/Authorize');
  assert.equal(authorizeUrl.searchParams.get('client_id'), SANDBOX_CLIENT_ID);
  assert.equal(authorizeUrl.searchParams.get('redirect_uri'), `${sandbox.base}/docs/oauth2-redirect.html`);
  assert.equal(authorizeUrl.searchParams.get('code_challenge_method'), 'S256');
  assert.ok(authorizeUrl.searchParams.get('code_challenge'), 'a PKCE challenge');
  assert.equal(authorizeUrl.searchParams.get('scope'), PHONECHAT_SCOPE);

  // The Unified Login in the window Swagger UI opened: log in, consent, back to the redirect page, which closes.
  const tokens = [];
  page.on('response', async (r) => {
    if (/\/oauth\/token$/i.test(new URL(r.url()).pathname)) {
      try {
        const j = await r.json();
        tokens.push(j);
        secrets.add('docs page access token', j.access_token);
        secrets.add('docs page refresh token', j.refresh_token);
      } catch { /* not JSON: the assertions below report it */ }
    }
  });
  const closed = signIn.waitForEvent('close');
  await signIn.waitForSelector('#login-form');
  await signIn.fill('#login-form input[name="login"]', DEMO_CLIENT.nickname);
  await signIn.fill('#login-form input[name="password"]', DEMO_CLIENT.password);
  await signIn.click('#login-submit');
  await signIn.waitForSelector('#consent-form');
  await signIn.click('#consent-allow');
  await closed;
  await scheme.locator('button', { hasText: 'Logout' }).waitFor();
  assert.match(await scheme.textContent(), /Authorized/);
  assert.equal(tokens.length, 1, 'Swagger UI exchanged the code at /OAuth/token');
  assert.match(tokens[0].token_type, /^bearer$/i);
  assert.equal(tokens[0].scope, PHONECHAT_SCOPE);
  for (const c of await ctx.cookies()) secrets.add(`browser cookie ${c.name}`, c.value);
  await page.click('.modal-ux button.btn-done');

  // Try it out on GET /v1/PhoneChat/MadeBookings.
  const operation = page.locator('.opblock-get').filter({
    has: page.locator('.opblock-summary-path[data-path="/v1/PhoneChat/MadeBookings"]'),
  });
  await operation.locator('.opblock-summary-control').click();
  await operation.locator('button.try-out__btn').click();
  await operation.locator('button.execute').click();
  const live = operation.locator('.live-responses-table');
  await live.locator('.response-col_status').first().waitFor();
  const status = (await live.locator('tbody .response-col_status').first().textContent()).trim();
  const shown = await live.locator('tbody .response-col_description pre').first().textContent();
  assert.equal(status, '200', shown.slice(0, 300));
  const requestUrl = new URL((await operation.locator('.request-url pre').textContent()).trim());
  assert.equal(requestUrl.origin, sandbox.base, 'Try it out calls the server that served the page');
  assert.equal(requestUrl.pathname, '/v1/PhoneChat/MadeBookings');

  // The same bookings as the same call with a token the server issues from its command line.
  const bookings = JSON.parse(shown);
  const token = await mintToken(sandbox.db, { user: DEMO_CLIENT.id, clientId: 'demo-app', scope: PHONECHAT_SCOPE });
  secrets.add('minted token', token);
  const direct = await api(sandbox.base, `${requestUrl.pathname}${requestUrl.search}`, token);
  assert.equal(direct.status, 200, direct.text.slice(0, 300));
  const ids = (result) => result.Bookings.map((b) => b.BookingID);
  assert.ok(bookings.Bookings.length >= 1, 'DemoClient has bookings');
  assert.deepEqual(ids(bookings), ids(direct.json));
  assert.deepEqual(bookings, direct.json);

  // Offline and under the CSP: nothing asked of another host, no violation, no error.
  assert.deepEqual(seen.foreign, [], 'requests to other hosts');
  assert.deepEqual(seen.violations, [], 'CSP violations');
  assert.deepEqual(seen.errors, [], 'console and page errors');
  for (const path of ['/docs', '/docs/docs.js', '/docs/swagger-ui.css', '/docs/swagger-ui-bundle.js', '/openapi.json',
    '/OAuth/Authorize', '/docs/oauth2-redirect.html', '/docs/oauth2-redirect.js', '/OAuth/token',
    '/v1/PhoneChat/MadeBookings']) {
    assert.ok(seen.requests.some((r) => r.endsWith(` ${path}`)), `the browser asked for ${path}: ${seen.requests.join(', ')}`);
  }
  await ctx.close();
});

test('docs page: --docs-client-id names the client; with --db and without it the page says none is set', T, async (t) => {
  if (notBuilt) return t.skip(notBuilt);
  const named = await fetch(`${sandbox.base}/docs`);
  assert.match(await named.text(), /content="sandbox-demo"/);
  const other = await startSandbox({ extraArgs: ['--docs-client-id', '"><b>x'] });
  const html = await (await fetch(`${other.base}/docs`)).text();
  assert.match(html, /<meta name="phonechat-docs-client-id" content="&quot;&gt;&lt;b&gt;x">/, 'escaped');
  await other.stop();
  const none = await startSandbox({ extraArgs: ['--db', `sqlite://${sandbox.db.file}`] });
  const { ctx, seen } = await watchedContext(none.base);
  const page = await ctx.newPage();
  page.setDefaultTimeout(20000);
  await page.goto(`${none.base}/docs`);
  await page.locator('.opblock').first().waitFor();
  assert.match(await page.textContent('#docs-notice'), /No client id is configured/);
  assert.deepEqual(seen.foreign, []);
  assert.deepEqual(seen.violations, []);
  await ctx.close();
  await none.stop();
});
