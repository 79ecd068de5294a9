// Every example of the document validates: JSON ones against their media type's schema (JSON Schema 2020-12),
// XML ones (the body as text) against their schema's xml names, namespaces, prefixes and element order.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { at, deref, loadDocument, validatorFor, xmlProblems } from './lib.mjs';

const doc = loadDocument();
const validate = await validatorFor(doc);

// Every media type object with examples: [where, keys to it].
function mediaTypes() {
  const found = [];
  const visit = (node, keys) => {
    if (!node || typeof node !== 'object') return;
    if (keys.at(-2) === 'content' && (node.examples || node.example !== undefined)) found.push(keys);
    for (const [k, v] of Object.entries(node)) if (k !== 'examples' || keys.at(-2) !== 'content') visit(v, [...keys, k]);
  };
  visit(doc.paths, ['paths']);
  visit(doc.components.responses, ['components', 'responses']);
  return found;
}

const used = new Set();
for (const keys of mediaTypes()) {
  const media = at(doc, keys).node;
  const type = keys.at(-1);
  const schemaPointer = at(doc, [...keys, 'schema']).pointer;
  const entries = Object.entries(media.examples ?? {}).map(([n, e]) => {
    if (e.$ref) used.add(e.$ref.split('/').pop());
    return [n, deref(doc, e).value];
  });
  if (media.example !== undefined) entries.push(['example', media.example]);
  for (const [name, value] of entries) {
    test(`${keys.slice(1, -2).join(' ')} ${type}: example ${name}`, async () => {
      if (type.endsWith('json')) {
        assert.deepEqual(validate(schemaPointer, value), [], `the example does not match ${schemaPointer}`);
      } else if (type.endsWith('xml')) {
        assert.equal(typeof value, 'string', 'an XML example is the body as text');
        assert.deepEqual(await xmlProblems(doc, media.schema, value), [], `the example does not match ${schemaPointer}`);
      }
    });
  }
}

test('every example of components/examples is used', () => {
  const unused = Object.keys(doc.components.examples ?? {}).filter((n) => !used.has(n));
  assert.deepEqual(unused, []);
});

test('parameter examples and defaults match their schemas', () => {
  for (const [name, p] of Object.entries(doc.components.parameters)) {
    const pointer = `/components/parameters/${name}/schema`;
    if (p.example !== undefined) assert.deepEqual(validate(pointer, p.schema.type === 'integer' ? Number(p.example) : p.example), [], name);
    if (p.schema.default !== undefined) assert.deepEqual(validate(pointer, p.schema.default), [], name);
  }
});
