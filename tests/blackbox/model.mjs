// An independent model of the MadeBookings rules (docs/api.md, "Orders" and "The response"): filter, order with ties, paging,
// read-time derivations and both output shapes. Expected answers are computed from the fixture with it;
// nothing here is copied from a server's output.

export const ORDERS = ['date-desc', 'date-asc', 'nickname-asc', 'nickname-desc', 'sessiondate-asc', 'sessiondate-desc'];
export const EXPIRED_REASON = 'The booking was not accepted in time.';
export const NS_MADE = 'http://schemas.datacontract.org/2004/07/API.Models.PhoneChat.Bookings.Made';
export const NS_PC = 'http://schemas.datacontract.org/2004/07/API.Models.PhoneChat.Bookings';
export const NS_PROFILE = 'http://schemas.datacontract.org/2004/07/API.Models.Profile';

// ---------------------------------------------------------------- local wall-clock dates

const DT_RE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,3}))?$/;

// 'yyyy-MM-ddTHH:mm:ss[.fff]' -> milliseconds of a naive (zone-less) time line.
export function ms(s) {
  const m = DT_RE.exec(s);
  if (!m) throw new Error(`not a local date-time: ${s}`);
  return Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6], m[7] ? +m[7].padEnd(3, '0') : 0);
}

// Milliseconds of the naive time line -> the API's text: fraction only when non-zero, trailing zeros trimmed.
export function fmt(t) {
  const s = new Date(t).toISOString();
  const frac = s.slice(20, 23).replace(/0+$/, '');
  return s.slice(0, 19) + (frac ? `.${frac}` : '');
}

// The canonical API text of an imported date (`.120` -> `.12`, `.000` -> none).
export function canonical(s) {
  return s === null || s === undefined ? null : fmt(ms(s));
}

export const MINUTE = 60000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

// ---------------------------------------------------------------- credits (exact decimal text, BigInt only)

// '8', '8.5', '8.0000', '0.0001' -> BigInt ten-thousandths.
export function creditsE4(text) {
  const m = /^(\d+)(?:\.(\d{1,4}))?$/.exec(String(text));
  if (!m) throw new Error(`fixture credits must be plain decimal text: ${text}`);
  return BigInt(m[1]) * 10000n + BigInt((m[2] || '').padEnd(4, '0') || '0');
}

// JSON: the shortest exact form.
export function creditsJson(text) {
  const e4 = creditsE4(text);
  const frac = String(e4 % 10000n).padStart(4, '0').replace(/0+$/, '');
  return `${e4 / 10000n}${frac ? `.${frac}` : ''}`;
}

// XML: always four fraction digits.
export function creditsXml(text) {
  const e4 = creditsE4(text);
  return `${e4 / 10000n}.${String(e4 % 10000n).padStart(4, '0')}`;
}

// ---------------------------------------------------------------- ordering

// Nickname sort key: the UTF-8 bytes with ASCII A-Z folded to a-z (SQLite NOCASE).
export function foldKey(nick) {
  const b = Buffer.from(nick, 'utf8');
  for (let i = 0; i < b.length; i++) if (b[i] >= 0x41 && b[i] <= 0x5a) b[i] += 0x20;
  return b;
}

function comparator(order, users) {
  const [field, dir] = order.split('-');
  const sign = dir === 'asc' ? 1 : -1;
  const key = {
    date: (b) => ms(b.CreateDate),
    sessiondate: (b) => ms(b.SessionDate),
  }[field];
  return (a, b) => {
    let c;
    if (field === 'nickname') c = Buffer.compare(foldKey(users.get(a.CandidateUserID).Nickname), foldKey(users.get(b.CandidateUserID).Nickname));
    else c = key(a) - key(b);
    if (c === 0) c = a.BookingID - b.BookingID;
    return sign * Math.sign(c);
  };
}

// The bookings a client sees: own, not deleted, created at or after StartDate's 00:00, in the given order.
export function visible(fx, clientId, { startDate = null, order = 'date-desc' } = {}) {
  const from = startDate ? ms(`${startDate}T00:00:00`) : -Infinity;
  return fx.bookings
    .filter((b) => b.ClientUserID === clientId && !b.DeletedByClient && ms(b.CreateDate) >= from)
    .sort(comparator(order, fx.users));
}

