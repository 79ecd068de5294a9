// Read-time rules of docs/api.md, "The response", each pinned on a booking built for it (the service clock starts
// at NOW): status derivation past AcceptBy, ActionClient, which phone numbers and Skype names are shown,
// the rating sums, and bookings the client deleted.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CAN, importRecords, mintToken, newDb, request, sleep, startServer, zoneNow } from './harness.mjs';
import { MAIN, ROUTE, setup } from './fixture.mjs';
import { DAY, EXPIRED_REASON, HOUR, fmt, ms } from './model.mjs';

let env;
let byId;
let xmlText;
before(async () => {
  env = await setup({ tokensFor: [MAIN] });
  const res = await request(env.port, `${ROUTE}?BookingsPerPage=100`, { token: env.tokens[MAIN] });
  assert.equal(res.status, 200, res.describe());
  byId = new Map(res.json().Bookings.map((b) => [b.BookingID, b]));
  xmlText = (await request(env.port, `${ROUTE}?BookingsPerPage=100`, { token: env.tokens[MAIN], accept: 'application/xml' })).text;
});
after(async () => {
  if (env) await env.stop();
});

const got = (name) => {
  const b = byId.get(env.fx.rules[name].BookingID);
  assert.ok(b, `booking ${name} is listed`);
  return b;
};
const src = (name) => env.fx.rules[name];
const candOf = (name) => env.fx.users.get(src(name).CandidateUserID);

describe('status derivation', () => {
  test('Pending with AcceptBy ahead stays Pending: waiting for the candidate', () => {
    const b = got('pendingAhead');
    assert.equal(b.Status, 'Pending');
    assert.equal(b.RejectedReason, null);
    assert.equal(b.ActionClient, `Waiting for ${candOf('pendingAhead').Nickname} to accept the booking`);
  });
  test('Pending whose AcceptBy is the service start instant is Rejected (from that instant on)', () => {
    const b = got('pendingAtNow');
    assert.equal(b.Status, 'Rejected');
    assert.equal(b.RejectedReason, EXPIRED_REASON);
    assert.equal(b.ActionClient, null);
    assert.equal(b.LastUpdated, src('pendingAtNow').LastUpdated, 'LastUpdated unchanged');
  });
  test('Pending past AcceptBy: Rejected, the fixed reason, no candidate phone although Method 2', () => {
    const b = got('pendingPast');
    assert.equal(b.Status, 'Rejected');
    assert.equal(b.RejectedReason, 'The booking was not accepted in time.');
    assert.equal(b.Candidate.PhoneNumber, null);
    assert.equal(b.ActionClient, null);
    assert.equal(b.LastUpdated, src('pendingPast').LastUpdated);
  });
  test('the same derivation in XML', () => {
    const id = src('pendingPast').BookingID;
    const m = new RegExp(`<MadeBooking>(?:(?!</MadeBooking>).)*<BookingID>${id}</BookingID>(?:(?!</MadeBooking>).)*</MadeBooking>`, 's').exec(xmlText);
    assert.ok(m, 'booking present in XML');
    assert.match(m[0], /<RejectedReason>The booking was not accepted in time\.<\/RejectedReason>/);
    assert.match(m[0], /<Status>Rejected<\/Status>/);
  });
  test('stored Rejected keeps its own reason (or null)', () => {
    assert.equal(got('rejected').RejectedReason, src('rejected').RejectedReason);
    assert.equal(got('rejected').Status, 'Rejected');
    assert.equal(got('rejectedNoReason').RejectedReason, null);
    assert.equal(got('rejectedNoReason').Status, 'Rejected');
  });
});

describe('ActionClient', () => {
  test('Accepted with the session ahead: confirm; session passed: null', () => {
    assert.equal(got('acceptedAhead').ActionClient, 'You need to confirm the booking');
    assert.equal(got('acceptedPast').ActionClient, null);
    assert.equal(got('acceptedPast').Status, 'Accepted');
  });
  test('Confirmed until SessionDate + Duration: carry out; after: null', () => {
    assert.equal(got('confirmedAheadM2').ActionClient, 'You need to carry out the session');
    assert.equal(got('confirmedRunningM3').ActionClient, 'You need to carry out the session', 'started 10 minutes ago, lasts 30');
    assert.equal(got('confirmedOverM2').ActionClient, null, 'ended an hour ago');
  });
  test('Rejected and Cancelled: null', () => {
    for (const n of ['rejected', 'rejectedNoReason', 'cancelledByClient', 'cancelledByCandidate']) assert.equal(got(n).ActionClient, null, n);
  });
});

