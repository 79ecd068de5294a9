// Black-box harness: drives the real `phonechat-api` binary (PHONECHAT_BIN) over real sockets.
// Temporary databases, the import and token commands, a server started on an ephemeral port, a raw
// HTTP/1.1 client (exact bytes on the wire, pipelining, connection close detection), xmllint, and a look into
// the database (sqlite3 or psql).
//
// PHONECHAT_TEST_PG_URL names a PostgreSQL server where the suite may create and drop databases (a superuser
// URL on a throwaway cluster, see scripts/pg-cluster.sh). When it is set, every newDb() is a fresh database
// there (dropped when the test file ends) and the helpers that read a database use psql; tests about SQLite
// files as such (paths, file creation, sqlite:// URL forms) ask for newSqliteDb() and run on SQLite either way.
//
// PHONECHAT_TARGET=peer runs the same suite against the reference peer (its CLI has no `revoke` and no
// `--now`, and prints `listening on HOST:PORT`): tests that need those capabilities are skipped there.
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export const PEER = process.env.PHONECHAT_TARGET === 'peer';
// PHONECHAT_TARGET=peer runs the suite against another implementation of the same command line (its path in
// PHONECHAT_BIN), to compare behaviours request by request.
export const BIN = process.env.PHONECHAT_BIN || new URL('../../build/src/app/phonechat-api', import.meta.url).pathname;
// What the target supports beyond the common CLI shape.
export const CAN = { now: !PEER, revoke: !PEER, drainTime: !PEER, accessLog: !PEER };
export const SCOPE = 'account_phonechat_bookings';

// The PostgreSQL server for newDb() (PHONECHAT_TEST_PG_URL), or '' for SQLite files.
export const PG_URL = process.env.PHONECHAT_TEST_PG_URL || '';
// The backend newDb() gives: 'postgres' or 'sqlite'.
export const BACKEND = PG_URL ? 'postgres' : 'sqlite';

