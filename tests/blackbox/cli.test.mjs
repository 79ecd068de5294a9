// The command line: help, unknown commands and options, token minting, imports that fail on a bad line
// and leave the database exactly as it was, secrets never stored in clear, a schema version from the future
// refused by every command, and a new SQLite database path.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import {
  CAN, PEER, SCOPE, copyDb, dbContains, dbDump, dbTables, importRecords, jsonl, mintToken, newDb, newSqliteDb, request,
  runCli, schemaVersion, setSchemaVersion, spawnServer, startServer, tempDir,
} from './harness.mjs';

const COMMANDS = ['import', 'token', 'serve', ...(CAN.revoke ? ['revoke'] : [])];
const firstLine = (s) => s.split('\n').find((l) => l.trim()) || '';

const user = (UserID, Nickname, extra = {}) => ({ Kind: 'User', UserID, Nickname, Password: null, EmailAddress: null,
  PhoneChatNumber: null, SkypeName: null, Positive: 1, Neutral: 2, Negative: 3, Disputes: 0, ...extra });
const booking = (BookingID, extra = {}) => ({ Kind: 'Booking', BookingID, ClientUserID: 10, CandidateUserID: 20, Duration: 15,
  Credits: '8', Status: 'Confirmed', Method: 2, PhoneNumber: null, SkypeName: null, CreateDate: '2023-05-01T10:00:00',
  SessionDate: '2023-05-03T21:30:00', AcceptBy: '2023-05-02T00:00:00', AcceptedDate: '2023-05-01T11:00:00',
  ConfirmedDate: '2023-05-01T12:00:00', CancelledDate: null, CancelledReason: null, CancelledBy: null, RejectedReason: null,
  LastUpdated: '2023-05-01T12:00:00', Comments: null, DeletedByClient: false, ...extra });
const BASE = [
  user(10, 'Client'), user(20, 'Candidate'), user(30, 'Owner'),
  { Kind: 'Project', Name: 'CLI app', OwnerUserID: 30, ApiKey: 'cli-key', ClientID: 'cli-app', ClientSecret: null,
    RedirectURIs: ['http://127.0.0.1:8765/cb'], ImplicitGrant: false },
  booking(1), booking(2), booking(3, { CreateDate: '2023-05-01T10:00:00.5' }),
];

// Everything the database holds, in a comparable form (tables and rows, whatever the tables are called).
const dump = (db) => dbDump(db);

