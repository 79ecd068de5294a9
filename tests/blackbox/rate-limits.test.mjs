// Rate limits and client addresses (docs/security.md, "Rate limits" and "Client addresses"): requests per project on
// the API (429 with Retry-After in JSON and XML, after authentication and before validation, never stored as an
// idempotent answer), failed client authentications per client_id and per address at the token endpoint (429
// slow_down), and X-Forwarded-For believed only from --trusted-proxy peers.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { dbRows, mintToken, request, runCli, sleep, startServer, xmllint } from './harness.mjs';
import { CAND, CLIENT, CLIENT2, NOW, SCOPES, at, post, setupLifecycle } from './lifecycle-fixture.mjs';

const LIST = '/v1/PhoneChat/MadeBookings';

let env;
let other; // a token of CLIENT2 from a second project
let confidential; // a project with a client secret, for the token endpoint
let second; // another one
const servers = [];

async function createProject(name) {
  const r = await runCli(['project', 'create', '--db', env.db.url, '--name', name, '--owner', String(CLIENT),
    '--redirect-uri', 'https://app.example/cb']);
  assert.equal(r.code, 0, r.stderr);
  const field = (key) => new RegExp(`^\\s*${key}\\s*:\\s*(\\S+)\\s*$`, 'mi').exec(r.stdout)?.[1];
  return { clientId: field('client_id'), clientSecret: field('client_secret') };
}

async function serve(...extraArgs) {
  const srv = await startServer(env.db, { now: NOW, extraArgs: ['--sweep-interval', '3600', ...extraArgs] });
  servers.push(srv);
  return srv.port;
}

before(async () => {
  env = await setupLifecycle({ extraArgs: ['--api-rate-limit', '2'] });
  confidential = await createProject('Rate-limited app');
  second = await createProject('Another app');
  other = await mintToken(env.db, { user: CLIENT2, clientId: second.clientId, scope: SCOPES });
});
after(async () => {
  for (const srv of servers) await srv.stop();
  if (env) await env.stop();
});

// Sends the list request until the project's bucket is empty; returns the 429.
async function exhaust(port, token) {
  for (let i = 0; i < 50; i++) {
    const res = await request(port, LIST, { token });
    if (res.status === 429) return res;
    assert.equal(res.status, 200, res.describe());
  }
  assert.fail('50 requests in a row were never refused at 2 per second');
}

describe('requests per project on the API', () => {
  test('a burst is admitted up to the limit, then 429 with Retry-After and a JSON error naming the limit', async () => {
    const started = Date.now();
    const answers = await Promise.all(Array.from({ length: 8 }, () => request(env.port, LIST, { token: env.tokens[CLIENT] })));
    const elapsed = (Date.now() - started) / 1000;
    const admitted = answers.filter((r) => r.status === 200).length;
    const refused = answers.filter((r) => r.status === 429);
    assert.equal(admitted + refused.length, 8, answers.map((r) => r.status).join(' '));
    assert.ok(admitted >= 2, `the burst of 2 is admitted (${admitted})`);
    assert.ok(admitted <= 2 + Math.ceil(elapsed * 2), `at most the burst and what refilled in ${elapsed} s (${admitted})`);
    const res = refused[0];
    assert.ok(res, 'some of 8 requests at once are refused');
    assert.equal(res.headers['retry-after'], '1');
    assert.match(res.headers['content-type'], /^application\/json/);
    assert.match(res.json().Message, /^Too many requests for this project; retry after 1 second\.$/);
  });

  test('in XML when the client asks for XML', async () => {
    await exhaust(env.port, env.tokens[CLIENT]);
    const res = await request(env.port, LIST, { token: env.tokens[CLIENT], accept: 'application/xml' });
    assert.equal(res.status, 429, res.describe());
    assert.match(res.headers['content-type'], /^application\/xml/);
    assert.ok(xmllint(res.text).ok, res.text);
    assert.match(res.text, /<Message>Too many requests for this project; retry after 1 second\.<\/Message>/);
  });

  test('another project is not slowed by the first one', async () => {
    await exhaust(env.port, env.tokens[CLIENT]);
    const res = await request(env.port, LIST, { token: other });
    assert.equal(res.status, 200, res.describe());
  });

  test('after authentication: a request without a valid token is a 401, not a 429', async () => {
    await exhaust(env.port, env.tokens[CLIENT]);
    assert.equal((await request(env.port, LIST)).status, 401);
    assert.equal((await request(env.port, LIST, { token: 'not-a-token' })).status, 401);
  });

  test('before validation: an invalid request of a project over its limit is a 429, not a 400', async () => {
    await exhaust(env.port, env.tokens[CLIENT]);
    const res = await request(env.port, `${LIST}?BookingsPerPage=zero`, { token: env.tokens[CLIENT] });
    assert.equal(res.status, 429, res.describe());
  });

  test('a 429 is never stored as the answer of an Idempotency-Key: the retry does the work', async () => {
    const count = () => dbRows(env.db, `SELECT count(*) AS n FROM bookings WHERE client_user_id = ${CLIENT}`)[0].n;
    const body = { BookUserID: CAND, SessionDate: at(4).slice(0, 16), AcceptBy: at(3).slice(0, 16), Duration: 20, Method: 2,
      Credits: '10', Comments: 'rate limited' };
    const before = Number(count());
    await exhaust(env.port, env.tokens[CLIENT]);
    const refused = await post(env, CLIENT, 'CreateBooking', body, { key: 'rate-limited-1' });
    assert.equal(refused.status, 429, refused.describe());
    assert.equal(Number(count()), before, 'a refused request creates nothing');
    await sleep(1100);
    const done = await post(env, CLIENT, 'CreateBooking', body, { key: 'rate-limited-1' });
    assert.equal(done.status, 200, done.describe());
    assert.equal(done.headers['idempotent-replayed'], undefined, 'the work ran; nothing was replayed');
    assert.equal(Number(count()), before + 1);
  });

  test('--api-rate-limit 0 turns the limit off', async () => {
    const port = await serve('--api-rate-limit', '0');
    const answers = await Promise.all(Array.from({ length: 20 }, () => request(port, LIST, { token: env.tokens[CLIENT] })));
    assert.deepEqual([...new Set(answers.map((r) => r.status))], [200]);
  });
});

