// Writes the seed corpora under tests/fuzz/corpus/<harness>/ from the tests' own inputs: the raw requests of
// tests/blackbox/framing.test.mjs (its `shapes`, evaluated with a marker), the query strings of params.test.mjs, the
// life-cycle bodies of lifecycle-*.test.mjs, the import lines of the demo data and of `phonechat-api generate`, and
// the OAuth forms of tests/oauth/protocol.test.mjs. Each file is named after its content, so reruns add nothing.
// Usage: node tests/fuzz/make-seeds.mjs [path/to/phonechat-api]   (default build/src/app/phonechat-api)
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const binary = process.argv[2] ?? path.join(root, 'build/src/app/phonechat-api');
const read = (file) => fs.readFileSync(path.join(root, file), 'utf8');

// The harness's fixed tokens (tests/fuzz/demo_store.hpp).
const CLIENT = 'fuzz-client-token-0123456789abcdefghijklmnopq';
const MANAGER = 'fuzz-manager-token-0123456789abcdefghijklmnop';
const CANDIDATE = 'fuzz-candidate-token-0123456789abcdefghijklm';

const written = {};
function seed(harness, label, content) {
  const dir = path.join(here, 'corpus', harness);
  fs.mkdirSync(dir, { recursive: true });
  const digest = createHash('sha1').update(content).digest('hex').slice(0, 12);
  const name = `${label.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 40)}-${digest}`;
  fs.writeFileSync(path.join(dir, name), content);
  written[harness] = (written[harness] ?? 0) + 1;
}

// ---- query_binding: every literal query string of params.test.mjs, plus the group route's.
const queries = new Set(['', 'UserID=2001', 'UserID=2001&BookingsPerPage=5&PageNumber=2']);
for (const [, q] of read('tests/blackbox/params.test.mjs').matchAll(/['`]\?([^'`$]*)['`]/g)) queries.add(q);
for (const q of queries) seed('query_binding', `q-${q}`, q);

// ---- http_request: requests of each route, in JSON and XML, and the framing test's raw requests.
const request = (method, target, { token, accept, body, type = 'application/json', extra = '' } = {}) =>
  `${method} ${target} HTTP/1.1\r\nHost: x\r\n` + (accept ? `Accept: ${accept}\r\n` : '') +
  (token ? `Authorization: Bearer ${token}\r\n` : '') + extra +
  (body !== undefined ? `Content-Type: ${type}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}` : '\r\n');
const gets = [
  ['/v1/PhoneChat/MadeBookings?BookingsPerPage=5', CLIENT],
  ['/v1/PhoneChat/MadeBookings?StartDate=2023-03-10&OrderBy=date-asc&BookingsPerPage=100&PageNumber=2', CLIENT],
  ['/v1/Groups/PhoneChat/MadeBookings?UserID=2001&BookingsPerPage=3', MANAGER],
  ['/v1/PhoneChat/GetUserBookingRequirements?BookUserID=1014', CLIENT],
  ['/v1/PhoneChat/MadeBookingDetails?BookingID=1', CLIENT],
  ['/v1/Groups/PhoneChat/MadeBookingDetails?UserID=2001&BookingID=1', MANAGER],
  ['/v1/PhoneChat/ReceivedBookings?BookingsPerPage=5', CANDIDATE],
  ['/v1/PhoneChat/ReceivedBookingDetails?BookingID=1', CANDIDATE],
  ['/v1/PhoneChat/GetSettings', CANDIDATE],
  ['/v1/CreditHistory/GetCurrentCreditBalance', CLIENT],
  ['/v1/Account/VerifyCredentials', CLIENT],
  ['/v1/Account/GetPermissions', CLIENT],
  ['/v1/PhoneChat/MadeBookings?BookingsPerPage=0', CLIENT],
  ['/v1/PhoneChat/MadeBookings', undefined],
  ['/v1/PhoneChat/MadeBookings', 'not-a-token'],
  ['/.well-known/oauth-authorization-server', undefined],
  ['/demo', undefined],
];
for (const [target, token] of gets) {
  for (const accept of [undefined, 'application/xml', 'application/json;q=0.5, text/xml']) {
    seed('http_request', `get-${target}`, request('GET', target, { token, accept }));
  }
}
const posts = [
  ['CreateBooking', CLIENT, { BookUserID: 1014, SessionDate: '2026-03-04 10:00', Duration: 30, Method: 1,
    PhoneNumber: '07700 900123', Credits: '15', AcceptBy: '2026-03-03 10:00' }],
  ['ConfirmMadeBooking', CLIENT, { BookingID: 1 }],
  ['CancelMadeBooking', CLIENT, { BookingID: 2, Reason: 'no longer needed' }],
  ['RescheduleMadeBooking', CLIENT, { BookingID: 3, SessionDate: '2026-03-05T11:30', AcceptBy: '2026-03-04 09:00' }],
  ['DeleteMadeBookings', CLIENT, { BookingIDs: '4,5,6' }],
  ['AcceptReceivedBooking', CANDIDATE, { BookingID: 7 }],
  ['RejectReceivedBooking', CANDIDATE, { BookingID: 8, Reason: 'busy' }],
  ['CancelReceivedBooking', CANDIDATE, { BookingID: 9 }],
  ['ReInvite', CANDIDATE, { BookingID: 10, SessionDate: '2026-03-06 12:00' }],
  ['DeleteReceivedBookings', CANDIDATE, { BookingIDs: 11 }],
  ['SaveSettings', CANDIDATE, { PhoneChatPPM: '0.5', PhoneChatNumber: '+44 7700 900123', OfferDirectChat: true,
    DirectChat: { SkypeName: 'demo.candidate' } }],
];
for (const [operation, token, body] of posts) {
  for (const accept of [undefined, 'application/xml']) {
    seed('http_request', `post-${operation}`,
      request('POST', `/v1/PhoneChat/${operation}`, { token, accept, body: JSON.stringify(body) }));
  }
  seed('json_body', `body-${operation}`, `application/json\n${JSON.stringify(body)}`);
}
seed('http_request', 'post-idempotent', request('POST', '/v1/PhoneChat/ConfirmMadeBooking',
  { token: CLIENT, body: '{"BookingID":1}', extra: 'Idempotency-Key: fuzz-key-1\r\n' }));
