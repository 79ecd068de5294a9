// Test data for the booking life cycle (docs/lifecycle.md, /work/shared/spec/phonechat-family.md): users with
// PhoneChat settings, Credit records, and bookings in every status placed relative to the fixed service clock
// (`serve --now NOW`), so that lapsed deadlines, passed sessions and finished sessions need no waiting. Each test file
// builds its own database (newDb: SQLite, or PostgreSQL when PHONECHAT_TEST_PG_URL is set) and gives every test its
// own bookings, so that tests in one file never share a booking they change.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { dbRows, mintToken, newDb, request, runCli, startServer, xmllint } from './harness.mjs';
import { DAY, HOUR, MINUTE, canonical, creditsE4, fmt, ms } from './model.mjs';
import { parseXml } from './xml.mjs';

// Before the spring-forward night of 2025-03-30 (Europe/London), which is less than 3 months ahead.
export const NOW = '2025-03-20T12:00:00';
export const N = ms(NOW);
export const SPRING_GAP = '2025-03-30 01:30'; // does not exist in Europe/London
export const SCOPES = 'account_phonechat_bookings account_credits_history';
export const CLIENT_ID = 'lc-app';
export const LAPSE_REASON = 'The booking was not accepted in time.';

// A local date-time text `days`/`hours`/`minutes` away from NOW.
export const at = (days, hours = 0, minutes = 0) => fmt(N + days * DAY + hours * HOUR + minutes * MINUTE);

// Users. Clients have credits; candidates have PhoneChat settings.
export const CLIENT = 2001; // Clara: 1000 credits
export const CLIENT2 = 2002; // Bob: 50 credits
export const POOR = 2003; // 5 credits
export const CLIENT4 = 2004; // Dora: 300 credits, no group
export const CAND = 3001; // offers PhoneChat, PPM 0.5, number and Skype: every method
export const CAND_BARE = 3002; // offers PhoneChat, no price, no number, no Skype: Method 1 only
export const CAND_NOPC = 3003; // does not offer PhoneChat
export const CAND_DCONLY = 3004; // DirectChat Only
export const CAND_SKYPE = 3005; // Skype only, PPM 1.25
export const CAND_SET = 3006; // for SaveSettings: number, PPM 0.4, ShowPhoneChatNumber on
export const CAND_NEVER = 3007; // never saved anything (all defaults)
export const CAND2 = 3008; // a second full candidate, PPM 0.2
export const CAND_SHOW = 3009; // number shown, no bookings: free to clear it
export const MANAGER = 4001; // manages group 50: CLIENT, CAND_SET, CAND
export const OUTSIDER = 4002; // manages group 51: CLIENT4 only
export const UNKNOWN = 999999;

const U = (UserID, Nickname, extra = {}) => ({ Kind: 'User', UserID, Nickname, Password: null, EmailAddress: null,
  PhoneChatNumber: null, SkypeName: null, Positive: 0, Neutral: 0, Negative: 0, Disputes: 0, ...extra });

export const USERS = [
  U(CLIENT, 'Clara', { PhoneChatNumber: '+447700900501', SkypeName: 'live:clara', Positive: 7, Neutral: 2, Negative: 1, Disputes: 1 }),
  U(CLIENT2, 'bob', { Positive: 3 }),
  U(POOR, 'Poor'),
  U(CLIENT4, 'Dora'),
  U(CAND, 'Alice', { OffersPhoneChat: true, PhoneChatPPM: '0.5', PhoneChatNumber: '+447700900001', SkypeName: 'live:alice',
    Positive: 40, Neutral: 5, Negative: 3, Disputes: 2 }),
  U(CAND_BARE, 'Bare', { OffersPhoneChat: true }),
  U(CAND_NOPC, 'NoPhoneChat', { PhoneChatNumber: '+447700900003', SkypeName: 'live:nopc' }),
  U(CAND_DCONLY, 'DcOnly', { OffersPhoneChat: true, PhoneChatPPM: '1', OfferDirectChat: true, DirectChatOnly: true,
    DirectChatPPM: '2', PhoneChatNumber: '+447700900004' }),
  U(CAND_SKYPE, 'SkypeOnly', { OffersPhoneChat: true, PhoneChatPPM: '1.25', SkypeName: 'live:skypeonly' }),
  U(CAND_SET, 'Settler', { OffersPhoneChat: true, PhoneChatPPM: '0.4', PhoneChatNumber: '+447700900006',
    ShowPhoneChatNumber: true, OfferDirectChat: true, DirectChatOnly: false, DirectChatPPM: '0.75' }),
  U(CAND_NEVER, 'Never'),
  U(CAND2, 'Zoe', { OffersPhoneChat: true, PhoneChatPPM: '0.2', PhoneChatNumber: '+447700900008', SkypeName: 'live:zoe' }),
  U(CAND_SHOW, 'Shower', { OffersPhoneChat: true, PhoneChatPPM: '0.3', PhoneChatNumber: '+447700900009', ShowPhoneChatNumber: true }),
  U(MANAGER, 'Manager'),
  U(OUTSIDER, 'Outsider'),
];
export const user = (id) => USERS.find((u) => u.UserID === id);

