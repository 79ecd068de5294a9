// Message framing and header rules (docs/security.md, "Message framing"), over a raw socket to the real binary.
// Each shape of the table carries a hidden request (`GET /smuggled-<marker>`) where some reader might take it for
// the next request; each has its decided status and whether the connection then closes, and none may ever get the
// hidden request answered: not in any byte the client receives, not in the server's access log. Where the
// connection stays open, a follow-up request proves the server is still in step with the client.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { CAN, Conn, request, requestBytes, sleep } from './harness.mjs';
import { MAIN, ROUTE, setup } from './fixture.mjs';

let env;
before(async () => {
  env = await setup({ tokensFor: [MAIN] });
});
after(async () => {
  if (env) await env.stop();
});

const markers = [];
function newMarker() {
  const marker = `smuggled-${crypto.randomBytes(6).toString('hex')}`;
  markers.push(marker);
  return marker;
}
const hidden = (marker) => `GET /${marker} HTTP/1.1\r\nHost: x\r\n\r\n`;
const chunk = (text) => `${Buffer.byteLength(text).toString(16)}\r\n${text}\r\n`;
const token = () => env.tokens[MAIN];
const LIST = `${ROUTE}?BookingsPerPage=1`;

// Writes `bytes`, reads the first answer, then everything else the server sends until it closes or stays quiet;
// when the connection stays open, sends a follow-up and reads its answer. Returns what was seen.
async function exchange(bytes, { head = false, settleMs = 400 } = {}) {
  const conn = await Conn.open(env.port);
  try {
    await conn.write(Buffer.from(bytes, 'latin1'));
    const first = await conn.readResponse({ head });
    const answers = [first];
    const settle = Date.now() + settleMs;
    while (!conn.closed && Date.now() < settle) {
      if (conn.buf.indexOf('\r\n\r\n') >= 0) answers.push(await conn.readResponse());
      else await conn.more(settle);
    }
    const closed = await conn.waitClosed(conn.closed ? 0 : 200);
    let followUp = null;
    if (!closed) {
      const marker = `after-${crypto.randomBytes(6).toString('hex')}`;
      await conn.write(requestBytes('GET', `/${marker}`, [['Connection', 'close']]));
      followUp = await conn.readResponse();
      assert.equal(followUp.status, 404, `follow-up: ${followUp.describe()}`);
      assert.ok(followUp.text.includes(marker), 'the follow-up is answered in step');
    }
    return { first, answers, closed, followUp, leftover: conn.buf.toString('latin1') };
  } finally {
    conn.destroy();
  }
}

function assertNothingHidden(seen, marker) {
  for (const answer of seen.answers) assert.ok(!answer.text.includes(marker), `hidden request answered: ${answer.describe()}`);
  assert.ok(!seen.leftover.includes(marker), 'no hidden answer among the bytes left over');
  if (seen.followUp) assert.ok(!seen.followUp.text.includes(marker));
}

