// The authorization matrix (docs/api.md, "Authentication", "Order of checks", "Errors", "Group managers";
// docs/security.md): every row of the server's own route table (`phonechat-api routes`) × every kind of principal,
// in JSON and in XML, against the real binary. A bearer route refuses every bad credential with 401, a token without
// its scope with 403, and gives a valid caller its normal answer; a group variant refuses a caller who does not manage
// the member and gives a manager exactly the member's own answer; an open route answers the same whatever credential
// is sent. Nothing a refused request did is stored. The expectations come from each row's metadata, so a route added
// to the table is in the matrix at once; a row the generator cannot classify fails, naming the route.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { dbDump, dbRows, mintToken, newDb, request, runCli, sleep, startServer } from './harness.mjs';
import {
  CAND, CAND_SET, CLIENT, CLIENT2, CLIENT4, CLIENT_ID, MANAGER, NOW, OUTSIDER, SCOPES, at, booking, setupLifecycle,
} from './lifecycle-fixture.mjs';

// ---------------------------------------------------------------- the route table, as the binary prints it

const listed = await runCli(['routes']);
const ROWS = listed.code === 0 ? listed.stdout.split('\n').filter((line) => line !== '').map((line) => JSON.parse(line)) : [];
const rowName = (row) => `${row.method} ${row.path}`;

// The scopes the matrix knows how to withhold; a route needing another one cannot be classified until it is added here.
const KNOWN_SCOPES = ['account_phonechat_bookings', 'account_credits_history'];
const PROFILE_ONLY = 'account_profile';
const LIFECYCLE_API_KEY = 'lc-key-0123456789'; // the API key of the fixture's project (CLIENT_ID)
const JSON_TYPE = 'application/json';
const XML_TYPE = 'application/xml';
const FORMATS = [JSON_TYPE, XML_TYPE];

const DENIED = 'Authorization has been denied for this request.';
const BAD_KEY = 'The API key is invalid, inactive, or not the key of the project the access token was issued to.';
const NOT_MANAGER = 'The authenticated user is not a group manager.';
const NOT_MEMBER = 'The requested user is not a member of a group managed by the authenticated user.';

// Another project (its API key is the wrong one for the life-cycle project's tokens) and one that gets disabled.
const OTHER_PROJECT = { ClientID: 'authz-other', ApiKey: 'authz-other-key-0123456789' };
const DISABLED_PROJECT = { ClientID: 'authz-disabled', ApiKey: 'authz-disabled-key-0123456789' };
const project = (p, name) => ({ Kind: 'Project', Name: name, OwnerUserID: OUTSIDER, ApiKey: p.ApiKey, ClientID: p.ClientID,
  ClientSecret: null, RedirectURIs: ['http://127.0.0.1:8765/cb'], ImplicitGrant: false });

// Bookings the full requests below act on: each POST has a booking of its own in the state where its owner succeeds.
const BOOKINGS = [
  booking(1, { status: 'Pending', acceptBy: at(1), session: at(2) }), // read by the details routes, cancelled by the client
  booking(2, { status: 'Accepted', acceptBy: at(1), session: at(3) }), // confirmed
  booking(3, { status: 'Pending', create: at(-5), acceptBy: at(-3), session: at(-2), method: 2 }), // lapsed: re-invited
  booking(4, { status: 'Rejected', create: at(-6), acceptBy: at(-5), session: at(-4), method: 2 }), // rescheduled
  booking(5, { status: 'Pending', acceptBy: at(1), session: at(2) }), // accepted
  booking(6, { status: 'Pending', acceptBy: at(1), session: at(2) }), // rejected
  booking(7, { status: 'Accepted', acceptBy: at(1), session: at(3) }), // cancelled by the candidate
  booking(8, { status: 'Cancelled', acceptBy: at(1), session: at(2) }), // deleted by the client
  booking(9, { status: 'Rejected', acceptBy: at(1), session: at(2) }), // deleted by the candidate
  booking(10, { status: 'Rejected', acceptBy: at(1), session: at(2) }), // deleted by the candidate (plural path)
];
const SETTINGS_OF_CAND_SET = { OfferDirectChat: true, DirectChat: { DirectChatOnly: false, PPM: '0.75' },
  PhoneChatNumber: '+447700900006', PhoneChatPPM: '0.4' };

