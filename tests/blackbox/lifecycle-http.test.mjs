// The life-cycle routes as HTTP resources (spec §1-§3, §10's first five cases): authentication and scopes, methods,
// group variants, media types, and the request-body binding rules every POST route shares.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Conn, mintToken, request, requestBytes } from './harness.mjs';
import {
  BALANCE, CAND, CLIENT, CLIENT_ID, GPC, PC, at, booking, expect400, expectStatus, post, setupLifecycle,
} from './lifecycle-fixture.mjs';

const GETS = ['GetUserBookingRequirements', 'MadeBookingDetails', 'ReceivedBookings', 'ReceivedBookingDetails', 'GetSettings'];
const POSTS = ['CreateBooking', 'ConfirmMadeBooking', 'CancelMadeBooking', 'RescheduleMadeBooking', 'DeleteMadeBookings',
  'AcceptReceivedBooking', 'RejectReceivedBooking', 'CancelReceivedBooking', 'ReInvite', 'DeleteReceivedBooking',
  'DeleteReceivedBookings', 'SaveSettings'];
const GROUP_GETS = ['MadeBookingDetails', 'ReceivedBookings', 'ReceivedBookingDetails', 'GetSettings'];
const NO_GROUP = ['CreateBooking', 'GetUserBookingRequirements', 'ConfirmMadeBooking', 'CancelMadeBooking',
  'RescheduleMadeBooking', 'DeleteMadeBookings', 'AcceptReceivedBooking', 'RejectReceivedBooking', 'CancelReceivedBooking',
  'ReInvite', 'DeleteReceivedBooking'];

let env;
let noScope;
let bookingsOnly;
before(async () => {
  env = await setupLifecycle({ bookings: [booking(1, { status: 'Pending', acceptBy: at(1), session: at(2) })] });
  noScope = await mintToken(env.db, { user: CLIENT, clientId: CLIENT_ID, scope: 'account_profile account_credits_history' });
  bookingsOnly = await mintToken(env.db, { user: CLIENT, clientId: CLIENT_ID, scope: 'account_phonechat_bookings' });
});
after(async () => { if (env) await env.stop(); });

const call = (route, opts) => request(env.port, route, opts);

describe('authentication and scope', () => {
  test('every new route: no token 401; a token without account_phonechat_bookings 403 naming it', async () => {
    for (const r of GETS) {
      assert.equal((await call(`${PC}/${r}`)).status, 401, r);
      const res = await call(`${PC}/${r}`, { token: noScope });
      assert.equal(res.status, 403, `${r}: ${res.describe()}`);
      assert.match(res.json().Message, /account_phonechat_bookings/, r);
      assert.match(res.headers['www-authenticate'] || '', /insufficient_scope/, r);
    }
    for (const r of POSTS) {
      const opts = { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"BookingID":1}' };
      assert.equal((await call(`${PC}/${r}`, opts)).status, 401, r);
      const res = await call(`${PC}/${r}`, { ...opts, token: noScope });
      assert.equal(res.status, 403, `${r}: ${res.describe()}`);
      assert.match(res.json().Message, /account_phonechat_bookings/, r);
    }
  });
  test('the balance: no token 401; a PhoneChat token without account_credits_history 403 naming it', async () => {
    assert.equal((await call(BALANCE)).status, 401);
    const res = await call(BALANCE, { token: bookingsOnly });
    assert.equal(res.status, 403, res.describe());
    assert.match(res.json().Message, /account_credits_history/);
    const ok = await call(BALANCE, { token: noScope }); // the credits scope alone is enough
    assert.equal(ok.status, 200, ok.describe());
  });
});

describe('methods and group variants', () => {
  test('GET on a POST route and POST on a GET route: 405 with Allow', async () => {
    for (const r of POSTS) {
      const res = await call(`${PC}/${r}`, { token: env.tokens[CLIENT] });
      assert.equal(res.status, 405, `GET ${r}: ${res.describe()}`);
      assert.equal(res.headers.allow, 'POST', r);
    }
    for (const r of [...GETS.map((g) => `${PC}/${g}`), BALANCE]) {
      const res = await call(r, { token: env.tokens[CLIENT], method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });
      assert.equal(res.status, 405, `POST ${r}: ${res.describe()}`);
      assert.equal(res.headers.allow, 'GET', r);
    }
  });
  test('routes without a group variant are 404 under /v1/Groups/PhoneChat', async () => {
    for (const r of NO_GROUP) {
      const res = await call(`${GPC}/${r}`, { token: env.tokens[CLIENT], method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });
      assert.equal(res.status, 404, `${r}: ${res.describe()}`);
    }
    assert.equal((await call('/v1/Groups/CreditHistory/GetCurrentCreditBalance', { token: env.tokens[CLIENT] })).status, 404);
  });
  test('the group variants exist (a missing UserID is a 400, not a 404)', async () => {
    for (const r of GROUP_GETS) {
      const res = await call(`${GPC}/${r}?BookingID=1`, { token: env.tokens[CLIENT] });
      assert.equal(res.status, 400, `${r}: ${res.describe()}`);
      assert.ok('UserID' in res.json().ModelState, r);
    }
    const save = await post(env, CLIENT, `${GPC}/SaveSettings`, {});
    expect400(save, ['UserID']);
  });
});

