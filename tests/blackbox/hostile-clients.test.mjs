// Hostile clients (docs/security.md, "Limits and timeouts"): the connection cap answers 503 unread and recovers as
// connections close; a client that pipelines and never reads holds neither its serving thread nor, past the write
// timeout, its connection; the header deadline cuts a trickling client at the deadline, the idle timeout an idle
// keep-alive connection, and neither comes early. Deadlines are set to 1-2 s so that the file takes seconds.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { Conn, importRecords, mintToken, newDb, requestBytes, sleep, startServer } from './harness.mjs';
import { MAIN, NOW, PROJECT_A, buildFixture } from './fixture.mjs';

const CAP_ANSWER = 'HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nConnection: close\r\nContent-Length: 0\r\n\r\n';
const LIST = '/v1/PhoneChat/MadeBookings?BookingsPerPage=100';

let db;
let token;
before(async () => {
  db = newDb();
  await importRecords(db, buildFixture().lines);
  token = await mintToken(db, { user: MAIN, clientId: PROJECT_A.ClientID });
});

const listRequest = (accept = 'application/json') =>
  requestBytes('GET', LIST, [['Authorization', `Bearer ${token}`], ['Accept', accept]]);

// Opens a connection and reads one answer to the list on it, leaving it open (keep-alive).
async function servedConnection(port) {
  const conn = await Conn.open(port);
  await conn.write(listRequest());
  const response = await conn.readResponse();
  assert.equal(response.status, 200, response.describe());
  return conn;
}

// Everything a connection receives until the server closes it (or `timeoutMs` passes): { text, closed, ms, error }.
async function untilClosed(conn, timeoutMs) {
  const t0 = Date.now();
  const closed = await conn.waitClosed(timeoutMs);
  return { text: conn.buf.toString('latin1'), closed, ms: Date.now() - t0, error: conn.error?.code };
}

// The server's sockets (local port `port`) connected to the client port `peerPort`, from /proc/net/tcp:
// [{ state (hex, as the kernel numbers them), sendQueue (bytes) }].
function serverSockets(port, peerPort) {
  const hex = (n) => n.toString(16).toUpperCase().padStart(4, '0');
  const sockets = [];
  for (const line of fs.readFileSync('/proc/net/tcp', 'latin1').split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 5 || !f[1].endsWith(`:${hex(port)}`) || !f[2].endsWith(`:${hex(peerPort)}`)) continue;
    sockets.push({ state: f[3], sendQueue: parseInt(f[4].split(':')[0], 16) });
  }
  return sockets;
}

// The warnings of the cap in the server's standard error: [{ at (ms since the epoch), count }].
function capWarnings(srv) {
  const warnings = [];
  const re = /^\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3})\].*\[warning\] http: (\d+) new connection\(s\) answered 503/gm;
  for (const m of srv.stderr().matchAll(re)) warnings.push({ at: Date.parse(m[1].replace(' ', 'T')), count: +m[2] });
  return warnings;
}