// Per bearer route (the path outside /v1/Groups, lower case): `owner`, the user whose full request succeeds; `query`
// or `body`, that full request; `empty`, the answer to the request without parameters or body (status, and the
// ModelState keys of a 400 in order). A group variant sends the full request with `UserID` of `owner`, who is a member
// of MANAGER's group.
const ROUTE_REQUESTS = {
  '/v1/phonechat/madebookings': { owner: CLIENT, query: '', empty: { status: 200 } },
  '/v1/phonechat/getuserbookingrequirements': { owner: CLIENT, query: `BookUserID=${CAND}`, empty: { status: 400, keys: ['BookUserID'] } },
  '/v1/phonechat/createbooking': {
    owner: CLIENT,
    body: { BookUserID: CAND, SessionDate: at(2, 3), Duration: 30, Method: 2, Credits: '20', AcceptBy: at(1, 3) },
    empty: { status: 400, keys: ['BookUserID', 'SessionDate', 'Duration', 'Method', 'Credits', 'AcceptBy'] },
  },
  '/v1/phonechat/madebookingdetails': { owner: CLIENT, query: 'BookingID=1', empty: { status: 400, keys: ['BookingID'] } },
  '/v1/phonechat/confirmmadebooking': { owner: CLIENT, body: { BookingID: 2 }, empty: { status: 400, keys: ['BookingID'] } },
  '/v1/phonechat/cancelmadebooking': { owner: CLIENT, body: { BookingID: 1, Reason: 'Plans changed' }, empty: { status: 400, keys: ['BookingID', 'Reason'] } },
  '/v1/phonechat/reschedulemadebooking': { owner: CLIENT, body: { BookingID: 4 }, empty: { status: 400, keys: ['BookingID'] } },
  '/v1/phonechat/deletemadebookings': { owner: CLIENT, body: { BookingIDs: '8' }, empty: { status: 400, keys: ['BookingIDs'] } },
  '/v1/phonechat/receivedbookings': { owner: CAND, query: '', empty: { status: 200 } },
  '/v1/phonechat/receivedbookingdetails': { owner: CAND, query: 'BookingID=1', empty: { status: 400, keys: ['BookingID'] } },
  '/v1/phonechat/acceptreceivedbooking': { owner: CAND, body: { BookingID: 5, Credits: '20' }, empty: { status: 400, keys: ['BookingID', 'Credits'] } },
  '/v1/phonechat/rejectreceivedbooking': { owner: CAND, body: { BookingID: 6, Reason: 'Not then' }, empty: { status: 400, keys: ['BookingID', 'Reason'] } },
  '/v1/phonechat/cancelreceivedbooking': { owner: CAND, body: { BookingID: 7, Reason: 'Ill' }, empty: { status: 400, keys: ['BookingID', 'Reason'] } },
  '/v1/phonechat/reinvite': { owner: CAND, body: { BookingID: 3 }, empty: { status: 400, keys: ['BookingID'] } },
  '/v1/phonechat/deletereceivedbooking': { owner: CAND, body: { BookingIDs: '9' }, empty: { status: 400, keys: ['BookingIDs'] } },
  '/v1/phonechat/deletereceivedbookings': { owner: CAND, body: { BookingIDs: '10' }, empty: { status: 400, keys: ['BookingIDs'] } },
  '/v1/phonechat/getsettings': { owner: CAND_SET, query: '', empty: { status: 200 } },
  '/v1/phonechat/savesettings': { owner: CAND_SET, body: SETTINGS_OF_CAND_SET, empty: { status: 400, keys: ['OfferDirectChat', 'PhoneChatPPM'] } },
  '/v1/credithistory/getcurrentcreditbalance': { owner: CLIENT, query: '', empty: { status: 200 } },
  '/v1/account/verifycredentials': { owner: CLIENT, query: '', empty: { status: 200 } },
  '/v1/account/getpermissions': { owner: CLIENT, query: '', empty: { status: 200 } },
};
const plainPath = (row) => row.path.replace(/^\/v1\/Groups\//i, '/v1/').toLowerCase();

// Why a row's authorization cannot be classified (the matrix does not know what to expect of it), or null.
function unclassifiable(row) {
  if (!['GET', 'POST'].includes(row.method)) return `method ${row.method} is not one the matrix knows how to send`;
  if (typeof row.group !== 'boolean' || typeof row.writes !== 'boolean') return 'its group or writes flag is not a boolean';
  if (row.writes !== (row.method === 'POST')) return `writes=${row.writes} does not follow its method ${row.method}`;
  if (row.authentication === 'none') {
    if (row.scope !== null || row.group) return 'an open route with a scope or a group variant';
    return null;
  }
  if (row.authentication !== 'bearer') return `unknown authentication kind ${JSON.stringify(row.authentication)}`;
  if (row.scope !== null && !KNOWN_SCOPES.includes(row.scope)) return `unknown scope ${JSON.stringify(row.scope)}`;
  if (row.group && !/^\/v1\/Groups\//i.test(row.path)) return 'a group variant outside /v1/Groups';
  if (!row.group && /^\/v1\/Groups\//i.test(row.path)) return 'a path under /v1/Groups that is not a group variant';
  return null;
}

// A bearer route's requests (ROUTE_REQUESTS); a route missing there still gets every refusal, on a request without
// parameters, and fails the classification test until its entry says who succeeds with what.
function shapeOf(row) {
  return ROUTE_REQUESTS[plainPath(row)] ?? { owner: CLIENT, query: '', missing: true };
}

// ---------------------------------------------------------------- the server and its principals

let env; // { db, srv, port, tokens (valid, both scopes, per user) }
const refused = {}; // user -> { expired, revoked, disabled, withoutScope: {scope -> token}, profileOnly, otherProject }
const counts = { requests: 0 };

before(async () => {
  assert.equal(listed.code, 0, `phonechat-api routes: exit ${listed.code}; ${listed.stderr}`);
  const db = newDb();
  env = await setupLifecycle({ db, bookings: BOOKINGS, serve: false });
  const file = path.join(db.dir, 'authz-projects.jsonl');
  fs.writeFileSync(file, [project(OTHER_PROJECT, 'Other project'), project(DISABLED_PROJECT, 'Disabled project')]
    .map((r) => JSON.stringify(r)).join('\n') + '\n');
  const imported = await runCli(['import', '--db', db.url, '--now', NOW, file]);
  assert.equal(imported.code, 0, imported.stderr);

  // Every refused token belongs to a user whose request would succeed, so that only the credential is wrong.
  const users = [CLIENT, CAND, CAND_SET, MANAGER, CLIENT2];
  const mint = (user, o) => mintToken(db, { user, clientId: CLIENT_ID, scope: SCOPES, ...o });
  const expiring = await Promise.all(users.map((user) => mint(user, { expiresIn: 1 })));
  const mintedExpiring = Date.now();
  await Promise.all(users.map(async (user, i) => {
    const withoutScope = {};
    for (const scope of KNOWN_SCOPES) {
      withoutScope[scope] = await mint(user, { scope: [PROFILE_ONLY, ...KNOWN_SCOPES.filter((s) => s !== scope)].join(' ') });
    }
    refused[user] = {
      expired: expiring[i],
      revoked: await mint(user),
      disabled: await mintToken(db, { user, clientId: DISABLED_PROJECT.ClientID, scope: SCOPES }),
      withoutScope,
      profileOnly: await mint(user, { scope: PROFILE_ONLY }),
      // Minted as the disabled project's token was, for a project that stays active: the control.
      otherProject: await mintToken(db, { user, clientId: OTHER_PROJECT.ClientID, scope: SCOPES }),
    };
    const revoked = await runCli(['revoke', '--db', db.url, refused[user].revoked]);
    assert.equal(revoked.code, 0, revoked.stderr);
  }));
  const disabled = await runCli(['project', 'disable', '--db', db.url, DISABLED_PROJECT.ClientID]);
  assert.equal(disabled.code, 0, disabled.stderr);
  env.srv = await startServer(db, { now: NOW, extraArgs: ['--sweep-interval', '3600'] });
  env.port = env.srv.port;
  // Token expiry is real time (docs/api.md, "Authentication"): a 1-second token is past its end 2 s after minting.
  await sleep(Math.max(0, mintedExpiring + 2100 - Date.now()));
});

after(async () => {
  if (env?.srv) await env.srv.stop();
});

// The credentials a refused principal sends for `user`: [name, {auth, apiKey}, expected failure].
function refusedPrincipals(user, row) {
  const token = env.tokens[user];
  const t = refused[user];
  const list = [
    ['no Authorization', {}, 'no-token'],
    ['Authorization: Bearer (no token)', { auth: 'Bearer' }, 'bad-token'],
    ['Authorization: Bearer with two words', { auth: `Bearer ${token} extra` }, 'bad-token'],
    ['Authorization: Bearer without a space', { auth: `Bearer${token}` }, 'bad-token'],
    ['Authorization: Basic', { auth: `Basic ${Buffer.from(`${user}:secret`).toString('base64')}` }, 'bad-token'],
    ['Authorization: Token', { auth: `Token ${token}` }, 'bad-token'],
    ['an unknown token', { auth: `Bearer ${crypto.randomBytes(32).toString('base64url')}` }, 'bad-token'],
    ['an expired token', { auth: `Bearer ${t.expired}` }, 'bad-token'],
    ['a revoked token', { auth: `Bearer ${t.revoked}` }, 'bad-token'],
    ['a token of a disabled project', { auth: `Bearer ${t.disabled}` }, 'bad-token'],
    ["another project's API key", { auth: `Bearer ${token}`, apiKey: OTHER_PROJECT.ApiKey }, 'bad-key'],
    ["a disabled project's API key", { auth: `Bearer ${token}`, apiKey: DISABLED_PROJECT.ApiKey }, 'bad-key'],
    ['an API key that does not exist', { auth: `Bearer ${token}`, apiKey: 'no-such-api-key' }, 'bad-key'],
    ['an unknown token with a bad API key', { auth: 'Bearer AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', apiKey: 'no-such-api-key' }, 'bad-token'],
  ];
  if (row.scope !== null) {
    for (const scope of KNOWN_SCOPES) {
      const withoutRoutes = row.scope === scope;
      list.push([`a token with every scope but ${scope}`, { auth: `Bearer ${t.withoutScope[scope]}` }, withoutRoutes ? 'scope' : 'valid']);
    }
    list.push([`a token with ${PROFILE_ONLY} only`, { auth: `Bearer ${t.profileOnly}` }, 'scope']);
  }
  return list;
}

// ---------------------------------------------------------------- requests and the shape of answers

// Runs `jobs` (functions returning promises) with at most `width` in flight; resolves their results in order.
async function pooled(jobs, width = 12) {
  const results = new Array(jobs.length);
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const i = next++;
      results[i] = await jobs[i]();
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, jobs.length) }, worker));
  return results;
}

