// A real OAuth 2.0 client library (oauth4webapi) against the running server: discovery from the RFC 8414
// metadata, an authorization URL with PKCE S256, the login and consent done with form posts, then the library's
// own code exchange, refreshes and revocation. The library must accept the server's responses unchanged.
import assert from 'node:assert/strict';
import { webcrypto } from 'node:crypto';
import { after, before, test } from 'node:test';
import * as oauth from 'oauth4webapi';
import {
  Agent, PHONECHAT_SCOPE, api, assertServersLeakedNothing, authorizeAt, bookingsStatus, createProject, importUsers,
  newDb, secrets, startOAuthServer,
} from './oauth-harness.mjs';

// The library calls the global Web Crypto, which Node 18 (Debian 12's) exposes only under a flag.
globalThis.crypto ??= webcrypto;

const T = { timeout: 60000 };
const INSECURE = { [oauth.allowInsecureRequests]: true }; // the test server speaks plain HTTP on 127.0.0.1
const REDIRECT = 'http://127.0.0.1:9/library/cb';
const user = { id: 4001, nickname: 'LibraryUser', password: 'Library-pass-4001!' };

let db;
let srv;
let as; // the authorization server metadata, as the library processed it
let confidential;
let publicProject;
const tokens = {};

// Runs fn and returns the error it throws (fails when it does not throw).
async function rejection(fn, what) {
  try {
    await fn();
  } catch (e) {
    return e;
  }
  assert.fail(`${what}: the library accepted the response, an error was expected`);
}

// Authorization URL built with the library's helpers from the discovered metadata; login and consent by form.
async function authorizeWithLibrary(client, { pkce = true, scope = PHONECHAT_SCOPE } = {}) {
  const verifier = oauth.generateRandomCodeVerifier();
  secrets.add('PKCE verifier', verifier);
  const state = oauth.generateRandomState();
  const url = new URL(as.authorization_endpoint);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('client_id', client.client_id);
  url.searchParams.set('redirect_uri', REDIRECT);
  url.searchParams.set('scope', scope);
  url.searchParams.set('state', state);
  if (pkce) {
    url.searchParams.set('code_challenge', await oauth.calculatePKCECodeChallenge(verifier));
    url.searchParams.set('code_challenge_method', 'S256');
  }
  const agent = new Agent(srv.base);
  const landed = await authorizeAt(agent, url.href, REDIRECT, user);
  const params = oauth.validateAuthResponse(as, client, new URL(landed.location), state);
  return { params, verifier };
}

before(async () => {
  db = newDb();
  await importUsers(db, [user]);
  confidential = await createProject(db, { name: 'Library App', owner: user.id, redirectUris: [REDIRECT] });
  publicProject = await createProject(db, { name: 'Library SPA', owner: user.id, redirectUris: [REDIRECT], isPublic: true });
  srv = await startOAuthServer(db);
});

after(async () => {
  if (srv) await srv.stop();
});

test('discovery: the library processes /.well-known/oauth-authorization-server for the issuer', T, async () => {
  const issuer = new URL(srv.base);
  const response = await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...INSECURE });
  as = await oauth.processDiscoveryResponse(issuer, response);
  assert.equal(new URL(as.issuer).href, issuer.href);
  assert.ok(as.authorization_endpoint && as.token_endpoint, JSON.stringify(as));
  assert.ok(as.code_challenge_methods_supported?.includes('S256'), 'S256 advertised, so the library may rely on PKCE');
  assert.ok(as.revocation_endpoint, 'revocation endpoint advertised');
});

test('authorization code with PKCE S256 and client_secret_basic: the library accepts the token response', T, async () => {
  const client = { client_id: confidential.clientId };
  const { params, verifier } = await authorizeWithLibrary(client);
  secrets.add('authorization code', params.get('code'));
  const response = await oauth.authorizationCodeGrantRequest(as, client, oauth.ClientSecretBasic(confidential.clientSecret), params,
    REDIRECT, verifier, INSECURE);
  const result = await oauth.processAuthorizationCodeResponse(as, client, response);
  secrets.add('access token', result.access_token);
  secrets.add('refresh token', result.refresh_token);
  assert.equal(result.token_type, 'bearer');
  assert.equal(result.expires_in, 1200);
  assert.equal(typeof result.refresh_token, 'string');
  assert.equal(result.scope, PHONECHAT_SCOPE);
  assert.equal(await bookingsStatus(srv.base, result.access_token), 200);
  const me = await api(srv.base, '/v1/Account/VerifyCredentials', result.access_token);
  assert.equal(me.json?.UserID, user.id, me.text);
  tokens.first = result;
});

