#!/usr/bin/env node
// Writes the Postman collection (v2.1) and the sandbox environment of docs/postman/ from docs/openapi.json: one
// request per operation of the document, with test scripts that check the status, the Content-Type, the headers
// the document requires and, for JSON, the body against the document's schema (inlined). The order below lets the
// whole collection pass against a fresh sandbox in one run; an operation it does not name is added at the end of
// the folder of its first tag, expecting its first 2xx answer.
//   node tests/postman/generate.mjs            writes both files
//   node tests/postman/generate.mjs --check    only compares (exit 1 when a file differs)
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../..');
const DOC_PATH = path.join(ROOT, 'docs/openapi.json');
const OUT_DIR = path.join(ROOT, 'docs/postman');
const COLLECTION_PATH = path.join(OUT_DIR, 'phonechat-api.postman_collection.json');
const ENVIRONMENT_PATH = path.join(OUT_DIR, 'sandbox.postman_environment.json');
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
const CLIENT_SCOPES = 'account_phonechat_bookings account_credits_history account_information';

const doc = JSON.parse(fs.readFileSync(DOC_PATH, 'utf8'));

// A stable UUID-shaped id from a name, so that the files only change when the document does.
function stableId(name) {
  const h = crypto.createHash('sha256').update(`phonechat-api postman ${name}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function deref(node) {
  let seen = 0;
  while (node && typeof node === 'object' && typeof node.$ref === 'string') {
    node = node.$ref.slice(2).split('/').reduce((o, k) => o?.[k.replace(/~1/g, '/').replace(/~0/g, '~')], doc);
    if (node === undefined) throw new Error('unresolved reference');
    if (++seen > 50) throw new Error('reference loop');
  }
  return node;
}

// ------------------------------------------------------------------ scripts shared by several requests

const js = (...lines) => lines;
const bearer = (variable) => `'Bearer ' + pm.variables.replaceIn('{{${variable}}}')`;

// The two dates a new booking needs: the day after tomorrow, from the sandbox's fixed clock (sandboxNow) when it
// was started with --now, else from this machine's clock (at most a few hours off the service's zone).
const DATES = js(
  "const now = pm.variables.get('sandboxNow') ? new Date(pm.variables.get('sandboxNow').slice(0, 19) + 'Z') : new Date();",
  'const day = new Date(now.getTime() + 2 * 86400000).toISOString().slice(0, 10);',
);

// Creates a booking of the client (accessToken) with candidate BookUserID and hands its BookingID to `then`.
function bookingFirst(variable, hour, then) {
  return js(
    ...DATES,
    'pm.sendRequest({',
    "  url: pm.variables.replaceIn('{{baseUrl}}/v1/PhoneChat/CreateBooking'), method: 'POST',",
    `  header: { Authorization: ${bearer('accessToken')}, 'Content-Type': 'application/json', Accept: 'application/json' },`,
    `  body: { mode: 'raw', raw: JSON.stringify({ BookUserID: Number(pm.variables.get('candidateUserId')), SessionDate: day + ' ${hour}', Duration: 15, Method: 2, Credits: 10, AcceptBy: day + ' 12:00' }) },`,
    '}, (err, res) => {',
    "  pm.test('a booking made for this request', () => { pm.expect(err).to.eql(null); pm.expect(res.code, res.text()).to.eql(200); });",
    "  if (err || res.code !== 200) return;",
    `  pm.collectionVariables.set('${variable}', String(res.json().BookingID));`,
    ...then.map((l) => `  ${l}`),
    '});',
  );
}

// ------------------------------------------------------------------ the plan: folders, order, values, checks

// Per operationId: token (a variable; null for none), query (values; others are listed disabled), body (JSON
// object or form fields), status (expected), prerequest/tests (extra script lines), note (added to the
// description). Values may use {{variables}}.
const FOLDERS = [
  {
    name: 'Account and credits',
    description: 'Who the token belongs to, what it may do, and its balance. Read-only.',
    items: {
      verifyCredentials: { tests: js("pm.test('the user of the token', () => pm.expect(pm.response.json().UserID).to.be.a('number'));") },
      getPermissions: {},
      getCurrentCreditBalance: {},
    },
  },
  {
    name: 'Settings',
    description: "The client's own PhoneChat settings, then a group member's as the group's manager (`managerToken`).",
    items: {
      getSettings: {},
      getGroupSettings: { query: { UserID: '{{clientUserId}}' } },
      saveSettings: {
        body: { OfferDirectChat: false, PhoneChatPPM: 1 },
        tests: js("pm.test('the settings saved', () => pm.expect(pm.response.json().PhoneChatPPM).to.eql(1));"),
      },
      saveGroupSettings: {
        body: { UserID: '{{clientUserId}}', OfferDirectChat: true, DirectChat: { DirectChatOnly: false, PPM: 2.5 }, PhoneChatPPM: 1 },
        tests: js("pm.test('the settings saved', () => pm.expect(pm.response.json().OfferDirectChat).to.eql(true));"),
      },
    },
  },
  {
    name: 'Made bookings',
    description: 'The client (`accessToken`) looks at a candidate, books them and reads the booking back; the group ' +
      "manager (`managerToken`) reads the same lists and booking for the client, a member of the manager's group.",
    items: {
      getMadeBookings: { query: { BookingsPerPage: '5' } },
      getGroupMadeBookings: { query: { UserID: '{{clientUserId}}', BookingsPerPage: '5' } },
      getUserBookingRequirements: {
        query: { BookUserID: '{{candidateUserId}}' },
        tests: js("pm.test('Method 2 (PhoneChat) is available', () => pm.expect(pm.response.json().Methods.find((m) => m.Method === 2).Available).to.eql(true));"),
      },
      createBooking: {
        prerequest: js(...DATES, "pm.collectionVariables.set('sessionDate', day + ' 21:30');", "pm.collectionVariables.set('acceptBy', day + ' 12:00');"),
        body: { BookUserID: '{{candidateUserId}}', SessionDate: '{{sessionDate}}', Duration: 15, Method: 2, Credits: 30, AcceptBy: '{{acceptBy}}', Comments: 'Booked from Postman.' },
        tests: js(
          'const booking = pm.response.json();',
          "pm.test('a Pending booking', () => pm.expect(booking.Status).to.eql('Pending'));",
          "pm.collectionVariables.set('bookingId', String(booking.BookingID));",
        ),
        note: 'The dates are the day after tomorrow (`sandboxNow`, else this machine\'s clock); the new BookingID is kept in the collection variable `bookingId` for the requests after it.',
      },
      getMadeBookingDetails: {
        query: { BookingID: '{{bookingId}}' },
        tests: js("pm.test('the booking just made', () => pm.expect(String(pm.response.json().BookingID)).to.eql(pm.variables.get('bookingId')));"),
      },
      getGroupMadeBookingDetails: { query: { UserID: '{{clientUserId}}', BookingID: '{{bookingId}}' } },
    },
  },
  {
    name: 'Received bookings',
    description: 'The candidate (`candidateToken`) sees the booking, accepts it at a new price, rejects one and ' +
      'cancels another (each made for it by its pre-request script). The manager reads the client\'s received side.',
    items: {
      getReceivedBookings: { query: { BookingsPerPage: '5' } },
      getGroupReceivedBookings: { query: { UserID: '{{clientUserId}}' } },
      getReceivedBookingDetails: {
        query: { BookingID: '{{bookingId}}' },
        tests: js("pm.test('the candidate is asked to answer', () => pm.expect(pm.response.json().ActionCandidate).to.eql('You need to accept or reject the booking'));"),
      },
      getGroupReceivedBookingDetails: {
        query: { UserID: '{{clientUserId}}', BookingID: '{{bookingId}}' },
        status: 404,
        note: 'Expects 404: the sandbox\'s groups hold clients, and a booking the member made is never among the member\'s received ones.',
      },
      acceptReceivedBooking: {
        body: { BookingID: '{{bookingId}}', Credits: 35 },
        tests: js("pm.test('Accepted at the new price', () => { pm.expect(pm.response.json().Status).to.eql('Accepted'); pm.expect(pm.response.json().Credits).to.eql(35); });"),
      },
      rejectReceivedBooking: {
        prerequest: bookingFirst('rejectBookingId', '19:00', []),
        body: { BookingID: '{{rejectBookingId}}', Reason: 'I am away that evening.' },
        tests: js("pm.test('Rejected', () => pm.expect(pm.response.json().Status).to.eql('Rejected'));"),
        note: 'Its pre-request script books the candidate once more (as the client) and keeps the BookingID in `rejectBookingId`.',
      },
      reInvite: {
        body: { BookingID: '{{rejectBookingId}}' },
        status: 409,
        tests: js("pm.test('the message names the rule', () => pm.expect(pm.response.json().Message).to.match(/cannot be re-?invited/i));"),
        note: 'Expects 409: only a booking that lapsed unanswered can be re-invited, and the sandbox\'s candidate has none; the booking just rejected is refused.',
      },
      cancelReceivedBooking: {
        prerequest: bookingFirst('cancelBookingId', '20:00', [
          'pm.sendRequest({',
          "  url: pm.variables.replaceIn('{{baseUrl}}/v1/PhoneChat/AcceptReceivedBooking'), method: 'POST',",
          `  header: { Authorization: ${bearer('candidateToken')}, 'Content-Type': 'application/json', Accept: 'application/json' },`,
          "  body: { mode: 'raw', raw: JSON.stringify({ BookingID: Number(pm.collectionVariables.get('cancelBookingId')), Credits: 10 }) },",
          '}, (err2, res2) => {',
          "  pm.test('the booking accepted for this request', () => { pm.expect(err2).to.eql(null); pm.expect(res2.code, res2.text()).to.eql(200); });",
          '});',
        ]),
        body: { BookingID: '{{cancelBookingId}}', Reason: 'Something came up.' },
        tests: js("pm.test('Cancelled by the candidate', () => { pm.expect(pm.response.json().Status).to.eql('Cancelled'); pm.expect(pm.response.json().CancelledBy).to.eql('Candidate'); });"),
        note: 'Its pre-request script books the candidate once more (as the client) and accepts it (as the candidate), keeping the BookingID in `cancelBookingId`.',
      },
    },
  },
  {
    name: 'Paying, cancelling and deleting',
    description: 'The client pays for the accepted booking, cancels it (a full refund), reschedules a past demo booking ' +
      'and hides the booking from the list; the candidate hides the bookings from the received side.',
    items: {
      confirmMadeBooking: {
        headers: { 'Idempotency-Key': 'confirm-{{bookingId}}' },
        body: { BookingID: '{{bookingId}}' },
        tests: js("pm.test('Confirmed', () => pm.expect(pm.response.json().Status).to.eql('Confirmed'));"),
      },
      cancelMadeBooking: {
        body: { BookingID: '{{bookingId}}', Reason: 'Plans changed.' },
        tests: js("pm.test('Cancelled by the client', () => { pm.expect(pm.response.json().Status).to.eql('Cancelled'); pm.expect(pm.response.json().CancelledBy).to.eql('Client'); });"),
      },
      rescheduleMadeBooking: {
        body: { BookingID: 53 },
        tests: js("pm.test('a new Pending booking', () => { pm.expect(pm.response.json().Status).to.eql('Pending'); pm.expect(pm.response.json().BookingID).to.not.eql(53); });"),
        note: "Reschedules the demo data's booking 53 (DemoClient's, lapsed, its session past). A booking is rescheduled once: run against a fresh sandbox, or this answers 409.",
      },
      deleteMadeBookings: {
        body: { BookingIDs: '{{bookingId}}' },
        tests: js("pm.test('deleted', () => pm.expect(pm.response.json()[0].Deleted).to.eql(true));"),
      },
      deleteReceivedBooking: {
        body: { BookingIDs: '{{bookingId}}' },
        tests: js("pm.test('deleted', () => pm.expect(pm.response.json()[0].Deleted).to.eql(true));"),
      },
      deleteReceivedBookings: {
        body: { BookingIDs: '{{rejectBookingId}}, {{cancelBookingId}}' },
        tests: js("pm.test('both deleted', () => pm.expect(pm.response.json().map((r) => r.Deleted)).to.eql([true, true]));"),
      },
    },
  },
  {
    name: 'Unified Login',
    description: 'The OAuth 2.0 authorization code flow with PKCE, as a browser goes through it (the session cookie ' +
      'stays in the cookie jar), then the code exchange, a revocation, the grants page (where the grant just given is ' +
      'revoked) and a logout. It signs in as `oauthLogin` (DemoNoNumber), not as the owner of `accessToken`, whose ' +
      'token the grant\'s revocation would end. Redirects are not followed, so that each 302/303 and its `Location` ' +
      'are checked.',
    items: {
      authorizationServerMetadata: {
        tests: js("pm.test('the token endpoint', () => pm.expect(pm.response.json().token_endpoint).to.match(/\\/OAuth\\/token$/));"),
      },
      authorize: {
        query: {
          response_type: 'code', client_id: '{{clientId}}', redirect_uri: '{{callbackUrl}}', scope: CLIENT_SCOPES,
          state: 'postman', code_challenge: '{{codeChallenge}}', code_challenge_method: 'S256',
        },
        prerequest: js(
          "const cryptoJs = require('crypto-js');",
          "const verifier = pm.variables.replaceIn('{{$guid}}{{$guid}}').replace(/-/g, '');",
          "const challenge = cryptoJs.enc.Base64.stringify(cryptoJs.SHA256(verifier)).replace(/\\+/g, '-').replace(/\\//g, '_').replace(/=+$/, '');",
          "pm.collectionVariables.set('codeVerifier', verifier);",
          "pm.collectionVariables.set('codeChallenge', challenge);",
        ),
        tests: js(
          'const csrf = /name="csrf" value="([^"]+)"/.exec(pm.response.text());',
          "pm.test('the login page has its CSRF field', () => pm.expect(csrf).to.not.eql(null));",
          "if (csrf) pm.collectionVariables.set('csrf', csrf[1]);",
        ),
        note: 'Its pre-request script makes a PKCE verifier and challenge (`codeVerifier`, `codeChallenge`); the page\'s CSRF value is kept in `csrf`.',
      },
      authorizeForm: {
        sameQueryAs: 'authorize',
        prerequest: js(
          "const url = pm.variables.replaceIn(pm.request.url.toString());",
          'pm.sendRequest({',
          "  url, method: 'POST', header: { 'Content-Type': 'application/x-www-form-urlencoded' },",
          "  body: { mode: 'urlencoded', urlencoded: [{ key: 'csrf', value: pm.collectionVariables.get('csrf') }, { key: 'action', value: 'login' }, { key: 'login', value: pm.variables.get('oauthLogin') }, { key: 'password', value: pm.variables.get('oauthPassword') }] },",
          '}, (err, res) => {',
          "  const done = (e, page) => {",
          '    const m = !e && /name="csrf" value="([^"]+)"/.exec(page.text());',
          "    pm.test('signed in: the consent page', () => { pm.expect(e).to.eql(null); pm.expect(page.code).to.eql(200); pm.expect(m).to.be.an('array'); });",
          "    if (m) pm.collectionVariables.set('csrf', m[1]);",
          '  };',
          "  if (!err && res.code === 303) pm.sendRequest({ url, method: 'GET' }, done);",
          '  else done(err, res);',
          '});',
        ),
        form: { csrf: '{{csrf}}', action: 'allow' },
        status: 303,
        tests: js(
          "const location = pm.response.headers.get('Location') || '';",
          "const code = (/[?&]code=([^&]+)/.exec(location) || [])[1];",
          "pm.test('redirected to the callback with a code and the state', () => { pm.expect(location.startsWith(pm.variables.get('callbackUrl'))).to.eql(true); pm.expect(code).to.be.a('string'); pm.expect(location).to.include('state=postman'); });",
          "if (code) pm.collectionVariables.set('authCode', decodeURIComponent(code));",
        ),
        note: 'Its pre-request script posts the login form (`oauthLogin`, `oauthPassword`: a demo user whom the tokens above do not belong to, since revoking the grant below revokes every token of the project for that user) and reads the consent page; this request is the consent (`action=allow`), answered by a 303 to the callback with the code, kept in `authCode`.',
      },
      token: {
        form: {
          grant_type: 'authorization_code', code: '{{authCode}}', redirect_uri: '{{callbackUrl}}', code_verifier: '{{codeVerifier}}',
          client_id: '{{clientId}}', client_secret: '{{clientSecret}}',
        },
        disabledForm: ['refresh_token'],
        tests: js(
          'const t = pm.response.json();',
          "pm.test('a bearer token and a refresh token', () => { pm.expect(t.token_type).to.match(/^bearer$/i); pm.expect(t.refresh_token).to.be.a('string'); });",
          "pm.collectionVariables.set('oauthAccessToken', t.access_token || '');",
          "pm.collectionVariables.set('oauthRefreshToken', t.refresh_token || '');",
        ),
        note: 'Exchanges the code (with the PKCE verifier); the tokens are kept in `oauthAccessToken` and `oauthRefreshToken`. With `grant_type=refresh_token` and `refresh_token` the same request renews them.',
      },
      revoke: {
        form: { token: '{{oauthRefreshToken}}', token_type_hint: 'refresh_token', client_id: '{{clientId}}', client_secret: '{{clientSecret}}' },
        tests: js(
          'pm.sendRequest({',
          "  url: pm.variables.replaceIn('{{baseUrl}}/v1/Account/VerifyCredentials'),",
          "  header: { Authorization: 'Bearer ' + pm.collectionVariables.get('oauthAccessToken') },",
          '}, (err, res) => {',
          "  pm.test('the access token of the revoked refresh token no longer works', () => { pm.expect(err).to.eql(null); pm.expect(res.code).to.eql(401); });",
          '});',
        ),
        note: 'Revokes the refresh token, and with it its family (the access token too).',
      },
      grants: {
        tests: js(
          'const page = pm.response.text();',
          'const csrf = /name="csrf" value="([^"]+)"/.exec(page);',
          'const project = /name="project_id" value="([^"]+)"/.exec(page);',
          "pm.test('the signed-in user\\'s grants, each with Revoke', () => { pm.expect(csrf).to.not.eql(null); pm.expect(project).to.not.eql(null); });",
          "if (csrf) pm.collectionVariables.set('csrf', csrf[1]);",
          "if (project) pm.collectionVariables.set('projectId', project[1]);",
        ),
        note: 'Signed in by the authorization flow above, the page lists the project just authorized; its id is kept in `projectId`.',
      },
      grantsForm: {
        form: { csrf: '{{csrf}}', action: 'revoke', project_id: '{{projectId}}' },
        disabledForm: ['login', 'password'],
        status: 303,
        tests: js("pm.test('back to the grants page', () => pm.expect(pm.response.headers.get('Location')).to.match(/\\/OAuth\\/Grants$/));"),
        note: "Revokes the grant just given (`oauthLogin`'s, to the project `clientId`), and with it every token of that project for that user.",
      },
      logout: {
        form: { csrf: '{{csrf}}' },
        status: 303,
        tests: js("pm.test('back to the grants page', () => pm.expect(pm.response.headers.get('Location')).to.match(/\\/OAuth\\/Grants$/));"),
      },
    },
  },
  {
    name: 'Sandbox',
    description: "The sandbox's demo client and the API document.",
    items: { demoPage: {}, demoCallback: {}, demoScript: {}, openApiJson: {}, openApiYaml: {} },
  },
];

// Values for required query parameters of operations the plan does not name.
const DEFAULT_QUERY = { UserID: '{{clientUserId}}', BookingID: '{{bookingId}}', BookUserID: '{{candidateUserId}}' };

// ------------------------------------------------------------------ JSON Schema for Postman's checks

// The schema at `node` as one draft-07 schema (what Postman's ajv reads): referenced components under
// `definitions`, OpenAPI-only keywords dropped.
function inlineSchema(node) {
  const definitions = {};
  const pending = [];
  const rewrite = (n) => {
    if (Array.isArray(n)) return n.map(rewrite);
    if (!n || typeof n !== 'object') return n;
    const out = {};
    for (const [k, v] of Object.entries(n)) {
      if (['xml', 'example', 'examples', 'description', 'discriminator', 'externalDocs', 'deprecated'].includes(k)) continue;
      if (k === 'format' && v === 'password') continue;
      if (k === '$ref') {
        const name = v.split('/').pop();
        if (!v.startsWith('#/components/schemas/')) throw new Error(`unexpected reference ${v}`);
        if (!(name in definitions)) {
          definitions[name] = null;
          pending.push(name);
        }
        out.$ref = `#/definitions/${name}`;
      } else if (k === 'properties' || k === 'patternProperties') {
        out[k] = Object.fromEntries(Object.entries(v).map(([p, s]) => [p, rewrite(s)]));
      } else out[k] = rewrite(v);
    }
    return out;
  };
  const root = rewrite(node);
  while (pending.length) {
    const name = pending.shift();
    definitions[name] = rewrite(doc.components.schemas[name]);
  }
  const sorted = Object.fromEntries(Object.keys(definitions).sort().map((k) => [k, definitions[k]]));
  return Object.keys(sorted).length ? { ...root, definitions: sorted } : root;
}

