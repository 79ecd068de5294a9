#pragma once

#include "api/content_negotiation.hpp"
#include "core/error.hpp"
#include "http/server.hpp"

namespace phonechat {

// The HTTP status of each error code: the one status table of the API.
int StatusOf(ErrorCode code);

// The one place an error becomes a response: status, headers (WWW-Authenticate, Connection: close for
// refused requests), and the body in the negotiated format.
http::Response RenderError(const Error& error, const NegotiatedFormat& format);

// Sets Content-Type (`<media type>; charset=utf-8`) and Cache-Control: no-store on a /v1 response.
void SetApiHeaders(http::Response& response, const NegotiatedFormat& format);

}  // namespace phonechat
