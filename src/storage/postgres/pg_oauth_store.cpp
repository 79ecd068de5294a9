// The Unified Login's atomic steps on PostgreSQL, on a small pool of connections of its own.

#include "storage/postgres/pg_oauth_store.hpp"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/error.hpp"
#include "domain/made_bookings_query.hpp"
#include "storage/postgres/pg_connection.hpp"
#include "storage/postgres/pg_schema.hpp"
#include "storage/redirect_uris.hpp"

namespace phonechat {

namespace {

// Locking protocol, so that every step stays atomic when several processes share the database (READ COMMITTED):
// - A token family's row is the lock for everything in the family. Whoever revokes a family updates its row
//   first and only then its tokens; whoever adds tokens to a family or rotates one of its refresh tokens locks
//   the row first and reads the rest in later statements (fresh snapshots). A revocation therefore either waits
//   for the tokens being added and then sees them, or is seen by the adder, which then stores nothing.
// - Redeeming a code, revoking a grant and adding to a grant take a transaction-scoped advisory lock on the
//   (user, project) pair before any row lock, so a code cannot be redeemed into a family that a concurrent
//   revocation of the grant misses, and two consents cannot lose each other's scopes.
// With every lock taken in that order (pair, family, then rows), none of these steps can deadlock another; prunes
// skip rows another transaction holds, so they never wait at all.

constexpr int kMaxConnections = 4;
// A statement waits at most statement_timeout (5 s); waiting for a free connection longer means the database
// is not keeping up.
constexpr auto kAcquireTimeout = std::chrono::seconds(10);
// The first key of the two-key advisory locks on (user, project) pairs; that key space is distinct from the
// single-key one the migration uses.
constexpr int kPairLockSpace = 0x4f41;

// A statement prepared once per connection under its name.
struct Sql {
  std::string_view name;
  std::string_view text;
};

constexpr std::string_view kProjectColumns =
    "project_id, name, owner_user_id, api_key, client_id, client_secret_hash, redirect_uris, implicit_grant, "
    "active";

constexpr Sql kUserExists{"oauth_user_exists", "SELECT 1 FROM users WHERE user_id = $1"};
// A member's group is the one they belong to; a manager who belongs to none is shown the first group they manage.
constexpr Sql kFindAccount{
    "oauth_find_account",
    "SELECT a.nickname, a.shown_group, a.manages, (SELECT name FROM user_groups WHERE group_id = a.shown_group) "
    "FROM (SELECT u.nickname, coalesce(m.group_id, (SELECT min(group_id) FROM user_groups "
    "WHERE manager_user_id = u.user_id)) AS shown_group, "
    "EXISTS (SELECT 1 FROM user_groups WHERE manager_user_id = u.user_id) AS manages "
    "FROM users AS u LEFT JOIN group_members AS m ON m.user_id = u.user_id WHERE u.user_id = $1) AS a"};
constexpr Sql kProjectTaken{"oauth_project_taken",
                            "SELECT client_id = $1 FROM projects WHERE client_id = $1 OR api_key = $2 "
                            "ORDER BY client_id = $1 DESC LIMIT 1"};
constexpr Sql kInsertProject{
    "oauth_insert_project",
    "INSERT INTO projects (name, owner_user_id, api_key, client_id, client_secret_hash, redirect_uris, "
    "implicit_grant, active) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING project_id"};
constexpr Sql kSetProjectActive{"oauth_set_project_active", "UPDATE projects SET active = $2 WHERE client_id = $1"};
constexpr Sql kSetRedirectUris{"oauth_set_redirect_uris",
                               "UPDATE projects SET redirect_uris = $2 WHERE client_id = $1"};

constexpr Sql kPairLock{"oauth_pair_lock", "SELECT pg_advisory_xact_lock($1::integer, $2::integer)"};
constexpr Sql kFindGrant{"oauth_find_grant", "SELECT scopes FROM oauth_grants WHERE user_id = $1 AND project_id = $2"};
constexpr Sql kUpsertGrant{
    "oauth_upsert_grant",
    "INSERT INTO oauth_grants (user_id, project_id, scopes, granted_at) VALUES ($1, $2, $3, $4) "
    "ON CONFLICT (user_id, project_id) DO UPDATE SET scopes = excluded.scopes, granted_at = excluded.granted_at"};
// Names compare bytewise, as SQLite's BINARY collation does, whatever the database's collation.
constexpr Sql kListGrants{
    "oauth_list_grants",
    "SELECT g.project_id, p.name, p.client_id, g.scopes, g.granted_at FROM oauth_grants AS g "
    "JOIN projects AS p ON p.project_id = g.project_id WHERE g.user_id = $1 ORDER BY p.name COLLATE \"C\", "
    "p.project_id"};
constexpr Sql kDeleteGrant{"oauth_delete_grant", "DELETE FROM oauth_grants WHERE user_id = $1 AND project_id = $2"};
constexpr Sql kRevokePairFamilies{
    "oauth_revoke_pair_families",
    "UPDATE token_families SET revoked = true WHERE user_id = $1 AND project_id = $2 AND NOT revoked"};
constexpr Sql kRevokePairRefresh{"oauth_revoke_pair_refresh",
                                 "UPDATE refresh_tokens SET revoked = true WHERE NOT revoked AND family_id IN "
                                 "(SELECT family_id FROM token_families WHERE user_id = $1 AND project_id = $2)"};
// Every access token of the pair, including those issued outside the Unified Login (no family).
constexpr Sql kRevokePairTokens{
    "oauth_revoke_pair_tokens",
    "UPDATE tokens SET revoked = true WHERE user_id = $1 AND project_id = $2 AND NOT revoked"};
// A code issued before the revocation must not yield tokens after it.
constexpr Sql kUsePairCodes{
    "oauth_use_pair_codes",
    "UPDATE authorization_codes SET used = true WHERE user_id = $1 AND project_id = $2 AND NOT used"};

constexpr Sql kInsertCode{
    "oauth_insert_code",
    "INSERT INTO authorization_codes (code_hash, project_id, user_id, redirect_uri, scopes, code_challenge, "
    "expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)"};
constexpr Sql kCodePair{"oauth_code_pair", "SELECT user_id, project_id FROM authorization_codes WHERE code_hash = $1"};
constexpr Sql kLockCode{"oauth_lock_code",
                        "SELECT project_id, user_id, redirect_uri, scopes, code_challenge, expires_at, used, family_id "
                        "FROM authorization_codes WHERE code_hash = $1 FOR UPDATE"};
constexpr Sql kMarkCodeUsed{"oauth_mark_code_used",
                            "UPDATE authorization_codes SET used = true, family_id = $2 WHERE code_hash = $1"};

constexpr Sql kInsertFamily{
    "oauth_insert_family",
    "INSERT INTO token_families (user_id, project_id, created_at) VALUES ($1, $2, $3) RETURNING family_id"};
constexpr Sql kShareFamily{"oauth_share_family",
                           "SELECT user_id, project_id, revoked FROM token_families WHERE family_id = $1 FOR SHARE"};
constexpr Sql kLockFamily{"oauth_lock_family",
                          "SELECT revoked FROM token_families WHERE family_id = $1 FOR NO KEY UPDATE"};
constexpr Sql kRevokeFamily{"oauth_revoke_family", "UPDATE token_families SET revoked = true WHERE family_id = $1"};
constexpr Sql kRevokeFamilyTokens{"oauth_revoke_family_tokens",
                                  "UPDATE tokens SET revoked = true WHERE family_id = $1 AND NOT revoked"};
constexpr Sql kRevokeFamilyRefresh{"oauth_revoke_family_refresh",
                                   "UPDATE refresh_tokens SET revoked = true WHERE family_id = $1 AND NOT revoked"};
constexpr Sql kInsertAccess{"oauth_insert_access",
                            "INSERT INTO tokens (token_hash, user_id, project_id, scopes, expires_at, family_id) "
                            "VALUES ($1, $2, $3, $4, $5, $6)"};
constexpr Sql kInsertRefresh{
    "oauth_insert_refresh",
    "INSERT INTO refresh_tokens (token_hash, family_id, user_id, project_id, scopes, expires_at) "
    "VALUES ($1, $2, $3, $4, $5, $6)"};
constexpr Sql kRefreshOwner{"oauth_refresh_owner",
                            "SELECT family_id, project_id FROM refresh_tokens WHERE token_hash = $1"};
constexpr Sql kFindRefresh{
    "oauth_find_refresh",
    "SELECT r.family_id, r.project_id, r.user_id, r.scopes, r.expires_at, r.rotated, r.revoked OR f.revoked "
    "FROM refresh_tokens AS r JOIN token_families AS f ON f.family_id = r.family_id WHERE r.token_hash = $1"};
// A concurrent rotation that committed first leaves the row rotated: the update re-reads it and changes nothing.
constexpr Sql kRotateIfLive{"oauth_rotate_if_live",
                            "UPDATE refresh_tokens SET rotated = true WHERE token_hash = $1 AND NOT rotated AND "
                            "NOT revoked RETURNING project_id, user_id, scopes"};
constexpr Sql kRevokeAccess{"oauth_revoke_access",
                            "UPDATE tokens SET revoked = true WHERE token_hash = $1 AND project_id = $2"};
constexpr Sql kAccessExists{"oauth_access_exists", "SELECT 1 FROM tokens WHERE token_hash = $1"};

// Pruning is housekeeping: rows another transaction holds (being pruned or deleted there) are left to it.
constexpr Sql kPruneSessions{"oauth_prune_sessions",
                             "DELETE FROM login_sessions WHERE session_hash IN "
                             "(SELECT session_hash FROM login_sessions WHERE expires_at <= $1 FOR UPDATE SKIP LOCKED)"};
constexpr Sql kInsertSession{
    "oauth_insert_session",
    "INSERT INTO login_sessions (session_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)"};
constexpr Sql kFindSession{
    "oauth_find_session",
    "SELECT s.user_id, u.nickname, s.expires_at FROM login_sessions AS s JOIN users AS u ON u.user_id = s.user_id "
    "WHERE s.session_hash = $1 AND s.expires_at > $2"};
constexpr Sql kDeleteSession{"oauth_delete_session", "DELETE FROM login_sessions WHERE session_hash = $1"};

constexpr Sql kCountFailures{
    "oauth_count_failures",
    "SELECT count(*), coalesce(max(at), 0) FROM login_failures WHERE key_hash = $1 AND at >= $2"};
constexpr Sql kPruneFailures{
    "oauth_prune_failures",
    "DELETE FROM login_failures WHERE failure_id IN "
    "(SELECT failure_id FROM login_failures WHERE key_hash = $1 AND at < $2 FOR UPDATE SKIP LOCKED)"};
constexpr Sql kInsertFailure{"oauth_insert_failure", "INSERT INTO login_failures (key_hash, at) VALUES ($1, $2)"};
constexpr Sql kClearFailures{"oauth_clear_failures", "DELETE FROM login_failures WHERE key_hash = $1"};

// PurgeUnusable's statements: $1 the cutoff, $2 the batch size; each deletes one batch and returns its count.
constexpr Sql kPurgeAccess{"oauth_purge_access",
                           "DELETE FROM tokens WHERE token_hash IN (SELECT token_hash FROM tokens "
                           "WHERE revoked OR expires_at <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED)"};
constexpr Sql kPurgeRefresh{"oauth_purge_refresh",
                            "DELETE FROM refresh_tokens WHERE token_hash IN (SELECT token_hash FROM refresh_tokens "
                            "WHERE revoked OR expires_at < $1 LIMIT $2 FOR UPDATE SKIP LOCKED)"};
// The family's row is the family's lock (see the locking protocol above): a family being given tokens is skipped.
// The codes and the family go in one statement; the foreign key is checked at its end. Returns the codes deleted.
constexpr Sql kPurgeFamilies{
    "oauth_purge_families",
    "WITH empty AS (SELECT family_id FROM token_families AS f WHERE created_at < $1 "
    "AND NOT EXISTS (SELECT 1 FROM tokens AS t WHERE t.family_id = f.family_id) "
    "AND NOT EXISTS (SELECT 1 FROM refresh_tokens AS r WHERE r.family_id = f.family_id) "
    "LIMIT $2 FOR UPDATE SKIP LOCKED), "
    "codes AS (DELETE FROM authorization_codes WHERE family_id IN (SELECT family_id FROM empty) RETURNING 1), "
    "families AS (DELETE FROM token_families WHERE family_id IN (SELECT family_id FROM empty) RETURNING 1) "
    "SELECT (SELECT count(*) FROM families), (SELECT count(*) FROM codes)"};
constexpr Sql kPurgeCodes{"oauth_purge_codes",
                          "DELETE FROM authorization_codes WHERE code_hash IN (SELECT code_hash FROM authorization_codes "
                          "WHERE family_id IS NULL AND expires_at <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED)"};
constexpr Sql kPurgeSessions{"oauth_purge_sessions",
                             "DELETE FROM login_sessions WHERE session_hash IN (SELECT session_hash FROM login_sessions "
                             "WHERE expires_at <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED)"};
constexpr Sql kPurgeFailures{"oauth_purge_failures",
                             "DELETE FROM login_failures WHERE failure_id IN (SELECT failure_id FROM login_failures "
                             "WHERE at < $1 LIMIT $2 FOR UPDATE SKIP LOCKED)"};
// Rows PurgeUnusable deletes per statement (each its own transaction).
constexpr std::int64_t kPurgeBatch = 500;

pg::Rows Run(pg::Connection& connection, const Sql& sql, std::initializer_list<pg::Param> params) {
  return connection.ExecPrepared(sql.name, sql.text, params);
}

// libpq sends text parameters NUL-terminated, so "a\0b" would arrive as "a": a key holding NUL (which no stored
// text can) must find nothing rather than what its prefix names.
bool HoldsNul(std::string_view text) { return text.find('\0') != std::string_view::npos; }

pg::Param Bool(bool value) { return pg::Param::Text(value ? "true" : "false"); }

pg::Param OptionalText(const std::optional<std::string>& text) {
  return text ? pg::Param::Text(*text) : pg::Param::Null();
}

OAuthProject ReadProject(const pg::Rows& rows, int row) {
  OAuthProject project;
  project.project_id = rows.Int(row, 0);
  project.name = rows.Text(row, 1);
  project.owner_user_id = static_cast<UserId>(rows.Int(row, 2));
  project.api_key = rows.Text(row, 3);
  project.client_id = rows.Text(row, 4);
  if (!rows.IsNull(row, 5)) project.client_secret_hash = std::string(rows.Text(row, 5));
  project.redirect_uris = ParseRedirectUris(rows.Text(row, 6));
  project.implicit_grant = rows.Bool(row, 7);
  project.active = rows.Bool(row, 8);
  return project;
}

// The second key of the advisory lock on a (user, project) pair. Two pairs sharing a key only wait for each
// other; they never corrupt anything.
std::int32_t PairKey(UserId user_id, ProjectId project_id) {
  std::uint64_t mixed = static_cast<std::uint64_t>(static_cast<std::uint32_t>(user_id)) * 0x9e3779b97f4a7c15ULL ^
                        static_cast<std::uint64_t>(project_id);
  mixed ^= mixed >> 31;
  mixed *= 0xbf58476d1ce4e5b9ULL;
  mixed ^= mixed >> 29;
  return static_cast<std::int32_t>(static_cast<std::uint32_t>(mixed));
}

// Up to kMaxConnections connections, opened on demand. Each call holds one for its whole transaction, so calls
// from several threads run in parallel and only wait for each other on rows they share.
class ConnectionPool {
 public:
  ConnectionPool(std::string uri, std::unique_ptr<pg::Connection> first) : uri_(std::move(uri)) {
    idle_.push_back(std::move(first));
    open_ = 1;
  }