test('two refreshes through the library rotate the refresh token; each access token works', T, async () => {
  const client = { client_id: confidential.clientId };
  const auth = oauth.ClientSecretBasic(confidential.clientSecret);
  let current = tokens.first;
  const seenRefresh = [current.refresh_token];
  for (let i = 1; i <= 2; i++) {
    const response = await oauth.refreshTokenGrantRequest(as, client, auth, current.refresh_token, INSECURE);
    const next = await oauth.processRefreshTokenResponse(as, client, response);
    secrets.add('access token', next.access_token);
    secrets.add('refresh token', next.refresh_token);
    assert.equal(next.token_type, 'bearer', `refresh ${i}`);
    assert.equal(next.expires_in, 1200, `refresh ${i}`);
    assert.ok(next.refresh_token && !seenRefresh.includes(next.refresh_token), `refresh ${i} returns a new refresh token`);
    assert.equal(await bookingsStatus(srv.base, next.access_token), 200, `access token of refresh ${i}`);
    seenRefresh.push(next.refresh_token);
    current = next;
  }
  tokens.latest = current;
});

test('the library sees invalid_grant when a rotated refresh token is replayed, and the family is revoked', T, async () => {
  const client = { client_id: confidential.clientId };
  const auth = oauth.ClientSecretBasic(confidential.clientSecret);
  const response = await oauth.refreshTokenGrantRequest(as, client, auth, tokens.first.refresh_token, INSECURE);
  const e = await rejection(() => oauth.processRefreshTokenResponse(as, client, response), 'replayed refresh token');
  assert.ok(e instanceof oauth.ResponseBodyError, `a ResponseBodyError, got ${e}`);
  assert.equal(e.error, 'invalid_grant');
  assert.equal(e.status, 400);
  assert.equal(await bookingsStatus(srv.base, tokens.latest.access_token), 401, 'the live access token of the family stops working');
});

test('client_secret_post through the library, then revocation of the refresh token (RFC 7009)', T, async () => {
  const client = { client_id: confidential.clientId };
  const auth = oauth.ClientSecretPost(confidential.clientSecret);
  const { params, verifier } = await authorizeWithLibrary(client);
  secrets.add('authorization code', params.get('code'));
  const result = await oauth.processAuthorizationCodeResponse(as, client,
    await oauth.authorizationCodeGrantRequest(as, client, auth, params, REDIRECT, verifier, INSECURE));
  secrets.add('access token', result.access_token);
  secrets.add('refresh token', result.refresh_token);
  await oauth.processRevocationResponse(await oauth.revocationRequest(as, client, auth, result.refresh_token, INSECURE));
  const response = await oauth.refreshTokenGrantRequest(as, client, auth, result.refresh_token, INSECURE);
  const e = await rejection(() => oauth.processRefreshTokenResponse(as, client, response), 'revoked refresh token');
  assert.ok(e instanceof oauth.ResponseBodyError, `${e}`);
  assert.equal(e.error, 'invalid_grant');
  await oauth.processRevocationResponse(await oauth.revocationRequest(as, client, auth, 'unknown-token-value-0000000000', INSECURE));
});

test('public client (auth method none) with PKCE through the library', T, async () => {
  const client = { client_id: publicProject.clientId, token_endpoint_auth_method: 'none' };
  const { params, verifier } = await authorizeWithLibrary(client);
  secrets.add('authorization code', params.get('code'));
  const result = await oauth.processAuthorizationCodeResponse(as, client,
    await oauth.authorizationCodeGrantRequest(as, client, oauth.None(), params, REDIRECT, verifier, INSECURE));
  secrets.add('access token', result.access_token);
  if (result.refresh_token) secrets.add('refresh token', result.refresh_token);
  assert.equal(result.token_type, 'bearer');
  assert.equal(await bookingsStatus(srv.base, result.access_token), 200);
});

test('a wrong client secret with Basic: the library reports the 401 Basic challenge', T, async () => {
  const client = { client_id: confidential.clientId };
  const { params, verifier } = await authorizeWithLibrary(client);
  secrets.add('authorization code', params.get('code'));
  const response = await oauth.authorizationCodeGrantRequest(as, client, oauth.ClientSecretBasic('wrong-secret-value'), params,
    REDIRECT, verifier, INSECURE);
  const e = await rejection(() => oauth.processAuthorizationCodeResponse(as, client, response), 'wrong client secret');
  assert.ok(e instanceof oauth.WWWAuthenticateChallengeError, `the 401 carries WWW-Authenticate (got ${e?.name}: ${e?.message})`);
  assert.equal(e.status, 401);
  assert.equal(e.cause[0]?.scheme, 'basic', JSON.stringify(e.cause));
});

test('server output holds none of the secrets the library handled', T, async () => {
  const { problems } = await assertServersLeakedNothing();
  assert.deepEqual(problems, []);
});
