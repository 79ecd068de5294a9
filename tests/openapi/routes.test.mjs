// The document describes exactly the routes `phonechat-api routes` prints, with their query parameters, body
// members and scopes; docs/openapi.json is docs/openapi.yaml as JSON; info.version is the project's version.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import { JSON_PATH, at, cmakeVersion, jsonText, loadDocument, operations, routeRows } from './lib.mjs';

const doc = loadDocument();
const rows = routeRows();
const key = (method, path) => `${method.toUpperCase()} ${path.toLowerCase()}`;
const ops = new Map(operations(doc).map((o) => [key(o.method, o.path), o]));

test('every route the server has is in the document', () => {
  const missing = rows.filter((r) => !ops.has(key(r.method, r.path))).map((r) => `${r.method} ${r.path}`);
  assert.deepEqual(missing, [], `routes the server has and the document lacks: ${missing.join(', ')}`);
});

test('every operation of the document is a route of the server', () => {
  const known = new Set(rows.map((r) => key(r.method, r.path)));
  const extra = operations(doc).filter((o) => !known.has(key(o.method, o.path))).map((o) => `${o.method} ${o.path}`);
  assert.deepEqual(extra, [], `operations the document has and the server (${rows.length} routes) lacks: ${extra.join(', ')}`);
});

const parametersOf = (o, where) => [...(o.item.parameters ?? []), ...(o.op.parameters ?? [])]
  .map((p) => at(doc, []).node && (p.$ref ? at(doc, p.$ref.slice(2).split('/')).node : p))
  .filter((p) => p.in === where);

for (const row of rows) {
  const o = ops.get(key(row.method, row.path));
  if (!o) continue;
  const name = `${row.method} ${row.path}`;
  test(`${name}: query parameters, body members and security`, () => {
    const query = parametersOf(o, 'query').map((p) => p.name).filter((n) => !(row.authentication === 'bearer' && n.toLowerCase() === 'apikey'));
    assert.deepEqual([...query].sort(), [...row.query].sort(), `${name}: the document's query parameters differ from the route's`);
    if (row.authentication === 'bearer') {
      const apiKey = parametersOf(o, 'query').find((p) => p.name.toLowerCase() === 'apikey');
      assert.ok(apiKey, `${name}: a bearer route takes the ApiKey query parameter`);
    }
    const body = o.op.requestBody ? at(doc, ['paths', o.path, o.method.toLowerCase(), 'requestBody']).node : undefined;
    let members = [];
    if (body) {
      const type = row.path.toLowerCase().startsWith('/v1/') ? 'application/json' : 'application/x-www-form-urlencoded';
      const schema = at(doc, ['paths', o.path, o.method.toLowerCase(), 'requestBody', 'content', type, 'schema']).node;
      assert.ok(schema, `${name}: the request body has no ${type} schema`);
      members = Object.keys(schema.properties ?? {});
    }
    assert.deepEqual([...members].sort(), [...row.body].sort(), `${name}: the document's body members differ from the route's`);
    const security = o.op.security ?? doc.security ?? [];
    if (row.authentication === 'bearer') {
      const alternatives = security.filter((req) => req.bearer || req.oauth2);
      assert.ok(alternatives.length > 0, `${name}: a bearer route needs bearer or oauth2 security`);
      assert.ok(security.every((req) => req.bearer || req.oauth2), `${name}: every security alternative needs a token`);
      assert.ok(security.some((req) => req.bearer) && security.some((req) => req.oauth2), `${name}: both bearer and oauth2 are listed`);
      for (const req of alternatives) {
        const scopes = req.bearer ?? req.oauth2;
        assert.deepEqual(scopes, row.scope ? [row.scope] : [], `${name}: security ${JSON.stringify(req)} must name the scope ${row.scope}`);
      }
    } else {
      assert.ok(security.length === 0 || security.some((req) => Object.keys(req).length === 0 || req.clientBasic),
        `${name}: an open route must not require a token`);
    }
  });
}

test('docs/openapi.json is docs/openapi.yaml as JSON', () => {
  const current = fs.existsSync(JSON_PATH) ? fs.readFileSync(JSON_PATH, 'utf8') : '';
  assert.ok(current === jsonText(doc), 'docs/openapi.json is not in sync with docs/openapi.yaml: run node tests/openapi/yaml-to-json.mjs');
});

test('info.version is the version in CMakeLists.txt', () => {
  assert.equal(doc.info.version, cmakeVersion());
});

test('the document is OpenAPI 3.1 and references only itself', () => {
  assert.match(doc.openapi, /^3\.1\.\d+$/);
  const refs = JSON.stringify(doc).match(/"\$ref":"[^"]*"/g) ?? [];
  const external = refs.filter((r) => !r.startsWith('"$ref":"#/'));
  assert.deepEqual(external, [], 'the served document must be self-contained');
  for (const r of refs) at(doc, r.slice(10, -1).split('/')); // every one resolves
});
