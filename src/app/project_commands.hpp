// The `project` commands that register and manage a Unified Login client project.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace phonechat {

// `project create`: the options after parsing.
struct ProjectCreateCommand {
  std::string database_url;
  std::string name;
  std::int64_t owner_user_id = 0;
  std::vector<std::string> redirect_uris;  // absolute http(s) URIs without a fragment; at least one
  bool implicit = false;                   // allow the implicit grant (response_type=token)
  bool public_client = false;              // no client secret: the client must use PKCE
};

// Registers a project with a new API key, client id and (unless public) client secret, stored as an Argon2id
// hash; prints `api_key: …`, `client_id: …` and `client_secret: …` (not for a public client) on stdout, one per
// line, the only time the secret is shown. Throws UsageError for an unknown owner, an empty or too long name,
// no redirect URI or one that is not an absolute http(s) URI without a fragment. Returns the exit code.
int RunProjectCreate(const ProjectCreateCommand& command);

// Prints one line per project: client id, name, owner, active or disabled, implicit grant, public or
// confidential, redirect URIs; never a secret. Returns the exit code.
int RunProjectList(const std::string& database_url);

// Disables the project with `client_id` (its authorize requests, token requests and API key stop working).
// Throws UsageError when no project has that client id. Returns the exit code.
int RunProjectDisable(const std::string& database_url, const std::string& client_id);

}  // namespace phonechat