describe('the connection cap (--max-connections 20)', () => {
  test('the 21st connection is answered 503 with Retry-After: 1 unread and closed; closing frees places; the held ones still work', async () => {
    const srv = await startServer(db, { now: NOW, threads: 2, extraArgs: ['--max-connections', '20'] });
    const held = [];
    try {
      for (let i = 0; i < 20; i++) held.push(await servedConnection(srv.port));

      // The request is never sent: the answer comes unread, and nothing else follows it.
      const over = await Conn.open(srv.port);
      const refused = await untilClosed(over, 3000);
      assert.ok(refused.closed, 'the connection over the cap is closed');
      assert.equal(refused.text, CAP_ANSWER);

      // A burst of refusals within a second is one more warning, not one each.
      for (let i = 0; i < 5; i++) {
        const again = await Conn.open(srv.port);
        assert.equal((await untilClosed(again, 3000)).text, CAP_ANSWER);
      }
      await sleep(1300);
      const warnings = capWarnings(srv);
      assert.deepEqual(warnings.map((w) => w.count), [1, 5], srv.stderr());
      assert.ok(warnings[1].at - warnings[0].at >= 990, `warnings ${warnings[1].at - warnings[0].at} ms apart`);

      for (const conn of held) {
        await conn.write(listRequest());
        assert.equal((await conn.readResponse()).status, 200, 'a held connection is still served');
      }

      for (const conn of held.splice(0, 5)) conn.destroy();
      // The server sees the five closes within moments; until then a newcomer may still be refused.
      const deadline = Date.now() + 5000;
      let first;
      while (!first) {
        const conn = await Conn.open(srv.port);
        await conn.write(listRequest());
        try {
          const response = await conn.readResponse({ timeoutMs: 3000 });
          if (response.status === 200) first = conn;
        } catch {
          // refused: the answer of the cap and a close
        }
        if (!first) {
          conn.destroy();
          assert.ok(Date.now() < deadline, 'a new connection is served within 5 s of closing five');
          await sleep(50);
        }
      }
      held.push(first);
      await sleep(200);
      for (let i = 0; i < 4; i++) held.push(await servedConnection(srv.port));
      const overAgain = await Conn.open(srv.port);
      assert.equal((await untilClosed(overAgain, 3000)).text, CAP_ANSWER, 'exactly five places were freed');
    } finally {
      for (const conn of held) conn.destroy();
      await srv.stop();
    }
  });
});

describe('a client that pipelines and never reads (--threads 1, --write-timeout 1)', () => {
  test('holds neither the serving thread nor more than its send buffer, and is reset at the write timeout', async () => {
    const srv = await startServer(db, { now: NOW, threads: 1, extraArgs: ['--write-timeout', '1'] });
    const slow = net.connect(srv.port, '127.0.0.1');
    try {
      await new Promise((resolve, reject) => slow.once('connect', resolve).once('error', reject));
      slow.pause(); // reads nothing more (Node takes one buffer's worth first)
      slow.on('error', () => {});
      const serverSide = () => serverSockets(srv.port, slow.localPort);
      // Eight answers of about 140 kB each, beyond every buffer on the way; the requests are one small segment, which
      // the server reads whole, so no unread input of the client's is what makes the close a reset.
      slow.write(Buffer.concat(Array.from({ length: 8 }, () => listRequest('application/xml'))));
      // The answers fill the buffers within moments; the write timeout runs from then.
      let stuck = serverSide();
      for (const until = Date.now() + 900; !(stuck[0]?.sendQueue > 0) && Date.now() < until; stuck = serverSide()) {
        await sleep(20);
      }
      assert.equal(stuck.length, 1, 'the server holds the connection');
      assert.ok(stuck[0].sendQueue > 0, 'with answers queued');
      assert.ok(stuck[0].sendQueue < 300_000, `bounded by the send buffer: ${stuck[0].sendQueue} bytes queued`);

      // Another client on the only serving thread is answered at once meanwhile.
      const other = await Conn.open(srv.port);
      try {
        for (let i = 0; i < 3; i++) {
          const started = Date.now();
          await other.write(listRequest());
          const response = await other.readResponse({ timeoutMs: 3000 });
          assert.equal(response.status, 200);
          assert.ok(Date.now() - started < 800, `answered in ${Date.now() - started} ms while the slow one was stuck`);
        }
      } finally {
        other.destroy();
      }

      // Past the write timeout the connection is gone from the server's kernel too: reset, not an orphan that keeps
      // its queued answers until the client reads.
      const deadline = Date.now() + 3000;
      while (serverSide().length > 0 && Date.now() < deadline) await sleep(100);
      assert.deepEqual(serverSide(), [], 'no socket of the server is left for the client that does not read');
    } finally {
      slow.destroy();
      await srv.stop();
    }
  });
});

