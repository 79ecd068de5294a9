// The credits ledger from the command line: `credits add` (a Credit movement, the new balance printed, bad amounts
// and unknown users refused with nothing stored), `ledger verify` over imported Credits and Confirmed bookings on
// either side of the import's now, and the import's Credit records refused by their line.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { dbDump, importRecords, newDb, runCli, sqlite } from './harness.mjs';

const user = (UserID, Nickname, extra = {}) => ({ Kind: 'User', UserID, Nickname, ...extra });
const credit = (UserID, Amount, extra = {}) => ({ Kind: 'Credit', UserID, Amount, Date: '2023-04-01T09:00:00',
  Description: 'Purchase', ...extra });
const booking = (BookingID, extra = {}) => ({ Kind: 'Booking', BookingID, ClientUserID: 10, CandidateUserID: 20, Duration: 15,
  Credits: '8', Status: 'Confirmed', Method: 2, CreateDate: '2023-05-01T10:00:00', SessionDate: '2023-05-03T21:30:00',
  AcceptBy: '2023-05-02T00:00:00', AcceptedDate: '2023-05-01T11:00:00', ConfirmedDate: '2023-05-01T12:00:00', ...extra });
const USERS = [user(10, 'Client'), user(20, 'Candidate', { OffersPhoneChat: true, PhoneChatPPM: '0.5' })];

const creditsAdd = (db, ...args) => runCli(['credits', 'add', '--db', db.url, ...args]);
const verify = (db) => runCli(['ledger', 'verify', '--db', db.url]);

async function importAt(db, records, now) {
  const file = path.join(db.dir, `ledger-${Date.now()}-${Math.random().toString(36).slice(2)}.jsonl`);
  fs.writeFileSync(file, records.map((r) => JSON.stringify(r)).join('\n') + '\n');
  return runCli(['import', '--db', db.url, '--now', now, file]);
}

describe('credits add', () => {
  test('adds to the user\'s balance, imported Credits included, and prints the new balance', async () => {
    const db = newDb();
    await importRecords(db, [...USERS, credit(10, '250')]);
    const first = await creditsAdd(db, '--user', '10', '--amount', '0.5');
    assert.equal(first.code, 0, first.stderr);
    assert.equal(first.stdout, 'user 10: balance 250.5\n');
    const second = await creditsAdd(db, '--user', '20', '--amount', '12.2500', '--description', 'Welcome gift');
    assert.equal(second.code, 0, second.stderr);
    assert.equal(second.stdout, 'user 20: balance 12.25\n');
    const checked = await verify(db);
    assert.equal(checked.code, 0, checked.stderr);
    assert.match(checked.stdout, /^ledger verified: 3 entries, .*escrow holds 0 /);
    assert.equal(checked.stdout.split('\n').filter(Boolean).length, 1);
  });

  for (const [name, args, message] of [
    ['a zero amount', ['--user', '10', '--amount', '0'], /--amount must be more than 0/],
    ['a negative amount', ['--user', '10', '--amount', '-5'], /--amount/],
    ['five fraction digits', ['--user', '10', '--amount', '1.00001'], /--amount "1\.00001" has more than 4 fraction digits/],
    ['not a number', ['--user', '10', '--amount', '12abc'], /--amount "12abc" must be a decimal number/],
    ['an exponent', ['--user', '10', '--amount', '1e3'], /--amount/],
    ['an empty description', ['--user', '10', '--amount', '5', '--description', ''], /--description must be 1 to 200/],
    ['an unknown user', ['--user', '99', '--amount', '5'], /user 99 does not exist/],
    ['no amount', ['--user', '10'], /--amount/],
  ]) {
    test(`refuses ${name}, exits non-zero and stores nothing`, async () => {
      const db = newDb();
      await importRecords(db, USERS);
      const before = JSON.stringify(dbDump(db));
      const r = await creditsAdd(db, ...args);
      assert.notEqual(r.code, 0, r.stdout);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, message);
      assert.equal(JSON.stringify(dbDump(db)), before);
    });
  }
});

