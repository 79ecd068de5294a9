// Unified Login test harness: the real `phonechat-api` binary over HTTP, driven like a browser without one
// (fetch with manual redirects and a cookie jar) and like a third-party application (token endpoint calls).
// Builds on the black-box harness (server start, import, CLI; newDb() is a PostgreSQL database when
// PHONECHAT_TEST_PG_URL is set, see there) and adds: projects from the CLI, HTML form parsing, the
// login/consent steps, token requests, and a record of every secret the tests handle so that the server's
// output can be searched for them at the end of each file.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import path from 'node:path';
import { after } from 'node:test';
import { BIN, importRecords, newDb, runCli, spawnServer, startServer, tempDir } from '../blackbox/harness.mjs';

export { BIN, importRecords, newDb, runCli, startServer, tempDir };

export const PHONECHAT_SCOPE = 'account_phonechat_bookings';
export const ACCOUNT_SCOPE = 'account_information';
// Every scope the published documentation names (docs/api.md, "Unified Login").
export const KNOWN_SCOPES = [
  'account_phonechat_bookings', 'account_information', 'account_webcam_bookings', 'account_escort_bookings',
  'account_communications', 'account_credits_history', 'profile_hotlist', 'profile_blacklist', 'profile_services',
  'profile_gallery',
];

// ---------------------------------------------------------------- secrets and server output

// Every secret value a test sent or received (passwords, client secrets, codes, tokens, cookie values, PKCE
// verifiers), with a label saying what it was. The server's output must contain none of them.
class SecretRecord {
  constructor() {
    this.items = new Map(); // value -> label
  }

  add(label, value) {
    if (typeof value !== 'string' || value.length < 6) return value; // too short to search for meaningfully
    if (!this.items.has(value)) this.items.set(value, label);
    return value;
  }

  // [{ label, value }]
  list() {
    return [...this.items].map(([value, label]) => ({ label, value }));
  }
}
export const secrets = new SecretRecord();

const startedServers = [];
// A test that fails half-way leaves its server running; a live child keeps the test process from exiting, so
// every file stops whatever it started once its tests are done.
after(async () => {
  await Promise.all(startedServers.map((srv) => srv.stop(3000)));
});

// Starts `serve` on a temp database (black-box harness) and remembers it for the output check.
export async function startOAuthServer(db, options = {}) {
  const srv = await startServer(db, options);
  srv.base = `http://127.0.0.1:${srv.port}`;
  srv.output = () => `${srv.logLines.join('\n')}\n${srv.stderr()}`;
  startedServers.push(srv);
  return srv;
}

// Starts `serve --listen 127.0.0.1:0` with no --db in a fresh working directory: the sandbox, whose first
// start creates ./phonechat.db with the demo data (a SQLite file on either backend pass: that is the sandbox). Returns the same shape as startOAuthServer plus `db`.
export async function startSandbox({ extraArgs = [], timeoutMs = 30000 } = {}) {
  const dir = tempDir();
  const env = { ...process.env };
  for (const k of Object.keys(env)) {
    if (k.startsWith('PHONECHAT_') && k !== 'PHONECHAT_BIN' && k !== 'PHONECHAT_ADMIN_LISTEN') delete env[k];
  }
  const srv = await spawnServer(['serve', '--listen', '127.0.0.1:0', ...extraArgs], { cwd: dir, env, timeoutMs });
  srv.dir = dir;
  srv.db = { file: path.join(dir, 'phonechat.db'), url: `sqlite://${path.join(dir, 'phonechat.db')}`, dir };
  srv.base = `http://127.0.0.1:${srv.port}`;
  // The sandbox publishes its demo credentials on one banner line by design; everything else is searched.
  srv.output = () => `${srv.logLines.join('\n')}\n${srv.stderr().split('\n').filter((line) => !SANDBOX_BANNER.test(line)).join('\n')}`;
  startedServers.push(srv);
  return srv;
}

