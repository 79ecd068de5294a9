// `generate`: a synthetic data set that the importer takes as it is, the same bytes for the same arguments,
// heavy clients whose BookingsTotal is exactly their size, and one-line misuse errors with exit status 2.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { PEER, mintToken, newDb, request, runCli, startServer } from './harness.mjs';

const USERS = 40;
const BOOKINGS = 300;
const HEAVY_CLIENTS = 2;
const HEAVY_SIZE = 137;
const ARGS = ['generate', '--users', String(USERS), '--bookings', String(BOOKINGS), '--seed', '7',
  '--heavy-clients', String(HEAVY_CLIENTS), '--heavy-size', String(HEAVY_SIZE)];

const lines = (text) => text.split('\n').filter((l) => l !== '');

describe('generate', { skip: PEER && 'the peer has no generate command' }, () => {
  let generated;
  let db;
  let srv;
  before(async () => {
    generated = await runCli(ARGS);
    db = newDb();
  });
  after(async () => {
    if (srv) await srv.stop();
  });

  test('writes users, the bench project and bookings in the import format to standard output', () => {
    assert.equal(generated.code, 0, generated.stderr);
    assert.equal(generated.stderr, '');
    const records = lines(generated.stdout).map((l) => JSON.parse(l));
    const count = (kind) => records.filter((r) => r.Kind === kind).length;
    assert.equal(count('User'), USERS);
    assert.equal(count('Project'), 1);
    assert.equal(count('Booking'), BOOKINGS + HEAVY_CLIENTS * HEAVY_SIZE);
    const project = records.find((r) => r.Kind === 'Project');
    assert.equal(project.ClientID, 'bench-app');
    assert.equal(project.ApiKey, 'bench-key');
    assert.equal(project.OwnerUserID, 1);
  });

  test('the same arguments give the same bytes, another seed other bytes', async () => {
    assert.equal((await runCli(ARGS)).stdout, generated.stdout);
    const other = await runCli(ARGS.map((a) => (a === '7' ? '8' : a)));
    assert.equal(other.code, 0, other.stderr);
    assert.notEqual(other.stdout, generated.stdout);
  });

  test('its output imports through a file, and a heavy client has BookingsTotal equal to --heavy-size', async () => {
    const file = path.join(db.dir, 'generated.jsonl');
    fs.writeFileSync(file, generated.stdout);
    const imported = await runCli(['import', '--db', db.url, file]);
    assert.equal(imported.code, 0, imported.stderr);
    const total = BOOKINGS + HEAVY_CLIENTS * HEAVY_SIZE;
    assert.match(imported.stderr, new RegExp(`imported ${USERS} users, 0 groups, 1 projects, ${total} bookings`));

    // The heavy clients are the first clients: the first booking line names the first of them.
    const firstBooking = JSON.parse(lines(generated.stdout).find((l) => l.includes('"Kind":"Booking"')));
    const heavy = firstBooking.ClientUserID;
    const token = await mintToken(db, { user: heavy, clientId: 'bench-app' });
    srv = await startServer(db);
    for (const client of [heavy, heavy + 1]) {
      const t = client === heavy ? token : await mintToken(db, { user: client, clientId: 'bench-app' });
      const target = '/v1/PhoneChat/MadeBookings?BookingsPerPage=100';
      const res = await request(srv.port, target, { token: t, apiKey: 'bench-key' });
      assert.equal(res.status, 200, res.describe());
      const body = res.json();
      assert.equal(body.BookingsTotal, HEAVY_SIZE, `client ${client}`);
      assert.equal(body.PageCount, Math.ceil(HEAVY_SIZE / 100));
    }
  });

  for (const [name, args] of [
    ['fewer than 2 users', ['--users', '1', '--bookings', '5']],
    ['no --bookings', ['--users', '10']],
    ['negative bookings', ['--users', '10', '--bookings', '-1']],
    ['heavy clients without a heavy size', ['--users', '10', '--bookings', '5', '--heavy-clients', '2']],
    ['more heavy clients than clients',
      ['--users', '10', '--bookings', '0', '--heavy-clients', '10', '--heavy-size', '3']],
    ['a number that is not one', ['--users', 'many', '--bookings', '5']],
  ]) {
    test(`misuse (${name}) prints one line and exits 2 with nothing on standard output`, async () => {
      const r = await runCli(['generate', ...args]);
      assert.equal(r.code, 2, r.stderr);
      assert.equal(r.stdout, '');
      assert.equal(lines(r.stderr).length, 1, r.stderr);
      assert.match(r.stderr, /^phonechat-api: .*--(users|bookings|heavy-clients|heavy-size)/);
    });
  }
});
