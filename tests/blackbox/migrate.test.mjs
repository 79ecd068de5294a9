// `migrate`: creates the schema in a new database and brings it to the current version; running it again
// changes nothing; the migrated database serves and imports like any other.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SCOPE, importRecords, newDb, request, runCli, startServer } from './harness.mjs';

describe('migrate', () => {
  test('a new database: exit 0, the schema version on stdout; again: the same, nothing else changes', async () => {
    const db = newDb();
    const first = await runCli(['migrate', '--db', db.url]);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /^schema version \d+\n$/, `stdout: ${JSON.stringify(first.stdout)}`);
    await importRecords(db, [
      { Kind: 'User', UserID: 1, Nickname: 'Owner' },
      { Kind: 'Project', Name: 'App', OwnerUserID: 1, ApiKey: 'k', ClientID: 'app', RedirectURIs: ['http://127.0.0.1:9/cb'] },
    ]);
    const second = await runCli(['migrate', '--db', db.url]);
    assert.equal(second.code, 0, second.stderr);
    assert.equal(second.stdout, first.stdout);
    const token = (await runCli(['token', '--db', db.url, '--user', '1', '--client-id', 'app', '--scope', SCOPE])).stdout.trim();
    const srv = await startServer(db);
    try {
      const res = await request(srv.port, '/v1/PhoneChat/MadeBookings', { token });
      assert.equal(res.status, 200, res.describe());
      assert.equal(res.json().BookingsTotal, 0);
    } finally {
      await srv.stop();
    }
  });

  test('an unsupported URL: non-zero exit and one line saying why', async () => {
    const r = await runCli(['migrate', '--db', 'mysql://nowhere/db']);
    assert.ok(r.code !== 0 && r.code !== null, `exit ${r.code}`);
    assert.match(r.stderr, /scheme/i, r.stderr);
  });
});