// The sandbox banner line that names the demo user's password and the demo project's secret.
const SANDBOX_BANNER = /^Sign in with the Unified Login: open http:\/\/\S+\/demo and log in as /;

// Stops every server this process started and asserts that none of their stdout/stderr holds a secret the
// tests used. Failure messages name what leaked and quote the line, never printing more than needed.
export async function assertServersLeakedNothing() {
  for (const srv of startedServers) await srv.stop();
  const problems = [];
  const list = secrets.list();
  assert.ok(list.length > 0, 'the tests recorded no secrets: the output check would check nothing');
  for (const srv of startedServers) {
    const out = srv.output();
    for (const { label, value } of list) {
      for (const form of new Set([value, encodeURIComponent(value), Buffer.from(value).toString('base64')])) {
        const at = out.indexOf(form);
        if (at < 0) continue;
        const lineStart = out.lastIndexOf('\n', at) + 1;
        const lineEnd = out.indexOf('\n', at);
        problems.push(`${label} appears in the output of \`${srv.args.join(' ')}\`: ` +
          JSON.stringify(out.slice(lineStart, lineEnd < 0 ? undefined : lineEnd).slice(0, 400)));
      }
    }
  }
  return { problems, servers: startedServers.length, secrets: list.length };
}

// ---------------------------------------------------------------- data

// Imports users with passwords (and optionally groups) into db. users: [{ id, nickname, password, email }].
export async function importUsers(db, users, groups = []) {
  const records = users.map((u) => {
    if (u.password) secrets.add(`password of user ${u.id}`, u.password);
    return { Kind: 'User', UserID: u.id, Nickname: u.nickname, Password: u.password ?? null,
      EmailAddress: u.email ?? null };
  });
  for (const g of groups) records.push({ Kind: 'Group', GroupID: g.id, Name: g.name, ManagerUserID: g.manager, MemberUserIDs: g.members });
  await importRecords(db, records);
}

// `project create`; returns { apiKey, clientId, clientSecret (null for a public project), name, redirectUris }.
export async function createProject(db, { name, owner, redirectUris, implicit = false, isPublic = false }) {
  const args = ['project', 'create', '--db', db.url, '--name', name, '--owner', String(owner)];
  for (const uri of redirectUris) args.push('--redirect-uri', uri);
  if (implicit) args.push('--implicit');
  if (isPublic) args.push('--public');
  const r = await runCli(args);
  assert.equal(r.code, 0, `\`phonechat-api ${args.join(' ')}\` failed (exit ${r.code}): ${r.stderr.trim()}`);
  const field = (key) => {
    const m = new RegExp(`^\\s*${key}\\s*:[ \\t]*(\\S*)[ \\t]*$`, 'mi').exec(r.stdout);
    return m ? m[1] : null;
  };
  const project = { name, redirectUris, apiKey: field('api_key'), clientId: field('client_id'), clientSecret: field('client_secret') };
  assert.ok(project.clientId, `project create printed no client_id line: ${JSON.stringify(r.stdout)}`);
  assert.ok(project.apiKey, `project create printed no api_key line: ${JSON.stringify(r.stdout)}`);
  if (isPublic) {
    if (project.clientSecret === '' || /^(none|-|\(none\))$/i.test(project.clientSecret ?? '')) project.clientSecret = null;
    assert.equal(project.clientSecret, null, `a --public project must have no client secret; printed ${JSON.stringify(r.stdout)}`);
  } else {
    assert.ok(project.clientSecret, `project create printed no client_secret line: ${JSON.stringify(r.stdout)}`);
    secrets.add(`client secret of project ${JSON.stringify(name)}`, project.clientSecret);
  }
  return project;
}

// `project disable`.
export async function disableProject(db, clientId) {
  const r = await runCli(['project', 'disable', '--db', db.url, clientId]);
  assert.equal(r.code, 0, `project disable failed (exit ${r.code}): ${r.stderr.trim()}`);
}

