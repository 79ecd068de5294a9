// The server's output never holds a secret. One server goes through every path on which a secret travels —
// login (failed and successful), CSRF refusal, consent, code in the redirect, code exchange by form and by
// Basic, PKCE, refresh, refresh replay, a wrong client secret, revocation, bearer calls with good, bad and
// revoked tokens, logout — then its whole stdout and stderr are searched for every value used.
// (Each other test file also ends by searching the output of the servers it started.)
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { test } from 'node:test';
import {
  Agent, PHONECHAT_SCOPE, api, authorize, authorizeUrl, createProject, importUsers, isLoginPage, newDb, pkcePair,
  randomState, runCli, secrets, startOAuthServer, submitLogin, tokenRequest,
} from './oauth-harness.mjs';

const T = { timeout: 90000 };

test('no token, code, client secret, refresh token, cookie value or password in the server output', T, async () => {
  const unique = (label) => secrets.add(label, `${label.replace(/\W+/g, '-')}-${crypto.randomBytes(9).toString('base64url')}`);
  const user = { id: 6001, nickname: 'LogUser', password: unique('user password') };
  const db = newDb();
  await importUsers(db, [user]);
  const redirect = 'http://127.0.0.1:9/logs/cb';
  const project = await createProject(db, { name: 'Log App', owner: user.id, redirectUris: [redirect] });
  const srv = await startOAuthServer(db);
  const base = srv.base;
  const client = { client_id: project.clientId, client_secret: project.clientSecret };
  const params = (extra = {}) => ({ response_type: 'code', client_id: project.clientId, redirect_uri: redirect, scope: PHONECHAT_SCOPE,
    state: randomState(), ...extra });

  // A failed login, a CSRF refusal with a made-up token, then the real login and consent.
  const agent = new Agent(base);
  const { verifier, challenge } = pkcePair();
  const url = authorizeUrl(base, params({ code_challenge: challenge, code_challenge_method: 'S256' }));
  const page = await agent.get(url);
  assert.ok(isLoginPage(page), `login page expected, got HTTP ${page.status}`);
  const wrongPassword = unique('wrong password');
  const failed = await submitLogin(agent, page, user.nickname, wrongPassword);
  assert.equal(failed.status, 401, 'wrong password -> 401');
  const refused = await submitLogin(agent, failed, user.nickname, user.password, { csrf: unique('forged csrf') });
  assert.equal(refused.status, 403, 'wrong csrf -> 403');
  const a = await authorize(agent, params({ code_challenge: challenge, code_challenge_method: 'S256' }), user);
  const code = a.params.get('code');
  assert.ok(code, a.location);

  // Exchanges, refreshes, replay, a wrong secret, revocation.
  const t1 = await tokenRequest(base, { grant_type: 'authorization_code', code, code_verifier: verifier },
    { basic: [project.clientId, project.clientSecret] });
  assert.equal(t1.status, 200, t1.text);
  const reuse = await tokenRequest(base, { grant_type: 'authorization_code', code, code_verifier: verifier, ...client });
  assert.equal(reuse.status, 400, reuse.text);
  const b = await authorize(agent, params(), user);
  const t2 = await tokenRequest(base, { grant_type: 'authorization_code', code: b.params.get('code'), ...client });
  assert.equal(t2.status, 200, t2.text);
  const r1 = await tokenRequest(base, { grant_type: 'refresh_token', refresh_token: t2.json.refresh_token, ...client });
  assert.equal(r1.status, 200, r1.text);
  const replay = await tokenRequest(base, { grant_type: 'refresh_token', refresh_token: t2.json.refresh_token, ...client });
  assert.equal(replay.status, 400, replay.text);
  const wrongSecret = unique('wrong client secret');
  const bad = await tokenRequest(base, { grant_type: 'refresh_token', refresh_token: r1.json.refresh_token, client_id: project.clientId,
    client_secret: wrongSecret });
  assert.equal(bad.status, 401, bad.text);
  const badBasic = await tokenRequest(base, { grant_type: 'refresh_token', refresh_token: r1.json.refresh_token },
    { basic: [project.clientId, wrongSecret] });
  assert.equal(badBasic.status, 401, badBasic.text);
  const c = await authorize(agent, params(), user);
  const t3 = await tokenRequest(base, { grant_type: 'authorization_code', code: c.params.get('code'), ...client });
  assert.equal(t3.status, 200, t3.text);
  const rv = await tokenRequest(base, { token: t3.json.refresh_token, ...client }, { path: '/OAuth/revoke' });
  assert.equal(rv.status, 200, rv.text);
  await tokenRequest(base, { token: unique('unknown revoked token'), ...client }, { path: '/OAuth/revoke' });

  // Bearer calls: a live token, a made-up one, one in the query string, a revoked family's.
  const d = await authorize(agent, params(), user);
  const t4 = await tokenRequest(base, { grant_type: 'authorization_code', code: d.params.get('code'), ...client });
  assert.equal(t4.status, 200, t4.text);
  assert.equal((await api(base, '/v1/Account/VerifyCredentials', t4.json.access_token)).status, 200);
  assert.equal((await api(base, '/v1/PhoneChat/MadeBookings', unique('made-up bearer token'))).status, 401);
  await api(base, `/v1/PhoneChat/MadeBookings?access_token=${t4.json.access_token}`);
  await api(base, '/v1/PhoneChat/MadeBookings', t2.json.access_token);

  // Logout with the session and csrf cookies.
  const out = await agent.post('/OAuth/Logout', { csrf: agent.jar.get('pc_csrf') });
  assert.equal(out.status, 303, `logout: HTTP ${out.status}`);

  await srv.stop();
  const output = srv.output();
  assert.ok(srv.logLines.length >= 10, `the access log recorded the requests (${srv.logLines.length} lines): nothing to search otherwise`);
  const leaks = [];
  for (const { label, value } of secrets.list()) {
    for (const form of new Set([value, encodeURIComponent(value), Buffer.from(value).toString('base64')])) {
      const at = output.indexOf(form);
      if (at < 0) continue;
      const lineStart = output.lastIndexOf('\n', at) + 1;
      const lineEnd = output.indexOf('\n', at);
      leaks.push(`${label}: ${JSON.stringify(output.slice(lineStart, lineEnd < 0 ? undefined : lineEnd).slice(0, 400))}`);
    }
  }
  assert.ok(secrets.list().length >= 15, `the test used ${secrets.list().length} secrets`);
  assert.deepEqual(leaks, [], 'secrets found in the server output');
});

test('`project list` shows the projects and never a client secret', T, async () => {
  const db = newDb();
  await importUsers(db, [{ id: 6101, nickname: 'ListOwner', password: 'List-owner-6101!' }]);
  const a = await createProject(db, { name: 'Listed One', owner: 6101, redirectUris: ['http://127.0.0.1:9/one'] });
  const b = await createProject(db, { name: 'Listed Two', owner: 6101, redirectUris: ['http://127.0.0.1:9/two'], implicit: true });
  const r = await runCli(['project', 'list', '--db', db.url]);
  assert.equal(r.code, 0, r.stderr);
  for (const p of [a, b]) {
    assert.ok(r.stdout.includes(p.clientId), `lists ${p.clientId}: ${r.stdout}`);
    assert.ok(!`${r.stdout}${r.stderr}`.includes(p.clientSecret), `the client secret of ${p.name} is printed by project list`);
  }
});
