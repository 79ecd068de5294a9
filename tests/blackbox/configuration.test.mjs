// `serve`'s configuration: a variable for every flag, the precedence flag > variable > file > default, the
// configuration file really applied, `--print-config` with its sources and masked secrets, `<NAME>_FILE` secrets,
// and one line naming the key, its source and the fault for every bad setting.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { PEER, importRecords, mintToken, newDb, request, runCli, spawnServer, tempDir } from './harness.mjs';
import { MAIN, NOW, PROJECT_A, buildFixture } from './fixture.mjs';

// runCli's environment without the PHONECHAT_ variables of the test run (the admin listener's free port aside).
const clean = (env = {}) => {
  const base = {};
  for (const k of Object.keys(process.env)) if (k.startsWith('PHONECHAT_') && k !== 'PHONECHAT_ADMIN_LISTEN') base[k] = '';
  return { ...base, ...env };
};
const printConfig = (args = [], env = {}) => runCli(['serve', '--print-config', ...args], { env: clean(env) });
function file(name, text) {
  const p = path.join(tempDir(), name);
  fs.writeFileSync(p, text);
  return p;
}
// The `key = value  # source` lines of --print-config: key -> { value, source }.
function settings(stdout) {
  const map = new Map();
  for (const line of stdout.split('\n')) {
    const m = /^([a-z-]+) = (.*?)  # (.*)$/.exec(line);
    if (m) map.set(m[1], { value: m[2], source: m[3] });
  }
  return map;
}

