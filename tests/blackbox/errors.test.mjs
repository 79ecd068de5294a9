// Every error class of docs/api.md, "Errors", in both formats: status, headers and body shape. Each XML body
// must also pass xmllint.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { SCOPE, mintToken, request, xmllint } from './harness.mjs';
import { parseXml } from './xml.mjs';
import { GROUP_ROUTE, LONER, MAIN, MANAGER, OTHER_MEMBER, PROJECT_A, ROUTE, UNKNOWN_USER, setup } from './fixture.mjs';

let env;
let noScope;
before(async () => {
  env = await setup({ tokensFor: [MAIN, MANAGER] });
  noScope = await mintToken(env.db, { user: MAIN, clientId: PROJECT_A.ClientID, scope: 'account_profile' });
});
after(async () => {
  if (env) await env.stop();
});

const FORMATS = [
  { accept: undefined, type: 'application/json', xml: false },
  { accept: 'application/json', type: 'application/json', xml: false },
  { accept: 'text/json', type: 'text/json', xml: false },
  { accept: 'application/xml', type: 'application/xml', xml: true },
  { accept: 'text/xml', type: 'text/xml', xml: true },
];

// Checks the common shape of an error answer and returns { message, modelState }.
function errorBody(res, fmt, { status, v1 = true }) {
  assert.equal(res.status, status, res.describe());
  assert.equal(res.contentType(), `${fmt.type};charset=utf-8`, `Content-Type for Accept ${fmt.accept}`);
  if (v1) assert.equal(res.headers['cache-control'], 'no-store');
  if (!fmt.xml) {
    const body = res.json();
    const keys = Object.keys(body);
    assert.ok(keys[0] === 'Message' && keys.every((k) => k === 'Message' || k === 'ModelState'), `keys ${keys}`);
    assert.equal(typeof body.Message, 'string');
    return { message: body.Message, modelState: body.ModelState };
  }
  assert.ok(xmllint(res.text).ok, `xmllint accepts ${res.text}`);
  assert.ok(!res.text.startsWith('<?xml'), 'no XML declaration');
  const root = parseXml(res.text);
  assert.equal(root.qname, 'Error');
  assert.equal(root.children[0].qname, 'Message');
  let modelState;
  if (root.children.length > 1) {
    assert.equal(root.children.length, 2);
    assert.equal(root.children[1].qname, 'ModelState');
    modelState = {};
    for (const c of root.children[1].children) modelState[c.qname] = [c.text];
  }
  return { message: root.children[0].text, modelState };
}

describe('404 unknown route', () => {
  for (const fmt of FORMATS) {
    test(`Accept ${fmt.accept}: the path (never the query) in the message`, async () => {
      for (const path of ['/v1/PhoneChat/MadeBookingsX', '/v1/PhoneChat', '/v1/Groups/PhoneChat', '/v2/PhoneChat/MadeBookings',
        '/v1/PhoneChat/MadeBookings/extra', '/v1/PhoneChat/SentBookings']) {
        const res = await request(env.port, `${path}?apiKey=SECRET123&x=1`, { token: env.tokens[MAIN], accept: fmt.accept });
        const { message, modelState } = errorBody(res, fmt, { status: 404, v1: true });
        assert.equal(message, `No HTTP resource was found that matches the request URI '${path}'.`);
        assert.equal(modelState, undefined);
        assert.ok(!res.text.includes('SECRET123'), 'the query is not echoed');
      }
    });
  }
  test('an unknown path outside /v1 is a 404 too', async () => {
    for (const path of ['/', '/favicon.ico', '/PhoneChat/MadeBookings']) {
      const res = await request(env.port, path);
      assert.equal(res.status, 404, `${path}: ${res.describe()}`);
      assert.equal(res.json().Message, `No HTTP resource was found that matches the request URI '${path}'.`);
    }
  });
  test('a message with markup characters in the path is still well-formed XML', async () => {
    const res = await request(env.port, '/v1/a%3Cb%3E&c', { accept: 'application/xml' });
    assert.equal(res.status, 404);
    assert.ok(xmllint(res.text).ok, res.text);
  });
});

