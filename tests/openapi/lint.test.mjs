// Lints docs/openapi.yaml with Redocly's CLI (the recommended ruleset, redocly.yaml), offline: telemetry and the
// update check are off. Errors and warnings both fail.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { HERE, YAML_PATH } from './lib.mjs';

test('redocly lint (recommended) passes without a warning', () => {
  const cli = path.join(HERE, 'node_modules/@redocly/cli/bin/cli.js');
  const r = spawnSync(process.execPath, [cli, 'lint', '--config', path.join(HERE, 'redocly.yaml'), '--format', 'stylish', '--max-problems', '200', YAML_PATH], {
    encoding: 'utf8',
    env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', NO_COLOR: '1', CI: 'true' },
    timeout: 120000,
  });
  const out = `${r.stdout}\n${r.stderr}`;
  assert.equal(r.status, 0, `redocly lint failed:\n${out}`);
  assert.doesNotMatch(out, /\bwarning\b/i, `redocly lint warned:\n${out}`);
});