  // One connection, given back to the pool on destruction.
  class Lease {
   public:
    Lease(ConnectionPool& pool, std::unique_ptr<pg::Connection> connection)
        : pool_(pool), connection_(std::move(connection)) {}
    ~Lease() { pool_.Return(std::move(connection_)); }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    pg::Connection& operator*() const { return *connection_; }

   private:
    ConnectionPool& pool_;
    std::unique_ptr<pg::Connection> connection_;
  };

  Lease Acquire() {
    std::unique_lock lock(mutex_);
    if (!available_.wait_for(lock, kAcquireTimeout, [&] { return !idle_.empty() || open_ < kMaxConnections; })) {
      throw StoreUnavailable("the Unified Login store stayed busy too long");
    }
    if (!idle_.empty()) {
      auto connection = std::move(idle_.back());
      idle_.pop_back();
      return Lease(*this, std::move(connection));
    }
    ++open_;
    lock.unlock();
    std::unique_ptr<pg::Connection> connection;
    try {
      connection = std::make_unique<pg::Connection>(uri_);
    } catch (const UsageError& e) {
      Forget();
      // After start-up a server that cannot be reached is a passing condition, not a configuration error.
      throw StoreUnavailable(e.what());
    } catch (...) {
      Forget();
      throw;
    }
    return Lease(*this, std::move(connection));
  }

