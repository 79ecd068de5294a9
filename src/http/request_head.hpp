// The framing decision on a request's header section: its body length, Host and target rules (docs/security.md).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace phonechat::http {

// One field line of a request's header section: the name as received, the value without surrounding white space.
struct FieldLine {
  std::string_view name;
  std::string_view value;
};

// How the body of an accepted request is delimited (RFC 9112 §6.3).
enum class BodyFraming { kNone, kContentLength, kChunked };

// What the server may act on once a request's header section is accepted.
struct AcceptedHead {
  BodyFraming framing = BodyFraming::kNone;
  std::uint64_t content_length = 0;             // kContentLength: the declared length
  std::optional<std::string> rewritten_target;  // an absolute-form target's origin form (path and query)
};

// The request-line and header section of one request, as received.
struct RequestHead {
  std::string_view method;
  std::string_view target;
  unsigned version = 11;  // major * 10 + minor
  std::span<const FieldLine> fields;
};

// Decides whether a request whose header section is complete may be served, and how its body is framed
// (docs/security.md, "Message framing"). A refusal is kMalformedHttp (400) or kNotImplemented (501, a transfer
// coding other than chunked), its message naming the problem; the connection must then be closed. `head.version`
// is 10 or 11 (the parser refuses any other). `unique_fields` are fields besides Host and Content-Length that may
// appear at most once.
Result<AcceptedHead> CheckRequestHead(const RequestHead& head, std::span<const std::string> unique_fields);

// True when `value` is a valid Host field value: uri-host [ ":" port ], without user information.
bool IsValidHost(std::string_view value);

}  // namespace phonechat::http
