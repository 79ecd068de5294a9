// `export` (docs/import-format.md): a database with real history (an import with passwords, a client secret, Credits
// and bookings in every status, then Confirms, a Refund, Earnings, a reschedule, a re-invitation, a settings change
// and `credits add` through the running server) is exported, imported into the other backend and exported again, byte
// for byte; the two databases then answer every read alike, the ledger verifies, and the original password and
// client secret still sign in. The file itself: no plaintext secret, the records and fields in their fixed order, the
// ledger of each booking as stored. The new fields are refused by their line when wrong, with nothing stored. Whatever
// a database holds (generated data, bookings of 0 credits, reschedules changed by `import --replace`) exports into a
// file that imports again. A failed export leaves no file. PostgreSQL cases run with PHONECHAT_TEST_PG_URL.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { PEER, PG_URL, copyDb, mintToken, newDb, newSqliteDb, request, runCli, setSchemaVersion, startServer, tempDir } from './harness.mjs';
import {
  BALANCE, CAND, CAND2, CAND_DCONLY, CAND_SET, CLIENT, CLIENT2, CLIENT4, GPC, LAPSE_REASON, MANAGER, NOW, OUTSIDER, PC,
  POOR, SCOPES, USERS, at, booking, credit, expectStatus, ledgerVerify, ms, post,
} from './lifecycle-fixture.mjs';
import { Agent, PHONECHAT_SCOPE, authorize, authorizeUrl, describeToken, submitLogin, tokenRequest } from '../oauth/oauth-harness.mjs';

const skipPeer = PEER && 'the peer has no export command';
const skipPg = skipPeer || (!PG_URL && 'needs PHONECHAT_TEST_PG_URL');

const IMPORT_NOW = at(0, -2);
const LATER = at(1); // the second server's clock, and the clock every comparison is read at
const FAR = at(20); // a migration's import clock: every session is over by then, so only the file's ledger fields say what is paid
const RU = 'http://127.0.0.1:9/cb';
const PASSWORDS = { [CLIENT]: 'Clara-export-pass-2001!', [CAND]: 'Alice-export-pass-3001!' };
const CLARA_EMAIL = 'clara@example.test';
const PROJECT = { Kind: 'Project', Name: 'Export app', OwnerUserID: MANAGER, ApiKey: 'ex-key-0123456789', ClientID: 'zz-export-app',
  ClientSecret: 'Export-client-secret-0123456789', RedirectURIs: [RU], ImplicitGrant: false };
const HOSTILE = 'Line1\r\nLine2\t"quoted" <b>&amp;</b> \\ back é ü 日本語 🙂\u2028end';

const B = {
  pending: booking(401, { client: CLIENT, cand: CAND, status: 'Pending', method: 2, acceptBy: at(3), session: at(4), comments: HOSTILE }),
  toRefund: booking(402, { client: CLIENT, cand: CAND2, status: 'Accepted', acceptBy: at(3), session: at(4), credits: '3.5' }),
  rejected: booking(403, { client: CLIENT, cand: CAND, status: 'Rejected', create: at(-6), acceptBy: at(-5), session: at(-4) }),
  cancelledByCand: booking(404, { client: CLIENT2, cand: CAND, status: 'Cancelled', cancelledBy: 'Candidate', acceptedFirst: true,
    acceptBy: at(3), session: at(4), deletedByCandidate: true }),
  settledAtImport: booking(405, { client: CLIENT4, cand: CAND2, status: 'Confirmed', acceptBy: at(-3), session: at(-2), credits: '11' }),
  earnedLater: booking(406, { client: CLIENT4, cand: CAND2, status: 'Confirmed', acceptBy: at(-1), session: at(0, -1), duration: 30,
    credits: '12.3456' }),
  escrowed: booking(407, { client: CLIENT4, cand: CAND, status: 'Confirmed', method: 3, acceptBy: at(9), session: at(10), credits: '9.5' }),
  lapsed: booking(408, { client: CLIENT2, cand: CAND2, status: 'Pending', acceptBy: at(-1), session: at(1) }),
  lapsedToReInvite: booking(411, { client: CLIENT2, cand: CAND, status: 'Pending', create: at(-4), acceptBy: at(-3), session: at(-2) }),
  offered: booking(409, { client: CLIENT4, cand: CAND, status: 'Accepted', acceptBy: at(3), session: at(4), credits: '20', offered: '18.5' }),
  rescheduleSource: booking(420, { client: CLIENT, cand: CAND2, status: 'Rejected', create: at(-8), acceptBy: at(-7), session: at(-6),
    rejectedReason: LAPSE_REASON, rejectionKind: 'Lapsed' }),
};
// Created at the same instant as its source, with a lower ID: only the reschedule rule puts it after the source.
B.rescheduled = { ...booking(410, { client: CLIENT, cand: CAND2, status: 'Pending', create: at(-8), acceptBy: at(5), session: at(6) }),
  RescheduledFromBookingID: 420 };

const USER_KEYS = ['Kind', 'UserID', 'Nickname', 'PasswordHash', 'EmailAddress', 'PhoneChatNumber', 'SkypeName', 'Positive', 'Neutral',
  'Negative', 'Disputes', 'OffersPhoneChat', 'PhoneChatPPM', 'OfferDirectChat', 'DirectChatOnly', 'DirectChatPPM', 'ShowPhoneChatNumber'];