describe('help and usage errors', () => {
  test('--help exits 0 and prints usage, for the program and each command', async () => {
    for (const args of [['--help'], ...COMMANDS.map((c) => [c, '--help'])]) {
      const r = await runCli(args, { timeoutMs: 15000 });
      assert.equal(r.code, 0, `${args.join(' ')}: exit ${r.code} ${r.stderr}`);
      assert.ok((r.stdout + r.stderr).trim().length > 0, `${args.join(' ')} prints something`);
    }
  });
  test('an unknown command: non-zero exit, a first line naming it', async () => {
    const r = await runCli(['frobnicate']);
    assert.notEqual(r.code, 0);
    assert.match(firstLine(r.stderr), /frobnicate/);
  });
  test('an unknown option on each command: non-zero exit, a first line naming it, no server left running', async () => {
    const db = newDb();
    await importRecords(db, BASE);
    // Otherwise complete command lines: the unknown option is the only thing wrong.
    const valid = {
      import: ['-'],
      token: ['--user', '10', '--client-id', 'cli-app', '--scope', SCOPE],
      serve: ['--listen', '127.0.0.1:0'],
      revoke: ['x'.repeat(43)],
    };
    for (const cmd of COMMANDS) {
      const r = await runCli([cmd, '--db', db.url, '--bogus-option', 'x', ...valid[cmd]], { input: '', timeoutMs: 15000 });
      assert.ok(r.code !== 0 && r.code !== null, `${cmd}: exit ${r.code} (signal ${r.signal})`);
      assert.match(firstLine(r.stderr), /bogus-option/, `${cmd}: ${r.stderr}`);
      assert.equal(r.stdout.trim(), '', `${cmd}: no token or other result printed`);
    }
  });
  test('token without --user or --client-id: non-zero exit', async () => {
    const db = newDb();
    await importRecords(db, BASE);
    for (const args of [['--client-id', 'cli-app', '--scope', SCOPE], ['--user', '10', '--scope', SCOPE]]) {
      const r = await runCli(['token', '--db', db.url, ...args]);
      assert.notEqual(r.code, 0, args.join(' '));
      assert.equal(r.stdout.trim(), '');
    }
  });
  test('serve refuses an unknown --zone and a malformed --now', async () => {
    const db = newDb();
    const bad = [['--zone', 'Mars/Olympus_Mons'], ...(CAN.now ? [['--now', '2024-13-45T99:00:00'], ['--now', 'yesterday']] : [])];
    for (const opt of bad) {
      const r = await runCli(['serve', '--db', db.url, '--listen', '127.0.0.1:0', ...opt], { timeoutMs: 15000 });
      assert.ok(r.code !== 0 && r.code !== null, `${opt.join(' ')}: exit ${r.code} signal ${r.signal}`);
      assert.ok(r.stderr.trim(), `${opt.join(' ')}: says why`);
    }
  });
  test('serve refuses a memory or pool setting out of its range, from a flag or the environment, naming it',
    { skip: PEER && 'the peer has no such settings' }, async () => {
      const db = newDb();
      const bad = [
        { args: ['--list-cache-mb', '0'], name: '--list-cache-mb' },
        { args: ['--list-cache-mb', String(2 ** 20 + 1)], name: '--list-cache-mb' },
        { args: ['--list-cache-mb', 'lots'], name: '--list-cache-mb' },
        { args: [], env: { PHONECHAT_LIST_CACHE_MB: '0' }, name: '--list-cache-mb' },
        { args: ['--db-pool-size', '0'], name: '--db-pool-size' },
        { args: ['--db-pool-wait', '-1'], name: '--db-pool-wait' },
      ];
      for (const { args, env, name } of bad) {
        const what = args.join(' ') || JSON.stringify(env);
        const r = await runCli(['serve', '--db', db.url, '--listen', '127.0.0.1:0', ...args], { env, timeoutMs: 15000 });
        assert.equal(r.code, 2, `${what}: exit ${r.code} signal ${r.signal}`);
        assert.ok(r.stderr.split('\n')[0].includes(name), `${what}: the first line names ${name}: ${r.stderr}`);
      }
    });
  test('serve on a wildcard address needs --issuer: one line naming the flag, exit 2; with it, it serves',
    { skip: PEER && 'the peer has no --issuer' }, async () => {
      const db = newDb();
      for (const listen of ['0.0.0.0:0', '[::]:0', '[0:0:0:0:0:0:0:0]:0']) {
        const r = await runCli(['serve', '--db', db.url, '--listen', listen], { timeoutMs: 15000 });
        assert.equal(r.code, 2, `${listen}: exit ${r.code} signal ${r.signal}: ${r.stderr}`);
        const lines = r.stderr.trim().split('\n');
        assert.equal(lines.length, 1, `${listen}: one line: ${r.stderr}`);
        assert.ok(lines[0].includes('--issuer'), `${listen}: names --issuer: ${r.stderr}`);
      }
      for (const issuer of ['not a url', 'ftp://x.example', 'https://user@x.example', 'https://x.example/?q=1']) {
        const r = await runCli(['serve', '--db', db.url, '--listen', '127.0.0.1:0', '--issuer', issuer], { timeoutMs: 15000 });
        assert.equal(r.code, 2, `${issuer}: exit ${r.code}: ${r.stderr}`);
        assert.ok(r.stderr.split('\n')[0].includes('--issuer'), `${issuer}: names --issuer: ${r.stderr}`);
      }
      const srv = await spawnServer(['serve', '--db', db.url, '--listen', '0.0.0.0:0', '--issuer', 'https://api.example.test']);
      try {
        const res = await request(srv.port, '/.well-known/oauth-authorization-server');
        assert.equal(res.status, 200, res.describe());
        assert.equal(res.json().issuer, 'https://api.example.test');
      } finally {
        await srv.stop();
      }
    });
  test('an unsupported database URL is refused by every command', async () => {
    for (const cmd of ['import', 'token', 'serve']) {
      const extra = { import: ['-'], token: ['--user', '10', '--client-id', 'x', '--scope', SCOPE], serve: ['--listen', '127.0.0.1:0'] }[cmd];
      const r = await runCli([cmd, '--db', 'mysql://nowhere/db', ...extra], { input: '', timeoutMs: 15000 });
      assert.ok(r.code !== 0 && r.code !== null, `${cmd}: exit ${r.code}`);
      assert.ok(r.stderr.trim(), `${cmd} says why`);
    }
  });
});

