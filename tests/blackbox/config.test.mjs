// serve's --config file really configures the server it starts, below its flags and environment variables and above
// the defaults (configuration.test.mjs checks the same order through --print-config, and every bad setting).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { PEER, newSqliteDb, runCli, spawnServer } from './harness.mjs';

// The environment without the settings the tests give, so that only what a test sets is set.
function environment(extra = {}) {
  const env = { ...process.env, PHONECHAT_ADMIN_LISTEN: '127.0.0.1:0', ...extra };
  for (const name of ['PHONECHAT_DB', 'PHONECHAT_ZONE', 'PHONECHAT_LISTEN']) if (!(name in extra)) delete env[name];
  return env;
}

function configFile(dir, text) {
  const file = path.join(dir, 'phonechat-api.conf');
  fs.writeFileSync(file, text);
  return file;
}

// "listening on ... (database URL, zone ZONE)" of a server started with `args` and `env`, then stopped.
async function listeningLine(args, env) {
  const srv = await spawnServer(['serve', ...args], { env });
  try {
    return { line: srv.stderr().split('\n').find((l) => l.includes('listening on')), stderr: srv.stderr() };
  } finally {
    await srv.stop();
  }
}

describe('serve --config', { skip: PEER && 'the peer has no --config' }, () => {
  test('a flag wins over its environment variable, which wins over the file, which wins over the default', async () => {
    const db = newSqliteDb();
    const other = newSqliteDb();
    const file = configFile(db.dir, `# the service's settings\ndb = "${db.url}"\nlisten = "127.0.0.1:0"\nzone = "UTC"\n`);

    const fromFile = await listeningLine(['--config', file], environment());
    assert.match(fromFile.line, new RegExp(`database ${db.url}, zone UTC\\)`), fromFile.stderr);
    assert.doesNotMatch(fromFile.stderr, /Sandbox|sandbox/, 'a database from the file is no sandbox: no demo data');
    assert.ok(fs.existsSync(db.file), 'the file\'s database was created');

    const fromEnv = await listeningLine(['--config', file], environment({ PHONECHAT_ZONE: 'Asia/Tokyo', PHONECHAT_DB: other.url }));
    assert.match(fromEnv.line, new RegExp(`database ${other.url}, zone Asia/Tokyo\\)`), fromEnv.stderr);

    const fromFlag = await listeningLine(['--config', file, '--zone', 'America/New_York'],
      environment({ PHONECHAT_ZONE: 'Asia/Tokyo' }));
    assert.match(fromFlag.line, new RegExp(`database ${db.url}, zone America/New_York\\)`), fromFlag.stderr);
  });
});
