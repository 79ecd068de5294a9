// The SQLite schema's versions and the migration that brings a file to the current one.

#include "storage/sqlite/schema.hpp"

#include <array>
#include <string>

#include "core/error.hpp"

namespace phonechat::sqlite {

namespace {

// Schema version 1. Dates are LocalDateTime::millis, credits ten-thousandths: integers that order and
// compare exactly. Every list query of a client's bookings is a range scan of one of the three
// bookings_made_by_* indexes under the prefix (client, not deleted), already in the requested order with
// BookingID as the tie-breaker. create_date and candidate_user_id ride along so that the StartDate filter,
// the count and the join key come from the index alone while OFFSET skips rows. (Partial indexes
// `WHERE deleted_by_client = 0` would be smaller, but SQLite 3.40 still reads the table row to re-check
// that term, so they cannot cover the count.)
constexpr const char* kSchemaV1 = R"sql(
CREATE TABLE users (
  user_id INTEGER PRIMARY KEY,
  nickname TEXT NOT NULL,
  password_hash TEXT,
  email_address TEXT,
  phonechat_number TEXT,
  skype_name TEXT,
  positive INTEGER NOT NULL DEFAULT 0,
  neutral INTEGER NOT NULL DEFAULT 0,
  negative INTEGER NOT NULL DEFAULT 0,
  disputes INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE user_groups (
  group_id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  manager_user_id INTEGER NOT NULL REFERENCES users (user_id)
);
CREATE INDEX user_groups_by_manager ON user_groups (manager_user_id);

-- user_id is the key: a user belongs to at most one group.
CREATE TABLE group_members (
  user_id INTEGER PRIMARY KEY REFERENCES users (user_id),
  group_id INTEGER NOT NULL REFERENCES user_groups (group_id)
);
CREATE INDEX group_members_by_group ON group_members (group_id);

CREATE TABLE projects (
  project_id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  owner_user_id INTEGER NOT NULL REFERENCES users (user_id),
  api_key TEXT NOT NULL UNIQUE,
  client_id TEXT NOT NULL UNIQUE,
  client_secret_hash TEXT,
  redirect_uris TEXT NOT NULL DEFAULT '[]',  -- a JSON array of strings
  implicit_grant INTEGER NOT NULL DEFAULT 0 CHECK (implicit_grant IN (0, 1)),
  active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1))
);
CREATE INDEX projects_by_owner ON projects (owner_user_id);

-- Only the SHA-256 of a token is kept.
CREATE TABLE tokens (
  token_hash BLOB PRIMARY KEY CHECK (length(token_hash) = 32),
  user_id INTEGER NOT NULL REFERENCES users (user_id),
  project_id INTEGER NOT NULL REFERENCES projects (project_id),
  scopes TEXT NOT NULL,
  expires_at INTEGER NOT NULL,  -- Unix seconds, UTC
  revoked INTEGER NOT NULL DEFAULT 0 CHECK (revoked IN (0, 1))
) WITHOUT ROWID;

-- Impersonation attempts; the member may be an unknown user, hence no foreign keys.
CREATE TABLE audit_log (
  audit_id INTEGER PRIMARY KEY,
  manager_user_id INTEGER NOT NULL,
  member_user_id INTEGER NOT NULL,
  route TEXT NOT NULL,
  at INTEGER NOT NULL,  -- LocalDateTime::millis
  outcome TEXT NOT NULL
);

-- candidate_nickname_key is the candidate's nickname folded like FoldNickname, copied here so that the
-- nickname orders come straight from an index. Writers of bookings set it; the trigger below keeps it
-- right when a nickname changes.
CREATE TABLE bookings (
  booking_id INTEGER PRIMARY KEY,
  client_user_id INTEGER NOT NULL REFERENCES users (user_id),
  candidate_user_id INTEGER NOT NULL REFERENCES users (user_id),
  candidate_nickname_key TEXT NOT NULL COLLATE BINARY,
  duration_minutes INTEGER NOT NULL,
  credits INTEGER NOT NULL,  -- ten-thousandths
  status TEXT NOT NULL CHECK (status IN ('Pending', 'Accepted', 'Rejected', 'Confirmed', 'Cancelled')),
  method INTEGER NOT NULL CHECK (method BETWEEN 1 AND 3),
  phone_number TEXT,
  skype_name TEXT,
  create_date INTEGER NOT NULL,
  session_date INTEGER NOT NULL,
  accept_by INTEGER NOT NULL,
  accepted_date INTEGER,
  confirmed_date INTEGER,
  cancelled_date INTEGER,
  cancelled_reason TEXT,
  cancelled_by TEXT CHECK (cancelled_by IN ('Client', 'Candidate')),
  rejected_reason TEXT,
  last_updated INTEGER,
  comments TEXT,
  deleted_by_client INTEGER NOT NULL DEFAULT 0 CHECK (deleted_by_client IN (0, 1))
);
CREATE INDEX bookings_made_by_date
  ON bookings (client_user_id, deleted_by_client, create_date, booking_id, candidate_user_id);
CREATE INDEX bookings_made_by_nickname
  ON bookings (client_user_id, deleted_by_client, candidate_nickname_key, booking_id, create_date, candidate_user_id);
CREATE INDEX bookings_made_by_session_date
  ON bookings (client_user_id, deleted_by_client, session_date, booking_id, create_date, candidate_user_id);
CREATE INDEX bookings_by_candidate ON bookings (candidate_user_id);
)sql";

