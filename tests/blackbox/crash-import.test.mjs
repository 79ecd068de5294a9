// Crash safety of `import` (docs/import-format.md: "The whole file is one transaction"): the CLI is killed with
// SIGKILL while it imports a large generated file, at several moments after it began to write, and the database is
// compared with a full snapshot taken before (SQLite: `sqlite3 FILE .dump`; PostgreSQL: every table's rows, ordered):
// it is exactly as before, or, for a kill that lands after the commit, exactly as a complete import of the same file
// leaves it (measured on a copy). Never anything in between. After every kill SQLite's `PRAGMA integrity_check` is
// `ok` and `ledger verify` passes (the file's Credits and Confirmed bookings write ledger rows). Two cases: a file into
// an empty database, and a second file (new IDs) into a database that holds a first one, whose data stays intact.
// Finally the killed database takes the same file to the end, as its copy did.
// The kills are placed by what the import has written (progress() below), not by time, so that a loaded machine
// moves them no nearer the start or the end: SQLite, the transaction's pages in the WAL (a large import spills them
// there long before its commit); PostgreSQL, the growth of the database's files.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { BACKEND, PEER, copyDb, newDb, psql, runCli, sleep } from './harness.mjs';
import { dbSnapshot, quiesceDb, snapshotDiff, spawnCli, sqliteIntegrity } from './fixture.mjs';

// PostgreSQL imports several times slower than SQLite: a file of a similar duration (2-4 s on 2 cores).
const BOOKINGS = BACKEND === 'postgres' ? 10000 : 40000;
const USERS = 2000;
const NOW = '2025-03-20T12:00:00';
// When the kills land, as a fraction of what the complete import wrote (see progress()): as soon as it writes, midway,
// near its end.
const KILL_POINTS = [0, 0.5, 0.8];

