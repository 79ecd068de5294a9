// The published page is the authority: its sample booking, imported as data, must come back exactly as
// the page shows it — JSON field for field and in key order, XML with the same element names, prefixes,
// namespaces and order, once the samples' disagreements are settled (docs/api.md, "Where the published samples
// disagree").
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { CAN, importRecords, mintToken, newDb, request, startServer, xmllint } from './harness.mjs';
import { parseXml } from './xml.mjs';
import { keyOrderDiffs } from './model.mjs';

const SEED_FILE = process.env.PHONECHAT_SEED || new URL('../fixtures/made-phonechat-bookings.txt', import.meta.url).pathname;
if (!fs.existsSync(SEED_FILE)) throw new Error(`the published page is not at ${SEED_FILE}: set PHONECHAT_SEED`);
const SEED = fs.readFileSync(SEED_FILE, 'utf8');
const SEED_NOW = '2018-01-21T14:00:00';
const CLIENT = 555;

// The sample's JSON with its one shown booking (the "shortened" marker removed).
function sampleJson() {
  const start = SEED.indexOf('{\n    "PageCount"');
  const end = SEED.indexOf('<BookingsResult');
  return JSON.parse(SEED.slice(start, end).replace(/,\s*\.\.\. \(Shortened for brevity\)/, ''));
}

// The sample's XML with its one shown booking, §9 fixed: Duration 15, page 1 of 3.
function sampleXml() {
  let x = SEED.slice(SEED.indexOf('<BookingsResult'));
  x = x.replace(/<MadeBooking>\.\.\. \(Shortened for brevity\)<\/MadeBooking>/, '');
  x = x.replace('<Duration>5</Duration>', '<Duration>15</Duration>');
  x = x.replace('<PageCount>1</PageCount>', '<PageCount>3</PageCount>').replace('<PageNumber>3</PageNumber>', '<PageNumber>1</PageNumber>');
  return x.trim();
}

// Every element in document order: qualified name, namespace, declarations, attributes and leaf text.
function shape(el, out = [], depth = 0) {
  out.push({
    depth, qname: el.qname, ns: el.ns, nsDecls: el.nsDecls,
    attrs: el.attrs.map((a) => `${a.qname}={${a.ns}}${a.local}=${a.value}`).sort(),
    text: el.children.length ? null : el.text,
  });
  for (const c of el.children) shape(c, out, depth + 1);
  return out;
}

let srv;
let token;
const SAMPLE = sampleJson();
before(async () => {
  const db = newDb();
  const b = SAMPLE.Bookings[0];
  const records = [
    // The sample shows no candidate phone for a Confirmed Method 2 booking: the candidate has no PhoneChat number.
    { Kind: 'User', UserID: 123456, Nickname: 'BookedUser', Password: null, EmailAddress: null, PhoneChatNumber: null,
      SkypeName: null, Positive: 7, Neutral: 0, Negative: 1, Disputes: 0 },
    { Kind: 'User', UserID: CLIENT, Nickname: 'SampleClient', Password: null, EmailAddress: null, PhoneChatNumber: null,
      SkypeName: null, Positive: 0, Neutral: 0, Negative: 0, Disputes: 0 },
    { Kind: 'User', UserID: 123457, Nickname: 'OtherCandidate', PhoneChatNumber: '+447700900124' },
    { Kind: 'Project', Name: 'Demo app', OwnerUserID: CLIENT, ApiKey: 'seed-key', ClientID: 'seed-app', ClientSecret: null,
      RedirectURIs: ['http://127.0.0.1:8765/cb'], ImplicitGrant: false },
    { Kind: 'Booking', BookingID: 1, ClientUserID: CLIENT, CandidateUserID: 123456, Duration: 15, Credits: '8.0000',
      Status: 'Confirmed', Method: 2, PhoneNumber: null, SkypeName: null, CreateDate: b.CreateDate, SessionDate: b.SessionDate,
      AcceptBy: b.AcceptBy, AcceptedDate: b.AcceptedDate, ConfirmedDate: b.ConfirmedDate, CancelledDate: null,
      CancelledReason: null, CancelledBy: null, RejectedReason: null, LastUpdated: b.LastUpdated, Comments: null,
      DeletedByClient: false },
  ];
  // 29 more bookings of the same client with later sessions: sessiondate-asc puts BookingID 1 first, 30 in all.
  for (let k = 2; k <= 30; k++) {
    const day = String(22 + Math.floor(k / 8)).padStart(2, '0');
    records.push({ Kind: 'Booking', BookingID: k, ClientUserID: CLIENT, CandidateUserID: 123457, Duration: 30, Credits: '5',
      Status: 'Pending', Method: 2, PhoneNumber: null, SkypeName: null, CreateDate: `2018-01-1${k % 10}T09:00:00`,
      SessionDate: `2018-01-${day}T22:${String(k).padStart(2, '0')}:00`, AcceptBy: `2018-01-${day}T21:00:00`,
      AcceptedDate: null, ConfirmedDate: null, CancelledDate: null, CancelledReason: null, CancelledBy: null,
      RejectedReason: null, LastUpdated: `2018-01-1${k % 10}T09:00:00`, Comments: null, DeletedByClient: false });
  }
  await importRecords(db, records);
  token = await mintToken(db, { user: CLIENT, clientId: 'seed-app' });
  srv = await startServer(db, { now: SEED_NOW });
});
after(async () => {
  if (srv) await srv.stop();
});