const GROUP_KEYS = ['Kind', 'GroupID', 'Name', 'ManagerUserID', 'MemberUserIDs'];
const PROJECT_KEYS = ['Kind', 'Name', 'OwnerUserID', 'ApiKey', 'ClientID', 'ClientSecretHash', 'RedirectURIs', 'ImplicitGrant', 'Active'];
const CREDIT_KEYS = ['Kind', 'UserID', 'Amount', 'Date', 'Description'];
const BOOKING_BASE = ['Kind', 'BookingID', 'ClientUserID', 'CandidateUserID', 'Duration', 'Credits', 'Status', 'Method', 'PhoneNumber',
  'SkypeName', 'CreateDate', 'SessionDate', 'AcceptBy', 'AcceptedDate', 'ConfirmedDate', 'CancelledDate', 'CancelledReason',
  'CancelledBy', 'RejectedReason', 'LastUpdated', 'Comments', 'DeletedByClient'];
const BOOKING_LIFECYCLE = ['DeletedByCandidate', 'OfferedCredits', 'RejectionKind', 'RescheduledFromBookingID'];
const LEDGER_KEYS = ['Settled', 'PaymentFrom', 'PaymentDate', 'RefundDate', 'EarningDate'];
const BOOKING_KEYS = [...BOOKING_BASE, ...BOOKING_LIFECYCLE, ...LEDGER_KEYS];
const AMOUNT_KEYS = ['Credits', 'OfferedCredits', 'Amount', 'PhoneChatPPM', 'DirectChatPPM'];
const DATE_KEYS = ['CreateDate', 'SessionDate', 'AcceptBy', 'AcceptedDate', 'ConfirmedDate', 'CancelledDate', 'LastUpdated', 'Date',
  'PaymentDate', 'RefundDate', 'EarningDate'];
const KIND_RANK = { User: 0, Group: 1, Project: 2, Credit: 3, Booking: 4 };
const ARGON2ID = /^\$argon2id\$v=19\$m=\d+,t=\d+,p=\d+\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/;

// ---------------------------------------------------------------- commands

function writeJsonl(dir, records) {
  const file = path.join(dir, `export-in-${Date.now()}-${Math.random().toString(36).slice(2)}.jsonl`);
  fs.writeFileSync(file, records.map((r) => (typeof r === 'string' ? r : JSON.stringify(r))).join('\n') + '\n');
  return file;
}

function importFile(db, file, { now = IMPORT_NOW, replace = false } = {}) {
  return runCli(['import', '--db', db.url, ...(replace ? ['--replace'] : []), '--now', now, file]);
}

// Exports db into a new file of `dir`; asserts success, one summary line and nothing on stdout. Returns { file, text, summary }.
async function exportTo(db, dir = tempDir()) {
  const file = path.join(dir, `export-${Math.random().toString(36).slice(2)}.jsonl`);
  const r = await runCli(['export', '--db', db.url, '--output', file]);
  assert.equal(r.code, 0, `export --db ${db.url} failed: ${r.stderr}`);
  assert.equal(r.stdout, '', 'with --output nothing goes to stdout');
  assert.match(r.stderr, /^exported \d+ users, \d+ groups, \d+ projects, \d+ credits, \d+ bookings\n$/, 'one summary line');
  return { file, text: fs.readFileSync(file, 'utf8'), summary: r.stderr };
}

// The database as exported to standard output (the before/after picture of a refused import).
async function exportedText(db) {
  const r = await runCli(['export', '--db', db.url]);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout;
}

async function verifyLine(db) {
  const r = await ledgerVerify(db);
  assert.equal(r.code, 0, `ledger verify --db ${db.url}: ${r.stderr}`);
  assert.match(r.stdout, /^ledger verified: /);
  return r.stdout;
}

async function projectList(db) {
  const r = await runCli(['project', 'list', '--db', db.url]);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout;
}

async function tokensFor(db, users) {
  const tokens = {};
  await Promise.all(users.map(async (u) => {
    tokens[u] = await mintToken(db, { user: u, clientId: PROJECT.ClientID, scope: SCOPES });
  }));
  return tokens;
}

// ---------------------------------------------------------------- history

