#!/usr/bin/env node
// Writes the examples of docs/openapi.yaml from real answers: starts the sandbox on its demo data with the clock at
// 2027-01-04 09:00 (so that the dates in the bodies below stay valid), makes the requests in order, and replaces the
// text between the "captured examples" markers under components/examples. Then run yaml-to-json.mjs.
//   PHONECHAT_BIN=… node capture-examples.mjs
import fs from 'node:fs';
import YAML from 'yaml';
import { YAML_PATH, loadDocument, send, startSandbox } from './lib.mjs';

const BEGIN = '    # >>> captured examples';
const END = '    # <<< captured examples';
const examples = {};
let port;

// Makes one request, checks its status and keeps its body as example `name` (JSON parsed; XML as text).
async function take(name, { method = 'GET', target, token, accept = 'json', body, headers = {}, status = 200, note }) {
  const h = { ...headers };
  if (token) h.Authorization = `Bearer ${token}`;
  if (accept === 'xml') h.Accept = 'application/xml';
  if (body !== undefined && !h['Content-Type']) h['Content-Type'] = 'application/json';
  const r = await send(port, method, target, { headers: h, body });
  if (r.status !== status) throw new Error(`${name}: ${method} ${target} answered ${r.status}, expected ${status}: ${r.text}`);
  if (!name) return r;
  const request = `${method} ${target}${body !== undefined ? ` with ${body}` : ''}`;
  examples[name] = {
    summary: note ?? `${method} ${target.split('?')[0]} (${status})`,
    description: `The sandbox's answer to \`${request}\`${accept === 'xml' ? ' with `Accept: application/xml`' : ''}.`,
    value: accept === 'xml' ? r.text : JSON.parse(r.text),
  };
  return r;
}

function cookiesOf(r, jar) {
  for (const c of r.headers['set-cookie'] ?? []) {
    const [pair] = c.split(';');
    const eq = pair.indexOf('=');
    jar[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return Object.entries(jar).map(([k, v]) => `${k}=${v}`).join('; ');
}

function csrfOf(html) {
  const m = /name="csrf" value="([^"]+)"/.exec(html);
  if (!m) throw new Error('no csrf field on the page');
  return m[1];
}

// The Unified Login's authorization code flow, as a browser would go through it, then the code exchange.
async function tokenFlow() {
  const jar = {};
  const target = '/OAuth/Authorize?response_type=code&client_id=demo-app&redirect_uri=' +
    encodeURIComponent('http://127.0.0.1:8765/cb') + '&scope=account_phonechat_bookings%20account_information&state=xyz';
  const form = { 'Content-Type': 'application/x-www-form-urlencoded' };
  let r = await send(port, 'GET', target);
  let cookie = cookiesOf(r, jar);
  r = await send(port, 'POST', target, { headers: { ...form, Cookie: cookie },
    body: new URLSearchParams({ csrf: csrfOf(r.text), action: 'login', login: 'DemoClient', password: 'demo-password' }).toString() });
  if (r.status !== 303) throw new Error(`login answered ${r.status}`);
  cookie = cookiesOf(r, jar);
  r = await send(port, 'GET', target, { headers: { Cookie: cookie } });
  cookie = cookiesOf(r, jar);
  r = await send(port, 'POST', target, { headers: { ...form, Cookie: cookie }, body: new URLSearchParams({ csrf: csrfOf(r.text), action: 'allow' }).toString() });
  const code = new URL(r.headers.location).searchParams.get('code');
  if (!code) throw new Error(`no code in ${r.headers.location}`);
  const exchange = new URLSearchParams({ grant_type: 'authorization_code', code, client_id: 'demo-app', client_secret: 'demo-secret' }).toString();
  await take('TokenJson', { method: 'POST', target: '/OAuth/token', body: exchange, headers: form, note: 'An authorization code exchanged' });
  await take('TokenErrorJson', { method: 'POST', target: '/OAuth/token', body: exchange, headers: form, status: 400, note: 'The same code a second time' });
  await take('TokenInvalidClientJson', { method: 'POST', target: '/OAuth/token', status: 401, note: 'A wrong client secret with HTTP Basic',
    body: 'grant_type=refresh_token&refresh_token=unknown', headers: { ...form, Authorization: `Basic ${Buffer.from('demo-app:wrong').toString('base64')}` } });
}