// The trigger's body needs the fold, which is built from FoldNicknameSql, so it is appended at run time.
std::string SchemaV1() {
  std::string sql = kSchemaV1;
  sql +=
      "CREATE TRIGGER users_nickname_changed AFTER UPDATE OF nickname ON users\n"
      "WHEN NEW.nickname IS NOT OLD.nickname BEGIN\n"
      "  UPDATE bookings SET candidate_nickname_key = ";
  sql += FoldNicknameSql("NEW.nickname");
  sql += " WHERE candidate_user_id = NEW.user_id;\nEND;\n";
  return sql;
}

// Schema version 2: the Unified Login. Access tokens stay in `tokens` (the API's FindToken reads them) and gain
// the family they belong to, so that a code reuse, a refresh-token replay or a revoked grant revokes a whole
// chain with one indexed update. Only hashes are stored: SHA-256 for tokens, codes, cookie values and back-off
// keys, Argon2id (in `projects`) for client secrets.
constexpr const char* kSchemaV2 = R"sql(
CREATE TABLE token_families (
  family_id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users (user_id),
  project_id INTEGER NOT NULL REFERENCES projects (project_id),
  created_at INTEGER NOT NULL,  -- Unix seconds, UTC
  revoked INTEGER NOT NULL DEFAULT 0 CHECK (revoked IN (0, 1))
);
CREATE INDEX token_families_by_grant ON token_families (user_id, project_id);

-- NULL for tokens issued outside the Unified Login (the `token` command).
ALTER TABLE tokens ADD COLUMN family_id INTEGER REFERENCES token_families (family_id);
CREATE INDEX tokens_by_family ON tokens (family_id) WHERE family_id IS NOT NULL;
CREATE INDEX tokens_by_grant ON tokens (user_id, project_id);

CREATE TABLE refresh_tokens (
  token_hash BLOB PRIMARY KEY CHECK (length(token_hash) = 32),
  family_id INTEGER NOT NULL REFERENCES token_families (family_id),
  user_id INTEGER NOT NULL REFERENCES users (user_id),
  project_id INTEGER NOT NULL REFERENCES projects (project_id),
  scopes TEXT NOT NULL,
  expires_at INTEGER NOT NULL,  -- Unix seconds, UTC
  rotated INTEGER NOT NULL DEFAULT 0 CHECK (rotated IN (0, 1)),
  revoked INTEGER NOT NULL DEFAULT 0 CHECK (revoked IN (0, 1))
) WITHOUT ROWID;
CREATE INDEX refresh_tokens_by_family ON refresh_tokens (family_id);

