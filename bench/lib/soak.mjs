// The soak's load generator, sampler and judge (bench/soak.sh starts the server and calls it):
//   node soak.mjs CONFIG.json
// Holds CONFIG.connections keep-alive connections of mixed traffic for CONFIG.seconds against the server at
// CONFIG.base, over the fixed cast of soak-data.mjs (tokens in CONFIG.dir/*-tokens.tsv, bench/lib/tokens.mjs's
// format):
//   - lists: MadeBookings in every order, page size, page, with and without StartDate, JSON and XML (Accept);
//     ReceivedBookings of the candidates; the group variant for the manager's members (200) and for clients outside
//     the group (403), both audited;
//   - 401s: no Authorization, an unknown token, a malformed credential;
//   - life-cycle writes, each with its own Idempotency-Key: CreateBooking, AcceptReceivedBooking (the candidate),
//     ConfirmMadeBooking, sometimes the same Confirm again (the stored answer, Idempotent-Replayed), CancelMadeBooking
//     (the refund keeps the client's balance level), DeleteMadeBookings and DeleteReceivedBooking (the lists keep
//     their size);
//   - one connection logs in: the authorization code flow of the Unified Login through the real login form and
//     consent page (PKCE, the public client), the code exchange, and logout; one login in five leaves its code
//     unredeemed, to expire;
//   - one connection refreshes: refresh_token grants over the logins' token chains, the new access token used at
//     once; one refresh in twenty presents the rotated token again, which must revoke its chain (docs/api.md).
// Every CONFIG.sample seconds it writes a CSV row: the window's p50 and p99 latency, the server's RSS (VmRSS) and
// open descriptors, and the rows of the tables that grow. RSS and descriptors are read at a quiet point: the traffic
// pauses until no request is in flight (tens of milliseconds, at most a login), because requests in flight hold
// memory and descriptors that are not leaks (an Argon2id hash 64 MiB, a life-cycle write an eventfd until its group
// commit). At the end it prints a summary and judges the run; the last line is
// `soak: OK` (exit 0) or `soak: FAILED: <why>` (exit 1). CONFIG is written by bench/soak.sh, which documents it.
import crypto from 'node:crypto';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const config = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const cast = JSON.parse(fs.readFileSync(path.join(config.dir, 'cast.json'), 'utf8'));
const base = new URL(config.base);

// ---------------------------------------------------------------- the cast and its tokens

function readTokens(file) {
  const tokens = new Map();
  for (const line of fs.readFileSync(path.join(config.dir, file), 'utf8').split('\n')) {
    const [token, user] = line.split('\t');
    if (token && user) tokens.set(Number(user), token);
  }
  return tokens;
}
const clientTokens = readTokens('clients-tokens.tsv');
const candidateTokens = readTokens('candidates-tokens.tsv');
const managerToken = readTokens('manager-tokens.tsv').get(cast.manager);

// ---------------------------------------------------------------- HTTP, latencies and failures

const agent = new http.Agent({ keepAlive: true, maxSockets: config.connections, scheduling: 'fifo' });
let windowLatencies = [];
let requestsTotal = 0;
let failure = null;
const counts = {};
const count = (name, by = 1) => { counts[name] = (counts[name] ?? 0) + by; };

// The first answer outside what the mix expects ends the run.
function fail(why) {
  if (!failure) failure = why;
}

// The sampler stops the traffic for a moment (see the header): a request waits here while it is paused.
const quiet = { paused: false, waiting: [], inFlight: 0, drained: null };

async function request(method, target, options = {}) {
  while (quiet.paused) await new Promise((resolve) => quiet.waiting.push(resolve));
  quiet.inFlight += 1;
  try {
    return await send(method, target, options);
  } finally {
    quiet.inFlight -= 1;
    if (quiet.inFlight === 0 && quiet.drained) quiet.drained();
  }
}

// Reads `read()` with no request in flight: every connection idle, no login hashing.
async function whileQuiet(read) {
  quiet.paused = true;
  try {
    if (quiet.inFlight > 0) await new Promise((resolve) => { quiet.drained = resolve; });
    quiet.drained = null;
    await sleep(20);  // the server's side of the last answers (a write's wake-up descriptor) ends just after it
    return read();
  } finally {
    quiet.paused = false;
    for (const resolve of quiet.waiting.splice(0)) resolve();
  }
}

