// HTTP behaviour over raw sockets: keep-alive, pipelining, the size limits (414/431/413) and malformed
// requests (400), each closing the connection; HEAD; case-insensitive paths; the access log.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CAN, Conn, request, requestBytes, startServer, xmllint } from './harness.mjs';
import { GROUP_ROUTE, MAIN, MANAGER, MODEL_NOW, NOW, PROJECT_A, ROUTE, assertJsonPage, setup } from './fixture.mjs';
import { jsonCreditsTexts, jsonPage } from './model.mjs';

let env;
before(async () => {
  env = await setup({ tokensFor: [MAIN, MANAGER] });
});
after(async () => {
  if (env) await env.stop();
});

const auth = () => ['Authorization', `Bearer ${env.tokens[MAIN]}`];
const perPage = (n) => `${ROUTE}?BookingsPerPage=${n}`;

// Sends raw bytes on a new connection, reads one response, reports whether the server closed afterwards.
async function rawOnce(bytes, { head = false } = {}) {
  const conn = await Conn.open(env.port);
  try {
    await conn.write(bytes);
    const res = await conn.readResponse({ head });
    const closed = await conn.waitClosed(3000);
    return { res, closed };
  } finally {
    conn.destroy();
  }
}

function expectClosingError({ res, closed }, status) {
  assert.equal(res.status, status, res.describe());
  assert.match(res.headers.connection || '', /close/i, 'Connection: close');
  assert.ok(closed, 'the server closed the connection');
}

async function serverStillAnswers() {
  const res = await request(env.port, perPage(1), { token: env.tokens[MAIN] });
  assert.equal(res.status, 200);
}

describe('connections', () => {
  test('keep-alive: two requests one after the other on one connection', async () => {
    const conn = await Conn.open(env.port);
    try {
      await conn.write(requestBytes('GET', perPage(1), [auth()]));
      const a = await conn.readResponse();
      assert.equal(a.status, 200);
      assert.doesNotMatch(a.headers.connection || '', /close/i);
      await conn.write(requestBytes('GET', perPage(2), [auth()]));
      const b = await conn.readResponse();
      assert.equal(b.status, 200);
      assert.equal(b.json().Bookings.length, 2);
      assert.ok(!conn.closed, 'still open');
    } finally {
      conn.destroy();
    }
  });
  test('pipelining: two requests in one write are answered in order', async () => {
    const conn = await Conn.open(env.port);
    try {
      await conn.write(Buffer.concat([requestBytes('GET', perPage(3), [auth()]), requestBytes('GET', perPage(1), [auth(), ['Accept', 'application/xml']])]));
      const a = await conn.readResponse();
      const b = await conn.readResponse();
      assertJsonPage(a, jsonPage(env.fx, MAIN, { per: 3 }, MODEL_NOW), jsonCreditsTexts(env.fx, MAIN, { per: 3 }), 'first');
      assert.equal(b.status, 200);
      assert.equal(b.contentType(), 'application/xml;charset=utf-8');
      assert.match(b.text, /<BookingsPerPage>1<\/BookingsPerPage>/);
    } finally {
      conn.destroy();
    }
  });
  test('pipelining: an error answer does not disturb the next one', async () => {
    const conn = await Conn.open(env.port);
    try {
      await conn.write(Buffer.concat([requestBytes('GET', '/v1/Nope', []), requestBytes('GET', perPage(2), [auth()]),
        requestBytes('GET', perPage(1), [])]));
      assert.equal((await conn.readResponse()).status, 404);
      assert.equal((await conn.readResponse()).json().BookingsPerPage, 2);
      assert.equal((await conn.readResponse()).status, 401);
    } finally {
      conn.destroy();
    }
  });
  test('Connection: close is honoured', async () => {
    const { res, closed } = await rawOnce(requestBytes('GET', perPage(1), [auth(), ['Connection', 'close']]));
    assert.equal(res.status, 200);
    assert.ok(closed);
  });
  test('HTTP/1.0 without keep-alive: answered, then closed', async () => {
    const { res, closed } = await rawOnce(Buffer.from(`GET ${perPage(1)} HTTP/1.0\r\nAuthorization: Bearer ${env.tokens[MAIN]}\r\n\r\n`));
    assert.equal(res.status, 200);
    assert.equal(res.json().BookingsPerPage, 1);
    assert.ok(closed);
  });
});

