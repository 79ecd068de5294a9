// Runs the `project` commands on the Unified Login's store.

#include "app/project_commands.hpp"

#include <boost/url/parse.hpp>
#include <cstdio>
#include <memory>
#include <string_view>

#include "auth/secrets.hpp"
#include "core/error.hpp"
#include "storage/oauth_store.hpp"
#include "storage/store.hpp"

namespace phonechat {
namespace {

constexpr std::size_t kMaxNameLength = 100;

bool EqualsIgnoringCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

// RFC 6749 §3.1.2: an absolute URI without a fragment; browsers can only be sent to http(s) with a host.
void CheckRedirectUri(const std::string& uri) {
  const auto parsed = boost::urls::parse_absolute_uri(uri);
  const bool web =
      parsed && (EqualsIgnoringCase(parsed->scheme(), "http") || EqualsIgnoringCase(parsed->scheme(), "https"));
  if (!web || !parsed->has_authority() || parsed->host().empty()) {
    throw UsageError("--redirect-uri must be an absolute http(s) URI with a host and without a fragment, got '" + uri +
                     "'");
  }
}

// One line per project whatever its name holds.
std::string OneLine(std::string text) {
  for (char& c : text) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  }
  return text;
}

std::string Join(const std::vector<std::string>& items, std::string_view separator) {
  std::string joined;
  for (const auto& item : items) {
    if (!joined.empty()) joined += separator;
    joined += item;
  }
  return joined;
}

}  // namespace

int RunProjectCreate(const ProjectCreateCommand& command) {
  if (command.name.empty() || command.name.size() > kMaxNameLength) {
    throw UsageError("--name must be 1 to " + std::to_string(kMaxNameLength) + " characters");
  }
  if (command.owner_user_id <= 0 || command.owner_user_id > kMaxId) {
    throw UsageError("--owner must be a user id from 1 to " + std::to_string(kMaxId));
  }
  if (command.redirect_uris.empty()) throw UsageError("at least one --redirect-uri is required");
  for (const auto& uri : command.redirect_uris) CheckRedirectUri(uri);

  std::unique_ptr<OAuthStore> store = OpenOAuthStore(command.database_url);
  if (!store->UserExists(static_cast<UserId>(command.owner_user_id))) {
    throw UsageError("--owner " + std::to_string(command.owner_user_id) + " is not a known user");
  }
  ProjectRecord project;
  project.name = command.name;
  project.owner_user_id = static_cast<UserId>(command.owner_user_id);
  project.api_key = GenerateToken();
  // Client IDs are typed on command lines (`project disable CLIENT_ID`), where a leading '-' reads as an option.
  do {
    project.client_id = GenerateToken();
  } while (project.client_id.front() == '-');
  std::string secret;
  if (!command.public_client) {
    secret = GenerateToken();
    project.client_secret_hash = HashPassword(secret);
  }
  project.redirect_uris = command.redirect_uris;
  project.implicit_grant = command.implicit;
  store->CreateProject(project);

  std::printf("api_key: %s\nclient_id: %s\n", project.api_key.c_str(), project.client_id.c_str());
  if (!command.public_client) std::printf("client_secret: %s\n", secret.c_str());
  std::fflush(stdout);
  return 0;
}

int RunProjectList(const std::string& database_url) {
  std::unique_ptr<OAuthStore> store = OpenOAuthStore(database_url);
  for (const OAuthProject& project : store->ListProjects()) {
    std::printf("%s\t%s\towner %d\t%s\t%s\t%s\t%s\n", OneLine(project.client_id).c_str(), OneLine(project.name).c_str(),
                static_cast<int>(project.owner_user_id), project.active ? "active" : "disabled",
                project.implicit_grant ? "implicit" : "no-implicit",
                project.client_secret_hash ? "confidential" : "public", Join(project.redirect_uris, " ").c_str());
  }
  std::fflush(stdout);
  return 0;
}

int RunProjectDisable(const std::string& database_url, const std::string& client_id) {
  std::unique_ptr<OAuthStore> store = OpenOAuthStore(database_url);
  if (!store->SetProjectActive(client_id, false)) throw UsageError("no project with client id '" + client_id + "'");
  return 0;
}

}  // namespace phonechat