// Fills an empty database with history: an import at IMPORT_NOW, two more projects from the CLI (one public, one
// disabled), life-cycle actions on a server at NOW, `credits add`, and a second server at LATER that settles a
// session confirmed through the API. Returns the IDs of the bookings the API created.
async function buildHistory(db) {
  const users = USERS.map((u) => (PASSWORDS[u.UserID] ? { ...u, Password: PASSWORDS[u.UserID] } : u))
    .map((u) => (u.UserID === CLIENT ? { ...u, EmailAddress: CLARA_EMAIL } : u));
  const records = [
    ...users,
    { Kind: 'Group', GroupID: 51, Name: 'Agency Fifty-One', ManagerUserID: OUTSIDER, MemberUserIDs: [CLIENT4] },
    { Kind: 'Group', GroupID: 50, Name: 'Agency Fifty', ManagerUserID: MANAGER, MemberUserIDs: [CAND, CLIENT, CAND_SET] },
    PROJECT,
    credit(CLIENT, '1000'), credit(CLIENT2, '50'), credit(POOR, '5'), credit(CLIENT4, '300'), credit(CLIENT4, '0.0001', 'Gift'),
    ...Object.values(B).filter((b) => b !== B.rescheduled), B.rescheduled,
  ];
  const imported = await importFile(db, writeJsonl(db.dir, records));
  assert.equal(imported.code, 0, imported.stderr);
  for (const args of [['--name', 'Aardvark public', '--public'], ['--name', 'Abandoned', '--implicit', '--redirect-uri', `${RU}/second`]]) {
    const r = await runCli(['project', 'create', '--db', db.url, '--owner', String(MANAGER), '--redirect-uri', RU, ...args]);
    assert.equal(r.code, 0, r.stderr);
    if (args[1] === 'Abandoned') {
      const clientId = /^client_id:\s*(\S+)$/m.exec(r.stdout)[1];
      const d = await runCli(['project', 'disable', '--db', db.url, clientId]);
      assert.equal(d.code, 0, d.stderr);
    }
  }

  const env = { db, tokens: await tokensFor(db, [CLIENT, CLIENT2, CLIENT4, CAND, CAND2, CAND_SET]) };
  const srv = await startServer(db, { now: NOW, extraArgs: ['--sweep-interval', '3600'] });
  env.port = srv.port;
  const ok = async (uid, route, body) => expectStatus(await post(env, uid, route, body), 200, `${route} ${JSON.stringify(body)}`);
  const ids = {};
  try {
    // Confirmed through the API and left in escrow: a Payment from the client.
    ids.escrowedByClient = (await ok(CLIENT, 'CreateBooking', { BookUserID: CAND, SessionDate: at(5), Duration: 15, Method: 2,
      Credits: 30, AcceptBy: at(4), Comments: 'Through the API' })).BookingID;
    await ok(CAND, 'AcceptReceivedBooking', { BookingID: ids.escrowedByClient, Credits: 25 });
    await ok(CLIENT, 'ConfirmMadeBooking', { BookingID: ids.escrowedByClient });
    // Confirmed, then cancelled by the client: a Payment and its Refund.
    await ok(CLIENT, 'ConfirmMadeBooking', { BookingID: B.toRefund.BookingID });
    await ok(CLIENT, 'CancelMadeBooking', { BookingID: B.toRefund.BookingID, Reason: 'Plans changed' });
    // Confirmed for a session that starts in ten minutes: earned once the second server's clock has passed it.
    ids.earnedByCandidate = (await ok(CLIENT, 'CreateBooking', { BookUserID: CAND2, SessionDate: at(0, 0, 10), Duration: 5, Method: 2,
      Credits: '4.25', AcceptBy: at(0, 0, 5) })).BookingID;
    await ok(CAND2, 'AcceptReceivedBooking', { BookingID: ids.earnedByCandidate, Credits: '4.25' });
    await ok(CLIENT, 'ConfirmMadeBooking', { BookingID: ids.earnedByCandidate });
    ids.cancelledPending = (await ok(CLIENT2, 'CreateBooking', { BookUserID: CAND, SessionDate: at(6), Duration: 30, Method: 1,
      PhoneNumber: '07700 900 999', Credits: 15, AcceptBy: at(5) })).BookingID;
    await ok(CLIENT2, 'CancelMadeBooking', { BookingID: ids.cancelledPending, Reason: 'Booked the wrong day' });
    ids.rejectedByCandidate = (await ok(CLIENT4, 'CreateBooking', { BookUserID: CAND2, SessionDate: at(7), Duration: 20, Method: 3,
      SkypeName: 'live:dora', Credits: 6, AcceptBy: at(6) })).BookingID;
    await ok(CAND2, 'RejectReceivedBooking', { BookingID: ids.rejectedByCandidate, Reason: 'Busy that week' });
    const deleted = await ok(CLIENT4, 'DeleteMadeBookings', { BookingIDs: String(ids.rejectedByCandidate) });
    assert.equal(deleted[0].Deleted, true, JSON.stringify(deleted));
    await ok(CAND, 'ReInvite', { BookingID: B.lapsedToReInvite.BookingID, Reason: 'Sorry I missed it: book me again?' });
    ids.rescheduledByApi = (await ok(CLIENT, 'RescheduleMadeBooking', { BookingID: B.rejected.BookingID })).BookingID;
    await ok(CAND_SET, 'SaveSettings', { OfferDirectChat: true, DirectChat: { DirectChatOnly: false, PPM: '1.5' },
      PhoneChatNumber: '+447700900606', PhoneChatPPM: '0.45' });
    // The balance read settles booking 406, paid into escrow by the import: an Earning.
    expectStatus(await request(env.port, BALANCE, { token: env.tokens[CAND2] }), 200);
  } finally {
    await srv.stop();
  }
  const added = await runCli(['credits', 'add', '--db', db.url, '--user', String(CLIENT2), '--amount', '0.25', '--description', 'Top-up']);
  assert.equal(added.code, 0, added.stderr);
  const later = await startServer(db, { now: LATER, extraArgs: ['--sweep-interval', '3600'] });
  try {
    expectStatus(await request(later.port, BALANCE, { token: env.tokens[CAND2] }), 200);
  } finally {
    await later.stop();
  }
  return ids;
}

// ---------------------------------------------------------------- reads compared across two databases

const READERS = [CLIENT, CLIENT2, POOR, CLIENT4, CAND, CAND2, CAND_SET, CAND_DCONLY, MANAGER];
const XML = 'application/xml';

function reads(ids) {
  const list = [
    [CLIENT, `${PC}/MadeBookings`], [CLIENT, `${PC}/MadeBookings`, XML],
    [CLIENT, `${PC}/MadeBookings?OrderBy=nickname-asc`], [CLIENT, `${PC}/MadeBookings?OrderBy=sessiondate-desc&BookingsPerPage=3&PageNumber=2`, XML],
    [CLIENT2, `${PC}/MadeBookings?OrderBy=date-asc`], [CLIENT2, `${PC}/MadeBookings`, XML],
    [CLIENT4, `${PC}/MadeBookings?StartDate=${at(-4).slice(0, 10)}`], [CLIENT4, `${PC}/MadeBookings?OrderBy=sessiondate-asc`, XML],
    [CAND, `${PC}/ReceivedBookings`], [CAND, `${PC}/ReceivedBookings?OrderBy=nickname-desc`, XML],
    [CAND2, `${PC}/ReceivedBookings?OrderBy=date-asc`], [CAND2, `${PC}/ReceivedBookings`, XML],
    [MANAGER, `${GPC}/MadeBookings?UserID=${CLIENT}`], [MANAGER, `${GPC}/ReceivedBookings?UserID=${CAND}`, XML],
    [CLIENT, `${PC}/MadeBookingDetails?BookingID=${ids.rescheduledByApi}`],
    [CLIENT, `${PC}/MadeBookingDetails?BookingID=${B.toRefund.BookingID}`, XML],
    [CAND2, `${PC}/ReceivedBookingDetails?BookingID=${ids.earnedByCandidate}`],
    [CAND, `${PC}/ReceivedBookingDetails?BookingID=${B.escrowed.BookingID}`, XML],
  ];
  for (const uid of READERS) {
    for (const accept of [undefined, XML]) {
      list.push([uid, BALANCE, accept], [uid, `${PC}/GetSettings`, accept]);
    }
  }
  return list;
}