export const BASE_CREDITS = { [CLIENT]: '1000', [CLIENT2]: '50', [POOR]: '5', [CLIENT4]: '300' };

const FIXED = [
  { Kind: 'Group', GroupID: 50, Name: 'Agency Fifty', ManagerUserID: MANAGER, MemberUserIDs: [CLIENT, CAND_SET, CAND] },
  { Kind: 'Group', GroupID: 51, Name: 'Agency Fifty-One', ManagerUserID: OUTSIDER, MemberUserIDs: [CLIENT4] },
  { Kind: 'Project', Name: 'Life cycle', OwnerUserID: MANAGER, ApiKey: 'lc-key-0123456789', ClientID: CLIENT_ID,
    ClientSecret: null, RedirectURIs: ['http://127.0.0.1:8765/cb'], ImplicitGrant: false },
];

// A Booking import record with the dates its status implies. o: { client, cand, status, method, credits, duration,
// create, acceptBy, session (texts), comments, rejectedReason, rejectionKind, cancelledBy, deletedByClient,
// deletedByCandidate, offered, phone, skype }.
export function booking(BookingID, o) {
  const method = o.method ?? 1;
  const status = o.status;
  const create = o.create ?? at(-3);
  const b = {
    Kind: 'Booking', BookingID, ClientUserID: o.client ?? CLIENT, CandidateUserID: o.cand ?? CAND, Duration: o.duration ?? 30,
    Credits: o.credits ?? '20', Status: status, Method: method,
    PhoneNumber: method === 1 ? (o.phone ?? '07700900123') : null,
    SkypeName: method === 3 ? (o.skype ?? 'live:client.skype') : null,
    CreateDate: create, SessionDate: o.session, AcceptBy: o.acceptBy, AcceptedDate: null, ConfirmedDate: null,
    CancelledDate: null, CancelledReason: null, CancelledBy: null, RejectedReason: null, LastUpdated: null,
    Comments: o.comments ?? null, DeletedByClient: o.deletedByClient ?? false,
  };
  let last = create;
  const accepted = ['Accepted', 'Confirmed'].includes(status) || (status === 'Cancelled' && o.acceptedFirst);
  if (accepted) {
    b.AcceptedDate = fmt(ms(create) + 10 * MINUTE);
    last = b.AcceptedDate;
  }
  if (status === 'Confirmed' || (status === 'Cancelled' && o.confirmedFirst)) {
    b.ConfirmedDate = fmt(ms(create) + 20 * MINUTE);
    last = b.ConfirmedDate;
  }
  if (status === 'Rejected') {
    b.RejectedReason = o.rejectedReason === undefined ? 'Not available' : o.rejectedReason;
    if (o.rejectionKind) b.RejectionKind = o.rejectionKind;
    last = fmt(ms(create) + 5 * MINUTE);
  }
  if (status === 'Cancelled') {
    b.CancelledDate = fmt(ms(create) + 30 * MINUTE);
    b.CancelledBy = o.cancelledBy ?? 'Client';
    b.CancelledReason = o.cancelledReason ?? 'Changed my mind';
    last = b.CancelledDate;
  }
  b.LastUpdated = o.lastUpdated ?? last;
  if (o.deletedByCandidate) b.DeletedByCandidate = true;
  if (o.offered) b.OfferedCredits = o.offered;
  return b;
}

export const credit = (UserID, Amount, Description = 'Opening balance') => ({ Kind: 'Credit', UserID, Amount,
  Date: at(-30), Description });

