// Authentication and authorization (docs/api.md, "Authentication" and "Errors"): bearer tokens (missing, malformed, unknown,
// expired, revoked), the scope, the optional API key, and the order of the checks.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CAN, SCOPE, mintToken, request, runCli, sleep, startServer } from './harness.mjs';
import { GROUP_ROUTE, MAIN, MANAGER, MODEL_NOW, PROJECT_A, PROJECT_B, ROUTE, assertJsonPage, setup } from './fixture.mjs';
import { jsonCreditsTexts, jsonPage } from './model.mjs';

const DENIED = 'Authorization has been denied for this request.';
const INSUFFICIENT = `Bearer realm="api", error="insufficient_scope", scope="${SCOPE}"`;

let env;
let extra; // a second server on the same database without --now: token expiry runs on the real clock
before(async () => {
  env = await setup({ tokensFor: [MAIN] });
  extra = await startServer(env.db);
});
after(async () => {
  if (extra) await extra.stop();
  if (env) await env.stop();
});

function expect401(res, { tokenSent }) {
  assert.equal(res.status, 401, res.describe());
  assert.equal(res.headers['cache-control'], 'no-store');
  const www = res.headers['www-authenticate'];
  assert.ok(www, 'WWW-Authenticate is sent');
  assert.match(www, /^Bearer\b/, www);
  if (tokenSent) assert.match(www, /error="invalid_token"/, www);
  else assert.equal(www, 'Bearer realm="api"');
  if (res.contentType().includes('xml')) assert.equal(res.text, `<Error><Message>${DENIED}</Message></Error>`);
  else assert.deepStrictEqual(res.json(), { Message: DENIED });
}

async function expectOk(port, token, opts = {}) {
  const res = await request(port, `${ROUTE}?BookingsPerPage=3${opts.query || ''}`, { token, ...opts });
  const params = { per: 3 };
  assertJsonPage(res, jsonPage(env.fx, MAIN, params, MODEL_NOW), jsonCreditsTexts(env.fx, MAIN, params), 'authorized request');
}

describe('bearer token', () => {
  test('a valid token: 200', async () => {
    await expectOk(env.port, env.tokens[MAIN]);
  });
  test('the scheme word is case-insensitive', async () => {
    for (const scheme of ['bearer', 'BEARER', 'Bearer', 'bEaReR']) {
      await expectOk(env.port, undefined, { auth: `${scheme} ${env.tokens[MAIN]}` });
    }
  });
  test('missing Authorization: 401, WWW-Authenticate: Bearer realm="api"', async () => {
    expect401(await request(env.port, ROUTE), { tokenSent: false });
    expect401(await request(env.port, ROUTE, { accept: 'application/xml' }), { tokenSent: false });
    expect401(await request(env.port, GROUP_ROUTE + '?UserID=1001'), { tokenSent: false });
  });
  test('an unknown token: 401 invalid_token, in JSON and XML', async () => {
    const fake = 'A'.repeat(43);
    expect401(await request(env.port, ROUTE, { token: fake }), { tokenSent: true });
    expect401(await request(env.port, ROUTE, { token: fake, accept: 'application/xml' }), { tokenSent: true });
  });
  test('a token that differs from a real one in its last character: 401', async () => {
    const t = env.tokens[MAIN];
    const changed = t.slice(0, -1) + (t.endsWith('A') ? 'B' : 'A');
    expect401(await request(env.port, ROUTE, { token: changed }), { tokenSent: true });
  });
  test('malformed Authorization values: 401 with a Bearer challenge', async () => {
    for (const auth of ['Bearer', 'Bearer ', `Basic ${Buffer.from('a:b').toString('base64')}`, `Bearer ${env.tokens[MAIN]} extra`,
      `Bearer${env.tokens[MAIN]}`, `Token ${env.tokens[MAIN]}`, 'Bearer \u00ff\u00fe']) {
      const res = await request(env.port, ROUTE, { auth });
      assert.equal(res.status, 401, `${JSON.stringify(auth)}: ${res.describe()}`);
      assert.match(res.headers['www-authenticate'] || '', /^Bearer\b/);
      assert.deepStrictEqual(res.json(), { Message: DENIED });
    }
  });
  test('an expired token: 401 invalid_token (issued with --expires-in 2, used after 3 s)', async () => {
    const minted = Date.now();
    const token = await mintToken(env.db, { user: MAIN, clientId: PROJECT_A.ClientID, expiresIn: 2 });
    const res = await request(extra.port, ROUTE, { token });
    if (Date.now() - minted < 1500) assert.equal(res.status, 200, `fresh token: ${res.describe()}`);
    await sleep(Math.max(0, minted + 3200 - Date.now()));
    expect401(await request(extra.port, ROUTE, { token }), { tokenSent: true });
  });
  test('a revoked token: 401 invalid_token', { skip: !CAN.revoke && 'the target has no revoke command' }, async () => {
    const token = await mintToken(env.db, { user: MAIN, clientId: PROJECT_A.ClientID });
    assert.equal((await request(env.port, ROUTE, { token })).status, 200);
    const r = await runCli(['revoke', '--db', env.db.url, token]);
    assert.equal(r.code, 0, `revoke exit code; stderr: ${r.stderr}`);
    assert.ok(!r.stdout.includes(token) && !r.stderr.includes(token), 'revoke does not print the token back');
    expect401(await request(env.port, ROUTE, { token }), { tokenSent: true });
    expect401(await request(extra.port, ROUTE, { token }), { tokenSent: true });
    // the other tokens of the same user still work
    await expectOk(env.port, env.tokens[MAIN]);
  });
  test('revoking an unknown token fails with a non-zero exit', { skip: !CAN.revoke && 'the target has no revoke command' }, async () => {
    const r = await runCli(['revoke', '--db', env.db.url, 'no-such-token-' + 'x'.repeat(30)]);
    assert.notEqual(r.code, 0);
    assert.ok(r.stderr.trim().length > 0, 'says why');
  });
});

