// The Idempotency-Key header on the POST routes (spec §2 "Idempotency"): a replay is byte-identical plus
// `Idempotent-Replayed: true` and changes nothing; another body is a 422; keys are per user; answers before the work
// (400) are not stored; 404 and 409 are; concurrent requests with one key make one effect.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { dbRows } from './harness.mjs';
import {
  CAND, CLIENT, CLIENT2, CLIENT4, at, balanceText, booking, e4, e4Text, expect400, expectError, expectStatus, get, ledgerRows,
  post, setupLifecycle,
} from './lifecycle-fixture.mjs';

const B = {
  confirmRace: booking(601, { client: CLIENT4, status: 'Accepted', acceptBy: at(1), session: at(2), credits: '17.5' }),
  confirm409: booking(602, { status: 'Pending', acceptBy: at(1), session: at(2) }),
  validationLater: booking(603, { status: 'Accepted', acceptBy: at(1), session: at(2) }),
};

let env;
before(async () => {
  env = await setupLifecycle({ bookings: Object.values(B) });
});
after(async () => { if (env) await env.stop(); });

const createBody = (extra = {}) => ({ BookUserID: CAND, SessionDate: at(4).slice(0, 16), AcceptBy: at(3).slice(0, 16), Duration: 20,
  Method: 2, Credits: '10', Comments: 'idempotent', ...extra });
const countBookings = (uid) => dbRows(env.db, `SELECT count(*) AS n FROM bookings WHERE client_user_id = ${uid}`)[0].n;
const contentHeaders = (res) => Object.fromEntries(Object.entries(res.headers).filter(([k]) => /^content-/.test(k)));

