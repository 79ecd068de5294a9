// The party actions of the status machine (spec §5, §8.4-§8.14): Accept, Reject, the lapse, Confirm (contacts),
// the two Cancels, ReInvite, Reschedule and the two Deletes. Every booking is imported for one test only.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { dbRows } from './harness.mjs';
import { NS, XML_BOOKING_ORDER, XML_PARTY_ORDER, childNames, strictXml } from './lifecycle-fixture.mjs';
import {
  CAND, CAND_BARE, CAND_SKYPE, CLIENT, CLIENT2, LAPSE_REASON, MINUTE, N, POOR, at, balanceText, booking, canonical,
  e4, e4Text, expect400, expectError, expectStatus, get, ledgerRows, madeDetails, ms, post, receivedDetails, setupLifecycle, user,
} from './lifecycle-fixture.mjs';

const P = { status: 'Pending', acceptBy: at(1), session: at(2) };
const A = { status: 'Accepted', acceptBy: at(1), session: at(2) };
const B = {
  accept: booking(201, { ...P, method: 2, credits: '20', offered: undefined }),
  acceptLate: booking(202, { status: 'Pending', acceptBy: at(0, -2), session: at(1) }),
  acceptTwice: booking(203, P),
  acceptM2NoNumber: booking(204, { ...P, cand: CAND_BARE, method: 2 }),
  acceptM3NoSkype: booking(244, { ...P, cand: CAND_BARE, method: 3 }),
  reject: booking(205, P),
  rejectAccepted: booking(206, A),
  lapse: booking(207, { status: 'Pending', create: at(-3), acceptBy: at(0, -1), session: at(1) }),
  confirm: booking(208, { ...A, credits: '37.25' }),
  confirmM1: booking(209, { ...A, method: 1, phone: '07700900999' }),
  confirmM2: booking(210, { ...A, method: 2 }),
  confirmM3: booking(211, { ...A, method: 3, skype: 'live:clara.call' }),
  confirmShort: booking(212, { ...A, client: POOR, credits: '5.0001' }),
  confirmLate: booking(213, { status: 'Accepted', acceptBy: at(-2), session: at(0, -1) }),
  confirmPending: booking(214, P),
  cancelPending: booking(215, P),
  cancelAcceptedPast: booking(216, { status: 'Accepted', acceptBy: at(-2), session: at(0, -3) }),
  cancelConfirmed: booking(217, { status: 'Confirmed', method: 3, acceptBy: at(1), session: at(2), credits: '42.5' }),
  cancelConfirmedPast: booking(218, { status: 'Confirmed', acceptBy: at(-2), session: at(0, -1), duration: 240 }),
  cancelCancelled: booking(219, { status: 'Cancelled', acceptBy: at(1), session: at(2) }),
  cancelRejected: booking(220, { status: 'Rejected', acceptBy: at(1), session: at(2) }),
  candCancel: booking(221, A),
  candCancelPending: booking(222, P),
  candCancelConfirmed: booking(223, { status: 'Confirmed', acceptBy: at(1), session: at(2) }),
  reinvite: booking(224, { status: 'Pending', acceptBy: at(-3), session: at(-2) }),
  reinviteDefault: booking(225, { status: 'Rejected', rejectedReason: LAPSE_REASON, acceptBy: at(-3), session: at(-2) }),
  reinviteAhead: booking(226, { status: 'Pending', acceptBy: at(0, -2), session: at(1) }),
  reinviteRejected: booking(227, { status: 'Rejected', rejectedReason: 'No', acceptBy: at(-3), session: at(-2) }),
  reinvitePending: booking(228, P),
  reschedule: booking(229, { status: 'Confirmed', method: 3, skype: 'live:src', acceptBy: at(-3), session: at(-2),
    credits: '16', comments: 'Again please', duration: 32 }),
  rescheduleAhead: booking(230, A),
  rescheduleShort: booking(231, { client: POOR, status: 'Cancelled', acceptBy: at(-3), session: at(-2), credits: '20' }),
  reschedulePpm: booking(232, { cand: CAND_SKYPE, method: 3, status: 'Rejected', acceptBy: at(-3), session: at(-2), credits: '20', duration: 30 }),
  del1: booking(233, { status: 'Rejected', acceptBy: at(1), session: at(2) }),
  del2: booking(234, { status: 'Cancelled', acceptBy: at(1), session: at(2) }),
  delOver: booking(235, { status: 'Confirmed', acceptBy: at(-3), session: at(-2) }),
  delPending: booking(236, P),
  delAccepted: booking(237, A),
  delConfirmedAhead: booking(238, { status: 'Confirmed', acceptBy: at(1), session: at(2) }),
  delOthers: booking(239, { client: CLIENT2, status: 'Cancelled', acceptBy: at(1), session: at(2) }),
  delAlready: booking(240, { status: 'Cancelled', acceptBy: at(1), session: at(2), deletedByClient: true }),
  delRecv: booking(241, { status: 'Cancelled', acceptBy: at(1), session: at(2) }),
  delRecv2: booking(242, { status: 'Rejected', acceptBy: at(1), session: at(2) }),
  xmlAccept: booking(245, P),
  xmlDelete: booking(246, { status: 'Rejected', acceptBy: at(1), session: at(2) }),
  xmlCancel: booking(247, A),
  xmlReject: booking(248, P),
  xmlConfirm: booking(249, A),
  xmlCandCancel: booking(250, A),
  xmlReInvite: booking(251, { status: 'Pending', acceptBy: at(-3), session: at(-2) }),
  xmlReschedule: booking(252, { status: 'Cancelled', acceptBy: at(-3), session: at(-2) }),
  xmlDeleteRecv: booking(253, { status: 'Cancelled', acceptBy: at(1), session: at(2) }),
};

