// GetSettings and SaveSettings (spec §8.14a-§8.16): defaults, the round trip through GetSettings and the booking
// requirements, the number's normal form, the DirectChat rules, the 409 for clearing a number in use, the group
// variant with its audit row, and the XML shape of PhoneChatSettings.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { dbRows } from './harness.mjs';
import {
  CAND, CAND_DCONLY, CAND_NEVER, CAND_SET, CAND_SHOW, CLIENT, CLIENT4, GPC, MANAGER, NS, OUTSIDER, at, booking, childNames, expect400, expectError,
  expectStatus, get, post, setupLifecycle, strictXml, user,
} from './lifecycle-fixture.mjs';

const KEYS = ['OfferDirectChat', 'DirectChat', 'PhoneChatNumber', 'ShowPhoneChatNumber', 'PhoneChatPPM'];
// CAND_SET has a Method 2 booking Accepted with its session ahead; CAND has a Method 2 Confirmed one not over.
const B = {
  acceptedM2: booking(501, { cand: CAND_SET, status: 'Accepted', method: 2, acceptBy: at(1), session: at(2) }),
  confirmedM2: booking(502, { cand: CAND, status: 'Confirmed', method: 2, acceptBy: at(-1), session: at(0, 0, -5), duration: 60 }),
};

let env;
before(async () => {
  env = await setupLifecycle({ bookings: Object.values(B) });
});
after(async () => { if (env) await env.stop(); });

const save = (uid, body, opts) => post(env, uid, 'SaveSettings', body, opts);
const settings = (uid, opts) => get(env, uid, 'GetSettings', opts);

describe('GetSettings', () => {
  test('a user who never saved: false, null, null, false, null', async () => {
    const b = expectStatus(await settings(CAND_NEVER), 200);
    assert.deepStrictEqual(b, { OfferDirectChat: false, DirectChat: null, PhoneChatNumber: null, ShowPhoneChatNumber: false, PhoneChatPPM: null });
    assert.deepStrictEqual(Object.keys(b), KEYS);
  });
  test('the imported settings', async () => {
    const u = user(CAND_SET);
    assert.deepStrictEqual(expectStatus(await settings(CAND_SET), 200), { OfferDirectChat: true,
      DirectChat: { DirectChatOnly: false, PPM: Number(u.DirectChatPPM) }, PhoneChatNumber: u.PhoneChatNumber, ShowPhoneChatNumber: true,
      PhoneChatPPM: Number(u.PhoneChatPPM) });
  });
  test('XML: PhoneChatSettings members alphabetically; a null DirectChat keeps its d2p1 declaration', async () => {
    const res = await settings(CAND_NEVER, { accept: 'application/xml' });
    const root = strictXml(res);
    assert.equal(root.local, 'PhoneChatSettings');
    assert.equal(root.ns, NS.settings);
    assert.deepStrictEqual(childNames(root), ['DirectChat', 'OfferDirectChat', 'PhoneChatNumber', 'PhoneChatPPM', 'ShowPhoneChatNumber']);
    assert.equal(root.children[0].nsDecls.d2p1, NS.dc);
    assert.match(res.text, new RegExp(`<DirectChat xmlns:d2p1="${NS.dc}" i:nil="true"/>`));
    const full = strictXml(await settings(CAND_SET, { accept: 'application/xml' }));
    const dc = full.children[0];
    assert.deepStrictEqual(dc.children.map((c) => [c.ns, c.local, c.text]), [[NS.dc, 'DirectChatOnly', 'false'], [NS.dc, 'PPM', '0.7500']]);
    assert.equal(full.children[3].text, '0.4000');
  });
  test('group variant with UserID', async () => {
    const own = await settings(CAND_SET);
    const mgr = await get(env, MANAGER, `${GPC}/GetSettings?UserID=${CAND_SET}`);
    assert.equal(mgr.status, 200, mgr.describe());
    assert.equal(mgr.text, own.text);
    assert.equal((await get(env, OUTSIDER, `${GPC}/GetSettings?UserID=${CAND_SET}`)).status, 403);
    expect400(await get(env, MANAGER, `${GPC}/GetSettings`), ['UserID']);
  });
});