function send(method, target, { headers = {}, body } = {}) {
  return new Promise((resolve) => {
    const started = process.hrtime.bigint();
    const payload = body === undefined ? undefined : Buffer.from(body);
    const req = http.request({
      host: base.hostname, port: base.port, method, path: target, agent,
      headers: payload ? { ...headers, 'Content-Length': payload.length } : headers,
    }, (res) => {
      const chunks = [];
      res.on('data', (chunk) => chunks.push(chunk));
      res.on('end', () => {
        const ms = Number(process.hrtime.bigint() - started) / 1e6;
        windowLatencies.push(ms);
        requestsTotal += 1;
        resolve({ status: res.statusCode, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') });
      });
      res.on('error', (error) => resolve({ status: 0, headers: {}, text: `response error: ${error.message}` }));
    });
    req.setTimeout(30_000, () => req.destroy(new Error('no answer within 30 s')));
    req.on('error', (error) => resolve({ status: 0, headers: {}, text: `socket error: ${error.message}` }));
    req.end(payload);
  });
}

// Sends and checks the status against `expected`; null (and the run failing) when it differs.
async function expect(kind, expected, method, target, options) {
  const answer = await request(method, target, options);
  count(kind);
  if (!expected.includes(answer.status)) {
    const text = answer.text.replace(/\s+/g, ' ').slice(0, 160);
    fail(`${kind}: ${method} ${target.split('?')[0]} answered ${answer.status} (expected ${expected.join(' or ')}): ${text}`);
    return null;
  }
  return answer;
}

// Paces the general traffic at CONFIG.rate requests a second in all (0: as fast as the server answers).
let nextSlot = 0;
async function pace() {
  if (!config.rate) return;
  const now = performance.now();
  nextSlot = Math.max(nextSlot + 1000 / config.rate, now);
  const wait = nextSlot - now;
  if (wait >= 1) await sleep(wait);
}
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const pick = (list) => list[Math.floor(Math.random() * list.length)];
const bearer = (token) => ({ Authorization: `Bearer ${token}` });

// ---------------------------------------------------------------- lists and 401s

const ORDERS = [null, 'date-desc', 'date-asc', 'nickname-asc', 'nickname-desc', 'sessiondate-asc', 'sessiondate-desc'];
const PAGE_SIZES = [null, 1, 10, 25, 50, 100];
const ACCEPTS = [null, 'application/json', 'application/xml', 'text/xml', '*/*'];

function listQuery(extra = []) {
  const params = [...extra];
  const order = pick(ORDERS);
  if (order) params.push(`OrderBy=${order}`);
  const size = pick(PAGE_SIZES);
  if (size) params.push(`BookingsPerPage=${size}`);
  if (Math.random() < 0.5) params.push(`PageNumber=${1 + Math.floor(Math.random() * 3)}`);
  if (Math.random() < 0.25) params.push(`StartDate=${pick(['2025-06-01', '2026-01-01', '2026-12-01'])}`);
  return params.length ? `?${params.join('&')}` : '';
}

function withAccept(headers) {
  const accept = pick(ACCEPTS);
  return accept ? { ...headers, Accept: accept } : headers;
}

async function madeList() {
  const client = pick(cast.clients);
  await expect('list made', [200], 'GET', `/v1/PhoneChat/MadeBookings${listQuery()}`,
    { headers: withAccept(bearer(clientTokens.get(client))) });
}

async function receivedList() {
  const candidate = pick(cast.candidates);
  await expect('list received', [200], 'GET', `/v1/PhoneChat/ReceivedBookings${listQuery()}`,
    { headers: withAccept(bearer(candidateTokens.get(candidate))) });
}

// Every one of these reaches the membership check: one audit row each (docs/api.md, "Group managers").
async function groupList() {
  const member = Math.random() < 0.75;
  const user = pick(member ? cast.members : cast.outsiders);
  const answer = await expect(member ? 'group list (member)' : 'group list (not a member)', [member ? 200 : 403],
    'GET', `/v1/Groups/PhoneChat/MadeBookings${listQuery([`UserID=${user}`])}`,
    { headers: withAccept(bearer(managerToken)) });
  if (answer) count('audited');
}

async function unauthorized() {
  const shapes = [
    {},
    bearer(crypto.randomBytes(32).toString('base64url')),
    { Authorization: 'Bearer' },
    { Authorization: `Basic ${Buffer.from('a:b').toString('base64')}` },
  ];
  await expect('401', [401], 'GET', `/v1/PhoneChat/MadeBookings${listQuery()}`, { headers: withAccept(pick(shapes)) });
}

// ---------------------------------------------------------------- life-cycle writes

const runId = crypto.randomBytes(4).toString('hex');
let writeNumber = 0;
const localDate = (date) => date.toISOString().slice(0, 19);  // the server runs in UTC (bench/soak.sh)

async function deal() {
  const n = ++writeNumber;
  const client = pick(cast.clients);
  const candidate = pick(cast.candidates);
  const asClient = bearer(clientTokens.get(client));
  const asCandidate = bearer(candidateTokens.get(candidate));
  const json = { 'Content-Type': 'application/json', Accept: 'application/json' };
  const keyed = async (kind, route, headers, body, step) => {
    count('keyed writes');
    const answer = await expect(kind, [200], 'POST', `/v1/PhoneChat/${route}`,
      { headers: { ...headers, ...json, 'Idempotency-Key': `soak-${runId}-${n}-${step}` }, body: JSON.stringify(body) });
    if (answer && answer.headers['idempotent-replayed'] !== 'true') count('keyed writes stored');
    return answer;
  };
  const now = Date.now();
  await pace();
  const created = await keyed('CreateBooking', 'CreateBooking', asClient, {
    BookUserID: candidate, SessionDate: localDate(new Date(now + 7 * 86400_000)), Duration: cast.duration,
    Method: 1, PhoneNumber: '07700900123', Credits: cast.offer, AcceptBy: localDate(new Date(now + 6 * 86400_000)),
  }, 'create');
  if (!created) return;
  const id = JSON.parse(created.text).BookingID;
  await pace();
  if (!await keyed('AcceptReceivedBooking', 'AcceptReceivedBooking', asCandidate,
    { BookingID: id, Credits: cast.offer }, 'accept')) return;
  await pace();
  if (!await keyed('ConfirmMadeBooking', 'ConfirmMadeBooking', asClient, { BookingID: id }, 'confirm')) return;
  if (n % 8 === 0) {
    await pace();
    const again = await expect('Confirm again (replayed)', [200], 'POST', '/v1/PhoneChat/ConfirmMadeBooking', {
      headers: { ...asClient, ...json, 'Idempotency-Key': `soak-${runId}-${n}-confirm` },
      body: JSON.stringify({ BookingID: id }),
    });
    if (again && again.headers['idempotent-replayed'] !== 'true') {
      fail(`Confirm again: the same Idempotency-Key and body were not answered from the store: ${again.text.slice(0, 160)}`);
    }
  }
  await pace();
  if (!await keyed('CancelMadeBooking', 'CancelMadeBooking', asClient, { BookingID: id, Reason: 'soak' }, 'cancel')) {
    return;
  }
  // Off both lists again, so that the lists the cache holds keep their size over the run.
  await pace();
  if (!await keyed('DeleteMadeBookings', 'DeleteMadeBookings', asClient, { BookingIDs: String(id) }, 'delete-made')) return;
  await pace();
  await keyed('DeleteReceivedBooking', 'DeleteReceivedBooking', asCandidate, { BookingIDs: String(id) }, 'delete-received');
}

// ---------------------------------------------------------------- the Unified Login

const SLOTS = 4;
const slots = new Array(SLOTS).fill(null);  // { access, refresh }: the logins' token chains
const login = { number: 0 };

function form(fields) {
  return new URLSearchParams(fields).toString();
}
function cookiesOf(answer, jar) {
  for (const raw of [answer.headers['set-cookie'] ?? []].flat()) {
    const [pair] = raw.split(';');
    const at = pair.indexOf('=');
    jar.set(pair.slice(0, at), pair.slice(at + 1));
  }
}
const cookieHeader = (jar) => ({ Cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; ') });
const csrfOf = (html) => /name="csrf" value="([^"]+)"/.exec(html)?.[1];
const codeOf = (location) => new URL(location, config.base).searchParams.get('code');

async function loginFlow() {
  const n = login.number++;
  const user = cast.logins[n % cast.logins.length];
  const verifier = crypto.randomBytes(32).toString('base64url');
  const challenge = crypto.createHash('sha256').update(verifier).digest('base64url');
  const authorize = `/OAuth/Authorize?${form({
    response_type: 'code', client_id: config.clientId, redirect_uri: config.redirectUri, scope: config.scope,
    state: `s${n}`, code_challenge: challenge, code_challenge_method: 'S256',
  })}`;
  const jar = new Map();
  const formHeaders = () => ({ ...cookieHeader(jar), 'Content-Type': 'application/x-www-form-urlencoded' });

  const page = await expect('login page', [200], 'GET', authorize);
  if (!page) return;
  cookiesOf(page, jar);
  const posted = await expect('login', [303], 'POST', authorize,
    { headers: formHeaders(), body: form({ csrf: csrfOf(page.text), login: user.login, password: user.password, action: 'login' }) });
  if (!posted) return;
  cookiesOf(posted, jar);
  let next = await expect('authorize after login', [200, 302], 'GET', authorize, { headers: cookieHeader(jar) });
  if (!next) return;
  cookiesOf(next, jar);
  if (next.status === 200) {
    next = await expect('consent', [303], 'POST', authorize,
      { headers: formHeaders(), body: form({ csrf: csrfOf(next.text), action: 'allow' }) });
    if (!next) return;
  }
  const code = codeOf(next.headers.location);
  if (!code) return fail(`authorize: no code in the redirect ${next.headers.location}`);
  if (n % 5 === 4) {
    count('codes left unredeemed');
  } else {
    const tokens = await expect('code exchange', [200], 'POST', '/OAuth/token', {
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: form({ grant_type: 'authorization_code', code, client_id: config.clientId, code_verifier: verifier,
        redirect_uri: config.redirectUri }),
    });
    if (!tokens) return;
    const { access_token: access, refresh_token: refresh } = JSON.parse(tokens.text);
    slots[n % SLOTS] = { access, refresh };
  }
  await expect('logout', [303], 'POST', '/OAuth/Logout', { headers: formHeaders(), body: form({ csrf: jar.get('pc_csrf') }) });
}

async function loginLane(until) {
  while (!failure && performance.now() < until) {
    const started = performance.now();
    await loginFlow();
    await sleep(Math.max(0, config.loginEveryMs - (performance.now() - started)));
  }
}

let refreshNumber = 0;
async function refreshOnce() {
  const n = refreshNumber++;
  const slot = n % SLOTS;
  const chain = slots[slot];
  if (!chain) return;
  const grant = (token) => ({
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: form({ grant_type: 'refresh_token', refresh_token: token, client_id: config.clientId }),
  });
  const rotated = await expect('refresh', [200], 'POST', '/OAuth/token', grant(chain.refresh));
  if (!rotated) return;
  const { access_token: access, refresh_token: refresh } = JSON.parse(rotated.text);
  if (slots[slot] === chain) slots[slot] = { access, refresh };
  await expect('list with a refreshed token', [200], 'GET', `/v1/PhoneChat/MadeBookings${listQuery()}`,
    { headers: withAccept(bearer(access)) });
  if (n % 20 === 19) {
    // The rotated token again: a replay, which revokes the whole chain, the access token just issued included.
    await expect('refresh replayed', [400], 'POST', '/OAuth/token', grant(chain.refresh));
    await expect('list with a revoked token', [401], 'GET', '/v1/PhoneChat/MadeBookings', { headers: bearer(access) });
    if (slots[slot]?.refresh === refresh) slots[slot] = null;
  }
}

async function refreshLane(until) {
  while (!failure && performance.now() < until) {
    const started = performance.now();
    await refreshOnce();
    await sleep(Math.max(0, config.refreshEveryMs - (performance.now() - started)));
  }
}

// ---------------------------------------------------------------- the general traffic

const MIX = [
  [64, madeList], [14, receivedList], [8, groupList], [8, unauthorized], [3, deal],
];
const MIX_TOTAL = MIX.reduce((sum, [weight]) => sum + weight, 0);
async function worker(until) {
  while (!failure && performance.now() < until) {
    let roll = Math.random() * MIX_TOTAL;
    const [, op] = MIX.find(([weight]) => (roll -= weight) < 0);
    if (op !== deal) await pace();
    await op();
  }
}

// ---------------------------------------------------------------- samples

const TABLES = ['authorization_codes', 'tokens', 'refresh_tokens', 'token_families', 'login_sessions',
  'login_failures', 'idempotency_keys', 'audit_log', 'bookings'];
// Tables the sweeper (or logout) keeps bounded: each must stop growing once its retention has passed.
const PURGED = ['authorization_codes', 'tokens', 'refresh_tokens', 'token_families', 'login_sessions', 'login_failures'];

async function tableRows() {
  const sql = `SELECT ${TABLES.map((t) => `(SELECT count(*) FROM ${t})`).join(', ')}`;
  const { stdout } = config.db.kind === 'sqlite'
    ? await run('sqlite3', [config.db.path, sql])
    : await run('psql', ['-X', '-At', '-d', config.db.url, '-c', sql]);
  const values = stdout.trim().split('|').map(Number);
  if (values.length !== TABLES.length || values.some((v) => !Number.isFinite(v))) {
    throw new Error(`row counts: unexpected output ${JSON.stringify(stdout)}`);
  }
  return Object.fromEntries(TABLES.map((t, i) => [t, values[i]]));
}

function processFacts() {
  const status = fs.readFileSync(`/proc/${config.pid}/status`, 'utf8');
  const rss = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1]);
  const fds = fs.readdirSync(`/proc/${config.pid}/fd`).length;
  return { rss, fds };
}

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

