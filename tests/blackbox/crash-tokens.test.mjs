// Crash safety of the Unified Login's token endpoint (docs/api.md, "Unified Login"): clients run the real protocol
// over keep-alive connections (authorize with a login session, code exchange with PKCE, refresh-token rotations, RFC
// 7009 revocations of access and refresh tokens) and the server is killed with SIGKILL at a random moment, twice.
// After each kill, on the database as the crash left it: SQLite's `PRAGMA integrity_check` is `ok`, and no token
// family is half written. "No half", from the rules of docs/api.md:
// - an access token and its refresh token are issued together (code exchange, rotation): every family holds as many
//   access tokens as refresh tokens;
// - a rotation marks its token rotated and stores the successor pair at once: a live family has exactly one refresh
//   token that is not rotated;
// - revoking a refresh token revokes its whole family at once: a revoked family has no live token, a live family no
//   revoked refresh token.
// A code exchange is two steps (the code is redeemed, then the tokens are issued): a kill between them leaves the code
// consumed with no token issued. That is not half kept: nothing usable exists and the code is single-use all the same
// (docs/api.md: a code presented again is consumed), so the client authorizes again.
// Then, through a restarted server on the same database: every access token answered 200 works on the API unless an
// answered revocation revoked it (then 401); one whose fate hung on the request the kill cut off answers as the
// database holds it; an answered code not yet exchanged still exchanges; the newest answered refresh token of a live
// family rotates; one rotated with an answer is refused (invalid_grant); an answered revocation holds. A rotation the
// kill cut off either happened (the old token is refused and a live successor exists) or did not (the old one
// rotates), never anything else.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { BACKEND, Conn, PEER, newDb, requestBytes, startServer } from './harness.mjs';
import { assertNoHalfFamilies, quiesceDb, sha256Hex, sqliteIntegrity, tokenState, yes } from './fixture.mjs';
import {
  Agent, PHONECHAT_SCOPE, api, authorize, authorizeUrl, createProject, describeToken, importUsers, pkcePair,
  randomState, redirectParams, tokenRequest,
} from '../oauth/oauth-harness.mjs';

const USERS = [1, 2, 3, 4].map((i) => ({ id: 4100 + i, nickname: `CrashUser${i}`, password: `Crash-pass-${i}-4100!` }));
const REDIRECT = 'http://127.0.0.1:9/crash';
const WORKERS = 12; // three per user, each on its own keep-alive connection
const ROUNDS = 2;

const form = (fields) => new URLSearchParams(Object.entries(fields)).toString();

// One client's chain of requests: authorize, exchange, rotations, maybe a revocation; then another authorization.
class Chain {
  constructor(user) {
    this.user = user;
    this.pkce = pkcePair();
    this.code = null; // the answered code
    this.exchanged = false;
    this.access = []; // answered access tokens, oldest first
    this.refresh = []; // answered refresh tokens, oldest first (each but the last rotated with an answer)
    this.revoked = null; // an answered revocation: 'refresh' (the family) or 'access' (the last access token)
    this.pending = null; // the request the kill cut off: { kind, token }
  }
}

async function send(conn, bytes, onSent) {
  if (!(await conn.write(bytes))) return null;
  onSent();
  try {
    return await conn.readResponse({ timeoutMs: 20000 });
  } catch {
    conn.destroy();
    return null;
  }
}

