// The Unified Login's rules: request validation, login back-off, codes with PKCE, tokens, refresh, grants.

#include "service/oauth_service_impl.hpp"

#include <sodium.h>

#include <algorithm>
#include <boost/url/encode.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>
#include <boost/url/url.hpp>
#include <mutex>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <utility>

#include "auth/secrets.hpp"
#include "domain/made_bookings_query.hpp"
#include "service/refresh_rotation.hpp"

namespace phonechat {

namespace {

constexpr std::string_view kAccountInformationScope = "account_information";
constexpr std::size_t kMaxCookieLength = 512;

using Parameters = std::vector<std::pair<std::string_view, std::string_view>>;

std::int64_t UnixMillisNow() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// `scopes` in KnownScopes() order, without duplicates; unknown names (none are stored) are kept at the end.
std::vector<std::string> OrderScopes(const std::vector<std::string>& scopes) {
  std::vector<std::string> ordered;
  for (const auto& known : KnownScopes()) {
    if (std::find(scopes.begin(), scopes.end(), known.name) != scopes.end()) ordered.emplace_back(known.name);
  }
  for (const auto& scope : scopes) {
    if (std::find(ordered.begin(), ordered.end(), scope) == ordered.end()) ordered.push_back(scope);
  }
  return ordered;
}

// RFC 7636 §4.1: code-verifier (and, for S256, the challenge) = 43*128 unreserved characters.
bool IsPkceString(std::string_view text) {
  if (text.size() < 43 || text.size() > 128) return false;
  return std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
           c == '_' || c == '~';
  });
}

// BASE64URL(SHA256(verifier)) without padding (RFC 7636 §4.2).
std::string S256Challenge(std::string_view verifier) {
  const std::string digest = Sha256(verifier);
  constexpr int kVariant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
  std::string encoded(sodium_base64_ENCODED_LEN(crypto_hash_sha256_BYTES, kVariant), '\0');
  sodium_bin2base64(encoded.data(), encoded.size(), reinterpret_cast<const unsigned char*>(digest.data()),
                    digest.size(), kVariant);
  encoded.resize(std::char_traits<char>::length(encoded.c_str()));
  return encoded;
}

// `redirect_uri` with `parameters` added to its query (code flow) or set as its fragment (implicit flow). Values
// are percent-encoded down to the unreserved characters, so that `+`, `&` or `=` in a state survive any decoder.
std::string RedirectTo(std::string_view redirect_uri, const Parameters& parameters, bool in_fragment) {
  auto parsed = boost::urls::parse_uri(redirect_uri);
  // Registered URIs are validated when stored (absolute, no fragment): anything else is a damaged record.
  if (!parsed) throw std::runtime_error("a registered redirect URI does not parse");
  boost::urls::url url(*parsed);
  std::string encoded;
  for (const auto& [name, value] : parameters) {
    if (!encoded.empty()) encoded += '&';
    encoded += name;
    encoded += '=';
    encoded += boost::urls::encode(value, boost::urls::unreserved_chars);
  }
  if (in_fragment) {
    url.set_encoded_fragment(encoded);
  } else if (url.has_query() && !url.encoded_query().empty()) {
    url.set_encoded_query(std::string(url.encoded_query()) + "&" + encoded);
  } else {
    url.set_encoded_query(encoded);
  }
  return std::string(url.buffer());
}

TokenResponse TokenError(ErrorCode code, std::string description) {
  TokenResponse response;
  response.error = Error{code, std::move(description), {}, {}, false};
  return response;
}

TokenResponse InvalidClient(std::string description) {
  return TokenError(ErrorCode::kInvalidClient, std::move(description));
}

TokenResponse InvalidGrant(std::string description) {
  return TokenError(ErrorCode::kInvalidGrant, std::move(description));
}

TokenResponse InvalidRequest(std::string description) {
  return TokenError(ErrorCode::kInvalidRequest, std::move(description));
}