const tempDirs = [];
const pgDatabases = [];
const servers = new Set();
// A fresh temporary directory, removed when the test process exits.
export function tempDir() {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'phonechat-bb-'));
  tempDirs.push(d);
  return d;
}
process.on('exit', () => {
  for (const proc of servers) if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL'); // never leave one behind
  if (process.env.PHONECHAT_KEEP_TMP) return;
  for (const d of tempDirs) fs.rmSync(d, { recursive: true, force: true });
  // WITH (FORCE): a server killed above may still hold a connection for a moment.
  if (pgDatabases.length) {
    try {
      psql(PG_URL, pgDatabases.map((name) => `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    } catch (e) {
      process.stderr.write(`harness: could not drop the test databases: ${e.message}\n`);
    }
  }
});

// A new database for a test, on the backend under test (BACKEND). Both shapes have `url` (for --db) and `dir`
// (a temp directory for the test's files); SQLite has `file` (absent yet), PostgreSQL `pg: true` and `name`
// (an existing, empty database).
export function newDb(dir = tempDir()) {
  return PG_URL ? newPgDb(dir) : newSqliteDb(dir);
}

// A new SQLite database location (the file does not exist yet), whatever the backend under test.
export function newSqliteDb(dir = tempDir()) {
  const file = path.join(dir, 'phonechat.db');
  return { file, url: `sqlite://${file}`, dir }; // file is absolute: sqlite:///abs/path.db
}

// A new database on the PostgreSQL server: empty, or a copy of the database named `template`.
function newPgDb(dir, template) {
  const name = `pc_test_${crypto.randomBytes(12).toString('hex')}`;
  psql(PG_URL, [`CREATE DATABASE ${name}${template ? ` TEMPLATE ${template}` : ''}`]);
  pgDatabases.push(name);
  return { url: pgUrlFor(name), pg: true, name, dir };
}

// A new database of the same backend holding exactly what `db` holds (nothing may have it open).
export function copyDb(db) {
  if (db.pg) return newPgDb(tempDir(), db.name);
  const copy = newSqliteDb();
  for (const suffix of ['', '-wal']) if (fs.existsSync(db.file + suffix)) fs.copyFileSync(db.file + suffix, copy.file + suffix);
  return copy;
}

// PHONECHAT_TEST_PG_URL with `database` as its database; user, host, port and parameters kept.
function pgUrlFor(database) {
  const m = /^([a-z][a-z0-9+.-]*:\/\/[^/?]*)(?:\/[^?]*)?(\?.*)?$/i.exec(PG_URL);
  if (!m) throw new Error('PHONECHAT_TEST_PG_URL is not a postgresql:// URL');
  return `${m[1]}/${database}${m[2] ?? ''}`;
}

// Runs the CLI; resolves { code, signal, stdout, stderr } (never rejects on a non-zero exit).
export function runCli(args, { input, timeoutMs = 60000, env } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(BIN, args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
    child.stdin.on('error', () => {}); // the command may exit before reading all of it
    if (input !== undefined) child.stdin.end(input);
    else child.stdin.end();
  });
}

// JSON Lines text of import records (objects are serialised; strings are taken as lines verbatim).
export function jsonl(records) {
  return records.map((r) => (typeof r === 'string' ? r : JSON.stringify(r))).join('\n') + '\n';
}

// Imports records through a file; throws with the CLI's stderr when the import fails.
export async function importRecords(db, records, { replace = false } = {}) {
  const dir = db.dir ?? path.dirname(db.file);
  const file = path.join(dir, `import-${Date.now()}-${Math.random().toString(36).slice(2)}.jsonl`);
  fs.writeFileSync(file, jsonl(records));
  const args = ['import', '--db', db.url];
  if (replace) args.push('--replace');
  args.push(file);
  const r = await runCli(args);
  if (r.code !== 0) throw new Error(`import failed (exit ${r.code}): ${r.stderr.trim()}`);
  return r;
}

// Mints an access token with the CLI; throws when the command fails or prints no single token.
export async function mintToken(db, { user, clientId, scope = SCOPE, expiresIn } = {}) {
  const args = ['token', '--db', db.url, '--user', String(user), '--client-id', clientId, '--scope', scope];
  if (expiresIn !== undefined) args.push('--expires-in', String(expiresIn));
  const r = await runCli(args);
  if (r.code !== 0) throw new Error(`token failed (exit ${r.code}): ${r.stderr.trim()}`);
  const token = r.stdout.trim();
  if (!token || /\s/.test(token)) throw new Error(`token printed something other than one token: ${JSON.stringify(r.stdout)}`);
  return token;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

// Starts `serve` and waits for `listening on http://127.0.0.1:PORT` on stderr.
// Returns { port, proc, logLines (stdout lines), stderr(), stop() -> exit code, exited (promise) }.
export async function startServer(db, { now, zone, threads, drainTime, extraArgs = [], timeoutMs = 20000 } = {}) {
  const listenPort = PEER ? await freePort() : 0;
  const args = ['serve', '--db', db.url, '--listen', `127.0.0.1:${listenPort}`];
  if (threads !== undefined) args.push('--threads', String(threads));
  if (zone !== undefined) args.push('--zone', zone);
  if (now !== undefined && CAN.now) args.push('--now', now);
  if (drainTime !== undefined && CAN.drainTime) args.push('--drain-time', String(drainTime));
  args.push(...extraArgs);
  return spawnServer(args, { timeoutMs });
}

// Spawns the binary with `args` (a `serve` command) in `cwd` with `env`, and resolves once it reports the port it
// listens on: { proc, args, port, logLines (stdout lines), stderr(), exited, stop() }. Killed when the process exits.
export async function spawnServer(args, { cwd, env, timeoutMs = 20000 } = {}) {
  const proc = spawn(BIN, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  servers.add(proc);
  const srv = { proc, args, logLines: [], stderrText: '', port: null };
  let outBuf = '';
  proc.stdout.setEncoding('utf8').on('data', (d) => {
    outBuf += d;
    let nl;
    while ((nl = outBuf.indexOf('\n')) >= 0) {
      srv.logLines.push(outBuf.slice(0, nl));
      outBuf = outBuf.slice(nl + 1);
    }
  });
  srv.exited = new Promise((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
  srv.stderr = () => srv.stderrText;
  srv.port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`server did not report listening within ${timeoutMs} ms; args ${args.join(' ')}; stderr: ${srv.stderrText}`));
    }, timeoutMs);
    proc.stderr.setEncoding('utf8').on('data', (d) => {
      srv.stderrText += d;
      const m = /listening on (?:http:\/\/)?(?:127\.0\.0\.1|0\.0\.0\.0):(\d+)/.exec(srv.stderrText);
      if (m && +m[1] > 0) {
        clearTimeout(timer);
        resolve(+m[1]);
      }
    });
    proc.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    srv.exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`server exited (${code ?? signal}) before listening; args ${args.join(' ')}; stderr: ${srv.stderrText}`));
    });
  });
  // Stops with SIGTERM (SIGKILL after killAfterMs); resolves { code, signal, ms }.
  srv.stop = async (killAfterMs = 10000) => {
    if (proc.exitCode !== null || proc.signalCode !== null) return { ...(await srv.exited), ms: 0 };
    const t0 = Date.now();
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), killAfterMs);
    const r = await srv.exited;
    clearTimeout(timer);
    return { ...r, ms: Date.now() - t0 };
  };
  return srv;
}

