// GetUserBookingRequirements, CreateBooking and MadeBookingDetails (spec §8.1-§8.3 and their §10 cases).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { dbRows } from './harness.mjs';
import { jsonBooking, keyOrderDiffs } from './model.mjs';
import {
  CAND, CAND_BARE, CAND_DCONLY, CAND_NOPC, CAND_SKYPE, CLIENT, CLIENT2, CLIENT4, GPC, MADE_KEYS, MANAGER,
  MINUTE, N, NOW, NS, OUTSIDER, SPRING_GAP, UNKNOWN, XML_BOOKING_ORDER, XML_PARTY_ORDER, at, balanceText, booking,
  childNames, expect400, expectError, expectStatus, fmt, get, madeDetails, ms, post, receivedDetails, setupLifecycle, strictXml, user,
} from './lifecycle-fixture.mjs';

const B = {
  pending: booking(101, { status: 'Pending', method: 2, acceptBy: at(1), session: at(2), comments: 'Hello' }),
  received: booking(102, { client: CLIENT2, cand: CLIENT, status: 'Pending', acceptBy: at(1), session: at(2) }),
  others: booking(103, { client: CLIENT2, cand: CAND, status: 'Accepted', acceptBy: at(1), session: at(2) }),
  confirmedM3: booking(104, { status: 'Confirmed', method: 3, acceptBy: at(1), session: at(2), credits: '12.5' }),
};

let env;
before(async () => {
  env = await setupLifecycle({ bookings: Object.values(B) });
});
after(async () => { if (env) await env.stop(); });

const req = (uid, bookUser, accept) => get(env, uid, `GetUserBookingRequirements?BookUserID=${bookUser}`, { accept });
// A valid CreateBooking body for CAND (PPM 0.5): 30 minutes, 15 credits is exactly the minimum.
const body = (extra = {}) => ({ BookUserID: CAND, SessionDate: at(2).replace('T', ' ').slice(0, 16), Duration: 30, Method: 1,
  PhoneNumber: '07700 900123', Credits: '15', AcceptBy: at(1).replace('T', ' ').slice(0, 16), ...extra });
const create = (extra, uid = CLIENT, opts) => post(env, uid, 'CreateBooking', body(extra), opts);

describe('GetUserBookingRequirements', () => {
  test('unknown user 404 naming it; not offering PhoneChat or DirectChat Only 409 naming which', async () => {
    expectError(await req(CLIENT, UNKNOWN), 404, new RegExp(String(UNKNOWN)));
    expectError(await req(CLIENT, CAND_NOPC), 409, new RegExp(String(CAND_NOPC)), /does not offer PhoneChat/i);
    expectError(await req(CLIENT, CAND_DCONLY), 409, new RegExp(String(CAND_DCONLY)), /DirectChat Only/i);
  });
  test('Methods 1-3 in order; 2 needs a number, 3 a Skype name; PPM null when unset', async () => {
    const cases = [[CAND, [true, true, true]], [CAND_BARE, [true, false, false]], [CAND_SKYPE, [true, false, true]]];
    for (const [id, avail] of cases) {
      const u = user(id);
      const b = expectStatus(await req(CLIENT, id), 200, String(id));
      assert.deepStrictEqual(b, { PhoneChatPPM: u.PhoneChatPPM ? Number(u.PhoneChatPPM) : null,
        Methods: avail.map((Available, i) => ({ Method: i + 1, Available })) }, String(id));
      assert.deepStrictEqual(Object.keys(b), ['PhoneChatPPM', 'Methods']);
    }
    expectStatus(await req(CAND, CAND), 200, 'asking about oneself is a read');
  });
  test('XML: BookingRequirements with Methods then PhoneChatPPM; PhoneChatMethod with Available then Method', async () => {
    const root = strictXml(await req(CLIENT, CAND_SKYPE, 'application/xml'));
    assert.equal(root.local, 'BookingRequirements');
    assert.equal(root.ns, NS.pc);
    assert.deepStrictEqual(childNames(root), ['Methods', 'PhoneChatPPM']);
    assert.equal(root.children[1].text, '1.2500');
    const methods = root.children[0].children;
    assert.deepStrictEqual(methods.map((m) => m.local), ['PhoneChatMethod', 'PhoneChatMethod', 'PhoneChatMethod']);
    assert.deepStrictEqual(methods.map((m) => childNames(m)), Array(3).fill(['Available', 'Method']));
    assert.deepStrictEqual(methods.map((m) => [m.children[0].text, m.children[1].text]), [['true', '1'], ['false', '2'], ['true', '3']]);
    const bare = strictXml(await req(CLIENT, CAND_BARE, 'application/xml'));
    assert.ok(bare.children[1].attrs.some((a) => a.local === 'nil' && a.value === 'true'), 'PhoneChatPPM nil');
  });
});