// The client behind a token or revoke request, or the error that ends the request.
struct ClientCheck {
  std::optional<OAuthProject> project;
  TokenResponse error;
};

class OAuthServiceImpl final : public OAuthService {
 public:
  OAuthServiceImpl(std::unique_ptr<OAuthStore> store, const ServiceClock& clock, OAuthLifetimes lifetimes,
                   LoginBackoff backoff)
      : store_(std::move(store)), clock_(clock), lifetimes_(lifetimes), backoff_(backoff) {}

  AuthorizeValidation ValidateAuthorize(const AuthorizeParameters& p) override {
    AuthorizeValidation validation;
    const auto page = [&](std::string message) {
      validation.error_page = AuthorizeErrorPage{std::move(message)};
      return validation;
    };
    if (p.client_id.empty()) return page("The request does not name the application (client_id is missing).");
    const std::optional<OAuthProject> project = store_->FindProjectByClientId(p.client_id);
    if (!project) return page("The application that sent you here is not known (unknown client_id).");
    if (!project->active) return page("The application that sent you here has been disabled.");

    std::string redirect_uri;
    if (p.redirect_uri.empty()) {
      // Without a redirect_uri the target is unambiguous only when the project registered exactly one.
      if (project->redirect_uris.size() != 1) {
        return page("The request does not say where to send you back (redirect_uri is missing).");
      }
      redirect_uri = project->redirect_uris.front();
    } else {
      const auto& uris = project->redirect_uris;
      if (std::find(uris.begin(), uris.end(), p.redirect_uri) == uris.end()) {
        return page("The address to send you back to (redirect_uri) is not registered for this application.");
      }
      redirect_uri = p.redirect_uri;
    }

    // From here on the redirect URI is trusted: errors go back to the client (RFC 6749 §4.1.2.1, §4.2.2.1).
    const bool implicit = p.response_type == "token";
    const auto refuse = [&](std::string_view error, std::string_view description) {
      Parameters parameters{{"error", error}, {"error_description", description}};
      if (!p.state.empty()) parameters.emplace_back("state", p.state);
      validation.error_redirect = ClientRedirect{RedirectTo(redirect_uri, parameters, implicit)};
      return validation;
    };
    if (p.response_type.empty()) return refuse("invalid_request", "response_type is missing");
    if (p.response_type != "code" && !implicit) {
      return refuse("unsupported_response_type", "response_type must be code or token");
    }
    if (implicit && !project->implicit_grant) {
      return refuse("unauthorized_client", "this application may not use the implicit grant");
    }

    std::vector<std::string> requested = SplitScopes(p.scope, " ,");
    if (requested.empty()) return refuse("invalid_scope", "scope is missing");
    const auto& known = KnownScopes();
    for (const auto& name : requested) {
      const bool is_known = std::any_of(known.begin(), known.end(), [&](const auto& k) { return k.name == name; });
      if (!is_known) return refuse("invalid_scope", "the request names an unknown scope");
    }

    if (!p.code_challenge_method.empty() && p.code_challenge.empty()) {
      return refuse("invalid_request", "code_challenge_method was sent without code_challenge");
    }
    if (!p.code_challenge.empty()) {
      // A challenge without a method means plain (RFC 7636 §4.3), which is refused like an explicit plain.
      if (p.code_challenge_method != "S256") return refuse("invalid_request", "code_challenge_method must be S256");
      if (!IsPkceString(p.code_challenge)) return refuse("invalid_request", "code_challenge is malformed");
    }
    const bool public_client = !project->client_secret_hash.has_value();
    if (public_client && !implicit && p.code_challenge.empty()) {
      return refuse("invalid_request", "a public client must use PKCE (code_challenge with S256)");
    }

    AuthorizeRequest request;
    request.project_id = project->project_id;
    request.project_name = project->name;
    request.client_id = project->client_id;
    request.implicit = implicit;
    request.redirect_uri = std::move(redirect_uri);
    request.scopes = OrderScopes(requested);
    request.state = p.state;
    if (!implicit) request.code_challenge = p.code_challenge;
    validation.request = std::move(request);
    return validation;
  }

