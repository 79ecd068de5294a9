// Mints access tokens for the benchmark's clients as the `token` command of each server would, but as one SQL
// transaction per database (fast for thousands of clients): a 256-bit random base64url token, stored only as its
// SHA-256 -- the raw 32 bytes in the product's `tokens` table, lower-case hex text in the peer's -- with the user,
// the project of the client id, the scope and the expiry (Unix seconds in the product, milliseconds in the peer).
//   node tokens.mjs CLIENTS PREFIX CLIENT_ID SCOPE EXPIRES_IN_SECONDS
// CLIENTS holds USER_ID<TAB>LISTED_BOOKINGS lines, or is "unknown:N" for N tokens stored nowhere (the 401 case).
// Writes PREFIX.tsv (TOKEN<TAB>USER_ID<TAB>LISTED, the format of bench/wrk/bookings.lua), and for known clients
// PREFIX.product.sql and PREFIX.peer.sql.
import crypto from 'node:crypto';
import fs from 'node:fs';

const [clientsArg, prefix, clientId, scope, expiresIn] = process.argv.slice(2);
if (!expiresIn || !/^\d+$/.test(expiresIn)) {
  console.error('usage: node tokens.mjs CLIENTS|unknown:N PREFIX CLIENT_ID SCOPE EXPIRES_IN_SECONDS');
  process.exit(2);
}

const newToken = () => crypto.randomBytes(32).toString('base64url');
const sha256 = (text) => crypto.createHash('sha256').update(text).digest('hex');
const sqlText = (text) => `'${text.replaceAll("'", "''")}'`;

const unknown = /^unknown:(\d+)$/.exec(clientsArg);
if (unknown) {
  const lines = Array.from({ length: Number(unknown[1]) }, () => `${newToken()}\t\t`);
  fs.writeFileSync(`${prefix}.tsv`, lines.join('\n') + '\n');
  process.exit(0);
}

const clients = fs.readFileSync(clientsArg, 'utf8').split('\n').filter(Boolean).map((line) => line.split('\t'));
const expiresAt = Math.floor(Date.now() / 1000) + Number(expiresIn);
const project = `(SELECT project_id FROM projects WHERE client_id = ${sqlText(clientId)})`;
const insert = 'INSERT INTO tokens (token_hash, user_id, project_id, scopes, expires_at) VALUES ';

const pool = [];
const product = ['BEGIN;'];
const peer = ['BEGIN;'];
for (const [user, listed] of clients) {
  if (!/^\d+$/.test(user)) throw new Error(`bad user id ${JSON.stringify(user)} in ${clientsArg}`);
  const token = newToken();
  const hash = sha256(token);
  pool.push(`${token}\t${user}\t${listed ?? ''}`);
  product.push(`${insert}(X'${hash}', ${user}, ${project}, ${sqlText(scope)}, ${expiresAt});`);
  peer.push(`${insert}(${sqlText(hash)}, ${user}, ${project}, ${sqlText(scope)}, ${expiresAt * 1000});`);
}
product.push('COMMIT;');
peer.push('COMMIT;');
fs.writeFileSync(`${prefix}.tsv`, pool.join('\n') + '\n');
fs.writeFileSync(`${prefix}.product.sql`, product.join('\n') + '\n');
fs.writeFileSync(`${prefix}.peer.sql`, peer.join('\n') + '\n');