// ---------------------------------------------------------------- raw HTTP/1.1 client

// One TCP connection with an incremental HTTP/1.1 response reader.
export class Conn {
  static open(port, host = '127.0.0.1') {
    return new Promise((resolve, reject) => {
      const sock = net.connect(port, host);
      sock.once('connect', () => resolve(new Conn(sock)));
      sock.once('error', reject);
    });
  }

  constructor(sock) {
    this.sock = sock;
    this.buf = Buffer.alloc(0);
    this.closed = false;
    this.error = null;
    this.wake = null;
    sock.on('data', (d) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.notify();
    });
    sock.on('error', (e) => {
      this.error = e;
      this.notify();
    });
    sock.on('close', () => {
      this.closed = true;
      this.notify();
    });
  }

  notify() {
    const w = this.wake;
    this.wake = null;
    if (w) w();
  }

  // Resolves when more data arrives, the socket closes or the deadline passes (then returns false).
  more(deadline) {
    if (this.closed) return Promise.resolve(false);
    return new Promise((resolve) => {
      const left = deadline - Date.now();
      if (left <= 0) return resolve(false);
      const timer = setTimeout(() => {
        this.wake = null;
        resolve(false);
      }, left);
      this.wake = () => {
        clearTimeout(timer);
        resolve(true);
      };
    });
  }

  write(data) {
    return new Promise((resolve) => {
      if (this.closed || this.sock.destroyed) return resolve(false);
      this.sock.write(data, (err) => resolve(!err));
    });
  }

  // Reads one response. `head`: the request was HEAD (no body follows). Throws on timeout or early close.
  async readResponse({ head = false, timeoutMs = 10000 } = {}) {
    const deadline = Date.now() + timeoutMs;
    let end;
    while ((end = this.buf.indexOf('\r\n\r\n')) < 0) {
      if (!(await this.more(deadline))) {
        throw new Error(`no complete response head (closed=${this.closed}, got ${JSON.stringify(this.buf.toString('latin1').slice(0, 300))})`);
      }
    }
    const headText = this.buf.subarray(0, end).toString('latin1');
    this.buf = this.buf.subarray(end + 4);
    const [statusLine, ...lines] = headText.split('\r\n');
    const m = /^HTTP\/(\d\.\d) (\d{3})(?: (.*))?$/.exec(statusLine);
    if (!m) throw new Error(`bad status line ${JSON.stringify(statusLine)}`);
    const headers = {};
    const rawHeaders = [];
    for (const line of lines) {
      const c = line.indexOf(':');
      if (c <= 0) throw new Error(`bad header line ${JSON.stringify(line)}`);
      const name = line.slice(0, c).trim();
      const value = line.slice(c + 1).trim();
      rawHeaders.push([name, value]);
      const k = name.toLowerCase();
      headers[k] = headers[k] === undefined ? value : `${headers[k]}, ${value}`;
    }
    const status = +m[2];
    let body = Buffer.alloc(0);
    if (head || status === 204 || status === 304 || (status >= 100 && status < 200)) {
      // no body
    } else if (/\bchunked\b/i.test(headers['transfer-encoding'] || '')) {
      const parts = [];
      for (;;) {
        let nl;
        while ((nl = this.buf.indexOf('\r\n')) < 0) if (!(await this.more(deadline))) throw new Error('truncated chunked body');
        const size = parseInt(this.buf.subarray(0, nl).toString('latin1'), 16);
        this.buf = this.buf.subarray(nl + 2);
        if (size === 0) {
          let tend;
          while ((tend = this.buf.indexOf('\r\n')) !== 0 && this.buf.indexOf('\r\n\r\n') < 0) {
            if (!(await this.more(deadline))) throw new Error('truncated chunked trailer');
          }
          this.buf = tend === 0 ? this.buf.subarray(2) : this.buf.subarray(this.buf.indexOf('\r\n\r\n') + 4);
          break;
        }
        while (this.buf.length < size + 2) if (!(await this.more(deadline))) throw new Error('truncated chunk');
        parts.push(this.buf.subarray(0, size));
        this.buf = this.buf.subarray(size + 2);
      }
      body = Buffer.concat(parts);
    } else if (headers['content-length'] !== undefined) {
      const n = +headers['content-length'];
      while (this.buf.length < n) if (!(await this.more(deadline))) throw new Error(`truncated body (${this.buf.length}/${n})`);
      body = this.buf.subarray(0, n);
      this.buf = this.buf.subarray(n);
    } else {
      while (await this.more(deadline));
      if (!this.closed) throw new Error('body without length did not end with the connection');
      body = this.buf;
      this.buf = Buffer.alloc(0);
    }
    return new Response(m[1], status, m[3] || '', headers, rawHeaders, body);
  }

  // Resolves true if the server closes the connection within timeoutMs (data arriving meanwhile is kept).
  async waitClosed(timeoutMs = 3000) {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed && Date.now() < deadline) await this.more(deadline);
    return this.closed;
  }

  destroy() {
    this.sock.destroy();
  }
}