describe('token', () => {
  let db;
  before(async () => {
    db = newDb();
    await importRecords(db, BASE);
  });
  test('prints the token alone: base64url, at least 256 bits; two tokens differ', async () => {
    const r = await runCli(['token', '--db', db.url, '--user', '10', '--client-id', 'cli-app', '--scope', SCOPE]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^[A-Za-z0-9_-]{43,}\n?$/);
    const other = await mintToken(db, { user: 10, clientId: 'cli-app' });
    assert.notEqual(other, r.stdout.trim());
  });
  test('the database holds no token in clear', async () => {
    const t = await mintToken(db, { user: 10, clientId: 'cli-app' });
    assert.ok(!dbContains(db, t), 'token bytes not found in the database');
  });
  test('an unknown project (ClientID): non-zero exit, nothing on stdout', async () => {
    const r = await runCli(['token', '--db', db.url, '--user', '10', '--client-id', 'no-such-app', '--scope', SCOPE]);
    assert.notEqual(r.code, 0);
    assert.equal(r.stdout.trim(), '');
    assert.ok(r.stderr.trim(), 'says why');
  });
  test('a malformed --expires-in: non-zero exit', async () => {
    const r = await runCli(['token', '--db', db.url, '--user', '10', '--client-id', 'cli-app', '--scope', SCOPE, '--expires-in', 'soon']);
    assert.notEqual(r.code, 0);
    assert.equal(r.stdout.trim(), '');
  });
});