// ---------------------------------------------------------------- HTTP with cookies

// The Set-Cookie fields of a fetch Headers, one string each. Node 18's fetch (Debian 12's undici 5.15) has no
// getSetCookie and joins the fields with ", ": a new field starts where a comma is followed by `name=`, which a
// comma inside a field (an Expires date) never is.
function setCookieFields(headers) {
  if (typeof headers.getSetCookie === 'function') return headers.getSetCookie();
  const joined = headers.get('set-cookie');
  return joined === null ? [] : joined.split(/,\s*(?=[^\s;,=]+=)/);
}

// The cookies one user agent holds for the server (one origin, Path=/ only matters here).
export class CookieJar {
  constructor() {
    this.cookies = new Map(); // name -> { value, attributes (raw Set-Cookie) }
  }

  // Applies the Set-Cookie headers of a fetch Response; returns the raw Set-Cookie strings.
  take(response) {
    const list = setCookieFields(response.headers);
    for (const raw of list) {
      const [pair, ...attrs] = raw.split(';');
      const eq = pair.indexOf('=');
      if (eq <= 0) continue;
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attrs.some((a) => /^\s*max-age\s*=\s*(0|-\d+)\s*$/i.test(a)) ||
        attrs.some((a) => {
          const m = /^\s*expires\s*=\s*(.*)$/i.exec(a);
          return m && Date.parse(m[1]) < Date.now();
        });
      if (expired || value === '') this.cookies.delete(name);
      else {
        this.cookies.set(name, { value, raw });
        secrets.add(`cookie ${name}`, value);
      }
    }
    return list;
  }

  get(name) {
    return this.cookies.get(name)?.value;
  }

  set(name, value) {
    this.cookies.set(name, { value, raw: `${name}=${value}` });
  }

  delete(name) {
    this.cookies.delete(name);
  }

  header() {
    return [...this.cookies].map(([k, { value }]) => `${k}=${value}`).join('; ');
  }
}

// A fetch result with the body read: { status, headers (Headers), text, location (absolute or null), url, setCookies }.
async function settle(res, url, setCookies) {
  const text = await res.text();
  const loc = res.headers.get('location');
  return { status: res.status, headers: res.headers, text, url, setCookies,
    location: loc === null ? null : new URL(loc, url).href, rawLocation: loc };
}

// A browser without a browser: manual redirects, a cookie jar, form posts.
export class Agent {
  constructor(base) {
    this.base = base;
    this.jar = new CookieJar();
  }

  url(target) {
    return new URL(target, this.base).href;
  }

  async get(target, { headers = {} } = {}) {
    const url = this.url(target);
    const h = { ...headers };
    if (this.jar.cookies.size) h.Cookie = this.jar.header();
    const res = await fetch(url, { redirect: 'manual', headers: h });
    return settle(res, url, this.jar.take(res));
  }

  // POSTs form fields ([[name, value]] or object) urlencoded.
  async post(target, fields, { headers = {} } = {}) {
    const url = this.url(target);
    const h = { 'Content-Type': 'application/x-www-form-urlencoded', ...headers };
    if (this.jar.cookies.size) h.Cookie = this.jar.header();
    const body = new URLSearchParams(Array.isArray(fields) ? fields : Object.entries(fields)).toString();
    const res = await fetch(url, { method: 'POST', redirect: 'manual', headers: h, body });
    return settle(res, url, this.jar.take(res));
  }
}

// ---------------------------------------------------------------- HTML

