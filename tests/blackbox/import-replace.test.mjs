// `import --replace` and the credits ledger (docs/import-format.md, "Replacing a booking whose credits have moved"):
// a booking whose credits have moved is replaced only by a record with the same ledger effect; any other is refused
// by its line with nothing stored, and whatever is accepted leaves `ledger verify` passing. Runs on the backend
// under test (PHONECHAT_TEST_PG_URL for PostgreSQL).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { dbDump, dbRows, newDb, runCli } from './harness.mjs';

const NOW = '2025-03-20T12:00:00';

const user = (UserID, Nickname) => ({ Kind: 'User', UserID, Nickname });
const booking = (BookingID, extra = {}) => ({ Kind: 'Booking', BookingID, ClientUserID: 10, CandidateUserID: 20,
  Duration: 15, Credits: '8', Status: 'Confirmed', Method: 2, CreateDate: '2025-03-01T10:00:00',
  SessionDate: '2025-04-03T21:30:00', AcceptBy: '2025-04-02T00:00:00', AcceptedDate: '2025-03-01T11:00:00',
  ConfirmedDate: '2025-03-01T12:00:00', ...extra });
const USERS = [user(10, 'Client'), user(20, 'Candidate'), user(30, 'Other')];
const PENDING = { Status: 'Pending', AcceptedDate: null, ConfirmedDate: null };

const verify = (db) => runCli(['ledger', 'verify', '--db', db.url]);

function writeFile(db, records) {
  const file = path.join(db.dir, `replace-${Date.now()}-${Math.random().toString(36).slice(2)}.jsonl`);
  fs.writeFileSync(file, records.map((r) => JSON.stringify(r)).join('\n') + '\n');
  return file;
}

function importFile(db, file, { replace = false, now = NOW } = {}) {
  return runCli(['import', ...(replace ? ['--replace'] : []), '--db', db.url, '--now', now, file]);
}

const importRecords = (db, records, options) => importFile(db, writeFile(db, records), options);

async function assertVerifies(db, escrow) {
  const r = await verify(db);
  assert.equal(r.code, 0, r.stderr);
  if (escrow !== undefined) assert.match(r.stdout, new RegExp(`escrow holds ${escrow.replace('.', '\\.')} `));
}

const payments = (db) => dbRows(db, "SELECT booking_id, amount FROM ledger_entries WHERE kind = 'Payment' ORDER BY 1");

describe('import --replace and the ledger', () => {
  test('a generated data set replaced by another is refused by its line, nothing stored, the ledger still whole',
    async () => {
      const db = newDb();
      const files = [2, 3].map((seed) => path.join(db.dir, `seed${seed}.jsonl`));
      for (const [i, seed] of [2, 3].entries()) {
        const g = await runCli(['generate', '--users', '30', '--bookings', '200', '--seed', String(seed), '--lifecycle']);
        assert.equal(g.code, 0, g.stderr);
        fs.writeFileSync(files[i], g.stdout);
      }
      const first = await importFile(db, files[0]);
      assert.equal(first.code, 0, first.stderr);
      await assertVerifies(db);
      const before = JSON.stringify(dbDump(db));

      const r = await importFile(db, files[1], { replace: true });
      assert.notEqual(r.code, 0, r.stdout);
      const refused = /nothing was imported: line (\d+): Booking (\d+) cannot be replaced: its credits are held in escrow and the ledger keeps that movement, but the record changes \w+ from \S+ to \S+ \(a booking whose credits have moved keeps its client, candidate, Credits and status\)\n$/
        .exec(r.stderr);
      assert.ok(refused, r.stderr);
      // The line named is the refused booking's own, in the second file.
      const line = fs.readFileSync(files[1], 'utf8').split('\n')[Number(refused[1]) - 1];
      assert.equal(JSON.parse(line).BookingID, Number(refused[2]));
      assert.equal(JSON.stringify(dbDump(db)), before, 'a refused import stores nothing');
      await assertVerifies(db);

      // The same file again, when some of its sessions are over: every record keeps its ledger effect. Its Credit
      // records credit again (they are movements), its Confirmed bookings pay nothing twice, and escrow still
      // holds the bookings it held: the sweeper pays them, not the import.
      const escrowBefore = dbRows(db, 'SELECT balance FROM accounts WHERE account_id = -1');
      const paymentsBefore = payments(db);
      const again = await importFile(db, files[0], { replace: true, now: '2026-03-20T12:00:00' });
      assert.equal(again.code, 0, again.stderr);
      assert.deepEqual(payments(db), paymentsBefore);
      assert.deepEqual(dbRows(db, 'SELECT balance FROM accounts WHERE account_id = -1'), escrowBefore);
      await assertVerifies(db);
    });

  test('a Confirmed booking keeps its client, candidate, Credits and status; anything else about it is replaced',
    async () => {
      const db = newDb();
      const first = await importRecords(db, [...USERS, booking(1)]);
      assert.equal(first.code, 0, first.stderr);
      await assertVerifies(db, '8');
      const before = JSON.stringify(dbDump(db));
      for (const [change, message] of [
        [PENDING, 'Status from Confirmed to Pending'],
        [{ ClientUserID: 30 }, 'ClientUserID from 10 to 30'],
        [{ CandidateUserID: 30 }, 'CandidateUserID from 20 to 30'],
        [{ Credits: '8.5' }, 'Credits from 8 to 8.5'],
      ]) {
        const r = await importRecords(db, [booking(2), booking(1, change)], { replace: true });
        assert.notEqual(r.code, 0, r.stdout);
        assert.equal(r.stderr, `phonechat-api: import failed, nothing was imported: line 2: Booking 1 cannot be replaced: its credits are held in escrow and the ledger keeps that movement, but the record changes ${message} (a booking whose credits have moved keeps its client, candidate, Credits and status)\n`);
        assert.equal(JSON.stringify(dbDump(db)), before, 'a refused import stores nothing');
      }

      const same = await importRecords(db, [booking(1, { Comments: 'Call me on Skype', Credits: '8.0000' })],
        { replace: true });
      assert.equal(same.code, 0, same.stderr);
      assert.deepEqual(dbRows(db, 'SELECT comments FROM bookings WHERE booking_id = 1'), [{ comments: 'Call me on Skype' }]);
      assert.deepEqual(payments(db), [{ booking_id: 1, amount: 80000 }]);
      await assertVerifies(db, '8');
    });

  test('a booking confirmed earlier in the same file, then replaced as Pending, leaves no Payment', async () => {
    const db = newDb();
    const r = await importRecords(db, [...USERS, booking(1), booking(2, { Credits: '3' }), booking(1, PENDING)],
      { replace: true });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(payments(db), [{ booking_id: 2, amount: 30000 }]);
    await assertVerifies(db, '3');
    // And replaced again, over the stored booking that has no movement yet: it is confirmed and pays.
    const again = await importRecords(db, [booking(1, { Credits: '5' })], { replace: true });
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(payments(db), [{ booking_id: 1, amount: 50000 }, { booking_id: 2, amount: 30000 }]);
    await assertVerifies(db, '8');
  });
});