seed('http_request', 'post-chunked', `POST /v1/PhoneChat/CancelMadeBooking HTTP/1.1\r\nHost: x\r\n` +
  `Authorization: Bearer ${CLIENT}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n` +
  `5\r\n{"Boo\r\na\r\nkingID":2}\r\n0\r\nAuthorization: Bearer ${MANAGER}\r\n\r\n`);
seed('http_request', 'pipelined', request('GET', '/v1/Account/VerifyCredentials', { token: CLIENT }) +
  request('GET', '/v1/PhoneChat/MadeBookings?BookingsPerPage=1', { token: CLIENT, accept: 'text/xml' }) +
  `HEAD /v1/PhoneChat/MadeBookings HTTP/1.0\r\nAuthorization: Bearer ${CLIENT}\r\nConnection: keep-alive\r\n\r\n`);
seed('http_request', 'expect-continue', request('POST', '/v1/PhoneChat/SaveSettings',
  { token: CANDIDATE, body: '{"PhoneChatPPM":1}', extra: 'Expect: 100-continue\r\n' }));
seed('http_request', 'absolute-form', `GET http://x/v1/Account/GetPermissions?x=1 HTTP/1.1\r\nHost: x\r\n` +
  `Authorization: Bearer ${CLIENT}\r\n\r\n`);
seed('http_request', 'oauth-token', request('POST', '/OAuth/token',
  { body: 'grant_type=refresh_token&refresh_token=abc&client_id=demo-app', type: 'application/x-www-form-urlencoded' }));

// The framing test's shapes, each a function of a marker, evaluated on the same constants.
const framing = read('tests/blackbox/framing.test.mjs');
const shapesSource = framing.match(/\nconst TE_CL = [^\n]*\n(const shapes = \{[\s\S]*?\n\};)/);
if (!shapesSource) throw new Error('framing.test.mjs: no `const shapes` found');
const shapes = new Function('ROUTE', 'LIST', 'hidden', 'chunk', 'token',
  `const TE_CL = (te, cl, body) => \`POST \${ROUTE} HTTP/1.1\\r\\nHost: x\\r\\n\${te}\${cl}\\r\\n\${body}\`;\n` +
  `${shapesSource[1]}\nreturn shapes;`)(
  '/v1/PhoneChat/CancelMadeBooking', '/v1/PhoneChat/MadeBookings',
  (marker) => `GET /${marker} HTTP/1.1\r\nHost: x\r\n\r\n`,
  (text) => `${Buffer.byteLength(text).toString(16)}\r\n${text}\r\n`, () => CLIENT);
for (const [name, shape] of Object.entries(shapes)) {
  const [bytes] = shape('hidden-marker');
  seed('http_request', `framing-${name}`, Buffer.isBuffer(bytes) ? bytes : String(bytes));
}
for (const raw of ['GARBAGE\r\n\r\n', 'GET /v1/PhoneChat/MadeBookings HTTP/1.1\r\nHost : x\r\n\r\n',
  'GET /v1/PhoneChat/MadeBookings HTTP/1.1\r\nHost: x\r\nThis is not a header\r\n\r\n',
  'GET /v1/PhoneChat/MadeBookings HTTP/1.1\r\nAccept: application/xml\r\nContent-Length: abc\r\n\r\n',
  `GET /${'a'.repeat(9000)} HTTP/1.1\r\nHost: x\r\n\r\n`,
  `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(17000)}\r\n\r\n`]) {
  seed('http_request', `raw-${raw.slice(0, 30)}`, raw);
}

