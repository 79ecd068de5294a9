// Query parameters (docs/api.md, "Parameters"): bounds, malformed integers, StartDate at the day boundary,
// trimming, empty values, unknown and repeated parameters, case-insensitive names and values.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { request } from './harness.mjs';
import { EMPTY, MAIN, MANAGER, MODEL_NOW, ROUTE, GROUP_ROUTE, assertJsonPage, setup } from './fixture.mjs';
import { ORDERS, jsonCreditsTexts, jsonPage, visible } from './model.mjs';

let env;
before(async () => {
  env = await setup({ tokensFor: [MAIN, EMPTY, MANAGER] });
});
after(async () => {
  if (env) await env.stop();
});

const get = (query, token = env.tokens[MAIN], accept) => request(env.port, ROUTE + query, { token, accept });

// Asserts 200 and the model's page for these effective parameters.
async function expectPage(query, params, client = MAIN) {
  const res = await get(query, env.tokens[client]);
  assertJsonPage(res, jsonPage(env.fx, client, params, MODEL_NOW), jsonCreditsTexts(env.fx, client, params), `GET ${ROUTE}${query}`);
}

// Asserts a 400 whose ModelState names exactly these parameters.
async function expect400(query, names, { route = ROUTE, token = env.tokens[MAIN] } = {}) {
  const res = await request(env.port, route + query, { token });
  assert.equal(res.status, 400, `GET ${route}${query}: ${res.describe()}`);
  assert.equal(res.contentType(), 'application/json;charset=utf-8');
  assert.equal(res.headers['cache-control'], 'no-store');
  const body = res.json();
  assert.equal(body.Message, 'The request is invalid.');
  assert.deepStrictEqual(Object.keys(body.ModelState).sort(), [...names].sort(), `ModelState of ${query}: ${res.text}`);
  for (const n of names) {
    assert.ok(Array.isArray(body.ModelState[n]) && body.ModelState[n].length >= 1, `${n} has messages`);
    for (const msg of body.ModelState[n]) assert.equal(typeof msg, 'string');
  }
  return body;
}

describe('BookingsPerPage', () => {
  test('1 and 100 (the bounds) are accepted; absent means 50', async () => {
    await expectPage('?BookingsPerPage=1', { per: 1 });
    await expectPage('?BookingsPerPage=100', { per: 100 });
    await expectPage('', { per: 50 });
  });
  for (const v of ['0', '101', '-1', '+5', '10abc', '1e2', '0x10', '1.0', '10.', ' 1 0', '2147483648', '99999999999999999999999', '１０', 'ten']) {
    test(`${JSON.stringify(v)} is a 400 naming BookingsPerPage`, async () => {
      await expect400(`?BookingsPerPage=${encodeURIComponent(v)}`, ['BookingsPerPage']);
    });
  }
  test('the 400 message names the range', async () => {
    const body = await expect400('?BookingsPerPage=101', ['BookingsPerPage']);
    assert.match(body.ModelState.BookingsPerPage.join(' '), /1\b.*\b100/);
  });
  test('leading zeros are still plain digits: 007 is 7', async () => {
    await expectPage('?BookingsPerPage=007', { per: 7 });
  });
});

describe('PageNumber', () => {
  const total = () => visible(env.fx, MAIN).length;
  test('1, the last page and pages past the end (200, empty, true totals)', async () => {
    const last = Math.ceil(total() / 10);
    await expectPage('?BookingsPerPage=10&PageNumber=1', { per: 10, page: 1 });
    await expectPage(`?BookingsPerPage=10&PageNumber=${last}`, { per: 10, page: last });
    await expectPage(`?BookingsPerPage=10&PageNumber=${last + 1}`, { per: 10, page: last + 1 });
    const res = await get(`?BookingsPerPage=10&PageNumber=${last + 1}`);
    const body = res.json();
    assert.deepStrictEqual(body.Bookings, []);
    assert.equal(body.BookingsTotal, total());
    assert.equal(body.PageCount, last);
    assert.equal(body.PageNumber, last + 1);
  });
  test('2147483647 (the largest) is a 200 empty page, also with 100 per page (no offset overflow)', async () => {
    await expectPage('?PageNumber=2147483647', { page: 2147483647 });
    await expectPage('?PageNumber=2147483647&BookingsPerPage=100', { page: 2147483647, per: 100 });
  });
  for (const v of ['0', '-1', '2147483648', '4294967297', '99999999999999999999', '+1', '1e3', '0x1', '1.5', 'abc', '2 ']) {
    const name = JSON.stringify(v);
    if (v === '2 ') {
      test('"2 " is trimmed to 2', async () => expectPage('?PageNumber=2%20&BookingsPerPage=10', { page: 2, per: 10 }));
      continue;
    }
    test(`${name} is a 400 naming PageNumber`, async () => {
      await expect400(`?PageNumber=${encodeURIComponent(v)}`, ['PageNumber']);
    });
  }
  test('a client with no bookings: 200, PageCount 0, BookingsTotal 0, empty list', async () => {
    await expectPage('', {}, EMPTY);
    const body = (await get('', env.tokens[EMPTY])).json();
    assert.equal(body.PageCount, 0);
    assert.equal(body.BookingsTotal, 0);
    assert.equal(body.PageNumber, 1);
    assert.equal(body.BookingsPerPage, 50);
    await expectPage('?PageNumber=3&BookingsPerPage=1', { page: 3, per: 1 }, EMPTY);
  });
});