let env;
before(async () => {
  env = await setupLifecycle({ bookings: Object.values(B) });
});
after(async () => { if (env) await env.stop(); });

const act = (uid, route, b) => post(env, uid, route, b);
const near = (text) => Math.abs(ms(text) - N) < 2 * 60000;

describe('AcceptReceivedBooking', () => {
  test('Pending -> Accepted with AcceptedDate, the new Credits and LastUpdated; the client sees the new Credits', async () => {
    const b = expectStatus(await act(CAND, 'AcceptReceivedBooking', { BookingID: B.accept.BookingID, Credits: '27.5' }), 200);
    assert.equal(b.Status, 'Accepted');
    assert.equal(b.Credits, 27.5);
    assert.ok(near(b.AcceptedDate), b.AcceptedDate);
    assert.equal(b.LastUpdated, b.AcceptedDate);
    assert.equal(b.ActionCandidate, `Waiting for ${user(CLIENT).Nickname} to confirm the booking`);
    assert.ok('Client' in b && !('Candidate' in b), 'a ReceivedBooking');
    const made = expectStatus(await madeDetails(env, CLIENT, B.accept.BookingID), 200);
    assert.equal(made.Credits, 27.5);
    assert.equal(made.Status, 'Accepted');
    assert.equal(made.ActionClient, 'You need to confirm the booking');
    assert.equal(made.LastUpdated, b.LastUpdated);
    assert.deepStrictEqual(ledgerRows(env.db, B.accept.BookingID), [], 'nothing moves');
  });
  test('after AcceptBy -> 409 naming Rejected; by the client -> 404; a second Accept -> 409; Method 2 without a number -> 409', async () => {
    expectError(await act(CAND, 'AcceptReceivedBooking', { BookingID: B.acceptLate.BookingID, Credits: 20 }), 409,
      new RegExp(`Booking ${B.acceptLate.BookingID} cannot be accepted`), /Rejected/);
    expectError(await act(CLIENT, 'AcceptReceivedBooking', { BookingID: B.acceptTwice.BookingID, Credits: 20 }), 404,
      new RegExp(`No PhoneChat booking ${B.acceptTwice.BookingID} was found among your received bookings\\.`));
    expectStatus(await act(CAND, 'AcceptReceivedBooking', { BookingID: B.acceptTwice.BookingID, Credits: 20 }), 200);
    expectError(await act(CAND, 'AcceptReceivedBooking', { BookingID: B.acceptTwice.BookingID, Credits: 20 }), 409, /Accepted/);
  });
  test('Method 2 with no PhoneChat number, Method 3 with no Skype name -> 409', async () => {
    expectError(await act(CAND_BARE, 'AcceptReceivedBooking', { BookingID: B.acceptM2NoNumber.BookingID, Credits: 20 }), 409,
      new RegExp(`Booking ${B.acceptM2NoNumber.BookingID} cannot be accepted`), /Method 2/);
    expectError(await act(CAND_BARE, 'AcceptReceivedBooking', { BookingID: B.acceptM3NoSkype.BookingID, Credits: 20 }), 409, /Method 3/);
  });
});

