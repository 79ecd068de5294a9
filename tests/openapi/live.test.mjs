// Asks a sandbox (demo data, clock fixed) every GET route of the document that the server has, in every media type
// the route answers, and checks the status, the Content-Type and the body against the document.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import fs from 'node:fs';
import { JSON_PATH, YAML_PATH, at, loadDocument, mediaType, operations, routeRows, send, startSandbox, validatorFor, xmlProblems } from './lib.mjs';

const doc = loadDocument();
const validate = await validatorFor(doc);
const served = new Set(routeRows().map((r) => `${r.method} ${r.path.toLowerCase()}`));
let sandbox;
const tokens = {};

before(async () => {
  sandbox = await startSandbox();
  tokens.client = sandbox.token(2001, 'account_phonechat_bookings account_credits_history account_information');
  tokens.candidate = sandbox.token(1014);
  tokens.manager = sandbox.token(9001);
});
after(async () => sandbox?.stop());

// The query a route needs on the demo data, and whose token asks (docs: README.md, the demo users).
const QUERY = {
  userid: '2001', bookingid: '3', bookuserid: '1014', response_type: 'code', client_id: 'demo-app',
  redirect_uri: 'http://127.0.0.1:8765/cb', scope: 'account_phonechat_bookings', state: 'xyz',
};
function requestFor(path, op) {
  const params = (op.parameters ?? []).map((p) => at(doc, p.$ref ? p.$ref.slice(2).split('/') : []).node ?? p);
  const pairs = params.filter((p) => p.in === 'query' && p.required).map((p) => [p.name, QUERY[p.name.toLowerCase()]]);
  let token;
  if (op.security?.length) {
    token = /\/Groups\//.test(path) ? tokens.manager : /Received/.test(path) ? tokens.candidate : tokens.client;
    if (/ReceivedBookingDetails/.test(path) && !/Groups/.test(path)) pairs.find((p) => p[0] === 'BookingID')[1] = '351';
  }
  const query = pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
  return { target: query ? `${path}?${query}` : path, token };
}

for (const { path, method, op } of operations(doc).filter((o) => o.method === 'GET')) {
  const served_ = served.has(`GET ${path.toLowerCase()}`);
  const accepts = path.startsWith('/v1/') ? ['application/json', 'text/json', 'application/xml', 'text/xml'] : [undefined];
  for (const accept of accepts) {
    test(`GET ${path}${accept ? ` (${accept})` : ''}`, { skip: served_ ? false : 'not a route of this binary (routes.test.mjs names it)' }, async () => {
      const { target, token } = requestFor(path, op);
      const headers = {};
      if (token) headers.Authorization = `Bearer ${token}`;
      if (accept) headers.Accept = accept;
      const r = await send(sandbox.port, 'GET', target, { headers });
      const what = `GET ${target} answered ${r.status} ${r.headers['content-type']}: ${r.text.slice(0, 300)}`;
      const response = at(doc, ['paths', path, 'get', 'responses', String(r.status)]);
      assert.ok(response.node, `${what}; the document does not describe ${r.status}`);
      // The sandbox's groups hold clients only: a member's received booking is never found (a described 404).
      if (path.startsWith('/v1/')) assert.equal(r.status, /Groups\/PhoneChat\/ReceivedBookingDetails/.test(path) ? 404 : 200, what);
      const type = mediaType(r.headers['content-type']);
      if (accept) assert.equal(type, accept, `${what}; the Content-Type does not echo Accept`);
      if (!response.node.content) {
        assert.equal(r.text, '', `${what}; the document describes no body`);
        return;
      }
      assert.ok(response.node.content[type], `${what}; the document's ${r.status} has no ${type} (it has ${Object.keys(response.node.content)})`);
      const schemaPointer = at(doc, [...response.pointer.slice(1).split('/').map((k) => k.replace(/~1/g, '/').replace(/~0/g, '~')), 'content', type, 'schema']).pointer;
      if (type.endsWith('json')) {
        assert.deepEqual(validate(schemaPointer, JSON.parse(r.text)), [], `${what}; the body does not match ${schemaPointer}`);
      } else if (type.endsWith('xml')) {
        assert.deepEqual(await xmlProblems(doc, response.node.content[type].schema, r.text), [], `${what}; the body does not match ${schemaPointer}`);
      }
      for (const [name, header] of Object.entries(response.node.headers ?? {})) {
        const h = header.$ref ? at(doc, header.$ref.slice(2).split('/')).node : header;
        if (h.required) assert.ok(r.headers[name.toLowerCase()] !== undefined, `${what}; header ${name} is missing`);
      }
    });
  }
}

test('the server serves docs/openapi.json and docs/openapi.yaml byte for byte, with an ETag that answers 304', async () => {
  for (const [target, file, type] of [['/openapi.json', JSON_PATH, 'application/json'], ['/openapi.yaml', YAML_PATH, 'application/yaml']]) {
    const r = await send(sandbox.port, 'GET', target);
    assert.equal(r.status, 200, target);
    assert.equal(mediaType(r.headers['content-type']), type, target);
    assert.ok(r.text === fs.readFileSync(file, 'utf8'), `${target} is not ${file} as built: rebuild the binary`);
    assert.match(r.headers.etag ?? '', /^"[0-9a-f]{32}"$/, target);
    const again = await send(sandbox.port, 'GET', target, { headers: { 'If-None-Match': r.headers.etag } });
    assert.equal(again.status, 304, target);
    assert.equal(again.text, '', target);
    const stale = await send(sandbox.port, 'GET', target, { headers: { 'If-None-Match': '"0"' } });
    assert.equal(stale.status, 200, target);
  }
});