const ENTITIES = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", '#39': "'", '#x27': "'", '#47': '/', '#x2F': '/', '#x2f': '/', '#61': '=', '#x3D': '=', '#x3d': '=', '#96': '`', '#x60': '`' };
export function htmlUnescape(s) {
  return s.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (all, e) => {
    if (ENTITIES[e] !== undefined) return ENTITIES[e];
    if (/^#x/i.test(e)) return String.fromCodePoint(parseInt(e.slice(2), 16));
    if (/^#/.test(e)) return String.fromCodePoint(parseInt(e.slice(1), 10));
    return all;
  });
}

// Attributes of one start tag's text (`<input a="b" c>`), names lower-cased, values unescaped.
export function tagAttributes(tag) {
  const attrs = {};
  const inner = tag.replace(/^<\s*[a-z0-9-]+/i, '').replace(/\/?>$/, '');
  const re = /([^\s"'>\/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?/g;
  let m;
  while ((m = re.exec(inner))) attrs[m[1].toLowerCase()] = htmlUnescape(m[2] ?? m[3] ?? m[4] ?? '');
  return attrs;
}

// Start tags of an element name: [{ tag (text), attrs, index }].
export function startTags(html, name) {
  const out = [];
  const re = new RegExp(`<${name}(?=[\\s>/])(?:"[^"]*"|'[^']*'|[^'">])*>`, 'gi');
  let m;
  while ((m = re.exec(html))) out.push({ tag: m[0], attrs: tagAttributes(m[0]), index: m.index });
  return out;
}

// The element with `id` as { attrs, inner } (inner: raw HTML up to the matching close tag of the same name,
// nesting of that name counted), or null.
export function elementById(html, id) {
  const re = /<([a-z][a-z0-9-]*)(?=[\s>\/])(?:"[^"]*"|'[^']*'|[^'">])*>/gi;
  let m;
  while ((m = re.exec(html))) {
    const attrs = tagAttributes(m[0]);
    if (attrs.id !== id) continue;
    return { name: m[1].toLowerCase(), attrs, ...innerOf(html, m[1], m.index + m[0].length) };
  }
  return null;
}

function innerOf(html, name, from) {
  const re = new RegExp(`<(/?)${name}(?=[\\s>/])(?:"[^"]*"|'[^']*'|[^'">])*>`, 'gi');
  re.lastIndex = from;
  let depth = 1;
  let m;
  while ((m = re.exec(html))) {
    depth += m[1] ? -1 : 1;
    if (depth === 0) return { inner: html.slice(from, m.index), end: m.index + m[0].length };
  }
  return { inner: html.slice(from), end: html.length };
}

// Text content of an HTML fragment (tags dropped, entities decoded, white space collapsed).
export function textOf(fragment) {
  return htmlUnescape(fragment.replace(/<[^>]*>/g, ' ')).replace(/\s+/g, ' ').trim();
}

// Elements whose start tag has class `cls`: [{ attrs, inner }].
export function elementsByClass(html, tagName, cls) {
  return startTags(html, tagName)
    .filter((t) => (t.attrs.class || '').split(/\s+/).includes(cls))
    .map((t) => ({ attrs: t.attrs, ...innerOf(html, tagName, t.index + t.tag.length) }));
}

// A form by id: { action (absolute URL), method, hidden: [[name, value]], inputs: [attrs], buttons: [attrs] }.
export function parseForm(html, id, pageUrl) {
  const form = elementById(html, id);
  if (!form || form.name !== 'form') return null;
  const inputs = startTags(form.inner, 'input').map((t) => t.attrs);
  const buttons = startTags(form.inner, 'button').map((t) => t.attrs);
  const hidden = inputs.filter((a) => (a.type || '').toLowerCase() === 'hidden' && a.name).map((a) => [a.name, a.value ?? '']);
  const action = form.attrs.action ? new URL(form.attrs.action, pageUrl).href : pageUrl;
  return { attrs: form.attrs, action, method: (form.attrs.method || 'get').toLowerCase(), hidden, inputs, buttons };
}

// Forms holding a given element (e.g. the per-grant forms inside an li): all forms of a fragment.
export function formsIn(fragment, pageUrl) {
  return startTags(fragment, 'form').map((t) => {
    const { inner } = innerOf(fragment, 'form', t.index + t.tag.length);
    const inputs = startTags(inner, 'input').map((x) => x.attrs);
    const buttons = startTags(inner, 'button').map((x) => x.attrs);
    return {
      attrs: t.attrs,
      action: t.attrs.action ? new URL(t.attrs.action, pageUrl).href : pageUrl,
      method: (t.attrs.method || 'get').toLowerCase(),
      hidden: inputs.filter((a) => (a.type || '').toLowerCase() === 'hidden' && a.name).map((a) => [a.name, a.value ?? '']),
      inputs,
      buttons,
    };
  });
}

// Short description of a settled response for assertion messages.
export function describe(r) {
  const hs = {};
  for (const k of ['location', 'content-type', 'set-cookie', 'www-authenticate', 'cache-control']) {
    const v = r.headers.get(k);
    if (v !== null) hs[k] = v;
  }
  return `HTTP ${r.status} ${JSON.stringify(hs)} body ${JSON.stringify(r.text.slice(0, 500))}`;
}

// ---------------------------------------------------------------- the authorize steps

// The authorize URL for params (object; undefined values left out), path spelled as the fixed routes do.
export function authorizeUrl(base, params, pathName = '/OAuth/Authorize') {
  const u = new URL(pathName, base);
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null) u.searchParams.set(k, v);
  return u.href;
}

