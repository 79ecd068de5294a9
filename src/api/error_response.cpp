// The status table, ErrorFromException and RenderError: every /v1 error, JSON or XML, is written here.

#include "api/error_response.hpp"

#include <spdlog/spdlog.h>

#include <string>

namespace phonechat {

ErrorWire WireOf(ErrorCode code) {
  switch (code) {
    case ErrorCode::kNotFound:
      return {404, {}};
    case ErrorCode::kMethodNotAllowed:
      return {405, {}};
    case ErrorCode::kUnauthenticated:
      return {401, {}};
    case ErrorCode::kBadApiKey:
      return {401, {}};
    case ErrorCode::kInsufficientScope:
      return {403, {}};
    case ErrorCode::kInvalidRequest:
      return {400, "invalid_request"};
    case ErrorCode::kNotGroupManager:
      return {403, {}};
    case ErrorCode::kNotGroupMember:
      return {403, {}};
    case ErrorCode::kUnsupportedMediaType:
      return {415, {}};
    case ErrorCode::kConflict:
      return {409, {}};
    case ErrorCode::kIdempotencyKeyReused:
      return {422, {}};
    case ErrorCode::kIdempotencyInProgress:
      return {409, {}};
    case ErrorCode::kInvalidClient:
      return {401, "invalid_client"};
    case ErrorCode::kInvalidGrant:
      return {400, "invalid_grant"};
    case ErrorCode::kUnsupportedGrantType:
      return {400, "unsupported_grant_type"};
    // docs/api.md (Unified Login, Refresh): the documented answer, where RFC 6749 would say 400 invalid_grant.
    case ErrorCode::kRefreshTokenExpired:
      return {401, "refresh_token_has_expired"};
    case ErrorCode::kCsrfMismatch:
      return {403, {}};
    case ErrorCode::kLoginFailed:
      return {401, {}};
    case ErrorCode::kLoginThrottled:
      return {429, {}};
    case ErrorCode::kRateLimited:
      return {429, "slow_down"};
    case ErrorCode::kUriTooLong:
      return {414, {}};
    case ErrorCode::kHeadersTooLarge:
      return {431, {}};
    case ErrorCode::kBodyTooLarge:
      return {413, {}};
    case ErrorCode::kMalformedHttp:
      return {400, {}};
    case ErrorCode::kNotImplemented:
      return {501, {}};
    case ErrorCode::kUnavailable:
      return {503, "temporarily_unavailable"};
    case ErrorCode::kInternal:
      return {500, "server_error"};
  }
  return {500, "server_error"};
}

int StatusOf(ErrorCode code) { return WireOf(code).status; }

Error ErrorFromException(const std::exception& failure) {
  if (dynamic_cast<const StoreUnavailable*>(&failure) != nullptr) {
    spdlog::warn("store unavailable: {}", failure.what());
    return Error{ErrorCode::kUnavailable, "The service is temporarily unavailable.", {}, {}, false};
  }
  spdlog::error("request failed: {}", failure.what());
  return Error{ErrorCode::kInternal, "An error has occurred.", {}, {}, false};
}

void SetApiHeaders(http::Response& response, const NegotiatedFormat& format) {
  response.content_type.assign(format.media_type).append("; charset=utf-8");
  response.headers.emplace_back("Cache-Control", "no-store");
}

http::Response RenderError(const Error& error, const NegotiatedFormat& format) {
  http::Response response;
  response.status = StatusOf(error.code);
  SetApiHeaders(response, format);
  WriteErrorBody(response.body, error, format.format);
  switch (error.code) {
    case ErrorCode::kUnauthenticated:
      response.headers.emplace_back("WWW-Authenticate", error.token_presented
                                                            ? R"(Bearer realm="api", error="invalid_token")"
                                                            : R"(Bearer realm="api")");
      break;
    case ErrorCode::kBadApiKey:
      response.headers.emplace_back("WWW-Authenticate", R"(Bearer realm="api")");
      break;
    case ErrorCode::kInsufficientScope:
      response.headers.emplace_back("WWW-Authenticate", R"(Bearer realm="api", error="insufficient_scope", scope=")" +
                                                            error.required_scope + '"');
      break;
    case ErrorCode::kRateLimited:
      response.headers.emplace_back("Retry-After", std::to_string(error.retry_after_seconds));
      break;
    case ErrorCode::kUriTooLong:
    case ErrorCode::kHeadersTooLarge:
    case ErrorCode::kBodyTooLarge:
    case ErrorCode::kMalformedHttp:
    case ErrorCode::kNotImplemented:
      response.close_connection = true;
      break;
    default:
      break;
  }
  return response;
}

}  // namespace phonechat
