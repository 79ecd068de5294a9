// Shared helpers of the OpenAPI checks: the document, $ref resolution, the binary, a sandbox server and a plain
// HTTP client (node:http, so that every header, Set-Cookie included, reads the same on Node 18 and 20).
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';

export const HERE = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(HERE, '../..');
export const YAML_PATH = path.join(ROOT, 'docs/openapi.yaml');
export const JSON_PATH = path.join(ROOT, 'docs/openapi.json');
export const BIN = process.env.PHONECHAT_BIN || path.join(ROOT, 'build/src/app/phonechat-api');
export const MEDIA = { json: 'application/json', xml: 'application/xml' };
export const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

export function loadYamlText() {
  return fs.readFileSync(YAML_PATH, 'utf8');
}

// The document as plain data (anchors and aliases expanded).
export function loadDocument(text = loadYamlText()) {
  return YAML.parse(text, { maxAliasCount: -1 });
}

// The JSON text docs/openapi.json must hold for `doc`.
export function jsonText(doc) {
  return JSON.stringify(doc, null, 2) + '\n';
}

// Follows a local `$ref` (`#/components/...`) until the object is not a reference.
export function deref(doc, node) {
  let seen = 0;
  while (node && typeof node === 'object' && typeof node.$ref === 'string') {
    if (!node.$ref.startsWith('#/')) throw new Error(`only local references are allowed: ${node.$ref}`);
    const target = node.$ref.slice(2).split('/').reduce((o, k) => (o == null ? o : o[k.replace(/~1/g, '/').replace(/~0/g, '~')]), doc);
    if (target === undefined) throw new Error(`unresolved reference ${node.$ref}`);
    node = target;
    if (++seen > 50) throw new Error('reference loop');
  }
  return node;
}

// Every operation: { path, method, op }.
export function operations(doc) {
  const out = [];
  for (const [p, item] of Object.entries(doc.paths)) {
    for (const m of METHODS) if (item[m]) out.push({ path: p, method: m.toUpperCase(), op: item[m], item });
  }
  return out;
}

// The operation of a request path (matched ignoring ASCII case and one trailing slash) and method:
// { pathKnown, entry } (entry undefined when the method is not the path's).
export function findOperation(doc, method, requestPath) {
  let p = requestPath.length > 1 && requestPath.endsWith('/') ? requestPath.slice(0, -1) : requestPath;
  p = p.toLowerCase();
  const ops = operations(doc).filter((o) => o.path.toLowerCase() === p);
  return { pathKnown: ops.length > 0, entry: ops.find((o) => o.method === method.toUpperCase()) };
}

// The media type of a Content-Type, lower-cased, without parameters.
export function mediaType(contentType) {
  return (contentType || '').split(';')[0].trim().toLowerCase();
}

// The rows `phonechat-api routes` prints.
export function routeRows() {
  const r = spawnSync(BIN, ['routes'], { encoding: 'utf8' });
  if (r.error) throw new Error(`cannot run ${BIN}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${BIN} routes exited ${r.status}: ${r.stderr}`);
  return r.stdout.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
}