 private:
  void Return(std::unique_ptr<pg::Connection> connection) {
    {
      std::lock_guard lock(mutex_);
      idle_.push_back(std::move(connection));
    }
    available_.notify_one();
  }

  void Forget() {
    {
      std::lock_guard lock(mutex_);
      --open_;
    }
    available_.notify_one();
  }

  const std::string uri_;
  std::mutex mutex_;
  std::condition_variable available_;
  std::vector<std::unique_ptr<pg::Connection>> idle_;
  int open_ = 0;
};

// Logins compare nicknames and e-mail addresses folded like FoldNickname, with the very expression the users'
// expression indexes are built on, so that a login is an index probe.
std::string FindLoginSql() {
  const std::string nickname = pg::FoldNicknameSql("nickname");
  const std::string email = pg::FoldNicknameSql("email_address");
  return "SELECT user_id, nickname, email_address, password_hash FROM users WHERE " + nickname +
         " = $1 UNION SELECT user_id, nickname, email_address, password_hash FROM users WHERE " + email +
         " = $1 ORDER BY user_id LIMIT 10";
}

class PostgresOAuthStore final : public OAuthStore {
 public:
  PostgresOAuthStore(const std::string& uri, std::unique_ptr<pg::Connection> first)
      : pool_(uri, std::move(first)),
        find_login_sql_(FindLoginSql()),
        project_by_client_sql_("SELECT " + std::string(kProjectColumns) + " FROM projects WHERE client_id = $1"),
        project_by_id_sql_("SELECT " + std::string(kProjectColumns) + " FROM projects WHERE project_id = $1"),
        list_projects_sql_("SELECT " + std::string(kProjectColumns) + " FROM projects ORDER BY project_id") {}