// Sends `row`'s method to its path: `query` (without `?`), `body` (an object, sent as JSON), credentials, format.
function send(row, { query = '', body, auth, apiKey, accept }) {
  counts.requests++;
  const target = row.path + (query ? `?${query}` : '');
  const headers = {};
  if (row.method === 'POST') headers['Content-Type'] = JSON_TYPE;
  return request(env.port, target, {
    method: row.method, auth, apiKey, accept, headers,
    body: row.method === 'POST' ? (body === undefined ? '' : JSON.stringify(body)) : undefined,
  });
}

// Asserts the documented error shape in the negotiated format (docs/api.md, "Errors"); returns { message, keys }.
function errorBody(res, accept, context) {
  assert.equal(res.contentType(), `${accept};charset=utf-8`, `${context}: Content-Type`);
  assert.equal(res.headers['cache-control'], 'no-store', `${context}: Cache-Control`);
  if (accept === JSON_TYPE) {
    const body = JSON.parse(res.text);
    const keys = Object.keys(body);
    assert.ok(keys.length === 1 || (keys.length === 2 && keys[1] === 'ModelState'), `${context}: error keys ${keys}`);
    assert.equal(keys[0], 'Message', context);
    assert.equal(typeof body.Message, 'string', context);
    const modelState = body.ModelState ?? {};
    for (const [k, v] of Object.entries(modelState)) {
      assert.ok(Array.isArray(v) && v.length > 0 && v.every((m) => typeof m === 'string'), `${context}: ModelState ${k}`);
    }
    return { message: body.Message, keys: Object.keys(modelState) };
  }
  const m = /^<Error><Message>([^<]*)<\/Message>(?:<ModelState>((?:<([\w.]+)>[^<]*<\/\3>)+)<\/ModelState>)?<\/Error>$/.exec(res.text);
  assert.ok(m, `${context}: the XML error shape: ${res.text.slice(0, 300)}`);
  const keys = m[2] ? [...m[2].matchAll(/<([\w.]+)>[^<]*<\/\1>/g)].map((k) => k[1]) : [];
  const unescape = (s) => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
  return { message: unescape(m[1]), keys };
}

