// ReceivedBookings and ReceivedBookingDetails (spec §7.2, §8.8, §8.9): paging, totals, every OrderBy with the
// client's nickname, ties, the read-time ActionCandidate, derived Client ratings, XML and the group variant. Expected
// pages are computed from the imported bookings.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { dbRows } from './harness.mjs';
import { foldKey, keyOrderDiffs } from './model.mjs';
import {
  CAND, CAND_SET, CLIENT, CLIENT2, CLIENT4, GPC, LAPSE_REASON, MANAGER, NS, OUTSIDER, POOR, RECEIVED_KEYS, XML_BOOKING_ORDER,
  XML_PARTY_ORDER, at, booking, childNames, expect400, expectStatus, expectedReceived, get, ms, receivedDetails, setupLifecycle,
  strictXml, user,
} from './lifecycle-fixture.mjs';

const clients = [CLIENT, CLIENT2, POOR, CLIENT4];
const statuses = [
  { status: 'Pending', acceptBy: at(1), session: at(2) }, // You need to accept or reject
  { status: 'Accepted', acceptBy: at(1), session: at(2) }, // Waiting for <client> to confirm
  { status: 'Accepted', acceptBy: at(-2), session: at(-1) }, // null
  { status: 'Confirmed', acceptBy: at(1), session: at(2) }, // carry out
  { status: 'Confirmed', acceptBy: at(-2), session: at(0, 0, -10), duration: 60 }, // running: carry out
  { status: 'Confirmed', acceptBy: at(-3), session: at(-2) }, // over: null
  { status: 'Pending', acceptBy: at(-3), session: at(-2) }, // lapsed, passed: You can re-invite
  { status: 'Pending', acceptBy: at(0, -2), session: at(1) }, // lapsed, ahead: null
  { status: 'Rejected', rejectedReason: LAPSE_REASON, acceptBy: at(-3), session: at(-2) }, // stored lapse: re-invite
  { status: 'Rejected', rejectedReason: LAPSE_REASON, rejectionKind: 'ReInvited', acceptBy: at(-3), session: at(-2) }, // null
  { status: 'Rejected', rejectedReason: 'No', acceptBy: at(-3), session: at(-2) }, // by the candidate: null
  { status: 'Cancelled', acceptBy: at(1), session: at(2), cancelledBy: 'Candidate' },
];
const BOOKINGS = [];
let id = 400;
for (let k = 0; k < 36; k++) {
  const s = statuses[k % statuses.length];
  // CreateDates repeat every 6 bookings (ties), SessionDates every 4 within each status shape's own sign.
  BOOKINGS.push(booking(++id, { ...s, client: clients[k % clients.length], cand: CAND, method: (k % 3) + 1,
    create: at(-4, -(k % 6)), credits: String(5 + k), comments: k % 5 === 0 ? `Comment ${k}` : null }));
}
BOOKINGS.push(booking(++id, { client: CLIENT, cand: CAND, status: 'Cancelled', acceptBy: at(1), session: at(2), deletedByCandidate: true }));
BOOKINGS.push(booking(++id, { client: CLIENT, cand: CAND_SET, status: 'Pending', acceptBy: at(1), session: at(2) }));
const MINE = BOOKINGS.filter((b) => b.CandidateUserID === CAND && !b.DeletedByCandidate);

function sorted(order) {
  const [field, dir] = order.split('-');
  const sign = dir === 'asc' ? 1 : -1;
  return [...MINE].sort((a, b) => {
    let c;
    if (field === 'nickname') c = Buffer.compare(foldKey(user(a.ClientUserID).Nickname), foldKey(user(b.ClientUserID).Nickname));
    else if (field === 'date') c = ms(a.CreateDate) - ms(b.CreateDate);
    else c = ms(a.SessionDate) - ms(b.SessionDate);
    if (c === 0) c = a.BookingID - b.BookingID;
    return sign * Math.sign(c);
  });
}

let env;
before(async () => {
  env = await setupLifecycle({ bookings: BOOKINGS });
});
after(async () => { if (env) await env.stop(); });