// The sample request, with its stray space percent-encoded.
const SAMPLE_TARGET = '/v1/PhoneChat/MadeBookings?OrderBy=sessiondate-asc%20&BookingsPerPage=10';

describe('the published sample', () => {
  const expected = () => {
    const e = structuredClone(SAMPLE);
    // Without a settable clock the session of 2018 is over: no action left for the client.
    if (!CAN.now) e.Bookings[0].ActionClient = null;
    return e;
  };
  test('JSON: page fields and the first booking equal the sample, values and key order', async () => {
    const res = await request(srv.port, SAMPLE_TARGET, { auth: `bearer ${token}` });
    assert.equal(res.status, 200, res.describe());
    assert.equal(res.contentType(), 'application/json;charset=utf-8');
    const body = res.json();
    const exp = expected();
    assert.deepStrictEqual(Object.keys(body), Object.keys(exp));
    for (const k of ['PageCount', 'PageNumber', 'BookingsTotal', 'BookingsPerPage']) assert.equal(body[k], exp[k], k);
    assert.equal(body.Bookings.length, 10);
    assert.deepStrictEqual(body.Bookings[0], exp.Bookings[0]);
    assert.deepStrictEqual(keyOrderDiffs(body.Bookings[0], exp.Bookings[0]), []);
  });
  test('JSON: the text is the sample compacted, byte for byte up to the second booking', async () => {
    const res = await request(srv.port, SAMPLE_TARGET, { auth: `bearer ${token}` });
    const exp = expected();
    const prefix = `{"PageCount":3,"PageNumber":1,"BookingsTotal":30,"BookingsPerPage":10,"Bookings":[${JSON.stringify(exp.Bookings[0])},`;
    assert.equal(res.text.slice(0, prefix.length), prefix);
    assert.ok(res.text.includes('"Credits":8,'), 'Credits written as 8');
  });
  test('XML: the sample structure, namespaces, prefixes and element order; values as the sample', async () => {
    const res = await request(srv.port, SAMPLE_TARGET, { auth: `bearer ${token}`, accept: 'application/xml' });
    assert.equal(res.status, 200, res.describe());
    assert.equal(res.contentType(), 'application/xml;charset=utf-8');
    assert.ok(xmllint(res.text).ok, 'xmllint accepts the response');
    const sample = sampleXml();
    assert.ok(xmllint(sample).ok, 'the fixed sample is well-formed');
    const got = parseXml(res.text);
    const want = parseXml(sample);
    // Only the first booking is in the sample: compare the response with its other bookings left out.
    got.children[0].children = got.children[0].children.slice(0, 1);
    const g = shape(got);
    const w = shape(want);
    if (!CAN.now) {
      const ac = w.find((e) => e.qname === 'ActionClient');
      ac.attrs = [`i:nil={http://www.w3.org/2001/XMLSchema-instance}nil=true`];
      ac.text = '';
    }
    assert.deepStrictEqual(g.map((e) => `${'  '.repeat(e.depth)}${e.qname}`), w.map((e) => `${'  '.repeat(e.depth)}${e.qname}`), 'element names and order');
    assert.deepStrictEqual(g, w);
  });
  test('XML: every other booking on the page has the same element sequence', async () => {
    const res = await request(srv.port, SAMPLE_TARGET, { auth: `bearer ${token}`, accept: 'text/xml' });
    const root = parseXml(res.text);
    const bookings = root.children[0].children;
    assert.equal(bookings.length, 10);
    const names = (el) => shape(el).map((e) => `${e.depth}:${e.qname}:${e.ns}`);
    for (const b of bookings.slice(1)) assert.deepStrictEqual(names(b), names(bookings[0]));
  });
});
