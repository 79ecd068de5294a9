// Fuzzes the request headers the API reads before any route: Accept (NegotiateFormat), and Authorization as a
// bearer token (Authenticate, over the demo store) and as HTTP Basic (ParseBasicAuthorization), with an API key.
// Input: the Accept value, a line feed, the Authorization value, a line feed, the X-ApiKey value.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string_view>

#include "api/content_negotiation.hpp"
#include "api/web_forms.hpp"
#include "demo_store.hpp"
#include "service/authentication.hpp"
#include "service/service_clock.hpp"
#include "split_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static std::unique_ptr<phonechat::StoreSession> session =
      phonechat::fuzz::DemoStore::Instance().Primary().OpenSession();
  const auto parts = phonechat::fuzz::SplitParts(phonechat::fuzz::AsText(data, size), 3);

  const phonechat::NegotiatedFormat format = phonechat::NegotiateFormat(parts[0]);
  const bool json = format.format == phonechat::BodyFormat::kJson &&
                    (format.media_type == "application/json" || format.media_type == "text/json");
  const bool xml = format.format == phonechat::BodyFormat::kXml &&
                   (format.media_type == "application/xml" || format.media_type == "text/xml");
  if (!json && !xml) std::abort();
  if (phonechat::NegotiateFormat(std::nullopt).format != phonechat::BodyFormat::kJson) std::abort();

  phonechat::Credentials credentials;
  credentials.authorization = parts[1];
  if (!parts[2].empty()) credentials.api_keys.push_back(parts[2]);
  const auto principal =
      phonechat::Authenticate(*session, credentials, phonechat::ServiceClock::UnixSecondsNow());
  if (!principal) {
    const phonechat::ErrorCode code = principal.error().code;
    if (code != phonechat::ErrorCode::kUnauthenticated && code != phonechat::ErrorCode::kBadApiKey) std::abort();
  }

  const phonechat::BasicAuthorization basic = phonechat::ParseBasicAuthorization(parts[1]);
  if (!basic.present && basic.malformed) std::abort();
  return 0;
}
