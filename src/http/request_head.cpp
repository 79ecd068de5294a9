// Plain-code checks of a request's header section, and how its body is delimited or why it is refused.

#include "http/request_head.hpp"

#include <algorithm>
#include <boost/url/parse.hpp>
#include <charconv>
#include <vector>

namespace phonechat::http {
namespace {

bool IEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
           return lower(x) == lower(y);
         });
}

// tchar of RFC 9110 §5.6.2.
bool IsTokenChar(char c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool IsToken(std::string_view text) { return !text.empty() && std::all_of(text.begin(), text.end(), IsTokenChar); }

std::string_view TrimOws(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

std::size_t Occurrences(std::span<const FieldLine> fields, std::string_view name) {
  return static_cast<std::size_t>(std::count_if(fields.begin(), fields.end(),
                                                [name](const FieldLine& field) { return IEquals(field.name, name); }));
}

Error Refusal(ErrorCode code, std::string message) { return Error{code, std::move(message), {}, {}, false}; }

Error BadRequest(std::string message) { return Refusal(ErrorCode::kMalformedHttp, std::move(message)); }

// Transfer-Encoding, all its field lines taken as one list (RFC 9110 §5.3), against RFC 9112 §6.1 and §6.3:
//   "If a Transfer-Encoding header field is present in a request and the chunked transfer coding is not the final
//    encoding, the message body length cannot be determined reliably; the server MUST respond with the 400 (Bad
//    Request) status code and then close the connection." (§6.3, item 4)
//   "A sender MUST NOT apply the chunked transfer coding more than once to a message body" (§6.1)
//   "A server that receives a request message with a transfer coding it does not understand SHOULD respond with
//    501 (Not Implemented)." (§6.1) This server understands chunked alone.
// Empty list elements are skipped, as RFC 9110 §5.6.1 asks of a recipient.
Result<void> CheckTransferCodings(std::span<const std::string_view> values) {
  std::vector<std::string_view> codings;
  std::string_view final_parameters;
  for (std::string_view value : values) {
    for (;;) {
      const std::size_t comma = value.find(',');
      const std::string_view element = TrimOws(value.substr(0, comma));
      if (!element.empty()) {
        const std::size_t semicolon = element.find(';');
        const std::string_view name = TrimOws(element.substr(0, semicolon));
        if (!IsToken(name)) return BadRequest("The request's Transfer-Encoding is not a list of transfer codings.");
        codings.push_back(name);
        final_parameters = semicolon == std::string_view::npos ? std::string_view{} : element.substr(semicolon);
      }
      if (comma == std::string_view::npos) break;
      value.remove_prefix(comma + 1);
    }
  }
  if (codings.empty() || !IEquals(codings.back(), "chunked") || !final_parameters.empty()) {
    return BadRequest("The request's Transfer-Encoding does not end with chunked, so its body cannot be delimited.");
  }
  codings.pop_back();
  for (std::string_view coding : codings) {
    if (IEquals(coding, "chunked"))
      return BadRequest("The request's Transfer-Encoding applies chunked more than once.");
  }
  if (!codings.empty()) {
    return Refusal(ErrorCode::kNotImplemented,
                   "The transfer coding '" + std::string(codings.front()) + "' is not supported; send chunked alone.");
  }
  return {};
}

// RFC 9112 §6.3: "If a message is received without Transfer-Encoding and with an invalid Content-Length header
// field, then the message framing is invalid and the recipient MUST treat it as an unrecoverable error ... the
// server MUST respond with a 400 (Bad Request) status code and then close the connection." RFC 9110 §8.6 lets a
// recipient accept a list of identical values; this server does not: one field line of 1*DIGIT, or a refusal.
Result<std::uint64_t> ParseContentLength(std::string_view value) {
  std::uint64_t length = 0;
  const char* end = value.data() + value.size();
  const auto [stop, error] = std::from_chars(value.data(), end, length);
  if (value.empty() || value.front() < '0' || value.front() > '9' || error != std::errc{} || stop != end) {
    return BadRequest("The request's Content-Length is not a single decimal number.");
  }
  return length;
}

// The request-target's forms (RFC 9112 §3.2): origin-form is served as is; absolute-form "MUST" be accepted, its
// path and query then being the target, and its authority checked like a Host; asterisk-form is for OPTIONS alone.
Result<std::optional<std::string>> OriginTarget(std::string_view method, std::string_view target) {
  if (!target.empty() && target.front() == '/') return std::optional<std::string>{};
  if (target == "*") {
    if (method == "OPTIONS") return std::optional<std::string>{};
    return BadRequest("The request target * is only valid with OPTIONS.");
  }
  const auto url = boost::urls::parse_absolute_uri(target);
  const auto bad_form = [] {
    return BadRequest("The request target is neither a path nor an absolute http or https URL.");
  };
  if (!url || !(IEquals(url->scheme(), "http") || IEquals(url->scheme(), "https")) || !url->has_authority()) {
    return bad_form();
  }
  const auto authority = url->encoded_authority();
  if (!IsValidHost(std::string_view(authority.data(), authority.size()))) return bad_form();
  const auto path = url->encoded_path();
  std::string origin = path.empty() ? std::string("/") : std::string(path.data(), path.size());
  if (origin.front() != '/') return bad_form();
  if (url->has_query()) {
    const auto query = url->encoded_query();
    origin.append("?").append(query.data(), query.size());
  }
  return std::optional<std::string>(std::move(origin));
}

}  // namespace

bool IsValidHost(std::string_view value) {
  const auto authority = boost::urls::parse_authority(value);
  return authority && !authority->has_userinfo() && !authority->encoded_host().empty();
}

Result<AcceptedHead> CheckRequestHead(const RequestHead& head, std::span<const std::string> unique_fields) {
  std::optional<std::string_view> host;
  std::optional<std::string_view> content_length;
  std::vector<std::string_view> transfer_encodings;
  for (const FieldLine& field : head.fields) {
    if (IEquals(field.name, "Host")) {
      // RFC 9112 §3.2: "A server MUST respond with a 400 (Bad Request) status code to any HTTP/1.1 request message
      // that lacks a Host header field and to any request message that contains more than one Host header field
      // line or a Host header field with an invalid field value."
      if (host) return BadRequest("The request has more than one Host header.");
      host = field.value;
    } else if (IEquals(field.name, "Content-Length")) {
      if (content_length) return BadRequest("The request has more than one Content-Length header.");
      content_length = field.value;
    } else if (IEquals(field.name, "Transfer-Encoding")) {
      transfer_encodings.push_back(field.value);
    } else {
      for (const std::string& unique : unique_fields) {
        if (IEquals(field.name, unique) && Occurrences(head.fields, unique) > 1) {
          return BadRequest("The request has more than one " + unique + " header.");
        }
      }
    }
  }
  if (!host && head.version >= 11) return BadRequest("The request has no Host header.");
  if (host && !IsValidHost(*host)) return BadRequest("The request's Host header is not a valid host.");

  AcceptedHead accepted;
  Result<std::optional<std::string>> origin = OriginTarget(head.method, head.target);
  if (!origin) return origin.error();
  accepted.rewritten_target = std::move(*origin);

  if (!transfer_encodings.empty()) {
    // RFC 9112 §6.1: "A server or client that receives an HTTP/1.0 message containing a Transfer-Encoding header
    // field MUST treat the message as if the framing is faulty, even if a Content-Length is present, and close the
    // connection after processing the message." Faulty framing cannot be processed: it is refused.
    if (head.version < 11) return BadRequest("The request has Transfer-Encoding, which HTTP/1.0 does not define.");
    // RFC 9112 §6.3, item 3: "If a message is received with both a Transfer-Encoding and a Content-Length header
    // field, ... Such a message might indicate an attempt to perform request smuggling (Section 11.2) ... and ought
    // to be handled as an error." Behind a proxy that framed it the other way, refusing is the only safe reading.
    if (content_length) return BadRequest("The request has both Transfer-Encoding and Content-Length.");
    if (Result<void> codings = CheckTransferCodings(transfer_encodings); !codings) return codings.error();
    accepted.framing = BodyFraming::kChunked;
    return accepted;
  }
  if (content_length) {
    Result<std::uint64_t> length = ParseContentLength(*content_length);
    if (!length) return length.error();
    accepted.framing = BodyFraming::kContentLength;
    accepted.content_length = *length;
  }
  // RFC 9112 §6.3, item 7: without either field, a request's body is of length zero.
  return accepted;
}

}  // namespace phonechat::http