async function answers(port, tokens, list) {
  const out = [];
  for (const [uid, target, accept] of list) {
    const res = await request(port, target, { token: tokens[uid], accept, apiKey: PROJECT.ApiKey });
    out.push(`${uid} ${accept ?? 'json'} ${target}\n${res.status} ${res.headers['content-type']}\n${res.text}`);
  }
  return out;
}

// ---------------------------------------------------------------- the exported file

function parseLines(text) {
  assert.ok(text.endsWith('\n'), 'the file ends with a newline');
  const lines = text.slice(0, -1).split('\n');
  return lines.map((line, i) => {
    assert.doesNotThrow(() => JSON.parse(line), `line ${i + 1} is JSON: ${line.slice(0, 200)}`);
    return JSON.parse(line);
  });
}

function byKind(records, kind) {
  return records.filter((r) => r.Kind === kind);
}

let sqliteSrc = null; // { db, ids, a: { file, text, summary } }: the SQLite database with history and its export

before(async () => {
  if (PEER) return;
  const db = newSqliteDb();
  const ids = await buildHistory(db);
  sqliteSrc = { db, ids, a: await exportTo(db) };
});

describe('export: a database moved to the other backend', { skip: skipPeer }, () => {
  test('SQLite to PostgreSQL: the same export byte for byte, the ledger verifies, every read answers alike, passwords and the client secret still work',
    { skip: skipPg, timeout: 60000 }, async () => {
      const { db: lite, ids, a } = sqliteSrc;
      const pg = newDb();
      assert.ok(pg.pg, 'newDb() is a PostgreSQL database when PHONECHAT_TEST_PG_URL is set');
      const imported = await importFile(pg, a.file, { now: FAR });
      assert.equal(imported.code, 0, imported.stderr);
      assert.equal(await verifyLine(pg), await verifyLine(lite), 'the same ledger: entries, balances, escrow');
      const b = await exportTo(pg);
      assert.equal(b.summary, a.summary);
      assert.ok(b.text === a.text, `the PostgreSQL export equals the SQLite one byte for byte; first differing line: ${firstDiff(a.text, b.text)}`);
      assert.equal(await projectList(pg), await projectList(lite), 'projects: names, owners, active or disabled, public or confidential');

      const list = reads(ids);
      const seen = {};
      for (const [name, db] of [['sqlite', lite], ['pg', pg]]) {
        const tokens = await tokensFor(db, READERS);
        const srv = await startServer(db, { now: LATER, extraArgs: ['--sweep-interval', '3600'] });
        try {
          seen[name] = await answers(srv.port, tokens, list);
          if (name === 'pg') await signInAfterMigration(srv.port, seen.sqlite[0]);
        } finally {
          await srv.stop();
        }
      }
      for (const answer of seen.sqlite) assert.match(answer, /\n200 /, `every read is answered: ${answer.slice(0, 300)}`);
      for (let i = 0; i < list.length; i++) assert.equal(seen.pg[i], seen.sqlite[i], `answer ${i} (${list[i].join(' ')})`);
      assert.ok(seen.sqlite.some((s) => s.includes(`"BookingID":${ids.earnedByCandidate}`)), 'the reads cover the API-made bookings');
    });

  test('PostgreSQL to SQLite: the same export byte for byte, the ledger verifies', { skip: skipPg, timeout: 60000 }, async () => {
    const pg = newDb();
    await buildHistory(pg);
    const a = await exportTo(pg);
    const lite = newSqliteDb();
    const imported = await importFile(lite, a.file, { now: FAR });
    assert.equal(imported.code, 0, imported.stderr);
    assert.equal(await verifyLine(lite), await verifyLine(pg));
    const b = await exportTo(lite);
    assert.equal(b.summary, a.summary);
    assert.ok(b.text === a.text, `the SQLite export equals the PostgreSQL one byte for byte; first differing line: ${firstDiff(a.text, b.text)}`);
    assert.equal(await projectList(lite), await projectList(pg));
  });
});