describe('scope', () => {
  test('a token without account_phonechat_bookings: 403 insufficient_scope naming the scope', async () => {
    const token = await mintToken(env.db, { user: MAIN, clientId: PROJECT_A.ClientID, scope: 'account_profile other_scope' });
    for (const route of [ROUTE, `${GROUP_ROUTE}?UserID=1001`]) {
      const res = await request(env.port, route, { token });
      assert.equal(res.status, 403, res.describe());
      assert.equal(res.headers['www-authenticate'], INSUFFICIENT);
      assert.equal(res.headers['cache-control'], 'no-store');
      const body = res.json();
      assert.deepStrictEqual(Object.keys(body), ['Message']);
      assert.ok(body.Message.includes(SCOPE), body.Message);
      const x = await request(env.port, route, { token, accept: 'text/xml' });
      assert.equal(x.status, 403);
      assert.equal(x.contentType(), 'text/xml;charset=utf-8');
      assert.match(x.text, new RegExp(`^<Error><Message>[^<]*${SCOPE}[^<]*</Message></Error>$`));
    }
  });
  test('a scope that only starts like the needed one does not count', async () => {
    const token = await mintToken(env.db, { user: MAIN, clientId: PROJECT_A.ClientID, scope: `${SCOPE}_extra x${SCOPE}` });
    assert.equal((await request(env.port, ROUTE, { token })).status, 403);
  });
  test('the needed scope among others is enough', async () => {
    const token = await mintToken(env.db, { user: MAIN, clientId: PROJECT_A.ClientID, scope: `account_profile ${SCOPE} other` });
    await expectOk(env.port, token);
  });
});

