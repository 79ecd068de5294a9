// What an operator runs the server with: the version, request IDs and W3C trace context in answers and in the
// access log, and the health and metrics listener (/livez, /readyz, /metrics) scraped and checked by promtool.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';
import { Conn, PEER, PG_URL, importRecords, mintToken, newDb, psql, request, requestBytes, runCli, sleep, startServer } from './harness.mjs';
import { MAIN, NOW, PROJECT_A, buildFixture } from './fixture.mjs';

const PROMTOOL = process.env.PHONECHAT_PROMTOOL || new URL('../../.cache/tools/promtool', import.meta.url).pathname;
const LIST = '/v1/PhoneChat/MadeBookings?BookingsPerPage=2';

let db;
let token;
before(async () => {
  if (PEER) return;
  db = newDb();
  await importRecords(db, buildFixture().lines);
  token = await mintToken(db, { user: MAIN, clientId: PROJECT_A.ClientID });
});

// The admin listener's port, from the line the server prints when it listens.
function adminPort(srv) {
  const m = /health and metrics at http:\/\/127\.0\.0\.1:(\d+) /.exec(srv.stderr());
  assert.ok(m, `the server names its health and metrics address: ${srv.stderr()}`);
  return Number(m[1]);
}

// A GET on the admin listener: { status, type, text }.
function adminGet(port, path) {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (d) => (text += d)).on('end', () => resolve({ status: res.statusCode, type: res.headers['content-type'], text }));
    }).on('error', reject);
  });
}

// The number of access log lines once every earlier request's line is in: a marked request's line closes them.
let marks = 0;
async function logSettled(srv) {
  const mark = `settle-${++marks}`;
  await request(srv.port, '/v1/Nope', { headers: { 'X-Request-ID': mark } });
  for (let i = 0; i < 50; i++) {
    const at = srv.logLines.findIndex((l) => l.includes(`"request_id":"${mark}"`));
    if (at >= 0) return at + 1;
    await sleep(100);
  }
  assert.fail(`the access log never showed ${mark}`);
}

// The access log's entries from line `from` on, once `count` of them are there.
async function logEntries(srv, from, count) {
  for (let i = 0; i < 50; i++) {
    const lines = srv.logLines.slice(from).filter((l) => l.trim());
    if (lines.length >= count) return lines.map((l) => JSON.parse(l));
    await sleep(100);
  }
  assert.fail(`expected ${count} access log lines, got ${srv.logLines.slice(from).join('\n')}`);
}

// Samples of the exposition: name{labels} -> value, from the lines that are not comments.
function samples(text) {
  const map = new Map();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{[^}]*\})?) (\S+)$/.exec(line);
    assert.ok(m, `a sample line: ${line}`);
    map.set(m[1], Number(m[2]));
  }
  return map;
}

describe('version', { skip: PEER && 'the peer has no --version' }, () => {
  test('--version prints the name and the version of CMakeLists.txt, the latest release of CHANGELOG.md, and exits 0', async () => {
    const cmake = fs.readFileSync(new URL('../../CMakeLists.txt', import.meta.url), 'utf8');
    const version = /project\(\s*phonechat\S*\s+VERSION\s+(\d+\.\d+\.\d+)/i.exec(cmake)?.[1];
    assert.ok(version, 'CMakeLists.txt names the version');
    const r = await runCli(['--version']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), `phonechat-api ${version}`);
    const changelog = fs.readFileSync(new URL('../../CHANGELOG.md', import.meta.url), 'utf8');
    const released = /^## \[(\d+\.\d+\.\d+)\] - \d{4}-\d{2}-\d{2}$/m.exec(changelog)?.[1];
    assert.equal(released, version, 'the latest release in CHANGELOG.md is the version of CMakeLists.txt');
  });
});

