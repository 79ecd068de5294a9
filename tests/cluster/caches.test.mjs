// Two `serve` processes on one PostgreSQL primary, each answering lists from its serving threads' caches: a write
// answered by one node shows in the very next answer of the other, while other clients write on both nodes at once;
// lists that did not change are answered from memory (the access log's "list" field says where each came from).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startServer } from '../blackbox/harness.mjs';
import { listSourceAfter } from './cluster-harness.mjs';
import {
  CAND, CAND2, CLIENT, CLIENT2, CLIENT4, NOW, at, expectStatus, get, post, setupLifecycle,
} from '../blackbox/lifecycle-fixture.mjs';

const ROUNDS = 6;
let env;
let nodes;

before(async () => {
  env = await setupLifecycle({ serve: false });
  const serve = () => startServer(env.db, { now: NOW, threads: 2, extraArgs: ['--sweep-interval', '3600'] });
  nodes = [await serve(), await serve()];
});
after(async () => {
  for (const node of nodes ?? []) await node.stop();
});

const on = (node) => ({ ...env, port: node.port });
// The least a candidate takes for 15 minutes (their PhoneChatPPM in the fixture: 0.5 and 0.2).
const PRICE = { [CAND]: '7.5', [CAND2]: '3' };
const create = (node, client, candidate, comments = '') => post(on(node), client, 'CreateBooking', { BookUserID: candidate,
  SessionDate: at(5).slice(0, 16), AcceptBy: at(4).slice(0, 16), Duration: 15, Method: 2, Credits: PRICE[candidate],
  Comments: comments });
const listed = async (node, user, path, id) => {
  const page = expectStatus(await get(on(node), user, `${path}?BookingsPerPage=100`), 200);
  return page.Bookings.find((b) => b.BookingID === id);
};

// One client's walk through create, accept, confirm, cancel and delete: each step is answered by one node and
// checked on the other at once.
async function walk(client, candidate, label) {
  for (let round = 0; round < ROUNDS; round++) {
    const [write, read] = round % 2 === 0 ? nodes : [nodes[1], nodes[0]];
    const created = expectStatus(await create(write, client, candidate, `${label} ${round}`), 200, label);
    const id = created.BookingID;
    assert.equal((await listed(read, client, 'MadeBookings', id))?.Status, 'Pending', `${label} #${round}: the Create on the other node`);
    expectStatus(await post(on(read), candidate, 'AcceptReceivedBooking', { BookingID: id, Credits: PRICE[candidate] }), 200);
    assert.equal((await listed(write, client, 'MadeBookings', id))?.Status, 'Accepted', `${label} #${round}: the Accept on the other node`);
    expectStatus(await post(on(write), client, 'ConfirmMadeBooking', { BookingID: id }), 200);
    assert.equal((await listed(read, client, 'MadeBookings', id))?.Status, 'Confirmed', `${label} #${round}: the Confirm on the other node`);
    expectStatus(await post(on(read), client, 'CancelMadeBooking', { BookingID: id, Reason: 'Cache test' }), 200);
    assert.equal((await listed(write, client, 'MadeBookings', id))?.Status, 'Cancelled', `${label} #${round}: the Cancel on the other node`);
    const [deleted] = expectStatus(await post(on(write), client, 'DeleteMadeBookings', { BookingIDs: String(id) }), 200);
    assert.equal(deleted.Deleted, true, deleted.Message);
    assert.equal(await listed(read, client, 'MadeBookings', id), undefined, `${label} #${round}: the deletion on the other node`);
  }
}

test('writes on either node show at once on the other, with three clients writing concurrently', async () => {
  let walking = true;
  // Meanwhile, every client's list is read on both nodes over and over: caches fill and are forgotten throughout.
  const churn = (async () => {
    let reads = 0;
    while (walking) {
      for (const node of nodes) {
        for (const client of [CLIENT, CLIENT2, CLIENT4]) expectStatus(await get(on(node), client, 'MadeBookings?BookingsPerPage=7'), 200);
      }
      reads += 6;
    }
    return reads;
  })();
  try {
    await Promise.all([walk(CLIENT, CAND, 'Clara'), walk(CLIENT2, CAND2, 'Bob'), walk(CLIENT4, CAND, 'Dora')]);
  } finally {
    walking = false;
  }
  assert.ok(await churn > 0);
  // Both nodes answer the same lists byte for byte.
  for (const client of [CLIENT, CLIENT2, CLIENT4]) {
    const [a, b] = await Promise.all(nodes.map((node) => get(on(node), client, 'MadeBookings?BookingsPerPage=100')));
    assert.equal(a.text, b.text, `client ${client}: the nodes agree`);
  }
});

test('a list that did not change is answered from memory; a write elsewhere leaves it there', async () => {
  const [a, b] = nodes;
  const sources = async (times) => {
    const found = [];
    for (let i = 0; i < times; i++) {
      const from = a.logLines.length;
      expectStatus(await get(on(a), CLIENT, 'MadeBookings?BookingsPerPage=100'), 200);
      found.push(await listSourceAfter(a, from));
    }
    return found;
  };
  // A node has two serving threads, each with its own cache: twenty requests reach both (all but surely).
  await sources(20);
  assert.deepStrictEqual(await sources(6), Array(6).fill('cache'), 'unchanged: every answer from memory');
  // Another client's write on the other node touches only that client's list.
  expectStatus(await create(b, CLIENT2, CAND2), 200);
  assert.deepStrictEqual(await sources(6), Array(6).fill('cache'), 'another client\'s write reloaded nothing');
  // This client's own write on the other node: its next answers are loaded again (once per serving thread).
  const created = expectStatus(await create(b, CLIENT, CAND), 200);
  const from = a.logLines.length;
  const first = expectStatus(await get(on(a), CLIENT, 'MadeBookings?BookingsPerPage=100'), 200);
  assert.ok(first.Bookings.some((x) => x.BookingID === created.BookingID), 'the write shows at once');
  assert.equal(await listSourceAfter(a, from), 'primary', 'the changed list was loaded again');
});
