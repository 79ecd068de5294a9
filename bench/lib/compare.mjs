// Sends the same sampled requests to the product and to the peer and compares the answers: the status, then the
// body -- JSON parsed and compared deeply (key order aside), XML as text. Prints every difference and a last line
// "compared N requests: K differ"; exits 0 either way (differences are reported, not fatal).
//   node compare.mjs PRODUCT_BASE_URL PEER_BASE_URL CASES_FILE
// CASES_FILE: one case a line, NAME<TAB>TOKENS_FILE<TAB>QUERY<TAB>FORMAT<TAB>MIXED(0|1)<TAB>SAMPLES, where
// TOKENS_FILE lines are TOKEN<TAB>USER_ID<TAB>LISTED_BOOKINGS, as for bench/wrk/bookings.lua.
import fs from 'node:fs';

const [productBase, peerBase, casesFile] = process.argv.slice(2);
if (!casesFile) {
  console.error('usage: node compare.mjs PRODUCT_BASE_URL PEER_BASE_URL CASES_FILE');
  process.exit(2);
}

const ORDERS = ['date-desc', 'date-asc', 'nickname-asc', 'nickname-desc', 'sessiondate-asc', 'sessiondate-desc'];
const PAGE_SIZES = [5, 10, 20, 25, 50, 100];
const ACCEPT = { json: 'application/json', xml: 'application/xml' };
const MAX_LINES_PER_REQUEST = 12;

// A small seeded generator (mulberry32), so that the same cases give the same samples run after run.
function generator(seed) {
  let a = seed >>> 0;
  return (n) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return 1 + (((t ^ (t >>> 14)) >>> 0) % n); // 1..n
  };
}

function readPool(file) {
  return fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((line) => {
    const [token, user, listed] = line.split('\t');
    return { token, user, listed: Number(listed) || 0 };
  });
}

function mixedQuery(random, client) {
  const order = ORDERS[random(ORDERS.length) - 1];
  const perPage = PAGE_SIZES[random(PAGE_SIZES.length) - 1];
  const pages = Math.max(1, Math.ceil(client.listed / perPage));
  let query = `OrderBy=${order}&BookingsPerPage=${perPage}&PageNumber=${random(pages)}`;
  if (random(4) === 1) {
    const pad = (n) => String(n).padStart(2, '0');
    query += `&StartDate=${2024 + random(2)}-${pad(random(12))}-${pad(random(28))}`;
  }
  return { query, format: random(2) === 1 ? 'xml' : 'json' };
}

// Paths and values where `a` (product) and `b` (peer) differ, at most `room` of them.
function deepDiff(a, b, where, out, room) {
  if (out.length >= room) return;
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) out.push(`${where}: ${a.length} items (product) vs ${b.length} (peer)`);
    for (let i = 0; i < Math.min(a.length, b.length); i++) deepDiff(a[i], b[i], `${where}[${i}]`, out, room);
    return;
  }
  if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
      if (!(k in a)) out.push(`${where}.${k}: missing in the product, peer has ${JSON.stringify(b[k])}`);
      else if (!(k in b)) out.push(`${where}.${k}: missing in the peer, product has ${JSON.stringify(a[k])}`);
      else deepDiff(a[k], b[k], `${where}.${k}`, out, room);
      if (out.length >= room) return;
    }
    return;
  }
  if (a !== b) out.push(`${where}: product ${JSON.stringify(a)} vs peer ${JSON.stringify(b)}`);
}

function textDiff(a, b) {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  const from = Math.max(0, i - 60);
  return [`texts differ from offset ${i} (lengths ${a.length} product, ${b.length} peer)`,
    `  product: ...${JSON.stringify(a.slice(from, i + 100))}`,
    `  peer:    ...${JSON.stringify(b.slice(from, i + 100))}`];
}

async function get(base, target, token, format) {
  const response = await fetch(base + target, {
    headers: { Authorization: `Bearer ${token}`, Accept: ACCEPT[format] },
  });
  return { status: response.status, type: response.headers.get('content-type') || '', body: await response.text() };
}

function compareBodies(p, q, format) {
  if (format === 'json' || /json/.test(p.type) || /json/.test(q.type)) {
    let a;
    let b;
    try {
      a = JSON.parse(p.body);
      b = JSON.parse(q.body);
    } catch (e) {
      return [`a body is not JSON: ${e.message}`];
    }
    const out = [];
    deepDiff(a, b, '$', out, MAX_LINES_PER_REQUEST);
    return out;
  }
  return p.body === q.body ? [] : textDiff(p.body, q.body);
}

const cases = fs.readFileSync(casesFile, 'utf8').split('\n').filter(Boolean).map((line) => line.split('\t'));
let compared = 0;
let differing = 0;
let seed = 20240601;
for (const [name, tokensFile, fixedQuery, fixedFormat, mixed, samples] of cases) {
  const pool = readPool(tokensFile);
  const random = generator(seed++);
  for (let s = 0; s < Number(samples); s++) {
    const client = pool[random(pool.length) - 1];
    const { query, format } = mixed === '1' ? mixedQuery(random, client) : { query: fixedQuery, format: fixedFormat };
    const target = '/v1/PhoneChat/MadeBookings' + (query ? `?${query}` : '');
    const [p, q] = await Promise.all([get(productBase, target, client.token, format),
      get(peerBase, target, client.token, format)]);
    compared++;
    const lines = [];
    if (p.status !== q.status) lines.push(`status: product ${p.status} vs peer ${q.status}`);
    if (p.type.split(';')[0].trim() !== q.type.split(';')[0].trim()) {
      lines.push(`content-type: product ${JSON.stringify(p.type)} vs peer ${JSON.stringify(q.type)}`);
    }
    lines.push(...compareBodies(p, q, format));
    if (lines.length) {
      differing++;
      console.log(`DIFF case ${name}, user ${client.user || '(unknown token)'}, ${format.toUpperCase()} ${target}`);
      for (const line of lines) console.log(`  ${line}`);
    }
  }
}
console.log(`compared ${compared} requests: ${differing} differ`);
