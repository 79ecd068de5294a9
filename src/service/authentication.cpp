// Authenticate and RequireScope (docs/api.md, "Authentication").

#include "service/authentication.hpp"

#include <string>

#include "auth/secrets.hpp"

namespace phonechat {
namespace {

constexpr std::string_view kDenied = "Authorization has been denied for this request.";

Error Unauthenticated(bool token_presented) {
  return Error{ErrorCode::kUnauthenticated, std::string(kDenied), {}, {}, token_presented};
}

bool IsSpace(char c) { return c == ' ' || c == '\t'; }

// credentials = auth-scheme 1*SP token68 (RFC 7235 §2.1); the scheme is case-insensitive.
std::optional<std::string_view> BearerToken(std::string_view header) {
  while (!header.empty() && IsSpace(header.front())) header.remove_prefix(1);
  while (!header.empty() && IsSpace(header.back())) header.remove_suffix(1);
  constexpr std::string_view kScheme = "bearer";
  if (header.size() <= kScheme.size() || !IsSpace(header[kScheme.size()])) return std::nullopt;
  for (std::size_t i = 0; i < kScheme.size(); ++i) {
    if ((header[i] | 0x20) != kScheme[i]) return std::nullopt;
  }
  std::string_view token = header.substr(kScheme.size());
  while (!token.empty() && IsSpace(token.front())) token.remove_prefix(1);
  if (token.empty() || token.size() > kMaxTokenLength) return std::nullopt;
  for (char c : token) {
    if (IsSpace(c)) return std::nullopt;
  }
  return token;
}

}  // namespace

Result<Principal> Authenticate(StoreSession& store, const Credentials& credentials, std::int64_t now_unix) {
  if (!credentials.authorization) return Unauthenticated(false);
  const std::optional<std::string_view> token = BearerToken(*credentials.authorization);
  if (!token) return Unauthenticated(true);

  // Looked up by its SHA-256: the store never holds the token, and a lookup by hash reveals nothing of it.
  const std::optional<TokenRecord> record = store.FindToken(Sha256(*token));
  if (!record || record->revoked || record->expires_at_unix <= now_unix) return Unauthenticated(true);

  const auto bad_key = [] {
    return Error{ErrorCode::kBadApiKey,
                 "The API key is invalid, inactive, or not the key of the project the access token was issued to.",
                 {},
                 {},
                 false};
  };
  if (credentials.api_key_malformed) return bad_key();
  for (std::string_view key : credentials.api_keys) {
    const std::optional<ProjectKeyRecord> project = store.FindProjectByApiKey(key);
    if (!project || !project->active || project->project_id != record->project_id) return bad_key();
  }
  return Principal{record->user_id, record->project_id, record->scopes};
}

Result<void> RequireScope(const Principal& principal, std::string_view scope) {
  if (principal.HasScope(scope)) return {};
  Error error{ErrorCode::kInsufficientScope, "The access token does not have the required scope '", {}, {}, false};
  error.message.append(scope).append("'.");
  error.required_scope = scope;
  return error;
}

}  // namespace phonechat