  std::vector<LoginAccount> FindLoginAccounts(std::string_view login) override {
    if (HoldsNul(login)) return {};
    const std::string folded = FoldNickname(login);
    return WithConnection([&](pg::Connection& connection) {
      const auto rows = Run(connection, {"oauth_find_login", find_login_sql_}, {pg::Param::Text(folded)});
      std::vector<LoginAccount> accounts;
      for (int row = 0; row < rows.Count(); ++row) {
        LoginAccount account{static_cast<UserId>(rows.Int(row, 0)), std::string(rows.Text(row, 1)), std::nullopt,
                             std::nullopt};
        if (!rows.IsNull(row, 2)) account.email_address = std::string(rows.Text(row, 2));
        if (!rows.IsNull(row, 3)) account.password_hash = std::string(rows.Text(row, 3));
        accounts.push_back(std::move(account));
      }
      return accounts;
    });
  }

  std::optional<AccountRecord> FindAccount(UserId user_id) override {
    const pg::IntText user(user_id);
    return WithConnection([&](pg::Connection& connection) -> std::optional<AccountRecord> {
      const auto rows = Run(connection, kFindAccount, {user.AsParam()});
      if (rows.Count() == 0) return std::nullopt;
      AccountRecord account{user_id, std::string(rows.Text(0, 0)), std::nullopt, std::nullopt, rows.Bool(0, 2)};
      if (!rows.IsNull(0, 1)) account.group_id = static_cast<GroupId>(rows.Int(0, 1));
      if (!rows.IsNull(0, 3)) account.group_name = std::string(rows.Text(0, 3));
      return account;
    });
  }

  bool UserExists(UserId user_id) override {
    return WithConnection([&](pg::Connection& connection) { return UserExistsOn(connection, user_id); });
  }

  std::optional<OAuthProject> FindProjectByClientId(std::string_view client_id) override {
    if (HoldsNul(client_id)) return std::nullopt;
    return WithConnection([&](pg::Connection& connection) -> std::optional<OAuthProject> {
      const auto rows =
          Run(connection, {"oauth_project_by_client", project_by_client_sql_}, {pg::Param::Text(client_id)});
      if (rows.Count() == 0) return std::nullopt;
      return ReadProject(rows, 0);
    });
  }