const samples = [];
const csv = fs.openSync(config.csv, 'w');
fs.writeSync(csv, `seconds,requests,p50_ms,p99_ms,rss_kib,fds,${TABLES.join(',')}\n`);
let started = 0;
async function sample(nominal) {
  const latencies = windowLatencies.sort((a, b) => a - b);
  windowLatencies = [];
  const facts = await whileQuiet(processFacts);
  const rows = await tableRows();
  const row = {
    seconds: nominal ?? Math.round((performance.now() - started) / 1000), requests: latencies.length,
    p50: percentile(latencies, 50), p99: percentile(latencies, 99), ...facts, rows,
  };
  samples.push(row);
  const ms = (v) => (Number.isNaN(v) ? '' : v.toFixed(2));
  fs.writeSync(csv, `${row.seconds},${row.requests},${ms(row.p50)},${ms(row.p99)},${row.rss},${row.fds},` +
    `${TABLES.map((t) => rows[t]).join(',')}\n`);
  return row;
}

// ---------------------------------------------------------------- the run

started = performance.now();
const start = await sample(0);  // before any traffic
started = performance.now();
const until = started + config.seconds * 1000;
const lanes = [loginLane(until), refreshLane(until)];
for (let i = 2; i < config.connections; i += 1) lanes.push(worker(until));
let samplerError = null;
const sampler = (async () => {
  for (let next = config.sample; next < config.seconds && !failure; next += config.sample) {
    await sleep(started + next * 1000 - performance.now());
    if (failure) break;
    try {
      await sample(next);
    } catch (error) {
      samplerError = error;
      fail(`sampling: ${error.message}`);
    }
  }
})();
await Promise.all(lanes);
await sampler;
const end = await sample();  // every request answered
agent.destroy();
fs.closeSync(csv);