describe('contact details', () => {
  test('Method 1: the client phone is shown, candidate phone and Skype never', () => {
    const b = got('confirmedAheadM1');
    assert.equal(b.Method, 1);
    assert.equal(b.PhoneNumber, src('confirmedAheadM1').PhoneNumber);
    assert.ok(b.PhoneNumber);
    assert.equal(b.SkypeName, null);
    assert.equal(b.Candidate.PhoneNumber, null);
    assert.equal(b.Candidate.SkypeName, null);
    assert.equal(got('pendingAhead').PhoneNumber, src('pendingAhead').PhoneNumber, 'Pending Method 1 shows the client phone too');
  });
  test("Confirmed Method 2: the candidate's PhoneChat number, even after the session", () => {
    for (const n of ['confirmedAheadM2', 'confirmedOverM2']) {
      const b = got(n);
      assert.equal(b.Candidate.PhoneNumber, candOf(n).PhoneChatNumber, n);
      assert.ok(b.Candidate.PhoneNumber, `${n}: the candidate has a number`);
      assert.equal(b.Candidate.SkypeName, null);
      assert.equal(b.PhoneNumber, null);
      assert.equal(b.SkypeName, null);
    }
  });
  test("Confirmed Method 3: the candidate's Skype name and the client's; no phones", () => {
    const b = got('confirmedRunningM3');
    assert.equal(b.Candidate.SkypeName, candOf('confirmedRunningM3').SkypeName);
    assert.ok(b.Candidate.SkypeName);
    assert.equal(b.Candidate.PhoneNumber, null);
    assert.equal(b.SkypeName, src('confirmedRunningM3').SkypeName);
    assert.ok(b.SkypeName);
    assert.equal(b.PhoneNumber, null);
    assert.equal(got('confirmedM3NoSkype').Candidate.SkypeName, null, 'a candidate without a Skype name: null');
  });
  test('not Confirmed: no candidate contact whatever the method', () => {
    for (const n of ['acceptedAhead', 'pendingAhead', 'cancelledByClient', 'rejected', 'hostilePending']) {
      assert.equal(got(n).Candidate.PhoneNumber, null, n);
      assert.equal(got(n).Candidate.SkypeName, null, n);
    }
    assert.equal(got('acceptedAhead').SkypeName, src('acceptedAhead').SkypeName, 'the client Skype name (Method 3) is shown');
  });
});

describe('candidate sums and cancellation fields', () => {
  test('Total = Positive - Negative (negative allowed), Ratings = Positive + Neutral + Negative', () => {
    for (const b of byId.values()) {
      const c = b.Candidate;
      const u = env.fx.users.get(c.UserID);
      assert.equal(c.Positive, u.Positive);
      assert.equal(c.Neutral, u.Neutral);
      assert.equal(c.Negative, u.Negative);
      assert.equal(c.Disputes, u.Disputes);
      assert.equal(c.Total, u.Positive - u.Negative);
      assert.equal(c.Ratings, u.Positive + u.Neutral + u.Negative);
    }
    const zed = [...byId.values()].find((b) => b.Candidate.UserID === 104);
    assert.equal(zed.Candidate.Total, -7);
  });
  test('Cancelled: CancelledBy, CancelledDate, CancelledReason as stored', () => {
    const c = got('cancelledByClient');
    assert.equal(c.CancelledBy, 'Client');
    assert.equal(c.CancelledReason, 'Something came up');
    assert.equal(c.CancelledDate, src('cancelledByClient').CancelledDate);
    const d = got('cancelledByCandidate');
    assert.equal(d.CancelledBy, 'Candidate');
    assert.equal(d.CancelledReason, null);
    for (const n of ['pendingAhead', 'confirmedAheadM2']) {
      assert.equal(got(n).CancelledBy, null);
      assert.equal(got(n).CancelledDate, null);
    }
  });
});

