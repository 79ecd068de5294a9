// Validates the answers a test run recorded (PHONECHAT_RECORD_RESPONSES, one JSON line per answered request:
// method, target, status, contentType, body) against the document: each answer's route and status must be
// described, each JSON body must match its schema and each XML body its schema's names, namespaces and order.
// Without the variable there is nothing to check.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import { at, findOperation, loadDocument, mediaType, validatorFor, xmlProblems } from './lib.mjs';

const file = process.env.PHONECHAT_RECORD_RESPONSES;

// The path of a request target: origin form, or absolute form without scheme and authority; null for `*`.
function pathOf(target) {
  if (target === '*') return null;
  const m = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*(.*)$/i.exec(target);
  const rest = m ? m[1] || '/' : target;
  return rest.split('?')[0].split('#')[0];
}

test('recorded answers match the document', { skip: !file && 'PHONECHAT_RECORD_RESPONSES is not set' }, async () => {
  const doc = loadDocument();
  const validate = await validatorFor(doc);
  const records = fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
  assert.ok(records.length > 0, `${file} holds no answers`);
  const problems = new Map(); // one line per (method, path, status, problem)
  const note = (r, p, text) => {
    const k = `${r.method} ${p} → ${r.status}: ${text}`;
    problems.set(k, (problems.get(k) ?? 0) + 1);
  };
  let checked = 0;
  for (const r of records) {
    const p = pathOf(r.target);
    if (p === null) continue; // OPTIONS * (Allow only, no body)
    const { pathKnown, entry } = findOperation(doc, r.method, p);
    const status = String(r.status);
    let pointerKeys;
    if (entry && entry.op.responses[status]) pointerKeys = ['paths', entry.path, entry.method.toLowerCase(), 'responses', status];
    else if (doc['x-any-route-responses'][status]) pointerKeys = ['x-any-route-responses', status];
    else if (!pathKnown && status === '404') pointerKeys = ['x-unmatched-responses', 'unknownPath'];
    else if (pathKnown && !entry && status === '405') pointerKeys = ['x-unmatched-responses', 'wrongMethod'];
    else {
      note(r, entry?.path ?? p, entry ? 'the document does not describe this status' : pathKnown ? 'the document has no such method here' : 'the document has no such path');
      continue;
    }
    const response = at(doc, pointerKeys);
    const type = mediaType(r.contentType);
    if (r.body === '' || r.method === 'HEAD') continue;
    if (!response.node.content?.[type]) {
      note(r, entry?.path ?? p, `the document describes no ${type || 'body'} (it has ${Object.keys(response.node.content ?? {}).join(', ') || 'none'})`);
      continue;
    }
    if (type.endsWith('xml')) {
      const xml = await xmlProblems(doc, response.node.content[type].schema, r.body);
      checked++;
      if (xml.length) note(r, entry?.path ?? p, `the XML body does not match its schema: ${xml.slice(0, 3).join('; ')}`);
      continue;
    }
    if (!type.endsWith('json')) continue;
    let body;
    try {
      body = JSON.parse(r.body);
    } catch {
      note(r, entry?.path ?? p, 'the body is not JSON');
      continue;
    }
    const schemaPointer = at(doc, [...response.pointer.slice(1).split('/').map((k) => k.replace(/~1/g, '/').replace(/~0/g, '~')), 'content', type, 'schema']).pointer;
    const errors = validate(schemaPointer, body);
    checked++;
    if (errors.length) note(r, entry?.path ?? p, `the body does not match ${schemaPointer}: ${errors.slice(0, 3).join('; ')} (e.g. ${r.body.slice(0, 200)})`);
  }
  const list = [...problems].map(([k, n]) => `${k}${n > 1 ? ` (${n} answers)` : ''}`);
  assert.deepEqual(list, [], `${list.length} kinds of answers the document does not describe (of ${records.length} recorded, ${checked} JSON and XML bodies checked):\n${list.join('\n')}`);
});