// Same origin, same path (case-insensitively, like the routes) and the same decoded query parameters.
export function sameUrl(a, b) {
  if (!a || !b) return false;
  const x = new URL(a);
  const y = new URL(b);
  const params = (u) => JSON.stringify([...u.searchParams].sort(([k1, v1], [k2, v2]) => (k1 + v1 < k2 + v2 ? -1 : 1)));
  return x.origin === y.origin && x.pathname.toLowerCase() === y.pathname.toLowerCase() && params(x) === params(y);
}

// Base64url S256 PKCE pair.
export function pkcePair() {
  const verifier = crypto.randomBytes(32).toString('base64url');
  const challenge = crypto.createHash('sha256').update(verifier).digest('base64url');
  secrets.add('PKCE verifier', verifier);
  return { verifier, challenge };
}

export function randomState() {
  return crypto.randomBytes(12).toString('base64url');
}

// True when `location` goes to `redirectUri` (query or fragment appended), compared exactly as a prefix.
export function goesTo(location, redirectUri) {
  return typeof location === 'string' && (location === redirectUri || location.startsWith(`${redirectUri}?`) ||
    location.startsWith(`${redirectUri}#`) || (redirectUri.includes('?') && location.startsWith(`${redirectUri}&`)));
}

// The query (or, with fragment=true, the fragment) parameters of a client redirect.
export function redirectParams(location, { fragment = false } = {}) {
  const hash = location.indexOf('#');
  if (fragment) return new URLSearchParams(hash < 0 ? '' : location.slice(hash + 1));
  const noHash = hash < 0 ? location : location.slice(0, hash);
  const q = noHash.indexOf('?');
  return new URLSearchParams(q < 0 ? '' : noHash.slice(q + 1));
}

// Posts the login form of a login page response `page` (must be 200 with #login-form).
export async function submitLogin(agent, page, login, password, { action = 'login', csrf } = {}) {
  const form = parseForm(page.text, 'login-form', page.url);
  assert.ok(form, `no <form id="login-form"> on the page: ${describe(page)}`);
  assert.equal(form.method, 'post', 'the login form posts');
  const fields = form.hidden.filter(([k]) => k !== 'csrf' || csrf === undefined);
  if (csrf !== undefined && csrf !== null) fields.push(['csrf', csrf]);
  if (csrf === null) for (let i = fields.length - 1; i >= 0; i--) if (fields[i][0] === 'csrf') fields.splice(i, 1);
  if (action === 'login') {
    secrets.add('a password typed at the login', password);
    fields.push(['login', login], ['password', password]);
  } else if (login !== undefined) fields.push(['login', login], ['password', password ?? '']);
  fields.push(['action', action]);
  return agent.post(form.action, fields);
}

