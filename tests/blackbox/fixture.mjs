// Deterministic test data in the import format (docs/import-format.md), and a started server over it.
// Dates are placed relative to NOW, the service's clock at start-up (`serve --now NOW`); instants the
// read-time rules look at keep at least two hours away from NOW unless a booking is built to sit on a
// boundary, so the few seconds a run takes never change an answer.
import assert from 'node:assert/strict';
import { CAN, importRecords, mintToken, newDb, startServer, zoneNow } from './harness.mjs';
import { DAY, HOUR, MINUTE, fmt, keyOrderDiffs, ms } from './model.mjs';

// The service clock the fixtures are built around. Without `--now` (the peer) it is the real local time.
export const NOW = CAN.now ? '2024-06-15T12:00:00' : zoneNow('Europe/London');
export const NOW_MS = ms(NOW);
// "Now" for the model: any instant at or before NOW counts as passed by the time a request is served.
export const MODEL_NOW = NOW_MS + 1;

export const PROJECT_A = { ClientID: 'app-a', ApiKey: 'key-a-0123456789' };
export const PROJECT_B = { ClientID: 'app-b', ApiKey: 'key-b-9876543210' };

export const MAIN = 1001; // the client most tests read
export const HEAVY = 1002; // 3,000 bookings (when built with heavy)
export const EMPTY = 1003; // no bookings
export const MEMBER2 = 1004; // second member of group 10
export const OTHER_MEMBER = 1005; // member of group 11 (another manager's)
export const LONER = 1006; // in no group
export const MEMBER13 = 1007; // member of group 13, also managed by MANAGER
export const MANAGER = 900; // manages groups 10 and 13 (not a member of any)
export const MANAGER2 = 901; // manages group 11
export const MANAGER_EMPTY = 902; // manages group 12, which has no members
export const UNKNOWN_USER = 777777;

// Hostile text for the XML writer: markup characters, characters XML 1.0 forbids, CR, non-ASCII, emoji.
export const HOSTILE_NICK = '<b>&amp;"Hi\'</b>';
export const HOSTILE_COMMENT = 'Line1\r\nLine2\rLine3\n\tTab <tag attr="x">&amp; &lt; ]]> end\u0001\u0008\u000B\u000C' +
  '\u001F\u007F\uFFFE\uFFFF é ü ß 日本語 🙂👍🏽 😀 \u00A0\u2028 "quoted" \'apos\'';
export const HOSTILE_REASON = 'Reason <with> & "quotes" \u0002 and a CR\r';

// Candidates: nicknames chosen for the folding order (`_` and `[` between upper and lower case, ties
// across case, prefixes, bytes above ASCII).
const CANDIDATES = [
  [100, 'anna'], [101, 'Anna'], [102, 'ANNA'], [103, '_under'], [104, 'Zed'], [105, 'zed_'], [106, 'a_b'],
  [107, 'aB'], [108, 'Ab_'], [109, '[bracket'], [110, '~tilde'], [111, 'Émile'], [112, 'émile'], [113, '0day'],
  [114, 'Zoë'], [115, '🙂smile'], [116, 'BookedUser'], [117, 'TwentyCharacterNick1'], [118, HOSTILE_NICK],
  [119, 'ab'], [120, 'a'], [121, 'Mary Ann'],
];