// The Unified Login on the migrated database: the user's original password, then the project's original secret at
// the token endpoint; the token it gives reads what a minted one reads. A wrong password is still refused.
async function signInAfterMigration(port, expectedFirstAnswer) {
  const base = `http://127.0.0.1:${port}`;
  const clara = { nickname: 'Clara', login: CLARA_EMAIL, password: PASSWORDS[CLIENT] };
  const wrong = new Agent(base);
  const page = await wrong.get(authorizeUrl(base, { response_type: 'code', client_id: PROJECT.ClientID, redirect_uri: RU,
    scope: PHONECHAT_SCOPE, state: 'wrong-password' }));
  const refused = await submitLogin(wrong, page, clara.nickname, 'Not-the-password-1!');
  assert.equal(refused.status, 401, 'a wrong password is refused');

  const agent = new Agent(base);
  const a = await authorize(agent, { response_type: 'code', client_id: PROJECT.ClientID, redirect_uri: RU, scope: PHONECHAT_SCOPE,
    state: 'export-state' }, clara);
  const code = a.params.get('code');
  assert.ok(code, `a code after signing in with the original password: ${a.location}`);
  const t = await tokenRequest(base, { grant_type: 'authorization_code', code, client_id: PROJECT.ClientID,
    client_secret: PROJECT.ClientSecret });
  assert.equal(t.status, 200, `the original client secret is accepted: ${describeToken(t)}`);
  const res = await request(port, `${PC}/MadeBookings`, { token: t.json.access_token, apiKey: PROJECT.ApiKey });
  assert.equal(`${CLIENT} json ${PC}/MadeBookings\n${res.status} ${res.headers['content-type']}\n${res.text}`, expectedFirstAnswer);
}

function firstDiff(x, y) {
  const a = x.split('\n');
  const b = y.split('\n');
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return `line ${i + 1}:\n  ${(a[i] ?? '(end)').slice(0, 400)}\n  ${(b[i] ?? '(end)').slice(0, 400)}`;
}