describe('limits', () => {
  test('request line over 8 KiB: 414, connection closed', async () => {
    const target = `${ROUTE}?pad=${'a'.repeat(9000)}`;
    expectClosingError(await rawOnce(requestBytes('GET', target, [auth()])), 414);
    await serverStillAnswers();
  });
  test('a request line just under 8 KiB is served', async () => {
    const base = `GET ${ROUTE}?BookingsPerPage=1&pad= HTTP/1.1`;
    const target = `${ROUTE}?BookingsPerPage=1&pad=${'b'.repeat(8000 - base.length)}`;
    assert.equal(`GET ${target} HTTP/1.1`.length, 8000);
    const { res } = await rawOnce(requestBytes('GET', target, [auth(), ['Connection', 'close']]));
    assert.equal(res.status, 200, res.describe());
  });
  test('headers over 16 KiB: 431, connection closed', async () => {
    expectClosingError(await rawOnce(requestBytes('GET', perPage(1), [auth(), ['X-Pad', 'c'.repeat(17 * 1024)]])), 431);
    const many = Array.from({ length: 40 }, (_, i) => [`X-Pad-${i}`, 'd'.repeat(500)]);
    expectClosingError(await rawOnce(requestBytes('GET', perPage(1), [auth(), ...many])), 431);
    await serverStillAnswers();
  });
  test('headers of 12 KiB in all are served', async () => {
    const many = Array.from({ length: 12 }, (_, i) => [`X-Pad-${i}`, 'e'.repeat(1000)]);
    const { res } = await rawOnce(requestBytes('GET', perPage(1), [auth(), ['Connection', 'close'], ...many]));
    assert.equal(res.status, 200, res.describe());
  });
  test('a body over 64 KiB (Content-Length): 413, connection closed', async () => {
    const head = requestBytes('GET', perPage(1), [auth(), ['Content-Length', String(64 * 1024 + 1)], ['Content-Type', 'text/plain']]);
    expectClosingError(await rawOnce(head), 413);
    const big = requestBytes('GET', perPage(1), [auth(), ['Content-Type', 'text/plain']], 'f'.repeat(70000));
    expectClosingError(await rawOnce(big), 413);
    await serverStillAnswers();
  });
  test('a chunked body over 64 KiB: 413, connection closed', async () => {
    const chunk = 'g'.repeat(70000);
    const bytes = Buffer.concat([
      requestBytes('GET', perPage(1), [auth(), ['Transfer-Encoding', 'chunked'], ['Content-Type', 'text/plain']]),
      Buffer.from(`${chunk.length.toString(16)}\r\n${chunk}\r\n0\r\n\r\n`),
    ]);
    expectClosingError(await rawOnce(bytes), 413);
  });
  test('a small body on a GET is read and ignored', async () => {
    const { res } = await rawOnce(requestBytes('GET', perPage(2), [auth(), ['Connection', 'close'], ['Content-Type', 'text/plain']], 'hello'));
    assert.equal(res.status, 200, res.describe());
    assert.equal(res.json().BookingsPerPage, 2);
  });
});

describe('transport errors in the negotiated format', () => {
  // The body, when there is one, is what its Content-Type says it is.
  const consistent = (res) => {
    if (!res.body.length) return;
    const ct = res.contentType();
    if (ct.includes('xml')) assert.ok(xmllint(res.text).ok, `XML body parses: ${res.text}`);
    else if (ct.includes('json')) assert.doesNotThrow(() => JSON.parse(res.text), `JSON body parses: ${res.text}`);
  };
  test('413 after complete headers asking for XML: an XML error with Cache-Control: no-store', async () => {
    const r = await rawOnce(requestBytes('GET', perPage(1), [auth(), ['Accept', 'application/xml'], ['Content-Length', '70000']]));
    expectClosingError(r, 413);
    assert.equal(r.res.contentType(), 'application/xml;charset=utf-8');
    assert.equal(r.res.headers['cache-control'], 'no-store');
    assert.match(r.res.text, /^<Error><Message>[^<]+<\/Message><\/Error>$/);
    consistent(r.res);
  });
  test('414, 431 and 400 bodies parse as their Content-Type says', async () => {
    for (const bytes of [
      requestBytes('GET', `${ROUTE}?pad=${'a'.repeat(9000)}`, [['Accept', 'application/xml']]),
      requestBytes('GET', perPage(1), [['Accept', 'application/xml'], ['X-Pad', 'c'.repeat(17 * 1024)]]),
      Buffer.from(`GET ${ROUTE} HTTP/1.1\r\nAccept: application/xml\r\nContent-Length: abc\r\n\r\n`),
    ]) {
      const { res } = await rawOnce(bytes);
      assert.ok([400, 414, 431].includes(res.status), res.describe());
      consistent(res);
    }
  });
});

describe('malformed requests: 400, connection closed', () => {
  const cases = {
    'a raw space inside the target (the published sample sent verbatim)':
      `GET ${ROUTE}?OrderBy=sessiondate-asc &BookingsPerPage=10 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer T\r\n\r\n`,
    'not HTTP at all': 'GARBAGE\r\n\r\n',
    'a header line without a colon': `GET ${ROUTE} HTTP/1.1\r\nHost: x\r\nThis is not a header\r\n\r\n`,
    'a Content-Length that is not a number': `GET ${ROUTE} HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n`,
    'two different Content-Lengths': `GET ${ROUTE} HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab`,
    'a space before the colon': `GET ${ROUTE} HTTP/1.1\r\nHost : x\r\n\r\n`,
  };
  for (const [name, text] of Object.entries(cases)) {
    test(name, async () => {
      const raw = Buffer.from(text.replace('Bearer T', `Bearer ${env.tokens[MAIN]}`), 'latin1');
      expectClosingError(await rawOnce(raw), 400);
    });
  }
  test('the server still serves after all of them', serverStillAnswers);
});