// The project version in CMakeLists.txt.
export function cmakeVersion() {
  const text = fs.readFileSync(path.join(ROOT, 'CMakeLists.txt'), 'utf8');
  const m = /project\(\s*phonechat_api\s+VERSION\s+([0-9]+\.[0-9]+\.[0-9]+)/.exec(text);
  if (!m) throw new Error('no project(phonechat_api VERSION x.y.z) in CMakeLists.txt');
  return m[1];
}

// A sandbox: `serve` without --db in a temporary directory, so that its first start fills ./phonechat.db with the
// demo data. Resolves { port, dir, db, stop(), token(user, scope) }.
export async function startSandbox({ now = '2027-01-04T09:00:00', extraArgs = [] } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'phonechat-openapi-'));
  const args = ['serve', '--now', now, '--listen', '127.0.0.1:0', '--access-log', 'off', '--admin-listen', 'off',
    '--issuer', 'http://127.0.0.1:8080', ...extraArgs];
  const proc = spawn(BIN, args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`sandbox did not start: ${stderr}`)), 30000);
    proc.stderr.setEncoding('utf8').on('data', (d) => {
      stderr += d;
      const m = /listening on (?:http:\/\/)?127\.0\.0\.1:(\d+)/.exec(stderr);
      if (m) {
        clearTimeout(timer);
        resolve(+m[1]);
      }
    });
    proc.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`sandbox exited (${code}) before listening: ${stderr}`));
    });
  });
  const db = `sqlite://${path.join(dir, 'phonechat.db')}`;
  return {
    port,
    dir,
    db,
    token(user, scope = 'account_phonechat_bookings') {
      const r = spawnSync(BIN, ['token', '--db', db, '--client-id', 'demo-app', '--expires-in', '86400', '--user', String(user), '--scope', scope], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`token failed: ${r.stderr}`);
      return r.stdout.trim();
    },
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGTERM');
        await new Promise((resolve) => proc.once('exit', resolve));
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

// One request; resolves { status, headers (lower-cased; set-cookie an array), text }.
export function send(port, method, target, { headers = {}, body } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path: target, headers: { Connection: 'close', ...headers } }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    if (body !== undefined) req.end(body);
    else req.end();
  });
}

// ------------------------------------------------------------------ schema validation (JSON) and XML checks

const escapePointer = (k) => String(k).replace(/~/g, '~0').replace(/\//g, '~1');
const ID = 'https://phonechat.invalid/openapi.json';

// A JSON pointer into the document, following every `$ref` on the way: { node, pointer }.
export function at(doc, keys) {
  let node = doc;
  let pointer = '';
  for (const key of keys) {
    while (node && typeof node.$ref === 'string') {
      pointer = node.$ref.slice(1);
      node = deref(doc, node);
    }
    node = node?.[key];
    pointer += '/' + escapePointer(key);
    if (node === undefined) return { node: undefined, pointer };
  }
  while (node && typeof node.$ref === 'string') {
    pointer = node.$ref.slice(1);
    node = deref(doc, node);
  }
  return { node, pointer };
}

// ajv (JSON Schema 2020-12, as OpenAPI 3.1 uses) over the whole document; OpenAPI's own keywords (xml, example,
// discriminator) are not validation keywords and are left alone (strict: false).
export async function validatorFor(doc) {
  const { default: Ajv2020 } = await import('ajv/dist/2020.js');
  const { default: addFormats } = await import('ajv-formats');
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: true });
  addFormats(ajv);
  ajv.addFormat('password', true);
  ajv.addSchema({ ...doc, $id: ID });
  const cache = new Map();
  // Errors of `value` against the schema at `pointer` (a string), or [] when it conforms.
  return (pointer, value) => {
    let validate = cache.get(pointer);
    if (!validate) {
      validate = ajv.compile({ $ref: `${ID}#${pointer}` });
      cache.set(pointer, validate);
    }
    return validate(value) ? [] : validate.errors.map((e) => `${e.instancePath || '(body)'} ${e.message}${e.params?.allowedValues ? ` ${JSON.stringify(e.params.allowedValues)}` : ''}`);
  };
}

// The schema an XML element is checked against: nullable alternatives and one-element allOf unwrapped, the
// property's own `xml` kept over the referenced schema's.
function xmlSchema(doc, schema) {
  let xml;
  for (let i = 0; i < 20; i++) {
    if (schema?.xml && xml === undefined) xml = schema.xml;
    else if (schema?.xml) xml = { ...schema.xml, ...xml };
    if (schema?.$ref) schema = deref(doc, { $ref: schema.$ref });
    else if (schema?.oneOf) schema = schema.oneOf.find((s) => s.type !== 'null');
    else if (schema?.allOf?.length === 1) schema = schema.allOf[0];
    else break;
  }
  return { ...schema, xml: { ...schema?.xml, ...xml } };
}