describe('RejectReceivedBooking', () => {
  test('Reason required; Pending -> Rejected with the reason; Accepted -> 409', async () => {
    expect400(await act(CAND, 'RejectReceivedBooking', { BookingID: B.reject.BookingID }), ['Reason']);
    expect400(await act(CAND, 'RejectReceivedBooking', { BookingID: B.reject.BookingID, Reason: '   ' }), ['Reason']);
    const b = expectStatus(await act(CAND, 'RejectReceivedBooking', { BookingID: B.reject.BookingID, Reason: ' Fully booked ' }), 200);
    assert.equal(b.Status, 'Rejected');
    assert.equal(b.RejectedReason, 'Fully booked');
    assert.ok(near(b.LastUpdated));
    assert.equal(b.ActionCandidate, null);
    const made = expectStatus(await madeDetails(env, CLIENT, B.reject.BookingID), 200);
    assert.equal(made.RejectedReason, 'Fully booked');
    expectError(await act(CAND, 'RejectReceivedBooking', { BookingID: B.rejectAccepted.BookingID, Reason: 'x' }), 409,
      /its status is Accepted/, /Pending/);
  });
});

describe('the lapse', () => {
  test('past AcceptBy the booking reads Rejected with the fixed reason on both sides, LastUpdated unchanged', async () => {
    const made = expectStatus(await madeDetails(env, CLIENT, B.lapse.BookingID), 200);
    const recv = expectStatus(await receivedDetails(env, CAND, B.lapse.BookingID), 200);
    for (const v of [made, recv]) {
      assert.equal(v.Status, 'Rejected');
      assert.equal(v.RejectedReason, LAPSE_REASON);
      assert.equal(v.LastUpdated, canonical(B.lapse.LastUpdated));
    }
    assert.equal(made.ActionClient, null);
    assert.equal(recv.ActionCandidate, null, 'SessionDate still ahead: no re-invite yet');
  });
});

describe('ConfirmMadeBooking', () => {
  test('Accepted -> Confirmed; the balance down by exactly Credits; one Payment row; escrow up', async () => {
    const before = e4(await balanceText(env, CLIENT));
    const escrow = dbRows(env.db, 'SELECT balance FROM accounts WHERE account_id = -1');
    const escrowBefore = escrow.length ? BigInt(escrow[0].balance) : 0n;
    const b = expectStatus(await act(CLIENT, 'ConfirmMadeBooking', { BookingID: B.confirm.BookingID }), 200);
    assert.equal(b.Status, 'Confirmed');
    assert.ok(near(b.ConfirmedDate));
    assert.equal(b.LastUpdated, b.ConfirmedDate);
    assert.equal(b.ActionClient, 'You need to carry out the session');
    assert.equal(await balanceText(env, CLIENT), e4Text(before - e4(B.confirm.Credits)));
    assert.deepStrictEqual(ledgerRows(env.db, B.confirm.BookingID), [{ kind: 'Payment', from_account: CLIENT, to_account: -1,
      amount: Number(e4(B.confirm.Credits)) }]);
    const escrowAfter = BigInt(dbRows(env.db, 'SELECT balance FROM accounts WHERE account_id = -1')[0].balance);
    assert.equal(escrowAfter - escrowBefore, e4(B.confirm.Credits));
  });
  test('contact details appear on both sides when Confirmed (Methods 1, 2, 3) and not before', async () => {
    const cases = [
      [B.confirmM1, { made: ['07700900999', null], cand: [null, null], recv: ['07700900999', null] }],
      [B.confirmM2, { made: [null, null], cand: [user(CAND).PhoneChatNumber, null], recv: [null, null] }],
      [B.confirmM3, { made: [null, 'live:clara.call'], cand: [null, user(CAND).SkypeName], recv: [null, 'live:clara.call'] }],
    ];
    for (const [bk, want] of cases) {
      const id = bk.BookingID;
      const m0 = expectStatus(await madeDetails(env, CLIENT, id), 200);
      const r0 = expectStatus(await receivedDetails(env, CAND, id), 200);
      assert.deepStrictEqual([m0.Candidate.PhoneNumber, m0.Candidate.SkypeName], [null, null], `${id}: candidate hidden before`);
      assert.deepStrictEqual([r0.PhoneNumber, r0.SkypeName, r0.Client.PhoneNumber, r0.Client.SkypeName], [null, null, null, null],
        `${id}: client hidden before`);
      assert.deepStrictEqual([m0.PhoneNumber, m0.SkypeName], want.made, `${id}: the client always sees their own`);
      const m1 = expectStatus(await act(CLIENT, 'ConfirmMadeBooking', { BookingID: id }), 200);
      assert.deepStrictEqual([m1.Candidate.PhoneNumber, m1.Candidate.SkypeName], want.cand, `${id}: candidate shown after`);
      const r1 = expectStatus(await receivedDetails(env, CAND, id), 200);
      assert.deepStrictEqual([r1.PhoneNumber, r1.SkypeName], want.recv, `${id}: client shown to the candidate`);
      assert.deepStrictEqual([r1.Client.PhoneNumber, r1.Client.SkypeName], want.recv, `${id}: and in Client`);
      assert.equal(r1.ActionCandidate, 'You need to carry out the session');
    }
  });
  test('balance short -> 409 naming needed and available; status and balance unchanged', async () => {
    const before = await balanceText(env, POOR);
    const res = await act(POOR, 'ConfirmMadeBooking', { BookingID: B.confirmShort.BookingID });
    expectError(res, 409, /5\.0001/, new RegExp(`\\b${before.replace('.', '\\.')}\\b`));
    assert.equal(expectStatus(await madeDetails(env, POOR, B.confirmShort.BookingID), 200).Status, 'Accepted');
    assert.equal(await balanceText(env, POOR), before);
    assert.deepStrictEqual(ledgerRows(env.db, B.confirmShort.BookingID), []);
  });
  test('after SessionDate -> 409; on Pending -> 409; by the candidate -> 404', async () => {
    expectError(await act(CLIENT, 'ConfirmMadeBooking', { BookingID: B.confirmLate.BookingID }), 409,
      new RegExp(`SessionDate ${canonical(B.confirmLate.SessionDate)} has passed`));
    expectError(await act(CLIENT, 'ConfirmMadeBooking', { BookingID: B.confirmPending.BookingID }), 409,
      /its status is Pending; it must be Accepted/);
    expectError(await act(CAND, 'ConfirmMadeBooking', { BookingID: B.confirm.BookingID }), 404, /among your made bookings/);
  });
});

