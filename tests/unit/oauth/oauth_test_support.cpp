#include "oauth_test_support.hpp"

#include <sodium.h>
#include <stdlib.h>  // NOLINT(modernize-deprecated-headers): mkdtemp is POSIX

#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "auth/secrets.hpp"
#include "service/authentication.hpp"

namespace phonechat::testing {

namespace {

// Argon2id is slow on purpose: each hash is computed once per test program.
const std::string& PasswordHash() {
  static const std::string hash = HashPassword(kPassword);
  return hash;
}

const std::string& SecretHash() {
  static const std::string hash = HashPassword(kSecret);
  return hash;
}

UserRecord User(UserId id, std::string nickname, std::optional<std::string> password_hash,
                std::optional<std::string> email = std::nullopt) {
  UserRecord user;
  user.user_id = id;
  user.nickname = std::move(nickname);
  user.password_hash = std::move(password_hash);
  user.email_address = std::move(email);
  return user;
}

ProjectRecord Project(std::string client_id, std::vector<std::string> uris) {
  ProjectRecord project;
  project.name = "The " + client_id + " project";
  project.owner_user_id = kManager;
  project.api_key = client_id + "-key";
  project.client_id = std::move(client_id);
  project.client_secret_hash = SecretHash();
  project.redirect_uris = std::move(uris);
  return project;
}

}  // namespace

OAuthDatabase::OAuthDatabase() {
  std::string pattern = (std::filesystem::temp_directory_path() / "phonechat-oauth-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  dir_ = pattern;
  url_ = "sqlite://" + dir_ + "/oauth.db";
  store_ = OpenStore(url_);
  auto batch = store_->BeginWriteBatch();
  for (const auto& user :
       {User(kAlice, "Alice", PasswordHash(), "alice@example.test"), User(kBob, "Bob", PasswordHash()),
        User(kNoPassword, "NoPassword", std::nullopt), User(kManager, "Manager", PasswordHash())}) {
    if (!batch->PutUser(user, false).empty()) throw std::runtime_error("cannot store a test user");
  }
  GroupRecord group;
  group.group_id = kGroup;
  group.name = "Test Agency";
  group.manager_user_id = kManager;
  group.member_user_ids = {kAlice};
  if (!batch->PutGroup(group, false).empty()) throw std::runtime_error("cannot store the test group");
  auto implicit = Project("implicit", {kAppUri});
  implicit.implicit_grant = true;
  auto public_client = Project("public", {kAppUri});
  public_client.client_secret_hash.reset();
  auto disabled = Project("disabled", {kAppUri});
  disabled.active = false;
  for (const auto& project : {Project("app", {kAppUri, kAppQueryUri}), Project("single", {kAppUri}), implicit,
                              public_client, disabled, Project("other", {kAppUri})}) {
    if (!batch->PutProject(project, false).empty()) throw std::runtime_error("cannot store a test project");
  }
  batch->Commit();
}

OAuthDatabase::~OAuthDatabase() {
  store_.reset();
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

std::unique_ptr<OAuthService> OAuthDatabase::MakeService(OAuthLifetimes lifetimes, LoginBackoff backoff) {
  return MakeOAuthService(OpenOAuthStore(url_), clock_, lifetimes, backoff);
}

ProjectId OAuthDatabase::ProjectIdOf(const std::string& client_id) {
  auto session = store_->OpenSession();
  const auto project = session->FindProjectByApiKey(client_id + "-key");
  if (!project) throw std::runtime_error("no test project " + client_id);
  return project->project_id;
}

bool OAuthDatabase::ApiAccepts(const std::string& access_token) {
  auto session = store_->OpenSession();
  const std::string header = "Bearer " + access_token;
  Credentials credentials;
  credentials.authorization = header;
  return Authenticate(*session, credentials, ServiceClock::UnixSecondsNow()).has_value();
}

std::string OAuthDatabase::RawBytes() {
  std::string bytes;
  for (const char* suffix : {"/oauth.db", "/oauth.db-wal"}) {
    std::ifstream file(dir_ + suffix, std::ios::binary);
    std::ostringstream content;
    content << file.rdbuf();
    bytes += content.str();
  }
  return bytes;
}

std::map<std::string, std::string> DecodeParameters(std::string_view encoded) {
  boost::urls::url url;
  url.set_encoded_query(encoded);
  std::map<std::string, std::string> parameters;
  for (const auto& parameter : url.params()) parameters[parameter.key] = parameter.value;
  return parameters;
}

SplitLocation Split(std::string_view location) {
  const auto parsed = boost::urls::parse_uri(location);
  if (!parsed) throw std::runtime_error("not a URI: " + std::string(location));
  SplitLocation split;
  boost::urls::url base(*parsed);
  if (parsed->has_query()) split.query = DecodeParameters(parsed->encoded_query());
  if (parsed->has_fragment()) {
    split.has_fragment = true;
    split.fragment = DecodeParameters(parsed->encoded_fragment());
  }
  base.remove_query();
  base.remove_fragment();
  split.base = std::string(base.buffer());
  return split;
}

PkcePair MakePkce() {
  PkcePair pair;
  pair.verifier = GenerateToken() + "-._~" + GenerateToken().substr(0, 10);  // 57 characters of the unreserved set
  const std::string digest = Sha256(pair.verifier);
  char encoded[64] = {};
  sodium_bin2base64(encoded, sizeof encoded, reinterpret_cast<const unsigned char*>(digest.data()), digest.size(),
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  pair.challenge = encoded;
  return pair;
}

}  // namespace phonechat::testing