// ---------------------------------------------------------------- read-time view of one booking

// Derived fields at service time `now` (naive ms).
export function derive(b, cand, now) {
  let status = b.Status;
  let rejectedReason = b.RejectedReason ?? null;
  if (status === 'Pending' && ms(b.AcceptBy) <= now) {
    status = 'Rejected';
    rejectedReason = EXPIRED_REASON;
  }
  let action = null;
  if (status === 'Pending') action = `Waiting for ${cand.Nickname} to accept the booking`;
  else if (status === 'Accepted' && ms(b.SessionDate) > now) action = 'You need to confirm the booking';
  else if (status === 'Confirmed' && ms(b.SessionDate) + b.Duration * MINUTE > now) action = 'You need to carry out the session';
  const confirmed = status === 'Confirmed';
  return {
    status,
    rejectedReason,
    action,
    phone: b.Method === 1 ? b.PhoneNumber ?? null : null,
    skype: b.Method === 3 ? b.SkypeName ?? null : null,
    candPhone: confirmed && b.Method === 2 ? cand.PhoneChatNumber ?? null : null,
    candSkype: confirmed && b.Method === 3 ? cand.SkypeName ?? null : null,
  };
}

// The JSON object of one booking, keys in the contract's order. Credits is a number here (JSON.parse's
// view); its exact text is checked separately with creditsJson.
export function jsonBooking(b, cand, now) {
  const v = derive(b, cand, now);
  const pos = cand.Positive ?? 0;
  const neu = cand.Neutral ?? 0;
  const neg = cand.Negative ?? 0;
  return {
    BookingID: b.BookingID,
    Duration: b.Duration,
    Credits: Number(creditsJson(b.Credits)),
    Status: v.status,
    Method: b.Method,
    PhoneNumber: v.phone,
    SkypeName: v.skype,
    CreateDate: canonical(b.CreateDate),
    SessionDate: canonical(b.SessionDate),
    AcceptBy: canonical(b.AcceptBy),
    AcceptedDate: canonical(b.AcceptedDate),
    ConfirmedDate: canonical(b.ConfirmedDate),
    CancelledDate: canonical(b.CancelledDate),
    CancelledReason: b.CancelledReason ?? null,
    CancelledBy: b.CancelledBy ?? null,
    RejectedReason: v.rejectedReason,
    LastUpdated: canonical(b.LastUpdated),
    Comments: b.Comments ?? null,
    ActionClient: v.action,
    Candidate: {
      UserID: cand.UserID,
      Nickname: cand.Nickname,
      PhoneNumber: v.candPhone,
      SkypeName: v.candSkype,
      Total: pos - neg,
      Positive: pos,
      Neutral: neu,
      Negative: neg,
      Ratings: pos + neu + neg,
      Disputes: cand.Disputes ?? 0,
    },
  };
}

// Effective paging of a request: { per, page, total, pageCount, rows }.
export function page(fx, clientId, { startDate = null, order = 'date-desc', per = 50, page: pageNo = 1 } = {}) {
  const all = visible(fx, clientId, { startDate, order });
  const total = all.length;
  const pageCount = Math.ceil(total / per);
  const start = (pageNo - 1) * per;
  const rows = start < total ? all.slice(start, start + per) : [];
  return { per, page: pageNo, total, pageCount, rows };
}

// The whole JSON answer, keys in the contract's order.
export function jsonPage(fx, clientId, params, now) {
  const p = page(fx, clientId, params);
  return {
    PageCount: p.pageCount,
    PageNumber: p.page,
    BookingsTotal: p.total,
    BookingsPerPage: p.per,
    Bookings: p.rows.map((b) => jsonBooking(b, fx.users.get(b.CandidateUserID), now)),
  };
}

// The exact Credits texts of a JSON page, in order.
export function jsonCreditsTexts(fx, clientId, params) {
  return page(fx, clientId, params).rows.map((b) => creditsJson(b.Credits));
}

