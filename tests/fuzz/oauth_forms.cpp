// Fuzzes what the Unified Login reads from a form post: the Content-Type check, the CSRF and session cookies, the
// form's fields (QueryParameters over the body, FieldValue, FieldIsAmbiguous), and HTTP Basic client credentials,
// which must read back the same once encoded again. Input: Content-Type, Cookie and Authorization values, each
// ended by a line feed, then the body.

#include <sodium.h>

#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "api/query_parameters.hpp"
#include "api/web_forms.hpp"
#include "split_input.hpp"

namespace {

// The fields the login, consent and token endpoint forms read (src/api/login_pages.cpp, token_endpoint.cpp).
constexpr std::string_view kFields[] = {"grant_type", "code",    "redirect_uri", "client_id", "client_secret",
                                        "refresh_token", "code_verifier", "login", "password", "csrf",
                                        "scope",         "state",         "response_type", "code_challenge",
                                        "code_challenge_method", "decision"};

// `Basic base64(urlencode(id) ":" urlencode(secret))`, as a client builds it (RFC 6749 §2.3.1).
std::string BasicHeader(const phonechat::BasicCredentials& credentials) {
  const std::string plain = boost::urls::encode(credentials.client_id, boost::urls::unreserved_chars) + ":" +
                            boost::urls::encode(credentials.client_secret, boost::urls::unreserved_chars);
  std::vector<char> encoded(sodium_base64_ENCODED_LEN(plain.size(), sodium_base64_VARIANT_ORIGINAL));
  sodium_bin2base64(encoded.data(), encoded.size(), reinterpret_cast<const unsigned char*>(plain.data()),
                    plain.size(), sodium_base64_VARIANT_ORIGINAL);
  return "Basic " + std::string(encoded.data());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto parts = phonechat::fuzz::SplitParts(phonechat::fuzz::AsText(data, size), 4);
  static_cast<void>(phonechat::IsFormContentType(parts[0]));

  const auto session = phonechat::FindCookie(parts[1], phonechat::kSessionCookie);
  const auto csrf = phonechat::FindCookie(parts[1], phonechat::kCsrfCookie);
  if (session) static_cast<void>(phonechat::IsIssuedCookieValue(*session));

  const phonechat::QueryParameters form = phonechat::QueryParameters::Parse(parts[3]);
  for (const std::string_view field : kFields) {
    static_cast<void>(phonechat::FieldValue(form, field));
    static_cast<void>(phonechat::FieldIsAmbiguous(form, field));
  }
  static_cast<void>(phonechat::CsrfMatches(csrf, phonechat::FieldValue(form, "csrf")));

  const phonechat::BasicAuthorization basic = phonechat::ParseBasicAuthorization(parts[2]);
  if (basic.present && !basic.malformed) {
    const phonechat::BasicAuthorization again = phonechat::ParseBasicAuthorization(BasicHeader(basic.credentials));
    if (!again.present || again.malformed || again.credentials.client_id != basic.credentials.client_id ||
        again.credentials.client_secret != basic.credentials.client_secret) {
      std::abort();
    }
  }
  return 0;
}