// name -> [bytes of (marker), status, closes, extra checks]
const TE_CL = (te, cl, body) => `POST ${ROUTE} HTTP/1.1\r\nHost: x\r\n${te}${cl}\r\n${body}`;
const shapes = {
  // Transfer-Encoding and Content-Length together: refused whatever their order (no "TE wins").
  'CL.TE: Content-Length then Transfer-Encoding: chunked': (m) => [
    `POST ${ROUTE} HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${hidden(m)}`, 400, true],
  'TE.CL: Transfer-Encoding: chunked then Content-Length': (m) => [
    TE_CL('Transfer-Encoding: chunked\r\n', 'Content-Length: 4\r\n', `5c\r\n${hidden(m)}\r\n0\r\n\r\n`), 400, true],
  'TE.CL with a coding that is not chunked: identity': (m) => [
    TE_CL('Transfer-Encoding: identity\r\n', `Content-Length: ${hidden(m).length}\r\n`, hidden(m)), 400, true],
  // Transfer-Encoding whose final coding is not chunked: the body cannot be delimited.
  'Transfer-Encoding: identity': (m) => [`POST ${ROUTE} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: identity\r\n\r\n${hidden(m)}`, 400, true],
  'Transfer-Encoding: chunked, identity': (m) => [
    `POST ${ROUTE} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, identity\r\n\r\n${hidden(m)}`, 400, true],
  'Transfer-Encoding: gzip': (m) => [`POST ${ROUTE} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n${hidden(m)}`, 400, true],
  'TE.TE: an obfuscated xchunked': (m) => [
    `POST ${ROUTE} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\n\r\n${hidden(m)}`, 400, true],
  'TE.TE: chunked, then a second line with xchunked': (m) => [
    `POST ${ROUTE} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n${hidden(m)}`, 400, true],
  'TE.TE: identity, then a second line with chunked (one list: 501)': (m) => [
    `POST ${ROUTE} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: identity\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${hidden(m)}`, 501, true],
  'TE.TE: chunked twice on two lines': (m) => [
    `POST ${ROUTE} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${hidden(m)}`, 400, true],
  'Transfer-Encoding: gzip, chunked (a coding not implemented)': (m) => [
    `POST ${ROUTE} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n${hidden(m)}`, 501, true],
  'Transfer-Encoding with a parameter on chunked': (m) => [
    `POST ${ROUTE} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked;q=1\r\n\r\n0\r\n\r\n${hidden(m)}`, 400, true],
  'Transfer-Encoding in an HTTP/1.0 request': (m) => [
    `POST ${ROUTE} HTTP/1.0\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${hidden(m)}`, 400, true],
  // Content-Length: one line of digits, or nothing.
  'two Content-Lengths of the same value': (m) => [
    `GET ${LIST} HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello${hidden(m)}`, 400, true],
  'two different Content-Lengths': (m) => [
    `GET ${LIST} HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nContent-Length: 5\r\n\r\nhello${hidden(m)}`, 400, true],
  'Content-Length as a list "5, 5"': (m) => [`GET ${LIST} HTTP/1.1\r\nHost: x\r\nContent-Length: 5, 5\r\n\r\nhello${hidden(m)}`, 400, true],
  'a negative Content-Length': (m) => [`GET ${LIST} HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n${hidden(m)}`, 400, true],
  'a hexadecimal Content-Length': (m) => [`GET ${LIST} HTTP/1.1\r\nHost: x\r\nContent-Length: 0x5\r\n\r\nhello${hidden(m)}`, 400, true],
  'a Content-Length with a + sign': (m) => [`GET ${LIST} HTTP/1.1\r\nHost: x\r\nContent-Length: +5\r\n\r\nhello${hidden(m)}`, 400, true],
  'a Content-Length past 2^64': (m) => [
    `GET ${LIST} HTTP/1.1\r\nHost: x\r\nContent-Length: 18446744073709551616\r\n\r\n${hidden(m)}`, 400, true],
  'a Content-Length over the 64 KiB limit': (m) => [`GET ${LIST} HTTP/1.1\r\nHost: x\r\nContent-Length: 65537\r\n\r\n${hidden(m)}`, 413, true],
  // Chunked bodies.
  'a chunk size that overflows 64 bits': (m) => [
    `POST ${ROUTE} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000005\r\nhello\r\n0\r\n\r\n${hidden(m)}`, 400, true],
  'a chunk size that is not hexadecimal': (m) => [
    `POST ${ROUTE} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n-5\r\nhello\r\n0\r\n\r\n${hidden(m)}`, 400, true],
  'a chunk shorter than its size line says': (m) => [
    `POST ${ROUTE} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nhello\r\n0\r\n\r\n${hidden(m)}`, 400, true],
  // Bodies the server reads and ignores: what looks like a request inside them is body, never a request.
  'a chunked body holding a request, chunk extensions and a trailer': (m) => [
    `POST ${ROUTE} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token()}\r\nTransfer-Encoding: chunked\r\n\r\n` +
      `${chunk(hidden(m)).replace('\r\n', ';ext=1;name="v"\r\n')}0\r\nX-Trailer: t\r\n\r\n`, 405, false],
  'a GET with a Content-Length body holding a request': (m) => [
    `GET ${LIST} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token()}\r\nContent-Length: ${hidden(m).length}\r\n\r\n${hidden(m)}`, 200, false],
  'a chunked GET whose body holds a request': (m) => [
    `GET ${LIST} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token()}\r\nTransfer-Encoding: Chunked\r\n\r\n${chunk(hidden(m))}0\r\n\r\n`, 200, false],
  // Header rules.
  'no Host in HTTP/1.1': (m) => [`GET ${LIST} HTTP/1.1\r\nContent-Length: ${hidden(m).length}\r\n\r\n${hidden(m)}`, 400, true],
  'two Host headers': (m) => [`GET ${LIST} HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n${hidden(m)}`, 400, true],
  'a Host with user information': (m) => [`GET ${LIST} HTTP/1.1\r\nHost: user@a\r\n\r\n${hidden(m)}`, 400, true],
  'a Host that is empty': (m) => [`GET ${LIST} HTTP/1.1\r\nHost:\r\n\r\n${hidden(m)}`, 400, true],
  'two Authorization headers': (m) => [
    `GET ${LIST} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token()}\r\nAuthorization: Bearer other\r\n\r\n${hidden(m)}`, 400, true,
    (res) => assert.match(res.json().Message, /Authorization/)],
  'two X-ApiKey headers': (m) => [
    `GET ${LIST} HTTP/1.1\r\nHost: x\r\nX-ApiKey: a\r\nx-apikey: b\r\n\r\n${hidden(m)}`, 400, true, (res) => assert.match(res.json().Message, /X-ApiKey/)],
  'two Content-Type headers': (m) => [
    `POST /OAuth/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Type: text/plain\r\nContent-Length: 0\r\n\r\n${hidden(m)}`,
    400, true, (res) => assert.match(res.json().Message, /Content-Type/)],
  'whitespace before a colon': (m) => [`GET ${LIST} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding : chunked\r\n\r\n${hidden(m)}`, 400, true],
  'an obs-fold continuation line': (m) => [`GET ${LIST} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: identity\r\n chunked\r\n\r\n${hidden(m)}`, 400, true],
  'a bare CR inside a header line': (m) => [`GET ${LIST} HTTP/1.1\r\nHost: x\rTransfer-Encoding: chunked\r\n\r\n${hidden(m)}`, 400, true],
  'an HTTP/2.0 request line': (m) => [`GET ${LIST} HTTP/2.0\r\nHost: x\r\n\r\n${hidden(m)}`, 400, true],
  'GET * (asterisk-form outside OPTIONS)': (m) => [`GET * HTTP/1.1\r\nHost: x\r\n\r\n${hidden(m)}`, 400, true],
  'an authority-form target': (m) => [`CONNECT x:443 HTTP/1.1\r\nHost: x:443\r\n\r\n${hidden(m)}`, 400, true],
  'an absolute-form target of another scheme': (m) => [`GET ftp://x/v1 HTTP/1.1\r\nHost: x\r\n\r\n${hidden(m)}`, 400, true],
};