describe('deadlines (--header-timeout 2, --idle-timeout 1)', { concurrency: true }, () => {
  let srv;
  before(async () => {
    srv = await startServer(db, {
      now: NOW, threads: 1, extraArgs: ['--header-timeout', '2', '--idle-timeout', '1'],
    });
  });
  after(() => srv.stop());
  // The sweeper looks at the deadlines every tenth of the shortest one (here 100 ms); the rest is scheduling slack.
  const LATE_MS = 700;

  // Sends `bytes` one at a time, `gapMs` apart, until they are all sent or the connection closes.
  async function trickle(conn, bytes, gapMs) {
    for (const byte of bytes) {
      if (conn.closed) return;
      await conn.write(Buffer.from([byte]));
      await sleep(gapMs);
    }
  }

  test('a request whose header trickles in slower than the deadline is cut at it, unanswered, while it still sends', async () => {
    const opened = Date.now();
    const conn = await Conn.open(srv.port);
    try {
      const sending = trickle(conn, listRequest(), 100); // about 25 s for the whole header
      const { closed, text } = await untilClosed(conn, 5000);
      const ms = Date.now() - opened;
      assert.ok(closed, 'the connection was closed');
      assert.ok(ms >= 1950 && ms < 2000 + LATE_MS, `closed ${ms} ms after opening`);
      assert.equal(text, '', 'no answer: the connection is closed as it is');
      await sending;
    } finally {
      conn.destroy();
    }
  });

  test('a header that trickles in within the deadline is served', async () => {
    const conn = await Conn.open(srv.port);
    try {
      const bytes = listRequest();
      // Ten pieces over about 1.2 s, more than the idle timeout: a request under way is not idle.
      const piece = Math.ceil(bytes.length / 10);
      for (let at = 0; at < bytes.length; at += piece) {
        await conn.write(bytes.subarray(at, at + piece));
        await sleep(130);
      }
      assert.equal((await conn.readResponse()).status, 200);
    } finally {
      conn.destroy();
    }
  });

  test('on a keep-alive connection the header deadline runs from the next request\'s first byte', async () => {
    const conn = await servedConnection(srv.port);
    try {
      await sleep(500);
      const firstByte = Date.now();
      const sending = trickle(conn, listRequest(), 100);
      const { closed, text } = await untilClosed(conn, 5000);
      const ms = Date.now() - firstByte;
      assert.ok(closed, 'the connection was closed');
      assert.ok(ms >= 1950 && ms < 2000 + LATE_MS, `closed ${ms} ms after the request's first byte`);
      assert.equal(text, '');
      await sending;
    } finally {
      conn.destroy();
    }
  });

  test('an idle keep-alive connection is served until the idle timeout and closed at it, without an answer', async () => {
    const conn = await servedConnection(srv.port);
    try {
      await sleep(700);
      await conn.write(listRequest());
      assert.equal((await conn.readResponse()).status, 200, 'still served 0.7 s into an idle timeout of 1 s');
      const { closed, text, ms, error } = await untilClosed(conn, 5000);
      assert.ok(closed, 'the connection was closed');
      assert.ok(ms >= 950 && ms < 1000 + LATE_MS, `closed ${ms} ms after the last answer`);
      assert.equal(text, '');
      assert.equal(error, undefined, 'an orderly close, not a reset');
    } finally {
      conn.destroy();
    }
  });

  test('a connection that never sends a byte is closed at the header deadline, not the shorter idle timeout', async () => {
    const opened = Date.now();
    const conn = await Conn.open(srv.port);
    try {
      const { closed, text } = await untilClosed(conn, 5000);
      const ms = Date.now() - opened;
      assert.ok(closed);
      assert.ok(ms >= 1950 && ms < 2000 + LATE_MS, `closed ${ms} ms after opening`);
      assert.equal(text, '');
    } finally {
      conn.destroy();
    }
  });
});