  LoginOutcome Login(std::string_view login, std::string_view password, std::string_view client_address) override {
    LoginOutcome outcome;
    std::vector<std::string> keys{LoginKey(login)};
    if (!client_address.empty()) keys.push_back(Sha256("address\n" + std::string(client_address)));

    const std::int64_t started = UnixMillisNow();
    {
      // The check and the in-flight mark are one step, so that parallel attempts count against each other.
      std::lock_guard lock(login_mutex_);
      std::int64_t wait = 0;
      for (const auto& key : keys) {
        LoginFailureSummary failures = store_->CountLoginFailures(key, started - backoff_.window.count());
        if (const auto in_flight = in_flight_.find(key); in_flight != in_flight_.end()) {
          failures.count += in_flight->second;
          failures.last_at_unix_millis = started;
        }
        wait = std::max(wait, RemainingDelay(failures, started));
      }
      if (wait > 0) {
        outcome.throttled = true;
        outcome.retry_after = std::chrono::seconds((wait + 999) / 1000);
        return outcome;
      }
      for (const auto& key : keys) ++in_flight_[key];
    }
    struct InFlightRelease {
      OAuthServiceImpl& service;
      const std::vector<std::string>& keys;
      ~InFlightRelease() {
        std::lock_guard lock(service.login_mutex_);
        for (const auto& key : keys) {
          if (--service.in_flight_[key] == 0) service.in_flight_.erase(key);
        }
      }
    } release{*this, keys};

    const std::optional<LoginAccount> account = PickAccount(store_->FindLoginAccounts(login), login);
    bool verified = false;
    if (account && account->password_hash) {
      verified = VerifyPassword(*account->password_hash, password);
    } else {
      // The same Argon2id work as for a real user, so that the answer's timing does not tell who exists.
      VerifyPassword(DummyHash(), password);
    }
    const std::int64_t finished = UnixMillisNow();
    if (!verified) {
      for (const auto& key : keys) store_->RecordLoginFailure(key, finished, finished - backoff_.window.count());
      return outcome;
    }
    store_->ClearLoginFailures(keys.front());
    if (const std::string own = LoginKey(account->nickname); own != keys.front()) store_->ClearLoginFailures(own);

    NewLoginSession created;
    created.cookie_value = GenerateToken();
    created.session = LoginSession{account->user_id, account->nickname};
    const std::int64_t now = ServiceClock::UnixSecondsNow();
    store_->CreateSession(Sha256(created.cookie_value), account->user_id, clock_.LocalNow(),
                          now + lifetimes_.login_session.count(), now);
    outcome.session = std::move(created);
    return outcome;
  }

  std::optional<LoginSession> FindSession(std::string_view cookie_value) override {
    if (cookie_value.empty() || cookie_value.size() > kMaxCookieLength) return std::nullopt;
    const auto session = store_->FindSession(Sha256(cookie_value), ServiceClock::UnixSecondsNow());
    if (!session) return std::nullopt;
    return LoginSession{session->user_id, session->nickname};
  }

  void EndSession(std::string_view cookie_value) override {
    if (cookie_value.empty() || cookie_value.size() > kMaxCookieLength) return;
    store_->DeleteSession(Sha256(cookie_value));
  }

  bool HasGrant(UserId user_id, const AuthorizeRequest& request) override {
    const auto granted = store_->FindGrant(user_id, request.project_id);
    if (!granted) return false;
    return std::all_of(request.scopes.begin(), request.scopes.end(), [&](const std::string& scope) {
      return std::find(granted->begin(), granted->end(), scope) != granted->end();
    });
  }