describe('CreateBooking', () => {
  test('Pending, LastUpdated = CreateDate = now, waiting ActionClient, balance unchanged, listed on both sides', async () => {
    const before = await balanceText(env, CLIENT);
    const res = await create({ Comments: 'First booking' });
    const b = expectStatus(res, 200);
    assert.deepStrictEqual(Object.keys(b), MADE_KEYS);
    assert.equal(res.headers.location, undefined, 'no Location');
    assert.equal(b.Status, 'Pending');
    assert.ok(Math.abs(ms(b.CreateDate) - N) < 60000, `CreateDate is the service's now: ${b.CreateDate}`);
    assert.equal(b.LastUpdated, b.CreateDate);
    assert.equal(b.ActionClient, `Waiting for ${user(CAND).Nickname} to accept the booking`);
    assert.equal(b.Credits, 15);
    assert.equal(b.PhoneNumber, '07700900123', 'spaces removed, kept as digits');
    assert.equal(b.Candidate.UserID, CAND);
    assert.equal(b.Candidate.PhoneNumber, null);
    assert.equal(await balanceText(env, CLIENT), before, 'the balance is neither checked nor touched');
    const made = expectStatus(await get(env, CLIENT, 'MadeBookings?BookingsPerPage=100'), 200);
    assert.ok(made.Bookings.some((x) => x.BookingID === b.BookingID), 'in the client\'s list');
    const recv = expectStatus(await get(env, CAND, 'ReceivedBookings?BookingsPerPage=100'), 200);
    const r = recv.Bookings.find((x) => x.BookingID === b.BookingID);
    assert.ok(r, 'in the candidate\'s list');
    assert.equal(r.Status, 'Pending');
    assert.equal(r.PhoneNumber, null, 'the client\'s number is hidden until Confirmed');
    assert.equal(r.Comments, 'First booking');
    assert.equal(r.ActionCandidate, 'You need to accept or reject the booking');
    expectStatus(await madeDetails(env, CLIENT, b.BookingID), 200);
    expectStatus(await receivedDetails(env, CAND, b.BookingID), 200);
  });
  test('date shapes: space and T accepted, with seconds and fractions; Z, +01:00, date-only, spring gap -> 400', async () => {
    const d = at(5).slice(0, 10);
    for (const s of [`${d} 10:00`, `${d}T10:00`, `${d}T10:00:30`, `${d} 10:00:30.5`, `${d}T10:00:00.123`]) {
      const b = expectStatus(await create({ SessionDate: s, AcceptBy: at(1).slice(0, 16) }), 200, s);
      assert.ok(b.SessionDate.startsWith(`${d}T10:00`), `${s} -> ${b.SessionDate}`);
    }
    for (const s of [`${d}T10:00Z`, `${d}T10:00+01:00`, d, `${d}T1:00`, `${d}T10:00:00.1234`, `${d.replace(/-0?/g, '-')}T10:00`, SPRING_GAP]) {
      expect400(await create({ SessionDate: s }), ['SessionDate'], s);
    }
    expect400(await create({ AcceptBy: `${at(1).slice(0, 10)}T10:00Z` }), ['AcceptBy']);
  });
  test('SessionDate past or beyond 3 months; AcceptBy past, equal to or after SessionDate -> 400', async () => {
    const past = at(0, -1).slice(0, 16);
    expect400(await create({ SessionDate: past, AcceptBy: at(0, -2).slice(0, 16) }), ['SessionDate']);
    const limit = new Date(N);
    limit.setUTCMonth(limit.getUTCMonth() + 3);
    const beyond = fmt(limit.getTime() + MINUTE).slice(0, 16);
    expect400(await create({ SessionDate: beyond }), ['SessionDate'], beyond);
    expectStatus(await create({ SessionDate: fmt(limit.getTime()).slice(0, 16) }), 200, 'exactly 3 months ahead');
    expect400(await create({ AcceptBy: at(0, -1).slice(0, 16) }), ['AcceptBy']);
    const s = at(3).slice(0, 16);
    expect400(await create({ SessionDate: s, AcceptBy: s }), ['AcceptBy']);
    expect400(await create({ SessionDate: s, AcceptBy: at(4).slice(0, 16) }), ['AcceptBy']);
  });
  test('Duration 4 and 241 -> 400; 5 and 240 accepted', async () => {
    expect400(await create({ Duration: 4 }), ['Duration']);
    expect400(await create({ Duration: 241 }), ['Duration']);
    expectStatus(await create({ Duration: 5, Credits: '2.5' }), 200);
    expectStatus(await create({ Duration: 240, Credits: '120' }), 200);
  });
  test('Method 1: PhoneNumber missing, 9 or 12 digits -> 400; 10 and 11 accepted', async () => {
    expect400(await create({ PhoneNumber: undefined }), ['PhoneNumber']);
    expect400(await create({ PhoneNumber: '077009001' }), ['PhoneNumber']);
    expect400(await create({ PhoneNumber: '077009001234' }), ['PhoneNumber']);
    assert.equal(expectStatus(await create({ PhoneNumber: '0770090012' }), 200).PhoneNumber, '0770090012');
  });
  test('Method 3 without SkypeName -> 400; PhoneNumber sent with Method 2 comes back null', async () => {
    expect400(await create({ Method: 3, PhoneNumber: undefined }), ['SkypeName']);
    const m2 = expectStatus(await create({ Method: 2, SkypeName: 'live:x' }), 200);
    assert.equal(m2.PhoneNumber, null);
    assert.equal(m2.SkypeName, null);
    const m3 = expectStatus(await create({ Method: 3, SkypeName: '  live:me  ' }), 200);
    assert.equal(m3.SkypeName, 'live:me');
    assert.equal(m3.PhoneNumber, null);
  });
  test('a contact member of another method is ignored whatever it holds (spec §8.2: "Other methods: ignored, stored null")', async () => {
    const m2 = expectStatus(await create({ Method: 2, PhoneNumber: 12345, SkypeName: 'x'.repeat(1001) }), 200, 'Method 2');
    assert.deepStrictEqual([m2.PhoneNumber, m2.SkypeName], [null, null]);
    const m1 = expectStatus(await create({ Method: 1, SkypeName: 'a\u0001b' }), 200, 'Method 1');
    assert.deepStrictEqual([m1.PhoneNumber, m1.SkypeName], ['07700900123', null]);
    const m3 = expectStatus(await create({ Method: 3, SkypeName: 'live:me', PhoneNumber: '12' }), 200, 'Method 3');
    assert.deepStrictEqual([m3.PhoneNumber, m3.SkypeName], [null, 'live:me']);
  });
  test('Credits below PPM x Duration -> 409 naming the minimum; exactly the minimum -> 200', async () => {
    // CAND_SKYPE: PPM 1.25, 45 minutes: minimum 56.25.
    const minimum = '56.25';
    const short = await create({ BookUserID: CAND_SKYPE, Method: 3, SkypeName: 'live:me', Duration: 45, Credits: '56.2499' });
    expectError(short, 409, new RegExp(minimum.replace('.', '\\.')));
    expectStatus(await create({ BookUserID: CAND_SKYPE, Method: 3, SkypeName: 'live:me', Duration: 45, Credits: minimum }), 200);
    expectStatus(await create({ BookUserID: CAND_BARE, Credits: '0.01' }), 200, 'no price: no minimum');
  });
  test('Method unavailable 409; booking oneself 400; unknown BookUserID 404; not offering / DirectChat Only 409', async () => {
    expectError(await create({ BookUserID: CAND_BARE, Method: 2 }), 409, /Method 2/);
    expectError(await create({ BookUserID: CAND_BARE, Method: 3, SkypeName: 'live:me' }), 409, /Method 3/);
    expect400(await create({ BookUserID: CLIENT }), ['BookUserID']);
    expectError(await create({ BookUserID: UNKNOWN }), 404, new RegExp(String(UNKNOWN)));
    expectError(await create({ BookUserID: CAND_NOPC }), 409, new RegExp(String(CAND_NOPC)));
    expectError(await create({ BookUserID: CAND_DCONLY }), 409, new RegExp(String(CAND_DCONLY)));
  });
  test('several bad members: one 400 naming all', async () => {
    const b = expect400(await create({ Duration: 1, Method: 4, Credits: '0', SessionDate: 'tomorrow', Comments: 'x'.repeat(1001) }),
      ['Duration', 'Method', 'Credits', 'SessionDate', 'Comments']);
    assert.equal(Object.keys(b.ModelState).length, 5, JSON.stringify(b.ModelState));
  });
  test('Comments: 1000 code points accepted, 1001 -> 400; whitespace-only -> null; control characters -> 400', async () => {
    const thousand = '🙂'.repeat(1000);
    assert.equal(expectStatus(await create({ Comments: thousand }), 200).Comments, thousand);
    expect400(await create({ Comments: `${thousand}x` }), ['Comments']);
    assert.equal(expectStatus(await create({ Comments: ' \t\n ' }), 200).Comments, null);
    expect400(await create({ Comments: 'a\u0001b' }), ['Comments']);
  });
  test('the booking is stored once with the request\'s values', async () => {
    const b = expectStatus(await create({ Credits: '15.5', Duration: 31, Comments: 'stored' }), 200);
    const rows = dbRows(env.db, `SELECT client_user_id, candidate_user_id, duration_minutes AS duration FROM bookings WHERE booking_id = ${b.BookingID}`);
    assert.deepStrictEqual(rows, [{ client_user_id: CLIENT, candidate_user_id: CAND, duration: 31 }]);
    const again = expectStatus(await madeDetails(env, CLIENT, b.BookingID), 200);
    assert.deepStrictEqual(again, b, 'details show what Create answered');
  });
});