async function main() {
  const sandbox = await startSandbox();
  port = sandbox.port;
  try {
    const client = sandbox.token(2001, 'account_phonechat_bookings account_credits_history account_information');
    const candidate = sandbox.token(1014);
    const noNumber = sandbox.token(1015);
    const skype = sandbox.token(1016);
    const booked = sandbox.token(1007);
    const manager = sandbox.token(9001);
    const V = '/v1/PhoneChat';
    const G = '/v1/Groups/PhoneChat';
    const post = (target, token, obj, more = {}) => ({ method: 'POST', target, token, body: JSON.stringify(obj), ...more });

    await take('MadeBookingsJson', { target: `${V}/MadeBookings?BookingsPerPage=2`, token: client });
    await take('MadeBookingsXml', { target: `${V}/MadeBookings?BookingsPerPage=1`, token: client, accept: 'xml' });
    await take('GroupMadeBookingsJson', { target: `${G}/MadeBookings?UserID=2001&OrderBy=sessiondate-asc&BookingsPerPage=1`, token: manager });
    await take('GroupMadeBookingsXml', { target: `${G}/MadeBookings?UserID=2001&OrderBy=sessiondate-asc&BookingsPerPage=1`, token: manager, accept: 'xml' });
    await take('RequirementsJson', { target: `${V}/GetUserBookingRequirements?BookUserID=1014`, token: client });
    await take('RequirementsXml', { target: `${V}/GetUserBookingRequirements?BookUserID=1016`, token: client, accept: 'xml' });
    await take('CreateBookingJson', post(`${V}/CreateBooking`, client, { BookUserID: 1014, SessionDate: '2027-01-05 21:30', Duration: 15, Method: 2, Credits: 30, AcceptBy: '2027-01-05 12:00' }));
    await take('CreateBookingXml', post(`${V}/CreateBooking`, client, { BookUserID: 1016, SessionDate: '2027-01-06 18:00', Duration: 20, Method: 3, SkypeName: 'live:client2001', Credits: 12, AcceptBy: '2027-01-06 09:00', Comments: 'A first session: twenty minutes.' }, { accept: 'xml' }));
    // 356 and 357: two more for DemoCandidate, accepted below and then cancelled by the candidate.
    await take(null, post(`${V}/CreateBooking`, client, { BookUserID: 1014, SessionDate: '2027-01-07 20:00', Duration: 10, Method: 1, PhoneNumber: '07700 900 201', Credits: 5, AcceptBy: '2027-01-07 08:00' }));
    await take(null, post(`${V}/CreateBooking`, client, { BookUserID: 1014, SessionDate: '2027-01-08 20:00', Duration: 10, Method: 2, Credits: 6, AcceptBy: '2027-01-08 08:00' }));
    await take('MadeBookingDetailsJson', { target: `${V}/MadeBookingDetails?BookingID=354`, token: client });
    await take('MadeBookingDetailsXml', { target: `${V}/MadeBookingDetails?BookingID=355`, token: client, accept: 'xml' });
    await take('GroupMadeBookingDetailsJson', { target: `${G}/MadeBookingDetails?UserID=2001&BookingID=354`, token: manager });
    await take('GroupMadeBookingDetailsXml', { target: `${G}/MadeBookingDetails?UserID=2001&BookingID=355`, token: manager, accept: 'xml' });
    await take('ReceivedBookingsJson', { target: `${V}/ReceivedBookings?BookingsPerPage=2`, token: candidate });
    await take('ReceivedBookingsXml', { target: `${V}/ReceivedBookings?BookingsPerPage=1`, token: skype, accept: 'xml' });
    await take('GroupReceivedBookingsJson', { target: `${G}/ReceivedBookings?UserID=2001`, token: manager });
    await take('GroupReceivedBookingsXml', { target: `${G}/ReceivedBookings?UserID=2001`, token: manager, accept: 'xml' });
    await take('ReceivedBookingDetailsJson', { target: `${V}/ReceivedBookingDetails?BookingID=354`, token: candidate });
    await take('ReceivedBookingDetailsXml', { target: `${V}/ReceivedBookingDetails?BookingID=355`, token: skype, accept: 'xml' });
    await take('Error404Json', { target: `${G}/ReceivedBookingDetails?UserID=2001&BookingID=354`, token: manager, status: 404, note: 'A made booking asked for among the received ones' });
    await take('Error404Xml', { target: `${G}/ReceivedBookingDetails?UserID=2001&BookingID=354`, token: manager, status: 404, accept: 'xml', note: 'A made booking asked for among the received ones' });
    await take('AcceptJson', post(`${V}/AcceptReceivedBooking`, candidate, { BookingID: 354, Credits: 35 }));
    await take('AcceptXml', post(`${V}/AcceptReceivedBooking`, skype, { BookingID: 355, Credits: 15 }, { accept: 'xml' }));
    await take(null, post(`${V}/AcceptReceivedBooking`, candidate, { BookingID: 356, Credits: 5 }));
    await take(null, post(`${V}/AcceptReceivedBooking`, candidate, { BookingID: 357, Credits: 6 }));
    await take('RejectJson', post(`${V}/RejectReceivedBooking`, candidate, { BookingID: 351, Reason: 'I am away that morning.' }));
    await take('RejectXml', post(`${V}/RejectReceivedBooking`, noNumber, { BookingID: 352, Reason: 'Please book a longer session.' }, { accept: 'xml' }));
    await take('ConfirmJson', post(`${V}/ConfirmMadeBooking`, client, { BookingID: 354 }, { headers: { 'Idempotency-Key': 'confirm-354' } }));
    await take('ConfirmXml', post(`${V}/ConfirmMadeBooking`, client, { BookingID: 355 }, { accept: 'xml' }));
    await take('Error422Json', post(`${V}/ConfirmMadeBooking`, client, { BookingID: 355 }, { headers: { 'Idempotency-Key': 'confirm-354' }, status: 422, note: 'An Idempotency-Key used again with another body' }));
    await take('Error422Xml', post(`${V}/ConfirmMadeBooking`, client, { BookingID: 355 }, { headers: { 'Idempotency-Key': 'confirm-354' }, status: 422, accept: 'xml', note: 'An Idempotency-Key used again with another body' }));
    await take('Error409Json', post(`${V}/ConfirmMadeBooking`, client, { BookingID: 351 }, { status: 409, note: 'A Rejected booking cannot be confirmed' }));
    await take('Error409Xml', post(`${V}/ConfirmMadeBooking`, client, { BookingID: 351 }, { status: 409, accept: 'xml', note: 'A Rejected booking cannot be confirmed' }));
    await take('CancelMadeJson', post(`${V}/CancelMadeBooking`, client, { BookingID: 354, Reason: 'Plans changed.' }));
    await take('CancelMadeXml', post(`${V}/CancelMadeBooking`, client, { BookingID: 353, Reason: 'Booked by mistake.' }, { accept: 'xml' }));
    await take('CancelReceivedJson', post(`${V}/CancelReceivedBooking`, candidate, { BookingID: 356, Reason: 'I am ill that day.' }));
    await take('CancelReceivedXml', post(`${V}/CancelReceivedBooking`, candidate, { BookingID: 357, Reason: 'Something came up.' }, { accept: 'xml' }));
    await take('ReInviteJson', post(`${V}/ReInvite`, booked, { BookingID: 53 }));
    await take('ReInviteXml', post(`${V}/ReInvite`, booked, { BookingID: 233, Reason: 'Sorry I missed it: book me again any evening.' }, { accept: 'xml' }));
    await take('RescheduleJson', post(`${V}/RescheduleMadeBooking`, client, { BookingID: 53 }));
    await take('RescheduleXml', post(`${V}/RescheduleMadeBooking`, client, { BookingID: 233 }, { accept: 'xml' }));
    await take('DeleteMadeJson', post(`${V}/DeleteMadeBookings`, client, { BookingIDs: '354' }));
    await take('DeleteMadeXml', post(`${V}/DeleteMadeBookings`, client, { BookingIDs: '353, 355, 9999' }, { accept: 'xml' }));
    await take('DeleteReceivedJson', post(`${V}/DeleteReceivedBooking`, candidate, { BookingIDs: '351, 354' }));
    await take('DeleteReceivedXml', post(`${V}/DeleteReceivedBookings`, candidate, { BookingIDs: '356, 357' }, { accept: 'xml' }));
    await take('GetSettingsJson', { target: `${V}/GetSettings`, token: candidate });
    await take('GetSettingsXml', { target: `${V}/GetSettings`, token: skype, accept: 'xml' });
    await take('GroupGetSettingsJson', { target: `${G}/GetSettings?UserID=2001`, token: manager });
    await take('GroupGetSettingsXml', { target: `${G}/GetSettings?UserID=2001`, token: manager, accept: 'xml' });
    await take('SaveSettingsJson', post(`${V}/SaveSettings`, candidate, { OfferDirectChat: true, DirectChat: { DirectChatOnly: false, PPM: 1.2 }, PhoneChatNumber: '00447700900114', PhoneChatPPM: 0.6 }));
    await take('SaveSettingsXml', post(`${V}/SaveSettings`, noNumber, { OfferDirectChat: false, PhoneChatNumber: '+447700900115', PhoneChatPPM: 0.45 }, { accept: 'xml' }));
    await take('GroupSaveSettingsJson', post(`${G}/SaveSettings`, manager, { UserID: 2001, OfferDirectChat: false, PhoneChatPPM: 1 }));
    await take('GroupSaveSettingsXml', post(`${G}/SaveSettings`, manager, { UserID: 2001, OfferDirectChat: true, DirectChat: { DirectChatOnly: true, PPM: 2.5 }, PhoneChatPPM: 1 }, { accept: 'xml' }));
    await take('BalanceJson', { target: '/v1/CreditHistory/GetCurrentCreditBalance', token: client });
    await take('BalanceXml', { target: '/v1/CreditHistory/GetCurrentCreditBalance', token: client, accept: 'xml' });
    await take('VerifyCredentialsJson', { target: '/v1/Account/VerifyCredentials', token: client });
    await take('VerifyCredentialsXml', { target: '/v1/Account/VerifyCredentials', token: client, accept: 'xml' });
    await take('GetPermissionsJson', { target: '/v1/Account/GetPermissions', token: client });
    await take('GetPermissionsXml', { target: '/v1/Account/GetPermissions', token: client, accept: 'xml' });
    const invalid = { BookUserID: 1014, SessionDate: '2027-01-05T21:30Z', Duration: 4, Method: 1, PhoneNumber: '12345', Credits: '1.23456', AcceptBy: '2027-01-06 12:00' };
    await take('Error400Json', post(`${V}/CreateBooking`, client, invalid, { status: 400, note: 'Every member at fault at once' }));
    await take('Error400Xml', post(`${V}/CreateBooking`, client, invalid, { status: 400, accept: 'xml', note: 'Every member at fault at once' }));
    await take('Error401Json', { target: `${V}/MadeBookings`, status: 401, note: 'No token' });
    await take('Error401Xml', { target: `${V}/MadeBookings`, status: 401, accept: 'xml', note: 'No token' });
    await take('Error403Json', { target: '/v1/CreditHistory/GetCurrentCreditBalance', token: candidate, status: 403, note: 'A token without the route\'s scope' });
    await take('Error403Xml', { target: '/v1/CreditHistory/GetCurrentCreditBalance', token: candidate, status: 403, accept: 'xml', note: 'A token without the route\'s scope' });
    await take('Error404RouteJson', { target: `${V}/NoSuchRoute?ApiKey=secret`, status: 404, note: 'A path no route has' });
    await take('Error404RouteXml', { target: `${V}/NoSuchRoute`, status: 404, accept: 'xml', note: 'A path no route has' });
    await take('Error405Json', { method: 'DELETE', target: `${V}/MadeBookings`, status: 405, note: 'A method the route does not take' });
    await take('Error405Xml', { method: 'DELETE', target: `${V}/MadeBookings`, status: 405, accept: 'xml', note: 'A method the route does not take' });
    await take('Error415Json', post(`${V}/ConfirmMadeBooking`, client, { BookingID: 355 }, { headers: { 'Content-Type': 'text/plain' }, status: 415, note: 'A body that is not JSON' }));
    await take('Error415Xml', post(`${V}/ConfirmMadeBooking`, client, { BookingID: 355 }, { headers: { 'Content-Type': 'text/plain' }, status: 415, accept: 'xml', note: 'A body that is not JSON' }));
    await take('MetadataJson', { target: '/.well-known/oauth-authorization-server', note: 'The metadata of a server started with --issuer http://127.0.0.1:8080' });
    await tokenFlow();
  } finally {
    await sandbox.stop();
  }
  // The 429: a sandbox that admits one request per second per project.
  const limited = await startSandbox({ extraArgs: ['--api-rate-limit', '1'] });
  port = limited.port;
  try {
    const token = limited.token(2001);
    await take(null, { target: '/v1/Account/GetPermissions', token });
    await take('Error429Json', { target: '/v1/Account/GetPermissions', token, status: 429, note: 'Over the project\'s rate (--api-rate-limit 1)' });
    await take('Error429Xml', { target: '/v1/Account/GetPermissions', token, status: 429, accept: 'xml', note: 'Over the project\'s rate (--api-rate-limit 1)' });
  } finally {
    await limited.stop();
  }
  write();
}

function write() {
  const text = fs.readFileSync(YAML_PATH, 'utf8');
  const begin = text.indexOf(BEGIN);
  const end = text.indexOf(END);
  if (begin < 0 || end < begin) throw new Error('docs/openapi.yaml has no captured-examples markers');
  const lineEnd = text.indexOf('\n', begin) + 1;
  const body = YAML.stringify(examples, { lineWidth: 0 }).split('\n').filter((l) => l !== '').map((l) => `    ${l}\n`).join('');
  const next = text.slice(0, lineEnd) + body + text.slice(end);
  loadDocument(next); // still YAML
  fs.writeFileSync(YAML_PATH, next);
  process.stdout.write(`capture-examples: wrote ${Object.keys(examples).length} examples into docs/openapi.yaml\n`);
}

main().catch((e) => {
  process.stderr.write(`capture-examples: ${e.stack || e.message}\n`);
  process.exit(1);
});
