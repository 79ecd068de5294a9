// Concurrency over real connections (spec §5 "Atomicity", §5a, §6 "Exactly once"): racing Confirms of one booking,
// racing Confirms that together exceed the balance, Accept against CancelMadeBooking, and read-your-writes across
// serving threads (`--threads 2`) and across two server processes on one database.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { BACKEND, PG_URL, startServer } from './harness.mjs';
import {
  BALANCE, CAND, CLIENT, CLIENT2, CLIENT4, NOW, POOR, at, balanceText, booking, credit, e4, e4Text, expectStatus, get,
  ledgerInvariants, ledgerRows, ledgerVerify, post, setupLifecycle,
} from './lifecycle-fixture.mjs';

const RACE_PAIRS = 6;
const B = {
  twenty: booking(701, { client: CLIENT4, status: 'Accepted', acceptBy: at(1), session: at(2), credits: '33.3333' }),
  // POOR has 5 credits: each of these fits, both do not.
  sumA: booking(702, { client: POOR, status: 'Accepted', acceptBy: at(1), session: at(2), credits: '3' }),
  sumB: booking(703, { client: POOR, status: 'Accepted', acceptBy: at(1), session: at(2), credits: '2.5' }),
};
const pairs = Array.from({ length: RACE_PAIRS }, (_, i) => booking(710 + i, { client: CLIENT2, status: 'Pending', acceptBy: at(1), session: at(2) }));

// Each race with group commit (the default: the racers may share one transaction, each in its savepoint) and
// without (each in a transaction of its own).
for (const groupCommit of [true, false]) describe(`races (--group-commit ${groupCommit})`, () => {
  let env;
  before(async () => {
    env = await setupLifecycle({ bookings: [...Object.values(B), ...pairs], threads: 4,
      extraArgs: ['--group-commit', String(groupCommit)] });
  });
  after(async () => { if (env) await env.stop(); });

  test('20 concurrent Confirms of one booking: exactly one 200, the rest 409, one Payment', async () => {
    const before = e4(await balanceText(env, CLIENT4));
    const answers = await Promise.all(Array.from({ length: 20 }, () => post(env, CLIENT4, 'ConfirmMadeBooking', { BookingID: B.twenty.BookingID })));
    const statuses = answers.map((r) => r.status);
    assert.equal(statuses.filter((s) => s === 200).length, 1, statuses.join(','));
    assert.equal(statuses.filter((s) => s === 409).length, 19, statuses.join(','));
    for (const r of answers.filter((x) => x.status === 409)) assert.match(r.json().Message, /its status is Confirmed; it must be Accepted/);
    assert.deepStrictEqual(ledgerRows(env.db, B.twenty.BookingID).map((r) => r.kind), ['Payment']);
    assert.equal(await balanceText(env, CLIENT4), e4Text(before - e4(B.twenty.Credits)));
  });
  test('concurrent Confirms of two bookings whose sum exceeds the balance: one 200, one 409, balance >= 0', async () => {
    const before = e4(await balanceText(env, POOR));
    assert.ok(e4(B.sumA.Credits) <= before && e4(B.sumB.Credits) <= before && e4(B.sumA.Credits) + e4(B.sumB.Credits) > before);
    const [a, b] = await Promise.all([B.sumA, B.sumB].map((x) => post(env, POOR, 'ConfirmMadeBooking', { BookingID: x.BookingID })));
    assert.deepStrictEqual([a.status, b.status].sort(), [200, 409], `${a.describe()}\n${b.describe()}`);
    const [won, lost] = a.status === 200 ? [B.sumA, B.sumB] : [B.sumB, B.sumA];
    const lostRes = a.status === 200 ? b : a;
    const left = before - e4(won.Credits);
    assert.match(lostRes.json().Message, new RegExp(`${e4Text(e4(lost.Credits)).replace('.', '\\.')}.*${e4Text(left).replace('.', '\\.')}`));
    assert.equal(await balanceText(env, POOR), e4Text(left));
    assert.ok(left >= 0n);
    assert.deepStrictEqual(ledgerRows(env.db, lost.BookingID), []);
    ledgerInvariants(env.db);
  });
  test('Accept against CancelMadeBooking: the responses agree with the stored final state', async () => {
    for (const p of pairs) {
      const [acc, can] = await Promise.all([
        post(env, CAND, 'AcceptReceivedBooking', { BookingID: p.BookingID, Credits: '21' }),
        post(env, CLIENT2, 'CancelMadeBooking', { BookingID: p.BookingID, Reason: 'Race' }),
      ]);
      const final = expectStatus(await get(env, CLIENT2, `MadeBookingDetails?BookingID=${p.BookingID}`), 200);
      const ctx = `${p.BookingID}: accept ${acc.status} cancel ${can.status}`;
      assert.equal(can.status, 200, `a client may cancel Pending or Accepted: ${ctx} ${can.text}`);
      assert.equal(final.Status, 'Cancelled', ctx);
      assert.equal(can.json().Status, 'Cancelled');
      if (acc.status === 200) {
        // Accept went first: its answer shows Accepted, and the cancel cancelled an Accepted booking.
        assert.equal(acc.json().Status, 'Accepted', ctx);
        assert.equal(final.Credits, 21, ctx);
        assert.notEqual(final.AcceptedDate, null, ctx);
      } else {
        assert.equal(acc.status, 409, ctx);
        assert.match(acc.json().Message, /its status is Cancelled/, ctx);
        assert.equal(final.AcceptedDate, null, ctx);
        assert.equal(final.Credits, Number(p.Credits), ctx);
      }
      assert.deepStrictEqual(ledgerRows(env.db, p.BookingID), []);
    }
    const v = await ledgerVerify(env.db);
    assert.equal(v.code, 0, v.stderr);
  });
});