describe('MadeBookingDetails', () => {
  test('own booking 200 equal to the model; received, not made, and another user\'s: the same 404', async () => {
    const res = await madeDetails(env, CLIENT, B.pending.BookingID);
    const expected = jsonBooking(B.pending, user(CAND), N + 1);
    assert.deepStrictEqual(expectStatus(res, 200), expected);
    assert.deepStrictEqual(keyOrderDiffs(res.json(), expected), []);
    const notFound = (id) => `No PhoneChat booking ${id} was found among your made bookings.`;
    for (const id of [B.received.BookingID, B.others.BookingID, 987654]) {
      const r = await madeDetails(env, CLIENT, id);
      assert.equal(r.status, 404, r.describe());
      assert.equal(r.json().Message, notFound(id));
    }
  });
  test('XML: root MadeBooking in the Made namespace, Candidate declares d2p1, elements in order', async () => {
    const res = await madeDetails(env, CLIENT, B.confirmedM3.BookingID, { accept: 'application/xml' });
    const root = strictXml(res);
    assert.equal(root.local, 'MadeBooking');
    assert.equal(root.ns, NS.made);
    assert.equal(root.nsDecls.i, NS.i);
    assert.deepStrictEqual(childNames(root), XML_BOOKING_ORDER('ActionClient'));
    const cand = root.children.find((c) => c.local === 'Candidate');
    assert.equal(cand.nsDecls.d2p1, NS.pc, `Candidate declares d2p1: ${res.text.slice(0, 900)}`);
    assert.equal(cand.nsDecls.d4p1, undefined);
    assert.deepStrictEqual(childNames(cand), XML_PARTY_ORDER);
    assert.equal(cand.children.find((c) => c.local === 'SkypeName').text, user(CAND).SkypeName, 'Confirmed Method 3 shows the Skype name');
    assert.equal(root.children.find((c) => c.local === 'Credits').text, '12.5000');
  });
  test('group variant: manager with member 200 (the member\'s answer) + audit row; non-member 403; missing UserID 400', async () => {
    const count = () => dbRows(env.db, 'SELECT count(*) AS n FROM audit_log')[0].n;
    const c0 = count();
    const own = await madeDetails(env, CLIENT, B.pending.BookingID);
    const asManager = await get(env, MANAGER, `${GPC}/MadeBookingDetails?UserID=${CLIENT}&BookingID=${B.pending.BookingID}`);
    assert.equal(asManager.status, 200, asManager.describe());
    assert.equal(asManager.text, own.text);
    assert.equal(count(), c0 + 1);
    const row = JSON.stringify(dbRows(env.db, 'SELECT * FROM audit_log ORDER BY audit_id DESC LIMIT 1')[0]);
    assert.ok(row.includes(String(MANAGER)) && row.includes(String(CLIENT)) && /MadeBookingDetails/i.test(row), row);
    expectError(await get(env, OUTSIDER, `${GPC}/MadeBookingDetails?UserID=${CLIENT}&BookingID=${B.pending.BookingID}`), 403, /not a member/);
    expectError(await get(env, MANAGER, `${GPC}/MadeBookingDetails?UserID=${CLIENT4}&BookingID=1`), 403, /not a member/);
    expect400(await get(env, MANAGER, `${GPC}/MadeBookingDetails?BookingID=${B.pending.BookingID}`), ['UserID']);
  });
});

test('the fixed clock is the one the fixture assumes', async () => {
  const b = expectStatus(await create({ Comments: 'clock' }), 200);
  assert.ok(b.CreateDate >= NOW && b.CreateDate < at(0, 1), b.CreateDate);
});