// ------------------------------------------------------------------ one request

function operationsOfDocument() {
  const out = [];
  for (const [p, item] of Object.entries(doc.paths)) {
    for (const m of METHODS) if (item[m]) out.push({ path: p, method: m.toUpperCase(), op: item[m], item });
  }
  return out;
}

function parametersOf(entry) {
  return [...(entry.item.parameters ?? []), ...(entry.op.parameters ?? [])].map(deref);
}

// The token variable of a route: none without security, the manager's for group routes, the candidate's for
// the received side, else the collection's (null: inherit).
function tokenOf(entry) {
  const needs = (entry.op.security ?? doc.security ?? []).some((s) => 'bearer' in s || 'oauth2' in s);
  if (!needs) return 'none';
  if (entry.path.startsWith('/v1/Groups/')) return 'managerToken';
  if (/Received|ReInvite/.test(entry.path)) return 'candidateToken';
  return null;
}

function firstSuccess(op) {
  const s = Object.keys(op.responses).filter((k) => /^[23]\d\d$/.test(k)).sort()[0];
  if (!s) throw new Error(`${op.operationId}: no 2xx or 3xx answer in the document`);
  return Number(s);
}

function exampleValue(schema) {
  const s = deref(schema ?? {});
  if (s.example !== undefined) return String(s.example);
  if (s.enum) return String(s.enum[0]);
  if (s.default !== undefined) return String(s.default);
  if (s.type === 'integer') return String(s.minimum ?? 1);
  return '';
}