// ---------------------------------------------------------------- the verdict

const elapsed = (performance.now() - started) / 1000;
const warm = samples.filter((s) => s.seconds > 0 && s.seconds <= config.warmup);
const after = samples.filter((s) => s.seconds > config.warmup);
const problems = [];
if (failure) problems.push(failure);
if (samplerError) problems.push(`sampling: ${samplerError.message}`);
let rssWarm = NaN;
let fdsWarm = NaN;
if (warm.length === 0 || after.length === 0) {
  problems.push(`the run is too short to judge: no sample after the ${config.warmup} s warm-up`);
} else {
  rssWarm = Math.max(...warm.map((s) => s.rss));
  fdsWarm = warm[warm.length - 1].fds;
  const rssHigh = after.find((s) => s.rss > rssWarm * 1.10);
  if (rssHigh) {
    problems.push(`RSS ${(rssHigh.rss / 1024).toFixed(1)} MiB at ${rssHigh.seconds} s is above the warm-up's ` +
      `${(rssWarm / 1024).toFixed(1)} MiB + 10%`);
  }
  const fdsOff = after.find((s) => Math.abs(s.fds - fdsWarm) > 4);
  if (fdsOff) problems.push(`${fdsOff.fds} open descriptors at ${fdsOff.seconds} s, the warm-up's ${fdsWarm} ±4`);
}