describe('replays', () => {
  test('CreateBooking twice with one key and the same body: one booking; the second answer byte-identical + Idempotent-Replayed', async () => {
    const n0 = countBookings(CLIENT);
    const first = await post(env, CLIENT, 'CreateBooking', createBody(), { key: 'create-1' });
    expectStatus(first, 200);
    assert.equal(first.headers['idempotent-replayed'], undefined);
    // the same body with other member order and white space
    const reordered = JSON.stringify(Object.fromEntries(Object.entries(createBody()).reverse()), null, 2);
    const second = await post(env, CLIENT, 'CreateBooking', reordered, { key: 'create-1' });
    assert.equal(second.status, 200, second.describe());
    assert.equal(second.text, first.text, 'byte-identical body');
    assert.deepStrictEqual(contentHeaders(second), contentHeaders(first));
    assert.equal(second.headers['idempotent-replayed'], 'true');
    assert.equal(countBookings(CLIENT), n0 + 1, 'one booking');
    const xml = await post(env, CLIENT, 'CreateBooking', createBody(), { key: 'create-1', accept: 'application/xml' });
    assert.equal(xml.text, first.text, 'the stored answer, whatever the Accept');
  });
  test('same key, different body -> 422 naming the key; another user with the same key gets its own booking', async () => {
    const res = await post(env, CLIENT, 'CreateBooking', createBody({ Credits: '11' }), { key: 'create-1' });
    expectError(res, 422, /create-1/);
    const n2 = countBookings(CLIENT2);
    const other = await post(env, CLIENT2, 'CreateBooking', createBody(), { key: 'create-1' });
    const b = expectStatus(other, 200);
    assert.equal(other.headers['idempotent-replayed'], undefined);
    assert.equal(countBookings(CLIENT2), n2 + 1);
    const mine = JSON.parse((await post(env, CLIENT, 'CreateBooking', createBody(), { key: 'create-1' })).text);
    assert.notEqual(b.BookingID, mine.BookingID);
  });
  test('the same key on another route is another key', async () => {
    const res = await post(env, CLIENT, 'ConfirmMadeBooking', { BookingID: 999999 }, { key: 'create-1' });
    expectError(res, 404, /999999/);
  });
  test('a 400 is not stored: the fixed body with the same key -> 200', async () => {
    const n0 = countBookings(CLIENT);
    expect400(await post(env, CLIENT, 'CreateBooking', createBody({ Duration: 4 }), { key: 'fix-me' }), ['Duration']);
    const ok = await post(env, CLIENT, 'CreateBooking', createBody(), { key: 'fix-me' });
    expectStatus(ok, 200);
    assert.equal(ok.headers['idempotent-replayed'], undefined);
    assert.equal(countBookings(CLIENT), n0 + 1);
  });
  test('a 409 is stored and replayed even after the state changed; a new key tries again', async () => {
    const first = await post(env, CLIENT, 'ConfirmMadeBooking', { BookingID: B.confirm409.BookingID }, { key: 'c409' });
    expectError(first, 409, /Pending/);
    expectStatus(await post(env, CAND, 'AcceptReceivedBooking', { BookingID: B.confirm409.BookingID, Credits: 20 }), 200);
    const replay = await post(env, CLIENT, 'ConfirmMadeBooking', { BookingID: B.confirm409.BookingID }, { key: 'c409' });
    assert.equal(replay.status, 409);
    assert.equal(replay.text, first.text);
    assert.equal(replay.headers['idempotent-replayed'], 'true');
    expectStatus(await post(env, CLIENT, 'ConfirmMadeBooking', { BookingID: B.confirm409.BookingID }, { key: 'c409-b' }), 200);
  });
  test('a malformed key -> 400 naming the header; a non-object body with a key -> 400 body, not stored', async () => {
    for (const key of ['', 'a b', 'x'.repeat(256), 'naïve']) {
      const res = await post(env, CLIENT, 'ConfirmMadeBooking', { BookingID: 1 }, { key });
      if (key === '') assert.ok(res.status === 400 || res.status === 404, res.describe()); // an empty header may count as absent
      else expect400(res, ['Idempotency-Key'], JSON.stringify(key));
    }
    expectStatus(await post(env, CLIENT, 'ConfirmMadeBooking', { BookingID: 1 }, { key: 'x'.repeat(255) }), 404);
    expect400(await post(env, CLIENT, 'ConfirmMadeBooking', '[1]', { key: 'arr' }), ['body']);
    expectError(await post(env, CLIENT, 'ConfirmMadeBooking', { BookingID: 999998 }, { key: 'arr' }), 404, /999998/);
  });
  test('a stored answer is replayed before validation', async () => {
    // the first request is valid; the replay of the same body is answered from the store whatever validation says now
    const body = { BookingID: B.validationLater.BookingID };
    const first = await post(env, CLIENT, 'ConfirmMadeBooking', body, { key: 'v-later' });
    expectStatus(first, 200);
    const replay = await post(env, CLIENT, 'ConfirmMadeBooking', body, { key: 'v-later' });
    assert.equal(replay.text, first.text);
    assert.equal(replay.headers['idempotent-replayed'], 'true');
    // a different, invalid body with the same key is a 422, not a 400
    expectError(await post(env, CLIENT, 'ConfirmMadeBooking', { BookingID: 'x' }, { key: 'v-later' }), 422, /v-later/);
    assert.deepStrictEqual(ledgerRows(env.db, B.validationLater.BookingID).map((r) => r.kind), ['Payment'], 'one Payment');
  });
});

describe('concurrency', () => {
  test('20 concurrent Confirms with one key: one Payment; every answer is the first one\'s or the in-progress 409', async () => {
    const before = e4(await balanceText(env, CLIENT4));
    const body = { BookingID: B.confirmRace.BookingID };
    const answers = await Promise.all(Array.from({ length: 20 }, () => post(env, CLIENT4, 'ConfirmMadeBooking', body, { key: 'race-key' })));
    const ok = answers.filter((r) => r.status === 200);
    assert.ok(ok.length >= 1, answers.map((r) => r.status).join(','));
    for (const r of answers) {
      if (r.status === 200) assert.equal(r.text, ok[0].text, 'every 200 is the first one\'s answer');
      else {
        assert.equal(r.status, 409, r.describe());
        assert.equal(r.json().Message, 'A request with this Idempotency-Key is in progress.');
      }
    }
    assert.equal(ok.filter((r) => r.headers['idempotent-replayed'] === undefined).length, 1, 'exactly one ran');
    assert.deepStrictEqual(ledgerRows(env.db, B.confirmRace.BookingID).map((r) => r.kind), ['Payment']);
    assert.equal(await balanceText(env, CLIENT4), e4Text(before - e4(B.confirmRace.Credits)));
    const keys = dbRows(env.db, `SELECT count(*) AS n FROM idempotency_keys WHERE key = 'race-key'`)[0].n;
    assert.equal(keys, 1);
    assert.equal(expectStatus(await get(env, CLIENT4, `MadeBookingDetails?BookingID=${B.confirmRace.BookingID}`), 200).Status, 'Confirmed');
  });
});
