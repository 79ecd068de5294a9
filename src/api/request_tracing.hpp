// Request IDs and W3C trace context: what the access log records to follow one request (docs/operations.md).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace phonechat {

// Longest X-Request-ID honoured; a longer one is replaced.
inline constexpr std::size_t kMaxRequestIdLength = 128;

// The request's ID: `given` (the client's or a proxy's X-Request-ID) when it is 1-128 characters of letters,
// digits and `-._~:/+=@`, else a new one (32 random hex digits). Never returns anything else, so the value is safe
// to echo in a header and to write in a log.
std::string RequestIdFor(std::optional<std::string_view> given);

// The fields of a valid W3C `traceparent` header (version-traceid-parentid-flags).
struct TraceContext {
  std::string trace_id;   // 32 lowercase hex digits, not all zero
  std::string parent_id;  // 16 lowercase hex digits, not all zero
  std::string flags;      // 2 lowercase hex digits
};

// Parses `traceparent` by the W3C Trace Context rules (version `ff` invalid; a later version may carry more
// fields after a `-`); nullopt for anything else, which is then ignored.
std::optional<TraceContext> ParseTraceparent(std::string_view value);

}  // namespace phonechat