  ClientRedirect Approve(UserId user_id, const AuthorizeRequest& request) override {
    store_->AddGrant(user_id, request.project_id, request.scopes, clock_.LocalNow());
    const std::string scopes = JoinScopes(request.scopes);
    const std::int64_t now = ServiceClock::UnixSecondsNow();
    if (request.implicit) {
      const std::string token = GenerateToken();
      const TokenFamilyId family = store_->CreateTokenFamily(user_id, request.project_id, now);
      if (!store_->IssueTokens(family, scopes, TokenToIssue{Sha256(token), now + lifetimes_.access_token.count()},
                               std::nullopt)) {
        throw std::runtime_error("a token family was revoked while it was being created");
      }
      const std::string expires_in = std::to_string(lifetimes_.access_token.count());
      Parameters parameters{
          {"access_token", token}, {"token_type", "bearer"}, {"expires_in", expires_in}, {"scope", scopes}};
      if (!request.state.empty()) parameters.emplace_back("state", request.state);
      return ClientRedirect{RedirectTo(request.redirect_uri, parameters, true)};
    }
    const std::string code = GenerateToken();
    store_->InsertAuthorizationCode(AuthorizationCodeRecord{Sha256(code), request.project_id, user_id,
                                                            request.redirect_uri, scopes, request.code_challenge,
                                                            now + lifetimes_.authorization_code.count()});
    Parameters parameters{{"code", code}};
    if (!request.state.empty()) parameters.emplace_back("state", request.state);
    return ClientRedirect{RedirectTo(request.redirect_uri, parameters, false)};
  }

  ClientRedirect Deny(const AuthorizeRequest& request) override {
    Parameters parameters{{"error", "access_denied"}, {"error_description", "the user declined"}};
    if (!request.state.empty()) parameters.emplace_back("state", request.state);
    return ClientRedirect{RedirectTo(request.redirect_uri, parameters, request.implicit)};
  }

  ClientRedirect Cancel(const AuthorizeRequest& request) override {
    // The published form, state included even when empty.
    if (request.implicit) {
      return ClientRedirect{
          RedirectTo(request.redirect_uri, {{"status", "cancelled"}, {"state", request.state}}, true)};
    }
    return ClientRedirect{
        RedirectTo(request.redirect_uri, {{"code", ""}, {"state", request.state}, {"status", "cancelled"}}, false)};
  }

  TokenResponse Token(const TokenRequest& request) override {
    if (request.grant_type.empty()) return InvalidRequest("grant_type is missing");
    if (request.grant_type != "authorization_code" && request.grant_type != "refresh_token") {
      return TokenError(ErrorCode::kUnsupportedGrantType, "grant_type must be authorization_code or refresh_token");
    }
    ClientCheck client = AuthenticateClient(request);
    if (!client.project) return client.error;
    if (request.grant_type == "authorization_code") return ExchangeCode(*client.project, request);
    return Refresh(*client.project, request);
  }

  TokenResponse Revoke(const TokenRequest& request) override {
    ClientCheck client = AuthenticateClient(request);
    if (!client.project) return client.error;
    if (request.token.empty()) return InvalidRequest("token is missing");
    // RFC 7009 §2.2: unknown tokens, and tokens of other clients (left alone), answer 200 all the same.
    store_->RevokeToken(Sha256(request.token), client.project->project_id);
    return TokenResponse{};
  }

  std::vector<GrantSummary> ListGrants(UserId user_id) override {
    std::vector<GrantSummary> summaries;
    for (auto& grant : store_->ListGrants(user_id)) {
      summaries.push_back(GrantSummary{grant.project_id, std::move(grant.project_name), std::move(grant.client_id),
                                       OrderScopes(grant.scopes), grant.granted_at});
    }
    return summaries;
  }

  void RevokeGrant(UserId user_id, ProjectId project_id) override { store_->RevokeGrant(user_id, project_id); }