// A purged table grows without bound when its count at the end exceeds the largest count seen in the first half
// of the steady part of the run (after the retention horizon: the sweeper deletes the first rows only then) by
// more than 20% + 10 rows.
const horizon = config.horizon;
const steadyEnd = horizon + (config.seconds - horizon) / 2;
const reference = samples.filter((s) => s.seconds >= horizon && s.seconds <= steadyEnd && s !== end);
const bounded = {};
for (const table of PURGED) {
  if (reference.length === 0) {
    bounded[table] = 'not judged';
    continue;
  }
  const limit = Math.max(...reference.map((s) => s.rows[table])) * 1.2 + 10;
  bounded[table] = end.rows[table] <= limit ? `≤ ${Math.floor(limit)}` : `ABOVE ${Math.floor(limit)}`;
  if (end.rows[table] > limit) {
    problems.push(`${table} grows without bound: ${end.rows[table]} rows at the end, more than ${Math.floor(limit)} ` +
      `(the most seen between ${Math.round(horizon)} s and ${Math.round(steadyEnd)} s, +20% +10)`);
  }
}
const audited = end.rows.audit_log - start.rows.audit_log;
if (!failure && audited !== (counts.audited ?? 0)) {
  problems.push(`audit_log grew by ${audited} rows for ${counts.audited ?? 0} audited group requests`);
}
const keys = end.rows.idempotency_keys - start.rows.idempotency_keys;
if (keys > (counts['keyed writes'] ?? 0) || keys < (counts['keyed writes stored'] ?? 0)) {
  problems.push(`idempotency_keys grew by ${keys} rows for ${counts['keyed writes stored'] ?? 0} stored answers ` +
    `of ${counts['keyed writes'] ?? 0} keyed writes`);
}