// Runs WORKERS clients until the server dies; kills it with SIGKILL once `killAfter` answers have come and the next
// request is sent. Returns every chain.
async function trafficUntilKilled(srv, project, sessions, killAfter) {
  const chains = [];
  let answers = 0;
  let killed = false;
  const kill = () => {
    if (killed) return;
    killed = true;
    srv.proc.kill('SIGKILL');
  };
  const onSent = () => { if (answers >= killAfter) kill(); };
  const post = (path, fields) => requestBytes('POST', path, { 'Content-Type': 'application/x-www-form-urlencoded' }, form(fields));
  await Promise.all(Array.from({ length: WORKERS }, async (_, w) => {
    const user = USERS[w % USERS.length];
    let conn;
    try {
      conn = await Conn.open(srv.port);
    } catch {
      return;
    }
    try {
      // One step of a chain: the answer, or null (then the chain's pending request is set and the worker stops).
      const step = async (chain, kind, token, bytes) => {
        const res = await send(conn, bytes, onSent);
        if (!res) {
          chain.pending = { kind, token };
          return null;
        }
        answers++;
        return res;
      };
      while (!killed) {
        const chain = new Chain(user);
        chains.push(chain);
        const target = new URL(authorizeUrl('http://x', { response_type: 'code', client_id: project.clientId, redirect_uri: REDIRECT,
          scope: PHONECHAT_SCOPE, state: randomState(), code_challenge: chain.pkce.challenge, code_challenge_method: 'S256' }));
        let res = await step(chain, 'authorize', null, requestBytes('GET', target.pathname + target.search, { Cookie: sessions.get(user.id) }));
        if (!res) return;
        assert.ok(res.status === 302 || res.status === 303, `authorize: ${res.describe()}`);
        chain.code = redirectParams(res.headers.location).get('code');
        assert.ok(chain.code, `authorize: a code in ${res.headers.location}`);
        if (Math.random() < 0.15) continue; // a spare code, exchanged only after the restart
        res = await step(chain, 'exchange', chain.code, post('/OAuth/token', { grant_type: 'authorization_code', code: chain.code,
          client_id: project.clientId, code_verifier: chain.pkce.verifier, redirect_uri: REDIRECT }));
        if (!res) return;
        assert.equal(res.status, 200, `exchange: ${res.describe()}`);
        chain.exchanged = true;
        chain.access.push(res.json().access_token);
        chain.refresh.push(res.json().refresh_token);
        for (let n = Math.floor(Math.random() * 4); n > 0; n--) {
          res = await step(chain, 'rotate', chain.refresh.at(-1), post('/OAuth/token', { grant_type: 'refresh_token',
            refresh_token: chain.refresh.at(-1), client_id: project.clientId }));
          if (!res) return;
          assert.equal(res.status, 200, `rotation: ${res.describe()}`);
          chain.access.push(res.json().access_token);
          chain.refresh.push(res.json().refresh_token);
        }
        const ending = Math.random();
        if (ending < 0.5) continue; // the family stays live
        const kind = ending < 0.75 ? 'refresh' : 'access';
        const token = kind === 'refresh' ? chain.refresh.at(-1) : chain.access.at(-1);
        res = await step(chain, `revoke-${kind}`, token, post('/OAuth/revoke', { token, token_type_hint: `${kind}_token`,
          client_id: project.clientId }));
        if (!res) return;
        assert.equal(res.status, 200, `revocation: ${res.describe()}`);
        chain.revoked = kind;
      }
    } finally {
      conn.destroy();
    }
  }));
  kill(); // every worker ended without the kill (it cannot: they loop until it) or the count was never reached
  const { signal } = await srv.exited;
  assert.equal(signal, 'SIGKILL', `the server died of the kill: ${srv.stderr()}`);
  return chains;
}

const apiStatus = async (base, token) => (await api(base, '/v1/PhoneChat/MadeBookings', token)).status;

