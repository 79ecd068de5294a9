// `serve --db-read`: a list is loaded from a streaming replica only when the replica has replayed the list's last
// change (its stamp there is the primary's); otherwise, or when the replica cannot answer, from the primary.
// Authentication and every write stay on the primary. The access log's "list" field says where each list came from.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { importRecords, mintToken, newDb, psql, request, startServer } from '../blackbox/harness.mjs';
import { listSourceAfter, replicaCaughtUp, replicaCtl, replicaUrl } from './cluster-harness.mjs';

const booking = (BookingID, ClientUserID = 51) => ({ Kind: 'Booking', BookingID, ClientUserID, CandidateUserID: 52,
  Duration: 15, Credits: '8', Status: 'Confirmed', Method: 2, CreateDate: '2024-05-01T10:00:00',
  SessionDate: '2024-05-03T21:30:00', AcceptBy: '2024-05-02T00:00:00', AcceptedDate: '2024-05-01T11:00:00',
  ConfirmedDate: '2024-05-01T12:00:00', LastUpdated: '2024-05-01T12:00:00', DeletedByClient: false });
let db;
let srv;

// The client's BookingsTotal and where the server says the list came from.
async function list(token) {
  const lines = srv.logLines.length;
  const res = await request(srv.port, '/v1/PhoneChat/MadeBookings', { token });
  assert.equal(res.status, 200, res.describe());
  return { total: res.json().BookingsTotal, from: await listSourceAfter(srv, lines) };
}

before(async () => {
  db = newDb();
  await importRecords(db, [
    { Kind: 'User', UserID: 50, Nickname: 'Owner' }, { Kind: 'User', UserID: 51, Nickname: 'Client' },
    { Kind: 'User', UserID: 52, Nickname: 'Candidate' }, { Kind: 'User', UserID: 54, Nickname: 'Other client' },
    { Kind: 'Project', Name: 'Replica app', OwnerUserID: 50, ApiKey: 'replica-key', ClientID: 'replica-app',
      RedirectURIs: ['http://127.0.0.1:9/cb'] },
    booking(1), booking(2), booking(3), booking(11, 54), booking(12, 54),
  ]);
  await replicaCaughtUp(db);
  srv = await startServer(db, { threads: 1, extraArgs: ['--db-read', replicaUrl(db)] });
});
after(async () => {
  try { psql(replicaUrl(db), ['SELECT pg_wal_replay_resume()']); } catch { /* the replica may be stopped */ }
  await srv?.stop();
});

test('a replica that has not replayed a client\'s last write never answers that client; it answers the others', async () => {
  const client = await mintToken(db, { user: 51, clientId: 'replica-app' });
  assert.deepStrictEqual(await list(client), { total: 3, from: 'replica' });
  assert.deepStrictEqual(await list(client), { total: 3, from: 'cache' });
  psql(replicaUrl(db), ['SELECT pg_wal_replay_pause()']);
  try {
    const deleted = await request(srv.port, '/v1/PhoneChat/DeleteMadeBookings', { method: 'POST', token: client,
      headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ BookingIDs: '1' }) });
    assert.equal(deleted.status, 200, deleted.describe());
    assert.deepStrictEqual(await list(client), { total: 2, from: 'primary' }, 'the client\'s own write shows at once');
    assert.deepStrictEqual(await list(client), { total: 2, from: 'cache' });
    // A token issued meanwhile is on the primary only; the other client's list has not changed: the replica's.
    const other = await mintToken(db, { user: 54, clientId: 'replica-app' });
    assert.deepStrictEqual(await list(other), { total: 2, from: 'replica' });
    // An import may change every list: until the replica replays it, every list is the primary's.
    await importRecords(db, [booking(4), booking(13, 54)]);
    assert.deepStrictEqual(await list(client), { total: 3, from: 'primary' });
    assert.deepStrictEqual(await list(other), { total: 3, from: 'primary' });
  } finally {
    psql(replicaUrl(db), ['SELECT pg_wal_replay_resume()']);
  }
});

test('a replica that stops: the lists are read from the primary, no request fails; it returns: used again', async () => {
  const token = await mintToken(db, { user: 51, clientId: 'replica-app' });
  replicaCtl('stop');
  try {
    await importRecords(db, [booking(5)]);
    for (let i = 0; i < 3; i += 1) assert.equal((await list(token)).total, 4);
  } finally {
    replicaCtl('start');
  }
  await importRecords(db, [booking(6)]);
  await replicaCaughtUp(db);
  assert.deepStrictEqual(await list(token), { total: 5, from: 'replica' }, 'reads went back to the replica');
});