describe('405 wrong method', () => {
  for (const method of ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD']) {
    for (const route of [ROUTE, `${GROUP_ROUTE}?UserID=1001`]) {
      test(`${method} ${route.split('?')[0]}: 405 with Allow: GET`, async () => {
        const body = ['POST', 'PUT', 'PATCH'].includes(method) ? '{}' : undefined;
        const headers = body ? { 'Content-Type': 'application/json' } : {};
        const res = await request(env.port, route, { method, token: env.tokens[MAIN], body, headers });
        assert.equal(res.status, 405, res.describe());
        assert.equal(res.headers.allow, 'GET');
        assert.equal(res.headers['cache-control'], 'no-store');
        if (method !== 'HEAD') {
          const msg = res.json().Message;
          assert.ok(msg.includes(`'${method}'`) || msg.includes(method), `the message names ${method}: ${msg}`);
        }
      });
    }
  }
  test('405 in XML, and without a token', async () => {
    for (const fmt of FORMATS) {
      const res = await request(env.port, ROUTE, { method: 'DELETE', accept: fmt.accept });
      const { message } = errorBody(res, fmt, { status: 405 });
      assert.ok(message.includes('DELETE'), message);
      assert.equal(res.headers.allow, 'GET');
    }
  });
  test('case-insensitive path with a trailing slash: still 405, not 404', async () => {
    const res = await request(env.port, '/V1/phonechat/MADEBOOKINGS/', { method: 'POST', body: '' });
    assert.equal(res.status, 405);
    assert.equal(res.headers.allow, 'GET');
  });
});

describe('401, 403, 400 in every format', () => {
  for (const fmt of FORMATS) {
    test(`Accept ${fmt.accept}`, async () => {
      let res = await request(env.port, ROUTE, { accept: fmt.accept });
      let b = errorBody(res, fmt, { status: 401 });
      assert.equal(b.message, 'Authorization has been denied for this request.');
      assert.equal(res.headers['www-authenticate'], 'Bearer realm="api"');

      res = await request(env.port, ROUTE, { accept: fmt.accept, token: 'unknown-token' });
      b = errorBody(res, fmt, { status: 401 });
      assert.equal(b.message, 'Authorization has been denied for this request.');
      assert.match(res.headers['www-authenticate'], /^Bearer .*error="invalid_token"/);

      res = await request(env.port, ROUTE, { accept: fmt.accept, token: env.tokens[MAIN], apiKey: 'wrong' });
      b = errorBody(res, fmt, { status: 401 });
      assert.match(b.message, /api ?key/i);

      res = await request(env.port, ROUTE, { accept: fmt.accept, token: noScope });
      b = errorBody(res, fmt, { status: 403 });
      assert.ok(b.message.includes(SCOPE));
      assert.equal(res.headers['www-authenticate'], `Bearer realm="api", error="insufficient_scope", scope="${SCOPE}"`);

      res = await request(env.port, `${ROUTE}?BookingsPerPage=500&OrderBy=zzz`, { accept: fmt.accept, token: env.tokens[MAIN] });
      b = errorBody(res, fmt, { status: 400 });
      assert.equal(b.message, 'The request is invalid.');
      assert.deepStrictEqual(Object.keys(b.modelState).sort(), ['BookingsPerPage', 'OrderBy']);
      for (const v of Object.values(b.modelState)) assert.ok(v.join('').length > 0, 'each parameter has a message');
      if (!fmt.xml) assert.deepStrictEqual(Object.keys(res.json()), ['Message', 'ModelState']);
    });
  }
});

describe('group route 403s in every format', () => {
  for (const fmt of FORMATS) {
    test(`Accept ${fmt.accept}`, async () => {
      let res = await request(env.port, `${GROUP_ROUTE}?UserID=${MANAGER}`, { accept: fmt.accept, token: env.tokens[MAIN] });
      let b = errorBody(res, fmt, { status: 403 });
      assert.match(b.message, /not a group manager/i);

      res = await request(env.port, `${GROUP_ROUTE}?UserID=${OTHER_MEMBER}`, { accept: fmt.accept, token: env.tokens[MANAGER] });
      b = errorBody(res, fmt, { status: 403 });
      assert.match(b.message, /not a member/i);
      const unknown = await request(env.port, `${GROUP_ROUTE}?UserID=${UNKNOWN_USER}`, { accept: fmt.accept, token: env.tokens[MANAGER] });
      assert.equal(unknown.status, 403);
      assert.equal(unknown.text, res.text, 'an unknown user gets the same answer as a member of another group');
      const loner = await request(env.port, `${GROUP_ROUTE}?UserID=${LONER}`, { accept: fmt.accept, token: env.tokens[MANAGER] });
      assert.equal(loner.text, res.text, 'a user in no group gets the same answer');
    });
  }
});

describe('malformed percent-encoding of a known parameter', () => {
  test('is a 400, never taken as some other value (a ModelState, if any, names only that parameter)', async () => {
    const res = await request(env.port, `${ROUTE}?OrderBy=date%ZZasc`, { token: env.tokens[MAIN] });
    assert.equal(res.status, 400, res.describe());
    const ms = res.json().ModelState;
    if (ms) assert.deepStrictEqual(Object.keys(ms), ['OrderBy']);
  });
});