  AccountCredentials VerifyCredentials(const Principal& principal) override {
    const std::optional<AccountRecord> account = store_->FindAccount(principal.user_id);
    // A valid token names an existing user (users are never deleted): anything else is a damaged database.
    if (!account) throw std::runtime_error("the user of a valid token does not exist");
    AccountCredentials credentials;
    credentials.user_id = account->user_id;
    credentials.nickname = account->nickname;
    if (principal.HasScope(kAccountInformationScope)) {
      credentials.with_group = true;
      credentials.group_id = account->group_id;
      credentials.group_name = account->group_name;
      credentials.is_group_manager = account->is_group_manager;
    }
    return credentials;
  }

 private:
  // The back-off key of a login name: folded like nicknames, hashed so that what people type is not stored.
  static std::string LoginKey(std::string_view login) { return Sha256("login\n" + FoldNickname(login)); }

  // How long attempts under a key with `failures` must still wait at `now` (milliseconds; 0: none).
  [[nodiscard]] std::int64_t RemainingDelay(const LoginFailureSummary& failures, std::int64_t now) const {
    if (failures.count < backoff_.free_failures) return 0;
    const std::int64_t doublings = std::min<std::int64_t>(failures.count - backoff_.free_failures, 40);
    const std::int64_t max = backoff_.max_delay.count();
    std::int64_t delay = backoff_.first_delay.count();
    for (std::int64_t i = 0; i < doublings && delay < max; ++i) delay *= 2;
    delay = std::min(delay, max);
    return std::max<std::int64_t>(0, failures.last_at_unix_millis + delay - now);
  }

  // The account `login` names: an exact nickname, else an exact e-mail address, else the only case-insensitive
  // match (several users whose names differ only in case, none typed exactly, name nobody).
  static std::optional<LoginAccount> PickAccount(std::vector<LoginAccount> accounts, std::string_view login) {
    if (login.empty()) return std::nullopt;  // an empty e-mail address on file names no one
    for (auto& account : accounts) {
      if (account.nickname == login) return std::move(account);
    }
    for (auto& account : accounts) {
      if (account.email_address && *account.email_address == login) return std::move(account);
    }
    if (accounts.size() == 1) return std::move(accounts.front());
    return std::nullopt;
  }

  const std::string& DummyHash() {
    std::call_once(dummy_hash_once_, [this] { dummy_hash_ = HashPassword(GenerateToken()); });
    return dummy_hash_;
  }

  ClientCheck AuthenticateClient(const TokenRequest& request) {
    ClientCheck check;
    if (request.client_id.empty()) {
      check.error = InvalidClient("client authentication is missing (client_id)");
      return check;
    }
    std::optional<OAuthProject> project = store_->FindProjectByClientId(request.client_id);
    if (!project) {
      check.error = InvalidClient("client authentication failed");
      return check;
    }
    if (project->client_secret_hash) {
      if (request.client_secret.empty() || !VerifyPassword(*project->client_secret_hash, request.client_secret)) {
        check.error = InvalidClient("client authentication failed");
        return check;
      }
    } else if (!request.client_secret.empty()) {
      check.error = InvalidClient("client authentication failed (this client has no secret)");
      return check;
    }
    if (!project->active) {
      check.error = InvalidClient("this client has been disabled");
      return check;
    }
    check.project = std::move(project);
    return check;
  }

