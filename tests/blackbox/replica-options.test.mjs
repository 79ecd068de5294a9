// `serve --db-read`: what it refuses at start-up, with one line and a non-zero exit.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PG_URL, newDb, newSqliteDb, psql, runCli } from './harness.mjs';

test('--db-read naming a SQLite database: exit 2, one line saying a replica must be PostgreSQL', async () => {
  const db = newDb();
  const replica = newSqliteDb();
  const r = await runCli(['serve', '--db', db.url, '--listen', '127.0.0.1:0', '--db-read', replica.url], { timeoutMs: 15000 });
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr.trim(), /^phonechat-api: .*read replica must be a PostgreSQL database/, r.stderr);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
});

test('--db-read naming a PostgreSQL database without the schema: refused, naming the schema version', { skip: !PG_URL && 'needs PHONECHAT_TEST_PG_URL' }, async () => {
  const db = newDb();
  const replica = newDb();
  psql(replica.url, ['SELECT 1']); // exists, empty: never migrated, as a replica must not be
  const r = await runCli(['serve', '--db', db.url, '--listen', '127.0.0.1:0', '--db-read', replica.url], { timeoutMs: 15000 });
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /schema version 0, this program needs \d+/, r.stderr);
  assert.doesNotMatch(r.stderr, /password=|:[^@/]*@/, 'no password in the message');
});
