// CORS for browsers: preflights and answers of the API and the token and revoke endpoints carry
// Access-Control-Allow-Origin for an allowed origin only (by default the origins of the projects' redirect URIs, read
// again at every sweep interval; else --cors-origin), never on the login pages.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Conn, PEER, importRecords, mintToken, newDb, request, requestBytes, runCli, sleep, startServer } from './harness.mjs';
import { MAIN, MANAGER, NOW, PROJECT_A, buildFixture } from './fixture.mjs';

const PROJECT_ORIGIN = 'http://127.0.0.1:8765'; // the fixture's projects redirect to http://127.0.0.1:8765/cb
const LIST = '/v1/PhoneChat/MadeBookings?BookingsPerPage=1';

// A preflight on its own connection (not a route's answer, so not recorded for the OpenAPI check).
async function preflight(port, path, origin, method, requestHeaders) {
  const conn = await Conn.open(port);
  try {
    const headers = [['Origin', origin], ['Access-Control-Request-Method', method], ['Connection', 'close']];
    if (requestHeaders) headers.push(['Access-Control-Request-Headers', requestHeaders]);
    await conn.write(requestBytes('OPTIONS', path, headers));
    return await conn.readResponse();
  } finally {
    conn.destroy();
  }
}

describe('CORS', { skip: PEER && 'the peer answers no CORS' }, () => {
  let db;
  let token;
  before(async () => {
    db = newDb();
    await importRecords(db, buildFixture().lines);
    token = await mintToken(db, { user: MAIN, clientId: PROJECT_A.ClientID });
  });

  describe('by default: the origins of the projects\' redirect URIs', () => {
    let srv;
    before(async () => {
      srv = await startServer(db, { now: NOW, extraArgs: ['--sweep-interval', '1'] });
    });
    after(async () => srv?.stop());

    test('a preflight from a project\'s origin is allowed: the path\'s methods, the request headers, no credentials', async () => {
      const r = await preflight(srv.port, '/v1/PhoneChat/CreateBooking', PROJECT_ORIGIN, 'POST', 'authorization, content-type, idempotency-key');
      assert.equal(r.status, 204, r.describe());
      assert.equal(r.headers['access-control-allow-origin'], PROJECT_ORIGIN);
      assert.equal(r.headers['access-control-allow-methods'], 'POST');
      for (const name of ['Authorization', 'Content-Type', 'Idempotency-Key', 'X-ApiKey']) {
        assert.ok(r.headers['access-control-allow-headers'].includes(name), name);
      }
      assert.ok(Number(r.headers['access-control-max-age']) > 0);
      assert.equal(r.headers['access-control-allow-credentials'], undefined);
      assert.equal(r.text, '');
      const token_ = await preflight(srv.port, '/OAuth/token', PROJECT_ORIGIN, 'POST');
      assert.equal(token_.headers['access-control-allow-origin'], PROJECT_ORIGIN, 'the token endpoint');
      const revoke = await preflight(srv.port, '/OAuth/revoke', PROJECT_ORIGIN, 'POST');
      assert.equal(revoke.headers['access-control-allow-origin'], PROJECT_ORIGIN, 'the revoke endpoint');
    });

    test('a preflight from another origin, or for a method the path lacks, gets no Allow-Origin', async () => {
      for (const [origin, method] of [['https://evil.example', 'GET'], ['null', 'GET'], [PROJECT_ORIGIN, 'DELETE']]) {
        const r = await preflight(srv.port, '/v1/PhoneChat/MadeBookings', origin, method);
        assert.equal(r.status, 204, `${origin} ${method}`);
        assert.equal(r.headers['access-control-allow-origin'], undefined, `${origin} ${method}`);
        assert.match(r.headers.vary ?? '', /Origin/);
      }
    });

    test('answers to an allowed origin carry Allow-Origin and the exposed headers, errors included', async () => {
      const ok = await request(srv.port, LIST, { token, headers: { Origin: PROJECT_ORIGIN } });
      assert.equal(ok.status, 200);
      assert.equal(ok.headers['access-control-allow-origin'], PROJECT_ORIGIN);
      assert.match(ok.headers['access-control-expose-headers'], /X-Request-ID/);
      assert.match(ok.headers.vary, /Origin/);
      const denied = await request(srv.port, LIST, { headers: { Origin: PROJECT_ORIGIN } });
      assert.equal(denied.status, 401);
      assert.equal(denied.headers['access-control-allow-origin'], PROJECT_ORIGIN, 'a browser can read the 401');
      assert.match(denied.headers['access-control-expose-headers'], /WWW-Authenticate/);
      const form = 'grant_type=refresh_token&refresh_token=nope&client_id=app-a';
      const tokenAnswer = await request(srv.port, '/OAuth/token', { method: 'POST', body: form,
        headers: { Origin: PROJECT_ORIGIN, 'Content-Type': 'application/x-www-form-urlencoded' } });
      assert.ok(tokenAnswer.status >= 400, tokenAnswer.describe());
      assert.equal(tokenAnswer.headers['access-control-allow-origin'], PROJECT_ORIGIN);
    });

    test('another origin gets no Allow-Origin; the login pages never carry CORS headers', async () => {
      const other = await request(srv.port, LIST, { token, headers: { Origin: 'https://evil.example' } });
      assert.equal(other.status, 200, 'the answer itself is unchanged: the browser withholds it');
      assert.equal(other.headers['access-control-allow-origin'], undefined);
      assert.match(other.headers.vary ?? '', /Origin/);
      const login = await request(srv.port, `/OAuth/Authorize?response_type=code&client_id=${PROJECT_A.ClientID}&redirect_uri=${encodeURIComponent(`${PROJECT_ORIGIN}/cb`)}`,
        { headers: { Origin: PROJECT_ORIGIN } });
      assert.equal(login.headers['access-control-allow-origin'], undefined);
      const page = await preflight(srv.port, '/OAuth/Authorize', PROJECT_ORIGIN, 'POST');
      assert.equal(page.status, 405, 'no preflight for the login pages');
      assert.equal(page.headers['access-control-allow-origin'], undefined);
    });

    test('a project registered while the server runs has its origin allowed within the sweep interval', async () => {
      const origin = 'https://spa-registered-later.example';
      assert.equal((await preflight(srv.port, '/v1/PhoneChat/MadeBookings', origin, 'GET')).headers['access-control-allow-origin'], undefined);
      const created = await runCli(['project', 'create', '--db', db.url, '--name', 'Later SPA', '--owner', String(MANAGER),
        '--redirect-uri', `${origin}/callback`, '--public']);
      assert.equal(created.code, 0, created.stderr);
      let allowed;
      for (let i = 0; i < 50 && !allowed; i++) {
        await sleep(200);
        allowed = (await preflight(srv.port, '/v1/PhoneChat/MadeBookings', origin, 'GET')).headers['access-control-allow-origin'];
      }
      assert.equal(allowed, origin);
    });
  });

  test('--cors-origin replaces the projects\' origins; * allows any origin', async () => {
    const srv = await startServer(db, { now: NOW, extraArgs: ['--cors-origin', 'https://spa.example.org'] });
    try {
      assert.equal((await preflight(srv.port, '/v1/PhoneChat/MadeBookings', 'https://spa.example.org', 'GET')).headers['access-control-allow-origin'], 'https://spa.example.org');
      assert.equal((await preflight(srv.port, '/v1/PhoneChat/MadeBookings', PROJECT_ORIGIN, 'GET')).headers['access-control-allow-origin'], undefined);
    } finally {
      await srv.stop();
    }
    const any = await startServer(db, { now: NOW, extraArgs: ['--cors-origin', '*'] });
    try {
      const r = await request(any.port, LIST, { token, headers: { Origin: 'https://whoever.example' } });
      assert.equal(r.headers['access-control-allow-origin'], 'https://whoever.example');
    } finally {
      await any.stop();
    }
  });
});
