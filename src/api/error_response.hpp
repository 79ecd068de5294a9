// The one status table of the API (every ErrorCode's HTTP status and OAuth name), the one renderer of /v1 errors and
// the headers every /v1 answer carries.
#pragma once

#include <exception>
#include <string_view>

#include "api/content_negotiation.hpp"
#include "core/error.hpp"
#include "http/server.hpp"

namespace phonechat {

// What an error code is on the wire: its HTTP status and, for the codes an OAuth endpoint answers with, its
// RFC 6749 §5.2 `error` name (empty for the others).
struct ErrorWire {
  int status = 500;
  std::string_view oauth_error;
};

// The one table of the API: every error code's status and OAuth name. A new ErrorCode needs a row here and
// nowhere else.
ErrorWire WireOf(ErrorCode code);

// The HTTP status of `code`: WireOf(code).status.
int StatusOf(ErrorCode code);

// The error a request ends in when `failure` escaped it, logged as today: kUnavailable ("The service is temporarily
// unavailable.", a warning) for StoreUnavailable, else kInternal ("An error has occurred.", an error). Every place
// that turns an exception into an answer goes through it.
Error ErrorFromException(const std::exception& failure);

// The one place an error becomes a /v1 response: status, headers (WWW-Authenticate, Connection: close for
// refused requests), and the body in the negotiated format.
http::Response RenderError(const Error& error, const NegotiatedFormat& format);

// Sets Content-Type (`<media type>; charset=utf-8`) and Cache-Control: no-store on a /v1 response.
void SetApiHeaders(http::Response& response, const NegotiatedFormat& format);

}  // namespace phonechat