describe('CancelMadeBooking', () => {
  test('Pending and Accepted (even past SessionDate) -> Cancelled, CancelledBy Client, no ledger row', async () => {
    for (const bk of [B.cancelPending, B.cancelAcceptedPast]) {
      const b = expectStatus(await act(CLIENT, 'CancelMadeBooking', { BookingID: bk.BookingID, Reason: 'Plans changed' }), 200);
      assert.equal(b.Status, 'Cancelled');
      assert.equal(b.CancelledBy, 'Client');
      assert.equal(b.CancelledReason, 'Plans changed');
      assert.ok(near(b.CancelledDate));
      assert.equal(b.LastUpdated, b.CancelledDate);
      assert.deepStrictEqual(ledgerRows(env.db, bk.BookingID), []);
      const r = expectStatus(await receivedDetails(env, CAND, bk.BookingID), 200);
      assert.equal(r.CancelledBy, 'Client');
    }
  });
  test('Confirmed before SessionDate -> Cancelled, full Refund, balance restored, contacts hidden', async () => {
    const id = B.cancelConfirmed.BookingID;
    const before = e4(await balanceText(env, CLIENT));
    const shown = expectStatus(await madeDetails(env, CLIENT, id), 200);
    assert.equal(shown.Candidate.SkypeName, user(CAND).SkypeName);
    const b = expectStatus(await act(CLIENT, 'CancelMadeBooking', { BookingID: id, Reason: 'Ill' }), 200);
    assert.equal(b.Status, 'Cancelled');
    assert.equal(b.Candidate.SkypeName, null, 'contacts close again');
    const r = expectStatus(await receivedDetails(env, CAND, id), 200);
    assert.equal(r.SkypeName, null);
    assert.equal(r.Client.SkypeName, null);
    assert.equal(await balanceText(env, CLIENT), e4Text(before + e4(B.cancelConfirmed.Credits)));
    const rows = ledgerRows(env.db, id);
    assert.deepStrictEqual(rows.map((x) => [x.kind, x.from_account, x.to_account, x.amount]),
      [['Payment', -2, -1, Number(e4('42.5'))], ['Refund', -1, CLIENT, Number(e4('42.5'))]], 'the import\'s Payment, then the Refund');
  });
  test('Confirmed after SessionDate -> 409; Cancelled or Rejected -> 409; missing Reason -> 400', async () => {
    expectError(await act(CLIENT, 'CancelMadeBooking', { BookingID: B.cancelConfirmedPast.BookingID, Reason: 'x' }), 409,
      /has passed/);
    expectError(await act(CLIENT, 'CancelMadeBooking', { BookingID: B.cancelCancelled.BookingID, Reason: 'x' }), 409, /Cancelled/);
    expectError(await act(CLIENT, 'CancelMadeBooking', { BookingID: B.cancelRejected.BookingID, Reason: 'x' }), 409, /Rejected/);
    expect400(await act(CLIENT, 'CancelMadeBooking', { BookingID: B.cancelPending.BookingID }), ['Reason']);
    expect400(await act(CLIENT, 'CancelMadeBooking', { BookingID: B.cancelPending.BookingID, Reason: 'x'.repeat(1001) }), ['Reason']);
  });
});