describe('export: the file', { skip: skipPeer }, () => {
  test('no plaintext secret; every line JSON; records, fields and amounts in their fixed form; standard output the same', async () => {
    const { db, ids, a } = sqliteSrc;
    assert.equal(a.summary, 'exported 15 users, 2 groups, 3 projects, 6 credits, 17 bookings\n');
    for (const secret of [...Object.values(PASSWORDS), PROJECT.ClientSecret]) {
      assert.ok(!a.text.includes(secret), 'no plaintext password or client secret');
    }
    const records = parseLines(a.text);

    // Kinds in their order; each kind in its own.
    const ranks = records.map((r) => KIND_RANK[r.Kind]);
    assert.ok(ranks.every((k) => k !== undefined), `known kinds only: ${[...new Set(records.map((r) => r.Kind))]}`);
    assert.deepEqual(ranks, [...ranks].sort((x, y) => x - y), 'Users, then Groups, Projects, Credits, Bookings');
    const users = byKind(records, 'User');
    assert.deepEqual(users.map((u) => u.UserID), USERS.map((u) => u.UserID).sort((x, y) => x - y), 'every user, by UserID');
    assert.deepEqual(byKind(records, 'Group').map((g) => [g.GroupID, g.MemberUserIDs]),
      [[50, [CLIENT, CAND, CAND_SET].sort((x, y) => x - y)], [51, [CLIENT4]]], 'groups by GroupID, members sorted');
    const projects = byKind(records, 'Project');
    assert.deepEqual(projects.map((p) => p.Name), ['Export app', 'Aardvark public', 'Abandoned'], 'projects in creation order');
    assert.deepEqual(byKind(records, 'Credit').map((c) => [c.UserID, c.Amount, c.Description]), [
      [CLIENT, '1000.0000', 'Opening balance'], [CLIENT2, '50.0000', 'Opening balance'], [POOR, '5.0000', 'Opening balance'],
      [CLIENT4, '300.0000', 'Opening balance'], [CLIENT4, '0.0001', 'Gift'], [CLIENT2, '0.2500', 'Top-up'],
    ], 'Credit movements in ledger order');
    const bookings = byKind(records, 'Booking');
    const sorted = bookings.map((b) => b.BookingID).sort((x, y) => x - y);
    // 410 was imported as rescheduled from 420: the only booking held back, until its source has gone.
    sorted.splice(sorted.indexOf(410), 1);
    sorted.splice(sorted.indexOf(420) + 1, 0, 410);
    assert.deepEqual(bookings.map((b) => b.BookingID), sorted, 'bookings by BookingID, a rescheduled one after its source');

    // Every field of the kind, in the order of the format's tables; amounts with four fraction digits; dates as the API writes them.
    for (const r of records) {
      const order = { User: USER_KEYS, Group: GROUP_KEYS, Project: PROJECT_KEYS, Credit: CREDIT_KEYS, Booking: BOOKING_KEYS }[r.Kind];
      const keys = Object.keys(r);
      assert.deepEqual(keys, order.filter((k) => keys.includes(k)), `${r.Kind} fields known and in order: ${JSON.stringify(r)}`);
      const required = { User: USER_KEYS, Group: GROUP_KEYS, Project: PROJECT_KEYS.filter((k) => k !== 'Active'), Credit: CREDIT_KEYS,
        Booking: [...BOOKING_BASE, 'DeletedByCandidate', 'OfferedCredits', 'RescheduledFromBookingID'] }[r.Kind];
      for (const k of required) assert.ok(k in r, `${r.Kind} writes ${k} (nulls explicit): ${JSON.stringify(r)}`);
      for (const k of AMOUNT_KEYS) {
        if (r[k] !== undefined && r[k] !== null) assert.match(r[k], /^\d+\.\d{4}$/, `${r.Kind}.${k} as a string with 4 fraction digits`);
      }
      for (const k of DATE_KEYS) {
        if (r[k] !== undefined && r[k] !== null) assert.match(r[k], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,3})?$/, `${r.Kind}.${k}`);
      }
    }
    for (const u of users) {
      if (PASSWORDS[u.UserID]) assert.match(u.PasswordHash, ARGON2ID, `user ${u.UserID}: the stored Argon2id hash`);
      else assert.equal(u.PasswordHash, null, `user ${u.UserID} has no password`);
    }
    assert.match(projects[0].ClientSecretHash, ARGON2ID);
    assert.equal(projects[1].ClientSecretHash, null, 'a public project has no secret');
    assert.deepEqual([projects[2].Active, projects[2].ImplicitGrant, projects[2].RedirectURIs], [false, true, [RU, `${RU}/second`]],
      'a disabled project says so; its implicit grant and both redirect URIs');
    assert.equal(users.find((u) => u.UserID === CLIENT).EmailAddress, CLARA_EMAIL);
    assert.deepEqual(projects.map((p) => p.ClientID).slice(0, 1), [PROJECT.ClientID]);
    const settings = users.find((u) => u.UserID === CAND_SET);
    assert.deepEqual([settings.OfferDirectChat, settings.DirectChatPPM, settings.PhoneChatPPM, settings.PhoneChatNumber],
      [true, '1.5000', '0.4500', '+447700900606'], 'settings saved through the API');
    assert.equal(users.find((u) => u.UserID === CAND).PhoneChatPPM, '0.5000');

    // Each booking's ledger as stored.
    const bk = new Map(bookings.map((b) => [b.BookingID, b]));
    const ledger = (id) => LEDGER_KEYS.map((k) => bk.get(id)[k]);
    const refunded = bk.get(B.toRefund.BookingID);
    assert.equal(refunded.Status, 'Cancelled');
    assert.equal(refunded.PaymentFrom, 'Client', 'confirmed through the API: paid by the client');
    assert.match(refunded.PaymentDate, /^\d{4}-/);
    assert.match(refunded.RefundDate, /^\d{4}-/);
    assert.ok(ms(refunded.RefundDate) >= ms(refunded.PaymentDate), 'refunded after it was paid');
    assert.equal(refunded.EarningDate, null);
    assert.deepEqual(ledger(B.settledAtImport.BookingID), [true, null, null, null, null], 'over at the import: settled, no movement');
    const earned = bk.get(B.earnedLater.BookingID);
    assert.deepEqual([earned.Settled, earned.PaymentFrom, earned.RefundDate], [true, 'External', null], 'paid by the import, earned since');
    assert.ok(ms(earned.EarningDate) >= ms(earned.PaymentDate));
    assert.deepEqual([bk.get(B.escrowed.BookingID).Settled, bk.get(B.escrowed.BookingID).PaymentFrom, bk.get(B.escrowed.BookingID).RefundDate,
      bk.get(B.escrowed.BookingID).EarningDate], [false, 'External', null, null], 'paid by the import, still in escrow');
    const viaApi = bk.get(ids.escrowedByClient);
    assert.deepEqual([viaApi.Settled, viaApi.PaymentFrom, viaApi.Credits, viaApi.OfferedCredits, viaApi.RefundDate, viaApi.EarningDate],
      [false, 'Client', '25.0000', '30.0000', null, null], 'accepted at another amount, paid by the client, in escrow');
    const earnedByApi = bk.get(ids.earnedByCandidate);
    assert.deepEqual([earnedByApi.Settled, earnedByApi.PaymentFrom, earnedByApi.RefundDate], [true, 'Client', null]);
    assert.ok(ms(earnedByApi.EarningDate) >= ms(earnedByApi.PaymentDate));
    for (const id of [B.pending, B.rejected, B.lapsed, B.offered, B.cancelledByCand, B.rescheduled, B.lapsedToReInvite].map((b) => b.BookingID)
      .concat([ids.cancelledPending, ids.rejectedByCandidate, ids.rescheduledByApi])) {
      for (const k of LEDGER_KEYS) assert.ok(!(k in bk.get(id)), `booking ${id} (${bk.get(id).Status}, never paid) has no ${k}`);
    }
    assert.equal(bk.get(ids.rescheduledByApi).RescheduledFromBookingID, B.rejected.BookingID);
    assert.equal(bk.get(B.rescheduled.BookingID).RescheduledFromBookingID, B.rescheduleSource.BookingID);
    assert.equal(bk.get(ids.rejectedByCandidate).DeletedByClient, true);
    assert.equal(bk.get(ids.rejectedByCandidate).RejectionKind, 'Candidate');
    assert.equal(bk.get(B.rescheduleSource.BookingID).RejectionKind, 'Lapsed');
    assert.deepEqual([bk.get(B.lapsedToReInvite.BookingID).Status, bk.get(B.lapsedToReInvite.BookingID).RejectionKind,
      bk.get(B.lapsedToReInvite.BookingID).RejectedReason], ['Rejected', 'ReInvited', 'Sorry I missed it: book me again?']);
    assert.equal(bk.get(B.cancelledByCand.BookingID).DeletedByCandidate, true);
    assert.equal(bk.get(B.pending.BookingID).Comments, HOSTILE);

    // Standard output: the same bytes, whether --output is left out or `-`.
    for (const args of [[], ['--output', '-']]) {
      const r = await runCli(['export', '--db', db.url, ...args]);
      assert.equal(r.code, 0, r.stderr);
      assert.ok(r.stdout === a.text, `export ${args.join(' ')} to standard output equals the file`);
      assert.equal(r.stderr, a.summary);
    }
  });
});

// ---------------------------------------------------------------- refusals

const NOW_IMPORT = '2025-03-20T12:00:00';
const lu = (UserID, Nickname, extra = {}) => ({ Kind: 'User', UserID, Nickname, ...extra });
const lcredit = (UserID, Amount) => ({ Kind: 'Credit', UserID, Amount, Date: '2025-03-01T09:00:00', Description: 'Purchase' });
const lbooking = (BookingID, extra = {}) => ({ Kind: 'Booking', BookingID, ClientUserID: 10, CandidateUserID: 20, Duration: 15,
  Credits: '8', Status: 'Confirmed', Method: 2, CreateDate: '2025-03-01T10:00:00', SessionDate: '2025-04-03T21:30:00',
  AcceptBy: '2025-04-02T00:00:00', AcceptedDate: '2025-03-01T11:00:00', ConfirmedDate: '2025-03-01T12:00:00', ...extra });
