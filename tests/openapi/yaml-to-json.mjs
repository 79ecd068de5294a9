#!/usr/bin/env node
// Writes docs/openapi.json from docs/openapi.yaml (the same document: anchors expanded, two-space indentation, a
// final newline). `--check` writes nothing and exits 1 when the JSON file is not what it would write.
import fs from 'node:fs';
import { JSON_PATH, jsonText, loadDocument } from './lib.mjs';

const text = jsonText(loadDocument());
if (process.argv.includes('--check')) {
  const current = fs.existsSync(JSON_PATH) ? fs.readFileSync(JSON_PATH, 'utf8') : '';
  if (current !== text) {
    process.stderr.write('docs/openapi.json is not in sync with docs/openapi.yaml: run node tests/openapi/yaml-to-json.mjs\n');
    process.exit(1);
  }
} else {
  fs.writeFileSync(JSON_PATH, text);
}