// ---- headers: Accept, Authorization, X-ApiKey.
const accepts = ['', 'application/json', 'application/xml', 'text/xml;q=0.9, application/json;q=0.8', '*/*',
  'application/*;q=0', 'image/png', 'application/xml;q=abc, text/json'];
const authorizations = ['', `Bearer ${CLIENT}`, `bearer   ${MANAGER}`, 'Bearer', 'Bearer a b', 'Basic ZGVtby1hcHA6ZGVtby1zZWNyZXQ=',
  'Basic ZGVtbyUyMGFwcDpzM2NyZXQlMjE=', 'Basic !!!', 'Digest x'];
for (const [index, accept] of accepts.entries()) {
  seed('headers', `h-${accept}`, `${accept}\n${authorizations[index % authorizations.length]}\n`);
}
for (const authorization of authorizations) seed('headers', `a-${authorization}`, `application/xml\n${authorization}\n`);
seed('headers', 'api-key', `application/json\nBearer ${CLIENT}\ndemo-api-key`);

// ---- json_body: bodies beyond the life-cycle ones.
for (const [type, body] of [['application/json; charset=utf-8', '{}'], ['', ''], ['text/plain', '{"a":1}'],
  ['application/json', '{"BookingIDs":"1, 2,2 ,3","Credits":12.5000,"Duration":"30"}'],
  ['application/json', '{"bookingid":1,"BOOKINGID":2}'], ['application/json', '{"a":[[[[[[1]]]]]],"b":null}'],
  ['application/json', '{"Comments":"caf\\u00e9 \\ud83d\\ude00","SessionDate":"2026-03-29 02:30"}'],
  ['application/json', '[1,2]'], ['application/json', '{"a":1} x']]) {
  seed('json_body', `b-${body}`, `${type}\n${body}`);
}

// ---- import_line: the demo data's lines and a small generated set with the life cycle's records.
const imports = new Set();
const generated = execFileSync(binary, ['generate', '--users', '20', '--bookings', '30', '--lifecycle', '--seed', '7'],
  { encoding: 'utf8' });
for (const line of generated.split('\n')) {
  const kind = line.match(/"Kind"\s*:\s*"(\w+)"/)?.[1];
  if (!kind) continue;
  const key = `${kind}-${imports.size}`;
  if ([...imports].filter((k) => k.startsWith(kind)).length < 6) {
    imports.add(key);
    seed('import_line', `${kind}`, line);
  }
}
for (const line of ['{}', '{"Kind":"Nope"}', '{"Kind":"User","Kind":"User"}', 'not json', '{"Kind":"Credit","UserID":1}']) {
  seed('import_line', 'bad', line);
}

// ---- oauth_forms: Content-Type, Cookie, Authorization, body.
const forms = [
  'grant_type=authorization_code&code=abc&redirect_uri=http%3A%2F%2F127.0.0.1%2Fcb&code_verifier=xyz',
  'grant_type=refresh_token&refresh_token=r1&client_id=demo-app&client_secret=demo-secret',
  'login=DemoClient&password=demo-password&csrf=c1',
  'response_type=code&client_id=demo-app&scope=account_phonechat_bookings&state=s&code_challenge=x&code_challenge_method=S256',
  'decision=allow&csrf=c1&csrf=c2', 'a=%zz&b=+x+', '',
];
const cookies = ['', 'pc_session=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA; pc_csrf=c1', ' pc_csrf = "c1" ;x=y'];
for (const [index, form] of forms.entries()) {
  seed('oauth_forms', `f-${form}`, `application/x-www-form-urlencoded; charset=UTF-8\n${cookies[index % cookies.length]}\n` +
    `${authorizations[(index + 5) % authorizations.length]}\n${form}`);
}

// ---- dates_decimals.
for (const text of ['2026-03-02T10:00:00', '2024-02-29T23:59:59.999', '2023-02-29T00:00:00', '2026-03-02T10:00:00.5',
  '2026-03-02', '2024-02-29', '9999-12-31', '0001-01-01', '2026-13-01', '15', '12.25', '0.0001', '999999999999.9999',
  '1.23456', '-1', '1e3', '.5', '5.', '00012.5000']) {
  seed('dates_decimals', `d-${text}`, text);
}

console.log(Object.entries(written).map(([h, n]) => `${h}: ${n}`).join(', '));