// Asserts the refusal `kind` for a route whose scope is `scope`.
function expectRefusal(res, kind, scope, accept, context) {
  const c = `${context} [${accept}]`;
  if (kind === 'no-token' || kind === 'bad-token') {
    assert.equal(res.status, 401, `${c}: ${res.describe()}`);
    assert.equal(res.headers['www-authenticate'], kind === 'no-token' ? 'Bearer realm="api"' : 'Bearer realm="api", error="invalid_token"', c);
    assert.equal(errorBody(res, accept, c).message, DENIED, c);
  } else if (kind === 'bad-key') {
    assert.equal(res.status, 401, `${c}: ${res.describe()}`);
    assert.equal(res.headers['www-authenticate'], 'Bearer realm="api"', c);
    assert.equal(errorBody(res, accept, c).message, BAD_KEY, c);
  } else if (kind === 'scope') {
    assert.equal(res.status, 403, `${c}: ${res.describe()}`);
    assert.equal(res.headers['www-authenticate'], `Bearer realm="api", error="insufficient_scope", scope="${scope}"`, c);
    assert.equal(errorBody(res, accept, c).message, `The access token does not have the required scope '${scope}'.`, c);
  } else if (kind === 'not-manager' || kind === 'not-member') {
    assert.equal(res.status, 403, `${c}: ${res.describe()}`);
    assert.equal(res.headers['www-authenticate'], undefined, `${c}: a membership 403 is no challenge`);
    assert.equal(errorBody(res, accept, c).message, kind === 'not-manager' ? NOT_MANAGER : NOT_MEMBER, c);
  } else {
    assert.fail(`${c}: unknown refusal ${kind}`);
  }
}