  std::optional<OAuthProject> FindProject(ProjectId project_id) override {
    const pg::IntText project(project_id);
    return WithConnection([&](pg::Connection& connection) -> std::optional<OAuthProject> {
      const auto rows = Run(connection, {"oauth_project_by_id", project_by_id_sql_}, {project.AsParam()});
      if (rows.Count() == 0) return std::nullopt;
      return ReadProject(rows, 0);
    });
  }

  ProjectId CreateProject(const ProjectRecord& project) override {
    const std::string uris = RedirectUrisJson(project.redirect_uris);
    const pg::IntText owner(project.owner_user_id);
    try {
      return WithConnection([&](pg::Connection& connection) {
        pg::Transaction transaction(connection);
        if (!UserExistsOn(connection, project.owner_user_id)) throw OwnerUnknown(project.owner_user_id);
        const auto taken =
            Run(connection, kProjectTaken, {pg::Param::Text(project.client_id), pg::Param::Text(project.api_key)});
        if (taken.Count() > 0) throw ProjectTaken(taken.Bool(0, 0));
        const auto inserted = Run(connection, kInsertProject,
                                  {pg::Param::Text(project.name), owner.AsParam(), pg::Param::Text(project.api_key),
                                   pg::Param::Text(project.client_id), OptionalText(project.client_secret_hash),
                                   pg::Param::Text(uris), Bool(project.implicit_grant), Bool(project.active)});
        const ProjectId id = inserted.Int(0, 0);
        transaction.Commit();
        return id;
      });
    } catch (const pg::SqlError& e) {
      // Another process created a clashing project, or deleted the owner, between the checks and the insert.
      if (e.SqlState() == "23503") throw OwnerUnknown(project.owner_user_id);
      if (e.SqlState() != "23505") throw;
      const bool client_id_taken = WithConnection([&](pg::Connection& connection) {
        const auto taken =
            Run(connection, kProjectTaken, {pg::Param::Text(project.client_id), pg::Param::Text(project.api_key)});
        return taken.Count() == 0 || taken.Bool(0, 0);
      });
      throw ProjectTaken(client_id_taken);
    }
  }

  std::vector<OAuthProject> ListProjects() override {
    return WithConnection([&](pg::Connection& connection) {
      const auto rows = Run(connection, {"oauth_list_projects", list_projects_sql_}, {});
      std::vector<OAuthProject> projects;
      for (int row = 0; row < rows.Count(); ++row) projects.push_back(ReadProject(rows, row));
      return projects;
    });
  }

  bool SetProjectActive(std::string_view client_id, bool active) override {
    if (HoldsNul(client_id)) return false;
    return WithConnection([&](pg::Connection& connection) {
      return Run(connection, kSetProjectActive, {pg::Param::Text(client_id), Bool(active)}).Affected() > 0;
    });
  }

  bool SetRedirectUris(std::string_view client_id, const std::vector<std::string>& uris) override {
    if (HoldsNul(client_id)) return false;
    const std::string json = RedirectUrisJson(uris);
    return WithConnection([&](pg::Connection& connection) {
      return Run(connection, kSetRedirectUris, {pg::Param::Text(client_id), pg::Param::Text(json)}).Affected() > 0;
    });
  }

  void AddGrant(UserId user_id, ProjectId project_id, const std::vector<std::string>& scopes,
                LocalDateTime at) override {
    const pg::IntText user(user_id);
    const pg::IntText project(project_id);
    const pg::IntText granted_at(at.millis);
    WithConnection([&](pg::Connection& connection) {
      pg::Transaction transaction(connection);
      LockPair(connection, user_id, project_id);
      std::vector<std::string> merged;
      const auto existing = Run(connection, kFindGrant, {user.AsParam(), project.AsParam()});
      if (existing.Count() > 0) merged = SplitScopes(existing.Text(0, 0));
      for (const auto& scope : scopes) {
        if (std::find(merged.begin(), merged.end(), scope) == merged.end()) merged.push_back(scope);
      }
      const std::string joined = JoinScopes(merged);
      Run(connection, kUpsertGrant, {user.AsParam(), project.AsParam(), pg::Param::Text(joined), granted_at.AsParam()});
      transaction.Commit();
    });
  }

  std::optional<std::vector<std::string>> FindGrant(UserId user_id, ProjectId project_id) override {
    const pg::IntText user(user_id);
    const pg::IntText project(project_id);
    return WithConnection([&](pg::Connection& connection) -> std::optional<std::vector<std::string>> {
      const auto rows = Run(connection, kFindGrant, {user.AsParam(), project.AsParam()});
      if (rows.Count() == 0) return std::nullopt;
      return SplitScopes(rows.Text(0, 0));
    });
  }

  std::vector<StoredGrant> ListGrants(UserId user_id) override {
    const pg::IntText user(user_id);
    return WithConnection([&](pg::Connection& connection) {
      const auto rows = Run(connection, kListGrants, {user.AsParam()});
      std::vector<StoredGrant> grants;
      for (int row = 0; row < rows.Count(); ++row) {
        grants.push_back(StoredGrant{rows.Int(row, 0), std::string(rows.Text(row, 1)), std::string(rows.Text(row, 2)),
                                     SplitScopes(rows.Text(row, 3)), LocalDateTime{rows.Int(row, 4)}});
      }
      return grants;
    });
  }