// Imports at `importNow` (NOW by default, so that the import settles Confirmed bookings whose session is over), mints tokens with both scopes
// for every user and starts a server at NOW whose sweeper stays out of the way (settlement then happens on a balance
// read). Returns { db, srv, port, tokens, bookings (Map), stop(), now }.
export async function setupLifecycle({ bookings = [], credits = null, threads, extraArgs = [], db = newDb(), serve = true, importNow = NOW, sweepSeconds = 3600 } = {}) {
  const creditRecords = credits ?? Object.entries(BASE_CREDITS).map(([id, amount]) => credit(+id, amount));
  const records = [...USERS, ...FIXED, ...bookings, ...creditRecords];
  const file = path.join(db.dir, `lifecycle-${Date.now()}-${Math.random().toString(36).slice(2)}.jsonl`);
  fs.writeFileSync(file, records.map((r) => JSON.stringify(r)).join('\n') + '\n');
  const r = await runCli(['import', '--db', db.url, '--now', importNow, file]);
  if (r.code !== 0) throw new Error(`import failed (exit ${r.code}): ${r.stderr.trim()}`);
  const tokens = {};
  await Promise.all(USERS.map(async (u) => {
    tokens[u.UserID] = await mintToken(db, { user: u.UserID, clientId: CLIENT_ID, scope: SCOPES });
  }));
  const env = { db, tokens, bookings: new Map(bookings.map((b) => [b.BookingID, b])) };
  if (serve) {
    env.srv = await startServer(db, { now: NOW, threads, extraArgs: ['--sweep-interval', String(sweepSeconds), ...extraArgs] });
    env.port = env.srv.port;
  }
  env.stop = async () => { if (env.srv) await env.srv.stop(); };
  return env;
}

// ---------------------------------------------------------------- requests

export const PC = '/v1/PhoneChat';
export const GPC = '/v1/Groups/PhoneChat';
export const BALANCE = '/v1/CreditHistory/GetCurrentCreditBalance';

// POSTs a JSON body (an object is serialised; a string is sent as is) as `userId`.
export function post(env, userId, route, body, { accept, headers = {}, key, token, contentType = 'application/json', port } = {}) {
  const h = { ...headers };
  if (contentType !== null) h['Content-Type'] = contentType;
  if (key !== undefined) h['Idempotency-Key'] = key;
  const text = typeof body === 'string' ? body : JSON.stringify(body ?? {});
  return request(port ?? env.port, route.startsWith('/') ? route : `${PC}/${route}`, {
    method: 'POST', token: token ?? env.tokens[userId], accept, headers: h, body: text,
  });
}

export function get(env, userId, target, { accept, token, port } = {}) {
  return request(port ?? env.port, target.startsWith('/') ? target : `${PC}/${target}`, { token: token ?? env.tokens[userId], accept });
}

export const madeDetails = (env, uid, id, o) => get(env, uid, `MadeBookingDetails?BookingID=${id}`, o);
export const receivedDetails = (env, uid, id, o) => get(env, uid, `ReceivedBookingDetails?BookingID=${id}`, o);

// The caller's balance as the exact JSON text; asserts a 200.
export async function balanceText(env, uid, o = {}) {
  const res = await get(env, uid, BALANCE, o);
  assert.equal(res.status, 200, `balance of ${uid}: ${res.describe()}`);
  return res.text;
}

// Asserts `res` has `status`; returns the parsed JSON body.
export function expectStatus(res, status, context = '') {
  assert.equal(res.status, status, `${context} ${res.describe()}`);
  return res.text ? res.json() : undefined;
}

// Asserts a 409 (or other error) whose Message matches every pattern.
export function expectError(res, status, ...patterns) {
  const body = expectStatus(res, status);
  for (const p of patterns) assert.match(body.Message, p, res.describe());
  return body;
}

// Asserts a 400 whose ModelState names exactly... at least `keys`.
export function expect400(res, keys, context = '') {
  const body = expectStatus(res, 400, context);
  assert.equal(body.Message, 'The request is invalid.', context);
  for (const k of keys) assert.ok(body.ModelState && k in body.ModelState, `${context}: ModelState names ${k}: ${res.text}`);
  return body;
}

// ---------------------------------------------------------------- credits and ledger

export const e4 = creditsE4;
// ten-thousandths (BigInt) -> shortest JSON text
export function e4Text(v) {
  const neg = v < 0n;
  const a = neg ? -v : v;
  const frac = String(a % 10000n).padStart(4, '0').replace(/0+$/, '');
  return `${neg ? '-' : ''}${a / 10000n}${frac ? `.${frac}` : ''}`;
}