// Asserts the route's normal answer to a request without parameters or body: `expected` = { status, keys, unordered }.
function expectNormal(res, expected, accept, context) {
  const c = `${context} [${accept}]`;
  assert.equal(res.status, expected.status, `${c}: ${res.describe()}`);
  assert.equal(res.headers['www-authenticate'], undefined, c);
  if (expected.status === 200) {
    assert.equal(res.contentType(), `${accept};charset=utf-8`, c);
    if (accept === JSON_TYPE) JSON.parse(res.text);
    else assert.ok(res.text.startsWith('<') && !res.text.startsWith('<Error>'), `${c}: ${res.text.slice(0, 200)}`);
  } else {
    const body = errorBody(res, accept, c);
    assert.equal(body.message, 'The request is invalid.', c);
    const order = (keys) => (expected.unordered ? [...keys].sort() : keys);
    assert.deepStrictEqual(order(body.keys), order(expected.keys), `${c}: ModelState`);
  }
}

// ---------------------------------------------------------------- the matrix

const bearerRows = ROWS.filter((row) => row.authentication === 'bearer' && !unclassifiable(row));
const openRows = ROWS.filter((row) => row.authentication === 'none' && !unclassifiable(row));
const expectedAudit = { denied: 0, allowed: 0 }; // rows the group requests add to audit_log
let before0; // the database before the matrix