describe('SaveSettings', () => {
  test('round trip through GetSettings and the requirements; the number normalised to +digits; 07700900123 -> 400', async () => {
    const body = { OfferDirectChat: false, PhoneChatNumber: '0044 7700900777'.replace(' ', ''), PhoneChatPPM: '0.35' };
    const saved = expectStatus(await save(CAND, body), 200);
    const expected = { OfferDirectChat: false, DirectChat: null, PhoneChatNumber: '+447700900777', ShowPhoneChatNumber: false, PhoneChatPPM: 0.35 };
    assert.deepStrictEqual(saved, expected);
    assert.deepStrictEqual(expectStatus(await settings(CAND), 200), expected);
    const req = expectStatus(await get(env, CLIENT, `GetUserBookingRequirements?BookUserID=${CAND}`), 200);
    assert.equal(req.PhoneChatPPM, 0.35);
    assert.deepStrictEqual(req.Methods.map((m) => m.Available), [true, true, true]);
    assert.equal(expectStatus(await save(CAND, { ...body, PhoneChatNumber: '+447700900778' }), 200).PhoneChatNumber, '+447700900778');
    expect400(await save(CAND, { ...body, PhoneChatNumber: '07700900123' }), ['PhoneChatNumber']);
    expect400(await save(CAND, { ...body, PhoneChatNumber: '+1234567' }), ['PhoneChatNumber']);
    expect400(await save(CAND, { ...body, PhoneChatNumber: '+1234567890123456' }), ['PhoneChatNumber']);
    // Method 2 bookings now show the new number (read live) on the Confirmed booking.
    const made = expectStatus(await get(env, CLIENT, `MadeBookingDetails?BookingID=${B.confirmedM2.BookingID}`), 200);
    assert.equal(made.Candidate.PhoneNumber, '+447700900778');
  });
  test('DirectChat missing with OfferDirectChat true, or present with false, or PhoneChatPPM missing -> 400', async () => {
    expect400(await save(CAND_NEVER, { OfferDirectChat: true, PhoneChatPPM: 1 }), ['DirectChat']);
    expect400(await save(CAND_NEVER, { OfferDirectChat: false, DirectChat: { DirectChatOnly: false, PPM: 1 }, PhoneChatPPM: 1 }), ['DirectChat']);
    expect400(await save(CAND_NEVER, { OfferDirectChat: false }), ['PhoneChatPPM']);
    expect400(await save(CAND_NEVER, { OfferDirectChat: true, DirectChat: { PPM: 1 }, PhoneChatPPM: 1 }), ['DirectChat.DirectChatOnly']);
    expect400(await save(CAND_NEVER, { OfferDirectChat: true, DirectChat: { DirectChatOnly: false, PPM: 100.01 }, PhoneChatPPM: 1 }), ['DirectChat.PPM']);
    expect400(await save(CAND_NEVER, { OfferDirectChat: 'yes', PhoneChatPPM: 0 }), ['OfferDirectChat', 'PhoneChatPPM']);
    const ok = expectStatus(await save(CAND_NEVER, { OfferDirectChat: 'TRUE', DirectChat: { directchatonly: 'false', ppm: '2.5' }, PhoneChatPPM: 100 }), 200);
    assert.deepStrictEqual(ok.DirectChat, { DirectChatOnly: false, PPM: 2.5 });
    assert.deepStrictEqual(Object.keys(ok.DirectChat), ['DirectChatOnly', 'PPM']);
    const nul = expectStatus(await save(CAND_NEVER, { OfferDirectChat: false, DirectChat: null, PhoneChatPPM: 1 }), 200);
    assert.equal(nul.DirectChat, null);
  });
  test('clearing the number while a Method 2 booking is Accepted (or Confirmed, not over) -> 409 naming it', async () => {
    const before = await settings(CAND_SET);
    for (const cleared of [{}, { PhoneChatNumber: null }, { PhoneChatNumber: '  ' }]) {
      const res = await save(CAND_SET, { OfferDirectChat: false, PhoneChatPPM: '0.4', ...cleared });
      expectError(res, 409, new RegExp(`\\b${B.acceptedM2.BookingID}\\b`));
    }
    assert.equal((await settings(CAND_SET)).text, before.text, 'nothing saved');
    expectError(await save(CAND, { OfferDirectChat: false, PhoneChatPPM: '0.4' }), 409, new RegExp(`\\b${B.confirmedM2.BookingID}\\b`));
  });
  test('group variant: UserID from the body, the member\'s settings saved, one audit row; a non-member 403', async () => {
    const count = () => dbRows(env.db, 'SELECT count(*) AS n FROM audit_log')[0].n;
    const c0 = count();
    const body = { UserID: CAND_SET, OfferDirectChat: true, DirectChat: { DirectChatOnly: false, PPM: '1.5' },
      PhoneChatNumber: '+447700900006', PhoneChatPPM: '0.45' };
    const res = await post(env, MANAGER, `${GPC}/SaveSettings`, body);
    const b = expectStatus(res, 200);
    assert.deepStrictEqual(b, { OfferDirectChat: true, DirectChat: { DirectChatOnly: false, PPM: 1.5 }, PhoneChatNumber: '+447700900006',
      ShowPhoneChatNumber: true, PhoneChatPPM: 0.45 });
    assert.equal((await settings(CAND_SET)).text, res.text);
    assert.equal(count(), c0 + 1);
    const row = JSON.stringify(dbRows(env.db, 'SELECT * FROM audit_log ORDER BY audit_id DESC LIMIT 1')[0]);
    assert.ok(row.includes(String(MANAGER)) && row.includes(String(CAND_SET)), row);
    expectError(await post(env, OUTSIDER, `${GPC}/SaveSettings`, body), 403, /not a member/);
    expectError(await post(env, MANAGER, `${GPC}/SaveSettings`, { ...body, UserID: CLIENT4 }), 403, /not a member/);
  });
  test('clearing the number switches ShowPhoneChatNumber off; saving a number again keeps it off; Method 2 unavailable meanwhile', async () => {
    const cleared = expectStatus(await save(CAND_SHOW, { OfferDirectChat: false, PhoneChatPPM: '0.3' }), 200);
    assert.deepStrictEqual([cleared.PhoneChatNumber, cleared.ShowPhoneChatNumber], [null, false]);
    const req = expectStatus(await get(env, CLIENT, `GetUserBookingRequirements?BookUserID=${CAND_SHOW}`), 200);
    assert.equal(req.Methods[1].Available, false);
    const again = expectStatus(await save(CAND_SHOW, { OfferDirectChat: false, PhoneChatPPM: '0.3', PhoneChatNumber: '+447700900009' }), 200);
    assert.deepStrictEqual([again.PhoneChatNumber, again.ShowPhoneChatNumber], ['+447700900009', false], 'Save never sets ShowPhoneChatNumber');
    // Show stays on when the number is only changed
    const kept = expectStatus(await save(CAND_SET, { OfferDirectChat: true, DirectChat: { DirectChatOnly: false, PPM: '1.5' },
      PhoneChatNumber: '+447700900066', PhoneChatPPM: '0.45' }), 200);
    assert.equal(kept.ShowPhoneChatNumber, true);
  });
  test('Save neither reads nor changes OffersPhoneChat; OfferDirectChat false stores DirectChat Only off', async () => {
    expectStatus(await save(CAND_NEVER, { OfferDirectChat: false, PhoneChatPPM: '1', PhoneChatNumber: '+447700900777' }), 200);
    const never = await get(env, CLIENT, `GetUserBookingRequirements?BookUserID=${CAND_NEVER}`);
    assert.equal(never.status, 409, never.describe());
    assert.match(never.json().Message, /does not offer PhoneChat/);
    assert.equal((await get(env, CLIENT, `GetUserBookingRequirements?BookUserID=${CAND_DCONLY}`)).status, 409);
    const dc = expectStatus(await save(CAND_DCONLY, { OfferDirectChat: false, PhoneChatPPM: '1', PhoneChatNumber: '+447700900004' }), 200);
    assert.equal(dc.DirectChat, null);
    const now = expectStatus(await get(env, CLIENT, `GetUserBookingRequirements?BookUserID=${CAND_DCONLY}`), 200);
    assert.equal(now.PhoneChatPPM, 1);
    const back = expectStatus(await save(CAND_DCONLY, { OfferDirectChat: true, DirectChat: { DirectChatOnly: false, PPM: '2' }, PhoneChatPPM: '1',
      PhoneChatNumber: '+447700900004' }), 200);
    assert.deepStrictEqual(back.DirectChat, { DirectChatOnly: false, PPM: 2 });
  });
  test('XML answer of SaveSettings parses strictly', async () => {
    const root = strictXml(await save(CAND_NEVER, { OfferDirectChat: false, PhoneChatPPM: '3' }, { accept: 'application/xml' }));
    assert.equal(root.local, 'PhoneChatSettings');
    assert.deepStrictEqual(childNames(root), ['DirectChat', 'OfferDirectChat', 'PhoneChatNumber', 'PhoneChatPPM', 'ShowPhoneChatNumber']);
    assert.equal(root.children[3].text, '3.0000');
  });
});