describe('the framing table: decided status, close, and no hidden request ever answered', () => {
  for (const [name, build] of Object.entries(shapes)) {
    test(name, async () => {
      const marker = newMarker();
      const [bytes, status, closes, check] = build(marker);
      const seen = await exchange(bytes);
      assertNothingHidden(seen, marker); // first: a leak is the failure that matters most
      assert.equal(seen.first.status, status, seen.first.describe());
      assert.equal(seen.closed, closes, `connection ${closes ? 'closed' : 'kept open'}: ${seen.first.describe()}`);
      if (closes) assert.match(seen.first.headers.connection || '', /close/i, 'Connection: close');
      assert.equal(seen.answers.length, 1, `one answer only: ${seen.answers.map((a) => a.status).join(', ')}`);
      if (check) check(seen.first);
    });
  }
});

describe('what the framing lets through', () => {
  test('a GET with a body followed by a pipelined request: both answered, in order, the body never', async () => {
    const marker = newMarker();
    const body = hidden(marker);
    const bytes = `GET ${LIST} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token()}\r\nContent-Length: ${body.length}\r\n\r\n${body}` +
      `GET /pipelined-${marker} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`;
    const conn = await Conn.open(env.port);
    try {
      await conn.write(Buffer.from(bytes, 'latin1'));
      const first = await conn.readResponse();
      const second = await conn.readResponse();
      assert.equal(first.status, 200, first.describe());
      assert.equal(second.status, 404, second.describe());
      assert.ok(second.text.includes(`/pipelined-${marker}`), 'the second answer is the pipelined request');
      assert.ok(await conn.waitClosed(3000));
      assert.ok(!conn.buf.toString('latin1').includes('HTTP/1.1'), 'no third answer');
    } finally {
      conn.destroy();
    }
  });

  test('Expect: 100-continue gets the interim answer, then the final one, on an open connection', async () => {
    const conn = await Conn.open(env.port);
    try {
      await conn.write(Buffer.from(`GET ${LIST} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token()}\r\n` +
        'Expect: 100-continue\r\nContent-Length: 5\r\n\r\n', 'latin1'));
      const interim = await conn.readResponse();
      assert.equal(interim.status, 100);
      await conn.write(Buffer.from('hello', 'latin1'));
      const final = await conn.readResponse();
      assert.equal(final.status, 200, final.describe());
      assert.ok(!(await conn.waitClosed(300)), 'kept open');
    } finally {
      conn.destroy();
    }
  });

  test('Expect: 100-continue with a length over the limit: 413 at once, no interim answer', async () => {
    const seen = await exchange(`GET ${LIST} HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 70000\r\n\r\n`);
    assert.equal(seen.first.status, 413, seen.first.describe());
    assert.ok(seen.closed);
  });

  test('a trailer never supplies a header: a credential sent only as a trailer is not seen', async () => {
    const body = 'x';
    const bytes = `GET ${LIST} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n` +
      `${chunk(body)}0\r\nAuthorization: Bearer ${token()}\r\n\r\n`;
    const seen = await exchange(bytes);
    assert.equal(seen.first.status, 401, seen.first.describe());
  });

  test('an absolute-form target is served as its path and query (RFC 9112 §3.2.2)', async () => {
    const direct = await request(env.port, LIST, { token: token() });
    for (const target of [`http://127.0.0.1:${env.port}${LIST}`, `HTTP://other.example${LIST}`]) {
      const res = await request(env.port, target, { token: token() });
      assert.equal(res.status, 200, `${target}: ${res.describe()}`);
      assert.equal(res.text, direct.text, target);
    }
    const root = await request(env.port, 'http://127.0.0.1');
    assert.equal(root.status, 404);
    assert.match(root.json().Message, /URI '\/'/);
  });

  test('OPTIONS *: 200 with Allow naming every method some route accepts, and no body', async () => {
    const seen = await exchange('OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n');
    assert.equal(seen.first.status, 200, seen.first.describe());
    assert.equal(seen.first.headers.allow, 'GET, POST');
    assert.equal(seen.first.headers['content-length'], '0');
    assert.equal(seen.first.body.length, 0);
    assert.ok(!seen.closed);
  });

  test('HTTP/1.0 without Host is served, then closed', async () => {
    const seen = await exchange(`GET ${LIST} HTTP/1.0\r\nAuthorization: Bearer ${token()}\r\n\r\n`);
    assert.equal(seen.first.status, 200, seen.first.describe());
    assert.ok(seen.closed);
  });

  test('an X-ApiKey header and a different apiKey parameter: 400 naming the header', async () => {
    const res = await request(env.port, `${LIST}&apiKey=one`, { token: token(), apiKey: 'two' });
    assert.equal(res.status, 400, res.describe());
    assert.match(res.json().Message, /X-ApiKey/);
    assert.ok(!res.text.includes('one') || !/apiKey=one/.test(res.text), 'the keys are not echoed');
  });

  test('the access log never shows a hidden request, and the server still serves', { skip: !CAN.accessLog && 'no access log' }, async () => {
    await sleep(300);
    const leaked = env.srv.logLines.filter((line) => markers.some((marker) => line.includes(`/${marker}`)));
    assert.deepEqual(leaked, []);
    assert.ok(env.srv.logLines.some((line) => line.includes('"status":400')), 'the refusals were logged');
    assert.equal((await request(env.port, LIST, { token: token() })).status, 200);
  });
});
