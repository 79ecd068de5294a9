// Crash safety of Confirm (docs/lifecycle.md, "Atomicity and durability"): the server is killed with SIGKILL while
// many Confirms run over concurrent keep-alive connections, three times on one database, each time at another
// moment. After every kill `ledger verify` passes on the database as the crash left it, and again, with the same
// figures, once a restarted server has answered every read below. On the restarted server every Confirm that was
// answered 200 reads Confirmed exactly as answered, every Confirm answered with an error left its booking Accepted, no
// booking is anything but Accepted or Confirmed, each Confirmed booking has exactly one Payment and an Accepted one
// none, and the client's balance is the opening credit less the Credits of the Confirmed bookings.
// A kill is a crash of the process alone: what it wrote is kept by the operating system, so this checks that an answer
// follows its commit and that a transaction is all or nothing, not that the commit reached the disk.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { BACKEND, Conn, dbRows, requestBytes, startServer } from './harness.mjs';
import { quiesceDb } from './fixture.mjs';
import {
  CAND, CAND2, CLIENT, NOW, PC, at, balanceText, booking, credit, e4, e4Text, ledgerInvariants, ledgerVerify, setupLifecycle,
} from './lifecycle-fixture.mjs';

const BOOKINGS = 480;
const CONNECTIONS = 48;
const OPENING = '100000';
const FIRST_ID = 9001;
// Credits from 1 to 10 with four fraction digits, different for neighbouring bookings: a lost or doubled Payment
// shows in the balance and in escrow.
const credits = (i) => e4Text(10000n + BigInt((i * 7919) % 90000));
const BOOKED = Array.from({ length: BOOKINGS }, (_, i) => booking(FIRST_ID + i, {
  client: CLIENT, cand: i % 2 ? CAND : CAND2, status: 'Accepted', acceptBy: at(1), session: at(2), credits: credits(i),
}));
const CREDITS = new Map(BOOKED.map((b) => [b.BookingID, e4(b.Credits)]));
// When each round kills the server: after this many answered 200s, early, midway and late (drawn anew on every run).
const KILL_AFTER = [1 + Math.floor(Math.random() * 4), 20 + Math.floor(Math.random() * 40), 100 + Math.floor(Math.random() * 60)];

const SERVE = { now: NOW, threads: 4, extraArgs: ['--sweep-interval', '3600'] };

// Runs `work(conn, job)` for every job over `n` keep-alive connections; a connection the server closed is reopened
// for the next job. `work` returns false to stop its connection's worker.
async function overConnections(port, jobs, n, work) {
  const queue = [...jobs];
  await Promise.all(Array.from({ length: n }, async () => {
    let conn = null;
    try {
      while (queue.length) {
        if (!conn || conn.closed) {
          conn?.destroy();
          try {
            conn = await Conn.open(port);
          } catch {
            return; // the server is gone
          }
        }
        if ((await work(conn, queue.shift())) === false) return;
      }
    } finally {
      conn?.destroy();
    }
  }));
}

// One request on a keep-alive connection: the response, or null when the connection failed before a whole one came.
// `sent` is called once the request is written.
async function exchange(conn, method, target, token, body, sent = () => {}) {
  const headers = { Authorization: `Bearer ${token}` };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (!(await conn.write(requestBytes(method, target, headers, body)))) return null;
  sent();
  try {
    return await conn.readResponse({ timeoutMs: 20000 });
  } catch {
    conn.destroy();
    return null;
  }
}

// Confirms `ids` over CONNECTIONS connections and, once `killAfter` Confirms have been answered 200, kills the server
// with SIGKILL as soon as the next Confirm is sent: with group commit a whole batch is answered at once, and a kill
// at its answers would find nothing in flight. Returns { ok: Map(id -> answered MadeBooking), refused: Map(id ->
// response), unanswered, sent }.
async function confirmUntilKilled(srv, token, ids, killAfter) {
  const ok = new Map();
  const refused = new Map();
  let unanswered = 0;
  let sent = 0;
  let killed = false;
  let armed = false;
  const kill = () => {
    if (killed) return;
    killed = true;
    srv.proc.kill('SIGKILL');
  };
  await overConnections(srv.port, ids, CONNECTIONS, async (conn, id) => {
    if (killed) return false;
    sent++;
    const res = await exchange(conn, 'POST', `${PC}/ConfirmMadeBooking`, token, JSON.stringify({ BookingID: id }),
      () => { if (armed) kill(); });
    if (!res) {
      unanswered++;
      return !killed;
    }
    if (res.status === 200) {
      const body = res.json();
      assert.equal(body.BookingID, id, res.describe());
      assert.equal(body.Status, 'Confirmed', res.describe());
      ok.set(id, body);
      if (ok.size >= killAfter) armed = true;
    } else {
      refused.set(id, res);
    }
    return !killed;
  });
  kill(); // every Confirm was answered before the count was reached: the kill then hits an idle server
  const { signal } = await srv.exited;
  assert.equal(signal, 'SIGKILL', `the server died of the kill: ${srv.stderr()}`);
  return { ok, refused, unanswered, sent };
}