// Checks one round's chains through the restarted server at `base`; `state` is the database before the restart.
// Returns counts for the diagnostic.
async function checkChains(base, project, chains, state, label) {
  const counts = { access: 0, spareCodes: 0, rotated: 0, refused: 0, revocations: 0, cutOff: 0, cutRotationsKept: 0, cutExchangesKept: 0 };
  const refreshRequest = (token) => tokenRequest(base, { grant_type: 'refresh_token', refresh_token: token, client_id: project.clientId });
  // Access tokens first: the refresh checks below revoke families (a replay), and must not change what these see.
  for (const chain of chains) {
    if (chain.pending) counts.cutOff++;
    const pending = chain.pending?.kind;
    for (const [i, token] of chain.access.entries()) {
      const row = state.access.get(sha256Hex(token));
      assert.ok(row, `${label}: an answered access token is stored`);
      const stored = !yes(row.revoked) && !yes(state.families.get(row.family_id).revoked);
      const last = i === chain.access.length - 1;
      let expected = !(chain.revoked === 'refresh' || (chain.revoked === 'access' && last));
      if (pending === 'revoke-refresh' || (pending === 'revoke-access' && last)) expected = stored; // either, as stored
      assert.equal(stored, expected, `${label}: access token ${i + 1} of ${chain.access.length} (revoked: ${chain.revoked}, cut off: ${pending})`);
      assert.equal(await apiStatus(base, token), expected ? 200 : 401, `${label}: the API and the database agree on an access token`);
      counts.access++;
    }
  }
  for (const chain of chains) {
    const pending = chain.pending?.kind;
    if (!chain.exchanged) {
      if (!chain.code) continue; // the kill cut off the authorize request
      // An answered code: never exchanged (a spare), or exchanged by the request the kill cut off.
      const code = state.codes.get(sha256Hex(chain.code));
      assert.ok(code, `${label}: an answered code is stored`);
      assert.ok(pending === 'exchange' || !yes(code.used), `${label}: a spare code is unused`);
      const r = await tokenRequest(base, { grant_type: 'authorization_code', code: chain.code, client_id: project.clientId,
        code_verifier: chain.pkce.verifier, redirect_uri: REDIRECT });
      if (yes(code.used)) {
        assert.equal(r.status, 400, `${label}: a code the cut-off exchange redeemed is consumed: ${describeToken(r)}`);
        assert.equal(r.json?.error, 'invalid_grant');
        counts.cutExchangesKept++;
      } else {
        assert.equal(r.status, 200, `${label}: an answered code still exchanges after the restart: ${describeToken(r)}`);
        assert.equal(await apiStatus(base, r.json.access_token), 200, `${label}: its access token works`);
        counts.spareCodes++;
      }
      continue;
    }
    const newest = chain.refresh.at(-1);
    const newestRow = state.refresh.get(sha256Hex(newest));
    assert.ok(newestRow, `${label}: an answered refresh token is stored`);
    const familyRevoked = yes(state.families.get(newestRow.family_id).revoked);
    if (chain.revoked === 'refresh' || (pending === 'revoke-refresh' && familyRevoked)) {
      assert.ok(familyRevoked, `${label}: an answered revocation of a refresh token revoked its family`);
      const r = await refreshRequest(newest);
      assert.equal(r.status, 400, `${label}: a revoked refresh token is refused: ${describeToken(r)}`);
      assert.equal(r.json?.error, 'invalid_grant');
      counts.revocations++;
      continue;
    }
    assert.ok(!familyRevoked, `${label}: no answered or cut-off revocation of the family, yet it is revoked`);
    if (pending === 'rotate' && yes(newestRow.rotated)) {
      // The cut-off rotation happened: its successor pair is stored, live, and the old token is now a replay.
      const successors = [...state.refresh.values()].filter((r) => r.family_id === newestRow.family_id && !yes(r.rotated));
      assert.equal(successors.length, 1, `${label}: a rotation that happened stored one successor`);
      const r = await refreshRequest(newest);
      assert.equal(r.status, 400, `${label}: the token a cut-off rotation rotated is refused: ${describeToken(r)}`);
      assert.equal(r.json?.error, 'invalid_grant');
      counts.refused++;
      counts.cutRotationsKept++;
      continue;
    }
    assert.ok(!yes(newestRow.rotated), `${label}: the newest answered refresh token is not rotated (cut off: ${pending})`);
    const next = await refreshRequest(newest);
    assert.equal(next.status, 200, `${label}: the newest answered refresh token rotates after the restart: ${describeToken(next)}`);
    assert.equal(await apiStatus(base, next.json.access_token), 200, `${label}: its successor's access token works`);
    counts.rotated++;
    if (chain.refresh.length >= 2) {
      const old = await refreshRequest(chain.refresh.at(-2));
      assert.equal(old.status, 400, `${label}: a refresh token rotated with an answer is refused: ${describeToken(old)}`);
      assert.equal(old.json?.error, 'invalid_grant');
      assert.equal(await apiStatus(base, next.json.access_token), 401, `${label}: and its replay revoked the family`);
      counts.refused++;
    }
  }
  return counts;
}

describe(`kill -9 while tokens are issued, rotated and revoked on ${BACKEND}`, { skip: PEER && 'reads the token tables' }, () => {
  let srv;
  after(async () => { if (srv) await srv.stop(); });

  test(`${ROUNDS} kills at random moments: every answered token as answered, no family half written`, async (t) => {
    const db = newDb();
    await importUsers(db, USERS);
    const project = await createProject(db, { name: 'Crash App', owner: USERS[0].id, redirectUris: [REDIRECT], isPublic: true });
    srv = await startServer(db);
    // One login session per user (and the consent), through the pages; the sessions outlive the restarts.
    const sessions = new Map();
    for (const user of USERS) {
      const agent = new Agent(`http://127.0.0.1:${srv.port}`);
      const { challenge } = pkcePair();
      await authorize(agent, { response_type: 'code', client_id: project.clientId, redirect_uri: REDIRECT, scope: PHONECHAT_SCOPE,
        state: randomState(), code_challenge: challenge, code_challenge_method: 'S256' }, user);
      sessions.set(user.id, agent.jar.header());
    }
    for (let round = 1; round <= ROUNDS; round++) {
      const killAfter = 20 + Math.floor(Math.random() * 100);
      const label = `round ${round} (kill after ${killAfter} answers)`;
      const chains = await trafficUntilKilled(srv, project, sessions, killAfter);
      await quiesceDb(db);
      if (!db.pg) assert.equal(sqliteIntegrity(db), 'ok', `${label}: PRAGMA integrity_check`);
      const state = tokenState(db);
      const families = assertNoHalfFamilies(state, label);
      const cut = chains.filter((c) => c.pending).map((c) => c.pending.kind);
      t.diagnostic(`${label}: ${chains.length} chains, ${families} families in the database; cut off: ${cut.join(', ')}`);
      assert.ok(cut.length > 0, `${label}: the kill cut off requests in flight`);

      srv = await startServer(db);
      const counts = await checkChains(`http://127.0.0.1:${srv.port}`, project, chains, state, label);
      t.diagnostic(`${label}: after the restart ${JSON.stringify(counts)}`);
    }
  });
});