function buildRequest(entry, plan, queryOf) {
  const { op, path: p, method } = entry;
  const v1 = p.startsWith('/v1/');
  const status = plan.status ?? firstSuccess(op);
  const params = parametersOf(entry);
  const wanted = plan.sameQueryAs ? queryOf[plan.sameQueryAs] : plan.query ?? {};
  queryOf[op.operationId] = wanted;
  const query = params.filter((q) => q.in === 'query').map((q) => {
    const value = wanted[q.name] ?? (q.required ? DEFAULT_QUERY[q.name] ?? exampleValue(q.schema) : exampleValue(q.schema));
    const row = { key: q.name, value: q.name === 'ApiKey' ? '{{apiKey}}' : value };
    if (q.name === 'ApiKey' || (!q.required && wanted[q.name] === undefined)) row.disabled = true;
    if (q.description) row.description = q.description.replace(/\s+/g, ' ').trim();
    return row;
  });
  for (const k of Object.keys(wanted)) if (!query.some((q) => q.key === k)) throw new Error(`${op.operationId}: the document has no query parameter ${k}`);

  const header = [];
  if (v1) header.push({ key: 'Accept', value: 'application/json' });
  const token = plan.token ?? tokenOf(entry);
  if (token !== 'none' && params.some((q) => q.name === 'ApiKey')) header.push({ key: 'X-ApiKey', value: '{{apiKey}}', description: "The project's API key (optional; it must be the key of the token's project)." });
  for (const h of params.filter((q) => q.in === 'header')) {
    const value = plan.headers?.[h.name];
    header.push({ key: h.name, value: value ?? '{{$guid}}', ...(value === undefined ? { disabled: true } : {}), description: (h.description ?? '').replace(/\s+/g, ' ').trim() });
  }

  let body;
  const content = deref(op.requestBody ?? {})?.content ?? {};
  if (plan.body !== undefined) {
    if (!content['application/json']) throw new Error(`${op.operationId}: the document takes no JSON body`);
    header.push({ key: 'Content-Type', value: 'application/json' });
    // Numbers stay numbers: a {{variable}} standing alone for a number is written unquoted.
    const raw = JSON.stringify(plan.body, null, 2).replace(/"(\{\{(?:bookingId|clientUserId|candidateUserId|rejectBookingId|cancelBookingId)\}\})"/g, '$1');
    body = { mode: 'raw', raw, options: { raw: { language: 'json' } } };
  } else if (plan.form !== undefined) {
    const form = content['application/x-www-form-urlencoded'];
    if (!form) throw new Error(`${op.operationId}: the document takes no form`);
    const fields = deref(form.schema).properties ?? {};
    for (const k of Object.keys(plan.form)) if (!(k in fields)) throw new Error(`${op.operationId}: the form has no field ${k}`);
    header.push({ key: 'Content-Type', value: 'application/x-www-form-urlencoded' });
    body = {
      mode: 'urlencoded',
      urlencoded: [
        ...Object.entries(plan.form).map(([key, value]) => ({ key, value, type: 'text' })),
        ...(plan.disabledForm ?? []).map((key) => ({ key, value: '', type: 'text', disabled: true })),
      ],
    };
  } else if (op.requestBody && deref(op.requestBody).required) {
    throw new Error(`${op.operationId}: the document requires a body; give one in the plan`);
  }

  // The checks: status, Content-Type, required headers, body schema (JSON) or emptiness.
  const response = deref(op.responses[String(status)]);
  if (!response) throw new Error(`${op.operationId}: the document has no ${status} answer`);
  const types = Object.keys(response.content ?? {});
  const type = v1 ? (types.includes('application/json') ? 'application/json' : types[0]) : types[0];
  const exec = [`pm.test('status ${status}', () => pm.response.to.have.status(${status}));`];
  if (type) {
    exec.push(`pm.test('Content-Type ${type}', () => pm.expect((pm.response.headers.get('Content-Type') || '').split(';')[0].trim().toLowerCase()).to.eql('${type}'));`);
  } else {
    exec.push("pm.test('no body', () => pm.expect(pm.response.text()).to.eql(''));");
  }
  for (const [name, h] of Object.entries(response.headers ?? {})) {
    if (deref(h).required) exec.push(`pm.test('header ${name}', () => pm.response.to.have.header('${name}'));`);
  }
  if (type && /json$/.test(type) && response.content[type].schema) {
    exec.push(`const schema = ${JSON.stringify(inlineSchema(response.content[type].schema))};`);
    exec.push("pm.test('the body matches the document\\'s schema', () => pm.response.to.have.jsonSchema(schema));");
  }
  exec.push(...(plan.tests ?? []));

  const event = [];
  if (plan.prerequest) event.push({ listen: 'prerequest', script: { id: stableId(`${op.operationId} prerequest`), type: 'text/javascript', exec: plan.prerequest } });
  event.push({ listen: 'test', script: { id: stableId(`${op.operationId} test`), type: 'text/javascript', exec } });

  const pathSegments = p.split('/').filter(Boolean);
  const queryString = query.filter((q) => !q.disabled).map((q) => `${q.key}=${q.value}`).join('&');
  const description = [op.description?.trim() || op.summary, `Expects ${status}.`, plan.note].filter(Boolean).join('\n\n');
  const request = {
    ...(token === 'none' ? { auth: { type: 'noauth' } } : token ? { auth: { type: 'bearer', bearer: [{ key: 'token', value: `{{${token}}}`, type: 'string' }] } } : {}),
    method,
    header,
    ...(body ? { body } : {}),
    url: { raw: `{{baseUrl}}${p}${queryString ? `?${queryString}` : ''}`, host: ['{{baseUrl}}'], path: pathSegments, ...(query.length ? { query } : {}) },
    description,
  };
  // The document's examples of the expected answer when it is a success, as saved responses (Postman's
  // "Examples"); an error's examples are shared by routes and may show another route's case.
  const saved = Object.entries(type && status < 300 ? response.content[type].examples ?? {} : {}).map(([key, ex]) => {
    const example = deref(ex);
    return {
      id: stableId(`${op.operationId} example ${key}`),
      name: example.summary ?? key,
      originalRequest: { method, header: request.header.filter((h) => !h.disabled), ...(body ? { body } : {}), url: request.url },
      status: String(status),
      code: status,
      _postman_previewlanguage: /json$/.test(type) ? 'json' : /xml$/.test(type) ? 'xml' : 'text',
      header: [{ key: 'Content-Type', value: `${type}; charset=utf-8` }],
      body: typeof example.value === 'string' ? example.value : JSON.stringify(example.value, null, 2),
    };
  });
  return {
    id: stableId(op.operationId),
    name: `${op.summary ?? `${method} ${p}`} (${method} ${p})`,
    event,
    ...(!v1 ? { protocolProfileBehavior: { followRedirects: false } } : {}),
    request,
    response: saved,
  };
}