const tokenRequest = (port, { clientId, secret, forwardedFor }) => {
  const headers = { 'Content-Type': 'application/x-www-form-urlencoded' };
  if (forwardedFor) headers['X-Forwarded-For'] = forwardedFor;
  const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: 'no-such-token', client_id: clientId });
  if (secret !== undefined) form.set('client_secret', secret);
  return request(port, '/OAuth/token', { method: 'POST', headers, body: form.toString() });
};

function assertSlowDown(res) {
  assert.equal(res.status, 429, res.describe());
  assert.match(res.headers['content-type'], /^application\/json/);
  assert.equal(res.json().error, 'slow_down');
  const wait = Number(res.headers['retry-after']);
  // 3 failures a minute: a token every 20 seconds.
  assert.ok(Number.isInteger(wait) && wait >= 1 && wait <= 20, `Retry-After ${res.headers['retry-after']}`);
}

describe('failed client authentications at the token endpoint', () => {
  test('per client_id and per address: refused with slow_down, even with the right secret, before any check', async () => {
    const port = await serve('--login-rate-limit', '3');
    for (let i = 0; i < 3; i++) {
      const res = await tokenRequest(port, { clientId: confidential.clientId, secret: 'wrong' });
      assert.equal(res.status, 401, res.describe());
      assert.equal(res.json().error, 'invalid_client');
    }
    assertSlowDown(await tokenRequest(port, { clientId: confidential.clientId, secret: confidential.clientSecret }));
    // The address has used up its failures too: another client from it waits as well.
    assertSlowDown(await tokenRequest(port, { clientId: second.clientId, secret: second.clientSecret }));
    // An X-Forwarded-For from a peer that is not a trusted proxy is not believed.
    assertSlowDown(await tokenRequest(port, { clientId: second.clientId, secret: second.clientSecret, forwardedFor: '203.0.113.7' }));
  });

  test('successes and other errors are not counted', async () => {
    const port = await serve('--login-rate-limit', '3');
    for (let i = 0; i < 6; i++) {
      const res = await tokenRequest(port, { clientId: confidential.clientId, secret: confidential.clientSecret });
      assert.equal(res.status, 400, res.describe());
      assert.equal(res.json().error, 'invalid_grant');
    }
  });

  test('behind a trusted proxy each client address counts on its own, and a client_id is limited from any address', async () => {
    const port = await serve('--login-rate-limit', '3', '--trusted-proxy', '127.0.0.0/8');
    for (const address of ['10.0.0.1', '10.0.0.2', '10.0.0.3']) {
      const res = await tokenRequest(port, { clientId: confidential.clientId, secret: 'wrong', forwardedFor: address });
      assert.equal(res.status, 401, res.describe());
    }
    assertSlowDown(await tokenRequest(port, { clientId: confidential.clientId, secret: confidential.clientSecret, forwardedFor: '10.0.0.4' }));
    const fresh = await tokenRequest(port, { clientId: second.clientId, secret: second.clientSecret, forwardedFor: '10.0.0.5' });
    assert.equal(fresh.status, 400, `another client from another address is not limited: ${fresh.describe()}`);

    for (let i = 0; i < 3; i++) {
      const res = await tokenRequest(port, { clientId: `nobody-${i}`, secret: 'x', forwardedFor: '198.51.100.9' });
      assert.equal(res.status, 401, res.describe());
    }
    assertSlowDown(await tokenRequest(port, { clientId: second.clientId, secret: second.clientSecret, forwardedFor: '198.51.100.9' }));
    // A client cannot dodge its address's count by prepending an address of its own: the proxy appends the real one.
    assertSlowDown(await tokenRequest(port, { clientId: second.clientId, secret: second.clientSecret, forwardedFor: '1.2.3.4, 198.51.100.9' }));
    const other = await tokenRequest(port, { clientId: second.clientId, secret: second.clientSecret, forwardedFor: '198.51.100.10' });
    assert.equal(other.status, 400, other.describe());
  });
});

describe('configuration', () => {
  test('a --trusted-proxy that is not an address or CIDR block stops the start, naming it', async () => {
    for (const bad of ['10.0.0.0/33', 'proxy.example', '10.0.0.0/']) {
      const r = await runCli(['serve', '--db', env.db.url, '--listen', '127.0.0.1:0', '--trusted-proxy', bad], { timeoutMs: 20000 });
      assert.notEqual(r.code, 0, bad);
      assert.ok(r.stderr.includes(`--trusted-proxy '${bad}'`), r.stderr);
    }
  });

  test('a negative limit is refused', async () => {
    for (const flag of ['--api-rate-limit', '--login-rate-limit']) {
      const r = await runCli(['serve', '--db', env.db.url, '--listen', '127.0.0.1:0', flag, '-1'], { timeoutMs: 20000 });
      assert.notEqual(r.code, 0, flag);
      assert.match(r.stderr, new RegExp(flag));
    }
  });
});