// ---------------------------------------------------------------- XML (the plain form of xml.mjs)

// XML 1.0 Char production: what survives in a parsed document (everything else is dropped).
export function xmlClean(s) {
  return s.replace(/[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '');
}

const el = (ns, local, value) => {
  if (value === null || value === undefined) return { name: `{${ns}}${local}`, nil: true };
  return { name: `{${ns}}${local}`, text: xmlClean(String(value)) };
};
const box = (ns, local, children) => (children.length
  ? { name: `{${ns}}${local}`, children }
  : { name: `{${ns}}${local}`, text: '' });

export function xmlBooking(b, cand, now) {
  const v = derive(b, cand, now);
  const M = NS_MADE;
  const P = NS_PROFILE;
  const pos = cand.Positive ?? 0;
  const neu = cand.Neutral ?? 0;
  const neg = cand.Negative ?? 0;
  return box(M, 'MadeBooking', [
    el(M, 'AcceptBy', canonical(b.AcceptBy)),
    el(M, 'AcceptedDate', canonical(b.AcceptedDate)),
    el(M, 'ActionClient', v.action),
    el(M, 'BookingID', b.BookingID),
    el(M, 'CancelledBy', b.CancelledBy ?? null),
    el(M, 'CancelledDate', canonical(b.CancelledDate)),
    el(M, 'CancelledReason', b.CancelledReason ?? null),
    box(M, 'Candidate', [
      el(P, 'Disputes', cand.Disputes ?? 0),
      el(P, 'Negative', neg),
      el(P, 'Neutral', neu),
      el(P, 'Positive', pos),
      el(P, 'Ratings', pos + neu + neg),
      el(P, 'Total', pos - neg),
      el(NS_PC, 'Nickname', cand.Nickname),
      el(NS_PC, 'PhoneNumber', v.candPhone),
      el(NS_PC, 'SkypeName', v.candSkype),
      el(NS_PC, 'UserID', cand.UserID),
    ]),
    el(M, 'Comments', b.Comments ?? null),
    el(M, 'ConfirmedDate', canonical(b.ConfirmedDate)),
    el(M, 'CreateDate', canonical(b.CreateDate)),
    el(M, 'Credits', creditsXml(b.Credits)),
    el(M, 'Duration', b.Duration),
    el(M, 'LastUpdated', canonical(b.LastUpdated)),
    el(M, 'Method', b.Method),
    el(M, 'PhoneNumber', v.phone),
    el(M, 'RejectedReason', v.rejectedReason),
    el(M, 'SessionDate', canonical(b.SessionDate)),
    el(M, 'SkypeName', v.skype),
    el(M, 'Status', v.status),
  ]);
}

export function xmlPage(fx, clientId, params, now) {
  const p = page(fx, clientId, params);
  const M = NS_MADE;
  return box(M, 'BookingsResult', [
    box(M, 'Bookings', p.rows.map((b) => xmlBooking(b, fx.users.get(b.CandidateUserID), now))),
    el(M, 'BookingsPerPage', p.per),
    el(M, 'BookingsTotal', p.total),
    el(M, 'PageCount', p.pageCount),
    el(M, 'PageNumber', p.page),
  ]);
}

// ---------------------------------------------------------------- key order

// Lists every path whose keys differ in order between two JSON values (empty when identical order).
export function keyOrderDiffs(actual, expected, where = '$') {
  const out = [];
  if (Array.isArray(actual) && Array.isArray(expected)) {
    for (let i = 0; i < Math.min(actual.length, expected.length); i++) out.push(...keyOrderDiffs(actual[i], expected[i], `${where}[${i}]`));
  } else if (actual && expected && typeof actual === 'object' && typeof expected === 'object') {
    const a = Object.keys(actual).join(',');
    const e = Object.keys(expected).join(',');
    if (a !== e) out.push(`${where}: keys ${a} expected ${e}`);
    for (const k of Object.keys(expected)) if (k in actual) out.push(...keyOrderDiffs(actual[k], expected[k], `${where}.${k}`));
  }
  return out;
}
