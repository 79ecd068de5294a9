// The soak's fixed cast, chosen from a data set of `phonechat-api generate --lifecycle` (bench/soak.sh):
//   node soak-data.mjs GENERATED.jsonl OUT_DIR LIST_CLIENTS
// Writes into OUT_DIR:
//   extra.jsonl     records to import after the generated ones: LOGIN_USERS users with passwords (the logins of
//                   the Unified Login), a group manager and a group of GROUP_MEMBERS of the list clients;
//   clients.tsv     USER_ID<TAB>BOOKINGS of the list clients (every one has credits to pay for its writes),
//   candidates.tsv  USER_ID<TAB>RECEIVED of the candidates the writes book (offering PhoneChat, not DirectChat only,
//                   at a price the writes' offer covers),
//   manager.tsv     the group manager's USER_ID,
//   cast.json       the same, plus the group's members, clients outside it and the login users, for soak.mjs.
// The choice is deterministic: the same data set gives the same cast.
import fs from 'node:fs';
import path from 'node:path';

const LOGIN_USERS = 4;
const GROUP_MEMBERS = 8;
const OUTSIDERS = 4;
const CANDIDATES = 8;
const MANAGER_ID = 900100;
const FIRST_LOGIN_ID = 900001;
const GROUP_ID = 900;
// What each write offers: a Method 1 booking of DURATION minutes for OFFER credits (at least price x duration).
const DURATION = 15;
const OFFER = 100;
// Enough for every write in flight at once (64 connections) to be Confirmed before it is Cancelled and refunded.
const MIN_CREDITS = 64 * OFFER;

const [generated, outDir, listClientsArg] = process.argv.slice(2);
const listClients = Number(listClientsArg);
if (!generated || !outDir || !Number.isInteger(listClients) || listClients < GROUP_MEMBERS + OUTSIDERS) {
  console.error(`usage: node soak-data.mjs GENERATED.jsonl OUT_DIR LIST_CLIENTS (at least ${GROUP_MEMBERS + OUTSIDERS})`);
  process.exit(2);
}

const users = new Map();
const credits = new Map();
const made = new Map();
const received = new Map();
for (const line of fs.readFileSync(generated, 'utf8').split('\n')) {
  if (!line) continue;
  const record = JSON.parse(line);
  if (record.Kind === 'User') users.set(record.UserID, record);
  if (record.Kind === 'Credit') credits.set(record.UserID, (credits.get(record.UserID) ?? 0) + Number(record.Amount));
  if (record.Kind === 'Booking') {
    made.set(record.ClientUserID, (made.get(record.ClientUserID) ?? 0) + 1);
    received.set(record.CandidateUserID, (received.get(record.CandidateUserID) ?? 0) + 1);
  }
}

const byId = (a, b) => a - b;
const clients = [...made.keys()]
  .filter((id) => (credits.get(id) ?? 0) >= MIN_CREDITS && !users.get(id)?.OffersPhoneChat)
  .sort(byId)
  .slice(0, listClients);
const candidates = [...users.values()]
  .filter((u) => u.OffersPhoneChat && !u.DirectChatOnly && !clients.includes(u.UserID) &&
    Number(u.PhoneChatPPM ?? 0) * DURATION <= OFFER)
  .map((u) => u.UserID)
  .sort(byId)
  .slice(0, CANDIDATES);
if (clients.length < listClients || candidates.length < CANDIDATES) {
  console.error(`soak-data.mjs: ${generated} has ${clients.length} clients with bookings and ${MIN_CREDITS} credits ` +
    `(${listClients} wanted) and ${candidates.length} candidates (${CANDIDATES} wanted): generate more users`);
  process.exit(1);
}
const members = clients.slice(0, GROUP_MEMBERS);
const outsiders = clients.slice(GROUP_MEMBERS, GROUP_MEMBERS + OUTSIDERS);
const logins = Array.from({ length: LOGIN_USERS }, (_, i) => ({
  id: FIRST_LOGIN_ID + i, login: `soaklogin${i + 1}`, password: `soak-password-${i + 1}`,
}));

const user = (id, nickname, password) => JSON.stringify({
  Kind: 'User', UserID: id, Nickname: nickname, ...(password ? { Password: password } : {}), EmailAddress: null,
  PhoneChatNumber: null, SkypeName: null, Positive: 0, Neutral: 0, Negative: 0, Disputes: 0,
});
const extra = [
  ...logins.map((l) => user(l.id, l.login, l.password)),
  user(MANAGER_ID, 'soakmanager'),
  JSON.stringify({ Kind: 'Group', GroupID: GROUP_ID, Name: 'Soak agency', ManagerUserID: MANAGER_ID,
    MemberUserIDs: members }),
];

fs.mkdirSync(outDir, { recursive: true });
const write = (name, lines) => fs.writeFileSync(path.join(outDir, name), lines.join('\n') + '\n');
write('extra.jsonl', extra);
write('clients.tsv', clients.map((id) => `${id}\t${made.get(id)}`));
write('candidates.tsv', candidates.map((id) => `${id}\t${received.get(id) ?? 0}`));
write('manager.tsv', [`${MANAGER_ID}\t0`]);
fs.writeFileSync(path.join(outDir, 'cast.json'), JSON.stringify({
  clients, candidates, members, outsiders, manager: MANAGER_ID, logins, duration: DURATION, offer: OFFER,
}) + '\n');
