// The server keeps each client's bookings ready to list. Its answers must stay exactly the model's while another
// process imports new bookings, renames a candidate and deletes bookings from a client's list, in every order,
// with and without StartDate, on shallow and deep pages, in both formats.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { importRecords, qs, request } from './harness.mjs';
import { HEAVY, MAIN, MODEL_NOW, NOW_MS, ROUTE, assertJsonPage, setup } from './fixture.mjs';
import { DAY, fmt, jsonCreditsTexts, jsonPage, visible, xmlPage } from './model.mjs';
import { parseXml, plain } from './xml.mjs';

let env;
before(async () => {
  env = await setup({ heavy: true, tokensFor: [MAIN, HEAVY] });
});
after(async () => {
  if (env) await env.stop();
});

const START = fmt(NOW_MS - 20 * DAY).slice(0, 10);
const CASES = [
  { order: 'date-desc', per: 50, page: 1 },
  { order: 'date-asc', per: 100, page: 29 },
  { order: 'nickname-asc', per: 100, page: 17 },
  { order: 'nickname-desc', per: 7, page: 200 },
  { order: 'sessiondate-asc', per: 50, page: 30 },
  { order: 'sessiondate-desc', per: 1, page: 2999 },
  { order: 'date-asc', per: 20, page: 3, startDate: START },
  { order: 'nickname-asc', per: 10, page: 40, startDate: START },
  { order: 'sessiondate-desc', per: 100, page: 5, startDate: START },
];

async function expectModel(stage) {
  for (const client of [HEAVY, MAIN]) {
    for (const params of CASES) {
      const query = { OrderBy: params.order, BookingsPerPage: params.per, PageNumber: params.page };
      if (params.startDate) query.StartDate = params.startDate;
      const context = `${stage}: client ${client} ${JSON.stringify(query)}`;
      const json = await request(env.port, ROUTE + qs(query), { token: env.tokens[client] });
      assertJsonPage(json, jsonPage(env.fx, client, params, MODEL_NOW), jsonCreditsTexts(env.fx, client, params), context);
      const xml = await request(env.port, ROUTE + qs(query), { token: env.tokens[client], accept: 'application/xml' });
      assert.equal(xml.status, 200, `${context}: ${xml.describe()}`);
      assert.deepStrictEqual(plain(parseXml(xml.text)), xmlPage(env.fx, client, params, MODEL_NOW), `${context} (XML)`);
    }
  }
}

test('imports by another process show in the very next answers: new bookings, a renamed candidate, deletions', async () => {
  await expectModel('before');
  await expectModel('again, as answered before');

  // New bookings for both clients, one created on StartDate's first millisecond, ties on existing dates.
  let nextId = Math.max(...env.fx.bookings.map((b) => b.BookingID)) + 1;
  const added = [];
  for (const [client, from] of [[HEAVY, 0], [HEAVY, 1], [HEAVY, 2], [MAIN, 3]]) {
    const model = visible(env.fx, client)[from * 7];
    added.push({ ...model, BookingID: nextId++, CandidateUserID: 100 });
  }
  added.push({ ...added[0], BookingID: nextId++, CreateDate: `${START}T00:00:00` });
  // A renamed candidate moves in the nickname orders of every client who booked them.
  const renamed = { ...env.fx.users.get(100), Nickname: 'zz renamed', PhoneChatNumber: '+447700000999' };
  // Deleted by the client: gone from the lists, the totals and the pages after them.
  const deleted = visible(env.fx, HEAVY, { order: 'nickname-asc' }).slice(990, 1000).map((b) => ({ ...b, DeletedByClient: true }));
  const strip = ({ creditsAsNumber, ...record }) => record;
  await importRecords(env.db, [renamed, ...added, ...deleted].map((r) => JSON.stringify(strip(r))), { replace: true });

  env.fx.users.set(100, renamed);
  env.fx.bookings.push(...added);
  for (const gone of deleted) {
    const index = env.fx.bookings.findIndex((b) => b.BookingID === gone.BookingID);
    env.fx.bookings[index] = gone;
  }
  assert.equal(visible(env.fx, HEAVY).length, 3000 + 4 - 10, 'the model changed as the import did');
  await expectModel('after the import');
});
