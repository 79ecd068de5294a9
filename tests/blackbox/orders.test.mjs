// Every order, its ties and the nickname folding, paging through a small and a 3,000-booking history:
// each page must equal the model's page exactly.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { qs, request } from './harness.mjs';
import { HEAVY, MAIN, MODEL_NOW, ROUTE, assertJsonPage, setup } from './fixture.mjs';
import { ORDERS, foldKey, jsonCreditsTexts, jsonPage, page, visible } from './model.mjs';

let env;
before(async () => {
  env = await setup({ heavy: true, tokensFor: [MAIN, HEAVY] });
});
after(async () => {
  if (env) await env.stop();
});

async function checkPage(client, params) {
  const query = { OrderBy: params.order, BookingsPerPage: params.per, PageNumber: params.page };
  const res = await request(env.port, ROUTE + qs(query), { token: env.tokens[client] });
  assertJsonPage(res, jsonPage(env.fx, client, params, MODEL_NOW), jsonCreditsTexts(env.fx, client, params),
    `client ${client} ${JSON.stringify(query)}`);
  return res.json();
}

describe('main client: every order, every page', () => {
  for (const order of ORDERS) {
    test(`${order}: pages of 7 cover the list exactly once, in order`, async () => {
      const all = visible(env.fx, MAIN, { order });
      const pages = Math.ceil(all.length / 7);
      const seen = [];
      for (let p = 1; p <= pages + 1; p++) {
        const body = await checkPage(MAIN, { order, per: 7, page: p });
        seen.push(...body.Bookings.map((b) => b.BookingID));
      }
      assert.deepStrictEqual(seen, all.map((b) => b.BookingID));
      assert.equal(new Set(seen).size, seen.length, 'no booking on two pages');
    });
    test(`${order}: page sizes 1, 50 (default) and 100`, async () => {
      await checkPage(MAIN, { order, per: 1, page: 1 });
      await checkPage(MAIN, { order, per: 1, page: 2 });
      await checkPage(MAIN, { order, per: 50, page: 1 });
      await checkPage(MAIN, { order, per: 50, page: 2 });
      await checkPage(MAIN, { order, per: 100, page: 1 });
    });
  }
});