// A parsed response: status, lower-cased headers, body as text and as parsed JSON.
export class Response {
  constructor(version, status, reason, headers, rawHeaders, body) {
    Object.assign(this, { version, status, reason, headers, rawHeaders, body });
    this.text = body.toString('utf8');
  }

  json() {
    return JSON.parse(this.text);
  }

  // The media type of Content-Type, lower-cased, parameters normalised (`application/json;charset=utf-8`).
  contentType() {
    return (this.headers['content-type'] || '').toLowerCase().replace(/\s+/g, '');
  }

  describe() {
    return `HTTP ${this.status}; headers ${JSON.stringify(this.headers)}; body ${this.text.slice(0, 600)}`;
  }
}

// Builds request bytes. headers: object or array of [name, value]; null values are left out.
export function requestBytes(method, target, headers = {}, body) {
  const list = Array.isArray(headers) ? headers : Object.entries(headers);
  let s = `${method} ${target} HTTP/1.1\r\n`;
  const names = list.map(([k]) => k.toLowerCase());
  if (!names.includes('host')) s += 'Host: 127.0.0.1\r\n';
  for (const [k, v] of list) if (v !== null && v !== undefined) s += `${k}: ${v}\r\n`;
  if (body !== undefined && !names.includes('content-length')) s += `Content-Length: ${Buffer.byteLength(body)}\r\n`;
  s += '\r\n';
  return body === undefined ? Buffer.from(s, 'latin1') : Buffer.concat([Buffer.from(s, 'latin1'), Buffer.from(body)]);
}

// One request on a fresh connection (Connection: close). opts: token, accept, apiKey, headers, method, body.
export async function request(port, target, { token, accept, apiKey, headers = {}, method = 'GET', body, auth } = {}) {
  const h = [];
  if (auth !== undefined) h.push(['Authorization', auth]);
  else if (token) h.push(['Authorization', `Bearer ${token}`]);
  if (accept) h.push(['Accept', accept]);
  if (apiKey) h.push(['X-ApiKey', apiKey]);
  for (const [k, v] of Object.entries(headers)) h.push([k, v]);
  h.push(['Connection', 'close']);
  const conn = await Conn.open(port);
  try {
    await conn.write(requestBytes(method, target, h, body));
    const response = await conn.readResponse({ head: method === 'HEAD' });
    // PHONECHAT_RECORD_RESPONSES names a file that gets one JSON line per answered request, for
    // tests/openapi/recorded.test.mjs. One appendFileSync (O_APPEND) per line: concurrent test processes never
    // interleave inside a line.
    if (process.env.PHONECHAT_RECORD_RESPONSES) {
      const line = JSON.stringify({ method, target, status: response.status, contentType: response.headers['content-type'] ?? '', body: response.text });
      fs.appendFileSync(process.env.PHONECHAT_RECORD_RESPONSES, line + '\n', { flag: 'a' });
    }
    return response;
  } finally {
    conn.destroy();
  }
}

// ---------------------------------------------------------------- tools

// Strict well-formedness check with libxml2: { ok, errors }.
export function xmllint(text) {
  const r = spawnSync('xmllint', ['--noout', '-'], { input: text, encoding: 'utf8' });
  if (r.error) throw r.error;
  return { ok: r.status === 0, errors: r.stderr };
}