const PAY = { PaymentFrom: 'Client', PaymentDate: '2025-03-01T12:00:00' };
const PAID = { Settled: false, ...PAY };

describe('export: the new import fields refused by their line, nothing stored', { skip: skipPeer }, () => {
  let db;
  let hash;
  let baseline;
  before(async () => {
    db = newSqliteDb();
    const r = await importFile(db, writeJsonl(db.dir, [
      lu(10, 'Client'), lu(20, 'Candidate', { OffersPhoneChat: true, PhoneChatNumber: '+447700900020', Password: 'Cand-pass-0020!' }),
      lcredit(10, '5'), lbooking(5, { Status: 'Pending', AcceptedDate: null, ConfirmedDate: null }),
    ]), { now: NOW_IMPORT });
    assert.equal(r.code, 0, r.stderr);
    baseline = await exportedText(db);
    hash = parseLines(baseline).find((rec) => rec.UserID === 20).PasswordHash;
    assert.match(hash, ARGON2ID);
  });

  for (const [name, records, line, field, options = {}] of [
    ['PasswordHash that is not a hash', () => [lu(30, 'Fine'), lu(31, 'Plain', { PasswordHash: 'Plain-pass-0031!' })], 2, /User\.PasswordHash/],
    ['Password and PasswordHash together', () => [lcredit(10, '1'), lu(32, 'Both', { Password: 'Both-pass-0032!', PasswordHash: hash })],
      2, /User\.PasswordHash/],
    ['a Confirmed booking with Settled false and no Payment', () => [lu(33, 'Fine'), lbooking(6, { Settled: false })], 2, /Booking\.(Settled|PaymentDate)\b/],
    ['PaymentDate without PaymentFrom', () => [lcredit(10, '1'), lcredit(10, '1'),
      lbooking(7, { Settled: false, PaymentDate: '2025-03-01T12:00:00' })], 3, /Booking\.PaymentFrom/],
    ['a Client payment larger than the client\'s credits after the whole file', () => [lbooking(8, PAID), lcredit(10, '2.9999')], 1,
      /PaymentFrom.*\buser 10\b/],
    ['a Cancelled booking paid but never refunded', () => [lbooking(9, { ...PAY, Status: 'Cancelled', CancelledDate: '2025-03-02T10:00:00',
      CancelledBy: 'Client', CancelledReason: 'No' })], 1, /Booking\.RefundDate/],
    ['an Earning before its Payment', () => [lbooking(11, { ...PAID, Settled: true, EarningDate: '2025-03-01T11:59:59' })], 1,
      /Booking\.EarningDate/],
    ['a record giving its ledger replacing a stored booking', () => [lbooking(5, PAID)], 1, /Booking 5\b.*cannot replace/, { replace: true }],
  ]) {
    test(`${name}: line ${line}, the field named, the database unchanged`, async () => {
      const r = await importFile(db, writeJsonl(db.dir, records()), { now: NOW_IMPORT, ...options });
      assert.notEqual(r.code, 0, `refused: ${r.stderr}`);
      assert.equal(r.stderr.split('\n').filter(Boolean).length, 1, `one line: ${r.stderr}`);
      assert.match(r.stderr, new RegExp(`\\bline ${line}: `), r.stderr);
      const reason = r.stderr.slice(r.stderr.indexOf(`line ${line}: `));
      assert.match(reason, field, r.stderr);
      assert.ok(!r.stderr.includes('Plain-pass-0031!') && !r.stderr.includes('Both-pass-0032!'), 'no password in the message');
      assert.ok((await exportedText(db)) === baseline, 'the database is left as it was');
    });
  }

  test('a Client payment the client can cover once the whole file is read is written as given, and the ledger verifies', async () => {
    const fresh = newSqliteDb();
    const earned = { ...PAID, Settled: true, EarningDate: '2025-04-03T21:45:00' };
    const r = await importFile(fresh, writeJsonl(fresh.dir, [lu(10, 'Client'), lu(20, 'Candidate'), lbooking(1, earned),
      lbooking(2, PAID), lcredit(10, '16')]), { now: NOW_IMPORT });
    assert.equal(r.code, 0, r.stderr);
    assert.match(await verifyLine(fresh), /escrow holds 8 /);
    const out = byKind(parseLines(await exportedText(fresh)), 'Booking');
    assert.deepEqual(out.map((b) => LEDGER_KEYS.map((k) => b[k])), [
      [true, 'Client', '2025-03-01T12:00:00', null, '2025-04-03T21:45:00'], [false, 'Client', '2025-03-01T12:00:00', null, null],
    ]);
  });
});

// ---------------------------------------------------------------- round trips of what the database may hold