describe('ties and nickname folding', () => {
  const listOf = async (order, per = 100) => {
    const res = await request(env.port, ROUTE + qs({ OrderBy: order, BookingsPerPage: per }), { token: env.tokens[MAIN] });
    assert.equal(res.status, 200, res.describe());
    return res.json().Bookings;
  };

  test('nickname-asc: anna, Anna and ANNA tie and are ordered by BookingID ascending', async () => {
    const list = await listOf('nickname-asc');
    const annas = list.filter((b) => b.Candidate.Nickname.toLowerCase() === 'anna');
    assert.ok(annas.length >= 6, 'the fixture has several anna/Anna/ANNA bookings');
    const ids = annas.map((b) => b.BookingID);
    assert.deepStrictEqual(ids, [...ids].sort((a, b) => a - b));
    assert.ok(new Set(annas.map((b) => b.Candidate.Nickname)).size === 3, 'all three spellings are present');
    // the family sits together: nothing else between them
    const first = list.indexOf(annas[0]);
    assert.deepStrictEqual(list.slice(first, first + annas.length).map((b) => b.BookingID), ids);
  });

  test('nickname-desc: the same tie is ordered by BookingID descending', async () => {
    const list = await listOf('nickname-desc');
    const ids = list.filter((b) => b.Candidate.Nickname.toLowerCase() === 'anna').map((b) => b.BookingID);
    assert.deepStrictEqual(ids, [...ids].sort((a, b) => b - a));
  });

  test('nickname-asc: `_` and `[` sort before every letter, aB ties with ab, bytes above ASCII last', async () => {
    const list = await listOf('nickname-asc');
    const nicks = list.map((b) => b.Candidate.Nickname);
    const pos = (n) => nicks.indexOf(n);
    const lastPos = (n) => nicks.lastIndexOf(n);
    assert.ok(lastPos('_under') < pos('a'), '_under before a');
    assert.ok(lastPos('[bracket') < pos('_under'), '[ (0x5B) before _ (0x5F)');
    assert.ok(lastPos('0day') < pos('[bracket'), 'digits before [');
    assert.ok(lastPos('a') < pos('a_b'), 'a prefix first');
    assert.ok(lastPos('a_b') < Math.min(pos('ab'), pos('aB')), 'a_b before ab: _ below the letters');
    assert.ok(lastPos('Zoë') < pos('~tilde') && lastPos('zed_') < pos('~tilde'), '~ (0x7E) after the letters');
    assert.ok(lastPos('~tilde') < pos('Émile'), 'non-ASCII bytes after ASCII');
    assert.ok(lastPos('Émile') < pos('émile'), 'É (C3 89) before é (C3 A9): not folded');
    // aB and ab tie: by BookingID
    const abIds = list.filter((b) => ['ab', 'aB'].includes(b.Candidate.Nickname)).map((b) => b.BookingID);
    assert.deepStrictEqual(abIds, [...abIds].sort((a, b) => a - b));
    // the whole sequence is non-decreasing under the folding comparator
    for (let i = 1; i < nicks.length; i++) {
      assert.ok(Buffer.compare(foldKey(nicks[i - 1]), foldKey(nicks[i])) <= 0, `${nicks[i - 1]} before ${nicks[i]}`);
    }
  });

  for (const order of ['date-asc', 'date-desc', 'sessiondate-asc', 'sessiondate-desc']) {
    test(`${order}: equal dates are ordered by BookingID in the same direction`, async () => {
      const list = await listOf(order);
      const key = order.startsWith('date') ? 'CreateDate' : 'SessionDate';
      const groups = new Map();
      for (const b of list) groups.set(b[key], [...(groups.get(b[key]) || []), b.BookingID]);
      const tied = [...groups.values()].filter((g) => g.length > 1);
      assert.ok(tied.some((g) => g.length >= 12), 'the fixture has a tie of 12');
      for (const g of tied) assert.deepStrictEqual(g, [...g].sort((a, b) => (order.endsWith('asc') ? a - b : b - a)));
    });
  }

  test('a tie split across pages: pages of 5 neither overlap nor skip inside the tie', async () => {
    for (const order of ['nickname-asc', 'date-desc']) {
      const all = visible(env.fx, MAIN, { order }).map((b) => b.BookingID);
      const got = [];
      for (let p = 1; p <= Math.ceil(all.length / 5); p++) {
        const res = await request(env.port, ROUTE + qs({ OrderBy: order, BookingsPerPage: 5, PageNumber: p }), { token: env.tokens[MAIN] });
        got.push(...res.json().Bookings.map((b) => b.BookingID));
      }
      assert.deepStrictEqual(got, all, order);
    }
  });
});

describe('large history: 3,000 bookings', () => {
  test('totals and page counts', async () => {
    const total = visible(env.fx, HEAVY).length;
    assert.equal(total, 3000);
    const res = await request(env.port, ROUTE + qs({ BookingsPerPage: 100 }), { token: env.tokens[HEAVY] });
    const body = res.json();
    assert.equal(body.BookingsTotal, 3000);
    assert.equal(body.PageCount, 30);
  });

  for (const order of ORDERS) {
    test(`${order}: deep pages are exact`, async () => {
      for (const [per, p] of [[100, 1], [100, 2], [100, 17], [100, 29], [100, 30], [100, 31], [1, 3000], [1, 1501], [7, 429], [7, 428], [20, 150], [50, 60]]) {
        await checkPage(HEAVY, { order, per, page: p });
      }
    });
  }

  test('nickname-asc: a full walk with pages of 100 equals the model order', async () => {
    const expected = page(env.fx, HEAVY, { order: 'nickname-asc', per: 3000 }).rows.map((b) => b.BookingID);
    const got = [];
    for (let p = 1; p <= 30; p++) {
      const res = await request(env.port, ROUTE + qs({ OrderBy: 'nickname-asc', BookingsPerPage: 100, PageNumber: p }), { token: env.tokens[HEAVY] });
      got.push(...res.json().Bookings.map((b) => b.BookingID));
    }
    assert.deepStrictEqual(got, expected);
  });
});
