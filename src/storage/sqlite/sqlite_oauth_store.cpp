// The Unified Login's atomic steps on SQLite, on a connection of its own.

#include "storage/sqlite/sqlite_oauth_store.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <mutex>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

#include "core/error.hpp"
#include "domain/made_bookings_query.hpp"
#include "storage/redirect_uris.hpp"
#include "storage/sqlite/connection.hpp"
#include "storage/sqlite/schema.hpp"

namespace phonechat {

namespace {

using sqlite::Connection;
using sqlite::ScopedReset;
using sqlite::Statement;

// BEGIN IMMEDIATE takes the write lock up front: a read-then-write transaction that began deferred could find
// the lock taken when it tries to write and fail instead of waiting.
class Transaction {
 public:
  explicit Transaction(Connection& connection) : connection_(connection) { connection_.Execute("BEGIN IMMEDIATE"); }
  ~Transaction() {
    if (!done_) sqlite3_exec(connection_.Handle(), "ROLLBACK", nullptr, nullptr, nullptr);
  }
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void Commit() {
    connection_.Execute("COMMIT");
    done_ = true;
  }

 private:
  Connection& connection_;
  bool done_ = false;
};

// Rows PurgeUnusable deletes per write transaction.
constexpr std::int64_t kPurgeBatch = 500;

constexpr std::string_view kProjectColumns =
    "project_id, name, owner_user_id, api_key, client_id, client_secret_hash, redirect_uris, implicit_grant, "
    "active";

OAuthProject ReadProject(const Statement& row) {
  OAuthProject project;
  project.project_id = row.Int(0);
  project.name = row.Text(1);
  project.owner_user_id = static_cast<UserId>(row.Int(2));
  project.api_key = row.Text(3);
  project.client_id = row.Text(4);
  project.client_secret_hash = row.OptionalText(5);
  project.redirect_uris = ParseRedirectUris(row.Text(6));
  project.implicit_grant = row.Int(7) != 0;
  project.active = row.Int(8) != 0;
  return project;
}

// One connection of its own, serialised by a mutex: every method is a single short statement or transaction,
// so callers on serving threads wait microseconds, except behind another writer of the file (up to the busy
// timeout).
class SqliteOAuthStore final : public OAuthStore {
 public:
  explicit SqliteOAuthStore(const std::string& path)
      : connection_(path, Connection::Role::kWriter),
        find_login_sql_("SELECT user_id, nickname, email_address, password_hash FROM users WHERE " +
                        sqlite::FoldNicknameSql("nickname") + " = ?1 UNION SELECT user_id, nickname, email_address, " +
                        "password_hash FROM users WHERE " + sqlite::FoldNicknameSql("email_address") +
                        " = ?1 ORDER BY user_id LIMIT 10"),
        project_by_client_sql_("SELECT " + std::string(kProjectColumns) + " FROM projects WHERE client_id = ?1"),
        project_by_id_sql_("SELECT " + std::string(kProjectColumns) + " FROM projects WHERE project_id = ?1"),
        list_projects_sql_("SELECT " + std::string(kProjectColumns) + " FROM projects ORDER BY project_id") {
    sqlite::MigrateSchema(connection_, path);
  }

  std::vector<LoginAccount> FindLoginAccounts(std::string_view login) override {
    auto lock = Lock();
    const std::string folded = FoldNickname(login);
    auto& statement = Prepared(find_login_sql_);
    ScopedReset reset(statement);
    statement.BindText(1, folded);
    std::vector<LoginAccount> accounts;
    while (statement.Step()) {
      accounts.push_back(LoginAccount{static_cast<UserId>(statement.Int(0)), std::string(statement.Text(1)),
                                      statement.OptionalText(2), statement.OptionalText(3)});
    }
    return accounts;
  }

