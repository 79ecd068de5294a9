// The Unified Login's storage interface: accounts, projects, grants, codes, token families, each step atomic.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/booking.hpp"
#include "domain/local_date_time.hpp"
#include "domain/principal.hpp"
#include "storage/store.hpp"

namespace phonechat {

// Identifies one chain of tokens descended from a single authorization (a code exchange or an implicit grant):
// a code reuse, a refresh-token replay or a revocation revokes the whole chain at once.
using TokenFamilyId = std::int64_t;

// A user who may try to log in, with the Argon2id hash to check (absent: the user cannot log in).
struct LoginAccount {
  UserId user_id = 0;
  std::string nickname;
  std::optional<std::string> email_address;
  std::optional<std::string> password_hash;
};

// A project as the Unified Login needs it. `client_secret_hash` absent: a public client.
struct OAuthProject {
  ProjectId project_id = 0;
  std::string name;
  UserId owner_user_id = 0;
  std::string api_key;
  std::string client_id;
  std::optional<std::string> client_secret_hash;
  std::vector<std::string> redirect_uris;
  bool implicit_grant = false;
  bool active = true;
};

// A user's remembered consent to a project.
struct StoredGrant {
  ProjectId project_id = 0;
  std::string project_name;
  std::string client_id;
  std::vector<std::string> scopes;
  LocalDateTime granted_at;
};

// An authorization code as stored: only the SHA-256 of the code itself.
struct AuthorizationCodeRecord {
  std::string code_hash;  // SHA-256 of the code, 32 raw bytes
  ProjectId project_id = 0;
  UserId user_id = 0;
  std::string redirect_uri;
  std::string scopes;          // space-separated
  std::string code_challenge;  // S256 challenge, empty when none was sent
  std::int64_t expires_at_unix = 0;
};

// What redeeming a code found.
enum class CodeRedeemStatus {
  kRedeemed,     // first use: now marked used; `family` is the new chain its tokens join
  kAlreadyUsed,  // a second use: every token issued from the code has just been revoked
  kNotFound,
};

// The outcome of RedeemAuthorizationCode.
struct CodeRedemption {
  CodeRedeemStatus status = CodeRedeemStatus::kNotFound;
  std::optional<AuthorizationCodeRecord> code;  // kRedeemed only
  TokenFamilyId family = 0;                     // kRedeemed only
};

// A token to issue (access or refresh): its SHA-256 and expiry.
struct TokenToIssue {
  std::string token_hash;  // SHA-256 of the token, 32 raw bytes
  std::int64_t expires_at_unix = 0;
};

// A stored refresh token's identity.
struct RefreshTokenRecord {
  TokenFamilyId family = 0;
  ProjectId project_id = 0;
  UserId user_id = 0;
  std::string scopes;  // space-separated
  std::int64_t expires_at_unix = 0;
};

// A stored refresh token and whether it may still be rotated.
struct RefreshTokenState {
  RefreshTokenRecord token;
  bool rotated = false;  // already exchanged for a successor
  bool revoked = false;  // revoked: itself, its family or its grant
};

// What revoking a client's token (RFC 7009) did.
enum class TokenRevokeStatus {
  kAccessTokenRevoked,    // an access token of the project: that token
  kRefreshFamilyRevoked,  // a refresh token of the project: its whole family
  kOtherProject,          // a token of another project: left alone
  kNotFound,
};

// A user's account facts for VerifyCredentials.
struct AccountRecord {
  UserId user_id = 0;
  std::string nickname;
  std::optional<GroupId> group_id;  // the group the user belongs to
  std::optional<std::string> group_name;
  bool is_group_manager = false;  // manages at least one group
};

// A browser login session, looked up by the SHA-256 of its cookie value.
struct SessionRecord {
  UserId user_id = 0;
  std::string nickname;
  std::int64_t expires_at_unix = 0;
};

// Recent login failures under one back-off key.
struct LoginFailureSummary {
  std::int64_t count = 0;
  std::int64_t last_at_unix_millis = 0;  // 0 when count is 0
};

// What PurgeUnusable deletes: each kind of record once no answer depends on it any more (docs/security.md, "What
// is kept and for how long").
struct OAuthPurgeCutoffs {
  std::int64_t now_unix = 0;                     // access tokens, unredeemed codes and sessions expired by then
  std::int64_t refresh_expired_before_unix = 0;  // refresh tokens expired before then
  std::int64_t families_opened_before_unix = 0;  // token families opened before then, once they hold no token
  std::int64_t failures_before_unix_millis = 0;  // login failures recorded before then
};

// The rows PurgeUnusable deleted, per table.
struct OAuthPurgeCounts {
  std::int64_t access_tokens = 0;
  std::int64_t refresh_tokens = 0;
  std::int64_t token_families = 0;
  std::int64_t authorization_codes = 0;
  std::int64_t login_sessions = 0;
  std::int64_t login_failures = 0;
};

// The Unified Login's persistent state: projects, consents, codes, token families, refresh tokens, login
// sessions and login failures. Thread-safe: every method may be called from any thread. Nothing is stored in
// clear that could be replayed: tokens, codes, cookie values and back-off keys as SHA-256, secrets as Argon2id.
// Blocking: each method is one short transaction on the store's own connection (waits up to the busy
// timeout when another writer holds the file). Every method throws StoreUnavailable when the database
// cannot answer now.
class OAuthStore {
 public:
  virtual ~OAuthStore() = default;