// Writes `generate` output with `seed` (and at most BOOKINGS bookings) to a file in `dir`. `second`: every user and booking ID moved past the first
// file's, and the project's client ID and API key renamed, so that the file imports beside a first one.
async function generated(dir, seed, { second = false, bookings = BOOKINGS } = {}) {
  const r = await runCli(['generate', '--users', String(USERS), '--bookings', String(bookings), '--seed', String(seed),
    '--lifecycle'], { timeoutMs: 60000 });
  assert.equal(r.code, 0, r.stderr);
  let text = r.stdout;
  if (second) {
    text = text.replace(/"(UserID|OwnerUserID|ClientUserID|CandidateUserID)":(\d+)/g, (_, k, id) => `"${k}":${+id + USERS}`)
      .replace(/"BookingID":(\d+)/g, (_, id) => `"BookingID":${+id + BOOKINGS}`)
      .replace(/"EmailAddress":"user(\d+)@/g, (_, id) => `"EmailAddress":"user${+id + USERS}@`)
      .replace(/"(ApiKey|ClientID)":"([^"]*)"/g, (_, k, v) => `"${k}":"${v}-second"`);
  }
  const file = path.join(dir, `generated-${seed}.jsonl`);
  fs.writeFileSync(file, text);
  return file;
}

// SQLite: the WAL's stat, or null when there is none. One look: an import that ends removes the WAL, between any two.
function walStat(db) {
  try {
    return fs.statSync(`${db.file}-wal`);
  } catch (error) {
    if (error.code === 'ENOENT') return null;
    throw error;
  }
}
// SQLite: the WAL's last modification (0 when there is none).
const walStamp = (db) => walStat(db)?.mtimeMs ?? 0;
// PostgreSQL: the size of the database's files (relations, the import's temporary staging tables included).
const pgSize = (db) => +psql(db.url, ['SELECT pg_database_size(current_database())']).trim();

// How far an import into `db` has written, in bytes, from `start` (startProgress's): SQLite, the size of the WAL it
// has written (a WAL a killed import left is written over from its start, so only a WAL modified since counts);
// PostgreSQL, how much the database's files grew.
function startProgress(db) {
  return db.pg ? { size: pgSize(db) } : { stamp: walStamp(db) };
}
function progress(db, start) {
  if (db.pg) return pgSize(db) - start.size;
  const wal = walStat(db);
  return wal && wal.mtimeMs > start.stamp ? wal.size : 0;
}
// Progress from which an import has begun to write: more than a few pages.
const WRITING = 256 * 1024;

// Runs the import of `file` into `db`; with `killAt` (bytes of progress) it is killed once it has written that much.
// Resolves { code, signal, writingAt and total (ms from the start), killed, most (the most progress seen), stderr }.
async function importRun(db, file, { killAt = null } = {}) {
  const args = ['import', '--db', db.url, '--now', NOW, file];
  const start = startProgress(db);
  const t0 = Date.now();
  const run = spawnCli(args);
  let done = null;
  run.exited.then((r) => { done = r; });
  let writingAt = null;
  let most = 0;
  let killed = false;
  while (!done) {
    const now = progress(db, start);
    most = Math.max(most, now);
    if (writingAt === null && now > WRITING) writingAt = Date.now() - t0;
    if (killAt !== null && writingAt !== null && now >= killAt) {
      killed = true;
      run.proc.kill('SIGKILL');
      break;
    }
    await sleep(5);
  }
  const { code, signal } = await run.exited;
  return { code, signal, writingAt, total: Date.now() - t0, killed, most, stderr: run.stderr() };
}

// Kills imports of `file` into `db` at KILL_POINTS and checks each time that the database is `before` or `complete`.
// `measured`: the complete run on a copy. Returns how many kills left the database as before.
async function killImports(t, db, file, { before, complete, measured }) {
  let untouched = 0;
  for (const point of KILL_POINTS) {
    const label = `kill at ${point} of what the complete import wrote`;
    const run = await importRun(db, file, { killAt: Math.max(WRITING, Math.round(point * measured.most)) });
    await quiesceDb(db);
    const after = dbSnapshot(db);
    const state = after === before ? 'as before' : after === complete ? 'complete' : 'neither';
    t.diagnostic(`${label}: began to write after ${run.writingAt} ms, ${run.killed ? `killed after ${run.total} ms, ${run.most} bytes written` :
      `exited ${run.code ?? run.signal} after ${run.total} ms first`}; the database is ${state}`);
    if (run.killed) assert.equal(run.signal, 'SIGKILL', `${label}: the import died of the kill: ${run.stderr}`);
    else assert.equal(run.code, 0, `${label}: the import ended before the kill, and succeeded: ${run.stderr}`);
    assert.notEqual(run.writingAt, null, `${label}: the import began to write before it ended`);
    if (!db.pg) assert.equal(sqliteIntegrity(db), 'ok', `${label}: PRAGMA integrity_check`);
    const verify = await runCli(['ledger', 'verify', '--db', db.url]);
    assert.equal(verify.code, 0, `${label}: ledger verify: ${verify.stdout}${verify.stderr}`);
    assert.notEqual(state, 'neither', `${label}: the database is exactly as before or as the complete import leaves it: ` +
      `against before, ${snapshotDiff(before, after)}; against complete, ${snapshotDiff(complete, after)}`);
    if (state === 'complete') break; // the kill came after the commit: the next import would only fail on existing IDs
    untouched++;
  }
  return untouched;
}

// Per table, the row count of the snapshot (PostgreSQL: identity columns advance in a rolled-back transaction too, so
// a later import's ledger entry IDs differ from its copy's; the rows per table still match).
function rowCounts(snapshot) {
  const counts = {};
  let table = null;
  for (const line of snapshot.split('\n')) {
    const m = /^-- table (\S+)$/.exec(line);
    if (m) counts[(table = m[1])] = 0;
    else if (table && line !== '') counts[table]++;
  }
  return counts;
}

// The import after the kills completes and leaves what it left on the copy.
async function completesAfterKills(db, file, { complete }) {
  const run = await importRun(db, file);
  assert.equal(run.code, 0, `the import after the kills: ${run.stderr}`);
  const after = dbSnapshot(db);
  if (!db.pg) assert.equal(snapshotDiff(complete, after), '', 'the import after the kills leaves what it left on the copy');
  else assert.deepStrictEqual(rowCounts(after), rowCounts(complete), 'the import after the kills: the rows of every table');
}

describe(`kill -9 during an import on ${BACKEND}`, { skip: PEER && 'the peer has no generate command' }, () => {
  test(`into an empty database (${BOOKINGS} bookings): exactly as before, integrity ok, ledger verified`, async (t) => {
    const db = newDb();
    const migrated = await runCli(['migrate', '--db', db.url]);
    assert.equal(migrated.code, 0, migrated.stderr);
    const file = await generated(db.dir, 1);
    const before = dbSnapshot(db);

    const copy = copyDb(db);
    const measured = await importRun(copy, file);
    assert.equal(measured.code, 0, `the complete import on a copy: ${measured.stderr}`);
    t.diagnostic(`the complete import began to write after ${measured.writingAt} ms, wrote ${measured.most} bytes, ended after ${measured.total} ms`);
    const complete = dbSnapshot(copy);
    assert.notEqual(complete, before, 'the import changes the database');

    const untouched = await killImports(t, db, file, { before, complete, measured });
    assert.ok(untouched >= 2, `at least two kills landed before the commit (${untouched})`);
    if (dbSnapshot(db) === before) await completesAfterKills(db, file, { complete });
  });

  test('of a second file into a database that holds a first one: the first file\'s data intact', async (t) => {
    const db = newDb();
    const first = await generated(db.dir, 2, { bookings: BOOKINGS / 4 });
    const loaded = await importRun(db, first);
    assert.equal(loaded.code, 0, `the first import: ${loaded.stderr}`);
    const second = await generated(db.dir, 3, { second: true });
    const before = dbSnapshot(db);

    const copy = copyDb(db);
    const measured = await importRun(copy, second);
    assert.equal(measured.code, 0, `the complete second import on a copy: ${measured.stderr}`);
    t.diagnostic(`the complete second import began to write after ${measured.writingAt} ms, wrote ${measured.most} bytes, ended after ${measured.total} ms`);
    const complete = dbSnapshot(copy);
    assert.notEqual(complete, before, 'the second file changes the database');

    const untouched = await killImports(t, db, second, { before, complete, measured });
    assert.ok(untouched >= 2, `at least two kills landed before the commit (${untouched})`);
    if (dbSnapshot(db) === before) await completesAfterKills(db, second, { complete });
  });
});
