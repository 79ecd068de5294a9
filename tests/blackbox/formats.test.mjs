// Output formats (docs/api.md, "Content negotiation" and "The response"): Accept negotiation, the DataContract XML shape of whole pages,
// hostile text through both writers, exact Credits and trimmed date fractions.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { request, xmllint } from './harness.mjs';
import { NS_I, parseXml, plain } from './xml.mjs';
import { EMPTY, HOSTILE_COMMENT, HOSTILE_NICK, HOSTILE_REASON, MAIN, MODEL_NOW, ROUTE, assertJsonPage, setup } from './fixture.mjs';
import { NS_MADE, NS_PC, NS_PROFILE, jsonCreditsTexts, jsonPage, xmlClean, xmlPage } from './model.mjs';

let env;
before(async () => {
  env = await setup({ tokensFor: [MAIN, EMPTY] });
});
after(async () => {
  if (env) await env.stop();
});

const get = (query, accept, client = MAIN) => request(env.port, ROUTE + query, { token: env.tokens[client], accept });

describe('Accept negotiation', () => {
  const cases = [
    [undefined, 'application/json'],
    ['application/json', 'application/json'],
    ['text/json', 'text/json'],
    ['application/xml', 'application/xml'],
    ['text/xml', 'text/xml'],
    ['application/xml, application/json', 'application/xml'],
    ['application/json, application/xml', 'application/json'],
    ['application/json;q=0.9, application/xml;q=0.9', 'application/json'],
    ['application/xml;q=0.9, application/json;q=0.9', 'application/xml'],
    ['application/xml;q=0.5, application/json;q=0.9', 'application/json'],
    ['application/json;q=0.5, application/xml', 'application/xml'],
    ['application/json; q=0.5, text/xml; q=0.8', 'text/xml'],
    ['text/json;q=0.2, text/xml;q=0.1', 'text/json'],
    ['*/*', 'application/json'],
    ['application/*', 'application/json'],
    ['text/*', 'application/json'],
    ['text/html', 'application/json'],
    ['text/html, application/xhtml+xml, image/webp', 'application/json'],
    ['image/png, application/xml;q=0.1', 'application/xml'],
    ['application/xml;q=0', 'application/json'],
    ['Application/XML', 'application/xml'],
    ['application/xml; charset=utf-8', 'application/xml'],
    ['application/xml;q=0.8, */*;q=0.1', 'application/xml'],
    ['  application/xml  ;  q=1.0  ', 'application/xml'],
  ];
  for (const [accept, type] of cases) {
    test(`Accept ${JSON.stringify(accept)} -> ${type}`, async () => {
      const res = await get('?BookingsPerPage=2', accept);
      assert.equal(res.status, 200, res.describe());
      assert.equal(res.contentType(), `${type};charset=utf-8`);
      assert.equal(res.headers['cache-control'], 'no-store');
      if (type.endsWith('json')) assert.equal(res.json().BookingsPerPage, 2);
      else assert.ok(xmllint(res.text).ok, res.text);
    });
  }
});