const fmt = (v, digits = 1) => (Number.isFinite(v) ? v.toFixed(digits) : 'n/a');
const steady = samples.filter((s) => s.seconds > 0 && s.requests > 0);
const p99s = steady.map((s) => s.p99).sort((a, b) => a - b);
const lines = [];
lines.push(`soak: ${fmt(elapsed, 0)} s, ${config.connections} connections, ${requestsTotal} requests ` +
  `(${fmt(requestsTotal / elapsed, 0)}/s${config.rate ? `, paced at ${config.rate}/s` : ', unpaced'})`);
lines.push(`  p99 per ${config.sample} s window: min ${fmt(p99s[0], 2)} ms, median ${fmt(percentile(p99s, 50), 2)} ms, ` +
  `max ${fmt(p99s[p99s.length - 1], 2)} ms; p50 median ${fmt(percentile(steady.map((s) => s.p50).sort((a, b) => a - b), 50), 2)} ms`);
lines.push(`  RSS: warm-up (max of the first ${config.warmup} s) ${fmt(rssWarm / 1024)} MiB, max after it ` +
  `${fmt(Math.max(...after.map((s) => s.rss)) / 1024)} MiB, end ${fmt(end.rss / 1024)} MiB (limit +10%)`);
lines.push(`  descriptors: warm-up ${fdsWarm}, after it ${Math.min(...after.map((s) => s.fds))}-` +
  `${Math.max(...after.map((s) => s.fds))} (limit ±4)`);
lines.push(`  tables (rows at start -> end; purged tables judged from ${Math.round(horizon)} s):`);
for (const table of TABLES) {
  const verdict = PURGED.includes(table) ? `, max ${Math.max(...samples.map((s) => s.rows[table]))}, end ${bounded[table]}` : '';
  lines.push(`    ${table.padEnd(20)} ${String(start.rows[table]).padStart(7)} -> ${String(end.rows[table]).padStart(7)}${verdict}`);
}
lines.push(`  audited group requests ${counts.audited ?? 0}, audit_log +${audited}; keyed writes ${counts['keyed writes'] ?? 0} ` +
  `(${counts['keyed writes stored'] ?? 0} stored), idempotency_keys +${keys}`);
lines.push(`  requests by kind: ${Object.entries(counts).filter(([k]) => !['audited', 'keyed writes', 'keyed writes stored'].includes(k))
  .map(([k, v]) => `${k} ${v}`).join(', ')}`);
console.log(lines.join('\n'));
if (problems.length > 0) {
  for (const problem of problems.slice(1)) console.log(`  also: ${problem}`);
  console.log(`soak: FAILED: ${problems[0]}`);
  process.exit(1);
}
console.log('soak: OK');