// ------------------------------------------------------------------ the collection and the environment

function collection() {
  const entries = operationsOfDocument();
  const byId = new Map(entries.map((e) => [e.op.operationId, e]));
  if (byId.size !== entries.length) throw new Error('every operation needs a unique operationId');
  const planned = new Set();
  const queryOf = {};
  const folders = FOLDERS.map((f) => ({ ...f, entries: Object.entries(f.items).map(([id, plan]) => {
    const entry = byId.get(id);
    if (!entry) throw new Error(`the plan names ${id}, which is not an operation of docs/openapi.json`);
    planned.add(id);
    return [entry, plan];
  }) }));
  for (const entry of entries) {
    if (planned.has(entry.op.operationId)) continue;
    const tag = entry.op.tags?.[0] ?? 'Other';
    let folder = folders.find((f) => f.name === tag);
    if (!folder) folders.push(folder = { name: tag, description: doc.tags?.find((t) => t.name === tag)?.description ?? '', entries: [] });
    folder.entries.push([entry, {}]);
  }
  const item = folders.map((f) => ({
    id: stableId(`folder ${f.name}`),
    name: f.name,
    description: f.description,
    item: f.entries.map(([entry, plan]) => buildRequest(entry, plan, queryOf)),
  }));
  const flow = doc.components.securitySchemes.oauth2.flows.authorizationCode;
  return {
    info: {
      _postman_id: stableId('collection'),
      name: `${doc.info.title} ${doc.info.version}`,
      description: `${doc.info.summary}\n\nGenerated from docs/openapi.json by tests/postman/generate.mjs: one request per operation, in an order that passes against a fresh sandbox in one run. Import it with docs/postman/sandbox.postman_environment.json (docs/postman.md).\n\nEvery /v1 request sends the collection's OAuth 2.0 token ({{accessToken}}, the sandbox's demo client 2001); group routes send {{managerToken}} (manager 9001) and the received side {{candidateToken}} (candidate 1014). "Get New Access Token" in the collection's Authorization tab signs in through the Unified Login (authorization code with PKCE).`,
      schema: 'https://schema.getpostman.com/json/collection/v2.1.0/collection.json',
    },
    auth: {
      type: 'oauth2',
      oauth2: [
        { key: 'accessToken', value: '{{accessToken}}', type: 'string' },
        { key: 'tokenType', value: 'Bearer', type: 'string' },
        { key: 'addTokenTo', value: 'header', type: 'string' },
        { key: 'headerPrefix', value: 'Bearer', type: 'string' },
        { key: 'tokenName', value: 'PhoneChat sandbox', type: 'string' },
        { key: 'grant_type', value: 'authorization_code_with_pkce', type: 'string' },
        { key: 'challengeAlgorithm', value: 'S256', type: 'string' },
        { key: 'authUrl', value: `{{baseUrl}}${new URL(flow.authorizationUrl).pathname}`, type: 'string' },
        { key: 'accessTokenUrl', value: `{{baseUrl}}${new URL(flow.tokenUrl).pathname}`, type: 'string' },
        { key: 'refreshTokenUrl', value: `{{baseUrl}}${new URL(flow.refreshUrl).pathname}`, type: 'string' },
        { key: 'clientId', value: '{{clientId}}', type: 'string' },
        { key: 'clientSecret', value: '{{clientSecret}}', type: 'string' },
        { key: 'redirect_uri', value: '{{callbackUrl}}', type: 'string' },
        { key: 'useBrowser', value: false, type: 'boolean' },
        { key: 'scope', value: CLIENT_SCOPES, type: 'string' },
        { key: 'state', value: 'postman', type: 'string' },
        { key: 'client_authentication', value: 'body', type: 'string' },
      ],
    },
    item,
    variable: ['sessionDate', 'acceptBy', 'bookingId', 'rejectBookingId', 'cancelBookingId', 'codeVerifier', 'codeChallenge', 'csrf', 'authCode', 'oauthAccessToken', 'oauthRefreshToken', 'projectId']
      .map((key) => ({ key, value: '', type: 'string' })),
  };
}