describe('CancelReceivedBooking', () => {
  test('Accepted -> Cancelled, CancelledBy Candidate; Pending or Confirmed -> 409', async () => {
    const b = expectStatus(await act(CAND, 'CancelReceivedBooking', { BookingID: B.candCancel.BookingID, Reason: 'Sick' }), 200);
    assert.equal(b.Status, 'Cancelled');
    assert.equal(b.CancelledBy, 'Candidate');
    assert.equal(b.CancelledReason, 'Sick');
    assert.equal(expectStatus(await madeDetails(env, CLIENT, B.candCancel.BookingID), 200).CancelledBy, 'Candidate');
    expectError(await act(CAND, 'CancelReceivedBooking', { BookingID: B.candCancelPending.BookingID, Reason: 'x' }), 409, /Pending/);
    expectError(await act(CAND, 'CancelReceivedBooking', { BookingID: B.candCancelConfirmed.BookingID, Reason: 'x' }), 409, /Confirmed/);
    expect400(await act(CAND, 'CancelReceivedBooking', { BookingID: B.candCancelPending.BookingID }), ['Reason']);
  });
});

describe('ReInvite', () => {
  test('lapsed with SessionDate passed -> Rejected with the given reason, LastUpdated = now (lapse not stored)', async () => {
    const r0 = expectStatus(await receivedDetails(env, CAND, B.reinvite.BookingID), 200);
    assert.equal(r0.ActionCandidate, `You can re-invite ${user(CLIENT).Nickname}`);
    const b = expectStatus(await act(CAND, 'ReInvite', { BookingID: B.reinvite.BookingID, Reason: 'Sorry, book again!' }), 200);
    assert.equal(b.Status, 'Rejected');
    assert.equal(b.RejectedReason, 'Sorry, book again!');
    assert.ok(near(b.LastUpdated), b.LastUpdated);
    assert.equal(b.ActionCandidate, null);
    assert.equal(expectStatus(await madeDetails(env, CLIENT, B.reinvite.BookingID), 200).RejectedReason, 'Sorry, book again!');
  });
  test('the ReInvite above put one invitation row in the notification outbox (spec §8.13)', async () => {
    const outbox = dbRows(env.db, `SELECT count(*) AS n FROM notification_outbox WHERE booking_id = ${B.reinvite.BookingID}`)[0].n;
    assert.equal(outbox, 1, 'an invitation row in the notification outbox');
  });
  test('no Reason -> the default text; a second ReInvite 409 (the lapse stored by the import)', async () => {
    const b = expectStatus(await act(CAND, 'ReInvite', { BookingID: B.reinviteDefault.BookingID }), 200);
    assert.equal(b.RejectedReason, `${user(CAND).Nickname} missed this booking and invites you to book again.`);
    expectError(await act(CAND, 'ReInvite', { BookingID: B.reinviteDefault.BookingID }), 409, /re-invited/);
  });
  test('lapsed but SessionDate ahead -> 409; rejected by the candidate -> 409; Pending not lapsed -> 409', async () => {
    expectError(await act(CAND, 'ReInvite', { BookingID: B.reinviteAhead.BookingID }), 409, /has not passed/);
    expectError(await act(CAND, 'ReInvite', { BookingID: B.reinviteRejected.BookingID }), 409, /Rejected/);
    expectError(await act(CAND, 'ReInvite', { BookingID: B.reinvitePending.BookingID }), 409, /Pending/);
    expectError(await act(CLIENT, 'ReInvite', { BookingID: B.reinvitePending.BookingID }), 404, /received/);
  });
});