describe('XML pages', () => {
  const assertXmlPage = (res, params, client = MAIN) => {
    assert.equal(res.status, 200, res.describe());
    const lint = xmllint(res.text);
    assert.ok(lint.ok, `xmllint: ${lint.errors}`);
    assert.ok(res.text.startsWith('<BookingsResult'), 'no XML declaration, root first');
    assert.ok(!/>\s+</.test(res.text.replace(/<Comments>[^<]*<\/Comments>/g, '')), 'compact: no white space between elements');
    const root = parseXml(res.text);
    assert.deepStrictEqual(plain(root), xmlPage(env.fx, client, params, MODEL_NOW));
    return root;
  };
  for (const [params, query] of [
    [{}, ''],
    [{ order: 'nickname-asc', per: 10, page: 2 }, '?OrderBy=nickname-asc&BookingsPerPage=10&PageNumber=2'],
    [{ order: 'sessiondate-desc', per: 100 }, '?OrderBy=sessiondate-desc&BookingsPerPage=100'],
    [{ order: 'date-asc', per: 100, startDate: '2023-03-10' }, '?OrderBy=date-asc&BookingsPerPage=100&StartDate=2023-03-10'],
  ]) {
    test(`equals the model${query}`, async () => {
      assertXmlPage(await get(query, 'application/xml'), params);
    });
  }
  test('namespaces and prefixes as in the published sample', async () => {
    const root = assertXmlPage(await get('?BookingsPerPage=5', 'application/xml'), { per: 5 });
    assert.deepStrictEqual(root.nsDecls, { i: NS_I, '': NS_MADE });
    assert.equal(root.qname, 'BookingsResult');
    const booking = root.children[0].children[0];
    assert.equal(booking.qname, 'MadeBooking');
    const cand = booking.children.find((c) => c.local === 'Candidate');
    assert.deepStrictEqual(cand.nsDecls, { d4p1: NS_PC });
    for (const c of cand.children) {
      if (['Disputes', 'Negative', 'Neutral', 'Positive', 'Ratings', 'Total'].includes(c.local)) {
        assert.equal(c.qname, c.local);
        assert.deepStrictEqual(c.nsDecls, { '': NS_PROFILE });
      } else {
        assert.equal(c.qname, `d4p1:${c.local}`);
      }
    }
    const nils = [];
    const walk = (e) => {
      for (const a of e.attrs) if (a.local === 'nil') nils.push(a.qname);
      e.children.forEach(walk);
    };
    walk(root);
    assert.ok(nils.length > 0 && nils.every((q) => q === 'i:nil'), 'nulls are i:nil="true"');
  });
  test('an empty page is <Bookings/> with the true totals', async () => {
    const res = await get('?PageNumber=999', 'application/xml');
    assertXmlPage(res, { page: 999 });
    assert.match(res.text, /<Bookings\s*\/>/);
    const none = await get('', 'text/xml', EMPTY);
    assertXmlPage(none, {}, EMPTY);
    assert.match(none.text, /<PageCount>0<\/PageCount>/);
  });
  test('XML and JSON list the same bookings in the same order', async () => {
    for (const order of ['nickname-desc', 'date-asc']) {
      const j = (await get(`?OrderBy=${order}&BookingsPerPage=100`)).json().Bookings.map((b) => String(b.BookingID));
      const root = parseXml((await get(`?OrderBy=${order}&BookingsPerPage=100`, 'application/xml')).text);
      const x = root.children[0].children.map((b) => b.children.find((c) => c.local === 'BookingID').text);
      assert.deepStrictEqual(x, j);
    }
  });
});

