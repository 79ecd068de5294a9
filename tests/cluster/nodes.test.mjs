// Several `serve` processes on one PostgreSQL database are correct together: what one node revokes, every node
// refuses from the very next request.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { importRecords, newDb, request, runCli, startServer } from '../blackbox/harness.mjs';
import {
  Agent, createProject, authorize, elementsByClass, formsIn, randomState, tokenRequest,
} from '../oauth/oauth-harness.mjs';

const SCOPE = 'account_phonechat_bookings';
const REDIRECT = 'http://127.0.0.1:9/cb';
const USER = { id: 41, nickname: 'NodeUser', password: 'Node-pass-41!' };
let db;
let project;
let nodes;

before(async () => {
  db = newDb();
  await importRecords(db, [
    { Kind: 'User', UserID: 40, Nickname: 'Owner' },
    { Kind: 'User', UserID: USER.id, Nickname: USER.nickname, Password: USER.password },
  ]);
  project = await createProject(db, { name: 'Two nodes', owner: 40, redirectUris: [REDIRECT] });
  nodes = [await startServer(db), await startServer(db)];
});
after(async () => {
  for (const node of nodes ?? []) await node.stop();
});

const status = async (node, token) => (await request(node.port, '/v1/PhoneChat/MadeBookings', { token })).status;

async function tokensThroughLogin(node) {
  const agent = new Agent(`http://127.0.0.1:${node.port}`);
  const params = { response_type: 'code', client_id: project.clientId, redirect_uri: REDIRECT, scope: SCOPE, state: randomState() };
  const a = await authorize(agent, params, { login: USER.nickname, nickname: USER.nickname, password: USER.password });
  const r = await tokenRequest(agent.base, { grant_type: 'authorization_code', code: a.params.get('code'),
    client_id: project.clientId, client_secret: project.clientSecret });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  return { agent, tokens: r.json };
}

test('a token revoked at one node (POST /OAuth/revoke) is refused by the other at its very next request', async () => {
  const token = (await runCli(['token', '--db', db.url, '--user', String(USER.id), '--client-id', project.clientId,
    '--scope', SCOPE])).stdout.trim();
  for (const node of nodes) assert.equal(await status(node, token), 200);
  const r = await tokenRequest(`http://127.0.0.1:${nodes[0].port}`, { token, client_id: project.clientId,
    client_secret: project.clientSecret }, { path: '/OAuth/revoke' });
  assert.equal(r.status, 200);
  assert.equal(await status(nodes[1], token), 401, 'node 2 refuses the revoked token at once');
});

test('a grant withdrawn on one node\'s grants page stops its tokens on the other at its very next request', async () => {
  const { agent, tokens } = await tokensThroughLogin(nodes[0]);
  assert.equal(await status(nodes[1], tokens.access_token), 200);
  const list = await agent.get('/OAuth/Grants');
  const grant = elementsByClass(list.text, 'li', 'grant').find((g) => g.attrs['data-client-id'] === project.clientId);
  assert.ok(grant, 'the grant is listed');
  const [form] = formsIn(grant.inner, list.url);
  const posted = await agent.post(form.action, [...form.hidden, ['action', 'revoke']]);
  assert.equal(posted.status, 303);
  assert.equal(await status(nodes[1], tokens.access_token), 401, 'node 2 refuses the token of the withdrawn grant at once');
  const refreshed = await tokenRequest(`http://127.0.0.1:${nodes[1].port}`, { grant_type: 'refresh_token',
    refresh_token: tokens.refresh_token, client_id: project.clientId, client_secret: project.clientSecret });
  assert.equal(refreshed.status, 400, 'the refresh token is dead on the other node too');
});

test('a code is single-use across nodes: redeemed at one node, refused at the other', async () => {
  const agent = new Agent(`http://127.0.0.1:${nodes[0].port}`);
  const params = { response_type: 'code', client_id: project.clientId, redirect_uri: REDIRECT, scope: SCOPE, state: randomState() };
  const a = await authorize(agent, params, { login: USER.nickname, nickname: USER.nickname, password: USER.password });
  const code = a.params.get('code');
  const fields = { grant_type: 'authorization_code', code, client_id: project.clientId, client_secret: project.clientSecret };
  const [first, second] = await Promise.all(nodes.map((node) => tokenRequest(`http://127.0.0.1:${node.port}`, fields)));
  assert.deepEqual([first.status, second.status].sort(), [200, 400], `one node redeems, the other refuses: ${first.status} ${second.status}`);
});