describe('ReceivedBookings', () => {
  test('every OrderBy (client\'s nickname), ties by BookingID, paging, totals, an empty page past the end', async () => {
    for (const order of ['date-desc', 'date-asc', 'nickname-asc', 'nickname-desc', 'sessiondate-asc', 'sessiondate-desc']) {
      const all = sorted(order);
      for (const [per, pageNo] of [[50, 1], [7, 1], [7, 3], [7, 6], [7, 9]]) {
        const res = await get(env, CAND, `ReceivedBookings?OrderBy=${order}&BookingsPerPage=${per}&PageNumber=${pageNo}`);
        const b = expectStatus(res, 200, `${order} ${per} ${pageNo}`);
        const rows = all.slice((pageNo - 1) * per, pageNo * per);
        const expected = { PageCount: Math.ceil(all.length / per), PageNumber: pageNo, BookingsTotal: all.length, BookingsPerPage: per,
          Bookings: rows.map((x) => expectedReceived(x)) };
        assert.deepStrictEqual(b, expected, `${order} per ${per} page ${pageNo}`);
        assert.deepStrictEqual(keyOrderDiffs(b, expected), []);
      }
    }
  });
  test('the default order is date-desc with 50 per page', async () => {
    const b = expectStatus(await get(env, CAND, 'ReceivedBookings'), 200);
    assert.deepStrictEqual(b.Bookings.map((x) => x.BookingID), sorted('date-desc').map((x) => x.BookingID));
    assert.equal(b.BookingsPerPage, 50);
  });
  test('bad parameters: 400 naming each', async () => {
    expect400(await get(env, CAND, 'ReceivedBookings?OrderBy=client-asc'), ['OrderBy']);
    expect400(await get(env, CAND, 'ReceivedBookings?BookingsPerPage=0&PageNumber=x'), ['BookingsPerPage', 'PageNumber']);
    expect400(await get(env, CAND, 'ReceivedBookings?PageNumber=1&pagenumber=2'), ['PageNumber']);
  });
  test('ActionCandidate for each row of §7.2, and the Client ratings derived', async () => {
    const b = expectStatus(await get(env, CAND, 'ReceivedBookings?BookingsPerPage=100'), 200);
    const seen = new Set(b.Bookings.map((x) => x.ActionCandidate));
    for (const want of ['You need to accept or reject the booking', `Waiting for ${user(CLIENT2).Nickname} to confirm the booking`,
      'You need to carry out the session', `You can re-invite ${user(CLIENT).Nickname}`, `You can re-invite ${user(POOR).Nickname}`, null]) {
      assert.ok(seen.has(want), `some row says ${want}: ${[...seen].join(' | ')}`);
    }
    for (const row of b.Bookings) {
      const x = BOOKINGS.find((y) => y.BookingID === row.BookingID);
      assert.equal(row.ActionCandidate, expectedReceived(x).ActionCandidate, `booking ${row.BookingID} (${x.Status})`);
    }
    const c = b.Bookings.find((x) => x.Client.UserID === CLIENT).Client;
    const u = user(CLIENT);
    assert.deepStrictEqual([c.Total, c.Ratings, c.Disputes], [u.Positive - u.Negative, u.Positive + u.Neutral + u.Negative, u.Disputes]);
  });
  test('a booking the candidate deleted is not listed; the nickname filter is the client\'s', async () => {
    const deleted = BOOKINGS.find((x) => x.DeletedByCandidate);
    const b = expectStatus(await get(env, CAND, 'ReceivedBookings?BookingsPerPage=100'), 200);
    assert.ok(!b.Bookings.some((x) => x.BookingID === deleted.BookingID));
    assert.equal((await receivedDetails(env, CAND, deleted.BookingID)).status, 404);
    assert.equal(expectStatus(await get(env, CLIENT, `MadeBookingDetails?BookingID=${deleted.BookingID}`), 200).Status, 'Cancelled');
  });
  test('details: the same object as the list; someone else\'s, a made one and an unknown one are the same 404', async () => {
    for (const x of MINE.slice(0, 12)) {
      const r = expectStatus(await receivedDetails(env, CAND, x.BookingID), 200);
      assert.deepStrictEqual(r, expectedReceived(x), `booking ${x.BookingID}`);
      assert.deepStrictEqual(Object.keys(r), RECEIVED_KEYS);
    }
    const other = BOOKINGS.find((x) => x.CandidateUserID === CAND_SET);
    for (const [uid, bid] of [[CAND, other.BookingID], [CLIENT, MINE[0].BookingID], [CAND, 777777]]) {
      const r = await receivedDetails(env, uid, bid);
      assert.equal(r.status, 404);
      assert.equal(r.json().Message, `No PhoneChat booking ${bid} was found among your received bookings.`);
    }
  });
});