describe('hostile text', () => {
  const find = (list, id) => list.find((b) => b.BookingID === id);
  test('JSON carries nicknames, comments and reasons exactly', async () => {
    const res = await get('?BookingsPerPage=100');
    assertJsonPage(res, jsonPage(env.fx, MAIN, { per: 100 }, MODEL_NOW), jsonCreditsTexts(env.fx, MAIN, { per: 100 }), 'page of 100');
    const list = res.json().Bookings;
    const p = find(list, env.fx.rules.hostilePending.BookingID);
    assert.equal(p.Comments, HOSTILE_COMMENT);
    assert.equal(p.Candidate.Nickname, HOSTILE_NICK);
    assert.equal(p.ActionClient, `Waiting for ${HOSTILE_NICK} to accept the booking`);
    assert.equal(find(list, env.fx.rules.rejected.BookingID).RejectedReason, HOSTILE_REASON);
    assert.ok(!/[\u0000-\u001f]/.test(res.text), 'control characters are escaped in JSON text');
  });
  for (const accept of ['application/xml', 'text/xml']) {
    test(`${accept}: xmllint accepts it; text comes back escaped, CR kept, forbidden characters dropped`, async () => {
      const res = await get('?BookingsPerPage=100', accept);
      const lint = xmllint(res.text);
      assert.ok(lint.ok, `xmllint: ${lint.errors}`);
      const root = parseXml(res.text);
      const byId = new Map(root.children[0].children.map((b) => [b.children.find((c) => c.local === 'BookingID').text, b]));
      const field = (id, name) => byId.get(String(id)).children.find((c) => c.local === name);
      const pend = env.fx.rules.hostilePending.BookingID;
      assert.equal(field(pend, 'Comments').text, xmlClean(HOSTILE_COMMENT));
      assert.ok(field(pend, 'Comments').text.includes('\r'), 'a carriage return survives parsing (written as &#xD;)');
      assert.equal(field(pend, 'ActionClient').text, `Waiting for ${HOSTILE_NICK} to accept the booking`);
      const nick = field(pend, 'Candidate').children.find((c) => c.local === 'Nickname').text;
      assert.equal(nick, HOSTILE_NICK);
      assert.equal(field(env.fx.rules.rejected.BookingID, 'RejectedReason').text, xmlClean(HOSTILE_REASON));
      assert.ok(res.text.includes('🙂👍🏽'), 'emoji written as UTF-8');
      assert.ok(!/[\u0001\u0008\u000B\u000C\u001F\uFFFE\uFFFF]/.test(res.text), 'no forbidden character in the body');
    });
  }
});

describe('exact values', () => {
  const page100 = (accept) => get('?BookingsPerPage=100', accept);
  test('Credits: JSON shortest exact form, XML four fraction digits', async () => {
    const res = await page100();
    const ids = res.json().Bookings.map((b) => b.BookingID);
    const texts = [...res.text.matchAll(/"Credits":([^,}]*)/g)].map((m) => m[1]);
    const credits = (b) => texts[ids.indexOf(b.BookingID)];
    const r = env.fx.rules;
    assert.equal(credits(r.credits8), '8', '8.0000 imported as a JSON number');
    assert.equal(credits(r.credits1225), '12.25', '12.2500 imported as a string');
    assert.equal(credits(r.credits0), '0');
    assert.equal(credits(r.creditsBig), '12345678901.2345');
    assert.equal(credits(r.fractions), '0.5', '0.5 imported as a JSON number');
    const root = parseXml((await page100('application/xml')).text);
    const xml = new Map(root.children[0].children.map((b) => [+b.children.find((c) => c.local === 'BookingID').text,
      b.children.find((c) => c.local === 'Credits').text]));
    assert.equal(xml.get(r.credits8.BookingID), '8.0000');
    assert.equal(xml.get(r.credits1225.BookingID), '12.2500');
    assert.equal(xml.get(r.credits0.BookingID), '0.0000');
    assert.equal(xml.get(r.creditsBig.BookingID), '12345678901.2345');
    assert.equal(xml.get(r.fractions.BookingID), '0.5000');
  });
  test('dates: no offset, fraction only when non-zero, trailing zeros trimmed', async () => {
    const list = (await page100()).json().Bookings;
    const b = list.find((x) => x.BookingID === env.fx.rules.fractions.BookingID);
    assert.equal(b.CreateDate, '2024-01-20T12:34:56.12', 'imported as .120');
    assert.equal(b.AcceptBy, '2024-01-21T00:00:00', 'imported as .000');
    assert.equal(b.SessionDate, '2024-01-22T21:30:00.1', 'imported as .100');
    assert.equal(b.LastUpdated, '2024-01-20T12:34:56.5', 'imported as .500');
    for (const x of list) {
      for (const k of ['CreateDate', 'SessionDate', 'AcceptBy', 'AcceptedDate', 'ConfirmedDate', 'CancelledDate', 'LastUpdated']) {
        if (x[k] !== null) assert.match(x[k], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d?\d?[1-9])?$/, `${k} ${x[k]}`);
      }
    }
  });
});
