// The credits ledger through the API (spec §6, §8.17): the balance's two shapes, settlement on the first balance read
// (once, under concurrent reads), and the invariants checked by `ledger verify` and by SQL.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { runCli, sleep } from './harness.mjs';
import {
  BALANCE, CAND, CAND2, CLIENT, CLIENT2, CLIENT4, ESCROW, NS, at, accountBalance, balanceText, booking, credit, e4, e4Text,
  expectStatus, get, ledgerInvariants, ledgerRows, ledgerVerify, madeDetails, post, receivedDetails, setupLifecycle, strictXml,
} from './lifecycle-fixture.mjs';

// The import runs two hours before the server's NOW. CAND2 earns from these: two sessions over at NOW (one already over
// at the import's now, settled by the import; one over only since, which the import paid into escrow), one running,
// one ahead.
const IMPORT_NOW = at(0, -2);
const B = {
  settledByImport: booking(301, { client: CLIENT4, cand: CAND2, status: 'Confirmed', acceptBy: at(-3), session: at(-2), credits: '11' }),
  overAfterImport: booking(302, { client: CLIENT4, cand: CAND2, status: 'Confirmed', acceptBy: at(-1), session: at(0, -1), duration: 30, credits: '12.3456' }),
  running: booking(303, { client: CLIENT4, cand: CAND2, status: 'Confirmed', acceptBy: at(-1), session: at(0, 0, -10), duration: 60, credits: '7' }),
  ahead: booking(304, { client: CLIENT4, cand: CAND2, status: 'Confirmed', acceptBy: at(1), session: at(2), credits: '9.5' }),
  toConfirm: booking(305, { client: CLIENT, cand: CAND2, status: 'Accepted', acceptBy: at(1), session: at(2), credits: '20.25' }),
  toRefund: booking(306, { client: CLIENT, cand: CAND2, status: 'Accepted', acceptBy: at(1), session: at(2), credits: '3' }),
};

let env;
before(async () => {
  env = await setupLifecycle({ bookings: Object.values(B), importNow: IMPORT_NOW,
    credits: [credit(CLIENT, '1000'), credit(CLIENT2, '12.5'), credit(CLIENT4, '300'), credit(CLIENT4, '0.0001', 'Gift')] });
});
after(async () => { if (env) await env.stop(); });

describe('GetCurrentCreditBalance', () => {
  test('JSON: the bare number, shortest (12.5); the imported Credits summed', async () => {
    const res = await get(env, CLIENT2, BALANCE);
    assert.equal(res.status, 200, res.describe());
    assert.equal(res.contentType(), 'application/json;charset=utf-8');
    assert.equal(res.text, '12.5');
    assert.equal(await balanceText(env, CLIENT), '1000');
    assert.equal(await balanceText(env, CAND), '0', 'no account yet: 0');
  });
  test('XML: a decimal root in the serialization namespace, four fraction digits', async () => {
    const res = await get(env, CLIENT2, BALANCE, { accept: 'application/xml' });
    const root = strictXml(res);
    assert.equal(root.local, 'decimal');
    assert.equal(root.ns, NS.ser);
    assert.equal(root.text, '12.5000');
    assert.equal(res.text, `<decimal xmlns="${NS.ser}">12.5000</decimal>`);
  });
});

