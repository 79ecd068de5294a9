// PostgreSQL: a request waiting for the database never holds its serving thread. With one serving thread, a list
// stuck behind a lock on `bookings` (taken by another client in an open transaction) leaves the thread to other
// requests, which complete meanwhile; more requests than the thread's session pool (--db-pool-size) wait their turn;
// a request that gets no session within --db-pool-wait is answered 503, and the server goes on serving.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { Conn, PG_URL, importRecords, psql, qs, request, requestBytes, sleep, startServer } from './harness.mjs';
import { MAIN, MODEL_NOW, NOW, ROUTE, assertJsonPage, setup } from './fixture.mjs';
import { jsonCreditsTexts, jsonPage } from './model.mjs';

const skip = !PG_URL && 'needs PHONECHAT_TEST_PG_URL';

// Resolves once `condition()` holds; throws after `timeoutMs`.
async function until(condition, what, timeoutMs = 10000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

// Takes `LOCK TABLE bookings IN ACCESS EXCLUSIVE MODE` in a transaction a psql process keeps open;
// resolves { release() } once the lock is held. release() commits and waits for psql to exit.
async function lockBookings(url) {
  const child = spawn('psql', ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-d', url], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (d) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d) => (err += d));
  const closed = new Promise((resolve) => child.on('close', resolve));
  child.stdin.write("BEGIN;\nLOCK TABLE bookings IN ACCESS EXCLUSIVE MODE;\nSELECT 'locked';\n");
  try {
    await until(() => out.includes('locked') || child.exitCode !== null, 'the lock on bookings');
  } catch (e) {
    child.kill('SIGKILL');
    throw e;
  }
  if (!out.includes('locked')) throw new Error(`psql could not lock bookings: ${err}`);
  let released = false;
  return {
    async release() {
      if (released) return;
      released = true;
      child.stdin.end('COMMIT;\n');
      await closed;
    },
  };
}

// Sessions of the database waiting for a lock now.
function lockWaiters(db) {
  return +psql(db.url, ["SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"]).trim();
}

// Sends a list request on a connection of its own; resolves its response (or rejects on timeout).
function startList(port, token, params = { per: 5, page: 1 }) {
  const query = qs({ BookingsPerPage: params.per, PageNumber: params.page });
  return request(port, ROUTE + query, { token });
}

// An import (of one more user) may change every list: the servers' caches forget them, so that the next list of
// each client reads the bookings table again.
let imports = 0;
async function forgetLists(db) {
  imports += 1;
  await importRecords(db, [{ Kind: 'User', UserID: 990000 + imports, Nickname: `Filler${imports}` }]);
}

const PARAMS = { order: 'date-desc', per: 5, page: 1 };
function assertMainPage(env, res, context) {
  assertJsonPage(res, jsonPage(env.fx, MAIN, PARAMS, MODEL_NOW), jsonCreditsTexts(env.fx, MAIN, PARAMS), context);
}

describe('PostgreSQL with one serving thread', { skip }, () => {
  let env;
  before(async () => {
    env = await setup({ serverOptions: { threads: 1, extraArgs: ['--db-pool-size', '2', '--db-pool-wait', '10'] } });
  });
  after(async () => {
    if (env) await env.stop();
  });

  test('a list waiting on a locked bookings table does not hold the thread: other requests complete meanwhile', async () => {
    await forgetLists(env.db);
    const lock = await lockBookings(env.db.url);
    let listDone = false;
    let list;
    try {
      list = startList(env.port, env.tokens[MAIN]).then((res) => {
        listDone = true;
        return res;
      });
      await until(() => lockWaiters(env.db) >= 1, 'the list to wait on the lock');

      const started = Date.now();
      const unknown = await request(env.port, ROUTE, { token: 'an-unknown-token-0000000000000000000000000' });
      assert.equal(unknown.status, 401, unknown.describe());
      const verified = await request(env.port, '/v1/Account/VerifyCredentials', { token: env.tokens[MAIN] });
      assert.equal(verified.status, 200, verified.describe());
      assert.ok(Date.now() - started < 3000, `answered in ${Date.now() - started} ms`);
      assert.equal(listDone, false, 'the list was still waiting for the lock');
      assert.equal(lockWaiters(env.db), 1);
    } finally {
      await lock.release();
    }
    assertMainPage(env, await list, 'the list once the lock is released');
  });

  test('more requests at once than the pool has sessions all complete, in turn', async () => {
    await forgetLists(env.db);
    const lock = await lockBookings(env.db.url);
    let lists;
    try {
      lists = Array.from({ length: 7 }, () => startList(env.port, env.tokens[MAIN]));
      // Two hold the thread's two sessions, waiting on the lock; the other five wait for a session.
      await until(() => lockWaiters(env.db) >= 2, 'two lists to wait on the lock');
      await sleep(200);
      assert.equal(lockWaiters(env.db), 2, 'no more than the pool size reach the database');
      const free = await request(env.port, '/v1/NoSuchRoute');
      assert.equal(free.status, 404, 'requests that need no session are answered meanwhile');
    } finally {
      await lock.release();
    }
    const answers = await Promise.all(lists);
    answers.forEach((res, i) => assertMainPage(env, res, `list ${i}`));
  });

  test('keep-alive connections interleave: a fast request on one is answered while a slow one waits on another', async () => {
    await forgetLists(env.db);
    const slow = await Conn.open(env.port);
    const fast = await Conn.open(env.port);
    const lock = await lockBookings(env.db.url);
    try {
      await slow.write(requestBytes('GET', `${ROUTE}?BookingsPerPage=5`, [['Authorization', `Bearer ${env.tokens[MAIN]}`]]));
      await until(() => lockWaiters(env.db) >= 1, 'the list to wait on the lock');
      for (let i = 0; i < 3; i++) {
        await fast.write(requestBytes('GET', '/v1/Account/VerifyCredentials', [['Authorization', `Bearer ${env.tokens[MAIN]}`]]));
        assert.equal((await fast.readResponse({ timeoutMs: 3000 })).status, 200);
      }
    } finally {
      await lock.release();
    }
    try {
      assertMainPage(env, await slow.readResponse(), 'the slow list');
    } finally {
      slow.destroy();
      fast.destroy();
    }
  });
});

describe('PostgreSQL session pool exhausted', { skip }, () => {
  let env;
  let srv;
  before(async () => {
    env = await setup();
    srv = await startServer(env.db, { now: NOW, threads: 1, extraArgs: ['--db-pool-size', '1', '--db-pool-wait', '0.3'] });
  });
  after(async () => {
    if (srv) await srv.stop();
    if (env) await env.stop();
  });

  test('a request that gets no session within --db-pool-wait is answered 503; the one holding it still completes', async () => {
    const lock = await lockBookings(env.db.url);
    let held;
    try {
      held = startList(srv.port, env.tokens[MAIN]);
      await until(() => lockWaiters(env.db) >= 1, 'the list to hold the only session');
      const started = Date.now();
      const refused = await request(srv.port, ROUTE, { token: env.tokens[MAIN] });
      const waited = Date.now() - started;
      assert.equal(refused.status, 503, refused.describe());
      assert.ok(waited >= 250, `answered after ${waited} ms, before the pool's wait was over`);
      assert.ok(waited < 3000, `answered after ${waited} ms`);
      assert.equal((await request(srv.port, '/v1/NoSuchRoute')).status, 404, 'the thread still serves');
    } finally {
      await lock.release();
    }
    assertMainPage(env, await held, 'the list that held the session');
    const after = await startList(srv.port, env.tokens[MAIN]);
    assertMainPage(env, after, 'the next list, once the session is free');
  });
});
