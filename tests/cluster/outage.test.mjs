// The database goes away under a running server: requests fail fast with 503 (never hang, never crash the
// server); when it comes back, the server answers again without a restart, and nothing is lost.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { importRecords, mintToken, newDb, request, sleep, startServer } from '../blackbox/harness.mjs';
import { primaryCtl } from './cluster-harness.mjs';

const booking = (BookingID) => ({ Kind: 'Booking', BookingID, ClientUserID: 61, CandidateUserID: 62, Duration: 15,
  Credits: '8', Status: 'Confirmed', Method: 2, CreateDate: '2024-05-01T10:00:00', SessionDate: '2024-05-03T21:30:00',
  AcceptBy: '2024-05-02T00:00:00', AcceptedDate: '2024-05-01T11:00:00', ConfirmedDate: '2024-05-01T12:00:00',
  LastUpdated: '2024-05-01T12:00:00', DeletedByClient: false });

test('primary stopped: 503 within the deadline for every request; restarted: 200 again within seconds, same data', async () => {
  const db = newDb();
  await importRecords(db, [
    { Kind: 'User', UserID: 60, Nickname: 'Owner' }, { Kind: 'User', UserID: 61, Nickname: 'Client' },
    { Kind: 'User', UserID: 62, Nickname: 'Candidate' },
    { Kind: 'Project', Name: 'Outage app', OwnerUserID: 60, ApiKey: 'outage-key', ClientID: 'outage-app',
      RedirectURIs: ['http://127.0.0.1:9/cb'] },
    ...Array.from({ length: 30 }, (_, i) => booking(i + 1)),
  ]);
  const token = await mintToken(db, { user: 61, clientId: 'outage-app' });
  const srv = await startServer(db, { threads: 2 });
  try {
    const get = () => request(srv.port, '/v1/PhoneChat/MadeBookings?BookingsPerPage=5', { token });
    assert.equal((await get()).status, 200);
    primaryCtl('stop');
    let restarted = false;
    try {
      for (let i = 0; i < 6; i += 1) {
        const t0 = Date.now();
        const res = await get();
        const ms = Date.now() - t0;
        assert.equal(res.status, 503, res.describe());
        assert.equal(typeof res.json().Message, 'string', res.describe());
        assert.ok(ms < 6000, `503 came after ${ms} ms`);
      }
      primaryCtl('start');
      restarted = true;
    } finally {
      if (!restarted) primaryCtl('start');
    }
    const deadline = Date.now() + 15000;
    let res;
    for (;;) {
      res = await get();
      if (res.status === 200 || Date.now() > deadline) break;
      assert.equal(res.status, 503, res.describe());
      await sleep(200);
    }
    assert.equal(res.status, 200, `answers again after the restart: ${res.describe()}`);
    assert.equal(res.json().BookingsTotal, 30, 'nothing lost');
    assert.equal(srv.proc.exitCode, null, 'the server never exited');
  } finally {
    await srv.stop();
  }
});
