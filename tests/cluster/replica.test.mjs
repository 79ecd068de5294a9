// `serve --db-read`: the lists are read from a streaming replica; authentication (and everything that must see
// its own writes) stays on the primary; a replica that goes away costs nothing but its load.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { importRecords, mintToken, newDb, psql, request, startServer } from '../blackbox/harness.mjs';
import { replicaCaughtUp, replicaCtl, replicaUrl } from './cluster-harness.mjs';

const booking = (BookingID) => ({ Kind: 'Booking', BookingID, ClientUserID: 51, CandidateUserID: 52, Duration: 15,
  Credits: '8', Status: 'Confirmed', Method: 2, CreateDate: '2024-05-01T10:00:00', SessionDate: '2024-05-03T21:30:00',
  AcceptBy: '2024-05-02T00:00:00', AcceptedDate: '2024-05-01T11:00:00', ConfirmedDate: '2024-05-01T12:00:00',
  LastUpdated: '2024-05-01T12:00:00', DeletedByClient: false });
const total = async (srv, token) => {
  const res = await request(srv.port, '/v1/PhoneChat/MadeBookings', { token });
  assert.equal(res.status, 200, res.describe());
  return res.json().BookingsTotal;
};
let db;
let srv;

before(async () => {
  db = newDb();
  await importRecords(db, [
    { Kind: 'User', UserID: 50, Nickname: 'Owner' }, { Kind: 'User', UserID: 51, Nickname: 'Client' },
    { Kind: 'User', UserID: 52, Nickname: 'Candidate' },
    { Kind: 'Project', Name: 'Replica app', OwnerUserID: 50, ApiKey: 'replica-key', ClientID: 'replica-app',
      RedirectURIs: ['http://127.0.0.1:9/cb'] },
    booking(1), booking(2), booking(3),
  ]);
  await replicaCaughtUp(db);
  srv = await startServer(db, { extraArgs: ['--db-read', replicaUrl(db)] });
});
after(async () => {
  try { psql(replicaUrl(db), ['SELECT pg_wal_replay_resume()']); } catch { /* the replica may be stopped */ }
  await srv?.stop();
});

test('lists come from the replica while its replay is paused; a token issued meanwhile works (primary)', async () => {
  assert.equal(await total(srv, await mintToken(db, { user: 51, clientId: 'replica-app' })), 3);
  psql(replicaUrl(db), ['SELECT pg_wal_replay_pause()']);
  await importRecords(db, [booking(4), booking(5)]);
  const fresh = await mintToken(db, { user: 51, clientId: 'replica-app' }); // stored on the primary only
  assert.equal(await total(srv, fresh), 3, 'the list is the replica\'s, which has not replayed the import yet');
  psql(replicaUrl(db), ['SELECT pg_wal_replay_resume()']);
  await replicaCaughtUp(db);
  assert.equal(await total(srv, fresh), 5, 'once replayed, the list shows the new bookings');
});

test('a replica that stops: the lists are read from the primary, no request fails; it returns: used again', async () => {
  const token = await mintToken(db, { user: 51, clientId: 'replica-app' });
  replicaCtl('stop');
  try {
    for (let i = 0; i < 5; i += 1) assert.equal(await total(srv, token), 5);
  } finally {
    replicaCtl('start');
  }
  await replicaCaughtUp(db);
  psql(replicaUrl(db), ['SELECT pg_wal_replay_pause()']);
  await importRecords(db, [booking(6)]);
  assert.equal(await total(srv, token), 5, 'reads went back to the (paused) replica');
  psql(replicaUrl(db), ['SELECT pg_wal_replay_resume()']);
});
