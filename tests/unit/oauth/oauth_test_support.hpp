#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "service/oauth_service_impl.hpp"
#include "service/service_clock.hpp"
#include "storage/oauth_store.hpp"
#include "storage/store.hpp"

namespace phonechat::testing {

// Fixed identities of the test database.
inline constexpr UserId kAlice = 101;  // password kPassword, e-mail alice@example.test, member of group 7
inline constexpr UserId kBob = 102;    // password kPassword
inline constexpr UserId kNoPassword = 103;
inline constexpr UserId kManager = 104;  // password kPassword, manages group 7
inline constexpr GroupId kGroup = 7;
inline constexpr const char* kPassword = "right-password";
inline constexpr const char* kSecret = "the-client-secret";
inline constexpr const char* kAppUri = "https://app.example.test/cb";
inline constexpr const char* kAppQueryUri = "http://127.0.0.1:8765/cb?x=1";

// A fresh SQLite file in its own temporary directory with users, a group and these projects (client ids):
// `app` (confidential, redirect URIs kAppUri and kAppQueryUri), `single` (confidential, one URI),
// `implicit` (confidential, implicit grant on), `public` (no secret), `disabled` (inactive), `other`
// (confidential). Secrets are kSecret. Removed with its directory on destruction.
class OAuthDatabase {
 public:
  OAuthDatabase();
  ~OAuthDatabase();
  OAuthDatabase(const OAuthDatabase&) = delete;
  OAuthDatabase& operator=(const OAuthDatabase&) = delete;

  // The database URL.
  [[nodiscard]] const std::string& Url() const { return url_; }
  // The Store open on it (the API's view).
  Store& GetStore() { return *store_; }
  // A service on a store of its own on the same file, with `lifetimes` and `backoff`.
  std::unique_ptr<OAuthService> MakeService(OAuthLifetimes lifetimes = {}, LoginBackoff backoff = {});
  // The project id of `client_id`.
  ProjectId ProjectIdOf(const std::string& client_id);
  // True when the API accepts `access_token` now (StoreSession::FindToken through Authenticate).
  bool ApiAccepts(const std::string& access_token);
  // Every byte of the database file and its WAL, to search for what must not be stored in clear.
  std::string RawBytes();

 private:
  std::string dir_;
  std::string url_;
  ServiceClock clock_{"Europe/London"};
  std::unique_ptr<Store> store_;
};

// The decoded parameters of an encoded query or fragment (`a=1&b=%20`).
std::map<std::string, std::string> DecodeParameters(std::string_view encoded);

// A redirect's location split: the part before `?`/`#`, and the decoded query and fragment parameters.
struct SplitLocation {
  std::string base;
  std::map<std::string, std::string> query;
  std::map<std::string, std::string> fragment;
  bool has_fragment = false;
};
SplitLocation Split(std::string_view location);

// A PKCE pair: a random verifier and its S256 challenge, computed independently of the service.
struct PkcePair {
  std::string verifier;
  std::string challenge;
};
PkcePair MakePkce();

}  // namespace phonechat::testing
