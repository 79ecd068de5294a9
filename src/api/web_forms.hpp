// What the Unified Login's forms and the token endpoint read from a request: cookies, CSRF, form fields, Basic.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "api/query_parameters.hpp"

namespace phonechat {

// The browser session cookie: random, stored hashed by the service.
inline constexpr std::string_view kSessionCookie = "pc_session";
// The CSRF double-submit cookie: its value must come back in every form's hidden `csrf` field.
inline constexpr std::string_view kCsrfCookie = "pc_csrf";

// The value of the first cookie called `name` in a Cookie header (RFC 6265 §5.4: `name=value; name=value`),
// with surrounding white space and one pair of double quotes removed; nullopt when absent.
std::optional<std::string_view> FindCookie(std::optional<std::string_view> cookie_header, std::string_view name);

// A Set-Cookie value for a cookie only this server reads: `<name>=<value>; Path=/; HttpOnly; SameSite=Lax`,
// plus `; Secure` when `secure` (the browser reached the server over HTTPS through a proxy).
std::string SetCookieValue(std::string_view name, std::string_view value, bool secure);

// A Set-Cookie value that makes the browser forget `name` at once (`secure` as for SetCookieValue).
std::string ClearCookieValue(std::string_view name, bool secure);

// A new random value for the CSRF cookie (256 bits, base64url).
std::string NewCsrfToken();

// True when `value` has the shape of a value this server issues for a cookie (43 base64url characters), so a
// cookie planted with another shape is replaced rather than trusted.
bool IsIssuedCookieValue(std::string_view value);

// True when the CSRF cookie is present and the form's `csrf` field equals it (constant-time comparison).
bool CsrfMatches(std::optional<std::string_view> cookie_value, std::string_view form_value);

// True when a Content-Type header names application/x-www-form-urlencoded (parameters such as charset allowed).
bool IsFormContentType(std::optional<std::string_view> content_type);

// HTTP Basic client credentials (RFC 6749 §2.3.1): both parts already form-urlencoded-decoded.
struct BasicCredentials {
  std::string client_id;
  std::string client_secret;
};

// What an Authorization header says about HTTP Basic.
struct BasicAuthorization {
  bool present = false;    // the header uses the Basic scheme (case-insensitive)
  bool malformed = false;  // present, but not base64 of `id:secret` with valid percent-encoding
  BasicCredentials credentials;
};

// Reads Basic client credentials: `Basic base64(urlencode(id) ":" urlencode(secret))`. Another scheme or no
// header gives `present == false`.
BasicAuthorization ParseBasicAuthorization(std::optional<std::string_view> authorization);

// The first value of `lower_name`, or empty when absent.
std::string FieldValue(const QueryParameters& fields, std::string_view lower_name);

// True when `lower_name` was sent more than once or not as valid percent-encoding (RFC 6749 §3.1: a parameter
// must not be repeated).
bool FieldIsAmbiguous(const QueryParameters& fields, std::string_view lower_name);

}  // namespace phonechat