describe('configuration', { skip: PEER && 'the peer has no configuration file or --print-config' }, () => {
  test('every flag of serve has a PHONECHAT_ variable', async () => {
    const help = await runCli(['serve', '--help']);
    assert.equal(help.code, 0);
    const options = help.stdout.split('\n').filter((l) => /^\s+(-h,)?--[a-z]/.test(l));
    assert.ok(options.length >= 30, `${options.length} options in ${help.stdout}`);
    const missing = options.filter((l) => !/\(Env:PHONECHAT_[A-Z_]+\)/.test(l)).map((l) => l.trim().split(/\s/)[0])
      .filter((flag) => !['-h,--help', '--print-config'].includes(flag));
    assert.deepEqual(missing, [], 'flags without a variable');
  });

  test('precedence: the flag, else the variable, else the file, else the default; each printed with its source', async () => {
    const conf = file('serve.toml', '# zone and drain time\nzone = "Asia/Tokyo"\n\ndrain-time = 3\n');
    let s = settings((await printConfig(['--config', conf, '--zone', 'UTC'], { PHONECHAT_ZONE: 'America/New_York' })).stdout);
    assert.deepEqual(s.get('zone'), { value: '"UTC"', source: 'flag --zone' });
    s = settings((await printConfig(['--config', conf], { PHONECHAT_ZONE: 'America/New_York' })).stdout);
    assert.deepEqual(s.get('zone'), { value: '"America/New_York"', source: 'variable PHONECHAT_ZONE' });
    s = settings((await printConfig(['--config', conf])).stdout);
    assert.deepEqual(s.get('zone'), { value: '"Asia/Tokyo"', source: `${conf} line 2` });
    assert.deepEqual(s.get('drain-time'), { value: '3', source: `${conf} line 4` });
    s = settings((await printConfig([], { PHONECHAT_CONFIG: conf })).stdout);
    assert.deepEqual(s.get('zone'), { value: '"Asia/Tokyo"', source: `${conf} line 2` }, 'the file named by PHONECHAT_CONFIG');
    s = settings((await printConfig()).stdout);
    assert.deepEqual(s.get('zone'), { value: '"Europe/London"', source: 'default' });
    assert.deepEqual(s.get('drain-time'), { value: '20', source: 'default' });
  });

  test('--print-config is a configuration file serve reads back to the same settings, sections allowed', async () => {
    const conf = file('a.toml', '[serve]\nthreads = 3\ntrusted-proxy = ["10.0.0.0/8",\n  "127.0.0.1"]\naccess-log = "off"\n');
    const first = await printConfig(['--config', conf]);
    assert.equal(first.code, 0, first.stderr);
    const s = settings(first.stdout);
    assert.deepEqual(s.get('trusted-proxy'), { value: '["10.0.0.0/8", "127.0.0.1"]', source: `${conf} line 3` });
    const again = settings((await printConfig(['--config', file('b.toml', first.stdout)])).stdout);
    assert.deepEqual([...again].map(([k, v]) => [k, v.value]), [...s].map(([k, v]) => [k, v.value]));
  });

  test('the file really configures the server: its listen address, clock, access log and admin listener', async () => {
    const db = newDb();
    await importRecords(db, buildFixture().lines);
    const token = await mintToken(db, { user: MAIN, clientId: PROJECT_A.ClientID });
    const conf = file('serve.toml', `db = "${db.url}"\nlisten = "127.0.0.1:0"\nnow = "${NOW}"\naccess-log = "off"\nadmin-listen = "off"\n`);
    const srv = await spawnServer(['serve', '--config', conf], { env: { ...process.env, ...clean(), PHONECHAT_ADMIN_LISTEN: '' } });
    try {
      const r = await request(srv.port, '/v1/PhoneChat/MadeBookings?BookingsPerPage=1', { token });
      assert.equal(r.status, 200, r.describe());
      assert.ok(!/health and metrics at/.test(srv.stderr()), 'admin-listen = "off" applied');
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.deepEqual(srv.logLines.filter((l) => l.trim()), [], 'access-log = "off" applied');
    } finally {
      await srv.stop();
    }
  });

  test('a secret from <NAME>_FILE: the database URL read from a file, printed masked, never in full', async () => {
    const secret = file('db-url', 'postgresql://app:Sup3r-s3cret@db.internal:5432/phonechat?sslmode=require\n');
    const r = await printConfig([], { PHONECHAT_DB_FILE: secret });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(settings(r.stdout).get('db'), {
      value: '"postgresql://app:***@db.internal:5432/phonechat?sslmode=require"', source: 'variable PHONECHAT_DB_FILE' });
    const replicas = file('replicas', 'postgresql://r:pw1@a/db\npostgresql://h/db?password=pw2\n');
    const shown = await printConfig(['--db-read', 'postgresql://x:pw3@c/db'], { PHONECHAT_DB_READ_FILE: replicas });
    assert.deepEqual(settings(shown.stdout).get('db-read').source, 'flag --db-read');
    const fromFile = settings((await printConfig([], { PHONECHAT_DB_READ_FILE: replicas })).stdout).get('db-read');
    assert.deepEqual(fromFile, { value: '["postgresql://r:***@a/db", "postgresql://h/db?password=***"]', source: 'variable PHONECHAT_DB_READ_FILE' });
    for (const out of [r, shown]) for (const pw of ['Sup3r-s3cret', 'pw1', 'pw2', 'pw3']) assert.ok(!out.stdout.includes(pw), pw);
  });

  test('a SQLite database named by PHONECHAT_DB_FILE is the one served', async () => {
    const db = newDb();
    if (db.pg) return; // the URL of a PostgreSQL test database holds no secret of its own; the printing test covers it
    await importRecords(db, buildFixture().lines);
    const token = await mintToken(db, { user: MAIN, clientId: PROJECT_A.ClientID });
    const secret = file('db-url', `${db.url}\n`);
    const srv = await spawnServer(['serve', '--listen', '127.0.0.1:0', '--now', NOW],
      { env: { ...process.env, ...clean({ PHONECHAT_DB_FILE: secret }) } });
    try {
      assert.equal((await request(srv.port, '/v1/PhoneChat/MadeBookings?BookingsPerPage=1', { token })).status, 200);
      assert.ok(!/Sandbox: demo client/.test(srv.stderr()), 'a given database, not the sandbox');
    } finally {
      await srv.stop();
    }
  });

  const BAD = [
    { name: 'a flag out of range', args: ['--threads', '0'], line: /^phonechat-api: --threads \(the flag\): .*0.*range/ },
    { name: 'a variable out of range', env: { PHONECHAT_THREADS: 'many' }, line: /^phonechat-api: --threads \(variable PHONECHAT_THREADS\): .*many/ },
    { name: 'a CORS origin that is no origin', env: { PHONECHAT_CORS_ORIGIN: 'https://spa.example,app.example.com' }, line: /^phonechat-api: --cors-origin \(variable PHONECHAT_CORS_ORIGIN\): 'app\.example\.com' is not an origin/ },
    { name: 'a variable not in its set', env: { PHONECHAT_ACCESS_LOG: 'syslog' }, line: /^phonechat-api: --access-log \(variable PHONECHAT_ACCESS_LOG\): syslog not in/ },
    { name: 'a file value out of range', conf: 'zone = "UTC"\ndrain-time = -4\n', line: /^phonechat-api: CONF line 2: key 'drain-time': .*-4.*range/ },
    { name: 'an unknown key', conf: '\n\nthreds = 4\n', line: /^phonechat-api: CONF line 3: unknown key 'threds'/ },
    { name: 'a key twice', conf: 'zone = "UTC"\nzone = "UTC"\n', line: /^phonechat-api: CONF line 2: key 'zone' a second time/ },
    { name: 'an unknown section', conf: '[import]\nzone = "UTC"\n', line: /^phonechat-api: CONF line 2: section \[import\]/ },
    { name: 'a broken section header', conf: '[serve\n', line: /^phonechat-api: CONF line 1: a section header/ },
    { name: 'the file path itself in the file', conf: 'config = "/etc/other.toml"\n', line: /^phonechat-api: CONF line 1: unknown key 'config'/ },
    { name: 'a missing file, from the flag', args: ['--config', '/nonexistent/serve.toml'], line: /^phonechat-api: flag --config: cannot read \/nonexistent\/serve\.toml: No such file/ },
    { name: 'a missing file, from the variable', env: { PHONECHAT_CONFIG: '/nonexistent/serve.toml' }, line: /^phonechat-api: variable PHONECHAT_CONFIG: cannot read \/nonexistent\/serve\.toml/ },
    { name: 'a missing secret file', env: { PHONECHAT_DB_FILE: '/nonexistent/db-url' }, line: /^phonechat-api: variable PHONECHAT_DB_FILE: cannot read \/nonexistent\/db-url/ },
    { name: 'a secret in a file and in the variable', env: { PHONECHAT_DB_FILE: '/etc/hostname', PHONECHAT_DB: 'sqlite://x.db' }, line: /^phonechat-api: variable PHONECHAT_DB_FILE: PHONECHAT_DB is set too/ },
  ];
  for (const bad of BAD) {
    test(`${bad.name}: the start stops with one line naming the key, its source and the fault`, async () => {
      const args = [...(bad.args ?? [])];
      let line = bad.line;
      if (bad.conf) {
        const conf = file('bad.toml', bad.conf);
        args.push('--config', conf);
        line = new RegExp(line.source.replace('CONF', conf.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')));
      }
      const r = await runCli(['serve', '--listen', '127.0.0.1:0', ...args], { env: clean(bad.env), timeoutMs: 15000 });
      assert.equal(r.code, 2, `exit ${r.code}: ${r.stderr}`);
      assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
      assert.match(r.stderr.trim(), line);
      assert.equal(r.stdout, '');
    });
  }
});