  std::optional<AccountRecord> FindAccount(UserId user_id) override {
    auto lock = Lock();
    // A member's group is the one they belong to; a manager who belongs to none is shown the first group
    // they manage.
    auto& statement = Prepared(
        "SELECT u.user_id, u.nickname, coalesce(m.group_id, (SELECT min(group_id) FROM user_groups "
        "WHERE manager_user_id = u.user_id)) AS shown_group, "
        "EXISTS (SELECT 1 FROM user_groups WHERE manager_user_id = u.user_id) "
        "FROM users AS u LEFT JOIN group_members AS m ON m.user_id = u.user_id WHERE u.user_id = ?1");
    std::optional<AccountRecord> account;
    {
      ScopedReset reset(statement);
      statement.BindInt(1, user_id);
      if (!statement.Step()) return std::nullopt;
      account =
          AccountRecord{user_id, std::string(statement.Text(1)), std::nullopt, std::nullopt, statement.Int(3) != 0};
      if (!statement.IsNull(2)) account->group_id = static_cast<GroupId>(statement.Int(2));
    }
    if (account->group_id) {
      auto& name = Prepared("SELECT name FROM user_groups WHERE group_id = ?1");
      ScopedReset reset(name);
      name.BindInt(1, *account->group_id);
      if (name.Step()) account->group_name = std::string(name.Text(0));
    }
    return account;
  }

  bool UserExists(UserId user_id) override {
    auto lock = Lock();
    return UserExistsLocked(user_id);
  }

  std::optional<OAuthProject> FindProjectByClientId(std::string_view client_id) override {
    auto lock = Lock();
    auto& statement = Prepared(project_by_client_sql_);
    ScopedReset reset(statement);
    statement.BindText(1, client_id);
    if (!statement.Step()) return std::nullopt;
    return ReadProject(statement);
  }

  std::optional<OAuthProject> FindProject(ProjectId project_id) override {
    auto lock = Lock();
    auto& statement = Prepared(project_by_id_sql_);
    ScopedReset reset(statement);
    statement.BindInt(1, project_id);
    if (!statement.Step()) return std::nullopt;
    return ReadProject(statement);
  }