  TokenResponse ExchangeCode(const OAuthProject& project, const TokenRequest& request) {
    if (request.code.empty()) return InvalidRequest("code is missing");
    const std::int64_t now = ServiceClock::UnixSecondsNow();
    CodeRedemption redemption = store_->RedeemAuthorizationCode(Sha256(request.code), now);
    if (redemption.status == CodeRedeemStatus::kNotFound) return InvalidGrant("the code is not valid");
    if (redemption.status == CodeRedeemStatus::kAlreadyUsed) {
      return InvalidGrant("the code was already used; the tokens issued from it are revoked");
    }
    const AuthorizationCodeRecord& code = *redemption.code;
    if (code.project_id != project.project_id) return InvalidGrant("the code was issued to another client");
    if (code.expires_at_unix <= now) return InvalidGrant("the code has expired");
    if (!request.redirect_uri.empty() && request.redirect_uri != code.redirect_uri) {
      return InvalidGrant("redirect_uri differs from the authorization request's");
    }
    if (code.code_challenge.empty()) {
      if (!request.code_verifier.empty()) return InvalidGrant("code_verifier sent but no code_challenge was");
      if (!project.client_secret_hash) return InvalidGrant("a public client must use PKCE");
    } else {
      if (request.code_verifier.empty()) return InvalidGrant("code_verifier is missing");
      if (!IsPkceString(request.code_verifier) ||
          !ConstantTimeEquals(S256Challenge(request.code_verifier), code.code_challenge)) {
        return InvalidGrant("code_verifier does not match the code_challenge");
      }
    }
    const std::string access = GenerateToken();
    const std::string refresh = GenerateToken();
    if (!store_->IssueTokens(redemption.family, code.scopes,
                             TokenToIssue{Sha256(access), now + lifetimes_.access_token.count()},
                             TokenToIssue{Sha256(refresh), now + lifetimes_.refresh_token.count()})) {
      return InvalidGrant("the code was already used; the tokens issued from it are revoked");
    }
    return Issued(access, refresh, code.scopes);
  }

  TokenResponse Refresh(const OAuthProject& project, const TokenRequest& request) {
    if (request.refresh_token.empty()) return InvalidRequest("refresh_token is missing");
    const std::int64_t now = ServiceClock::UnixSecondsNow();
    const std::string access = GenerateToken();
    const std::string refresh = GenerateToken();
    const RefreshRotation rotation =
        RotateRefreshToken(*store_, Sha256(request.refresh_token), project.project_id, now,
                           TokenToIssue{Sha256(access), now + lifetimes_.access_token.count()},
                           TokenToIssue{Sha256(refresh), now + lifetimes_.refresh_token.count()});
    switch (rotation.status) {
      case RefreshRotateStatus::kRotated:
        return Issued(access, refresh, rotation.token->scopes);
      case RefreshRotateStatus::kExpired:
        // Its own code, as docs/api.md (Unified Login, Refresh) documents it, where RFC 6749 would say invalid_grant.
        return TokenError(ErrorCode::kRefreshTokenExpired, "the refresh token has expired");
      case RefreshRotateStatus::kReplayed:
        return InvalidGrant("the refresh token was already used; every token descended from it is revoked");
      case RefreshRotateStatus::kRevoked:
        return InvalidGrant("the refresh token has been revoked");
      case RefreshRotateStatus::kWrongClient:
        return InvalidGrant("the refresh token was issued to another client");
      case RefreshRotateStatus::kNotFound:
        break;
    }
    return InvalidGrant("the refresh token is not valid");
  }

  TokenResponse Issued(const std::string& access, const std::string& refresh, const std::string& scopes) const {
    TokenResponse response;
    response.access_token = access;
    response.expires_in = lifetimes_.access_token.count();
    response.refresh_token = refresh;
    response.scope = scopes;
    return response;
  }

  std::unique_ptr<OAuthStore> store_;
  const ServiceClock& clock_;
  OAuthLifetimes lifetimes_;
  LoginBackoff backoff_;
  std::mutex login_mutex_;
  std::unordered_map<std::string, int> in_flight_;  // attempts being checked now, per back-off key
  std::once_flag dummy_hash_once_;
  std::string dummy_hash_;
};

}  // namespace

std::unique_ptr<OAuthService> MakeOAuthService(std::unique_ptr<OAuthStore> store, const ServiceClock& clock,
                                               OAuthLifetimes lifetimes, LoginBackoff backoff) {
  return std::make_unique<OAuthServiceImpl>(std::move(store), clock, lifetimes, backoff);
}

}  // namespace phonechat