function rng(seed) { // mulberry32: the same numbers on every run
  let s = seed | 0;
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Builds { records, users: Map(id -> User record), bookings: [Booking records], byId: Map }.
export function buildFixture({ heavy = false, now = NOW } = {}) {
  const N = ms(now);
  const rand = rng(20240615);
  const ri = (a, b) => a + Math.floor(rand() * (b - a + 1));
  const pick = (a) => a[Math.floor(rand() * a.length)];
  const users = new Map();
  const records = [];
  const addUser = (u) => {
    const rec = { Kind: 'User', UserID: u.UserID, Nickname: u.Nickname, Password: null, EmailAddress: null,
      PhoneChatNumber: u.PhoneChatNumber ?? null, SkypeName: u.SkypeName ?? null, Positive: u.Positive ?? 0,
      Neutral: u.Neutral ?? 0, Negative: u.Negative ?? 0, Disputes: u.Disputes ?? 0 };
    users.set(rec.UserID, rec);
    records.push(rec);
  };
  for (const [id, nick] of CANDIDATES) {
    addUser({ UserID: id, Nickname: nick,
      PhoneChatNumber: id % 5 === 4 ? null : `+4477009${String(id).padStart(5, '0')}`,
      SkypeName: id % 3 === 2 ? null : `live:cand.${id}`,
      Positive: id === 104 ? 2 : ri(0, 5000), Neutral: ri(0, 300), Negative: id === 104 ? 9 : ri(0, 60), Disputes: ri(0, 4) });
  }
  const clients = [[MAIN, 'MainClient'], [HEAVY, 'HeavyClient'], [EMPTY, 'NoBookings'], [MEMBER2, 'MemberTwo'],
    [OTHER_MEMBER, 'OtherMember'], [LONER, 'Loner'], [MEMBER13, 'MemberThirteen'], [MANAGER, 'Manager'],
    [MANAGER2, 'ManagerTwo'], [MANAGER_EMPTY, 'ManagerEmpty']];
  for (const [id, nick] of clients) addUser({ UserID: id, Nickname: nick, PhoneChatNumber: `+4477001${id}`, SkypeName: `live:client.${id}` });
  records.push({ Kind: 'Group', GroupID: 10, Name: 'Agency Ten', ManagerUserID: MANAGER, MemberUserIDs: [MAIN, MEMBER2] });
  records.push({ Kind: 'Group', GroupID: 11, Name: 'Agency Eleven', ManagerUserID: MANAGER2, MemberUserIDs: [OTHER_MEMBER] });
  records.push({ Kind: 'Group', GroupID: 12, Name: 'Empty Agency', ManagerUserID: MANAGER_EMPTY, MemberUserIDs: [] });
  records.push({ Kind: 'Group', GroupID: 13, Name: 'Agency Thirteen', ManagerUserID: MANAGER, MemberUserIDs: [MEMBER13] });
  records.push({ Kind: 'Project', Name: 'Project A', OwnerUserID: MANAGER, ApiKey: PROJECT_A.ApiKey, ClientID: PROJECT_A.ClientID,
    ClientSecret: null, RedirectURIs: ['http://127.0.0.1:8765/cb'], ImplicitGrant: false });
  records.push({ Kind: 'Project', Name: 'Project B', OwnerUserID: MANAGER2, ApiKey: PROJECT_B.ApiKey, ClientID: PROJECT_B.ClientID,
    ClientSecret: null, RedirectURIs: ['http://127.0.0.1:8765/cb'], ImplicitGrant: false });

  const bookings = [];
  let nextId = 1;
  const candIds = CANDIDATES.map(([id]) => id);
  // A booking with consistent dates for its status. t: { create, acceptBy, session } as naive ms.
  const add = (o) => {
    const t = o.t;
    const status = o.status;
    const method = o.method ?? 2;
    const b = {
      Kind: 'Booking', BookingID: o.id ?? nextId++, ClientUserID: o.client, CandidateUserID: o.cand,
      Duration: o.duration ?? 30, Credits: o.credits ?? '10', Status: status, Method: method,
      PhoneNumber: method === 1 ? `07700 9${String(o.client).slice(-3)}${String(o.cand).slice(-2)}` : null,
      SkypeName: method === 3 ? `live:client.${o.client}` : null,
      CreateDate: o.createText ?? fmt(t.create), SessionDate: o.sessionText ?? fmt(t.session),
      AcceptBy: o.acceptByText ?? fmt(t.acceptBy), AcceptedDate: null, ConfirmedDate: null, CancelledDate: null,
      CancelledReason: null, CancelledBy: null, RejectedReason: null, LastUpdated: null, Comments: o.comments ?? null,
      DeletedByClient: o.deleted ?? false,
    };
    const created = ms(b.CreateDate);
    let last = created;
    if (status === 'Accepted' || status === 'Confirmed' || (status === 'Cancelled' && o.acceptedFirst)) {
      const accepted = Math.min(created + 17 * MINUTE + 250, ms(b.AcceptBy));
      b.AcceptedDate = fmt(accepted);
      last = accepted;
      if (status === 'Confirmed') {
        const confirmed = Math.min(accepted + 9 * MINUTE + 120, ms(b.SessionDate));
        b.ConfirmedDate = fmt(confirmed);
        last = confirmed;
      }
    }
    if (status === 'Rejected') b.RejectedReason = o.rejectedReason === undefined ? 'Not available then' : o.rejectedReason;
    if (status === 'Cancelled') {
      const cancelled = Math.max(last, created + 40 * MINUTE);
      b.CancelledDate = fmt(cancelled);
      b.CancelledBy = o.cancelledBy ?? 'Client';
      b.CancelledReason = o.cancelledReason === undefined ? 'Something came up' : o.cancelledReason;
      last = cancelled;
    }
    b.LastUpdated = o.lastUpdatedText ?? fmt(last);
    if (o.creditsAsNumber) b.creditsAsNumber = true;
    bookings.push(b);
    return b;
  };
  const STATUSES = ['Pending', 'Accepted', 'Rejected', 'Confirmed', 'Confirmed', 'Cancelled'];
  // A random booking whose rule-relevant instants stay at least two hours from NOW.
  const randomTimes = (spanDays, { minuteGrid = false } = {}) => {
    for (;;) {
      let create = N - ri(1, spanDays * 24 * 60) * MINUTE - (minuteGrid ? 0 : ri(0, 999));
      if (minuteGrid) create -= create % (15 * MINUTE);
      const session = Math.floor((create + ri(60, 45 * 24 * 60) * MINUTE) / MINUTE / 15) * MINUTE * 15;
      if (session < create) continue;
      const acceptBy = Math.max(create, session - ri(0, 24 * 60) * MINUTE);
      const far = (x) => Math.abs(x - N) >= 2 * HOUR;
      if ([acceptBy, session, session + 30 * MINUTE, session + 60 * MINUTE, session + 15 * MINUTE].every(far)) return { create, acceptBy, session };
    }
  };
  const randomBooking = (client, extra = {}) => {
    const status = pick(STATUSES);
    return add({ client, cand: pick(candIds), status, method: ri(1, 3), duration: pick([15, 30, 60]),
      credits: pick(['8', '8.5', '12.25', '0.0001', '99.9999', '1234567.125', '15.1']), t: randomTimes(400),
      cancelledBy: pick(['Client', 'Candidate']), acceptedFirst: rand() < 0.5, ...extra });
  };

  // --- the main client's bookings built for the read-time rules (MODEL derives the expected view)
  const d = (days, hours = 0, minutes = 0) => N + days * DAY + hours * HOUR + minutes * MINUTE;
  const rules = {};
  rules.pendingAhead = add({ client: MAIN, cand: 100, status: 'Pending', method: 1, t: { create: d(-2), acceptBy: d(0, 5), session: d(1) } });
  rules.pendingAtNow = add({ client: MAIN, cand: 101, status: 'Pending', method: 2, t: { create: d(-3), acceptBy: N, session: d(0, 3) } });
  rules.pendingPast = add({ client: MAIN, cand: 116, status: 'Pending', method: 2, t: { create: d(-3), acceptBy: d(0, 0, -1), session: d(0, 6) } });
  rules.acceptedAhead = add({ client: MAIN, cand: 102, status: 'Accepted', method: 3, t: { create: d(-5), acceptBy: d(1), session: d(2) } });
  rules.acceptedPast = add({ client: MAIN, cand: 103, status: 'Accepted', method: 1, t: { create: d(-5), acceptBy: d(0, -3), session: d(0, -1) } });
  rules.confirmedAheadM2 = add({ client: MAIN, cand: 116, status: 'Confirmed', method: 2, credits: '8', t: { create: d(-4), acceptBy: d(0, -20), session: d(1) } });
  rules.confirmedRunningM3 = add({ client: MAIN, cand: 100, status: 'Confirmed', method: 3, duration: 30, t: { create: d(-4), acceptBy: d(-1), session: d(0, 0, -10) } });
  rules.confirmedOverM2 = add({ client: MAIN, cand: 101, status: 'Confirmed', method: 2, duration: 60, t: { create: d(-4), acceptBy: d(-1), session: d(0, -2, -1) } });
  rules.confirmedAheadM1 = add({ client: MAIN, cand: 107, status: 'Confirmed', method: 1, t: { create: d(-6), acceptBy: d(0, -20), session: d(3) } });
  rules.confirmedM3NoSkype = add({ client: MAIN, cand: 110, status: 'Confirmed', method: 3, t: { create: d(-6), acceptBy: d(0, -20), session: d(4) } });
  rules.rejected = add({ client: MAIN, cand: 104, status: 'Rejected', method: 2, rejectedReason: HOSTILE_REASON, t: { create: d(-7), acceptBy: d(-6), session: d(-5) } });
  rules.rejectedNoReason = add({ client: MAIN, cand: 106, status: 'Rejected', method: 3, rejectedReason: null, t: { create: d(-7), acceptBy: d(2), session: d(3) } });
  rules.cancelledByClient = add({ client: MAIN, cand: 108, status: 'Cancelled', cancelledBy: 'Client', acceptedFirst: true, t: { create: d(-8), acceptBy: d(-7), session: d(2) } });
  rules.cancelledByCandidate = add({ client: MAIN, cand: 109, status: 'Cancelled', cancelledBy: 'Candidate', cancelledReason: null, t: { create: d(-8), acceptBy: d(3), session: d(4) } });
  rules.hostilePending = add({ client: MAIN, cand: 118, status: 'Pending', method: 3, comments: HOSTILE_COMMENT, t: { create: d(-1), acceptBy: d(1), session: d(2) } });
  rules.hostileConfirmed = add({ client: MAIN, cand: 118, status: 'Confirmed', method: 2, comments: HOSTILE_COMMENT, t: { create: d(-9), acceptBy: d(-8), session: d(-7) } });
  rules.nick20 = add({ client: MAIN, cand: 117, status: 'Confirmed', method: 2, comments: 'Plain comment.', t: { create: d(-10), acceptBy: d(-9), session: d(-8) } });
  // Credits and dates in every written form.
  rules.credits8 = add({ client: MAIN, cand: 119, status: 'Rejected', credits: '8.0000', creditsAsNumber: true, t: { create: d(-11), acceptBy: d(-10), session: d(-9) } });
  rules.credits1225 = add({ client: MAIN, cand: 120, status: 'Rejected', credits: '12.2500', t: { create: d(-11), acceptBy: d(-10), session: d(-9) } });
  rules.credits0 = add({ client: MAIN, cand: 121, status: 'Rejected', credits: '0', t: { create: d(-11), acceptBy: d(-10), session: d(-9) } });
  rules.creditsBig = add({ client: MAIN, cand: 111, status: 'Rejected', credits: '12345678901.2345', t: { create: d(-12), acceptBy: d(-10), session: d(-9) } });
  rules.fractions = add({ client: MAIN, cand: 112, status: 'Rejected', credits: '0.5', creditsAsNumber: true, createText: '2024-01-20T12:34:56.120',
    acceptByText: '2024-01-21T00:00:00.000', sessionText: '2024-01-22T21:30:00.100', lastUpdatedText: '2024-01-20T12:34:56.500' });
  // StartDate boundaries: 2023-03-10 00:00:00 is in, 2023-03-09 23:59:59.999 is out.
  rules.dayStart = add({ client: MAIN, cand: 113, status: 'Rejected', createText: '2023-03-10T00:00:00', acceptByText: '2023-03-11T00:00:00', sessionText: '2023-03-12T10:00:00' });
  rules.dayBefore = add({ client: MAIN, cand: 114, status: 'Rejected', createText: '2023-03-09T23:59:59.999', acceptByText: '2023-03-11T00:00:00', sessionText: '2023-03-12T10:00:00' });
  rules.dayStartPlus = add({ client: MAIN, cand: 115, status: 'Rejected', createText: '2023-03-10T00:00:00.001', acceptByText: '2023-03-11T00:00:00', sessionText: '2023-03-12T10:00:00' });
  // Deleted from the client's own list: never shown.
  rules.deleted = add({ client: MAIN, cand: 100, status: 'Cancelled', deleted: true, t: { create: d(-1, -1), acceptBy: d(1), session: d(2) } });
  add({ client: MAIN, cand: 101, status: 'Cancelled', deleted: true, createText: '2023-03-10T00:00:00', acceptByText: '2023-03-11T00:00:00', sessionText: '2023-03-12T10:00:00' });
  // Ties: the same CreateDate and SessionDate across the anna/Anna/ANNA family and others.
  const tie = { create: d(-30, 0, 0), acceptBy: d(-29), session: d(-28) };
  for (const cand of [102, 100, 101, 102, 101, 100, 119, 107, 120, 106, 103, 109, 105]) add({ client: MAIN, cand, status: 'Confirmed', method: 2, t: tie });
  // Someone else's booking of the main client (as the candidate): not in the main client's list.
  add({ client: MEMBER2, cand: MAIN, status: 'Confirmed', t: { create: d(-2), acceptBy: d(-1), session: d(-1, 2) } });
  // The rest: random bookings for the main client, interleaved with the other clients'.
  for (let k = 0; k < 60; k++) {
    randomBooking(MAIN);
    if (k % 4 === 0) randomBooking(MEMBER2);
    if (k % 9 === 0) randomBooking(MEMBER13);
    if (k % 11 === 0) randomBooking(OTHER_MEMBER);
    if (k % 13 === 0) randomBooking(LONER);
  }
  rules.deletedRandom = randomBooking(MAIN, { deleted: true, status: 'Cancelled' });
  if (heavy) {
    // 3,000 bookings on a coarse time grid and few nicknames: many ties in every order, deep pages.
    for (let k = 0; k < 3000; k++) {
      add({ client: HEAVY, cand: pick(candIds), status: pick(STATUSES), method: ri(1, 3), duration: pick([15, 30, 60]),
        credits: pick(['1', '2.5', '3.75']), t: randomTimes(60, { minuteGrid: true }), cancelledBy: 'Client' });
    }
  }
  // Import records: bookings by ID (they only reference users), Credits as a JSON number where asked.
  const lines = records.map((r) => JSON.stringify(r));
  for (const b of bookings) {
    const { creditsAsNumber, ...rec } = b;
    let line = JSON.stringify(rec);
    if (creditsAsNumber) line = line.replace(`"Credits":"${rec.Credits}"`, `"Credits":${rec.Credits}`);
    lines.push(line);
  }
  return { records, lines, users, bookings, rules, byId: new Map(bookings.map((b) => [b.BookingID, b])) };
}

// Imports a fixture into a new database, mints tokens and starts a server at NOW.
// Returns { fx, db, srv, port, tokens: {MAIN, ...}, stop() }.
export async function setup({ heavy = false, tokensFor = [MAIN], serverOptions = {} } = {}) {
  const fx = buildFixture({ heavy });
  const db = newDb();
  await importRecords(db, fx.lines);
  const tokens = {};
  for (const user of tokensFor) tokens[user] = await mintToken(db, { user, clientId: PROJECT_A.ClientID });
  const srv = await startServer(db, { now: NOW, ...serverOptions });
  return { fx, db, srv, port: srv.port, tokens, stop: () => srv.stop() };
}

// The path of the plain route with a query.
export const ROUTE = '/v1/PhoneChat/MadeBookings';
export const GROUP_ROUTE = '/v1/Groups/PhoneChat/MadeBookings';

// Asserts a JSON page equals the expected one: values, then key order, then the exact Credits texts.
export function assertJsonPage(res, expected, creditsTexts, context = '') {
  assert.equal(res.status, 200, `${context}: ${res.describe()}`);
  assert.equal(res.contentType(), 'application/json;charset=utf-8', context);
  const actual = res.json();
  assert.deepStrictEqual(actual, expected, context);
  assert.deepStrictEqual(keyOrderDiffs(actual, expected), [], `${context}: key order`);
  if (creditsTexts) {
    const got = [...res.text.matchAll(/"Credits":([^,}]*)/g)].map((m) => m[1]);
    assert.deepStrictEqual(got, creditsTexts, `${context}: Credits written exactly`);
  }
}