// Posts the consent form of a consent page with action allow|deny.
export async function submitConsent(agent, page, action, { csrf } = {}) {
  const form = parseForm(page.text, 'consent-form', page.url);
  assert.ok(form, `no <form id="consent-form"> on the page: ${describe(page)}`);
  assert.equal(form.method, 'post', 'the consent form posts');
  const fields = form.hidden.filter(([k]) => k !== 'csrf' || csrf === undefined);
  if (csrf !== undefined && csrf !== null) fields.push(['csrf', csrf]);
  if (csrf === null) for (let i = fields.length - 1; i >= 0; i--) if (fields[i][0] === 'csrf') fields.splice(i, 1);
  fields.push(['action', action]);
  return agent.post(form.action, fields);
}

export function isLoginPage(r) {
  return r.status === 200 && parseForm(r.text, 'login-form', r.url) !== null;
}

export function isConsentPage(r) {
  return r.status === 200 && parseForm(r.text, 'consent-form', r.url) !== null;
}

// Logs in on the authorize page for `url` (GET shows the login page, POST answers 303 back to the same
// URL) and returns the response of the GET that follows the 303 (consent page or client redirect).
export async function loginAt(agent, url, user) {
  const page = await agent.get(url);
  assert.ok(isLoginPage(page), `GET ${url} without a session must show the login page: ${describe(page)}`);
  const posted = await submitLogin(agent, page, user.login ?? user.nickname, user.password);
  assert.equal(posted.status, 303, `a successful login answers 303: ${describe(posted)}`);
  assert.ok(sameUrl(posted.location, url), `a successful login answers 303 to the same authorize URL: ${posted.location}`);
  assert.ok(agent.jar.get('pc_session'), `a successful login sets the pc_session cookie: ${describe(posted)}`);
  return agent.get(posted.location);
}

// Drives one authorization from the GET to the client redirect: login when the agent has no session,
// consent (allow) when asked. Returns { location, params (query or fragment), consentShown }.
export async function authorize(agent, params, user, { fragment = false } = {}) {
  return authorizeAt(agent, authorizeUrl(agent.base, params), params.redirect_uri, user, { fragment });
}

// The same from a ready authorize URL (e.g. one an OAuth client library built).
export async function authorizeAt(agent, url, redirectUri, user, { fragment = false } = {}) {
  const params = { redirect_uri: redirectUri };
  let r = await agent.get(url);
  if (isLoginPage(r)) { // no session, or one the server has ended
    const posted = await submitLogin(agent, r, user.login ?? user.nickname, user.password);
    assert.equal(posted.status, 303, `a successful login answers 303: ${describe(posted)}`);
    assert.ok(sameUrl(posted.location, url), `a successful login answers 303 to the same authorize URL: ${posted.location}`);
    r = await agent.get(posted.location);
  }
  let consentShown = false;
  if (isConsentPage(r)) {
    consentShown = true;
    r = await submitConsent(agent, r, 'allow');
    assert.equal(r.status, 303, `consent allow answers 303: ${describe(r)}`);
  }
  assert.ok(goesTo(r.location, params.redirect_uri), `authorize must end at the redirect URI ${params.redirect_uri}: ${describe(r)}`);
  const p = redirectParams(r.location, { fragment });
  if (p.get('code')) secrets.add('authorization code', p.get('code'));
  if (p.get('access_token')) secrets.add('implicit access token', p.get('access_token'));
  return { location: r.location, status: r.status, params: p, consentShown };
}

// ---------------------------------------------------------------- token endpoint and API