describe('RescheduleMadeBooking', () => {
  test('a new Pending booking on the next five-minute mark 5-10 minutes ahead, AcceptBy = SessionDate, copies; source unchanged', async () => {
    const src = B.reschedule;
    const before = expectStatus(await madeDetails(env, CLIENT, src.BookingID), 200);
    const balance = await balanceText(env, CLIENT);
    const b = expectStatus(await act(CLIENT, 'RescheduleMadeBooking', { BookingID: src.BookingID }), 200);
    assert.notEqual(b.BookingID, src.BookingID);
    assert.equal(b.Status, 'Pending');
    const s = ms(b.SessionDate);
    const now = ms(b.CreateDate);
    assert.ok(near(b.CreateDate));
    assert.equal(s % (5 * MINUTE), 0, `a five-minute mark: ${b.SessionDate}`);
    assert.ok(s - now >= 5 * MINUTE && s - now < 10 * MINUTE, `5-10 minutes ahead of ${b.CreateDate}: ${b.SessionDate}`);
    assert.equal(b.AcceptBy, b.SessionDate);
    assert.equal(b.LastUpdated, b.CreateDate);
    for (const k of ['AcceptedDate', 'ConfirmedDate', 'CancelledDate', 'CancelledReason', 'CancelledBy', 'RejectedReason']) assert.equal(b[k], null, k);
    assert.deepStrictEqual([b.Duration, b.Credits, b.Method, b.SkypeName, b.PhoneNumber, b.Comments, b.Candidate.UserID],
      [src.Duration, Number(src.Credits), src.Method, src.SkypeName, null, src.Comments, src.CandidateUserID]);
    assert.deepStrictEqual(expectStatus(await madeDetails(env, CLIENT, src.BookingID), 200), before, 'source unchanged');
    assert.equal(await balanceText(env, CLIENT), balance, 'nothing moves');
    expectError(await act(CLIENT, 'RescheduleMadeBooking', { BookingID: src.BookingID }), 409, new RegExp(`\\b${b.BookingID}\\b`));
    assert.equal(expectStatus(await receivedDetails(env, CAND, b.BookingID), 200).Status, 'Pending');
  });
  test('SessionDate ahead, balance short, PPM raised above the Credits -> 409', async () => {
    expectError(await act(CLIENT, 'RescheduleMadeBooking', { BookingID: B.rescheduleAhead.BookingID }), 409, /has not passed/);
    expectError(await act(POOR, 'RescheduleMadeBooking', { BookingID: B.rescheduleShort.BookingID }), 409, /\b20\b/, /\b5\b/);
    // CAND_SKYPE's PPM 1.25 x 30 = 37.5 > 20.
    expectError(await act(CLIENT, 'RescheduleMadeBooking', { BookingID: B.reschedulePpm.BookingID }), 409, /37\.5/);
  });
});