  // Every user whose nickname or e-mail address equals `login` ignoring ASCII case (at most a few).
  virtual std::vector<LoginAccount> FindLoginAccounts(std::string_view login) = 0;
  // The account facts of `user_id`, if the user exists.
  virtual std::optional<AccountRecord> FindAccount(UserId user_id) = 0;
  // True when `user_id` exists.
  virtual bool UserExists(UserId user_id) = 0;

  // The project with `client_id`, if any.
  virtual std::optional<OAuthProject> FindProjectByClientId(std::string_view client_id) = 0;
  // The project with `project_id`, if any.
  virtual std::optional<OAuthProject> FindProject(ProjectId project_id) = 0;
  // Stores a new project; throws UsageError when the owner is unknown or the client id or API key is taken.
  virtual ProjectId CreateProject(const ProjectRecord& project) = 0;
  // Every project, by project id.
  virtual std::vector<OAuthProject> ListProjects() = 0;
  // Enables or disables a project; false when no project has `client_id`.
  virtual bool SetProjectActive(std::string_view client_id, bool active) = 0;
  // Replaces a project's registered redirect URIs; false when no project has `client_id`.
  virtual bool SetRedirectUris(std::string_view client_id, const std::vector<std::string>& uris) = 0;

  // Adds `scopes` to what `user_id` granted `project_id` (creating the grant), stamped `at`.
  virtual void AddGrant(UserId user_id, ProjectId project_id, const std::vector<std::string>& scopes,
                        LocalDateTime at) = 0;
  // The scopes `user_id` granted `project_id`, if any grant exists.
  virtual std::optional<std::vector<std::string>> FindGrant(UserId user_id, ProjectId project_id) = 0;
  // The user's grants with their projects' names, by project name.
  virtual std::vector<StoredGrant> ListGrants(UserId user_id) = 0;
  // Deletes the grant and, in the same transaction, revokes every access token, refresh token, token family
  // and unredeemed code of `user_id` for `project_id`; false when there was no grant (tokens revoked anyway).
  virtual bool RevokeGrant(UserId user_id, ProjectId project_id) = 0;

  // Stores a new authorization code (unused).
  virtual void InsertAuthorizationCode(const AuthorizationCodeRecord& code) = 0;
  // Atomically redeems the code with `code_hash`: the first call marks it used, opens a token family for it
  // and returns it (whatever its expiry: the caller checks); any later call revokes that family (every token
  // issued from the code) and reports kAlreadyUsed.
  virtual CodeRedemption RedeemAuthorizationCode(std::string_view code_hash, std::int64_t now_unix) = 0;