describe('ledger verify', () => {
  test('an empty ledger verifies', async () => {
    const db = newDb();
    await importRecords(db, USERS);
    const r = await verify(db);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^ledger verified: 0 entries/);
  });

  test('escrow holds exactly the Confirmed bookings whose session is not over at the import\'s now', async () => {
    const db = newDb();
    // Booking 1's session ends 2023-05-03T21:45, booking 2's a week later; booking 3 is only Accepted.
    const r = await importAt(db, [...USERS, credit(10, '100'), booking(1, { Credits: '8' }),
      booking(2, { Credits: '12.5', SessionDate: '2023-05-10T21:30:00', AcceptBy: '2023-05-09T00:00:00' }),
      booking(3, { Status: 'Accepted', ConfirmedDate: null })], '2023-05-05T12:00:00');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /imported 2 users, 0 groups, 0 projects, 3 bookings, 1 credits/);
    const checked = await verify(db);
    assert.equal(checked.code, 0, checked.stderr);
    assert.match(checked.stdout, /escrow holds 12\.5 /);
  });

  test('every Confirmed booking whose session is over at the import is settled: escrow stays empty', async () => {
    const db = newDb();
    const r = await importAt(db, [...USERS, booking(1), booking(2)], '2024-01-01T00:00:00');
    assert.equal(r.code, 0, r.stderr);
    const checked = await verify(db);
    assert.equal(checked.code, 0, checked.stderr);
    assert.match(checked.stdout, /^ledger verified: 0 entries, .*escrow holds 0 /);
  });
});

describe('ledger verify on a ledger changed behind its back (SQLite: the file is edited directly)', () => {
  test('a running balance that differs from its rows is named, and the exit is 1', async (t) => {
    const db = newDb();
    if (db.pg) return t.skip('edits the SQLite file');
    await importRecords(db, [...USERS, credit(10, '250')]);
    sqlite(db.file, 'UPDATE accounts SET balance = balance + 10000 WHERE account_id = 10');
    const r = await verify(db);
    assert.equal(r.code, 1, r.stdout);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /ledger: user 10: running balance 251, but its ledger rows add up to 250/);
    assert.doesNotMatch(r.stderr, /external|escrow/);
  });

  test('escrow differing from the unsettled Confirmed bookings is named too', async (t) => {
    const db = newDb();
    if (db.pg) return t.skip('edits the SQLite file');
    const r0 = await importAt(db, [...USERS, booking(1, { SessionDate: '2030-01-01T00:00:00', AcceptBy: '2029-01-01T00:00:00' })],
      '2024-01-01T00:00:00');
    assert.equal(r0.code, 0, r0.stderr);
    sqlite(db.file, "UPDATE bookings SET settled = 1 WHERE booking_id = 1");
    const r = await verify(db);
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stderr, /ledger: escrow: running balance 8, but the Confirmed bookings not yet settled hold 0/);
  });
});

describe('Credit records in an import', () => {
  test('a Credit before its user stops the import at its line with the reason, and nothing is stored', async () => {
    const db = newDb();
    await importRecords(db, [user(1, 'Someone')]);
    const before = JSON.stringify(dbDump(db));
    const r = await importAt(db, [user(10, 'Client'), credit(20, '5'), user(20, 'Candidate')], '2024-01-01T00:00:00');
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /line 2: Credit\.UserID 20 is not a known user/);
    assert.equal(JSON.stringify(dbDump(db)), before);
  });

  test('a Credit\'s amount is checked as `credits add` checks it', async () => {
    const db = newDb();
    const r = await importAt(db, [...USERS, credit(10, '0')], '2024-01-01T00:00:00');
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /line 3: Credit\.Amount must be more than 0/);
  });

  test('--now must be a local time', async () => {
    const db = newDb();
    const r = await importAt(db, USERS, 'yesterday');
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /--now must be a local time/);
  });
});