describe('settlement', () => {
  test('after the session is over the candidate\'s balance rises by Credits on the first read, once, under concurrent reads', async () => {
    // Before any read: the import paid booking 302 into escrow; 301 counts as settled (no rows).
    assert.deepStrictEqual(ledgerRows(env.db, B.settledByImport.BookingID), []);
    assert.deepStrictEqual(ledgerRows(env.db, B.overAfterImport.BookingID).map((r) => r.kind), ['Payment']);
    const escrowBefore = accountBalance(env.db, ESCROW);
    const reads = await Promise.all(Array.from({ length: 12 }, () => get(env, CAND2, BALANCE)));
    const expected = e4Text(e4(B.overAfterImport.Credits));
    for (const r of reads) assert.equal(r.text, expected, `every concurrent read includes the earning once: ${r.describe()}`);
    assert.equal(await balanceText(env, CAND2), expected, 'and a later one');
    assert.deepStrictEqual(ledgerRows(env.db, B.overAfterImport.BookingID).map((r) => [r.kind, r.from_account, r.to_account, r.amount]),
      [['Payment', -2, -1, Number(e4(B.overAfterImport.Credits))], ['Earning', -1, CAND2, Number(e4(B.overAfterImport.Credits))]]);
    assert.equal(accountBalance(env.db, ESCROW), escrowBefore - e4(B.overAfterImport.Credits));
    for (const bk of [B.running, B.ahead]) assert.deepStrictEqual(ledgerRows(env.db, bk.BookingID).map((r) => r.kind), ['Payment'], 'not over: not settled');
    // Status and LastUpdated stay.
    const r = expectStatus(await receivedDetails(env, CAND2, B.overAfterImport.BookingID), 200);
    assert.equal(r.Status, 'Confirmed');
    assert.equal(r.LastUpdated, B.overAfterImport.LastUpdated);
    assert.equal(r.ActionCandidate, null);
    ledgerInvariants(env.db);
  });
});

describe('ledger invariants', () => {
  test('after Confirm, Refund and settlement: balances sum to 0, escrow = unsettled Confirmed Credits, ledger verify agrees', async () => {
    expectStatus(await post(env, CLIENT, 'ConfirmMadeBooking', { BookingID: B.toConfirm.BookingID }), 200);
    expectStatus(await post(env, CLIENT, 'ConfirmMadeBooking', { BookingID: B.toRefund.BookingID }), 200);
    expectStatus(await post(env, CLIENT, 'CancelMadeBooking', { BookingID: B.toRefund.BookingID, Reason: 'No' }), 200);
    assert.equal(await balanceText(env, CLIENT), e4Text(e4('1000') - e4(B.toConfirm.Credits)));
    assert.equal(await balanceText(env, CLIENT4), '300.0001', 'imported Confirmed bookings were paid from external, not the client');
    await balanceText(env, CAND2);
    ledgerInvariants(env.db);
    // escrow equals the Credits of the Confirmed bookings whose session is not over (none is settled early).
    const open = [B.running, B.ahead, B.toConfirm];
    assert.equal(accountBalance(env.db, ESCROW), open.reduce((s, b) => s + e4(b.Credits), 0n));
    assert.equal(accountBalance(env.db, -2), -[credit(0, '1000'), credit(0, '12.5'), credit(0, '300'), credit(0, '0.0001')]
      .reduce((s, c) => s + e4(c.Amount), 0n) - [B.overAfterImport, B.running, B.ahead].reduce((s, b) => s + e4(b.Credits), 0n),
    'external paid the Credits and the imported escrow');
    const v = await ledgerVerify(env.db);
    assert.equal(v.code, 0, v.stderr);
    assert.match(v.stdout, /^ledger verified/);
    const details = expectStatus(await madeDetails(env, CLIENT, B.toRefund.BookingID), 200);
    assert.equal(details.Status, 'Cancelled');
  });
  test('credits add shows in the next balance read of a running server', async () => {
    const before = await balanceText(env, CLIENT2);
    const r = await runCli(['credits', 'add', '--db', env.db.url, '--user', String(CLIENT2), '--amount', '0.25']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await balanceText(env, CLIENT2), e4Text(e4(before) + e4('0.25')));
    ledgerInvariants(env.db);
  });
});

describe('the sweeper', () => {
  test('settles a session that is over without any balance read (--sweep-interval 1)', async () => {
    const over = booking(351, { client: CLIENT4, cand: CAND2, status: 'Confirmed', acceptBy: at(-1), session: at(0, -1), duration: 30, credits: '4.5' });
    const swept = await setupLifecycle({ bookings: [over], importNow: IMPORT_NOW, sweepSeconds: 1 });
    try {
      let kinds = [];
      for (let i = 0; i < 40 && kinds.length < 2; i++) {
        await sleep(100);
        kinds = ledgerRows(swept.db, over.BookingID).map((r) => r.kind);
      }
      assert.deepStrictEqual(kinds, ['Payment', 'Earning']);
      assert.equal(accountBalance(swept.db, CAND2), e4('4.5'));
      ledgerInvariants(swept.db);
    } finally {
      await swept.stop();
    }
  });
});