describe('StartDate', () => {
  test('keeps CreateDate at or after 00:00 of the day: 00:00:00 in, 23:59:59.999 the day before out', async () => {
    const res = await get('?StartDate=2023-03-10&OrderBy=date-asc&BookingsPerPage=100');
    assert.equal(res.status, 200, res.describe());
    const ids = res.json().Bookings.map((b) => b.BookingID);
    assert.ok(ids.includes(env.fx.rules.dayStart.BookingID), 'created at 2023-03-10T00:00:00: included');
    assert.ok(ids.includes(env.fx.rules.dayStartPlus.BookingID), 'created at 2023-03-10T00:00:00.001: included');
    assert.ok(!ids.includes(env.fx.rules.dayBefore.BookingID), 'created at 2023-03-09T23:59:59.999: excluded');
    assert.equal(ids[0], env.fx.rules.dayStart.BookingID, 'the first in date-asc');
    await expectPage('?StartDate=2023-03-10&OrderBy=date-asc&BookingsPerPage=100', { startDate: '2023-03-10', order: 'date-asc', per: 100 });
  });
  test('2023-03-11 leaves the boundary bookings out; totals follow the filter', async () => {
    for (const sd of ['2023-03-09', '2023-03-11', '2024-01-20', '2024-01-21']) {
      await expectPage(`?StartDate=${sd}&BookingsPerPage=100`, { startDate: sd, per: 100 });
    }
  });
  test('a day after every booking: 200 with an empty page and totals 0', async () => {
    await expectPage('?StartDate=9999-12-31', { startDate: '9999-12-31' });
    await expectPage('?StartDate=2024-02-29', { startDate: '2024-02-29' });
  });
  for (const v of ['2023-02-29', '2024-13-01', '2024-00-10', '2024-04-31', '2024-01-32', '2024-01-00', '24-01-01', '2024-1-1',
    '2024/01/01', '20240101', '2024-01-01T00:00:00', '2024-01-01Z', 'yesterday', '2024-01-1a', '01-01-2024']) {
    test(`${JSON.stringify(v)} is a 400 naming StartDate`, async () => {
      await expect400(`?StartDate=${encodeURIComponent(v)}`, ['StartDate']);
    });
  }
});

describe('OrderBy', () => {
  test('an unknown value is a 400 listing the six allowed values', async () => {
    const body = await expect400('?OrderBy=price-asc', ['OrderBy']);
    const text = body.ModelState.OrderBy.join(' ');
    for (const o of ORDERS) assert.ok(text.includes(o), `the message lists ${o}: ${text}`);
  });
  for (const v of ['date', 'desc', 'date-desc-x', 'nickname', 'date_desc', 'datedesc']) {
    test(`${JSON.stringify(v)} is a 400`, async () => expect400(`?OrderBy=${v}`, ['OrderBy']));
  }
  test('values are case-insensitive', async () => {
    await expectPage('?OrderBy=DATE-ASC&BookingsPerPage=10', { order: 'date-asc', per: 10 });
    await expectPage('?OrderBy=NickName-Desc&BookingsPerPage=10', { order: 'nickname-desc', per: 10 });
    await expectPage('?OrderBy=SessionDate-Asc&BookingsPerPage=10', { order: 'sessiondate-asc', per: 10 });
  });
  test('absent means date-desc', async () => {
    await expectPage('?BookingsPerPage=100', { order: 'date-desc', per: 100 });
  });
});