describe('import', () => {
  let dir;
  let db;
  let before0;
  before(async () => {
    dir = tempDir();
    db = newDb(dir);
    await importRecords(db, BASE);
    before0 = dump(db);
  });

  // Each file: good records first (they must be rolled back), the bad one at line `bad`.
  const good = [user(40, 'NewUser'), booking(50), booking(51, { CandidateUserID: 40 })];
  const badCases = {
    'not JSON': '{"Kind":"User","UserID":41,',
    'an unknown Kind': { Kind: 'Invoice', ID: 1 },
    'Credits with 5 fraction digits': booking(60, { Credits: '8.12345' }),
    'Credits negative': booking(60, { Credits: '-1' }),
    'Credits as a string with an exponent': booking(60, { Credits: '1e2' }),
    'Credits as text': booking(60, { Credits: 'eight' }),
    'AcceptBy before CreateDate': booking(60, { AcceptBy: '2023-04-30T00:00:00' }),
    'AcceptBy after SessionDate': booking(60, { AcceptBy: '2023-05-04T00:00:00' }),
    'an impossible date': booking(60, { CreateDate: '2023-02-29T10:00:00' }),
    'a date with an offset': booking(60, { CreateDate: '2023-05-01T10:00:00Z' }),
    'an unknown candidate': booking(60, { CandidateUserID: 999 }),
    'an unknown client': booking(60, { ClientUserID: 998 }),
    'a Status outside the enumeration': booking(60, { Status: 'Done' }),
    'Confirmed without ConfirmedDate': booking(60, { ConfirmedDate: null }),
    'Cancelled without CancelledDate': booking(60, { Status: 'Cancelled', CancelledBy: 'Client', CancelledDate: null }),
    'CancelledBy outside the enumeration': booking(60, { Status: 'Cancelled', CancelledBy: 'Nobody', CancelledDate: '2023-05-01T13:00:00' }),
    'Method 4': booking(60, { Method: 4 }),
    'BookingID 0': booking(0),
    'BookingID beyond 32 bits': booking(2147483648),
    'a nickname of 21 characters': user(41, 'x'.repeat(21)),
    'an empty nickname': user(41, ''),
    'a comment of 1001 characters': booking(60, { Comments: 'c'.repeat(1001) }),
    'an existing BookingID without --replace': booking(2),
    'an existing UserID without --replace': user(20, 'Renamed'),
    'a group whose manager does not exist': { Kind: 'Group', GroupID: 5, Name: 'G', ManagerUserID: 997, MemberUserIDs: [] },
    'a group member that does not exist': { Kind: 'Group', GroupID: 5, Name: 'G', ManagerUserID: 30, MemberUserIDs: [996] },
  };
  // A copy of the base database per case, so that one wrongly accepted line cannot disturb the next case.
  const copyOfBase = () => copyDb(db);
  for (const [name, rec] of Object.entries(badCases)) {
    test(`${name}: non-zero exit, "line 4: reason", database unchanged`, async () => {
      const target = copyOfBase();
      const file = path.join(dir, 'bad.jsonl');
      fs.writeFileSync(file, jsonl([...good, rec]));
      const r = await runCli(['import', '--db', target.url, file]);
      assert.notEqual(r.code, 0, `exit code; stderr: ${r.stderr}`);
      assert.match(r.stderr, /line 4: \S/, r.stderr);
      assert.deepStrictEqual(dump(target), before0, 'the database is exactly as before');
    });
  }
  test('the good lines of a failed import are not visible through the API either', async () => {
    const target = copyOfBase();
    const file = path.join(dir, 'bad-api.jsonl');
    fs.writeFileSync(file, jsonl([...good, booking(61, { Status: 'Done' })]));
    assert.notEqual((await runCli(['import', '--db', target.url, file])).code, 0);
    const token = await mintToken(target, { user: 10, clientId: 'cli-app' });
    const srv = await startServer(target);
    try {
      const res = await request(srv.port, '/v1/PhoneChat/MadeBookings', { token });
      assert.equal(res.status, 200, res.describe());
      assert.deepStrictEqual(res.json().Bookings.map((b) => b.BookingID).sort(), [1, 2, 3]);
    } finally {
      await srv.stop();
    }
  });
  test('the first bad line stops the import, even with good lines after it', async () => {
    const file = path.join(dir, 'bad2.jsonl');
    fs.writeFileSync(file, jsonl([user(42, 'A'), booking(60, { Status: 'Nope' }), user(43, 'B')]));
    const r = await runCli(['import', '--db', db.url, file]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /line 2: /);
    assert.deepStrictEqual(dump(db), before0);
  });
  test('a file that does not exist: non-zero exit, database unchanged', async () => {
    const r = await runCli(['import', '--db', db.url, path.join(dir, 'missing.jsonl')]);
    assert.notEqual(r.code, 0);
    assert.deepStrictEqual(dump(db), before0);
  });

  describe('successful imports', () => {
    let db2;
    before(async () => {
      db2 = newDb();
      await importRecords(db2, BASE);
    });
    const list = async () => {
      const token = await mintToken(db2, { user: 10, clientId: 'cli-app' });
      const srv = await startServer(db2);
      try {
        const res = await request(srv.port, '/v1/PhoneChat/MadeBookings?OrderBy=date-asc', { token });
        assert.equal(res.status, 200, res.describe());
        return res.json().Bookings;
      } finally {
        await srv.stop();
      }
    };
    test('from standard input with -', async () => {
      const r = await runCli(['import', '--db', db2.url, '-'], { input: jsonl([booking(70, { CreateDate: '2023-05-01T10:00:01' })]) });
      assert.equal(r.code, 0, r.stderr);
    });
    test('limits are counted in characters: a 20-character nickname and a 1000-character comment with multi-byte text', async () => {
      const nick = 'Ünïcødé🙂Nick🙂TwentyZ';
      assert.equal([...nick].length, 20);
      const comment = 'é'.repeat(989) + '🙂😀日本語ü\r\n<&>';
      assert.equal([...comment].length, 1000);
      const r = await runCli(['import', '--db', db2.url, '-'], {
        input: jsonl([user(21, nick), booking(71, { CandidateUserID: 21, Comments: comment, CreateDate: '2023-05-01T10:00:02' })]) });
      assert.equal(r.code, 0, r.stderr);
      const b = (await list()).find((x) => x.BookingID === 71);
      assert.equal(b.Candidate.Nickname, nick);
      assert.equal(b.Comments, comment);
    });
    test('--replace overwrites existing records; without it they are refused', async () => {
      const recs = [user(20, 'RenamedCandidate', { Positive: 9 }), booking(1, { Credits: '9.75', Comments: 'replaced' })];
      const refused = await runCli(['import', '--db', db2.url, '-'], { input: jsonl(recs) });
      assert.notEqual(refused.code, 0);
      const r = await runCli(['import', '--db', db2.url, '--replace', '-'], { input: jsonl(recs) });
      assert.equal(r.code, 0, r.stderr);
      const b = (await list()).find((x) => x.BookingID === 1);
      assert.equal(b.Candidate.Nickname, 'RenamedCandidate');
      assert.equal(b.Candidate.Positive, 9);
      assert.equal(b.Credits, 9.75);
      assert.equal(b.Comments, 'replaced');
    });
    test('passwords and client secrets are never stored in clear', async () => {
      const password = 'Pa55word-in-clear-XYZ';
      const secret = 'client-secret-in-clear-XYZ';
      await importRecords(db2, [user(22, 'HasPassword', { Password: password }),
        { Kind: 'Project', Name: 'Secret app', OwnerUserID: 22, ApiKey: 'secret-app-key', ClientID: 'secret-app', ClientSecret: secret,
          RedirectURIs: ['http://127.0.0.1:8765/cb'], ImplicitGrant: false }]);
      assert.ok(!dbContains(db2, password), 'no password in clear');
      assert.ok(!dbContains(db2, secret), 'no client secret in clear');
    });
  });
});