export const ESCROW = -1;
export const EXTERNAL = -2;

export function ledgerRows(db, bookingId) {
  return dbRows(db, `SELECT kind, from_account, to_account, amount FROM ledger_entries WHERE booking_id = ${Number(bookingId)} ORDER BY entry_id`);
}

// The running balance of an account in ten-thousandths (0n when it has no row).
export function accountBalance(db, id) {
  const rows = dbRows(db, `SELECT balance FROM accounts WHERE account_id = ${Number(id)}`);
  return rows.length ? BigInt(rows[0].balance) : 0n;
}

export async function ledgerVerify(db) {
  return runCli(['ledger', 'verify', '--db', db.url]);
}

// The ledger's invariants over SQL: the running balances sum to 0, each equals its rows, escrow equals the
// Credits of Confirmed unsettled bookings (as the rows say: Payment without Refund or Earning), no booking has both
// a Refund and an Earning, and no user or escrow balance is negative.
export function ledgerInvariants(db) {
  const accounts = dbRows(db, 'SELECT account_id, balance FROM accounts');
  const sum = accounts.reduce((s, a) => s + BigInt(a.balance), 0n);
  assert.equal(sum, 0n, `running balances sum to 0: ${JSON.stringify(accounts)}`);
  const flows = dbRows(db, `SELECT a.account_id, coalesce((SELECT sum(amount) FROM ledger_entries WHERE to_account = a.account_id), 0)
    - coalesce((SELECT sum(amount) FROM ledger_entries WHERE from_account = a.account_id), 0) AS net, a.balance FROM accounts a`);
  for (const f of flows) assert.equal(BigInt(f.net), BigInt(f.balance), `account ${f.account_id}: rows and running balance agree`);
  for (const a of accounts) if (a.account_id !== EXTERNAL) assert.ok(BigInt(a.balance) >= 0n, `account ${a.account_id} is not negative`);
  const both = dbRows(db, `SELECT booking_id FROM ledger_entries WHERE kind IN ('Refund', 'Earning') GROUP BY booking_id HAVING count(*) > 1`);
  assert.deepStrictEqual(both, [], 'never a Refund and an Earning for one booking');
  const dup = dbRows(db, `SELECT booking_id, kind FROM ledger_entries WHERE kind <> 'Credit' GROUP BY booking_id, kind HAVING count(*) > 1`);
  assert.deepStrictEqual(dup, [], 'at most one Payment, Refund, Earning per booking');
  const held = dbRows(db, `SELECT p.amount FROM ledger_entries p WHERE p.kind = 'Payment'
    AND NOT EXISTS (SELECT 1 FROM ledger_entries o WHERE o.booking_id = p.booking_id AND o.kind IN ('Refund', 'Earning'))`);
  const escrow = accounts.find((a) => a.account_id === ESCROW);
  assert.equal(held.reduce((s, r) => s + BigInt(r.amount), 0n), escrow ? BigInt(escrow.balance) : 0n, 'escrow = open Payments');
}

// ---------------------------------------------------------------- XML

// Parses an answer strictly: libxml2 first (well-formedness), then the namespace-aware reader.
export function strictXml(res) {
  assert.equal(res.status, 200, res.describe());
  assert.match(res.contentType(), /^(application|text)\/xml;charset=utf-8$/);
  const lint = xmllint(res.text);
  assert.ok(lint.ok, `well-formed XML: ${lint.errors}\n${res.text.slice(0, 400)}`);
  return parseXml(res.text);
}

export const childNames = (el) => el.children.map((c) => c.local);

// ---------------------------------------------------------------- expected views