// ---------------------------------------------------------------- crash tests (kill -9)

// Everything the database holds, as one text for an exact before/after comparison: SQLite's `sqlite3 FILE .dump`
// (schema and rows); on PostgreSQL every table's rows in COPY text, each table's ordered and under its name, identity
// columns left out (a rolled-back transaction advances them too: a later insert gets other IDs than on a copy).
export function dbSnapshot(db) {
  const big = { encoding: 'utf8', maxBuffer: 1 << 30 };
  if (!db.pg) {
    const r = spawnSync('sqlite3', ['-cmd', '.timeout 5000', db.file, '.dump'], big);
    if (r.error) throw r.error;
    if (r.status !== 0) throw new Error(`sqlite3 .dump failed: ${r.stderr}`);
    return r.stdout;
  }
  const columns = new Map(dbRows(db, `SELECT table_name AS name, string_agg(quote_ident(column_name), ', '
    ORDER BY ordinal_position) AS list FROM information_schema.columns WHERE table_schema = current_schema()
    AND is_identity = 'NO' GROUP BY table_name`).map(({ name, list }) => [name, list]));
  const args = ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-d', db.url];
  for (const name of dbTables(db)) {
    const select = `SELECT ${columns.get(name)} FROM "${name}"`;
    args.push('-c', `SELECT '-- table ${name}'`, '-c', `COPY (SELECT * FROM (${select}) AS t ORDER BY t::text COLLATE "C") TO STDOUT`);
  }
  const r = spawnSync('psql', args, { ...big, env: { ...process.env, PGCONNECT_TIMEOUT: '10' } });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`psql failed: ${r.stderr}`);
  return r.stdout;
}

