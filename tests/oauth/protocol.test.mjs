// Black-box tests of the Unified Login over HTTP: every rule of the Unified Login (docs/api.md, "Unified Login") and the fixed decisions of the
// OAuth work, against the real binary. Browser steps are done with fetch (manual redirects, a cookie jar, form
// posts parsed from the pages); the third-party application's side with direct token endpoint calls.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  ACCOUNT_SCOPE, Agent, KNOWN_SCOPES, PHONECHAT_SCOPE, api, assertPageHeaders, assertServersLeakedNothing, authorize,
  authorizeUrl, bookingsStatus, createProject, describe, describeToken, disableProject, elementById, elementsByClass,
  formsIn, goesTo, importUsers, isConsentPage, isLoginPage, loginAt, newDb, parseForm, pkcePair, randomState,
  redirectParams, sameUrl, secrets, sleep, startOAuthServer, submitConsent, submitLogin, textOf, tokenRequest,
} from './oauth-harness.mjs';
import { Conn, requestBytes } from '../blackbox/harness.mjs';

const T = { timeout: 60000 };
const RU = 'http://127.0.0.1:9/cb'; // registered redirect URIs of the main project (never contacted)
const RU_APP = 'https://app.example.test/callback';
const RU_QUERY = 'http://127.0.0.1:9/cb?tenant=a';
const HOSTILE_PROJECT = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">';
const HOSTILE_NICK = '<img src=x id=pwn>';

const users = {
  main: { id: 3001, nickname: 'OAuthUser', password: 'Main-pass-3001!', email: 'oauth.user@example.test' },
  deny: { id: 3002, nickname: 'DenyUser', password: 'Deny-pass-3002!' },
  cancel: { id: 3003, nickname: 'CancelUser', password: 'Cancel-pass-3003!' },
  csrf: { id: 3004, nickname: 'CsrfUser', password: 'Csrf-pass-3004!' },
  grants: { id: 3005, nickname: 'GrantsUser', password: 'Grants-pass-3005!' },
  implicit: { id: 3006, nickname: 'ImplicitUser', password: 'Implicit-pass-3006!' },
  email: { id: 3007, nickname: 'EmailUser', password: 'Email-pass-3007!', email: 'email.user@example.test' },
  disabled: { id: 3008, nickname: 'DisabledUser', password: 'Disabled-pass-3008!' },
  logout: { id: 3009, nickname: 'LogoutUser', password: 'Logout-pass-3009!' },
  pub: { id: 3010, nickname: 'PublicUser', password: 'Public-pass-3010!' },
  hostile: { id: 3011, nickname: HOSTILE_NICK, password: 'Hostile-pass-3011!' },
  replay: { id: 3012, nickname: 'ReplayUser', password: 'Replay-pass-3012!' },
  reuse: { id: 3013, nickname: 'ReuseUser', password: 'Reuse-pass-3013!' },
  revoke: { id: 3014, nickname: 'RevokeUser', password: 'Revoke-pass-3014!' },
  boss: { id: 3900, nickname: 'AgencyBoss', password: 'Boss-pass-3900!' },
};
const GROUP = { id: 40, name: 'Agency Forty', manager: 3900, members: [3001] };

let db;
let srv;
let base;
const P = {}; // projects
const agents = {}; // one logged-in user agent per user key, created on first use
const pages = []; // every HTML page seen: [what, response] for the header check

function agentOf(key) {
  agents[key] ??= new Agent(base);
  return agents[key];
}
function seen(what, r) {
  pages.push([what, r]);
  return r;
}
const codeParams = (project, extra = {}) => ({ response_type: 'code', client_id: project.clientId, redirect_uri: project.redirectUris[0],
  scope: PHONECHAT_SCOPE, state: randomState(), ...extra });
const confidential = (project) => ({ client_id: project.clientId, client_secret: project.clientSecret });

// Authorization code -> token response through the form (client_secret_post).
async function exchange(project, code, extra = {}) {
  return tokenRequest(base, { grant_type: 'authorization_code', code, ...confidential(project), ...extra });
}
async function refresh(project, refreshToken) {
  return tokenRequest(base, { grant_type: 'refresh_token', refresh_token: refreshToken, ...confidential(project) });
}
// A full authorization for user key on project, exchanged: the token response JSON.
async function tokensFor(key, project, extra = {}) {
  const a = await authorize(agentOf(key), codeParams(project, extra), users[key]);
  const t = await exchange(project, a.params.get('code'));
  assert.equal(t.status, 200, `code exchange: ${describeToken(t)}`);
  return t.json;
}
function assertTokenError(r, status, error, what) {
  assert.equal(r.status, status, `${what}: expected ${status} ${error}, got ${describeToken(r)}`);
  assert.equal(r.json?.error, error, `${what}: expected error ${error}, got ${describeToken(r)}`);
}
function assertErrorPage(r, status, what) {
  assert.equal(r.status, status, `${what}: expected a ${status} error page, got ${describe(r)}`);
  assert.equal(r.headers.get('location'), null, `${what}: an error page never redirects: ${describe(r)}`);
  assert.ok(elementById(r.text, 'error-message'), `${what}: the error page has <p id="error-message">: ${describe(r)}`);
  seen(what, r);
}

before(async () => {
  db = newDb();
  await importUsers(db, Object.values(users), [GROUP]);
  P.main = await createProject(db, { name: 'Booking Helper', owner: 3900, redirectUris: [RU, RU_APP, RU_QUERY] });
  P.other = await createProject(db, { name: 'Other App', owner: 3900, redirectUris: ['http://127.0.0.1:9/other'] });
  P.implicit = await createProject(db, { name: 'Implicit App', owner: 3900, redirectUris: ['http://127.0.0.1:9/implicit'], implicit: true });
  P.pub = await createProject(db, { name: 'Public App', owner: 3900, redirectUris: ['http://127.0.0.1:9/public'], isPublic: true });
  P.doomed = await createProject(db, { name: 'Doomed App', owner: 3900, redirectUris: ['http://127.0.0.1:9/doomed'] });
  P.hostile = await createProject(db, { name: HOSTILE_PROJECT, owner: 3900, redirectUris: ['http://127.0.0.1:9/hostile'] });
  srv = await startOAuthServer(db);
  base = srv.base;
});

after(async () => {
  if (srv) await srv.stop();
});

// ---------------------------------------------------------------- metadata

test('metadata: /.well-known/oauth-authorization-server names the endpoints, PKCE S256 only and the known scopes', T, async () => {
  const r = await api(base, '/.well-known/oauth-authorization-server');
  assert.equal(r.status, 200, r.text);
  assert.match(r.headers.get('content-type') || '', /^application\/json/i);
  const m = r.json;
  assert.ok(m, `metadata is JSON: ${r.text}`);
  assert.equal(m.issuer, base, 'issuer is http://<listen address> without --issuer');
  assert.equal(m.authorization_endpoint, `${base}/OAuth/Authorize`);
  assert.equal(m.token_endpoint, `${base}/OAuth/token`);
  assert.equal(m.revocation_endpoint, `${base}/OAuth/revoke`);
  assert.ok(Array.isArray(m.response_types_supported) && m.response_types_supported.includes('code'), JSON.stringify(m));
  assert.ok(m.response_types_supported.includes('token'), 'the implicit grant exists (for projects that enable it)');
  for (const g of ['authorization_code', 'refresh_token']) assert.ok(m.grant_types_supported?.includes(g), `grant_types_supported has ${g}: ${JSON.stringify(m)}`);
  assert.deepEqual(m.code_challenge_methods_supported, ['S256'], 'PKCE: S256 only, plain refused');
  for (const a of ['client_secret_basic', 'client_secret_post', 'none']) {
    assert.ok(m.token_endpoint_auth_methods_supported?.includes(a), `token_endpoint_auth_methods_supported has ${a}: ${JSON.stringify(m)}`);
  }
  assert.deepEqual([...(m.scopes_supported || [])].sort(), [...KNOWN_SCOPES].sort(), 'scopes_supported lists the known scopes');
});