describe('request IDs and trace context', { skip: PEER && 'the peer has no request IDs' }, () => {
  let srv;
  before(async () => {
    srv = await startServer(db, { now: NOW });
  });
  after(async () => srv?.stop());

  test('a usable X-Request-ID is returned as it came, on success and on errors, and written in the access log', async () => {
    const from = await logSettled(srv);
    const id = 'lb-7f3a:2026/12/06+abc=@~.';
    const ok = await request(srv.port, LIST, { token, headers: { 'X-Request-ID': id } });
    assert.equal(ok.status, 200);
    assert.equal(ok.headers['x-request-id'], id);
    const denied = await request(srv.port, LIST, { headers: { 'X-Request-ID': 'second-one' } });
    assert.equal(denied.status, 401);
    assert.equal(denied.headers['x-request-id'], 'second-one');
    const unknown = await request(srv.port, '/v1/Nope', { token, headers: { 'X-Request-ID': 'third-one' } });
    assert.equal(unknown.status, 404);
    assert.equal(unknown.headers['x-request-id'], 'third-one');
    const entries = await logEntries(srv, from, 3);
    assert.deepEqual(entries.slice(-3).map((e) => [e.status, e.request_id]), [[200, id], [401, 'second-one'], [404, 'third-one']]);
  });

  test('without one, each answer gets a fresh 32-hex-digit ID', async () => {
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push((await request(srv.port, LIST, { token })).headers['x-request-id']);
    for (const id of ids) assert.match(id ?? '', /^[0-9a-f]{32}$/);
    assert.equal(new Set(ids).size, 3);
  });

  test('an oversized or hostile X-Request-ID is replaced, never echoed', async () => {
    const hostile = ['x'.repeat(129), 'a b', 'id"};{"status":200', '<script>', 'caf\u00e9', 'a,b', ''];
    const from = await logSettled(srv);
    for (const value of hostile) {
      const conn = await Conn.open(srv.port);
      try {
        await conn.write(requestBytes('GET', LIST, [['Authorization', `Bearer ${token}`], ['X-Request-ID', value], ['Connection', 'close']]));
        const r = await conn.readResponse();
        assert.equal(r.status, 200, JSON.stringify(value));
        assert.match(r.headers['x-request-id'] ?? '', /^[0-9a-f]{32}$/, `${JSON.stringify(value)} was replaced`);
      } finally {
        conn.destroy();
      }
    }
    const entries = await logEntries(srv, from, hostile.length);
    const log = srv.logLines.slice(from).join('\n');
    for (const value of hostile.filter((v) => v.length > 2)) assert.ok(!log.includes(value), `${JSON.stringify(value)} is not in the log`);
    for (const e of entries) assert.match(e.request_id, /^[0-9a-f]{32}$/);
  });

  test('two X-Request-ID headers: the first one counts', async () => {
    const conn = await Conn.open(srv.port);
    try {
      await conn.write(requestBytes('GET', LIST, [['Authorization', `Bearer ${token}`], ['X-Request-ID', 'one'], ['X-Request-ID', 'two'], ['Connection', 'close']]));
      const r = await conn.readResponse();
      assert.equal(r.headers['x-request-id'], 'one');
    } finally {
      conn.destroy();
    }
  });

  test('a valid traceparent is logged as trace_id and parent_id; an invalid one is not logged at all', async () => {
    const from = await logSettled(srv);
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const bad = ['00-00000000000000000000000000000000-00f067aa0ba902b7-01', 'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      '00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01', `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01-${'c'.repeat(300)}`, 'garbage'];
    await request(srv.port, LIST, { token, headers: { traceparent } });
    for (const value of bad) await request(srv.port, LIST, { token, headers: { traceparent: value } });
    const entries = await logEntries(srv, from, 1 + bad.length);
    const [good, ...rest] = entries.slice(-(1 + bad.length));
    assert.equal(good.trace_id, '4bf92f3577b34da6a3ce929d0e0e4736');
    assert.equal(good.parent_id, '00f067aa0ba902b7');
    for (const e of rest) assert.ok(!('trace_id' in e) && !('parent_id' in e), JSON.stringify(e));
    assert.ok(!srv.logLines.slice(from).join('\n').includes('c'.repeat(300)));
  });

  test('a request refused before routing (a malformed request line) still carries an X-Request-ID', async () => {
    const conn = await Conn.open(srv.port);
    try {
      await conn.write(Buffer.from('GET /v1/PhoneChat/MadeBookings HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n'));
      const r = await conn.readResponse();
      assert.equal(r.status, 400);
      assert.match(r.headers['x-request-id'] ?? '', /^[0-9a-f]{32}$/);
    } finally {
      conn.destroy();
    }
  });
});

describe('health and metrics listener', { skip: PEER && 'the peer has no admin listener' }, () => {
  test('/livez and /readyz answer 200 on the admin listener only; the API listener does not serve them', async () => {
    const srv = await startServer(db, { now: NOW });
    try {
      const port = adminPort(srv);
      assert.notEqual(port, srv.port);
      for (const path of ['/livez', '/readyz']) {
        const r = await adminGet(port, path);
        assert.equal(r.status, 200, path);
        assert.equal(r.text.trim(), 'ok');
        assert.equal((await request(srv.port, path)).status, 404, `${path} is not on the API listener`);
      }
      assert.equal((await request(srv.port, '/metrics')).status, 404);
      assert.equal((await adminGet(port, '/nope')).status, 404);
    } finally {
      await srv.stop();
    }
  });

  test('/metrics passes promtool and counts requests by route, method and status, with latency histograms', async () => {
    assert.ok(fs.existsSync(PROMTOOL), `promtool at ${PROMTOOL} (scripts/install-deps.sh --tests fetches it)`);
    const srv = await startServer(db, { now: NOW });
    try {
      const port = adminPort(srv);
      for (let i = 0; i < 3; i++) assert.equal((await request(srv.port, LIST, { token })).status, 200);
      assert.equal((await request(srv.port, LIST)).status, 401);
      assert.equal((await request(srv.port, '/v1/Nope', { token })).status, 404);
      const r = await adminGet(port, '/metrics');
      assert.equal(r.status, 200);
      assert.match(r.type, /^text\/plain; version=0\.0\.4/);
      const lint = spawnSync(PROMTOOL, ['check', 'metrics'], { input: r.text, encoding: 'utf8' });
      assert.equal(lint.status, 0, `promtool check metrics: ${lint.stdout}${lint.stderr}`);
      const m = samples(r.text);
      const route = '/v1/PhoneChat/MadeBookings';
      assert.equal(m.get(`phonechat_http_requests_total{route="${route}",method="GET",status="200"}`), 3);
      assert.equal(m.get(`phonechat_http_requests_total{route="${route}",method="GET",status="401"}`), 1);
      assert.equal(m.get('phonechat_http_requests_total{route="unmatched",method="GET",status="404"}'), 1, r.text);
      assert.equal(m.get(`phonechat_http_request_duration_seconds_count{route="${route}"}`), 4);
      assert.equal(m.get(`phonechat_http_request_duration_seconds_bucket{route="${route}",le="+Inf"}`), 4);
      assert.equal(m.get('phonechat_list_cache_hits_total') + m.get('phonechat_list_cache_misses_total'), 3);
      assert.ok(m.get('phonechat_list_cache_misses_total') >= 1);
      assert.ok(m.get('process_resident_memory_bytes') > 1e6);
      assert.ok(m.get('process_open_fds') > 3);
      assert.equal(m.get('phonechat_draining'), 0);
      const version = JSON.parse(fs.readFileSync(new URL('../../docs/openapi.json', import.meta.url), 'utf8')).info.version;
      assert.equal(m.get(`phonechat_build_info{version="${version}"}`), 1);
      for (const name of ['phonechat_http_open_connections', 'phonechat_store_round_trips_total', 'phonechat_store_pool_waits_total',
        'phonechat_login_failures_total', 'phonechat_client_authentication_failures_total', 'phonechat_rate_limited_total{limit="api"}']) {
        assert.ok(m.has(name), `${name} in ${r.text}`);
      }
    } finally {
      await srv.stop();
    }
  });

  test('a failed client authentication and an API rate-limit refusal are counted', async () => {
    const srv = await startServer(db, { now: NOW, extraArgs: ['--api-rate-limit', '1'] });
    try {
      const port = adminPort(srv);
      const statuses = [];
      for (let i = 0; i < 3; i++) statuses.push((await request(srv.port, LIST, { token })).status);
      assert.deepEqual(statuses, [200, 429, 429]);
      const form = 'grant_type=refresh_token&refresh_token=x&client_id=nobody&client_secret=wrong';
      const bad = await request(srv.port, '/OAuth/token', { method: 'POST', body: form, headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
      assert.equal(bad.status, 401, bad.describe());
      const m = samples((await adminGet(port, '/metrics')).text);
      assert.equal(m.get('phonechat_rate_limited_total{limit="api"}'), 2);
      assert.equal(m.get('phonechat_client_authentication_failures_total'), 1);
    } finally {
      await srv.stop();
    }
  });

  test('/readyz is 503 while the server drains, /livez stays 200', async () => {
    const srv = await startServer(db, { now: NOW, drainTime: 10 });
    const port = adminPort(srv);
    // A request whose header never ends holds the drain open (until the drain time or the header deadline).
    const held = await Conn.open(srv.port);
    try {
      await held.write(Buffer.from('GET /v1/PhoneChat/MadeBookings HTTP/1.1\r\nHost: x\r\n'));
      await sleep(100);
      srv.proc.kill('SIGTERM');
      let ready;
      for (let i = 0; i < 50; i++) {
        ready = await adminGet(port, '/readyz');
        if (ready.status === 503) break;
        await sleep(50);
      }
      assert.equal(ready.status, 503, 'not ready while draining');
      assert.match(ready.text, /draining/);
      assert.equal((await adminGet(port, '/livez')).status, 200, 'still alive');
      assert.equal(samples((await adminGet(port, '/metrics')).text).get('phonechat_draining'), 1);
    } finally {
      held.destroy();
    }
    // The drain ends with the last connection: the server exits by itself (a second SIGTERM would cut it short).
    const exited = await Promise.race([srv.exited, sleep(15000).then(() => null)]);
    assert.ok(exited, 'exited within 15 s of the last connection closing');
    assert.deepEqual(exited, { code: 0, signal: null });
  });

  test('/readyz is 503 when the store cannot answer', async () => {
    const local = newDb();
    await importRecords(local, buildFixture().lines);
    const srv = await startServer(local, { now: NOW });
    try {
      const port = adminPort(srv);
      assert.equal((await adminGet(port, '/readyz')).status, 200);
      // PostgreSQL: the database is dropped under the server; SQLite: the file and its log are emptied.
      if (local.pg) psql(PG_URL, [`DROP DATABASE ${local.name} WITH (FORCE)`]);
      else for (const suffix of ['', '-wal']) if (fs.existsSync(local.file + suffix)) fs.truncateSync(local.file + suffix, 0);
      for (let i = 0; i < 2; i++) {
        const r = await adminGet(port, '/readyz');
        assert.equal(r.status, 503, r.text);
        assert.match(r.text, /database unavailable/);
      }
      assert.equal((await adminGet(port, '/livez')).status, 200);
    } finally {
      await srv.stop();
    }
  });

  test('--admin-listen off starts no listener; a bad address stops the start with one line naming the flag', async () => {
    const srv = await startServer(db, { now: NOW, extraArgs: ['--admin-listen', 'off'] });
    try {
      assert.ok(!/health and metrics at/.test(srv.stderr()), srv.stderr());
    } finally {
      await srv.stop();
    }
    const bad = await runCli(['serve', '--db', db.url, '--listen', '127.0.0.1:0', '--admin-listen', 'nowhere']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /--admin-listen/);
    assert.equal(bad.stderr.trim().split('\n').length, 1, bad.stderr);
  });
});
