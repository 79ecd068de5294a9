// Crash safety when PostgreSQL itself dies (docs/lifecycle.md, "Atomicity and durability": an answered 200 is
// durable). A cluster of the test's own with PostgreSQL's default durability (`scripts/pg-cluster.sh start DIR
// --durable`: the shared test cluster runs with synchronous_commit off, and would lose answered commits by design)
// serves a running server while 32 connections confirm bookings and 8 clients exchange codes and rotate refresh
// tokens. Once some Confirms are answered, the postmaster and every one of its processes get SIGKILL together, and
// PostgreSQL is started again on the same data directory (crash recovery from its WAL). The server is not restarted:
// it must answer again once the database is back. Then every Confirm answered 200 reads Confirmed, every one answered
// 409 reads Accepted (one answered 503, or cut off, may be either: its commit may have reached the WAL before the
// crash), the Payments are exactly the Confirmed bookings, `ledger verify` passes, no token family is half written,
// every answered access token works and the newest answered refresh token of every chain rotates.
// Runs only with PHONECHAT_TEST_PG_URL (the PostgreSQL pass), though it uses its own cluster.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { BACKEND, Conn, PEER, dbRows, psql, requestBytes, sleep, tempDir } from './harness.mjs';
import { assertNoHalfFamilies, sha256Hex, tokenState, yes } from './fixture.mjs';
import { CAND, CAND2, CLIENT, PC, at, booking, credit, ledgerInvariants, ledgerVerify, setupLifecycle } from './lifecycle-fixture.mjs';
import {
  Agent, PHONECHAT_SCOPE, api, authorize, authorizeUrl, createProject, describeToken, importUsers, pkcePair,
  randomState, redirectParams, tokenRequest,
} from '../oauth/oauth-harness.mjs';

const CLUSTER_SCRIPT = new URL('../../scripts/pg-cluster.sh', import.meta.url).pathname;
const PG_BIN = process.env.PG_BIN || '/usr/lib/postgresql/15/bin';
const BOOKINGS = 400;
const CONFIRMERS = 32;
const TOKEN_CLIENTS = 8;
const FIRST_ID = 7001;
const BOOKED = Array.from({ length: BOOKINGS }, (_, i) => booking(FIRST_ID + i, {
  client: CLIENT, cand: i % 2 ? CAND : CAND2, status: 'Accepted', acceptBy: at(1), session: at(2), credits: String(1 + (i % 9)),
}));
const USERS = [1, 2].map((i) => ({ id: 4200 + i, nickname: `PgCrash${i}`, password: `PgCrash-pass-${i}!` }));
const REDIRECT = 'http://127.0.0.1:9/pg-crash';
// PostgreSQL is killed after this many Confirms were answered 200 (drawn anew on every run).
const KILL_AFTER = 20 + Math.floor(Math.random() * 60);
const RECOVERY_MS = 30000;

// ---------------------------------------------------------------- the cluster

let clusterDir = null;
function stopCluster() {
  if (!clusterDir) return;
  const r = spawnSync(CLUSTER_SCRIPT, ['stop', clusterDir], { encoding: 'utf8' });
  if (r.status !== 0) process.stderr.write(`crash-postgres: could not stop the cluster in ${clusterDir}: ${r.stderr}\n`);
  clusterDir = null;
}
process.on('exit', stopCluster); // also when a test fails half-way

// Runs a PostgreSQL program as the cluster's owner (the `postgres` user when we are root, as pg-cluster.sh does).
function asOwner(program, args) {
  const root = process.getuid?.() === 0;
  const r = spawnSync(root ? 'runuser' : program, root ? ['-u', 'postgres', '--', program, ...args] : args, { cwd: '/', encoding: 'utf8' });
  if (r.error) throw r.error;
  return r;
}

// The postmaster's process ID and those of its children (backends, checkpointer, WAL writer, ...).
function clusterProcesses() {
  const pid = +fs.readFileSync(path.join(clusterDir, 'data', 'postmaster.pid'), 'utf8').split('\n')[0];
  const children = spawnSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean).map(Number);
  return [pid, ...children];
}

const alive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

