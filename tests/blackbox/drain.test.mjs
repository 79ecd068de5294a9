// Graceful shutdown: SIGTERM drains and exits 0, promptly when idle, also with idle keep-alive connections
// open; a request in progress when the signal arrives is still answered in full.
import assert from 'node:assert/strict';
import net from 'node:net';
import { before, describe, test } from 'node:test';
import { Conn, importRecords, mintToken, newDb, request, requestBytes, startServer } from './harness.mjs';
import { MAIN, NOW, PROJECT_A, buildFixture } from './fixture.mjs';

let db;
let token;
before(async () => {
  const fx = buildFixture();
  db = newDb();
  await importRecords(db, fx.lines);
  token = await mintToken(db, { user: MAIN, clientId: PROJECT_A.ClientID });
});

const refused = (port) => new Promise((resolve) => {
  const s = net.connect(port, '127.0.0.1');
  s.once('connect', () => {
    s.destroy();
    resolve(false);
  });
  s.once('error', () => resolve(true));
});

describe('SIGTERM', () => {
  test('while idle: exit code 0 within 5 s, the port is closed afterwards', async () => {
    const srv = await startServer(db, { now: NOW, drainTime: 2 });
    assert.equal((await request(srv.port, '/v1/PhoneChat/MadeBookings', { token })).status, 200);
    const { code, signal, ms } = await srv.stop(15000);
    assert.equal(signal, null, 'exited by itself, not killed');
    assert.equal(code, 0);
    assert.ok(ms < 5000, `took ${ms} ms`);
    assert.ok(await refused(srv.port), 'no longer accepting connections');
  });
  test('with an idle keep-alive connection open: exit code 0 within 5 s, the connection is closed', async () => {
    const srv = await startServer(db, { now: NOW, drainTime: 2 });
    const conn = await Conn.open(srv.port);
    try {
      await conn.write(requestBytes('GET', '/v1/PhoneChat/MadeBookings?BookingsPerPage=1', [['Authorization', `Bearer ${token}`]]));
      assert.equal((await conn.readResponse()).status, 200);
      const { code, signal, ms } = await srv.stop(15000);
      assert.equal(signal, null, 'exited by itself, not killed');
      assert.equal(code, 0);
      assert.ok(ms < 5000, `took ${ms} ms`);
      assert.ok(await conn.waitClosed(2000), 'the idle connection was closed');
    } finally {
      conn.destroy();
    }
  });
  test('a pipelined burst in flight is answered in full before the exit', async () => {
    const srv = await startServer(db, { now: NOW, drainTime: 5 });
    const conn = await Conn.open(srv.port);
    try {
      const one = requestBytes('GET', '/v1/PhoneChat/MadeBookings?BookingsPerPage=100&OrderBy=nickname-asc', [['Authorization', `Bearer ${token}`]]);
      await conn.write(one);
      const first = await conn.readResponse();
      assert.equal(first.status, 200);
      // The signal arrives after the second request reached the server: that request is answered completely.
      await conn.write(one);
      await new Promise((r) => setTimeout(r, 50));
      const stopping = srv.stop(15000);
      const second = await conn.readResponse();
      assert.ok(second.status === 200 || second.status === 503, `answered: ${second.describe()}`);
      if (second.status === 200) assert.equal(second.text, first.text, 'a complete body');
      const { code } = await stopping;
      assert.equal(code, 0);
    } finally {
      conn.destroy();
    }
  });
});