describe('export: whatever the database holds, the file imports again', { skip: skipPeer }, () => {
  // Exports src, imports the file at FAR into a new database of the backend under test, and exports that again.
  async function roundTrip(src, what) {
    const a = await exportTo(src);
    const copy = newDb();
    const r = await importFile(copy, a.file, { now: FAR });
    assert.equal(r.code, 0, `${what}: the export of the database imports again: ${r.stderr}`);
    assert.equal(await verifyLine(copy), await verifyLine(src), what);
    const b = await exportTo(copy);
    assert.ok(b.text === a.text, `${what}: exported again, the same bytes; first differing line: ${firstDiff(a.text, b.text)}`);
  }

  test('a generated data set (generate --lifecycle), imported while some of its sessions were ahead', async () => {
    const g = await runCli(['generate', '--users', '40', '--bookings', '400', '--seed', '7', '--lifecycle']);
    assert.equal(g.code, 0, g.stderr);
    const src = newSqliteDb();
    const file = path.join(src.dir, 'generated.jsonl');
    fs.writeFileSync(file, g.stdout);
    const r = await importFile(src, file, { now: '2026-02-21T12:00:00' });
    assert.equal(r.code, 0, r.stderr);
    await roundTrip(src, 'generate --seed 7');
  });

  test('Confirmed bookings of 0 credits, one with its session ahead (nothing paid, nothing held) and one over', async () => {
    const src = newSqliteDb();
    const r = await importFile(src, writeJsonl(src.dir, [lu(10, 'Client'), lu(20, 'Candidate'), lbooking(1, { Credits: '0' }),
      lbooking(2, { Credits: '0', SessionDate: '2025-03-03T21:30:00', AcceptBy: '2025-03-02T00:00:00' })]), { now: NOW_IMPORT });
    assert.equal(r.code, 0, r.stderr);
    await roundTrip(src, 'zero credits');
  });

  const source = lbooking(420, { Status: 'Rejected', AcceptedDate: null, ConfirmedDate: null, RejectedReason: 'No',
    SessionDate: '2025-03-03T21:30:00', AcceptBy: '2025-03-02T00:00:00' });
  const rescheduled = lbooking(410, { Status: 'Pending', AcceptedDate: null, ConfirmedDate: null, RescheduledFromBookingID: 420 });
  for (const [what, change] of [['re-dated after it', { CreateDate: '2025-03-01T11:00:00' }],
    ['made a reschedule of it (a cycle)', { RescheduledFromBookingID: 410 }]]) {
    test(`a reschedule whose source \`import --replace\` ${what}: refused, or stored and exported into a file that imports`, async () => {
      const src = newSqliteDb();
      const first = await importFile(src, writeJsonl(src.dir, [lu(10, 'Client'), lu(20, 'Candidate'), source, rescheduled]), { now: NOW_IMPORT });
      assert.equal(first.code, 0, first.stderr);
      await importFile(src, writeJsonl(src.dir, [{ ...source, ...change }]), { now: NOW_IMPORT, replace: true });
      await roundTrip(src, what);
    });
  }
});

// ---------------------------------------------------------------- failures

describe('export: a failed export leaves no file', { skip: skipPeer }, () => {
  async function assertFails(dbUrl, output, what) {
    const dir = path.dirname(output);
    const before = fs.existsSync(dir) ? fs.readdirSync(dir) : null;
    const r = await runCli(['export', '--db', dbUrl, '--output', output]);
    assert.ok(r.code !== 0 && r.code !== null, `${what}: exit ${r.code}, stderr ${r.stderr}`);
    assert.equal(r.stdout, '', what);
    assert.equal(r.stderr.split('\n').filter(Boolean).length, 1, `${what}: one line: ${JSON.stringify(r.stderr)}`);
    assert.ok(!fs.existsSync(output), `${what}: no ${output}`);
    if (before) assert.deepEqual(fs.readdirSync(dir), before, `${what}: nothing left in the directory (no temporary file)`);
  }

  test('a file that is not a database, a database that does not exist, an output directory that does not exist', async () => {
    const dir = tempDir();
    const junk = path.join(dir, 'junk.db');
    fs.writeFileSync(junk, 'this is not an SQLite database, only text long enough to have a header and more\n'.repeat(20));
    const out = tempDir();
    await assertFails(`sqlite://${junk}`, path.join(out, 'x.jsonl'), 'not a database');
    await assertFails(`sqlite://${path.join(dir, 'no-such-dir', 'phonechat.db')}`, path.join(out, 'x.jsonl'), 'a path in no directory');
    await assertFails(`sqlite://${path.join(dir, 'missing.db')}`, path.join(out, 'x.jsonl'), 'a database file that does not exist');
    assert.ok(!fs.existsSync(path.join(dir, 'missing.db')), 'export creates no database');
    await assertFails(sqliteSrc.db.url, path.join(out, 'no-such-dir', 'x.jsonl'), 'an output in no directory');
    const newer = copyDb(sqliteSrc.db);
    setSchemaVersion(newer, 999);
    await assertFails(newer.url, path.join(out, 'x.jsonl'), 'a database of a newer schema');
    if (PG_URL) {
      const pg = newDb();
      await assertFails(pg.url.replace(pg.name, `${pg.name}_missing`), path.join(out, 'x.jsonl'), 'a PostgreSQL database that does not exist');
    }
  });

  test('an output file that exists is left as it was by a failed export, and replaced whole by one that succeeds', async () => {
    const out = path.join(tempDir(), 'backup.jsonl');
    fs.writeFileSync(out, 'the previous backup\n');
    const junk = path.join(tempDir(), 'junk.db');
    fs.writeFileSync(junk, 'not a database\n'.repeat(100));
    const r = await runCli(['export', '--db', `sqlite://${junk}`, '--output', out]);
    assert.ok(r.code !== 0 && r.code !== null, r.stderr);
    assert.equal(fs.readFileSync(out, 'utf8'), 'the previous backup\n');
    assert.deepEqual(fs.readdirSync(path.dirname(out)), ['backup.jsonl'], 'no temporary file left');
    const ok = await runCli(['export', '--db', sqliteSrc.db.url, '--output', out]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.ok(fs.readFileSync(out, 'utf8') === sqliteSrc.a.text);
    assert.deepEqual(fs.readdirSync(path.dirname(out)), ['backup.jsonl'], 'no temporary file left');
  });
});
