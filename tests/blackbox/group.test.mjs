// The group-manager route (docs/api.md, "Group managers"): who may impersonate whom, identical answers for unknown
// users and members of other groups, the member's own answer for a real member, and one audit_log row per
// attempt that reaches the membership check.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { dbRows, mintToken, request } from './harness.mjs';
import {
  EMPTY, GROUP_ROUTE, LONER, MAIN, MANAGER, MANAGER2, MANAGER_EMPTY, MEMBER13, MEMBER2, MODEL_NOW, OTHER_MEMBER,
  PROJECT_A, ROUTE, UNKNOWN_USER, assertJsonPage, setup,
} from './fixture.mjs';
import { jsonCreditsTexts, jsonPage } from './model.mjs';

let env;
before(async () => {
  env = await setup({ tokensFor: [MAIN, MEMBER2, MEMBER13, MANAGER, MANAGER2, MANAGER_EMPTY, LONER] });
});
after(async () => {
  if (env) await env.stop();
});

const auditCount = () => dbRows(env.db, 'SELECT count(*) AS n FROM audit_log')[0].n;
const lastAudit = () => dbRows(env.db, 'SELECT * FROM audit_log ORDER BY audit_id DESC LIMIT 1')[0];
const group = (caller, query, accept) => request(env.port, GROUP_ROUTE + query, { token: env.tokens[caller], accept });

function expect403(res, pattern) {
  assert.equal(res.status, 403, res.describe());
  assert.equal(res.headers['cache-control'], 'no-store');
  assert.doesNotMatch(res.headers['www-authenticate'] || '', /insufficient_scope/, 'a membership 403 is not a scope challenge');
  assert.match(res.json().Message, pattern);
}

describe('who may impersonate', () => {
  test('a caller who manages no group: 403 "not a group manager"', async () => {
    for (const caller of [MAIN, LONER]) {
      expect403(await group(caller, `?UserID=${MEMBER2}`), /not a group manager/i);
      expect403(await group(caller, `?UserID=${caller}`), /not a group manager/i);
    }
  });
  test('a member of another group, a user in no group, an unknown user, the manager himself: the same 403', async () => {
    const first = await group(MANAGER, `?UserID=${OTHER_MEMBER}`);
    expect403(first, /not a member/i);
    for (const uid of [UNKNOWN_USER, LONER, MANAGER, MANAGER2, 2147483647]) {
      const res = await group(MANAGER, `?UserID=${uid}`);
      assert.equal(res.status, 403, `UserID ${uid}`);
      assert.equal(res.text, first.text, `UserID ${uid}: identical body`);
      assert.equal(res.contentType(), first.contentType());
      assert.equal(res.headers['www-authenticate'], first.headers['www-authenticate']);
    }
  });
  test('the same in XML: unknown user and other-group member are byte-identical', async () => {
    const a = await group(MANAGER, `?UserID=${OTHER_MEMBER}`, 'application/xml');
    const b = await group(MANAGER, `?UserID=${UNKNOWN_USER}`, 'application/xml');
    assert.equal(a.status, 403);
    assert.equal(a.text, b.text);
  });
  test('a manager of a group without members: 403 "not a member" (he is a manager)', async () => {
    expect403(await group(MANAGER_EMPTY, `?UserID=${MAIN}`), /not a member/i);
  });
  test('another manager cannot reach this manager\'s members', async () => {
    expect403(await group(MANAGER2, `?UserID=${MAIN}`), /not a member/i);
  });
});