test('metadata: a client\'s Host never makes the issuer or an endpoint', T, async () => {
  const port = new URL(base).port;
  const conn = await Conn.open(+port);
  try {
    await conn.write(requestBytes('GET', '/.well-known/oauth-authorization-server', [['Host', 'evil.example'], ['Connection', 'close']]));
    const r = await conn.readResponse();
    assert.equal(r.status, 200, r.describe());
    assert.equal(r.json().issuer, base);
    assert.ok(!r.text.includes('evil.example'), r.text);
  } finally {
    conn.destroy();
  }
});

test('metadata: --issuer sets the issuer and the endpoints under it', T, async () => {
  const other = await startOAuthServer(db, { extraArgs: ['--issuer', 'https://login.example.test'] });
  try {
    const r = await api(other.base, '/.well-known/oauth-authorization-server');
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.issuer, 'https://login.example.test');
    assert.equal(r.json.authorization_endpoint, 'https://login.example.test/OAuth/Authorize');
    assert.equal(r.json.token_endpoint, 'https://login.example.test/OAuth/token');
  } finally {
    await other.stop();
  }
});

// ---------------------------------------------------------------- redirect URI and client checks

const BAD_REDIRECTS = [
  ['unregistered', 'http://evil.example.test/cb'],
  ['trailing slash', `${RU}/`],
  ['other port', 'http://127.0.0.1:10/cb'],
  ['other path case', 'http://127.0.0.1:9/CB'],
  ['other host case', 'https://APP.example.test/callback'],
  ['other scheme', 'https://127.0.0.1:9/cb'],
  ['prefix of a registered URI', 'http://127.0.0.1:9/c'],
  ['registered URI plus a path', `${RU}/x`],
  ['registered URI plus a query', `${RU}?x=1`],
  ['dot segments', 'http://127.0.0.1:9/x/../cb'],
  ['percent-encoded path', 'http://127.0.0.1:9/%63b'],
  ['userinfo', 'http://127.0.0.1:9@evil.example.test/cb'],
  ['registered URI of another project', 'http://127.0.0.1:9/other'],
];

test('redirect URI: anything but an exact registered string gets a 400 error page, never a Location to it', T, async () => {
  const failures = [];
  for (const [what, uri] of BAD_REDIRECTS) {
    const r = await new Agent(base).get(authorizeUrl(base, codeParams(P.main, { redirect_uri: uri })));
    if (r.status !== 400 || r.headers.get('location') !== null || !elementById(r.text, 'error-message')) {
      failures.push(`${what} (${uri}): ${describe(r)}`);
    } else seen(`error page (${what} redirect URI)`, r);
  }
  assert.deepEqual(failures, [], 'every non-matching redirect URI must get the 400 error page');
});

test('redirect URI: no redirect even when another parameter is wrong too (bad response_type, unknown scope)', T, async () => {
  for (const extra of [{ response_type: 'nonsense' }, { scope: 'no_such_scope' }, { response_type: 'token' }]) {
    const r = await new Agent(base).get(authorizeUrl(base, codeParams(P.main, { redirect_uri: 'http://evil.example.test/cb', ...extra })));
    assertErrorPage(r, 400, `unregistered redirect URI with ${JSON.stringify(extra)}`);
  }
});

test('client: unknown or missing client_id gets a 400 error page', T, async () => {
  const unknown = await new Agent(base).get(authorizeUrl(base, codeParams(P.main, { client_id: 'no-such-client' })));
  assertErrorPage(unknown, 400, 'unknown client_id');
  const missing = await new Agent(base).get(authorizeUrl(base, codeParams(P.main, { client_id: undefined })));
  assertErrorPage(missing, 400, 'missing client_id');
});

// ---------------------------------------------------------------- authorize errors redirected with state

async function expectErrorRedirect(params, error, what, { fragment = false } = {}) {
  const r = await new Agent(base).get(authorizeUrl(base, params));
  assert.equal(r.status, 302, `${what}: expected a 302 to the redirect URI with error=${error}, got ${describe(r)}`);
  assert.ok(goesTo(r.location, params.redirect_uri), `${what}: Location must be the registered redirect URI: ${describe(r)}`);
  const p = redirectParams(r.location, { fragment });
  assert.equal(p.get('error'), error, `${what}: error parameter in ${r.location}`);
  assert.equal(p.get('state'), params.state, `${what}: state echoed in ${r.location}`);
  assert.equal(p.get('code'), null, `${what}: no code with an error`);
}

test('authorize errors: bad response_type -> unsupported_response_type with state', T, async () => {
  await expectErrorRedirect(codeParams(P.main, { response_type: 'code_and_more' }), 'unsupported_response_type', 'response_type=code_and_more');
});

test('authorize errors: missing response_type -> invalid_request with state', T, async () => {
  await expectErrorRedirect(codeParams(P.main, { response_type: undefined }), 'invalid_request', 'no response_type');
});

test('authorize errors: an unknown scope name -> invalid_scope with state', T, async () => {
  await expectErrorRedirect(codeParams(P.main, { scope: `${PHONECHAT_SCOPE} account_everything` }), 'invalid_scope', 'unknown scope');
});

test('authorize errors: implicit grant not enabled for the project -> unauthorized_client', T, async () => {
  // RFC 6749 4.2.2.1 puts implicit-request errors in the fragment; a project without the implicit grant may
  // also be answered in the query: either place is accepted, the error and state must be there.
  const params = codeParams(P.main, { response_type: 'token' });
  const r = await new Agent(base).get(authorizeUrl(base, params));
  assert.equal(r.status, 302, `expected a 302 with error=unauthorized_client: ${describe(r)}`);
  assert.ok(goesTo(r.location, params.redirect_uri), describe(r));
  const q = redirectParams(r.location);
  const p = q.get('error') ? q : redirectParams(r.location, { fragment: true });
  assert.equal(p.get('error'), 'unauthorized_client', r.location);
  assert.equal(p.get('state'), params.state, r.location);
  assert.equal(p.get('access_token'), null, r.location);
});

test('authorize errors: PKCE plain method refused -> invalid_request', T, async () => {
  const { verifier } = pkcePair();
  await expectErrorRedirect(codeParams(P.main, { code_challenge: verifier, code_challenge_method: 'plain' }), 'invalid_request', 'code_challenge_method=plain');
});

test('authorize errors: a code_challenge without a method means plain (RFC 7636 4.3), refused -> invalid_request', T, async () => {
  const { challenge } = pkcePair();
  await expectErrorRedirect(codeParams(P.main, { code_challenge: challenge }), 'invalid_request', 'code_challenge without code_challenge_method');
});

test('authorize errors: an unknown PKCE method -> invalid_request', T, async () => {
  const { challenge } = pkcePair();
  await expectErrorRedirect(codeParams(P.main, { code_challenge: challenge, code_challenge_method: 'S512' }), 'invalid_request', 'code_challenge_method=S512');
});

// ---------------------------------------------------------------- login, consent, code (the main flow)

const flow = {}; // state shared by the main flow's steps