-- family_id is set by the first redemption; a second one revokes that family.
CREATE TABLE authorization_codes (
  code_hash BLOB PRIMARY KEY CHECK (length(code_hash) = 32),
  project_id INTEGER NOT NULL REFERENCES projects (project_id),
  user_id INTEGER NOT NULL REFERENCES users (user_id),
  redirect_uri TEXT NOT NULL,
  scopes TEXT NOT NULL,
  code_challenge TEXT NOT NULL DEFAULT '',  -- the S256 challenge, '' when none was sent
  expires_at INTEGER NOT NULL,  -- Unix seconds, UTC
  used INTEGER NOT NULL DEFAULT 0 CHECK (used IN (0, 1)),
  family_id INTEGER REFERENCES token_families (family_id)
) WITHOUT ROWID;
CREATE INDEX authorization_codes_by_grant ON authorization_codes (user_id, project_id);

-- A user's remembered consent: scopes space-separated, granted_at the latest consent (LocalDateTime::millis).
CREATE TABLE oauth_grants (
  user_id INTEGER NOT NULL REFERENCES users (user_id),
  project_id INTEGER NOT NULL REFERENCES projects (project_id),
  scopes TEXT NOT NULL,
  granted_at INTEGER NOT NULL,
  PRIMARY KEY (user_id, project_id)
) WITHOUT ROWID;

CREATE TABLE login_sessions (
  session_hash BLOB PRIMARY KEY CHECK (length(session_hash) = 32),
  user_id INTEGER NOT NULL REFERENCES users (user_id),
  created_at INTEGER NOT NULL,  -- LocalDateTime::millis
  expires_at INTEGER NOT NULL   -- Unix seconds, UTC
) WITHOUT ROWID;
CREATE INDEX login_sessions_by_expiry ON login_sessions (expires_at);

-- One row per failed login, under the SHA-256 of each of its back-off keys (login name, client address).
CREATE TABLE login_failures (
  failure_id INTEGER PRIMARY KEY,
  key_hash BLOB NOT NULL CHECK (length(key_hash) = 32),
  at INTEGER NOT NULL  -- Unix milliseconds, UTC
);
CREATE INDEX login_failures_by_key ON login_failures (key_hash, at);
)sql";

// Logins look users up by nickname or e-mail ignoring ASCII case: two expression indexes on the same fold
// the lookup uses (FoldNicknameSql), so that a login is an index probe, not a scan of every user.
std::string SchemaV2() {
  std::string sql = kSchemaV2;
  sql += "CREATE INDEX users_by_folded_nickname ON users (" + FoldNicknameSql("nickname") + ");\n";
  sql += "CREATE INDEX users_by_folded_email ON users (" + FoldNicknameSql("email_address") + ");\n";
  return sql;
}

// Schema version 3: a counter every import batch bumps in its transaction, so that a reader can tell cheaply
// whether anything a list shows (bookings, users) changed since it last looked.
constexpr const char* kSchemaV3 = R"sql(
CREATE TABLE store_state (
  singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
  bookings_generation INTEGER NOT NULL
);
INSERT INTO store_state (singleton, bookings_generation) VALUES (1, 0);
)sql";

// Schema version 4: the booking life cycle. Users gain their PhoneChat settings; bookings gain what the life cycle
// writes, the client's folded nickname (the received lists' nickname order, kept right by a second trigger) and
// three bookings_received_by_* indexes mirroring the made ones under the prefix (candidate, not deleted by the
// candidate). The ledger keeps each account's running balance beside its movements; the unique indexes make a
// booking's Payment, Refund and Earning happen at most once, and never both a Refund and an Earning
// (docs/api.md, "Credits"). Bookings Confirmed before the ledger existed have no Payment: they are marked settled.
constexpr const char* kSchemaV4 = R"sql(
ALTER TABLE users ADD COLUMN offers_phonechat INTEGER NOT NULL DEFAULT 0 CHECK (offers_phonechat IN (0, 1));
ALTER TABLE users ADD COLUMN phonechat_ppm INTEGER;  -- ten-thousandths
ALTER TABLE users ADD COLUMN offer_direct_chat INTEGER NOT NULL DEFAULT 0 CHECK (offer_direct_chat IN (0, 1));
ALTER TABLE users ADD COLUMN direct_chat_only INTEGER NOT NULL DEFAULT 0 CHECK (direct_chat_only IN (0, 1));
ALTER TABLE users ADD COLUMN direct_chat_ppm INTEGER;  -- ten-thousandths
ALTER TABLE users ADD COLUMN show_phonechat_number INTEGER NOT NULL DEFAULT 0
  CHECK (show_phonechat_number IN (0, 1));