  ProjectId CreateProject(const ProjectRecord& project) override {
    auto lock = Lock();
    Transaction transaction(connection_);
    if (!UserExistsLocked(project.owner_user_id)) {
      throw UsageError("the owner " + std::to_string(project.owner_user_id) + " is not a known user");
    }
    {
      auto& taken = Prepared("SELECT client_id = ?1, api_key = ?2 FROM projects WHERE client_id = ?1 OR api_key = ?2");
      ScopedReset reset(taken);
      taken.BindText(1, project.client_id);
      taken.BindText(2, project.api_key);
      if (taken.Step()) {
        throw UsageError(taken.Int(0) != 0 ? "a project with this client id already exists"
                                           : "a project with this API key already exists");
      }
    }
    const std::string uris = RedirectUrisJson(project.redirect_uris);
    auto& insert = Prepared(
        "INSERT INTO projects (name, owner_user_id, api_key, client_id, client_secret_hash, redirect_uris, "
        "implicit_grant, active) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
    {
      ScopedReset reset(insert);
      insert.BindText(1, project.name);
      insert.BindInt(2, project.owner_user_id);
      insert.BindText(3, project.api_key);
      insert.BindText(4, project.client_id);
      insert.BindOptionalText(5, project.client_secret_hash);
      insert.BindText(6, uris);
      insert.BindInt(7, project.implicit_grant ? 1 : 0);
      insert.BindInt(8, project.active ? 1 : 0);
      insert.Run();
    }
    const ProjectId id = sqlite3_last_insert_rowid(connection_.Handle());
    transaction.Commit();
    return id;
  }

  std::vector<OAuthProject> ListProjects() override {
    auto lock = Lock();
    auto& statement = Prepared(list_projects_sql_);
    ScopedReset reset(statement);
    std::vector<OAuthProject> projects;
    while (statement.Step()) projects.push_back(ReadProject(statement));
    return projects;
  }

  bool SetProjectActive(std::string_view client_id, bool active) override {
    auto lock = Lock();
    auto& update = Prepared("UPDATE projects SET active = ?2 WHERE client_id = ?1");
    ScopedReset reset(update);
    update.BindText(1, client_id);
    update.BindInt(2, active ? 1 : 0);
    update.Run();
    return connection_.Changes() > 0;
  }

  bool SetRedirectUris(std::string_view client_id, const std::vector<std::string>& uris) override {
    auto lock = Lock();
    const std::string json = RedirectUrisJson(uris);
    auto& update = Prepared("UPDATE projects SET redirect_uris = ?2 WHERE client_id = ?1");
    ScopedReset reset(update);
    update.BindText(1, client_id);
    update.BindText(2, json);
    update.Run();
    return connection_.Changes() > 0;
  }

  void AddGrant(UserId user_id, ProjectId project_id, const std::vector<std::string>& scopes,
                LocalDateTime at) override {
    auto lock = Lock();
    Transaction transaction(connection_);
    std::vector<std::string> merged;
    {
      auto& existing = Prepared("SELECT scopes FROM oauth_grants WHERE user_id = ?1 AND project_id = ?2");
      ScopedReset reset(existing);
      existing.BindInt(1, user_id);
      existing.BindInt(2, project_id);
      if (existing.Step()) merged = SplitScopes(existing.Text(0));
    }
    for (const auto& scope : scopes) {
      if (std::find(merged.begin(), merged.end(), scope) == merged.end()) merged.push_back(scope);
    }
    const std::string joined = JoinScopes(merged);
    auto& upsert = Prepared(
        "INSERT INTO oauth_grants (user_id, project_id, scopes, granted_at) VALUES (?1, ?2, ?3, ?4) "
        "ON CONFLICT (user_id, project_id) DO UPDATE SET scopes = excluded.scopes, granted_at = excluded.granted_at");
    {
      ScopedReset reset(upsert);
      upsert.BindInt(1, user_id);
      upsert.BindInt(2, project_id);
      upsert.BindText(3, joined);
      upsert.BindInt(4, at.millis);
      upsert.Run();
    }
    transaction.Commit();
  }

  std::optional<std::vector<std::string>> FindGrant(UserId user_id, ProjectId project_id) override {
    auto lock = Lock();
    auto& statement = Prepared("SELECT scopes FROM oauth_grants WHERE user_id = ?1 AND project_id = ?2");
    ScopedReset reset(statement);
    statement.BindInt(1, user_id);
    statement.BindInt(2, project_id);
    if (!statement.Step()) return std::nullopt;
    return SplitScopes(statement.Text(0));
  }

  std::vector<StoredGrant> ListGrants(UserId user_id) override {
    auto lock = Lock();
    auto& statement = Prepared(
        "SELECT g.project_id, p.name, p.client_id, g.scopes, g.granted_at FROM oauth_grants AS g "
        "JOIN projects AS p ON p.project_id = g.project_id WHERE g.user_id = ?1 ORDER BY p.name, p.project_id");
    ScopedReset reset(statement);
    statement.BindInt(1, user_id);
    std::vector<StoredGrant> grants;
    while (statement.Step()) {
      grants.push_back(StoredGrant{statement.Int(0), std::string(statement.Text(1)), std::string(statement.Text(2)),
                                   SplitScopes(statement.Text(3)), LocalDateTime{statement.Int(4)}});
    }
    return grants;
  }

  bool RevokeGrant(UserId user_id, ProjectId project_id) override {
    auto lock = Lock();
    Transaction transaction(connection_);
    const auto run = [&](std::string_view sql) {
      auto& statement = Prepared(sql);
      ScopedReset reset(statement);
      statement.BindInt(1, user_id);
      statement.BindInt(2, project_id);
      statement.Run();
      return connection_.Changes();
    };
    const bool existed = run("DELETE FROM oauth_grants WHERE user_id = ?1 AND project_id = ?2") > 0;
    run("UPDATE refresh_tokens SET revoked = 1 WHERE revoked = 0 AND family_id IN "
        "(SELECT family_id FROM token_families WHERE user_id = ?1 AND project_id = ?2)");
    run("UPDATE token_families SET revoked = 1 WHERE user_id = ?1 AND project_id = ?2 AND revoked = 0");
    // Every access token of the pair, including those issued outside the Unified Login (no family).
    run("UPDATE tokens SET revoked = 1 WHERE user_id = ?1 AND project_id = ?2 AND revoked = 0");
    // A code issued before the revocation must not yield tokens after it.
    run("UPDATE authorization_codes SET used = 1 WHERE user_id = ?1 AND project_id = ?2 AND used = 0");
    transaction.Commit();
    return existed;
  }

  void InsertAuthorizationCode(const AuthorizationCodeRecord& code) override {
    auto lock = Lock();
    auto& insert = Prepared(
        "INSERT INTO authorization_codes (code_hash, project_id, user_id, redirect_uri, scopes, code_challenge, "
        "expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
    ScopedReset reset(insert);
    insert.BindBlob(1, code.code_hash);
    insert.BindInt(2, code.project_id);
    insert.BindInt(3, code.user_id);
    insert.BindText(4, code.redirect_uri);
    insert.BindText(5, code.scopes);
    insert.BindText(6, code.code_challenge);
    insert.BindInt(7, code.expires_at_unix);
    insert.Run();
  }

  CodeRedemption RedeemAuthorizationCode(std::string_view code_hash, std::int64_t now_unix) override {
    auto lock = Lock();
    Transaction transaction(connection_);
    CodeRedemption redemption;
    AuthorizationCodeRecord code;
    bool used = false;
    std::optional<std::int64_t> family;
    {
      auto& select = Prepared(
          "SELECT project_id, user_id, redirect_uri, scopes, code_challenge, expires_at, used, family_id "
          "FROM authorization_codes WHERE code_hash = ?1");
      ScopedReset reset(select);
      select.BindBlob(1, code_hash);
      if (!select.Step()) return redemption;  // kNotFound; the transaction rolls back having written nothing
      code.code_hash = std::string(code_hash);
      code.project_id = select.Int(0);
      code.user_id = static_cast<UserId>(select.Int(1));
      code.redirect_uri = select.Text(2);
      code.scopes = select.Text(3);
      code.code_challenge = select.Text(4);
      code.expires_at_unix = select.Int(5);
      used = select.Int(6) != 0;
      family = select.OptionalInt(7);
    }
    if (used) {
      if (family) RevokeFamilyLocked(*family);
      transaction.Commit();
      redemption.status = CodeRedeemStatus::kAlreadyUsed;
      return redemption;
    }
    const TokenFamilyId new_family = CreateFamilyLocked(code.user_id, code.project_id, now_unix);
    {
      auto& mark = Prepared("UPDATE authorization_codes SET used = 1, family_id = ?2 WHERE code_hash = ?1");
      ScopedReset reset(mark);
      mark.BindBlob(1, code_hash);
      mark.BindInt(2, new_family);
      mark.Run();
    }
    transaction.Commit();
    redemption.status = CodeRedeemStatus::kRedeemed;
    redemption.code = std::move(code);
    redemption.family = new_family;
    return redemption;
  }

  TokenFamilyId CreateTokenFamily(UserId user_id, ProjectId project_id, std::int64_t now_unix) override {
    auto lock = Lock();
    return CreateFamilyLocked(user_id, project_id, now_unix);
  }

  bool IssueTokens(TokenFamilyId family, const std::string& scopes, const TokenToIssue& access,
                   const std::optional<TokenToIssue>& refresh) override {
    auto lock = Lock();
    Transaction transaction(connection_);
    UserId user_id = 0;
    ProjectId project_id = 0;
    {
      auto& select = Prepared("SELECT user_id, project_id, revoked FROM token_families WHERE family_id = ?1");
      ScopedReset reset(select);
      select.BindInt(1, family);
      // A family revoked between the redemption and this call (a concurrent reuse of the code) gets nothing.
      if (!select.Step() || select.Int(2) != 0) return false;
      user_id = static_cast<UserId>(select.Int(0));
      project_id = select.Int(1);
    }
    InsertAccessLocked(family, user_id, project_id, scopes, access);
    if (refresh) InsertRefreshLocked(family, user_id, project_id, scopes, *refresh);
    transaction.Commit();
    return true;
  }

  std::optional<RefreshTokenState> FindRefreshToken(std::string_view token_hash) override {
    auto lock = Lock();
    auto& select = Prepared(
        "SELECT r.family_id, r.project_id, r.user_id, r.scopes, r.expires_at, r.rotated, r.revoked OR f.revoked "
        "FROM refresh_tokens AS r JOIN token_families AS f ON f.family_id = r.family_id WHERE r.token_hash = ?1");
    ScopedReset reset(select);
    select.BindBlob(1, token_hash);
    if (!select.Step()) return std::nullopt;
    return RefreshTokenState{RefreshTokenRecord{select.Int(0), select.Int(1), static_cast<UserId>(select.Int(2)),
                                                std::string(select.Text(3)), select.Int(4)},
                             select.Int(5) != 0, select.Int(6) != 0};
  }

  bool RotateRefreshTokenIfLive(std::string_view token_hash, const TokenToIssue& next_access,
                                const TokenToIssue& next_refresh) override {
    auto lock = Lock();
    Transaction transaction(connection_);
    RefreshTokenRecord token;
    {
      auto& select = Prepared(
          "SELECT r.family_id, r.project_id, r.user_id, r.scopes FROM refresh_tokens AS r "
          "JOIN token_families AS f ON f.family_id = r.family_id "
          "WHERE r.token_hash = ?1 AND r.rotated = 0 AND r.revoked = 0 AND f.revoked = 0");
      ScopedReset reset(select);
      select.BindBlob(1, token_hash);
      if (!select.Step()) return false;
      token = RefreshTokenRecord{select.Int(0), select.Int(1), static_cast<UserId>(select.Int(2)),
                                 std::string(select.Text(3)), 0};
    }
    {
      auto& mark = Prepared("UPDATE refresh_tokens SET rotated = 1 WHERE token_hash = ?1");
      ScopedReset reset(mark);
      mark.BindBlob(1, token_hash);
      mark.Run();
    }
    InsertAccessLocked(token.family, token.user_id, token.project_id, token.scopes, next_access);
    InsertRefreshLocked(token.family, token.user_id, token.project_id, token.scopes, next_refresh);
    transaction.Commit();
    return true;
  }

  TokenRevokeStatus RevokeToken(std::string_view token_hash, ProjectId project_id) override {
    auto lock = Lock();
    Transaction transaction(connection_);
    std::optional<std::pair<TokenFamilyId, ProjectId>> refresh;
    {
      auto& select = Prepared("SELECT family_id, project_id FROM refresh_tokens WHERE token_hash = ?1");
      ScopedReset reset(select);
      select.BindBlob(1, token_hash);
      if (select.Step()) refresh.emplace(select.Int(0), select.Int(1));
    }
    if (refresh) {
      if (refresh->second != project_id) return TokenRevokeStatus::kOtherProject;
      RevokeFamilyLocked(refresh->first);
      transaction.Commit();
      return TokenRevokeStatus::kRefreshFamilyRevoked;
    }
    {
      auto& select = Prepared("SELECT project_id FROM tokens WHERE token_hash = ?1");
      ScopedReset reset(select);
      select.BindBlob(1, token_hash);
      if (!select.Step()) return TokenRevokeStatus::kNotFound;
      if (select.Int(0) != project_id) return TokenRevokeStatus::kOtherProject;
    }
    {
      auto& update = Prepared("UPDATE tokens SET revoked = 1 WHERE token_hash = ?1");
      ScopedReset reset(update);
      update.BindBlob(1, token_hash);
      update.Run();
    }
    transaction.Commit();
    return TokenRevokeStatus::kAccessTokenRevoked;
  }

  void RevokeTokenFamily(TokenFamilyId family) override {
    auto lock = Lock();
    Transaction transaction(connection_);
    RevokeFamilyLocked(family);
    transaction.Commit();
  }

  void CreateSession(std::string_view session_hash, UserId user_id, LocalDateTime created_at,
                     std::int64_t expires_at_unix, std::int64_t now_unix) override {
    auto lock = Lock();
    Transaction transaction(connection_);
    {
      auto& prune = Prepared("DELETE FROM login_sessions WHERE expires_at <= ?1");
      ScopedReset reset(prune);
      prune.BindInt(1, now_unix);
      prune.Run();
    }
    {
      auto& insert = Prepared(
          "INSERT INTO login_sessions (session_hash, user_id, created_at, expires_at) VALUES (?1, ?2, ?3, ?4)");
      ScopedReset reset(insert);
      insert.BindBlob(1, session_hash);
      insert.BindInt(2, user_id);
      insert.BindInt(3, created_at.millis);
      insert.BindInt(4, expires_at_unix);
      insert.Run();
    }
    transaction.Commit();
  }

  std::optional<SessionRecord> FindSession(std::string_view session_hash, std::int64_t now_unix) override {
    auto lock = Lock();
    auto& select = Prepared(
        "SELECT s.user_id, u.nickname, s.expires_at FROM login_sessions AS s JOIN users AS u ON u.user_id = s.user_id "
        "WHERE s.session_hash = ?1 AND s.expires_at > ?2");
    ScopedReset reset(select);
    select.BindBlob(1, session_hash);
    select.BindInt(2, now_unix);
    if (!select.Step()) return std::nullopt;
    return SessionRecord{static_cast<UserId>(select.Int(0)), std::string(select.Text(1)), select.Int(2)};
  }

  void DeleteSession(std::string_view session_hash) override {
    auto lock = Lock();
    auto& remove = Prepared("DELETE FROM login_sessions WHERE session_hash = ?1");
    ScopedReset reset(remove);
    remove.BindBlob(1, session_hash);
    remove.Run();
  }

  LoginFailureSummary CountLoginFailures(std::string_view key_hash, std::int64_t since_unix_millis) override {
    auto lock = Lock();
    auto& select =
        Prepared("SELECT count(*), coalesce(max(at), 0) FROM login_failures WHERE key_hash = ?1 AND at >= ?2");
    ScopedReset reset(select);
    select.BindBlob(1, key_hash);
    select.BindInt(2, since_unix_millis);
    if (!select.Step()) return {};
    return LoginFailureSummary{select.Int(0), select.Int(1)};
  }

  void RecordLoginFailure(std::string_view key_hash, std::int64_t at_unix_millis,
                          std::int64_t prune_before_unix_millis) override {
    auto lock = Lock();
    Transaction transaction(connection_);
    {
      auto& prune = Prepared("DELETE FROM login_failures WHERE key_hash = ?1 AND at < ?2");
      ScopedReset reset(prune);
      prune.BindBlob(1, key_hash);
      prune.BindInt(2, prune_before_unix_millis);
      prune.Run();
    }
    {
      auto& insert = Prepared("INSERT INTO login_failures (key_hash, at) VALUES (?1, ?2)");
      ScopedReset reset(insert);
      insert.BindBlob(1, key_hash);
      insert.BindInt(2, at_unix_millis);
      insert.Run();
    }
    transaction.Commit();
  }

  void ClearLoginFailures(std::string_view key_hash) override {
    auto lock = Lock();
    auto& remove = Prepared("DELETE FROM login_failures WHERE key_hash = ?1");
    ScopedReset reset(remove);
    remove.BindBlob(1, key_hash);
    remove.Run();
  }

  OAuthPurgeCounts PurgeUnusable(const OAuthPurgeCutoffs& cutoffs) override {
    auto lock = Lock();
    OAuthPurgeCounts counts;
    counts.access_tokens =
        PurgeInBatches<1>("SELECT token_hash FROM tokens WHERE revoked = 1 OR expires_at <= ?2 LIMIT ?3",
                          {"DELETE FROM tokens WHERE token_hash = ?1 AND (revoked = 1 OR expires_at <= ?2)"},
                          cutoffs.now_unix)[0];
    counts.refresh_tokens =
        PurgeInBatches<1>("SELECT token_hash FROM refresh_tokens WHERE revoked = 1 OR expires_at < ?2 LIMIT ?3",
                          {"DELETE FROM refresh_tokens WHERE token_hash = ?1 AND (revoked = 1 OR expires_at < ?2)"},
                          cutoffs.refresh_expired_before_unix)[0];
    // The codes first: they refer to their family. Both re-check that the family is still empty.
    const auto families = PurgeInBatches<2>(
        "SELECT family_id FROM token_families AS f WHERE created_at < ?2 "
        "AND NOT EXISTS (SELECT 1 FROM tokens AS t WHERE t.family_id = f.family_id) "
        "AND NOT EXISTS (SELECT 1 FROM refresh_tokens AS r WHERE r.family_id = f.family_id) LIMIT ?3",
        {"DELETE FROM authorization_codes WHERE family_id = ?1 AND EXISTS (SELECT 1 FROM token_families AS f "
         "WHERE f.family_id = ?1 AND f.created_at < ?2 "
         "AND NOT EXISTS (SELECT 1 FROM tokens AS t WHERE t.family_id = ?1) "
         "AND NOT EXISTS (SELECT 1 FROM refresh_tokens AS r WHERE r.family_id = ?1))",
         "DELETE FROM token_families WHERE family_id = ?1 AND created_at < ?2 "
         "AND NOT EXISTS (SELECT 1 FROM tokens AS t WHERE t.family_id = ?1) "
         "AND NOT EXISTS (SELECT 1 FROM refresh_tokens AS r WHERE r.family_id = ?1)"},
        cutoffs.families_opened_before_unix);
    counts.authorization_codes = families[0];
    counts.token_families = families[1];
    counts.authorization_codes += PurgeInBatches<1>(
        "SELECT code_hash FROM authorization_codes WHERE family_id IS NULL AND expires_at <= ?2 LIMIT ?3",
        {"DELETE FROM authorization_codes WHERE code_hash = ?1 AND family_id IS NULL AND expires_at <= ?2"},
        cutoffs.now_unix)[0];
    counts.login_sessions =
        PurgeInBatches<1>("SELECT session_hash FROM login_sessions WHERE expires_at <= ?2 LIMIT ?3",
                          {"DELETE FROM login_sessions WHERE session_hash = ?1 AND expires_at <= ?2"},
                          cutoffs.now_unix)[0];
    counts.login_failures =
        PurgeInBatches<1>("SELECT failure_id FROM login_failures WHERE at < ?2 LIMIT ?3",
                          {"DELETE FROM login_failures WHERE failure_id = ?1 AND at < ?2"},
                          cutoffs.failures_before_unix_millis)[0];
    return counts;
  }

 private:
  // Waits for the connection as long as SQLite would wait for a lock, then reports the store unavailable.
  std::unique_lock<std::timed_mutex> Lock() {
    std::unique_lock lock(mutex_, std::chrono::milliseconds(sqlite::kBusyTimeoutMs));
    if (!lock.owns_lock()) throw StoreUnavailable("the Unified Login store stayed busy too long");
    return lock;
  }

  // The statement for `sql` (a string literal or a member: the key must outlive the store), prepared once.
  Statement& Prepared(std::string_view sql) {
    auto& slot = statements_[sql];
    if (!slot) slot = std::make_unique<Statement>(connection_.Handle(), sql);
    return *slot;
  }

  // Deletes the rows `select` names (?2 `cutoff`, ?3 the batch size; one key column, a BLOB or an integer) with
  // each of `deletes` (?1 the key, ?2 `cutoff`; each re-checks the condition), a batch per write transaction.
  // The keys are read outside the write lock: a scan of a large table never makes the file's other writers wait,
  // only the deletes by key do. Returns the rows each of `deletes` deleted.
  template <std::size_t kStatements>
  std::array<std::int64_t, kStatements> PurgeInBatches(std::string_view select,
                                                        const std::array<std::string_view, kStatements>& deletes,
                                                        std::int64_t cutoff) {
    std::array<std::int64_t, kStatements> deleted{};
    for (;;) {
      std::vector<std::variant<std::int64_t, std::string>> keys;
      {
        auto& statement = Prepared(select);
        ScopedReset reset(statement);
        statement.BindInt(2, cutoff);
        statement.BindInt(3, kPurgeBatch);
        while (statement.Step()) {
          if (sqlite3_column_type(statement.Handle(), 0) == SQLITE_BLOB) {
            keys.emplace_back(std::string(statement.Text(0)));
          } else {
            keys.emplace_back(statement.Int(0));
          }
        }
      }
      if (keys.empty()) break;
      std::int64_t batch_deleted = 0;
      Transaction transaction(connection_);
      for (const auto& key : keys) {
        for (std::size_t i = 0; i < kStatements; ++i) {
          auto& remove = Prepared(deletes[i]);
          ScopedReset reset(remove);
          if (const auto* blob = std::get_if<std::string>(&key)) {
            remove.BindBlob(1, *blob);
          } else {
            remove.BindInt(1, std::get<std::int64_t>(key));
          }
          remove.BindInt(2, cutoff);
          remove.Run();
          deleted[i] += connection_.Changes();
          batch_deleted += connection_.Changes();
        }
      }
      transaction.Commit();
      // A batch that deleted nothing was taken by someone else between the read and the write: not ours to loop on.
      if (static_cast<std::int64_t>(keys.size()) < kPurgeBatch || batch_deleted == 0) break;
    }
    return deleted;
  }

  bool UserExistsLocked(UserId user_id) {
    auto& statement = Prepared("SELECT 1 FROM users WHERE user_id = ?1");
    ScopedReset reset(statement);
    statement.BindInt(1, user_id);
    return statement.Step();
  }

  TokenFamilyId CreateFamilyLocked(UserId user_id, ProjectId project_id, std::int64_t now_unix) {
    auto& insert = Prepared("INSERT INTO token_families (user_id, project_id, created_at) VALUES (?1, ?2, ?3)");
    ScopedReset reset(insert);
    insert.BindInt(1, user_id);
    insert.BindInt(2, project_id);
    insert.BindInt(3, now_unix);
    insert.Run();
    return sqlite3_last_insert_rowid(connection_.Handle());
  }

  void RevokeFamilyLocked(TokenFamilyId family) {
    for (const std::string_view sql : {"UPDATE token_families SET revoked = 1 WHERE family_id = ?1",
                                       "UPDATE tokens SET revoked = 1 WHERE family_id = ?1 AND revoked = 0",
                                       "UPDATE refresh_tokens SET revoked = 1 WHERE family_id = ?1 AND revoked = 0"}) {
      auto& update = Prepared(sql);
      ScopedReset reset(update);
      update.BindInt(1, family);
      update.Run();
    }
  }

  void InsertAccessLocked(TokenFamilyId family, UserId user_id, ProjectId project_id, const std::string& scopes,
                          const TokenToIssue& token) {
    auto& insert = Prepared(
        "INSERT INTO tokens (token_hash, user_id, project_id, scopes, expires_at, family_id) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
    ScopedReset reset(insert);
    insert.BindBlob(1, token.token_hash);
    insert.BindInt(2, user_id);
    insert.BindInt(3, project_id);
    insert.BindText(4, scopes);
    insert.BindInt(5, token.expires_at_unix);
    insert.BindInt(6, family);
    insert.Run();
  }

  void InsertRefreshLocked(TokenFamilyId family, UserId user_id, ProjectId project_id, const std::string& scopes,
                           const TokenToIssue& token) {
    auto& insert = Prepared(
        "INSERT INTO refresh_tokens (token_hash, family_id, user_id, project_id, scopes, expires_at) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
    ScopedReset reset(insert);
    insert.BindBlob(1, token.token_hash);
    insert.BindInt(2, family);
    insert.BindInt(3, user_id);
    insert.BindInt(4, project_id);
    insert.BindText(5, scopes);
    insert.BindInt(6, token.expires_at_unix);
    insert.Run();
  }

  std::timed_mutex mutex_;
  Connection connection_;
  const std::string find_login_sql_;
  const std::string project_by_client_sql_;
  const std::string project_by_id_sql_;
  const std::string list_projects_sql_;
  // Declared last: destroyed (finalized) before the connection closes.
  std::unordered_map<std::string_view, std::unique_ptr<Statement>> statements_;
};

}  // namespace

std::unique_ptr<OAuthStore> OpenSqliteOAuthStore(const std::string& path) {
  return sqlite::OpenFile(path, [](const std::string& absolute) -> std::unique_ptr<OAuthStore> {
    return std::make_unique<SqliteOAuthStore>(absolute);
  });
}

}  // namespace phonechat
