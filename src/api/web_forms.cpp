// Cookie, CSRF, form-field and HTTP Basic parsing for the Unified Login's routes.

#include "api/web_forms.hpp"

#include <boost/url/encoding_opts.hpp>
#include <boost/url/pct_string_view.hpp>

#include "auth/secrets.hpp"

namespace phonechat {
namespace {

constexpr std::size_t kIssuedValueLength = 43;  // 32 random bytes in base64url without padding

bool IsBase64UrlCharacter(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

bool StartsWithIgnoreCase(std::string_view text, std::string_view lower_prefix) {
  if (text.size() < lower_prefix.size()) return false;
  return AsciiLower(text.substr(0, lower_prefix.size())) == lower_prefix;
}

// RFC 6749 Appendix B: client id and secret are form-urlencoded before they are joined for Basic.
std::optional<std::string> FormDecode(std::string_view raw) {
  auto encoded = boost::urls::make_pct_string_view(raw);
  if (!encoded) return std::nullopt;
  return encoded->decode(boost::urls::encoding_opts(/*space_as_plus=*/true));
}

}  // namespace

std::optional<std::string_view> FindCookie(std::optional<std::string_view> cookie_header, std::string_view name) {
  if (!cookie_header) return std::nullopt;
  std::string_view rest = *cookie_header;
  while (!rest.empty()) {
    const auto semicolon = rest.find(';');
    const std::string_view pair = TrimWhitespace(rest.substr(0, semicolon));
    rest = semicolon == std::string_view::npos ? std::string_view{} : rest.substr(semicolon + 1);
    const auto eq = pair.find('=');
    if (eq == std::string_view::npos) continue;
    if (TrimWhitespace(pair.substr(0, eq)) != name) continue;
    std::string_view value = TrimWhitespace(pair.substr(eq + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.substr(1, value.size() - 2);
    return value;
  }
  return std::nullopt;
}

std::string SetCookieValue(std::string_view name, std::string_view value, bool secure) {
  std::string header(name);
  header.append("=").append(value).append("; Path=/; HttpOnly; SameSite=Lax");
  if (secure) header.append("; Secure");
  return header;
}

std::string ClearCookieValue(std::string_view name, bool secure) {
  std::string header(name);
  header.append("=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax");
  if (secure) header.append("; Secure");
  return header;
}

std::string NewCsrfToken() { return GenerateToken(); }

bool IsIssuedCookieValue(std::string_view value) {
  if (value.size() != kIssuedValueLength) return false;
  for (const char c : value) {
    if (!IsBase64UrlCharacter(c)) return false;
  }
  return true;
}

bool CsrfMatches(std::optional<std::string_view> cookie_value, std::string_view form_value) {
  if (!cookie_value || !IsIssuedCookieValue(*cookie_value)) return false;
  return ConstantTimeEquals(*cookie_value, form_value);
}

bool IsFormContentType(std::optional<std::string_view> content_type) {
  if (!content_type) return false;
  std::string_view media_type = *content_type;
  media_type = TrimWhitespace(media_type.substr(0, media_type.find(';')));
  return AsciiLower(media_type) == "application/x-www-form-urlencoded";
}

BasicAuthorization ParseBasicAuthorization(std::optional<std::string_view> authorization) {
  BasicAuthorization result;
  if (!authorization) return result;
  const std::string_view header = TrimWhitespace(*authorization);
  constexpr std::string_view kScheme = "basic";
  if (!StartsWithIgnoreCase(header, kScheme)) return result;
  if (header.size() > kScheme.size() && header[kScheme.size()] != ' ' && header[kScheme.size()] != '\t') {
    return result;  // another scheme that merely starts with "basic"
  }
  result.present = true;
  result.malformed = true;
  const std::optional<std::string> decoded = DecodeBase64(TrimWhitespace(header.substr(kScheme.size())));
  if (!decoded) return result;
  const auto colon = decoded->find(':');
  if (colon == std::string::npos) return result;
  std::optional<std::string> id = FormDecode(std::string_view(*decoded).substr(0, colon));
  std::optional<std::string> secret = FormDecode(std::string_view(*decoded).substr(colon + 1));
  if (!id || !secret || id->empty()) return result;
  result.malformed = false;
  result.credentials = BasicCredentials{std::move(*id), std::move(*secret)};
  return result;
}

std::string FieldValue(const QueryParameters& fields, std::string_view lower_name) {
  const QueryParameter* field = fields.Find(lower_name);
  if (field == nullptr || field->values.empty()) return {};
  return field->values.front();
}

bool FieldIsAmbiguous(const QueryParameters& fields, std::string_view lower_name) {
  const QueryParameter* field = fields.Find(lower_name);
  return field != nullptr && (field->malformed || field->values.size() > 1);
}

}  // namespace phonechat