test('login page: the form, a pc_csrf cookie equal to the hidden csrf field, no session yet', T, async () => {
  const agent = agentOf('main');
  flow.params = codeParams(P.main, { state: 'st ate/é?&=#+%<"\'' });
  flow.url = authorizeUrl(base, flow.params);
  const r = seen('login page', await agent.get(flow.url));
  assert.ok(isLoginPage(r), `GET /OAuth/Authorize without a session shows the login page: ${describe(r)}`);
  const form = parseForm(r.text, 'login-form', r.url);
  assert.equal(form.method, 'post');
  assert.ok(sameUrl(form.action, flow.url), `the login form posts back to the same URL, query string kept: ${form.action}`);
  assert.ok(form.inputs.some((a) => a.name === 'login'), 'input name=login');
  assert.ok(form.inputs.some((a) => a.name === 'password' && a.type === 'password'), 'input name=password type=password');
  assert.ok(form.buttons.some((b) => b.id === 'login-submit' && b.name === 'action' && b.value === 'login'), 'button#login-submit action=login');
  assert.ok(form.buttons.some((b) => b.id === 'login-cancel' && b.name === 'action' && b.value === 'cancel'), 'button#login-cancel action=cancel');
  const csrf = form.hidden.find(([k]) => k === 'csrf')?.[1];
  assert.ok(csrf && csrf.length >= 16, `hidden csrf field present and random-looking: ${JSON.stringify(csrf)}`);
  assert.equal(agent.jar.get('pc_csrf'), csrf, 'double submit: the pc_csrf cookie holds the same value as the field');
  const raw = r.setCookies.find((c) => c.startsWith('pc_csrf='));
  assert.match(raw, /;\s*HttpOnly/i, `pc_csrf is HttpOnly: ${raw}`);
  assert.match(raw, /;\s*SameSite=Lax/i, `pc_csrf is SameSite=Lax: ${raw}`);
  assert.match(raw, /;\s*Path=\//i, `pc_csrf has Path=/: ${raw}`);
  assert.doesNotMatch(raw, /;\s*Secure/i, `over plain HTTP the cookie is not Secure (the browser would drop it): ${raw}`);
  assert.equal(agent.jar.get('pc_session'), undefined, 'no session before the login');
  flow.loginPage = r;
});

test('cookies: behind a trusted TLS-terminating proxy (X-Forwarded-Proto: https) they are Secure', T, async () => {
  const untrusted = await new Agent(base).get(flow.url, { headers: { 'X-Forwarded-Proto': 'https' } });
  const plain = untrusted.setCookies.find((c) => c.startsWith('pc_csrf='));
  assert.doesNotMatch(plain ?? '', /;\s*Secure/i, `a peer that is not a --trusted-proxy is not believed: ${plain}`);
  const proxied = await startOAuthServer(db, { extraArgs: ['--trusted-proxy', '127.0.0.1'] });
  const r = await new Agent(proxied.base).get(authorizeUrl(proxied.base, flow.params), { headers: { 'X-Forwarded-Proto': 'https' } });
  const raw = r.setCookies.find((c) => c.startsWith('pc_csrf='));
  assert.match(raw ?? '', /;\s*Secure/i, `pc_csrf is Secure: ${raw}`);
  await proxied.stop();
});

test('login: a wrong password shows the login page again with 401 and #login-error, and no session', T, async () => {
  const agent = agentOf('main');
  const r = seen('login page after a wrong password', await submitLogin(agent, flow.loginPage, users.main.nickname, 'Wrong-password-1'));
  assert.equal(r.status, 401, `wrong password -> 401 page: ${describe(r)}`);
  assert.ok(elementById(r.text, 'login-error'), `#login-error shown: ${describe(r)}`);
  assert.ok(parseForm(r.text, 'login-form', r.url), 'the login form is shown again');
  assert.equal(agent.jar.get('pc_session'), undefined, 'no session cookie after a failed login');
  flow.loginPage = r;
});

test('login: the right password answers 303 to the same authorize URL and sets pc_session HttpOnly SameSite=Lax', T, async () => {
  const agent = agentOf('main');
  const r = await submitLogin(agent, flow.loginPage, users.main.nickname, users.main.password);
  assert.equal(r.status, 303, `successful login -> 303: ${describe(r)}`);
  assert.ok(sameUrl(r.location, flow.url), `back to the same GET URL: ${r.location}`);
  const raw = r.setCookies.find((c) => c.startsWith('pc_session='));
  assert.ok(raw, `pc_session cookie set: ${describe(r)}`);
  assert.match(raw, /;\s*HttpOnly/i, `session cookie HttpOnly: ${raw}`);
  assert.match(raw, /;\s*SameSite=Lax/i, `session cookie SameSite=Lax: ${raw}`);
  assert.match(raw, /;\s*Path=\//i, `session cookie Path=/: ${raw}`);
  assert.ok(agent.jar.get('pc_session').length >= 20, 'session cookie value is long and random');
});

test('consent page: names the project and each requested scope in plain words, Allow and Deny buttons', T, async () => {
  const agent = agentOf('main');
  const r = seen('consent page', await agent.get(flow.url));
  assert.ok(isConsentPage(r), `with a session and no grant, the consent page: ${describe(r)}`);
  const project = elementById(r.text, 'consent-project');
  assert.ok(project, 'span#consent-project');
  assert.equal(textOf(project.inner), P.main.name);
  const scopes = elementsByClass(r.text, 'li', 'scope');
  assert.deepEqual(scopes.map((s) => s.attrs['data-scope']), [PHONECHAT_SCOPE]);
  for (const s of scopes) {
    const words = textOf(s.inner).replace(s.attrs['data-scope'], '').trim();
    assert.ok(words.length > 3, `scope ${s.attrs['data-scope']} explained in plain words: ${JSON.stringify(textOf(s.inner))}`);
  }
  const form = parseForm(r.text, 'consent-form', r.url);
  assert.ok(form.buttons.some((b) => b.id === 'consent-allow' && b.value === 'allow'), 'button#consent-allow value=allow');
  assert.ok(form.buttons.some((b) => b.id === 'consent-deny' && b.value === 'deny'), 'button#consent-deny value=deny');
  assert.ok(form.hidden.some(([k, v]) => k === 'csrf' && v === agent.jar.get('pc_csrf')), 'consent form carries the csrf field');
  flow.consentPage = r;
});

test('consent allow: 303 to the redirect URI with code and the state unchanged', T, async () => {
  const agent = agentOf('main');
  const r = await submitConsent(agent, flow.consentPage, 'allow');
  assert.equal(r.status, 303, `allow -> 303: ${describe(r)}`);
  assert.ok(r.rawLocation.startsWith(`${RU}?`), `Location is the redirect URI plus a query: ${describe(r)}`);
  const p = redirectParams(r.location);
  assert.ok(p.get('code') && p.get('code').length >= 20, `a long random code: ${r.location}`);
  assert.equal(p.get('state'), flow.params.state, 'state round trip (special characters included)');
  secrets.add('authorization code', p.get('code'));
  flow.code = p.get('code');
});

test('code exchange (client_secret in the form, the published fields only): bearer, 1200 s, refresh token, scope, no-store', T, async () => {
  const r = await exchange(P.main, flow.code);
  assert.equal(r.status, 200, describeToken(r));
  assert.match(r.headers.get('content-type') || '', /^application\/json/i, describeToken(r));
  assert.match(r.headers.get('cache-control') || '', /\bno-store\b/i, `Cache-Control: no-store: ${describeToken(r)}`);
  assert.match(r.headers.get('pragma') || '', /\bno-cache\b/i, `Pragma: no-cache: ${describeToken(r)}`);
  const t = r.json;
  assert.equal(typeof t.access_token, 'string');
  assert.ok(t.access_token.length >= 43, 'access token has at least 256 bits of base64url');
  assert.equal(t.token_type, 'bearer');
  assert.equal(t.expires_in, 1200);
  assert.equal(typeof t.refresh_token, 'string');
  assert.ok(t.refresh_token.length >= 43 && t.refresh_token !== t.access_token);
  assert.equal(t.scope, PHONECHAT_SCOPE);
  assert.equal(await bookingsStatus(base, t.access_token), 200, 'the access token works on /v1/PhoneChat/MadeBookings');
  flow.tokens = t;
});

test('remembered consent: a second authorize for granted scopes skips the consent page (302 with code)', T, async () => {
  const agent = agentOf('main');
  const params = codeParams(P.main);
  const r = await agent.get(authorizeUrl(base, params));
  assert.equal(r.status, 302, `direct redirect, no consent page: ${describe(r)}`);
  assert.ok(r.rawLocation.startsWith(`${RU}?`), describe(r));
  const p = redirectParams(r.location);
  assert.ok(p.get('code'), r.location);
  assert.equal(p.get('state'), params.state);
  secrets.add('authorization code', p.get('code'));
  const t = await exchange(P.main, p.get('code'));
  assert.equal(t.status, 200, describeToken(t));
});

test('remembered consent: a registered redirect URI with a query keeps it and adds code and state', T, async () => {
  const agent = agentOf('main');
  const params = codeParams(P.main, { redirect_uri: RU_QUERY });
  const r = await agent.get(authorizeUrl(base, params));
  assert.equal(r.status, 302, describe(r));
  assert.ok(r.rawLocation.startsWith(`${RU_QUERY}&`), `the registered query is kept (RFC 6749 3.1.2): ${describe(r)}`);
  const p = redirectParams(r.location);
  assert.equal(p.get('tenant'), 'a');
  assert.ok(p.get('code'));
  secrets.add('authorization code', p.get('code'));
});

test('remembered consent: a scope not granted yet shows the consent page again, listing the requested scopes', T, async () => {
  const agent = agentOf('main');
  const params = codeParams(P.main, { scope: `${PHONECHAT_SCOPE},${ACCOUNT_SCOPE}` });
  const r = seen('consent page (more scopes)', await agent.get(authorizeUrl(base, params)));
  assert.ok(isConsentPage(r), `a new scope needs consent: ${describe(r)}`);
  const listed = elementsByClass(r.text, 'li', 'scope').map((s) => s.attrs['data-scope']).sort();
  assert.deepEqual(listed, [ACCOUNT_SCOPE, PHONECHAT_SCOPE].sort(), 'comma-separated scopes are both listed');
  const allowed = await submitConsent(agent, r, 'allow');
  assert.equal(allowed.status, 303, describe(allowed));
  const code = redirectParams(allowed.location).get('code');
  secrets.add('authorization code', code);
  const t = await exchange(P.main, code);
  assert.equal(t.status, 200, describeToken(t));
  assert.deepEqual(t.json.scope.split(' ').sort(), [ACCOUNT_SCOPE, PHONECHAT_SCOPE].sort(), 'scope is space-separated in the answer');
  flow.accountTokens = t.json;
});

test('redirect URI: with a session and a remembered grant, a non-matching redirect URI still gets the error page', T, async () => {
  const agent = agentOf('main');
  for (const [what, uri] of BAD_REDIRECTS.slice(0, 4)) {
    const r = await agent.get(authorizeUrl(base, codeParams(P.main, { redirect_uri: uri })));
    assertErrorPage(r, 400, `${what} redirect URI, logged in with a grant`);
  }
});

test('paths are case-insensitive: /oauth/authorize and /OAUTH/TOKEN', T, async () => {
  const agent = agentOf('main');
  const params = codeParams(P.main);
  const r = await agent.get(authorizeUrl(base, params, '/oauth/authorize'));
  assert.equal(r.status, 302, describe(r));
  const code = redirectParams(r.location).get('code');
  secrets.add('authorization code', code);
  const t = await tokenRequest(base, { grant_type: 'authorization_code', code, ...confidential(P.main) }, { path: '/OAUTH/TOKEN' });
  assert.equal(t.status, 200, describeToken(t));
});

test('code exchange with HTTP Basic client authentication', T, async () => {
  const a = await authorize(agentOf('main'), codeParams(P.main), users.main);
  const r = await tokenRequest(base, { grant_type: 'authorization_code', code: a.params.get('code') },
    { basic: [P.main.clientId, P.main.clientSecret] });
  assert.equal(r.status, 200, describeToken(r));
  assert.equal(r.json.token_type, 'bearer');
  assert.match(r.headers.get('cache-control') || '', /\bno-store\b/i);
  assert.match(r.headers.get('pragma') || '', /\bno-cache\b/i);
  assert.equal(await bookingsStatus(base, r.json.access_token), 200);
});

test('code exchange with the redirect_uri of the authorization request is accepted', T, async () => {
  const a = await authorize(agentOf('main'), codeParams(P.main), users.main);
  const r = await exchange(P.main, a.params.get('code'), { redirect_uri: RU });
  assert.equal(r.status, 200, describeToken(r));
});

// ---------------------------------------------------------------- codes: single use, binding

test('code reuse: the second use is invalid_grant and revokes the access and refresh tokens of the first', T, async () => {
  const a = await authorize(agentOf('reuse'), codeParams(P.main), users.reuse);
  const code = a.params.get('code');
  const first = await exchange(P.main, code);
  assert.equal(first.status, 200, describeToken(first));
  assert.equal(await bookingsStatus(base, first.json.access_token), 200);
  const second = await exchange(P.main, code);
  assertTokenError(second, 400, 'invalid_grant', 'second use of a code');
  assert.equal(await bookingsStatus(base, first.json.access_token), 401, 'the access token of the first exchange stops working');
  const r = await refresh(P.main, first.json.refresh_token);
  assertTokenError(r, 400, 'invalid_grant', 'the refresh token of the first exchange after the code was reused');
});

test('code: an unknown code is invalid_grant', T, async () => {
  assertTokenError(await exchange(P.main, 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'), 400, 'invalid_grant', 'unknown code');
});

test('code: a missing code is invalid_request', T, async () => {
  assertTokenError(await tokenRequest(base, { grant_type: 'authorization_code', ...confidential(P.main) }), 400, 'invalid_request', 'no code');
});

test('code: bound to the client (another client cannot redeem it) and to the redirect URI', T, async () => {
  const a = await authorize(agentOf('main'), codeParams(P.main), users.main);
  const code = a.params.get('code');
  assertTokenError(await exchange(P.other, code), 400, 'invalid_grant', 'code of another client');
  const b = await authorize(agentOf('main'), codeParams(P.main), users.main);
  assertTokenError(await exchange(P.main, b.params.get('code'), { redirect_uri: RU_APP }), 400, 'invalid_grant',
    'redirect_uri differing from the authorization request');
});

test('code expiry: a code past its lifetime (shortened with --code-lifetime) is invalid_grant', T, async () => {
  const other = await startOAuthServer(db, { extraArgs: ['--code-lifetime', '1'] });
  try {
    const agent = new Agent(other.base);
    const a = await authorize(agent, codeParams(P.main), users.main);
    await sleep(2500);
    const r = await tokenRequest(other.base, { grant_type: 'authorization_code', code: a.params.get('code'), ...confidential(P.main) });
    assertTokenError(r, 400, 'invalid_grant', 'expired code');
  } finally {
    await other.stop();
  }
});

// ---------------------------------------------------------------- PKCE

test('PKCE S256: the right verifier exchanges the code', T, async () => {
  const { verifier, challenge } = pkcePair();
  const a = await authorize(agentOf('main'), codeParams(P.main, { code_challenge: challenge, code_challenge_method: 'S256' }), users.main);
  const r = await exchange(P.main, a.params.get('code'), { code_verifier: verifier });
  assert.equal(r.status, 200, describeToken(r));
});

test('PKCE: a challenge was sent and no verifier -> invalid_grant', T, async () => {
  const { challenge } = pkcePair();
  const a = await authorize(agentOf('main'), codeParams(P.main, { code_challenge: challenge, code_challenge_method: 'S256' }), users.main);
  assertTokenError(await exchange(P.main, a.params.get('code')), 400, 'invalid_grant', 'challenge without verifier');
});

test('PKCE: a wrong verifier -> invalid_grant', T, async () => {
  const { challenge } = pkcePair();
  const other = pkcePair();
  const a = await authorize(agentOf('main'), codeParams(P.main, { code_challenge: challenge, code_challenge_method: 'S256' }), users.main);
  assertTokenError(await exchange(P.main, a.params.get('code'), { code_verifier: other.verifier }), 400, 'invalid_grant', 'wrong verifier');
});

test('PKCE: the challenge itself sent as verifier (plain downgrade) -> invalid_grant', T, async () => {
  const { challenge } = pkcePair();
  const a = await authorize(agentOf('main'), codeParams(P.main, { code_challenge: challenge, code_challenge_method: 'S256' }), users.main);
  assertTokenError(await exchange(P.main, a.params.get('code'), { code_verifier: challenge }), 400, 'invalid_grant', 'challenge as verifier');
});

test('PKCE: a verifier without a challenge -> invalid_grant', T, async () => {
  const { verifier } = pkcePair();
  const a = await authorize(agentOf('main'), codeParams(P.main), users.main);
  assertTokenError(await exchange(P.main, a.params.get('code'), { code_verifier: verifier }), 400, 'invalid_grant', 'verifier without challenge');
});

test('public client: client_id only plus the PKCE verifier exchanges the code', T, async () => {
  const { verifier, challenge } = pkcePair();
  const a = await authorize(agentOf('pub'), codeParams(P.pub, { code_challenge: challenge, code_challenge_method: 'S256' }), users.pub);
  const r = await tokenRequest(base, { grant_type: 'authorization_code', code: a.params.get('code'), client_id: P.pub.clientId, code_verifier: verifier });
  assert.equal(r.status, 200, describeToken(r));
  assert.equal(r.json.token_type, 'bearer');
  assert.equal(await bookingsStatus(base, r.json.access_token), 200);
});

test('public client: without PKCE no token is issued (refused at authorize or at the exchange)', T, async () => {
  const params = codeParams(P.pub);
  const r = await agentOf('pub').get(authorizeUrl(base, params));
  assert.ok([302, 303].includes(r.status) && goesTo(r.location, params.redirect_uri), describe(r));
  const p = redirectParams(r.location);
  if (p.get('error')) {
    assert.equal(p.get('error'), 'invalid_request', `public client without PKCE: ${r.location}`);
    return;
  }
  const code = p.get('code');
  secrets.add('authorization code', code);
  const t = await tokenRequest(base, { grant_type: 'authorization_code', code, client_id: P.pub.clientId });
  assert.equal(t.status, 400, `a public client's code without PKCE must not be exchanged: ${describeToken(t)}`);
  assert.ok(['invalid_request', 'invalid_grant'].includes(t.json?.error), describeToken(t));
});

// ---------------------------------------------------------------- refresh rotation and theft

test('refresh: rotation twice, each answer a new refresh token and a working access token, no-store', T, async () => {
  const first = await tokensFor('replay', P.main);
  const r1 = await refresh(P.main, first.refresh_token);
  assert.equal(r1.status, 200, describeToken(r1));
  assert.match(r1.headers.get('cache-control') || '', /\bno-store\b/i);
  assert.match(r1.headers.get('pragma') || '', /\bno-cache\b/i);
  assert.equal(r1.json.token_type, 'bearer');
  assert.equal(r1.json.expires_in, 1200);
  assert.equal(r1.json.scope, PHONECHAT_SCOPE);
  assert.notEqual(r1.json.refresh_token, first.refresh_token, 'a new refresh token');
  assert.notEqual(r1.json.access_token, first.access_token, 'a new access token');
  const r2 = await tokenRequest(base, { grant_type: 'refresh_token', refresh_token: r1.json.refresh_token },
    { basic: [P.main.clientId, P.main.clientSecret] });
  assert.equal(r2.status, 200, describeToken(r2));
  assert.notEqual(r2.json.refresh_token, r1.json.refresh_token);
  assert.equal(await bookingsStatus(base, r2.json.access_token), 200);
  flow.family = { first, r1: r1.json, r2: r2.json };
});

test('refresh: replaying a rotated refresh token is invalid_grant and revokes the live tokens of the family', T, async () => {
  const { first, r1, r2 } = flow.family;
  assertTokenError(await refresh(P.main, first.refresh_token), 400, 'invalid_grant', 'replay of the first (rotated) refresh token');
  assert.equal(await bookingsStatus(base, r2.access_token), 401, 'the newest access token of the family stops working');
  assertTokenError(await refresh(P.main, r2.refresh_token), 400, 'invalid_grant', 'the newest refresh token of the family after the replay');
  assert.equal(await bookingsStatus(base, r1.access_token), 401, 'earlier access tokens of the family too');
});

test('refresh: another client cannot use the refresh token; an unknown one is invalid_grant', T, async () => {
  const t = await tokensFor('main', P.main);
  assertTokenError(await refresh(P.other, t.refresh_token), 400, 'invalid_grant', 'refresh token of another client');
  assertTokenError(await refresh(P.main, 'BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB'), 400, 'invalid_grant', 'unknown refresh token');
  const ok = await refresh(P.main, t.refresh_token);
  assert.equal(ok.status, 200, `the refresh token still works for its own client: ${describeToken(ok)}`);
});

test('refresh: an expired refresh token -> 401 {"error":"refresh_token_has_expired"} (with a shortened lifetime)', T, async () => {
  const other = await startOAuthServer(db, { extraArgs: ['--refresh-token-lifetime', '2'] });
  try {
    const agent = new Agent(other.base);
    const a = await authorize(agent, codeParams(P.main), users.main);
    const tokens = await tokenRequest(other.base, { grant_type: 'authorization_code', code: a.params.get('code'), ...confidential(P.main) });
    assert.equal(tokens.status, 200, describeToken(tokens));
    await sleep(3500);
    const r = await tokenRequest(other.base, { grant_type: 'refresh_token', refresh_token: tokens.json.refresh_token, ...confidential(P.main) });
    assert.equal(r.status, 401, describeToken(r));
    assert.deepEqual(r.json?.error, 'refresh_token_has_expired', describeToken(r));
  } finally {
    await other.stop();
  }
});

// ---------------------------------------------------------------- client authentication, grant types

test('client authentication: a wrong secret in the form -> 401 invalid_client', T, async () => {
  const a = await authorize(agentOf('main'), codeParams(P.main), users.main);
  const r = await exchange(P.main, a.params.get('code'), { client_secret: 'not-the-secret-at-all' });
  assertTokenError(r, 401, 'invalid_client', 'wrong client_secret (form)');
  flow.codeAfterBadSecret = a.params.get('code');
});

test('client authentication: a wrong secret with Basic -> 401 invalid_client and WWW-Authenticate: Basic', T, async () => {
  const r = await tokenRequest(base, { grant_type: 'authorization_code', code: flow.codeAfterBadSecret },
    { basic: [P.main.clientId, 'not-the-secret-at-all'] });
  assertTokenError(r, 401, 'invalid_client', 'wrong client secret (Basic)');
  assert.match(r.headers.get('www-authenticate') || '', /^Basic\b/i, `WWW-Authenticate: Basic when Basic was used: ${describeToken(r)}`);
});

test('client authentication: unknown client_id, or no secret from a confidential client -> 401 invalid_client', T, async () => {
  assertTokenError(await tokenRequest(base, { grant_type: 'authorization_code', code: 'x'.repeat(43), client_id: 'no-such-client', client_secret: 'whatever-secret' }),
    401, 'invalid_client', 'unknown client_id');
  assertTokenError(await tokenRequest(base, { grant_type: 'authorization_code', code: flow.codeAfterBadSecret, client_id: P.main.clientId }),
    401, 'invalid_client', 'confidential client without its secret');
  assertTokenError(await tokenRequest(base, { grant_type: 'refresh_token', refresh_token: 'y'.repeat(43), client_id: P.main.clientId, client_secret: P.other.clientSecret }),
    401, 'invalid_client', "another project's secret");
});

test('grant types: unsupported ones -> unsupported_grant_type; a missing one -> invalid_request', T, async () => {
  for (const g of ['password', 'client_credentials', 'urn:ietf:params:oauth:grant-type:device_code', 'implicit']) {
    const r = await tokenRequest(base, { grant_type: g, username: users.main.nickname, password: users.main.password, ...confidential(P.main) });
    assertTokenError(r, 400, 'unsupported_grant_type', `grant_type=${g}`);
  }
  assertTokenError(await tokenRequest(base, { code: 'z'.repeat(43), ...confidential(P.main) }), 400, 'invalid_request', 'no grant_type');
});

test('token endpoint: GET is 405', T, async () => {
  const r = await fetch(new URL('/OAuth/token', base), { redirect: 'manual' });
  assert.equal(r.status, 405, `GET /OAuth/token: ${r.status} ${await r.text()}`);
});

// ---------------------------------------------------------------- revocation (RFC 7009)

test('revoke: an unknown token answers 200', T, async () => {
  const r = await tokenRequest(base, { token: 'C'.repeat(43), ...confidential(P.main) }, { path: '/OAuth/revoke' });
  assert.equal(r.status, 200, describeToken(r));
});

test('revoke: a refresh token stops refreshing; an access token stops working', T, async () => {
  const t = await tokensFor('revoke', P.main);
  const r = await tokenRequest(base, { token: t.refresh_token, token_type_hint: 'refresh_token', ...confidential(P.main) }, { path: '/OAuth/revoke' });
  assert.equal(r.status, 200, describeToken(r));
  assertTokenError(await refresh(P.main, t.refresh_token), 400, 'invalid_grant', 'refresh after its revocation');
  const t2 = await tokensFor('revoke', P.main);
  assert.equal(await bookingsStatus(base, t2.access_token), 200);
  const r2 = await tokenRequest(base, { token: t2.access_token }, { path: '/OAuth/revoke', basic: [P.main.clientId, P.main.clientSecret] });
  assert.equal(r2.status, 200, describeToken(r2));
  assert.equal(await bookingsStatus(base, t2.access_token), 401, 'access token revoked (no hint given)');
});

test("revoke: another client's token is left alone; a wrong secret -> 401 invalid_client", T, async () => {
  const t = await tokensFor('revoke', P.main);
  const r = await tokenRequest(base, { token: t.access_token, ...confidential(P.other) }, { path: '/OAuth/revoke' });
  assert.ok([200, 400].includes(r.status), describeToken(r));
  assert.equal(await bookingsStatus(base, t.access_token), 200, 'a client cannot revoke the tokens of another');
  const r2 = await tokenRequest(base, { token: t.refresh_token, ...confidential(P.other) }, { path: '/OAuth/revoke' });
  assert.ok([200, 400].includes(r2.status), describeToken(r2));
  assert.equal((await refresh(P.main, t.refresh_token)).status, 200, "another client's revoke left the refresh token working");
  const bad = await tokenRequest(base, { token: t.access_token, client_id: P.main.clientId, client_secret: 'wrong-secret-here' }, { path: '/OAuth/revoke' });
  assertTokenError(bad, 401, 'invalid_client', 'revoke with a wrong secret');
});

// ---------------------------------------------------------------- implicit grant

test('implicit: an --implicit project gets #access_token, bearer, 1200, state, and no refresh token', T, async () => {
  const params = { response_type: 'token', client_id: P.implicit.clientId, redirect_uri: P.implicit.redirectUris[0], scope: PHONECHAT_SCOPE, state: randomState() };
  const a = await authorize(agentOf('implicit'), params, users.implicit, { fragment: true });
  assert.ok(a.location.startsWith(`${params.redirect_uri}#`), `result in the fragment: ${a.location}`);
  assert.equal(redirectParams(a.location).toString(), '', 'nothing in the query');
  const f = a.params;
  assert.ok(f.get('access_token'), a.location);
  assert.equal(f.get('token_type'), 'bearer');
  assert.equal(f.get('expires_in'), '1200');
  assert.equal(f.get('state'), params.state);
  assert.equal(f.get('refresh_token'), null, 'no refresh token in the implicit grant');
  assert.equal(f.get('code'), null);
  assert.equal(await bookingsStatus(base, f.get('access_token')), 200);
});

test('implicit: cancel at the login gives #status=cancelled&state=…', T, async () => {
  const params = { response_type: 'token', client_id: P.implicit.clientId, redirect_uri: P.implicit.redirectUris[0], scope: PHONECHAT_SCOPE, state: randomState() };
  const agent = new Agent(base);
  const page = await agent.get(authorizeUrl(base, params));
  assert.ok(isLoginPage(page), describe(page));
  const r = await submitLogin(agent, page, undefined, undefined, { action: 'cancel' });
  assert.equal(r.status, 303, describe(r));
  assert.ok(r.rawLocation.startsWith(`${params.redirect_uri}#`), `cancel of an implicit request goes in the fragment: ${describe(r)}`);
  const f = redirectParams(r.location, { fragment: true });
  assert.equal(f.get('status'), 'cancelled');
  assert.equal(f.get('state'), params.state);
  assert.equal(f.get('access_token'), null);
});

test('implicit: deny gives error=access_denied and state in the fragment (RFC 6749 4.2.2.1)', T, async () => {
  const params = { response_type: 'token', client_id: P.implicit.clientId, redirect_uri: P.implicit.redirectUris[0], scope: ACCOUNT_SCOPE, state: randomState() };
  const agent = agentOf('implicit');
  const r = await agent.get(authorizeUrl(base, params));
  assert.ok(isConsentPage(r), `a new scope needs consent: ${describe(r)}`);
  const d = await submitConsent(agent, r, 'deny');
  assert.equal(d.status, 303, describe(d));
  assert.ok(d.rawLocation.startsWith(`${params.redirect_uri}#`), describe(d));
  const f = redirectParams(d.location, { fragment: true });
  assert.equal(f.get('error'), 'access_denied');
  assert.equal(f.get('state'), params.state);
});

// ---------------------------------------------------------------- cancel, deny, CSRF

test('cancel at the login: 303 to <redirect_uri>?code=&state=…&status=cancelled', T, async () => {
  const params = codeParams(P.main);
  const agent = agentOf('cancel');
  const page = await agent.get(authorizeUrl(base, params));
  assert.ok(isLoginPage(page), describe(page));
  const r = await submitLogin(agent, page, undefined, undefined, { action: 'cancel' });
  assert.equal(r.status, 303, describe(r));
  assert.ok(r.rawLocation.startsWith(`${RU}?`), describe(r));
  const p = redirectParams(r.location);
  assert.ok(p.has('code') && p.get('code') === '', `an empty code parameter: ${r.location}`);
  assert.equal(p.get('state'), params.state);
  assert.equal(p.get('status'), 'cancelled');
  assert.equal(agent.jar.get('pc_session'), undefined, 'cancel logs no one in');
});

test('deny at the consent page: 303 to the redirect URI with error=access_denied and state, no code', T, async () => {
  const params = codeParams(P.main);
  const agent = agentOf('deny');
  const consent = await loginAt(agent, authorizeUrl(base, params), users.deny);
  assert.ok(isConsentPage(consent), describe(consent));
  const r = await submitConsent(agent, consent, 'deny');
  assert.equal(r.status, 303, describe(r));
  assert.ok(r.rawLocation.startsWith(`${RU}?`), describe(r));
  const p = redirectParams(r.location);
  assert.equal(p.get('error'), 'access_denied');
  assert.equal(p.get('state'), params.state);
  assert.equal(p.get('code'), null);
  const again = await agent.get(authorizeUrl(base, codeParams(P.main)));
  assert.ok(isConsentPage(again), `a denial grants nothing: the next authorize asks again: ${describe(again)}`);
});

test('CSRF: login posts with a missing or wrong csrf field, or without the cookie, get the 403 page', T, async () => {
  const url = authorizeUrl(base, codeParams(P.main));
  const agent = agentOf('csrf');
  const page = await agent.get(url);
  assert.ok(isLoginPage(page), describe(page));
  const missing = await submitLogin(agent, page, users.csrf.nickname, users.csrf.password, { csrf: null });
  assertErrorPage(missing, 403, 'login without the csrf field');
  const wrong = await submitLogin(agent, page, users.csrf.nickname, users.csrf.password, { csrf: 'A'.repeat(43) });
  assertErrorPage(wrong, 403, 'login with a wrong csrf field');
  const cookieless = new Agent(base);
  const fieldOnly = await submitLogin(cookieless, page, users.csrf.nickname, users.csrf.password);
  assertErrorPage(fieldOnly, 403, 'login with the csrf field but no pc_csrf cookie');
  assert.equal(agent.jar.get('pc_session'), undefined, 'no session from a refused post');
  assert.equal(cookieless.jar.get('pc_session'), undefined, 'no session from a refused post');
});

test('CSRF: consent posts with a missing or wrong csrf get the 403 page and issue no code', T, async () => {
  const agent = agentOf('csrf');
  const params = codeParams(P.main);
  const consent = await loginAt(agent, authorizeUrl(base, params), users.csrf);
  assert.ok(isConsentPage(consent), describe(consent));
  for (const [what, csrf] of [['missing', null], ['wrong', 'B'.repeat(43)]]) {
    const r = await submitConsent(agent, consent, 'allow', { csrf });
    assertErrorPage(r, 403, `consent allow with a ${what} csrf field`);
  }
  const again = await agent.get(authorizeUrl(base, params));
  assert.ok(isConsentPage(again), `a refused allow granted nothing: ${describe(again)}`);
});

test('consent cannot be posted without a session: no code is issued', T, async () => {
  const agent = agentOf('csrf');
  const params = codeParams(P.other);
  const consent = await agent.get(authorizeUrl(base, params));
  assert.ok(isConsentPage(consent), describe(consent));
  const stranger = new Agent(base);
  stranger.jar.set('pc_csrf', agent.jar.get('pc_csrf'));
  const r = await submitConsent(stranger, consent, 'allow');
  assert.ok(!(r.location && redirectParams(r.location).get('code')), `an allow without a session must not issue a code: ${describe(r)}`);
  assert.ok(r.status >= 400 || isLoginPage(r) || (r.status === 303 && !goesTo(r.location, params.redirect_uri)), describe(r));
});

// ---------------------------------------------------------------- login variants, logout

test('login with the e-mail address instead of the nickname', T, async () => {
  const a = await authorize(new Agent(base), codeParams(P.main), { login: users.email.email, password: users.email.password });
  assert.ok(a.params.get('code'), a.location);
  const t = await exchange(P.main, a.params.get('code'));
  assert.equal(t.status, 200, describeToken(t));
  const v = await api(base, '/v1/Account/VerifyCredentials', t.json.access_token);
  assert.equal(v.json?.UserID, users.email.id, v.text);
});

test('logout: POST /OAuth/Logout (303) ends the session; the old cookie no longer counts', T, async () => {
  const agent = agentOf('logout');
  await authorize(agent, codeParams(P.main), users.logout);
  const session = agent.jar.get('pc_session');
  const r = await agent.post('/OAuth/Logout', { csrf: agent.jar.get('pc_csrf') });
  assert.equal(r.status, 303, describe(r));
  agent.jar.set('pc_session', session); // even if the browser kept it, the server must have forgotten it
  const page = await agent.get(authorizeUrl(base, codeParams(P.main)));
  assert.ok(isLoginPage(page), `after logout the authorize shows the login page: ${describe(page)}`);
});

test('logout: without the csrf field it is refused (403) and the session lives on', T, async () => {
  const agent = new Agent(base);
  await authorize(agent, codeParams(P.main), users.logout);
  const r = await agent.post('/OAuth/Logout', {});
  assertErrorPage(r, 403, 'logout without csrf');
  const again = await agent.get(authorizeUrl(base, codeParams(P.main)));
  assert.equal(again.status, 302, `still logged in (granted scope: straight back): ${describe(again)}`);
  secrets.add('authorization code', redirectParams(again.location).get('code'));
});

test('session fixation: a pc_session cookie set before the login is not the session the login creates', T, async () => {
  const agent = new Agent(base);
  const fixated = 'F'.repeat(43);
  agent.jar.set('pc_session', fixated);
  const params = codeParams(P.main);
  const page = await agent.get(authorizeUrl(base, params));
  assert.ok(isLoginPage(page), `an unknown session cookie counts as no session: ${describe(page)}`);
  const r = await submitLogin(agent, page, users.logout.nickname, users.logout.password);
  assert.equal(r.status, 303, describe(r));
  assert.ok(agent.jar.get('pc_session') && agent.jar.get('pc_session') !== fixated, 'the login sets a new session value');
  const stranger = new Agent(base);
  stranger.jar.set('pc_session', fixated);
  const other = await stranger.get(authorizeUrl(base, codeParams(P.main)));
  assert.ok(isLoginPage(other), `the fixated value grants nothing: ${describe(other)}`);
});

// ---------------------------------------------------------------- account endpoints

test('VerifyCredentials: UserID and Nickname; group fields only with account_information', T, async () => {
  const plain = await api(base, '/v1/Account/VerifyCredentials', flow.tokens.access_token);
  assert.equal(plain.status, 200, plain.text);
  assert.equal(plain.json.UserID, users.main.id);
  assert.equal(plain.json.Nickname, users.main.nickname);
  for (const f of ['GroupID', 'GroupName', 'IsGroupManager']) assert.ok(!(f in plain.json), `${f} only with account_information: ${plain.text}`);
  const full = await api(base, '/v1/Account/VerifyCredentials', flow.accountTokens.access_token);
  assert.equal(full.status, 200, full.text);
  assert.equal(full.json.UserID, users.main.id);
  assert.equal(full.json.GroupID, GROUP.id, full.text);
  assert.equal(full.json.GroupName, GROUP.name, full.text);
  assert.equal(full.json.IsGroupManager, false, full.text);
  const boss = await tokensFor('boss', P.main, { scope: ACCOUNT_SCOPE });
  const b = await api(base, '/v1/Account/VerifyCredentials', boss.access_token);
  assert.equal(b.status, 200, b.text);
  assert.equal(b.json.UserID, users.boss.id);
  assert.equal(b.json.IsGroupManager, true, b.text);
  const none = await api(base, '/v1/Account/VerifyCredentials');
  assert.equal(none.status, 401, 'no token -> 401');
});

test('GetPermissions: each granted scope with Status granted', T, async () => {
  const r = await api(base, '/v1/Account/GetPermissions', flow.accountTokens.access_token);
  assert.equal(r.status, 200, r.text);
  assert.ok(Array.isArray(r.json?.Permissions), r.text);
  assert.deepEqual(r.json.Permissions.map((p) => p.Permission).sort(), [ACCOUNT_SCOPE, PHONECHAT_SCOPE].sort(), r.text);
  for (const p of r.json.Permissions) assert.equal(p.Status, 'granted', r.text);
  const only = await api(base, '/v1/Account/GetPermissions', flow.tokens.access_token);
  assert.deepEqual(only.json?.Permissions?.map((p) => p.Permission), [PHONECHAT_SCOPE], only.text);
  assert.equal((await api(base, '/v1/Account/GetPermissions')).status, 401, 'no token -> 401');
});

test('scopes: an access token without account_phonechat_bookings gets 403 on MadeBookings', T, async () => {
  const t = await tokensFor('boss', P.main, { scope: ACCOUNT_SCOPE });
  const r = await api(base, '/v1/PhoneChat/MadeBookings', t.access_token);
  assert.equal(r.status, 403, r.text);
});

// ---------------------------------------------------------------- grants page

test('grants page: login form first (posting to /OAuth/Grants), then the authorized projects', T, async () => {
  await tokensFor('grants', P.main);
  const agent = new Agent(base);
  const page = seen('grants page login', await agent.get('/OAuth/Grants'));
  assert.ok(isLoginPage(page), `no session: the login form: ${describe(page)}`);
  assert.equal(new URL(parseForm(page.text, 'login-form', page.url).action).pathname.toLowerCase(), '/oauth/grants');
  const posted = await submitLogin(agent, page, users.grants.nickname, users.grants.password);
  assert.equal(posted.status, 303, describe(posted));
  const list = seen('grants page', await agent.get(posted.location));
  assert.equal(list.status, 200, describe(list));
  const grants = elementsByClass(list.text, 'li', 'grant');
  const mine = grants.find((g) => g.attrs['data-client-id'] === P.main.clientId);
  assert.ok(mine, `li.grant[data-client-id=${P.main.clientId}] listed: ${list.text.slice(0, 2000)}`);
  assert.ok(textOf(mine.inner).includes(P.main.name), 'the grant shows the project name');
  assert.ok(textOf(mine.inner).includes(PHONECHAT_SCOPE) || elementsByClass(mine.inner, 'li', 'scope').length > 0 ||
    /phonechat/i.test(textOf(mine.inner)), `the grant shows its scopes: ${textOf(mine.inner)}`);
  flow.grantsAgent = agent;
  flow.grantsPage = list;
});

test('grants page: Revoke (POST, 303) removes the grant; its refresh fails and its access token is 401', T, async () => {
  const t = await tokensFor('grants', P.main);
  assert.equal(await bookingsStatus(base, t.access_token), 200);
  const agent = flow.grantsAgent;
  const list = flow.grantsPage;
  const mine = elementsByClass(list.text, 'li', 'grant').find((g) => g.attrs['data-client-id'] === P.main.clientId);
  const [form] = formsIn(mine.inner, list.url);
  assert.ok(form, 'a form inside the grant');
  assert.equal(form.method, 'post');
  assert.equal(new URL(form.action).pathname.toLowerCase(), '/oauth/grants');
  assert.ok(form.hidden.some(([k]) => k === 'project_id'), 'hidden project_id');
  assert.ok(form.hidden.some(([k, v]) => k === 'csrf' && v === agent.jar.get('pc_csrf')), 'hidden csrf');
  const button = form.buttons.find((b) => (b.class || '').split(/\s+/).includes('grant-revoke'));
  assert.ok(button && button.name === 'action' && button.value === 'revoke', 'button.grant-revoke name=action value=revoke');
  const bad = await agent.post(form.action, [...form.hidden.filter(([k]) => k !== 'csrf'), ['csrf', 'D'.repeat(43)], ['action', 'revoke']]);
  assertErrorPage(bad, 403, 'grant revoke with a wrong csrf');
  const r = await agent.post(form.action, [...form.hidden, ['action', 'revoke']]);
  assert.equal(r.status, 303, describe(r));
  assertTokenError(await refresh(P.main, t.refresh_token), 400, 'invalid_grant', 'refresh after the grant was revoked');
  assert.equal(await bookingsStatus(base, t.access_token), 401, 'access token after the grant was revoked');
  const after = seen('grants page after revoke', await agent.get('/OAuth/Grants'));
  assert.equal(after.status, 200);
  assert.ok(!elementsByClass(after.text, 'li', 'grant').some((g) => g.attrs['data-client-id'] === P.main.clientId), 'the grant is gone');
  assert.ok(elementById(after.text, 'no-grants'), `an empty list shows #no-grants: ${describe(after)}`);
  const again = await agentOf('grants').get(authorizeUrl(base, codeParams(P.main)));
  assert.ok(isConsentPage(again), `after revoke, consent is asked again: ${describe(again)}`);
});

// ---------------------------------------------------------------- disabled project

test('a disabled project can no longer authorize, exchange a code or refresh, and its tokens stop working', T, async () => {
  const agent = agentOf('disabled');
  const before1 = await authorize(agent, codeParams(P.doomed), users.disabled);
  const tokens = await exchange(P.doomed, before1.params.get('code'));
  assert.equal(tokens.status, 200, describeToken(tokens));
  const pending = (await authorize(agent, codeParams(P.doomed), users.disabled)).params.get('code');
  assert.equal(await bookingsStatus(base, tokens.json.access_token), 200, 'the access token works before');
  await disableProject(db, P.doomed.clientId);
  assert.equal(await bookingsStatus(base, tokens.json.access_token), 401, 'the access token of a disabled project');
  const page = await agent.get(authorizeUrl(base, codeParams(P.doomed)));
  assertErrorPage(page, 400, 'authorize for a disabled project');
  const x = await exchange(P.doomed, pending);
  assert.ok([400, 401].includes(x.status) && ['invalid_client', 'invalid_grant', 'unauthorized_client'].includes(x.json?.error),
    `code exchange of a disabled project: ${describeToken(x)}`);
  const r = await refresh(P.doomed, tokens.json.refresh_token);
  assert.ok([400, 401].includes(r.status) && ['invalid_client', 'invalid_grant', 'unauthorized_client'].includes(r.json?.error),
    `refresh of a disabled project: ${describeToken(r)}`);
});

// ---------------------------------------------------------------- escaping

test('escaping: a hostile project name, nickname, state and login are HTML-escaped on the pages', T, async () => {
  const agent = agentOf('hostile');
  const state = '"><script>window.__pwned=1</script>';
  const params = codeParams(P.hostile, { state });
  const url = authorizeUrl(base, params);
  const login = await agent.get(url);
  assert.ok(isLoginPage(login), describe(login));
  assert.ok(!login.text.includes(state), 'the state is not reflected unescaped in the login page');
  const failed = await submitLogin(agent, login, '"><script>window.__pwned=1</script>', 'Wrong-password-2');
  assert.equal(failed.status, 401, describe(failed));
  assert.ok(!failed.text.includes('<script>window.__pwned'), 'the typed login is not reflected unescaped');
  const consent = await loginAt(agent, url, users.hostile);
  assert.ok(isConsentPage(consent), describe(consent));
  assert.ok(!consent.text.includes('<script>window.__pwned'), 'no raw <script> from the project name or state');
  assert.ok(!consent.text.includes('<img src=x'), 'no raw <img> from the project name or nickname');
  assert.equal(textOf(elementById(consent.text, 'consent-project').inner), HOSTILE_PROJECT, 'the project name shown as text');
  const allowed = await submitConsent(agent, consent, 'allow');
  assert.equal(allowed.status, 303, describe(allowed));
  assert.equal(redirectParams(allowed.location).get('state'), state, 'the hostile state comes back unchanged');
  secrets.add('authorization code', redirectParams(allowed.location).get('code'));
  const grants = seen('grants page (hostile)', await agent.get('/OAuth/Grants'));
  assert.equal(grants.status, 200, describe(grants));
  assert.ok(!grants.text.includes('<script>window.__pwned') && !grants.text.includes('<img src=x'), 'grants page escapes too');
  const item = elementsByClass(grants.text, 'li', 'grant').find((g) => g.attrs['data-client-id'] === P.hostile.clientId);
  assert.ok(item && textOf(item.inner).includes(HOSTILE_PROJECT), 'the hostile name is listed as text');
});

// ---------------------------------------------------------------- pages: headers

test('security headers on every page seen (CSP frame-ancestors none, no inline script, X-Frame-Options, Referrer-Policy, nosniff, no-store)', T, async () => {
  const unknown = seen('error page (unknown client)', await new Agent(base).get(authorizeUrl(base, codeParams(P.main, { client_id: 'nope' }))));
  assert.equal(unknown.status, 400);
  const kinds = new Set(pages.map(([w]) => w));
  for (const needed of ['login page', 'login page after a wrong password', 'consent page', 'grants page', 'error page (unknown client)']) {
    assert.ok(kinds.has(needed), `the suite saw a ${needed} (an earlier test failed before it)`);
  }
  const failures = [];
  for (const [what, r] of pages) {
    try {
      assertPageHeaders(r, what);
    } catch (e) {
      failures.push(e.message);
    }
  }
  assert.deepEqual(failures, [], 'every HTML page carries the security headers');
});

// ---------------------------------------------------------------- back-off (own server: it throttles the address)

test('login back-off: after 6 wrong passwords even the right one gets 429 with #login-error', T, async () => {
  const bdb = newDb();
  const victim = { id: 5001, nickname: 'Victim', password: 'Victim-pass-5001!' };
  await importUsers(bdb, [victim]);
  const project = await createProject(bdb, { name: 'Throttle App', owner: 5001, redirectUris: [RU] });
  const other = await startOAuthServer(bdb);
  try {
    const agent = new Agent(other.base);
    const url = authorizeUrl(other.base, codeParams(project));
    let page = await agent.get(url);
    const statuses = [];
    for (let i = 0; i < 6; i++) {
      assert.ok(parseForm(page.text, 'login-form', page.url), `attempt ${i + 1}: a login form to post: ${describe(page)}`);
      page = await submitLogin(agent, page, victim.nickname, `Wrong-${i}-password`);
      statuses.push(page.status);
      assert.ok([401, 429].includes(page.status), `wrong password ${i + 1}: ${describe(page)}`);
    }
    assert.deepEqual(statuses.slice(0, 5), [401, 401, 401, 401, 401], 'the first five failures are plain 401s');
    const right = await submitLogin(agent, page, victim.nickname, victim.password);
    assert.equal(right.status, 429, `throttled: even the right password is refused: ${describe(right)}`);
    assert.ok(elementById(right.text, 'login-error'), 'the 429 page says why (#login-error)');
    assert.equal(agent.jar.get('pc_session'), undefined, 'no session while throttled');
    assertPageHeaders(right, 'the 429 login page');
  } finally {
    await other.stop();
  }
});

// ---------------------------------------------------------------- last: the server's output

test('server output (stdout + stderr) holds none of the tokens, codes, secrets, cookies or passwords used', T, async () => {
  const { problems, secrets: n } = await assertServersLeakedNothing();
  assert.ok(n >= 20, `the suite handled ${n} secrets`);
  assert.deepEqual(problems, []);
});