// Read-your-writes: after a 200, the very next list/details of both parties and the next balance show it.
async function readYourWrites(write, read, label) {
  for (let i = 0; i < 8; i++) {
    const created = await post(write, CLIENT, 'CreateBooking', { BookUserID: CAND, SessionDate: at(5).slice(0, 16),
      AcceptBy: at(4).slice(0, 16), Duration: 30, Method: 2, Credits: '15', Comments: `ryw ${label} ${i}` });
    const b = expectStatus(created, 200, label);
    // Two processes started at --now NOW at different moments have clocks a little apart: look the booking up by ID.
    const made = expectStatus(await get(read, CLIENT, 'MadeBookings?BookingsPerPage=100'), 200);
    assert.ok(made.Bookings.some((x) => x.BookingID === b.BookingID), `${label} #${i}: in the client's next list`);
    const recv = expectStatus(await get(read, CAND, 'ReceivedBookings?BookingsPerPage=100'), 200);
    assert.ok(recv.Bookings.some((x) => x.BookingID === b.BookingID), `${label} #${i}: in the candidate's next list`);
    expectStatus(await get(read, CLIENT, `MadeBookingDetails?BookingID=${b.BookingID}`), 200, `${label} details (client)`);
    expectStatus(await get(read, CAND, `ReceivedBookingDetails?BookingID=${b.BookingID}`), 200, `${label} details (candidate)`);
    // the candidate accepts, the client confirms: the next balance shows the Payment
    const accepted = expectStatus(await post(write, CAND, 'AcceptReceivedBooking', { BookingID: b.BookingID, Credits: '15' }), 200);
    const listed = expectStatus(await get(read, CLIENT, 'MadeBookings?BookingsPerPage=100'), 200).Bookings.find((x) => x.BookingID === b.BookingID);
    assert.equal(listed.Status, accepted.Status, `${label} #${i}: the Accept in the client's next list`);
    assert.equal(listed.ActionClient, 'You need to confirm the booking');
    const before = e4((await get(read, CLIENT, BALANCE)).text);
    expectStatus(await post(write, CLIENT, 'ConfirmMadeBooking', { BookingID: b.BookingID }), 200);
    assert.equal((await get(read, CLIENT, BALANCE)).text, e4Text(before - e4('15')), `${label} #${i}: the Confirm in the next balance`);
    const recv2 = expectStatus(await get(read, CAND, 'ReceivedBookings?BookingsPerPage=100'), 200);
    assert.equal(recv2.Bookings.find((x) => x.BookingID === b.BookingID).Status, 'Confirmed', `${label} #${i}: the Confirm in the candidate's next list`);
  }
}

describe('read your writes', () => {
  let two;
  before(async () => {
    two = await setupLifecycle({ threads: 2, credits: [credit(CLIENT, '1000')] });
  });
  after(async () => { if (two) await two.stop(); });
  test('with --threads 2: a Create shows in the very next list and details of both parties; a Confirm in the next balance', async () => {
    // Fill both threads' caches first.
    for (let i = 0; i < 4; i++) {
      await get(two, CLIENT, 'MadeBookings?BookingsPerPage=5');
      await get(two, CAND, 'ReceivedBookings?BookingsPerPage=5');
    }
    await readYourWrites(two, two, 'threads');
  });
  test(`two server processes on one ${BACKEND} database: writes on one are read on the other`, { skip: PG_URL ? false : 'runs with PHONECHAT_TEST_PG_URL (the spec also asks it of SQLite: see the next test)' }, async () => {
    const other = await startServer(two.db, { now: NOW, threads: 2, extraArgs: ['--sweep-interval', '3600'] });
    try {
      const nodeB = { ...two, port: other.port };
      for (let i = 0; i < 3; i++) await get(nodeB, CLIENT, 'MadeBookings?BookingsPerPage=5');
      await readYourWrites(two, nodeB, 'A->B');
      await readYourWrites(nodeB, two, 'B->A');
    } finally {
      await other.stop();
    }
  });
  test('two server processes on one SQLite file: writes on one are read on the other', { skip: PG_URL ? 'SQLite only' : false }, async () => {
    const other = await startServer(two.db, { now: NOW, threads: 2, extraArgs: ['--sweep-interval', '3600'] });
    try {
      const nodeB = { ...two, port: other.port };
      for (let i = 0; i < 3; i++) await get(nodeB, CLIENT, 'MadeBookings?BookingsPerPage=5');
      await readYourWrites(two, nodeB, 'A->B');
    } finally {
      await other.stop();
    }
  });
});