let XMLParser;
// Problems of an XML body against an XML schema: the root's name and namespace, then every element's name,
// namespace, prefix and order against the schema's properties, down the tree. [] when it matches.
export async function xmlProblems(doc, schemaNode, text) {
  XMLParser ??= (await import('fast-xml-parser')).XMLParser;
  const parser = new XMLParser({ preserveOrder: true, ignoreAttributes: false, attributeNamePrefix: '', parseTagValue: false, trimValues: false });
  let tree;
  try {
    tree = parser.parse(text);
  } catch (e) {
    return [`not XML: ${e.message}`];
  }
  const problems = [];
  const elements = (nodes) => nodes.filter((n) => !('#text' in n) && !Object.keys(n).every((k) => k === ':@'));
  const nameOf = (n) => Object.keys(n).find((k) => k !== ':@');
  const roots = elements(tree);
  if (roots.length !== 1) return [`expected one root element, found ${roots.length}`];
  const schema = xmlSchema(doc, schemaNode);
  check(roots[0], schema, { '': '' }, schema.xml.name, schema.xml.namespace ?? '', undefined, '');

  function check(node, schema, scope, expectName, expectNs, expectPrefix, where) {
    const qname = nameOf(node);
    const attrs = node[':@'] ?? {};
    const inner = { ...scope };
    for (const [k, v] of Object.entries(attrs)) {
      if (k === 'xmlns') inner[''] = v;
      else if (k.startsWith('xmlns:')) inner[k.slice(6)] = v;
    }
    const [prefix, local] = qname.includes(':') ? qname.split(':') : ['', qname];
    const ns = inner[prefix];
    const here = `${where}/${qname}`;
    if (expectName !== undefined && local !== expectName) problems.push(`${here}: element name ${local}, the schema says ${expectName}`);
    if (ns === undefined) problems.push(`${here}: prefix ${prefix} is not declared`);
    else if (expectNs !== undefined && ns !== expectNs) problems.push(`${here}: namespace '${ns}', the schema says '${expectNs}'`);
    if (expectPrefix !== undefined && prefix !== expectPrefix) problems.push(`${here}: prefix '${prefix}', the schema says '${expectPrefix}'`);
    if (attrs['i:nil'] === 'true') return;
    const children = elements(node[qname]);
    if (schema.type === 'array' || schema.items) {
      const item = xmlSchema(doc, schema.items);
      for (const child of children) check(child, item, inner, item.xml.name, item.xml.namespace ?? ns, item.xml.prefix, here);
      return;
    }
    const props = schema.properties;
    if (!props) {
      if (children.length && !schema.additionalProperties) problems.push(`${here}: has child elements, the schema is a scalar`);
      for (const child of children) if (schema.additionalProperties) check(child, xmlSchema(doc, schema.additionalProperties), inner, undefined, ns, undefined, here);
      return;
    }
    const names = Object.keys(props);
    const elementName = (k) => xmlSchema(doc, props[k]).xml.name ?? k;
    let last = -1;
    const seen = new Set();
    for (const child of children) {
      const local = nameOf(child).split(':').pop();
      const index = names.findIndex((k) => elementName(k) === local);
      if (index < 0) {
        if (schema.additionalProperties) check(child, xmlSchema(doc, schema.additionalProperties), inner, undefined, ns, undefined, here);
        else problems.push(`${here}: element ${local} is not a property of the schema`);
        continue;
      }
      if (index <= last) problems.push(`${here}: element ${local} comes after ${names[last]}, the schema orders it before`);
      last = Math.max(last, index);
      seen.add(names[index]);
      const prop = xmlSchema(doc, props[names[index]]);
      check(child, prop, inner, elementName(names[index]), prop.xml.namespace ?? ns, prop.xml.prefix, here);
    }
    for (const r of schema.required ?? []) if (!seen.has(r)) problems.push(`${here}: required element ${r} is missing`);
  }
  return problems;
}