describe('XML', () => {
  test('BookingsResult in the Received namespace, ReceivedBooking order, Client with d4p1', async () => {
    const res = await get(env, CAND, 'ReceivedBookings?BookingsPerPage=5&OrderBy=date-asc', { accept: 'application/xml' });
    const root = strictXml(res);
    assert.equal(root.local, 'BookingsResult');
    assert.equal(root.ns, NS.received);
    assert.deepStrictEqual(childNames(root), ['Bookings', 'BookingsPerPage', 'BookingsTotal', 'PageCount', 'PageNumber']);
    const items = root.children[0].children;
    assert.equal(items.length, 5);
    const expected = sorted('date-asc').slice(0, 5);
    items.forEach((item, i) => {
      assert.equal(item.local, 'ReceivedBooking');
      assert.equal(item.ns, NS.received);
      assert.deepStrictEqual(childNames(item), XML_BOOKING_ORDER('ActionCandidate'));
      const client = item.children.find((c) => c.local === 'Client');
      assert.equal(client.nsDecls.d4p1, NS.pc, 'Client declares d4p1 inside the list');
      assert.deepStrictEqual(childNames(client), XML_PARTY_ORDER);
      assert.deepStrictEqual(client.children.map((c) => c.ns), [...Array(6).fill(NS.profile), ...Array(4).fill(NS.pc)]);
      assert.equal(item.children.find((c) => c.local === 'BookingID').text, String(expected[i].BookingID));
      assert.equal(item.children.find((c) => c.local === 'Credits').text, `${expected[i].Credits}.0000`);
    });
  });
  test('ReceivedBookingDetails: root ReceivedBooking, Client declares d2p1', async () => {
    const root = strictXml(await receivedDetails(env, CAND, MINE[0].BookingID, { accept: 'text/xml' }));
    assert.equal(root.local, 'ReceivedBooking');
    assert.equal(root.ns, NS.received);
    assert.equal(root.nsDecls.i, NS.i);
    assert.deepStrictEqual(childNames(root), XML_BOOKING_ORDER('ActionCandidate'));
    const client = root.children.find((c) => c.local === 'Client');
    assert.equal(client.nsDecls.d2p1, NS.pc);
  });
});

describe('group variant', () => {
  test('a manager reads a member\'s received list and details exactly as the member; audit rows; non-members 403', async () => {
    const count = () => dbRows(env.db, 'SELECT count(*) AS n FROM audit_log')[0].n;
    const c0 = count();
    for (const accept of [undefined, 'application/xml']) {
      const own = await get(env, CAND, 'ReceivedBookings?OrderBy=nickname-asc&BookingsPerPage=9&PageNumber=2', { accept });
      const mgr = await get(env, MANAGER, `${GPC}/ReceivedBookings?UserID=${CAND}&OrderBy=nickname-asc&BookingsPerPage=9&PageNumber=2`, { accept });
      assert.equal(mgr.status, 200, mgr.describe());
      assert.equal(mgr.text, own.text);
    }
    const d = await get(env, MANAGER, `${GPC}/ReceivedBookingDetails?UserID=${CAND}&BookingID=${MINE[1].BookingID}`);
    assert.equal(d.text, (await receivedDetails(env, CAND, MINE[1].BookingID)).text);
    assert.equal(count(), c0 + 3);
    assert.equal((await get(env, OUTSIDER, `${GPC}/ReceivedBookings?UserID=${CAND}`)).status, 403);
    assert.equal((await get(env, MANAGER, `${GPC}/ReceivedBookings?UserID=${CLIENT4}`)).status, 403);
    expect400(await get(env, MANAGER, `${GPC}/ReceivedBookings`), ['UserID']);
  });
});