  bool RevokeGrant(UserId user_id, ProjectId project_id) override {
    const pg::IntText user(user_id);
    const pg::IntText project(project_id);
    return WithConnection([&](pg::Connection& connection) {
      pg::Transaction transaction(connection);
      LockPair(connection, user_id, project_id);
      const bool existed = Run(connection, kDeleteGrant, {user.AsParam(), project.AsParam()}).Affected() > 0;
      // The families first: that waits for any token being added to one of them, which the updates below see.
      for (const Sql& sql : {kRevokePairFamilies, kRevokePairRefresh, kRevokePairTokens, kUsePairCodes}) {
        Run(connection, sql, {user.AsParam(), project.AsParam()});
      }
      transaction.Commit();
      return existed;
    });
  }

  void InsertAuthorizationCode(const AuthorizationCodeRecord& code) override {
    const pg::IntText project(code.project_id);
    const pg::IntText user(code.user_id);
    const pg::IntText expires(code.expires_at_unix);
    WithConnection([&](pg::Connection& connection) {
      Run(connection, kInsertCode,
          {pg::Param::Bytes(code.code_hash), project.AsParam(), user.AsParam(), pg::Param::Text(code.redirect_uri),
           pg::Param::Text(code.scopes), pg::Param::Text(code.code_challenge), expires.AsParam()});
    });
  }

  CodeRedemption RedeemAuthorizationCode(std::string_view code_hash, std::int64_t now_unix) override {
    return WithConnection([&](pg::Connection& connection) {
      pg::Transaction transaction(connection);
      CodeRedemption redemption;
      {
        // A code's user and project never change: read them unlocked to take the pair lock before the row lock.
        const auto pair = Run(connection, kCodePair, {pg::Param::Bytes(code_hash)});
        if (pair.Count() == 0) return redemption;  // kNotFound; nothing written
        LockPair(connection, static_cast<UserId>(pair.Int(0, 0)), pair.Int(0, 1));
      }
      // FOR UPDATE: a concurrent redemption waits here for this one's commit and then reads the code as used.
      const auto row = Run(connection, kLockCode, {pg::Param::Bytes(code_hash)});
      if (row.Count() == 0) return redemption;  // purged meanwhile (PurgeUnusable): kNotFound
      AuthorizationCodeRecord code;
      code.code_hash = std::string(code_hash);
      code.project_id = row.Int(0, 0);
      code.user_id = static_cast<UserId>(row.Int(0, 1));
      code.redirect_uri = row.Text(0, 2);
      code.scopes = row.Text(0, 3);
      code.code_challenge = row.Text(0, 4);
      code.expires_at_unix = row.Int(0, 5);
      if (row.Bool(0, 6)) {
        if (!row.IsNull(0, 7)) RevokeFamilyOn(connection, row.Int(0, 7));
        transaction.Commit();
        redemption.status = CodeRedeemStatus::kAlreadyUsed;
        return redemption;
      }
      const TokenFamilyId family = InsertFamily(connection, code.user_id, code.project_id, now_unix);
      const pg::IntText family_text(family);
      Run(connection, kMarkCodeUsed, {pg::Param::Bytes(code_hash), family_text.AsParam()});
      transaction.Commit();
      redemption.status = CodeRedeemStatus::kRedeemed;
      redemption.code = std::move(code);
      redemption.family = family;
      return redemption;
    });
  }

  TokenFamilyId CreateTokenFamily(UserId user_id, ProjectId project_id, std::int64_t now_unix) override {
    // A single insert needs no pair lock: against a concurrent RevokeGrant it simply comes after it.
    return WithConnection(
        [&](pg::Connection& connection) { return InsertFamily(connection, user_id, project_id, now_unix); });
  }

  bool IssueTokens(TokenFamilyId family, const std::string& scopes, const TokenToIssue& access,
                   const std::optional<TokenToIssue>& refresh) override {
    const pg::IntText family_text(family);
    return WithConnection([&](pg::Connection& connection) {
      pg::Transaction transaction(connection);
      // FOR SHARE: a revocation of the family (an update of this row) either waits for these tokens and revokes
      // them, or has committed and is seen here.
      const auto row = Run(connection, kShareFamily, {family_text.AsParam()});
      if (row.Count() == 0 || row.Bool(0, 2)) return false;
      const auto user_id = static_cast<UserId>(row.Int(0, 0));
      const ProjectId project_id = row.Int(0, 1);
      InsertAccess(connection, family, user_id, project_id, scopes, access);
      if (refresh) InsertRefresh(connection, family, user_id, project_id, scopes, *refresh);
      transaction.Commit();
      return true;
    });
  }

  std::optional<RefreshTokenState> FindRefreshToken(std::string_view token_hash) override {
    return WithConnection([&](pg::Connection& connection) -> std::optional<RefreshTokenState> {
      const auto rows = Run(connection, kFindRefresh, {pg::Param::Bytes(token_hash)});
      if (rows.Count() == 0) return std::nullopt;
      return RefreshTokenState{RefreshTokenRecord{rows.Int(0, 0), rows.Int(0, 1), static_cast<UserId>(rows.Int(0, 2)),
                                                  std::string(rows.Text(0, 3)), rows.Int(0, 4)},
                               rows.Bool(0, 5), rows.Bool(0, 6)};
    });
  }