ALTER TABLE bookings ADD COLUMN client_nickname_key TEXT NOT NULL DEFAULT '' COLLATE BINARY;
ALTER TABLE bookings ADD COLUMN offered_credits INTEGER NOT NULL DEFAULT 0;  -- ten-thousandths
ALTER TABLE bookings ADD COLUMN rejection_kind TEXT CHECK (rejection_kind IN ('Candidate', 'Lapsed', 'ReInvited'));
ALTER TABLE bookings ADD COLUMN deleted_by_candidate INTEGER NOT NULL DEFAULT 0
  CHECK (deleted_by_candidate IN (0, 1));
ALTER TABLE bookings ADD COLUMN rescheduled_from INTEGER;
ALTER TABLE bookings ADD COLUMN settled INTEGER NOT NULL DEFAULT 0 CHECK (settled IN (0, 1));

UPDATE bookings SET offered_credits = credits,
  rejection_kind = CASE WHEN status <> 'Rejected' THEN NULL
                        WHEN rejected_reason IS 'The booking was not accepted in time.' THEN 'Lapsed'
                        ELSE 'Candidate' END,
  settled = (status = 'Confirmed');

CREATE UNIQUE INDEX bookings_by_rescheduled_from ON bookings (rescheduled_from) WHERE rescheduled_from IS NOT NULL;
CREATE INDEX bookings_received_by_date
  ON bookings (candidate_user_id, deleted_by_candidate, create_date, booking_id, client_user_id);
CREATE INDEX bookings_received_by_nickname
  ON bookings (candidate_user_id, deleted_by_candidate, client_nickname_key, booking_id, create_date, client_user_id);
CREATE INDEX bookings_received_by_session_date
  ON bookings (candidate_user_id, deleted_by_candidate, session_date, booking_id, create_date, client_user_id);
-- Due settlements: a candidate's Confirmed, unsettled bookings by session date (the end adds the duration).
CREATE INDEX bookings_due_settlement ON bookings (candidate_user_id, session_date)
  WHERE status = 'Confirmed' AND settled = 0;
CREATE INDEX bookings_due_settlement_any ON bookings (session_date) WHERE status = 'Confirmed' AND settled = 0;

-- account_id: a user's ID, -1 escrow, -2 external (the only one allowed below zero).
CREATE TABLE accounts (
  account_id INTEGER PRIMARY KEY,
  balance INTEGER NOT NULL CHECK (balance >= 0 OR account_id = -2)  -- ten-thousandths
);

CREATE TABLE ledger_entries (
  entry_id INTEGER PRIMARY KEY AUTOINCREMENT,
  date INTEGER NOT NULL,  -- LocalDateTime::millis
  kind TEXT NOT NULL CHECK (kind IN ('Credit', 'Payment', 'Refund', 'Earning')),
  booking_id INTEGER,
  from_account INTEGER NOT NULL,
  to_account INTEGER NOT NULL,
  amount INTEGER NOT NULL CHECK (amount > 0),  -- ten-thousandths
  description TEXT
);
CREATE UNIQUE INDEX ledger_entries_once_per_kind ON ledger_entries (booking_id, kind)
  WHERE kind IN ('Payment', 'Refund', 'Earning');
CREATE UNIQUE INDEX ledger_entries_refund_or_earning ON ledger_entries (booking_id)
  WHERE kind IN ('Refund', 'Earning');

CREATE TABLE idempotency_keys (
  user_id INTEGER NOT NULL,
  acting_as INTEGER NOT NULL,
  route TEXT NOT NULL,
  key TEXT NOT NULL,
  body_digest BLOB NOT NULL,
  status INTEGER NOT NULL,
  content_type TEXT NOT NULL,
  body BLOB NOT NULL,
  created_at INTEGER NOT NULL,  -- LocalDateTime::millis
  PRIMARY KEY (user_id, acting_as, route, key)
) WITHOUT ROWID;
CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at);

CREATE TABLE notification_outbox (
  outbox_id INTEGER PRIMARY KEY AUTOINCREMENT,
  kind TEXT NOT NULL,
  booking_id INTEGER,
  created_at INTEGER NOT NULL,  -- LocalDateTime::millis
  payload TEXT NOT NULL
);
)sql";