describe('API key', () => {
  const apiKeyDenied = (res) => {
    assert.equal(res.status, 401, res.describe());
    assert.equal(res.headers['cache-control'], 'no-store');
    assert.match(res.json().Message, /api ?key/i, 'the message names the API key');
  };
  test("the project's key in X-ApiKey or in apiKey (any case) is accepted", async () => {
    await expectOk(env.port, env.tokens[MAIN], { apiKey: PROJECT_A.ApiKey });
    await expectOk(env.port, env.tokens[MAIN], { query: `&apiKey=${PROJECT_A.ApiKey}` });
    await expectOk(env.port, env.tokens[MAIN], { query: `&APIKEY=${PROJECT_A.ApiKey}` });
    await expectOk(env.port, env.tokens[MAIN], { headers: { 'x-apikey': PROJECT_A.ApiKey } });
  });
  test('an empty apiKey query value counts as absent', async () => {
    await expectOk(env.port, env.tokens[MAIN], { query: '&apiKey=' });
  });
  test('an unknown key: 401 naming the API key', async () => {
    apiKeyDenied(await request(env.port, ROUTE, { token: env.tokens[MAIN], apiKey: 'no-such-key' }));
    apiKeyDenied(await request(env.port, `${ROUTE}?apiKey=no-such-key`, { token: env.tokens[MAIN] }));
  });
  test("another project's key: 401 naming the API key", async () => {
    apiKeyDenied(await request(env.port, ROUTE, { token: env.tokens[MAIN], apiKey: PROJECT_B.ApiKey }));
    apiKeyDenied(await request(env.port, `${ROUTE}?apiKey=${PROJECT_B.ApiKey}`, { token: env.tokens[MAIN] }));
  });
  test('a header key and a different query key (either one good): 400 naming the header, never a choice', async () => {
    for (const res of [
      await request(env.port, `${ROUTE}?apiKey=bad`, { token: env.tokens[MAIN], apiKey: PROJECT_A.ApiKey }),
      await request(env.port, `${ROUTE}?apiKey=${PROJECT_A.ApiKey}`, { token: env.tokens[MAIN], apiKey: 'bad' }),
    ]) {
      assert.equal(res.status, 400, res.describe());
      assert.match(res.json().Message, /X-ApiKey/);
      assert.ok(!res.text.includes(PROJECT_A.ApiKey), 'no key is echoed');
    }
  });
  test('the same key in the header and the query is one credential', async () => {
    await expectOk(env.port, env.tokens[MAIN], { apiKey: PROJECT_A.ApiKey, query: `&apiKey=${PROJECT_A.ApiKey}` });
  });
  test("a token of project B with project B's key works; with A's key it does not", async () => {
    const token = await mintToken(env.db, { user: MAIN, clientId: PROJECT_B.ClientID });
    await expectOk(env.port, token, { apiKey: PROJECT_B.ApiKey });
    apiKeyDenied(await request(env.port, ROUTE, { token, apiKey: PROJECT_A.ApiKey }));
  });
  test("a bad token with a bad key: the token's 401", async () => {
    expect401(await request(env.port, ROUTE, { token: 'nope', apiKey: 'bad' }), { tokenSent: true });
  });
  test('the key never appears in the answer', async () => {
    const res = await request(env.port, `${ROUTE}?apiKey=secret-key-value-123`, { token: env.tokens[MAIN] });
    assert.equal(res.status, 401);
    assert.ok(!res.text.includes('secret-key-value-123'));
    assert.ok(!JSON.stringify(res.headers).includes('secret-key-value-123'));
  });
});

describe('order of the checks', () => {
  test('unknown route before authentication: 404 without a token', async () => {
    assert.equal((await request(env.port, '/v1/PhoneChat/Nope')).status, 404);
  });
  test('wrong method before authentication: 405 without a token', async () => {
    const res = await request(env.port, ROUTE, { method: 'POST', body: '' });
    assert.equal(res.status, 405);
    assert.equal(res.headers.allow, 'GET');
  });
  test('authentication before validation: bad parameters without a token are a 401', async () => {
    expect401(await request(env.port, `${ROUTE}?BookingsPerPage=0`), { tokenSent: false });
    expect401(await request(env.port, `${ROUTE}?BookingsPerPage=0`, { token: 'bad' }), { tokenSent: true });
  });
  test('API key before scope: a bad key with a scope-less token is a 401', async () => {
    const token = await mintToken(env.db, { user: MAIN, clientId: PROJECT_A.ClientID, scope: 'other' });
    const res = await request(env.port, ROUTE, { token, apiKey: 'bad' });
    assert.equal(res.status, 401, res.describe());
  });
  test('scope before validation: bad parameters with a scope-less token are a 403', async () => {
    const token = await mintToken(env.db, { user: MAIN, clientId: PROJECT_A.ClientID, scope: 'other' });
    const res = await request(env.port, `${ROUTE}?BookingsPerPage=0&OrderBy=x`, { token });
    assert.equal(res.status, 403, res.describe());
    const g = await request(env.port, `${GROUP_ROUTE}?UserID=0`, { token });
    assert.equal(g.status, 403, g.describe());
    assert.equal(g.headers['www-authenticate'], INSUFFICIENT);
  });
  test('validation before membership: a manager with a bad UserID gets a 400', async () => {
    const token = await mintToken(env.db, { user: MANAGER, clientId: PROJECT_A.ClientID });
    assert.equal((await request(env.port, `${GROUP_ROUTE}?UserID=abc`, { token })).status, 400);
  });
});