describe('DeleteMadeBookings and DeleteReceivedBooking(s)', () => {
  const notFound = (id, side = 'made') => `No PhoneChat booking ${id} was found among your ${side} bookings.`;
  test('mixed IDs: per-ID results in request order, duplicates once, 200', async () => {
    const ids = [B.del2.BookingID, B.delPending.BookingID, B.del1.BookingID, B.del2.BookingID, B.delOthers.BookingID,
      B.delAccepted.BookingID, B.delConfirmedAhead.BookingID, 888888, B.delAlready.BookingID, B.delOver.BookingID];
    const res = await act(CLIENT, 'DeleteMadeBookings', { BookingIDs: ids.join(', ') });
    const got = expectStatus(res, 200);
    const distinct = [...new Set(ids)];
    assert.deepStrictEqual(got.map((r) => r.BookingID), distinct);
    for (const r of got) assert.deepStrictEqual(Object.keys(r), ['BookingID', 'Deleted', 'Message']);
    const by = Object.fromEntries(got.map((r) => [r.BookingID, r]));
    for (const bk of [B.del1, B.del2, B.delOver]) assert.deepStrictEqual(by[bk.BookingID], { BookingID: bk.BookingID, Deleted: true, Message: 'The booking was deleted.' });
    assert.equal(by[B.delPending.BookingID].Message, `Booking ${B.delPending.BookingID} cannot be deleted yet: its status is Pending; it must be Rejected, Cancelled, or Confirmed with the session over.`);
    assert.equal(by[B.delAccepted.BookingID].Message, `Booking ${B.delAccepted.BookingID} cannot be deleted yet: its status is Accepted; it must be Rejected, Cancelled, or Confirmed with the session over.`);
    assert.equal(by[B.delConfirmedAhead.BookingID].Deleted, false);
    assert.match(by[B.delConfirmedAhead.BookingID].Message, new RegExp(`^Booking ${B.delConfirmedAhead.BookingID} cannot be deleted yet: .*Confirmed`));
    for (const id of [B.delOthers.BookingID, 888888, B.delAlready.BookingID]) assert.deepStrictEqual(by[id], { BookingID: id, Deleted: false, Message: notFound(id) });
    const again = expectStatus(await act(CLIENT, 'DeleteMadeBookings', { BookingIDs: B.del1.BookingID }), 200);
    assert.deepStrictEqual(again, [{ BookingID: B.del1.BookingID, Deleted: false, Message: notFound(B.del1.BookingID) }], 'already deleted');
  });
  test('a deleted booking is gone from the client\'s list and details, unchanged for the candidate', async () => {
    const id = B.del2.BookingID;
    assert.equal((await madeDetails(env, CLIENT, id)).status, 404);
    const list = expectStatus(await get(env, CLIENT, 'MadeBookings?BookingsPerPage=100'), 200);
    assert.ok(!list.Bookings.some((x) => x.BookingID === id));
    const r = expectStatus(await receivedDetails(env, CAND, id), 200);
    assert.equal(r.LastUpdated, canonical(B.del2.LastUpdated), 'LastUpdated unchanged');
    assert.equal(r.Status, 'Cancelled');
    expectError(await act(CLIENT, 'CancelMadeBooking', { BookingID: id, Reason: 'x' }), 404, /among your made bookings/);
  });
  test('BookingIDs: "", "1,,2", "a", "0", 101 IDs -> 400; " 1 , 2 " and a bare 5 accepted', async () => {
    for (const v of ['', '1,,2', 'a', '0', Array.from({ length: 101 }, (_, i) => i + 1).join(','), '1.5', '-1', true]) {
      expect400(await act(CLIENT, 'DeleteMadeBookings', { BookingIDs: v }), ['BookingIDs'], JSON.stringify(v));
    }
    const spaced = expectStatus(await act(CLIENT, 'DeleteMadeBookings', { BookingIDs: ' 1 , 2 ' }), 200);
    assert.deepStrictEqual(spaced.map((r) => r.BookingID), [1, 2]);
    assert.deepStrictEqual(expectStatus(await act(CLIENT, 'DeleteMadeBookings', { BookingIDs: 5 }), 200).map((r) => r.BookingID), [5]);
    const hundred = expectStatus(await act(CLIENT, 'DeleteMadeBookings', { BookingIDs: Array.from({ length: 100 }, (_, i) => 500000 + i).join(',') }), 200);
    assert.equal(hundred.length, 100);
  });
  test('DeleteReceivedBooking and DeleteReceivedBookings both work, on the received side only; the client sees no change', async () => {
    const clientBefore = expectStatus(await madeDetails(env, CLIENT, B.delRecv.BookingID), 200);
    const one = expectStatus(await act(CAND, 'DeleteReceivedBooking', { BookingIDs: `${B.delRecv.BookingID}` }), 200);
    assert.deepStrictEqual(one, [{ BookingID: B.delRecv.BookingID, Deleted: true, Message: 'The booking was deleted.' }]);
    const two = expectStatus(await act(CAND, 'DeleteReceivedBookings', { BookingIDs: `${B.delRecv2.BookingID},${B.delRecv.BookingID}` }), 200);
    assert.deepStrictEqual(two, [{ BookingID: B.delRecv2.BookingID, Deleted: true, Message: 'The booking was deleted.' },
      { BookingID: B.delRecv.BookingID, Deleted: false, Message: notFound(B.delRecv.BookingID, 'received') }]);
    assert.equal((await receivedDetails(env, CAND, B.delRecv.BookingID)).status, 404);
    assert.deepStrictEqual(expectStatus(await madeDetails(env, CLIENT, B.delRecv.BookingID), 200), clientBefore);
    const byClient = expectStatus(await act(CLIENT, 'DeleteReceivedBooking', { BookingIDs: B.delRecv2.BookingID }), 200);
    assert.equal(byClient[0].Deleted, false, 'the client is not the candidate');
    assert.equal(byClient[0].Message, notFound(B.delRecv2.BookingID, 'received'));
  });
});