// POST /OAuth/token (or another path) with fields; basic: [clientId, secret] sends HTTP Basic.
// Returns { status, headers, text, json (or undefined) }; access/refresh tokens seen are recorded as secrets.
export async function tokenRequest(base, fields, { basic, path: p = '/OAuth/token', headers = {} } = {}) {
  const h = { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json', ...headers };
  if (basic) {
    const [id, secret] = basic;
    const credentials = Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64');
    secrets.add('HTTP Basic credentials', credentials);
    h.Authorization = `Basic ${credentials}`;
  }
  for (const [k, v] of Object.entries(fields)) if (/secret|code|token|verifier/.test(k)) secrets.add(`token request field ${k}`, v);
  const body = new URLSearchParams(Object.entries(fields).filter(([, v]) => v !== undefined)).toString();
  const res = await fetch(new URL(p, base), { method: 'POST', headers: h, body, redirect: 'manual' });
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  if (json?.access_token) secrets.add('access token', json.access_token);
  if (json?.refresh_token) secrets.add('refresh token', json.refresh_token);
  return { status: res.status, headers: res.headers, text, json };
}

export function describeToken(r) {
  const hs = {};
  for (const k of ['content-type', 'cache-control', 'pragma', 'www-authenticate']) {
    const v = r.headers.get(k);
    if (v !== null) hs[k] = v;
  }
  return `HTTP ${r.status} ${JSON.stringify(hs)} body ${r.text.slice(0, 400)}`;
}

// GET an API path with a bearer token: { status, headers, text, json }.
export async function api(base, target, token, { headers = {} } = {}) {
  const h = { Accept: 'application/json', ...headers };
  if (token) h.Authorization = `Bearer ${token}`;
  const res = await fetch(new URL(target, base), { headers: h, redirect: 'manual' });
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

// Status of GET /v1/PhoneChat/MadeBookings with the token (200 while it works, 401 once it does not).
export async function bookingsStatus(base, token) {
  return (await api(base, '/v1/PhoneChat/MadeBookings', token)).status;
}

// Parsed Content-Security-Policy: Map(directive -> [values]).
export function parseCsp(header) {
  const map = new Map();
  for (const part of (header || '').split(';')) {
    const [name, ...values] = part.trim().split(/\s+/);
    if (name) map.set(name.toLowerCase(), values);
  }
  return map;
}

// Asserts the headers every HTML page carries (docs/security.md, "Unified Login").
export function assertPageHeaders(r, what) {
  const where = `${what} (${r.url}, HTTP ${r.status})`;
  const ct = (r.headers.get('content-type') || '').toLowerCase().replace(/\s+/g, '');
  assert.equal(ct, 'text/html;charset=utf-8', `${where}: Content-Type`);
  assert.match(r.headers.get('cache-control') || '', /\bno-store\b/i, `${where}: Cache-Control no-store`);
  const csp = r.headers.get('content-security-policy');
  assert.ok(csp, `${where}: Content-Security-Policy missing`);
  const d = parseCsp(csp);
  assert.deepEqual(d.get('frame-ancestors'), ["'none'"], `${where}: CSP frame-ancestors 'none' (got ${csp})`);
  const scriptSrc = d.get('script-src') ?? d.get('default-src');
  assert.ok(scriptSrc, `${where}: CSP restricts scripts (got ${csp})`);
  assert.ok(!scriptSrc.some((v) => /unsafe-inline|unsafe-eval|^\*$|^https?:$|^data:$/i.test(v)),
    `${where}: CSP script sources allow no inline or foreign script (got ${csp})`);
  assert.equal((r.headers.get('x-frame-options') || '').toUpperCase(), 'DENY', `${where}: X-Frame-Options DENY`);
  assert.equal((r.headers.get('referrer-policy') || '').toLowerCase(), 'no-referrer', `${where}: Referrer-Policy no-referrer`);
  assert.equal((r.headers.get('x-content-type-options') || '').toLowerCase(), 'nosniff', `${where}: X-Content-Type-Options nosniff`);
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