// The fold of the clients' nicknames and the trigger that keeps it right need FoldNicknameSql.
std::string SchemaV4() {
  std::string sql = kSchemaV4;
  sql += "UPDATE bookings SET client_nickname_key = (SELECT " + FoldNicknameSql("u.nickname") +
         " FROM users AS u WHERE u.user_id = bookings.client_user_id);\n";
  sql +=
      "CREATE TRIGGER users_nickname_changed_client AFTER UPDATE OF nickname ON users\n"
      "WHEN NEW.nickname IS NOT OLD.nickname BEGIN\n"
      "  UPDATE bookings SET client_nickname_key = ";
  sql += FoldNicknameSql("NEW.nickname");
  sql += " WHERE client_user_id = NEW.user_id;\nEND;\n";
  return sql;
}

// Schema version 5: caches that forget only what changed (docs/architecture.md, "Caches"). Tokens and projects
// bump a counter of their own through triggers, so that no writer can forget to; a life-cycle write logs whose
// made list it changed, and readers replay the log's new entries. Imports still bump bookings_generation.
constexpr const char* kSchemaV5 = R"sql(
ALTER TABLE store_state ADD COLUMN credentials_generation INTEGER NOT NULL DEFAULT 0;
CREATE TABLE list_changes (
  seq INTEGER PRIMARY KEY,
  client_user_id INTEGER,     -- this client's made list changed
  candidate_user_id INTEGER,  -- every made list with a booking of this candidate changed
  CHECK ((client_user_id IS NULL) <> (candidate_user_id IS NULL))
);
)sql";

std::string SchemaV5() {
  std::string sql = kSchemaV5;
  for (const char* table : {"tokens", "projects"}) {
    for (const char* event : {"INSERT", "UPDATE", "DELETE"}) {
      sql += std::string("CREATE TRIGGER ") + table + "_" + event + "_credentials AFTER " + event + " ON " + table +
             " BEGIN UPDATE store_state SET credentials_generation = credentials_generation + 1; END;\n";
    }
  }
  return sql;
}

}  // namespace

std::string FoldNicknameSql(std::string_view operand) {
  // replace() works on bytes; an ASCII byte never occurs inside a multi-byte UTF-8 sequence, so folding
  // A-Z byte by byte leaves every other character intact, exactly like FoldNickname.
  std::string sql(operand);
  for (char upper = 'A'; upper <= 'Z'; ++upper) {
    const char lower = static_cast<char>(upper - 'A' + 'a');
    sql.insert(0, "replace(");
    ((((sql += ", '") += upper) += "', '") += lower) += "')";
  }
  return sql;
}

void MigrateSchema(Connection& writer, const std::string& path, int target_version) {
  // Version 6 adds only PostgreSQL's list stamps, which this backend does without (it replays list_changes).
  const std::array<std::string, kSchemaVersion> steps{SchemaV1(), SchemaV2(), kSchemaV3, SchemaV4(), SchemaV5(), ""};

  // IMMEDIATE: two processes opening a new file at once must not both create the tables.
  writer.Execute("BEGIN IMMEDIATE");
  try {
    const auto version = writer.QueryInt("PRAGMA user_version");
    if (version > kSchemaVersion) {
      throw UsageError("'" + path + "': database schema version " + std::to_string(version) +
                       " is newer than this program supports (" + std::to_string(kSchemaVersion) + ")");
    }
    if (version == 0 && writer.QueryInt("SELECT count(*) FROM sqlite_schema") != 0) {
      throw UsageError("'" + path +
                       "' is a SQLite database but not one of this program (it has tables but no "
                       "schema version)");
    }
    for (auto step = version; step < target_version; ++step) {
      if (const std::string& sql = steps[static_cast<std::size_t>(step)]; !sql.empty()) writer.Execute(sql.c_str());
    }
    if (version < target_version) {
      writer.Execute(("PRAGMA user_version = " + std::to_string(target_version)).c_str());
    }
    writer.Execute("COMMIT");
  } catch (...) {
    sqlite3_exec(writer.Handle(), "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
}

}  // namespace phonechat::sqlite