describe('XML answers of the POST routes', () => {
  const asXml = (uid, route, b) => post(env, uid, route, b, { accept: 'application/xml' });
  const checkBooking = (root, side) => {
    const made = side === 'made';
    assert.equal(root.local, made ? 'MadeBooking' : 'ReceivedBooking');
    assert.equal(root.ns, made ? NS.made : NS.received);
    assert.equal(root.nsDecls.i, NS.i);
    assert.deepStrictEqual(childNames(root), XML_BOOKING_ORDER(made ? 'ActionClient' : 'ActionCandidate'));
    const party = root.children.find((c) => c.local === (made ? 'Candidate' : 'Client'));
    assert.equal(party.nsDecls.d2p1, NS.pc, `${party.local} declares d2p1 when the booking is the root`);
    assert.deepStrictEqual(childNames(party), XML_PARTY_ORDER);
  };
  test('CreateBooking and CancelMadeBooking: a MadeBooking root; Accept: a ReceivedBooking root', async () => {
    const created = strictXml(await asXml(CLIENT, 'CreateBooking', { BookUserID: CAND, Method: 1, PhoneNumber: '07700900123',
      SessionDate: at(3).slice(0, 16), AcceptBy: at(2).slice(0, 16), Duration: 30, Credits: '15.5' }));
    checkBooking(created, 'made');
    assert.equal(created.children.find((c) => c.local === 'Credits').text, '15.5000');
    assert.equal(created.children.find((c) => c.local === 'Status').text, 'Pending');
    const accepted = strictXml(await asXml(CAND, 'AcceptReceivedBooking', { BookingID: B.xmlAccept.BookingID, Credits: '21' }));
    checkBooking(accepted, 'received');
    assert.equal(accepted.children.find((c) => c.local === 'Status').text, 'Accepted');
    checkBooking(strictXml(await asXml(CLIENT, 'CancelMadeBooking', { BookingID: B.xmlCancel.BookingID, Reason: 'x' })), 'made');
  });
  test('the other actions: Confirm and Reschedule answer a MadeBooking, Reject, CancelReceived and ReInvite a ReceivedBooking', async () => {
    checkBooking(strictXml(await asXml(CLIENT, 'ConfirmMadeBooking', { BookingID: B.xmlConfirm.BookingID })), 'made');
    checkBooking(strictXml(await asXml(CLIENT, 'RescheduleMadeBooking', { BookingID: B.xmlReschedule.BookingID })), 'made');
    checkBooking(strictXml(await asXml(CAND, 'RejectReceivedBooking', { BookingID: B.xmlReject.BookingID, Reason: 'x' })), 'received');
    checkBooking(strictXml(await asXml(CAND, 'CancelReceivedBooking', { BookingID: B.xmlCandCancel.BookingID, Reason: 'x' })), 'received');
    checkBooking(strictXml(await asXml(CAND, 'ReInvite', { BookingID: B.xmlReInvite.BookingID })), 'received');
    const del = strictXml(await asXml(CAND, 'DeleteReceivedBookings', { BookingIDs: B.xmlDeleteRecv.BookingID }));
    assert.equal(del.local, 'ArrayOfDeleteBookingResult');
    assert.deepStrictEqual(del.children.map((c) => childNames(c)), [['BookingID', 'Deleted', 'Message']]);
  });
  test('DeleteMadeBookings: ArrayOfDeleteBookingResult exactly as the spec\'s example', async () => {
    const id = B.xmlDelete.BookingID;
    const res = await asXml(CLIENT, 'DeleteMadeBookings', { BookingIDs: `${id},999991` });
    const root = strictXml(res);
    assert.equal(root.local, 'ArrayOfDeleteBookingResult');
    assert.equal(root.ns, NS.pc);
    assert.equal(res.text, `<ArrayOfDeleteBookingResult xmlns:i="${NS.i}" xmlns="${NS.pc}"><DeleteBookingResult><BookingID>${id}</BookingID>`
      + '<Deleted>true</Deleted><Message>The booking was deleted.</Message></DeleteBookingResult><DeleteBookingResult>'
      + '<BookingID>999991</BookingID><Deleted>false</Deleted><Message>No PhoneChat booking 999991 was found among your made bookings.'
      + '</Message></DeleteBookingResult></ArrayOfDeleteBookingResult>');
  });
});
