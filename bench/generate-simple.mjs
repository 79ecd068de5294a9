// A uniform data set in the import format, deterministic: CLIENTS clients with PER_CLIENT Confirmed bookings
// each over CANDIDATES candidates, and one project `bench-app`. Usage: node generate-simple.mjs CLIENTS PER_CLIENT
// [CANDIDATES] > data.jsonl
const [clients, perClient, candidates = 200] = process.argv.slice(2).map(Number);
if (!(clients > 0 && perClient > 0 && candidates > 0)) {
  process.stderr.write('usage: node generate-simple.mjs CLIENTS PER_CLIENT [CANDIDATES]\n');
  process.exit(2);
}
const out = [];
const flush = () => { process.stdout.write(out.join('')); out.length = 0; };
const line = (record) => { out.push(`${JSON.stringify(record)}\n`); if (out.length >= 10000) flush(); };
const pad = (n, w = 2) => String(n).padStart(w, '0');
const date = (day, minute) => `2024-${pad(1 + Math.floor(day / 28) % 12)}-${pad(1 + day % 28)}T${pad(Math.floor(minute / 60) % 24)}:${pad(minute % 60)}:00`;
const candidateBase = 1_000_000;
line({ Kind: 'User', UserID: 1, Nickname: 'BenchOwner' });
for (let c = 0; c < candidates; c += 1) {
  line({ Kind: 'User', UserID: candidateBase + c, Nickname: `Candidate${c}`, PhoneChatNumber: '+447700900123', Positive: c % 9, Neutral: c % 3, Negative: c % 2, Disputes: 0 });
}
line({ Kind: 'Project', Name: 'Bench app', OwnerUserID: 1, ApiKey: 'bench-key', ClientID: 'bench-app', RedirectURIs: ['http://127.0.0.1:9/cb'] });
let id = 1;
for (let u = 0; u < clients; u += 1) {
  const client = 10 + u;
  line({ Kind: 'User', UserID: client, Nickname: `Client${u}` });
  for (let b = 0; b < perClient; b += 1, id += 1) {
    const day = (u * 7 + b) % 300;
    line({ Kind: 'Booking', BookingID: id, ClientUserID: client, CandidateUserID: candidateBase + ((u + b) % candidates),
      Duration: 15 + (b % 4) * 15, Credits: `${8 + (b % 5)}.5`, Status: 'Confirmed', Method: 2, PhoneNumber: null, SkypeName: null,
      CreateDate: date(day, b % 600), SessionDate: date(day + 2, 600 + (b % 300)), AcceptBy: date(day + 1, 0),
      AcceptedDate: date(day, 700), ConfirmedDate: date(day, 720), CancelledDate: null, CancelledReason: null, CancelledBy: null,
      RejectedReason: null, LastUpdated: date(day, 720), Comments: b % 3 === 0 ? 'Call me & <thanks>' : null, DeletedByClient: false });
  }
}
flush();
