// serve's --config file (TOML, keys named like the long options): read at all, below its flags and environment
// variables and above the defaults, and refused, naming the problem, when a key or value is wrong.
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

  test('an unknown key, a [section], a value out of range or a missing file: exit 2, one line naming it', async () => {
    const { dir } = newSqliteDb();
    const cases = [
      { text: 'listen = "127.0.0.1:0"\nlisen = "127.0.0.1:0"\n', names: 'lisen' },
      { text: '[serve]\nlisten = "127.0.0.1:0"\n', names: '[serve]' },
      { text: 'threads = 0\n', names: '--threads' },
    ];
    for (const { text, names } of cases) {
      const r = await runCli(['serve', '--config', configFile(dir, text)], { env: environment(), timeoutMs: 15000 });
      assert.equal(r.code, 2, `${JSON.stringify(text)}: exit ${r.code} signal ${r.signal}: ${r.stderr}`);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.ok(r.stderr.includes(names), `names ${names}: ${r.stderr}`);
    }
    const r = await runCli(['serve', '--config', path.join(dir, 'absent.conf')], { env: environment(), timeoutMs: 15000 });
    assert.equal(r.code, 2, r.stderr);
    assert.ok(r.stderr.includes('absent.conf'), r.stderr);
  });
});