// Where two snapshots first differ, for an assertion message: '' when they are equal.
export function snapshotDiff(expected, actual) {
  if (expected === actual) return '';
  const a = expected.split('\n');
  const b = actual.split('\n');
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  const cut = (line) => JSON.stringify((line ?? '(end)').slice(0, 300));
  return `${a.length} lines expected, ${b.length} found; first difference at line ${i + 1}: expected ${cut(a[i])}, found ${cut(b[i])}`;
}

// SQLite's `PRAGMA integrity_check` of the file: 'ok', or the problems it lists.
export function sqliteIntegrity(db) {
  return sqlite(db.file, 'PRAGMA integrity_check').map((row) => row.integrity_check).join('\n');
}

// PostgreSQL: waits until no other session is connected to db's database, so that no transaction of a killed
// client (or server) is still running or committing. SQLite: nothing to wait for.
export async function quiesceDb(db, timeoutMs = 15000) {
  if (!db.pg) return;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const others = +psql(db.url, ['SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()']).trim();
    if (others === 0) return;
    assert.ok(Date.now() < deadline, `${others} sessions of the killed process are still open after ${timeoutMs} ms`);
    await sleep(50);
  }
}

// Spawns the binary with `args` (a command that is to be killed); { proc, exited (promise of { code, signal }),
// stderr() }. Killed when the test process exits, so that a failing test leaves nothing running.
const crashChildren = new Set();
process.on('exit', () => {
  for (const proc of crashChildren) if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
});
export function spawnCli(args) {
  const proc = spawn(BIN, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  crashChildren.add(proc);
  let stderr = '';
  proc.stdout.resume();
  proc.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
  const exited = new Promise((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
  return { proc, exited, stderr: () => stderr };
}

import { spawn, spawnSync } from 'node:child_process';
import { BIN, dbRows, dbTables, psql, sleep, sqlite } from './harness.mjs';

// ---------------------------------------------------------------- token tables after a crash

// SHA-256 of a token or code in hex, as the token tables key it.
export const sha256Hex = (text) => crypto.createHash('sha256').update(text).digest('hex');
// A boolean column's value as true or false (SQLite 0/1, PostgreSQL booleans).
export const yes = (v) => v === true || v === 1;

// The token tables as the database holds them, hashes in hex: { families: Map(id -> family), refresh: Map(hash ->
// row), access: Map(hash -> row), codes: Map(hash -> row) }.
export function tokenState(db) {
  const hex = (column) => (db.pg ? `encode(${column}, 'hex')` : `lower(hex(${column}))`);
  const families = new Map(dbRows(db, 'SELECT family_id, revoked FROM token_families').map((f) => [f.family_id, f]));
  const refresh = new Map(dbRows(db, `SELECT ${hex('token_hash')} AS hash, family_id, rotated, revoked FROM refresh_tokens`)
    .map((r) => [r.hash, r]));
  const access = new Map(dbRows(db, `SELECT ${hex('token_hash')} AS hash, family_id, revoked FROM tokens WHERE family_id IS NOT NULL`)
    .map((r) => [r.hash, r]));
  const codes = new Map(dbRows(db, `SELECT ${hex('code_hash')} AS hash, used, family_id FROM authorization_codes`)
    .map((r) => [r.hash, r]));
  return { families, refresh, access, codes };
}

// No token family half written (tests/blackbox/crash-tokens.test.mjs states the rules from docs/api.md), over every
// family in the database: issued in access/refresh pairs, one live refresh token per live family, a revoked family
// revoked whole, every used code the opener of one family. Returns how many families there are.
export function assertNoHalfFamilies(state, label) {
  const byFamily = new Map([...state.families.keys()].map((id) => [id, { access: [], refresh: [] }]));
  for (const a of state.access.values()) byFamily.get(a.family_id).access.push(a);
  for (const r of state.refresh.values()) byFamily.get(r.family_id).refresh.push(r);
  const codesOf = new Map();
  for (const c of state.codes.values()) {
    assert.equal(yes(c.used), c.family_id !== null, `${label}: a code is used exactly when it opened a family: ${JSON.stringify(c)}`);
    if (c.family_id !== null) codesOf.set(c.family_id, (codesOf.get(c.family_id) ?? 0) + 1);
  }
  for (const [id, { access, refresh }] of byFamily) {
    const what = `${label}: family ${id} (${access.length} access, ${refresh.length} refresh tokens)`;
    assert.equal(codesOf.get(id), 1, `${what}: opened by one code`);
    assert.equal(access.length, refresh.length, `${what}: access and refresh tokens are issued in pairs`);
    if (yes(state.families.get(id).revoked)) {
      assert.ok(access.every((a) => yes(a.revoked)) && refresh.every((r) => yes(r.revoked)), `${what}: revoked, and so is every token of it`);
    } else {
      assert.ok(refresh.every((r) => !yes(r.revoked)), `${what}: live, so none of its refresh tokens is revoked`);
      if (refresh.length) assert.equal(refresh.filter((r) => !yes(r.rotated)).length, 1, `${what}: live, one refresh token not rotated`);
    }
  }
  return byFamily.size;
}

import crypto from 'node:crypto';