  bool RotateRefreshTokenIfLive(std::string_view token_hash, const TokenToIssue& next_access,
                                const TokenToIssue& next_refresh) override {
    return WithConnection([&](pg::Connection& connection) {
      pg::Transaction transaction(connection);
      const auto owner = Run(connection, kRefreshOwner, {pg::Param::Bytes(token_hash)});
      if (owner.Count() == 0) return false;
      const TokenFamilyId family = owner.Int(0, 0);
      const pg::IntText family_text(family);
      // The family row serialises every rotation and revocation in the family (see the locking protocol above).
      // No row: the family was purged meanwhile (PurgeUnusable), with the token.
      const auto family_row = Run(connection, kLockFamily, {family_text.AsParam()});
      if (family_row.Count() == 0 || family_row.Bool(0, 0)) return false;
      const auto row = Run(connection, kRotateIfLive, {pg::Param::Bytes(token_hash)});
      if (row.Count() == 0) return false;
      const ProjectId project_id = row.Int(0, 0);
      const auto user_id = static_cast<UserId>(row.Int(0, 1));
      const std::string scopes(row.Text(0, 2));
      InsertAccess(connection, family, user_id, project_id, scopes, next_access);
      InsertRefresh(connection, family, user_id, project_id, scopes, next_refresh);
      transaction.Commit();
      return true;
    });
  }

  TokenRevokeStatus RevokeToken(std::string_view token_hash, ProjectId project_id) override {
    const pg::IntText project(project_id);
    return WithConnection([&](pg::Connection& connection) {
      const auto refresh = Run(connection, kRefreshOwner, {pg::Param::Bytes(token_hash)});
      if (refresh.Count() > 0) {
        if (refresh.Int(0, 1) != project_id) return TokenRevokeStatus::kOtherProject;
        pg::Transaction transaction(connection);
        RevokeFamilyOn(connection, refresh.Int(0, 0));
        transaction.Commit();
        return TokenRevokeStatus::kRefreshFamilyRevoked;
      }
      if (Run(connection, kRevokeAccess, {pg::Param::Bytes(token_hash), project.AsParam()}).Affected() > 0) {
        return TokenRevokeStatus::kAccessTokenRevoked;
      }
      return Run(connection, kAccessExists, {pg::Param::Bytes(token_hash)}).Count() > 0
                 ? TokenRevokeStatus::kOtherProject
                 : TokenRevokeStatus::kNotFound;
    });
  }

  void RevokeTokenFamily(TokenFamilyId family) override {
    WithConnection([&](pg::Connection& connection) {
      pg::Transaction transaction(connection);
      RevokeFamilyOn(connection, family);
      transaction.Commit();
    });
  }

  void CreateSession(std::string_view session_hash, UserId user_id, LocalDateTime created_at,
                     std::int64_t expires_at_unix, std::int64_t now_unix) override {
    const pg::IntText now(now_unix);
    const pg::IntText user(user_id);
    const pg::IntText created(created_at.millis);
    const pg::IntText expires(expires_at_unix);
    WithConnection([&](pg::Connection& connection) {
      pg::Transaction transaction(connection);
      Run(connection, kPruneSessions, {now.AsParam()});
      Run(connection, kInsertSession,
          {pg::Param::Bytes(session_hash), user.AsParam(), created.AsParam(), expires.AsParam()});
      transaction.Commit();
    });
  }

  std::optional<SessionRecord> FindSession(std::string_view session_hash, std::int64_t now_unix) override {
    const pg::IntText now(now_unix);
    return WithConnection([&](pg::Connection& connection) -> std::optional<SessionRecord> {
      const auto rows = Run(connection, kFindSession, {pg::Param::Bytes(session_hash), now.AsParam()});
      if (rows.Count() == 0) return std::nullopt;
      return SessionRecord{static_cast<UserId>(rows.Int(0, 0)), std::string(rows.Text(0, 1)), rows.Int(0, 2)};
    });
  }

  void DeleteSession(std::string_view session_hash) override {
    WithConnection(
        [&](pg::Connection& connection) { Run(connection, kDeleteSession, {pg::Param::Bytes(session_hash)}); });
  }

  LoginFailureSummary CountLoginFailures(std::string_view key_hash, std::int64_t since_unix_millis) override {
    const pg::IntText since(since_unix_millis);
    return WithConnection([&](pg::Connection& connection) {
      const auto rows = Run(connection, kCountFailures, {pg::Param::Bytes(key_hash), since.AsParam()});
      return LoginFailureSummary{rows.Int(0, 0), rows.Int(0, 1)};
    });
  }

  void RecordLoginFailure(std::string_view key_hash, std::int64_t at_unix_millis,
                          std::int64_t prune_before_unix_millis) override {
    const pg::IntText at(at_unix_millis);
    const pg::IntText prune_before(prune_before_unix_millis);
    WithConnection([&](pg::Connection& connection) {
      pg::Transaction transaction(connection);
      Run(connection, kPruneFailures, {pg::Param::Bytes(key_hash), prune_before.AsParam()});
      Run(connection, kInsertFailure, {pg::Param::Bytes(key_hash), at.AsParam()});
      transaction.Commit();
    });
  }

  void ClearLoginFailures(std::string_view key_hash) override {
    WithConnection([&](pg::Connection& connection) { Run(connection, kClearFailures, {pg::Param::Bytes(key_hash)}); });
  }