// Every booking's MadeBookingDetails through the restarted server: Map(id -> MadeBooking).
async function readAll(port, token) {
  const seen = new Map();
  await overConnections(port, BOOKED.map((b) => b.BookingID), 16, async (conn, id) => {
    let res = await exchange(conn, 'GET', `${PC}/MadeBookingDetails?BookingID=${id}`, token);
    if (!res) { // the server closed an idle keep-alive connection: once more on a new one
      const fresh = await Conn.open(port);
      try {
        res = await exchange(fresh, 'GET', `${PC}/MadeBookingDetails?BookingID=${id}`, token);
      } finally {
        fresh.destroy();
      }
    }
    assert.ok(res, `details of ${id}: no answer`);
    assert.equal(res.status, 200, `details of ${id}: ${res.describe()}`);
    seen.set(id, res.json());
  });
  return seen;
}

describe('kill -9 during Confirms', () => {
  let env;
  after(async () => { if (env) await env.stop(); });

  test(`three kills while ${CONNECTIONS} connections confirm: no answered 200 lost, the ledger balanced on ${BACKEND}`, async (t) => {
    env = await setupLifecycle({ bookings: BOOKED, credits: [credit(CLIENT, OPENING)], threads: SERVE.threads });
    const token = env.tokens[CLIENT];
    const answered = new Map(); // id -> the MadeBooking a 200 answered, over all rounds
    let confirmed = new Set();
    for (const [round, killAfter] of KILL_AFTER.entries()) {
      const label = `round ${round + 1} (kill after ${killAfter} 200s)`;
      const pending = BOOKED.map((b) => b.BookingID).filter((id) => !confirmed.has(id));
      const run = await confirmUntilKilled(env.srv, token, pending, killAfter);
      t.diagnostic(`${label}: ${run.sent} Confirms sent, ${run.ok.size} answered 200, ${run.refused.size} refused, ` +
        `${run.unanswered} cut off by the kill`);
      assert.ok(run.ok.size >= killAfter, `${label}: the kill came after ${run.ok.size} 200s`);
      assert.ok(run.unanswered > 0, `${label}: the kill cut off Confirms in flight`);
      for (const [id, body] of run.ok) answered.set(id, body);
      await quiesceDb(env.db); // PostgreSQL: no transaction of the killed server is still committing

      // The database as the crash left it.
      const v = await ledgerVerify(env.db);
      assert.equal(v.code, 0, `${label}: ledger verify: ${v.stderr}`);
      ledgerInvariants(env.db);

      // A new server on the same database: what the API says.
      env.srv = await startServer(env.db, SERVE);
      env.port = env.srv.port;
      const seen = await readAll(env.port, token);
      confirmed = new Set();
      for (const [id, b] of seen) {
        assert.ok(b.Status === 'Accepted' || b.Status === 'Confirmed', `${label}: booking ${id} is ${b.Status}`);
        if (b.Status === 'Confirmed') confirmed.add(id);
        else assert.equal(b.ConfirmedDate, null, `${label}: booking ${id} is Accepted with a ConfirmedDate`);
      }
      t.diagnostic(`${label}: after the restart ${confirmed.size} bookings are Confirmed, ${answered.size} of them answered 200`);
      for (const [id, body] of answered) assert.deepStrictEqual(seen.get(id), body, `${label}: booking ${id} was answered 200`);
      for (const [id, res] of run.refused) assert.equal(seen.get(id).Status, 'Accepted', `${label}: booking ${id} was refused: ${res.describe()}`);

      // The ledger: one Payment per Confirmed booking, of its Credits, and none for the others.
      const payments = dbRows(env.db, `SELECT booking_id, kind, from_account, to_account, amount FROM ledger_entries
        WHERE booking_id IS NOT NULL ORDER BY booking_id, entry_id`);
      const paid = new Map();
      for (const p of payments) {
        assert.equal(p.kind, 'Payment', `${label}: ${JSON.stringify(p)}`);
        assert.ok(!paid.has(p.booking_id), `${label}: a second Payment for booking ${p.booking_id}`);
        assert.deepStrictEqual([p.from_account, p.to_account, BigInt(p.amount)], [CLIENT, -1, CREDITS.get(p.booking_id)],
          `${label}: the Payment of booking ${p.booking_id}`);
        paid.set(p.booking_id, BigInt(p.amount));
      }
      assert.deepStrictEqual([...paid.keys()].sort(), [...confirmed].sort(), `${label}: the paid bookings are the Confirmed ones`);
      const spent = [...confirmed].reduce((s, id) => s + CREDITS.get(id), 0n);
      assert.match(v.stdout, new RegExp(`^ledger verified: ${1 + confirmed.size} entries, .*escrow holds ${e4Text(spent).replace('.', '\\.')} `),
        `${label}: what ledger verify counted`);

      assert.equal(await balanceText(env, CLIENT), e4Text(e4(OPENING) - spent),
        `${label}: the balance is the opening credit less the ${confirmed.size} Payments`);

      // The ledger once more, with the restarted server running: what it did on start and on these reads kept it whole.
      const restarted = await ledgerVerify(env.db);
      assert.equal(restarted.code, 0, `${label}: ledger verify after the restart: ${restarted.stderr}`);
      assert.equal(restarted.stdout, v.stdout, `${label}: the restart and the reads changed no ledger row`);
    }
    assert.ok(confirmed.size < BOOKINGS, 'some bookings were still Accepted at the last kill');
  });
});