describe('query string handling', () => {
  test("the published sample's stray space: ?OrderBy=sessiondate-asc%20&BookingsPerPage=10", async () => {
    await expectPage('?OrderBy=sessiondate-asc%20&BookingsPerPage=10', { order: 'sessiondate-asc', per: 10 });
  });
  test("the same with '+' as the space, and white space on both sides", async () => {
    await expectPage('?OrderBy=sessiondate-asc+&BookingsPerPage=10', { order: 'sessiondate-asc', per: 10 });
    await expectPage('?OrderBy=+%20sessiondate-asc%20+&BookingsPerPage=%2010%20', { order: 'sessiondate-asc', per: 10 });
    await expectPage('?OrderBy=%09nickname-asc%09&BookingsPerPage=10', { order: 'nickname-asc', per: 10 });
    await expectPage('?StartDate=%202023-03-10%20&BookingsPerPage=100', { startDate: '2023-03-10', per: 100 });
  });
  test('percent-encoded names and values are decoded', async () => {
    await expectPage('?Order%42y=date%2Dasc&Bookings%50erPage=%31%30', { order: 'date-asc', per: 10 });
  });
  test('parameter names are case-insensitive', async () => {
    await expectPage('?orderby=date-asc&BOOKINGSPERPAGE=5&pagenumber=2&startdate=2023-03-10',
      { order: 'date-asc', per: 5, page: 2, startDate: '2023-03-10' });
  });
  test('an empty value counts as absent', async () => {
    await expectPage('?OrderBy=&BookingsPerPage=&PageNumber=&StartDate=', {});
    await expectPage('?OrderBy=%20&BookingsPerPage=+', {});
    await expectPage('?OrderBy&BookingsPerPage', {});
  });
  test('unknown parameters are ignored', async () => {
    await expectPage('?foo=bar&Bookings=5&UserID=1006&BookingsPerPage=10&x=%3Cy%3E', { per: 10 });
  });
  test('a parameter twice with different values is a 400 naming it', async () => {
    await expect400('?PageNumber=1&PageNumber=2', ['PageNumber']);
    await expect400('?orderby=date-asc&OrderBy=date-desc', ['OrderBy']);
    await expect400('?BookingsPerPage=10&bookingsperpage=20&StartDate=2024-01-01&STARTDATE=2024-01-02', ['BookingsPerPage', 'StartDate']);
  });
  test('a repeated parameter whose other occurrence is empty is not a conflict', async () => {
    await expectPage('?PageNumber=2&PageNumber=&BookingsPerPage=10', { page: 2, per: 10 });
  });
  test('every invalid parameter is reported at once', async () => {
    await expect400('?StartDate=2024-02-30&OrderBy=x&BookingsPerPage=0&PageNumber=0', ['StartDate', 'OrderBy', 'BookingsPerPage', 'PageNumber']);
  });
  test('the same in XML: one element per parameter under ModelState', async () => {
    const res = await request(env.port, `${ROUTE}?StartDate=x&PageNumber=0`, { token: env.tokens[MAIN], accept: 'application/xml' });
    assert.equal(res.status, 400);
    assert.equal(res.contentType(), 'application/xml;charset=utf-8');
    assert.match(res.text, /^<Error><Message>The request is invalid\.<\/Message><ModelState>/);
    assert.match(res.text, /<StartDate>[^<]+<\/StartDate>/);
    assert.match(res.text, /<PageNumber>[^<]+<\/PageNumber>/);
  });
});

describe('UserID on the group route', () => {
  const token = () => env.tokens[MANAGER];
  test('missing is a 400 naming UserID', async () => {
    await expect400('', ['UserID'], { route: GROUP_ROUTE, token: token() });
    await expect400('?UserID=', ['UserID'], { route: GROUP_ROUTE, token: token() });
  });
  for (const v of ['0', '-5', '2147483648', 'abc', '12x', '1e3', '0x10', '+1001', '99999999999999999999']) {
    test(`${JSON.stringify(v)} is a 400 naming UserID (never a 403)`, async () => {
      await expect400(`?UserID=${encodeURIComponent(v)}`, ['UserID'], { route: GROUP_ROUTE, token: token() });
    });
  }
  test('reported together with the other invalid parameters', async () => {
    await expect400('?UserID=x&OrderBy=y&BookingsPerPage=1000', ['UserID', 'OrderBy', 'BookingsPerPage'], { route: GROUP_ROUTE, token: token() });
    await expect400('?OrderBy=y', ['UserID', 'OrderBy'], { route: GROUP_ROUTE, token: token() });
  });
  test('a caller who manages no group still gets the 400 first (validation before membership)', async () => {
    await expect400('?UserID=0', ['UserID'], { route: GROUP_ROUTE, token: env.tokens[MAIN] });
  });
  test('UserID twice with different values is a 400 naming it', async () => {
    await expect400('?UserID=1001&userid=1004', ['UserID'], { route: GROUP_ROUTE, token: token() });
  });
});