describe('a real member', () => {
  const cases = [
    [MAIN, ''],
    [MAIN, '&OrderBy=nickname-asc&BookingsPerPage=7&PageNumber=3'],
    [MAIN, '&StartDate=2023-03-10&OrderBy=date-asc&BookingsPerPage=100'],
    [MAIN, '&PageNumber=99'],
    [MEMBER2, '&OrderBy=sessiondate-desc'],
    [MEMBER13, '&BookingsPerPage=3'],
  ];
  for (const [member, extra] of cases) {
    test(`UserID=${member}${extra}: exactly the member's own answer, JSON and XML`, async () => {
      for (const accept of [undefined, 'application/xml']) {
        const asManager = await group(MANAGER, `?UserID=${member}${extra}`, accept);
        const own = await request(env.port, `${ROUTE}?${extra.slice(1)}`, { token: env.tokens[member], accept });
        assert.equal(asManager.status, 200, asManager.describe());
        assert.equal(own.status, 200, own.describe());
        assert.equal(asManager.contentType(), own.contentType());
        assert.equal(asManager.text, own.text, 'byte-identical to the member\'s own answer');
      }
      // and that answer is the model's
      const sp = new URLSearchParams(extra.slice(1));
      const params = { order: sp.get('OrderBy') || 'date-desc', per: +(sp.get('BookingsPerPage') || 50), page: +(sp.get('PageNumber') || 1), startDate: sp.get('StartDate') };
      assertJsonPage(await group(MANAGER, `?UserID=${member}${extra}`), jsonPage(env.fx, member, params, MODEL_NOW),
        jsonCreditsTexts(env.fx, member, params), `as manager for ${member}`);
    });
  }
  test('the manager manages two groups: members of both are reachable', async () => {
    assert.equal((await group(MANAGER, `?UserID=${MEMBER2}`)).status, 200);
    assert.equal((await group(MANAGER, `?UserID=${MEMBER13}`)).status, 200);
  });
  test('route and UserID name are case-insensitive, trailing slash ignored, value trimmed', async () => {
    const ref = await group(MANAGER, `?UserID=${MAIN}`);
    for (const target of [`/v1/groups/phonechat/madebookings?userid=${MAIN}`, `/V1/GROUPS/PHONECHAT/MADEBOOKINGS/?USERID=%20${MAIN}+`]) {
      const res = await request(env.port, target, { token: env.tokens[MANAGER] });
      assert.equal(res.status, 200, `${target}: ${res.describe()}`);
      assert.equal(res.text, ref.text);
    }
  });
  test('a known user in no group, with no bookings: the same 403 as an unknown user', async () => {
    expect403(await group(MANAGER, `?UserID=${EMPTY}`), /not a member/i);
    assert.equal((await group(MANAGER, `?UserID=${EMPTY}`)).text, (await group(MANAGER, `?UserID=${UNKNOWN_USER}`)).text);
  });
});

describe('audit log', () => {
  test('each attempt that reaches the membership check appends one row', async () => {
    const before0 = auditCount();
    await group(MANAGER, `?UserID=${MAIN}`); // allowed
    assert.equal(auditCount(), before0 + 1);
    let row = JSON.stringify(Object.values(lastAudit()));
    assert.ok(row.includes(String(MANAGER)) && row.includes(String(MAIN)), `the row names manager and member: ${row}`);
    await group(MANAGER, `?UserID=${UNKNOWN_USER}`); // denied: not a member
    assert.equal(auditCount(), before0 + 2);
    row = JSON.stringify(Object.values(lastAudit()));
    assert.ok(row.includes(String(UNKNOWN_USER)), `the denied attempt names the requested user: ${row}`);
    await group(LONER, `?UserID=${MAIN}`); // denied: not a manager
    assert.equal(auditCount(), before0 + 3);
    row = JSON.stringify(Object.values(lastAudit()));
    assert.ok(row.includes(String(LONER)), `the row names the caller: ${row}`);
    await group(MANAGER, `?UserID=${OTHER_MEMBER}`, 'application/xml'); // denied
    assert.equal(auditCount(), before0 + 4);
  });
  test('allowed and denied outcomes are told apart', async () => {
    await group(MANAGER, `?UserID=${MAIN}`);
    const allowed = lastAudit();
    await group(MANAGER, `?UserID=${OTHER_MEMBER}`);
    const denied = lastAudit();
    const strip = (r) => Object.fromEntries(Object.entries(r).filter(([k]) => !/^(id|rowid|at|time|created|timestamp|when|member.*)$/i.test(k) && !/time|date|_at$|^at$/i.test(k)));
    assert.notDeepStrictEqual(strip(allowed), strip(denied), `rows differ beyond time and member: ${JSON.stringify([allowed, denied])}`);
  });
  test('nothing is written for requests stopped before the membership check', async () => {
    const before0 = auditCount();
    await request(env.port, `${GROUP_ROUTE}?UserID=${MAIN}`); // 401
    await request(env.port, `${GROUP_ROUTE}?UserID=${MAIN}`, { token: 'bogus' }); // 401
    const noScope = await mintToken(env.db, { user: MANAGER, clientId: PROJECT_A.ClientID, scope: 'other' });
    assert.equal((await request(env.port, `${GROUP_ROUTE}?UserID=${MAIN}`, { token: noScope })).status, 403); // scope
    assert.equal((await group(MANAGER, '?UserID=abc')).status, 400);
    assert.equal((await group(MANAGER, '')).status, 400);
    assert.equal((await group(MANAGER, `?UserID=${MAIN}&BookingsPerPage=0`)).status, 400);
    await request(env.port, `${ROUTE}?UserID=${MAIN}`, { token: env.tokens[MANAGER] }); // the plain route never audits
    assert.equal(auditCount(), before0);
  });
});