describe('request bodies', () => {
  test('Content-Type text/plain with a body: 415 naming the media type', async () => {
    const res = await post(env, CLIENT, 'ConfirmMadeBooking', '{"BookingID":1}', { contentType: 'text/plain' });
    assert.equal(res.status, 415, res.describe());
    assert.match(res.json().Message, /text\/plain/);
    const cs = await post(env, CLIENT, 'ConfirmMadeBooking', '{"BookingID":1}', { contentType: 'application/json; charset=iso-8859-1' });
    assert.equal(cs.status, 415, cs.describe());
    const tj = await post(env, CLIENT, 'ConfirmMadeBooking', '{"BookingID":"x"}', { contentType: 'text/json; charset=UTF-8' });
    expect400(tj, ['BookingID']);
  });
  test('an empty body names every required member at once', async () => {
    const required = {
      CreateBooking: ['BookUserID', 'SessionDate', 'Duration', 'Method', 'Credits', 'AcceptBy'],
      ConfirmMadeBooking: ['BookingID'], CancelMadeBooking: ['BookingID', 'Reason'], RescheduleMadeBooking: ['BookingID'],
      DeleteMadeBookings: ['BookingIDs'], AcceptReceivedBooking: ['BookingID', 'Credits'],
      RejectReceivedBooking: ['BookingID', 'Reason'], CancelReceivedBooking: ['BookingID', 'Reason'], ReInvite: ['BookingID'],
      DeleteReceivedBooking: ['BookingIDs'], SaveSettings: ['OfferDirectChat', 'PhoneChatPPM'],
    };
    for (const [route, keys] of Object.entries(required)) {
      for (const body of ['', '{}']) {
        const res = await post(env, CLIENT, route, body, { contentType: body ? 'application/json' : null });
        const b = expect400(res, keys, `${route} ${JSON.stringify(body)}`);
        assert.deepStrictEqual(Object.keys(b.ModelState).sort(), [...keys].sort(), `${route}: exactly the required members`);
      }
    }
  });
  test('bad JSON and a JSON array: 400 with ModelState key body', async () => {
    for (const body of ['{"BookingID":', '[{"BookingID":1}]', '"x"', '12', '{"BookingID":1} x']) {
      const b = expect400(await post(env, CLIENT, 'ConfirmMadeBooking', body), ['body'], body);
      assert.deepStrictEqual(Object.keys(b.ModelState), ['body'], body);
    }
  });
  test('member names bind in another case; unknown members are ignored', async () => {
    const res = await post(env, CAND, 'RejectReceivedBooking', { bookingid: 1, REASON: 'Busy', Unknown: [1, { a: 2 }], extra: null });
    const b = expectStatus(res, 200);
    assert.equal(b.Status, 'Rejected');
    assert.equal(b.RejectedReason, 'Busy');
  });
  test('a member twice (in any case) is a 400 naming it', async () => {
    const b = expect400(await post(env, CLIENT, 'ConfirmMadeBooking', '{"BookingID":1,"bookingId":1}'), ['BookingID']);
    assert.match(b.ModelState.BookingID.join(' '), /more than once/);
  });
  test('"12" binds as an integer; 12.5, 1e1, true, -1 do not', async () => {
    // 77 is no booking of the client's: a bound ID reaches the 404, an unbound one stops at 400.
    const bound = await post(env, CLIENT, 'ConfirmMadeBooking', { BookingID: '77' });
    assert.equal(bound.status, 404, bound.describe());
    assert.match(bound.json().Message, /No PhoneChat booking 77 was found among your made bookings\./);
    for (const raw of ['12.5', '1e1', 'true', '-1', '"12a"', '""']) {
      expect400(await post(env, CLIENT, 'ConfirmMadeBooking', `{"BookingID":${raw}}`), ['BookingID'], raw);
    }
  });
  test('Credits with 5 significant fraction digits is a 400; trailing zeros do not count', async () => {
    expect400(await post(env, CAND, 'AcceptReceivedBooking', { BookingID: 77, Credits: '10.00001' }), ['Credits']);
    expect400(await post(env, CAND, 'AcceptReceivedBooking', '{"BookingID":77,"Credits":10.00001}'), ['Credits']);
    for (const c of ['10.50000', '"10.50000"', '"-1"', '"1e2"']) {
      const res = await post(env, CAND, 'AcceptReceivedBooking', `{"BookingID":77,"Credits":${c}}`);
      if (c.includes('-') || c.includes('e')) expect400(res, ['Credits'], c);
      else assert.equal(res.status, 404, `${c}: ${res.describe()}`);
    }
  });
  test('a 65 KiB body: 413', async () => {
    const big = JSON.stringify({ BookingID: 1, Reason: 'x'.repeat(65 * 1024) });
    const conn = await Conn.open(env.port);
    try {
      await conn.write(requestBytes('POST', `${PC}/CancelMadeBooking`, { Authorization: `Bearer ${env.tokens[CLIENT]}`,
        'Content-Type': 'application/json' }, big));
      const res = await conn.readResponse();
      assert.equal(res.status, 413, res.describe());
    } finally {
      conn.destroy();
    }
  });
  test('query parameters sent to a POST route are ignored', async () => {
    const res = await request(env.port, `${PC}/ConfirmMadeBooking?BookingID=abc`, { method: 'POST', token: env.tokens[CLIENT],
      headers: { 'Content-Type': 'application/json' }, body: '{"BookingID":78}' });
    assert.equal(res.status, 404, res.describe());
  });
});