describe('the route table', () => {
  test('`routes` prints every row once, with its metadata', () => {
    assert.equal(ROWS.length, 46, listed.stdout);
    const names = ROWS.map(rowName);
    assert.equal(new Set(names.map((n) => n.toLowerCase())).size, names.length, 'no row twice');
    const find = (method, p) => ROWS.find((row) => row.method === method && row.path === p);
    assert.deepStrictEqual(find('GET', '/v1/PhoneChat/MadeBookings'), { method: 'GET', path: '/v1/PhoneChat/MadeBookings',
      authentication: 'bearer', scope: 'account_phonechat_bookings', group: false, writes: false,
      query: ['StartDate', 'OrderBy', 'BookingsPerPage', 'PageNumber'], body: [] });
    assert.deepStrictEqual(find('POST', '/v1/Groups/PhoneChat/SaveSettings'), { method: 'POST', path: '/v1/Groups/PhoneChat/SaveSettings',
      authentication: 'bearer', scope: 'account_phonechat_bookings', group: true, writes: true, query: [],
      body: ['UserID', 'OfferDirectChat', 'DirectChat', 'PhoneChatNumber', 'PhoneChatPPM'] });
    assert.deepStrictEqual(find('GET', '/v1/CreditHistory/GetCurrentCreditBalance').scope, 'account_credits_history');
    assert.deepStrictEqual(find('GET', '/v1/Account/GetPermissions').scope, null);
    assert.deepStrictEqual(find('POST', '/OAuth/token'), { method: 'POST', path: '/OAuth/token', authentication: 'none',
      scope: null, group: false, writes: true, query: [],
      body: ['grant_type', 'code', 'redirect_uri', 'code_verifier', 'refresh_token', 'client_id', 'client_secret'] });
    assert.deepStrictEqual(find('GET', '/openapi.json'), { method: 'GET', path: '/openapi.json', authentication: 'none',
      scope: null, group: false, writes: false, query: [], body: [] });
    assert.equal(ROWS.filter((row) => row.group).length, 6, 'six group variants');
    assert.equal(ROWS.filter((row) => row.authentication === 'bearer').length, 27);
  });
  test('every route is named in docs/api.md, "Routes" (the inventory a client reads)', () => {
    const doc = fs.readFileSync(new URL('../../docs/api.md', import.meta.url), 'utf8');
    const section = doc.slice(doc.indexOf('\n## Routes'), doc.indexOf('\n## Order of checks'));
    assert.ok(section.length > 1000, 'the Routes section of docs/api.md');
    const named = (row) => section.includes(`${row.path}\``) || section.includes(`${row.path}?`) ||
      section.includes(`…/${row.path.split('/').pop()}\``);
    assert.deepStrictEqual(ROWS.filter((row) => !named(row)).map(rowName), []);
  });
  test('every row can be classified by the matrix', () => {
    const problems = ROWS.map((row) => [rowName(row), unclassifiable(row) ??
      (row.authentication === 'bearer' && shapeOf(row).missing ? `no request in ROUTE_REQUESTS for ${plainPath(row)}` : null)])
      .filter(([, why]) => why);
    assert.deepStrictEqual(problems, [], problems.map(([name, why]) => `${name}: ${why}`).join('\n'));
  });
});