describe('deleted bookings', () => {
  test('bookings the client deleted are never listed nor counted', async () => {
    for (const b of env.fx.bookings.filter((x) => x.ClientUserID === MAIN && x.DeletedByClient)) {
      assert.ok(!byId.has(b.BookingID), `deleted booking ${b.BookingID} not listed`);
    }
    const res = await request(env.port, `${ROUTE}?StartDate=2023-03-10&OrderBy=date-asc&BookingsPerPage=100`, { token: env.tokens[MAIN] });
    const total = env.fx.bookings.filter((x) => x.ClientUserID === MAIN && !x.DeletedByClient && x.CreateDate >= '2023-03-10').length;
    assert.equal(res.json().BookingsTotal, total);
  });
  test("bookings in which the client is the candidate are not the client's", () => {
    for (const b of byId.values()) assert.equal(env.fx.byId.get(b.BookingID).ClientUserID, MAIN);
  });
});

describe('the service clock', () => {
  // A small database of its own: one client, one candidate, one Pending booking.
  const smallDb = async (acceptBy, create) => {
    const db = newDb();
    const u = (UserID, Nickname) => ({ Kind: 'User', UserID, Nickname, PhoneChatNumber: null, SkypeName: null });
    await importRecords(db, [u(1, 'Client'), u(2, 'Candidate'),
      { Kind: 'Project', Name: 'Clock', OwnerUserID: 1, ApiKey: 'clock-key', ClientID: 'clock', ClientSecret: null, RedirectURIs: ['http://127.0.0.1:8765/cb'], ImplicitGrant: false },
      { Kind: 'Booking', BookingID: 1, ClientUserID: 1, CandidateUserID: 2, Duration: 30, Credits: '1', Status: 'Pending', Method: 2,
        PhoneNumber: null, SkypeName: null, CreateDate: create, SessionDate: fmt(ms(acceptBy) + DAY), AcceptBy: acceptBy,
        AcceptedDate: null, ConfirmedDate: null, CancelledDate: null, CancelledReason: null, CancelledBy: null, RejectedReason: null,
        LastUpdated: create, Comments: null, DeletedByClient: false }]);
    return { db, token: await mintToken(db, { user: 1, clientId: 'clock' }) };
  };
  const status = async (srv, token) => {
    const res = await request(srv.port, ROUTE, { token });
    assert.equal(res.status, 200, res.describe());
    return res.json().Bookings[0].Status;
  };

  test('a Pending booking turns Rejected at its AcceptBy while the service runs (--now starts the clock, time advances)',
    { skip: !CAN.now && 'the target has no --now' }, async () => {
      const start = '2024-06-15T12:00:00';
      const { db, token } = await smallDb('2024-06-15T12:00:04', '2024-06-14T12:00:00');
      const srv = await startServer(db, { now: start });
      const t0 = Date.now();
      try {
        const first = await status(srv, token);
        if (Date.now() - t0 < 3000) assert.equal(first, 'Pending', 'before AcceptBy');
        await sleep(Math.max(0, t0 + 5500 - Date.now()));
        assert.equal(await status(srv, token), 'Rejected', 'after AcceptBy, with no restart');
      } finally {
        await srv.stop();
      }
    });

  test('"now" is the wall-clock time of --zone', async () => {
    const london = ms(zoneNow('Europe/London'));
    const auckland = ms(zoneNow('Pacific/Auckland'));
    assert.ok(auckland - london >= 10 * HOUR, 'Auckland is at least ten hours ahead of London');
    const acceptBy = fmt(Math.floor((london + auckland) / 2 / 1000) * 1000);
    const { db, token } = await smallDb(acceptBy, fmt(london - DAY));
    const inLondon = await startServer(db, { zone: 'Europe/London' });
    const inAuckland = await startServer(db, { zone: 'Pacific/Auckland' });
    try {
      assert.equal(await status(inLondon, token), 'Pending', `AcceptBy ${acceptBy} is still ahead in London`);
      assert.equal(await status(inAuckland, token), 'Rejected', `AcceptBy ${acceptBy} has passed in Auckland`);
    } finally {
      await inLondon.stop();
      await inAuckland.stop();
    }
  });
});