// SIGKILL to the postmaster and all its processes at once; resolves when all are gone.
async function killPostgres() {
  const pids = clusterProcesses();
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch { /* already gone */ }
  }
  const deadline = Date.now() + 10000;
  while (pids.some(alive)) {
    assert.ok(Date.now() < deadline, 'the killed PostgreSQL processes are gone');
    await sleep(20);
  }
  return pids.length;
}

// Starts PostgreSQL again on the same data directory and port: crash recovery replays its WAL.
function restartPostgres() {
  const port = fs.readFileSync(path.join(clusterDir, 'port'), 'utf8').trim();
  const r = asOwner(path.join(PG_BIN, 'pg_ctl'), ['start', '-D', path.join(clusterDir, 'data'), '-o', `-p ${port}`,
    '-l', path.join(clusterDir, 'server.log'), '-w', '-t', '60']);
  assert.equal(r.status, 0, `pg_ctl start after the kill: ${r.stdout}${r.stderr}`);
}

// ---------------------------------------------------------------- traffic

async function send(conn, bytes, onSent = () => {}) {
  if (!(await conn.write(bytes))) return null;
  onSent();
  try {
    return await conn.readResponse({ timeoutMs: 30000 });
  } catch {
    conn.destroy();
    return null;
  }
}

// Confirms over CONFIRMERS connections until `stopped()`; `onSent` after each Confirm is written; `stats.ok` counts
// the 200s. Returns { answered: Map(id -> status), ok: Map(id -> body) }.
async function confirmAll(port, token, onSent, stopped, stats) {
  const queue = BOOKED.map((b) => b.BookingID);
  const answered = new Map();
  const ok = new Map();
  await Promise.all(Array.from({ length: CONFIRMERS }, async () => {
    let conn = null;
    try {
      while (queue.length && !stopped()) {
        if (!conn || conn.closed) {
          conn?.destroy();
          conn = await Conn.open(port);
        }
        const id = queue.shift();
        const res = await send(conn, requestBytes('POST', `${PC}/ConfirmMadeBooking`,
          { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, JSON.stringify({ BookingID: id })), onSent);
        if (!res) continue;
        answered.set(id, res.status);
        if (res.status === 200) {
          ok.set(id, res.json());
          stats.ok++;
        }
      }
    } finally {
      conn?.destroy();
    }
  }));
  return { answered, ok };
}

// TOKEN_CLIENTS clients exchange codes and rotate their refresh tokens until `stopped()`. Returns the chains:
// { access: [answered], refresh: [answered], pending (a request without an answer: 'exchange' | 'rotate' | 'authorize') }.
async function issueTokens(port, project, sessions, stopped) {
  const chains = [];
  const post = (fields) => requestBytes('POST', '/OAuth/token', { 'Content-Type': 'application/x-www-form-urlencoded' },
    new URLSearchParams(Object.entries(fields)).toString());
  await Promise.all(Array.from({ length: TOKEN_CLIENTS }, async (_, w) => {
    const user = USERS[w % USERS.length];
    const conn = await Conn.open(port);
    try {
      while (!stopped()) {
        const chain = { access: [], refresh: [], pending: null, errors: 0 };
        chains.push(chain);
        const pkce = pkcePair();
        const target = new URL(authorizeUrl('http://x', { response_type: 'code', client_id: project.clientId, redirect_uri: REDIRECT,
          scope: PHONECHAT_SCOPE, state: randomState(), code_challenge: pkce.challenge, code_challenge_method: 'S256' }));
        let res = await send(conn, requestBytes('GET', target.pathname + target.search, { Cookie: sessions.get(user.id) }));
        if (!res || !(res.status === 302 || res.status === 303)) { // cut off, or the database was down (5xx)
          assert.ok(!res || res.status >= 500, `authorize: ${res?.describe()}`);
          chain.pending = 'authorize';
          return; // the server is cut off from its database: this client is done
        }
        const code = redirectParams(res.headers.location).get('code');
        res = await send(conn, post({ grant_type: 'authorization_code', code, client_id: project.clientId, code_verifier: pkce.verifier,
          redirect_uri: REDIRECT }));
        if (!res || res.status !== 200) {
          assert.ok(!res || res.status >= 500, `exchange: ${res?.describe()}`);
          chain.pending = 'exchange';
          return;
        }
        chain.access.push(res.json().access_token);
        chain.refresh.push(res.json().refresh_token);
        for (let n = 0; n < 3 && !stopped(); n++) {
          res = await send(conn, post({ grant_type: 'refresh_token', refresh_token: chain.refresh.at(-1), client_id: project.clientId }));
          if (!res || res.status !== 200) {
            assert.ok(!res || res.status >= 500, `rotation: ${res?.describe()}`);
            chain.pending = 'rotate';
            return;
          }
          chain.access.push(res.json().access_token);
          chain.refresh.push(res.json().refresh_token);
        }
      }
    } finally {
      conn.destroy();
    }
  }));
  return chains;
}

describe('kill -9 of PostgreSQL itself under a running server', { skip: (BACKEND !== 'postgres' || PEER) && 'PostgreSQL pass only' }, () => {
  let env;
  after(async () => {
    if (env) await env.stop();
    stopCluster();
  });

  test(`postmaster and backends killed after ${KILL_AFTER} answered Confirms: every answered write kept, the server answers again`, async (t) => {
    // Directly in the temporary directory: the cluster's owner (`postgres` when we are root) must reach it.
    clusterDir = fs.mkdtempSync(path.join(os.tmpdir(), 'phonechat-crash-pg-'));
    const started = spawnSync(CLUSTER_SCRIPT, ['start', clusterDir, '--durable'], { encoding: 'utf8' });
    assert.equal(started.status, 0, `pg-cluster.sh start --durable: ${started.stderr}`);
    const clusterUrl = started.stdout.trim();
    assert.equal(psql(clusterUrl, ['SHOW synchronous_commit']).trim(), 'on', 'the cluster keeps the default durability');
    assert.equal(psql(clusterUrl, ['SHOW fsync']).trim(), 'on', 'the cluster keeps the default durability');
    psql(clusterUrl, ['CREATE DATABASE crash']);
    const db = { url: clusterUrl.replace(/\/postgres$/, '/crash'), pg: true, name: 'crash', dir: tempDir() };

    await importUsers(db, USERS);
    const project = await createProject(db, { name: 'PG Crash App', owner: USERS[0].id, redirectUris: [REDIRECT], isPublic: true });
    env = await setupLifecycle({ db, bookings: BOOKED, credits: [credit(CLIENT, '100000')], threads: 4 });
    const base = `http://127.0.0.1:${env.port}`;
    const sessions = new Map();
    for (const user of USERS) {
      const agent = new Agent(base);
      await authorize(agent, { response_type: 'code', client_id: project.clientId, redirect_uri: REDIRECT, scope: PHONECHAT_SCOPE,
        state: randomState(), code_challenge: pkcePair().challenge, code_challenge_method: 'S256' }, user);
      sessions.set(user.id, agent.jar.header());
    }

    // Traffic until PostgreSQL is killed, then a moment more of it against the dead database.
    const stats = { ok: 0 };
    let killing = null;
    let stop = false;
    const onSent = () => {
      if (!killing && stats.ok >= KILL_AFTER) killing = killPostgres();
    };
    const tokensRun = issueTokens(env.port, project, sessions, () => stop);
    const confirmsRun = confirmAll(env.port, env.tokens[CLIENT], onSent, () => stop, stats);
    let confirmsDone = false;
    confirmsRun.then(() => { confirmsDone = true; });
    while (!killing && !confirmsDone) await sleep(5);
    assert.ok(killing, `PostgreSQL was killed before every Confirm was answered (${stats.ok} 200s)`);
    const processes = await killing;
    await sleep(300);
    stop = true;
    const [confirms, chains] = await Promise.all([confirmsRun, tokensRun]);
    const statuses = {};
    for (const status of confirms.answered.values()) statuses[status] = (statuses[status] ?? 0) + 1;
    t.diagnostic(`${processes} PostgreSQL processes killed after ${KILL_AFTER} 200s; Confirms answered ${JSON.stringify(statuses)}; ` +
      `${chains.length} token chains, ${chains.filter((c) => c.pending).length} of them cut off`);
    assert.ok(chains.some((c) => c.access.length), 'tokens were issued before the kill');

    // PostgreSQL recovers from its WAL; the server, never restarted, answers again.
    restartPostgres();
    const back = Date.now();
    let balance;
    for (;;) {
      balance = await api(base, '/v1/CreditHistory/GetCurrentCreditBalance', env.tokens[CLIENT]);
      if (balance.status === 200) break;
      assert.ok(Date.now() - back < RECOVERY_MS, `the server answers again within ${RECOVERY_MS} ms of PostgreSQL's restart: ` +
        `HTTP ${balance.status} ${balance.text.slice(0, 300)}`);
      await sleep(100);
    }
    t.diagnostic(`the server answered 200 again ${Date.now() - back} ms after PostgreSQL was back`);

    // The life cycle: every answered 200 kept, every 409 left Accepted, the Payments are the Confirmed bookings.
    const rows = new Map(dbRows(db, `SELECT booking_id, status FROM bookings WHERE booking_id >= ${FIRST_ID}`)
      .map((r) => [r.booking_id, r.status]));
    const details = async (id) => {
      const r = await api(base, `${PC}/MadeBookingDetails?BookingID=${id}`, env.tokens[CLIENT]);
      assert.equal(r.status, 200, `details of ${id}: ${r.text}`);
      return r.json;
    };
    for (const [id, body] of confirms.ok) assert.deepStrictEqual(await details(id), body, `booking ${id} was answered 200`);
    for (const [id, status] of confirms.answered) {
      if (status === 409) assert.equal((await details(id)).Status, 'Accepted', `booking ${id} was answered 409`);
      else assert.ok(status === 200 || status >= 500, `Confirm of ${id}: an answer other than 200, 409 or 5xx: ${status}`);
    }
    const confirmed = dbRows(db, `SELECT booking_id FROM bookings WHERE booking_id >= ${FIRST_ID} AND status = 'Confirmed' ORDER BY 1`)
      .map((r) => r.booking_id);
    assert.ok(rows.size === BOOKINGS, 'every booking is there');
    const paid = dbRows(db, `SELECT booking_id FROM ledger_entries WHERE kind = 'Payment' ORDER BY 1`).map((r) => r.booking_id);
    assert.deepStrictEqual(paid, confirmed, 'one Payment for every Confirmed booking, none for the others');
    const verified = await ledgerVerify(db);
    assert.equal(verified.code, 0, `ledger verify after PostgreSQL's crash: ${verified.stderr}`);
    ledgerInvariants(db);
    t.diagnostic(`${confirmed.length} bookings Confirmed, ${confirms.ok.size} of them answered 200`);

    // The tokens: no family half written, every answered access token works, every chain's newest refresh token
    // rotates (or, when a cut-off rotation reached the WAL, is refused with its successor stored).
    const state = tokenState(db);
    const families = assertNoHalfFamilies(state, 'after PostgreSQL\'s crash');
    let rotated = 0;
    for (const chain of chains) {
      for (const token of chain.access) {
        assert.equal((await api(base, '/v1/PhoneChat/MadeBookings', token)).status, 200, 'an answered access token works');
      }
      if (!chain.refresh.length) continue;
      const newest = state.refresh.get(sha256Hex(chain.refresh.at(-1)));
      assert.ok(newest && !yes(newest.revoked), 'the newest answered refresh token is stored and live');
      const r = await tokenRequest(base, { grant_type: 'refresh_token', refresh_token: chain.refresh.at(-1), client_id: project.clientId });
      if (chain.pending === 'rotate' && yes(newest.rotated)) {
        assert.equal(r.status, 400, `a token rotated by a cut-off rotation is refused: ${describeToken(r)}`);
      } else {
        assert.ok(!yes(newest.rotated), 'the newest answered refresh token is not rotated');
        assert.equal(r.status, 200, `the newest answered refresh token rotates: ${describeToken(r)}`);
        rotated++;
      }
    }
    t.diagnostic(`${families} token families, none half written; ${rotated} chains rotated again`);
  });
});