// The JSON `ReceivedBooking` of an imported booking at service time `now` (naive ms), from spec §7.2.
export function expectedReceived(b, now = N + 1) {
  const client = user(b.ClientUserID);
  let status = b.Status;
  let rejected = b.RejectedReason ?? null;
  const lapsed = status === 'Pending' && ms(b.AcceptBy) <= now;
  if (lapsed) {
    status = 'Rejected';
    rejected = LAPSE_REASON;
  }
  const kind = b.RejectionKind ?? (b.RejectedReason === LAPSE_REASON ? 'Lapsed' : 'Candidate');
  const lapsedUnanswered = lapsed || (b.Status === 'Rejected' && kind === 'Lapsed');
  let action = null;
  if (status === 'Pending') action = 'You need to accept or reject the booking';
  else if (status === 'Accepted' && ms(b.SessionDate) > now) action = `Waiting for ${client.Nickname} to confirm the booking`;
  else if (status === 'Confirmed' && ms(b.SessionDate) + b.Duration * MINUTE > now) action = 'You need to carry out the session';
  else if (lapsedUnanswered && ms(b.SessionDate) <= now) action = `You can re-invite ${client.Nickname}`;
  const open = status === 'Confirmed';
  const phone = open && b.Method === 1 ? b.PhoneNumber.replace(/ /g, '') : null;
  const skype = open && b.Method === 3 ? b.SkypeName : null;
  return {
    BookingID: b.BookingID, Duration: b.Duration, Credits: Number(b.Credits), Status: status, Method: b.Method,
    PhoneNumber: phone, SkypeName: skype, CreateDate: canonical(b.CreateDate), SessionDate: canonical(b.SessionDate),
    AcceptBy: canonical(b.AcceptBy), AcceptedDate: canonical(b.AcceptedDate), ConfirmedDate: canonical(b.ConfirmedDate),
    CancelledDate: canonical(b.CancelledDate), CancelledReason: b.CancelledReason ?? null, CancelledBy: b.CancelledBy ?? null,
    RejectedReason: rejected, LastUpdated: canonical(b.LastUpdated), Comments: b.Comments ?? null, ActionCandidate: action,
    Client: { UserID: client.UserID, Nickname: client.Nickname, PhoneNumber: phone, SkypeName: skype,
      Total: client.Positive - client.Negative, Positive: client.Positive, Neutral: client.Neutral, Negative: client.Negative,
      Ratings: client.Positive + client.Neutral + client.Negative, Disputes: client.Disputes },
  };
}

export const RECEIVED_KEYS = ['BookingID', 'Duration', 'Credits', 'Status', 'Method', 'PhoneNumber', 'SkypeName', 'CreateDate',
  'SessionDate', 'AcceptBy', 'AcceptedDate', 'ConfirmedDate', 'CancelledDate', 'CancelledReason', 'CancelledBy',
  'RejectedReason', 'LastUpdated', 'Comments', 'ActionCandidate', 'Client'];
export const MADE_KEYS = ['BookingID', 'Duration', 'Credits', 'Status', 'Method', 'PhoneNumber', 'SkypeName', 'CreateDate',
  'SessionDate', 'AcceptBy', 'AcceptedDate', 'ConfirmedDate', 'CancelledDate', 'CancelledReason', 'CancelledBy',
  'RejectedReason', 'LastUpdated', 'Comments', 'ActionClient', 'Candidate'];
export const XML_BOOKING_ORDER = (action) => ['AcceptBy', 'AcceptedDate', action, 'BookingID', 'CancelledBy', 'CancelledDate',
  'CancelledReason', action === 'ActionClient' ? 'Candidate' : 'Client', 'Comments', 'ConfirmedDate', 'CreateDate', 'Credits',
  'Duration', 'LastUpdated', 'Method', 'PhoneNumber', 'RejectedReason', 'SessionDate', 'SkypeName', 'Status'];
export const XML_PARTY_ORDER = ['Disputes', 'Negative', 'Neutral', 'Positive', 'Ratings', 'Total', 'Nickname', 'PhoneNumber',
  'SkypeName', 'UserID'];

export const NS = {
  made: 'http://schemas.datacontract.org/2004/07/API.Models.PhoneChat.Bookings.Made',
  received: 'http://schemas.datacontract.org/2004/07/API.Models.PhoneChat.Bookings.Received',
  pc: 'http://schemas.datacontract.org/2004/07/API.Models.PhoneChat.Bookings',
  profile: 'http://schemas.datacontract.org/2004/07/API.Models.Profile',
  settings: 'http://schemas.datacontract.org/2004/07/API.Models.PhoneChat.Settings',
  dc: 'http://schemas.datacontract.org/2004/07/API.Models.DirectChat',
  ser: 'http://schemas.microsoft.com/2003/10/Serialization/',
  i: 'http://www.w3.org/2001/XMLSchema-instance',
};
export { DAY, HOUR, MINUTE, fmt, ms, canonical };