  // Opens a new token family for `user_id` and `project_id` (implicit grants).
  virtual TokenFamilyId CreateTokenFamily(UserId user_id, ProjectId project_id, std::int64_t now_unix) = 0;
  // Stores an access token (in the `tokens` table the API reads) and optionally a refresh token, both in
  // `family`, in one transaction; false (nothing stored) when the family has been revoked meanwhile.
  virtual bool IssueTokens(TokenFamilyId family, const std::string& scopes, const TokenToIssue& access,
                           const std::optional<TokenToIssue>& refresh) = 0;
  // The refresh token with `token_hash`, if stored, as one consistent reading.
  virtual std::optional<RefreshTokenState> FindRefreshToken(std::string_view token_hash) = 0;
  // Atomically, if the refresh token with `token_hash` is neither rotated nor revoked (itself or its family): marks
  // it rotated and stores `next_access` and `next_refresh` in its family (same user, project and scopes); else
  // changes nothing and returns false. Of concurrent calls on one token (any process), at most one returns true.
  virtual bool RotateRefreshTokenIfLive(std::string_view token_hash, const TokenToIssue& next_access,
                                        const TokenToIssue& next_refresh) = 0;
  // Revokes the token with `token_hash` if it belongs to `project_id` (RFC 7009): an access token alone, a
  // refresh token with its whole family.
  virtual TokenRevokeStatus RevokeToken(std::string_view token_hash, ProjectId project_id) = 0;
  // Revokes every access and refresh token of `family`; later IssueTokens into it store nothing.
  virtual void RevokeTokenFamily(TokenFamilyId family) = 0;

  // Stores a login session under the SHA-256 of its cookie value; expired sessions are pruned on the way.
  virtual void CreateSession(std::string_view session_hash, UserId user_id, LocalDateTime created_at,
                             std::int64_t expires_at_unix, std::int64_t now_unix) = 0;
  // The unexpired session with `session_hash` at `now_unix`, with the user's nickname.
  virtual std::optional<SessionRecord> FindSession(std::string_view session_hash, std::int64_t now_unix) = 0;
  // Deletes the session; unknown hashes are ignored.
  virtual void DeleteSession(std::string_view session_hash) = 0;

  // The failures recorded under `key_hash` at or after `since_unix_millis`.
  virtual LoginFailureSummary CountLoginFailures(std::string_view key_hash, std::int64_t since_unix_millis) = 0;
  // Records one failure under `key_hash` at `at_unix_millis`, pruning that key's failures older than
  // `prune_before_unix_millis`.
  virtual void RecordLoginFailure(std::string_view key_hash, std::int64_t at_unix_millis,
                                  std::int64_t prune_before_unix_millis) = 0;
  // Deletes every failure recorded under `key_hash`.
  virtual void ClearLoginFailures(std::string_view key_hash) = 0;

  // Deletes, in short transactions, what can never be used again: access tokens revoked or expired by
  // `now_unix`; refresh tokens revoked or expired before `refresh_expired_before_unix` (rotated ones included);
  // token families opened before `families_opened_before_unix` that hold no token, with the codes redeemed into
  // them; codes never redeemed that expired by `now_unix`; sessions expired by `now_unix`; login failures
  // before `failures_before_unix_millis`. Returns the rows deleted.
  virtual OAuthPurgeCounts PurgeUnusable(const OAuthPurgeCutoffs& cutoffs) = 0;
};

// Opens the Unified Login's store on the database at `url` (the forms OpenStore accepts), creating or migrating
// the schema like OpenStore. It has its own connection (WAL, busy timeout) and works beside a Store open on the
// same file. Throws UsageError like OpenStore.
std::unique_ptr<OAuthStore> OpenOAuthStore(const std::string& url);

}  // namespace phonechat