describe('schema version', () => {
  let db;
  before(async () => {
    db = newDb();
    await importRecords(db, BASE);
    setSchemaVersion(db, 999999);
  });
  test('a database from a newer version is refused by every command, naming the version', async () => {
    const token = 'x'.repeat(43);
    const argsFor = {
      import: ['-'],
      token: ['--user', '10', '--client-id', 'cli-app', '--scope', SCOPE],
      serve: ['--listen', '127.0.0.1:0'],
      revoke: [token],
    };
    for (const cmd of COMMANDS) {
      const r = await runCli([cmd, '--db', db.url, ...argsFor[cmd]], { input: jsonl([user(44, 'Late')]), timeoutMs: 15000 });
      assert.ok(r.code !== 0 && r.code !== null, `${cmd}: exit ${r.code} signal ${r.signal}; stderr ${r.stderr}`);
      assert.match(r.stderr, /version/i, `${cmd} names the version: ${r.stderr}`);
      assert.equal(r.stdout.trim() === '' || cmd === 'serve', true, `${cmd} prints no result`);
    }
    assert.equal(schemaVersion(db), 999999, 'left as it was');
    assert.equal(dbTables(db).length > 0, true);
  });
});

describe('a new SQLite database path', () => {
  test('serve on a path that does not exist yet starts on an empty database', async () => {
    const dir = tempDir();
    const db = newSqliteDb(dir);
    assert.ok(!fs.existsSync(db.file));
    const srv = await startServer(db);
    try {
      const res = await request(srv.port, '/v1/PhoneChat/MadeBookings', { token: 'x'.repeat(43) });
      assert.equal(res.status, 401, res.describe());
      assert.ok(fs.existsSync(db.file), 'the database file was created');
    } finally {
      const { code } = await srv.stop();
      assert.equal(code, 0);
    }
    const r = await runCli(['token', '--db', db.url, '--user', '10', '--client-id', 'cli-app', '--scope', SCOPE]);
    assert.notEqual(r.code, 0, 'no project in an empty database');
  });
  test('import into a path that does not exist yet creates the database', async () => {
    const db = newSqliteDb();
    await importRecords(db, BASE);
    const t = await mintToken(db, { user: 10, clientId: 'cli-app' });
    assert.ok(t.length >= 43);
  });
});