// The requests of the matrix for one bearer route, as jobs: `refused`, every one the server must turn down (401, 403,
// or 400 before anything is looked up), and `allowed`, those it must answer (a read, 200); `audit`, the audit_log rows
// each list adds (docs/api.md, "Group managers": one per group request that reaches the membership check).
function matrixJobs(row) {
  const shape = shapeOf(row);
  const member = shape.owner;
  const withUser = (target) => (row.method === 'GET'
    ? { query: [`UserID=${target}`, shape.query].filter(Boolean).join('&') }
    : { body: { UserID: target, ...shape.body } });
  const full = row.group ? withUser(member) : { query: shape.query, body: shape.body };
  const caller = row.group ? MANAGER : member;
  const jobs = { refused: [], allowed: [], audit: { refused: 0, allowed: 0 } };
  const check = (list, context, request, assertion) => {
    for (const accept of FORMATS) list.push(async () => assertion(await send(row, { ...request, accept }), accept, context));
  };
  // Every bad credential, on the request that would succeed with a good one.
  for (const [name, credentials, kind] of refusedPrincipals(caller, row)) {
    if (kind === 'valid') continue;
    check(jobs.refused, name, { ...full, ...credentials }, (res, accept, c) => expectRefusal(res, kind, row.scope, accept, c));
  }
  if (shape.missing) return jobs;
  // Valid principals without parameters or body: the route's normal answer (on a group variant UserID is required).
  const emptyAnswer = row.group ? { status: 400, keys: ['UserID', ...(shape.empty.keys ?? [])], unordered: true } : shape.empty;
  const emptyList = emptyAnswer.status === 200 ? jobs.allowed : jobs.refused;
  const valid = [
    ['a user in no group', { auth: `Bearer ${env.tokens[CLIENT2]}` }],
    ["a user in no group, with his project's API key", { auth: `Bearer ${env.tokens[CLIENT2]}`, apiKey: LIFECYCLE_API_KEY }],
    ["a user in no group, with a token of another (active) project and its key",
      { auth: `Bearer ${refused[CLIENT2].otherProject}`, apiKey: OTHER_PROJECT.ApiKey }],
    ['a group manager', { auth: `Bearer ${env.tokens[MANAGER]}` }],
    ['the manager of another group', { auth: `Bearer ${env.tokens[OUTSIDER]}` }],
  ];
  if (row.scope === null) {
    // Any valid token will do: a token without the other routes' scopes is no failure here.
    for (const [name, credentials, kind] of refusedPrincipals(CLIENT2, { scope: 'any' })) {
      if (kind === 'scope' || kind === 'valid') valid.push([name, credentials]);
    }
  }
  for (const [name, credentials] of valid) {
    check(emptyList, name, credentials, (res, accept, c) => expectNormal(res, emptyAnswer, accept, c));
  }
  if (!row.group) return jobs;
  const denied = [
    ['a user in no group, for a member', CLIENT2, member, 'not-manager'],
    ['a member, for another member of his group', CLIENT, CAND_SET, 'not-manager'],
    ['the manager of another group, for a member', OUTSIDER, member, 'not-member'],
    ["the manager, for a member of another manager's group", MANAGER, CLIENT4, 'not-member'],
    ['the manager, for a user in no group', MANAGER, CLIENT2, 'not-member'],
    ['the manager, for himself', MANAGER, MANAGER, 'not-member'],
  ];
  for (const [name, user, target, kind] of denied) {
    jobs.audit.refused += FORMATS.length;
    check(jobs.refused, name, { ...withUser(target), auth: `Bearer ${env.tokens[user]}` },
      (res, accept, c) => expectRefusal(res, kind, row.scope, accept, c));
  }
  // The manager for a member: exactly the member's own answer on the plain route (a writing one is checked once the
  // refusals are counted, with the POSTs' own attempts).
  if (row.writes) return jobs;
  jobs.audit.allowed += FORMATS.length;
  const plainRow = { method: row.method, path: row.path.replace(/^\/v1\/Groups\//i, '/v1/') };
  for (const accept of FORMATS) {
    jobs.allowed.push(async () => {
      const [asManager, own] = await Promise.all([
        send(row, { ...full, auth: `Bearer ${env.tokens[MANAGER]}`, accept }),
        send(plainRow, { query: shape.query, auth: `Bearer ${env.tokens[member]}`, accept }),
      ]);
      const c = `the manager for member ${member} [${accept}]`;
      assert.equal(own.status, 200, `${c}: the member's own request: ${own.describe()}`);
      assert.equal(asManager.status, own.status, `${c}: ${asManager.describe()}`);
      assert.equal(asManager.contentType(), own.contentType(), c);
      assert.equal(asManager.text, own.text, `${c}: byte-identical to the member's own answer`);
    });
  }
  return jobs;
}

describe('bearer routes × refused principals, JSON and XML', () => {
  before(() => {
    before0 = dbDump(env.db);
  });
  for (const row of bearerRows) {
    test(rowName(row), async () => {
      const jobs = matrixJobs(row);
      expectedAudit.denied += jobs.audit.refused;
      await pooled(jobs.refused);
    });
  }
});

describe('what the refused requests left behind', () => {
  test('no table changed, except one audit_log row per group request that reached the membership check', () => {
    const after0 = dbDump(env.db);
    const withoutAudit = (dump) => dump.filter(([name]) => name !== 'audit_log');
    assert.deepStrictEqual(withoutAudit(after0), withoutAudit(before0));
    const lastBefore = Math.max(0, ...before0.find(([name]) => name === 'audit_log')[1].map((row) => row.audit_id));
    const added = dbRows(env.db, `SELECT * FROM audit_log WHERE audit_id > ${lastBefore}`);
    assert.ok(expectedAudit.denied > 0);
    assert.equal(added.length, expectedAudit.denied, 'one row per refused group request that named a UserID');
    for (const row of added) assert.match(row.outcome, /^denied: not a (group manager|member)$/, JSON.stringify(row));
  });
});

describe('bearer routes × valid principals, JSON and XML', () => {
  for (const row of bearerRows) {
    test(rowName(row), async () => {
      const jobs = matrixJobs(row);
      expectedAudit.allowed += jobs.audit.allowed;
      await pooled(jobs.allowed);
    });
  }
});

describe('open routes: a credential changes nothing', () => {
  for (const row of openRows) {
    test(rowName(row), async () => {
      const principals = refusedPrincipals(CLIENT, { scope: KNOWN_SCOPES[0] });
      principals.push(['a valid token', { auth: `Bearer ${env.tokens[CLIENT]}` }], ['a valid token and its API key',
        { auth: `Bearer ${env.tokens[CLIENT]}`, apiKey: LIFECYCLE_API_KEY }]);
      // What a page says, without the values that differ on every request (CSRF tokens, nonces).
      const gist = (res) => (res.contentType().startsWith('text/html') ? /<title>[^<]*<\/title>/.exec(res.text)?.[0] : res.text);
      for (const accept of FORMATS) {
        const reference = await send(row, { accept });
        assert.ok(reference.status < 500, `${rowName(row)} without credentials: ${reference.describe()}`);
        assert.notEqual(reference.status, 404, rowName(row));
        assert.notEqual(reference.status, 405, rowName(row));
        await pooled(principals.map(([name, credentials]) => async () => {
          const res = await send(row, { ...credentials, accept });
          const c = `${rowName(row)} with ${name} [${accept}]`;
          assert.equal(res.status, reference.status, `${c}: ${res.describe()}`);
          assert.equal(res.contentType(), reference.contentType(), c);
          assert.equal(res.headers['www-authenticate'], reference.headers['www-authenticate'], c);
          assert.equal(gist(res), gist(reference), c);
        }));
      }
    });
  }
});

describe('the refused requests were real attempts', () => {
  test('the refused POSTs were real attempts: each succeeds for its owner, and the writing group variant for the manager', async () => {
    const writing = bearerRows.filter((row) => row.writes && !shapeOf(row).missing);
    assert.ok(writing.length > 0);
    for (const row of writing) {
      const shape = shapeOf(row);
      for (const accept of FORMATS) {
        const c = `${rowName(row)} [${accept}]`;
        if (!row.group) {
          if (accept === XML_TYPE) continue; // a booking moves once, and a second CreateBooking would be a new one
          const res = await send(row, { body: shape.body, auth: `Bearer ${env.tokens[shape.owner]}`, accept });
          assert.equal(res.status, 200, `${c}: ${res.describe()}`);
          continue;
        }
        const [asManager, own] = [
          await send(row, { body: { UserID: shape.owner, ...shape.body }, auth: `Bearer ${env.tokens[MANAGER]}`, accept }),
          await send({ method: row.method, path: row.path.replace(/^\/v1\/Groups\//i, '/v1/') },
            { body: shape.body, auth: `Bearer ${env.tokens[shape.owner]}`, accept }),
        ];
        assert.equal(own.status, 200, `${c}: the member's own request: ${own.describe()}`);
        assert.equal(asManager.status, 200, `${c}: ${asManager.describe()}`);
        assert.equal(asManager.text, own.text, `${c}: the manager gets the member's own answer`);
      }
    }
    const created = dbRows(env.db, 'SELECT count(*) AS n FROM bookings')[0].n;
    assert.equal(created, BOOKINGS.length + 2, 'CreateBooking and RescheduleMadeBooking each added one booking');
    const outcomes = dbRows(env.db, 'SELECT outcome FROM audit_log').map(({ outcome }) => outcome);
    const writingGroupRows = writing.filter((row) => row.group).length * FORMATS.length;
    assert.equal(outcomes.filter((o) => o === 'allowed').length, expectedAudit.allowed + writingGroupRows, 'one row per manager request');
    assert.equal(outcomes.filter((o) => o !== 'allowed').length, expectedAudit.denied);
  });
  test(`the matrix's size`, (t) => {
    t.diagnostic(`${counts.requests} requests`);
    assert.ok(counts.requests > 1000, `${counts.requests} requests`);
  });
});