function environment() {
  const values = [
    ['baseUrl', 'http://127.0.0.1:8080', 'default'],
    ['accessToken', '', 'secret'],
    ['managerToken', '', 'secret'],
    ['candidateToken', '', 'secret'],
    ['apiKey', 'demo-api-key', 'default'],
    ['clientId', 'demo-app', 'default'],
    ['clientSecret', 'demo-secret', 'secret'],
    ['callbackUrl', 'http://127.0.0.1:8765/cb', 'default'],
    ['oauthLogin', 'DemoNoNumber', 'default'],
    ['oauthPassword', 'demo-password', 'secret'],
    ['clientUserId', '2001', 'default'],
    ['candidateUserId', '1014', 'default'],
    ['sandboxNow', '', 'default'],
  ];
  return {
    id: stableId('environment sandbox'),
    name: 'PhoneChat sandbox',
    values: values.map(([key, value, type]) => ({ key, value, type, enabled: true })),
    _postman_variable_scope: 'environment',
  };
}

const text = (o) => JSON.stringify(o, null, 2) + '\n';
const outputs = [[COLLECTION_PATH, text(collection())], [ENVIRONMENT_PATH, text(environment())]];
if (process.argv.includes('--check')) {
  const stale = outputs.filter(([file, want]) => !fs.existsSync(file) || fs.readFileSync(file, 'utf8') !== want);
  for (const [file] of stale) process.stderr.write(`${path.relative(ROOT, file)} is not what docs/openapi.json gives: run node tests/postman/generate.mjs\n`);
  process.exit(stale.length ? 1 : 0);
}
fs.mkdirSync(OUT_DIR, { recursive: true });
for (const [file, want] of outputs) fs.writeFileSync(file, want);
process.stdout.write(`generate: wrote ${outputs.map(([f]) => path.relative(ROOT, f)).join(' and ')}\n`);
