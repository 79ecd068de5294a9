// Two API nodes behind nginx under a bounded load (wrk): one node killed with SIGKILL mid-run costs no request;
// the database stopped mid-run answers 503 fast, and the service recovers within seconds of its restart.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { importRecords, mintToken, newDb, request, sleep, startServer } from '../blackbox/harness.mjs';
import { primaryCtl, runWrk, startNginx } from './cluster-harness.mjs';

const booking = (BookingID) => ({ Kind: 'Booking', BookingID, ClientUserID: 71, CandidateUserID: 72, Duration: 15,
  Credits: '8', Status: 'Confirmed', Method: 2, CreateDate: `2024-05-01T10:${String(BookingID % 60).padStart(2, '0')}:00`,
  SessionDate: '2024-05-03T21:30:00', AcceptBy: '2024-05-02T00:00:00', AcceptedDate: '2024-05-01T11:00:00',
  ConfirmedDate: '2024-05-01T12:00:00', LastUpdated: '2024-05-01T12:00:00', DeletedByClient: false });
let db;
let token;
const started = [];

before(async () => {
  db = newDb();
  await importRecords(db, [
    { Kind: 'User', UserID: 70, Nickname: 'Owner' }, { Kind: 'User', UserID: 71, Nickname: 'Client' },
    { Kind: 'User', UserID: 72, Nickname: 'Candidate' },
    { Kind: 'Project', Name: 'Fault app', OwnerUserID: 70, ApiKey: 'fault-key', ClientID: 'fault-app',
      RedirectURIs: ['http://127.0.0.1:9/cb'] },
    ...Array.from({ length: 60 }, (_, i) => booking(i + 1)),
  ]);
  token = await mintToken(db, { user: 71, clientId: 'fault-app' });
});
after(async () => {
  for (const s of started) await s.stop();
});

test('kill -9 of one of two nodes during the load: zero failed requests reach the client', async () => {
  const nodes = [await startServer(db, { threads: 1 }), await startServer(db, { threads: 1 })];
  started.push(...nodes);
  const lb = await startNginx(nodes.map((n) => n.port));
  started.push(lb);
  const load = runWrk(`http://127.0.0.1:${lb.port}/v1/PhoneChat/MadeBookings?BookingsPerPage=10`,
    { seconds: 6, connections: 8, headers: { Authorization: `Bearer ${token}` } });
  await sleep(2000);
  nodes[0].proc.kill('SIGKILL');
  const result = await load;
  assert.ok(result.requests > 100, `the load ran: ${result.output}`);
  assert.equal(result.non2xx, 0, `no failed answer: ${result.output}`);
  assert.equal(result.socketErrors, 0, `no failed connection: ${result.output}`);
  const res = await request(lb.port, '/v1/PhoneChat/MadeBookings', { token });
  assert.equal(res.status, 200, 'the survivor answers');
  await lb.stop();
});

test('the primary stopped during the load: 503s, fast; restarted: the service answers again, nothing lost', async () => {
  const node = await startServer(db, { threads: 1 });
  started.push(node);
  const url = `http://127.0.0.1:${node.port}/v1/PhoneChat/MadeBookings?BookingsPerPage=10`;
  const load = runWrk(url, { seconds: 8, connections: 4, headers: { Authorization: `Bearer ${token}` } });
  await sleep(1500);
  primaryCtl('stop');
  let stoppedAt = Date.now();
  try {
    await sleep(2000);
  } finally {
    primaryCtl('start');
    stoppedAt = Date.now() - stoppedAt;
  }
  const result = await load;
  assert.ok(result.non2xx > 0, `while the database was down, requests were answered (503), not left hanging: ${result.output}`);
  assert.equal(result.socketErrors, 0, `no connection failed or timed out: ${result.output}`);
  const deadline = Date.now() + 10000;
  let res;
  do {
    res = await request(node.port, '/v1/PhoneChat/MadeBookings', { token });
    if (res.status === 200) break;
    await sleep(200);
  } while (Date.now() < deadline);
  assert.equal(res.status, 200, `answers again after the restart: ${res.describe()}`);
  assert.equal(res.json().BookingsTotal, 60, 'nothing lost');
  assert.ok(stoppedAt >= 2000);
});