  OAuthPurgeCounts PurgeUnusable(const OAuthPurgeCutoffs& cutoffs) override {
    OAuthPurgeCounts counts;
    counts.access_tokens = PurgeInBatches(kPurgeAccess, cutoffs.now_unix);
    counts.refresh_tokens = PurgeInBatches(kPurgeRefresh, cutoffs.refresh_expired_before_unix);
    const pg::IntText opened_before(cutoffs.families_opened_before_unix);
    const pg::IntText batch(kPurgeBatch);
    for (;;) {
      const auto rows = WithConnection([&](pg::Connection& connection) {
        return Run(connection, kPurgeFamilies, {opened_before.AsParam(), batch.AsParam()});
      });
      counts.token_families += rows.Int(0, 0);
      counts.authorization_codes += rows.Int(0, 1);
      if (rows.Int(0, 0) < kPurgeBatch) break;
    }
    counts.authorization_codes += PurgeInBatches(kPurgeCodes, cutoffs.now_unix);
    counts.login_sessions = PurgeInBatches(kPurgeSessions, cutoffs.now_unix);
    counts.login_failures = PurgeInBatches(kPurgeFailures, cutoffs.failures_before_unix_millis);
    return counts;
  }

 private:
  // Runs `body` on a pooled connection.
  template <typename Body>
  std::invoke_result_t<Body&, pg::Connection&> WithConnection(Body&& body) {
    const auto lease = pool_.Acquire();
    return body(*lease);
  }

  // Runs one of the kPurge statements until a batch comes back short; returns the rows deleted.
  std::int64_t PurgeInBatches(const Sql& purge, std::int64_t cutoff) {
    const pg::IntText cutoff_text(cutoff);
    const pg::IntText batch(kPurgeBatch);
    std::int64_t deleted = 0;
    for (;;) {
      const std::int64_t affected = WithConnection([&](pg::Connection& connection) {
        return Run(connection, purge, {cutoff_text.AsParam(), batch.AsParam()}).Affected();
      });
      deleted += affected;
      if (affected < kPurgeBatch) return deleted;
    }
  }

  static UsageError OwnerUnknown(UserId owner) {
    return UsageError("the owner " + std::to_string(owner) + " is not a known user");
  }

  static UsageError ProjectTaken(bool client_id_taken) {
    return UsageError(client_id_taken ? "a project with this client id already exists"
                                      : "a project with this API key already exists");
  }

  static bool UserExistsOn(pg::Connection& connection, UserId user_id) {
    const pg::IntText user(user_id);
    return Run(connection, kUserExists, {user.AsParam()}).Count() > 0;
  }

  static void LockPair(pg::Connection& connection, UserId user_id, ProjectId project_id) {
    const pg::IntText space(kPairLockSpace);
    const pg::IntText key(PairKey(user_id, project_id));
    Run(connection, kPairLock, {space.AsParam(), key.AsParam()});
  }

  static TokenFamilyId InsertFamily(pg::Connection& connection, UserId user_id, ProjectId project_id,
                                    std::int64_t now_unix) {
    const pg::IntText user(user_id);
    const pg::IntText project(project_id);
    const pg::IntText now(now_unix);
    return Run(connection, kInsertFamily, {user.AsParam(), project.AsParam(), now.AsParam()}).Int(0, 0);
  }

  // The family's row first (see the locking protocol above), then its tokens.
  static void RevokeFamilyOn(pg::Connection& connection, TokenFamilyId family) {
    const pg::IntText family_text(family);
    for (const Sql& sql : {kRevokeFamily, kRevokeFamilyTokens, kRevokeFamilyRefresh}) {
      Run(connection, sql, {family_text.AsParam()});
    }
  }

  static void InsertAccess(pg::Connection& connection, TokenFamilyId family, UserId user_id, ProjectId project_id,
                           const std::string& scopes, const TokenToIssue& token) {
    const pg::IntText user(user_id);
    const pg::IntText project(project_id);
    const pg::IntText expires(token.expires_at_unix);
    const pg::IntText family_text(family);
    Run(connection, kInsertAccess,
        {pg::Param::Bytes(token.token_hash), user.AsParam(), project.AsParam(), pg::Param::Text(scopes),
         expires.AsParam(), family_text.AsParam()});
  }

  static void InsertRefresh(pg::Connection& connection, TokenFamilyId family, UserId user_id, ProjectId project_id,
                            const std::string& scopes, const TokenToIssue& token) {
    const pg::IntText family_text(family);
    const pg::IntText user(user_id);
    const pg::IntText project(project_id);
    const pg::IntText expires(token.expires_at_unix);
    Run(connection, kInsertRefresh,
        {pg::Param::Bytes(token.token_hash), family_text.AsParam(), user.AsParam(), project.AsParam(),
         pg::Param::Text(scopes), expires.AsParam()});
  }

  ConnectionPool pool_;
  const std::string find_login_sql_;
  const std::string project_by_client_sql_;
  const std::string project_by_id_sql_;
  const std::string list_projects_sql_;
};

}  // namespace

std::unique_ptr<OAuthStore> OpenPostgresOAuthStore(const std::string& uri) {
  return pg::OpenDatabase("database", uri, [&]() -> std::unique_ptr<OAuthStore> {
    auto connection = std::make_unique<pg::Connection>(uri);
    MigratePostgres(*connection);
    return std::make_unique<PostgresOAuthStore>(uri, std::move(connection));
  });
}

}  // namespace phonechat
