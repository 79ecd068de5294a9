// Scale-out test harness: the primary and the replica started by run.sh (PHONECHAT_CLUSTER_*), nginx as a load
// balancer in front of several `serve` processes, and wrk for a bounded load. Builds on the black-box harness
// (newDb creates databases on the primary, PHONECHAT_TEST_PG_URL).
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { after } from 'node:test';
import { psql, sleep, tempDir } from '../blackbox/harness.mjs';

const PRIMARY_DATA = process.env.PHONECHAT_CLUSTER_PRIMARY_DATA;
const PRIMARY_PORT = process.env.PHONECHAT_CLUSTER_PRIMARY_PORT;
const REPLICA_PORT = process.env.PHONECHAT_CLUSTER_REPLICA_PORT;
const REPLICA_DATA = process.env.PHONECHAT_CLUSTER_REPLICA_DATA;
const PG_BIN = process.env.PG_BIN || '/usr/lib/postgresql/15/bin';
if (!PRIMARY_DATA || !REPLICA_PORT || !process.env.PHONECHAT_TEST_PG_URL) {
  throw new Error('run these tests with tests/cluster/run.sh (it starts the primary, the replica and sets the environment)');
}

// `db` (a database of newDb on the primary) as seen on the replica.
export function replicaUrl(db) {
  return db.url.replace(`:${PRIMARY_PORT}/`, `:${REPLICA_PORT}/`);
}

// Runs pg_ctl on a data directory as its owner: 'stop' (fast) or 'start' (on `port`).
function pgCtl(dataDir, port, action) {
  const args = [path.join(PG_BIN, 'pg_ctl'), action, '-D', dataDir, '-w', '-t', '60'];
  if (action === 'stop') args.push('-m', 'fast');
  if (action === 'start') args.push('-o', `-p ${port}`, '-l', path.join(path.dirname(dataDir), 'server.log'));
  const command = process.getuid() === 0 ? ['runuser', '-u', 'postgres', '--', ...args] : args;
  const r = spawnSync(command[0], command.slice(1), { encoding: 'utf8', cwd: '/' });
  if (r.status !== 0) throw new Error(`pg_ctl ${action} failed: ${r.stderr}${r.stdout}`);
}

// Stops ('stop') or starts ('start') the primary.
export function primaryCtl(action) {
  pgCtl(PRIMARY_DATA, PRIMARY_PORT, action);
}

// Stops ('stop') or starts ('start') the replica.
export function replicaCtl(action) {
  pgCtl(REPLICA_DATA, REPLICA_PORT, action);
}

// Waits until the replica has replayed everything the primary has written so far.
export async function replicaCaughtUp(db, timeoutMs = 20000) {
  const target = psql(db.url, ['SELECT pg_current_wal_lsn()']).trim();
  // Asked on the replica's maintenance database: the test database may not have been replayed yet.
  const replica = replicaUrl({ url: process.env.PHONECHAT_TEST_PG_URL });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const replayed = psql(replica, ['SELECT pg_last_wal_replay_lsn()']).trim();
    const behind = replayed === '' ? 't' : psql(db.url, [`SELECT '${replayed}'::pg_lsn < '${target}'::pg_lsn`]).trim();
    if (behind === 'f') return;
    if (Date.now() > deadline) throw new Error(`the replica did not reach ${target} within ${timeoutMs} ms`);
    await sleep(50);
  }
}

// A free loopback port (bound and released).
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

const children = new Set();
process.on('exit', () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});
after(() => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
});

// nginx in the foreground balancing over `ports`, retrying a request on the next node when one fails to answer
// (connection refused or reset, timeout, 502, 503): the configuration an operator would use. Returns
// { port, stop() }.
export async function startNginx(ports) {
  const dir = tempDir();
  const port = await freePort();
  const conf = path.join(dir, 'nginx.conf');
  fs.writeFileSync(conf, `daemon off;
master_process off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  upstream api {
${ports.map((p) => `    server 127.0.0.1:${p} max_fails=1 fail_timeout=30s;`).join('\n')}
    keepalive 32;
  }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://api;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $remote_addr;
      proxy_next_upstream error timeout http_502 http_503;
      proxy_next_upstream_tries 3;
      proxy_connect_timeout 1s;
      proxy_read_timeout 10s;
    }
  }
}
`);
  const proc = spawn('nginx', ['-c', conf, '-p', dir], { stdio: ['ignore', 'ignore', 'pipe'] });
  children.add(proc);
  let stderr = '';
  proc.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
  const deadline = Date.now() + 10000;
  for (;;) {
    const up = await new Promise((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => { socket.destroy(); resolve(true); });
      socket.on('error', () => resolve(false));
    });
    if (up) break;
    if (proc.exitCode !== null || Date.now() > deadline) throw new Error(`nginx did not start: ${stderr}`);
    await sleep(50);
  }
  return {
    port,
    stop: async () => {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill('SIGTERM');
      await new Promise((resolve) => proc.on('exit', resolve));
    },
  };
}

// Runs wrk for `seconds` against `url` with `connections` connections and the given headers; resolves with the
// request count, the non-2xx/3xx count and the socket errors it reports.
export function runWrk(url, { seconds, connections = 8, headers = {} }) {
  const args = ['-t', '1', '-c', String(connections), '-d', `${seconds}s`, '--timeout', '5s'];
  for (const [name, value] of Object.entries(headers)) args.push('-H', `${name}: ${value}`);
  args.push(url);
  return new Promise((resolve, reject) => {
    const proc = spawn('wrk', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(proc);
    let out = '';
    proc.stdout.setEncoding('utf8').on('data', (d) => (out += d));
    proc.stderr.setEncoding('utf8').on('data', (d) => (out += d));
    proc.on('error', reject);
    proc.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`wrk exited ${code}: ${out}`));
      const requests = Number((/(\d+) requests in/.exec(out) || [])[1]);
      const non2xx = Number((/Non-2xx or 3xx responses: (\d+)/.exec(out) || [0, 0])[1]);
      const m = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
      const socketErrors = m ? m.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0;
      resolve({ requests, non2xx, socketErrors, output: out });
    });
  });
}

// Where the server says the first list answered after its log line `from` came from (the access log's "list":
// "cache", "replica" or "primary"); the log reaches the test on its own pipe, so it is waited for (5 s at most).
export async function listSourceAfter(srv, from) {
  for (let waited = 0; waited <= 5000; waited += 20) {
    const line = srv.logLines.slice(from).find((l) => l.includes('"list":'));
    if (line) return /"list":"(\w+)"/.exec(line)[1];
    await sleep(20);
  }
  throw new Error(`no list in the access log after line ${from}`);
}
