// The one error type: a protocol-free ErrorCode, a message a client may see, and ModelState for validation.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace phonechat {

// Protocol-free classification of every failure a request can end in; WireOf in api/error_response maps each to
// its HTTP status (and OAuth error name), and nothing else does.
enum class ErrorCode {
  kNotFound,
  kMethodNotAllowed,
  kUnauthenticated,
  kBadApiKey,
  kInsufficientScope,
  kInvalidRequest,
  kNotGroupManager,
  kNotGroupMember,
  kUnsupportedMediaType,  // a request body in a media type the route does not read
  kConflict,              // the request meets stored state it cannot apply to (a status, a balance, a deadline)
  kIdempotencyKeyReused,  // an Idempotency-Key already used with a different body
  kIdempotencyInProgress, // an Idempotency-Key whose first request is still running
  kInvalidClient,         // the client behind a token or revoke request could not be authenticated
  kInvalidGrant,          // the code or refresh token is unknown, used, revoked, expired or another client's
  kUnsupportedGrantType,  // a grant type the token endpoint does not issue for
  kRefreshTokenExpired,   // the refresh token was valid once and has expired
  kCsrfMismatch,          // a form whose CSRF field does not match its cookie (not sent from this site's page)
  kLoginFailed,           // the login name or password is missing or wrong
  kLoginThrottled,        // too many recent failed logins: refused without checking
  kRateLimited,           // the project's requests, or a client's failed authentications, over their rate
  kUriTooLong,
  kHeadersTooLarge,
  kBodyTooLarge,
  kMalformedHttp,
  kNotImplemented,  // a transfer coding the server does not implement
  kUnavailable,
  kInternal,
};

// One parameter's violated rules, in the order they were found.
struct FieldErrors {
  std::string field;
  std::vector<std::string> messages;
};

// The one error type: a code, a message safe to show a client, and optional detail for rendering.
struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;
  std::vector<FieldErrors> model_state;  // kInvalidRequest: every invalid parameter, in request-rule order
  std::string required_scope;            // kInsufficientScope: the scope the route needs
  bool token_presented = false;          // kUnauthenticated: a token was sent but is not valid
  std::int64_t retry_after_seconds = 0;  // kRateLimited: when the client may try again (Retry-After)
};

// Collects validation failures so that all of them are reported at once.
class ModelState {
 public:
  // Records `message` against `field`, keeping fields in first-seen order.
  void Add(std::string_view field, std::string message);
  // True when nothing was recorded.
  [[nodiscard]] bool Empty() const { return fields_.empty(); }
  // Moves the collected failures into a kInvalidRequest error.
  [[nodiscard]] Error ToError() &&;

 private:
  std::vector<FieldErrors> fields_;
};

// Thrown by storage when the database cannot answer now (busy, unreachable); the API answers 503.
class StoreUnavailable : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Thrown where a command-line or configuration value is unusable; the CLI prints it and exits non-zero.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace phonechat