// Runs SQL against a SQLite file with the sqlite3 CLI; returns rows as objects (JSON mode).
export function sqlite(file, sql) {
  const r = spawnSync('sqlite3', ['-json', '-cmd', '.timeout 5000', file, sql], { encoding: 'utf8' });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`sqlite3 failed: ${r.stderr}`);
  return r.stdout.trim() ? JSON.parse(r.stdout) : [];
}

// Runs statements, one at a time, with psql against a PostgreSQL URL; returns what they print, one line per
// row, columns separated by `|` (unaligned, tuples only).
export function psql(url, statements) {
  const args = ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-d', url];
  for (const sql of statements) args.push('-c', sql);
  const r = spawnSync('psql', args, { encoding: 'utf8', env: { ...process.env, PGCONNECT_TIMEOUT: '10' } });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`psql failed: ${r.stderr}`);
  return r.stdout;
}

// One JSON array per statement's rows (row objects in column order), from one psql call.
function pgJsonRows(url, queries) {
  const statements = queries.map((sql) => `SELECT coalesce(array_to_json(array_agg(row_to_json(q))), '[]') FROM (${sql}) AS q`);
  const lines = psql(url, statements).split('\n').filter((line) => line !== '');
  if (lines.length !== queries.length) throw new Error(`psql printed ${lines.length} results for ${queries.length} queries`);
  return lines.map((line) => JSON.parse(line));
}

// Rows of a query as objects in column order, on either backend (sqlite3's JSON mode, or psql's row_to_json:
// the same values and keys; integers are numbers in both).
export function dbRows(db, sql) {
  return db.pg ? pgJsonRows(db.url, [sql])[0] : sqlite(db.file, sql);
}

// The names of the database's tables (a partitioned table counts once, its partitions not at all).
export function dbTables(db) {
  if (!db.pg) return sqlite(db.file, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").map(({ name }) => name);
  return dbRows(db, `SELECT c.relname AS name FROM pg_class c WHERE c.relnamespace = current_schema()::regnamespace
    AND c.relkind IN ('r', 'p') AND NOT c.relispartition ORDER BY c.relname COLLATE "C"`).map(({ name }) => name);
}

// Everything the database holds, in a comparable form: [[table, rows]] for every table, rows in a fixed order.
export function dbDump(db) {
  const tables = dbTables(db);
  if (!db.pg) return tables.map((name) => [name, sqlite(db.file, `SELECT * FROM "${name}" ORDER BY 1`)]);
  const rows = pgJsonRows(db.url, tables.map((name) => `SELECT * FROM "${name}" AS t ORDER BY t::text COLLATE "C"`));
  return tables.map((name, i) => [name, rows[i]]);
}

// True when `text` appears anywhere in the database: in its files, WAL included (SQLite), or in any row of any
// table as text, bytea columns included in their hex form (PostgreSQL).
export function dbContains(db, text) {
  if (!db.pg) {
    const files = [db.file, `${db.file}-wal`].filter((f) => fs.existsSync(f));
    return Buffer.concat(files.map((f) => fs.readFileSync(f))).includes(Buffer.from(text));
  }
  const all = psql(db.url, dbTables(db).map((name) => `SELECT t::text FROM "${name}" AS t`));
  return all.includes(text) || all.includes(Buffer.from(text).toString('hex'));
}

// The schema version the database records (SQLite's user_version; PostgreSQL's schema_version table).
export function schemaVersion(db) {
  if (!db.pg) return sqlite(db.file, 'PRAGMA user_version')[0].user_version;
  return dbRows(db, 'SELECT max(version) AS version FROM schema_version')[0].version;
}

// Records `version` as the database's schema version, as a newer program would.
export function setSchemaVersion(db, version) {
  if (!db.pg) sqlite(db.file, `PRAGMA user_version = ${Number(version)}`);
  else psql(db.url, [`UPDATE schema_version SET version = ${Number(version)}`]);
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Current wall-clock time of a zone as `yyyy-MM-ddTHH:mm:ss` (seconds precision).
export function zoneNow(zone = 'Europe/London', date = new Date()) {
  const f = new Intl.DateTimeFormat('en-GB', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit',
    day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
  const p = {};
  for (const { type, value } of f.formatToParts(date)) p[type] = value;
  return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}:${p.second}`;
}

// Builds a query string from [name, value] pairs, percent-encoding both.
export function qs(pairs) {
  const list = Array.isArray(pairs) ? pairs : Object.entries(pairs);
  if (!list.length) return '';
  return '?' + list.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
}