describe('methods and paths', () => {
  test('HEAD: 405 with Allow: GET and no body', async () => {
    const { res } = await rawOnce(requestBytes('HEAD', perPage(1), [auth(), ['Connection', 'close']]), { head: true });
    assert.equal(res.status, 405);
    assert.equal(res.headers.allow, 'GET');
    assert.equal(res.headers['cache-control'], 'no-store');
  });
  test('paths are case-insensitive and a trailing slash is ignored', async () => {
    const ref = await request(env.port, perPage(4), { token: env.tokens[MAIN] });
    assert.equal(ref.status, 200);
    for (const path of ['/v1/phonechat/madebookings', '/V1/PHONECHAT/MADEBOOKINGS', '/v1/PhoneChat/MadeBookings/', '/v1/pHONEcHAT/mADEbOOKINGS/']) {
      const res = await request(env.port, `${path}?bookingsperpage=4`, { token: env.tokens[MAIN] });
      assert.equal(res.status, 200, `${path}: ${res.describe()}`);
      assert.equal(res.text, ref.text, path);
    }
  });
});

describe('several serving threads', () => {
  test('--threads 2: 40 concurrent requests each get their own exact page', async () => {
    const srv = await startServer(env.db, { now: NOW, threads: 2 });
    try {
      const orders = ['date-desc', 'date-asc', 'nickname-asc', 'nickname-desc', 'sessiondate-asc', 'sessiondate-desc'];
      const jobs = Array.from({ length: 40 }, (_, i) => {
        const params = { order: orders[i % 6], per: 1 + (i % 9), page: 1 + (i % 5) };
        const query = `?OrderBy=${params.order}&BookingsPerPage=${params.per}&PageNumber=${params.page}`;
        return request(srv.port, ROUTE + query, { token: env.tokens[MAIN] }).then((res) =>
          assertJsonPage(res, jsonPage(env.fx, MAIN, params, MODEL_NOW), jsonCreditsTexts(env.fx, MAIN, params), query));
      });
      await Promise.all(jobs);
    } finally {
      const { code } = await srv.stop();
      assert.equal(code, 0);
    }
  });
});

describe('access log', { skip: !CAN.accessLog && 'the target writes no access log' }, () => {
  test('one JSON object per request on stdout, with the required fields, never a token or an API key', async () => {
    const secretKey = PROJECT_A.ApiKey;
    const n0 = env.srv.logLines.length;
    await request(env.port, `${perPage(1)}&apiKey=${secretKey}`, { token: env.tokens[MAIN] });
    await request(env.port, perPage(1), { token: env.tokens[MAIN], apiKey: secretKey });
    await request(env.port, `${GROUP_ROUTE}?UserID=${MAIN}`, { token: env.tokens[MANAGER] });
    await request(env.port, '/v1/Nope?apiKey=' + secretKey, { token: 'not-a-real-token-value' });
    let lines = [];
    for (let i = 0; i < 50 && lines.length < 4; i++) {
      await new Promise((r) => setTimeout(r, 100));
      lines = env.srv.logLines.slice(n0).filter((l) => l.trim());
    }
    assert.ok(lines.length >= 4, `four log lines, got ${lines.length}`);
    const entries = lines.map((l) => JSON.parse(l));
    for (const e of entries) {
      for (const k of ['method', 'route', 'status', 'user', 'acting_as']) assert.ok(k in e, `field ${k} in ${JSON.stringify(e)}`);
      // the duration may carry its unit in the name (duration_us, duration_ms)
      const d = Object.keys(e).find((k) => /^duration(_[a-z]+)?$/.test(k));
      assert.ok(d, `a duration field in ${JSON.stringify(e)}`);
      assert.ok(Number.isFinite(Number(e[d])) && Number(e[d]) >= 0, `${d} is a non-negative number`);
    }
    const last4 = entries.slice(-4);
    assert.deepStrictEqual(last4.map((e) => Number(e.status)), [200, 200, 200, 404]);
    assert.equal(String(last4[2].acting_as), String(MAIN), 'the impersonated member');
    assert.equal(String(last4[2].user), String(MANAGER), 'the caller');
    assert.equal(String(last4[0].user), String(MAIN));
    assert.equal(last4[0].method, 'GET');
    const all = env.srv.logLines.join('\n');
    for (const t of Object.values(env.tokens)) assert.ok(!all.includes(t), 'no token in the log');
    assert.ok(!all.includes('not-a-real-token-value'), 'not even an invalid one');
    assert.ok(!all.includes(secretKey), 'no API key in the log');
  });
});
